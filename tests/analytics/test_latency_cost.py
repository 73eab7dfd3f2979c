"""Latency percentiles and token cost against numpy/Python over the written data, and the
seeded relation: one model slower and costlier."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from graph_layer import analytics
from graph_layer.seed import DEFAULT_PRICES, FAST_MODEL, SLOW_MODEL
from tests.analytics import truth
from tests.analytics.conftest import Seeded


def test_latency_by_step_matches_numpy(seeded: Seeded) -> None:
    durations: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
    for spec in seeded.specs:
        for step in spec.steps:
            model = step["generation"]["model"] if step.get("generation") else None
            durations[(step["type"], step["name"], model)].append(truth.millis(step))
    df = analytics.latency_by_step(seeded.db)
    keys = [(r.type, r.name, r.model if isinstance(r.model, str) else None)
            for r in df.itertuples()]
    assert set(keys) == set(durations)
    for key, r in zip(keys, df.itertuples(), strict=True):
        values = np.array(durations[key])
        assert r.steps == len(values)
        assert r.mean_ms == pytest.approx(values.mean())
        for q in (50, 95, 99):
            assert getattr(r, f"p{q}_ms") == pytest.approx(np.percentile(values, q))
        assert r.max_ms == values.max()


def records(df: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts with every missing value as None (pandas may say NaN or None)."""
    return df.astype(object).where(df.notna(), None).to_dict("records")  # type: ignore[no-any-return]


def approximately(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """``rows`` with every float as ``pytest.approx`` of itself: a mean summed in another row
    order may differ in its last bit (343.5015479876161 against 343.50154798761605 in a CI
    run)."""
    return [{k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for k, v in r.items()}
            for r in rows]


def test_slow_model_and_slowest_tools(seeded: Seeded) -> None:
    by_model: dict[str, list[int]] = defaultdict(list)
    for spec in seeded.specs:
        for step in spec.steps:
            if step.get("generation"):
                by_model[step["generation"]["model"]].append(truth.millis(step))
    assert np.median(by_model[SLOW_MODEL]) > 2 * np.median(by_model[FAST_MODEL])
    llm = analytics.latency_by_step(seeded.db).query("type == 'llm' and name == 'answer'")
    p50 = llm.set_index("model")["p50_ms"]
    assert p50[SLOW_MODEL] > 2 * p50[FAST_MODEL]
    tools = analytics.slowest_tools(seeded.db)
    assert set(tools["type"]) == {"tool"}
    every_type = analytics.latency_by_step(seeded.db)
    for step_type in ("tool", "llm"):  # reading one type's steps gives that type's rows
        subset = every_type[every_type["type"] == step_type].reset_index(drop=True)
        one = analytics.latency_by_step(seeded.db, step_type=step_type)
        assert records(one) == approximately(records(subset))
    assert tools["p95_ms"].is_monotonic_decreasing
    slowest = analytics.slowest_steps(seeded.db, step_type="tool", limit=5)
    every = sorted((truth.millis(s) for sp in seeded.specs for s in sp.steps
                    if s["type"] == "tool"), reverse=True)
    assert slowest["duration_ms"].tolist() == every[:5]
    hand = analytics.slowest_steps(seeded.db, user="hand@example.com", limit=2)
    assert hand["step_id"].tolist() == ["h-b", "h-c"]  # 5000 ms run, 2000 ms llm


@pytest.mark.parametrize("by", ["model", "user", "thread_id"])
def test_token_cost_matches_the_data(seeded: Seeded, by: str) -> None:
    prices = {SLOW_MODEL: (5.0, 15.0), FAST_MODEL: (0.5, 1.5)}
    expected: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])
    for spec in seeded.specs:
        for step in spec.steps:
            gen = step.get("generation")
            if not gen:
                continue
            key = {"model": gen["model"], "user": spec.user.identifier, "thread_id": spec.id}[by]
            row = expected[key]
            row[0] += 1
            row[1] += gen["inputTokenCount"]
            row[2] += gen["outputTokenCount"]
            p, c = prices[gen["model"]]
            row[3] += (gen["inputTokenCount"] * p + gen["outputTokenCount"] * c) / 1e6
    df = analytics.token_cost(seeded.db, by=by, prices=prices)
    got = {getattr(r, by): r for r in df.itertuples()}
    assert set(got) == set(expected)
    for key, (calls, prompt, completion, cost) in expected.items():
        r = got[key]
        assert (r.calls, r.prompt_tokens, r.completion_tokens) == (calls, prompt, completion)
        assert r.tokens == prompt + completion
        assert r.cost == pytest.approx(cost)
    assert df["cost"].is_monotonic_decreasing


def test_default_prices_make_the_slow_model_costlier(seeded: Seeded) -> None:
    df = analytics.token_cost(seeded.db).set_index("model")
    per_token = df["cost"] / df["tokens"]
    assert per_token[SLOW_MODEL] > 10 * per_token[FAST_MODEL]
    assert set(df.index) == set(DEFAULT_PRICES)
    hand = analytics.token_cost(seeded.db, user="hand@example.com").set_index("model")
    assert hand.loc[SLOW_MODEL, "tokens"] == 120 and hand.loc[FAST_MODEL, "tokens"] == 15
