"""Other users' data and hostile strings: exact authors, no cross-user listing or search, no
cross-thread element, no thread moved, metacharacters change nothing, every query text sent to
the driver is a file's text, and delete_user removes one user's data and nothing else."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User
from neo4j import AsyncDriver, AsyncResult, AsyncSession, AsyncTransaction
from typer.testing import CliRunner

import graph_layer.layer as layer_module
from graph_layer import Neo4jDataLayer, queries
from graph_layer.cli import app
from graph_layer.errors import OwnershipError
from graph_layer.plan_ahead import samples
from graph_layer.schema import schema_files
from graph_layer.schema import statements as schema_statements
from graph_layer.storage import LocalFileStorageClient
from tests.conftest import Server, query
from tests.factories import message, new_id
from tests.reliability.graphcheck import dump

META = ["'", '"', "\\", "/", "*", "?", "~", "[", "]", "{", "}", "`", "AND", "OR", "NOT", "//",
        "$", ":", "(", ")", "-", "+", "!", "^", "&&", "||", "%", "_", "\x00", ";"]
HOSTILE = [
    *META, "' OR 1=1 //", '" OR "" = "', "\\' MATCH (n) DETACH DELETE n //", "`x` ", "$userId",
    "alpha* OR bravo~", "[* TO *]", "{!lucene}", "*:*", "name:alpha", "alpha AND NOT bravo",
    "}) MATCH (n) DETACH DELETE n //", "/.*/", "alpha\\", "\"alpha", "(alpha", "alpha)",
    *(" ".join(p) for p in itertools.permutations(["alpha", "OR", "*", "\\", "'"], 3)),
]


class RecordingDriver:
    """Passes every call to the real driver and keeps the query text each session ran."""

    def __init__(self, driver: AsyncDriver) -> None:
        self._driver = driver
        self.texts: list[str] = []

    def session(self, **config: Any) -> RecordingSession:
        return RecordingSession(self._driver.session(**config), self.texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)


class RecordingSession:
    """A real session whose ``run`` keeps the query text in the driver's list."""

    def __init__(self, session: AsyncSession, texts: list[str]) -> None:
        self._session = session
        self._texts = texts

    async def __aenter__(self) -> RecordingSession:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._session.close()

    async def run(self, query: Any, *args: Any, **kwargs: Any) -> AsyncResult:
        self._texts.append(getattr(query, "text", query))
        return await self._session.run(query, *args, **kwargs)

    async def begin_transaction(self, *args: Any, **kwargs: Any) -> RecordingTransaction:
        tx = await self._session.begin_transaction(*args, **kwargs)
        return RecordingTransaction(tx, self._texts)


class RecordingTransaction:
    """A real transaction whose ``run`` keeps the query text too (the planning ahead's)."""

    def __init__(self, tx: AsyncTransaction, texts: list[str]) -> None:
        self._tx = tx
        self._texts = texts

    async def run(self, query: Any, *args: Any, **kwargs: Any) -> AsyncResult:
        self._texts.append(getattr(query, "text", query))
        return await self._tx.run(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


async def two_users(layer: Neo4jDataLayer) -> dict[str, Any]:
    """Alice and Bob with threads sharing words, feedback of both values, elements."""
    ids = {}
    for who in ("alice", "bob"):
        user = await layer.create_user(User(identifier=who))
        assert user is not None
        ids[who] = user.id
    threads: dict[str, list[str]] = {"alice": [], "bob": []}
    elements: dict[str, list[tuple[str, str]]] = {"alice": [], "bob": []}
    for who, n in itertools.product(("alice", "bob"), range(3)):
        thread_id = new_id()
        await layer.update_thread(thread_id, name=f"alpha bravo {who} {n}", user_id=ids[who],
                                  metadata={"is_shared": n == 0})
        run = message(thread_id, n, output=f"alpha charlie {who} 'quoted' \\ * ?")
        await layer.create_step(run)
        await layer.upsert_feedback(Feedback(forId=run["id"], value=n % 2, threadId=thread_id))
        element_id = new_id()
        await layer.create_element({"id": element_id, "threadId": thread_id,
                                    "forId": run["id"], "name": "f.txt", "type": "file",
                                    "display": "inline", "mime": "text/plain",
                                    "content": f"secret of {who}".encode()})
        threads[who].append(thread_id)
        elements[who].append((thread_id, element_id))
    await layer.update_thread(new_id(), name="alpha userless")  # no owner
    return {"ids": ids, "threads": threads, "elements": elements}


async def test_other_users_data_never_leaks(slayer: Neo4jDataLayer, driver: AsyncDriver) -> None:
    world = await two_users(slayer)
    ids, threads = world["ids"], world["threads"]
    for who in ("alice", "bob"):
        for thread_id in threads[who]:
            assert await slayer.get_thread_author(thread_id) == who
    assert await slayer.get_thread_author(new_id()) == ""
    listings = 0
    for who, search, fb, first in itertools.product(
            ("alice", "bob"), (None, "", "alpha", "bravo alice", "bob", "alpha bob", "*"),
            (None, 0, 1), (1, 2, 50)):
        cursor = None
        while True:
            page = await slayer.list_threads(Pagination(first=first, cursor=cursor),
                                             ThreadFilter(userId=ids[who], search=search,
                                                          feedback=fb))
            listings += 1
            assert {t["id"] for t in page.data} <= set(threads[who]), (who, search, fb)
            assert all(t["userIdentifier"] == who for t in page.data)
            if not page.pageInfo.hasNextPage:
                break
            cursor = page.pageInfo.endCursor
    for (a_thread, _), (_, b_element) in itertools.product(world["elements"]["alice"],
                                                            world["elements"]["bob"]):
        assert await slayer.get_element(a_thread, b_element) is None
    before = await dump(driver)
    for thread_id in threads["alice"]:
        with pytest.raises(OwnershipError):
            await slayer.update_thread(thread_id, name="taken", user_id=ids["bob"])
    assert await dump(driver) == before
    print(f"\n[reliability/isolation] {listings} list_threads pages over every filter "
          f"combination, {len(threads['alice']) * 2} author checks, 9 cross-thread element "
          f"reads, 3 ownership moves refused: 0 leaks")


async def test_metacharacters_change_nothing_and_queries_are_the_files(
    clean_db: Server, driver: AsyncDriver, storage: LocalFileStorageClient,
    chainlit_context: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(layer_module, "_PLANNED", set())  # keyed by the driver's id: reused
    recorder = RecordingDriver(driver)
    layer = Neo4jDataLayer(driver=recorder, database=clean_db.database,  # type: ignore[arg-type]
                           storage_client=storage)
    await layer.setup()  # the schema's statements, then the queries planned in transactions
    statements = {s for q in schema_files() for s in schema_statements(q)}
    files = {q.text for q in queries.load_all().values()}
    planned = {queries.get(name).text for name, _ in samples()}
    assert planned <= set(recorder.texts) <= files | statements
    world = await two_users(layer)
    alice = world["ids"]["alice"]
    recorder.texts.clear()
    before = await dump(driver)
    results = 0
    for text in HOSTILE:
        page = await layer.list_threads(Pagination(first=20),
                                        ThreadFilter(userId=alice, search=text))
        assert {t["id"] for t in page.data} <= set(world["threads"]["alice"])
        results += len(page.data)
        await layer.list_threads(Pagination(first=5), ThreadFilter(userId=text, search=text))
        assert await layer.get_thread(text) is None
        assert await layer.get_thread_author(text) == ""
        assert await layer.get_element(text, text) is None
        assert await layer.get_user(text) is None if text else True
        assert await layer.get_favorite_steps(text) == []
        assert await layer.delete_feedback(text) is False
        if text:
            await layer.delete_step(text)
            await layer.delete_element(text, text)
            assert await layer.delete_user(text) is None
    assert await dump(driver) == before
    assert recorder.texts and set(recorder.texts) <= files
    print(f"\n[reliability/injection] {len(HOSTILE)} hostile strings x 11 calls "
          f"(search, ids, user ids): 0 errors, 0 foreign results ({results} own hits), "
          f"0 db changes; {len(recorder.texts)} queries sent, all verbatim cypher/ files")
    await layer.close()


async def test_delete_user_removes_everything_of_theirs_only(
    slayer: Neo4jDataLayer, driver: AsyncDriver, storage: LocalFileStorageClient,
) -> None:
    world = await two_users(slayer)
    bob_threads = world["threads"]["bob"]

    def bobs(graph: list[str]) -> list[str]:
        return [line for line in graph if "bob" in line or any(t in line for t in bob_threads)]

    async def files_of(user: str) -> list[Path]:  # where the user's elements keep their bytes
        rows = await query(driver, "MATCH (e:Element) WHERE e.id IN $ids RETURN e.objectKey AS k",
                           ids=[e for _, e in world["elements"][user]])
        return [storage.path_for(row["k"]) for row in rows]

    before = await dump(driver)
    alice_files, bob_files = await files_of("alice"), await files_of("bob")
    assert len(alice_files) == 3 and all(p.is_file() for p in alice_files)
    counts = await slayer.delete_user("alice")
    assert counts == {"threads": 3, "steps": 3, "elements": 3, "feedback": 3, "files": 3}
    after = await dump(driver)
    assert bobs(after) == bobs(before)
    assert not any("alice" in line for line in after)
    assert not any(p.exists() for p in alice_files)
    assert [await slayer.get_thread(t) for t in world["threads"]["alice"]] == [None] * 3
    assert await slayer.get_user("alice") is None
    assert await slayer.delete_user("alice") is None
    late = message(world["threads"]["alice"][0], 9.0, output="late write")
    await slayer.create_step(late)  # a session still open: the tombstone keeps it out
    assert await slayer.get_thread(world["threads"]["alice"][0]) is None
    assert bob_files and all(p.is_file() for p in bob_files)


def test_user_delete_command(clean_db: Server, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    monkeypatch.setenv("NEO4J_URI", clean_db.uri)
    monkeypatch.setenv("NEO4J_USERNAME", clean_db.auth[0])
    monkeypatch.setenv("NEO4J_PASSWORD", clean_db.auth[1])
    monkeypatch.setenv("NEO4J_DATABASE", clean_db.database)

    async def make() -> None:
        layer = Neo4jDataLayer.from_env()
        try:
            await layer.create_user(User(identifier="carol"))
        finally:
            await layer.close()

    asyncio.run(make())
    runner = CliRunner()
    done = runner.invoke(app, ["user", "delete", "carol", "--yes", "--files", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert '"deleted": "carol"' in done.output and '"threads": 0' in done.output
    again = runner.invoke(app, ["user", "delete", "carol", "--yes"])
    assert again.exit_code == 2 and "no user" in again.output
