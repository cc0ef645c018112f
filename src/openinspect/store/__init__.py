"""Persistence: the workspace folder, its SQLite database and atomic file writes."""

from openinspect.store.files import write_json
from openinspect.store.meta import META_FILE, ModelMeta
from openinspect.store.revisions import Revision, unified_diff
from openinspect.store.workspace import (
    Deployment,
    Label,
    ModelVersion,
    StoredImage,
    SyntheticOrigin,
    Workspace,
    content_id,
)

__all__ = ["META_FILE", "Deployment", "Label", "ModelMeta", "ModelVersion", "Revision", "StoredImage",
           "SyntheticOrigin", "Workspace", "content_id", "unified_diff", "write_json"]
