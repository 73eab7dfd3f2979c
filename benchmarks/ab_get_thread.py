"""``python -m benchmarks.ab_get_thread``: interleaved A/B/C of get_thread's read path (the
query, the driver's decoding and the executor's row conversion; not the mapping to StepDicts)
on the benchmark's resume threads of about 20, 200 and 2,000 steps:

- **A properties**: the first query (``properties()``: DateTime values) with ``Record.data()``;
- **B maps**: each step a map, ``s {.*, createdAt: toString(s.createdAt), ...}``, in a
  ``{step, feedback}`` map (changes 1-13 of docs/performance.md);
- **C columns**: the current ``cypher/thread/get_thread.cypher`` (each step a list of values
  from ``properties(s)``, timestamps as epoch microseconds) with the executor's ``row_of``.

Prints each variant's median server time (``result_available_after`` +
``result_consumed_after``) and read path time. Point ``NEO4J_URI`` at the database a
``graph-layer bench`` run loaded."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

import neo4j
import typer

from benchmarks.data import LONGEST_RESUME_THREAD
from graph_layer import queries
from graph_layer.executor import create_driver, row_of
from graph_layer.settings import Neo4jSettings

THREAD = """
MATCH (t:Thread {id: $threadId})
WHERE NOT t:Deleted
OPTIONAL MATCH (u:User)-[:AUTHORED]->(t)
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(s:Step)
  OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
  RETURN collect(CASE WHEN s IS NULL THEN null ELSE STEP END) AS steps
}
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(e:Element)
  RETURN collect(properties(e)) AS elements
}
RETURN THREAD AS thread, u.id AS userId, u.identifier AS userIdentifier, steps, elements
"""
PROPERTIES = THREAD.replace("STEP", "{step: properties(s), feedback: properties(f)}").replace(
    "THREAD", "properties(t)")
MAPS = THREAD.replace(
    "STEP", "{step: s {.*, createdAt: toString(s.createdAt), start: toString(s.start), "
    "end: toString(s.end)}, feedback: f {.id, .forId, .threadId, .value, .comment}}").replace(
    "THREAD", "t {.*, createdAt: toString(t.createdAt), lastActivity: toString(t.lastActivity), "
    "lastMessageAt: toString(t.lastMessageAt)}")

Convert = Callable[[neo4j.Record], Any]


async def compare(reps: int) -> None:
    settings = Neo4jSettings()
    driver = create_driver(settings)
    variants: list[tuple[str, str, Convert]] = [
        ("A properties", PROPERTIES, lambda r: r.data()),
        ("B maps", MAPS, row_of),
        ("C columns", queries.get("thread/get_thread").text, row_of),
    ]
    try:
        for most in (20, 200, 2000):
            found, _, _ = await driver.execute_query(LONGEST_RESUME_THREAD, most=most,
                                                     database_=settings.database)
            if not found:
                print(f"no benchmark resume thread of at most {most} steps: run the bench first")
                continue
            tid, n = found[0]["id"], found[0]["steps"]
            server: dict[str, list[float]] = {label: [] for label, _, _ in variants}
            read: dict[str, list[float]] = {label: [] for label, _, _ in variants}
            for i in range(reps + 2):  # the first two rounds warm up
                order = variants if i % 2 else variants[::-1]
                for label, text, convert in order:
                    start = time.perf_counter()
                    got, summary, _ = await driver.execute_query(
                        neo4j.Query(text), {"threadId": tid}, database_=settings.database,
                        routing_=neo4j.RoutingControl.READ)
                    [convert(r) for r in got]
                    if i >= 2:
                        read[label].append((time.perf_counter() - start) * 1000)
                        server[label].append((summary.result_available_after or 0)
                                             + (summary.result_consumed_after or 0))
            for label, _, _ in variants:
                print(f"get_thread, {n:4d} steps, {label:12s}: server median "
                      f"{statistics.median(server[label]):6.1f} ms, read path median "
                      f"{statistics.median(read[label]):6.1f} ms (n={len(read[label])})")
    finally:
        await driver.close()


def main(reps: int = typer.Option(12, help="Recorded rounds per thread size.")) -> None:
    """Print each variant's median server and read path time per thread size."""
    asyncio.run(compare(reps))


if __name__ == "__main__":
    typer.run(main)
