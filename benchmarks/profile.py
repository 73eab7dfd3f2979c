"""``python -m benchmarks.profile``: PROFILE the hot queries on the benchmark's Neo4j data and
print each plan (operator, rows, db hits, index used) as text for docs/performance.md. For
``thread/get_thread`` the "ms to first row" is its first row of up to 100 steps (change 28).

Run it after a benchmark run against the same NEO4J_URI (it reads the sidebar and resume
threads the benchmark loaded; writes go to a scratch thread that is deleted and purged at the
end).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from benchmarks.data import SEARCH_WORD, StepRow, step_dict
from graph_layer import cursor, purge, queries, search
from graph_layer.convert import iso_utc, utc_now
from graph_layer.executor import create_driver
from graph_layer.settings import Neo4jSettings
from graph_layer.steps import step_params


def render(plan: dict[str, Any], depth: int = 0) -> list[str]:
    args = plan.get("args", {})
    details = args.get("Details", "")
    line = (f"{'  ' * depth}{plan['operatorType']:<28} rows={plan.get('rows', '?'):<6} "
            f"dbHits={plan.get('dbHits', '?'):<7} {details}"[:160])
    out = [line]
    for child in plan.get("children", []):
        out += render(child, depth + 1)
    return out


def total_hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(total_hits(c) for c in plan.get("children", []))


async def main() -> None:
    settings = Neo4jSettings()
    driver = create_driver(settings)
    records, _, _ = await driver.execute_query(
        "MATCH (u:User)-[:AUTHORED]->(t:Thread) WITH u, count(t) AS n ORDER BY n DESC LIMIT 1 "
        "RETURN u.id AS uid", database_=settings.database)
    uid = records[0]["uid"]
    records, _, _ = await driver.execute_query(
        "MATCH (t:Thread)-[:CONTAINS]->(s:Step) WITH t, count(s) AS n ORDER BY n DESC LIMIT 1 "
        "RETURN t.id AS tid, n", database_=settings.database)
    big, n_steps = records[0]["tid"], records[0]["n"]
    far = cursor.decode(None)
    lucene = search.lucene_queries(SEARCH_WORD, uid)
    assert lucene is not None
    names, messages = lucene
    scratch = str(uuid.uuid4())
    now = utc_now()
    step = StepRow(str(uuid.uuid4()), scratch, None, "assistant_message", "Assistant", "",
                   "hello", now, now)
    cases = [
        ("thread/list_threads", {"userId": uid, "cursorTime": far[0], "cursorId": far[1],
                                 "feedback": None, "first": 35}),
        ("thread/search_threads", {"userId": uid, "names": names, "messages": messages,
                                   "cursorTime": far[0], "cursorId": far[1], "feedback": None,
                                   "first": 35}),
        ("thread/get_thread", {"threadId": big}),
        ("step/upsert_step", {"rows": [step_params(step_dict(step))]}),
        ("thread/delete_thread", {"threadId": scratch, "now": iso_utc(now)}),
        (purge.QUERY, {"batch": purge.PURGE_BATCH}),  # the scratch thread's step
    ]
    for name, params in cases:
        query = queries.get(name)
        _, summary, _ = await driver.execute_query("PROFILE " + query.text, params,
                                                   database_=settings.database)
        plan = summary.profile
        if plan is None:
            raise RuntimeError(f"{name}: the server returned no profile")
        what = f" (thread of {n_steps} steps)" if name == "thread/get_thread" else ""
        print(f"### {name}{what}: {total_hits(plan)} db hits, "
              f"{summary.result_available_after} ms to first row (server)\n")
        print("```")
        print("\n".join(render(plan)))
        print("```\n")
    await driver.close()


if __name__ == "__main__":
    asyncio.run(main())
