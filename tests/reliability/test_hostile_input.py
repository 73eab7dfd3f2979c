"""Hostile and broken input (hypothesis): every value either round-trips exactly or is refused
with InvalidInputError before anything is written."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import pytest
from chainlit.types import Feedback
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import AsyncDriver

from graph_layer import Neo4jDataLayer
from graph_layer.errors import InvalidInputError
from tests.conftest import query as rows
from tests.factories import new_id, step

EXAMPLES = 25
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
TRIED: dict[str, int] = {}

# Every plane, right-to-left scripts, NUL and lone surrogates (which UTF-8 cannot carry).
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
rtl = st.sampled_from(["مرحبا", "שלום", "\u202eevil\u202c", "\u200f", "ܫܠܡܐ"])
texts = st.one_of(st.text(any_char, max_size=40), rtl, st.just("\x00"), st.just("a\x00b"),
                  st.text(st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
                          max_size=8))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), texts,
    st.datetimes(timezones=st.just(UTC)), st.dates(), st.binary(max_size=8),
    st.frozensets(st.integers(), max_size=3), st.tuples(st.integers()),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(texts, inner, max_size=4),
                            st.dictionaries(st.integers(), inner, min_size=1, max_size=2)),
    max_leaves=12,
)


def storable(value: Any) -> bool:
    """What the layer promises to store exactly (the rest must be refused)."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return utf8(value)
    if isinstance(value, list):
        return all(storable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and utf8(k) and storable(v) for k, v in value.items())
    return False  # dates, bytes, sets, tuples, objects


def utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def nothing_written(driver: AsyncDriver, *ids: str) -> bool:
    found = await rows(driver, "MATCH (n) WHERE n.id IN $ids RETURN count(n) AS n", ids=list(ids))
    return found == [{"n": 0}]


def count(name: str) -> None:
    TRIED[name] = TRIED.get(name, 0) + 1


@SETTINGS
@given(output=texts, name=texts, metadata=json_like, generation=json_like,
       tags=st.lists(texts, max_size=3))
async def test_step_round_trips_or_is_refused(
    slayer: Neo4jDataLayer, driver: AsyncDriver, output: str, name: str, metadata: Any,
    generation: Any, tags: list[str],
) -> None:
    count("step")
    thread_id = new_id()
    snap = step(thread_id, 1.0, name=name, input=output, output=output, tags=tags,
                metadata=metadata, generation=generation)
    ok = (all(utf8(t) for t in (output, name, *tags))
          and (metadata is None or isinstance(metadata, dict))
          and storable(metadata) and storable(generation))
    if not ok:
        with pytest.raises(InvalidInputError):
            await slayer.create_step(snap)
        assert await nothing_written(driver, thread_id, snap["id"])
        return
    await slayer.create_step(snap)
    thread = await slayer.get_thread(thread_id)
    assert thread is not None
    got = thread["steps"][0]
    assert (got["output"], got["input"], got["name"] or "") == (output, output, name)
    assert got["metadata"] == (metadata or {}) and got["generation"] == generation
    assert got["tags"] == tags


@SETTINGS
@given(name=texts, props=json_like, content=st.one_of(st.binary(max_size=64), texts))
async def test_element_round_trips_or_is_refused(
    slayer: Neo4jDataLayer, driver: AsyncDriver, name: str, props: Any, content: Any,
) -> None:
    count("element")
    thread_id, element_id = new_id(), new_id()
    element = {"id": element_id, "threadId": thread_id, "forId": None, "type": "file",
               "name": name, "display": "inline", "mime": "text/plain", "props": props,
               "content": content}
    ok = (utf8(name) and storable(props)
          and (isinstance(content, bytes) or utf8(content)))
    if not ok:
        with pytest.raises(InvalidInputError):
            await slayer.create_element(element)
        assert await nothing_written(driver, thread_id, element_id)
        return
    await slayer.create_element(element)
    got = await slayer.get_element(thread_id, element_id)
    assert got is not None
    assert (got["name"] or "", got["props"]) == (name, props)


@SETTINGS
@given(value=st.one_of(st.sampled_from([0, 1, -1, 2, True, False, None, 0.5, "1"])),
       comment=st.one_of(st.none(), texts))
async def test_feedback_round_trips_or_is_refused(
    slayer: Neo4jDataLayer, driver: AsyncDriver, value: Any, comment: str | None,
) -> None:
    count("feedback")
    thread_id = new_id()
    snap = step(thread_id, 1.0, kind="run", name="on_message")
    await slayer.create_step(snap)
    fb = Feedback(forId=snap["id"], value=0, threadId=thread_id)
    fb.value, fb.comment = value, comment  # as a client's JSON would, past pydantic's check
    if not (type(value) is int and value in (0, 1) and (comment is None or utf8(comment))):
        with pytest.raises(InvalidInputError):
            await slayer.upsert_feedback(fb)
        assert await rows(driver, "MATCH (f:Feedback)-[:RATED]->(:Step {id: $id}) "
                          "RETURN count(f) AS n", id=snap["id"]) == [{"n": 0}]
        return
    feedback_id = await slayer.upsert_feedback(fb)
    thread = await slayer.get_thread(thread_id)
    assert thread is not None
    got = thread["steps"][0]["feedback"]
    assert (got["id"], got["value"], got["comment"]) == (feedback_id, value, comment)


@SETTINGS
@given(metadata=st.dictionaries(texts, json_like, max_size=5))
async def test_thread_metadata_round_trips_or_is_refused(
    slayer: Neo4jDataLayer, driver: AsyncDriver, metadata: dict[str, Any],
) -> None:
    count("thread metadata")
    thread_id = new_id()
    clean = {k: v for k, v in metadata.items() if v is not None}
    ok = all(k and "\x00" not in k for k in metadata) and storable(metadata)
    if not ok:
        with pytest.raises(InvalidInputError):
            await slayer.update_thread(thread_id, metadata=metadata)
        assert await nothing_written(driver, thread_id)
        return
    await slayer.update_thread(thread_id, name="t", metadata=metadata)
    thread = await slayer.get_thread(thread_id)
    assert thread is not None
    assert thread["metadata"] == clean  # a None value means "delete this key"


async def test_big_and_deep_values(slayer: Neo4jDataLayer, driver: AsyncDriver) -> None:
    thread_id = new_id()
    big = "x" * 10_000_000 + "\x00\u0645\u0631\u062d\u0628\u0627\U0001f680"
    deep: Any = "bottom"
    for _ in range(240):  # 480 levels
        deep = {"d": [deep]}
    huge_list = list(range(100_000))
    snap = step(thread_id, 1.0, output=big, metadata={"deep": deep, "list": huge_list})
    await slayer.create_step(snap)
    thread = await slayer.get_thread(thread_id)
    assert thread is not None
    got = thread["steps"][0]
    assert got["output"] == big and got["metadata"] == {"deep": deep, "list": huge_list}
    too_deep: Any = 1
    for _ in range(600):
        too_deep = [too_deep]
    refused = []
    for bad in ({"x": too_deep}, {"x": float("nan")}, {"x": float("inf")}, {"x": b"bytes"},
                {"x": {1, 2}}, {"x": datetime.now(UTC)}, {"x": date.today()}, {"x": 2**64},
                {"x": "lone \ud800 surrogate"}, {"\udfff": 1}):
        with pytest.raises(InvalidInputError):
            await slayer.create_step(step(new_id(), 1.0, metadata=bad))
        refused.append(bad)
    with pytest.raises(InvalidInputError):
        await slayer.create_step(step(new_id(), 1.0, output="\ud800"))
    assert await rows(driver, "MATCH (s:Step) RETURN count(s) AS n") == [{"n": 1}]
    assert await rows(driver, "MATCH (t:Thread) RETURN count(t) AS n") == [{"n": 1}]
    print(f"\n[reliability/input] property examples tried: {TRIED} (x{EXAMPLES} budget each); "
          f"10 MB output, 480-deep and 100k-item metadata round-tripped; "
          f"{len(refused)} unstorable values refused before any write")
