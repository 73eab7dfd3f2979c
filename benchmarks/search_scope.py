"""``python -m benchmarks.search_scope``: what the sidebar search costs as the database grows
with other users' messages, before and after the search indexes held each document's owner.

- **before** (schema 8): ``thread_name_search`` / ``message_text_search`` over the text only;
  Lucene returns every user's matches and the query keeps the searching user's;
- **after** (schema 9, ``cypher/thread/search_threads.cypher``): the indexes also hold the
  owner's id and the query requires it, so Lucene reads one user's matches.

Creates the schema-8 indexes beside the current ones (and drops them at the end), then times
both queries taking turns, for the benchmark's 1k and 10k sidebar users, on words that match
few or many documents: the benchmark's search word, a word of every thread's name and
question (``topic``/``question``), two words, and one-letter prefixes (the first keystroke:
the last word is also matched as a prefix; ``a`` matches every message). Checks that both
return the same page. Point ``NEO4J_URI`` at a database a ``graph-layer bench --scale ...``
run loaded (its background users' messages contain the same words)."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import typer

from benchmarks.data import SEARCH_WORD
from graph_layer import cursor, queries, search
from graph_layer.executor import create_driver
from graph_layer.settings import Neo4jSettings

BEFORE_INDEXES = {
    "thread_name_search": "FOR (t:Thread) ON EACH [t.name]",
    "message_text_search": "FOR (s:Message) ON EACH [s.input, s.output]",
}
OPTIONS = ("OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words', "
           "`fulltext.eventually_consistent`: true}}")
WORDS = (SEARCH_WORD, "topic", "question", "topic 5", "a", "q")
USERS = ("sidebar-1000", "sidebar-10000")


def before_query() -> str:
    """The schema-8 query: both indexes with one query over the words alone."""
    text = queries.get("thread/search_threads").text
    for now, then in (("'thread_name_by_user', $names", "'thread_name_search', $search"),
                      ("'message_search', $messages", "'message_text_search', $search")):
        if now not in text:
            raise SystemExit(f"cypher/thread/search_threads.cypher no longer calls {now}")
        text = text.replace(now, then)
    return text


def before_words(text: str) -> str:
    """The schema-8 Lucene query (the fields were the index's own)."""
    *head, last = search.words(text)
    return " ".join([*(f"+{w}" for w in head), f"+({last} OR {last}*)"])


async def compare(reps: int) -> None:
    settings = Neo4jSettings()
    driver = create_driver(settings)
    db = settings.database

    async def run(text: str, params: dict[str, Any]) -> tuple[float, list[Any]]:
        started = time.perf_counter()
        records, _, _ = await driver.execute_query(text, params, database_=db)
        return (time.perf_counter() - started) * 1e3, [r["thread"]["id"] for r in records]

    try:
        for name, target in BEFORE_INDEXES.items():
            await driver.execute_query(f"CREATE FULLTEXT INDEX {name} IF NOT EXISTS {target} "
                                       f"{OPTIONS}", database_=db)
        await driver.execute_query("CALL db.awaitIndexes(600)", database_=db)
        rows, _, _ = await driver.execute_query(
            "RETURN COUNT { (:Thread) } AS threads, COUNT { (:Message) } AS messages",
            database_=db)
        print(f"{rows[0]['threads']:,} threads, {rows[0]['messages']:,} messages; median ms of "
              f"{reps} calls each, taking turns (after one unrecorded call of each)\n")
        print("| user | search | page rows | before | after | before / after |")
        print("|---|---|---:|---:|---:|---:|")
        old_text, new_text = before_query(), queries.get("thread/search_threads").text
        far_time, far_id = cursor.decode(None)
        for identifier in USERS:
            found, _, _ = await driver.execute_query(
                "MATCH (u:User {identifier: $identifier}) RETURN u.id AS id",
                identifier=identifier, database_=db)
            if not found:
                print(f"| {identifier} | (not in this database) | | | | |")
                continue
            user_id = found[0]["id"]
            base = {"userId": user_id, "cursorTime": far_time, "cursorId": far_id,
                    "feedback": None, "first": 35}
            for words in WORDS:
                lucene = search.lucene_queries(words, user_id)
                assert lucene is not None
                names, messages = lucene
                variants = {"before": (old_text, {**base, "search": before_words(words)}),
                            "after": (new_text, {**base, "names": names, "messages": messages})}
                times: dict[str, list[float]] = {k: [] for k in variants}
                pages: dict[str, list[Any]] = {}
                for round_ in range(reps + 1):
                    for key, (text, params) in variants.items():
                        elapsed, pages[key] = await run(text, params)
                        if round_:
                            times[key].append(elapsed)
                if pages["before"] != pages["after"]:
                    raise SystemExit(f"{identifier} {words!r}: the pages differ")
                before, after = (statistics.median(times[k]) for k in ("before", "after"))
                print(f"| {identifier} | `{words}` | {len(pages['after'])} | {before:.1f} | "
                      f"{after:.1f} | {before / after:.1f}x |")
    finally:
        for name in BEFORE_INDEXES:
            await driver.execute_query(f"DROP INDEX {name} IF EXISTS", database_=db)
        await driver.close()


def main(reps: int = typer.Option(10, help="Recorded calls per variant, user and search.")) -> None:
    """Print the before/after median per user and search."""
    asyncio.run(compare(reps))


if __name__ == "__main__":
    typer.run(main)
