"""Training orchestration: labelled crops in, a validated, exported model version out."""

from openinspect.training.metrics import (
    anomaly_metrics,
    classification_metrics,
    format_anomaly_metrics,
    format_metrics,
    format_segmentation_metrics,
    segmentation_metrics,
)
from openinspect.training.service import (
    TrainedType,
    anomaly_set,
    classification_set,
    fit_type,
    publish_type,
    segmentation_set,
    train_type,
)
from openinspect.training.validation import ValidationPlan, plan_validation

__all__ = [
    "TrainedType",
    "ValidationPlan",
    "anomaly_metrics",
    "anomaly_set",
    "classification_metrics",
    "classification_set",
    "fit_type",
    "format_anomaly_metrics",
    "format_metrics",
    "format_segmentation_metrics",
    "plan_validation",
    "publish_type",
    "segmentation_metrics",
    "segmentation_set",
    "train_type",
]
