"""``python -m benchmarks.group_commit``: concurrent step writes, each in its own transaction
against sharing one (``graph_layer.batching``).

S conversations at once (1, 5 and 20), each writing its own thread's steps one after the
other as Chainlit does: a new assistant message, then its update with the answer's text.
Two ways, taking turns in blocks after unrecorded rounds of each:

- **own transaction**: every write is one call of ``cypher/step/upsert_step.cypher`` with a
  single row (``Executor.run``), as the layer wrote steps before change 24;
- **group commit**: ``Neo4jDataLayer.create_step`` / ``update_step`` (``Executor.run_row``):
  rows given while a transaction is in flight share the next one.

Prints p50 / p95 ms per write, writes per second, the client's CPU per write, and how many
rows the group commit's transactions held. Run it against a scratch ``NEO4J_URI``: it writes
``group-commit`` threads and deletes them at the end.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import typer

from benchmarks.peers import scratch_peer
from benchmarks.report import pct
from graph_layer import Neo4jDataLayer
from graph_layer.context import use_http_context
from graph_layer.convert import utc_now
from graph_layer.executor import QueryTiming, timing_records
from graph_layer.steps import step_params

if TYPE_CHECKING:
    from chainlit.step import StepDict

Write = Callable[[dict[str, Any]], Awaitable[Any]]


def step_transactions(records: list[QueryTiming]) -> list[int]:
    """The rows of each ``step/upsert_step`` transaction among the executor's timings."""
    return [r.rows for r in records if r.query == "step/upsert_step"]


async def conversations(write: Write, sessions: int, turns: int, threads: list[str]
                        ) -> tuple[list[float], float]:
    """``sessions`` conversations at once, each ``turns`` messages (create, then update);
    returns each write's ms and the wall seconds."""
    times: list[float] = []

    async def one() -> None:
        thread_id = f"group-commit-{uuid.uuid4()}"
        threads.append(thread_id)
        for _ in range(turns):
            now = utc_now()
            step: dict[str, Any] = {
                "id": str(uuid.uuid4()), "threadId": thread_id, "parentId": None,
                "type": "assistant_message", "name": "Assistant", "output": "",
                "createdAt": now, "start": now, "end": now, "metadata": {},
                "streaming": False, "isError": False}
            for output in ("", "Here is what I found. " * 12):
                step["output"] = output
                began = time.perf_counter()
                await write(step)
                times.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(sessions)))
    return times, time.perf_counter() - began


def ways(layer: Neo4jDataLayer) -> dict[str, Write]:
    """Each write in a transaction of its own, and the layer's group commit."""
    async def own(step: dict[str, Any]) -> None:
        await layer.executor.run("step/upsert_step", rows=[step_params(step)])

    async def group(step: dict[str, Any]) -> None:
        await layer.update_step(cast("StepDict", step))

    return {"own transaction": own, "group commit": group}


async def probe(warm: int, blocks: int, turns: int) -> None:
    async with scratch_peer() as peer:
        layer = peer.ours
        await layer.setup()
        use_http_context("group-commit")
        threads: list[str] = []
        print(f"step writes, S conversations at once, each {turns} messages (create, then "
              f"update), {blocks} blocks of each way taking turns after {warm} unrecorded:")
        try:
            for sessions in (1, 5, 20):
                times: dict[str, list[float]] = {name: [] for name in ways(layer)}
                walls: dict[str, float] = dict.fromkeys(times, 0.0)
                cpu: dict[str, float] = dict.fromkeys(times, 0.0)
                sizes: list[int] = []
                for block in range(warm + blocks):
                    for name, write in ways(layer).items():
                        began = time.process_time()
                        with timing_records() as records:
                            ms, wall = await conversations(write, sessions, turns, threads)
                        if name == "group commit" and block >= warm:
                            sizes += step_transactions(records)
                        if block >= warm:
                            times[name] += ms
                            walls[name] += wall
                            cpu[name] += time.process_time() - began
                for name, values in times.items():
                    print(f"  S={sessions:2d} {name:16s} p50 {pct(values, 0.5):6.2f}  "
                          f"p95 {pct(values, 0.95):6.2f} ms  {len(values) / walls[name]:6.0f} "
                          f"writes/s  client CPU {cpu[name] * 1000 / len(values):5.2f} ms")
                print(f"  S={sessions:2d} group commit: rows per transaction median "
                      f"{statistics.median(sizes):.0f}, max {max(sizes)}")
        finally:
            for thread_id in threads:
                await layer.delete_thread(thread_id)


def main(warm: int = typer.Option(2, help="Unrecorded blocks of each way first."),
         blocks: int = typer.Option(6, help="Recorded blocks of each way, taking turns."),
         turns: int = typer.Option(20, help="Messages per conversation in a block.")) -> None:
    """Print the group commit figures."""
    asyncio.run(probe(warm, blocks, turns))


if __name__ == "__main__":
    typer.run(main)
