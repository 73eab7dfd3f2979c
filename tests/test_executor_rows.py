"""The executor's fast row conversion gives exactly what ``Record.data()`` gives, and read queries
that return timestamps as strings format them as before (real Neo4j)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from chainlit.element import ElementDict
from chainlit.types import Feedback
from chainlit.user import User
from neo4j import AsyncDriver
from neo4j.exceptions import ServiceUnavailable

from graph_layer import Neo4jDataLayer, queries, search
from graph_layer import executor as executor_module
from graph_layer.convert import format_time, micros_iso
from graph_layer.executor import row_of
from tests.conftest import Server
from tests.factories import make_thread, make_user, new_id, step

QUERY = """
CREATE (a:RowProbe {name: 'a', at: $at})-[r:LINKS {w: 1}]->(b:RowProbe {name: 'b'})
WITH a, r, b
MATCH p = (a)-[:LINKS]->(b)
RETURN 1 AS i, 'x' AS s, null AS n, [1, 'two', [3]] AS nested, {k: [a.at, {deep: true}]} AS m,
       a.at AS dt, date('2026-01-02') AS d, duration('P1D') AS dur, point({x: 1, y: 2}) AS pt,
       a AS node, r AS rel, p AS path, [a, b] AS nodes, {n: a} AS wrapped,
       toString(a.at) AS text_at
"""


async def test_row_of_matches_record_data(clean_db: Server, driver: AsyncDriver) -> None:
    at = datetime(2026, 4, 24, 12, 50, 51, 123456, tzinfo=UTC)
    records, _, _ = await driver.execute_query(QUERY, {"at": at}, database_=clean_db.database)
    record = records[0]
    assert row_of(record) == record.data()
    assert row_of(record)["node"] == {"name": "a", "at": record["dt"]}
    # a timestamp read back as toString() formats exactly like the DateTime it came from
    assert format_time(record["text_at"]) == format_time(record["dt"]) == (
        "2026-04-24T12:50:51.123456Z")
    assert format_time("2026-04-24T12:50:51Z") == "2026-04-24T12:50:51.000000Z"
    assert format_time("2026-04-24T12:50:51.5+02:00") == "2026-04-24T10:50:51.500000Z"


async def test_every_precision_of_to_string_formats_like_the_datetime(
        clean_db: Server, driver: AsyncDriver) -> None:
    """toString() drops zero seconds and trailing fraction digits; the string fast path must
    still agree with the DateTime path for each shape the server prints."""
    values = [datetime(2026, 4, 24, 12, 50, 0, 0, tzinfo=UTC),
              datetime(2026, 4, 24, 12, 50, 7, 0, tzinfo=UTC),
              datetime(2026, 4, 24, 12, 50, 7, 100000, tzinfo=UTC),
              datetime(2026, 4, 24, 12, 50, 7, 123000, tzinfo=UTC),
              datetime(2026, 4, 24, 12, 50, 7, 123456, tzinfo=UTC)]
    records, _, _ = await driver.execute_query(
        "UNWIND $values AS v RETURN v AS dt, toString(v) AS text, "
        "toString(datetime({datetime: v, nanosecond: 123456789})) AS nanos",
        {"values": values}, database_=clean_db.database)
    texts = [r["text"] for r in records]
    assert {len(t) for t in texts} == {20, 22, 24, 27}, texts  # the shapes really differ
    for record, value in zip(records, values, strict=True):
        assert format_time(record["text"]) == format_time(record["dt"]) == format_time(value)
        assert format_time(record["nanos"]) == format_time(value)[:20] + "123456Z"


async def test_epoch_microseconds_format_like_the_datetime(
        clean_db: Server, driver: AsyncDriver) -> None:
    """The step queries return timestamps as ``epochMillis * 1000 + microsecond % 1000``: the
    same instant as the DateTime, before 1970 too (``epochSeconds`` rounds toward zero there),
    nanoseconds cut to microseconds as before."""
    values = [datetime(2026, 4, 24, 12, 50, 0, 0, tzinfo=UTC),
              datetime(2026, 4, 24, 12, 50, 7, 123456, tzinfo=UTC),
              datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
              datetime(1969, 12, 31, 23, 59, 59, 123456, tzinfo=UTC),
              datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    records, _, _ = await driver.execute_query(
        "UNWIND $values AS v WITH v, datetime({datetime: v, nanosecond: v.nanosecond + 789}) AS n "
        "RETURN v, v.epochMillis * 1000 + v.microsecond % 1000 AS micros, "
        "n.epochMillis * 1000 + n.microsecond % 1000 AS nanos",
        {"values": values}, database_=clean_db.database)
    for record, value in zip(records, values, strict=True):
        assert micros_iso(record["micros"]) == micros_iso(record["nanos"]) == format_time(
            record["v"]) == format_time(value)


async def test_queries_declaring_plain_values_return_no_graph_entity(
        layer: Neo4jDataLayer, driver: AsyncDriver, clean_db: Server) -> None:
    """The files marked ``// values: plain`` skip row conversion; on a thread with every kind of
    data (nested steps, feedback, an element, a favorite, metadata) their rows must be exactly
    what ``Record.data()`` makes of them."""
    user_id = await make_user(layer)
    thread = await make_thread(layer, user_id, "plain values", 0, text="kangaroo")
    await layer.update_thread(thread, metadata={"k": {"nested": [1, 2]}}, tags=["t"])
    run = step(thread, 1, kind="run", name="on_message", metadata={"favorite": True})
    await layer.create_step(run)
    await layer.create_step(step(thread, 2, parent_id=run["id"], output="kangaroo facts"))
    await layer.upsert_feedback(Feedback(forId=run["id"], value=1, comment="ok"))
    await layer.create_element(ElementDict(  # type: ignore[typeddict-item]
        id=new_id(), threadId=thread, forId=run["id"], type="text", name="note",
        display="inline", mime="text/plain", url="https://example.com/n.txt"))
    page = {"userId": user_id, "cursorTime": datetime(9999, 1, 1, tzinfo=UTC), "cursorId": "",
            "feedback": None, "first": 5}
    lucene = search.lucene_queries("kangaroo", user_id)
    assert lucene is not None
    names, messages = lucene
    calls = {"thread/get_thread": {"threadId": thread}, "thread/list_threads": page,
             "thread/search_threads": {**page, "names": names, "messages": messages},
             "step/get_favorite_steps": {"userId": user_id}}
    plain = {name for name, q in queries.load_all().items() if q.plain_values}
    assert plain == set(calls), "give every plain-values query a call here"
    for name, params in calls.items():
        records, _, _ = await driver.execute_query(
            queries.get(name).text, params, database_=clean_db.database)
        assert records, name
        for record in records:
            assert dict(zip(record.keys(), record.values(), strict=True)) == record.data(), name


async def test_timing_log_gives_each_query_its_server_and_whole_time(
        layer: Neo4jDataLayer, caplog: pytest.LogCaptureFixture) -> None:
    """At DEBUG, ``graph_layer.timing`` has one record per query with its name, rows and times
    (``graph-layer bench`` reads them for the scale lines); at INFO it has none."""
    await layer.create_user(User(identifier="timed"))
    with caplog.at_level(logging.DEBUG, logger="graph_layer.timing"):
        assert await layer.get_user("timed") is not None
        assert await layer.get_user("nobody") is None
    timed = [r for r in caplog.records if r.name == "graph_layer.timing"]
    assert [r.getMessage().split(", ")[0] for r in timed] == [
        "cypher/user/get_user.cypher: 1 rows", "cypher/user/get_user.cypher: 0 rows"]
    for record in timed:
        assert record.query == "user/get_user"  # type: ignore[attr-defined]
        # the server gave its times (NaN if not), within the whole call's; each of its two
        # figures is a difference of whole-millisecond readings, so each may read up to 1 ms
        # more than the time it measures (a sub-millisecond call can show "1 ms")
        assert 0 <= record.server_ms < record.total_ms + 2  # type: ignore[attr-defined]
        assert "ms on the server" in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="graph_layer.timing"):
        await layer.get_user("timed")
    assert not [r for r in caplog.records if r.name == "graph_layer.timing"]


async def test_run_mapped_maps_every_row_again_after_a_retry(
        layer: Neo4jDataLayer) -> None:
    """``Executor.run_mapped`` gives each row to ``map_row``; a retryable error in the middle
    of the rows runs the query again and maps every row of that run (nothing from the failed
    one is kept), and any other error is raised as it is, even one of the kinds that packing a
    parameter raises. (That rows are mapped while the server still makes the next ones is a
    matter of time, shown by ``python -m benchmarks.resume_rows``.)"""
    user_id = await make_user(layer)
    for i in range(3):
        await make_thread(layer, user_id, f"mapped {i}", i)
    page = {"userId": user_id, "cursorTime": datetime(9999, 1, 1, tzinfo=UTC), "cursorId": "",
            "feedback": None, "first": 5}
    seen: list[str] = []

    def fail_once_on_second_row(row: dict[str, Any]) -> str:
        seen.append(row["thread"]["id"])
        if len(seen) == 2:
            raise ServiceUnavailable("injected in the middle of the rows")
        return str(row["thread"]["id"])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(executor_module, "retry_delays", lambda: iter([0.01] * 5))
        mapped = await layer.executor.run_mapped("thread/list_threads", fail_once_on_second_row,
                                                 **page)
    rows = await layer.executor.run("thread/list_threads", **page)
    assert mapped == [r["thread"]["id"] for r in rows] and len(rows) == 3
    assert seen == mapped[:2] + mapped  # two rows of the failed run, then the whole retry

    def broken(row: dict[str, Any]) -> str:
        raise OverflowError("a mapping bug")

    with pytest.raises(OverflowError, match="a mapping bug"):
        await layer.executor.run_mapped("thread/list_threads", broken, **page)
