"""The benchmark's rounds (``graph-layer bench``): every layer in turn, and each line's figures
taken over all of its rounds. No database: this is the benchmark's own bookkeeping."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from benchmarks import history
from benchmarks.report import OURS, rows
from benchmarks.run import in_turns
from benchmarks.workloads import Recorder, floor


def test_every_layer_comes_once_a_round_and_each_round_starts_one_layer_later() -> None:
    assert list(in_turns(["a", "b", "c"], 4)) == [
        (0, "a"), (0, "b"), (0, "c"),
        (1, "b"), (1, "c"), (1, "a"),
        (2, "c"), (2, "a"), (2, "b"),
        (3, "a"), (3, "b"), (3, "c"),
    ]
    assert list(in_turns(["a"], 2)) == [(0, "a"), (1, "a")]


async def test_a_line_in_rounds_adds_up_its_rounds_time_and_calls() -> None:
    rec = Recorder()
    for wall in (0.5, 0.25):  # two rounds of three calls
        for _ in range(3):
            await rec.timed("resume", "get_thread", "L", asyncio.sleep(0))
        rec.close_workload("resume", "L", wall)
    line = rec.line("resume", "get_thread", "L")
    assert (len(line.ms), line.calls, line.wall_s) == (6, 6, 0.75)
    [row] = rows(rec)
    assert row["workload_calls_per_s"] == 8.0


async def test_a_line_first_seen_in_a_later_round_gets_the_earlier_rounds_time() -> None:
    """A call that failed in the first round (a peer's write that raised) has no line until a
    later round: the line's time is still the whole workload's."""
    rec = Recorder()
    await rec.timed("chat", "create_step", "L", asyncio.sleep(0))
    rec.close_workload("chat", "L", 0.5)
    for call in ("create_step", "upsert_feedback"):
        await rec.timed("chat", call, "L", asyncio.sleep(0))
    rec.close_workload("chat", "L", 0.5)
    late = rec.line("chat", "upsert_feedback", "L")
    assert (late.wall_s, late.calls) == (1.0, 3)
    assert rec.line("chat", "create_step", "L").wall_s == 1.0


def test_a_finding_made_again_in_a_later_round_is_kept_once() -> None:
    rec = Recorder()
    first = rec.finding("L", "resume 20 steps", True, "20/20 steps")
    assert rec.finding("L", "resume 20 steps", True, "20/20 steps") == first
    assert rec.findings == [first]
    rec.finding("L", "resume 20 steps", False, "19/20 steps")  # a different finding is kept
    assert [f["ok"] for f in rec.findings] == [True, False]


class _Database:
    """What ``floor`` calls on a peer: a database's two smallest calls, doing nothing here."""

    database = "db"

    async def floor_read(self) -> None:
        await asyncio.sleep(0)

    async def floor_write(self, value: int) -> None:
        await asyncio.sleep(0)

    async def floor_extras(self) -> dict[str, object]:
        return {}


async def test_the_floor_measured_in_rounds_keeps_every_rounds_calls() -> None:
    rec, db = Recorder(), _Database()
    await floor(db, rec, 3)  # type: ignore[arg-type]
    await floor(db, rec, 2)  # type: ignore[arg-type]
    for call in ("trivial read", "trivial write tx"):
        line = rec.line("floor", call, "db")
        assert (len(line.ms), line.calls) == (5, 5)
        assert line.wall_s >= sum(line.ms) / 1000


def _result(path: Path, when: str, p50: dict[tuple[str, str, str], float]) -> Path:
    rows_ = [{"workload": w, "call": c, "layer": layer, "p50_ms": ms,
              "workload_calls_per_s": 1000 / ms} for (w, c, layer), ms in p50.items()]
    path.write_text(json.dumps({"meta": {"when": when, "machine": "m, load average 1"},
                                "rows": rows_}))
    return path


def test_history_counts_the_runs_each_layer_led_and_our_writes_against_our_floor(
        tmp_path: Path) -> None:
    ours, peer = OURS, "Peer (x)"
    first = _result(tmp_path / "a.json", "2026-01-01T00:00", {
        ("chat 1x4x20", "create_step", ours): 2.0, ("chat 1x4x20", "create_step", peer): 1.0,
        ("floor", "trivial write tx", "neo4j"): 0.5})
    second = _result(tmp_path / "b.json", "2026-01-02T00:00", {
        ("chat 1x4x20", "create_step", ours): 1.5, ("chat 1x4x20", "create_step", peer): 3.0,
        ("floor", "trivial write tx", "neo4j"): 1.0,
        **{(line.format(size), call, ours): ms * (1 + i)
           for i, (line, call) in enumerate(history.SCALE_LINES)
           for size, ms in (("1k", 2.0), ("100k", 3.2))}})
    tie = _result(tmp_path / "c.json", "2026-01-03T00:00", {
        ("chat 1x4x20", "create_step", ours): 2.0, ("chat 1x4x20", "create_step", peer): 2.0})
    text = history.report([first, second, first])  # a run given twice counts once
    assert "| chat 1x4x20 | create_step | 1 of 2, 0.50-2.00x (its lead 2.00x) |" in text
    assert "neo4j: we led" not in text  # the floor's layer is no peer
    # the chat's rows here are one-session ones: no twenty-session line, no rate
    assert "calls/s" not in text.split("calls per second")[1]
    assert "| 1 of 3, 0.50-2.00x (its lead 1.00-2.00x) |" in history.report([first, second, tie])
    twenty = _result(tmp_path / "d.json", "2026-01-04T00:00", {
        (history.TWENTY_SESSIONS, "create_step", ours): 2.0,  # 500 calls/s against 250
        (history.TWENTY_SESSIONS, "create_step", peer): 4.0})
    assert "ours 500 calls/s; ours over a peer's: Peer (x) 2.00x" in history.report([twenty])
    assert "| a.json | 0.50 | create_step 4.00 | 0 of 1 |" in text
    assert "| b.json | 1.00 | create_step 1.50 | 1 of 1 |" in text
    assert "| b.json | 1.60x | 1.60x | 1.60x | 0 of 3 |" in text  # a.json has no scale lines
    assert "| a.json | " not in text.split("## Scale")[1]


def test_history_takes_each_kept_run_with_every_layer_since_change_29_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "RESULTS", tmp_path)
    every = {("sidebar 1k", "list_threads first=35", layer): 1.0
             for layer in (OURS, "A (x)", "B (x)", "C (x)")}
    _result(tmp_path / "full-2026-11-28-1725.json", "2026-11-28T17:25:16", every)  # before
    two = {key: ms for key, ms in every.items() if key[2] in (OURS, "A (x)")}
    _result(tmp_path / "full-2026-11-28-2151-neo4j-a.json", "2026-11-28T21:51:54", two)
    # a partial run that shares a full run's start time does not hide it
    _result(tmp_path / "full-2026-11-28-1833-a.json", "2026-11-28T18:33:07", two)
    _result(tmp_path / "full-2026-11-28-1833.json", "2026-11-28T18:33:07", every)
    _result(tmp_path / "full-2026-11-29-0421.json", "2026-11-29T04:21:46", every)
    _result(tmp_path / "full.json", "2026-11-29T04:21:46", every)  # a copy of the latest
    assert [p.name for p in history.default_runs()] == [
        "full-2026-11-28-1833.json", "full-2026-11-29-0421.json"]
