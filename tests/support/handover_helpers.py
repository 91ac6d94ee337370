"""The customer's side of a hand-over, and a WL-managed customer to hand over, for the tests."""

import re
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from devstack.mailsink import MailSink
from tests.conftest import WhiteLabelFixture, customer_request
from tests.support.self_serve_helpers import mails_to, text_of

INVITATION = re.compile(r"https?://[^\s\"<>]+/handover/([0-9a-f-]{36})\?token=([A-Za-z0-9._-]+)")


@dataclass(frozen=True)
class Invitation:
    customer_id: str
    token: str

    @property
    def path(self) -> str:
        return f"/handover/{self.customer_id}"


def invitation_in(message: EmailMessage) -> Invitation:
    match = INVITATION.search(text_of(message))
    assert match is not None, "no invitation link in the email"
    return Invitation(customer_id=match.group(1), token=match.group(2))


async def invitations_to(mail_sink: MailSink, address: str, count: int) -> list[Invitation]:
    mails = await mails_to(mail_sink, address, count)
    return [invitation_in(mail) for mail in mails if "/handover/" in text_of(mail)]


async def managed_customer(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> tuple[str, str]:
    """An active WL-managed customer: its id and its authorized contact's address."""
    body = customer_request(numbers={"count": 1})
    response = await api.post("/v1/customers", json=body, headers=white_label.headers)
    assert response.status_code == 201, response.text
    return response.json()["customer_id"], body["contact"]["email"]  # type: ignore[index]
