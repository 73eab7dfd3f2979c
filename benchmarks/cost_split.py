"""``python -m benchmarks.cost_split``: where a step write and a resume spend their time.

- **write**: blocks of calls taking turns, each an auto-commit transaction as the layer makes
  them (``Executor.auto_commit``): the benchmark's trivial write transaction (the floor), the
  floor with four timestamp parameters it does not use (as ``datetime`` values, and as the ISO
  text the layer sends: what packing a parameter costs in the driver),
  ``cypher/step/upsert_step.cypher`` for a new assistant message with text, a tool step with the
  same text and the message without text (neither gives the full-text index, which covers
  messages only, any work), one message written again and again with the same text and with new
  text each time (an ``update_step``: does an unchanged text reach the index again?), and a
  minimal idempotent upsert of the message (MERGE the step, SET its properties, owner id and
  label, MERGE its CONTAINS link: about the least any step write does; it leaves out ``start``
  and ``end``). Each variant's p50 minus the floor's is what it costs beyond a round trip and a
  commit.
- **resume**: for the benchmark's threads of about 20, 200 and 2,000 steps, the
  ``get_thread`` query's time on the server (``result_available_after`` +
  ``result_consumed_after``), the whole query call (adds transfer and decoding), and the
  layer's ``get_thread`` (adds mapping the rows to StepDicts; since change 28 the layer maps
  each row of steps while the server reads the next, so "mapping" is what is left of it).
  ``python -m benchmarks.ab_get_thread`` compares the query with the shapes it had before.

Run it after ``graph-layer bench`` against the same ``NEO4J_URI`` (a scratch database): it
reads the resume threads the benchmark loaded and writes only a ``cost-split`` thread it
deletes at the end.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import neo4j
import typer

from benchmarks.data import LONGEST_RESUME_THREAD
from benchmarks.peers import Neo4jPeer, scratch_peer
from benchmarks.report import pct
from graph_layer import queries
from graph_layer.context import use_http_context
from graph_layer.convert import iso_utc, utc_now
from graph_layer.steps import step_params

MINIMAL_UPSERT = """
MATCH (t:Thread {id: $threadId})
MERGE (s:Step {id: $stepId})
ON CREATE SET s.threadId = $threadId, s.createdAt = datetime($createdAt)
SET s += $props, s.userId = t.userId, s:Message
MERGE (t)-[:CONTAINS]->(s)
RETURN s.threadId AS stepThreadId
"""

BLOCKS = 6


def _ms(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5):6.2f}  p95 {pct(values, 0.95):6.2f}"


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await call()
    return (time.perf_counter() - start) * 1000


Way = Callable[[int], Awaitable[Any]]


async def take_turns(ways: dict[str, Way], warm: int, blocks: int, block: int,
                     at_once: int = 1) -> tuple[dict[str, list[float]], dict[str, float]]:
    """``warm`` unrecorded rounds of each way, then ``blocks`` rounds of a block of ``block``
    rounds of each way, the ways taking turns. A round is ``at_once`` calls at the same time,
    each given the round's index. Blocks of one way at a time: background work a call leaves on
    the server (the full-text index's queued updates) then slows the calls of its own way, not
    whichever call comes next. Returns each way's ms per call of each recorded round, and its
    client CPU ms per call."""
    async def one_round(call: Way, i: int) -> float:
        start = time.perf_counter()
        if at_once == 1:
            await call(i)
        else:
            await asyncio.gather(*(call(i) for _ in range(at_once)))
        return (time.perf_counter() - start) * 1000 / at_once

    for call in ways.values():
        for i in range(warm):
            await one_round(call, i)
    times: dict[str, list[float]] = {name: [] for name in ways}
    cpu = dict.fromkeys(ways, 0.0)
    for _ in range(blocks):
        for name, call in ways.items():
            began = time.process_time()
            for i in range(block):
                times[name].append(await one_round(call, i))
            cpu[name] += time.process_time() - began
    calls = blocks * block * at_once
    return times, {name: spent * 1000 / calls for name, spent in cpu.items()}


async def write_split(peer: Neo4jPeer, warm: int, reps: int) -> None:
    layer = peer.ours
    thread_id = f"cost-split-{uuid.uuid4()}"
    use_http_context(thread_id)  # create_step is queued outside a Chainlit context
    await layer.update_thread(thread_id, name="cost-split")
    parent = {"id": str(uuid.uuid4()), "threadId": thread_id, "type": "run",
              "name": "on_message", "createdAt": utc_now()}
    await layer.create_step(parent)  # type: ignore[arg-type]
    upsert = queries.get("step/upsert_step").text

    def write(text: str, params: dict[str, Any]) -> Awaitable[Any]:  # as the layer's queries go
        return layer.executor.auto_commit("cost-split", neo4j.Query(text), params,
                                          neo4j.WRITE_ACCESS)

    def one(row: dict[str, Any]) -> dict[str, Any]:  # upsert_step takes rows (a batch of one)
        return {"rows": [row]}

    def message(text: str, kind: str = "assistant_message") -> dict[str, Any]:
        now = utc_now()
        return step_params({
            "id": str(uuid.uuid4()), "threadId": thread_id, "parentId": parent["id"],
            "type": kind, "name": "Assistant", "output": text,
            "createdAt": now, "start": now, "end": now, "metadata": {}, "isError": False,
            "streaming": False, "waitForAnswer": False})

    text = "Here is what I found. " * 12

    def stamps(as_text: bool) -> dict[str, Any]:  # four timestamps, as a step write sends
        return {k: iso_utc(utc_now()) if as_text else utc_now() for k in "abcd"}

    # One message, written again and again: an update_step. Both variants write this step, so
    # the first same-text call after a block of new texts is a real change (1 call in a block).
    again = message(text)

    def edited(i: int) -> dict[str, Any]:  # ... whose text changes each time
        return {**again, "props": {**again["props"], "output": f"{text}{i}"}}

    variants: dict[str, Way] = {
        "floor: trivial write tx": peer.floor_write,
        "floor + 4 unused datetime params": lambda i: write(
            peer.FLOOR_WRITE, {"v": i, **stamps(False)}),
        "floor + 4 unused ISO text params": lambda i: write(
            peer.FLOOR_WRITE, {"v": i, **stamps(True)}),
        "upsert_step, message with text": lambda i: write(upsert, one(message(text))),
        "upsert_step, tool step with text": lambda i: write(upsert, one(message(text, "tool"))),
        "upsert_step, message without text": lambda i: write(upsert, one(message(""))),
        "upsert_step again, same text": lambda i: write(upsert, one(again)),
        "upsert_step again, new text": lambda i: write(upsert, one(edited(i))),
        "minimal upsert, with text": lambda i: write(MINIMAL_UPSERT, message(text)),
    }
    block = max(1, reps // BLOCKS)
    try:
        times, _ = await take_turns(variants, warm, BLOCKS, block)
    finally:
        await layer.delete_thread(thread_id)
    floor = statistics.median(times["floor: trivial write tx"])
    print(f"step write ({BLOCKS} blocks of {block} calls of each variant, taking turns, after "
          f"{warm} unrecorded calls of each), ms:")
    for name, values in times.items():
        extra = statistics.median(values) - floor
        print(f"  {name:35s} {_ms(values)}  p50 - floor {extra:5.2f}")


async def resume_split(peer: Neo4jPeer, reps: int) -> None:
    layer = peer.ours
    get_thread = neo4j.Query(queries.get("thread/get_thread").text)
    print(f"get_thread (median of {reps} calls after 5), ms:")
    for most in (20, 200, 2000):
        found = await peer._q(LONGEST_RESUME_THREAD, most=most)
        if not found:
            print(f"  no benchmark resume thread of at most {most} steps: run the bench first")
            continue
        thread_id, steps = found[0]["id"], found[0]["steps"]
        server, query, whole = [], [], []
        for i in range(reps + 5):
            start = time.perf_counter()
            result = await layer.executor.auto_commit(
                "cost-split", get_thread, {"threadId": thread_id}, neo4j.READ_ACCESS)
            took = (time.perf_counter() - start) * 1000
            summary = result.summary
            spent = (summary.result_available_after or 0) + (summary.result_consumed_after or 0)
            full = await _timed(lambda tid=thread_id: layer.get_thread(tid))  # type: ignore[misc]
            if i >= 5:
                server.append(spent)
                query.append(took)
                whole.append(full)
        s, q, w = (statistics.median(v) for v in (server, query, whole))
        print(f"  {steps:5d} steps: server {s:6.1f}  query {q:6.1f} (transfer and "
              f"decoding {q - s:5.1f})  layer get_thread {w:6.1f} (mapping {w - q:5.1f})")


async def split(warm: int, reps: int) -> None:
    async with scratch_peer() as peer:
        await peer.ours.setup()
        await write_split(peer, warm, reps)
        await resume_split(peer, max(10, reps // 10))


def main(warm: int = typer.Option(1000, help="Unrecorded calls of each write variant first."),
         reps: int = typer.Option(300, help="Recorded calls of each write variant.")) -> None:
    """Print the write and resume splits."""
    asyncio.run(split(warm, reps))


if __name__ == "__main__":
    typer.run(main)
