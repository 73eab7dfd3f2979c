"""Pure code, no database: query files, conversions, search escaping, cursors, ordering."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_layer import InvalidInputError, QueryFileError, queries
from graph_layer.batching import InFlight
from graph_layer.convert import format_time, iso_utc, micros_iso, parse_time, to_json
from graph_layer.cursor import decode, encode
from graph_layer.records import STEP_COLUMNS, order_steps, step_from_columns
from graph_layer.search import lucene_queries
from graph_layer.seed.window import TaskWindow


def test_every_query_file_loads_with_matching_params() -> None:
    loaded = queries.load_all()
    for folder in ("schema", "user", "thread", "step", "element", "feedback"):
        assert any(name.startswith(folder + "/") for name in loaded), folder
    for query in loaded.values():
        assert query.mode in ("read", "write")
        assert query.description, query.name


def test_malformed_query_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.cypher"
    bad.write_text("// mode: read\n// params: a\nRETURN $b\n")
    with pytest.raises(QueryFileError, match="differ"):
        queries.parse_query("x", bad)
    bad.write_text("// params: a\nRETURN $a\n")
    with pytest.raises(QueryFileError, match="mode"):
        queries.parse_query("x", bad)
    bad.write_text("// mode: read\n// params: a\n// values: maybe\nRETURN $a\n")
    with pytest.raises(QueryFileError, match="values"):
        queries.parse_query("x", bad)
    bad.write_text("// mode: read\n// params: a\n// values: plain\nRETURN $a\n")
    assert queries.parse_query("x", bad).plain_values
    bad.write_text("// mode: write\n// params: a, rows\n// batch: a\nUNWIND $rows AS r RETURN $a\n")
    with pytest.raises(QueryFileError, match="batch"):
        queries.parse_query("x", bad)
    assert queries.get("step/upsert_step").batch_key == "threadId"
    with pytest.raises(QueryFileError, match="no query file"):
        queries.get("nope/none")
    q = queries.get("user/get_user")
    with pytest.raises(QueryFileError, match="missing"):
        q.check_params({})


def test_json_refuses_what_it_cannot_carry() -> None:
    for value in (float("nan"), float("inf"), {1: 2}, (1, 2), {1, 2}, b"x", object(),
                  datetime.now(), 2**70):
        with pytest.raises(InvalidInputError):
            to_json({"v": value}, "metadata")
    assert to_json({"a": ["é", None, 1.5, True, "\u0000", "\U0001f600"]}, "m") == \
        '{"a":["é",null,1.5,true,"\\u0000","\U0001f600"]}'


def test_timestamps_parse_leniently_and_format_with_z() -> None:
    expected = datetime(2026, 4, 24, 12, 50, 51, tzinfo=UTC)
    for text in ("2026-04-24T12:50:51Z", "2026-04-24T12:50:51.000Z", "2026-04-24T12:50:51",
                 "2026-04-24T14:50:51+02:00"):
        assert parse_time(text, "t") == expected
    assert format_time(expected) == "2026-04-24T12:50:51.000000Z"
    with pytest.raises(InvalidInputError):
        parse_time("24/04/2026", "t")


def test_lucene_queries_only_pass_word_characters_and_quote_the_owner() -> None:
    assert lucene_queries("Hello wor", "u-1") == (
        '+userId:"u-1" +name:hello +name:(wor OR wor*)',
        '+userId:"u-1" +(input:hello output:hello) +(input:(wor OR wor*) output:(wor OR wor*))')
    names, messages = lucene_queries('a "b" (c) AND d*', r'x" OR \y') or ("", "")
    assert names == r'+userId:"x\" OR \\y" +name:a +name:b +name:c +name:and +name:(d OR d*)'
    assert messages.startswith(r'+userId:"x\" OR \\y" +(input:a output:a) +(input:b output:b)')
    assert lucene_queries("/*?~", "u-1") is None


def test_cursor_round_trip_and_garbage() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert decode(encode(when, "t-1")) == (when, "t-1")
    for garbage in ("x", "e30=", "WzEsMl0="):
        with pytest.raises(InvalidInputError):
            decode(garbage)


def test_order_steps_puts_parents_first() -> None:
    steps = [
        {"id": "c", "parentId": "b", "createdAt": "1"},
        {"id": "b", "parentId": "a", "createdAt": "2"},
        {"id": "a", "parentId": None, "createdAt": "3"},
        {"id": "d", "parentId": "missing", "createdAt": "0"},
    ]
    assert [s["id"] for s in order_steps(steps)] == ["d", "a", "b", "c"]


def test_iso_utc_is_the_fixed_form_the_queries_parse() -> None:
    from datetime import timedelta, timezone

    plus2 = timezone(timedelta(hours=2))
    assert iso_utc(datetime(2026, 4, 24, 14, 50, 51, 5, tzinfo=plus2)) == \
        "2026-04-24T12:50:51.000005Z"
    assert iso_utc(datetime(2026, 4, 24, 12, 50)) == "2026-04-24T12:50:00.000000Z"  # naive: UTC
    assert iso_utc(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000000Z"
    assert iso_utc(parse_time("2026-04-24T12:50:51.5Z", "t") or datetime.now(UTC)) == \
        "2026-04-24T12:50:51.500000Z"


def _walk_order(steps: list[dict[str, Any]]) -> list[str]:
    """The plain definition: by (createdAt, id), each step after its unseen ancestors."""
    by_id = {s["id"]: s for s in steps}
    seen: set[str] = set()
    out: list[str] = []
    for step in sorted(steps, key=lambda s: (s["createdAt"] or "", s["id"])):
        chain = []
        node = step
        while node is not None and node["id"] not in seen:
            seen.add(node["id"])
            chain.append(node["id"])
            node = by_id.get(node.get("parentId") or "")
        out.extend(reversed(chain))
    return out


@given(st.lists(st.tuples(st.sampled_from([None, "a", "b", "c", "d", "e", "gone"]),
                          st.sampled_from([None, "1", "2", "3"])), min_size=0, max_size=5))
def test_order_steps_keeps_the_plain_walk_order(shape: list[tuple[str | None, str | None]]) -> None:
    """The in-order shortcut changes nothing: same order as the plain walk, for any parent
    links (missing, self, cycles) and ties."""
    steps = [{"id": "abcde"[i], "parentId": parent, "createdAt": created}
             for i, (parent, created) in enumerate(shape)]
    assert [s["id"] for s in order_steps(steps)] == _walk_order(steps)


_T0 = 1777035000 * 1_000_000  # 2026-04-24T12:50:00Z in epoch microseconds


def _columns(**values: Any) -> list[Any]:
    return [values.get(name) for name in STEP_COLUMNS]


def test_step_from_columns_formats_start_and_end_apart_from_created_at() -> None:
    def times(created: int | None, start: int | None, end: int | None) -> list[str | None]:
        step = step_from_columns(_columns(id="s", createdAt=created, start=start, end=end))
        return [step[k] for k in ("createdAt", "start", "end")]

    assert times(_T0, _T0, _T0) == ["2026-04-24T12:50:00.000000Z"] * 3
    assert times(_T0, _T0 + 1_500_000, _T0 + 1_500_000) == [
        "2026-04-24T12:50:00.000000Z", "2026-04-24T12:50:01.500000Z",
        "2026-04-24T12:50:01.500000Z"]
    assert times(_T0, None, None) == ["2026-04-24T12:50:00.000000Z", None, None]
    assert times(_T0, None, _T0 + 60_000_000)[2] == "2026-04-24T12:51:00.000000Z"


def test_micros_iso_is_iso_utc_of_the_same_instant() -> None:
    for value in (datetime(2026, 4, 24, 12, 50, 51, 123456, tzinfo=UTC),
                  datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
                  datetime(5, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999,
                                                           tzinfo=UTC)):
        micros = (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        assert micros_iso(micros) == iso_utc(value) == format_time(value)
    assert micros_iso(None) is None


@given(st.datetimes(timezones=st.just(UTC)))
def test_micros_iso_agrees_with_iso_utc_for_any_instant(value: datetime) -> None:
    micros = (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert micros_iso(micros) == iso_utc(value)


def test_step_columns_are_read_in_the_order_the_queries_return_them() -> None:
    """Both step-returning queries list ``p.<name>`` in STEP_COLUMNS order from ``p.id`` on
    (each timestamp twice: milliseconds and microseconds), feedback last; the mapping unpacks
    them in that order."""
    for name in ("thread/get_thread", "step/get_favorite_steps"):
        text = queries.get(name).text
        listed = re.findall(r"\bp\.(\w+)\b", text[text.index("p.id, p.name"):])
        deduped = [n for i, n in enumerate(listed) if i == 0 or listed[i - 1] != n]
        assert deduped == list(STEP_COLUMNS[:-1]), name
        assert "f {.id, .forId, .threadId, .value, .comment}]" in text, name
    json_columns = {"generation", "modes", "metadata"}
    row = _columns(**{n: json.dumps({"k": n}) if n in json_columns else n
                      for n in STEP_COLUMNS[:21]})
    step = step_from_columns(row)
    for name in STEP_COLUMNS[:21]:
        expected: Any = {"k": name} if name in json_columns else name
        if name == "streaming":
            expected = True  # bool() of the value
        if name != "favorite":
            assert step[name] == expected, name
    assert "feedback" not in step
    feedback = {"id": "f", "forId": "id", "threadId": "t", "value": 1, "comment": None}
    assert step_from_columns([*row[:-1], feedback])["feedback"] == feedback


def test_benchmark_scale_batches_never_reuse_a_thread_or_user() -> None:
    """The scale line loads 1k, then 9k more, then 90k more background threads: each batch
    must be new threads of new users (a reused id broke the load on the uniqueness constraint)."""
    from benchmarks import data as ds

    loaded, threads, users = 0, set(), set()
    for target in (1000, 10000, 12000):
        batch = ds.background(target - loaded, ds.BASE_TIME, loaded)
        ids = {t.id for t in batch.threads}
        owners = {t.user for t in batch.threads}
        assert len(ids) == target - loaded
        assert not ids & threads and not owners & users
        threads |= ids
        users |= owners
        loaded = target


def test_base_commands_import_without_the_analytics_extra() -> None:
    """networkx (and pandas, unless chainlit brings it) come with the [analytics] extra: the
    CLI's other commands (seed included) must not import the analytics."""
    code = ("import sys, graph_layer.seed.command, graph_layer.demo.launcher, "
            "graph_layer.user_cli; "
            "print(sorted({'graph_layer.analytics', 'networkx'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "[]"


async def test_calls_on_one_key_run_one_at_a_time_in_the_order_they_began() -> None:
    """``InFlight.in_turn`` (a create_element waits for the same element's earlier ones, even
    one that failed); a call on another key does not wait."""
    flight = InFlight()
    order: list[str] = []
    release = asyncio.Event()

    async def call(name: str, key: str) -> None:
        async with flight.in_turn(key):
            order.append(f"{name} in")
            if name == "a":
                await release.wait()
                order.append("a out")
                raise ValueError("a failed")
            order.append(f"{name} out")

    first = asyncio.create_task(call("a", "e1"))
    await asyncio.sleep(0)
    later = [asyncio.create_task(call("b", "e1")), asyncio.create_task(call("c", "e2"))]
    await asyncio.sleep(0.01)
    assert order == ["a in", "c in", "c out"]
    release.set()
    results = await asyncio.gather(first, *later, return_exceptions=True)
    assert order == ["a in", "c in", "c out", "a out", "b in", "b out"]
    assert isinstance(results[0], ValueError) and results[1:] == [None, None]


async def test_task_window_bounds_the_tasks_in_flight_and_waits_for_them() -> None:
    running, most, finished = 0, 0, []

    async def work(n: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001 * (n % 3))
        running -= 1
        finished.append(n)

    async with TaskWindow(3) as window:
        for n in range(20):
            await window.add(work(n))
    assert most == 3 and sorted(finished) == list(range(20))


async def test_task_window_raises_a_failure_and_cancels_the_rest() -> None:
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def fail() -> None:
        raise ValueError("batch 2 refused")

    with pytest.raises(ValueError, match="batch 2 refused"):
        async with TaskWindow(2) as window:
            await window.add(slow())
            await window.add(fail())
            await window.add(slow())  # waits for room: finds the failure
    assert cancelled.is_set()  # the window has waited for the cancelled write to end
