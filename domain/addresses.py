"""Which network addresses an outbound webhook may reach: public unicast ones only.

A white label chooses its webhook URL, and the worker connects to it from inside the
platform's network. Without this rule a URL could name the metadata service (169.254.169.254),
the database on a private address or the worker's own loopback, and the delivery list would
report what answered. Every address a name resolves to is checked, at registration and again
at each connection, in every spelling the resolver accepts: `127.1`, `0x7f000001`,
`2130706433` and `017700000001` are all 127.0.0.1, and `::ffff:127.0.0.1`, `::127.0.0.1`,
`64:ff9b::7f00:1` (NAT64) and `2002:7f00:1::` (6to4) carry it inside IPv6.
"""

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMERIC = re.compile(r"[0-9a-fA-FxX.]+")


def parse_host(host: str) -> IPAddress | None:
    """The address a URL's host names literally, in any spelling; None for a DNS name."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _NUMERIC.fullmatch(bare) and any(character.isdigit() for character in bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if (address in _IPV4_COMPATIBLE and int(address) > 1) or address in _NAT64:  # not :: or ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _why_not_public(address: IPAddress) -> str | None:
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not global"  # shared (CGNAT 100.64/10), documentation and other special ranges
    return None


def refusal_of(address: IPAddress) -> str | None:
    """Why the address is not public unicast (e.g. "loopback"), or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None and (why := _why_not_public(inner)) is not None:
            return f"{why} (inside IPv6)"
    return _why_not_public(address)
