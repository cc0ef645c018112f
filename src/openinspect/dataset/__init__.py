"""The labelled image library: ROI crops, folder import."""

from openinspect.dataset.crops import model_batch, roi_crops
from openinspect.dataset.folders import IMAGE_SUFFIXES, ImportReport, class_folders, import_class_folders

__all__ = ["IMAGE_SUFFIXES", "ImportReport", "class_folders", "import_class_folders", "model_batch", "roi_crops"]
