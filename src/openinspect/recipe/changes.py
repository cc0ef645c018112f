"""What changed between two versions of a recipe, in one line a person reads in a history or an audit trail."""

from __future__ import annotations

from typing import Any

from openinspect.recipe.schema import ClassifierType, Recipe

_NAMED = ("types", "rois")
"""Fields holding lists of named items: their changes are told per item."""


def describe_change(old: Recipe | None, new: Recipe) -> str:
    r"""A one-line summary of the change from ``old`` (``None``: none stored) to ``new``.

    A change of fail-class thresholds alone says so: ``threshold only: ...``.

    >>> from openinspect.recipe import parse_recipe
    >>> text = ("name: r\ntypes: [{name: t, kind: classifier, classes: [{name: ok, pass: true}, "
    ...         "{name: bad, pass: false, threshold: 0.5}]}]\nrois: [{name: a, type: t, x: 0, y: 0, w: 8, h: 8}]")
    >>> old = parse_recipe(text)
    >>> describe_change(old, parse_recipe(text.replace("0.5", "0.7")))
    'threshold only: t/bad 0.5 -> 0.7'
    >>> describe_change(old, parse_recipe(text.replace("w: 8", "w: 9")))
    'rois: changed a'
    """
    if old is None:
        return "created"
    before, after = _plain(old), _plain(new)
    if before == after:
        return "no change"
    if _without_thresholds(before) == _without_thresholds(after):
        old_t, new_t = _thresholds(old), _thresholds(new)
        moved = [f"{key} {old_t.get(key, 'none')} -> {new_t.get(key, 'none')}"
                 for key in sorted(set(old_t) | set(new_t)) if old_t.get(key) != new_t.get(key)]
        return "threshold only: " + "; ".join(moved)
    return "; ".join(_field_change(key, before.get(key), after.get(key))
                     for key in [*before, *(k for k in after if k not in before)] if before.get(key) != after.get(key))


def _plain(recipe: Recipe) -> dict[str, Any]:
    return recipe.model_dump(mode="json", by_alias=True, exclude_none=True)


def _field_change(key: str, before: Any, after: Any) -> str:
    """``rois: added c; removed a; changed b`` for named lists, else the field's name."""
    if key not in _NAMED or not isinstance(before, list) or not isinstance(after, list):
        return f"{key} changed"
    old = {item["name"]: item for item in before}
    new = {item["name"]: item for item in after}
    parts = [f"{verb} {', '.join(names)}" for verb, names in (
        ("added", [n for n in new if n not in old]),
        ("removed", [n for n in old if n not in new]),
        ("changed", [n for n in new if n in old and new[n] != old[n]])) if names]
    return f"{key}: {'; '.join(parts) or 'reordered'}"


def _without_thresholds(data: dict[str, Any]) -> dict[str, Any]:
    types = [{**t, "classes": [{k: v for k, v in c.items() if k != "threshold"} for c in t["classes"]]}
             if "classes" in t else t for t in data.get("types", [])]
    return {**data, "types": types}


def _thresholds(recipe: Recipe) -> dict[str, float]:
    """Each fail-class threshold by ``type/class``."""
    return {f"{spec.name}/{cls.name}": cls.threshold for spec in recipe.types if isinstance(spec, ClassifierType)
            for cls in spec.classes if cls.threshold is not None}
