"""A storage client for element files on the local disk, with signed, expiring read URLs.

Chainlit's own clients need S3, GCS or Azure. ``LocalFileStorageClient`` keeps bytes under a
folder and hands out ``{base_url}/{object_key}?expires=…&signature=…`` URLs that
:func:`graph_layer.storage.verify` checks; the demo app serves them from a route of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chainlit.data.storage_clients.base import BaseStorageClient, storage_expiry_time

from graph_layer.errors import InvalidInputError


class LocalFileStorageClient(BaseStorageClient):
    """Element bytes in ``root``; read URLs under ``base_url``, signed with ``secret``."""

    def __init__(
        self,
        root: str | Path,
        base_url: str,
        *,
        secret: str | None = None,
        expiry_seconds: int = storage_expiry_time,
    ) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.base_url = base_url.rstrip("/")
        self.secret = (secret or secrets.token_hex(32)).encode()
        self.expiry_seconds = expiry_seconds

    def path_for(self, object_key: str) -> Path:
        """The file behind an object key; refuses keys that would leave ``root``."""
        if not object_key or object_key.startswith("/") or "\\" in object_key:
            raise InvalidInputError(f"bad object key {object_key!r}")
        path = (self.root / object_key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidInputError(f"object key {object_key!r} leaves the storage folder")
        return path

    def _sign(self, object_key: str, expires: int) -> str:
        message = f"{object_key}\n{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def verify(self, object_key: str, expires: str, signature: str) -> bool:
        """True if the signature is ours and has not expired."""
        try:
            when = int(expires)
        except ValueError:
            return False
        if when < time.time():
            return False
        return hmac.compare_digest(self._sign(object_key, when), signature)

    def mime_of(self, object_key: str) -> str:
        """The MIME type recorded at upload."""
        meta = self.path_for(object_key).with_suffix(".meta.json")
        try:
            return str(json.loads(meta.read_text())["mime"])
        except (OSError, ValueError, KeyError):
            return "application/octet-stream"

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        """Write the bytes (str is UTF-8 encoded) and return the key and a read URL."""
        path = self.path_for(object_key)
        payload = data.encode() if isinstance(data, str) else data
        if path.exists() and not overwrite:
            raise InvalidInputError(f"{object_key} exists and overwrite is False")

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(payload)
            tmp.replace(path)
            path.with_suffix(".meta.json").write_text(json.dumps({"mime": mime}))

        await asyncio.to_thread(write)
        return {"object_key": object_key, "url": await self.get_read_url(object_key)}

    async def get_read_url(self, object_key: str) -> str:
        """A signed URL valid for ``expiry_seconds``."""
        expires = int(time.time()) + self.expiry_seconds
        signature = self._sign(object_key, expires)
        return (f"{self.base_url}/{quote(object_key)}"
                f"?expires={expires}&signature={signature}")

    async def delete_file(self, object_key: str) -> bool:
        """Remove the file; True if it existed."""
        path = self.path_for(object_key)
        existed = path.exists()
        path.unlink(missing_ok=True)
        path.with_suffix(".meta.json").unlink(missing_ok=True)
        return existed

    async def close(self) -> None:
        """Nothing to release."""
