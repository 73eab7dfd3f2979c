"""Opaque keyset cursors for list_threads: (last activity, thread id) of the last row shown."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from graph_layer.convert import format_time, parse_time
from graph_layer.errors import InvalidInputError

# Start of a listing: after every real thread.
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


def encode(last_activity: Any, thread_id: str) -> str:
    """The cursor after a row."""
    raw = json.dumps([format_time(last_activity), thread_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode(cursor: str | None) -> tuple[datetime, str]:
    """(cursorTime, cursorId) for the query; the start of the listing for no cursor."""
    if not cursor:
        return FAR_FUTURE, ""
    try:
        when, thread_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        parsed = parse_time(when, "cursor")
    except (ValueError, TypeError, binascii.Error, InvalidInputError) as err:
        raise InvalidInputError(f"not a cursor from list_threads: {cursor!r}") from err
    if parsed is None or not isinstance(thread_id, str):
        raise InvalidInputError(f"not a cursor from list_threads: {cursor!r}")
    return parsed, thread_id
