from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from openinspect.models.accurate import Augment, PseudoLabels, Schedule, augment, frozen_blocks, train_accurate
from openinspect.models.backbone import LITE1, load_pretrained
from openinspect.models.classifier import FoldTrainer, TrainedClassifier, train_classifier
from openinspect.models.progress import Step, no_progress
from openinspect.models.runtime import OnnxModel

pytestmark = pytest.mark.slow
TOLERANCE = 1e-4


def _assert_onnx_matches_torch(model: TrainedClassifier, images: np.ndarray, path: Path) -> None:
    model.export_onnx(path)
    onnx = OnnxModel(path, threads=2)
    assert onnx.input_size == model.input_size
    expected = model.predict_proba(images)
    np.testing.assert_allclose(onnx.predict(images), expected, atol=TOLERANCE)
    np.testing.assert_allclose(onnx.predict(images[:1]), expected[:1], atol=TOLERANCE)


def test_fast_onnx_probabilities_match_torch_on_real_tiles(tiles, tmp_path: Path) -> None:
    images, labels = tiles
    seen: list[float] = []
    model = train_classifier(images, labels, 2, "fast", progress=lambda f, _s: seen.append(f))
    assert seen[-1] == 1.0
    probs = model.predict_proba(images)
    assert probs.shape == (6, 2)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    _assert_onnx_matches_torch(model, images, tmp_path / "fast.onnx")


def test_accurate_onnx_probabilities_match_torch_on_real_tiles(tiles, tmp_path: Path) -> None:
    images, labels = tiles
    net = train_accurate(
        images, labels, 2, 0, Augment(hflip=True, rotate90=True), no_progress, Schedule(min_steps=2, max_steps=2)
    )
    _assert_onnx_matches_torch(TrainedClassifier(net, images.shape[1:3]), images, tmp_path / "accurate.onnx")


def test_accurate_reports_every_step_with_its_epoch_and_loss() -> None:
    images = np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    reports: list[tuple[float, str, Step | None]] = []

    def record(fraction: float, status: str, *, step: Step | None = None, fold: object = None) -> None:
        reports.append((fraction, status, step))

    train_accurate(images, np.array([0, 0, 0, 1, 1, 1]), 2, 0, Augment(), record, Schedule(min_steps=3, max_steps=3))
    steps = [step for _, _, step in reports if step is not None]
    assert [(s.step, s.steps) for s in steps] == [(1, 3), (2, 3), (3, 3)]
    assert [s.epoch for s in steps] == [16 / 6, 32 / 6, 48 / 6] and steps[0].epochs == 8.0   # batch 16 over 6 crops
    assert all(0 < s.loss < 10 for s in steps)
    assert [(f, status) for f, status, _ in reports] == [(1 / 3, "fine-tuning"), (2 / 3, "fine-tuning"), (1.0, "fine-tuning")]


def test_fast_trains_with_three_classes(tiles) -> None:
    images, _ = tiles
    labels = np.array([0, 0, 1, 1, 2, 2], dtype=np.int64)
    probs = train_classifier(images, labels, 3, "fast", seed=1).predict_proba(images)
    assert probs.shape == (6, 3)


def test_train_classifier_rejects_unknown_mode(tiles) -> None:
    images, labels = tiles
    with pytest.raises(ValueError, match="mode must be one of"):
        train_classifier(images, labels, 2, "turbo")


def test_train_classifier_rejects_class_without_images(tiles) -> None:
    images, labels = tiles
    with pytest.raises(ValueError, match=r"none for classes \[2\]"):
        train_classifier(images, labels, 3, "fast")


def test_augment_keeps_shape_and_range() -> None:
    import torch

    images = torch.randint(0, 256, (4, 32, 32, 3), dtype=torch.uint8)
    out = augment(images, Augment(hflip=True, vflip=True, rotate90=True), torch.Generator().manual_seed(0))
    assert out.shape == (4, 3, 32, 32)
    assert out.min() >= -1 and out.max() <= 1


def test_fast_learns_from_mirrored_copies_when_flips_keep_the_class(tiles) -> None:
    images, labels = tiles
    patches_per_image = (images.shape[1] // 16) * (images.shape[2] // 16)
    plain = train_classifier(images, labels, 2, "fast")
    both = train_classifier(images, labels, 2, "fast", hflip=True, vflip=True)
    assert [len(bank) for bank in plain.net.banks] == [3 * patches_per_image] * 2
    assert [len(bank) for bank in both.net.banks] == [3 * 3 * patches_per_image] * 2
    # A mirrored training image is as familiar to the flip-trained model as the image itself.
    mirrored = np.ascontiguousarray(images[:, :, ::-1])
    np.testing.assert_array_equal(both.predict_proba(mirrored).argmax(1), labels)
    np.testing.assert_allclose(both.predict_proba(mirrored), both.predict_proba(images), atol=0.1)


def test_shared_features_give_every_fold_the_predictions_of_a_model_trained_alone(tiles) -> None:
    images, labels = tiles
    trainer = FoldTrainer(images, labels, 2, "fast", augment=Augment(hflip=True))
    trainer.prepare()
    for held in range(len(images)):  # leave-one-out, as Fast validates a set this small
        train, val = np.delete(np.arange(len(images)), held), np.array([held])
        alone = train_classifier(images[train], labels[train], 2, "fast", hflip=True).predict_proba(images[val])
        np.testing.assert_allclose(trainer.predict_proba(trainer.fit(train), val), alone, atol=1e-5)


def _two_looks(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` dark plain crops (class 0) then ``count`` bright crops with a dark spot (class 1), 32 px, noisy."""
    rng = np.random.default_rng(seed)
    images = rng.integers(20, 60, (2 * count, 32, 32, 3), dtype=np.uint8)
    images[count:] += 150
    images[count:, 10:16, 14:20] = 10
    return images, np.repeat(np.array([0, 1], dtype=np.int64), count)


def test_accurate_trains_on_the_pseudo_labelled_crops_it_is_given() -> None:
    images, labels = _two_looks(3, 0)
    extra, extra_labels = _two_looks(4, 1)
    few = Schedule(min_steps=2, max_steps=2)
    alone = train_accurate(images, labels, 2, 0, Augment(), no_progress, few)
    with_pseudo = train_accurate(images, labels, 2, 0, Augment(), no_progress, few,
                                 pseudo=PseudoLabels(extra, extra_labels, len(extra)))
    # same seed, same labelled batches: only the pseudo-labelled crops can move the outputs apart
    with torch.inference_mode():
        assert not torch.equal(alone(torch.from_numpy(extra)), with_pseudo(torch.from_numpy(extra)))


def test_accurate_learns_from_unlabelled_crops_through_a_confident_fast_teacher(monkeypatch) -> None:
    monkeypatch.setattr(Schedule, "steps", lambda self, num_images: 2)
    images, labels = _two_looks(4, 0)
    unlabelled, truth = _two_looks(5, 2)
    trainer = FoldTrainer(images, labels, 2, "accurate", seed=0, augment=Augment(hflip=True), unlabelled=unlabelled)
    model = trainer.fit(np.arange(len(images)))
    alone = FoldTrainer(images, labels, 2, "accurate", seed=0, augment=Augment(hflip=True)).fit(np.arange(len(images)))
    assert not np.array_equal(model.predict_proba(unlabelled), alone.predict_proba(unlabelled))  # they trained it
    (pseudo,) = trainer.pseudo
    assert pseudo.offered == len(unlabelled)  # the teacher judged every unlabelled crop
    assert len(pseudo.labels) >= 8  # and was confident of most of these obvious ones
    by_image = {im.tobytes(): t for im, t in zip(unlabelled, truth, strict=True)}
    assert [by_image[im.tobytes()] for im in pseudo.images] == pseudo.labels.tolist()
    # Fast ignores unlabelled crops: it has no teacher
    fast = FoldTrainer(images, labels, 2, "fast", unlabelled=unlabelled)
    fast.fit(np.arange(len(images)))
    assert fast.pseudo == [] and len(fast.unlabelled) == 0


def test_accurate_fine_tunes_lite1_from_its_first_block_past_stride_8() -> None:
    images, labels = _two_looks(3, 0)
    net = train_accurate(images, labels, 2, 0, Augment(), no_progress, Schedule(min_steps=2, max_steps=2))
    assert TrainedClassifier(net, (32, 32)).backbone == "lite1"
    pretrained, trained = load_pretrained(LITE1).state_dict(), net.backbone.state_dict()
    moved = {int(name.split(".")[1]) for name in pretrained
             if name.startswith("_blocks.") and not torch.equal(pretrained[name], trained[name])}
    assert frozen_blocks(LITE1) == 7 and moved == set(range(7, len(net.backbone._blocks)))  # stride 16 and 32 only
    assert torch.equal(pretrained["_conv_stem.weight"], trained["_conv_stem.weight"])
