"""A recipe's captures: images added for labelling, once each by content.

The images themselves are in the workspace's content-addressed library; the recipe's folder lists its
captures, in the order they were added, in ``captures.json``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from openinspect.errors import NotFoundError
from openinspect.imaging import upload_name
from openinspect.store import StoredImage, Workspace
from openinspect.store.files import write_atomic
from openinspect.store.workspace import CAPTURES_FILE


class CaptureService:
    """The captures of the recipes on one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._lock = threading.Lock()

    def add(self, name: str, files: list[tuple[str, bytes]]) -> list[StoredImage]:
        """Add ``(filename, bytes)`` captures to the image library and to the recipe's captures, once each.

        Raises:
            NotFoundError: unknown recipe.
            ImageError: a file does not decode (the files before it were added).
        """
        self.workspace.recipe(name)
        stored = [self.workspace.add_image(data, upload_name(filename, data)) for filename, data in files]
        self.append(name, stored)
        return stored

    def append(self, name: str, images: list[StoredImage]) -> None:
        """Append library images to the recipe's captures, each once."""
        with self._lock:
            known = self.ids(name)
            added = [i.sha256 for i in images if i.sha256 not in known]
            if added:
                data = json.dumps({"images": [*known, *dict.fromkeys(added)]}, indent=1).encode("utf-8")
                write_atomic(self._file(name), data)

    def ids(self, name: str) -> list[str]:
        """The content hashes of the recipe's captures, oldest first."""
        return self.workspace.capture_ids(name)

    def image(self, sha256: str) -> StoredImage:
        """An image of the library.

        Raises:
            NotFoundError: no such image.
        """
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFoundError(f"no image {sha256!r}: image ids are 64 hex digits")
        stored = self.workspace.image(sha256, missing_ok=True)
        if stored is None:
            raise NotFoundError(f"no image {sha256[:12]}… in the library")
        return stored

    def _file(self, name: str) -> Path:
        return self.workspace.recipe_path(name).parent / CAPTURES_FILE
