"""Recipes: the schema, YAML load/save and validation."""

from openinspect.recipe.io import dump_recipe, load_recipe, parse_recipe
from openinspect.recipe.schema import (
    Augment,
    Calibration,
    ClassifierType,
    ClassSpec,
    InspectionType,
    Measure,
    ModelKind,
    PixelClass,
    Profile,
    Recipe,
    Roi,
    Rule,
    SegmenterType,
    TrainingMode,
    Verdict,
)

__all__ = [
    "Augment",
    "Calibration",
    "ClassSpec",
    "ClassifierType",
    "InspectionType",
    "Measure",
    "ModelKind",
    "PixelClass",
    "Profile",
    "Recipe",
    "Roi",
    "Rule",
    "SegmenterType",
    "TrainingMode",
    "Verdict",
    "dump_recipe",
    "load_recipe",
    "parse_recipe",
]
