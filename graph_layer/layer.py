"""``Neo4jDataLayer``: Chainlit's ``BaseDataLayer`` on Neo4j, one Cypher file per operation."""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import quote

from chainlit.context import ChainlitContextException, context
from chainlit.data.base import BaseDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient
from chainlit.data.utils import queue_until_user_message
from chainlit.types import Feedback, PageInfo, PaginatedResponse, Pagination, ThreadFilter
from chainlit.user import PersistedUser, User
from neo4j import AsyncDriver
from pydantic import SecretStr

from graph_layer import cursor, elements, records, search, write_rows
from graph_layer.batching import InFlight, detached
from graph_layer.convert import format_time, from_json, require_id
from graph_layer.errors import DatabaseError, InvalidInputError, NotFoundError, OwnershipError
from graph_layer.executor import Executor, create_driver
from graph_layer.plan_ahead import plan_queries
from graph_layer.purge import CLOSE_WAIT_S, Purger
from graph_layer.schema import apply_schema
from graph_layer.settings import Neo4jSettings
from graph_layer.steps import step_params
from graph_layer.write_rows import now as _now

if TYPE_CHECKING:
    from chainlit.element import Element, ElementDict
    from chainlit.step import StepDict
    from chainlit.types import ThreadDict

log = logging.getLogger("graph_layer")

_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])
_T = TypeVar("_T")


def queued(method: _F) -> _F:
    """Chainlit's ``queue_until_user_message`` (a decorator the override does not inherit)."""
    return cast(_F, queue_until_user_message()(method))  # type: ignore[no-untyped-call]


def write_call(method: _F) -> _F:
    """Count the call among the writes under way while it runs: ``close()`` waits for them
    (under ``queued``, from when the call runs)."""
    @functools.wraps(method)
    async def call(self: Neo4jDataLayer, *args: Any, **kwargs: Any) -> Any:
        with self._writes.track(method.__name__):
            return await method(self, *args, **kwargs)
    return cast(_F, call)


# Schema versions applied by this process, per (server or driver, database): never twice.
_SCHEMA_APPLIED: dict[tuple[str, str], int] = {}
# Where this process has planned the queries ahead (the same keys): once each.
_PLANNED: set[tuple[str, str]] = set()
# The planning under way, by key: a concurrent setup() waits for it.
_PLANNING: dict[tuple[str, str], asyncio.Future[int]] = {}
# Borrowed drivers whose keys ("driver:<id>") are forgotten when the driver is freed: a new
# driver may get a freed one's id, and must not inherit its schema and plans.
_WATCHED: set[str] = set()


def _forget_driver(where: str) -> None:
    """Drop a freed borrowed driver's entries from ``_SCHEMA_APPLIED`` and ``_PLANNED``."""
    for key in list(_SCHEMA_APPLIED):  # a snapshot: another thread may add keys meanwhile
        if key[0] == where:
            _SCHEMA_APPLIED.pop(key, None)
    for key in list(_PLANNED):
        if key[0] == where:
            _PLANNED.discard(key)
    _WATCHED.discard(where)


def _watch(driver: AsyncDriver) -> None:
    """Forget a borrowed driver's entries when it is freed (once per driver)."""
    where = f"driver:{id(driver)}"
    if where not in _WATCHED:
        weakref.finalize(driver, _forget_driver, where)
        _WATCHED.add(where)

DEBUG_QUERY = ("MATCH p=(t:Thread {id: '[thread_id]'})-[:CONTAINS|PARENT_OF|RATED*0..]-() "
               "WHERE NOT t:Deleted RETURN p")


class Neo4jDataLayer(BaseDataLayer):
    """Persist Chainlit users, threads, steps, elements and feedback in Neo4j.

    Pass a URI (and ``auth``), or an existing ``driver`` (never closed by the layer). The driver
    is created lazily on first use; the schema is applied once per process on first use, or
    explicitly with :meth:`setup`, which also plans the queries ahead.
    """

    def __init__(
        self,
        uri: str | None = None,
        *,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        driver: AsyncDriver | None = None,
        storage_client: BaseStorageClient | None = None,
        settings: Neo4jSettings | None = None,
    ) -> None:
        base = settings or Neo4jSettings()
        overrides: dict[str, Any] = {}
        if uri is not None:
            overrides["uri"] = uri
        if auth is not None:
            overrides["username"], overrides["password"] = auth[0], SecretStr(auth[1])
        if database is not None:
            overrides["database"] = database
        self.settings = base.model_copy(update=overrides)
        self.storage_client = storage_client
        self._driver = driver
        self._owns_driver = driver is None
        if driver is not None:
            _watch(driver)
        self._executor: Executor | None = None
        self._schema_ready = False
        self._version = 0
        self._schema_lock = asyncio.Lock()
        self._element_writes = InFlight()  # create_element calls under way, by element id
        self._writes = InFlight()  # write calls under way, by method name (see close())
        self._purger = Purger(self._run)  # deleted threads' content, after delete_thread

    @classmethod
    def from_env(cls, *, storage_client: BaseStorageClient | None = None) -> Neo4jDataLayer:
        """A layer configured from ``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``,
        ``NEO4J_DATABASE`` (and ``NEO4J_BROWSER_URL``)."""
        return cls(settings=Neo4jSettings(), storage_client=storage_client)

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def executor(self) -> Executor:
        """The query executor (creates the driver on first use)."""
        if self._executor is None:
            if self._driver is None:
                self._driver = create_driver(self.settings)
            self._executor = Executor(self._driver, self.settings.database,
                                      self.settings.max_connection_pool_size,
                                      self.settings.max_transaction_retry_time)
        return self._executor

    def _server_key(self) -> tuple[str, str]:
        where = self.settings.uri if self._owns_driver else f"driver:{id(self._driver)}"
        return (where, self.settings.database)

    async def setup(self) -> int:
        """Apply the schema (idempotent) unless this process already did for this database,
        then plan the queries (``settings.plan_ahead``: once per process and database, and a
        concurrent ``setup()`` waits for the planning under way; see
        ``graph_layer.plan_ahead``); return the schema version. Call it when the app starts
        (``@cl.on_app_startup``): on a just-started server it spares the first user up to 1.4 s
        of planning per query. Without it the first call applies the schema alone, and
        the queries are planned by their first calls: planning beside the first visit slowed
        it down (``python -m benchmarks.cold_start``)."""
        version = await self._apply_schema()
        key = self._server_key()
        planning = _PLANNING.get(key)
        if planning is not None and planning.get_loop() is asyncio.get_running_loop():
            await asyncio.wait([planning])  # a concurrent setup() plans: return when it has
        elif self.settings.plan_ahead and key not in _PLANNED:
            _PLANNED.add(key)  # a concurrent setup() does not plan them again
            planning = _PLANNING[key] = asyncio.ensure_future(plan_queries(self.executor))
            try:
                await planning
            except BaseException:
                _PLANNED.discard(key)  # raised (a bug, or cancelled): a later setup() tries again
                raise
            finally:
                _PLANNING.pop(key, None)
        self._purger.reopen()
        self._purger.start()  # what an earlier process deleted and did not purge
        return version

    async def _apply_schema(self) -> int:
        async with self._schema_lock:
            if not self._schema_ready:
                key = self._server_key()
                if key not in _SCHEMA_APPLIED:
                    _SCHEMA_APPLIED[key] = await apply_schema(self.executor)
                self._version = _SCHEMA_APPLIED[key]
                self._schema_ready = True
        return self._version

    async def _ready(self) -> Executor:
        """The executor, once the schema is applied (checked without the lock once it is)."""
        if not self._schema_ready:
            await self._apply_schema()
        return self.executor

    async def _run(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return await (await self._ready()).run(name, **params)

    async def _run_mapped(self, name: str, map_row: Callable[[dict[str, Any]], _T],
                          **params: Any) -> list[_T]:
        return await (await self._ready()).run_mapped(name, map_row, **params)

    async def _run_row(self, name: str, row: dict[str, Any]) -> dict[str, Any]:
        return await (await self._ready()).run_row(name, row)

    async def _after_writes(self, name: str, key: str | None = None, value: object = None
                            ) -> None:
        """Wait for the rows of query ``name`` given so far (see ``Executor.writes_settled``);
        after the schema setup, behind which the first writes may still wait."""
        await (await self._ready()).writes_settled(name, key, value)

    async def close(self) -> None:
        """Wait up to ``purge.CLOSE_WAIT_S`` for the writes under way (see ``_writes_ended``),
        then up to as long for the background purge of deleted threads; then close the driver
        if the layer created it, and the storage client."""
        await self._writes_ended(CLOSE_WAIT_S)
        await self._purger.close()
        if self._driver is not None and self._owns_driver:
            await self._driver.close()
            self._driver = None
            self._executor = None
        if self.storage_client is not None:
            await self.storage_client.close()

    async def _writes_ended(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for the writes under way: every write call (those Chainlit
        fired and forgot included), an element's write that goes on after its caller was
        cancelled, and the rows in the batchers (a cancelled caller's row is written all the
        same); writes begun meanwhile too. Chainlit ends the process right after close().
        Not to be called from inside a write (it would wait for itself)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while pending := self._writes_under_way():
            left = deadline - loop.time()
            if left <= 0:
                log.warning("graph_layer: closing with writes still under way after %g s; "
                            "they may be lost: %s", timeout, ", ".join(sorted(set(
                                pending.values()))))
                return
            await asyncio.wait(pending, timeout=left)

    def _writes_under_way(self) -> dict[asyncio.Future[Any], str]:
        """What ``_writes_ended`` waits for, each with what it is (a method, a query)."""
        pending: dict[asyncio.Future[Any], str] = {
            **self._writes.pending(),
            **{done: f"element {key}" for done, key in self._element_writes.pending().items()}}
        if self._executor is not None:
            pending.update(self._executor.unsettled_writes())
        return pending

    # -- users ------------------------------------------------------------------------------

    @staticmethod
    def _user(props: dict[str, Any]) -> PersistedUser:
        return PersistedUser(
            id=props["id"],
            identifier=props["identifier"],
            display_name=props.get("displayName"),
            createdAt=format_time(props["createdAt"]) or "",
            metadata=from_json(props.get("metadata")) or {},
        )

    async def get_user(self, identifier: str) -> PersistedUser | None:
        """The persisted user with this identifier, or None."""
        rows = await self._run("user/get_user", identifier=require_id(identifier, "identifier"))
        return self._user(rows[0]["user"]) if rows else None

    @write_call
    async def create_user(self, user: User) -> PersistedUser | None:
        """Upsert by identifier: id and createdAt are kept, metadata is replaced by the login's."""
        result = await self._run_row("user/upsert_user", write_rows.user_row(user))
        return self._user(result["user"])

    async def delete_user_session(self, id: str) -> bool:
        """Chainlit's documented hook; sessions are not stored in the graph, so nothing to do."""
        return True

    @write_call
    async def delete_user(self, identifier: str) -> dict[str, int] | None:
        """Remove a user and everything of theirs (threads, steps, elements, feedback) in one
        transaction, then their stored files (best effort); None when there is no such user.
        Their threads stay as content-free tombstones; nobody else's data is touched."""
        rows = await self._run(
            "user/delete_user", identifier=require_id(identifier, "identifier"), now=_now()
        )
        if not rows:
            return None
        row = rows[0]
        keys = row["objectKeys"]
        await elements.delete_files(self.storage_client, keys)
        counts = {k: int(row[k]) for k in ("threads", "steps", "elements", "feedback")}
        return {**counts, "files": len(set(keys))}

    # -- threads ----------------------------------------------------------------------------

    @write_call
    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        """Upsert a thread; None means untouched; metadata is a shallow merge (None deletes a
        key); the owner is only ever set; a deleted thread stays deleted."""
        row = write_rows.thread_row(thread_id, user_id, name, metadata, tags)
        if user_id is None:
            result = await self._run_row("thread/update_thread", row)
        else:  # it may link the owner, locking the user too: alone, so that no batch holds
            # users locked in its threads' order while another wants them in another order
            result = (await self._run("thread/update_thread", rows=[row]))[0]
        status = result["status"]
        if status is None:
            raise NotFoundError(f"update_thread({thread_id!r}): no user with id {user_id!r}")
        if status == "owned":
            raise OwnershipError(
                f"update_thread({thread_id!r}): thread belongs to another user; not changed"
            )
        if status == "deleted":
            log.info("graph_layer: update_thread ignored for deleted thread %s", thread_id)

    async def get_thread_author(self, thread_id: str) -> str:
        """The owner's identifier; ``""`` for an unknown or userless thread (Chainlit: 404)."""
        rows = await self._run("thread/get_thread_author", threadId=thread_id)
        return str(rows[0]["identifier"]) if rows else ""

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        """The whole thread in one query: steps (createdAt order, parents first) with feedback,
        elements with fresh URLs; None when missing or deleted. The steps arrive in rows of up
        to 100, each mapped while the server reads the next."""
        parts = await self._run_mapped("thread/get_thread", records.thread_part, threadId=thread_id)
        if not parts:
            return None
        head = next((row for row, _ in parts if row["thread"] is not None), None)
        if head is None:  # the query gives the thread in its first row
            raise DatabaseError("cypher/thread/get_thread.cypher returned no thread row")
        thread = records.thread_dict(head["thread"], head["userId"], head["userIdentifier"])
        thread["steps"] = records.order_steps([step for _, steps in parts for step in steps])
        urls = await elements.read_urls(self.storage_client, head["elements"])
        thread["elements"] = [
            records.element_dict(e, url) for e, url in zip(head["elements"], urls, strict=True)
        ]
        return thread  # type: ignore[return-value]

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        """One page of ``filters.userId``'s threads, newest activity first (returned as
        ``createdAt``), with a keyset cursor; optional search and feedback filters."""
        if not filters.userId:
            raise InvalidInputError("list_threads needs filters.userId")
        first = pagination.first
        if not isinstance(first, int) or first < 1 or first > 1000:
            raise InvalidInputError(f"pagination.first must be 1..1000, got {first!r}")
        cursor_time, cursor_id = cursor.decode(pagination.cursor)
        params: dict[str, Any] = {
            "userId": filters.userId, "cursorTime": cursor_time, "cursorId": cursor_id,
            "feedback": filters.feedback, "first": first,
        }
        if filters.search and filters.search.strip():
            lucene = search.lucene_queries(filters.search, filters.userId)
            if lucene is None:
                return PaginatedResponse(PageInfo(False, None, None), [])
            names, messages = lucene
            rows = await self._run("thread/search_threads", names=names, messages=messages,
                                   **params)
        else:
            rows = await self._run("thread/list_threads", **params)
        page = rows[:first]
        data = [
            records.thread_dict(r["thread"], filters.userId, r["userIdentifier"],
                                created_at_key="lastActivity")
            for r in page
        ]
        end = (
            cursor.encode(page[-1]["thread"]["lastActivity"], page[-1]["thread"]["id"])
            if page else None
        )
        start = data[0]["id"] if data else None
        return PaginatedResponse(PageInfo(len(rows) > first, start, end), data)  # type: ignore[arg-type]

    @write_call
    async def delete_thread(self, thread_id: str) -> None:
        """Delete the thread in one transaction: it becomes a tombstone, and no call of the
        layer returns it or its steps, elements and feedback; then remove its stored files
        (best effort). Those nodes are freed in the background (``graph_layer.purge``,
        ``purge_deleted``)."""
        rows = await self._run(
            "thread/delete_thread", threadId=require_id(thread_id, "thread_id"), now=_now()
        )
        try:
            await elements.delete_files(self.storage_client, rows[0]["objectKeys"] if rows else [])
        finally:
            self._purger.start()

    async def purge_deleted(self) -> int:
        """Free the nodes of deleted threads now (``delete_thread`` leaves that to the
        background): wait for the background purge, then purge what is left, raising errors;
        return how many nodes were removed."""
        return await self._purger.purge()

    # -- steps ------------------------------------------------------------------------------

    async def _upsert_step(self, step_dict: StepDict) -> None:
        params = step_params(dict(step_dict))
        result = await self._run_row("step/upsert_step", params)
        status, owner = result["status"], result["stepThreadId"]
        if status == "deleted":
            log.info("graph_layer: step %s ignored: thread %s was deleted",
                     params["stepId"], params["threadId"])
        elif owner != params["threadId"]:
            raise OwnershipError(
                f"step {params['stepId']} belongs to thread {owner}, not {params['threadId']}"
            )

    @queued
    @write_call
    async def create_step(self, step_dict: StepDict) -> None:
        """Idempotent upsert of a full step snapshot (see ``cypher/step/upsert_step.cypher``)."""
        await self._upsert_step(step_dict)

    @queued
    @write_call
    async def update_step(self, step_dict: StepDict) -> None:
        """Same as create_step: every write carries a full snapshot."""
        await self._upsert_step(step_dict)

    @queued
    @write_call
    async def delete_step(self, step_id: str) -> None:
        """Delete the step and its descendants with their elements, feedback and files (after
        the step writes this process was given before, which could otherwise bring them back)."""
        await self._after_writes("step/upsert_step")  # a child's write revives its parent
        await self._element_writes.settled()  # an element's write revives its step
        rows = await self._run("step/delete_step", stepId=require_id(step_id, "step_id"))
        await elements.delete_files(self.storage_client, rows[0]["objectKeys"] if rows else [])

    async def get_favorite_steps(self, user_id: str) -> list[StepDict]:
        """The user's steps whose metadata.favorite is true, newest first."""
        rows = await self._run("step/get_favorite_steps", userId=user_id)
        return [records.step_from_columns(r["step"]) for r in rows]  # type: ignore[misc]

    @write_call
    async def set_step_favorite(self, step_dict: StepDict, favorite: bool) -> StepDict:
        """Set metadata.favorite with a direct (never queued) write; return the step."""
        metadata = dict(step_dict.get("metadata") or {})
        metadata["favorite"] = bool(favorite)
        updated: StepDict = {**step_dict, "metadata": metadata}
        await self._upsert_step(updated)
        return updated

    # -- elements ---------------------------------------------------------------------------

    @staticmethod
    def _session_thread_id() -> str | None:
        try:
            return context.session.thread_id
        except ChainlitContextException:
            return None

    @queued
    @write_call
    async def create_element(self, element: Element | ElementDict) -> None:
        """Upsert an element and copy its bytes to the storage client (when configured)."""
        write = elements.normalise(element, self._session_thread_id())
        # In a task of its own: a cancelled caller's write goes on (as every write does) and
        # keeps its turn until it ends. delete_element waits for it, and a later write of the
        # same element runs after it, so the file a write replaces is never one a later write
        # of the element still needs.
        await detached(self._element_write(write), f"the write of element {write.element_id}")

    async def _element_write(self, write: elements.ElementWrite) -> None:
        async with self._element_writes.in_turn(write.element_id):
            await self._create_element(write)

    async def _create_element(self, write: elements.ElementWrite) -> None:
        key = None
        if self.storage_client is not None:
            key = await elements.upload(self.storage_client, write)
        elif write.path or write.content is not None:
            log.warning("graph_layer: no storage client; bytes of element %s not stored",
                        write.element_id)
        if key:
            write.props["objectKey"] = key
        try:
            result = await self._run_row("element/upsert_element", write_rows.element_row(write))
        except Exception:
            if key:
                await self._drop_unless_in_use(write, key)
            raise
        status, owner = result["status"], result["elementThreadId"]
        stored = status == "ok" and owner == write.thread_id
        previous = result["previousKey"]
        if key and not stored:  # a deleted thread's, or another thread's element: unused
            await elements.delete_files(self.storage_client, [key])
        elif key and previous not in (None, key):
            # the file this write replaced (the same key: the same bytes again, or a retry of
            # a write that committed)
            await elements.delete_files(self.storage_client, [previous])
        if status == "ok" and not stored:
            raise OwnershipError(
                f"element {write.element_id} belongs to thread {owner}, not {write.thread_id}"
            )

    async def _drop_unless_in_use(self, write: elements.ElementWrite, key: str) -> None:
        """After a failed element write: remove its upload, unless the element already points
        at that key (the same bytes as before). When even that cannot be read, the upload is
        left in storage and its key logged."""
        try:
            rows = await self._run("element/get_element", threadId=write.thread_id,
                                   elementId=write.element_id)
        except Exception as err:  # the write's own error is the one raised
            log.warning("graph_layer: element %s: its write failed and whether it already "
                        "points at %s could not be read (%s); the file is left in storage",
                        write.element_id, key, err)
            return
        if not rows or rows[0]["element"].get("objectKey") != key:
            await elements.delete_files(self.storage_client, [key])

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        """The element if it belongs to ``thread_id``, with a fresh URL; else None."""
        rows = await self._run("element/get_element", threadId=thread_id, elementId=element_id)
        if not rows:
            return None
        props = rows[0]["element"]
        url = await elements.read_url(self.storage_client, props)
        return records.element_dict(props, url)  # type: ignore[return-value]

    @queued
    @write_call
    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        """Delete an element (scoped to ``thread_id``, else the session's thread) and its file."""
        scope = thread_id or self._session_thread_id()
        await self._element_writes.settled(element_id)
        rows = await self._run(
            "element/delete_element", elementId=require_id(element_id, "element_id"),
            threadId=scope,
        )
        await elements.delete_files(self.storage_client, [r["objectKey"] for r in rows])

    # -- feedback ---------------------------------------------------------------------------

    @write_call
    async def upsert_feedback(self, feedback: Feedback) -> str:
        """One feedback per step: create or update it; return its id. A step whose write this
        process was given and has not committed yet (the user rated a reply faster than the
        server stored its run) is waited for."""
        row = write_rows.feedback_row(feedback)  # checked before waiting; ``now`` is the rating's
        await self._after_writes("step/upsert_step", "stepId", row["forId"])
        result = await self._run_row("feedback/upsert_feedback", row)
        if result["id"] is None:
            raise NotFoundError(f"upsert_feedback: no step {row['forId']!r} to rate")
        return str(result["id"])

    @write_call
    async def delete_feedback(self, feedback_id: str) -> bool:
        """Delete a feedback by id; True if it existed (after this process's writes of it
        given before, which would otherwise bring it back)."""
        await self._after_writes("feedback/upsert_feedback", "feedbackId", feedback_id)
        rows = await self._run("feedback/delete_feedback", feedbackId=feedback_id)
        return bool(rows and rows[0]["deleted"])

    # -- debugging --------------------------------------------------------------------------

    async def build_debug_url(self) -> str:
        """A Neo4j Browser link that opens the thread (``[thread_id]`` is left for Chainlit to
        fill in); ``""`` without ``NEO4J_BROWSER_URL``. Never raises."""
        try:
            base = self.settings.browser_url
            if not base:
                return ""
            before, after = DEBUG_QUERY.split("[thread_id]")
            arg = quote(before, safe="") + "[thread_id]" + quote(after, safe="")
            sep = "&" if "?" in base else "?"
            return f"{base}{sep}cmd=edit&arg={arg}"
        except Exception as err:  # Chainlit's settings call breaks if this raises
            log.warning("graph_layer: build_debug_url failed: %s", err)
            return ""
