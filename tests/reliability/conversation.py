"""Chainlit-shaped conversations as lists of recorded layer writes, and what they must leave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chainlit.types import Feedback

from graph_layer import Neo4jDataLayer
from tests.factories import message, new_id, step, ts


@dataclass(frozen=True)
class Write:
    """One data-layer call: method name and arguments (replayable)."""

    method: str
    args: tuple[Any, ...]
    key: str = ""  # what it writes: step/element/feedback/metadata id

    async def apply(self, layer: Neo4jDataLayer) -> Any:
        return await getattr(layer, self.method)(*self.args)


@dataclass
class Expected:
    """What a set of conversations must leave in the graph."""

    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> final snapshot
    elements: dict[str, str] = field(default_factory=dict)  # id -> threadId
    feedback: dict[str, int] = field(default_factory=dict)  # step id -> value
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)  # thread -> keys
    parents: int = 0


def turn(thread_id: str, i: int, expected: Expected, tag: str = "") -> list[Write]:
    """The writes Chainlit fires for one turn: user message, on_message run, a tool step, an
    answer (sent empty then updated), a file element and a metadata merge."""
    at = 10.0 * i
    user = message(thread_id, at, output=f"question {tag}{i} ✓ سؤال")
    run = step(thread_id, at + 0.1, kind="run", name="on_message", parent_id=user["id"],
               end=None, output="")
    tool = step(thread_id, at + 0.2, kind="tool", name="search", parent_id=run["id"],
                end=None)
    answer = message(thread_id, at + 0.6, kind="assistant_message", output="",
                     parent_id=run["id"])
    tool_done = {**tool, "end": ts(at + 0.5), "input": f"q{i}", "output": f"result {i}",
                 "metadata": {"tool": i, "ok": True}}
    answer_done = {**answer, "output": f"answer {tag}{i} 🚀", "metadata": {"turn": i}}
    run_done = {**run, "end": ts(at + 1.0), "output": f"run {i}", "metadata": {"run": i}}
    element_id = new_id()
    element = {"id": element_id, "threadId": thread_id, "forId": answer["id"], "type": "file",
               "name": f"notes-{i}.txt", "display": "inline", "mime": "text/plain",
               "content": f"file {tag}{i}".encode()}
    for snap in (user, tool_done, answer_done, run_done):
        expected.steps[snap["id"]] = snap
    expected.elements[element_id] = thread_id
    expected.metadata.setdefault(thread_id, {})[f"turn{i}"] = {"n": i, "tag": tag}
    expected.parents += 3
    return [
        Write("create_step", (user,), user["id"]),
        Write("create_step", (run,), run["id"]),
        Write("create_step", (tool,), tool["id"]),
        Write("update_step", (tool_done,), tool["id"]),
        Write("create_step", (answer,), answer["id"]),
        Write("update_step", (answer_done,), answer["id"]),
        Write("update_step", (run_done,), run["id"]),
        Write("create_element", (element,), element_id),
        Write("update_thread", (thread_id, None, None, {f"turn{i}": {"n": i, "tag": tag}}),
              f"turn{i}"),
    ]


def feedback(thread_id: str, run_id: str, value: int, expected: Expected) -> Write:
    """The thumbs-up/down on a turn's run step."""
    expected.feedback[run_id] = value
    return Write("upsert_feedback",
                 (Feedback(forId=run_id, value=value, threadId=thread_id, comment=f"c{value}"),),
                 run_id)


def run_id_of(writes: list[Write]) -> str:
    """The on_message run step of a turn."""
    return next(w.key for w in writes if w.args and isinstance(w.args[0], dict)
                and w.args[0].get("type") == "run")
