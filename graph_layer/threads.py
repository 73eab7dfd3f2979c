"""Validate ``update_thread`` arguments into the thread properties the graph stores."""

from __future__ import annotations

from typing import Any

from graph_layer.convert import check_text, to_json
from graph_layer.errors import InvalidInputError
from graph_layer.records import THREAD_METADATA_PREFIX


def thread_props(name: str | None, metadata: dict[str, Any] | None,
                 tags: list[str] | None) -> dict[str, Any]:
    """Name, tags and one JSON-valued ``metadata.<key>`` property per metadata key (a None value
    removes the key); None arguments leave what is stored. ``metadata["name"]`` names the thread
    when ``name`` is None, as Chainlit's SQL layers do."""
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInputError(f"thread metadata must be a dict, got {type(metadata)}")
    props: dict[str, Any] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not key or "\x00" in key:  # NUL: no property name
            raise InvalidInputError(
                f"thread metadata key {key!r} must be a non-empty string without NUL")
        props[THREAD_METADATA_PREFIX + key] = to_json(value, f"metadata.{key}")
    if name is None and metadata and isinstance(metadata.get("name"), str):
        name = metadata["name"]
    if check_text(name, "thread name") is not None:
        props["name"] = name
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise InvalidInputError(f"thread tags must be a list of strings, got {tags!r}")
        props["tags"] = tags
    return props
