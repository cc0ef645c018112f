"""Recipes: the schema, YAML load/save and validation."""

from openinspect.recipe.changes import describe_change
from openinspect.recipe.io import dump_recipe, load_recipe, parse_recipe
from openinspect.recipe.schema import (
    NAME_HELP,
    Alignment,
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
    Template,
    TrainingMode,
    valid_name,
)

__all__ = [
    "NAME_HELP",
    "Alignment",
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
    "Template",
    "TrainingMode",
    "describe_change",
    "dump_recipe",
    "load_recipe",
    "parse_recipe",
    "valid_name",
]
