"""The benchmarks' bare Bolt client (``benchmarks.raw_bolt``) against the real server: the
parameters it packs arrive as sent in the database it names, a failed query raises and the
connection answers the next one, and a refused login raises."""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import AsyncDriver

from benchmarks.raw_bolt import RawBolt
from tests.conftest import Server, query

pytestmark = pytest.mark.asyncio

VALUES: dict[str, Any] = {
    "none": None, "yes": True, "no": False,
    "ints": [0, 127, 128, -1, -16, -17, 2**40, -(2**40)], "float": -2.5,
    "strings": ["", "x" * 15, "x" * 16, "é" * 200, "y" * 256, "z" * 70_000],  # 70 kB: chunked
    "map": {f"k{i}": [i, {"deep": str(i)}] for i in range(17)}, "list": list(range(20)),
}


async def test_parameters_arrive_as_sent_and_failures_raise(clean_db: Server,
                                                            driver: AsyncDriver) -> None:
    if not clean_db.uri.startswith("bolt://"):
        pytest.skip("raw_bolt speaks plain bolt:// only")
    with pytest.raises(ConnectionError, match="refused the login"):
        await RawBolt.connect(clean_db.uri, (clean_db.auth[0], "not the password"),
                              clean_db.database)
    raw = await RawBolt.connect(clean_db.uri, clean_db.auth, clean_db.database)
    try:
        await raw.run("CREATE (n:RawBoltCheck) SET n = $flat WITH n "
                      "UNWIND keys($map) AS k "
                      "CREATE (n)-[:HAS]->(:RawBoltEntry {k: k, i: $map[k][0], "
                      "deep: $map[k][1].deep})",
                      {"flat": {k: v for k, v in VALUES.items() if k != "map"},
                       "map": VALUES["map"]})
        with pytest.raises(RuntimeError, match="SyntaxError"):
            await raw.run("THIS IS NOT CYPHER", {})
        await raw.run("CREATE (:RawBoltCheck {after: 'the failure'})", {})  # reset, usable
        await raw.run("MATCH (n:RawBoltCheck) RETURN n", {}, read=True)
    finally:
        await raw.close()
    rows = await query(driver, "MATCH (n:RawBoltCheck) WHERE n.after IS NULL "
                               "RETURN properties(n) AS p, "
                               "COLLECT { MATCH (n)-->(e) RETURN [e.k, e.i, e.deep] } AS map")
    assert await query(driver, "MATCH (n:RawBoltCheck {after: 'the failure'}) RETURN n.after")
    assert rows[0]["p"] == {k: v for k, v in VALUES.items() if k not in ("map", "none")}
    assert sorted(rows[0]["map"]) == sorted(
        [k, v[0], v[1]["deep"]] for k, v in VALUES["map"].items())
