"""The web UI: static HTML, JS and CSS from ``web/``, ``index.html`` at ``/`` and the assets under ``/ui``.

The UI is plain ES modules with no build step; it talks to the station only through the public
HTTP API and WebSocket, like any other client.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).parent / "web"
"""The UI's files, shipped inside the package."""


class _Assets(StaticFiles):
    """Static files that the browser revalidates on every load, so an updated station serves its new UI."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, with ``Cache-Control: no-cache`` (conditional requests still answer 304)."""
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response


def install_web_ui(app: FastAPI) -> None:
    """Serve the web UI from ``app``: ``/`` is the single page, ``/ui/...`` its assets."""

    async def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.add_api_route("/", index, include_in_schema=False, response_class=FileResponse)
    app.mount("/ui", _Assets(directory=WEB_DIR), name="ui")
