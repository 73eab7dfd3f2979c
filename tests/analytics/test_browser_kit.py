"""The Neo4j Browser kit: every saved query runs on the seeded database (its ``:param`` lines
stripped, the parameters passed), and the GraSS file styles every label."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from graph_layer import queries
from tests.analytics.conftest import Seeded

BROWSER = queries.cypher_root() / "browser"
SAVED = sorted(BROWSER.glob("*.cypher"))
PARAM_LINE = re.compile(r"^:param\s+(\w+)\s*=>")
PARAMS: dict[str, dict[str, Any]] = {
    "thread_tree": {"threadId": "hand-thread"},
    "user_threads": {"user": "hand@example.com", "limit": 5},
    "negative_feedback_tools": {"limit": 10},
    "slowest_steps": {"type": "tool", "limit": 5},
}


def split(path: Path) -> tuple[list[str], str]:
    """The names set by ``:param`` lines, and the query without them (as Browser runs it)."""
    names, body = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PARAM_LINE.match(line)
        if match:
            names.append(match.group(1))
        else:
            body.append(line)
    return names, "\n".join(body)


def test_every_saved_query_has_params_for_its_parameters() -> None:
    assert {p.stem for p in SAVED} == set(PARAMS)
    for path in SAVED:
        names, _ = split(path)
        assert set(names) == queries.get(f"browser/{path.stem}").params == set(PARAMS[path.stem])


@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.stem)
def test_saved_query_runs_on_the_seeded_graph(path: Path, seeded: Seeded) -> None:
    _, body = split(path)
    records, _, _ = seeded.db.driver.execute_query(body, PARAMS[path.stem],
                                                   database_=seeded.server.database)
    assert records, path.name
    if path.stem == "thread_tree":
        steps = {n["id"] for r in records for n in r["tree"].nodes}
        assert steps == {s["id"] for s in seeded.specs[-1].steps}
        assert sum(1 for r in records if r["rated"] is not None) == 2
    if path.stem == "user_threads":
        assert [r["t"]["id"] for r in records] == ["hand-thread"]
    if path.stem == "negative_feedback_tools":
        assert all(r["f"]["value"] == 0 for r in records)
        assert any(r["tools"] is not None for r in records)
    if path.stem == "slowest_steps":
        durations = [r["durationMs"] for r in records]
        assert durations == sorted(durations, reverse=True) and len(durations) == 5
        assert {r["type"] for r in records} == {"tool"}


def test_the_style_file_colours_and_captions_every_label() -> None:
    text = (BROWSER / "graph_layer.grass").read_text(encoding="utf-8")
    blocks = dict(re.findall(r"^node\.(\w+)\s*\{\n(.*?)^\}", text, flags=re.S | re.M))
    assert set(blocks) >= {"User", "Thread", "Step", "Feedback", "Element", "Deleted"}
    for label, block in blocks.items():
        assert re.search(r"\bcolor:\s*#[0-9A-Fa-f]{6}", block), label
        assert re.search(r'caption:\s*"[^"]*\{\w+\}', block), label
