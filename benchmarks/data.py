"""Deterministic background data, described once and bulk-loaded into every layer's own schema."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SEARCH_WORD = "zebracorn"
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class ThreadRow:
    id: str
    user: str  # the user's identifier; each layer maps it to its own user id
    name: str
    created_at: datetime
    last_activity: datetime


@dataclass
class StepRow:
    id: str
    thread_id: str
    parent_id: str | None
    type: str
    name: str
    input: str
    output: str
    created_at: datetime
    end: datetime


@dataclass
class FeedbackRow:
    id: str
    step_id: str
    thread_id: str
    value: int
    comment: str | None


@dataclass
class ElementRow:
    id: str
    thread_id: str
    for_id: str
    name: str
    object_key: str


@dataclass
class Dataset:
    threads: list[ThreadRow] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)
    feedbacks: list[FeedbackRow] = field(default_factory=list)
    elements: list[ElementRow] = field(default_factory=list)

    def extend(self, other: Dataset) -> None:
        self.threads += other.threads
        self.steps += other.steps
        self.feedbacks += other.feedbacks
        self.elements += other.elements


def iso(ts: datetime) -> str:
    """Chainlit's ``utc_now()`` format: naive UTC ISO-8601 with ``Z`` (always with a fraction)."""
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _id(namespace: str, *parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"graph-layer-bench/{namespace}/" + "/".join(
        map(str, parts))))


def sidebar_user(user: str, n: int, start: datetime, search_every: int = 100) -> Dataset:
    """``n`` two-message threads one second apart; every ``search_every``-th thread's messages
    (and so its name, which Chainlit takes from the first message) contain SEARCH_WORD."""
    data = Dataset()
    for i in range(n):
        tid = _id("sidebar", user, i)
        ts = start + timedelta(seconds=i)
        word = f" {SEARCH_WORD}" if i % search_every == search_every // 2 else ""
        text = f"question {i} about topic {i % 37}{word}"
        data.threads.append(ThreadRow(tid, user, text, ts, ts + timedelta(milliseconds=500)))
        user_msg = _id("step", tid, 0)
        data.steps.append(StepRow(user_msg, tid, None, "user_message", user, "", text, ts, ts))
        answer_at = ts + timedelta(milliseconds=500)
        data.steps.append(StepRow(_id("step", tid, 1), tid, None, "assistant_message",
                                  "Assistant", "", f"answer {i}{word}", answer_at, answer_at))
    return data


# Cypher for the probe scripts (cost_split, ab_get_thread): id and size of the longest resume
# thread a benchmark run loaded (``conversation(..., f"resume-{n}", ...)``) of at most $most steps.
LONGEST_RESUME_THREAD = """
MATCH (t:Thread) WHERE t.name STARTS WITH 'conversation resume-' AND NOT t:Deleted
WITH t, COUNT { (t)-[:CONTAINS]->(:Step) } AS steps WHERE steps <= $most
RETURN t.id AS id, steps ORDER BY steps DESC LIMIT 1
"""


def conversation(user: str, key: str, n_steps: int, start: datetime) -> Dataset:
    """A thread of ``n_steps`` steps in turns of four (user message, its ``on_message`` run, a
    tool step and the assistant message under the run); feedback on every second run, a file
    element on every fifth assistant message."""
    data = Dataset()
    tid = _id("conversation", user, key)
    turns = max(1, n_steps // 4)
    last = start + timedelta(seconds=turns * 4)
    data.threads.append(ThreadRow(tid, user, f"conversation {key}", start, last))
    for turn in range(turns):
        ts = start + timedelta(seconds=turn * 4)
        msg, run, tool, answer = (_id("step", tid, turn, k) for k in range(4))
        text = f"turn {turn}: please look at item {turn * 7 % 101}"
        data.steps += [
            StepRow(msg, tid, None, "user_message", user, "", text, ts, ts),
            StepRow(run, tid, msg, "run", "on_message", "", "", ts + timedelta(milliseconds=1),
                    ts + timedelta(seconds=3)),
            StepRow(tool, tid, run, "tool", "search", f'{{"q": "item {turn}"}}',
                    "result " * 20, ts + timedelta(milliseconds=2), ts + timedelta(seconds=1)),
            StepRow(answer, tid, run, "assistant_message", "Assistant", "",
                    "Here is what I found. " * 10, ts + timedelta(seconds=2),
                    ts + timedelta(seconds=2)),
        ]
        if turn % 2 == 1:
            data.feedbacks.append(FeedbackRow(_id("feedback", run), run, tid, turn % 4 // 2,
                                              "ok" if turn % 3 else None))
        if turn % 5 == 0:
            eid = _id("element", tid, turn)
            data.elements.append(ElementRow(eid, tid, answer, f"notes-{turn}.txt",
                                            f"threads/{tid}/files/{eid}"))
    return data


#: The scale line's background users: BACKGROUND_USER + a number, each with this many threads.
BACKGROUND_USER = "background-"
BACKGROUND_PER_USER = 100


def background(n: int, start: datetime, offset: int = 0) -> Dataset:
    """``n`` two-message threads spread over n/100 other users (the scale line); ``offset``
    threads were loaded before, so these users (and thread ids) are new ones. Their messages
    use the sidebar users' words, SEARCH_WORD in 1% of them: a search meets other users'
    matches in a shared index, as it would in a real database."""
    data = Dataset()
    per_user = BACKGROUND_PER_USER
    for u in range(offset, offset + n, per_user):
        data.extend(sidebar_user(f"{BACKGROUND_USER}{u // per_user}",
                                 min(per_user, offset + n - u),
                                 start + timedelta(days=1 + u // per_user)))
    return data


def step_dict(row: StepRow) -> dict[str, Any]:
    """The StepDict Chainlit would have sent for this row (a full snapshot)."""
    message = row.type.endswith("_message")
    out: dict[str, Any] = {
        "id": row.id, "threadId": row.thread_id, "parentId": row.parent_id, "name": row.name,
        "type": row.type, "streaming": False, "metadata": {}, "tags": None,
        "output": row.output, "isError": False, "createdAt": iso(row.created_at),
        "start": iso(row.created_at), "end": iso(row.end), "language": None,
    }
    if message:
        out.update(waitForAnswer=False, command=None, modes=None)
    else:
        out.update(input=row.input, showInput="json", defaultOpen=False, autoCollapse=False,
                   generation=None)
    return out
