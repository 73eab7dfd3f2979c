"""``python -m benchmarks.delete_commit``: what ``delete_thread`` of a 2,000-step thread costs
the user, and what its purge costs after it. Point ``NEO4J_URI`` at a scratch database (a
``delete-probe-*`` user per run with 1,000 threads, 20 one-step threads and the deleted
threads' tombstones stay). Each round
bulk-loads a fresh benchmark conversation of that user, lets the server settle, then times,
through the layer: the ``delete_thread`` call; the sidebar page the UI asks for next
(``list_threads(first=35)``) and a burst of 20 step writes in 20 other threads (twenty
conversations answering at once: the median call), while the purge the call started runs;
the rest of that purge, from the call's return (``graph_layer.purge``); and the same sidebar
page and burst once nothing runs. The first round also plans the queries."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import typer
from chainlit.types import Pagination, ThreadFilter

from benchmarks import data as ds
from benchmarks.peers import scratch_peer
from benchmarks.workloads import new_message
from graph_layer import Neo4jDataLayer
from graph_layer.context import use_http_context

USER = "delete-probe"  # and a suffix per run: the bulk loader's ids come from the name
BURST = 20


async def burst(layer: Neo4jDataLayer, threads: list[str]) -> float:
    """The median ms of one step write in each of ``threads``, all at once."""

    async def one(thread_id: str) -> float:
        start = time.perf_counter()
        await layer.create_step(new_message(thread_id, None, "assistant_message", "probe", "x"))
        return (time.perf_counter() - start) * 1000

    return statistics.median(await asyncio.gather(*(one(t) for t in threads)))


async def rounds(n: int, steps: int) -> None:
    columns: dict[str, list[float]] = {"call": [], "sidebar during purge": [],
                                       "writes during purge": [], "purge": [],
                                       "sidebar after": [], "writes after": []}
    user = f"{USER}-{uuid.uuid4().hex[:8]}"
    use_http_context()  # create_step, as Chainlit queues it, needs a Chainlit context
    async with scratch_peer() as peer:
        layer = peer.ours
        await layer.setup()
        await peer.load(ds.sidebar_user(user, 1000, ds.BASE_TIME))
        sidebar = ThreadFilter(userId=await peer.user_id(user))
        writers = [str(uuid.uuid4()) for _ in range(BURST)]
        await burst(layer, writers)  # their threads exist before the rounds
        for i in range(n):
            conv = ds.conversation(user, str(uuid.uuid4()), steps, ds.BASE_TIME)
            await peer.load(conv)
            await peer.settle()
            start = time.perf_counter()
            await layer.delete_thread(conv.threads[0].id)
            returned = time.perf_counter()
            await layer.list_threads(Pagination(first=35), sidebar)
            listed = time.perf_counter()
            writes_during = await burst(layer, writers)
            removed = await layer.purge_deleted()
            purged = time.perf_counter()
            await layer.list_threads(Pagination(first=35), sidebar)
            after = time.perf_counter()
            writes_after = await burst(layer, writers)
            figures = {"call": (returned - start) * 1000,
                       "sidebar during purge": (listed - returned) * 1000,
                       "writes during purge": writes_during,
                       "purge": (purged - returned) * 1000,
                       "sidebar after": (after - purged) * 1000, "writes after": writes_after}
            for name, ms in figures.items():
                columns[name].append(ms)
            print(f"round {i}: " + ", ".join(f"{k} {v:6.1f} ms" for k, v in figures.items())
                  + f" ({removed} nodes left for purge_deleted() by the background purge)",
                  flush=True)
    later = {k: v[1:] or v for k, v in columns.items()}  # the first round plans
    print("median after the first round: " + ", ".join(
        f"{k} {statistics.median(v):.1f} ms" for k, v in later.items()))


def main(n: int = typer.Option(6, help="Rounds."),
         steps: int = typer.Option(2000, help="Steps per deleted thread.")) -> None:
    """Print the call, the sidebar and a burst of writes during and after the purge, and the
    purge, per round."""
    asyncio.run(rounds(n, steps))


if __name__ == "__main__":
    typer.run(main)
