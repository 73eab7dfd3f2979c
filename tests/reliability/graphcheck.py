"""Read the graph back for the reliability suites: a canonical dump and integrity checks."""

from __future__ import annotations

import json
from typing import Any

from neo4j import AsyncDriver

from tests.conftest import TEST_MARKER
from tests.conftest import query as rows
from tests.reliability.conversation import Expected

_DUMP_NODES = f"""
MATCH (n) WHERE NOT n:GraphLayerSchema AND NOT n:{TEST_MARKER}
RETURN labels(n) AS labels, properties(n) AS props
"""
_DUMP_RELS = f"""
MATCH (a)-[r]->(b) WHERE NOT a:{TEST_MARKER}
RETURN labels(a)[0] + ':' + coalesce(a.id, '') AS a, type(r) AS type,
       labels(b)[0] + ':' + coalesce(b.id, '') AS b, properties(r) AS props
"""


def _plain(value: Any) -> Any:
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


async def dump(driver: AsyncDriver, database: str = "neo4j") -> list[str]:
    """Every node and relationship as sorted canonical strings. Ids the layer generates (user
    and feedback ids) are replaced by what identifies them (identifier, rated step)."""
    nodes, _, _ = await driver.execute_query(_DUMP_NODES, database_=database)
    rels, _, _ = await driver.execute_query(_DUMP_RELS, database_=database)
    names: dict[str, str] = {}
    for n in nodes:
        p = n["props"]
        if "User" in n["labels"]:
            names[p["id"]] = f"user<{p['identifier']}>"
        if "Feedback" in n["labels"]:
            names[p["id"]] = f"feedback<{p.get('forId')}>"
    out = []
    for n in nodes:
        props = {k: names.get(v, v) if isinstance(v, str) else _plain(v)
                 for k, v in n["props"].items()}
        out.append(json.dumps([sorted(n["labels"]), props], sort_keys=True, default=str))
    for r in rels:
        a = r["a"].split(":", 1)
        b = r["b"].split(":", 1)
        out.append(json.dumps([a[0], names.get(a[1], a[1]), r["type"], b[0],
                               names.get(b[1], b[1]), r["props"]], sort_keys=True))
    return sorted(out)


INTEGRITY = """
CALL () { MATCH (s:Step) WHERE COUNT { (:Thread)-[:CONTAINS]->(s) } <> 1
          OR NOT EXISTS { (t:Thread {id: s.threadId})-[:CONTAINS]->(s) }
          RETURN count(s) AS badSteps }
CALL () { MATCH (e:Element) WHERE COUNT { (:Thread)-[:CONTAINS]->(e) } <> 1
          OR NOT EXISTS { (t:Thread {id: e.threadId})-[:CONTAINS]->(e) }
          RETURN count(e) AS badElements }
CALL () { MATCH (f:Feedback) WHERE COUNT { (f)-[:RATED]->(:Step) } <> 1
          RETURN count(f) AS badFeedback }
CALL () { MATCH (s:Step) WHERE COUNT { (:Step)-[:PARENT_OF]->(s) } > 1
          RETURN count(s) AS multiParent }
CALL () { MATCH (t:Thread) WHERE NOT t:Deleted AND (t.createdAt IS NULL OR t.lastActivity IS NULL)
          RETURN count(t) AS badThreads }
CALL () { MATCH (t:Thread) WHERE COUNT { (:User)-[:AUTHORED]->(t) } > 1
          RETURN count(t) AS multiOwner }
CALL () { MATCH (n) WHERE n._lock IS NOT NULL RETURN count(n) AS locks }
CALL () { MATCH (u:User)-[:AUTHORED]->(:Thread)-[:CONTAINS]->(s:Step)
          WHERE s.userId IS NULL OR s.userId <> u.id RETURN count(s) AS unownedSteps }
RETURN badSteps, badElements, badFeedback, multiParent, badThreads, multiOwner, locks,
       unownedSteps
"""


async def integrity(driver: AsyncDriver) -> dict[str, int]:
    """Counts of structural defects (all must be 0): orphan or doubly-contained steps and
    elements, dangling feedback, steps with two parents, threads missing their timestamps,
    steps of an owned thread without the owner's id (the search needs it)."""
    return (await rows(driver, INTEGRITY))[0]


async def missing(driver: AsyncDriver, expected: Expected) -> dict[str, list[str]]:
    """What the graph lacks of ``expected``: steps (or their output/metadata/type/parent),
    elements, feedback values, thread metadata keys. Empty lists mean nothing was lost."""
    steps = {r["id"]: r for r in await rows(driver, """
        MATCH (t:Thread)-[:CONTAINS]->(s:Step)
        OPTIONAL MATCH (p:Step)-[:PARENT_OF]->(s)
        RETURN s.id AS id, s.output AS output, s.metadata AS metadata, s.type AS type,
               p.id AS parent, t.id AS thread, s.placeholder AS placeholder""")}
    lost: dict[str, list[str]] = {"steps": [], "elements": [], "feedback": [], "metadata": []}
    for sid, snap in expected.steps.items():
        got = steps.get(sid)
        want_meta = snap.get("metadata") or {}
        if (got is None or (got["output"] or "") != (snap.get("output") or "")
                or json.loads(got["metadata"] or "{}") != want_meta
                or got["type"] != snap["type"] or got["parent"] != snap.get("parentId")
                or got["thread"] != snap["threadId"] or got["placeholder"]):
            lost["steps"].append(f"{sid}: {got}")
    found = {r["id"]: r["thread"] for r in await rows(driver, """
        MATCH (t:Thread)-[:CONTAINS]->(e:Element)<-[:CONTAINS]-(:Step)
        RETURN e.id AS id, t.id AS thread""")}
    lost["elements"] = [e for e, t in expected.elements.items() if found.get(e) != t]
    fb = {r["step"]: r["value"] for r in await rows(driver, """
        MATCH (f:Feedback)-[:RATED]->(s:Step) RETURN s.id AS step, f.value AS value""")}
    lost["feedback"] = [s for s, v in expected.feedback.items() if fb.get(s) != v]
    threads = {r["id"]: r["props"] for r in await rows(driver, """
        MATCH (t:Thread) RETURN t.id AS id, properties(t) AS props""")}
    for tid, keys in expected.metadata.items():
        props = threads.get(tid, {})
        for key, value in keys.items():
            stored = props.get(f"metadata.{key}")
            if stored is None or json.loads(stored) != value:
                lost["metadata"].append(f"{tid}.{key}")
    return lost
