"""The layers under test, each with its own database, schema, bulk loader, row counts and floor."""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import neo4j
from chainlit.data.base import BaseDataLayer
from chainlit.user import User
from neo4j import AsyncDriver, AsyncGraphDatabase

from benchmarks.data import Dataset, ElementRow, FeedbackRow, StepRow, iso, step_dict
from benchmarks.raw_bolt import RawBolt
from graph_layer import Neo4jDataLayer
from graph_layer.settings import Neo4jSettings
from graph_layer.steps import step_params
from graph_layer.storage import LocalFileStorageClient

SQL = Path(__file__).parent / "sql"
BATCH = 5000
ADDED_MARKER = "-- added by the benchmark"


def _naive(ts: Any) -> Any:
    return ts.replace(tzinfo=None)


def _chunks(rows: list[Any], size: int = BATCH) -> list[list[Any]]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


class Peer(ABC):
    """One data layer on its own database."""

    name: str
    database: str  # which database server the floor belongs to
    layer: BaseDataLayer
    users: dict[str, str]

    def __init__(self, files: Path) -> None:
        self.storage = LocalFileStorageClient(files, "http://127.0.0.1/files", secret="bench")
        self.users = {}

    async def user_id(self, identifier: str) -> str:
        """The layer's id for a user, created through the layer on first use."""
        if identifier not in self.users:
            user = await self.layer.create_user(User(identifier=identifier))
            assert user is not None
            self.users[identifier] = user.id
        return self.users[identifier]

    async def load(self, data: Dataset) -> None:
        for identifier in sorted({t.user for t in data.threads}):
            await self.user_id(identifier)
        await self.bulk(data)

    @abstractmethod
    async def reset(self) -> None: ...

    @abstractmethod
    async def bulk(self, data: Dataset) -> None: ...

    @abstractmethod
    async def counts(self) -> dict[str, int]: ...

    async def floor_read(self) -> None:  # pragma: no cover - overridden where measured
        raise NotImplementedError

    async def floor_write(self, value: int) -> None:  # pragma: no cover
        raise NotImplementedError

    has_floor = True

    async def floor_extras(self) -> dict[str, Callable[[int], Awaitable[None]]]:
        """More floor calls of this database, by call name (none unless overridden)."""
        return {}

    async def settle(self) -> None:
        """Wait for the background work a bulk load or a burst of writes leaves behind."""
        return None

    async def after_delete(self) -> bool:
        """Wait for the work the layer leaves to the background after ``delete_thread``;
        False when it leaves none."""
        return False

    async def fresh_plans(self) -> None:
        """Let the next calls plan their queries on the statistics of now (two thirds into the
        warm-up), as ``VACUUM ANALYZE`` in ``settle`` gives PostgreSQL's planner."""
        return None

    async def close(self) -> None:
        return None


# --------------------------------------------------------------------------------------------
class Neo4jPeer(Peer):
    name = "neo4j (graph_layer)"
    database = "neo4j"

    def __init__(self, files: Path, uri: str, auth: tuple[str, str], database: str) -> None:
        super().__init__(files)
        self.uri, self.auth, self.db = uri, auth, database
        self.layer = Neo4jDataLayer(uri, auth=auth, database=database,
                                    storage_client=self.storage)
        self.admin: AsyncDriver = AsyncGraphDatabase.driver(
            uri, auth=auth, notifications_min_severity="OFF")

    @property
    def ours(self) -> Neo4jDataLayer:
        assert isinstance(self.layer, Neo4jDataLayer)
        return self.layer

    async def _q(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = await self.admin.execute_query(cypher, params, database_=self.db)
        return [r.data() for r in records]

    async def settle(self) -> None:
        """Index population and the full-text indexes' queued updates (applied after commit)
        run in the server's background and take its CPU from the measured calls; so does the
        purge of deleted threads."""
        await self.after_delete()
        await self._q("CALL db.awaitIndexes(600)")
        await self._q("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")

    async def after_delete(self) -> bool:
        """The purge ``delete_thread`` started (``graph_layer.purge``)."""
        await self.ours.purge_deleted()
        return True

    async def fresh_plans(self) -> None:
        """Empty the server's query caches. A plan made early in the warm-up, on a smaller
        graph, is discarded as stale once its age has lowered the divergence threshold enough
        (Neo4j's debug log, "Discarded stale query"): in the 07:28 run, eight minutes later, in
        the middle of our chat lines, where every call of that query waited for the new plan.
        New plans bring new generated code for the JIT to compile: the warm-up's last third
        runs them (emptied at its very end, in the 07:51 run, our one-session writes and the
        floor were up to 1.6x slower than in the runs before)."""
        await self._q("CALL db.clearQueryCaches()")

    async def reset(self) -> None:
        rows = await self._q(
            "RETURN COUNT { (m) WHERE m:GraphLayerBenchRun OR m:GraphLayerTestRun } AS marked, "
            "COUNT { (n) WHERE NOT n:GraphLayerSchema } AS nodes")
        if rows[0]["nodes"] and not rows[0]["marked"]:
            raise RuntimeError(f"refusing to wipe {self.uri}: it holds data the benchmark "
                               "did not write (set NEO4J_URI to a scratch database)")
        async with self.admin.session(database=self.db) as session:
            result = await session.run(
                "MATCH (n) WHERE NOT n:GraphLayerSchema CALL (n) { DETACH DELETE n } "
                "IN TRANSACTIONS OF 10000 ROWS")
            await result.consume()
        await self._q("CREATE (:GraphLayerBenchRun)")
        self.users = {}
        await self.ours.setup()

    async def bulk(self, data: Dataset) -> None:
        threads = [{"id": t.id, "name": t.name, "createdAt": t.created_at,
                    "lastActivity": t.last_activity, "userId": self.users[t.user]}
                   for t in data.threads]
        for rows in _chunks(threads):
            await self._q(
                "UNWIND $rows AS r MATCH (u:User {id: r.userId}) "
                "CREATE (u)-[:AUTHORED]->(:Thread {id: r.id, name: r.name, "
                "createdAt: r.createdAt, lastActivity: r.lastActivity, "
                "lastMessageAt: r.lastActivity, userId: r.userId})", rows=rows)
        owners = {t["id"]: t["userId"] for t in threads}
        steps = []
        for s in data.steps:
            p = step_params(step_dict(s))
            props = {**p["props"], "id": s.id, "threadId": s.thread_id, "type": s.type,
                     "metadata": p["metadata"], "userId": owners[s.thread_id]}
            steps.append({"threadId": s.thread_id, "props": props, "createdAt": p["createdAt"],
                          "start": p["start"], "end": p["end"]})
        for rows in _chunks(steps):
            await self._q("UNWIND $rows AS r MATCH (t:Thread {id: r.threadId}) "
                          "CREATE (t)-[:CONTAINS]->(s:Step) SET s = r.props, "
                          "s.createdAt = datetime(r.createdAt), s.start = datetime(r.start), "
                          "s.end = datetime(r.end) FOREACH (_ IN CASE WHEN r.props.type "
                          "ENDS WITH '_message' THEN [1] ELSE [] END | SET s:Message)",
                          rows=rows)
        links = [{"id": s.id, "parentId": s.parent_id} for s in data.steps if s.parent_id]
        for rows in _chunks(links):
            await self._q("UNWIND $rows AS r MATCH (p:Step {id: r.parentId}) "
                          "MATCH (c:Step {id: r.id}) CREATE (p)-[:PARENT_OF]->(c)", rows=rows)
        feedbacks = [{"id": f.id, "stepId": f.step_id, "threadId": f.thread_id,
                      "value": f.value, "comment": f.comment} for f in data.feedbacks]
        for rows in _chunks(feedbacks):
            await self._q("UNWIND $rows AS r MATCH (s:Step {id: r.stepId}) "
                          "CREATE (f:Feedback {id: r.id, value: r.value, comment: r.comment, "
                          "forId: r.stepId, threadId: r.threadId, createdAt: datetime(), "
                          "updatedAt: datetime()})-[:RATED]->(s)", rows=rows)
        elements = [{"threadId": e.thread_id, "forId": e.for_id,
                     "props": {"id": e.id, "threadId": e.thread_id, "forId": e.for_id,
                               "name": e.name, "type": "file", "display": "inline",
                               "mime": "text/plain", "objectKey": e.object_key}}
                    for e in data.elements]
        for rows in _chunks(elements):
            await self._q("UNWIND $rows AS r MATCH (t:Thread {id: r.threadId}) "
                          "MATCH (s:Step {id: r.forId}) "
                          "CREATE (t)-[:CONTAINS]->(e:Element)<-[:CONTAINS]-(s) "
                          "SET e = r.props", rows=rows)

    async def counts(self) -> dict[str, int]:
        rows = await self._q(
            "RETURN COUNT { (t:Thread) WHERE NOT t:Deleted } AS threads, "
            "COUNT { (:Step) } AS steps, COUNT { (:Element) } AS elements, "
            "COUNT { (:Feedback) } AS feedbacks")
        return dict(rows[0])

    # The floor goes the way the layer's queries go: an auto-commit transaction, retried as
    # the executor retries (one round trip; a managed transaction is two).
    FLOOR_READ = "RETURN 1"

    async def floor_read(self) -> None:
        await self.ours.executor.auto_commit("floor", neo4j.Query(self.FLOOR_READ), {},
                                             neo4j.READ_ACCESS)

    FLOOR_WRITE = "MERGE (n:BenchFloor {id: 0}) SET n.v = $v"

    async def floor_write(self, value: int) -> None:
        await self.ours.executor.auto_commit("floor", neo4j.Query(self.FLOOR_WRITE),
                                             {"v": value}, neo4j.WRITE_ACCESS)

    _raw: RawBolt | None = None

    async def floor_extras(self) -> dict[str, Callable[[int], Awaitable[None]]]:
        """The same two floor calls without the driver (``benchmarks.raw_bolt``): the server,
        its commit and the wire, so the floor splits into those and what the driver adds.
        Only on a plain ``bolt://`` URI (the local server's)."""
        if not self.uri.startswith("bolt://"):
            return {}
        if self._raw is None:
            self._raw = await RawBolt.connect(self.uri, self.auth, self.db)
        raw = self._raw
        return {
            "trivial read, raw Bolt": lambda i: raw.run(self.FLOOR_READ, {}, read=True),
            "trivial write tx, raw Bolt": lambda i: raw.run(self.FLOOR_WRITE, {"v": i}),
        }

    async def close(self) -> None:
        try:
            if self._raw is not None:
                raw, self._raw = self._raw, None
                await raw.close()
        finally:
            await self.ours.close()
            await self.admin.close()


@contextlib.asynccontextmanager
async def scratch_peer() -> AsyncIterator[Neo4jPeer]:
    """A Neo4jPeer on ``NEO4J_URI`` (``NEO4J_*`` settings) with a throwaway file store: what
    the probe scripts (``warmup_curve``, ``delete_commit``, ``cost_split``, ``size_class``)
    measure through."""
    settings = Neo4jSettings()
    with tempfile.TemporaryDirectory() as files:
        peer = Neo4jPeer(Path(files), settings.uri, settings.auth, settings.database)
        try:
            yield peer
        finally:
            await peer.close()


# --------------------------------------------------------------------------------------------
async def recreate_pg_database(admin_dsn: str, name: str, schema_sql: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(admin_dsn.rsplit("/", 1)[0] + "/" + name)
    try:
        await conn.execute(schema_sql)
    finally:
        await conn.close()


async def settle_postgres(conn: asyncpg.Connection | None) -> None:
    """VACUUM ANALYZE the peer's database and CHECKPOINT the cluster: the work autovacuum and
    the checkpointer would otherwise do after a bulk load, on the CPU and disk the layer
    measured next shares."""
    if conn is not None:
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")


class ChainlitPgPeer(Peer):
    name = "ChainlitDataLayer (asyncpg)"
    database = "postgresql"

    def __init__(self, files: Path, admin_dsn: str, dbname: str) -> None:
        from chainlit.data.chainlit_data_layer import ChainlitDataLayer

        super().__init__(files)
        self.admin_dsn, self.dbname = admin_dsn, dbname
        self.dsn = admin_dsn.rsplit("/", 1)[0] + "/" + dbname
        self.layer = ChainlitDataLayer(self.dsn, storage_client=self.storage)
        self.conn: asyncpg.Connection | None = None

    async def reset(self) -> None:
        await self.close()
        await recreate_pg_database(self.admin_dsn, self.dbname,
                                   (SQL / "chainlit_datalayer.sql").read_text()
                                   + "\nCREATE TABLE bench_floor (id int PRIMARY KEY, v int);")
        from chainlit.data.chainlit_data_layer import ChainlitDataLayer

        self.layer = ChainlitDataLayer(self.dsn, storage_client=self.storage)
        await self.layer.connect()  # type: ignore[no-untyped-call]
        self.conn = await asyncpg.connect(self.dsn)
        self.users = {}

    async def bulk(self, data: Dataset) -> None:
        assert self.conn is not None
        c = self.conn
        await c.copy_records_to_table("Thread", columns=[
            "id", "createdAt", "updatedAt", "name", "metadata", "userId"], records=[
            (t.id, _naive(t.created_at), _naive(t.last_activity), t.name, "{}",
             self.users[t.user]) for t in data.threads])
        for rows in _chunks(data.steps):
            await c.copy_records_to_table("Step", columns=[
                "id", "createdAt", "updatedAt", "parentId", "threadId", "input", "metadata",
                "name", "output", "type", "showInput", "isError", "startTime", "endTime"],
                records=[(s.id, _naive(s.created_at), _naive(s.created_at), s.parent_id,
                          s.thread_id, s.input, "{}", s.name, s.output, s.type, "json", False,
                          _naive(s.created_at), _naive(s.end)) for s in rows])
        await c.copy_records_to_table("Feedback", columns=[
            "id", "stepId", "name", "value", "comment"], records=[
            (f.id, f.step_id, "user_feedback", float(f.value), f.comment)
            for f in data.feedbacks])
        await c.copy_records_to_table("Element", columns=[
            "id", "threadId", "stepId", "metadata", "mime", "name", "objectKey", "display",
            "props"], records=[
            (e.id, e.thread_id, e.for_id, '{"type": "file", "display": "inline"}',
             "text/plain", e.name, e.object_key, "inline", "{}") for e in data.elements])
        await c.execute("ANALYZE")

    async def counts(self) -> dict[str, int]:
        assert self.conn is not None
        row = await self.conn.fetchrow(
            'SELECT (SELECT count(*) FROM "Thread" WHERE "deletedAt" IS NULL) AS threads, '
            '(SELECT count(*) FROM "Step") AS steps, (SELECT count(*) FROM "Element") '
            'AS elements, (SELECT count(*) FROM "Feedback") AS feedbacks')
        return dict(row)

    async def floor_read(self) -> None:
        pool = self.layer.pool  # type: ignore[attr-defined]
        await pool.fetchval("SELECT 1")

    async def floor_write(self, value: int) -> None:
        # One statement in its own implicit transaction: one round trip, as ChainlitDataLayer's
        # writes are (BEGIN ... COMMIT around it would be three).
        pool = self.layer.pool  # type: ignore[attr-defined]
        await pool.execute("INSERT INTO bench_floor VALUES (0, $1) ON CONFLICT (id) "
                           "DO UPDATE SET v = EXCLUDED.v", value)

    async def settle(self) -> None:
        await settle_postgres(self.conn)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None
        if getattr(self.layer, "pool", None) is not None:
            await self.layer.pool.close()  # type: ignore[attr-defined]
            self.layer.pool = None  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
def sqlalchemy_ddl(sqlite: bool, documented_only: bool) -> str:
    text = (SQL / "sqlalchemy.sql").read_text()
    if documented_only:
        text = text.split(ADDED_MARKER)[0]
    if sqlite:
        text = text.replace("TEXT[]", "TEXT")
    return text


def _thread_rows(peer: Peer, data: Dataset) -> list[tuple[Any, ...]]:
    return [(t.id, iso(t.created_at), t.name, peer.users[t.user], t.user, "{}")
            for t in data.threads]


def _step_rows(steps: list[StepRow]) -> list[tuple[Any, ...]]:
    return [(s.id, s.name, s.type, s.thread_id, s.parent_id, False, False, "{}", s.input or None,
             s.output, iso(s.created_at), iso(s.created_at), iso(s.end), "json")
            for s in steps]


def _feedback_rows(rows: list[FeedbackRow]) -> list[tuple[Any, ...]]:
    return [(f.id, f.step_id, f.thread_id, f.value, f.comment) for f in rows]


def _element_rows(rows: list[ElementRow]) -> list[tuple[Any, ...]]:
    return [(e.id, e.thread_id, "file", e.name, "inline", e.object_key, e.for_id, "text/plain",
             "{}") for e in rows]


_SQLA_COLUMNS = {
    "threads": ["id", "createdAt", "name", "userId", "userIdentifier", "metadata"],
    "steps": ["id", "name", "type", "threadId", "parentId", "streaming", "isError", "metadata",
              "input", "output", "createdAt", "start", "end", "showInput"],
    "feedbacks": ["id", "forId", "threadId", "value", "comment"],
    "elements": ["id", "threadId", "type", "name", "display", "objectKey", "forId", "mime",
                 "props"],
}


class SqlAlchemyPgPeer(Peer):
    name = "SQLAlchemyDataLayer (PostgreSQL)"
    database = "postgresql"
    has_floor = False  # same server as ChainlitDataLayer: one floor line for PostgreSQL

    def __init__(self, files: Path, admin_dsn: str, dbname: str, documented_only: bool) -> None:
        super().__init__(files)
        self.admin_dsn, self.dbname = admin_dsn, dbname
        self.dsn = admin_dsn.rsplit("/", 1)[0] + "/" + dbname
        self.documented_only = documented_only
        self.conn: asyncpg.Connection | None = None
        self.layer = self._make()

    def _make(self) -> BaseDataLayer:
        from chainlit.data.sql_alchemy import SQLAlchemyDataLayer

        return SQLAlchemyDataLayer(self.dsn.replace("postgresql://", "postgresql+asyncpg://"),
                                   storage_provider=self.storage)

    async def reset(self) -> None:
        await self.close()
        await recreate_pg_database(self.admin_dsn, self.dbname,
                                   sqlalchemy_ddl(False, self.documented_only))
        self.layer = self._make()
        self.conn = await asyncpg.connect(self.dsn)
        self.users = {}

    async def bulk(self, data: Dataset) -> None:
        assert self.conn is not None
        c = self.conn
        await c.copy_records_to_table("threads", columns=_SQLA_COLUMNS["threads"],
                                      records=_thread_rows(self, data))
        for rows in _chunks(data.steps):
            await c.copy_records_to_table("steps", columns=_SQLA_COLUMNS["steps"],
                                          records=_step_rows(rows))
        await c.copy_records_to_table("feedbacks", columns=_SQLA_COLUMNS["feedbacks"],
                                      records=_feedback_rows(data.feedbacks))
        await c.copy_records_to_table("elements", columns=_SQLA_COLUMNS["elements"],
                                      records=_element_rows(data.elements))
        await c.execute("ANALYZE")

    async def counts(self) -> dict[str, int]:
        assert self.conn is not None
        row = await self.conn.fetchrow(
            "SELECT (SELECT count(*) FROM threads) AS threads, (SELECT count(*) FROM steps) "
            "AS steps, (SELECT count(*) FROM elements) AS elements, "
            "(SELECT count(*) FROM feedbacks) AS feedbacks")
        return dict(row)

    async def settle(self) -> None:
        await settle_postgres(self.conn)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None
        await self.layer.engine.dispose()  # type: ignore[attr-defined]


class SqlAlchemySqlitePeer(Peer):
    name = "SQLAlchemyDataLayer (SQLite)"
    database = "sqlite"

    def __init__(self, files: Path, path: Path, documented_only: bool) -> None:
        super().__init__(files)
        self.path = path
        self.documented_only = documented_only
        self.layer = self._make()

    def _make(self) -> BaseDataLayer:
        from chainlit.data.sql_alchemy import SQLAlchemyDataLayer

        return SQLAlchemyDataLayer(f"sqlite+aiosqlite:///{self.path}",
                                   storage_provider=self.storage)

    async def reset(self) -> None:
        await self.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(self.path) as db:
            db.executescript(sqlalchemy_ddl(True, self.documented_only)
                             + "\nCREATE TABLE bench_floor (id int PRIMARY KEY, v int);")
        self.layer = self._make()
        self.users = {}

    async def bulk(self, data: Dataset) -> None:
        with sqlite3.connect(self.path) as db:
            for table, rows in (("threads", _thread_rows(self, data)),
                                ("steps", _step_rows(data.steps)),
                                ("feedbacks", _feedback_rows(data.feedbacks)),
                                ("elements", _element_rows(data.elements))):
                cols = ", ".join(f'"{c}"' for c in _SQLA_COLUMNS[table])
                marks = ", ".join("?" for _ in _SQLA_COLUMNS[table])
                db.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
            db.execute("ANALYZE")

    async def counts(self) -> dict[str, int]:
        with sqlite3.connect(self.path) as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("threads", "steps", "elements", "feedbacks")}

    async def floor_read(self) -> None:
        from sqlalchemy import text

        async with self.layer.engine.connect() as conn:  # type: ignore[attr-defined]
            await conn.execute(text("SELECT 1"))

    async def floor_write(self, value: int) -> None:
        from sqlalchemy import text

        async with self.layer.engine.begin() as conn:  # type: ignore[attr-defined]
            await conn.execute(text("INSERT INTO bench_floor VALUES (0, :v) ON CONFLICT (id) "
                                    "DO UPDATE SET v = excluded.v"), {"v": value})

    async def close(self) -> None:
        await self.layer.engine.dispose()  # type: ignore[attr-defined]
