"""Map Neo4j property maps to the dicts Chainlit reads (StepDict, ElementDict, ThreadDict).

Everything returned is plain JSON: timestamps become ISO-8601 UTC strings with ``Z`` and the JSON
strings stored for maps become dicts again.
"""

from __future__ import annotations

from typing import Any

from graph_layer.convert import format_time, from_json, micros_iso

THREAD_METADATA_PREFIX = "metadata."

# A step as the read queries return it (``thread/get_thread``, ``step/get_favorite_steps``): one
# list of values in this order, not a map. Read from ``properties(s)`` once, with no key names to
# send and decode, and timestamps as epoch microseconds (``convert.micros_iso``), it costs the
# server and the driver about half what ``s {.*, createdAt: toString(...)}`` maps did.
STEP_COLUMNS = (
    "id", "name", "type", "threadId", "parentId", "input", "output", "language", "command",
    "icon", "isError", "streaming", "waitForAnswer", "defaultOpen", "autoCollapse", "showInput",
    "generation", "modes", "metadata", "tags", "favorite", "createdAt", "start", "end",
    "feedback",
)

ELEMENT_FIELDS = ("type", "name", "display", "size", "language", "page", "mime", "url",
                  "objectKey", "chainlitKey", "forId", "autoPlay", "threadId")
ELEMENT_JSON_FIELDS = ("props", "playerConfig")


def feedback_dict(props: dict[str, Any] | None) -> dict[str, Any] | None:
    """A FeedbackDict from a Feedback node's properties."""
    if not props:
        return None
    return {
        "id": props["id"],
        "forId": props.get("forId"),
        "threadId": props.get("threadId"),
        "value": props.get("value"),
        "comment": props.get("comment"),
    }


def step_from_columns(columns: list[Any]) -> dict[str, Any]:
    """A StepDict from a step's values in ``STEP_COLUMNS`` order (feedback last, or None).

    Written out name by name: a resume maps thousands of steps, and this is its hot loop. A
    step's ``start`` (and often ``end``) usually equals its ``createdAt``: formatted once."""
    (step_id, name, kind, thread_id, parent_id, input_, output, language, command, icon,
     is_error, streaming, wait_for_answer, default_open, auto_collapse, show_input, generation,
     modes, metadata, tags, favorite, created_us, start_us, end_us, feedback) = columns
    created = micros_iso(created_us)
    start = created if start_us == created_us else micros_iso(start_us)
    end = start if end_us is not None and end_us == start_us else micros_iso(end_us)
    step: dict[str, Any] = {
        "id": step_id, "name": name, "type": kind, "threadId": thread_id, "parentId": parent_id,
        "input": input_ or "", "output": output or "", "language": language,
        "command": command, "icon": icon, "isError": is_error, "streaming": bool(streaming),
        "waitForAnswer": wait_for_answer, "defaultOpen": default_open,
        "autoCollapse": auto_collapse, "showInput": show_input, "createdAt": created,
        "start": start, "end": end, "generation": from_json(generation),
        "modes": from_json(modes), "metadata": from_json(metadata) or {}, "tags": tags,
    }
    if favorite is True:  # set apart from metadata: see steps.step_params
        step["metadata"]["favorite"] = True
    if feedback:
        step["feedback"] = feedback_dict(feedback)
    return step


def thread_part(row: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A row of ``thread/get_thread`` and its steps as StepDicts (``Executor.run_mapped``
    maps each row so as it arrives)."""
    return row, [step_from_columns(columns) for columns in row["steps"]]


def element_dict(props: dict[str, Any], url: str | None) -> dict[str, Any]:
    """An ElementDict from an Element node's properties, with a freshly resolved ``url``."""
    element: dict[str, Any] = {"id": props["id"]}
    for key in ELEMENT_FIELDS:
        element[key] = props.get(key)
    for key in ELEMENT_JSON_FIELDS:
        element[key] = from_json(props.get(key))
    element["url"] = url
    return element


def thread_metadata(props: dict[str, Any]) -> dict[str, Any]:
    """The metadata dict of a thread, stored as one JSON-valued property per key."""
    n = len(THREAD_METADATA_PREFIX)
    return {
        key[n:]: from_json(value)
        for key, value in props.items()
        if key.startswith(THREAD_METADATA_PREFIX)
    }


def thread_dict(
    props: dict[str, Any],
    user_id: str | None,
    user_identifier: str | None,
    *,
    created_at_key: str = "createdAt",
) -> dict[str, Any]:
    """A ThreadDict without steps/elements; ``created_at_key`` picks the timestamp shown."""
    return {
        "id": props["id"],
        "createdAt": format_time(props.get(created_at_key)),
        "name": props.get("name"),
        "userId": user_id,
        "userIdentifier": user_identifier,
        "tags": props.get("tags"),
        "metadata": thread_metadata(props),
        "steps": [],
        "elements": [],
    }


def order_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps by createdAt ascending, each parent before its children (the UI drops orphans)."""
    by_id = {s["id"]: s for s in steps}
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()
    for step in sorted(steps, key=lambda s: (s["createdAt"] or "", s["id"])):
        step_id, parent = step["id"], step.get("parentId")
        if step_id in seen:
            continue
        if not parent or parent in seen or parent not in by_id:  # the common case: in order
            seen.add(step_id)
            ordered.append(step)
            continue
        chain: list[dict[str, Any]] = []
        node: dict[str, Any] | None = step
        while node is not None and node["id"] not in seen:
            seen.add(node["id"])
            chain.append(node)
            node = by_id.get(node.get("parentId") or "")
        ordered.extend(reversed(chain))
    return ordered
