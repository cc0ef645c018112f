"""Image decoding, cropping and resizing: everything between bytes on disk and a model's input."""

from openinspect.imaging.align import Aligner, Pose
from openinspect.imaging.decode import MAX_PIXELS, decode_image, read_image
from openinspect.imaging.formats import IMAGE_SUFFIXES, SUPPORTED_TYPES, image_suffix, upload_name
from openinspect.imaging.geometry import MAX_MODEL_SIDE, Rect, cap_size, crop, model_input_size, resize_to

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_MODEL_SIDE",
    "MAX_PIXELS",
    "SUPPORTED_TYPES",
    "Aligner",
    "Pose",
    "Rect",
    "cap_size",
    "crop",
    "decode_image",
    "image_suffix",
    "model_input_size",
    "read_image",
    "resize_to",
    "upload_name",
]
