"""A complete, valid WL-managed request: the docs' example, the demo curl, the worker warm-up
(`runtime.validators`)."""

from typing import Any

WL_MANAGED_REQUEST: dict[str, Any] = {
    "path": "wl_managed",
    "contact": {
        "first_name": "Aroha",
        "last_name": "Ngata",
        "email": "aroha@example.co.nz",
        "phone": "+64211234567",
    },
    "business": {"name": "Ngata Plumbing Ltd"},
    "address": {
        "line1": "12 Queen Street",
        "city": "Auckland",
        "postal_code": "1010",
        "country": "NZ",
    },
    "plan_code": "business-5",
    "numbers": {"count": 2},
    "pbx_settings": {
        "timezone": "Pacific/Auckland",
        "extensions": [{"number": "100", "name": "Reception"}],
    },
}
