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
]
__version__ = "0.1.0"
