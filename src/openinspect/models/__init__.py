"""Models: the EfficientNet-Lite backbones, Fast and Accurate classifiers, ONNX export and the ONNX runtime.

Importing this package stays torch-free: it exposes only the runtime. Training code imports
:mod:`openinspect.models.classifier` explicitly.
"""

from openinspect.models.runtime import OnnxModel

__all__ = ["OnnxModel"]
