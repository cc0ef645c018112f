"""Errors OpenInspect raises on purpose, each carrying the context a person needs to act.

The tree is short:

- ``OpenInspectError``: the base; ``str(err)`` is a complete, actionable message.
  - ``RecipeError``: a recipe file or recipe change is invalid (names the field and allowed values).
  - ``ImageError``: a capture cannot be decoded or does not fit the recipe (names the file or ROI).
    - ``PartNotFoundError``: alignment did not find the part in the capture (carries the pose).
  - ``DatasetError``: labels or training data are missing or inconsistent.
  - ``ModelNotFoundError``: an inspection type has no trained model yet.
  - ``NotFoundError``: a named recipe, image or model version does not exist.
  - ``ConflictError``: a name is taken already (a new or imported recipe under the name of a stored one).
  - ``ArchiveError``: a recipe archive cannot be read or is not one OpenInspect wrote (names the member).
  - ``SettingsError``: a station setting is invalid or cannot be applied (names the field and the fix).
  - ``SynthError``: the Defect Creator cannot make what was asked (names the word, count, size or host and the fix).
  - ``StationBusyError``: the station cannot take the request now (trigger queue full, training running).
  - ``ClusterError``: a batch job cannot use Ray (the ``cluster`` extra missing, the cluster unreachable).
  - ``StorageError``: the workspace cannot be written (carries the free space left).
    - ``StorageFullError``: its disk is full.
    - ``StorageUnavailableError``: it is read-only, went away, or its database cannot be reached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openinspect.imaging.align import Pose


class OpenInspectError(Exception):
    """Base of every error OpenInspect raises on purpose; the message says what to do."""


class RecipeError(OpenInspectError):
    """A recipe is invalid; the message names the field and the allowed values."""


class ImageError(OpenInspectError):
    """A capture cannot be decoded or does not fit the recipe's ROIs."""


class PartNotFoundError(ImageError):
    """The recipe aligns and its template did not match the capture well enough: the part is not there."""

    def __init__(self, message: str, pose: Pose) -> None:
        super().__init__(message)
        self.pose = pose
        """The best match, with its ``score`` below the recipe's ``min_score``."""


class DatasetError(OpenInspectError):
    """Labelled data is missing or inconsistent for what was asked."""


class NotFoundError(OpenInspectError):
    """A named recipe, image or model version does not exist."""


class ModelNotFoundError(NotFoundError):
    """An inspection type has no trained model yet."""


class ConflictError(OpenInspectError):
    """A name is taken already; the message says how to choose another."""


class ArchiveError(OpenInspectError):
    """A recipe archive is unreadable, unsafe, too large or not one OpenInspect wrote; the message names the member."""


class SettingsError(OpenInspectError):
    """A station setting is invalid or cannot be applied; the message names the field and the fix."""


class SynthError(OpenInspectError):
    """A defect description or its host cannot be used; the message names the problem and how to rephrase."""


class StationBusyError(OpenInspectError):
    """The station cannot take this request now: its trigger queue is full, or a training job runs."""


class ClusterError(OpenInspectError):
    """A batch job cannot run on Ray: the ``cluster`` extra is not installed or the cluster cannot be reached."""


class StorageError(OpenInspectError):
    """The workspace (files or results database) cannot be written; the message says which part and what to do."""

    def __init__(self, message: str, free_bytes: int | None = None) -> None:
        super().__init__(message)
        self.free_bytes = free_bytes
        """Free bytes on the disk that failed, when known."""


class StorageFullError(StorageError):
    """The disk (or quota) of the workspace or database is full."""


class StorageUnavailableError(StorageError):
    """The workspace is read-only or gone, or the results database cannot be written or reached."""
