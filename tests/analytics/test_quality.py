"""Feedback, thumbs-down attribution and error rates against the written data, and the seeded
relations (a flaky tool that draws thumbs-down) found by the analytics."""

from __future__ import annotations

from collections import defaultdict

import pytest

from graph_layer import analytics
from graph_layer.errors import InvalidInputError
from graph_layer.seed import FLAKY_TOOL
from tests.analytics import truth
from tests.analytics.conftest import Seeded


@pytest.mark.parametrize("by", ["tool", "step_name", "model", "path"])
def test_feedback_by_matches_the_data(seeded: Seeded, by: str) -> None:
    df = analytics.feedback_by(seeded.db, by=by)
    got = {r.item: (r.turns, r.rated, r.positive, r.negative) for r in df.itertuples()}
    assert got == truth.feedback_counts(seeded.specs, by)
    rated = df[df["rated"] > 0]
    assert ((rated["share_positive"] - rated["positive"] / rated["rated"]).abs() < 1e-12).all()
    assert ((df["feedback_rate"] - df["rated"] / df["turns"]).abs() < 1e-12).all()


def test_feedback_filters_by_user(seeded: Seeded) -> None:
    df = analytics.feedback_by(seeded.db, by="model", user="hand@example.com")
    assert df[["item", "turns", "rated", "positive", "negative"]].values.tolist() == [
        ["gpt-4o", 1, 1, 0, 1], ["gpt-4o-mini", 1, 1, 0, 1]]
    with pytest.raises(InvalidInputError):
        analytics.feedback_by(seeded.db, by="colour")


def test_thumbs_down_lift_finds_the_flaky_tool(seeded: Seeded) -> None:
    turns = [t for t in truth.turns(seeded.specs) if t.value is not None]
    down = [t for t in turns if t.value == 0]
    up = [t for t in turns if t.value == 1]
    df = analytics.thumbs_down_lift(seeded.db, by="tool").set_index("item")
    for tool, row in df.iterrows():
        support_down = sum(tool in t.tools for t in down) / len(down)
        support_up = sum(tool in t.tools for t in up) / len(up)
        assert row["support_down"] == pytest.approx(support_down)
        assert row["support_up"] == pytest.approx(support_up)
        assert row["support"] == pytest.approx(sum(tool in t.tools for t in turns) / len(turns))
        assert row["lift"] == pytest.approx(support_down / support_up)
    # the seeded relation: the flaky tool leads, well above 1
    assert df.index[0] == FLAKY_TOOL and df.loc[FLAKY_TOOL, "lift"] > 1.5
    assert (df.drop(index=FLAKY_TOOL)["lift"] < df.loc[FLAKY_TOOL, "lift"]).all()


def test_error_rate_by_step(seeded: Seeded) -> None:
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for spec in seeded.specs:
        for step in spec.steps:
            row = expected[(step["type"], step["name"])]
            row[0] += 1
            row[1] += bool(step["isError"])
    df = analytics.error_rate_by_step(seeded.db)
    got = {(r.type, r.name): [r.steps, r.errors] for r in df.itertuples()}
    assert got == dict(expected)
    assert (df.iloc[0]["type"], df.iloc[0]["name"]) == ("tool", FLAKY_TOOL)
    assert df.iloc[0]["error_rate"] > 0.2
    hand = analytics.error_rate_by_step(seeded.db, user="hand@example.com")
    assert hand[hand["errors"] > 0][["name", "steps", "errors"]].values.tolist() == [
        ["calculator", 1, 1]]
