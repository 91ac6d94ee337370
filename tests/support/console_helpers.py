"""Signing in to the console as a WL user does: ask for a link, take it from the email, use it."""

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from devstack.mailsink import MailSink
from tests.conftest import api_client
from tests.support.self_serve_helpers import mails_to, text_of

SIGN_IN_LINK = re.compile(
    r"https?://[^/\s]+(/console/sign-in/([0-9a-f-]{36}))\?token=([A-Za-z0-9._-]+)"
)
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class SignInLink:
    path: str
    sign_in_id: str
    token: str

    @property
    def path_and_query(self) -> str:
        return f"{self.path}?token={self.token}"


def form_token_in(html: str) -> str:
    match = FORM_TOKEN.search(html)
    assert match is not None, "no csrf_token in the page"
    return match.group(1)


async def ask_for_link(client: httpx.AsyncClient, email: str) -> httpx.Response:
    """Opens the sign-in page and asks for a link, as the browser's form does."""
    page = await client.get("/console/sign-in")
    assert page.status_code == 200, page.text
    return await client.post(
        "/console/sign-in", data={"email": email, "csrf_token": form_token_in(page.text)}
    )


async def sign_in_link(mail_sink: MailSink, email: str, count: int = 1) -> SignInLink:
    """The link in the first sign-in email among the mails to `email` from the `count`th on
    (other mails, such as a confirmation to the same administrator, may arrive between)."""
    await mails_to(mail_sink, email, count)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for message in mail_sink.to(email)[count - 1 :]:
            match = SIGN_IN_LINK.search(text_of(message))
            if match is not None:
                return SignInLink(
                    path=match.group(1), sign_in_id=match.group(2), token=match.group(3)
                )
        await asyncio.sleep(0.05)
    raise AssertionError(f"no sign-in link in the mails to {email}")


async def use_link(client: httpx.AsyncClient, link: SignInLink) -> httpx.Response:
    """Opens the link (GET) and presses Sign in (POST)."""
    page = await client.get(link.path_and_query)
    assert page.status_code == 200, page.text
    return await client.post(
        link.path, data={"token": link.token, "csrf_token": form_token_in(page.text)}
    )


@contextlib.asynccontextmanager
async def signed_in_client(
    api_url: str, mail_sink: MailSink, email: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client with a live console session of the user with this email."""
    async with api_client(api_url) as client:
        before = len(mail_sink.to(email))
        asked = await ask_for_link(client, email)
        assert asked.status_code == 200, asked.text
        link = await sign_in_link(mail_sink, email, before + 1)
        signed = await use_link(client, link)
        assert signed.status_code == 303, signed.text
        assert signed.headers["location"] == "/console/customers"
        yield client


def staff_email(admin_email: str) -> str:
    """The staff user tests.conftest.make_white_label adds beside the administrator."""
    return admin_email.replace("admin-", "staff-", 1)
