"""Classification metrics a quality engineer reads: accuracy, balanced accuracy, per class, confusion."""

from __future__ import annotations

from typing import Any

import numpy as np


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
