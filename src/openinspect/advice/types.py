"""A starting recipe's inspection type for each recommended kind: classes or pixel classes and a first rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openinspect.advice.lexicon import CATEGORY, COUNT, DEFECTS, MEASURE, PRESENCE, STATE, Kind

if TYPE_CHECKING:
    from openinspect.advice.resolution import Resolution
    from openinspect.advice.rules import Clause

COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45")
"""Pixel class colours, distinct from each other, in the order classes are added."""
FALSE_REJECT_RATE = 0.01
"""The anomaly type's starting threshold: at most 1 % of good parts rejected."""
MIN_BLOB_PX = 20
AREA_LIMIT = 100
LENGTH_LIMIT = 20
_STATE_FAILS = ((r"loose|tight", "loose"), (r"latch", "unlatched"), (r"open|closed|ajar", "open"),
                (r"bent|straight", "bent"), (r"crimp", "bad-crimp"), (r"broken", "broken"),
                (r"orient|upside|way round|polarity", "wrong-orientation"), (r"position|down", "wrong-position"),
                (r"engaged|locked", "not-locked"), (r"light", "not-lit"))
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "twelve": 12}
_IE_NOUNS = {"cookie", "tie", "die", "pie", "movie", "rookie", "calorie", "hoodie", "zombie"}
_COUNTED = re.compile(r"\b(?:count(?:s|ing)?|how\s+many|number\s+of|tall(?:y|ies))\s+(.*)", re.IGNORECASE)
_NOT_COUNTED = {"the", "all", "any", "number", "of", "each", "every", "visible", "total", *_NUMBERS}


@dataclass
class TypeDraft:
    """One inspection type of the starting recipe and how to label it."""

    kind: Kind
    spec: dict[str, Any]
    """The type as a recipe's YAML/JSON holds it (``kind``, classes or pixel classes, rules)."""
    images: dict[str, Any]
    """How many images to label to start, and what labelling means for this kind."""
    notes: list[str] = field(default_factory=list)


def starting_type(kind: Kind, clauses: list[Clause], resolution: Resolution | None) -> TypeDraft:
    """The inspection type that starts a recipe of ``kind`` for these clauses of the description."""
    if kind is Kind.CLASSIFIER:
        return _classifier(clauses)
    if kind is Kind.SEGMENTER:
        return _segmenter(clauses, resolution)
    return _anomaly(resolution)


def _classifier(clauses: list[Clause]) -> TypeDraft:
    fails: list[str] = []
    names: list[str] = []
    for clause in clauses:
        if clause.has(PRESENCE):
            fails.append("missing")
            names.append("presence")
        for word in clause.found.get(STATE.name, []):
            fails.append(next((fail for pattern, fail in _STATE_FAILS if re.search(pattern, word, re.I)),
                              "not-seated"))
            names.append("state")
        if clause.has(CATEGORY):
            fails.append("wrong")
            names.append("variant")
    fails = list(dict.fromkeys(fails)) or ["bad"]
    name = names[0] if len(set(names)) == 1 else "check"
    classes: list[dict[str, Any]] = [{"name": "good", "pass": True}, *({"name": f, "pass": False} for f in fails)]
    images = {"images": 5 * len(classes), "per_class": "3-5",
              "what": f"3-5 ROI crops of each class ({', '.join(c['name'] for c in classes)}) to start; labelling a "
                      "crop is one click, and Fast training takes seconds. Add more where it errs."}
    note = (f"Starting rule of '{name}': the ROI fails when {' or '.join(fails)} wins; later, a threshold on a fail "
            "class trades false rejects against escapes.")
    return TypeDraft(Kind.CLASSIFIER, {"name": name, "kind": "classifier", "mode": "fast", "classes": classes},
                     images, [note])


def _segmenter(clauses: list[Clause], resolution: Resolution | None) -> TypeDraft:
    counted = [_counted(c.text) for c in clauses if c.has(COUNT)]
    defects = [_name(w) for c in clauses for w in c.found.get(DEFECTS.name, [])]
    names = list(dict.fromkeys([*(n for n in counted if n), *defects])) or ["defect"]
    pixel_classes = [{"name": n, "color": COLOURS[i % len(COLOURS)]} for i, n in enumerate(names[: len(COLOURS)])]
    rules, notes = _rules(clauses, [p["name"] for p in pixel_classes], counted)
    spec: dict[str, Any] = {"name": "count" if counted and not defects else "defects", "kind": "segmenter",
                            "pixel_classes": pixel_classes, "min_blob_px": _min_blob(resolution), "rules": rules,
                            "tiling": _needs_tiling(resolution)}
    images = {"images": 15, "what": f"10-20 captures with every {' / '.join(names)} painted, plus a few good ones; "
                                    "painting takes about a minute an image, slower than a classifier's click."}
    return TypeDraft(Kind.SEGMENTER, spec, images, notes)


def _rules(clauses: list[Clause], names: list[str],
           counted: list[str | None]) -> tuple[list[dict[str, Any]], list[str]]:
    rules: list[dict[str, Any]] = []
    notes: list[str] = []
    for clause in clauses:
        if clause.has(COUNT):
            subject = _counted(clause.text) or names[0]
            number = _number(clause.text)
            rules.append({"class": subject, "measure": "count", "op": "==" if number else ">=",
                          "value": number or 1})
        elif clause.has(MEASURE):
            length = any(re.search(r"length|long|width|wide|gap", w, re.I) for w in clause.found[MEASURE.name])
            measure, limit = ("max_length", LENGTH_LIMIT) if length else ("max_blob_area", AREA_LIMIT)
            rules.extend({"class": n, "measure": measure, "op": "<", "value": limit}
                         for n in names if n not in counted)
            notes.append(f"The starting rule ({measure} < {limit} px) is a placeholder: set the limit to your "
                         "tolerance (with a calibration, in mm).")
    if not rules:
        rules = [{"class": n, "measure": "count", "op": "==", "value": 0} for n in names]
    unique = {(r["class"], r["measure"], r["op"]): r for r in rules if r["class"] in names}
    return list(unique.values()), notes


def _anomaly(resolution: Resolution | None) -> TypeDraft:
    spec = {"name": "anomaly", "kind": "anomaly", "false_reject_rate": FALSE_REJECT_RATE,
            "min_blob_px": _min_blob(resolution), "rules": [], "tiling": _needs_tiling(resolution)}
    images = {"images": 30, "good_only": True,
              "what": "20-50 captures of good parts only, covering normal variation (batches, lighting); nothing to "
                      "paint. A few bad parts, when they come, check the threshold."}
    return TypeDraft(Kind.ANOMALY, spec, images)


def _min_blob(resolution: Resolution | None) -> int:
    if resolution is None or resolution.defect_px is None:
        return MIN_BLOB_PX
    return int(min(MIN_BLOB_PX, max(1, resolution.defect_px**2 // 2)))


def _needs_tiling(resolution: Resolution | None) -> bool:
    return bool(resolution is not None and resolution.visible is False and resolution.max_roi_side)


def _counted(text: str) -> str | None:
    """The pixel class name of what a clause counts.

    >>> _counted("count the 12 pills in the tray"), _counted("how many cookies are there"), _counted("find dents")
    ('pill', 'cookie', None)
    """
    match = _COUNTED.search(text)
    words = re.findall(r"[a-z0-9]+", match.group(1).lower()) if match else []
    return next((_name(w) for w in words if w not in _NOT_COUNTED and not w.isdigit()), None)


def _number(text: str) -> int | None:
    """The first count a clause names, in digits or words.

    >>> _number("there must be six bolts"), _number("count the pills")
    (6, None)
    """
    match = re.search(r"\b(\d+|" + "|".join(_NUMBERS) + r")\b", text, re.IGNORECASE)
    if match is None:
        return None
    word = match.group(1).lower()
    return int(word) if word.isdigit() else _NUMBERS[word]


def _name(words: str) -> str:
    """A recipe name for a matched phrase: singular, lower case, words joined by '-'.

    >>> _name("Solder bridges"), _name("scratches"), _name("chip on")
    ('solder-bridge', 'scratch', 'chip')
    """
    parts = [w for w in re.findall(r"[a-z]+", words.lower()) if w not in ("on", "in", "at", "along")]
    return "-".join([*parts[:-1], singular(parts[-1])]) if parts else "defect"


def singular(word: str) -> str:
    """The singular of an English noun, for the common endings.

    >>> singular("scratches"), singular("bodies"), singular("pills"), singular("dust")
    ('scratch', 'body', 'pill', 'dust')
    """
    if word.endswith("ies") and word[:-1] in _IE_NOUNS:
        return word[:-1]
    for plural, single in (("ches", "ch"), ("shes", "sh"), ("ies", "y"), ("s", "")):
        if word.endswith(plural) and not word.endswith("ss"):
            return word[: -len(plural)] + single
    return word
