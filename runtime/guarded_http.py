"""An HTTP client that connects only to the addresses `domain.addresses` allows.

The check runs where the connection is made: the host is resolved here, every address it
resolves to is checked, and the socket is opened to a checked address (TLS still verifies the
certificate for the host's name). A name that resolved to a public address at registration
and to 10.0.0.5 at delivery time (DNS rebinding) is refused at delivery time.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from domain.addresses import IPAddress, parse_host, refusal_of

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
"""Answers the addresses a host name resolves to (the tests give one that answers chosen
addresses, so that no test ever connects anywhere but loopback)."""


class TargetNotAllowed(Exception):
    """The host names, or resolves to, an address that is not public unicast."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    answers = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    found: list[IPAddress] = []
    for *_, address in answers:
        ip = ipaddress.ip_address(str(address[0]).partition("%")[0])
        if ip not in found:
            found.append(ip)
    return found


async def allowed_addresses(
    host: str, port: int, resolver: Resolver, allow_private: bool
) -> list[IPAddress]:
    """The addresses to connect to for `host`; refuses if any of them is not public unicast
    (one private answer among public ones is still a way in)."""
    literal = parse_host(host)
    addresses = [literal] if literal is not None else await resolver(host, port)
    if not addresses:
        raise TargetNotAllowed(host, "no address")
    if not allow_private:
        for address in addresses:
            if (reason := refusal_of(address)) is not None:
                raise TargetNotAllowed(host, reason)
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, resolver: Resolver, allow_private: bool) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):  # the lookup is part of connecting
                addresses = await allowed_addresses(host, port, self._resolver, self._allow_private)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"{host}: no answer from the resolver") from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetNotAllowed(path, "not a TCP address")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, resolver: Resolver, allow_private: bool) -> None:
        # trust_env=False: a proxy from the environment would make the connection for us,
        # unchecked.
        super().__init__(trust_env=False)
        # httpx builds its connection pool without a way to pass a network backend; the pool
        # is rebuilt with the same TLS context and the guarded backend (pinned versions).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=self._pool._ssl_context,
            network_backend=_GuardedBackend(resolver, allow_private),
        )


def guarded_client(
    timeout: float, resolver: Resolver = system_resolver, allow_private: bool = False
) -> httpx.AsyncClient:
    """An HTTP client for URLs a white label chose: redirects are not followed (a redirect
    is a new target, unchecked by the registration)."""
    return httpx.AsyncClient(
        timeout=timeout,
        transport=_GuardedTransport(resolver, allow_private),
        follow_redirects=False,
        trust_env=False,
    )


async def target_refusal(url: str, resolver: Resolver, allow_private: bool) -> str | None:
    """Why a webhook URL cannot be registered, or None. With private targets allowed
    (development and tests) nothing is looked up: every target is allowed anyway."""
    parsed = httpx.URL(url)
    if allow_private:
        return None
    if parsed.scheme != "https":
        return "must be https"
    try:
        await allowed_addresses(parsed.host, parsed.port or 443, resolver, allow_private)
    except TargetNotAllowed as refused:
        return f"the target address is not allowed ({refused.reason})"
    except OSError:
        return None  # does not resolve yet: every delivery checks the address again
    return None
