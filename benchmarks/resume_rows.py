"""``python -m benchmarks.resume_rows``: a resume with its steps in one collected row against
the same resume with its steps in rows of up to 100 (change 28 of docs/performance.md).

- **one row (before)**: ``cypher/thread/get_thread.cypher`` as it was at ``--before`` (read
  from git), all of a thread's steps collected into one row, read whole, then mapped as
  ``get_thread`` mapped it then;
- **rows of 100 (now)**: the layer's ``get_thread``, which maps each row of steps as it
  arrives while the server reads the next.

For threads of 20, 200 and 2,000 steps (the benchmark's resume threads, loaded in bulk for a
new user on ``NEO4J_URI``; the threads are deleted at the end, the user stays), both ways are
first checked to give the same thread, then take turns in blocks (``cost_split.take_turns``).
Prints p50 / p95 ms per call and the client's CPU per call.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import uuid
from pathlib import Path
from typing import Any

import neo4j
import typer

from benchmarks.cost_split import Way, take_turns
from benchmarks.data import BASE_TIME, conversation
from benchmarks.peers import Neo4jPeer, scratch_peer
from benchmarks.report import pct
from graph_layer import elements, records
from graph_layer.executor import row_of

QUERY_FILE = "cypher/thread/get_thread.cypher"


def query_at(commit: str) -> str:
    """The resume query's text at ``commit`` of this repository."""
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(["git", "show", f"{commit}:{QUERY_FILE}"], cwd=root, check=True,
                          capture_output=True, text=True).stdout


async def one_row(peer: Neo4jPeer, text: str, thread_id: str) -> dict[str, Any] | None:
    """The resume as ``get_thread`` made it from one collected row."""
    layer = peer.ours
    result = await layer.executor.auto_commit("resume-rows", neo4j.Query(text),
                                              {"threadId": thread_id}, neo4j.READ_ACCESS)
    if not result.records:
        return None
    row = row_of(result.records[0], plain=True)
    thread = records.thread_dict(row["thread"], row["userId"], row["userIdentifier"])
    thread["steps"] = records.order_steps([records.step_from_columns(c) for c in row["steps"]])
    urls = await elements.read_urls(layer.storage_client, row["elements"])
    thread["elements"] = [records.element_dict(e, url)
                          for e, url in zip(row["elements"], urls, strict=True)]
    return thread


def _without_urls(thread: Any) -> Any:
    assert thread is not None
    return {**thread, "elements": [{**e, "url": None} for e in thread["elements"]]}


async def compare(before: str, blocks: int, block: int) -> None:
    text = query_at(before)
    async with scratch_peer() as peer:
        layer = peer.ours
        await layer.setup()
        user = f"resume-rows-{uuid.uuid4().hex[:8]}"
        print(f"get_thread, {blocks} blocks of {block} calls of each way taking turns, after "
              f"30 of each; one row = {QUERY_FILE} at {before}")
        for n in (20, 200, 2000):
            data = conversation(user, f"rows-{n}", n, BASE_TIME)
            await peer.load(data)
            tid = data.threads[0].id
            try:
                await measure(peer, text, tid, n, blocks, block)
            finally:
                await layer.delete_thread(tid)
        await layer.purge_deleted()


async def measure(peer: Neo4jPeer, text: str, tid: str, n: int, blocks: int, block: int
                  ) -> None:
    """Check that both ways give the same thread of ``n`` steps, then time them."""
    layer = peer.ours
    now, old = await layer.get_thread(tid), await one_row(peer, text, tid)
    assert _without_urls(now) == _without_urls(old), "the two ways differ"
    ways: dict[str, Way] = {
        "one row (before)": lambda i: one_row(peer, text, tid),
        "rows of 100 (now)": lambda i: layer.get_thread(tid)}
    times, cpu = await take_turns(ways, 30, blocks, block)
    first = statistics.median(times["one row (before)"])
    for name, values in times.items():
        print(f"  {n:5d} steps  {name:18s} p50 {pct(values, 0.5):6.2f}  p95 "
              f"{pct(values, 0.95):6.2f}  cpu {cpu[name]:5.2f}  "
              f"({first / statistics.median(values):.2f}x)")

def main(before: str = typer.Option("dca4ac6", help="The commit whose query is 'before'."),
         blocks: int = typer.Option(6, help="Blocks of each way."),
         block: int = typer.Option(20, help="Calls per block.")) -> None:
    """Print both ways' p50 / p95 per thread size."""
    asyncio.run(compare(before, blocks, block))


if __name__ == "__main__":
    typer.run(main)
