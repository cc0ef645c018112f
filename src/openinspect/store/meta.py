"""A model version's ``meta.json``: what it was trained for, how, and how it validated; read and written here only."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from openinspect.store.files import write_json

META_FILE = "meta.json"
"""The metadata's file name in a model version folder, beside ``model.onnx``."""


@dataclass(frozen=True)
class ModelMeta:
    """A trained model's metadata.

    Only ``classes`` is needed to run a model (the station checks it against the recipe's classes); the rest
    documents the training. Files written before a field existed read with its default.
    """

    classes: list[str]
    """The classes (classifiers) or pixel classes (segmenters) in output order."""
    kind: str = "classifier"
    """``classifier``, ``segmenter`` or ``anomaly``."""
    recipe: str = ""
    type: str = ""
    mode: str = ""
    """``fast`` or ``accurate``."""
    input_size: tuple[int, int] = (0, 0)
    """The model input's ``(height, width)`` in px."""
    seed: int = 0
    trained_at: str = ""
    """ISO 8601, UTC."""
    train_seconds: float = 0.0
    """Training, validation and export, in s."""
    train_crops: int = 0
    skipped: list[str] = field(default_factory=list)
    """Labelled captures left out of training, and why."""
    validation: dict[str, Any] = field(default_factory=dict)
    """``method`` and ``reason`` (see :class:`~openinspect.training.validation.ValidationPlan`); empty: not recorded."""
    metrics: dict[str, Any] = field(default_factory=dict)
    """The validation figures."""
    threshold: float | None = None
    """Anomaly types: the score from which a crop is anomalous, set at training."""
    tiling: bool = False
    """Segmenter and anomaly types: trained on full-resolution tiles of a larger ROI."""
    warnings: list[str] = field(default_factory=list)
    """What in the training set will not generalise: near-duplicates, tiny classes, imbalance (with the fix)."""
    images: list[str] = field(default_factory=list)
    """The content hashes (sha256) of the captures it trained and validated on, sorted; empty: not recorded."""
    synthetic_images: int = 0
    """Synthetic images (the Defect Creator's) it trained on; they are never validation data."""
    unlabelled_images: list[str] | None = None
    """Accurate classifiers: the content hashes (sha256) of the unlabelled captures it learnt from, sorted (archived
    results: of the archived file); ``None``: learning from unlabelled captures was off (or not recorded)."""
    pseudo_labelled: int = 0
    """Unlabelled crops it trained on, with the class its Fast teacher was confident of."""
    precision: str = "fp32"
    """``int8`` when training kept an int8 copy (``model.int8.onnx``) the station runs on a processor with a fast int8
    dot product; ``fp32`` otherwise (and for files written before the field existed)."""
    int8: dict[str, Any] = field(default_factory=dict)
    """Why: :class:`~openinspect.models.quantize.PrecisionChoice` (reason, metric, fp32 and int8 scores)."""
    backbone: str = "lite0"
    """The pretrained EfficientNet-Lite variant the model is built on (``lite0``, ``lite1``, ``lite2``; the ONNX graph
    holds the encoder, this records which it is); ``lite0`` for files written before the field existed."""
    format: int = 1

    def write(self, folder: Path) -> None:
        """Write ``meta.json`` into a model version folder (staged: the folder is published whole)."""
        write_json(folder / META_FILE, asdict(self))

    @classmethod
    def read(cls, folder: Path) -> ModelMeta:
        """Read a model version folder's ``meta.json``.

        Raises:
            ValueError: not a JSON object with a list of ``classes`` (``json.JSONDecodeError`` is one).
            OSError: the file cannot be read.
        """
        data = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("classes"), list):
            raise ValueError("not a JSON object with a list of classes")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "input_size" in values:
            values["input_size"] = tuple(values["input_size"])
        return cls(**values)
