"""Shared fixtures: a real Neo4j for every integration test, and a Chainlit context.

The server is, in order: ``NEO4J_URI`` if set; a testcontainers ``neo4j:5.26`` container if a
Docker engine answers; else a local server of the test run's own (own data folder and ports),
so tests never touch the database a user runs the demo on. Headless Chromium (for the demo UI
and Neo4j Browser) is Debian's ``/usr/bin/chromium`` (no downloaded browsers);
``GRAPH_LAYER_CHROMIUM`` names another binary.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from chainlit.context import context_var
from chainlit.session import HTTPSession
from neo4j import AsyncDriver, AsyncGraphDatabase, GraphDatabase

from graph_layer import Neo4jDataLayer, analytics
from graph_layer.analytics import AnalyticsDB
from graph_layer.context import use_http_context
from graph_layer.executor import Row
from graph_layer.settings import DEFAULT_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = os.environ.get("GRAPH_LAYER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@dataclass(frozen=True)
class Server:
    """Where the test database answers."""

    uri: str
    auth: tuple[str, str]
    database: str = "neo4j"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The Neo4j server the integration tests use (see module docstring)."""
    if os.environ.get("NEO4J_URI"):
        yield Server(
            os.environ["NEO4J_URI"],
            (os.environ.get("NEO4J_USERNAME", "neo4j"),
             os.environ.get("NEO4J_PASSWORD", DEFAULT_PASSWORD)),
            os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
        return
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26", password=DEFAULT_PASSWORD) as container:
            yield Server(container.get_connection_url(), ("neo4j", DEFAULT_PASSWORD))
        return
    from graph_layer.local_server import LocalNeo4j

    home = Path(os.environ.get("GRAPH_LAYER_TEST_HOME") or tmp_path_factory.mktemp("neo4j"))
    server = LocalNeo4j(home=home, bolt_port=free_port(), http_port=free_port(),
                        password=DEFAULT_PASSWORD)
    server.start()
    try:
        yield Server(server.uri, ("neo4j", DEFAULT_PASSWORD))
    finally:
        server.stop()


TEST_MARKER = "GraphLayerTestRun"


def _wipe(server: Server) -> None:
    """Empty the test database, refusing one that holds data these tests did not write."""
    with GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        records, _, _ = driver.execute_query(
            "RETURN COUNT { (m:GraphLayerTestRun) } AS marked, "
            "COUNT { (n) WHERE NOT n:GraphLayerSchema } AS nodes",
            database_=server.database,
        )
        marked, nodes = records[0]["marked"], records[0]["nodes"]
        if nodes and not marked:
            pytest.exit(
                f"refusing to wipe {server.uri}: it holds {nodes} nodes the tests did not write",
                returncode=3,
            )
        with driver.session(database=server.database) as session:
            session.run(
                "MATCH (n) WHERE NOT n:GraphLayerSchema CALL (n) { DETACH DELETE n } "
                "IN TRANSACTIONS OF 10000 ROWS"
            ).consume()
        driver.execute_query(f"CREATE (:{TEST_MARKER})", database_=server.database)


@pytest.fixture
def clean_db(neo4j_server: Server) -> Server:
    """An empty database (but for the test-run marker) for one test."""
    _wipe(neo4j_server)
    return neo4j_server


@pytest.fixture
def analytics_db(clean_db: Server) -> Iterator[AnalyticsDB]:
    """The analytics' own (sync) connection to the empty test database."""
    with analytics.connect(clean_db.uri, auth=clean_db.auth, database=clean_db.database) as db:
        yield db


@pytest.fixture(scope="session")
async def driver(neo4j_server: Server) -> AsyncIterator[AsyncDriver]:
    """One async driver for the whole run (layers borrow it and must not close it)."""
    drv = AsyncGraphDatabase.driver(neo4j_server.uri, auth=neo4j_server.auth)
    yield drv
    await drv.close()


@pytest.fixture
async def layer(
    clean_db: Server, driver: AsyncDriver, chainlit_context: HTTPSession
) -> AsyncIterator[Neo4jDataLayer]:
    """A layer on an empty database, with its schema applied, inside a Chainlit HTTP context."""
    data_layer = Neo4jDataLayer(driver=driver, database=clean_db.database)
    await data_layer.setup()
    await data_layer.purge_deleted()  # setup()'s background purge is over before the test
    yield data_layer
    await data_layer.close()


@pytest.fixture
async def chainlit_context() -> AsyncIterator[HTTPSession]:
    """A Chainlit HTTP context, as in Slack/Teams or API calls: queued methods run at once."""
    token = use_http_context()
    yield context_var.get().session  # type: ignore[misc]
    context_var.reset(token)


def hold_queries(layer: Neo4jDataLayer, monkeypatch: pytest.MonkeyPatch, *names: str
                 ) -> tuple[dict[str, asyncio.Event], dict[str, asyncio.Event]]:
    """Hold the layer's queries ``names`` (a batched one with its rows given), each until its
    gate opens; ``arrived[name]`` is set once one is held."""
    arrived = {name: asyncio.Event() for name in names}
    gates = {name: asyncio.Event() for name in names}
    real = layer.executor._run

    async def gated(name: str, params: dict[str, Any], log_failure: bool) -> list[Row]:
        if name in gates:
            arrived[name].set()
            await gates[name].wait()
        return await real(name, params, log_failure)

    monkeypatch.setattr(layer.executor, "_run", gated)
    return arrived, gates


async def query(driver: AsyncDriver, cypher: str, **params: object) -> list[dict[str, object]]:
    """Run a check query in a test (assertions read the graph directly)."""
    records, _, _ = await driver.execute_query(cypher, params, database_="neo4j")
    return [r.data() for r in records]


async def thread_content(driver: AsyncDriver, thread_id: str) -> object:
    """How many steps, elements and feedback of a thread are in the graph."""
    rows = await query(driver, "MATCH (n) WHERE (n:Step OR n:Element OR n:Feedback) "
                               "AND n.threadId = $t RETURN count(n) AS n", t=thread_id)
    return rows[0]["n"]


async def clear_plans(driver: AsyncDriver) -> int:
    """Empty the server's query caches; how many plans they held."""
    said = str((await query(driver, "CALL db.clearQueryCaches()"))[0]["value"])
    found = re.search(r"cleared of (\d+) quer", said)
    assert found or said == "Query cache already empty.", said
    return int(found.group(1)) if found else 0


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Headless Chromium through Playwright's sync API."""
    from playwright.sync_api import sync_playwright  # only the browser tests need Playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
