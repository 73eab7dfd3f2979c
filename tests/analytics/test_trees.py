"""Thread shapes, turn paths and one thread as a tree, against the written data."""

from __future__ import annotations

from collections import Counter

import pytest

from graph_layer import analytics
from graph_layer.errors import NotFoundError
from tests.analytics import truth
from tests.analytics.conftest import Seeded

COLUMNS = ["steps", "depth", "max_branching", "tool_steps", "llm_steps", "turns", "errors"]


def test_thread_shapes_match_the_data(seeded: Seeded) -> None:
    df = analytics.thread_shapes(seeded.db).set_index("thread_id")
    assert sorted(df.index) == sorted(s.id for s in seeded.specs)
    for spec in seeded.specs:
        assert df.loc[spec.id, COLUMNS].astype(int).to_dict() == truth.shape(spec), spec.id
    hand = df.loc["hand-thread"]
    assert (hand["steps"], hand["depth"], hand["max_branching"]) == (9, 4, 3)
    assert hand["steps_per_turn"] == 4.5
    assert df["turns"].max() > 3 * df["turns"].median()  # a long tail of turns


def test_thread_shapes_filter_by_user(seeded: Seeded) -> None:
    df = analytics.thread_shapes(seeded.db, user="hand@example.com")
    assert df["thread_id"].tolist() == ["hand-thread"]


def test_turn_paths_count_every_turn(seeded: Seeded) -> None:
    expected = Counter(t.path for t in truth.turns(seeded.specs))
    df = analytics.turn_paths(seeded.db, limit=1000)
    assert dict(zip(df["path"], df["turns"], strict=True)) == dict(expected)
    top = analytics.turn_paths(seeded.db, limit=3)
    assert top["turns"].tolist() == sorted(expected.values(), reverse=True)[:3]
    hand = analytics.turn_paths(seeded.db, user="hand@example.com")
    assert sorted(hand["path"]) == [
        "user_message > run > assistant_message",
        "user_message > run > llm > tool > llm > assistant_message",
    ]


def test_thread_tree_is_the_threads_tree(seeded: Seeded) -> None:
    graph, pos = analytics.thread_tree(seeded.db, "hand-thread")
    spec = seeded.specs[-1]
    expected = {(s["parentId"] or analytics.trees.THREAD_NODE, s["id"]) for s in spec.steps}
    assert set(graph.edges) == expected
    assert graph.nodes["h-d"]["is_error"] and graph.nodes["h-d"]["duration_ms"] == 1500
    assert graph.nodes["h-f"]["feedback"] == 0 and graph.nodes["h-i"]["feedback"] == 1
    assert set(pos) == set(graph.nodes)
    assert pos["h-e"][1] == -4.0 and pos[analytics.trees.THREAD_NODE][1] == 0.0
    for parent, child in graph.edges:  # children one row below their parent
        assert pos[child][1] == pos[parent][1] - 1
    with pytest.raises(NotFoundError):
        analytics.thread_tree(seeded.db, "no-such-thread")
