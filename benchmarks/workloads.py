"""The measured workloads: every layer gets the same BaseDataLayer calls in a Chainlit context."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chainlit import utils as chainlit_utils
from chainlit.element import File
from chainlit.types import Feedback, Pagination, ThreadFilter

from benchmarks.data import SEARCH_WORD
from benchmarks.peers import Neo4jPeer, Peer
from graph_layer import Neo4jDataLayer
from graph_layer.context import use_http_context
from graph_layer.executor import QueryTiming, timing_log

#: Chainlit's own timestamp (``isoformat() + "Z"``; untyped in Chainlit), as its calls send it.
utc_now: Callable[[], str] = chainlit_utils.utc_now

log = logging.getLogger(__name__)


@dataclass
class Line:
    """Latencies of one call in one workload line for one layer."""

    workload: str
    call: str
    layer: str
    ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    calls: int = 0  # calls in the workload (for calls/s)
    note: str = ""


@dataclass
class Recorder:
    lines: dict[tuple[str, str, str], Line] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    raised: list[dict[str, Any]] = field(default_factory=list)  # the findings of ``fired``
    walls: dict[tuple[str, str], float] = field(default_factory=dict)  # (workload, layer): s

    def line(self, workload: str, call: str, layer: str) -> Line:
        key = (workload, call, layer)
        if key not in self.lines:
            self.lines[key] = Line(workload, call, layer)
        return self.lines[key]

    async def timed(self, workload: str, call: str, layer: str, coro: Awaitable[Any]) -> Any:
        start = time.perf_counter()
        result = await coro
        self.line(workload, call, layer).ms.append((time.perf_counter() - start) * 1000)
        return result

    async def fired(self, workload: str, call: str, layer: str, coro: Awaitable[Any]) -> None:
        """``timed`` for a write Chainlit fires and forgets: a failure is logged there and the
        conversation goes on, so a peer's failure becomes a finding (and no sample) and the
        workload goes on. Ours still ends the run: it is a bug to fix, not a figure."""
        try:
            await self.timed(workload, call, layer, coro)
        except Exception as err:  # any failure of a peer is the finding
            if layer == Neo4jPeer.name:
                raise
            log.warning("bench: %s %s raised %r", layer, call, err)
            self.raised.append(self.finding(layer, workload, False,
                                            f"{call} raised {type(err).__name__}: {err}"))

    def finding(self, layer: str, workload: str, ok: bool, what: str) -> dict[str, Any]:
        """Record a finding once (a workload run in rounds finds the same thing each round)."""
        entry = {"layer": layer, "workload": workload, "ok": ok, "what": what}
        if entry not in self.findings:
            self.findings.append(entry)
        return entry

    def close_workload(self, workload: str, layer: str, wall: float) -> None:
        """Add ``wall`` seconds to the workload's time for ``layer`` (a workload run in rounds
        is closed once per round) and give each of its lines that time and every call it has
        recorded so far (a line first seen in a later round, too)."""
        self.walls[workload, layer] = self.walls.get((workload, layer), 0.0) + wall
        lines = [ln for ln in self.lines.values() if ln.workload == workload and ln.layer == layer]
        total = sum(len(ln.ms) for ln in lines)
        for ln in lines:
            ln.wall_s, ln.calls = self.walls[workload, layer], total


# -- chat -------------------------------------------------------------------------------------

async def chat(peer: Peer, rec: Recorder, sessions: int, turns: int, tag: str,
               rounds: int = 1, workload: str | None = None) -> dict[str, int]:
    """``rounds`` waves, one after the other, of ``sessions`` concurrent conversations of
    ``turns`` turns of Chainlit's call pattern (more rounds: more samples of the calls made
    once per conversation), recorded as ``workload`` (by default ``chat_workload``'s name);
    returns the rows they should have added. ``tag`` names the users: a new one per call."""
    workload = workload or chat_workload(sessions, turns, rounds)
    layer = peer.layer
    name = peer.name

    async def one(i: int) -> None:
        thread_id = str(uuid.uuid4())
        use_http_context(thread_id)  # this task's own context (tasks copy the context)
        user = await rec.timed(workload, "create_user", name,
                               layer.create_user(_user(f"chat-{tag}-{i}")))
        for turn in range(turns):
            text = f"session {i} turn {turn}: what about item {turn * 13 % 97}?"
            msg = new_message(thread_id, None, "user_message", "User", text)
            if turn == 0:  # the first-interaction update_thread races the user message
                await asyncio.gather(
                    rec.fired(workload, "create_step", name, layer.create_step(msg)),
                    rec.fired(workload, "update_thread", name, layer.update_thread(
                        thread_id, name=text, user_id=user.id)))
            else:
                await rec.fired(workload, "create_step", name, layer.create_step(msg))
            run = new_step(thread_id, msg["id"], "run", "on_message", "", "")
            await rec.fired(workload, "create_step", name, layer.create_step(run))
            tool = new_step(thread_id, run["id"], "tool", "search", '{"q": "item"}', "")
            await rec.fired(workload, "create_step", name, layer.create_step(tool))
            tool.update(output="result " * 30, end=utc_now())
            await rec.fired(workload, "update_step", name, layer.update_step(tool))
            answer = new_message(thread_id, run["id"], "assistant_message", "Assistant", "")
            await rec.fired(workload, "create_step", name, layer.create_step(answer))
            answer.update(output="Here is what I found. " * 12)
            await rec.fired(workload, "update_step", name, layer.update_step(answer))
            if turn % 3 == 0:
                element = File(name=f"notes-{turn}.txt", content=b"x" * 512, mime="text/plain",
                               display="inline", for_id=answer["id"], thread_id=thread_id)
                await rec.fired(workload, "create_element", name, layer.create_element(element))
            run.update(output="done", end=utc_now())
            await rec.fired(workload, "update_step", name, layer.update_step(run))
            if turn % 2 == 1:
                await rec.fired(workload, "upsert_feedback", name, layer.upsert_feedback(
                    Feedback(forId=run["id"], threadId=thread_id, value=1, comment="good")))
        await rec.fired(workload, "update_thread", name, layer.update_thread(
            thread_id, metadata={"id": str(uuid.uuid4()), "env": {}, "chat_settings": {},
                                 "chat_profile": None, "client_type": "webapp", "user": None}))

    start = time.perf_counter()
    for wave in range(rounds):
        await asyncio.gather(*(one(wave * sessions + i) for i in range(sessions)))
    rec.close_workload(workload, name, time.perf_counter() - start)
    n = sessions * rounds
    return {"threads": n, "steps": n * turns * 4, "elements": n * len(range(0, turns, 3)),
            "feedbacks": n * (turns // 2)}


def chat_workload(sessions: int, turns: int, rounds: int = 1) -> str:
    """The chat workload's name: ``chat SxT``, and ``xR`` for R rounds."""
    return f"chat {sessions}x{turns}" + (f"x{rounds}" if rounds > 1 else "")


def _user(identifier: str) -> Any:
    from chainlit.user import User

    return User(identifier=identifier)


def new_message(thread_id: str, parent: str | None, kind: str, name: str, output: str) -> Any:
    """A new message's StepDict as Chainlit sends it (a full snapshot, timestamps now)."""
    now = utc_now()
    return {"id": str(uuid.uuid4()), "threadId": thread_id, "parentId": parent,
            "createdAt": now, "start": now, "end": now, "output": output, "name": name,
            "type": kind, "language": None, "streaming": False, "isError": False,
            "waitForAnswer": False, "metadata": {}, "tags": None, "command": None,
            "modes": None}


def new_step(thread_id: str, parent: str | None, kind: str, name: str, input_: str,
             output: str) -> Any:
    """A new run/tool/llm step's StepDict as Chainlit sends it (not ended yet)."""
    now = utc_now()
    return {"id": str(uuid.uuid4()), "threadId": thread_id, "parentId": parent, "name": name,
            "type": kind, "streaming": False, "metadata": {}, "tags": None, "input": input_,
            "output": output, "isError": False, "createdAt": now, "start": now, "end": None,
            "language": None, "defaultOpen": False, "autoCollapse": False, "showInput": "json",
            "generation": None}


# -- sidebar ----------------------------------------------------------------------------------

async def _repeat(reps: int, budget: float, body: Callable[[], Awaitable[Any]]) -> int:
    start, done = time.perf_counter(), 0
    while done < reps and (done < 2 or time.perf_counter() - start < budget):
        await body()
        done += 1
    return done


async def sidebar(peer: Peer, rec: Recorder, user: str, expected: list[str],
                  expected_search: list[str], reps: int, budget: float, label: str,
                  max_pages: int | None = None) -> None:
    """First page, first search page, and paging through every thread (only the first
    ``max_pages`` pages when given; none when 0)."""
    name, layer = peer.name, peer.layer
    uid = await peer.user_id(user)
    workload = f"sidebar {label}"

    async def first_page() -> None:
        page = await rec.timed(workload, "list_threads first=35", name, layer.list_threads(
            Pagination(first=35), ThreadFilter(userId=uid)))
        got = [t["id"] for t in page.data]
        first_page.ok = got == expected[:35]  # type: ignore[attr-defined]

    start = time.perf_counter()
    await _repeat(reps, budget, first_page)
    rec.close_workload(workload, name, time.perf_counter() - start)
    rec.finding(name, workload, first_page.ok,  # type: ignore[attr-defined]
                "first page = the 35 most recently active threads, in order")

    workload = f"sidebar {label} search"

    async def search_page() -> None:
        page = await rec.timed(workload, "list_threads search", name, layer.list_threads(
            Pagination(first=35), ThreadFilter(userId=uid, search=SEARCH_WORD)))
        search_page.got = [t["id"] for t in page.data]  # type: ignore[attr-defined]

    start = time.perf_counter()
    await _repeat(max(2, reps // 2), budget, search_page)
    rec.close_workload(workload, name, time.perf_counter() - start)
    got = search_page.got  # type: ignore[attr-defined]
    want = expected_search[:35]
    rec.finding(name, workload, set(got) == set(want),
                f"search {SEARCH_WORD!r}: {len(set(got) & set(want))}/{len(want)} expected "
                f"threads on page 1, {len(set(got) - set(want))} unexpected")

    if max_pages == 0:
        return
    workload = f"sidebar {label} paging"
    seen: list[str] = []
    cursor: str | None = None
    start = time.perf_counter()
    pages = 0
    while pages < (len(expected) // 35 + 3 if max_pages is None else max_pages):
        page = await rec.timed(workload, "list_threads next page", name, layer.list_threads(
            Pagination(first=35, cursor=cursor), ThreadFilter(userId=uid)))
        seen += [t["id"] for t in page.data]
        pages += 1
        if not page.pageInfo.hasNextPage or time.perf_counter() - start > budget * 3:
            break
        cursor = page.pageInfo.endCursor
    rec.close_workload(workload, name, time.perf_counter() - start)
    complete = not page.pageInfo.hasNextPage
    dupes = len(seen) - len(set(seen))
    ok = complete and dupes == 0 and set(seen) == set(expected)
    rec.finding(name, workload, ok,
                f"paged {pages} pages: {len(set(seen))}/{len(expected)} threads seen, "
                f"{dupes} duplicates" + ("" if complete else " (stopped at the time budget)"))


# -- resume / delete --------------------------------------------------------------------------

async def resume(peer: Peer, rec: Recorder, thread_id: str, n_steps: int, n_elements: int,
                 n_feedback: int, reps: int, budget: float, label: str) -> None:
    name, layer = peer.name, peer.layer
    workload = f"resume {label}"

    async def body() -> None:
        body.thread = await rec.timed(workload, "get_thread", name,  # type: ignore[attr-defined]
                                      layer.get_thread(thread_id))

    start = time.perf_counter()
    await _repeat(reps, budget, body)
    rec.close_workload(workload, name, time.perf_counter() - start)
    thread = body.thread  # type: ignore[attr-defined]
    steps = thread["steps"] if thread else []
    rated = sum(1 for s in steps if s.get("feedback"))
    elements = len(thread.get("elements") or []) if thread else 0
    ok = len(steps) == n_steps and elements == n_elements and rated == n_feedback
    rec.finding(name, workload, ok, f"{len(steps)}/{n_steps} steps, {elements}/{n_elements} "
                f"elements, {rated}/{n_feedback} feedback")


async def warm_up(peer: Peer, rec: Recorder, rounds: int, seconds: float,
                  sidebar_args: tuple[str, list[str], list[str]],
                  resume_args: tuple[str, int, int, int]) -> tuple[int, int]:
    """``rounds`` unrecorded rounds of the measured calls (a 20-session chat, a one-session
    chat, a delete, a sidebar page, its next page and a search, a resume, floor calls),
    stopping early after ``seconds`` (``Peer.fresh_plans`` after two thirds of them); returns
    the rounds and calls made. The same for every layer: a JVM server (Neo4j) compiles its
    hot paths only after thousands of calls (the trivial read went from 11.4 ms to 1.4 ms p50
    over the first 32,000 on this machine: ``python -m benchmarks.warmup_curve``), plans a
    query once per size class of its list parameters (a lone write's one row, a wave's
    twenty), and pools grow to the measured concurrency. A write that raised
    is a finding in ``rec`` (workload ``warm-up``)."""
    scratch = Recorder()

    async def one_round(tag: str) -> None:
        await chat(peer, scratch, 20, 2, f"warmup-{tag}")  # as many sessions as measured
        # and one alone: a lone write's one row is another size class than twenty writes'
        # batch (before change 32 the measured line's first lone create_user planned it: its
        # p99 was 32-80 ms in every full run)
        await chat(peer, scratch, 1, 2, f"warmup-one-{tag}")
        doomed = str(uuid.uuid4())  # delete_thread's query is planned here, not when measured
        await peer.layer.update_thread(doomed, name="warm-up")
        await scratch.timed("warmup", "delete_thread", peer.name, peer.layer.delete_thread(doomed))
        # two pages: a next page's query has a cursor, and the server plans a query once per
        # set of parameter types (the first page sends no cursor time)
        await sidebar(peer, scratch, *sidebar_args, 1, 1.0, "warmup", max_pages=2)
        await resume(peer, scratch, *resume_args, 1, 1.0, "warmup")
        if peer.has_floor:
            await floor(peer, scratch, 50)

    deadline = time.monotonic() + seconds
    done = 0
    while done < rounds and time.monotonic() < deadline:
        if done == rounds * 2 // 3:
            # plan every query again on a graph near its measured size, with a third of the
            # rounds left to warm the new plans' code up (see Peer.fresh_plans)
            await peer.fresh_plans()
        await one_round(str(done))
        done += 1
    for raised in scratch.raised:
        rec.finding(raised["layer"], "warm-up", False, raised["what"])
    return done, sum(len(ln.ms) for ln in scratch.lines.values())


async def delete(peer: Peer, rec: Recorder, thread_ids: list[str], label: str) -> None:
    name, layer = peer.name, peer.layer
    workload = f"delete {label}"
    start = time.perf_counter()
    for tid in thread_ids:
        await peer.settle()  # not the previous delete's background work
        await rec.timed(workload, "delete_thread", name, layer.delete_thread(tid))
        returned = time.perf_counter()
        if await peer.after_delete():  # what the call left to the background (ours: the purge)
            rec.line("background", f"purge after delete_thread ({label})", name).ms.append(
                (time.perf_counter() - returned) * 1000)
    rec.close_workload(workload, name, time.perf_counter() - start)
    gone = [await layer.get_thread(tid) for tid in thread_ids]
    rec.finding(name, workload, all(t is None for t in gone),
                f"{sum(t is None for t in gone)}/{len(thread_ids)} deleted threads gone")


class _ServerTimes(logging.Handler):
    def __init__(self, rec: Recorder, layer: str, label: str) -> None:
        super().__init__(logging.DEBUG)
        self.rec, self.layer, self.label = rec, layer, label

    def emit(self, record: logging.LogRecord) -> None:
        timing = QueryTiming.of(record)
        if timing is not None and not math.isnan(timing.server_ms):  # NaN: the server gave none
            self.rec.line("server time", f"cypher/{timing.query}{self.label}",
                          self.layer).ms.append(timing.server_ms)


@contextlib.contextmanager
def server_times(rec: Recorder, peer: Peer, label: str, layer: str | None = None
                 ) -> Iterator[None]:
    """Record the server's own time (to the first row, then to the last) of every query our
    layer runs in the block, from the executor's timing log: workload ``server time``, call
    ``cypher/<query><label>``, layer ``layer`` (the peer's name by default); what a call costs
    beyond that is the driver, the client, the network and the host. Nothing for another
    peer."""
    if not isinstance(peer.layer, Neo4jDataLayer):
        yield
        return
    handler = _ServerTimes(rec, layer or peer.name, label)
    level, propagate = timing_log.level, timing_log.propagate
    timing_log.setLevel(logging.DEBUG)
    timing_log.propagate = False  # the run's own log stays at INFO
    timing_log.addHandler(handler)
    try:
        yield
    finally:
        timing_log.removeHandler(handler)
        timing_log.setLevel(level)
        timing_log.propagate = propagate


async def floor(peer: Peer, rec: Recorder, reps: int, label: str = "") -> None:
    """The smallest read and write transaction of the peer's database (calls ``trivial read``
    and ``trivial write tx``, and the peer's ``floor_extras``, then ``label``)."""
    name = peer.database
    calls = {"trivial read": lambda i: peer.floor_read(), "trivial write tx": peer.floor_write,
             **await peer.floor_extras()}
    for call, fn in ((f"{call}{label}", fn) for call, fn in calls.items()):
        line = rec.line("floor", call, name)
        start = time.perf_counter()
        for i in range(reps):
            await rec.timed("floor", call, name, fn(i))
        line.wall_s += time.perf_counter() - start  # measured in rounds: the rounds' sum
        line.calls = len(line.ms)
