"""Errors OpenInspect raises on purpose, each carrying the context a person needs to act.

The tree is short:

- ``OpenInspectError``: the base; ``str(err)`` is a complete, actionable message.
  - ``RecipeError``: a recipe file or recipe change is invalid (names the field and allowed values).
  - ``ImageError``: a capture cannot be decoded or does not fit the recipe (names the file or ROI).
  - ``DatasetError``: labels or training data are missing or inconsistent.
  - ``ModelNotFoundError``: an inspection type has no trained model yet.
  - ``NotFoundError``: a named recipe, image or model version does not exist.
  - ``StationBusyError``: the station cannot take the request now (trigger queue full, training running).
"""

from __future__ import annotations


class OpenInspectError(Exception):
    """Base of every error OpenInspect raises on purpose; the message says what to do."""


class RecipeError(OpenInspectError):
    """A recipe is invalid; the message names the field and the allowed values."""


class ImageError(OpenInspectError):
    """A capture cannot be decoded or does not fit the recipe's ROIs."""


class DatasetError(OpenInspectError):
    """Labelled data is missing or inconsistent for what was asked."""


class NotFoundError(OpenInspectError):
    """A named recipe, image or model version does not exist."""


class ModelNotFoundError(NotFoundError):
    """An inspection type has no trained model yet."""


class StationBusyError(OpenInspectError):
    """The station cannot take this request now: its trigger queue is full, or a training job runs."""
