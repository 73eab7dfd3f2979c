"""Independent computations in plain Python over the specs that were written (the known truth)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from graph_layer.convert import parse_time
from graph_layer.seed import ThreadSpec

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def at(step: dict[str, Any], key: str = "createdAt") -> datetime:
    value = parse_time(step[key], key)
    assert value is not None
    return value


def millis(step: dict[str, Any]) -> int:
    """end - start in whole milliseconds, as Neo4j's epochMillis difference."""
    return (at(step, "end") - EPOCH) // timedelta(milliseconds=1) - (
        at(step, "start") - EPOCH) // timedelta(milliseconds=1)


def messages(specs: list[ThreadSpec]) -> Iterator[tuple[ThreadSpec, dict[str, Any]]]:
    for spec in specs:
        for step in spec.steps:
            if step["type"] == "user_message":
                yield spec, step


def activity(specs: list[ThreadSpec]) -> dict[date, dict[str, int]]:
    thread_start = {s.id: min(at(m) for sp, m in messages([s])) for s in specs}
    user_start: dict[str, datetime] = {}
    for spec in specs:
        first = thread_start[spec.id]
        who = spec.user.identifier
        user_start[who] = min(user_start.get(who, first), first)
    rows: dict[date, dict[str, Any]] = defaultdict(
        lambda: {"messages": 0, "threads": set(), "new_threads": set(), "users": set(),
                 "new_users": set()})
    for spec, msg in messages(specs):
        day = at(msg).date()
        row = rows[day]
        row["messages"] += 1
        row["threads"].add(spec.id)
        row["users"].add(spec.user.identifier)
        if thread_start[spec.id].date() == day:
            row["new_threads"].add(spec.id)
        if user_start[spec.user.identifier].date() == day:
            row["new_users"].add(spec.user.identifier)
    return {
        day: {"messages": r["messages"], "threads": len(r["threads"]),
              "new_threads": len(r["new_threads"]), "active_users": len(r["users"]),
              "new_users": len(r["new_users"])}
        for day, r in rows.items()
    }


def children(spec: ThreadSpec) -> dict[str | None, list[dict[str, Any]]]:
    kids: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for step in spec.steps:
        kids[step["parentId"]].append(step)
    return kids


def shape(spec: ThreadSpec) -> dict[str, int]:
    kids = children(spec)

    def depth(step: dict[str, Any]) -> int:
        return 1 + max((depth(c) for c in kids[step["id"]]), default=0)

    types = Counter(s["type"] for s in spec.steps)
    return {
        "steps": len(spec.steps),
        "depth": max(depth(r) for r in kids[None]),
        "max_branching": max(len(kids[s["id"]]) for s in spec.steps),
        "tool_steps": types["tool"], "llm_steps": types["llm"],
        "turns": types["user_message"],
        "errors": sum(1 for s in spec.steps if s["isError"]),
    }


@dataclass
class Turn:
    path: str
    tools: set[str]
    names: set[str]
    models: set[str]
    value: int | None


def turns(specs: list[ThreadSpec]) -> list[Turn]:
    out = []
    for spec in specs:
        kids = children(spec)
        rating = {f["forId"]: f["value"] for f in spec.feedback}
        for msg in kids[None]:
            for run in (k for k in kids[msg["id"]] if k["type"] == "run"):
                below: list[dict[str, Any]] = []
                stack = list(kids[run["id"]])
                while stack:
                    step = stack.pop()
                    below.append(step)
                    stack.extend(kids[step["id"]])
                below.sort(key=lambda s: (at(s, "start"), at(s), s["id"]))
                answers = [k for k in kids[run["id"]] if k["type"] == "assistant_message"]
                values = [rating[a["id"]] for a in answers if a["id"] in rating]
                out.append(Turn(
                    path=" > ".join(["user_message", "run", *(s["type"] for s in below)]),
                    tools={s["name"] for s in below if s["type"] == "tool"},
                    names={s["name"] for s in below},
                    models={s["generation"]["model"] for s in below if s.get("generation")},
                    value=min(values) if values else None,
                ))
    return out


def feedback_counts(specs: list[ThreadSpec], by: str) -> dict[str, tuple[int, int, int, int]]:
    """Per item of a turn (``by``: tool, step_name, model or path): turns containing it, rated,
    positive and negative turns."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for turn in turns(specs):
        items = {"tool": turn.tools, "step_name": turn.names, "model": turn.models,
                 "path": {turn.path}}[by]
        for item in items:
            row = counts[item]
            row[0] += 1
            row[1] += turn.value is not None
            row[2] += turn.value == 1
            row[3] += turn.value == 0
    return {k: (v[0], v[1], v[2], v[3]) for k, v in counts.items()}
