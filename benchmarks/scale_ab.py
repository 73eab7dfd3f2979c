"""``python -m benchmarks.scale_ab``: does a sidebar page or a resume cost more in a bigger
database? Two servers side by side, the same but for their data.

The benchmark's scale line (``graph-layer bench --scale``) measures the same calls after each
bulk load into one server, so each scale point is also a later moment, after that load and
what the server does after it (Lucene's merges, re-plans, the JIT compiler's work). While
it measured right after each load, its ratios moved from 0.37x to 2.10x between runs on
calls of 2-12 ms (docs/performance.md, "Scale"). Here both sizes are measured at the same
moments instead. Two local servers with the
settings of the benchmark's own (temporary homes, free ports) each get the benchmark's
1,000-thread sidebar user and its 200-step resume conversation, loaded the same way, and
background threads of other users (``benchmarks.data.background``: the same words, the search
word in 1% of messages): ``--small`` on one, ``--large`` on the other. Then every call
``--warm`` times on each unrecorded, and ``--blocks`` rounds of ``--block`` calls of each, the
servers taking turns (``benchmarks.setting_ab``). Every recorded page and thread is checked
against what was loaded. The ``p50 change`` is the large database's against the small one's.

In three runs of the same data but for one thread (``--small 999 --large 1000``, one with
``--large-first``), the server going second (started, loaded, warmed and first measured after
the other) was the faster on seven of nine lines, by up to 16%: the order carries a bias of
about that size. ``--large-first`` puts it against the large database.

The calls: the user's first sidebar page (``list_threads(first=35)``), the first page of a
search for the benchmark's search word, and ``get_thread`` of the 200-step thread.
"""

from __future__ import annotations

import time
from datetime import timedelta

import typer
from chainlit.types import Pagination, ThreadFilter

from benchmarks import data as ds
from benchmarks.peers import Neo4jPeer
from benchmarks.setting_ab import Call, CallsFor, side_by_side

SIDEBAR_THREADS = 1000
SIDEBAR_USER = f"sidebar-{SIDEBAR_THREADS}"  # the benchmark's name for that user
RESUME_STEPS = 200


def _label(threads: int) -> str:
    """``+1k background`` for 1,000 threads, ``+1,500 background`` for 1,500."""
    if threads >= 1000 and threads % 1000 == 0:
        return f"+{threads // 1000:,}k background"
    return f"+{threads:,} background"


def _make_calls(sizes: dict[str, int]) -> CallsFor:
    """The calls for each server, after loading its data; ``sizes`` maps a server's label to
    its background threads."""
    user = ds.sidebar_user(SIDEBAR_USER, SIDEBAR_THREADS, ds.BASE_TIME)
    newest = [t.id for t in sorted(user.threads, key=lambda t: t.last_activity, reverse=True)]
    hits = {t.id for t in user.threads if ds.SEARCH_WORD in t.name}
    conv = ds.conversation("resume-user", f"resume-{RESUME_STEPS}", RESUME_STEPS, ds.BASE_TIME)

    async def calls_for(label: str, peer: Neo4jPeer) -> dict[str, Call]:
        start = time.perf_counter()
        await peer.reset()
        world = ds.Dataset()
        for part in (user, conv, ds.background(sizes[label], ds.BASE_TIME + timedelta(days=400))):
            world.extend(part)
        await peer.load(world)
        await peer.settle()
        counts = await peer.counts()
        assert counts["threads"] == len(world.threads), f"{label}: {counts} after the load"
        print(f"{label}: loaded {len(world.threads):,} threads, {len(world.steps):,} steps in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        layer, uid = peer.ours, await peer.user_id(SIDEBAR_USER)
        thread_id = conv.threads[0].id

        async def first_page(i: int) -> None:
            page = await layer.list_threads(Pagination(first=35), ThreadFilter(userId=uid))
            assert [t["id"] for t in page.data] == newest[:35], f"{label}: wrong first page"

        async def search(i: int) -> None:
            page = await layer.list_threads(Pagination(first=35),
                                            ThreadFilter(userId=uid, search=ds.SEARCH_WORD))
            got = [t["id"] for t in page.data]
            assert got == [t for t in newest if t in hits][:35], f"{label}: wrong search page"

        async def resume(i: int) -> None:
            thread = await layer.get_thread(thread_id)
            assert thread is not None and len(thread["steps"]) == len(conv.steps), \
                f"{label}: the thread came back without its {len(conv.steps)} steps"

        return {"list_threads first=35": first_page, "list_threads search": search,
                f"get_thread ({RESUME_STEPS} steps)": resume}

    return calls_for


def main(small: int = typer.Option(1000, help="Background threads of the smaller database."),
         large: int = typer.Option(100_000, help="Background threads of the larger database."),
         warm: int = typer.Option(500, help="Unrecorded calls of each kind first, on each."),
         blocks: int = typer.Option(10, help="Rounds of blocks taking turns."),
         block: int = typer.Option(30, help="Calls per block."),
         settle: float = typer.Option(1.0, help="Seconds to wait after each block."),
         large_first: bool = typer.Option(
             False, help="Start, load and warm the large database's server first.")) -> None:
    """Load a small and a large database side by side, compare the sidebar and resume calls."""
    if not 0 <= small < large:
        raise typer.BadParameter("--small must be at least 0 and below --large")
    sizes = {_label(small): small, _label(large): large}
    side_by_side("scale", {label: {} for label in sizes}, _make_calls(sizes), warm=warm,
                 blocks=blocks, block=block, settle=settle, reverse=large_first)


if __name__ == "__main__":
    typer.run(main)
