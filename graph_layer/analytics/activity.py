"""Activity: messages, threads and users per day; retention by weekly cohort."""

from __future__ import annotations

import pandas as pd

from graph_layer.analytics.db import AnalyticsDB, When, filters


def activity_per_day(db: AnalyticsDB, start: When = None, end: When = None,
                     user: str | None = None) -> pd.DataFrame:
    """One row per day with user messages: ``messages``, active ``threads``, ``new_threads``,
    ``active_users``, ``new_users`` (first message ever that day) and ``returning_users``."""
    df = db.frame("activity/activity_per_day", **filters(start, end, user))
    df["day"] = pd.to_datetime(df["day"])
    df["returning_users"] = df["active_users"] - df["new_users"]
    return df


def retention_by_cohort(db: AnalyticsDB, start: When = None, end: When = None,
                        user: str | None = None) -> pd.DataFrame:
    """Long form: ``cohort`` (week of first message), ``week`` (weeks since), ``users`` (cohort
    size), ``active_users`` and ``retention`` (share of the cohort active that week)."""
    df = db.frame("activity/cohort_activity", **filters(start, end, user))
    df["cohort"] = pd.to_datetime(df["cohort"])
    sizes = df[df["week"] == 0].set_index("cohort")["active_users"]
    df["users"] = df["cohort"].map(sizes).astype("int64")
    df["retention"] = df["active_users"] / df["users"]
    return df[["cohort", "week", "users", "active_users", "retention"]]
