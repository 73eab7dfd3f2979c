"""``python -m benchmarks.warmup_curve``: how a freshly started Neo4j speeds up as it serves
calls (the JVM compiles its hot paths as they get hot). Between checkpoints it makes rounds of
the benchmark's floor calls (a trivial read and a one-row write transaction, through the
benchmark's ``Neo4jPeer.floor_read`` / ``floor_write``); at each checkpoint it prints their p50.
Run it against a server that was just started (``NEO4J_URI``; it writes only a ``:BenchFloor``
node)."""

from __future__ import annotations

import asyncio
import statistics
import time

import typer

from benchmarks.peers import Neo4jPeer, scratch_peer


async def _timed(peer: Neo4jPeer, write: bool, i: int) -> float:
    start = time.perf_counter()
    await (peer.floor_write(i) if write else peer.floor_read())
    return (time.perf_counter() - start) * 1000


async def _calls(peer: Neo4jPeer, numbers: range) -> None:
    for i in numbers:
        await _timed(peer, i % 2 == 1, i)


async def curve(checkpoints: list[int], sample: int) -> None:
    made = 0
    async with scratch_peer() as peer:
        for target in checkpoints:
            if made < target:  # warm up to the checkpoint: four callers, reads and writes
                await asyncio.gather(*(_calls(peer, range(made + k, target, 4))
                                       for k in range(4)))
                made = target
            reads = [await _timed(peer, False, i) for i in range(sample)]
            writes = [await _timed(peer, True, i) for i in range(sample)]
            print(f"after {made:6d} calls: trivial read p50 {statistics.median(reads):5.2f} "
                  f"ms, trivial write tx p50 {statistics.median(writes):5.2f} ms (next "
                  f"{sample} calls of each)", flush=True)
            made += 2 * sample


def main(checkpoints: str = typer.Option("0,1000,2000,4000,8000,16000,32000",
                                         help="Calls made before each measurement."),
         sample: int = typer.Option(200, help="Calls of each kind per measurement.")) -> None:
    """Print the floor's p50 at each checkpoint."""
    asyncio.run(curve([int(c) for c in checkpoints.split(",")], sample))


if __name__ == "__main__":
    typer.run(main)
