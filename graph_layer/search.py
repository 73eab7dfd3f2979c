"""Turn what a person types into the sidebar search box into safe full-text (Lucene) queries.

Whole words must all match, case-insensitively; the last word also matches as a prefix, as a
person types. Only word characters reach Lucene as words, and the owner's id only inside a
quoted phrase, so no input can change the query's syntax.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 32


def words(text: str) -> list[str]:
    """The lower-cased words of ``text`` (at most MAX_WORDS)."""
    return [w.lower() for w in _WORD.findall(text)][:MAX_WORDS]


def phrase(value: str) -> str:
    """``value`` as a quoted Lucene phrase (the index's analyzer splits it as it split the
    stored value)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lucene_queries(text: str, user_id: str) -> tuple[str, str] | None:
    """(thread names query, messages query) for ``user_id``'s documents containing every word
    of ``text`` (the last also as a prefix): in the name, or each in a message's input or
    output. None if ``text`` has no words.

    The owner clause lets Lucene read only this user's matches; an id the analyzer reduces to
    no words drops the clause, and the query's exact ``userId`` test still filters.
    """
    found = words(text)
    if not found:
        return None
    *head, last = found
    terms = [*head, f"({last} OR {last}*)"]
    owner = f"+userId:{phrase(user_id)}"
    names = " ".join([owner, *(f"+name:{term}" for term in terms)])
    messages = " ".join([owner, *(f"+(input:{term} output:{term})" for term in terms)])
    return names, messages
