"""The ``graph-layer`` command and database failures, on the real server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from chainlit.user import User
from neo4j import AsyncDriver

from graph_layer import DatabaseError, Neo4jDataLayer
from tests.conftest import Server, free_port, query


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
    indexes = await query(driver, "SHOW INDEXES YIELD name, type, state RETURN name, type, state")
    by_name = {row["name"]: row for row in indexes}
    assert by_name["thread_search"]["type"] == "FULLTEXT"
    assert by_name["step_search"]["type"] == "FULLTEXT"
    assert by_name["thread_user_activity"]["state"] == "ONLINE"
    version = await query(driver, "MATCH (m:GraphLayerSchema) RETURN m.version AS v")
    assert version == [{"v": 4}]


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
