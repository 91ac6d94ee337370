"""The console's audit trail: the white label's own rows, newest first, filtered."""

import re

import httpx
import pytest

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, customer_request, make_white_label
from tests.support.console_helpers import signed_in_client, staff_email

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROW = re.compile(r"<tr>\s*<td data-label=\"When\">.*?</tr>", re.DOTALL)


def rows(html: str) -> list[str]:
    return ROW.findall(html)


async def test_the_trail_is_filtered_by_customer_actor_and_kind_and_holds_only_this_wl(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
) -> None:
    other = await make_white_label(sessions)
    theirs = await api.post("/v1/customers", json=customer_request(), headers=other.headers)
    created = []
    for _ in range(2):
        answer = await api.post(
            "/v1/customers", json=customer_request(), headers=white_label.headers
        )
        assert answer.status_code == 201, answer.text
        created.append(answer.json())
    first = created[0]["customer_id"]
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        everything = await console.get("/console/audit")
        one_customer = await console.get("/console/audit", params={"customer": first})
        by_kind = await console.get("/console/audit", params={"action": "customer.created"})
        by_workflow = await console.get("/console/audit", params={"actor": "system:workflow"})
        bad_id = await console.get("/console/audit", params={"customer": "not-an-id"})

    assert everything.status_code == 200
    assert theirs.json()["customer_id"] not in everything.text
    assert "console.signed_in" in everything.text
    assert rows(one_customer.text)
    assert all(f"/console/customers/{first}" in row for row in rows(one_customer.text))
    assert len(rows(by_kind.text)) == 2
    assert all(f"You ({white_label.admin_email})" in row for row in rows(by_kind.text))
    # Newest first: the second customer's creation is the first row.
    assert created[1]["customer_id"] in rows(by_kind.text)[0]
    assert rows(by_workflow.text)
    assert all("A workflow" in row for row in rows(by_workflow.text))
    assert 'aria-invalid="true"' in bad_id.text
    assert rows(bad_id.text) == []


async def test_staff_read_the_trail_too(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(
        api_url, mail_sink, staff_email(white_label.admin_email)
    ) as console:
        page = await console.get("/console/audit")

    assert page.status_code == 200
    assert "console.signed_in" in page.text


async def test_the_apis_trail_takes_the_same_actor_and_action_filters(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    answer = await api.post("/v1/customers", json=customer_request(), headers=white_label.headers)
    assert answer.status_code == 201, answer.text

    by_action = await api.get(
        "/v1/audit", params={"action": "wl_ledger.debited"}, headers=white_label.headers
    )
    by_actor = await api.get(
        "/v1/audit",
        params={"actor": f"wl_user:{white_label.admin_user_id}"},
        headers=white_label.headers,
    )

    assert [event["action"] for event in by_action.json()["events"]] == ["wl_ledger.debited"]
    assert by_actor.json()["events"]
    assert {event["actor"] for event in by_actor.json()["events"]} == {
        f"wl_user:{white_label.admin_user_id}"
    }
