"""The demo's deterministic assistant: retrieval, a tool call, an LLM step, then the answer.

No model and no network: the "LLM" composes its answer from the retrieved notes, and its
``generation`` reports word counts as token counts. A message containing "fail" makes the tool
step fail; one containing "report" attaches a text, an image, a file and a plot.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import chainlit as cl
from chainlit.element import Element
from literalai import ChatGeneration

from graph_layer.demo.media import report_elements
from graph_layer.search import words

MODEL = "graph-demo-1"
"""The model name the demo's ``llm`` steps record."""

NOTES: dict[str, str] = {
    "neo4j": "Neo4j stores every thread as a node with its steps linked by PARENT_OF.",
    "chainlit": "Chainlit calls the data layer for users, threads, steps, elements and feedback.",
    "graph": "A conversation is a tree: user message, run, tools, LLM calls, answer.",
    "feedback": "Ratings are Feedback nodes that RATED the run step of a reply.",
    "report": "The weekly report counts messages per weekday.",
}
DEFAULT_NOTE = "Ask about neo4j, chainlit, graph, feedback, or say 'report'."
PREVIEW_LINES = 5


class DemoToolError(RuntimeError):
    """The demo tool's deliberate failure (a message containing 'fail')."""


def retrieve(text: str) -> list[dict[str, str]]:
    """The notes whose topic word appears in ``text`` (the default note if none)."""
    found = set(words(text))
    hits = [{"topic": topic, "note": note} for topic, note in NOTES.items() if topic in found]
    return hits or [{"topic": "help", "note": DEFAULT_NOTE}]


def preview(path: str | None, limit: int = PREVIEW_LINES) -> str:
    """The first lines of an uploaded file (binary content is summarised, not shown)."""
    if not path:
        return "(no content)"
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"(binary, {len(data)} bytes)"
    return "\n".join(text.splitlines()[:limit])


def compose(text: str, hits: list[dict[str, str]], uploads: Sequence[Element]) -> str:
    """The answer: what was asked, the notes found, and the files received."""
    lines = [f"You said: {text}" if text else "You sent files."]
    lines += [f"- {hit['topic']}: {hit['note']}" for hit in hits]
    lines += [f"\nReceived file {upload.name}." for upload in uploads]
    return "\n".join(lines)


async def _search(text: str) -> list[dict[str, str]]:
    async with cl.Step(name="retrieve_notes", type="retrieval") as retrieval:
        retrieval.input = text
        async with cl.Step(name="search_index", type="tool", show_input="json") as tool:
            tool.input = json.dumps({"query": text, "top_k": 3})
            if "fail" in words(text):
                raise DemoToolError("search index unavailable (demo failure)")
            hits = retrieve(text)
            tool.output = json.dumps(hits)
        retrieval.output = f"{len(hits)} note(s)"
    return hits


async def _generate(text: str, hits: list[dict[str, str]], uploads: Sequence[Element]) -> str:
    answer = compose(text, hits, uploads)
    prompt = "\n".join(hit["note"] for hit in hits) + "\n\n" + text
    async with cl.Step(name="compose_answer", type="llm") as llm:
        llm.input = prompt
        llm.output = answer
        n_in, n_out = len(prompt.split()), len(answer.split())
        llm.generation = ChatGeneration(
            provider="graph-layer-demo", model=MODEL,
            messages=[{"role": "user", "content": prompt}],
            message_completion={"role": "assistant", "content": answer},
            input_token_count=n_in, output_token_count=n_out, token_count=n_in + n_out,
        )
    return answer


async def send(message: cl.Message) -> None:
    """Send a message (Chainlit's ``Message.send`` carries no type hints)."""
    post: Callable[[], Awaitable[object]] = message.send
    await post()


async def reply(message: cl.Message) -> None:
    """Answer one user message: nested steps, then an assistant message (maybe with elements)."""
    uploads = list(message.elements or [])
    try:
        hits = await _search(message.content)
    except DemoToolError as err:
        await send(cl.Message(content=f"Sorry, the search tool failed: {err}"))
        return
    answer = await _generate(message.content, hits, uploads)
    elements: list[Element] = []
    if "report" in words(message.content):
        elements += report_elements()
    elements += [cl.Text(name=f"preview of {upload.name}", display="inline",
                         content=preview(upload.path)) for upload in uploads]
    await send(cl.Message(content=answer, elements=elements))
