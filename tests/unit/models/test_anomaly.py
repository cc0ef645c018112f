"""The anomaly model on generated surfaces: a planted defect is found where it is, a good surface passes."""

from __future__ import annotations

import cv2
import numpy as np
import onnx
import pytest
import torch

from openinspect.models import anomaly
from openinspect.models.anomaly import MIN_GOOD, MIN_INT8_AGREEMENT, border_bands, flatten_shading, train_anomaly
from openinspect.models.heatmap import anomalous_region, anomaly_score, threshold_for
from openinspect.models.runtime import OnnxModel, fast_int8

SIZE = (192, 256)


def _surface(seed: int) -> np.ndarray:
    """A brushed grey surface: vertical streaks plus grain, ``(96, 128, 3)`` uint8 RGB."""
    rng = np.random.default_rng(seed)
    streaks = np.repeat(rng.normal(0, 12, (1, SIZE[1])), SIZE[0], 0)
    grain = cv2.GaussianBlur(rng.normal(0, 10, SIZE), (0, 0), 1.0)
    gray = (150 + streaks + grain).clip(0, 255).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, 2)


def _with_defect(image: np.ndarray, centre: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The surface with a dark pit of radius 6 at ``centre`` ``(x, y)``, and its 0/1 mask."""
    mask = np.zeros(SIZE, np.uint8)
    cv2.circle(mask, centre, 6, 1, -1)
    out = image.copy()
    out[mask > 0] = 40
    return out, mask


@pytest.fixture(scope="module")
def model():
    return train_anomaly(np.stack([_surface(i) for i in range(8)]), seed=0)


@pytest.fixture(scope="module")
def int8_model():
    """The same crops trained as on a processor with a fast int8 dot product."""
    with pytest.MonkeyPatch.context() as patch:
        if not fast_int8():  # int8 runs slower here: the keep-rule is told otherwise, to test the int8 model itself
            patch.setattr(anomaly, "median_ms", lambda models, batch: [2.0, 1.0])
        return train_anomaly(np.stack([_surface(i) for i in range(8)]), seed=0, int8=True)


def test_int8_model_is_calibrated_on_its_own_int8_features_and_runs_as_exported(model, int8_model, tmp_path) -> None:
    choice = int8_model.precision
    assert choice.precision == "int8" and choice.quantized == "Conv+Clip+Add", choice.reason
    assert MIN_INT8_AGREEMENT <= (choice.int8 or 0.0) < 1.0 and choice.crops == 8  # close to fp32, not equal
    # the threshold is the int8 model's own: its training crops' leave-one-out scores through the int8 encoder
    assert int8_model.threshold == threshold_for(int8_model.good_scores, 0.01)
    assert not np.allclose(int8_model.good_scores, model.good_scores, atol=1e-3)
    good = _surface(100)
    bad, mask = _with_defect(_surface(101), (90, 30))
    heats = int8_model.heat_maps(np.stack([good, bad]))
    assert anomaly_score(heats[0]) < int8_model.threshold <= anomaly_score(heats[1])
    assert (anomalous_region(heats[1], int8_model.threshold) & mask).sum() >= 0.5 * mask.sum()
    # the int8 copy of the exported graph: encoder quantised as at training, search fp32, the same distances
    int8_model.export_onnx(tmp_path / "model.onnx")
    int8_model.export_int8(tmp_path / "model.onnx", tmp_path / "model.int8.onnx")
    graph = onnx.load(str(tmp_path / "model.int8.onnx")).graph
    made_by = {output: node.op_type for node in graph.node for output in node.output}
    (search,) = [node for node in graph.node if node.op_type == "MatMul"]
    assert "DequantizeLinear" in made_by.values() and made_by.get(search.input[0]) != "DequantizeLinear"
    runs = OnnxModel(tmp_path / "model.int8.onnx", 1, "int8").predict(np.stack([good, bad]))
    np.testing.assert_allclose(runs, int8_model.predict_distances(np.stack([good, bad])), atol=1e-4)
    with pytest.raises(ValueError, match="trained in fp32"):
        model.export_int8(tmp_path / "model.onnx", tmp_path / "other.onnx")


def test_planted_defect_is_found_and_localised_and_good_surface_passes(model) -> None:
    good = _surface(100)
    bad, mask = _with_defect(_surface(101), (90, 30))
    heats = model.heat_maps(np.stack([good, bad]))
    good_score, bad_score = anomaly_score(heats[0]), anomaly_score(heats[1])
    assert good_score < model.threshold <= bad_score
    region = anomalous_region(heats[1], model.threshold)
    peak_y, peak_x = np.unravel_index(heats[1].argmax(), SIZE)
    assert abs(peak_x - 90) <= 4 and abs(peak_y - 30) <= 4
    assert (region & mask).sum() >= 0.5 * mask.sum()  # the region covers the pit...
    # ...and stays near it: the stride-32 features' 3x3 neighbourhood and Lite1's receptive field, 108 px and a third
    # of this small crop for a pit this dark (the Lite0 cosine model before: within 70 px; bench/README.md, round 4)
    ys, xs = np.nonzero(region)
    assert np.hypot(xs - 90, ys - 30).max() <= 120 and region.mean() <= 0.35
    assert not anomalous_region(heats[0], model.threshold).any()


def test_exported_graph_gives_the_torch_distances(model, tmp_path) -> None:
    model.export_onnx(tmp_path / "model.onnx")
    onnx = OnnxModel(tmp_path / "model.onnx")
    crops = np.stack([_surface(200), _with_defect(_surface(201), (20, 60))[0]])
    assert onnx.input_size == SIZE
    np.testing.assert_allclose(onnx.predict(crops), model.predict_distances(crops), atol=1e-4)


def test_distances_are_euclidean_between_features_that_keep_their_magnitude(model) -> None:
    # L2-normalised patches and a cosine search ranked magnetic-tile defects worse (bench/README.md, anomaly round 4)
    crops = np.stack([_surface(300), _with_defect(_surface(301), (60, 100))[0]])
    with torch.inference_mode():
        features = model.net.features(torch.from_numpy(crops)).flatten(2).transpose(1, 2)
        bank = model.net.bank
        nearest = torch.cdist(features.double(), bank.double()).amin(-1).numpy()
        norms = features.norm(dim=-1)
    gain, offset = model.net.gain.numpy().ravel(), model.net.offset.numpy().ravel()
    np.testing.assert_allclose(model.predict_distances(crops).reshape(2, -1), nearest * gain + offset, atol=1e-3)
    assert float(norms.std() / norms.mean()) > 0.02  # patches are not normalised to one length
    # each of the three maps is divided by its mean patch norm over the training crops: about 1 on good surfaces
    assert model.net.features.scales.shape == (3,) and bool((model.net.features.scales > 0).all())
    assert 1.5 < float(bank.norm(dim=-1).mean()) < 2.0  # sqrt(3) for three maps of norm ~1
    assert model.backbone == "lite1"


def _edged(seed: int) -> np.ndarray:
    """The surface inside a flat border (a chamfer) 6-13 px wide whose grey level varies from part to part."""
    image = _surface(seed)
    rng = np.random.default_rng(seed + 1000)
    width, grey = int(rng.integers(6, 14)), int(rng.uniform(60, 240))
    image[:width], image[-width:], image[:, :width], image[:, -width:] = grey, grey, grey, grey
    return image


def test_the_edges_every_good_part_has_are_judged_against_good_edges() -> None:
    model = train_anomaly(np.stack([_edged(i) for i in range(8)]), seed=0)
    unseen = np.stack([_edged(200 + i) for i in range(4)])
    calibrated = model.predict_distances(unseen)
    raw = (calibrated - model.net.offset.numpy()) / model.net.gain.numpy()
    bands = border_bands(raw.shape[1:])
    edge, inside = bands == 0, bands == bands.max()
    # raw distances spread twice as far at the edges of unseen good parts as inside them; calibrated, about evenly
    assert raw[:, edge].std() > 1.5 * raw[:, inside].std()
    assert calibrated[:, edge].std() < 1.3 * calibrated[:, inside].std()
    bad, mask = _with_defect(_edged(300), (128, 96))
    heats = model.heat_maps(np.stack([_edged(301), bad]))
    assert anomaly_score(heats[0]) < model.threshold <= anomaly_score(heats[1])
    assert (anomalous_region(heats[1], model.threshold) & mask).any()


def test_brighter_darker_or_shaded_good_surfaces_pass(model) -> None:
    x = torch.from_numpy(_surface(400)).permute(2, 0, 1)[None].float() / 128 - 1
    np.testing.assert_allclose(flatten_shading(0.6 * x + 0.3), flatten_shading(x), rtol=0.01, atol=1e-3)
    ramp = np.linspace(-35, 35, SIZE[1])[None, :, None]  # light falling off from right to left
    lit = [np.clip(_surface(401).astype(float) * gain + offset + shade * ramp, 0, 255).astype(np.uint8)
           for gain, offset, shade in ((1.4, 10, 0), (0.6, -20, 0), (1.0, 0, 1))]
    scores = [anomaly_score(h) for h in model.heat_maps(np.stack(lit))]
    assert max(scores) < model.threshold, scores


def test_threshold_rejects_about_the_asked_share_of_good_scores() -> None:
    scores = np.random.default_rng(0).normal(0.3, 0.02, 2000)
    threshold = threshold_for(scores, 0.05)
    assert 0.03 <= (scores >= threshold).mean() <= 0.05
    assert threshold_for(scores[:5], 0.01) > scores[:5].max()  # too few crops for a 1 % tail: the normal fit


def test_training_refuses_too_few_good_crops() -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_GOOD} good crops, got 2"):
        train_anomaly(np.stack([_surface(0), _surface(1)]))
