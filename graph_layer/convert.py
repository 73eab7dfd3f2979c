"""Values in and out of Neo4j: strict JSON for maps, instants for timestamps.

Neo4j properties cannot be maps, so metadata, generation, props, playerConfig and modes are stored
as JSON strings. Only values JSON carries exactly are accepted: ``dict`` with ``str`` keys,
``list``, ``str``, ``bool``, ``None``, 64-bit ``int`` and finite ``float``. Anything else (NaN,
infinities, tuples, sets, bytes, dates, objects) is refused with InvalidInputError before anything
is written.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j.time import DateTime

from graph_layer.errors import InvalidInputError

_INT64 = (-(2**63), 2**63 - 1)
_MAX_DEPTH = 500


def check_json(value: Any, where: str, _depth: int = 0) -> None:
    """Raise InvalidInputError unless ``value`` round-trips exactly through JSON."""
    if _depth > _MAX_DEPTH:
        raise InvalidInputError(f"{where}: nested deeper than {_MAX_DEPTH} levels")
    if value is None or isinstance(value, (str, bool)):
        return
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise InvalidInputError(f"{where}: integer {value} does not fit 64 bits")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"{where}: {value!r} cannot be stored as JSON")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_json(item, f"{where}[{i}]", _depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInputError(f"{where}: key {key!r} is not a string")
            check_json(item, f"{where}.{key}", _depth + 1)
        return
    raise InvalidInputError(
        f"{where}: a {type(value).__name__} cannot be stored as JSON; pass dicts, lists, "
        "strings, numbers, booleans or None"
    )


def to_json(value: Any, where: str) -> str | None:
    """Serialise a JSON value (``None`` stays ``None``); refuse what JSON cannot carry."""
    if value is None:
        return None
    check_json(value, where)
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as err:
        raise InvalidInputError(f"{where}: {err}") from err


def from_json(text: str | None) -> Any:
    """Parse a stored JSON string (``None`` stays ``None``)."""
    return None if text is None else json.loads(text)


def parse_time(value: Any, where: str) -> datetime | None:
    """Parse a Chainlit timestamp leniently into an aware UTC datetime.

    Accepts ``…Z``, ``…+00:00``, with or without fraction, zone-less (taken as UTC) and datetimes.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as err:
            raise InvalidInputError(f"{where}: {value!r} is not an ISO-8601 timestamp") from err
    else:
        raise InvalidInputError(f"{where}: expected an ISO-8601 string, got {type(value).__name__}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _utc_string(text: str) -> str | None:
    """``toString()`` of a UTC datetime (``2026-04-24T12:50Z``, ``…:51.1Z``, ``…:51.123456789Z``)
    in the fixed form, by slicing; None for any other shape (an offset, a zone name)."""
    if len(text) < 17 or text[-1] != "Z" or text[10] != "T":
        return None
    clock, _, fraction = text[:-1].partition(".")
    if len(clock) == 16:  # Java omits zero seconds
        clock += ":00"
    if len(clock) != 19 or (fraction and not fraction.isdigit()):
        return None
    return f"{clock}.{(fraction + '000000')[:6]}Z"


def format_time(value: Any) -> str | None:
    """ISO-8601 UTC with microseconds and ``Z``, e.g. ``2026-04-24T12:50:51.123456Z``."""
    if value is None:
        return None
    if isinstance(value, str):  # toString(datetime) from a read query: cheaper than DateTime
        fast = _utc_string(value)
        if fast is not None:
            return fast
        value = datetime.fromisoformat(value.split("[", 1)[0])
    elif isinstance(value, DateTime):
        value = value.to_native()
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    return iso_utc(value)


_EPOCH = datetime(1970, 1, 1)


@functools.lru_cache(maxsize=4096)
def _minute_iso(minutes: int) -> str:
    return (_EPOCH + timedelta(minutes=minutes)).isoformat(timespec="minutes")


def micros_iso(micros: int | None) -> str | None:
    """A timestamp a read query returns as microseconds since the epoch (``t.epochMillis * 1000
    + t.microsecond % 1000``; ``epochSeconds`` would round toward zero before 1970) in
    ``iso_utc``'s fixed UTC form. An integer costs the server and the driver far less than
    ``toString()`` text; the steps of a thread share few minutes, so the date and time up to
    the minute are formatted once per minute."""
    if micros is None:
        return None
    minutes, micros = divmod(micros, 60_000_000)
    seconds, micros = divmod(micros, 1_000_000)
    return f"{_minute_iso(minutes)}:{seconds:02d}.{micros:06d}Z"


def utc_now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def iso_utc(value: datetime) -> str:
    """A timestamp as a write query's parameter: fixed-form UTC text (``…T12:50:51.123456Z``)
    that the query turns back into a DateTime with ``datetime()``. The driver packs a
    ``datetime`` parameter in pure Python (0.05-0.2 ms each here, four per step write); text
    costs next to nothing. The fixed form also sorts as the instants do. A naive value is
    taken as UTC, as ``parse_time`` takes zone-less text."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def require_id(value: Any, what: str) -> str:
    """A non-empty string id, or InvalidInputError."""
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{what} must be a non-empty string, got {value!r}")
    return value


def check_text(value: Any, where: str) -> str | None:
    """A string property (or None); refuse other types."""
    if value is None or isinstance(value, str):
        return value
    raise InvalidInputError(f"{where}: expected a string, got {type(value).__name__}")
