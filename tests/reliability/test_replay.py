"""Which writes are safe to repeat: replay every write of a recorded conversation twice, and
twice in a shuffled order, and the graph must come out identical to one in-order pass.

This is what makes a blind retry after a connection lost at COMMIT (``IncompleteCommit``, outcome
unknown) harmless: every write Chainlit fires is an idempotent, order-independent upsert.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from chainlit.user import User
from neo4j import AsyncDriver

import graph_layer.steps
import graph_layer.write_rows
from graph_layer import Neo4jDataLayer
from tests.conftest import Server, _wipe
from tests.factories import new_id
from tests.reliability.conversation import Expected, Write, feedback, run_id_of, turn
from tests.reliability.graphcheck import dump

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def recorded(user_id: str) -> tuple[list[Write], list[Write]]:
    """A conversation's racing writes (two threads, three turns) and the feedback clicks that
    follow them."""
    exp = Expected()
    racing: list[Write] = []
    clicks: list[Write] = []
    for t in range(2):
        thread_id = new_id()
        racing.append(Write("update_thread", (thread_id, f"thread {t}", user_id, None, ["chat"])))
        for i in range(3):
            writes = turn(thread_id, i, exp, tag=f"r{t}-")
            racing.extend(writes)
            clicks.append(feedback(thread_id, run_id_of(writes), i % 2, exp))
        racing.append(Write("update_thread",
                            (thread_id, None, None, {"is_shared": True, "env": {}})))
    return racing, clicks


def explain(a: list[str], b: list[str]) -> None:
    """Print which properties differ between two dumps (node by node)."""
    import json

    def nodes(d: list[str]) -> dict[str, dict[str, object]]:
        out = {}
        for line in d:
            item = json.loads(line)
            if isinstance(item[1], dict):
                out[item[1].get("id", "?")] = item[1]
            else:
                out[line] = {}
        return out

    na, nb = nodes(a), nodes(b)
    for key in sorted(set(na) | set(nb)):
        x, y = na.get(key), nb.get(key)
        if x != y:
            if x is None or y is None:
                print("only in one:", key[:200], "once" if y is None else "shuffled")
                continue
            diff = {k: (x.get(k), y.get(k)) for k in set(x) | set(y) if x.get(k) != y.get(k)}
            print("differs:", x.get("type") or x.get("name"), diff)


async def test_replayed_twice_and_shuffled_gives_the_same_graph(
    slayer: Neo4jDataLayer, driver: AsyncDriver, clean_db: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(graph_layer.write_rows, "utc_now", lambda: NOW)  # a fixed clock, not a mock
    monkeypatch.setattr(graph_layer.steps, "utc_now", lambda: NOW)
    racing, clicks = recorded("<user>")

    async def play(writes: list[Write]) -> list[str]:
        _wipe(clean_db)
        user = await slayer.create_user(User(identifier="replay"))
        assert user is not None
        for write in writes:
            args = tuple(user.id if a == "<user>" else a for a in write.args)
            await Write(write.method, args).apply(slayer)
        return await dump(driver)

    once = await play([*racing, *clicks])
    twice = await play([w for w in [*racing, *clicks] for _ in (0, 1)])
    orders = []
    for seed in range(3):
        shuffled = racing * 2
        random.Random(seed).shuffle(shuffled)
        orders.append(await play([*shuffled, *clicks, *clicks]))
    print(f"\n[reliability/replay] {len(racing) + len(clicks)} recorded writes; replayed twice "
          f"in order and twice in 3 shuffled orders: {len(once)} nodes+relationships, "
          f"{sum(d != once for d in [twice, *orders])} differing graphs")
    assert twice == once
    for graph in orders:
        explain(once, graph)
        assert (sorted(set(once) - set(graph)), sorted(set(graph) - set(once))) == ([], [])
