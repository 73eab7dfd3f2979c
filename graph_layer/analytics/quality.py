"""Quality: feedback rate and share positive per item of a turn, thumbs-down attribution
(lift and support), error rate per step."""

from __future__ import annotations

import pandas as pd

from graph_layer.analytics.db import AnalyticsDB, When, filters
from graph_layer.errors import InvalidInputError

ITEMS = ("tool", "step_name", "model", "path")


def turn_feedback(db: AnalyticsDB, by: str, start: When, end: When,
                  user: str | None) -> pd.DataFrame:
    """Per item of a turn (``by``: tool, step_name, model or path): ``turns``, ``rated``,
    ``positive``, ``negative`` (most turns first), from freshly refreshed turn summaries."""
    if by not in ITEMS:
        raise InvalidInputError(f"by must be one of {ITEMS}, got {by!r}")
    return db.frame("quality/turn_feedback", by=by, **filters(start, end, user))


def feedback_by(db: AnalyticsDB, by: str = "tool", start: When = None, end: When = None,
                user: str | None = None) -> pd.DataFrame:
    """Per ``item`` (a tool, step name, model or step-type path, as ``by`` says): ``turns``
    containing it, ``rated`` turns, ``positive``/``negative``, ``feedback_rate`` (rated /
    turns) and ``share_positive`` (positive / rated)."""
    df = turn_feedback(db, by, start, end, user)
    df["feedback_rate"] = df["rated"] / df["turns"]
    df["share_positive"] = df["positive"] / df["rated"].where(df["rated"] > 0)
    return df


def thumbs_down_lift(db: AnalyticsDB, by: str = "tool", start: When = None, end: When = None,
                     user: str | None = None, min_support: float = 0.0) -> pd.DataFrame:
    """Which items appear more often under thumbs-down than under thumbs-up.

    ``support_down`` = share of thumbs-down turns containing the item, ``support_up`` likewise
    for thumbs-up, ``support`` = share of all rated turns, ``lift`` = support_down / support_up
    (> 1: over-represented under thumbs-down). Sorted by lift; ``min_support`` drops rare items.
    """
    items = turn_feedback(db, by, start, end, user)
    # every turn has exactly one path, so the paths' counts add up to the rated-turn totals
    totals = items if by == "path" else turn_feedback(db, "path", start, end, user)
    down = int(totals["negative"].sum())
    up = int(totals["positive"].sum())
    df = items[["item", "negative", "positive", "rated"]].copy()
    df["support_down"] = df["negative"] / down if down else float("nan")
    df["support_up"] = df["positive"] / up if up else float("nan")
    df["support"] = df["rated"] / (down + up) if down + up else float("nan")
    df["lift"] = df["support_down"] / df["support_up"].where(df["support_up"] > 0)
    df = df[df["support"] >= min_support]
    return df.sort_values(["lift", "support"], ascending=False,
                          na_position="first").reset_index(drop=True)


def error_rate_by_step(db: AnalyticsDB, start: When = None, end: When = None,
                       user: str | None = None) -> pd.DataFrame:
    """Per step ``type`` and ``name``: ``steps``, ``errors`` and ``error_rate``, highest first."""
    df = db.frame("quality/errors_by_step", **filters(start, end, user))
    df["error_rate"] = df["errors"] / df["steps"]
    return df.sort_values(["error_rate", "steps"], ascending=False).reset_index(drop=True)
