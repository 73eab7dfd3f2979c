"""Threads: update_thread merge semantics, deletion, ownership and the sidebar listing."""

from __future__ import annotations

import asyncio

import pytest
from chainlit.types import Feedback, Pagination, ThreadFilter
from neo4j import AsyncDriver

from graph_layer import (
    InvalidInputError,
    Neo4jDataLayer,
    NotFoundError,
    OwnershipError,
    queries,
    search,
)
from graph_layer.cursor import FAR_FUTURE
from tests.conftest import query, thread_content
from tests.factories import make_thread, make_user, message, new_id, step, ts

pytestmark = pytest.mark.asyncio


async def test_update_thread_upserts_and_merges_metadata(layer: Neo4jDataLayer) -> None:
    user_id = await make_user(layer)
    thread_id = new_id()
    await layer.update_thread(thread_id, name="First", user_id=user_id, tags=["profile"],
                              metadata={"a": 1, "b": {"x": [1, 2]}, "c": "keep"})
    await layer.update_thread(thread_id, metadata={"a": None, "d": True})
    await layer.update_thread(thread_id)  # all None: a no-op
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert thread["name"] == "First"
    assert thread["tags"] == ["profile"]
    assert thread["userId"] == user_id
    assert thread["userIdentifier"] == "alice"
    assert thread["metadata"] == {"b": {"x": [1, 2]}, "c": "keep", "d": True}


async def test_name_falls_back_to_metadata_name(layer: Neo4jDataLayer) -> None:
    thread_id = new_id()
    await layer.update_thread(thread_id, metadata={"name": "From metadata"})
    thread = await layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "From metadata"


async def test_concurrent_metadata_merges_lose_no_key(layer: Neo4jDataLayer) -> None:
    thread_id = new_id()
    await asyncio.gather(*(layer.update_thread(thread_id, metadata={f"k{i}": i})
                           for i in range(40)))
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert thread["metadata"] == {f"k{i}": i for i in range(40)}


async def test_owner_is_only_ever_set_never_moved(layer: Neo4jDataLayer) -> None:
    alice, bob = await make_user(layer, "alice"), await make_user(layer, "bob")
    thread_id = new_id()
    await layer.update_thread(thread_id, user_id=alice)
    await layer.update_thread(thread_id, user_id=None, name="renamed")
    with pytest.raises(OwnershipError):
        await layer.update_thread(thread_id, user_id=bob, name="stolen")
    assert await layer.get_thread_author(thread_id) == "alice"
    thread = await layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "renamed"
    with pytest.raises(NotFoundError):
        await layer.update_thread(new_id(), user_id="no-such-user")


async def test_get_thread_author_and_missing_thread(layer: Neo4jDataLayer) -> None:
    assert await layer.get_thread_author(new_id()) == ""
    assert await layer.get_thread(new_id()) is None
    userless = new_id()
    await layer.update_thread(userless, name="nobody's")
    assert await layer.get_thread_author(userless) == ""


async def test_delete_thread_removes_everything_and_stays_deleted(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    user_id = await make_user(layer)
    doomed = await make_thread(layer, user_id, "doomed", 0)
    kept = await make_thread(layer, user_id, "kept", 1)
    run = step(doomed, 2, kind="run", name="on_message")
    await layer.create_step(run)
    await layer.upsert_feedback(Feedback(forId=run["id"], value=1))
    await layer.create_element({"id": new_id(), "threadId": doomed, "forId": run["id"],
                                "type": "text", "name": "n", "display": "inline"})
    await layer.delete_thread(doomed)
    # Chainlit's disconnect write and a late step must not bring it back.
    await layer.update_thread(doomed, metadata={"id": "session"}, name="zombie")
    await layer.create_step(message(doomed, 9, output="late"))
    await layer.create_element({"id": new_id(), "threadId": doomed, "forId": run["id"],
                                "type": "text", "name": "late", "display": "inline"})
    assert await layer.get_thread(doomed) is None
    assert await layer.get_thread_author(doomed) == ""
    await layer.purge_deleted()  # after the background purge the call started
    assert await thread_content(driver, doomed) == 0
    tomb = await query(driver, "MATCH (t:Thread {id:$t}) RETURN labels(t) AS l, "
                               "keys(t) AS k, COUNT { (t)--() } AS rels", t=doomed)
    assert len(tomb) == 1
    assert sorted(tomb[0]["l"]) == ["Deleted", "Thread"]
    assert sorted(tomb[0]["k"]) == ["deletedAt", "id"]
    assert tomb[0]["rels"] == 0
    page = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user_id))
    assert [t["id"] for t in page.data] == [kept]
    kept_thread = await layer.get_thread(kept)
    assert kept_thread is not None and len(kept_thread["steps"]) == 1


async def test_sidebar_order_is_newest_message_not_metadata_or_rename(
    layer: Neo4jDataLayer,
) -> None:
    user_id = await make_user(layer)
    old = await make_thread(layer, user_id, "old", 0)
    new = await make_thread(layer, user_id, "new", 100)
    # Viewing the old thread writes the session into its metadata; renaming it too.
    await layer.update_thread(old, metadata={"chat_settings": {}, "id": "s"})
    await layer.update_thread(old, name="old renamed")
    page = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user_id))
    assert [t["id"] for t in page.data] == [new, old]
    assert page.data[0]["createdAt"] == ts(100)  # last activity, shown as createdAt
    # A new message in the old thread moves it to the top.
    await layer.create_step(message(old, 200, output="back again"))
    page = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user_id))
    assert [t["id"] for t in page.data] == [old, new]


async def test_thread_is_listed_before_it_has_steps(layer: Neo4jDataLayer) -> None:
    user_id = await make_user(layer)
    thread_id = new_id()
    await layer.update_thread(thread_id, name="hello", user_id=user_id)
    page = await layer.list_threads(Pagination(first=35), ThreadFilter(userId=user_id))
    assert [t["id"] for t in page.data] == [thread_id]
    assert page.data[0]["createdAt"]


async def test_keyset_paging_sees_every_thread_once_including_ties(
    layer: Neo4jDataLayer,
) -> None:
    user_id = await make_user(layer)
    other = await make_user(layer, "bob")
    ids = [await make_thread(layer, user_id, f"t{i}", i // 3) for i in range(14)]  # ties of 3
    await make_thread(layer, other, "not yours", 5)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await layer.list_threads(Pagination(first=4, cursor=cursor),
                                        ThreadFilter(userId=user_id))
        seen += [t["id"] for t in page.data]
        pages += 1
        if not page.pageInfo.hasNextPage:
            break
        cursor = page.pageInfo.endCursor
    assert pages == 4
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert set(seen[:2]) == set(ids[12:])  # newest activity first
    with pytest.raises(InvalidInputError):
        await layer.list_threads(Pagination(first=4, cursor="garbage"),
                                 ThreadFilter(userId=user_id))


async def _search(layer: Neo4jDataLayer, user_id: str, text: str) -> list[str]:
    """The ids on the first sidebar page of ``user_id``'s search for ``text``."""
    page = await layer.list_threads(Pagination(first=20), ThreadFilter(userId=user_id, search=text))
    return [t["id"] for t in page.data]


async def test_search_matches_names_and_message_bodies_case_insensitively(
    layer: Neo4jDataLayer,
) -> None:
    alice = await make_user(layer)
    bob = await make_user(layer, "bob")
    by_name = await make_thread(layer, alice, "Holiday Plans", 0, text="nothing here")
    by_body = await make_thread(layer, alice, "Untitled", 1, text="the Kangaroo jumped")
    await make_thread(layer, bob, "kangaroo facts", 2, text="kangaroo")
    answer = message(by_body, 3, kind="assistant_message", output="WOMBAT burrows, mostly")
    await layer.create_step(answer)
    tool = step(by_body, 4, input='{"query": "platypus"}', output="echidna")
    await layer.create_step(tool)  # tool (and llm, run) text is not searched: only messages

    assert await _search(layer, alice, "holiday") == [by_name]
    assert await _search(layer, alice, "KANGAROO") == [by_body]
    # the last word as a prefix, as a person types
    assert await _search(layer, alice, "kang") == [by_body]
    assert await _search(layer, alice, "wombat burr") == [by_body]
    assert await _search(layer, alice, "jumped kangaroo") == [by_body]
    assert await _search(layer, alice, "kangaroo holiday") == []
    assert await _search(layer, alice, "platypus") == []
    assert await _search(layer, alice, "echidna") == []
    for hostile in ['"', "\\", "/", "*", "?", "~", "[", "]{}", "`", "AND", "OR NOT",
                    "//", "$x", "a:b", "(", "-", "+", "!", "^", "&&", "||", "' OR 1=1 --"]:
        assert await _search(layer, alice, hostile) == [], hostile


async def test_search_follows_a_step_becoming_a_message(layer: Neo4jDataLayer,
                                                        driver: AsyncDriver) -> None:
    """A child written first creates its parent as a placeholder run; when the parent's own
    snapshot lands as a message, its text becomes searchable (the :Message label follows the
    type either way)."""
    alice = await make_user(layer)
    thread = await make_thread(layer, alice, "late parent", 0, text="start")
    parent = message(thread, 1, output="the lyrebird sings")
    await layer.create_step(step(thread, 2, parent_id=parent["id"]))

    async def labelled() -> bool:
        rows = await query(driver, "MATCH (s:Step {id: $id}) RETURN s:Message AS m",
                           id=parent["id"])
        return bool(rows[0]["m"])

    assert not await labelled()
    await layer.create_step(parent)
    assert await labelled() and await _search(layer, alice, "lyrebird") == [thread]
    await layer.update_step({**parent, "type": "tool"})
    assert not await labelled() and await _search(layer, alice, "lyrebird") == []


async def test_search_sees_each_write_at_once(layer: Neo4jDataLayer) -> None:
    """The full-text indexes are eventually consistent (updated after commit); the search
    still finds every message and rename written just before it, every time."""
    alice = await make_user(layer)
    thread = await make_thread(layer, alice, "fresh words", 0, text="start")
    for i in range(25):
        word = f"zebra{i}quokka"
        await layer.create_step(message(thread, i + 1, kind="assistant_message",
                                        output=f"just said {word}"))
        page = await layer.list_threads(Pagination(first=5),
                                        ThreadFilter(userId=alice, search=word))
        assert [t["id"] for t in page.data] == [thread], word
        await layer.update_thread(thread, name=f"renamed {i}gnu")
        page = await layer.list_threads(Pagination(first=5),
                                        ThreadFilter(userId=alice, search=f"{i}gnu"))
        assert [t["id"] for t in page.data] == [thread], i


async def test_search_finds_steps_written_before_their_thread_had_an_owner(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    """Writes land in any order: a message, a placeholder parent (from a child step) and an
    element's placeholder written before update_thread links the owner get the owner's id
    then, as steps written after it do; the search finds the early message."""
    alice = await make_user(layer)
    thread = new_id()
    await layer.create_step(message(thread, 0, output="a quoll in the garden"))
    await layer.create_step(step(thread, 1, parent_id="early-ghost"))
    await layer.create_element({"id": new_id(), "threadId": thread, "forId": "element-ghost",  # type: ignore[typeddict-item]
                                "type": "text", "name": "n", "display": "inline"})
    await layer.update_thread(thread, name="untitled", user_id=alice)
    await layer.create_step(step(thread, 2, parent_id="late-ghost"))
    await layer.create_element({"id": new_id(), "threadId": thread, "forId": "late-element-ghost",  # type: ignore[typeddict-item]
                                "type": "text", "name": "n", "display": "inline"})
    await layer.create_step(message(thread, 3, kind="assistant_message", output="and a numbat"))
    assert await _search(layer, alice, "quoll") == [thread]
    assert await _search(layer, alice, "numbat") == [thread]
    rows = await query(driver, "MATCH (:Thread {id: $id})-[:CONTAINS]->(s:Step) "
                               "RETURN s.userId AS owner, count(*) AS steps", id=thread)
    assert rows == [{"owner": alice, "steps": 8}]  # 2 messages, 2 tool steps, 4 placeholders


async def test_search_reads_only_the_searching_users_matches(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    """Both search indexes hold each document's owner id and the search requires it:
    another user's 30 matching thread names and messages never leave the index (PROFILE)."""
    alice, bob = await make_user(layer, "alice"), await make_user(layer, "bob")
    mine = await make_thread(layer, alice, "my wallaby", 0, text="wallaby at dawn")
    for i in range(30):
        await make_thread(layer, bob, f"his wallaby {i}", 1 + i, text=f"wallaby number {i}")
    assert await _search(layer, alice, "wallaby") == [mine]
    lucene = search.lucene_queries("wallaby", alice)
    assert lucene is not None
    names, messages = lucene
    _, summary, _ = await driver.execute_query(
        "PROFILE " + queries.get("thread/search_threads").text,
        {"userId": alice, "names": names, "messages": messages, "cursorTime": FAR_FUTURE,
         "cursorId": "", "feedback": None, "first": 20}, database_="neo4j")
    yielded: dict[str, int] = {}  # rows each index call produced, as the operator above reads
    stack = [summary.profile]
    while stack:
        node = stack.pop()
        for child in node.get("children", []):
            details = str(child.get("args", {}).get("Details", ""))
            for param in ("$names", "$messages"):
                if child["operatorType"].startswith("ProcedureCall") and param in details:
                    yielded[param] = node["rows"]
            stack.append(child)
    assert yielded == {"$names": 1, "$messages": 1}


async def test_search_is_exact_for_owner_ids_the_analyzer_splits_or_drops(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    """The index's owner clause is a phrase of the id's words: ids that share words, or have
    none, match each other's documents there, and the query's exact userId test still keeps
    every user to their own threads."""
    owners = ["a-b", "x-a-b", "A B", "---", 'q"\\z', "ünï"]
    threads = {}
    for i, owner in enumerate(owners):
        await query(driver, "CREATE (:User {id: $id, identifier: $identifier, "
                            "createdAt: datetime(), metadata: '{}'})",
                    id=owner, identifier=f"odd-{i}")
        threads[owner] = await make_thread(layer, owner, f"dingo {i}", i, text="dingo trail")
    for owner in owners:
        assert await _search(layer, owner, "dingo") == [threads[owner]], owner
        assert await _search(layer, owner, "trail") == [threads[owner]], owner


async def test_feedback_filter_for_one_and_zero(layer: Neo4jDataLayer) -> None:
    user_id = await make_user(layer)
    liked = await make_thread(layer, user_id, "liked", 0)
    disliked = await make_thread(layer, user_id, "disliked", 1)
    await make_thread(layer, user_id, "unrated", 2)
    for thread_id, value in ((liked, 1), (disliked, 0)):
        run = step(thread_id, 3, kind="run", name="on_message")
        await layer.create_step(run)
        await layer.upsert_feedback(Feedback(forId=run["id"], value=value))  # type: ignore[arg-type]
    for value, expected in ((1, [liked]), (0, [disliked])):
        page = await layer.list_threads(Pagination(first=10),
                                        ThreadFilter(userId=user_id, feedback=value))  # type: ignore[arg-type]
        assert [t["id"] for t in page.data] == expected


async def test_list_threads_requires_a_user(layer: Neo4jDataLayer) -> None:
    with pytest.raises(InvalidInputError):
        await layer.list_threads(Pagination(first=10), ThreadFilter())


async def test_list_threads_plan_follows_the_page_not_the_history(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    """The sidebar query seeks the (userId, lastActivity, id) index and reads rows in index
    order: no label scan, no sort over the user's whole history."""
    from datetime import UTC, datetime

    from graph_layer import queries

    await query(driver, "UNWIND range(1, 2000) AS i CREATE (:Thread {id: 'p' + i, "
                        "userId: 'u' + (i % 4), lastActivity: datetime(), createdAt: datetime()})")
    text = queries.get("thread/list_threads").text
    async with driver.session(database="neo4j") as session:
        # replan=force: a plan cached while the database was nearly empty (earlier tests) is
        # only replaced after the server's replan interval; this test is about a loaded one.
        result = await session.run("CYPHER replan=force EXPLAIN " + text, userId="u1",
                                   cursorId="", feedback=None,
                                   cursorTime=datetime(9999, 1, 1, tzinfo=UTC), first=35)
        plan = (await result.consume()).plan
    assert plan is not None
    operators: list[str] = []
    stack = [plan]
    while stack:
        node = stack.pop()
        operators.append(node["operatorType"].split("@")[0])
        stack.extend(node.get("children", []))
    assert any("IndexSeek" in op for op in operators), operators
    assert not {"Sort", "Top", "PartialSort", "NodeByLabelScan"} & set(operators), operators
