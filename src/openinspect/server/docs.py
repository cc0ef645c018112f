"""The API's documentation pages, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, served without a network.

Their scripts and styles come from the ``fastapi-offline`` package, not from a CDN, so the pages work on a
station that reaches no internet. The pages need a token like the API (checked by
:class:`~openinspect.server.gate.TokenGate`); a browser passes it as ``?token=``, and the page passes it on
to the ``/openapi.json`` it loads.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
"""Swagger UI's and ReDoc's scripts and styles, as the package ships them."""
ASSETS_URL = "/docs/static"
"""Where the station serves them (no token: they are the same public files on every station)."""
OPENAPI_URL = "/openapi.json"
"""The OpenAPI document (FastAPI's default place)."""
PAGES = ("/docs", "/redoc", OPENAPI_URL)
"""The documentation's paths that need a token."""


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` from ``app`` with their assets under ``/docs/static``.

    ``app`` must be built with ``docs_url=None, redoc_url=None`` (FastAPI's own pages load a CDN) and serve its
    OpenAPI document at :data:`OPENAPI_URL`.
    """
    title = f"{app.title} API"

    async def swagger(token: str | None = None) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=_openapi_url(token), title=title,
                                   swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS_URL}/favicon.png")

    async def redoc(token: str | None = None) -> HTMLResponse:
        return get_redoc_html(openapi_url=_openapi_url(token), title=title,
                              redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS_URL}/favicon.png", with_google_fonts=False)

    app.add_api_route("/docs", swagger, include_in_schema=False, response_class=HTMLResponse)
    app.add_api_route("/redoc", redoc, include_in_schema=False, response_class=HTMLResponse)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-static")


def _openapi_url(token: str | None) -> str:
    """``/openapi.json``, with the page's ``?token=`` (URL-quoted: it lands in the page's script)."""
    return OPENAPI_URL if token is None else f"{OPENAPI_URL}?token={quote(token, safe='')}"
