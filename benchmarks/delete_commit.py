"""``python -m benchmarks.delete_commit``: where ``delete_thread`` of a 2,000-step thread spends
its time. Each round bulk-loads a fresh benchmark conversation into ``NEO4J_URI`` (point it
at a scratch database: a ``delete-probe`` user and the deleted threads' tombstones stay),
lets the server settle, then runs ``cypher/thread/delete_thread.cypher`` in an explicit
transaction and prints the query's time and the commit's, then the time the purge that the
layer runs after the call (``graph_layer.purge``) took. The first round also plans the
queries."""

from __future__ import annotations

import asyncio
import time
import uuid

import typer

from benchmarks import data as ds
from benchmarks.peers import scratch_peer
from graph_layer import queries
from graph_layer.convert import iso_utc, utc_now


async def rounds(n: int, steps: int) -> None:
    text = queries.get("thread/delete_thread").text
    async with scratch_peer() as peer:
        await peer.ours.setup()
        for _ in range(n):
            conv = ds.conversation("delete-probe", str(uuid.uuid4()), steps, ds.BASE_TIME)
            await peer.load(conv)
            await peer.settle()
            async with peer.admin.session(database=peer.db) as session:
                start = time.perf_counter()
                tx = await session.begin_transaction()
                result = await tx.run(text, threadId=conv.threads[0].id, now=iso_utc(utc_now()))
                counters = (await result.consume()).counters
                ran = time.perf_counter()
                await tx.commit()
                done = time.perf_counter()
            removed = await peer.ours.purge_deleted()
            purged = time.perf_counter()
            print(f"query {(ran - start) * 1000:6.1f} ms, commit {(done - ran) * 1000:6.1f} "
                  f"ms: {counters.nodes_deleted} nodes, {counters.relationships_deleted} "
                  f"relationships; then the purge {(purged - done) * 1000:6.1f} ms: "
                  f"{removed} nodes", flush=True)


def main(n: int = typer.Option(5, help="Rounds."),
         steps: int = typer.Option(2000, help="Steps per deleted thread.")) -> None:
    """Print the query and commit time of each delete."""
    asyncio.run(rounds(n, steps))


if __name__ == "__main__":
    typer.run(main)
