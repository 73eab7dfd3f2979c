"""One seeded database for the analytics tests: a bulk-written synthetic history plus a small
hand-built thread written through the layer, whose every number is known."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from chainlit.context import context_var
from neo4j import AsyncDriver

from graph_layer import Neo4jDataLayer, analytics
from graph_layer.analytics import AnalyticsDB
from graph_layer.context import use_http_context
from graph_layer.seed import ThreadSpec, UserSpec, bulk, iter_threads, make_users, through_layer
from tests.conftest import Server, _wipe

USERS, THREADS, SEED, DAYS = 25, 150, 5, 42
HAND_USER = UserSpec("hand@example.com", str(uuid.UUID(int=1)), "Hand", {}, 0)


def _step(thread: str, sid: str, parent: str | None, kind: str, name: str, start: str, end: str,
          **extra: object) -> dict[str, object]:
    step: dict[str, object] = {
        "id": sid, "threadId": thread, "parentId": parent, "type": kind, "name": name,
        "createdAt": start, "start": start, "end": end, "output": f"{name} out",
        "metadata": {}, "isError": False, "streaming": False,
    }
    step.update(extra)
    return step


def hand_thread() -> ThreadSpec:
    """Two turns on 2026-10-05 (ids h-a..h-i)::

        h-a user_message
          h-b run on_message
            h-c llm plan (gpt-4o, 100 + 20 tokens, 2000 ms)
            h-d tool calculator (1500 ms, error)
              h-e llm summarize (gpt-4o-mini, 10 + 5 tokens, 250 ms)
            h-f assistant_message  <- thumbs-down
        h-g user_message
          h-h run on_message
            h-i assistant_message  <- thumbs-up

    steps 9, depth 4, max branching 3, tool 1, llm 2, turns 2, errors 1.
    """
    t = "hand-thread"
    day = "2026-10-05T10:00:"
    gen = {"provider": "openai", "model": "gpt-4o", "inputTokenCount": 100,
           "outputTokenCount": 20}
    mini = {"provider": "openai", "model": "gpt-4o-mini", "inputTokenCount": 10,
            "outputTokenCount": 5}
    steps = [
        _step(t, "h-a", None, "user_message", "User", day + "00Z", day + "00Z"),
        _step(t, "h-b", "h-a", "run", "on_message", day + "01Z", day + "06Z"),
        _step(t, "h-c", "h-b", "llm", "plan", day + "01.500Z", day + "03.500Z", generation=gen),
        _step(t, "h-d", "h-b", "tool", "calculator", day + "04Z", day + "05.500Z", isError=True),
        _step(t, "h-e", "h-d", "llm", "summarize", day + "04.100Z", day + "04.350Z",
              generation=mini),
        _step(t, "h-f", "h-b", "assistant_message", "Assistant", day + "06Z", day + "06Z"),
        _step(t, "h-g", None, "user_message", "User", day + "30Z", day + "30Z"),
        _step(t, "h-h", "h-g", "run", "on_message", day + "31Z", day + "32Z"),
        _step(t, "h-i", "h-h", "assistant_message", "Assistant", day + "32Z", day + "32Z"),
    ]
    feedback = [
        {"id": "h-fb-down", "forId": "h-f", "threadId": t, "value": 0, "comment": "wrong"},
        {"id": "h-fb-up", "forId": "h-i", "threadId": t, "value": 1, "comment": None},
    ]
    return ThreadSpec(t, HAND_USER, "Hand-built thread", ["assistant"], {}, steps, [], feedback)


@dataclass
class Seeded:
    """The seeded database and the data written to it (the known truth)."""

    server: Server
    db: AnalyticsDB
    specs: list[ThreadSpec]


@pytest.fixture(scope="package")
def seed_specs() -> tuple[list[UserSpec], list[ThreadSpec]]:
    users = make_users(USERS, SEED, DAYS)
    return users, [*iter_threads(users, THREADS, SEED, DAYS), hand_thread()]


@pytest.fixture(scope="package")
async def seeded(neo4j_server: Server, driver: AsyncDriver,
                 seed_specs: tuple[list[UserSpec], list[ThreadSpec]]) -> AsyncIterator[Seeded]:
    """Wipe, bulk-write the synthetic threads, write the hand-built one through the layer."""
    users, specs = seed_specs
    _wipe(neo4j_server)
    layer = Neo4jDataLayer(driver=driver, database=neo4j_server.database)
    await layer.setup()
    ids = await bulk.write_users(layer.executor, users)
    await bulk.write_threads(layer.executor, specs[:-1], ids, batch_size=50)
    token = use_http_context()
    try:
        hand_ids = await through_layer.create_users(layer, [HAND_USER])
        await through_layer.write_thread(layer, specs[-1], hand_ids[HAND_USER.identifier])
    finally:
        context_var.reset(token)
    with analytics.connect(neo4j_server.uri, auth=neo4j_server.auth,
                           database=neo4j_server.database) as db:
        yield Seeded(neo4j_server, db, specs)

