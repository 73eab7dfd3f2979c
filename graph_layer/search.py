"""Turn what a person types into the sidebar search box into a safe full-text (Lucene) query.

Whole words must all match, case-insensitively; the last word also matches as a prefix, as a
person types. Only word characters reach Lucene, so no input can change the query's syntax.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 32


def words(text: str) -> list[str]:
    """The lower-cased words of ``text`` (at most MAX_WORDS)."""
    return [w.lower() for w in _WORD.findall(text)][:MAX_WORDS]


def lucene_query(text: str) -> str | None:
    """A Lucene query requiring every word (the last also as a prefix), or None if no words."""
    found = words(text)
    if not found:
        return None
    *head, last = found
    clauses = [f"+{w}" for w in head]
    clauses.append(f"+({last} OR {last}*)")
    return " ".join(clauses)
