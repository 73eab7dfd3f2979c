"""100 concurrent simulated Chainlit sessions writing full conversations, out of order.

Each session owns a thread; within a turn every write is fired at once in a shuffled order (as
Chainlit's fire-and-forget tasks race), and all sessions also burst steps and metadata merges
into one shared thread. Afterwards the graph must hold exactly what was written.
"""

from __future__ import annotations

import asyncio
import os
import random
import time

import pytest
from chainlit.user import User
from neo4j import AsyncDriver

from graph_layer import Neo4jDataLayer
from graph_layer.storage import LocalFileStorageClient
from tests.conftest import query as rows
from tests.factories import message, new_id
from tests.reliability.conftest import RetryCounter
from tests.reliability.conversation import Expected, Write, feedback, run_id_of, turn
from tests.reliability.graphcheck import integrity, missing

pytestmark = pytest.mark.slow

SESSIONS = int(os.environ.get("GRAPH_LAYER_LOAD_SESSIONS", "100"))
USERS = 20
TURNS = 1
BURST_STEPS = 2  # per session, into the shared thread


async def test_100_concurrent_sessions_lose_nothing(
    slayer: Neo4jDataLayer, driver: AsyncDriver, storage: LocalFileStorageClient,
    retries: RetryCounter,
) -> None:
    rng = random.Random(6)
    users = [await slayer.create_user(User(identifier=f"load-{u}")) for u in range(USERS)]
    user_ids = [u.id for u in users if u is not None]
    expected = Expected()
    burst_thread = new_id()
    await slayer.update_thread(burst_thread, name="burst", user_id=user_ids[0])
    calls = 0
    errors: list[BaseException] = []

    async def fire(writes: list[Write]) -> None:
        nonlocal calls
        calls += len(writes)
        results = await asyncio.gather(*(w.apply(slayer) for w in writes),
                                       return_exceptions=True)
        errors.extend(r for r in results if isinstance(r, BaseException))

    async def session(n: int) -> None:
        thread_id = new_id()
        owner = user_ids[n % USERS]
        for i in range(TURNS):
            writes = turn(thread_id, i, expected, tag=f"s{n}-")
            if i == 0:  # first interaction: races the user message's create_step
                writes.append(Write("update_thread", (thread_id, f"session {n}", owner, None)))
            burst = [message(burst_thread, 1000 + n + k / 10, output=f"burst {n}.{k}")
                     for k in range(BURST_STEPS if i == 0 else 0)]
            for snap in burst:
                expected.steps[snap["id"]] = snap
                writes.append(Write("create_step", (snap,), snap["id"]))
            if i == 0:
                key = f"session{n}"
                expected.metadata.setdefault(burst_thread, {})[key] = {"n": n}
                writes.append(Write("update_thread", (burst_thread, None, None, {key: {"n": n}})))
            rng.shuffle(writes)
            await fire(writes)
            await fire([feedback(thread_id, run_id_of(writes), (n + i) % 2, expected)])

    began = time.monotonic()
    await asyncio.gather(*(session(n) for n in range(SESSIONS)))
    duration = time.monotonic() - began

    print(f"\n[reliability/load] {SESSIONS} sessions ({USERS} users), {calls} calls, "
          f"errors {len(errors)}, driver retries {retries.retries} {retries.reasons}, "
          f"duration {duration:.1f}s ({calls / duration:.0f} calls/s)")
    assert errors == [], errors[:3]
    counts = (await rows(driver, """
        RETURN COUNT { (:User) } AS users, COUNT { (:Thread) } AS threads,
               COUNT { (:Step) } AS steps, COUNT { (:Element) } AS elements,
               COUNT { (:Feedback) } AS feedback, COUNT { ()-[:AUTHORED]->() } AS authored,
               COUNT { (:Thread)-[:CONTAINS]->(:Step) } AS threadSteps,
               COUNT { (:Thread)-[:CONTAINS]->(:Element) } AS threadElements,
               COUNT { (:Step)-[:CONTAINS]->(:Element) } AS stepElements,
               COUNT { ()-[:PARENT_OF]->() } AS parents, COUNT { ()-[:RATED]->() } AS rated,
               COUNT { (s:Step) WHERE s.placeholder } AS placeholders"""))[0]
    n_steps = len(expected.steps)
    n_elements = len(expected.elements)
    assert counts == {
        "users": USERS, "threads": SESSIONS + 1, "steps": n_steps, "elements": n_elements,
        "feedback": len(expected.feedback), "authored": SESSIONS + 1, "threadSteps": n_steps,
        "threadElements": n_elements, "stepElements": n_elements,
        "parents": expected.parents, "rated": len(expected.feedback), "placeholders": 0,
    }
    lost = await missing(driver, expected)
    print({k: v[:2] for k, v in lost.items()}, {k: len(v) for k, v in lost.items()})
    assert lost == {"steps": [], "elements": [], "feedback": [], "metadata": []}
    assert set((await integrity(driver)).values()) == {0}
    files = [p for p in storage.root.rglob("*") if p.is_file() and p.suffix != ".json"]
    assert len(files) == n_elements
    print(f"[reliability/load] {n_steps} steps, {n_elements} elements+files, "
          f"{len(expected.feedback)} feedback, {sum(map(len, expected.metadata.values()))} "
          "thread metadata keys written; items lost 0")
