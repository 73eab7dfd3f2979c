"""Server faults on a Neo4j of the suite's own (temporary home, free ports): a clean stop and a
kill -9 in the middle of a load, then a start. Calls wait in the layer's retries (bounded by
``max_transaction_retry_time``) or raise DatabaseError; every acknowledged write is there after
the restart (durability), no thread is half-written, and the same layer object keeps working.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chainlit.session import HTTPSession
from chainlit.user import User
from neo4j import GraphDatabase

from graph_layer import Neo4jDataLayer
from graph_layer.errors import DatabaseError
from graph_layer.local_server import LocalNeo4j
from graph_layer.settings import Neo4jSettings
from graph_layer.storage import LocalFileStorageClient
from tests.conftest import free_port
from tests.factories import message, new_id
from tests.reliability.conversation import Expected, Write, feedback, run_id_of, turn
from tests.reliability.graphcheck import integrity, missing

pytestmark = [pytest.mark.slow, pytest.mark.server]

PASSWORD = "reliability-faults"
RETRY_TIME = float(os.environ.get("GRAPH_LAYER_FAULT_RETRY_TIME", "120"))
SESSIONS = 8
TURNS = 1
FAULT_AFTER = 30  # acknowledged calls before the fault


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    bolt = free_port()
    http = free_port()
    server = LocalNeo4j(home=tmp_path_factory.mktemp("neo4j-faults"), bolt_port=bolt,
                        http_port=http if http != bolt else free_port(), password=PASSWORD)
    server.start(timeout=240)
    try:
        yield server
    finally:
        server.stop()


def _layer(server: LocalNeo4j, retry_time: float, tmp: Path) -> Neo4jDataLayer:
    settings = Neo4jSettings(uri=server.uri, password=PASSWORD,  # type: ignore[arg-type]
                             max_transaction_retry_time=retry_time)
    storage = LocalFileStorageClient(tmp / "files", "http://files.test", secret="f" * 32)
    return Neo4jDataLayer(settings=settings, storage_client=storage)


def _wipe(server: LocalNeo4j) -> None:
    with GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        driver.execute_query("MATCH (n) WHERE NOT n:GraphLayerSchema DETACH DELETE n",
                             database_="neo4j")


def _acknowledged(log: list[tuple[Write, BaseException | None]], exp: Expected) -> Expected:
    """What the acknowledged calls promise: each step's last acknowledged snapshot (unless a
    later call on it failed, when either outcome is allowed), elements, feedback, metadata."""
    want = Expected()
    failed_after: set[str] = set()
    for write, error in reversed(log):
        if error is not None:
            failed_after.add(write.key)
            continue
        if write.method in ("create_step", "update_step"):
            if write.key not in want.steps and write.key not in failed_after:
                want.steps[write.key] = write.args[0]
        elif write.method == "create_element":
            want.elements[write.key] = exp.elements[write.key]
        elif write.method == "upsert_feedback" and write.key not in failed_after:
            want.feedback.setdefault(write.key, exp.feedback[write.key])
        elif write.method == "update_thread" and write.args[3]:
            for key, value in write.args[3].items():
                want.metadata.setdefault(write.args[0], {})[key] = value
    for sid, snap in list(want.steps.items()):  # a parent the snapshot names may be a placeholder
        parent = snap.get("parentId")
        if parent and parent not in want.steps:
            want.steps.pop(sid)
    return want


@pytest.mark.timeout(900)
@pytest.mark.parametrize("fault", ["stop", "kill"])
async def test_server_fault_mid_load_loses_no_acknowledged_write(
    own_server: LocalNeo4j, fault: str, tmp_path: Path, chainlit_context: HTTPSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="graph_layer")
    own_server.start(timeout=240)
    _wipe(own_server)
    layer = _layer(own_server, RETRY_TIME, tmp_path)
    await layer.setup()
    user = await layer.create_user(User(identifier=f"faults-{fault}"))
    assert user is not None
    exp = Expected()
    log: list[tuple[Write, BaseException | None]] = []
    acked = asyncio.Event()
    outage: dict[str, float] = {}

    async def call(write: Write) -> None:
        try:
            await write.apply(layer)
        except Exception as err:
            log.append((write, err))
            return
        log.append((write, None))
        if sum(e is None for _, e in log) >= FAULT_AFTER:
            acked.set()

    async def session(n: int) -> None:
        thread_id = new_id()
        await call(Write("update_thread", (thread_id, f"s{n}", user.id, None)))
        for i in range(TURNS):
            writes = turn(thread_id, i, exp, tag=f"{fault}{n}-")
            for write in writes:
                await call(write)
            await call(feedback(thread_id, run_id_of(writes), 1, exp))

    async def fault_and_restart() -> None:
        await acked.wait()
        began = time.monotonic()
        stopped = await asyncio.to_thread(own_server.stop if fault == "stop" else own_server.kill)
        assert stopped
        outage["down"] = time.monotonic() - began
        await asyncio.to_thread(own_server.start, 240)
        outage["restart"] = time.monotonic() - began

    began = time.monotonic()
    load = asyncio.gather(*(session(n) for n in range(SESSIONS)))
    restart = asyncio.create_task(fault_and_restart())
    await load
    assert acked.is_set(), f"the load ended before {FAULT_AFTER} acknowledged calls: {log[:3]}"
    await restart
    after = message(new_id(), 1.0, output="after the restart")  # the same layer object
    await layer.create_step(after)
    duration = time.monotonic() - began

    errors = [e for _, e in log if e is not None]
    retries = sum("retrying in" in r.getMessage() for r in caplog.records)
    assert retries > 0, "no call met the outage: the fault came after the load"
    assert all(isinstance(e, DatabaseError) and "cypher/" in str(e) for e in errors), errors
    want = _acknowledged(log, exp)
    lost = await missing(layer.executor.driver, want)
    defects = await integrity(layer.executor.driver)
    print(f"\n[reliability/faults] {fault}: {len(log)} calls during a {outage['restart']:.1f}s "
          f"outage+restart (down after {outage['down']:.1f}s), "
          f"acknowledged {len(log) - len(errors)}, "
          f"raised DatabaseError {len(errors)}, retries {retries}, "
          f"retry window {RETRY_TIME:.0f}s, "
          f"duration {duration:.1f}s; acknowledged items checked: {len(want.steps)} steps, "
          f"{len(want.elements)} elements, {len(want.feedback)} feedback, "
          f"{sum(map(len, want.metadata.values()))} metadata keys; "
          f"lost {sum(map(len, lost.values()))}; integrity {defects}")
    assert lost == {"steps": [], "elements": [], "feedback": [], "metadata": []}
    assert set(defects.values()) == {0}
    await layer.close()


async def test_outage_beyond_the_retry_time_is_a_clear_error_then_recovers(
    own_server: LocalNeo4j, tmp_path: Path, chainlit_context: HTTPSession,
) -> None:
    own_server.start(timeout=240)
    layer = _layer(own_server, 2.0, tmp_path)
    await layer.setup()
    thread_id = new_id()
    await layer.create_step(message(thread_id, 1.0, output="before"))
    assert own_server.stop()
    began = time.monotonic()
    with pytest.raises(DatabaseError, match=r"cypher/step/upsert_step\.cypher failed"):
        await layer.create_step(message(thread_id, 2.0, output="during"))
    waited = time.monotonic() - began
    assert 2.0 <= waited < 30  # retried for max_transaction_retry_time, then raised
    own_server.start(timeout=240)
    await layer.create_step(message(thread_id, 3.0, output="after"))  # same layer, no re-create
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert [s["output"] for s in thread["steps"]] == ["before", "after"]
    print(f"\n[reliability/faults] server down: DatabaseError after {waited:.1f}s "
          "(max_transaction_retry_time=2s); the same layer wrote again after the restart")
    await layer.close()


async def test_close_releases_every_connection(own_server: LocalNeo4j, tmp_path: Path) -> None:
    own_server.start(timeout=240)

    def connections() -> int:
        with GraphDatabase.driver(own_server.uri, auth=own_server.auth) as observer:
            records, _, _ = observer.execute_query(
                "CALL dbms.listConnections() YIELD connector WHERE connector = 'bolt' "
                "RETURN count(*) AS n", database_="neo4j")
        return int(records[0]["n"])

    idle = connections()
    layer = _layer(own_server, 5.0, tmp_path)
    await asyncio.gather(*(layer.get_thread(new_id()) for _ in range(20)))
    busy = connections()
    await layer.close()
    await asyncio.sleep(0.5)
    closed = connections()
    print(f"\n[reliability/faults] bolt connections: {idle} idle, {busy} in use, "
          f"{closed} after close()")
    assert busy > idle and closed == idle
    assert layer._driver is None
