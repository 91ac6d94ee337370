"""Activation links: an HMAC of the customer id and link version, never stored anywhere.

The token is recomputed from `ACTIVATION_SECRET` whenever it is needed, so it never enters
Temporal history, the database or a log line, and a retried email activity sends the same
link. The version travels in the clear in front of the MAC so the page knows which version to
verify; the workflow decides whether that version is still the current one.
"""

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

_TOKEN = re.compile(r"^v([1-9][0-9]{0,5})\.([A-Za-z0-9_-]{43})$")


def _mac(secret: bytes, customer_id: uuid.UUID, link_version: int) -> str:
    digest = hmac.new(secret, f"{customer_id}:{link_version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def activation_token(secret: bytes, customer_id: uuid.UUID, link_version: int) -> str:
    return f"v{link_version}.{_mac(secret, customer_id, link_version)}"


def activation_link(
    public_base_url: str, secret: bytes, customer_id: uuid.UUID, link_version: int
) -> str:
    token = activation_token(secret, customer_id, link_version)
    return f"{public_base_url.rstrip('/')}/activate/{customer_id}?token={token}"


@dataclass(frozen=True)
class VerifiedLink:
    customer_id: uuid.UUID
    link_version: int


def verify_token(secret: bytes, customer_id: uuid.UUID, token: str) -> VerifiedLink | None:
    """The link's version if the MAC is right (compared in constant time), else None."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    version = int(match.group(1))
    expected = _mac(secret, customer_id, version)
    if not hmac.compare_digest(expected.encode(), match.group(2).encode()):
        return None
    return VerifiedLink(customer_id=customer_id, link_version=version)
