"""Plan the layer's queries before their first call (``Neo4jDataLayer.setup`` runs it).

On a server that has just started, the first call of each query waits for its planning on a
cold JVM: 0.2-1.4 s each here, and 3.5-6.4 s over a first visit's calls against 0.35-0.46 s
planned ahead (``python -m benchmarks.cold_start``; docs/performance.md, change 26). The
server caches a plan per query text and per set of parameter types, where a string or list
parameter's type includes its size class (1, 2-10, 11-100, 101-1000, ... items or
characters): a group commit of two rows is planned again after one of one row. ``samples``
gives each query the parameters the layer sends, one set per size class a first visit
reaches, and ``plan_queries`` runs each in a transaction that is rolled back
(``Executor.rehearse``): the plan is cached and nothing is written. An ``EXPLAIN`` would cache
less: the next real call still took 150 ms on the server here, against about 1 s.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from graph_layer import cursor, search
from graph_layer.convert import iso_utc, utc_now
from graph_layer.executor import Executor
from graph_layer.steps import step_params
from graph_layer.threads import thread_props

log = logging.getLogger("graph_layer")

Sample = tuple[str, dict[str, Any]]
_CURSOR = ("cursorTime", "cursorId")


def _id() -> str:
    return str(uuid.uuid4())


def _rows(make: Any) -> list[dict[str, Any]]:
    """``rows`` of one and of two rows: a lone write and the smallest group commit."""
    return [{"rows": [make()]}, {"rows": [make(), make()]}]


def samples() -> list[Sample]:
    """(query name, parameters) for every query a user's calls run, in the order a first
    visit reaches them: login, sidebar, a conversation, its rating, resume, search, deletes.
    Ids are fresh: nothing matches them."""
    now = iso_utc(utc_now())

    def user() -> dict[str, Any]:
        return {"identifier": _id(), "newId": _id(), "now": now, "metadata": "{}",
                "displayName": None}

    def thread() -> dict[str, Any]:
        return {"threadId": _id(), "userId": None, "props": thread_props("warm-up", None, None),
                "now": now}

    def step() -> dict[str, Any]:
        return step_params({"id": _id(), "threadId": _id(), "type": "assistant_message",
                            "name": "warm-up", "output": "warm-up", "createdAt": now,
                            "start": now, "end": now, "metadata": {}})

    def element() -> dict[str, Any]:
        return {"threadId": _id(), "elementId": _id(), "forId": _id(),
                "props": {"name": "warm-up", "type": "file", "display": "inline"}, "now": now}

    def feedback() -> dict[str, Any]:
        return {"forId": _id(), "feedbackId": None, "newId": _id(), "value": 1,
                "comment": None, "now": now}

    user_id = _id()
    page = {"userId": user_id, "feedback": None, "first": 35}
    first_page = {**page, **dict(zip(_CURSOR, cursor.decode(None), strict=True))}
    next_page = {**page, **dict(zip(_CURSOR, cursor.decode(cursor.encode(now, _id())),
                                    strict=True))}

    def found(text: str) -> dict[str, Any]:
        names, messages = search.lucene_queries(text, user_id) or ("", "")
        return {"names": names, "messages": messages}
    return [
        # identifiers of 2-10 and of 11-100 characters ("admin", an email address)
        *(("user/get_user", {"identifier": name}) for name in ("warm-up", f"{_id()}@example.com")),
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
    ]


async def plan_queries(executor: Executor) -> int:
    """Rehearse every sample, in order; return how many ran. Best effort: the first failure
    is logged as a warning and ends it (the calls themselves plan what is left, and report
    their own errors)."""
    start = time.perf_counter()
    done = 0
    for name, params in samples():
        try:
            await executor.rehearse(name, params)
        except Exception as err:  # an optimisation: it must never break the app
            log.warning("graph_layer: planning queries ahead stopped at cypher/%s.cypher: %s",
                        name, err)
            return done
        done += 1
    log.info("graph_layer: %d queries planned ahead in %.1f s", done,
             time.perf_counter() - start)
    return done
