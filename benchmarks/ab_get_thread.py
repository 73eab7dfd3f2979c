"""``python -m benchmarks.ab_get_thread``: interleaved A/B of get_thread's read path on the
benchmark's longest thread: (A) the former query (``properties()``: DateTime values) with
``Record.data()``, (B) the current query (timestamps as strings) with the executor's
``row_of``. Both include the driver's decoding, which is where A spends its time."""

from __future__ import annotations

import asyncio
import statistics
import time

from graph_layer import queries
from graph_layer.executor import create_driver, row_of
from graph_layer.settings import Neo4jSettings

FORMER = """
MATCH (t:Thread {id: $threadId})
WHERE NOT t:Deleted
OPTIONAL MATCH (u:User)-[:AUTHORED]->(t)
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(s:Step)
  OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
  RETURN collect(CASE WHEN s IS NULL THEN null
                      ELSE {step: properties(s), feedback: properties(f)} END) AS steps
}
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(e:Element)
  RETURN collect(properties(e)) AS elements
}
RETURN properties(t) AS thread, u.id AS userId, u.identifier AS userIdentifier, steps, elements
"""


async def main(reps: int = 12) -> None:
    settings = Neo4jSettings()
    driver = create_driver(settings)
    records, _, _ = await driver.execute_query(
        "MATCH (t:Thread)-[:CONTAINS]->(s:Step) WHERE NOT t:Deleted WITH t, count(s) AS n "
        "ORDER BY n DESC LIMIT 1 RETURN t.id AS id, n", database_=settings.database)
    tid, n = records[0]["id"], records[0]["n"]
    current = queries.get("thread/get_thread").text
    times: dict[str, list[float]] = {"A former": [], "B current": []}
    for i in range(reps + 2):
        for label, text, convert in (("A former", FORMER, lambda r: r.data()),
                                     ("B current", current, row_of)):
            start = time.perf_counter()
            got, _, _ = await driver.execute_query(text, {"threadId": tid},
                                                   database_=settings.database)
            [convert(r) for r in got]
            if i >= 2:  # first two rounds warm up
                times[label].append((time.perf_counter() - start) * 1000)
    for label, values in times.items():
        values.sort()
        print(f"get_thread read path, {n} steps, {label}: median {statistics.median(values):.0f} "
              f"ms, min {values[0]:.0f} ms (n={len(values)})")
    await driver.close()


if __name__ == "__main__":
    asyncio.run(main())
