"""The station's HTTP API (FastAPI): REST under ``/api/v1``, a WebSocket feed, OpenAPI at ``/docs``."""

from openinspect.server.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
