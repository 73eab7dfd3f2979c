"""Users, feedback and elements on the real server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import neo4j
import pytest
from chainlit.element import File, Text
from chainlit.types import Feedback
from chainlit.user import User
from neo4j import AsyncDriver

from graph_layer import (
    InvalidInputError,
    Neo4jDataLayer,
    NotFoundError,
    OwnershipError,
    elements,
    queries,
)
from graph_layer.convert import utc_now
from graph_layer.errors import DatabaseError
from graph_layer.storage import LocalFileStorageClient
from tests.conftest import hold_queries, query
from tests.factories import make_user, message, new_id, step

pytestmark = pytest.mark.asyncio


async def test_create_user_is_an_upsert_keeping_id_and_created_at(layer: Neo4jDataLayer) -> None:
    assert await layer.get_user("carol") is None
    before = utc_now()
    first = await layer.create_user(User(identifier="carol", metadata={"plan": "free"}))
    again = await layer.create_user(User(identifier="carol", metadata={"plan": "pro"}))
    assert first is not None and again is not None
    assert uuid.UUID(first.id).version == 4
    assert (again.id, again.createdAt) == (first.id, first.createdAt)
    # iso_utc's fixed form (the query returns toString(): Java omits zero seconds and fractions)
    assert len(first.createdAt) == 27 and first.createdAt.endswith("Z")
    assert before <= datetime.fromisoformat(first.createdAt) <= utc_now()
    got = await layer.get_user("carol")
    assert got is not None and got.metadata == {"plan": "pro"} and got.id == first.id
    assert got.createdAt == first.createdAt
    with pytest.raises(InvalidInputError):
        await layer.create_user(User(identifier="dave", metadata={"bad": {1, 2}}))
    assert await layer.get_user("dave") is None


async def test_feedback_one_per_step_and_id_round_trips(layer: Neo4jDataLayer,
                                                        driver: AsyncDriver) -> None:
    thread_id = new_id()
    run = step(thread_id, 0, kind="run", name="on_message")
    await layer.create_step(run)
    fid = await layer.upsert_feedback(Feedback(forId=run["id"], value=0, comment="wrong"))
    same = await layer.upsert_feedback(Feedback(forId=run["id"], value=1))  # Slack: no id
    changed = await layer.upsert_feedback(Feedback(forId=run["id"], value=1, id=fid,
                                                   comment="better"))
    assert fid == same == changed
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    fb = thread["steps"][0]["feedback"]  # type: ignore[typeddict-item]
    assert (fb["id"], fb["value"], fb["comment"], fb["forId"]) == (fid, 1, "better", run["id"])
    assert await layer.delete_feedback(fid) is True
    assert await layer.delete_feedback(fid) is False
    thread = await layer.get_thread(thread_id)
    assert thread is not None and "feedback" not in thread["steps"][0]
    with pytest.raises(NotFoundError):
        await layer.upsert_feedback(Feedback(forId="no-such-step", value=1))
    rated = await query(driver, "MATCH (f:Feedback)-[:RATED]->(s) RETURN count(f) AS n")
    assert rated == [{"n": 0}]


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileStorageClient:
    return LocalFileStorageClient(tmp_path / "files", "http://127.0.0.1:1/files")


def files_of(storage: LocalFileStorageClient, thread: str) -> list[str]:
    """Every file stored under a thread's folder, as keys (and their .meta.json)."""
    folder = storage.root / "threads" / thread
    return sorted(str(p.relative_to(storage.root)) for p in folder.rglob("*") if p.is_file())


def stored(*keys: str) -> list[str]:
    """What ``files_of`` lists for these keys."""
    return sorted(name for k in keys for name in (k, f"{k}.meta.json"))


async def test_element_bytes_are_copied_and_urls_resigned(
    layer: Neo4jDataLayer, storage: LocalFileStorageClient, tmp_path: Path
) -> None:
    layer.storage_client = storage
    thread_id = new_id()
    msg = message(thread_id, 0)
    await layer.create_step(msg)
    upload = tmp_path / "upload.csv"
    upload.write_text("a,b\n1,2\n")
    file_el = File(name="data.csv", path=str(upload), display="inline", mime="text/csv",
                   for_id=msg["id"], thread_id=thread_id)
    text_el = Text(name="note", content="hello text", display="side", for_id=msg["id"],
                   thread_id=thread_id, language="markdown")
    await layer.create_element(file_el)
    await layer.create_element(text_el)
    upload.unlink()  # Chainlit deletes session files; the copy must survive
    got = await layer.get_element(thread_id, file_el.id)
    assert got is not None
    assert got["objectKey"] is not None and got["url"] and "signature=" in got["url"]
    assert storage.path_for(got["objectKey"]).read_text() == "a,b\n1,2\n"
    assert (got["name"], got["mime"], got["forId"], got["display"]) == (
        "data.csv", "text/csv", msg["id"], "inline")
    thread = await layer.get_thread(thread_id)
    assert thread is not None and thread["elements"] is not None
    by_name = {e["name"]: e for e in thread["elements"]}
    assert set(by_name) == {"data.csv", "note"}
    assert by_name["note"]["language"] == "markdown"
    key = by_name["note"]["objectKey"]
    assert key is not None and storage.path_for(key).read_text() == "hello text"
    # only inside its own thread
    assert await layer.get_element(new_id(), file_el.id) is None
    await layer.delete_element(file_el.id, thread_id)
    assert await layer.get_element(thread_id, file_el.id) is None
    assert not storage.path_for(got["objectKey"]).exists()
    await layer.delete_thread(thread_id)
    assert not storage.path_for(key).exists()


async def test_new_bytes_replace_an_elements_file_only_once_the_write_commits(
    layer: Neo4jDataLayer, storage: LocalFileStorageClient, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    layer.storage_client = storage
    thread_id = new_id()
    msg = message(thread_id, 0)
    await layer.create_step(msg)
    element = {"id": new_id(), "threadId": thread_id, "forId": msg["id"], "type": "text",
               "name": "notes", "display": "inline", "content": "one"}

    async def key() -> str:
        got = await layer.get_element(thread_id, element["id"])
        assert got is not None and got["objectKey"]
        return str(got["objectKey"])

    await layer.create_element(element)
    first = await key()
    await layer.create_element(dict(element, content="two"))
    second = await key()
    assert second != first and storage.path_for(second).read_text() == "two"
    assert files_of(storage, thread_id) == stored(second)  # the replaced one is gone
    await layer.create_element(dict(element, content="two"))  # the same bytes: the same write
    assert await key() == second and files_of(storage, thread_id) == stored(second)
    # The server refuses the write after the upload (run in read access mode, as for a user
    # who may not write): the element keeps the file it had and the new upload is removed;
    # the same bytes as before are the element's own file, which stays.
    refused, mode = queries.get("element/upsert_element"), layer.executor.access_mode
    monkeypatch.setattr(layer.executor, "access_mode",
                        lambda q: neo4j.READ_ACCESS if q is refused else mode(q))
    for content in ("three", "two"):
        with pytest.raises(DatabaseError):
            await layer.create_element(dict(element, content=content))
        assert await key() == second and storage.path_for(second).read_text() == "two"
        assert files_of(storage, thread_id) == stored(second)
    monkeypatch.undo()
    # When the server cannot be reached at all, whether the element points at the upload
    # cannot be read: the upload stays, and its key is logged.
    monkeypatch.setattr(layer.executor, "database", "no-such-database")
    with pytest.raises(DatabaseError):
        await layer.create_element(dict(element, content="four"))
    monkeypatch.undo()
    unused = elements.object_key(thread_id, element["id"], b"four")
    assert unused in caplog.text and files_of(storage, thread_id) == stored(second, unused)
    await elements.delete_files(storage, [unused])
    # Another thread's element id, or a deleted thread: nothing takes the upload, it goes.
    elsewhere = new_id()
    with pytest.raises(OwnershipError):
        await layer.create_element(dict(element, threadId=elsewhere, content="five"))
    assert files_of(storage, elsewhere) == []
    assert await key() == second and storage.path_for(second).read_text() == "two"
    await layer.delete_thread(thread_id)
    await layer.create_element(dict(element, id=new_id(), content="late"))
    assert files_of(storage, thread_id) == []


async def test_a_cancelled_element_write_goes_on_and_the_next_one_waits_for_it(
    layer: Neo4jDataLayer, storage: LocalFileStorageClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chainlit fires writes and forgets them; a caller cancelled between its upload and its
    write must not leave the upload behind, nor let the element's next write go first."""
    layer.storage_client = storage
    thread_id = new_id()
    element = {"id": new_id(), "threadId": thread_id, "type": "text", "name": "notes",
               "display": "inline", "content": "one"}
    upsert = "element/upsert_element"
    arrived, gates = hold_queries(layer, monkeypatch, upsert)  # uploaded, the write held
    first = asyncio.create_task(layer.create_element(element))
    await asyncio.wait_for(arrived[upsert].wait(), 10)
    first.cancel()
    second = asyncio.create_task(layer.create_element(dict(element, content="two")))
    await asyncio.sleep(0.05)
    gates[upsert].set()
    await second
    with pytest.raises(asyncio.CancelledError):
        await first
    got = await layer.get_element(thread_id, element["id"])
    assert got is not None and got["objectKey"]
    assert storage.path_for(got["objectKey"]).read_text() == "two"
    assert files_of(storage, thread_id) == stored(got["objectKey"])
    with pytest.raises(InvalidInputError):  # a lone surrogate cannot be stored as UTF-8
        await layer.create_element(dict(element, content="bad \ud800"))


async def test_a_cancelled_callers_failed_element_write_is_logged(
    layer: Neo4jDataLayer, storage: LocalFileStorageClient, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nobody awaits a cancelled caller's write any more: when it fails, the log says so."""
    layer.storage_client = storage
    thread_id, elsewhere = new_id(), new_id()
    element = {"id": new_id(), "threadId": thread_id, "type": "text", "name": "notes",
               "display": "inline", "content": "one"}
    await layer.create_element(element)
    upsert = "element/upsert_element"
    arrived, gates = hold_queries(layer, monkeypatch, upsert)
    moved = asyncio.create_task(layer.create_element(dict(element, threadId=elsewhere)))
    await asyncio.wait_for(arrived[upsert].wait(), 10)
    moved.cancel()
    gates[upsert].set()
    with pytest.raises(asyncio.CancelledError):
        await moved
    await layer.create_element(element)  # in turn: runs once the cancelled write has ended
    assert f"the write of element {element['id']} failed after its caller was cancelled" \
        in caplog.text
    assert "OwnershipError" in caplog.text and files_of(storage, elsewhere) == []


async def test_element_dict_accepted_and_never_moves_thread(layer: Neo4jDataLayer) -> None:
    thread_id = new_id()
    element = {"id": new_id(), "threadId": thread_id, "forId": new_id(), "type": "image",
               "name": "pic", "display": "inline", "url": "https://example.invalid/p.png",
               "props": {"w": 3}, "size": "large"}
    await layer.create_element(element)
    got = await layer.get_element(thread_id, element["id"])
    assert got is not None
    assert (got["url"], got["props"], got["size"]) == (element["url"], {"w": 3}, "large")
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert [s["id"] for s in thread["steps"]] == [element["forId"]]  # placeholder run step
    with pytest.raises(OwnershipError):
        await layer.create_element(dict(element, threadId=new_id()))
    with pytest.raises(InvalidInputError):
        await layer.create_element(dict(element, props={"x": float("nan")}))


async def test_delete_element_is_scoped_to_the_thread(layer: Neo4jDataLayer) -> None:
    thread_id = new_id()
    element = {"id": new_id(), "threadId": thread_id, "forId": new_id(), "type": "text",
               "name": "t", "display": "inline"}
    await layer.create_element(element)
    await layer.delete_element(element["id"], thread_id=new_id())
    assert await layer.get_element(thread_id, element["id"]) is not None
    await layer.delete_element(element["id"], thread_id=thread_id)
    assert await layer.get_element(thread_id, element["id"]) is None


async def test_local_storage_refuses_escaping_keys_and_bad_signatures(
    storage: LocalFileStorageClient,
) -> None:
    for key in ("../x", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(InvalidInputError):
            await storage.upload_file(key, b"x")
    await storage.upload_file("threads/t/files/e", b"x")
    url = httpx.URL(await storage.get_read_url("threads/t/files/e"))
    expires, signature = url.params["expires"], url.params["signature"]
    assert storage.verify("threads/t/files/e", expires, signature)
    assert not storage.verify("threads/t/files/other", expires, signature)
    assert not storage.verify("threads/t/files/e", "1", signature)


async def test_debug_url_and_user_session(layer: Neo4jDataLayer) -> None:
    layer.settings = layer.settings.model_copy(update={"browser_url": None})
    assert await layer.build_debug_url() == ""
    layer.settings = layer.settings.model_copy(
        update={"browser_url": "http://127.0.0.1:7474/browser/"})
    url = await layer.build_debug_url()
    assert url.startswith("http://127.0.0.1:7474/browser/?cmd=edit&arg=")
    assert url.count("[thread_id]") == 1
    assert await layer.delete_user_session("anything") is True
    assert await make_user(layer)
