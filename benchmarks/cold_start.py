"""The first visit after Neo4j starts: what planning the queries ahead (``graph_layer.plan_ahead``)
saves the first user.

``python -m benchmarks.cold_start [--rounds 3]`` starts a scratch local server (temporary home,
free ports) and, each round, restarts it once per mode (in turn, which goes first rotating):
- ``off``: ``plan_ahead`` off; each query is planned by its first call;
- ``ahead``: the queries are planned (``plan_queries``, what ``setup()`` runs) and the visit
  starts when that is done (an app that calls ``setup()`` at startup, as the demo does);
- ``racing``: the visit starts right after the schema, the planning running beside it (the
  design the layer did not take: its lazy setup on a first call does not plan).
A visit is a login, the sidebar, one conversation turn (message, run, tool, reply, the
thread's name, a file and a rating), the sidebar again, a search and the thread's resume, as
``BaseDataLayer`` calls one after the other, each timed on the client. Prints each call's
median over the rounds per mode, the visit's total, and how long the planning took.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from chainlit.element import ElementDict
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User

import graph_layer.layer as layer_module
from benchmarks.run import free_port
from benchmarks.workloads import new_message, new_step, utc_now
from graph_layer.context import use_http_context
from graph_layer.layer import Neo4jDataLayer
from graph_layer.local_server import LocalNeo4j
from graph_layer.plan_ahead import plan_queries
from graph_layer.settings import DEFAULT_PASSWORD, Neo4jSettings

MODES = ("off", "ahead", "racing")
Timed = list[tuple[str, float]]


async def visit(layer: Neo4jDataLayer) -> Timed:
    """One first visit's calls, each timed (ms)."""
    timed: Timed = []

    async def call(label: str, work: Awaitable[Any]) -> Any:
        start = time.perf_counter()
        result = await work
        timed.append((label, (time.perf_counter() - start) * 1000))
        return result

    identifier = f"visitor-{uuid.uuid4().hex[:8]}@example.com"
    user = await call("create_user", layer.create_user(User(identifier=identifier)))
    await call("get_user", layer.get_user(identifier))
    sidebar = ThreadFilter(userId=user.id)
    await call("list_threads", layer.list_threads(Pagination(first=35), sidebar))
    thread = str(uuid.uuid4())
    message = new_message(thread, None, "user_message", "User", "hello")
    await call("create_step (message)", layer.create_step(message))
    run = new_step(thread, message["id"], "run", "on_message", "", "")
    await call("create_step (run)", layer.create_step(run))
    await call("update_thread", layer.update_thread(thread, name="hello", user_id=user.id))
    tool = new_step(thread, run["id"], "tool", "search", '{"q": "hello"}', "")
    reply = new_message(thread, run["id"], "assistant_message", "Assistant", "")
    for step, kind in ((tool, "tool"), (reply, "assistant_message")):
        await call(f"create_step ({kind})", layer.create_step(step))
        step.update(output="done", end=utc_now())
        await call(f"update_step ({kind})", layer.update_step(step))
    run.update(output="ok", end=utc_now())
    await call("update_step (run)", layer.update_step(run))
    element: ElementDict = {"id": str(uuid.uuid4()), "threadId": thread, "forId": reply["id"],
                            "type": "text", "name": "notes", "display": "inline",
                            "mime": "text/plain"}
    await call("create_element", layer.create_element(element))
    await call("upsert_feedback", layer.upsert_feedback(Feedback(forId=run["id"], value=1)))
    await call("list_threads (again)", layer.list_threads(Pagination(first=35), sidebar))
    await call("list_threads (search)", layer.list_threads(
        Pagination(first=35), ThreadFilter(userId=user.id, search="hello")))
    await call("get_thread", layer.get_thread(thread))
    return timed


async def one(server: LocalNeo4j, mode: str) -> tuple[float, Timed]:
    """Set a layer up on the just-started ``server`` in ``mode``; (planning ms, visit). As an
    app starting with the server would: the schema is applied first (the layer does that once
    per process, and these rounds share one), and the planning is started here (the layer's
    ``setup`` would not race it)."""
    layer_module._SCHEMA_APPLIED.clear()
    layer = Neo4jDataLayer(server.uri, auth=server.auth,
                           settings=Neo4jSettings(plan_ahead=False))
    try:
        use_http_context()
        await layer.setup()
        start = time.perf_counter()
        if mode == "off":
            return 0.0, await visit(layer)
        planning = asyncio.create_task(plan_queries(layer.executor))
        if mode == "racing":
            timed = await visit(layer)
            await planning
            return (time.perf_counter() - start) * 1000, timed
        await planning
        return (time.perf_counter() - start) * 1000, await visit(layer)
    finally:
        await layer.close()


def report(results: dict[str, list[tuple[float, Timed]]]) -> None:
    """Medians per call and mode, the visit's total, the planning's time."""
    calls = [label for label, _ in results[MODES[0]][0][1]]
    print(f"\n{'call (median ms over rounds)':34s}" + "".join(f"{m:>10s}" for m in MODES))

    def row(label: str, pick: Callable[[Timed], float]) -> None:
        cells = [statistics.median(pick(t) for _, t in results[m]) for m in MODES]
        print(f"{label:34s}" + "".join(f"{c:10.1f}" for c in cells))

    for i, label in enumerate(calls):
        row(label, functools.partial(lambda t, i: t[i][1], i=i))
    row("the visit in all", lambda t: sum(ms for _, ms in t))
    planning = [statistics.median(p for p, _ in results[m]) for m in MODES]
    print(f"{'planning ahead (ms)':34s}" + "".join(f"{p:10.0f}" for p in planning))
    print("(racing: the planning's time runs from the end of the setup until it is done, "
          "beside the visit)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, Timed]]] = {m: [] for m in MODES}
    with tempfile.TemporaryDirectory() as home:
        server = LocalNeo4j(home=Path(home) / "neo4j", bolt_port=free_port(),
                            http_port=free_port(), password=DEFAULT_PASSWORD)
        try:
            for r in range(args.rounds):
                order = MODES[r % len(MODES):] + MODES[:r % len(MODES)]
                for mode in order:
                    server.stop()
                    server.start()
                    planning, timed = asyncio.run(one(server, mode))
                    results[mode].append((planning, timed))
                    total = sum(ms for _, ms in timed)
                    print(f"round {r + 1} {mode:7s} visit {total:7.0f} ms, planning "
                          f"{planning:6.0f} ms", flush=True)
        finally:
            server.stop()
    report(results)


if __name__ == "__main__":
    main()
