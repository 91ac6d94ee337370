"""A complete, valid WL-managed request: the docs' example, the demo curl, the worker warm-up."""

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


def warm_up_validators() -> None:
    """Loads the validators' lazily read data (pycountry opens its database on first use).

    The Temporal sandbox forbids file access, so a worker must do this before its first
    workflow decodes a request.
    """
    from domain.customer import CreateCustomerRequest

    CreateCustomerRequest.model_validate(WL_MANAGED_REQUEST)
