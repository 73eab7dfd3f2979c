"""``graph-layer analytics-timing`` (or ``python -m graph_layer.analytics.timing``): run every
analysis on the database ``NEO4J_*`` names and print how long each takes (first run and best of
``--repeat``), with the size of the graph."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from graph_layer import analytics
from graph_layer.analytics.db import AnalyticsDB

console = Console()


def analyses(db: AnalyticsDB) -> list[tuple[str, Callable[[], Any]]]:
    """Every analysis, by a readable name, as a call on ``db``."""
    shapes = analytics.thread_shapes(db)
    thread_id = str(shapes.sort_values("steps").iloc[-1]["thread_id"]) if len(shapes) else ""
    user = str(shapes["user"].mode().iloc[0]) if len(shapes) else ""
    a = analytics
    return [
        ("activity_per_day", lambda: a.activity_per_day(db)),
        ("activity_per_day(user)", lambda: a.activity_per_day(db, user=user)),
        ("retention_by_cohort", lambda: a.retention_by_cohort(db)),
        ("thread_shapes", lambda: a.thread_shapes(db)),
        ("thread_shapes(user)", lambda: a.thread_shapes(db, user=user)),
        ("turn_paths", lambda: a.turn_paths(db)),
        ("feedback_by(tool)", lambda: a.feedback_by(db, by="tool")),
        ("feedback_by(step_name)", lambda: a.feedback_by(db, by="step_name")),
        ("feedback_by(model)", lambda: a.feedback_by(db, by="model")),
        ("feedback_by(path)", lambda: a.feedback_by(db, by="path")),
        ("thumbs_down_lift(tool)", lambda: a.thumbs_down_lift(db, by="tool")),
        ("thumbs_down_lift(path)", lambda: a.thumbs_down_lift(db, by="path")),
        ("error_rate_by_step", lambda: a.error_rate_by_step(db)),
        ("latency_by_step", lambda: a.latency_by_step(db)),
        ("slowest_tools", lambda: a.slowest_tools(db)),
        ("slowest_steps", lambda: a.slowest_steps(db)),
        ("token_cost(model)", lambda: a.token_cost(db, by="model")),
        ("token_cost(user)", lambda: a.token_cost(db, by="user")),
        ("token_cost(thread_id)", lambda: a.token_cost(db, by="thread_id")),
        ("thread_tree(largest)", lambda: a.thread_tree(db, thread_id)),
    ]


def timing_command(
    repeat: Annotated[int, typer.Option(help="Runs per analysis (best is reported).")] = 3,
) -> None:
    """Time every analysis on the database NEO4J_URI names (target: under 2 s each)."""
    with analytics.connect() as db:
        sizes = db.frame("graph_counts").iloc[0].to_dict()
        console.print("graph: " + ", ".join(f"{v} {k}" for k, v in sizes.items()))
        started = time.perf_counter()
        refreshed = db.refresh_summaries()
        console.print(f"summaries: {refreshed} stale threads refreshed in "
                      f"{time.perf_counter() - started:.1f} s (each analysis below refreshes "
                      "what was written since, then reads)")
        table = Table("analysis", "rows", "first (s)", f"best of {repeat} (s)", "< 2 s")
        worst = 0.0
        for name, call in analyses(db):
            times = []
            rows = 0
            for _ in range(max(repeat, 1)):
                started = time.perf_counter()
                result = call()
                times.append(time.perf_counter() - started)
                rows = len(result) if not isinstance(result, tuple) else len(result[0])
            worst = max(worst, min(times))
            table.add_row(name, str(rows), f"{times[0]:.2f}", f"{min(times):.2f}",
                          "yes" if min(times) < 2 else "[red]no[/red]")
        console.print(table)
        console.print(f"slowest analysis (best of {repeat}): {worst:.2f} s")


if __name__ == "__main__":
    typer.run(timing_command)
