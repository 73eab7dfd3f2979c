"""``python -m benchmarks.fulltext_refresh``: what refreshing the full-text indexes after every
write costs.

The search's full-text indexes are eventually consistent (``cypher/schema/004_fulltext.cypher``):
Lucene is updated just after commit. With Neo4j's default
``db.index.fulltext.eventually_consistent_refresh_interval`` of ``0s`` the thread applying those
updates also refreshes the index (opens a new reader) after each batch: on a server writing
one message at a time, a tiny Lucene segment per write, which Lucene's merge threads then
merge. With ``1s`` (what ``graph-layer neo4j start`` and the benchmark's own server use) a
timer refreshes at most once a second, and a search refreshes first anyway
(``awaitEventuallyConsistentIndexRefresh()``), so it still sees every write.

Starts a server with each value side by side (``benchmarks.setting_ab``: blocks taking turns,
then a wait of ``--settle`` seconds so the merges a block leaves count as its server CPU).
The calls, through the layer: ``create_step`` of a new message with text (indexed), 20 of them
at once to 20 threads (as 20 sessions write; the time is for all 20), of a tool step with the
same text (not indexed: the same write without the index), and a new message followed at once
by a search for its word (the search then pays the refresh).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import typer
from chainlit.types import Pagination, ThreadFilter

from benchmarks.peers import Neo4jPeer
from benchmarks.setting_ab import REVERSE_HELP, Call, compare
from benchmarks.workloads import new_message
from graph_layer.context import use_http_context

SETTING = "db.index.fulltext.eventually_consistent_refresh_interval"
VALUES = ("0s", "1s")
SESSIONS = 20
TEXT = "Here is what I found. " * 12


async def calls(peer: Neo4jPeer) -> dict[str, Call]:
    """The measured calls against one server, on threads of a user of its own (also
    ``benchmarks.jvm_flags``' calls)."""
    from chainlit.user import User

    layer = peer.ours
    await layer.setup()
    user = await layer.create_user(User(identifier=f"fulltext-refresh-{uuid.uuid4()}"))
    assert user is not None
    threads = [f"fulltext-refresh-{uuid.uuid4()}" for _ in range(SESSIONS)]
    thread_id = threads[0]
    use_http_context(thread_id)  # create_step is queued outside a Chainlit context
    for thread in threads:
        await layer.update_thread(thread, name="fulltext refresh", user_id=user.id)

    def step(kind: str, text: str, thread: str = thread_id) -> Any:
        return new_message(thread, None, kind, "Assistant", text)

    async def message(i: int) -> None:
        await layer.create_step(step("assistant_message", TEXT))

    async def messages_at_once(i: int) -> None:  # 20 sessions, each writing to its thread
        await asyncio.gather(*(layer.create_step(step("assistant_message", TEXT, thread))
                               for thread in threads))

    async def tool(i: int) -> None:
        await layer.create_step(step("tool", TEXT))

    async def message_then_search(i: int) -> None:
        word = f"w{uuid.uuid4().hex}"
        await layer.create_step(step("assistant_message", f"{TEXT}{word}"))
        page = await layer.list_threads(Pagination(first=5),
                                        ThreadFilter(userId=user.id, search=word))
        assert [t["id"] for t in page.data] == [thread_id], "the search missed a write"

    return {"create_step (a message)": message, "20 messages at once": messages_at_once,
            "create_step (a tool step)": tool, "a message, then its search": message_then_search}


def main(warm: int = typer.Option(2000, help="Unrecorded calls of each kind first."),
         blocks: int = typer.Option(6, help="Rounds of blocks taking turns."),
         block: int = typer.Option(50, help="Calls per block."),
         settle: float = typer.Option(2.0, help="Seconds to wait after each block."),
         reverse: bool = typer.Option(False, help=REVERSE_HELP)) -> None:
    """Start a server with each refresh interval, compare the calls' latency and CPU."""
    compare(SETTING, VALUES, calls, warm=warm, blocks=blocks, block=block, settle=settle,
            reverse=reverse)


if __name__ == "__main__":
    typer.run(main)
