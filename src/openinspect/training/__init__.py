"""Training orchestration: labelled crops in, a validated, exported model version out."""

from openinspect.training.metrics import classification_metrics, format_metrics
from openinspect.training.service import inspection_type, train_type, training_set
from openinspect.training.validation import ValidationPlan, plan_validation

__all__ = [
    "ValidationPlan",
    "classification_metrics",
    "format_metrics",
    "inspection_type",
    "plan_validation",
    "train_type",
    "training_set",
]
