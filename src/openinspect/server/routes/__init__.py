"""The API's routers, one per concept, mounted under ``/api/v1``."""
