"""Activity per day and retention by cohort against a Python count over the written data."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from graph_layer import analytics
from tests.analytics import truth
from tests.analytics.conftest import Seeded


def test_activity_per_day_matches_the_data(seeded: Seeded) -> None:
    df = analytics.activity_per_day(seeded.db)
    expected = truth.activity(seeded.specs)
    got = {row.day.date(): {k: int(getattr(row, k)) for k in expected[row.day.date()]}
           for row in df.itertuples()}
    assert got == expected
    assert (df["returning_users"] == df["active_users"] - df["new_users"]).all()
    assert df["new_users"].sum() == len({s.user.identifier for s in seeded.specs})


def test_activity_filters_by_time_and_user(seeded: Seeded) -> None:
    df = analytics.activity_per_day(seeded.db, start="2026-10-05", end=date(2026, 10, 6),
                                    user="hand@example.com")
    assert df[["messages", "threads", "new_threads", "active_users", "new_users"]].to_dict(
        "records") == [{"messages": 2, "threads": 1, "new_threads": 1, "active_users": 1,
                        "new_users": 1}]
    start = date(2026, 9, 20)
    window = analytics.activity_per_day(seeded.db, start=start, end=start + timedelta(days=7))
    everything = analytics.activity_per_day(seeded.db)
    inside = everything[(everything["day"].dt.date >= start)
                        & (everything["day"].dt.date < start + timedelta(days=7))]
    assert window["messages"].tolist() == inside["messages"].tolist()
    assert len(window) > 0


def test_retention_by_cohort(seeded: Seeded) -> None:
    weeks: dict[str, set[date]] = defaultdict(set)
    for spec, msg in truth.messages(seeded.specs):
        day = truth.at(msg).date()
        weeks[spec.user.identifier].add(day - timedelta(days=day.weekday()))
    expected: dict[tuple[date, int], int] = defaultdict(int)
    sizes: dict[date, int] = defaultdict(int)
    for active in weeks.values():
        cohort = min(active)
        sizes[cohort] += 1
        for week in active:
            expected[(cohort, (week - cohort).days // 7)] += 1
    df = analytics.retention_by_cohort(seeded.db)
    got = {(r.cohort.date(), int(r.week)): int(r.active_users) for r in df.itertuples()}
    assert got == dict(expected)
    for r in df.itertuples():
        assert r.users == sizes[r.cohort.date()]
        assert abs(r.retention - r.active_users / r.users) < 1e-12
    assert (df[df["week"] == 0]["retention"] == 1.0).all()
