"""Serve ``LocalFileStorageClient`` files from the Chainlit server itself.

Chainlit registers a catch-all ``GET /{full_path:path}`` (its UI) before the app module is
loaded, so a route added afterwards would never match. :func:`mount_storage_route` puts ours
first in the app's route list (its path prefix is ours alone, so it shadows nothing). Files are
same-origin for the UI; Chainlit's CORS middleware (``allow_origins``) covers other origins.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

from graph_layer.errors import InvalidInputError
from graph_layer.storage import LocalFileStorageClient

STORAGE_PATH = "/graph-layer/files"
"""Where element files are served (the storage client's ``base_url``)."""


def mount_storage_route(app: FastAPI, storage: LocalFileStorageClient,
                        path: str = STORAGE_PATH) -> None:
    """Add ``GET {path}/{key}?expires=&signature=`` ahead of Chainlit's routes."""

    async def serve_element_file(key: str, expires: str = "", signature: str = "") -> FileResponse:
        if not storage.verify(key, expires, signature):
            raise HTTPException(status_code=403, detail="bad or expired signature")
        try:
            file = storage.path_for(key)
        except InvalidInputError as err:
            raise HTTPException(status_code=400, detail=str(err)) from err
        if not file.is_file():
            raise HTTPException(status_code=404, detail="no such file")
        return FileResponse(file, media_type=storage.mime_of(key),
                            headers={"Cache-Control": "private, max-age=300"})

    app.add_api_route(f"{path}/{{key:path}}", serve_element_file, methods=["GET"])
    routes = app.router.routes
    routes.insert(0, routes.pop())
