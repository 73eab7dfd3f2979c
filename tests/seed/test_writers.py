"""The seed generator is deterministic, and the bulk writer builds exactly the graph the layer's
own methods build for the same seed."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from graph_layer import Neo4jDataLayer
from graph_layer.seed import bulk, iter_threads, make_users, through_layer
from tests.conftest import Server, _wipe
from tests.reliability.graphcheck import integrity

# properties stamped with the write time or a fresh uuid by the layer itself (two runs of the
# layer differ in them too)
VOLATILE = {
    "User": {"id", "createdAt"},
    "Thread": {"createdAt", "userId"},
    # a step's owner id (checked against its thread's owner by graphcheck's integrity); a
    # message's first label is Message
    "Step": {"userId"},
    "Message": {"userId"},
    "Feedback": {"createdAt", "updatedAt"},
}


def test_same_seed_same_data_other_seed_other_data() -> None:
    users = make_users(5, 42, 30)
    first = [(t.id, t.steps, t.elements, t.feedback) for t in iter_threads(users, 20, 42, 30)]
    again = [(t.id, t.steps, t.elements, t.feedback)
             for t in iter_threads(make_users(5, 42, 30), 20, 42, 30)]
    other = [t.id for t in iter_threads(make_users(5, 43, 30), 20, 43, 30)]
    assert first == again
    assert {t[0] for t in first}.isdisjoint(other)
    assert sum(len(t[1]) for t in first) > 20 * 5


async def _dump(driver: AsyncDriver) -> tuple[list[Any], list[Any]]:
    records, _, _ = await driver.execute_query(
        "MATCH (n) WHERE NOT n:GraphLayerSchema AND NOT n:GraphLayerTestRun "
        "RETURN labels(n) AS labels, properties(n) AS props, "
        "coalesce(n.identifier, n.id) AS key"
    )
    nodes = []
    for r in records:
        label = sorted(set(r["labels"]) - {"AnalyticsStale"})[0]  # a marker, not a kind
        props = {k: v for k, v in r["props"].items() if k not in VOLATILE.get(label, set())}
        nodes.append((sorted(r["labels"]), r["key"], sorted(props.items())))
    records, _, _ = await driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, coalesce(a.identifier, a.id) AS a, "
        "coalesce(b.identifier, b.id) AS b"
    )
    rels = sorted((r["type"], r["a"], r["b"]) for r in records)
    return sorted(nodes, key=lambda n: (n[0], n[1])), rels


async def test_bulk_writer_builds_the_layers_graph(
    layer: Neo4jDataLayer, driver: AsyncDriver, clean_db: Server
) -> None:
    users = make_users(3, 12, 20)
    specs = list(iter_threads(users, 4, 12, 20))
    ids = await through_layer.create_users(layer, users)
    await through_layer.write_threads(layer, specs, ids, concurrency=4)
    via_layer = await _dump(driver)
    assert (await integrity(driver))["unownedSteps"] == 0

    _wipe(clean_db)
    ids = await bulk.write_users(layer.executor, users)
    counts = await bulk.write_threads(layer.executor, specs, ids, batch_size=3)
    via_bulk = await _dump(driver)
    assert (await integrity(driver))["unownedSteps"] == 0

    steps = sum(len(s.steps) for s in specs)
    assert counts["threads"] == 4 and counts["steps"] == steps
    # seed 12 has feedback, elements and a favorite: every kind of node and link is compared
    assert {rel[0] for rel in via_layer[1]} == {"AUTHORED", "CONTAINS", "PARENT_OF", "RATED"}
    assert {label for n in via_layer[0] for label in n[0]} == {
        "AnalyticsStale", "Element", "Feedback", "Message", "Step", "Thread", "User"}
    assert any(("favorite", True) in n[2] for n in via_layer[0])
    layer_nodes = {(n[1], tuple(n[0])): dict(n[2]) for n in via_layer[0]}
    bulk_nodes = {(n[1], tuple(n[0])): dict(n[2]) for n in via_bulk[0]}
    assert bulk_nodes.keys() == layer_nodes.keys()
    for key, props in layer_nodes.items():
        assert bulk_nodes[key] == props, key
    assert via_bulk[1] == via_layer[1]
    types = await driver.execute_query(
        "MATCH (n) UNWIND [k IN keys(n) WHERE k IN ['createdAt', 'updatedAt', 'lastActivity', "
        "'lastMessageAt', 'start', 'end']] AS key RETURN DISTINCT labels(n)[0] AS label, key, "
        "valueType(n[key]) AS type")
    assert {r["type"] for r in types.records} == {"ZONED DATETIME NOT NULL"}, types.records
    assert {(r["label"], r["key"]) for r in types.records} >= {
        ("User", "createdAt"), ("Thread", "createdAt"), ("Thread", "lastActivity"),
        ("Step", "start"), ("Feedback", "createdAt"), ("Feedback", "updatedAt")}
