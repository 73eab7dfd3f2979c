"""``python -m benchmarks.size_class``: a lone write planned after only batches of twenty.

Neo4j caches a plan per query text and per set of parameter types, where a list parameter's
type includes its size class (1, 2-10, 11-100, ... items; ``graph_layer.plan_ahead``). The
group commit sends ``$rows`` of one row for a lone call and of up to twenty when twenty
sessions write at once. The benchmark's warm-up, until change 32, ran only twenty-session
chats, in which the twenty logins of a wave always went in one batch: after the query caches
were emptied two thirds in (change 25), ``user/upsert_user`` was planned again for twenty rows
only, and the first lone ``create_user`` of the measured one-session line planned it for one.

Each trial here does the same on a scratch server: the query caches emptied, three waves of
twenty concurrent ``create_user`` calls, then three lone calls, then three more. As a control,
each trial then does it again with one lone call before the waves, so that the class of one
row is planned before them. Printed is each lone call's server time (the driver's
``result_available_after`` plus ``result_consumed_after``, which include planning) and the
executor's whole time for its query, in ms; a lone call whose row shared a transaction is
marked ``(N rows)``.

Run it against a scratch ``NEO4J_URI``: it empties the server's query caches (every query is
planned again at its next call) and leaves the users it made (``size-class-...``).
"""

from __future__ import annotations

import asyncio
import uuid

import typer
from chainlit.user import User

from benchmarks.peers import scratch_peer
from graph_layer.executor import timing_records


async def trials(count: int) -> None:
    """``count`` trials, each printed as two lines (without and with the control's lone call)."""
    async with scratch_peer() as peer:
        layer = peer.ours
        await layer.setup()

        async def login() -> None:
            await layer.create_user(User(identifier=f"size-class-{uuid.uuid4()}"))

        async def lone(calls: int) -> str:
            with timing_records() as records:
                for _ in range(calls):
                    await login()
            return ", ".join(f"{r.server_ms:.0f} / {r.total_ms:.1f}"
                             + (f" ({r.rows} rows)" if r.rows != 1 else "")
                             for r in records if r.query == "user/upsert_user")

        print("lone create_user after waves of 20: server / whole ms per call")
        for trial in range(count):
            for control in (False, True):
                await peer.fresh_plans()
                before = f"one lone call ({await lone(1)}), then " if control else ""
                for _ in range(3):
                    await asyncio.gather(*(login() for _ in range(20)))
                first = await lone(3)
                then = await lone(3)
                print(f"  trial {trial + 1}: {before}the waves; the first three {first}; "
                      f"the next three {then}")


def main(count: int = typer.Option(3, help="Trials.")) -> None:
    """Print the lone calls' server and whole times per trial."""
    asyncio.run(trials(count))


if __name__ == "__main__":
    typer.run(main)
