"""``graph-layer seed``: write synthetic conversations, through the layer or the bulk writer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from graph_layer.context import use_http_context
from graph_layer.errors import GraphLayerError
from graph_layer.extras import analytics_installed
from graph_layer.layer import Neo4jDataLayer
from graph_layer.seed import bulk, through_layer
from graph_layer.seed.synth import ThreadSpec, iter_threads, make_users

console = Console(stderr=True)
T = TypeVar("T")


async def seed(users: int, threads: int, seed_value: int, days: int, *, use_bulk: bool,
               concurrency: int, batch_size: int,
               progress: Progress | None = None) -> dict[str, int]:
    """Seed the database ``NEO4J_*`` names; return counts written (threads, steps, ...)."""
    layer = Neo4jDataLayer.from_env()
    counts = {"threads": 0, "steps": 0, "elements": 0, "feedback": 0}
    task = progress.add_task("threads", total=threads) if progress is not None else None

    def count(specs: list[ThreadSpec]) -> None:
        for spec in specs:
            counts["threads"] += 1
            counts["steps"] += len(spec.steps)
            counts["elements"] += len(spec.elements)
            counts["feedback"] += len(spec.feedback)
        if progress is not None and task is not None:
            progress.advance(task, len(specs))

    try:
        await layer.setup()
        people = make_users(users, seed_value, days)
        specs = iter_threads(people, threads, seed_value, days)
        if use_bulk:
            ids = await bulk.write_users(layer.executor, people)
            await bulk.write_threads(layer.executor, specs, ids, batch_size=batch_size,
                                     on_batch=count)
        else:
            use_http_context()  # the queued layer methods read chainlit's context
            ids = await through_layer.create_users(layer, people)
            await through_layer.write_threads(layer, specs, ids, concurrency=concurrency,
                                              on_thread=lambda s: count([s]))
    finally:
        await layer.close()
    return counts


def seed_command(
    users: Annotated[int, typer.Option(help="Number of users.")] = 50,
    threads: Annotated[int, typer.Option(help="Number of threads.")] = 500,
    seed_value: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = 7,
    days: Annotated[int, typer.Option(help="Days the threads spread over.")] = 42,
    use_bulk: Annotated[bool, typer.Option("--bulk", help="Batched UNWIND writer.")] = False,
    concurrency: Annotated[int, typer.Option(help="Threads written at once (layer).")] = 8,
    batch_size: Annotated[int, typer.Option(help="Threads per bulk transaction.")] = 200,
) -> None:
    """Write deterministic synthetic Chainlit conversations into the database NEO4J_URI names."""
    started = time.perf_counter()
    counts = _with_progress("seeding", MofNCompleteColumn(), lambda progress: asyncio.run(
        seed(users, threads, seed_value, days, use_bulk=use_bulk, concurrency=concurrency,
             batch_size=batch_size, progress=progress)))
    seconds = time.perf_counter() - started
    console.print(
        f"{counts['threads']} threads, {counts['steps']} steps, {counts['elements']} elements, "
        f"{counts['feedback']} feedback in {seconds:.1f} s "
        f"({counts['steps'] / max(seconds, 1e-9):.0f} steps/s, "
        f"{'bulk writer' if use_bulk else 'through the layer'})"
    )
    if analytics_installed():
        refresh_summaries()


def refresh_summaries() -> None:
    """Summarise the new threads for the analytics now, so the first analysis needn't."""
    from graph_layer.analytics.db import AnalyticsDB

    def refresh(progress: Progress) -> int:
        task = progress.add_task("summaries", total=None)
        with AnalyticsDB() as db:
            return db.refresh_summaries(on_batch=lambda n: progress.advance(task, n))

    started = time.perf_counter()
    refreshed = _with_progress("summarising", TextColumn("{task.completed}"), refresh)
    console.print(f"analytics summaries of {refreshed} threads refreshed in "
                  f"{time.perf_counter() - started:.1f} s")


def _with_progress(title: str, count: ProgressColumn, work: Callable[[Progress], T]) -> T:
    """Run ``work`` under a progress bar; a GraphLayerError is printed and exits with 1."""
    columns = (TextColumn(f"[bold]{title}"), BarColumn(), count, TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            return work(progress)
    except GraphLayerError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(code=1) from err
