"""Group commit (graph_layer.batching): concurrent step writes share transactions on the real
server, and each caller still gets its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from chainlit.types import Feedback
from chainlit.user import User
from neo4j import AsyncDriver

from graph_layer import (
    DatabaseError,
    InvalidInputError,
    Neo4jDataLayer,
    NotFoundError,
    OwnershipError,
)
from graph_layer.executor import timing_records
from graph_layer.steps import step_params
from tests.conftest import query
from tests.factories import message, new_id, step

pytestmark = pytest.mark.asyncio


@contextmanager
def transactions(name: str = "step/upsert_step") -> Iterator[list[int]]:
    """The rows of every transaction of query ``name`` committed in the block, in order."""
    sizes: list[int] = []
    with timing_records() as records:
        yield sizes
    sizes += [r.rows for r in records if r.query == name]


async def _outputs(driver: AsyncDriver, thread_ids: list[str]) -> dict[str, str | None]:
    rows = await query(driver, "MATCH (t:Thread)-[:CONTAINS]->(s:Step) WHERE t.id IN $ts "
                               "RETURN s.id AS id, s.output AS output", ts=thread_ids)
    return {str(r["id"]): r["output"] for r in rows}  # type: ignore[misc]


async def test_concurrent_writes_share_transactions_and_every_one_lands(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    threads = [new_id() for _ in range(3)]
    steps = [message(t, i, kind="assistant_message", output="") for t in threads
             for i in range(20)]
    with transactions() as sizes:
        await asyncio.gather(*(layer.create_step(s) for s in steps))
        # the update of each step races its neighbours' creates and updates
        await asyncio.gather(*(layer.update_step(dict(s, output=f"answer {n}"))
                               for n, s in enumerate(steps)))
    assert sum(sizes) == 2 * len(steps)  # every write in exactly one transaction
    assert len(sizes) < len(steps)  # and they shared: 120 writes, far fewer commits
    assert max(sizes) == len(steps)  # a gather's writes all arrive before the first one goes
    assert await _outputs(driver, threads) == {s["id"]: f"answer {n}"
                                               for n, s in enumerate(steps)}
    for thread_id in threads:  # each step's create and update in one transaction, in order
        thread = await layer.get_thread(thread_id)
        assert thread is not None and len(thread["steps"]) == 20


async def test_create_then_update_of_one_step_in_one_transaction_keeps_the_update(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    thread_id = new_id()
    first = message(thread_id, 1, kind="assistant_message", output="")
    with transactions() as sizes:
        await asyncio.gather(layer.create_step(first),
                             layer.update_step(dict(first, output="final")))
    assert sizes == [2]
    assert await _outputs(driver, [thread_id]) == {first["id"]: "final"}


async def test_a_row_the_server_refuses_fails_alone(
    layer: Neo4jDataLayer, driver: AsyncDriver, caplog: pytest.LogCaptureFixture
) -> None:
    thread_id = new_id()
    good = [message(thread_id, i, output=f"good {i}") for i in range(5)]
    bad_step = message(thread_id, 9, output="bad")
    bad = step_params(bad_step)
    bad["props"]["output"] = {"a map": "is no property value"}  # refused by the server only
    with transactions() as sizes:
        results = await asyncio.gather(
            *(layer.create_step(s) for s in good[:3]),
            layer.executor.run_row("step/upsert_step", bad),
            *(layer.create_step(s) for s in good[3:]),
            return_exceptions=True)
    assert "6 rows failed together" in caplog.text  # refused together, then each alone:
    assert sizes == [1] * 5  # the five good ones committed (a failure logs no timing)
    refused = results[3]
    assert isinstance(refused, DatabaseError)
    assert "cypher/step/upsert_step.cypher failed" in str(refused)
    assert [r for i, r in enumerate(results) if i != 3] == [None] * 5
    assert await _outputs(driver, [thread_id]) == {s["id"]: s["output"] for s in good}


async def test_ownership_and_tombstones_are_each_callers_own(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    home, other, deleted = new_id(), new_id(), new_id()
    owned = message(home, 1, output="mine")
    await layer.create_step(owned)
    await layer.create_step(message(deleted, 1))
    await layer.delete_thread(deleted)
    await layer.purge_deleted()  # its message is freed after the call
    fine = message(other, 2, output="fine")
    late = message(deleted, 3, output="late")
    with transactions() as sizes:
        results = await asyncio.gather(
            layer.create_step(fine),
            layer.create_step(dict(owned, threadId=other)),  # moving a step: refused
            layer.create_step(late),  # into a deleted thread: ignored, as alone
            return_exceptions=True)
    assert sizes == [3]
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], OwnershipError)
    assert await _outputs(driver, [home, other, deleted]) == {owned["id"]: "mine",
                                                              fine["id"]: "fine"}


async def test_a_cancelled_caller_leaves_the_others_waiting_for_nothing(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    thread_id = new_id()
    steps = [step(thread_id, i, output=f"out {i}") for i in range(8)]
    first = asyncio.create_task(layer.create_step(steps[0]))
    await asyncio.sleep(0)  # its transaction is in flight
    waiting = [asyncio.create_task(layer.create_step(s)) for s in steps[1:]]
    await asyncio.sleep(0)
    waiting[2].cancel()
    done = await asyncio.gather(first, *waiting, return_exceptions=True)
    assert isinstance(done[3], asyncio.CancelledError)
    assert [d for i, d in enumerate(done) if i != 3] == [None] * 7
    # the cancelled caller's row was already in the next transaction: it is written all the same
    assert await _outputs(driver, [thread_id]) == {s["id"]: s["output"] for s in steps}
    later = step(thread_id, 10, output="later")
    await layer.create_step(later)  # the batcher goes on
    assert (await _outputs(driver, [thread_id]))[later["id"]] == "later"


async def test_users_threads_elements_and_feedback_share_transactions_too(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    names = [f"user-{i}" for i in range(6)]
    with transactions("user/upsert_user") as sizes:
        users = await asyncio.gather(*(layer.create_user(User(identifier=n))
                                       for n in [*names, names[0]]))
    assert sizes == [7]
    assert [u.identifier for u in users if u] == [*names, names[0]]
    assert users[0] and users[6] and users[0].id == users[6].id  # one login, twice at once
    ids = [u.id for u in users[:6] if u]

    threads = [new_id() for _ in ids]
    taken = new_id()
    await layer.update_thread(taken, user_id=ids[0])
    with transactions("thread/update_thread") as sizes:
        results = await asyncio.gather(
            *(layer.update_thread(t, name=f"t{n}", user_id=u)
              for n, (t, u) in enumerate(zip(threads, ids, strict=True))),
            layer.update_thread(new_id(), user_id="nobody"),  # unknown user: refused
            layer.update_thread(taken, user_id=ids[1]),  # another's thread: refused
            return_exceptions=True)
    assert sizes == [1] * 8  # a call naming a user goes alone (the refused two write nothing)
    assert results[:6] == [None] * 6
    assert isinstance(results[6], NotFoundError) and isinstance(results[7], OwnershipError)
    gone = new_id()
    await layer.update_thread(gone, name="doomed")
    await layer.delete_thread(gone)
    with transactions("thread/update_thread") as sizes:
        await asyncio.gather(*(layer.update_thread(t, metadata={"n": n}, tags=[f"t{n}"])
                               for n, t in enumerate(threads)),
                             layer.update_thread(gone, name="revived?"))  # left deleted
    assert sizes == [7]
    owners = await query(driver, "MATCH (u:User)-[:AUTHORED]->(t:Thread) WHERE t.id IN $ts "
                                 "RETURN t.id AS t, u.id AS u, t.name AS name, t.tags AS tags",
                         ts=threads)
    assert sorted((r["t"], r["u"], r["name"], r["tags"]) for r in owners) == sorted(
        (t, u, f"t{n}", [f"t{n}"]) for n, (t, u) in enumerate(zip(threads, ids, strict=True)))
    assert await layer.get_thread(gone) is None
    assert await query(driver, "MATCH (t:Thread) WHERE t.name IS NULL AND NOT t:Deleted "
                               "AND NOT (t)<-[:AUTHORED]-() RETURN t") == []

    runs = [step(t, 1, kind="run", name="on_message") for t in threads]
    for run in runs:
        await layer.create_step(run)
    with transactions("element/upsert_element") as sizes:
        await asyncio.gather(*(layer.create_element({
            "id": new_id(), "threadId": r["threadId"], "forId": r["id"], "type": "text",
            "name": f"note {n}", "display": "inline"}) for n, r in enumerate(runs)))
    assert sizes == [6]
    for n, run in enumerate(runs):
        thread = await layer.get_thread(run["threadId"])
        assert thread is not None
        assert [e["name"] for e in thread["elements"]] == [f"note {n}"]

    # the threads in reverse order: the query runs the rows in thread order, answers in theirs
    rated = list(reversed(runs))
    with transactions("feedback/upsert_feedback") as sizes:
        got = await asyncio.gather(
            *(layer.upsert_feedback(Feedback(forId=r["id"], value=n % 2, comment=f"c{n}"))
              for n, r in enumerate(rated)),
            layer.upsert_feedback(Feedback(forId=new_id(), value=1)),  # no such step
            return_exceptions=True)
    assert sizes == [7]
    assert isinstance(got[6], NotFoundError)
    stored = await query(driver, "MATCH (f:Feedback)-[:RATED]->(s:Step) RETURN s.id AS step, "
                                 "f.id AS id, f.value AS value, f.comment AS comment")
    assert sorted((r["step"], r["id"], r["value"], r["comment"]) for r in stored) == sorted(
        (r["id"], got[n], n % 2, f"c{n}") for n, r in enumerate(rated))


async def test_a_value_the_driver_cannot_send_fails_its_caller_alone(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    thread_id = new_id()
    good = [message(thread_id, i, output=f"good {i}") for i in range(3)]
    bad = step_params(message(thread_id, 9))
    bad["props"]["page"] = 2**64  # beyond Bolt's 64-bit integers: refused while packing
    results = await asyncio.gather(layer.create_step(good[0]),
                                   layer.executor.run_row("step/upsert_step", bad),
                                   *(layer.create_step(s) for s in good[1:]),
                                   return_exceptions=True)
    assert isinstance(results[1], InvalidInputError) and "out of range" in str(results[1])
    assert [results[0], *results[2:]] == [None] * 3
    assert await _outputs(driver, [thread_id]) == {s["id"]: s["output"] for s in good}


async def test_a_stalled_transaction_does_not_hold_up_the_rows_behind_it(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    stuck, free = new_id(), new_id()
    await layer.update_thread(stuck, name="stuck")
    async with driver.session(database="neo4j") as session:
        blocker = await session.begin_transaction()  # holds the thread's lock until rollback
        await (await blocker.run("MATCH (t:Thread {id: $t}) SET t._lock = true",
                                 t=stuck)).consume()
        waiting = asyncio.create_task(layer.create_step(message(stuck, 1, output="late")))
        await asyncio.sleep(0.1)  # its transaction is in flight, waiting for the lock
        began = asyncio.get_running_loop().time()
        await asyncio.wait_for(layer.create_step(message(free, 1, output="free")), 10)
        took = asyncio.get_running_loop().time() - began
        assert not waiting.done()  # still behind the lock: the row behind it went meanwhile
        await blocker.rollback()
    await asyncio.wait_for(waiting, 10)
    assert 0.1 <= took < 5  # after the stall wait (0.25 s after it queued), not the lock's end
    assert set((await _outputs(driver, [stuck, free])).values()) == {"late", "free"}


async def test_a_rating_or_a_delete_waits_for_the_write_it_follows(
    layer: Neo4jDataLayer, driver: AsyncDriver
) -> None:
    """Chainlit fires a step's write and goes on: on a slow server the user can rate the reply
    (the browser test did, on a just-started server), or the app delete a step, before that
    write has committed. The rating and the deletes wait for it instead of missing the step,
    or being undone by it."""
    thread_id = new_id()
    await layer.update_thread(thread_id, name="slow")
    run = step(thread_id, 1, kind="run", name="on_message")
    doomed = step(thread_id, 2, output="to delete")
    element = {"id": new_id(), "threadId": thread_id, "forId": run["id"], "type": "text",
               "name": "to delete", "display": "inline"}
    async with driver.session(database="neo4j") as session:
        blocker = await session.begin_transaction()  # holds the thread's lock until rollback
        await (await blocker.run("MATCH (t:Thread {id: $t}) SET t._lock = true",
                                 t=thread_id)).consume()
        writes = [*(asyncio.create_task(layer.create_step(s)) for s in (run, doomed)),
                  asyncio.create_task(layer.create_element(element))]
        await asyncio.sleep(0.1)  # their transactions are in flight, waiting for the lock
        rating = asyncio.create_task(layer.upsert_feedback(Feedback(forId=run["id"], value=1)))
        deletes = [asyncio.create_task(layer.delete_step(doomed["id"])),
                   asyncio.create_task(layer.delete_element(element["id"], thread_id))]
        await asyncio.sleep(0.5)
        assert not any(t.done() for t in (*writes, rating, *deletes))  # all behind the writes
        await blocker.rollback()
    feedback_id = await asyncio.wait_for(rating, 10)
    await asyncio.wait_for(asyncio.gather(*writes, *deletes), 10)
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert [(s["id"], (s.get("feedback") or {}).get("id")) for s in thread["steps"]] == [
        (run["id"], feedback_id)]  # rated, and the deleted step stayed deleted
    assert thread["elements"] == []  # and so did the deleted element
    with pytest.raises(NotFoundError):  # a step nobody is writing is still not found
        await layer.upsert_feedback(Feedback(forId=new_id(), value=0))
