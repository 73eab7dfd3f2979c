"""``python -m benchmarks.keep_alive``: what the server's Bolt keep-alive mode costs each call.

Starts two local Neo4j servers side by side, the same but for
``server.bolt.connection_keep_alive_for_requests``: ``ALL`` (Neo4j's default) and ``STREAMING``
(what ``graph-layer neo4j start`` and the benchmark's own server use). With ``ALL`` the server
also sends the ``connection.recv_timeout_seconds`` hint, and the Python driver then wraps each
socket read in ``asyncio.wait_for``: a task and a timer per read. With ``STREAMING`` the server
sends no hint and still sends keep-alive NOOPs while a result streams.

The calls (``benchmarks.setting_ab`` runs them, the servers taking turns): the benchmark's
floor (a trivial read, a trivial write transaction) and, through the layer, ``create_step`` of
a new message, 20 such calls at once to one thread (they queue on its lock; the time is for
all 20) and
``get_thread`` of a 20-step thread; what matters here is the client's CPU time per call.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import typer

from benchmarks.peers import Neo4jPeer
from benchmarks.setting_ab import REVERSE_HELP, Call, compare
from graph_layer.context import use_http_context
from graph_layer.convert import utc_now

SETTING = "server.bolt.connection_keep_alive_for_requests"
MODES = ("ALL", "STREAMING")


async def _calls(peer: Neo4jPeer) -> dict[str, Call]:
    """The measured calls against one server, after loading the thread they read."""
    layer = peer.ours
    await layer.setup()
    thread_id = f"keep-alive-{uuid.uuid4()}"
    use_http_context(thread_id)  # create_step is queued outside a Chainlit context
    await layer.update_thread(thread_id, name="keep-alive")

    def message(text: str) -> Any:
        now = utc_now()
        return {"id": str(uuid.uuid4()), "threadId": thread_id, "type": "assistant_message",
                "name": "Assistant", "output": text, "createdAt": now, "start": now,
                "end": now, "metadata": {}}

    for turn in range(20):
        await layer.create_step(message(f"turn {turn}: " + "some answer text " * 8))
    writes = f"keep-alive-writes-{uuid.uuid4()}"
    await layer.update_thread(writes, name="keep-alive writes")

    async def create_step(i: int) -> None:
        step = message("Here is what I found. " * 12)
        step["threadId"] = writes
        await layer.create_step(step)

    async def create_20_steps(i: int) -> None:  # 20 sessions writing at once
        await asyncio.gather(*(create_step(i) for _ in range(20)))

    async def get_thread(i: int) -> None:
        assert await layer.get_thread(thread_id) is not None

    async def floor_read(i: int) -> None:
        await peer.floor_read()

    return {"floor: trivial read": floor_read, "floor: trivial write tx": peer.floor_write,
            "create_step (a message)": create_step, "20 create_step at once": create_20_steps,
            "get_thread (20 steps)": get_thread}


def main(warm: int = typer.Option(300, help="Unrecorded calls of each kind first."),
         blocks: int = typer.Option(10, help="Rounds of blocks taking turns."),
         block: int = typer.Option(20, help="Calls per block."),
         reverse: bool = typer.Option(False, help=REVERSE_HELP)) -> None:
    """Start a server in each keep-alive mode, compare the calls' latency and CPU."""
    compare(SETTING, MODES, _calls, warm=warm, blocks=blocks, block=block, reverse=reverse)


if __name__ == "__main__":
    typer.run(main)
