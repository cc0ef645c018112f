"""Recipe authoring: recipes, templates and alignment, captures, labels, masks and corrections.

One service per concept, each on the workspace; the CLI and the HTTP API call the same services, so they
refuse the same things. Authoring uses the station's runtime (predictions beside labels) and never the
training package.
"""

from openinspect.authoring.captures import CaptureService
from openinspect.authoring.corrections import Correction, CorrectionService, TrainingAddition
from openinspect.authoring.deployments import ModelEntry, ModelService, ModelState
from openinspect.authoring.events import RecipeEvents
from openinspect.authoring.labels import LabelReport, LabelService, Sample, check_roi_labels
from openinspect.authoring.placements import Placement, RoiPlacer
from openinspect.authoring.predictions import CropPredictor, Prediction
from openinspect.authoring.recipes import RecipeService, RecipeState, TypeState, check_alignment
from openinspect.authoring.templates import TEMPLATE_STEM, TemplateInfo, TemplateService

__all__ = [
    "TEMPLATE_STEM",
    "CaptureService",
    "Correction",
    "CorrectionService",
    "CropPredictor",
    "LabelReport",
    "LabelService",
    "ModelEntry",
    "ModelService",
    "ModelState",
    "Placement",
    "Prediction",
    "RecipeEvents",
    "RecipeService",
    "RecipeState",
    "RoiPlacer",
    "Sample",
    "TemplateInfo",
    "TemplateService",
    "TrainingAddition",
    "TypeState",
    "check_alignment",
    "check_roi_labels",
]
