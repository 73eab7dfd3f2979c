"""Deterministic synthetic conversations shaped like a Chainlit assistant's history.

Every thread is generated from its own ``random.Random(f"{seed}:{index}")``, so a thread is the
same whatever the order, batch or concurrency it is written with, and ``iter_threads`` streams
them without holding the whole dataset.

Shape of one turn (as Chainlit records it)::

    user_message (root)
      run "on_message"                      (Chainlit's wrapper, parent = the user message)
        retrieval "vector_search"           (60 % of turns)
        llm "plan"                          (the thread's model)
        tool <name>                         (0-3 tool calls; web_search sometimes nests an
          llm "summarize"                    llm "summarize")
        llm "answer"
        assistant_message "Assistant"       (the answer; feedback and elements attach here)

Built-in relations an analyst can discover (tests check the analytics find them):

- ``FLAKY_TOOL`` (web_search) fails (``isError``) in ~30 % of its calls, the other tools in ~2 %.
  A turn whose tool call failed draws thumbs-down far more often (``P_DOWN_AFTER_ERROR``) than a
  clean turn (``P_DOWN_BASE``); so web_search has a thumbs-down lift well above 1.
- ``SLOW_MODEL`` (gpt-4o) takes ~4x longer per llm call than ``FAST_MODEL`` (gpt-4o-mini) and is
  ~16x costlier per token (``DEFAULT_PRICES``, USD per 1M tokens).
- Feedback is given on ``P_FEEDBACK`` of the answers, with a comment on a third of them;
  ``P_FAVORITE`` of answers are favorites; ``P_ELEMENT`` of answers carry an image element.
- Turns per thread have a long tail (Pareto); threads spread over ``days`` days after
  ``START``, each user active from a sign-up day on, with fading return visits (cohorts).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 9, 1, 8, 0, 0, tzinfo=UTC)
FLAKY_TOOL = "web_search"
TOOLS = ("web_search", "calculator", "sql_query", "weather", "code_interpreter")
SLOW_MODEL, FAST_MODEL = "gpt-4o", "gpt-4o-mini"
P_SLOW_MODEL = 0.35
P_TOOL_ERROR = {"web_search": 0.30}
P_TOOL_ERROR_DEFAULT = 0.02
P_FEEDBACK = 0.35
P_DOWN_BASE = 0.2
P_DOWN_AFTER_ERROR = 0.75
P_FAVORITE = 0.03
P_ELEMENT = 0.08
P_RETRIEVAL = 0.6
# USD per 1M tokens (prompt, completion): the default price table of the cost analysis.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
}
_TOPICS = ("invoice", "travel plan", "sales report", "python bug", "weather trip", "budget",
           "contract", "recipe", "quarterly KPIs", "onboarding", "SQL join", "holiday")
_PROFILES = ("assistant", "analyst")


@dataclass
class UserSpec:
    """A user to create: identifier, the id the bulk writer gives it, metadata, sign-up day."""

    identifier: str
    id: str
    display_name: str
    metadata: dict[str, Any]
    signup_day: int


@dataclass
class ThreadSpec:
    """One thread: owner, name, tags, metadata, and its steps, elements and feedback in order."""

    id: str
    user: UserSpec
    name: str
    tags: list[str]
    metadata: dict[str, Any]
    steps: list[dict[str, Any]] = field(default_factory=list)
    elements: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ts(when: datetime) -> str:
    """A Chainlit timestamp: naive UTC isoformat plus ``Z``."""
    return when.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def make_users(count: int, seed: int, days: int) -> list[UserSpec]:
    """``count`` users with sign-up days spread over the first two thirds of the period."""
    rng = random.Random(f"{seed}:users")
    return [
        UserSpec(
            identifier=f"user{i:04d}@example.com",
            id=_uuid(rng),
            display_name=f"User {i}",
            metadata={"role": "admin" if i == 0 else "user", "plan": rng.choice(("free", "pro"))},
            signup_day=rng.randrange(max(1, days * 2 // 3)),
        )
        for i in range(count)
    ]


class _Turn:
    """Builds the steps of one turn, advancing a clock."""

    def __init__(self, rng: random.Random, spec: ThreadSpec, model: str, clock: datetime) -> None:
        self.rng, self.spec, self.model, self.clock = rng, spec, model, clock

    def step(self, kind: str, name: str, parent: str | None, seconds: float,
             **extra: Any) -> dict[str, Any]:
        start = self.clock
        end = start + timedelta(seconds=seconds)
        step: dict[str, Any] = {
            "id": _uuid(self.rng), "threadId": self.spec.id, "parentId": parent, "name": name,
            "type": kind, "streaming": False, "metadata": {}, "tags": None, "input": "",
            "output": "", "isError": False, "createdAt": _ts(start), "start": _ts(start),
            "end": _ts(end), "language": None, "generation": None,
        }
        step.update(extra)
        self.spec.steps.append(step)
        return step

    def llm(self, name: str, parent: str) -> dict[str, Any]:
        slow = self.model == SLOW_MODEL
        seconds = self.rng.lognormvariate(1.1 if slow else -0.3, 0.35)
        prompt = self.rng.randint(300, 2500)
        completion = self.rng.randint(40, 600)
        generation = {
            "provider": "openai", "model": self.model, "inputTokenCount": prompt,
            "outputTokenCount": completion, "tokenCount": prompt + completion,
            "duration": round(seconds, 3),
        }
        step = self.step("llm", name, parent, seconds, generation=generation,
                         input=f"{name} prompt", output=f"{name} completion")
        self.clock += timedelta(seconds=seconds)
        return step

    def tool(self, name: str, parent: str) -> bool:
        """One tool call (web_search may nest an llm); True when it failed."""
        failed = self.rng.random() < P_TOOL_ERROR.get(name, P_TOOL_ERROR_DEFAULT)
        seconds = self.rng.lognormvariate(0.2 if name == FLAKY_TOOL else -1.2, 0.5)
        step = self.step("tool", name, parent, seconds, isError=failed,
                         input=f'{{"query": "{name} input"}}',
                         output="TimeoutError: upstream did not answer" if failed else "ok")
        end = self.clock + timedelta(seconds=seconds)
        if name == FLAKY_TOOL and not failed and self.rng.random() < 0.4:
            self.clock += timedelta(seconds=0.01)
            self.llm("summarize", step["id"])
            end = max(end, self.clock + timedelta(seconds=0.01))
            step["end"] = _ts(end)
        self.clock = end + timedelta(seconds=0.01)
        return failed

    def run(self, text: str) -> None:
        rng = self.rng
        user_msg = self.step("user_message", "User", None, 0.0, output=text)
        self.clock += timedelta(seconds=0.05)
        run = self.step("run", "on_message", user_msg["id"], 0.0, input=text)
        self.clock += timedelta(seconds=0.01)
        if rng.random() < P_RETRIEVAL:
            seconds = rng.lognormvariate(-1.6, 0.4)
            self.step("retrieval", "vector_search", run["id"], seconds, output="4 chunks")
            self.clock += timedelta(seconds=seconds + 0.01)
        self.llm("plan", run["id"])
        failed = False
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            failed = self.tool(rng.choice(TOOLS), run["id"]) or failed
        self.llm("answer", run["id"])
        favorite = rng.random() < P_FAVORITE
        answer = self.step("assistant_message", "Assistant", run["id"], 0.0,
                           output=f"Here is what I found about {self.spec.name}.",
                           metadata={"favorite": True} if favorite else {})
        run["end"] = answer["end"]
        if rng.random() < P_ELEMENT:
            element_id = _uuid(rng)
            self.spec.elements.append({
                "id": element_id, "threadId": self.spec.id, "forId": answer["id"],
                "type": "image", "name": "chart.png", "display": "inline", "mime": "image/png",
                "url": f"https://example.com/charts/{element_id}.png",
            })
        if rng.random() < P_FEEDBACK:
            down = rng.random() < (P_DOWN_AFTER_ERROR if failed else P_DOWN_BASE)
            comment = None
            if rng.random() < 1 / 3:
                comment = "the search failed" if down and failed else (
                    "not helpful" if down else "great, thanks")
            self.spec.feedback.append({
                "id": _uuid(rng), "forId": answer["id"], "threadId": self.spec.id,
                "value": 0 if down else 1, "comment": comment,
            })


def make_thread(users: list[UserSpec], seed: int, index: int, days: int) -> ThreadSpec:
    """Thread number ``index`` (its own random stream: independent of every other thread)."""
    rng = random.Random(f"{seed}:thread:{index}")
    # a few heavy users: pick with a skewed weight
    user = users[min(int(rng.paretovariate(1.2)) - 1, len(users) - 1) if rng.random() < 0.3
                 else rng.randrange(len(users))]
    span = max(1, days - user.signup_day)
    offset_days = min(span - 1, int(rng.expovariate(4.0 / span)))
    clock = START + timedelta(days=user.signup_day + offset_days,
                              seconds=rng.randrange(14 * 3600))
    topic = rng.choice(_TOPICS)
    profile = rng.choice(_PROFILES)
    spec = ThreadSpec(id=_uuid(rng), user=user, name=f"Help with my {topic}", tags=[profile],
                      metadata={"chat_profile": profile, "language": "en-US"})
    model = SLOW_MODEL if rng.random() < P_SLOW_MODEL else FAST_MODEL
    turns = min(60, max(1, int(rng.paretovariate(1.5) * 2.9)))
    for turn in range(turns):
        text = spec.name if turn == 0 else f"And what about {rng.choice(_TOPICS)}?"
        builder = _Turn(rng, spec, model, clock)
        builder.run(text)
        clock = builder.clock + timedelta(seconds=rng.randrange(15, 180))
    return spec


def iter_threads(users: list[UserSpec], count: int, seed: int, days: int) -> Iterator[ThreadSpec]:
    """Threads ``0 .. count-1`` in order, generated lazily."""
    for index in range(count):
        yield make_thread(users, seed, index, days)
