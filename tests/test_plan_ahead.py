"""Planning ahead (graph_layer.plan_ahead) on the real server: every sample is planned and
nothing is written, the samples make exactly the plans a visit through the layer needs, and
setup plans once.

The server's plan cache is read through ``db.clearQueryCaches()`` (``clear_plans``), which
says how many plans it dropped."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from pathlib import Path

import neo4j
import pytest
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User
from neo4j import AsyncDriver

import graph_layer.layer as layer_module
from graph_layer import Neo4jDataLayer, purge, queries
from graph_layer.executor import Executor, timing_records
from graph_layer.plan_ahead import plan_queries, samples
from graph_layer.settings import Neo4jSettings
from tests.conftest import Server, clear_plans, query
from tests.factories import message, new_id


def test_samples_fit_their_files_and_cover_the_layer() -> None:
    for name, params in samples():
        queries.get(name).check_params(params)  # raises on a parameter the file lacks
    source = Path(layer_module.__file__).read_text() + Path(purge.__file__).read_text()
    run_by_layer = set(re.findall(r'"((?:user|thread|step|element|feedback)/\w+)"', source))
    assert {name for name, _ in samples()} == run_by_layer - {"user/delete_user"}


async def _graph_size(driver: AsyncDriver) -> tuple[object, object]:
    rows = await query(driver, "RETURN COUNT { () } AS nodes, COUNT { ()-->() } AS rels")
    return rows[0]["nodes"], rows[0]["rels"]


async def test_every_sample_is_planned_and_nothing_is_written(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    before = await _graph_size(driver)
    await clear_plans(driver)
    assert await plan_queries(layer.executor) == len(samples())
    assert await clear_plans(driver) == len(samples())  # one plan each: none is redundant
    assert await _graph_size(driver) == before


async def visit(layer: Neo4jDataLayer) -> None:
    """Every call of the contract that has a sample, with the sizes the samples cover: one
    and several rows at once, a first and a next page, searches of three lengths."""
    alice, bob = await asyncio.gather(layer.create_user(User(identifier="alice")),
                                      layer.create_user(User(identifier="bob@example.com")))
    assert alice is not None and bob is not None
    await layer.get_user("alice")
    await layer.get_user("bob@example.com")
    await layer.create_user(User(identifier="alice"))
    threads = [new_id(), new_id()]
    first = [message(t, 0, output="hello world, a neo4j graph layer demo") for t in threads]
    await layer.create_step(first[0])
    await asyncio.gather(*(layer.create_step(message(t, 1, kind="assistant_message"))
                           for t in threads))
    await layer.update_thread(threads[0], name="hello", user_id=alice.id)
    await layer.update_thread(threads[1], name="hello", user_id=alice.id)
    await asyncio.gather(*(layer.update_thread(t, tags=["warm"]) for t in threads))
    await layer.update_thread(threads[0], metadata={"k": 1})
    await layer.create_step(first[1])
    elements = [{"id": new_id(), "threadId": t, "forId": s["id"], "type": "text",
                 "name": "notes", "display": "inline"} for t, s in zip(threads, first, strict=True)]
    await layer.create_element(elements[0])
    await asyncio.gather(*(layer.create_element(e) for e in elements))
    rated = [await layer.upsert_feedback(Feedback(forId=first[0]["id"], value=1))]
    rated += await asyncio.gather(*(layer.upsert_feedback(Feedback(forId=s["id"], value=0))
                                    for s in first))
    sidebar = ThreadFilter(userId=alice.id)
    page = await layer.list_threads(Pagination(first=1), sidebar)
    await layer.list_threads(Pagination(first=1, cursor=page.pageInfo.endCursor), sidebar)
    for words in ("hello", "hello world", "neo4j graph layer demo"):
        await layer.list_threads(Pagination(first=35), ThreadFilter(userId=alice.id,
                                                                    search=words))
    found = await layer.list_threads(Pagination(first=1), ThreadFilter(userId=alice.id,
                                                                       search="hello world"))
    await layer.list_threads(Pagination(first=1, cursor=found.pageInfo.endCursor),
                             ThreadFilter(userId=alice.id, search="hello world"))
    assert await layer.get_thread(threads[0]) is not None
    assert await layer.get_thread_author(threads[0]) == "alice"
    assert await layer.get_element(threads[0], elements[0]["id"]) is not None
    await layer.get_favorite_steps(alice.id)
    assert await layer.delete_feedback(rated[0])
    await layer.delete_element(elements[0]["id"], threads[0])
    await layer.delete_step(first[0]["id"])
    await layer.delete_thread(threads[1])
    assert await layer.purge_deleted() == 0  # the background purge has freed its nodes


async def test_the_samples_make_the_plans_a_visit_needs(layer: Neo4jDataLayer,
                                                      driver: AsyncDriver) -> None:
    await clear_plans(driver)
    with timing_records() as records:
        await visit(layer)
    batched = {r.query for r in records if r.rows == 2}
    assert batched >= {"user/upsert_user", "step/upsert_step", "thread/update_thread",
                       "element/upsert_element", "feedback/upsert_feedback"}  # group commits
    assert await clear_plans(driver) == len(samples())  # as many plans as samples,
    assert await plan_queries(layer.executor) == len(samples())
    await visit(layer)
    assert await clear_plans(driver) == len(samples())  # and the same ones


async def test_setup_plans_once_per_process_unless_told_not_to(
    clean_db: Server, driver: AsyncDriver, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(layer_module, "_PLANNED", set())
    caplog.set_level(logging.INFO, logger="graph_layer")
    off = Neo4jDataLayer(driver=driver, settings=Neo4jSettings(plan_ahead=False))
    await off.setup()
    assert not layer_module._PLANNED
    assert not [r for r in caplog.records if "planned ahead" in r.getMessage()]
    on, again = (Neo4jDataLayer(driver=driver) for _ in range(2))
    await on.setup()
    await again.setup()
    planned = [r.getMessage() for r in caplog.records if "planned ahead" in r.getMessage()]
    assert len(planned) == 1  # by the first layer with plan_ahead on, and by no other
    assert planned[0].startswith(f"graph_layer: {len(samples())} queries planned ahead in ")


async def test_a_concurrent_setup_returns_once_the_planning_is_done(
    clean_db: Server, driver: AsyncDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ``setup()`` calls at once for the same server plan once, and neither returns
    before the planning is done (the second waits for the first's)."""
    monkeypatch.setattr(layer_module, "_PLANNED", set())
    events: list[str] = []
    real = layer_module.plan_queries

    async def recorded(executor: Executor) -> int:
        events.append("planning")
        planned = await real(executor)
        events.append("planned")
        return planned

    monkeypatch.setattr(layer_module, "plan_queries", recorded)
    first, second = (Neo4jDataLayer(driver=driver) for _ in range(2))

    async def set_up(layer: Neo4jDataLayer, name: str) -> None:
        await layer.setup()
        events.append(name)

    await asyncio.gather(set_up(first, "first"), set_up(second, "second"))
    assert events.count("planning") == 1
    assert events.index("planned") < min(events.index("first"), events.index("second"))
    assert not layer_module._PLANNING
    for layer in (first, second):
        await layer.close()


async def test_a_freed_borrowed_driver_takes_its_schema_and_plans_with_it(
    clean_db: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A borrowed driver is known by its id, which a new driver may get once it is freed: the
    freed driver's entries go with it, so the new one applies the schema and plans again."""
    monkeypatch.setattr(layer_module, "_PLANNED", set())
    borrowed = neo4j.AsyncGraphDatabase.driver(clean_db.uri, auth=clean_db.auth)
    layer = Neo4jDataLayer(driver=borrowed, database=clean_db.database)
    await layer.setup()
    await layer.close()  # waits for its background purge; a borrowed driver stays open
    key = layer._server_key()
    assert key[0].startswith("driver:")
    assert key in layer_module._SCHEMA_APPLIED and key in layer_module._PLANNED
    await borrowed.close()
    del layer, borrowed
    gc.collect()
    assert key not in layer_module._SCHEMA_APPLIED and key not in layer_module._PLANNED


async def test_a_failure_is_logged_and_ends_the_planning(
    driver: AsyncDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="graph_layer")
    assert await plan_queries(Executor(driver, "no-such-database")) == 0
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "planning queries ahead stopped at cypher/user/get_user.cypher" in warning
    assert "no-such-database" in warning


async def test_refused_writes_are_skipped_and_the_reads_planned(
    clean_db: Server, driver: AsyncDriver, caplog: pytest.LogCaptureFixture
) -> None:
    """Community has no roles to take write rights away: sessions in read access mode are
    refused the writes instead (the real ``rehearse`` runs, its error path included)."""
    caplog.set_level(logging.WARNING, logger="graph_layer")
    reads = sum(queries.get(name).is_read for name, _ in samples())

    class ReadOnly(Executor):
        def access_mode(self, query: queries.Query) -> str:
            return neo4j.READ_ACCESS

    assert await plan_queries(ReadOnly(driver, clean_db.database)) == reads
    skipped = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(skipped) == len(samples()) - reads
    assert all("not planned ahead" in m and "AccessMode" in m for m in skipped)
