"""A bare Bolt 5.0 client over asyncio streams: a measuring stick, not a driver.

It sends one auto-commit query (RUN and PULL, as ``Executor.auto_commit`` does through the
driver) and reads the replies without decoding the records, so a call's time is the server's
work, the commit and the wire, with almost nothing of Python's. ``benchmarks.driver_split``
sets it beside the official driver to show what the driver adds. Plain ``bolt://`` to one
server only (no TLS, no routing, no retries); the layer never uses it.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any
from urllib.parse import urlsplit

_MAGIC = b"\x60\x60\xb0\x17"
_BOLT_5_0 = b"\x00\x00\x00\x05"
_HELLO, _RESET, _RUN, _PULL = 0x01, 0x0F, 0x10, 0x3F
_SUCCESS, _IGNORED, _FAILURE = 0x70, 0x7E, 0x7F
_MAX_CHUNK = 0xFFFF


def pack(value: Any) -> bytes:
    """PackStream of the parameter types the layer's queries take (no structures)."""
    if value is None:
        return b"\xc0"
    if isinstance(value, bool):
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, int):
        tiny = -16 <= value < 128
        return struct.pack(">b", value) if tiny else b"\xcb" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"\xc1" + struct.pack(">d", value)
    if isinstance(value, str):
        return _sized(len(data := value.encode()), 0x80, 0xD0) + data
    if isinstance(value, (list, tuple)):
        return _sized(len(value), 0x90, 0xD4) + b"".join(pack(item) for item in value)
    if isinstance(value, dict):
        return _sized(len(value), 0xA0, 0xD8) + b"".join(
            pack(key) + pack(item) for key, item in value.items())
    raise TypeError(f"raw_bolt cannot pack {type(value).__name__}")


def _sized(size: int, tiny: int, marker: int) -> bytes:
    """A tiny marker (size < 16), else the 8, 16 or 32-bit size marker (marker, +1, +2)."""
    if size < 16:
        return bytes([tiny | size])
    for step, fmt in enumerate((">B", ">H", ">I")):
        if size < 1 << (8 << step):
            return bytes([marker + step]) + struct.pack(fmt, size)
    raise ValueError(f"raw_bolt cannot pack a size of {size}")


def message(signature: int, *fields: Any) -> bytes:
    """One Bolt message, chunked."""
    body = bytes([0xB0 | len(fields), signature]) + b"".join(pack(f) for f in fields)
    chunks = (body[i:i + _MAX_CHUNK] for i in range(0, len(body), _MAX_CHUNK))
    return b"".join(struct.pack(">H", len(c)) + c for c in chunks) + b"\x00\x00"


class RawBolt:
    """One connection to one database; ``run`` is one auto-commit query (not safe for
    concurrent calls). A failed query raises, and the connection is reset for the next one."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 database: str) -> None:
        self.reader, self.writer, self.database = reader, writer, database

    @classmethod
    async def connect(cls, uri: str, auth: tuple[str, str], database: str) -> RawBolt:
        """Connect to a plain ``bolt://`` URI and log in; queries go to ``database``."""
        parts = urlsplit(uri)
        if parts.scheme != "bolt":
            raise ValueError(f"raw_bolt speaks plain bolt:// only, not {uri}")
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 7687)
        writer.write(_MAGIC + _BOLT_5_0 + bytes(12))
        if (agreed := await reader.readexactly(4)) != _BOLT_5_0:
            writer.close()
            raise ConnectionError(f"the server refused Bolt 5.0 (answered {agreed.hex()})")
        conn = cls(reader, writer, database)
        writer.write(message(_HELLO, {"user_agent": "graph-layer-raw-bolt/1", "scheme": "basic",
                                      "principal": auth[0], "credentials": auth[1]}))
        if failure := await conn._summaries(1):
            await conn.close()
            raise ConnectionError(f"raw_bolt: the server refused the login: {failure!r}")
        return conn

    async def run(self, query: str, params: dict[str, Any], read: bool = False) -> None:
        """RUN and PULL all; returns when the server has sent the last record and committed."""
        extra = {"db": self.database, **({"mode": "r"} if read else {})}
        self.writer.write(message(_RUN, query, params, extra) + message(_PULL, {"n": -1}))
        if failure := await self._summaries(2):
            self.writer.write(message(_RESET))  # out of the FAILED state for the next query
            await self._summaries(1)
            raise RuntimeError(f"raw_bolt: the server failed the query: {failure!r}")

    async def _summaries(self, count: int) -> bytes | None:
        """Read messages (records unread) until ``count`` summaries (SUCCESS, FAILURE or
        IGNORED); return the first FAILURE's fields, if any."""
        failure = None
        while count:
            body = b""
            while size := struct.unpack(">H", await self.reader.readexactly(2))[0]:
                body += await self.reader.readexactly(size)
            if not body:
                continue  # a NOOP chunk
            if body[1] in (_SUCCESS, _IGNORED, _FAILURE):
                count -= 1
                if body[1] == _FAILURE and failure is None:
                    failure = body[2:]
        return failure

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()
