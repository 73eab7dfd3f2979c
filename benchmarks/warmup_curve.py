"""``python -m benchmarks.warmup_curve``: how a freshly started Neo4j speeds up as it serves
calls (the JVM compiles its hot paths as they get hot). Between checkpoints it makes rounds of
the benchmark's floor calls (a trivial read and a one-row write transaction, through the
layer's driver as ``graph-layer bench`` does); at each checkpoint it prints their p50. Run it
against a server that was just started (``NEO4J_URI``; it writes only ``:BenchFloor`` nodes)."""

from __future__ import annotations

import asyncio
import statistics
import time

import typer
from neo4j import AsyncDriver, RoutingControl

from graph_layer.executor import create_driver
from graph_layer.settings import Neo4jSettings

READ = "RETURN 1"
WRITE = "MERGE (n:BenchFloor {id: $k}) SET n.v = $v"


async def _timed(driver: AsyncDriver, database: str, write: bool, i: int) -> float:
    start = time.perf_counter()
    if write:
        await driver.execute_query(WRITE, {"k": i % 4, "v": i}, database_=database)
    else:
        await driver.execute_query(READ, database_=database, routing_=RoutingControl.READ)
    return (time.perf_counter() - start) * 1000


async def _calls(driver: AsyncDriver, database: str, numbers: range) -> None:
    for i in numbers:
        await _timed(driver, database, i % 2 == 1, i)


async def curve(checkpoints: list[int], sample: int) -> None:
    settings = Neo4jSettings()
    driver = create_driver(settings)
    db = settings.database
    made = 0
    try:
        for target in checkpoints:
            if made < target:  # warm up to the checkpoint: four callers, reads and writes
                await asyncio.gather(*(_calls(driver, db, range(made + k, target, 4))
                                       for k in range(4)))
                made = target
            reads = [await _timed(driver, db, False, i) for i in range(sample)]
            writes = [await _timed(driver, db, True, i) for i in range(sample)]
            print(f"after {made:6d} calls: trivial read p50 {statistics.median(reads):5.2f} ms, "
                  f"trivial write tx p50 {statistics.median(writes):5.2f} ms (next {sample} "
                  "calls of each)", flush=True)
            made += 2 * sample
    finally:
        await driver.close()


def main(checkpoints: str = typer.Option("0,1000,2000,4000,8000,16000,32000",
                                         help="Calls made before each measurement."),
         sample: int = typer.Option(200, help="Calls of each kind per measurement.")) -> None:
    """Print the floor's p50 at each checkpoint."""
    asyncio.run(curve([int(c) for c in checkpoints.split(",")], sample))


if __name__ == "__main__":
    typer.run(main)
