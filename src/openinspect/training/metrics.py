"""Classification metrics a quality engineer reads: accuracy, balanced accuracy, per class, confusion."""

from __future__ import annotations

from typing import Any

import numpy as np

from openinspect.station.measure import find_blobs


def classification_metrics(truth: np.ndarray, predicted: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    """Compare predicted with true class indices.

    Args:
        truth: ``(N,)`` int true class indices.
        predicted: ``(N,)`` int predicted class indices.
        class_names: names in index order.

    Returns:
        ``n``, ``accuracy``, ``balanced_accuracy`` (mean recall over classes that occur),
        ``per_class`` (``precision``, ``recall``, ``support`` per class name; precision is ``None``
        for a class never predicted) and ``confusion`` (rows: true class, columns: predicted).

    >>> m = classification_metrics(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), ["good", "bad"])
    >>> m["accuracy"], m["balanced_accuracy"], m["confusion"]
    (0.75, 0.75, [[1, 1], [0, 2]])

    """
    count = len(class_names)
    confusion = np.zeros((count, count), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    support = confusion.sum(axis=1)
    predicted_count = confusion.sum(axis=0)
    diagonal = np.diag(confusion)
    recalls = [float(diagonal[i] / support[i]) for i in range(count) if support[i]]
    per_class = {
        name: {
            "precision": float(diagonal[i] / predicted_count[i]) if predicted_count[i] else None,
            "recall": float(diagonal[i] / support[i]) if support[i] else None,
            "support": int(support[i]),
        }
        for i, name in enumerate(class_names)
    }
    total = int(confusion.sum())
    return {
        "n": total,
        "accuracy": float(diagonal.sum() / total) if total else None,
        "balanced_accuracy": float(np.mean(recalls)) if recalls else None,
        "per_class": per_class,
        "confusion": confusion.tolist(),
    }


def format_metrics(metrics: dict[str, Any], class_names: list[str]) -> str:
    """Render metrics as a short plain-text report with the confusion matrix."""
    lines = [f"images: {metrics['n']}   accuracy: {_pct(metrics['accuracy'])}   "
             f"balanced accuracy: {_pct(metrics['balanced_accuracy'])}"]
    width = max(len(name) for name in [*class_names, "true \\ predicted"]) + 2
    lines.append("  " + "true \\ predicted".ljust(width) + "".join(n.rjust(width) for n in class_names)
                 + "   precision  recall")
    for name, row in zip(class_names, metrics["confusion"], strict=True):
        stats = metrics["per_class"][name]
        lines.append("  " + name.ljust(width) + "".join(str(v).rjust(width) for v in row)
                     + f"   {_pct(stats['precision']):>9}  {_pct(stats['recall']):>6}")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def segmentation_metrics(truth: list[np.ndarray], predicted: list[np.ndarray], class_names: list[str],
                         min_blob_px: int) -> dict[str, Any]:
    """Compare predicted with true class maps.

    Args:
        truth: ``(H, W)`` uint8 class maps (0 = background, k = k-th pixel class), one per ROI crop.
        predicted: the predicted class maps, same sizes.
        class_names: the pixel class names.
        min_blob_px: the type's noise floor: a crop counts as flagged when a predicted blob reaches it.

    Returns:
        ``per_class``: pooled ``iou`` and pixel ``f1`` over all pixels, ``mean_image_iou`` over crops
        where the class is present; ``detection_rate`` (defect crops flagged), ``false_alarm_rate``
        (clean crops flagged) and their counts; ``n``.
    """
    per_class = {}
    for value, name in enumerate(class_names, start=1):
        inter = union = true_px = pred_px = 0
        image_ious = []
        for t, p in zip(truth, predicted, strict=True):
            tm, pm = t == value, p == value
            i, u = int(np.count_nonzero(tm & pm)), int(np.count_nonzero(tm | pm))
            inter, union, true_px, pred_px = inter + i, union + u, true_px + int(tm.sum()), pred_px + int(pm.sum())
            if tm.any():
                image_ious.append(i / u)
        per_class[name] = {"iou": inter / union if union else None,
                           "f1": 2 * inter / (true_px + pred_px) if true_px + pred_px else None,
                           "mean_image_iou": float(np.mean(image_ious)) if image_ious else None}
    flagged = [bool(find_blobs(p, class_names, min_blob_px)) for p in predicted]
    defect = [bool(t.any()) for t in truth]
    defects, clean = sum(defect), len(defect) - sum(defect)
    hits = sum(f for f, d in zip(flagged, defect, strict=True) if d)
    alarms = sum(f for f, d in zip(flagged, defect, strict=True) if not d)
    return {"n": len(truth), "per_class": per_class, "defect_images": defects, "clean_images": clean,
            "detection_rate": hits / defects if defects else None,
            "false_alarm_rate": alarms / clean if clean else None}


def format_segmentation_metrics(metrics: dict[str, Any]) -> str:
    """Render segmentation metrics as a short plain-text report."""
    lines = [f"crops: {metrics['n']} ({metrics['defect_images']} with defects)   "
             f"detection: {_pct(metrics['detection_rate'])}   false alarms: {_pct(metrics['false_alarm_rate'])}"]
    lines += [f"  {name}: IoU {_pct(v['iou'])}   pixel F1 {_pct(v['f1'])}   mean per-image IoU "
              f"{_pct(v['mean_image_iou'])}" for name, v in metrics["per_class"].items()]
    return "\n".join(lines)


def auroc(negatives: np.ndarray, positives: np.ndarray) -> float | None:
    """Area under the ROC curve: the chance a positive scores above a negative (ties count half).

    >>> auroc(np.array([0.1, 0.2]), np.array([0.15, 0.3]))
    0.75
    """
    if not len(negatives) or not len(positives):
        return None
    values = np.concatenate([negatives, positives]).astype(np.float64)
    order = values.argsort(kind="stable")
    _, inverse, counts = np.unique(values[order], return_inverse=True, return_counts=True)
    ranks = np.empty(len(values))
    ranks[order] = (np.cumsum(counts) - (counts - 1) / 2)[inverse]  # tied values share their mean rank
    above = ranks[len(negatives) :].sum() - len(positives) * (len(positives) + 1) / 2
    return float(above / (len(positives) * len(negatives)))


def region_metrics(heats: np.ndarray, regions: np.ndarray, threshold: float) -> dict[str, Any]:
    """Pixel-level figures of an anomaly model on crops with a painted anomalous region.

    Args:
        heats: ``(N, H, W)`` float heat maps.
        regions: ``(N, H, W)`` painted regions (non-zero: anomalous).
        threshold: the model's threshold.

    Returns:
        ``painted_crops``; ``pixel_auroc``: the chance a painted pixel is hotter than an unpainted one of the same
        crops (``None`` when either is missing); ``pixel_iou``: the anomalous region (heat at or above the
        threshold, before ``min_blob_px``) against the painted one, pooled over the crops.

    >>> heats = np.array([[[0.1, 0.9], [0.2, 0.3]]]); painted = np.array([[[0, 1], [1, 0]]])
    >>> region_metrics(heats, painted, 0.5)
    {'painted_crops': 1, 'pixel_auroc': 0.75, 'pixel_iou': 0.5}
    """
    truth, found = regions > 0, heats >= threshold
    union = int((truth | found).sum())
    return {"painted_crops": len(heats), "pixel_auroc": auroc(heats[~truth], heats[truth]),
            "pixel_iou": float((truth & found).sum() / union) if union else None}


def anomaly_metrics(truth: np.ndarray, scores: np.ndarray, threshold: float, class_names: list[str],
                    predicted: np.ndarray | None = None) -> dict[str, Any]:
    """An anomaly type's validation or evaluation: good and anomalous crops' scores against the threshold.

    Args:
        truth: ``(N,)`` int, 0 = good, 1 = anomalous.
        scores: ``(N,)`` float anomaly scores (good crops scored by a model that did not learn them).
        threshold: the model's threshold.
        class_names: ``["good", "anomalous"]``.
        predicted: ``(N,)`` int, 1 where the crop failed (the station's decision: region blobs and rules);
            by default, a score at or above the threshold.

    Returns:
        :func:`classification_metrics` plus ``threshold``, ``scores`` (``good`` and ``anomalous`` lists, for the
        trade-off a person may choose), ``false_reject_rate`` (good crops at or above the threshold),
        ``detection_rate`` and ``auroc`` (``None`` without anomalous crops).
    """
    good, bad = scores[truth == 0], scores[truth == 1]
    if predicted is None:
        predicted = (scores >= threshold).astype(np.int64)
    return classification_metrics(truth, predicted, class_names) | {
        "threshold": float(threshold),
        "scores": {"good": [round(float(v), 5) for v in good], "anomalous": [round(float(v), 5) for v in bad]},
        "false_reject_rate": float(predicted[truth == 0].mean()) if len(good) else None,
        "detection_rate": float(predicted[truth == 1].mean()) if len(bad) else None,
        "auroc": auroc(good, bad),
    }


def format_anomaly_metrics(metrics: dict[str, Any], class_names: list[str]) -> str:
    """Render an anomaly type's metrics: threshold, false rejects, detection, AUROC, then the confusion."""
    auc = "n/a (no anomalous crops)" if metrics["auroc"] is None else f"{metrics['auroc']:.3f}"
    pixels = ""
    if metrics.get("painted_crops"):
        pixel_auc, iou = metrics["pixel_auroc"], metrics["pixel_iou"]
        pixels = (f"painted regions ({metrics['painted_crops']} crop(s)): pixel AUROC "
                  f"{'n/a' if pixel_auc is None else f'{pixel_auc:.3f}'}   region IoU "
                  f"{'n/a' if iou is None else f'{iou:.3f}'}\n")
    return (f"threshold: {metrics['threshold']:.4f}   false rejects: {_pct(metrics['false_reject_rate'])}   "
            f"detection: {_pct(metrics['detection_rate'])}   AUROC: {auc}\n{pixels}"
            + format_metrics(metrics, class_names))
