"""Recipes: the schema, YAML load/save and validation."""

from openinspect.recipe.io import dump_recipe, load_recipe, parse_recipe
from openinspect.recipe.schema import (
    Augment,
    ClassSpec,
    InspectionType,
    ModelKind,
    Profile,
    Recipe,
    Roi,
    TrainingMode,
    Verdict,
)

__all__ = [
    "Augment",
    "ClassSpec",
    "InspectionType",
    "ModelKind",
    "Profile",
    "Recipe",
    "Roi",
    "TrainingMode",
    "Verdict",
    "dump_recipe",
    "load_recipe",
    "parse_recipe",
]
