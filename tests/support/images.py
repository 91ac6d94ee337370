"""Small real images for the tests that upload logos."""

import struct
import zlib


def png(width: int = 2, height: int = 1, colour: str = "#ff0000") -> bytes:
    """A real PNG image of one colour (`#rrggbb`)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixel = bytes.fromhex(colour.removeprefix("#"))
    pixels = b"".join(b"\x00" + pixel * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )
