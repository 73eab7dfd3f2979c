"""Deleting a thread in two parts (graph_layer.purge): the call's transaction leaves a
tombstone that hides all its content at once, and the purge frees the nodes later, in
batches, in the background or when asked."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import neo4j
import pytest
from chainlit.types import Feedback, Pagination, ThreadFilter
from neo4j import AsyncDriver, RoutingControl

from graph_layer import Neo4jDataLayer, NotFoundError, purge, queries, write_rows
from graph_layer.analytics import AnalyticsDB
from graph_layer.errors import DatabaseError
from tests.conftest import query, thread_content
from tests.factories import make_thread, make_user, message, new_id, step

pytestmark = pytest.mark.asyncio

async def _conversation(layer: Neo4jDataLayer, user_id: str, name: str
                        ) -> dict[str, str]:
    """A thread with a favorite message, a run, a tool step with an element, and a rating."""
    thread_id = await make_thread(layer, user_id, name, 0, text=f"{name} words")
    run = step(thread_id, 1, kind="run", name="on_message")
    tool = step(thread_id, 2, parent_id=run["id"])
    answer = message(thread_id, 3, kind="assistant_message", output=f"{name} answer",
                     metadata={"favorite": True})
    answer["parentId"] = run["id"]
    for s in (run, tool, answer):
        await layer.create_step(s)
    element = {"id": new_id(), "threadId": thread_id, "forId": tool["id"], "type": "text",
               "name": "notes", "display": "inline", "content": "x"}
    await layer.create_element(element)
    feedback = await layer.upsert_feedback(Feedback(forId=answer["id"], value=1))
    return {"thread": thread_id, "run": run["id"], "tool": tool["id"],
            "answer": answer["id"], "element": element["id"], "feedback": feedback}


async def _delete_without_purge(layer: Neo4jDataLayer, *thread_ids: str) -> None:
    """The call's own transaction, without the background purge that the call starts."""
    for thread_id in thread_ids:
        await layer.executor.run("thread/delete_thread", threadId=thread_id,
                                 now=write_rows.now())


def _wrap_purge(layer: Neo4jDataLayer, monkeypatch: pytest.MonkeyPatch,
                before: Callable[[], Awaitable[object]] | None = None,
                after: Callable[[list[dict[str, object]]], None] | None = None) -> None:
    """Await ``before()`` ahead of each of the layer's purge queries (it may wait or raise),
    and give ``after`` each one's rows; the queries themselves run on the server."""
    real = layer._purger._run

    async def wrapped(name: str, **params: object) -> list[dict[str, object]]:
        if before is not None:
            await before()
        rows = await real(name, **params)
        if after is not None:
            after(rows)
        return rows

    monkeypatch.setattr(layer._purger, "_run", wrapped)


async def _pending(layer: Neo4jDataLayer, monkeypatch: pytest.MonkeyPatch, threads: int,
                   batch: int) -> list[dict[str, str]]:
    """``threads`` conversations of one user, deleted and not purged yet; each purge
    transaction then takes ``batch`` nodes."""
    user_id = await make_user(layer)
    convs = [await _conversation(layer, user_id, f"t{i}") for i in range(threads)]
    await _delete_without_purge(layer, *(c["thread"] for c in convs))
    monkeypatch.setattr(purge, "PURGE_BATCH", batch)
    return convs


async def test_nothing_of_a_deleted_thread_is_read_or_written_before_its_purge(
    layer: Neo4jDataLayer, driver: AsyncDriver, analytics_db: AnalyticsDB
) -> None:
    user_id = await make_user(layer)
    kept = await _conversation(layer, user_id, "kept")
    doomed = await _conversation(layer, user_id, "doomed")
    await _delete_without_purge(layer, doomed["thread"])
    assert await thread_content(driver, doomed["thread"]) == 6  # 4 steps, an element, a rating
    alice = ThreadFilter(userId=user_id)
    page = await layer.list_threads(Pagination(first=10), alice)
    assert [t["id"] for t in page.data] == [kept["thread"]]
    for word in ("doomed", "answer"):
        found = await layer.list_threads(Pagination(first=10),
                                         ThreadFilter(userId=user_id, search=word))
        assert [t["id"] for t in found.data] == ([kept["thread"]] if word == "answer" else [])
    assert await layer.get_thread(doomed["thread"]) is None
    assert await layer.get_thread_author(doomed["thread"]) == ""
    assert await layer.get_element(doomed["thread"], doomed["element"]) is None
    assert [s["id"] for s in await layer.get_favorite_steps(user_id)] == [kept["answer"]]
    # writes to its content change nothing: a rating is refused as for a missing step
    with pytest.raises(NotFoundError):
        await layer.upsert_feedback(Feedback(forId=doomed["answer"], value=0))
    assert await layer.delete_feedback(doomed["feedback"]) is False
    await layer.delete_element(doomed["element"], doomed["thread"])
    await layer.delete_step(doomed["run"])
    await layer.create_step(message(doomed["thread"], 9, output="late"))
    assert await thread_content(driver, doomed["thread"]) == 6
    # an analysis purges first: it counts the kept thread alone
    counts = analytics_db.frame("graph_counts").iloc[0].to_dict()
    assert counts == {"users": 1, "threads": 1, "steps": 4, "feedback": 1, "elements": 1}
    assert await thread_content(driver, doomed["thread"]) == 0
    assert await thread_content(driver, kept["thread"]) == 6
    tomb = await query(driver, "MATCH (t:Thread {id: $t}) RETURN labels(t) AS labels, "
                               "keys(t) AS keys, COUNT { (t)--() } AS links", t=doomed["thread"])
    assert [(sorted(r["labels"]), sorted(r["keys"]), r["links"]) for r in tomb] == [
        (["Deleted", "Thread"], ["deletedAt", "id"], 0)]


async def test_purge_frees_every_node_in_batches_and_counts_them(
    layer: Neo4jDataLayer, driver: AsyncDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = await _pending(layer, monkeypatch, 3, 2)  # 5 nodes linked to each: 3 batches
    batches: list[object] = []
    _wrap_purge(layer, monkeypatch,
                after=lambda rows: batches.append(rows[0]["removed"] if rows else None))
    assert await layer.purge_deleted() == 18
    # per thread: two steps, two steps, then a step, the element and the rating (3 nodes)
    assert len(batches) == 9 and max(b for b in batches if b is not None) <= 3, batches
    for t in threads:
        assert await thread_content(driver, t["thread"]) == 0
    assert await query(driver, "MATCH (t:Purge) RETURN count(t) AS n") == [{"n": 0}]
    assert await layer.purge_deleted() == 0


def _gate(layer: Neo4jDataLayer, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Hold the layer's purge queries until the returned event is set."""
    gate = asyncio.Event()
    _wrap_purge(layer, monkeypatch, before=gate.wait)
    return gate


async def test_the_call_returns_before_its_purge_and_close_waits_for_it(
    layer: Neo4jDataLayer, driver: AsyncDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = await make_user(layer)
    doomed = await _conversation(layer, user_id, "doomed")
    gate = _gate(layer, monkeypatch)
    await layer.delete_thread(doomed["thread"])  # returns with its purge held
    assert await layer.get_thread(doomed["thread"]) is None
    assert await thread_content(driver, doomed["thread"]) == 6
    closing = asyncio.create_task(layer.close())
    await asyncio.sleep(0.3)
    assert not closing.done()  # close() waits for the purge
    gate.set()
    await closing
    assert await thread_content(driver, doomed["thread"]) == 0
    assert await query(driver, "MATCH (t:Purge) RETURN count(t) AS n") == [{"n": 0}]


async def test_setup_purges_what_an_earlier_process_left(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    user_id = await make_user(layer)
    doomed = await _conversation(layer, user_id, "doomed")
    await _delete_without_purge(layer, doomed["thread"])  # then the process stopped
    later = Neo4jDataLayer(driver=driver, database=layer.settings.database)
    await later.setup()
    await later.close()
    assert await thread_content(driver, doomed["thread"]) == 0


async def test_steps_written_around_a_delete_leave_nothing_behind(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    user_id = await make_user(layer)
    thread_id = await make_thread(layer, user_id, "busy", 0)
    writes = [layer.create_step(step(thread_id, i)) for i in range(1, 41)]
    results = await asyncio.gather(*writes[:20], layer.delete_thread(thread_id), *writes[20:],
                                   return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    await layer.purge_deleted()
    assert await layer.get_thread(thread_id) is None
    assert await thread_content(driver, thread_id) == 0


async def test_two_processes_purging_at_once_free_each_node_once(
    layer: Neo4jDataLayer, driver: AsyncDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = await _pending(layer, monkeypatch, 3, 1)
    other = Neo4jDataLayer(driver=driver, database=layer.settings.database)
    removed = await asyncio.gather(layer.purge_deleted(), other.purge_deleted())
    assert sum(removed) == 18
    for t in threads:
        assert await thread_content(driver, t["thread"]) == 0


async def test_deletes_and_a_rating_racing_on_a_live_thread_each_find_their_node_again(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    user_id = await make_user(layer)
    c = await _conversation(layer, user_id, "busy")
    results = await asyncio.gather(
        layer.delete_step(c["run"]), layer.delete_step(c["run"]),
        layer.upsert_feedback(Feedback(forId=c["answer"], value=0)),
        layer.delete_feedback(c["feedback"]), layer.delete_feedback(c["feedback"]),
        layer.delete_element(c["element"], c["thread"]),
        layer.delete_element(c["element"], c["thread"]), return_exceptions=True)
    # the rating may come after its step's delete: refused as for a missing step
    assert [r for r in results if isinstance(r, BaseException)
            and not isinstance(r, NotFoundError)] == []
    thread = await layer.get_thread(c["thread"])
    assert thread is not None and [s["type"] for s in thread["steps"]] == ["user_message"]
    assert await thread_content(driver, c["thread"]) == 1


async def test_writes_racing_the_purge_fail_nothing_and_revive_nothing(
    layer: Neo4jDataLayer, driver: AsyncDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    convs = await _pending(layer, monkeypatch, 4, 1)
    racing = [layer.purge_deleted()]
    for c in convs:
        racing += [layer.delete_step(c["tool"]), layer.delete_element(c["element"], c["thread"]),
                   layer.delete_feedback(c["feedback"]),
                   layer.create_step(step(c["thread"], 5, step_id=c["run"], kind="run")),
                   layer.delete_thread(c["thread"])]
    results = await asyncio.gather(*racing, return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    await layer.purge_deleted()
    for c in convs:
        assert await thread_content(driver, c["thread"]) == 0
        assert await layer.get_thread(c["thread"]) is None
    assert await query(driver, "MATCH (t:Purge) RETURN count(t) AS n") == [{"n": 0}]


async def test_a_failed_background_purge_is_logged_and_the_next_one_takes_it(
    layer: Neo4jDataLayer, driver: AsyncDriver, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = await make_user(layer)
    doomed = await _conversation(layer, user_id, "doomed")
    other = await _conversation(layer, user_id, "other")
    failures = [DatabaseError("cypher/x.cypher failed: server away")]

    async def away() -> None:
        if failures:
            raise failures.pop()

    _wrap_purge(layer, monkeypatch, before=away)
    await layer.delete_thread(doomed["thread"])
    await layer._purger.wait()
    assert "purging deleted threads failed" in caplog.text and "server away" in caplog.text
    assert await thread_content(driver, doomed["thread"]) == 6  # still there, still labelled
    assert await query(driver, "MATCH (t:Purge {id: $t}) RETURN count(t) AS n",
                       t=doomed["thread"]) == [{"n": 1}]
    await layer.delete_thread(other["thread"])  # its purge takes both
    await layer.close()
    assert await thread_content(driver, doomed["thread"]) == 0
    assert await thread_content(driver, other["thread"]) == 0
    failures.append(DatabaseError("cypher/x.cypher failed: server away"))
    with pytest.raises(DatabaseError):
        await layer.purge_deleted()  # asked directly, the error is raised


async def test_a_delete_during_a_failing_purge_gets_another_pass(
    layer: Neo4jDataLayer, driver: AsyncDriver, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    user_id = await make_user(layer)
    first, second = [await _conversation(layer, user_id, n) for n in ("first", "second")]
    release = asyncio.Event()

    async def held_then_away() -> None:
        if not release.is_set():
            await release.wait()
            raise DatabaseError("cypher/x.cypher failed: server away")

    _wrap_purge(layer, monkeypatch, before=held_then_away)
    await layer.delete_thread(first["thread"])  # its purge waits, then fails
    await layer.delete_thread(second["thread"])  # asks for another pass meanwhile
    release.set()
    await layer._purger.wait()
    assert await thread_content(driver, first["thread"]) == 0
    assert await thread_content(driver, second["thread"]) == 0
    assert "purging deleted threads failed; trying again now" in caplog.text  # not swallowed


async def test_a_failed_background_purge_tries_again_on_its_own(
    layer: Neo4jDataLayer, driver: AsyncDriver, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no other delete, setup or analysis to come, a failed background purge waits and
    tries again, each wait twice the one before up to ``RETRY_MAX_S``, until a pass succeeds;
    the first failure of the streak is logged with its traceback, the others in a line."""
    monkeypatch.setattr(purge, "RETRY_FIRST_S", 0.2)
    monkeypatch.setattr(purge, "RETRY_MAX_S", 0.3)
    user_id = await make_user(layer)
    doomed = await _conversation(layer, user_id, "doomed")
    failures = [DatabaseError("cypher/x.cypher failed: server away") for _ in range(3)]
    passes: list[float] = []

    async def away_three_times() -> None:
        passes.append(time.monotonic())
        if failures:
            raise failures.pop()

    _wrap_purge(layer, monkeypatch, before=away_three_times)
    await layer.delete_thread(doomed["thread"])
    deadline = time.monotonic() + 30
    while await thread_content(driver, doomed["thread"]) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert await thread_content(driver, doomed["thread"]) == 0
    purging = [r for r in caplog.records if "purging deleted threads" in r.getMessage()]
    logged = [r.getMessage() for r in purging]
    assert [m.rsplit(" in ", 1)[1] for m in logged] == ["0.2 s", "0.3 s", "0.3 s"]
    assert purging[0].exc_info is not None and "failed again" in logged[1]
    assert passes[1] - passes[0] >= 0.2 and passes[2] - passes[1] >= 0.3
    assert passes[3] - passes[2] >= 0.3
    await layer.delete_thread((await _conversation(layer, user_id, "next"))["thread"])
    await layer._purger.wait()  # a success in between: a new failure waits 0.2 s again
    failures.append(DatabaseError("cypher/x.cypher failed: server away"))
    await layer.delete_thread((await _conversation(layer, user_id, "later"))["thread"])
    await layer._purger.wait()
    last = [r.getMessage() for r in caplog.records if "purging deleted threads" in r.getMessage()]
    assert len(last) == 4 and last[-1].endswith("trying again in 0.2 s")


async def test_close_cancels_a_failed_purges_wait_to_try_again(
    layer: Neo4jDataLayer, driver: AsyncDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``close()`` cancels the wait after a failed background purge at once; the thread
    stays labelled for the next purge, which a later ``setup()`` starts."""
    monkeypatch.setattr(purge, "RETRY_FIRST_S", 3600.0)
    user_id = await make_user(layer)
    doomed = await _conversation(layer, user_id, "doomed")

    async def away() -> None:
        raise DatabaseError("cypher/x.cypher failed: server away")

    _wrap_purge(layer, monkeypatch, before=away)
    await layer.delete_thread(doomed["thread"])
    await layer._purger.wait()  # the failed pass; then the wait to try again
    retry = layer._purger._retry
    assert retry is not None and not retry.done()
    await layer.close()
    assert retry.cancelled()
    assert await query(driver, "MATCH (t:Purge {id: $t}) RETURN count(t) AS n",
                       t=doomed["thread"]) == [{"n": 1}]
    monkeypatch.undo()  # the real purge query again
    await layer.setup()  # a later start takes it
    await layer._purger.wait()
    assert await thread_content(driver, doomed["thread"]) == 0


async def test_a_refused_write_is_not_tried_again(
    layer: Neo4jDataLayer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A purge the server refuses (this user may not write; Community has no roles, so read
    access mode stands for it) is logged once and not retried: trying again every few minutes
    could not succeed."""
    user_id = await make_user(layer)
    doomed = await _conversation(layer, user_id, "doomed")

    async def forbidden() -> None:  # the purge query in read access mode: the server refuses
        await layer.executor.auto_commit("purge", neo4j.Query(queries.get(purge.QUERY).text),
                                         {"batch": 1}, neo4j.READ_ACCESS)

    _wrap_purge(layer, monkeypatch, before=forbidden)
    await layer.delete_thread(doomed["thread"])
    await layer._purger.wait()
    assert layer._purger._retry is None
    assert "until the next purge" in caplog.text


async def test_an_analysis_by_a_user_that_may_not_write_skips_the_purge(
    layer: Neo4jDataLayer, driver: AsyncDriver, analytics_db: AnalyticsDB,
    caplog: pytest.LogCaptureFixture
) -> None:
    """Community has no roles: reading in read access mode stands for a read-only user."""

    class ReadOnly(AnalyticsDB):
        def routing(self, query: queries.Query) -> RoutingControl:
            return RoutingControl.READ

    user_id = await make_user(layer)
    doomed = await _conversation(layer, user_id, "doomed")
    await _delete_without_purge(layer, doomed["thread"])
    reader = ReadOnly(analytics_db.driver, database=analytics_db.database)
    for _ in range(2):
        counts = reader.frame("graph_counts").iloc[0].to_dict()
        assert counts["threads"] == 0 and counts["steps"] == 4  # counted: not purged
    warned = [r.getMessage() for r in caplog.records if "are not purged" in r.getMessage()]
    assert len(warned) == 1 and "AccessMode" in warned[0]  # tried and said once
    assert await thread_content(driver, doomed["thread"]) == 6


@pytest.fixture(autouse=True)
def _log_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="graph_layer")
