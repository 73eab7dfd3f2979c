"""The ``graph-layer`` command and database failures, on the real server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from chainlit.types import Pagination, ThreadFilter
from chainlit.user import User
from neo4j import AsyncDriver

from graph_layer import DatabaseError, Neo4jDataLayer, analytics
from graph_layer import layer as layer_module
from graph_layer.analytics import AnalyticsDB
from graph_layer.errors import ConfigurationError
from graph_layer.schema import apply_schema, code_version
from graph_layer.storage import LocalFileStorageClient
from tests.conftest import Server, free_port, hold_queries, query
from tests.factories import make_thread, make_user, message, new_id


def test_schema_apply_command_is_idempotent(clean_db: Server) -> None:
    env = {**os.environ, "NEO4J_URI": clean_db.uri, "NEO4J_USERNAME": clean_db.auth[0],
           "NEO4J_PASSWORD": clean_db.auth[1], "NEO4J_DATABASE": clean_db.database}
    for _ in range(2):
        result = subprocess.run([sys.executable, "-m", "graph_layer.cli", "schema", "apply"],
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "schema version" in result.stderr


async def test_schema_has_every_constraint_and_search_index(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    constraints = await query(driver, "SHOW CONSTRAINTS YIELD labelsOrTypes, properties "
                                      "RETURN labelsOrTypes[0] + '.' + properties[0] AS key")
    keys = {row["key"] for row in constraints}
    assert {"User.id", "User.identifier", "Thread.id", "Step.id", "Element.id",
            "Feedback.id"} <= keys
    indexes = await query(driver, "SHOW INDEXES YIELD name, type, state, options "
                                  "RETURN name, type, state, options")
    by_name = {row["name"]: row for row in indexes}
    for name in ("thread_name_by_user", "message_search"):  # updated after commit
        assert by_name[name]["type"] == "FULLTEXT"
        assert by_name[name]["options"]["indexConfig"]["fulltext.eventually_consistent"] is True
    assert not {"thread_search", "step_search", "step_created", "step_name",
                "step_text_search", "thread_name_search", "message_text_search"} & set(by_name)
    assert by_name["thread_user_activity"]["state"] == "ONLINE"
    version = await query(driver, "MATCH (m:GraphLayerSchema) RETURN m.version AS v")
    assert version == [{"v": code_version()}] == [{"v": 9}]


async def _upgrade(layer: Neo4jDataLayer, driver: AsyncDriver, old: list[str]) -> set[str]:
    """Set the database up as an older version left it, apply this version's schema, and
    return the names of the indexes after it."""
    for statement in old:
        await query(driver, statement)
    assert await apply_schema(layer.executor) == code_version()
    return {row["name"] for row in await query(driver, "SHOW INDEXES YIELD name RETURN name")}


async def test_schema_upgrade_from_version_4_replaces_the_search_indexes(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    """A database set up by schema version 4 (full-text indexes updated inside each commit, and
    range indexes no plan used) gets the newer search indexes, and search works after it."""
    old = ["DROP INDEX thread_name_by_user IF EXISTS", "DROP INDEX message_search IF EXISTS",
           "CREATE FULLTEXT INDEX thread_search FOR (t:Thread) ON EACH [t.name]",
           "CREATE FULLTEXT INDEX step_search FOR (s:Step) ON EACH [s.input, s.output]",
           "CREATE INDEX step_name FOR (s:Step) ON (s.name)",
           "MATCH (m:GraphLayerSchema) SET m.version = 4"]
    names = await _upgrade(layer, driver, old)
    assert {"thread_name_by_user", "message_search"} <= names
    assert not {"thread_search", "step_search", "step_name"} & names
    user = await layer.create_user(User(identifier="upgrader"))
    assert user is not None
    await layer.update_thread("upgraded-thread", name="after the upgrade", user_id=user.id)
    page = await layer.list_threads(Pagination(first=5),
                                    ThreadFilter(userId=user.id, search="upgrade"))
    assert [t["id"] for t in page.data] == ["upgraded-thread"]


async def test_schema_upgrade_from_version_7_labels_messages_for_the_search(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    """A graph written by schema version 7 (every step's text in step_text_search, no :Message
    label) gets the label on its message steps once, the message index instead, and finds a
    thread by a word of an old message but no longer by a tool's input."""
    user = await layer.create_user(User(identifier="v7"))
    assert user is not None
    await layer.update_thread("v7-thread", name="old thread", user_id=user.id)
    said = {"id": "v7-msg", "threadId": "v7-thread", "type": "user_message", "name": "v7",
            "output": "tell me about narwhals", "createdAt": "2026-10-01T00:00:00Z"}
    tool = {"id": "v7-tool", "threadId": "v7-thread", "type": "tool", "name": "search",
            "parentId": "v7-msg", "input": "octopus", "createdAt": "2026-10-01T00:00:01Z"}
    await layer.create_step(said)  # type: ignore[arg-type]
    await layer.create_step(tool)  # type: ignore[arg-type]
    old = ["DROP INDEX message_search IF EXISTS", "MATCH (s:Message) REMOVE s:Message",
           "CREATE FULLTEXT INDEX step_text_search FOR (s:Step) ON EACH [s.input, s.output] "
           "OPTIONS {indexConfig: {`fulltext.eventually_consistent`: true}}",
           "MATCH (m:GraphLayerSchema) SET m.version = 7"]
    names = await _upgrade(layer, driver, old)
    assert "message_search" in names and "step_text_search" not in names
    rows = await query(driver, "MATCH (s:Step) WHERE s.threadId = 'v7-thread' "
                               "RETURN s.id AS id, s:Message AS message ORDER BY id")
    assert rows == [{"id": "v7-msg", "message": True}, {"id": "v7-tool", "message": False}]

    async def found(word: str) -> list[str]:
        page = await layer.list_threads(Pagination(first=5),
                                        ThreadFilter(userId=user.id, search=word))
        return [t["id"] for t in page.data]

    assert await found("narwhals") == ["v7-thread"]
    assert await found("octopus") == []


async def test_schema_upgrade_from_version_8_gives_steps_their_owner_for_the_search(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    """A graph written by schema version 8 (search indexes without the owner's id, steps
    without userId) gets userId on every step of an owned thread once, the owner-aware
    indexes instead, and finds a thread by a word of an old message."""
    user = await layer.create_user(User(identifier="v8"))
    assert user is not None
    await layer.update_thread("v8-thread", name="old thread", user_id=user.id)
    said = {"id": "v8-msg", "threadId": "v8-thread", "type": "user_message", "name": "v8",
            "output": "tell me about axolotls", "createdAt": "2026-10-01T00:00:00Z"}
    await layer.create_step(said)  # type: ignore[arg-type]
    await layer.create_step({**said, "id": "v8-orphan", "threadId": "v8-ownerless"})  # type: ignore[arg-type]
    options = "OPTIONS {indexConfig: {`fulltext.eventually_consistent`: true}}"
    old = ["DROP INDEX thread_name_by_user IF EXISTS", "DROP INDEX message_search IF EXISTS",
           f"CREATE FULLTEXT INDEX thread_name_search FOR (t:Thread) ON EACH [t.name] {options}",
           "CREATE FULLTEXT INDEX message_text_search FOR (s:Message) ON EACH "
           f"[s.input, s.output] {options}",
           "MATCH (s:Step) REMOVE s.userId", "MATCH (m:GraphLayerSchema) SET m.version = 8"]
    names = await _upgrade(layer, driver, old)
    assert {"thread_name_by_user", "message_search"} <= names
    assert not {"thread_name_search", "message_text_search"} & names
    rows = await query(driver, "MATCH (s:Step) WHERE s.id STARTS WITH 'v8-' "
                               "RETURN s.id AS id, s.userId AS userId ORDER BY id")
    assert rows == [{"id": "v8-msg", "userId": user.id}, {"id": "v8-orphan", "userId": None}]
    page = await layer.list_threads(Pagination(first=5),
                                    ThreadFilter(userId=user.id, search="axolotl"))
    assert [t["id"] for t in page.data] == ["v8-thread"]


NEW_IN_6 = ["step_latency", "step_duration", "step_turn", "step_llm_calls", "step_prompt_tokens",
            "step_completion_tokens"]


async def test_schema_upgrade_from_version_5_backfills_the_analytics(
    layer: Neo4jDataLayer, driver: AsyncDriver, analytics_db: AnalyticsDB
) -> None:
    """A graph written by schema version 5 (no step durations, nameless steps without a name
    property, no stale marks, step_model) gets durations, names and stale marks once, and the
    covering indexes; the analytics refuse it until then."""
    old = [*(f"DROP INDEX {name} IF EXISTS" for name in NEW_IN_6),
           "CREATE INDEX step_model FOR (s:Step) ON (s.model)",
           "CREATE (:User {id: 'u5', identifier: 'v5@example.com'})-[:AUTHORED]->"
           "(t:Thread {id: 'v5-thread', createdAt: datetime(), lastActivity: datetime()})"
           "-[:CONTAINS]->(:Step {id: 'v5-step', threadId: 'v5-thread', type: 'tool', "
           "isError: false, createdAt: datetime('2026-10-01T00:00:00Z'), "
           "start: datetime('2026-10-01T00:00:00Z'), end: datetime('2026-10-01T00:00:01.5Z')})",
           "MATCH (m:GraphLayerSchema) SET m.version = 5"]
    for statement in old:
        await query(driver, statement)
    with pytest.raises(ConfigurationError, match="schema apply"):
        analytics.latency_by_step(analytics_db)
    names = await _upgrade(layer, driver, [])
    assert set(NEW_IN_6) <= names
    assert "step_model" not in names
    rows = await query(driver, "MATCH (t:Thread)-[:CONTAINS]->(s:Step) RETURN "
                               "t:AnalyticsStale AS stale, s.durationMs AS ms, s.name AS name")
    assert rows == [{"stale": True, "ms": 1500, "name": ""}]
    latency = analytics.latency_by_step(analytics_db)  # checks the schema again: now current
    assert latency[["type", "name", "steps", "max_ms"]].values.tolist() == [["tool", "", 1, 1500]]
    await query(driver, "MATCH (t:Thread) REMOVE t:AnalyticsStale")
    assert await apply_schema(layer.executor) == code_version()  # upgrades run once
    rows = await query(driver, "MATCH (t:AnalyticsStale) RETURN t.id AS id")
    assert rows == []


async def test_database_down_raises_database_error_not_none(chainlit_context: object) -> None:
    layer = Neo4jDataLayer(f"bolt://127.0.0.1:{free_port()}", auth=("neo4j", "x"))
    layer.settings = layer.settings.model_copy(update={"max_transaction_retry_time": 1.0,
                                                       "connection_acquisition_timeout": 2.0})
    try:
        with pytest.raises(DatabaseError, match="failed"):
            await layer.get_user("anyone")
    finally:
        await layer.close()


async def test_wrong_password_raises_database_error(neo4j_server: Server,
                                                    chainlit_context: object) -> None:
    layer = Neo4jDataLayer(neo4j_server.uri, auth=("neo4j", "wrong-password"))
    try:
        with pytest.raises(DatabaseError):
            await layer.create_user(User(identifier="x"))
    finally:
        await layer.close()


async def test_layer_closes_only_a_driver_it_created(clean_db: Server, driver: AsyncDriver,
                                                     chainlit_context: object) -> None:
    borrowed = Neo4jDataLayer(driver=driver, database=clean_db.database)
    assert await borrowed.get_user("nobody") is None
    await borrowed.close()
    await driver.verify_connectivity()  # still open
    own = Neo4jDataLayer(clean_db.uri, auth=clean_db.auth, database=clean_db.database)
    assert await own.get_user("nobody") is None
    inner = own._driver
    await own.close()
    assert inner is not None
    with pytest.raises(Exception):  # noqa: B017 - any driver error: it is closed
        await inner.verify_connectivity()


async def test_close_waits_for_the_writes_under_way(
    clean_db: Server, driver: AsyncDriver, chainlit_context: object, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chainlit fires writes and forgets them, calls close() at shutdown and ends the process:
    what it fired is written before the driver closes (a batched step, an element whose
    caller was cancelled, a step delete waiting behind the step's write)."""
    storage = LocalFileStorageClient(tmp_path, "http://127.0.0.1/files", secret="test")
    own = Neo4jDataLayer(clean_db.uri, auth=clean_db.auth, database=clean_db.database,
                         storage_client=storage)
    thread_id = await make_thread(own, await make_user(own), "closing", 0)
    old = message(thread_id, 1, output="to delete")
    await own.create_step(old)
    upsert, element_upsert, delete = \
        "step/upsert_step", "element/upsert_element", "step/delete_step"
    arrived, gates = hold_queries(own, monkeypatch, upsert, element_upsert, delete)
    reply = message(thread_id, 2, kind="assistant_message", output="bye")
    element = {"id": new_id(), "threadId": thread_id, "type": "text", "name": "notes",
               "display": "inline", "content": "kept"}
    fired = [asyncio.create_task(own.create_step(reply)),
             asyncio.create_task(own.create_element(element)),
             asyncio.create_task(own.delete_step(old["id"]))]
    closing = None
    try:
        await asyncio.wait_for(arrived[upsert].wait(), 10)
        await asyncio.wait_for(arrived[element_upsert].wait(), 10)  # both rows in their
        fired[1].cancel()                                            # transactions
        with pytest.raises(asyncio.CancelledError):
            await fired[1]
        assert f"element {element['id']}" in own._writes_under_way().values()  # it goes on
        closing = asyncio.create_task(own.close())
        await asyncio.sleep(0.3)
        assert not closing.done()  # close() waits for them
        gates[upsert].set()
        gates[element_upsert].set()
        await asyncio.wait_for(arrived[delete].wait(), 10)  # behind the step's write
        await asyncio.sleep(0.3)
        assert not closing.done()  # and for the delete
    finally:
        for gate in gates.values():
            gate.set()
        await (closing or own.close())
    await fired[0]
    await fired[2]
    rows = await query(driver, "MATCH (t:Thread {id: $t})-[:CONTAINS]->(n) WHERE n.id IN $ids "
                       "RETURN n.id AS id, n.objectKey AS key", t=thread_id,
                       ids=[reply["id"], element["id"], old["id"]])
    assert {r["id"] for r in rows} == {reply["id"], element["id"]}  # the old step deleted
    key = next(r["key"] for r in rows if r["id"] == element["id"])
    assert storage.path_for(str(key)).read_text() == "kept"


async def test_close_names_the_writes_it_leaves_after_its_wait(
    clean_db: Server, chainlit_context: object, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    own = Neo4jDataLayer(clean_db.uri, auth=clean_db.auth, database=clean_db.database)
    thread_id = await make_thread(own, await make_user(own), "stuck", 0)
    arrived, gates = hold_queries(own, monkeypatch, "step/upsert_step")
    fired = asyncio.create_task(own.create_step(message(thread_id, 1)))
    monkeypatch.setattr(layer_module, "CLOSE_WAIT_S", 0.2)
    try:
        await asyncio.wait_for(arrived["step/upsert_step"].wait(), 10)
        await own.close()  # returns after 0.2 s, the write still held
        assert not fired.done()
    finally:
        gates["step/upsert_step"].set()
    with pytest.raises(DatabaseError):  # the driver closed under it
        await fired
    assert "writes still under way after 0.2 s; they may be lost: create_step, " \
        "cypher/step/upsert_step.cypher" in caplog.text
