"""``python -m benchmarks.after_load``: how the sidebar recovers after a bulk load.

Against ``NEO4J_URI`` holding a ``graph-layer bench --scale ...`` run's data (its
``sidebar-1000`` user): rounds of 10 sidebar searches and 10 first pages (``list_threads``),
then a bulk load of ``--threads`` more background threads as the scale line loads them, the
benchmark's settle (``db.awaitIndexes``, the full-text indexes' pending updates), and more
rounds, each with its time since the settle. Whether the server's work after a load (Lucene's
merges, index sampling) is what the benchmark's scale line measures: the line's calls come
right after such a load and a settle."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta

import typer
from chainlit.types import Pagination, ThreadFilter

from benchmarks import data as ds
from benchmarks.peers import Neo4jPeer, scratch_peer

SIDEBAR_USER = "sidebar-1000"
# whether this is a benchmark's database, its sidebar user's id, and the highest N of the
# background users (ds.background's $prefix + N) that its loads made
STATE = """
RETURN COUNT { (:GraphLayerBenchRun) } > 0 AS bench,
       COLLECT { MATCH (u:User {identifier: $user}) RETURN u.id }[0] AS uid,
       COLLECT { MATCH (u:User) WHERE u.identifier STARTS WITH $prefix
                 RETURN max(toInteger(substring(u.identifier, size($prefix)))) }[0] AS last
"""


async def _rounds(peer: Neo4jPeer, uid: str, n: int, since: float) -> None:
    """``n`` rounds of 10 searches and 10 first pages, 2 s apart; prints their p50s and when
    each round began (seconds after ``since``)."""
    layer = peer.ours
    for _ in range(n):
        began = time.perf_counter() - since
        search: list[float] = []
        page: list[float] = []
        for _ in range(10):
            for filters, times in ((ThreadFilter(userId=uid, search=ds.SEARCH_WORD), search),
                                   (ThreadFilter(userId=uid), page)):
                start = time.perf_counter()
                await layer.list_threads(Pagination(first=35), filters)
                times.append((time.perf_counter() - start) * 1000)
        print(f"  {began:5.1f} s: search p50 "
              f"{statistics.median(search):5.1f} ms, first page p50 "
              f"{statistics.median(page):5.1f} ms", flush=True)
        await asyncio.sleep(2)


async def after_load(threads: int, before: int, after: int) -> None:
    async with scratch_peer() as peer:
        records, _, _ = await peer.admin.execute_query(
            STATE, user=SIDEBAR_USER, prefix=ds.BACKGROUND_USER, database_=peer.db)
        state = records[0]
        uid = state["uid"]
        if not (state["bench"] and uid):
            raise typer.BadParameter(f"{peer.uri} holds no benchmark run's data with its "
                                     f"{SIDEBAR_USER} user: run graph-layer bench --scale first")
        last = state["last"]
        offset = 0 if last is None else (last + 1) * ds.BACKGROUND_PER_USER  # new users only
        print("before the load:")
        await _rounds(peer, uid, before, time.perf_counter())
        extra = ds.background(threads, ds.BASE_TIME + timedelta(days=400), offset)
        start = time.perf_counter()
        await peer.load(extra)  # its users, then its rows in bulk
        await peer.settle()
        settled = time.perf_counter()
        print(f"loaded {threads} threads and settled in {settled - start:.1f} s; since then:")
        await _rounds(peer, uid, after, settled)


def main(threads: int = typer.Option(100_000, help="Background threads to load."),
         before: int = typer.Option(3, help="Rounds before the load."),
         after: int = typer.Option(12, help="Rounds after it.")) -> None:
    """Time the sidebar before and after a bulk load."""
    asyncio.run(after_load(threads, before, after))


if __name__ == "__main__":
    typer.run(main)
