"""The address rule of outbound webhooks, unit-tested: these addresses are only classified,
never connected to."""

import pytest

from domain.addresses import parse_host, refusal_of


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ],
)
def test_numeric_host_spellings_are_read_as_the_addresses_they_are(
    spelling: str, address: str
) -> None:
    parsed = parse_host(spelling)
    assert parsed is not None
    assert str(parsed) == address


@pytest.mark.parametrize("name", ["hooks.example.com", "localhost", "deadbeef", "face.b00c"])
def test_a_name_is_not_mistaken_for_an_address(name: str) -> None:
    assert parse_host(name) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "not global"),
        ("100.127.255.254", "not global"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "private"),
        ("255.255.255.255", "private"),
        ("192.0.2.10", "private"),
        ("::ffff:127.0.0.1", "loopback (inside IPv6)"),
        ("::ffff:169.254.169.254", "link-local (inside IPv6)"),
        ("::127.0.0.1", "loopback (inside IPv6)"),
        ("::10.0.0.1", "private (inside IPv6)"),
        ("64:ff9b::7f00:1", "loopback (inside IPv6)"),
        ("2002:7f00:1::", "loopback (inside IPv6)"),
        ("2002:a00:1::", "private (inside IPv6)"),
    ],
)
def test_every_address_that_is_not_public_unicast_is_refused(address: str, reason: str) -> None:
    parsed = parse_host(address)
    assert parsed is not None
    assert refusal_of(parsed) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700::6810:85e5"])
def test_a_public_unicast_address_is_allowed(address: str) -> None:
    parsed = parse_host(address)
    assert parsed is not None
    assert refusal_of(parsed) is None
