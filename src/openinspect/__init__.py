"""OpenInspect: an offline-first visual inspection station."""

from openinspect.errors import (
    ArchiveError,
    ConflictError,
    DatasetError,
    ImageError,
    ModelNotFoundError,
    NotFoundError,
    OpenInspectError,
    RecipeError,
    StorageError,
    StorageFullError,
    StorageUnavailableError,
)

__all__ = [
    "ArchiveError",
    "ConflictError",
    "DatasetError",
    "ImageError",
    "ModelNotFoundError",
    "NotFoundError",
    "OpenInspectError",
    "RecipeError",
    "StorageError",
    "StorageFullError",
    "StorageUnavailableError",
]
__version__ = "0.1.0"
