"""Cost: tokens of llm calls and an estimated cost, per model, user or thread."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from graph_layer.analytics.db import AnalyticsDB, When, filters
from graph_layer.errors import InvalidInputError
from graph_layer.seed.synth import DEFAULT_PRICES

GROUPS = ("model", "user", "thread_id")


def token_cost(db: AnalyticsDB, by: str = "model",
               prices: Mapping[str, tuple[float, float]] | None = None, start: When = None,
               end: When = None, user: str | None = None) -> pd.DataFrame:
    """Per ``by`` (``model``, ``user`` or ``thread_id``): ``calls``, ``prompt_tokens``,
    ``completion_tokens``, ``tokens`` and ``cost`` estimated from ``prices`` (model ->
    (USD per 1M prompt tokens, USD per 1M completion tokens); a model missing from the table
    costs NaN). Sorted by cost, highest first."""
    if by not in GROUPS:
        raise InvalidInputError(f"by must be one of {GROUPS}, got {by!r}")
    table = DEFAULT_PRICES if prices is None else prices
    df = db.frame("cost/tokens", by=by, **filters(start, end, user))
    df = df.drop(columns="key") if by == "model" else df.rename(columns={"key": by})
    prompt_price = df["model"].map(lambda m: table[m][0] if m in table else float("nan"))
    completion_price = df["model"].map(lambda m: table[m][1] if m in table else float("nan"))
    df["cost"] = (df["prompt_tokens"] * prompt_price
                  + df["completion_tokens"] * completion_price) / 1_000_000
    grouped = df.groupby(by, dropna=False)[
        ["calls", "prompt_tokens", "completion_tokens", "cost"]
    ].sum(min_count=1).reset_index()
    grouped["tokens"] = grouped["prompt_tokens"] + grouped["completion_tokens"]
    return grouped.sort_values("cost", ascending=False).reset_index(drop=True)
