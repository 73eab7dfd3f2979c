"""The rows of the group-committed writes (``// batch:`` query files), built and checked in one
place for the layer's calls and for planning ahead (``plan_ahead``). Steps have theirs in
``steps.step_params``."""

from __future__ import annotations

import uuid
from typing import Any

from chainlit.types import Feedback
from chainlit.user import User

from graph_layer.convert import check_text, iso_utc, require_id, to_json, utc_now
from graph_layer.elements import ElementWrite
from graph_layer.errors import InvalidInputError
from graph_layer.threads import thread_props

Row = dict[str, Any]


def now() -> str:
    """The current instant as a write query's ``$now`` (ISO text: see ``convert.iso_utc``)."""
    return iso_utc(utc_now())


def user_row(user: User) -> Row:
    """``user/upsert_user``'s row: a new id in case the identifier is new."""
    return {
        "identifier": require_id(user.identifier, "user identifier"),
        "newId": str(uuid.uuid4()),
        "now": now(),
        "metadata": to_json(user.metadata or {}, "user.metadata"),
        "displayName": check_text(user.display_name, "user.display_name"),
    }


def thread_row(thread_id: str, user_id: str | None, name: str | None,
               metadata: dict[str, Any] | None, tags: list[str] | None) -> Row:
    """``thread/update_thread``'s row: the id, the name, metadata and tags (as
    ``threads.thread_props``), then the owner's id, checked in that order."""
    require_id(thread_id, "thread_id")
    props = thread_props(name, metadata, tags)
    if user_id is not None:
        require_id(user_id, "user_id")
    return {"threadId": thread_id, "userId": user_id, "props": props, "now": now()}


def element_row(write: ElementWrite) -> Row:
    """``element/upsert_element``'s row (``write`` from ``elements.normalise``)."""
    return {"threadId": write.thread_id, "elementId": write.element_id, "forId": write.for_id,
            "props": write.props, "now": now()}


def feedback_row(feedback: Feedback) -> Row:
    """``feedback/upsert_feedback``'s row: a new id in case the step has no feedback yet."""
    for_id = require_id(feedback.forId, "feedback.forId")
    if feedback.value not in (0, 1) or isinstance(feedback.value, bool):
        raise InvalidInputError(f"feedback.value must be 0 or 1, got {feedback.value!r}")
    return {"forId": for_id, "feedbackId": feedback.id or None, "newId": str(uuid.uuid4()),
            "value": feedback.value, "comment": check_text(feedback.comment, "feedback.comment"),
            "now": now()}
