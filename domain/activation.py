"""Emailed links (activation, hand-over invitation, console sign-in): an HMAC, never stored.

The token is an HMAC of the link's purpose, the customer id and the link version, recomputed
from `ACTIVATION_SECRET` whenever it is needed, so it never enters Temporal history, the
database or a log line, and a retried email activity sends the same link. The version travels
in the clear in front of the MAC so the page knows which version to verify; the workflow
decides whether that version is still the current one. The purpose is inside the MAC, so an
activation token opens no invitation and the other way round.
"""

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

# Activation links count versions 1, 2, 3...; invitation links use the milliseconds of when
# they were sent, so a new round of invitations never repeats an earlier round's version.
_TOKEN = re.compile(r"^v([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{43})$")


class LinkPurpose(StrEnum):
    ACTIVATION = "activate"
    HANDOVER = "handover"
    CONSOLE_SIGN_IN = "console/sign-in"


def _mac(secret: bytes, customer_id: uuid.UUID, link_version: int, purpose: LinkPurpose) -> str:
    # Activation links keep the message they always had, so links already sent still work.
    message = f"{customer_id}:{link_version}"
    if purpose is not LinkPurpose.ACTIVATION:
        message = f"{purpose.value}:{message}"
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def activation_token(
    secret: bytes,
    customer_id: uuid.UUID,
    link_version: int,
    purpose: LinkPurpose = LinkPurpose.ACTIVATION,
) -> str:
    return f"v{link_version}.{_mac(secret, customer_id, link_version, purpose)}"


def activation_link(
    public_base_url: str,
    secret: bytes,
    customer_id: uuid.UUID,
    link_version: int,
    purpose: LinkPurpose = LinkPurpose.ACTIVATION,
) -> str:
    token = activation_token(secret, customer_id, link_version, purpose)
    return f"{public_base_url.rstrip('/')}/{purpose.value}/{customer_id}?token={token}"


@dataclass(frozen=True)
class VerifiedLink:
    customer_id: uuid.UUID
    link_version: int


def verify_token(
    secret: bytes,
    customer_id: uuid.UUID,
    token: str,
    purpose: LinkPurpose = LinkPurpose.ACTIVATION,
) -> VerifiedLink | None:
    """The link's version if the MAC is right (compared in constant time), else None."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    version = int(match.group(1))
    expected = _mac(secret, customer_id, version, purpose)
    if not hmac.compare_digest(expected.encode(), match.group(2).encode()):
        return None
    return VerifiedLink(customer_id=customer_id, link_version=version)
