"""Load the Cypher files under ``cypher/`` once, validate their headers, and look them up by name.

Each file starts with ``//`` header lines::

    // Upsert a thread: name, tags, metadata keys, owner.
    // mode: write
    // params: threadId, props, userId, now
    // returns: status

``mode`` is ``read`` or ``write`` (reads are routed to READ servers); ``params`` lists every
``$parameter`` the query uses, exactly. An optional ``// values: plain`` promises that the
rows hold only maps, lists and scalars (no node, relationship or path), so the executor skips
converting them (``tests/test_executor_rows.py`` checks the promise on real data). A write
whose only parameter is ``$rows`` (``UNWIND $rows AS row``) may say ``// batch: <key>``: its
callers give one row each, and concurrent rows share a transaction, sorted by that key
(``Executor.run_row``, ``batching.RowBatcher``). An analytics query marked
``// reads: summaries`` gets the thread and turn summaries refreshed
(``AnalyticsDB.refresh_summaries``) before it runs. Names are the path below ``cypher/``
without the suffix, e.g. ``thread/update_thread``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graph_layer.errors import QueryFileError

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_HEADER = re.compile(r"^//\s*(mode|params|returns|values|reads|batch)\s*:(.*)$")


def cypher_root() -> Path:
    """The ``cypher/`` folder: shipped inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "cypher", here.parent / "cypher"):
        if candidate.is_dir():
            return candidate
    raise QueryFileError(f"no cypher/ folder found beside {here} or inside it")


@dataclass(frozen=True)
class Query:
    """One Cypher file: its name, text, declared parameters and routing mode."""

    name: str
    path: Path
    text: str
    params: frozenset[str]
    mode: str
    description: str
    plain_values: bool = False
    reads_summaries: bool = False
    batch_key: str | None = None

    @property
    def is_read(self) -> bool:
        """True when the file declares ``mode: read``."""
        return self.mode == "read"

    def check_params(self, given: dict[str, object]) -> None:
        """Refuse a call whose parameter names differ from the declared ones."""
        names = set(given)
        if names != self.params:
            missing = sorted(self.params - names)
            extra = sorted(names - self.params)
            raise QueryFileError(
                f"{self.name}: parameters do not match the file "
                f"(missing {missing}, unexpected {extra})"
            )


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def parse_query(name: str, path: Path) -> Query:
    """Parse and validate one file; raise QueryFileError naming the path when it is malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise QueryFileError(f"cannot read query file {path}: {err}") from err
    header: dict[str, str] = {}
    description: list[str] = []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        match = _HEADER.match(line)
        if match:
            header[match.group(1)] = match.group(2).strip()
        else:
            description.append(line.lstrip("/ ").strip())
    mode = header.get("mode")
    if mode not in ("read", "write"):
        raise QueryFileError(f"{path}: header needs '// mode: read' or '// mode: write'")
    if "params" not in header:
        raise QueryFileError(f"{path}: header needs a '// params:' line (may be empty)")
    declared = frozenset(p.strip() for p in header["params"].split(",") if p.strip())
    body = _strip_comments(text)
    used = frozenset(_PARAM.findall(body))
    if declared != used:
        raise QueryFileError(
            f"{path}: declared params {sorted(declared)} differ from those used {sorted(used)}"
        )
    if not body.strip():
        raise QueryFileError(f"{path}: no Cypher in the file")
    values = header.get("values", "")
    if values not in ("", "plain"):
        raise QueryFileError(f"{path}: '// values:' can only be 'plain', got {values!r}")
    reads = header.get("reads", "")
    if reads not in ("", "summaries"):
        raise QueryFileError(f"{path}: '// reads:' can only be 'summaries', got {reads!r}")
    batch_key = header.get("batch") or None
    if batch_key is not None and (mode != "write" or declared != {"rows"}):
        raise QueryFileError(f"{path}: '// batch:' needs a write whose only parameter is $rows")
    return Query(name, path, body.strip(), declared, mode, " ".join(description).strip(),
                 plain_values=values == "plain", reads_summaries=reads == "summaries",
                 batch_key=batch_key)


@cache
def load_all(root: Path | None = None) -> dict[str, Query]:
    """Every ``*.cypher`` file below ``root`` (default: the package's), keyed by name."""
    base = root or cypher_root()
    queries: dict[str, Query] = {}
    for path in sorted(base.rglob("*.cypher")):
        name = path.relative_to(base).with_suffix("").as_posix()
        queries[name] = parse_query(name, path)
    if not queries:
        raise QueryFileError(f"no .cypher files under {base}")
    return queries


def get(name: str) -> Query:
    """The query called ``name`` (e.g. ``step/upsert_step``); a missing file is an error."""
    queries = load_all()
    try:
        return queries[name]
    except KeyError:
        raise QueryFileError(f"no query file cypher/{name}.cypher") from None
