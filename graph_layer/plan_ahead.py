"""Plan the layer's queries before their first call (``Neo4jDataLayer.setup`` runs it).

On a server that has just started, the first call of each query waits for its planning on a
cold JVM: up to 1.4 s each here, and 4.1-4.3 s over a first visit's calls against 0.40-0.54 s
planned ahead (``python -m benchmarks.cold_start``; docs/performance.md, change 26). The
server caches a plan per query text and per set of parameter types, where a string or list
parameter's type includes its size class (1, 2-10, 11-100, 101-1000, ... items or
characters): a group commit of two rows is planned again after one of one row. ``samples``
gives each query the parameters the layer sends, one set per size class a first visit
reaches, and ``plan_queries`` runs each in a transaction that is rolled back
(``Executor.rehearse``): the plan is cached and nothing committed. An ``EXPLAIN`` would cache
less: the next real call still took 150 ms on the server here, against about 1 s.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from chainlit.types import Feedback
from chainlit.user import User
from neo4j.exceptions import DriverError, Neo4jError

from graph_layer import cursor, elements, purge, search, write_rows
from graph_layer.errors import write_refused
from graph_layer.executor import Executor
from graph_layer.steps import step_params

log = logging.getLogger("graph_layer")

Sample = tuple[str, dict[str, Any]]
_CURSOR = ("cursorTime", "cursorId")


def _id() -> str:
    return str(uuid.uuid4())


def _rows(make: Callable[[], dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` of one and of two rows: a lone write and the smallest group commit."""
    return [{"rows": [make()]}, {"rows": [make(), make()]}]


def samples() -> list[Sample]:
    """(query name, parameters) for every query a user's calls run (all but ``delete_user``),
    in the order a first visit reaches them: login, sidebar, a conversation, its rating,
    resume, search, deletes and the purge after them. The rows come from the layer's own
    builders; ids are fresh, so nothing matches them (the purge takes a batch of none)."""
    now = write_rows.now()

    def user() -> dict[str, Any]:
        return write_rows.user_row(User(identifier=_id()))

    def thread() -> dict[str, Any]:
        return write_rows.thread_row(_id(), None, "plan", None, None)

    def step() -> dict[str, Any]:
        return step_params({"id": _id(), "threadId": _id(), "type": "assistant_message",
                            "name": "plan", "output": "plan", "createdAt": now,
                            "start": now, "end": now, "metadata": {}})

    def element() -> dict[str, Any]:
        return write_rows.element_row(elements.normalise(
            {"id": _id(), "threadId": _id(), "forId": _id(), "type": "file", "name": "plan",
             "display": "inline", "mime": "text/plain"}, None))

    def feedback() -> dict[str, Any]:
        return write_rows.feedback_row(Feedback(forId=_id(), value=1))

    user_id = _id()
    page = {"userId": user_id, "feedback": None, "first": 35}
    first_page = {**page, **dict(zip(_CURSOR, cursor.decode(None), strict=True))}
    next_page = {**page, **dict(zip(_CURSOR, cursor.decode(cursor.encode(now, _id())),
                                    strict=True))}

    def found(text: str) -> dict[str, Any]:
        lucene = search.lucene_queries(text, user_id)
        assert lucene is not None  # the texts below have words
        return {"names": lucene[0], "messages": lucene[1]}

    return [
        # identifiers of 2-10 and of 11-100 characters ("admin", an email address)
        *(("user/get_user", {"identifier": name}) for name in ("planner", f"{_id()}@example.com")),
        *(("user/upsert_user", p) for p in _rows(user)),
        ("thread/list_threads", first_page),
        ("thread/list_threads", next_page),
        *(("step/upsert_step", p) for p in _rows(step)),
        *(("thread/update_thread", p) for p in _rows(thread)),
        *(("element/upsert_element", p) for p in _rows(element)),
        *(("feedback/upsert_feedback", p) for p in _rows(feedback)),
        ("thread/get_thread", {"threadId": _id()}),
        ("thread/get_thread_author", {"threadId": _id()}),
        ("element/get_element", {"threadId": _id(), "elementId": _id()}),
        # the Lucene queries' size classes for a short word, most searches, and long ones
        *(("thread/search_threads", {**first_page, **found(text)})
          for text in ("hello", "hello world", "neo4j graph layer demo")),
        ("thread/search_threads", {**next_page, **found("hello world")}),
        ("step/get_favorite_steps", {"userId": user_id}),
        ("feedback/delete_feedback", {"feedbackId": _id()}),
        ("element/delete_element", {"elementId": _id(), "threadId": _id()}),
        ("step/delete_step", {"stepId": _id()}),
        ("thread/delete_thread", {"threadId": _id(), "now": now}),
        (purge.QUERY, {"batch": 0}),  # a pending thread is locked, nothing removed
    ]


async def plan_queries(executor: Executor) -> int:
    """Rehearse every sample, in order; return how many ran. Best effort: a failure is logged
    as a warning and ends it (the calls then plan what is left, and report their own errors),
    but for a write refused to this user or on this server, which is skipped. Other errors (a
    sample that no longer fits its query file) are raised."""
    start = time.perf_counter()
    done = 0
    for name, params in samples():
        try:
            await executor.rehearse(name, params)
        except (Neo4jError, DriverError) as err:
            if write_refused(err):  # skipped, and the reads still planned
                log.warning("graph_layer: cypher/%s.cypher not planned ahead: %s", name, err)
                continue
            log.warning("graph_layer: planning queries ahead stopped at cypher/%s.cypher: %s",
                        name, err)
            return done
        done += 1
    log.info("graph_layer: %d queries planned ahead in %.1f s", done,
             time.perf_counter() - start)
    return done
