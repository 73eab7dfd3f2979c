"""``python -m benchmarks.auto_commit``: a managed transaction against an auto-commit one.

The executor runs every query as an auto-commit transaction (one round trip: RUN and PULL,
the server commits when the result is consumed) and retries it as the driver retries managed
ones. This probe shows what that saves over ``driver.execute_query``, a managed transaction
(BEGIN, RUN and PULL, then COMMIT: two round trips), on the same queries and server: the
trivial read and write, a new assistant message through ``cypher/step/upsert_step.cypher``, and
``cypher/thread/get_thread.cypher`` for the benchmark's thread of about 200 steps when it is
there. Blocks of calls, the two ways taking turns, after unrecorded calls of each; p50 / p95
of each call and the client's CPU per call (``time.process_time`` over the blocks), one call
at a time and 20 at once.

Run it against a scratch ``NEO4J_URI`` (after ``graph-layer bench`` for the resume line): it
writes one ``auto-commit`` thread and deletes it at the end.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import neo4j
import typer

from benchmarks.cost_split import Way, take_turns
from benchmarks.data import LONGEST_RESUME_THREAD
from benchmarks.peers import Neo4jPeer, scratch_peer
from benchmarks.report import pct
from graph_layer import queries
from graph_layer.context import use_http_context
from graph_layer.convert import utc_now
from graph_layer.steps import step_params


def both_ways(peer: Neo4jPeer, text: str, params: Callable[[], dict[str, Any]],
              read: bool) -> dict[str, Way]:
    """The same query as a managed transaction and as the executor's auto-commit one."""
    driver, executor, query = peer.ours.executor.driver, peer.ours.executor, neo4j.Query(text)
    routing = neo4j.RoutingControl.READ if read else neo4j.RoutingControl.WRITE
    mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
    return {
        "managed": lambda _: driver.execute_query(query, params(), database_=peer.db,
                                                  routing_=routing),
        "auto-commit": lambda _: executor.auto_commit("auto-commit", query, params(), mode),
    }


async def compare(label: str, ways: dict[str, Way], warm: int, blocks: int, block: int,
                  at_once: int) -> dict[str, float]:
    """Print p50 / p95 per call and client CPU per call of each way, ``at_once`` calls at a
    time, in blocks taking turns; return each way's p50."""
    times, cpu = await take_turns(ways, warm, blocks, block, at_once)
    for name, values in times.items():
        print(f"  {label:32s} {name:11s} p50 {pct(values, 0.5):6.2f}  "
              f"p95 {pct(values, 0.95):6.2f}  client CPU {cpu[name]:5.2f} ms")
    return {name: pct(values, 0.5) for name, values in times.items()}


async def compare_lines(lines: dict[str, dict[str, Way]], at_once_lines: tuple[str, ...],
                        warm: int, blocks: int, block: int,
                        note: Callable[[dict[str, float]], str] | None = None) -> None:
    """``compare`` every line one call at a time, then the ``at_once_lines`` 20 calls at a
    time (a fifth of the blocks' rounds and of the warm-up); ``note`` adds a line from each
    comparison's p50s."""
    print(f"one call at a time ({blocks} blocks of {block} calls of each way, taking turns, "
          f"after {warm} unrecorded), ms per call:")
    schedule = [(label, warm, block, 1) for label in lines]
    schedule += [(label, max(1, warm // 20), max(1, block // 5), 20) for label in at_once_lines]
    for label, warm_calls, rounds, at_once in schedule:
        if at_once > 1 and label == at_once_lines[0]:
            print(f"20 calls at once ({blocks} blocks of {rounds} rounds of each way), ms per "
                  "call (a round's time / 20):")
        p50 = await compare(label, lines[label], warm_calls, blocks, rounds, at_once)
        if note is not None:
            print(f"  {label:32s} {note(p50)}")


def probe_main(probe: Callable[[int, int, int], Coroutine[Any, Any, None]],
               what: str) -> Callable[[int, int, int], None]:
    """The typer command of a probe taking ``warm``, ``blocks`` and ``block``."""
    def main(warm: int = typer.Option(300, help="Unrecorded calls of each way first."),
             blocks: int = typer.Option(8, help="Blocks of each way, taking turns."),
             block: int = typer.Option(50, help="Recorded calls in a block.")) -> None:
        asyncio.run(probe(warm, blocks, block))
    main.__doc__ = f"Print the {what} figures."
    return main


async def probe(warm: int, blocks: int, block: int) -> None:
    async with scratch_peer() as peer:
        layer = peer.ours
        await layer.setup()
        thread_id = f"auto-commit-{uuid.uuid4()}"
        use_http_context(thread_id)
        await layer.update_thread(thread_id, name="auto-commit")

        def message() -> dict[str, Any]:
            now = utc_now()
            return step_params({
                "id": str(uuid.uuid4()), "threadId": thread_id, "type": "assistant_message",
                "name": "Assistant", "output": "Here is what I found. " * 12,
                "createdAt": now, "start": now, "end": now, "metadata": {}})

        lines: dict[str, dict[str, Way]] = {
            "trivial read": both_ways(peer, peer.FLOOR_READ, dict, read=True),
            "trivial write": both_ways(peer, peer.FLOOR_WRITE, lambda: {"v": 1}, read=False),
            "upsert_step (new message)": both_ways(
                peer, queries.get("step/upsert_step").text, lambda: {"rows": [message()]},
                read=False),
        }
        found = await peer._q(LONGEST_RESUME_THREAD, most=200)
        if found:
            resume = found[0]
            lines[f"get_thread ({resume['steps']} steps)"] = both_ways(
                peer, queries.get("thread/get_thread").text,
                lambda: {"threadId": resume["id"]}, read=True)
        try:
            await compare_lines(lines, ("trivial write", "upsert_step (new message)"),
                                warm, blocks, block)
        finally:
            await layer.delete_thread(thread_id)


main = probe_main(probe, "managed and auto-commit")

if __name__ == "__main__":
    typer.run(main)
