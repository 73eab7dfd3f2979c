"""Latency: step durations (end - start) per type and name, percentiles, slowest steps."""

from __future__ import annotations

import pandas as pd

from graph_layer.analytics.db import AnalyticsDB, When, filters


def latency_by_step(db: AnalyticsDB, start: When = None, end: When = None,
                    user: str | None = None, step_type: str | None = None) -> pd.DataFrame:
    """Per ``type``, ``name`` and ``model`` (llm calls; None otherwise): ``steps``,
    ``mean_ms``, ``p50_ms``, ``p95_ms``, ``p99_ms``, ``max_ms`` (percentiles interpolated
    linearly, as ``numpy.percentile`` by default); only steps of ``step_type`` if given."""
    return db.frame("latency/latency_by_step", type=step_type, **filters(start, end, user))


def slowest_tools(db: AnalyticsDB, start: When = None, end: When = None,
                  user: str | None = None) -> pd.DataFrame:
    """Tools ranked by p95 duration (slowest first)."""
    df = latency_by_step(db, start, end, user, step_type="tool")
    tools = df.sort_values("p95_ms", ascending=False)
    return tools.reset_index(drop=True)


def slowest_steps(db: AnalyticsDB, step_type: str | None = None, start: When = None,
                  end: When = None, user: str | None = None, limit: int = 20) -> pd.DataFrame:
    """The ``limit`` slowest steps (optionally of one type) with their thread, longest first."""
    return db.frame("latency/slowest_steps", type=step_type, **filters(start, end, user),
                    limit=limit)
