"""A batched bulk writer: whole threads per transaction with UNWIND (``cypher/seed/``).

It builds the same graph as the layer's methods: step and element properties come from the
layer's own validators (``step_params``, ``elements.normalise``), and the Cypher mirrors the
upserts. Only write-time values differ (user ids, ``createdAt`` of users and threads, feedback
``createdAt``/``updatedAt``), as they differ between any two runs of the layer itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from graph_layer import elements
from graph_layer.convert import iso_utc, to_json, utc_now
from graph_layer.executor import Executor
from graph_layer.seed.synth import ThreadSpec, UserSpec
from graph_layer.seed.window import TaskWindow
from graph_layer.steps import step_params
from graph_layer.threads import thread_props


async def write_users(executor: Executor, users: list[UserSpec],
                      now: datetime | None = None) -> dict[str, str]:
    """Upsert the users in one statement; return identifier -> stored id."""
    rows = [
        {"identifier": u.identifier, "id": u.id, "displayName": u.display_name,
         "metadata": to_json(u.metadata, "user.metadata")}
        for u in users
    ]
    result = await executor.run("seed/bulk_users", rows=rows, now=iso_utc(now or utc_now()))
    return {r["identifier"]: r["id"] for r in result}


def batch_params(specs: list[ThreadSpec], user_ids: dict[str, str],
                 now: datetime) -> dict[str, Any]:
    """The parameters of ``seed/bulk_threads`` for a batch of threads."""
    threads: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    elems: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    for spec in specs:
        props = thread_props(spec.name, spec.metadata, spec.tags)
        thread_steps = [step_params(step, now) for step in spec.steps]
        for params in thread_steps:
            del params["now"]
        last = max((p["createdAt"] for p in thread_steps
                    if str(p["type"] or "").endswith("_message")), default=None)
        threads.append({"id": spec.id, "userId": user_ids[spec.user.identifier], "props": props,
                        "lastActivity": last or iso_utc(now), "lastMessageAt": last})
        steps.extend(thread_steps)
        for element in spec.elements:
            write = elements.normalise(element, None)
            elems.append({"threadId": write.thread_id, "elementId": write.element_id,
                          "forId": write.for_id, "props": write.props})
        feedback.extend(spec.feedback)
    threads.sort(key=lambda row: str(row["userId"]))  # one lock order on users across batches
    return {"threads": threads, "steps": steps, "elements": elems, "feedback": feedback,
            "now": iso_utc(now)}


def _chunks(items: Iterable[ThreadSpec], size: int) -> Iterator[list[ThreadSpec]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


async def write_threads(
    executor: Executor,
    threads: Iterable[ThreadSpec],
    user_ids: dict[str, str],
    *,
    batch_size: int = 100,
    concurrency: int = 2,
    on_batch: Callable[[list[ThreadSpec]], None] | None = None,
) -> dict[str, int]:
    """Write threads in batches of ``batch_size`` (one transaction each, up to ``concurrency``
    in flight while the next batch is prepared); return the counts written."""
    totals = {"threads": 0, "steps": 0, "links": 0, "elements": 0, "feedback": 0}

    async def one(chunk: list[ThreadSpec], params: dict[str, Any]) -> None:
        rows = await executor.run("seed/bulk_threads", **params)
        for key in totals:
            totals[key] += int(rows[0][key]) if rows else 0
        if on_batch is not None:
            on_batch(chunk)

    def prepare(chunks: Iterator[list[ThreadSpec]]) -> tuple[list[ThreadSpec], dict[str, Any]]:
        chunk = next(chunks, [])
        return chunk, batch_params(chunk, user_ids, utc_now())

    chunks = _chunks(threads, batch_size)
    async with TaskWindow(concurrency) as window:
        # generate the next batch off the event loop while earlier batches are written
        while (batch := await asyncio.to_thread(prepare, chunks))[0]:
            await window.add(one(*batch))
    return totals
