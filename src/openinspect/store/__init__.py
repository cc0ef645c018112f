"""Persistence: the workspace folder, its SQLite database and atomic file writes."""

from openinspect.store.workspace import Label, ModelVersion, StoredImage, Workspace, content_id, write_json

__all__ = ["Label", "ModelVersion", "StoredImage", "Workspace", "content_id", "write_json"]
