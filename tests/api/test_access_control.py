"""Who may call which `/v1` route: keys, roles and white-label boundaries, route by route."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest

from domain.enums import UserRole
from starter import admin
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, customer_request, make_white_label
from tests.support.images import png
from tests.support.self_serve_helpers import start_signup

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    changes_something: bool
    body: dict[str, object] | None = None
    content: bytes | None = None
    administrators_only: bool = False
    """A read that staff are refused too (the white label's users and keys)."""

    def url(self, customer_id: str) -> str:
        return self.path.replace("{customer_id}", customer_id)

    async def call(
        self, api: httpx.AsyncClient, customer_id: str, headers: dict[str, str]
    ) -> httpx.Response:
        body = (
            customer_request(path="self_serve")
            if self.url(customer_id) == "/v1/customers"
            else self.body
        )
        return await api.request(
            self.method, self.url(customer_id), json=body, content=self.content, headers=headers
        )


ROUTES = [
    Route("POST", "/v1/customers", changes_something=True),
    Route(
        "POST",
        "/v1/customers/bulk",
        changes_something=True,
        body={"rows": [customer_request(path="self_serve")]},
    ),
    Route("GET", "/v1/customers", changes_something=False),
    Route("GET", "/v1/customers/{customer_id}", changes_something=False),
    Route("POST", "/v1/customers/{customer_id}/activation-email", changes_something=True),
    Route("POST", "/v1/customers/{customer_id}/cancel", changes_something=True),
    Route("POST", "/v1/customers/{customer_id}/convert-to-wl-managed", changes_something=True),
    Route("POST", "/v1/customers/{customer_id}/handover", changes_something=True),
    Route("GET", "/v1/customers/{customer_id}/handover", changes_something=False),
    Route("POST", "/v1/customers/{customer_id}/handover/cancel", changes_something=True),
    Route("GET", "/v1/plans", changes_something=False),
    Route("GET", "/v1/numbers", changes_something=False),
    Route("GET", "/v1/white-label/brand", changes_something=False),
    Route("GET", "/v1/audit", changes_something=False),
    Route("GET", "/v1/customers/{customer_id}/events", changes_something=False),
    Route(
        "PATCH", "/v1/white-label/brand", changes_something=True, body={"display_name": "Not me"}
    ),
    Route("PUT", "/v1/white-label/brand/logo", changes_something=True, content=png()),
    Route("DELETE", "/v1/white-label/brand/logo", changes_something=True),
    Route(
        "POST",
        "/v1/webhook-endpoints",
        changes_something=True,
        body={"url": "https://hooks.example.com/wl", "event_types": ["customer.created"]},
    ),
    Route("GET", "/v1/webhook-endpoints", changes_something=False),
    Route("DELETE", "/v1/webhook-endpoints/{endpoint_id}", changes_something=True),
    Route("POST", "/v1/webhook-endpoints/{endpoint_id}/enable", changes_something=True),
    Route("POST", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret", changes_something=True),
    Route("POST", "/v1/webhook-endpoints/{endpoint_id}/test", changes_something=True),
    Route("GET", "/v1/webhook-deliveries", changes_something=False),
    Route("POST", "/v1/webhook-events/{event_id}/replay", changes_something=True),
    Route("GET", "/v1/users", changes_something=False, administrators_only=True),
    Route(
        "POST",
        "/v1/users",
        changes_something=True,
        body={"email": "new-desk@reseller.example.com", "role": "administrator"},
    ),
    Route("PATCH", "/v1/users/{user_id}", changes_something=True, body={"role": "staff"}),
    Route("DELETE", "/v1/users/{user_id}", changes_something=True),
    Route("POST", "/v1/users/{user_id}/sessions/end", changes_something=True),
    Route("GET", "/v1/api-keys", changes_something=False, administrators_only=True),
    Route(
        "POST",
        "/v1/api-keys",
        changes_something=True,
        body={"name": "CRM", "role": "administrator"},
    ),
    Route("POST", "/v1/api-keys/{key_id}/revoke", changes_something=True),
]
READS = [route for route in ROUTES if not route.changes_something and not route.administrators_only]
CHANGES = [route for route in ROUTES if route.changes_something or route.administrators_only]
ROUTES_ON_ONE_CUSTOMER = [route for route in ROUTES if "{customer_id}" in route.path]


async def test_the_matrix_covers_every_v1_route(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    served = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/v1")
        for method in operations
    }

    assert served == {(route.method, route.path) for route in ROUTES}


async def revoked_key(sessions: SessionFactory, white_label: WhiteLabelFixture) -> str:
    user = await admin.add_user(
        sessions,
        white_label_id=white_label.id,
        email=f"leaver-{uuid.uuid4().hex[:6]}@reseller.example.com",
        role=UserRole.ADMINISTRATOR,
    )
    await admin.revoke_key(sessions, user_id=user.user_id)
    return user.api_key


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
async def test_missing_malformed_unknown_and_revoked_keys_get_the_same_401(
    api: httpx.AsyncClient,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    route: Route,
) -> None:
    signup = await start_signup(api, white_label)
    revoked = await revoked_key(sessions, white_label)
    attempts = {
        "missing": {},
        "not bearer": {"Authorization": f"Basic {white_label.admin_key}"},
        "malformed": {"Authorization": "Bearer"},
        "garbage": {"Authorization": "Bearer ' OR 1=1 --"},
        "unknown": {"Authorization": "Bearer wlk_" + "A" * 43},
        "revoked": {"Authorization": f"Bearer {revoked}"},
    }

    answers = {
        name: await route.call(api, signup.customer_id, headers)
        for name, headers in attempts.items()
    }

    assert {name: response.status_code for name, response in answers.items()} == {
        name: 401 for name in attempts
    }
    assert len({response.text for response in answers.values()}) == 1
    assert answers["revoked"].json()["error"]["type"] == "Unauthorized"
    assert answers["revoked"].headers["WWW-Authenticate"] == "Bearer"
    view = await api.get(f"/v1/customers/{signup.customer_id}", headers=white_label.headers)
    assert view.json()["status"] == "awaiting_activation"


@pytest.mark.parametrize("route", READS, ids=lambda route: f"{route.method} {route.path}")
async def test_staff_read_everything_of_their_white_label(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, route: Route
) -> None:
    signup = await start_signup(api, white_label)

    response = await route.call(api, signup.customer_id, white_label.staff_headers)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("route", CHANGES, ids=lambda route: f"{route.method} {route.path}")
async def test_staff_change_nothing(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, route: Route
) -> None:
    signup = await start_signup(api, white_label)

    response = await route.call(api, signup.customer_id, white_label.staff_headers)

    assert response.status_code == 403
    assert response.json()["error"]["type"] == "Forbidden"
    listed = await api.get("/v1/customers", headers=white_label.headers)
    assert [row["customer_id"] for row in listed.json()["customers"]] == [signup.customer_id]
    assert listed.json()["customers"][0]["status"] == "awaiting_activation"


@pytest.mark.parametrize(
    "route", ROUTES_ON_ONE_CUSTOMER, ids=lambda route: f"{route.method} {route.path}"
)
async def test_another_white_labels_customer_is_not_found_on_every_route(
    api: httpx.AsyncClient,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    route: Route,
) -> None:
    stranger = await make_white_label(sessions)
    signup = await start_signup(api, white_label)

    theirs = await route.call(api, signup.customer_id, stranger.headers)
    nobodys = await route.call(api, str(uuid.uuid4()), stranger.headers)

    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.json() == nobodys.json()
    view = await api.get(f"/v1/customers/{signup.customer_id}", headers=white_label.headers)
    assert view.json()["status"] == "awaiting_activation"


async def white_label_with_a_plan_of_its_own(sessions: SessionFactory) -> WhiteLabelFixture:
    stranger = await make_white_label(sessions)
    await admin.add_plan(
        sessions,
        white_label_id=stranger.id,
        code="stranger-only",
        name="Theirs",
        setup_fee=Decimal("1.00"),
        monthly_fee=Decimal("2.00"),
    )
    return stranger


async def test_lists_show_only_the_callers_own_customers_plans_and_numbers(
    api: httpx.AsyncClient, sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    stranger = await white_label_with_a_plan_of_its_own(sessions)
    mine = await start_signup(api, white_label)
    await start_signup(api, stranger)

    customers = (await api.get("/v1/customers", headers=white_label.headers)).json()
    plans = (await api.get("/v1/plans", headers=white_label.headers)).json()
    numbers = (await api.get("/v1/numbers", headers=white_label.headers)).json()

    assert [row["customer_id"] for row in customers["customers"]] == [mine.customer_id]
    assert [plan["code"] for plan in plans["plans"]] == ["business"]
    assert [number["e164"] for number in numbers["numbers"]] == white_label.numbers


async def test_a_plan_of_another_white_label_cannot_be_used(
    api: httpx.AsyncClient, sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    await white_label_with_a_plan_of_its_own(sessions)

    response = await api.post(
        "/v1/customers",
        json=customer_request(plan_code="stranger-only"),
        headers=white_label.headers,
    )

    assert response.status_code == 422
    assert response.json()["error"]["type"] == "PlanUnknown"
    assert (await api.get("/v1/customers", headers=white_label.headers)).json()["customers"] == []
