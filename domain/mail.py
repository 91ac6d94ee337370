"""Whose address a white label's email goes out from.

The platform's relay signs and sends every message, so a From address at someone else's domain
(`security@paypal.com`) would be the platform vouching for a forgery. A white label's own sender
address is used only at a domain the operator has verified for sending (SPF/DKIM set up for the
relay); otherwise the mail comes from the platform's address under the white label's name, and
replies still reach the white label through Reply-To.
"""

from collections.abc import Collection
from email.utils import parseaddr

UNVERIFIED_SENDER = (
    "the platform does not send mail from this domain (the operator has not verified it); "
    "leave it unset to send as your brand from the platform's address"
)


def domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2].lower()


def sender_verified(address: str, verified_domains: Collection[str]) -> bool:
    return domain_of(address) in {domain.lower() for domain in verified_domains}


def from_address(
    brand_address: str | None, platform: str, verified_domains: Collection[str]
) -> str:
    """The address a message's From carries: the brand's where its domain is verified."""
    if brand_address and sender_verified(brand_address, verified_domains):
        return brand_address
    return parseaddr(platform)[1]
