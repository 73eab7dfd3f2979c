"""Map Neo4j property maps to the dicts Chainlit reads (StepDict, ElementDict, ThreadDict).

Everything returned is plain JSON: timestamps become ISO-8601 UTC strings with ``Z`` and the JSON
strings stored for maps become dicts again.
"""

from __future__ import annotations

from typing import Any

from graph_layer.convert import format_time, from_json

THREAD_METADATA_PREFIX = "metadata."

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


def step_dict(props: dict[str, Any], feedback: dict[str, Any] | None = None) -> dict[str, Any]:
    """A StepDict from a Step node's properties (and its feedback, when it has one).

    Written out key by key: a resume maps thousands of steps, and this is its hot loop. A step's
    ``start`` (and often ``end``) usually equals its ``createdAt``: formatted once."""
    get = props.get
    created_raw, start_raw, end_raw = get("createdAt"), get("start"), get("end")
    created = format_time(created_raw)
    start = created if start_raw == created_raw else format_time(start_raw)
    end = start if end_raw is not None and end_raw == start_raw else format_time(end_raw)
    step: dict[str, Any] = {
        "id": props["id"], "name": get("name"), "type": get("type"),
        "threadId": get("threadId"), "parentId": get("parentId"),
        "input": get("input") or "", "output": get("output") or "",
        "language": get("language"), "command": get("command"), "icon": get("icon"),
        "isError": get("isError"), "streaming": bool(get("streaming", False)),
        "waitForAnswer": get("waitForAnswer"), "defaultOpen": get("defaultOpen"),
        "autoCollapse": get("autoCollapse"), "showInput": get("showInput"),
        "createdAt": created, "start": start, "end": end,
        "generation": from_json(get("generation")), "modes": from_json(get("modes")),
        "metadata": from_json(get("metadata")) or {}, "tags": get("tags"),
    }
    if get("favorite") is True:  # set apart from metadata: see steps.step_params
        step["metadata"]["favorite"] = True
    if feedback:
        step["feedback"] = feedback_dict(feedback)
    return step


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
