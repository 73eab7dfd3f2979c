"""``python -m benchmarks.driver_split``: what the server takes and what the driver adds.

Each line runs one of the layer's queries with the parameters the layer sends, two ways taking
turns (blocks of calls after unrecorded ones, as ``benchmarks.auto_commit`` does):

- **raw Bolt**: ``benchmarks.raw_bolt``, a bare client that sends RUN and PULL and reads the
  replies without decoding the records: the server's work, the commit and the wire;
- **driver**: ``Executor.auto_commit`` as the layer calls it (the official async driver with
  its session, bookmarks and decoding; for the resume, every row read, then none mapped:
  since change 28 the layer maps each row of steps as it arrives, see
  ``benchmarks.resume_rows``).

Printed per line: p50 / p95 ms and the client's CPU per call of each way, and the driver's p50
minus the raw one. The lines: the benchmark's trivial read and write (the floor), a new user,
a thread renamed, a new assistant message, a new tool step, the same message written again (an
``update_step`` that changes nothing), feedback on a step, and a resume of a 200-step thread
(bulk-loaded here). Then the trivial write and the new message 20 at a time (20 raw
connections against the driver's pool).

Run it against a scratch ``NEO4J_URI`` (plain ``bolt://``): it leaves the users it created, a
``driver-split`` user and the tombstones of its two threads.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import neo4j
import typer
from chainlit.user import User

from benchmarks import data as ds
from benchmarks.auto_commit import compare_lines, probe_main
from benchmarks.cost_split import Way
from benchmarks.peers import Neo4jPeer, scratch_peer
from benchmarks.raw_bolt import RawBolt
from graph_layer import queries
from graph_layer.context import use_http_context
from graph_layer.convert import iso_utc, utc_now
from graph_layer.settings import Neo4jSettings
from graph_layer.steps import step_params

Params = Callable[[int], dict[str, Any]]


class RawPool:
    """Raw connections handed to one call at a time."""

    def __init__(self, conns: list[RawBolt]) -> None:
        self.conns = conns
        self.idle: asyncio.Queue[RawBolt] = asyncio.Queue()
        for conn in conns:
            self.idle.put_nowait(conn)

    async def run(self, query: str, params: dict[str, Any], read: bool) -> None:
        conn = await self.idle.get()
        try:
            await conn.run(query, params, read)
        finally:
            self.idle.put_nowait(conn)


@asynccontextmanager
async def raw_pool(size: int) -> AsyncIterator[RawPool]:
    settings = Neo4jSettings()
    conns = [await RawBolt.connect(settings.uri, settings.auth, settings.database)
             for _ in range(size)]
    try:
        yield RawPool(conns)
    finally:
        for conn in conns:
            await conn.close()


def two_ways(peer: Neo4jPeer, pool: RawPool, text: str, params: Params,
             read: bool = False) -> dict[str, Way]:
    """The same query with fresh parameters per call, through raw Bolt and through the driver."""
    executor, query = peer.ours.executor, neo4j.Query(text)
    mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
    return {
        "raw Bolt": lambda i: pool.run(text, params(i), read),
        "driver": lambda i: executor.auto_commit("driver-split", query, params(i), mode),
    }


async def probe(warm: int, blocks: int, block: int) -> None:
    async with scratch_peer() as peer, raw_pool(20) as pool:
        layer = peer.ours
        await layer.setup()
        user = await layer.create_user(User(identifier="driver-split"))
        assert user is not None
        thread_id = f"driver-split-{uuid.uuid4()}"
        use_http_context(thread_id)
        await layer.update_thread(thread_id, name="driver-split", user_id=user.id)
        run_id = str(uuid.uuid4())
        await layer.create_step({"id": run_id, "threadId": thread_id, "type": "run",
                                 "name": "on_message", "createdAt": iso_utc(utc_now())})
        resume = ds.conversation("driver-split", str(uuid.uuid4()), 200, ds.BASE_TIME)
        await peer.load(resume)
        await peer.settle()

        def step(kind: str, text: str) -> dict[str, Any]:
            now = utc_now()
            return step_params({
                "id": str(uuid.uuid4()), "threadId": thread_id, "parentId": run_id,
                "type": kind, "name": "Assistant" if kind.endswith("message") else "search",
                "output": text, "createdAt": now, "start": now, "end": now, "metadata": {},
                "isError": False, "streaming": False, "waitForAnswer": False})

        answer = "Here is what I found. " * 10
        again = step("assistant_message", answer)
        q = queries.get
        lines = {
            "trivial read": two_ways(peer, pool, peer.FLOOR_READ, lambda i: {}, read=True),
            "trivial write": two_ways(peer, pool, peer.FLOOR_WRITE, lambda i: {"v": i}),
            "upsert_user (new user)": two_ways(
                peer, pool, q("user/upsert_user").text, lambda i: {"rows": [{
                    "identifier": f"driver-split-{uuid.uuid4()}", "newId": str(uuid.uuid4()),
                    "now": iso_utc(utc_now()), "metadata": "{}", "displayName": None}]}),
            "update_thread (rename)": two_ways(
                peer, pool, q("thread/update_thread").text, lambda i: {"rows": [{
                    "threadId": thread_id, "userId": user.id, "props": {"name": f"name {i}"},
                    "now": iso_utc(utc_now())}]}),
            "upsert_step (new message)": two_ways(
                peer, pool, q("step/upsert_step").text,
                lambda i: {"rows": [step("assistant_message", answer)]}),
            "upsert_step (new tool step)": two_ways(
                peer, pool, q("step/upsert_step").text,
                lambda i: {"rows": [step("tool", answer)]}),
            "upsert_step (same again)": two_ways(
                peer, pool, q("step/upsert_step").text, lambda i: {"rows": [again]}),
            "upsert_feedback": two_ways(
                peer, pool, q("feedback/upsert_feedback").text, lambda i: {"rows": [{
                    "forId": run_id, "feedbackId": None, "newId": str(uuid.uuid4()),
                    "value": i % 2, "comment": None, "now": iso_utc(utc_now())}]}),
            "get_thread (200 steps)": two_ways(
                peer, pool, q("thread/get_thread").text,
                lambda i: {"threadId": resume.threads[0].id}, read=True),
        }
        try:
            await compare_lines(
                lines, ("trivial write", "upsert_step (new message)"), warm, blocks, block,
                note=lambda p50: f"the driver adds {p50['driver'] - p50['raw Bolt']:5.2f} ms")
        finally:
            await layer.delete_thread(thread_id)
            await layer.delete_thread(resume.threads[0].id)


main = probe_main(probe, "raw Bolt and driver")

if __name__ == "__main__":
    typer.run(main)
