"""The analytics summaries (cypher/analytics/summaries/refresh.cypher) follow every kind of
write: after each write through the layer, and after writes that race a refresh, the
summary-backed analyses equal an independent computation over what was written."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from chainlit.types import Feedback
from chainlit.user import User

from graph_layer import Neo4jDataLayer, analytics
from graph_layer.analytics import AnalyticsDB
from graph_layer.seed import ThreadSpec, UserSpec
from tests.analytics import truth
from tests.analytics.conftest import _step
from tests.conftest import query

IDENT = "summaries@example.com"
THREAD = "summary-thread"
COLUMNS = ["steps", "depth", "max_branching", "tool_steps", "llm_steps", "turns", "errors"]


def _turn(turn: int, tools: list[str], second: int = 0) -> list[dict[str, object]]:
    """A turn: user message, its on_message run, one tool step per name (each with an llm call
    below it), the answer; every step a second apart from ``second`` on."""
    at = iter(range(second, second + 100))

    def step(sid: str, parent: str | None, kind: str, name: str,
             **extra: object) -> dict[str, object]:
        stamp = f"2026-10-07T{9 + turn // 60:02d}:{turn % 60:02d}:{next(at):02d}Z"
        return _step(THREAD, sid, parent, kind, name, stamp, stamp, **extra)

    msg, run = f"t{turn}-msg", f"t{turn}-run"
    steps = [step(msg, None, "user_message", "User"), step(run, msg, "run", "on_message")]
    for i, tool in enumerate(tools):
        steps.append(step(f"t{turn}-tool{i}", run, "tool", tool))
        steps.append(step(f"t{turn}-llm{i}", f"t{turn}-tool{i}", "llm", "summarize",
                          generation={"model": "gpt-4o", "inputTokenCount": 3,
                                      "outputTokenCount": 2}))
    steps.append(step(f"t{turn}-answer", run, "assistant_message", "Assistant"))
    return steps


def _check(db: AnalyticsDB, spec: ThreadSpec) -> None:
    """The summary-backed analyses for IDENT equal the truth computed from ``spec``."""
    turns = truth.turns([spec])
    paths = analytics.turn_paths(db, user=IDENT, limit=1000)
    assert dict(zip(paths["path"], paths["turns"], strict=True)) == \
        dict(Counter(t.path for t in turns))
    tools = analytics.feedback_by(db, by="tool", user=IDENT)
    assert {r.item: (r.turns, r.rated, r.positive, r.negative) for r in tools.itertuples()} == \
        truth.feedback_counts([spec], "tool")
    shapes = analytics.thread_shapes(db, user=IDENT).set_index("thread_id")
    assert shapes.loc[THREAD, COLUMNS].astype(int).to_dict() == truth.shape(spec)


async def test_summaries_follow_each_kind_of_write(
    layer: Neo4jDataLayer, analytics_db: AnalyticsDB
) -> None:
    db = analytics_db
    user = await layer.create_user(User(identifier=IDENT))
    assert user is not None
    owner = UserSpec(IDENT, user.id, IDENT, {}, 0)
    spec = ThreadSpec(THREAD, owner, "summaries", [], {})
    await layer.update_thread(THREAD, name="summaries", user_id=user.id)

    async def add(steps: list[dict[str, object]]) -> None:
        for step in steps:
            await layer.create_step(step)  # type: ignore[arg-type]
        spec.steps.extend(steps)

    async def rate(step_id: str, value: int) -> str:
        fid = await layer.upsert_feedback(Feedback(forId=step_id, value=value))
        spec.feedback[:] = [f for f in spec.feedback if f["forId"] != step_id]
        spec.feedback.append({"id": fid, "forId": step_id, "value": value})
        return fid

    await add(_turn(0, ["search"]))
    _check(db, spec)
    fid = await rate("t0-answer", 0)  # a rating reaches the turn
    _check(db, spec)
    await rate("t0-answer", 1)  # and so does a changed rating
    _check(db, spec)
    await add(_turn(1, ["search", "calculator"]))  # a new turn with a deeper tree
    _check(db, spec)
    late = _turn(1, ["search", "calculator", "weather"], second=10)[6:8]  # added to an old turn
    await add(late)
    _check(db, spec)
    tool = next(s for s in spec.steps if s["id"] == "t1-tool0")
    tool["isError"] = True
    await layer.update_step(dict(tool))  # a step fails
    _check(db, spec)
    llm = next(s for s in spec.steps if s["id"] == "t1-llm0")
    llm["parentId"] = "t1-run"
    await layer.update_step(dict(llm))  # a step moves to another parent
    _check(db, spec)
    await layer.create_element({"id": "note", "threadId": THREAD, "forId": "ghost",  # type: ignore[typeddict-item]
                                "type": "text", "name": "note", "display": "inline"})
    spec.steps.append({"id": "ghost", "parentId": None, "type": "run", "name": "",
                       "isError": False})  # an element for a step not written yet: a placeholder
    _check(db, spec)
    await layer.delete_step("t1-tool1")  # a subtree goes
    spec.steps[:] = [s for s in spec.steps if s["id"] not in ("t1-tool1", "t1-llm1")]
    _check(db, spec)
    assert await layer.delete_feedback(fid)  # a rating goes
    spec.feedback.clear()
    _check(db, spec)
    stale = await query(layer.executor.driver, "MATCH (t:AnalyticsStale) RETURN t.id AS id")
    assert stale == []  # every analysis refreshed what it read

    # turns written while another client refreshes: no write gets lost behind a refresh
    writing, stop = threading.Event(), threading.Event()
    rounds_while_writing = 0

    def refresh_until_stopped() -> None:
        nonlocal rounds_while_writing
        while not stop.is_set():
            db.refresh_summaries(batch=1)
            rounds_while_writing += writing.is_set()

    refresher = asyncio.create_task(asyncio.to_thread(refresh_until_stopped))
    await asyncio.sleep(0.2)  # the refresher is running before the writes start
    writing.set()
    turn = 2
    while rounds_while_writing < 5 and turn < 2 + 12 * 8:  # until they overlap, bounded
        await asyncio.gather(*(add(_turn(n, ["search"] * (n % 3))) for n in range(turn, turn + 12)))
        turn += 12
    writing.clear()
    stop.set()
    await refresher
    assert rounds_while_writing >= 5, rounds_while_writing  # they did overlap
    _check(db, spec)

    await layer.delete_thread(THREAD)
    assert analytics.thread_shapes(db, user=IDENT).empty
    assert analytics.turn_paths(db, user=IDENT).empty
