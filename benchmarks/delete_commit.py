"""``python -m benchmarks.delete_commit``: what ``delete_thread`` of a 2,000-step thread costs
the user, and what its purge costs after it. Point ``NEO4J_URI`` at a scratch database (a
``delete-probe`` user with 1,000 threads and the deleted threads' tombstones stay). Each round
bulk-loads a fresh benchmark conversation of that user, lets the server settle, then times,
through the layer: the ``delete_thread`` call; the sidebar page the UI asks for next
(``list_threads(first=35)``), while the purge the call started runs; the rest of that purge,
from the call's return (``graph_layer.purge``); and the same sidebar page once nothing runs.
The first round also plans the queries."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import typer
from chainlit.types import Pagination, ThreadFilter

from benchmarks import data as ds
from benchmarks.peers import scratch_peer

USER = "delete-probe"


async def rounds(n: int, steps: int) -> None:
    columns: dict[str, list[float]] = {"call": [], "sidebar during purge": [], "purge": [],
                                       "sidebar after": []}
    async with scratch_peer() as peer:
        layer = peer.ours
        await layer.setup()
        await peer.load(ds.sidebar_user(USER, 1000, ds.BASE_TIME))
        sidebar = ThreadFilter(userId=await peer.user_id(USER))
        for i in range(n):
            conv = ds.conversation(USER, str(uuid.uuid4()), steps, ds.BASE_TIME)
            await peer.load(conv)
            await peer.settle()
            start = time.perf_counter()
            await layer.delete_thread(conv.threads[0].id)
            returned = time.perf_counter()
            await layer.list_threads(Pagination(first=35), sidebar)
            listed = time.perf_counter()
            removed = await layer.purge_deleted()
            purged = time.perf_counter()
            await layer.list_threads(Pagination(first=35), sidebar)
            after = time.perf_counter()
            figures = {"call": returned - start, "sidebar during purge": listed - returned,
                       "purge": purged - returned, "sidebar after": after - purged}
            for name, seconds in figures.items():
                columns[name].append(seconds * 1000)
            print(f"round {i}: " + ", ".join(f"{k} {v * 1000:6.1f} ms"
                                             for k, v in figures.items())
                  + f" ({removed} nodes left for purge_deleted() by the background purge)",
                  flush=True)
    later = {k: v[1:] or v for k, v in columns.items()}  # the first round plans
    print("median after the first round: " + ", ".join(
        f"{k} {statistics.median(v):.1f} ms" for k, v in later.items()))


def main(n: int = typer.Option(6, help="Rounds."),
         steps: int = typer.Option(2000, help="Steps per deleted thread.")) -> None:
    """Print the call, the sidebar during and after the purge, and the purge, per round."""
    asyncio.run(rounds(n, steps))


if __name__ == "__main__":
    typer.run(main)
