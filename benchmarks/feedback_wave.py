"""``python -m benchmarks.feedback_wave``: twenty feedbacks at once, in one transaction or split.

In the full run's twenty-session chat every conversation rates its run at about the same
moment, and ChainlitDataLayer leads that line in every run: its twenty ``INSERT ... ON
CONFLICT`` statements run side by side on their own connections, where the group commit
(``graph_layer.batching``) sends our twenty rows as one transaction that locks twenty threads.
Would the same rows go faster as several transactions at once? Twenty threads of one user,
each with a user message; before each wave a new run under each message (written at once,
not timed), then the wave rates those twenty runs, which have no feedback yet (each rating
creates a feedback node and its link, as in the chat), in one of these ways:

- **layer**: twenty concurrent ``Neo4jDataLayer.upsert_feedback`` calls (the group commit);
- **K transactions**: the twenty rows of ``feedback/upsert_feedback`` split into K concurrent
  auto-commit transactions (``Executor.run``), for K = 1, 2, 4 and 20.

The forms take turns wave by wave (the order rotates each wave) after unrecorded waves of
each. Prints each form's p50 / p95 for a whole wave (the time the last rating of the wave
waits). Run it against a scratch ``NEO4J_URI``: it writes a ``feedback-wave-…`` user and
threads, and deletes them at the end (``delete_user``: all the user's steps and feedback in
one transaction; the threads stay as tombstones, as the layer keeps a deleted user's).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

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


Rated = list[tuple[str, str]]  # (thread id, run id) of each conversation


async def threads(layer: Neo4jDataLayer, user_id: str) -> list[tuple[str, str]]:
    """Twenty threads of the user, each with a user message: (thread, message) ids."""
    out = []
    for _ in range(SESSIONS):
        thread_id = str(uuid.uuid4())
        use_http_context(thread_id)
        await layer.update_thread(thread_id, name="feedback-wave", user_id=user_id)
        msg = new_message(thread_id, None, "user_message", "User", "rate this")
        await layer.create_step(msg)
        out.append((thread_id, msg["id"]))
    return out


async def new_runs(layer: Neo4jDataLayer, messages: list[tuple[str, str]]) -> Rated:
    """A new run under each thread's message, written at once (not timed): a wave rates runs
    that have no feedback yet, as the chat's turns do."""
    runs = [new_step(thread_id, msg_id, "run", "on_message", "", "")
            for thread_id, msg_id in messages]
    await asyncio.gather(*(layer.create_step(run) for run in runs))
    return [(run["threadId"], run["id"]) for run in runs]


def forms(layer: Neo4jDataLayer) -> dict[str, Callable[[Rated], Awaitable[None]]]:
    """Each way of writing one wave of ratings, one for each of the given runs."""
    def ratings(runs: Rated) -> list[Feedback]:
        return [Feedback(forId=run, threadId=thread, value=1, comment="wave")
                for thread, run in runs]

    async def through_layer(runs: Rated) -> None:
        await asyncio.gather(*(layer.upsert_feedback(f) for f in ratings(runs)))

    def split(parts: int) -> Callable[[Rated], Awaitable[None]]:
        async def wave(runs: Rated) -> None:
            rows = [write_rows.feedback_row(f) for f in ratings(runs)]
            done = await asyncio.gather(*(
                layer.executor.run("feedback/upsert_feedback", rows=rows[i::parts])
                for i in range(parts)))
            if sum(1 for part in done for row in part if row["id"]) != len(rows):
                raise RuntimeError("a rating was not written")
        return wave

    return {"layer": through_layer,
            **{f"{k} transaction{'s' if k > 1 else ''}": split(k) for k in SPLITS}}


async def measure(waves: int, warm: int) -> None:
    async with scratch_peer() as peer:
        layer = peer.ours
        await layer.setup()
        identifier = f"feedback-wave-{uuid.uuid4()}"
        user = await layer.create_user(User(identifier=identifier))
        assert user is not None
        ways = forms(layer)
        names = list(ways)
        times: dict[str, list[float]] = {name: [] for name in names}
        try:
            messages = await threads(layer, user.id)
            for n in range(warm + waves):
                turn = names[n % len(names):] + names[:n % len(names)]
                for name in turn:
                    runs = await new_runs(layer, messages)
                    start = time.perf_counter()
                    await ways[name](runs)
                    if n >= warm:
                        times[name].append((time.perf_counter() - start) * 1000)
        finally:
            await layer.delete_user(identifier)
        print(f"{SESSIONS} new ratings a wave, {waves} waves of each after {warm} unrecorded; "
              "p50 / p95 ms per wave:")
        for name in names:
            print(f"  {name:15s} {pct(times[name], 0.5):6.2f} / {pct(times[name], 0.95):6.2f}")


def main(waves: int = typer.Option(200, help="Recorded waves of each form."),
         warm: int = typer.Option(40, help="Unrecorded waves of each form first.")) -> None:
    """Print each form's time per wave of twenty ratings."""
    asyncio.run(measure(waves, warm))


if __name__ == "__main__":
    typer.run(main)
