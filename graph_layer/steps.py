"""Validate a StepDict snapshot into the parameters of ``cypher/step/upsert_step.cypher``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph_layer.convert import check_text, iso_utc, parse_time, require_id, to_json, utc_now
from graph_layer.errors import InvalidInputError

STEP_TYPES = frozenset({
    "run", "tool", "llm", "embedding", "retrieval", "rerank", "undefined",
    "user_message", "assistant_message", "system_message",
})
_TEXT = ("name", "parentId", "input", "output", "language", "command", "icon")
_FLAGS = ("isError", "streaming", "waitForAnswer", "defaultOpen", "autoCollapse")


def step_params(step: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Parameters for one upsert: non-empty values only, so nothing stored is overwritten with
    ``None`` or ``""``; flags and metadata come from this (latest) snapshot. An empty metadata
    dict counts as not provided: a racing ``create_step`` (``{}``) that lands after its
    ``update_step`` must not wipe the keys the update wrote. Likewise ``isError`` is only ever
    set to true (new steps start false): Chainlit marks a step failed on exit, and the
    ``create_step`` written on entry (``isError: false``) may land after that update.
    ``favorite`` is None unless the metadata has that key: the UI's user message carries
    ``{location}``, and its ``create_step`` landing after ``set_step_favorite`` must not
    unfavorite it (the stored ``favorite`` wins over metadata without the key on reads).
    Timestamps (``createdAt``, ``start``, ``end``, ``now``) go as ``iso_utc`` text."""
    if not isinstance(step, dict):
        raise InvalidInputError(f"a step must be a dict (StepDict), got {type(step).__name__}")
    now = now or utc_now()
    step_id = require_id(step.get("id"), "step id")
    thread_id = require_id(step.get("threadId"), f"threadId of step {step_id}")
    props: dict[str, Any] = {}
    for key in _TEXT:
        value = check_text(step.get(key), f"step.{key}")
        if value:
            props[key] = value
    for key in _FLAGS:
        value = step.get(key)
        if value is not None:
            if not isinstance(value, bool):
                raise InvalidInputError(f"step.{key} must be a boolean, got {value!r}")
            if key != "isError" or value:  # an error is sticky: see the docstring
                props[key] = value
    show_input = step.get("showInput")
    if show_input is not None:
        if not isinstance(show_input, (bool, str)):
            raise InvalidInputError(f"step.showInput must be a bool or str, got {show_input!r}")
        props["showInput"] = show_input
    end = parse_time(step.get("end"), "step.end")
    tags = step.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise InvalidInputError(f"step.tags must be a list of strings, got {tags!r}")
        props["tags"] = tags
    for key in ("generation", "modes"):
        encoded = to_json(step.get(key), f"step.{key}")
        if encoded is not None:
            props[key] = encoded
    props.update(generation_props(step.get("generation")))
    step_type = step.get("type")
    if step_type is not None and step_type not in STEP_TYPES:
        raise InvalidInputError(f"step.type {step_type!r} is not one of {sorted(STEP_TYPES)}")
    metadata = step.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInputError(f"step.metadata must be a dict, got {type(metadata).__name__}")
    parent_id = props.get("parentId")
    return {
        "threadId": thread_id,
        "stepId": step_id,
        "props": props,
        "type": step_type,
        "createdAt": iso_utc(parse_time(step.get("createdAt"), "step.createdAt") or now),
        "start": _iso(parse_time(step.get("start"), "step.start")),
        "end": _iso(end),
        "metadata": to_json(metadata or None, "step.metadata"),
        "favorite": metadata.get("favorite") is True if metadata and "favorite" in metadata
        else None,
        "parentId": parent_id if parent_id != step_id else None,
        "now": iso_utc(now),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


# Generation token counts copied onto the Step node (Cypher cannot read JSON), with ``model``:
# analytics group by model and sum tokens without parsing ``generation``.
_TOKEN_FIELDS = (("inputTokenCount", "promptTokens"), ("outputTokenCount", "completionTokens"))


def generation_props(generation: Any) -> dict[str, Any]:
    """``model``, ``promptTokens`` and ``completionTokens`` from a Chainlit generation dict
    (``inputTokenCount``/``outputTokenCount``, as Chainlit's generations serialise them; only
    the well-typed ones present)."""
    if not isinstance(generation, dict):
        return {}
    model = generation.get("model")
    props: dict[str, Any] = {"model": model} if isinstance(model, str) and model else {}
    for key, prop in _TOKEN_FIELDS:
        value = generation.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            props[prop] = value
    return props
