"""Telling the user plainly when a port is taken, before a server fails obscurely."""

import socket


class PortInUse(RuntimeError):
    pass


def ensure_free(host: str, port: int, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUse(
                f"port {port} on {host} is already in use: stop what holds it or set {setting}"
            ) from None
