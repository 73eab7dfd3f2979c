"""Step writes: idempotent, order-independent, full-snapshot upserts on the real server."""

from __future__ import annotations

import asyncio
import random

import pytest
from chainlit.element import ElementDict
from chainlit.types import Feedback
from neo4j import AsyncDriver

from graph_layer import InvalidInputError, Neo4jDataLayer, OwnershipError, queries
from tests.conftest import query
from tests.factories import make_user, message, new_id, step, ts

pytestmark = pytest.mark.asyncio


async def test_every_step_field_round_trips(layer: Neo4jDataLayer) -> None:
    thread_id = new_id()
    user_msg = message(thread_id, 0, output="What is the weather?")
    full = step(
        thread_id, 1, kind="llm", name="gpt", parent_id=user_msg["id"],
        input='{"q": 1}', output="sunny", isError=True, language="json", defaultOpen=True,
        autoCollapse=True, showInput="json", tags=["a", "b"], command="search",
        modes={"model": "fast"}, waitForAnswer=True, icon="bolt",
        generation={"model": "gpt-x", "promptTokens": 12, "completionTokens": 3,
                    "settings": {"temperature": 0.2}},
        metadata={"favorite": False, "nested": {"list": [1, 2.5, None, "x"]}},
    )
    await layer.create_step(user_msg)
    await layer.create_step(full)
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    got = next(s for s in thread["steps"] if s["id"] == full["id"])
    for key, value in full.items():
        if key in ("createdAt", "start", "end"):
            continue
        assert got[key] == value, key  # type: ignore[literal-required]
    assert got["createdAt"] == ts(1)
    assert got["end"] == ts(1.5)
    assert got["streaming"] is False


async def test_timestamps_without_fraction_are_stored_as_instants(layer: Neo4jDataLayer) -> None:
    thread_id = new_id()
    a = message(thread_id, 0, createdAt="2026-11-01T12:00:01Z", output="second")
    b = message(thread_id, 0, createdAt="2026-11-01T12:00:00.900000Z", output="first")
    await layer.create_step(a)
    await layer.create_step(b)
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert [s["output"] for s in thread["steps"]] == ["first", "second"]
    assert thread["steps"][1]["createdAt"] == "2026-11-01T12:00:01.000000Z"


async def test_update_before_create_and_empty_values_never_overwrite(
    layer: Neo4jDataLayer,
) -> None:
    thread_id = new_id()
    s = step(thread_id, 5, input="question", output="answer", start=ts(5), end=ts(6))
    later_update = dict(s, output="", input="", start=ts(7), end=None, isError=True)
    await layer.update_step(later_update)  # update arrives first
    await layer.create_step(s)
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    got = thread["steps"][0]
    assert got["input"] == "question"
    assert got["output"] == "answer"
    assert got["start"] == ts(5)  # earliest start kept
    assert got["end"] == ts(6)
    assert got["isError"] is True  # a failure reported by any snapshot stays


async def test_duration_follows_start_and_end(layer: Neo4jDataLayer, driver: AsyncDriver) -> None:
    """durationMs (read by the latency analytics) is end - start of the stored step, whatever
    order the snapshots land in; without an end there is none."""
    thread_id = new_id()
    s = step(thread_id, 10, end=None)

    async def duration() -> object:
        rows = await query(driver, "MATCH (s:Step {id: $id}) RETURN s.durationMs AS ms", id=s["id"])
        return rows[0]["ms"]

    await layer.create_step(s)
    assert await duration() is None
    await layer.update_step(dict(s, end=ts(12.25)))
    assert await duration() == 2250
    await layer.update_step(dict(s, start=ts(9), end=ts(12.25)))  # an earlier start is kept
    assert await duration() == 3250
    await layer.update_step(dict(s, start=ts(11), end=ts(13)))  # a later one is not
    assert await duration() == 4000


async def test_placeholder_parent_and_run_never_downgrades(layer: Neo4jDataLayer) -> None:
    thread_id = new_id()
    parent = step(thread_id, 0, kind="tool", name="retrieve")
    child = step(thread_id, 1, kind="llm", name="llm", parent_id=parent["id"])
    await layer.create_step(child)  # parent not written yet: a placeholder run
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert [s["id"] for s in thread["steps"]] == [parent["id"], child["id"]]
    assert thread["steps"][0]["type"] == "run"
    await layer.create_step(parent)
    await layer.update_step(dict(parent, type="run"))  # a late placeholder-like write
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    got = thread["steps"][0]
    assert (got["type"], got["name"]) == ("tool", "retrieve")


async def test_parents_come_before_children_even_with_later_timestamps(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    thread_id = new_id()
    parent = step(thread_id, 10, kind="run", name="on_message")
    child = step(thread_id, 2, kind="tool", parent_id=parent["id"])
    grandchild = step(thread_id, 1, kind="llm", parent_id=child["id"])
    for s in (grandchild, child, parent):
        await layer.create_step(s)
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert [s["id"] for s in thread["steps"]] == [parent["id"], child["id"], grandchild["id"]]
    rels = await query(driver, "MATCH (:Step {id:$p})-[:PARENT_OF]->(c) RETURN c.id AS c",
                       p=parent["id"])
    assert rels == [{"c": child["id"]}]


async def test_a_long_thread_comes_back_whole_from_rows_of_steps(
    layer: Neo4jDataLayer, driver: AsyncDriver,
) -> None:
    """``thread/get_thread`` sends a thread's steps in rows of up to 100 (the thread, owner
    and elements in the first); ``get_thread`` puts every step back once, in order, with its
    feedback, and a thread without steps is one row."""
    user_id = await make_user(layer)
    thread_id = new_id()
    await layer.update_thread(thread_id, name="long", user_id=user_id)
    questions = [message(thread_id, 2 * i, output=f"question {i}") for i in range(115)]
    runs = [step(thread_id, 2 * i + 1, kind="run", name="on_message", parent_id=m["id"])
            for i, m in enumerate(questions)]
    await asyncio.gather(*(layer.create_step(s) for s in questions + runs))
    rated = runs[::40]
    for i, run in enumerate(rated):
        await layer.upsert_feedback(Feedback(forId=run["id"], value=i % 2, comment=f"c{i}"))
    for run in runs[::50]:
        await layer.create_element(ElementDict(  # type: ignore[typeddict-item]
            id=new_id(), threadId=thread_id, forId=run["id"], type="text", name="note",
            display="inline", mime="text/plain", url="https://example.com/n.txt"))

    records = await query(driver, queries.get("thread/get_thread").text, threadId=thread_id)
    assert sorted(len(r["steps"]) for r in records) == [30, 100, 100]
    heads = [r for r in records if r["thread"] is not None]
    assert len(heads) == 1 and len(heads[0]["elements"]) == 3
    assert all(r["elements"] is None and r["userId"] is None for r in records
               if r["thread"] is None)

    thread = await layer.get_thread(thread_id)
    assert thread is not None and thread["userId"] == user_id
    expected = [s["id"] for pair in zip(questions, runs, strict=True) for s in pair]
    assert [s["id"] for s in thread["steps"]] == expected  # each once, createdAt order
    rating = {s["id"]: s.get("feedback") for s in thread["steps"]}
    for i, run in enumerate(rated):
        assert rating[run["id"]] is not None and rating[run["id"]]["comment"] == f"c{i}"
    assert sum(1 for f in rating.values() if f) == len(rated)
    assert len(thread["elements"]) == 3

    empty = new_id()
    await layer.update_thread(empty, name="empty", user_id=user_id)
    records = await query(driver, queries.get("thread/get_thread").text, threadId=empty)
    assert [(r["steps"], r["elements"]) for r in records] == [([], [])]
    got = await layer.get_thread(empty)
    assert got is not None and got["steps"] == [] and got["elements"] == []


async def test_update_never_removes_feedback(layer: Neo4jDataLayer) -> None:
    thread_id = new_id()
    run = step(thread_id, 0, kind="run", name="on_message")
    await layer.create_step(run)
    fid = await layer.upsert_feedback(Feedback(forId=run["id"], value=1, threadId=thread_id))
    await layer.update_step(dict(run, output="done"))
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert thread["steps"][0]["feedback"]["id"] == fid  # type: ignore[typeddict-item]


async def test_delete_step_cascades_to_descendants_elements_and_feedback(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    thread_id = new_id()
    keep = message(thread_id, 0)
    root = step(thread_id, 1, kind="run", name="on_message", parent_id=keep["id"])
    child = step(thread_id, 2, parent_id=root["id"])
    grandchild = message(thread_id, 3, kind="assistant_message", parent_id=child["id"])
    for s in (keep, root, child, grandchild):
        await layer.create_step(s)
    await layer.upsert_feedback(Feedback(forId=root["id"], value=0))
    await layer.create_element({"id": new_id(), "threadId": thread_id, "forId": grandchild["id"],
                                "type": "text", "name": "note", "display": "inline"})
    await layer.delete_step(root["id"])
    left = await query(driver, "MATCH (n) WHERE n:Step OR n:Element OR n:Feedback "
                               "RETURN collect(n.id) AS ids")
    assert left[0]["ids"] == [keep["id"]]
    threads = await query(driver, "MATCH (t:Thread {id:$t}) RETURN t.lastActivity = "
                                  "t.lastMessageAt AS same", t=thread_id)
    assert threads == [{"same": True}]


async def test_fifty_concurrent_writes_into_one_new_thread(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    thread_id = new_id()
    user_id = await make_user(layer)
    steps = [step(thread_id, i, name=f"s{i}") for i in range(25)]
    calls = [layer.create_step(s) for s in steps]
    calls += [layer.update_step(dict(s, output="x")) for s in steps]
    random.Random(7).shuffle(calls)
    calls.insert(10, layer.update_thread(thread_id, name="busy", user_id=user_id))
    await asyncio.gather(*calls)
    counts = await query(
        driver,
        "MATCH (t:Thread {id:$t}) WITH count(t) AS threads "
        "MATCH (s:Step) WITH threads, count(s) AS steps, count(DISTINCT s.id) AS ids "
        "MATCH (:Thread {id:$t})-[r:CONTAINS]->() RETURN threads, steps, ids, count(r) AS rels",
        t=thread_id,
    )
    assert counts == [{"threads": 1, "steps": 25, "ids": 25, "rels": 25}]


async def test_bad_step_input_is_refused_before_anything_is_written(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    thread_id = new_id()
    bad = [
        step(thread_id, 0, metadata={"x": float("nan")}),
        step(thread_id, 0, generation={"tokens": float("inf")}),
        step(thread_id, 0, metadata={"when": object()}),
        step(thread_id, 0, metadata={1: "int key"}),
        step(thread_id, 0, createdAt="yesterday"),
        step(thread_id, 0, type="banana"),
        dict(step(thread_id, 0), id=""),
        dict(step(thread_id, 0), threadId=None),
    ]
    for s in bad:
        with pytest.raises(InvalidInputError):
            await layer.create_step(s)
    assert await query(driver, "MATCH (n) WHERE NOT n:GraphLayerTestRun "
                               "AND NOT n:GraphLayerSchema RETURN n") == []


async def test_a_step_never_moves_to_another_thread(layer: Neo4jDataLayer) -> None:
    s = step(new_id(), 0)
    await layer.create_step(s)
    with pytest.raises(OwnershipError):
        await layer.create_step(dict(s, threadId=new_id()))


async def test_favorites(layer: Neo4jDataLayer) -> None:
    user_id = await make_user(layer)
    thread_id = new_id()
    await layer.update_thread(thread_id, user_id=user_id)
    first, second = message(thread_id, 0, output="one"), message(thread_id, 1, output="two")
    await layer.create_step(first)
    await layer.create_step(second)
    assert await layer.get_favorite_steps(user_id) == []
    await layer.set_step_favorite(first, True)  # type: ignore[arg-type]
    result = await layer.set_step_favorite(second, True)  # type: ignore[arg-type]
    assert result["metadata"]["favorite"] is True
    favorites = await layer.get_favorite_steps(user_id)
    assert [f["output"] for f in favorites] == ["two", "one"]
    await layer.set_step_favorite(favorites[0], False)
    assert [f["output"] for f in await layer.get_favorite_steps(user_id)] == ["one"]
    other = await make_user(layer, "bob")
    assert await layer.get_favorite_steps(other) == []


async def test_favorite_survives_the_message_snapshot_landing_late(
    layer: Neo4jDataLayer,
) -> None:
    """The UI's user message carries ``metadata: {location}``; Chainlit persists it in a
    fire-and-forget ``create_step`` while a favorite is a direct write, so a slow create can
    land after the favorite. Only a snapshot that says ``favorite`` may change it."""
    user_id = await make_user(layer)
    thread_id = new_id()
    await layer.update_thread(thread_id, user_id=user_id)
    sent = message(thread_id, 0, output="keep me", metadata={"location": "http://x/"})
    await layer.set_step_favorite(dict(sent), True)  # type: ignore[arg-type]
    await layer.create_step(sent)
    favorites = await layer.get_favorite_steps(user_id)
    assert [(f["output"], f["metadata"]) for f in favorites] == [
        ("keep me", {"location": "http://x/", "favorite": True})]
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert thread["steps"][0]["metadata"] == {"location": "http://x/", "favorite": True}
    await layer.set_step_favorite(favorites[0], False)
    await layer.create_step(sent)
    assert await layer.get_favorite_steps(user_id) == []
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert thread["steps"][0]["metadata"] == {"location": "http://x/"}


async def test_error_mark_survives_the_entry_snapshot_landing_late(
    layer: Neo4jDataLayer,
) -> None:
    """``cl.Step`` writes ``isError: false`` on entry and ``true`` on a failing exit, as two
    fire-and-forget tasks; the demo's UI lost the error icon when the entry landed last."""
    thread_id = new_id()
    entry = step(thread_id, 1, kind="tool", name="search_index")
    exit_ = dict(entry, output="index unavailable", isError=True)
    ok = step(thread_id, 2, kind="tool", name="search_index")
    await layer.update_step(exit_)
    await layer.create_step(entry)
    await layer.create_step(ok)
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert [(s["output"], s["isError"]) for s in thread["steps"]] == [
        ("index unavailable", True), ("", False)]


async def test_every_timestamp_is_stored_as_a_datetime(layer: Neo4jDataLayer,
                                                       driver: AsyncDriver) -> None:
    """The write queries get timestamps as ISO text (cheaper to send than datetimes) and must
    store DateTime values: what sorting, durations, cursors and the analytics compare. Each
    write path that stores a timestamp is taken once (the bulk writers: tests/seed)."""
    from chainlit.element import File

    user_id = await make_user(layer)
    thread_id = new_id()
    await layer.update_thread(thread_id, name="times", user_id=user_id)
    user_msg = message(thread_id, 0)
    tool = step(thread_id, 1, parent_id=user_msg["id"])
    await layer.create_step(user_msg)
    await layer.create_step(tool)
    await layer.update_step({**tool, "end": ts(2.5), "output": "done"})  # type: ignore[typeddict-item]
    await layer.upsert_feedback(Feedback(forId=tool["id"], threadId=thread_id, value=1))
    named = new_id()  # created by update_thread alone: createdAt and lastActivity are its $now
    await layer.update_thread(named, name="no messages", user_id=user_id)
    by_step = new_id()  # created by upsert_step
    await layer.create_step(message(by_step, 0))
    by_element = new_id()  # created by upsert_element, with a placeholder step
    await layer.create_element(File(name="a.txt", content=b"a", mime="text/plain",
                                    for_id=new_id(), thread_id=by_element))
    gone = new_id()
    await layer.update_thread(gone, name="doomed", user_id=user_id)
    await layer.delete_thread(gone)
    bob = await make_user(layer, "bob")
    bobs = new_id()
    await layer.update_thread(bobs, name="bob's", user_id=bob)
    await layer.delete_user("bob")
    threads = [thread_id, named, by_step, by_element, gone, bobs]
    rows = await query(driver, """
        MATCH (n) WHERE n.id IN $ids OR n.threadId IN $threads
        UNWIND [k IN keys(n) WHERE k IN ['createdAt', 'updatedAt', 'lastActivity',
                'lastMessageAt', 'deletedAt', 'start', 'end']] AS key
        RETURN n.id AS id, labels(n)[0] AS label, key, valueType(n[key]) AS type""",
        ids=[user_id, *threads], threads=threads)
    seen = {(r["label"], r["key"]) for r in rows}
    assert {("User", "createdAt"), ("Thread", "createdAt"), ("Thread", "lastActivity"),
            ("Thread", "lastMessageAt"), ("Thread", "deletedAt"), ("Step", "createdAt"),
            ("Step", "start"), ("Step", "end"), ("Feedback", "createdAt"),
            ("Feedback", "updatedAt")} <= seen, seen
    by_id = {(r["id"], r["key"]) for r in rows}
    assert {(named, "createdAt"), (named, "lastActivity"), (by_step, "createdAt"),
            (by_element, "createdAt"), (gone, "deletedAt"), (bobs, "deletedAt")} <= by_id
    assert {r["type"] for r in rows} == {"ZONED DATETIME NOT NULL"}, rows
    steps = await query(driver, "MATCH (s:Step {id: $id}) RETURN s.durationMs AS ms, "
                        "toString(s.end) AS end", id=tool["id"])
    assert steps == [{"ms": 1500, "end": ts(2.5)}]
