"""OpenInspect: an offline-first visual inspection station."""

from openinspect.errors import (
    DatasetError,
    ImageError,
    ModelNotFoundError,
    NotFoundError,
    OpenInspectError,
    RecipeError,
)

__all__ = [
    "DatasetError",
    "ImageError",
    "ModelNotFoundError",
    "NotFoundError",
    "OpenInspectError",
    "RecipeError",
]
__version__ = "0.1.0"
