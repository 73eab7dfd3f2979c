"""Elements in and out: normalise Chainlit's ``Element`` (or an ``ElementDict``), copy file bytes
to the storage client, and resolve fresh read URLs."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiofiles
from chainlit.data.storage_clients.base import BaseStorageClient

from graph_layer.convert import check_text, require_id, to_json
from graph_layer.errors import InvalidInputError

log = logging.getLogger("graph_layer")

# ElementDict key -> Element attribute
_ATTRS = {
    "id": "id",
    "threadId": "thread_id",
    "forId": "for_id",
    "type": "type",
    "name": "name",
    "display": "display",
    "size": "size",
    "language": "language",
    "page": "page",
    "mime": "mime",
    "url": "url",
    "objectKey": "object_key",
    "chainlitKey": "chainlit_key",
    "autoPlay": "auto_play",
    "props": "props",
    "playerConfig": "player_config",
    "path": "path",
    "content": "content",
}
_TEXT = ("type", "name", "display", "size", "language", "mime", "url", "objectKey", "chainlitKey")


@dataclass
class ElementWrite:
    """What one create_element call stores: node properties, and bytes to upload (if any)."""

    element_id: str
    thread_id: str
    for_id: str | None
    props: dict[str, Any]
    path: str | None
    content: bytes | str | None


def _read(element: Any, key: str) -> Any:
    if isinstance(element, dict):
        return element.get(key)
    return getattr(element, _ATTRS[key], None)


def normalise(element: Any, default_thread_id: str | None) -> ElementWrite:
    """Validate an Element or ElementDict into an ElementWrite; refuse bad values up front."""
    element_id = require_id(_read(element, "id"), "element id")
    thread_id = require_id(_read(element, "threadId") or default_thread_id, "element threadId")
    for_id = _read(element, "forId") or None
    if for_id is not None:
        require_id(for_id, "element forId")
    props: dict[str, Any] = {}
    for key in _TEXT:
        value = check_text(_read(element, key), f"element.{key}")
        if value:
            props[key] = value
    page = _read(element, "page")
    if page is not None:
        if not isinstance(page, int) or isinstance(page, bool):
            raise InvalidInputError(f"element.page must be an integer, got {page!r}")
        props["page"] = page
    auto_play = _read(element, "autoPlay")
    if auto_play is not None:
        props["autoPlay"] = bool(auto_play)
    for key in ("props", "playerConfig"):
        encoded = to_json(_read(element, key), f"element.{key}")
        if encoded is not None:
            props[key] = encoded
    if for_id:
        props["forId"] = for_id
    content = _read(element, "content")
    if content is not None and not isinstance(content, (bytes, str)):
        raise InvalidInputError(f"element.content must be bytes or str, not {type(content)}")
    path = _read(element, "path")
    if path is not None and not isinstance(path, str):
        path = str(path)
    return ElementWrite(element_id, thread_id, for_id, props, path, content)


def object_key(thread_id: str, element_id: str, data: bytes) -> str:
    """Where an element's bytes go in storage: a key of their own for each content, so new
    bytes never overwrite the file the element points at until its write has committed (the
    layer then deletes the file it replaced), and the same bytes sent again are the same
    write. Ids are quoted so no id can escape its folder."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    return (f"threads/{quote(thread_id, safe='')}/files/"
            f"{digest}-{quote(element_id, safe='')}")


async def upload(storage: BaseStorageClient, write: ElementWrite) -> str | None:
    """Copy the element's bytes (from ``path`` or ``content``) to storage; return the object key."""
    data: bytes | str | None = write.content
    if write.path:
        try:
            async with aiofiles.open(write.path, "rb") as f:
                data = await f.read()
        except OSError as err:
            raise InvalidInputError(
                f"element {write.element_id}: cannot read {write.path}: {err}"
            ) from err
    if data is None:
        return None
    if isinstance(data, str):  # stored as UTF-8, as the storage clients do
        try:
            data = data.encode()
        except UnicodeEncodeError as err:
            raise InvalidInputError(
                f"element {write.element_id}: content is not valid UTF-8: {err}") from err
    key = object_key(write.thread_id, write.element_id, data)
    name = write.props.get("name", write.element_id).replace('"', "")
    await storage.upload_file(
        object_key=key,
        data=data,
        mime=write.props.get("mime") or "application/octet-stream",
        overwrite=True,
        content_disposition=f'inline; filename="{name}"',
    )
    return key


async def read_url(storage: BaseStorageClient | None, props: dict[str, Any]) -> str | None:
    """A fresh URL for an element: re-signed from its object key, else the stored URL."""
    key = props.get("objectKey")
    if storage is not None and key:
        return await storage.get_read_url(key)
    url: str | None = props.get("url")
    return url


async def read_urls(
    storage: BaseStorageClient | None, elements: list[dict[str, Any]]
) -> list[str | None]:
    """Fresh URLs for many elements, resolved concurrently."""
    return list(await asyncio.gather(*(read_url(storage, e) for e in elements)))


async def delete_files(storage: BaseStorageClient | None, keys: Iterable[str | None]) -> None:
    """Remove stored files after their nodes are gone: best effort, failures logged."""
    if storage is None:
        return
    for key in {k for k in keys if k}:
        try:
            await storage.delete_file(key)
        except Exception as err:  # storage is outside the transaction: log, never undo the delete
            log.warning("graph_layer: could not delete stored file %s: %s", key, err)
