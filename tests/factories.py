"""Builders for Chainlit-shaped test data (StepDicts as Step/Message.to_dict make them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from chainlit.user import User

from graph_layer import Neo4jDataLayer

BASE = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)


def ts(seconds: float) -> str:
    """A Chainlit timestamp ``seconds`` after BASE (``…Z``, fraction omitted when zero)."""
    when = BASE + timedelta(seconds=seconds)
    text = when.replace(tzinfo=None).isoformat()
    return text + "Z"


def new_id() -> str:
    return str(uuid.uuid4())


def message(thread_id: str, at: float, *, kind: str = "user_message", output: str = "hi",
            parent_id: str | None = None, step_id: str | None = None,
            **extra: Any) -> dict[str, Any]:
    """A Message.to_dict snapshot."""
    created = ts(at)
    step = {
        "id": step_id or new_id(), "threadId": thread_id, "parentId": parent_id,
        "createdAt": created, "start": created, "end": created, "output": output,
        "name": "User" if kind == "user_message" else "Assistant", "type": kind,
        "language": None, "streaming": False, "isError": False, "waitForAnswer": False,
        "metadata": {}, "tags": None, "command": None, "modes": None,
    }
    step.update(extra)
    return step


def step(thread_id: str, at: float, *, kind: str = "tool", name: str = "search",
         parent_id: str | None = None, step_id: str | None = None,
         **extra: Any) -> dict[str, Any]:
    """A Step.to_dict snapshot."""
    step = {
        "id": step_id or new_id(), "threadId": thread_id, "parentId": parent_id,
        "name": name, "type": kind, "streaming": False, "metadata": {}, "tags": None,
        "input": "", "output": "", "isError": False, "createdAt": ts(at), "start": ts(at),
        "end": ts(at + 0.5), "language": None, "defaultOpen": False, "autoCollapse": False,
        "showInput": "json", "generation": None,
    }
    step.update(extra)
    return step


async def make_user(layer: Neo4jDataLayer, identifier: str = "alice") -> str:
    """Create a user; return its id."""
    user = await layer.create_user(User(identifier=identifier, metadata={"role": "user"}))
    assert user is not None
    return user.id


async def make_thread(layer: Neo4jDataLayer, user_id: str, name: str, at: float,
                      text: str | None = None) -> str:
    """A thread with one user message at ``at`` seconds; return its id."""
    thread_id = new_id()
    await layer.update_thread(thread_id, name=name, user_id=user_id)
    await layer.create_step(message(thread_id, at, output=text or name))
    return thread_id
