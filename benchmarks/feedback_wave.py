"""``python -m benchmarks.feedback_wave``: twenty feedbacks at once, in one transaction or split.

In the full run's twenty-session chat every conversation rates its run at about the same
moment, and ChainlitDataLayer leads that line in every run: its twenty ``INSERT ... ON
CONFLICT`` statements run side by side on their own connections, where the group commit
(``graph_layer.batching``) sends our twenty rows as one transaction that locks twenty threads.
Would the same rows go faster as several transactions at once? Twenty threads with a run step
each (as the chat makes them), then waves of twenty ratings of those runs, each wave one of:

- **layer**: twenty concurrent ``Neo4jDataLayer.upsert_feedback`` calls (the group commit);
- **K transactions**: the twenty rows of ``feedback/upsert_feedback`` split into K concurrent
  auto-commit transactions of 20/K rows (``Executor.run``), for K = 1, 2, 4 and 20.

The forms take turns wave by wave (the order rotates each wave) after unrecorded waves of
each. Prints each form's p50 / p95 for a whole wave (the time the last rating of the wave
waits). Run it against a scratch ``NEO4J_URI``: it writes ``feedback-wave`` threads and
deletes them at the end.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

import typer
from chainlit.types import Feedback
from chainlit.user import User

from benchmarks.peers import scratch_peer
from benchmarks.report import pct
from benchmarks.workloads import new_message, new_step
from graph_layer import Neo4jDataLayer, write_rows
from graph_layer.context import use_http_context

SESSIONS = 20
SPLITS = (1, 2, 4, 20)


async def runs_to_rate(layer: Neo4jDataLayer) -> list[tuple[str, str]]:
    """Twenty threads of one user, each with a user message and its run: (thread, run) ids."""
    user = await layer.create_user(User(identifier=f"feedback-wave-{uuid.uuid4()}"))
    assert user is not None
    out = []
    for _ in range(SESSIONS):
        thread_id = str(uuid.uuid4())
        use_http_context(thread_id)
        await layer.update_thread(thread_id, name="feedback-wave", user_id=user.id)
        msg = new_message(thread_id, None, "user_message", "User", "rate this")
        await layer.create_step(msg)
        run = new_step(thread_id, msg["id"], "run", "on_message", "", "")
        await layer.create_step(run)
        out.append((thread_id, run["id"]))
    return out


def forms(layer: Neo4jDataLayer, runs: list[tuple[str, str]]
          ) -> dict[str, Callable[[Literal[0, 1]], Awaitable[None]]]:
    """Each way of writing one wave of ratings (its value alternates with the wave)."""
    def ratings(value: Literal[0, 1]) -> list[Feedback]:
        return [Feedback(forId=run, threadId=thread, value=value, comment="wave")
                for thread, run in runs]

    async def through_layer(value: Literal[0, 1]) -> None:
        await asyncio.gather(*(layer.upsert_feedback(f) for f in ratings(value)))

    def split(parts: int) -> Callable[[Literal[0, 1]], Awaitable[None]]:
        async def wave(value: Literal[0, 1]) -> None:
            rows = [write_rows.feedback_row(f) for f in ratings(value)]
            size = len(rows) // parts
            done = await asyncio.gather(*(
                layer.executor.run("feedback/upsert_feedback", rows=rows[i:i + size])
                for i in range(0, len(rows), size)))
            if sum(1 for part in done for row in part if row["id"]) != len(rows):
                raise RuntimeError("a rating was not written")
        return wave

    return {"layer": through_layer, **{f"{k} transactions": split(k) for k in SPLITS}}


async def measure(waves: int, warm: int) -> None:
    async with scratch_peer() as peer:
        layer = peer.ours
        await layer.setup()
        runs = await runs_to_rate(layer)
        ways = forms(layer, runs)
        names = list(ways)
        times: dict[str, list[float]] = {name: [] for name in names}
        try:
            for n in range(warm + waves):
                turn = names[n % len(names):] + names[:n % len(names)]
                for name in turn:
                    start = time.perf_counter()
                    await ways[name](1 if n % 2 else 0)
                    if n >= warm:
                        times[name].append((time.perf_counter() - start) * 1000)
        finally:
            for thread_id, _ in runs:
                await layer.delete_thread(thread_id)
        print(f"{SESSIONS} ratings a wave, {waves} waves of each after {warm} unrecorded; "
              "p50 / p95 ms per wave:")
        for name in names:
            print(f"  {name:15s} {pct(times[name], 0.5):6.2f} / {pct(times[name], 0.95):6.2f}")


def main(waves: int = typer.Option(200, help="Recorded waves of each form."),
         warm: int = typer.Option(40, help="Unrecorded waves of each form first.")) -> None:
    """Print each form's time per wave of twenty ratings."""
    asyncio.run(measure(waves, warm))


if __name__ == "__main__":
    typer.run(main)
