"""Anomaly model: a memory bank of the good part's local features; training, torch prediction, ONNX export.

PatchCore-style. Each crop's shading is flattened (:func:`flatten_shading`: its low-pass subtracted, its contrast
set), then the frozen ImageNet Lite1 encoder (:data:`BACKBONE`) describes it at stride 16: its
stride-8 map (sampled every other patch), its stride-16 map and its stride-32 map (upsampled), each averaged over a
3x3 neighbourhood (local context) and divided by its mean patch norm over the training crops. Training keeps a
greedy coreset of the good crops' patch features as the memory bank; a patch's anomaly is its Euclidean distance to
the nearest bank entry, evened out across border bands (:func:`band_calibration`: a patch at the crop's edge is
judged against how far good edge patches lie from the bank). The exported graph holds encoder, bank and that
calibration and returns the distance map;
:mod:`openinspect.models.heatmap` (numpy) upsamples and smooths it, scores the crop and cuts the region.

On a processor with a fast int8 dot product (:func:`~openinspect.models.runtime.fast_int8`) training quantises the
encoder first and reads the training crops through it, so the bank, the band calibration and the threshold are those
of the int8 model the station runs (:func:`train_anomaly`, :class:`Int8Encoder`); the search stays fp32.

The threshold comes from the training crops themselves: each is scored leave-one-out (against the bank without
its own patches), which is what an unseen good crop looks like, and :func:`~openinspect.models.heatmap.threshold_for`
takes the ``false_reject_rate`` quantile. Choices measured on magnetic-tile are in bench/README.md (anomaly).
Only training and export import this module (it imports torch).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from openinspect.models.backbone import LITE1, EfficientNetLite, Variant, load_pretrained, normalize, pyramid
from openinspect.models.export import export_onnx
from openinspect.models.fast import coreset
from openinspect.models.heatmap import anomaly_score, heat_map, threshold_for
from openinspect.models.progress import Progress, no_progress
from openinspect.models.quantize import CALIBRATION_CROPS, NO_FAST_INT8, PrecisionChoice, median_ms, quantize_int8
from openinspect.models.runtime import OnnxModel
from openinspect.models.segmenter import check_crops

DISTANCE_OUTPUT = "distances"
"""Name of the graph's one output: ``(N, h/16, w/16)`` float32 patch distances (band-calibrated)."""
STRIDE = 16
"""Patch grid of the heat map, in crop pixels."""
BANK_RATIO = 0.25
"""Share of the good crops' patches the coreset keeps, before :data:`BANK_MAX` (0.25 over 0.1: +0.01 image AUROC at 20
good tiles with these features; at 100 and more the bank is at its maximum either way)."""
BANK_MAX = 4096
"""Most bank entries: bounds the nearest-neighbour matmul per crop at inference."""
BACKBONE = LITE1
"""The encoder: Lite1 over Lite0, +0.025 / +0.015 image AUROC for about 14 % more encoder time (bench/README.md)."""
MIN_GOOD = 3
"""Fewest good crops a model trains on: two to build the bank from and one to score, at every leave-one-out."""
LOW_PASS_PX = 72
"""Side of the box blur whose output :func:`flatten_shading` subtracts: shading and brightness, not defects."""
CONTRAST = 0.5
"""Standard deviation of every crop after :func:`flatten_shading`, in encoder input units (about 64 grey levels)."""
BAND_PATCHES = 3
"""Border bands of the patch grid (:func:`border_bands`): 0, 1 and 2 patches from the crop's edge, and the inside."""
INT8_OPS = ["Conv", "Clip", "Add"]
"""What an int8 anomaly model quantises: the encoder's convolutions, their ReLU6 clips and its adds (and the shading's
one add). The bank search stays fp32: every operator in int8 put the search in int8 too, its distances correlating
0.86 with fp32's (bench/README.md, anomaly round 5)."""
INT8_CHECK_CROPS = 8
"""Training crops (spread over the set) on which the int8 encoder is compared with fp32 and timed."""
MIN_INT8_AGREEMENT = 0.95
"""Least correlation of the check crops' leave-one-out patch distances, int8 features against fp32 features."""
_BATCH = 4


def remove_low_pass(x: torch.Tensor, low_pass_px: int = LOW_PASS_PX) -> torch.Tensor:
    """``normalize``d crops ``(N, 3, H, W)``, sides multiples of 8, minus their ``low_pass_px`` box blur.

    The blur is computed at 1/8 resolution and upsampled: shading and brightness go, defects stay.
    """
    cells = low_pass_px // 8
    low = F.avg_pool2d(F.avg_pool2d(x, 8, 8), cells + 1 - cells % 2, 1, cells // 2, count_include_pad=False)
    return x - F.interpolate(low, size=x.shape[2:], mode="bilinear", align_corners=False)


def set_contrast(x: torch.Tensor, contrast: float = CONTRAST) -> torch.Tensor:
    """Each crop of ``(N, 3, H, W)`` shifted to mean 0 and scaled to standard deviation ``contrast``."""
    x = x - x.mean((1, 2, 3), keepdim=True)
    return x / (x.std((1, 2, 3), keepdim=True) + 1e-3) * contrast


def flatten_shading(x: torch.Tensor) -> torch.Tensor:
    """Per-crop photometric normalisation of ``normalize``d crops ``(N, 3, H, W)``, sides multiples of 8.

    :func:`remove_low_pass` (a :data:`LOW_PASS_PX` box blur), then :func:`set_contrast` to :data:`CONTRAST`: a good
    part lit brighter, darker, unevenly or with more contrast looks like the good parts the bank holds
    (magnetic-tile's tiles differ 2x in brightness and 3x in contrast; tuning: +0.02 image AUROC at 60 and 100 good
    tiles, bench/README.md anomaly round 4).
    """
    return set_contrast(remove_low_pass(x))


class AnomalyFeatures(nn.Module):
    """Shading flattened, frozen encoder -> ``(N, D, h/16, w/16)`` local stride-8, 16 and 32 features over their scales.

    Each map keeps its magnitude (an anomaly often shows as a stronger response, which L2-normalising each patch
    threw away: bench/README.md, anomaly round 4); ``scales`` (each map's mean patch norm over the training crops,
    set by :func:`train_anomaly`) only balance the three maps against each other.
    """

    scales: torch.Tensor

    def __init__(self, backbone: EfficientNetLite) -> None:
        super().__init__()
        self.backbone = backbone.eval().requires_grad_(False)
        self.register_buffer("scales", torch.ones(3))

    def maps(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 RGB, sides multiples of 32 -> ``(N, D, H/16, W/16)``: the three unscaled maps.

        On the stride-16 grid, concatenated in the order of :attr:`widths`.
        """
        _, _, s8, s16, s32 = pyramid(self.backbone, flatten_shading(normalize(images)), levels=5)
        # s8's patch 2k, s16's patch k and s32's patch k/2 are centred on the same pixel (symmetric padding):
        # s8 is averaged 3x3 around every other patch, s32 upsampled with align_corners
        s8 = F.avg_pool2d(s8, 3, 2, 1, count_include_pad=False)
        s16 = F.avg_pool2d(s16, 3, 1, 1, count_include_pad=False)
        s32 = F.interpolate(F.avg_pool2d(s32, 3, 1, 1, count_include_pad=False), size=s16.shape[2:],
                            mode="bilinear", align_corners=True)
        return torch.cat([s8, s16, s32], 1)

    @property
    def widths(self) -> list[int]:
        """Channels of the three maps, in :meth:`maps`' order."""
        return list(self.backbone.variant.pyramid_channels[2:])

    def scale(self, maps: torch.Tensor) -> torch.Tensor:
        """The three maps concatenated ``(N, D, h, w)``, each divided by its scale."""
        return torch.cat([m / self.scales[i] for i, m in enumerate(maps.split(self.widths, 1))], 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 RGB, sides multiples of 32 -> ``(N, D, H/16, W/16)`` float32."""
        return self.scale(self.maps(images))


class _UnscaledMaps(nn.Module):
    """The graph an int8 model's encoder is quantised in: :meth:`AnomalyFeatures.maps`."""

    def __init__(self, features: AnomalyFeatures) -> None:
        super().__init__()
        self.features = features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features.maps(images)


def nearest_distances(patches: torch.Tensor, bank: torch.Tensor, excluded: torch.Tensor | None = None) -> torch.Tensor:
    """Euclidean distance of every patch to its nearest bank entry: ``(..., P, D), (M, D) -> (..., P)``.

    ``excluded``: a ``(M,)`` bool mask of bank entries not to match (leave-one-out).
    """
    # |p - b|^2 = |p|^2 + |b|^2 - 2 p.b: one matmul, as the cosine search was
    cross = (bank * bank).sum(-1) - 2.0 * patches @ bank.T
    if excluded is not None:
        cross = cross.masked_fill(excluded, float("inf"))
    return ((patches * patches).sum(-1) + cross.amin(-1)).clamp_min(0.0).sqrt()


def border_bands(grid: tuple[int, int]) -> np.ndarray:
    """``(h, w)`` int64: each patch's distance in patches to the grid's nearest edge, at most :data:`BAND_PATCHES`.

    >>> border_bands((4, 9))[:, :5].tolist()
    [[0, 0, 0, 0, 0], [0, 1, 1, 1, 1], [0, 1, 1, 1, 1], [0, 0, 0, 0, 0]]
    """
    rows, cols = np.ogrid[: grid[0], : grid[1]]
    inward = np.minimum(np.minimum(rows, grid[0] - 1 - rows), np.minimum(cols, grid[1] - 1 - cols))
    return np.minimum(inward, BAND_PATCHES).astype(np.int64)


def band_calibration(distances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-patch ``gain`` and ``offset`` that give every border band the good crops' overall distance statistics.

    A crop's edges and chamfers lie further from the bank than its inside does, in every good crop, so unevened the
    hottest point of a good crop is nearly always at its edge and a defect inside has to beat that. Each band's
    distances (held-out good crops') are standardised by their own mean and standard deviation, then put back on the
    overall scale: ``gain * d + offset`` (tuning seed 93: +0.006 / +0.010 / +0.016 image AUROC at 20 / 100 / 400 good
    tiles, bench/README.md anomaly round 5).

    Args:
        distances: ``(N, h, w)`` leave-one-out patch distances of the good training crops.

    Returns:
        ``gain`` and ``offset``, each ``(h, w)`` float32.
    """
    bands = border_bands(distances.shape[1:])
    overall_mean, overall_std = float(distances.mean()), float(distances.std())
    gain, offset = np.ones(bands.shape, np.float32), np.zeros(bands.shape, np.float32)
    for band in np.unique(bands):
        inside = bands == band
        values = distances[:, inside]
        band_gain = np.float32(overall_std / max(float(values.std()), 1e-6))  # as stored in ``gain``
        gain[inside] = band_gain
        offset[inside] = overall_mean - float(values.mean()) * band_gain
    return gain, offset


class AnomalyNet(nn.Module):
    """Images -> patch distances to the good bank: ``(N, H, W, 3)`` uint8 -> ``(N, H/16, W/16)`` float32.

    The distances come out band-calibrated (``gain * d + offset`` per patch, :func:`band_calibration`); a new net
    has gain 1 and offset 0 (raw distances) until :func:`train_anomaly` sets them.
    """

    gain: torch.Tensor
    offset: torch.Tensor

    def __init__(self, features: AnomalyFeatures, bank: torch.Tensor, grid: tuple[int, int]) -> None:
        super().__init__()
        self.features = features
        self.bank = nn.Parameter(bank, requires_grad=False)
        self.register_buffer("gain", torch.ones(grid))
        self.register_buffer("offset", torch.zeros(grid))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Calibrated distance of every patch of every image to its nearest bank entry."""
        return self.search(self.features(images))

    def search(self, maps: torch.Tensor) -> torch.Tensor:
        """Scaled features ``(N, D, h, w)`` -> each patch's calibrated distance to its nearest bank entry."""
        n, _, h, w = maps.shape
        return nearest_distances(maps.flatten(2).transpose(1, 2), self.bank).reshape(n, h, w) * self.gain + self.offset


@dataclass
class Int8Encoder:
    """The int8 encoder an int8 anomaly model was built through, and the crops that calibrated it.

    Attributes:
        graph: the serialised int8 ONNX graph of the unscaled maps (:data:`INT8_OPS` quantised).
        calibration: the ``(N, H, W, 3)`` uint8 crops its ranges came from; the exported model's int8 copy is
            calibrated on the same crops, so its encoder computes the same features.
        threads: ONNX Runtime intra-op threads it reads crops with.
    """

    graph: bytes = field(repr=False)
    calibration: np.ndarray = field(repr=False)
    threads: int = 1

    def __post_init__(self) -> None:
        self._session = OnnxModel(self.graph, self.threads, "int8")

    def maps(self, images: np.ndarray) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 -> ``(N, D, h, w)`` float32 unscaled maps, through ONNX Runtime in int8."""
        return torch.from_numpy(self._session.predict(np.ascontiguousarray(images)))


@dataclass
class TrainedAnomaly:
    """A trained anomaly model with its threshold.

    Attributes:
        net: the graph that is exported.
        input_size: the ``(height, width)`` it runs at.
        threshold: the score from which a crop is anomalous.
        good_scores: the training crops' leave-one-out scores the threshold was taken from.
        precision: whether the model is int8 and why (``meta.json``'s ``precision`` and ``int8``).
        int8: the int8 encoder the bank and threshold were built through (``precision.precision == "int8"``).
    """

    net: AnomalyNet
    input_size: tuple[int, int]
    threshold: float
    good_scores: np.ndarray = field(repr=False)
    precision: PrecisionChoice = field(default_factory=lambda: PrecisionChoice("fp32", "trained in fp32"))
    int8: Int8Encoder | None = None

    @property
    def backbone(self) -> str:
        """The encoder's :class:`~openinspect.models.backbone.Variant` name (recorded in ``meta.json``)."""
        return self.net.features.backbone.variant.name

    @torch.inference_mode()
    def predict_distances(self, images: np.ndarray) -> np.ndarray:
        """Patch distances: ``(N, H, W, 3)`` uint8 RGB at ``input_size`` -> ``(N, H/16, W/16)``.

        Through the model that runs: the :attr:`int8` encoder where there is one (ONNX Runtime), torch otherwise.
        """
        check_crops(images, self.input_size)
        features = self.net.features
        batches = [images[i : i + _BATCH] for i in range(0, len(images), _BATCH)]
        if self.int8 is None:
            return torch.cat([self.net(torch.from_numpy(batch)) for batch in batches]).numpy()
        int8 = self.int8
        return torch.cat([self.net.search(features.scale(int8.maps(batch))) for batch in batches]).numpy()

    def heat_maps(self, images: np.ndarray) -> np.ndarray:
        """``(N, H, W)`` float32 heat maps of crops at the input size (torch; the station uses the ONNX graph)."""
        return np.stack([heat_map(d, self.input_size) for d in self.predict_distances(images)])

    def export_onnx(self, path: Path) -> None:
        """Write one self-contained fp32 ONNX file (input ``image`` uint8 NHWC, output ``distances``), atomically.

        An int8 model's graph is traced, as its encoder was for quantising (:func:`choose_int8_encoder`): the same
        exporter writes the same encoder nodes, so :meth:`export_int8` quantises them to the features it was built on.
        """
        export_onnx(self.net, self.input_size, path, output_name=DISTANCE_OUTPUT, traced=self.int8 is not None)

    def export_int8(self, source: Path, target: Path) -> None:
        """Write the int8 copy of the exported ``source`` to ``target``, atomically.

        Its encoder is quantised as :attr:`int8` was (the same operators, calibrated on the same crops), its bank
        search stays fp32.

        Raises:
            ValueError: the model was not trained in int8.
        """
        if self.int8 is None:
            raise ValueError("this anomaly model was trained in fp32: it has no int8 copy")
        quantize_int8(source, target, self.int8.calibration, INT8_OPS, fp32_after=("MatMul", "Gemm"))


def train_anomaly(images: np.ndarray, *, false_reject_rate: float = 0.01, seed: int = 0,
                  progress: Progress | None = None, bank_ratio: float = BANK_RATIO,
                  bank_max: int = BANK_MAX, backbone: Variant = BACKBONE, int8: bool = False) -> TrainedAnomaly:
    """Build the memory bank of good crops and set the threshold.

    With ``int8`` (a processor with a fast int8 dot product) the encoder is quantised first and, where
    :func:`choose_int8_encoder` keeps it, every training crop is read through it once: the bank, the band
    calibration and the leave-one-out threshold are the int8 model's own (the model that runs is the model that was
    calibrated), and the features are not extracted twice.

    Args:
        images: ``(N, H, W, 3)`` uint8 RGB good crops at the model input size, sides multiples of 32, ``N >= 3``.
        false_reject_rate: share of good crops the threshold may reject, in ``(0, 1)``.
        seed: makes the coreset repeatable.
        progress: called with the fraction done and the stage.
        bank_ratio: share of all patches the coreset keeps (before ``bank_max``).
        bank_max: most bank entries.
        backbone: the pretrained encoder.
        int8: try an int8 encoder (see :func:`openinspect.models.runtime.fast_int8`).

    Returns:
        The model, running at ``(H, W)``, with its threshold and precision.

    Raises:
        ValueError: bad images, fewer than :data:`MIN_GOOD`, or a rate outside ``(0, 1)``.
    """
    check_crops(images, images.shape[1:3])
    if len(images) < MIN_GOOD:
        raise ValueError(f"need at least {MIN_GOOD} good crops, got {len(images)}")
    if not 0.0 < false_reject_rate < 1.0:
        raise ValueError(f"false_reject_rate must lie in (0, 1), got {false_reject_rate}")
    report = progress or no_progress
    features = AnomalyFeatures(load_pretrained(backbone))
    encoder, choice = None, PrecisionChoice("fp32", NO_FAST_INT8)
    if int8:
        report(0.02, "quantising the encoder")
        encoder, choice = choose_int8_encoder(features, images)
    report(0.05, "extracting features")
    patches = _extract(features, images, encoder.maps if encoder is not None else None)
    n, p, _ = patches.shape
    report(0.5, "memory bank")
    flat = patches.flatten(0, 1)
    keep = coreset(flat, max(1, min(bank_max, round(bank_ratio * n * p))), seed)
    bank, owner = flat[keep].float(), keep // p
    report(0.7, "scoring good crops")
    size = (int(images.shape[1]), int(images.shape[2]))
    held_out = np.stack(_leave_one_out(patches, bank, owner, size))
    gain, offset = band_calibration(held_out)
    scores = np.array([anomaly_score(heat_map(d * gain + offset, size)) for d in held_out])
    report(1.0, "done")
    net = AnomalyNet(features, bank, (held_out.shape[1], held_out.shape[2]))
    net.gain.copy_(torch.from_numpy(gain))
    net.offset.copy_(torch.from_numpy(offset))
    return TrainedAnomaly(net.eval(), size, threshold_for(scores, false_reject_rate), scores, choice, encoder)


def choose_int8_encoder(features: AnomalyFeatures, images: np.ndarray) -> tuple[Int8Encoder | None, PrecisionChoice]:
    """Quantise the encoder and keep it when it describes the crops as fp32 does and runs faster.

    The int8 graph quantises :data:`INT8_OPS`, calibrated on up to ``CALIBRATION_CROPS`` crops spread over ``images``.

    The keep-rule, on :data:`INT8_CHECK_CROPS` training crops spread over ``images``: each crop's patches are matched
    leave-one-out against the other check crops' patches, once with fp32 features and once with int8 features; int8
    is kept when these distances correlate at least :data:`MIN_INT8_AGREEMENT` (the search quantised too, which lost
    image AUROC, gave 0.86; the encoder alone kept it: bench/README.md, anomaly round 5) and one crop through the int8
    encoder is faster than through fp32 (median of interleaved calls). It is a check on the good crops alone, so it
    holds whether or not anomalous crops were labelled, and it costs the fp32 graph on a few crops, not a second
    pass over the training set. The model's own threshold then comes from the int8 features (:func:`train_anomaly`).
    """
    size = (int(images.shape[1]), int(images.shape[2]))
    spread = np.linspace(0, len(images) - 1, min(len(images), CALIBRATION_CROPS)).astype(int)
    check = images[np.linspace(0, len(images) - 1, min(len(images), INT8_CHECK_CROPS)).astype(int)]
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        fp32_path, int8_path = Path(tmp) / "maps.onnx", Path(tmp) / "maps.int8.onnx"
        export_onnx(_UnscaledMaps(features), size, fp32_path, output_name="maps", traced=True)
        quantize_int8(fp32_path, int8_path, images[spread], INT8_OPS)
        encoder = Int8Encoder(int8_path.read_bytes(), images[spread], threads)
        fp32 = OnnxModel(fp32_path, threads)
        agreement = _agreement(torch.from_numpy(fp32.predict(check)), encoder.maps(check), features.widths)
        fp32_ms, int8_ms = median_ms([OnnxModel(fp32_path, 1), OnnxModel(int8_path, 1, "int8")], check[:1])
    compared = (f"int8 encoder's leave-one-out patch distances correlate {agreement:.3f} with fp32's on {len(check)} "
                f"good crops")
    measured = PrecisionChoice("fp32", compared, "distance correlation", 1.0, round(agreement, 4), len(check),
                               "+".join(INT8_OPS), round(fp32_ms, 2), round(int8_ms, 2))
    if agreement < MIN_INT8_AGREEMENT:
        return None, replace(measured, reason=f"{compared}: below {MIN_INT8_AGREEMENT}")
    if int8_ms >= fp32_ms:
        return None, replace(measured, reason=f"{compared}, but the int8 encoder is not faster here: "
                                              f"{int8_ms:.1f} vs {fp32_ms:.1f} ms a crop")
    return encoder, replace(measured, precision="int8", reason=f"{compared} (at least {MIN_INT8_AGREEMENT}); "
                                                               f"encoder {int8_ms:.1f} vs {fp32_ms:.1f} ms a crop")


def _agreement(fp32: torch.Tensor, int8: torch.Tensor, widths: list[int]) -> float:
    """Correlation of the leave-one-out patch distances among crops, fp32 maps ``(K, D, h, w)`` against int8's."""
    distances = []
    scales = [block.norm(dim=1).mean() for block in fp32.split(widths, 1)]  # the same scales for both
    for maps in (fp32, int8):
        patches = torch.cat([b / s for b, s in zip(maps.split(widths, 1), scales, strict=True)], 1)
        patches = patches.flatten(2).transpose(1, 2)
        owner = torch.arange(len(patches)).repeat_interleave(patches.shape[1])
        flat = patches.flatten(0, 1)
        distances.append(torch.cat([nearest_distances(patches[i], flat, owner == i) for i in range(len(patches))]))
    return float(np.corrcoef(distances[0].numpy(), distances[1].numpy())[0, 1])


@torch.inference_mode()
def _extract(features: AnomalyFeatures, images: np.ndarray,
             read: Callable[[np.ndarray], torch.Tensor] | None = None) -> torch.Tensor:
    """``(N, P, D)`` float16 patch features (half precision: a few hundred 512 px crops fit in memory).

    ``read``: the unscaled maps of a batch (an :class:`Int8Encoder`'s); ``None``: ``features.maps`` in torch.
    Sets ``features.scales`` first, to each map's mean patch norm over ``images``.
    """
    def torch_maps(batch: np.ndarray) -> torch.Tensor:
        return features.maps(torch.from_numpy(batch))

    reader = read or torch_maps
    widths = features.widths
    flat = torch.cat([reader(images[i : i + _BATCH]).flatten(2).transpose(1, 2).half()
                      for i in range(0, len(images), _BATCH)])
    norms = [block.float().norm(dim=-1).mean() for block in flat.split(widths, -1)]
    features.scales.copy_(torch.stack(norms))
    return torch.cat([block / norm.half() for block, norm in zip(flat.split(widths, -1), norms, strict=True)], -1)


@torch.inference_mode()
def _leave_one_out(patches: torch.Tensor, bank: torch.Tensor, owner: torch.Tensor,
                   size: tuple[int, int]) -> list[np.ndarray]:
    """Each crop's ``(H/16, W/16)`` distance map against the bank without the entries taken from that crop."""
    grid = (size[0] // STRIDE, size[1] // STRIDE)
    return [nearest_distances(patches[i].float(), bank, owner == i).reshape(grid).numpy()
            for i in range(len(patches))]
