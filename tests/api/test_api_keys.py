"""`/v1/api-keys`: named keys with their own role; the secret once; revoked means 401 at once;
the users' own keys keep working beside them."""

import httpx
import pytest

from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, customer_request, make_white_label

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_named_key_works_with_its_own_role_until_revoked(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    made = await api.post(
        "/v1/api-keys",
        json={"name": "  Billing   sync ", "role": "staff"},
        headers=white_label.headers,
    )
    secret = made.json()["api_key"]
    reads = await api.get("/v1/customers", headers=_bearer(secret))
    creates = await api.post("/v1/customers", json=customer_request(), headers=_bearer(secret))
    listed = await api.get("/v1/api-keys", headers=white_label.headers)
    revoked = await api.post(
        f"/v1/api-keys/{made.json()['id']}/revoke", headers=white_label.headers
    )
    after = await api.get("/v1/customers", headers=_bearer(secret))
    own_key = await api.get("/v1/customers", headers=white_label.headers)

    assert made.status_code == 201, made.text
    assert made.json()["name"] == "Billing sync"
    assert made.json()["role"] == "staff"
    assert secret.startswith("wlk_")
    assert reads.status_code == 200
    assert creates.status_code == 403  # a staff key reads only
    [key] = listed.json()["keys"]
    assert "api_key" not in key
    assert secret not in listed.text
    assert key["last_used_at"] is not None
    assert key["created_by"] == white_label.admin_email
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert after.status_code == 401
    assert own_key.status_code == 200


async def test_only_administrators_see_make_or_revoke_keys(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    made = await api.post(
        "/v1/api-keys", json={"name": "CRM", "role": "administrator"}, headers=white_label.headers
    )
    answers = [
        await api.get("/v1/api-keys", headers=white_label.staff_headers),
        await api.post(
            "/v1/api-keys", json={"name": "x", "role": "staff"}, headers=white_label.staff_headers
        ),
        await api.post(
            f"/v1/api-keys/{made.json()['id']}/revoke", headers=white_label.staff_headers
        ),
    ]
    still = await api.get("/v1/customers", headers=_bearer(made.json()["api_key"]))

    assert [answer.status_code for answer in answers] == [403] * 3
    assert still.status_code == 200


async def test_another_white_label_cannot_see_or_revoke_a_key(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, sessions: SessionFactory
) -> None:
    other = await make_white_label(sessions)
    made = await api.post(
        "/v1/api-keys", json={"name": "CRM", "role": "staff"}, headers=white_label.headers
    )
    revoked = await api.post(f"/v1/api-keys/{made.json()['id']}/revoke", headers=other.headers)
    theirs = await api.get("/v1/api-keys", headers=other.headers)
    still = await api.get("/v1/customers", headers=_bearer(made.json()["api_key"]))

    assert revoked.status_code == 404
    assert theirs.json()["keys"] == []
    assert still.status_code == 200


async def test_a_key_needs_a_name_and_a_role(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    nameless = await api.post(
        "/v1/api-keys", json={"name": "   ", "role": "staff"}, headers=white_label.headers
    )
    roleless = await api.post("/v1/api-keys", json={"name": "CRM"}, headers=white_label.headers)

    assert nameless.status_code == 422
    assert nameless.json()["error"]["fields"][0]["path"] == "name"
    assert roleless.status_code == 422
    assert roleless.json()["error"]["fields"][0]["path"] == "role"
