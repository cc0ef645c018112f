"""The labelled image library: ROI crops, folder import."""

from openinspect.dataset.crops import RoiCropper, RoiPlace, model_batch, roi_crops
from openinspect.dataset.folders import ImportReport, class_folders, import_class_folders
from openinspect.dataset.masks import MaskImportReport, decode_mask, import_masks

__all__ = [
    "ImportReport",
    "MaskImportReport",
    "RoiCropper",
    "RoiPlace",
    "class_folders",
    "decode_mask",
    "import_class_folders",
    "import_masks",
    "model_batch",
    "roi_crops",
]
