"""The application assistant: a described inspection in, a starting recipe's types and the reasons out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openinspect.advice.errors import AdviceError
from openinspect.advice.lexicon import (
    COUNT,
    DEFECTS,
    MEASURE,
    NO_EXAMPLES,
    PRESENCE,
    STATE,
    Concept,
    Kind,
)
from openinspect.advice.resolution import Resolution, check_resolution, defect_pixels, roi_size
from openinspect.advice.rules import Clause, clauses, find_concepts, mentions_inspection
from openinspect.advice.types import _number, singular, starting_type
from openinspect.recipe import Profile

MAX_DESCRIPTION = 2000
"""Longest description taken, in characters."""
VAGUE_CONFIDENCE = 0.3
VAGUE_ASK = (
    "What must the check decide: whether a part is there, seated or the right one (a classifier), or where "
    "a defect is and how large (a segmenter)?",
    "Are the defects at fixed places on the part, or can they be anywhere on the surface?",
    "Do you have images of bad parts, or mostly good ones (then an anomaly type learns the good part only)?",
)


@dataclass(frozen=True)
class Sizes:
    """What the resolution check needs: the capture, the ROI and the defect size (all optional)."""

    image: tuple[int, int] | None = None
    roi: tuple[int, ...] | None = None
    defect_px: float | None = None
    defect_mm: float | None = None
    mm_per_px: float | None = None

    def check(self) -> Resolution | None:
        """The resolution check, or ``None`` when neither a ROI nor a capture was given.

        Raises:
            AdviceError: a ROI outside the capture, or a size that is not positive.
        """
        defect = defect_pixels(self.defect_px, self.defect_mm, self.mm_per_px)
        if self.roi is None and self.image is None:
            return None
        return check_resolution(roi_size(self.roi, self.image), defect, self.mm_per_px)


@dataclass
class Advice:
    """The assistant's answer; :meth:`to_json` is what ``--json`` and ``POST /api/v1/advice`` give."""

    recommendation: Kind
    profile: Profile
    types: list[dict[str, Any]]
    reasons: list[str]
    confidence: float
    ask: list[str]
    images_to_label: dict[str, dict[str, Any]]
    resolution: Resolution | None = None

    def to_json(self) -> dict[str, Any]:
        """The advice as plain JSON types."""
        return {"recommendation": self.recommendation.value, "profile": self.profile.value, "types": self.types,
                "reasons": self.reasons, "confidence": self.confidence, "ask": self.ask,
                "images_to_label": self.images_to_label,
                "resolution": self.resolution.to_json() if self.resolution else None}


def advise(description: str, sizes: Sizes | None = None) -> Advice:
    """Recommend an inspection type (or two) for a described application, with a starting recipe's types.

    >>> advise("check that both screws are present on the bracket").recommendation.value
    'classifier'

    Raises:
        AdviceError: an empty description, one with no inspection in it, or unusable sizes.
    """
    text = _clean(description)
    sizes = sizes or Sizes()
    resolution = sizes.check()
    found = find_concepts(text)
    if not mentions_inspection(found):
        raise AdviceError(f"'{text[:80]}' describes no inspection; say what to check on the part, e.g. "
                          "'check that both screws are present' or 'find scratches anywhere on the housing'")
    parts = [c for c in clauses(text) if c.kind is not None]
    if found.get(NO_EXAMPLES.name):
        parts = _without_examples(parts, text)
    if not parts:
        return _vague(found, resolution)
    return _advice(parts, found, resolution)


def _clean(description: str) -> str:
    text = " ".join(description.split())
    if not text:
        raise AdviceError("the description is empty; describe the inspection in a sentence, e.g. "
                          "'check that both screws are present on the bracket'")
    if len(text) > MAX_DESCRIPTION:
        raise AdviceError(f"the description has {len(text)} characters; keep it under {MAX_DESCRIPTION}")
    return text


def _without_examples(parts: list[Clause], text: str) -> list[Clause]:
    """No defect examples: defect-finding clauses become anomaly ones; with nothing else asked, anomaly alone.

    Counting clauses stay with the segmenter: the things counted (pills, screws) are examples enough.
    """
    for clause in parts:
        if clause.kind is Kind.SEGMENTER and not clause.has(COUNT):
            clause.kind, clause.evidence, clause.against = Kind.ANOMALY, [NO_EXAMPLES], []
        elif clause.kind is Kind.ANOMALY:
            clause.evidence = [*clause.evidence, NO_EXAMPLES]
    if not parts:
        return [Clause(text, find_concepts(text), Kind.ANOMALY, [NO_EXAMPLES])]
    return parts


def _advice(parts: list[Clause], found: dict[str, list[str]], resolution: Resolution | None) -> Advice:
    groups: dict[Kind, list[Clause]] = {}
    for clause in parts:
        groups.setdefault(clause.kind or Kind.CLASSIFIER, []).append(clause)
    drafts = [starting_type(kind, members, resolution) for kind, members in groups.items()]
    reasons = _reasons(parts, found)
    confidence = min(_confidence(c) for c in parts)
    ask = _questions(parts, found, resolution)
    reasons.extend(note for draft in drafts for note in draft.notes)
    profile = Profile.MULTI_MODEL if len(drafts) > 1 else Profile.SINGLE_MODEL
    return Advice(recommendation=drafts[0].kind, profile=profile,
                  types=[d.spec for d in drafts], reasons=reasons, confidence=round(confidence, 2), ask=ask,
                  images_to_label={d.spec["name"]: d.images for d in drafts}, resolution=resolution)


def _vague(found: dict[str, list[str]], resolution: Resolution | None) -> Advice:
    draft = starting_type(Kind.CLASSIFIER, [], resolution)
    reasons = ["The description does not say what decides pass or fail, so start with a classifier: it is the "
               "quickest to label (3-5 images per class) and shows soon whether the look of the part is enough."]
    return Advice(Kind.CLASSIFIER, Profile.SINGLE_MODEL, [draft.spec], reasons, VAGUE_CONFIDENCE, list(VAGUE_ASK),
                  {draft.spec["name"]: draft.images}, resolution)


def _reasons(parts: list[Clause], found: dict[str, list[str]]) -> list[str]:
    reasons: list[str] = []
    seen: set[str] = set()
    for clause in parts:
        for concept in clause.evidence:
            if concept.name not in seen:
                seen.add(concept.name)
                reasons.append(concept.reason.format(said=_said(concept, clause, found)))
    if len({c.kind for c in parts}) > 1:
        reasons.append("The description asks for more than one kind of check, so the recipe runs both types on "
                       "every trigger (profile multi-model), each with its own ROIs.")
    kinds = {w.lower() for w in found.get(DEFECTS.name, [])}
    if len(kinds) > 1 and any(c.kind is Kind.SEGMENTER for c in parts):
        reasons.append(f"Several defect kinds in one region ({', '.join(sorted(kinds))}): one segmenter tells them "
                       "apart, each as its own pixel class.")
    return reasons


def _said(concept: Concept, clause: Clause, found: dict[str, list[str]]) -> str:
    words = clause.found.get(concept.name) or found.get(concept.name) or []
    return "', '".join(dict.fromkeys(w.lower() for w in words))


def _confidence(clause: Clause) -> float:
    """More distinct concepts for the kind raise it; concepts arguing for another kind lower it."""
    score = 0.55 + 0.1 * min(len(clause.evidence), 4) - 0.1 * len(clause.against)
    if clause.evidence == [DEFECTS]:  # a defect named, but not whether its size or place matters
        score = min(score, 0.6)
    return max(0.35, min(0.95, score))


def _questions(parts: list[Clause], found: dict[str, list[str]], resolution: Resolution | None) -> list[str]:
    ask: list[str] = []
    for clause in parts:
        if clause.evidence == [DEFECTS]:
            defect = singular(clause.found[DEFECTS.name][0])
            ask.append(f"Do you need the {defect}'s size or position, or only whether there is one? Only whether, at a "
                       f"fixed place: a classifier is quicker to label.")
        if clause.kind is Kind.CLASSIFIER and clause.has(DEFECTS):
            ask.append("Does it matter how large the defect is or where it is? Then a segmenter measures it.")
        if clause.kind is Kind.ANOMALY and not clause.has(NO_EXAMPLES) and NO_EXAMPLES.name not in found:
            ask.append("Can you collect several examples of each defect? Then a segmenter also names and measures "
                       "them; with few or none, the anomaly type is the right start.")
        if clause.kind is Kind.SEGMENTER and clause.has(COUNT) and not _number(clause.text):
            ask.append("How many should there be? The starting rule only asks for at least one.")
    kinds = {c.kind for c in parts}
    if kinds & {Kind.SEGMENTER, Kind.ANOMALY} and (resolution is None or resolution.defect_px is None):
        ask.append("How small is the smallest defect that must be caught (px, or mm with the pixel size)? It "
                   "decides how large a ROI may be before the defect vanishes.")
    if kinds == {Kind.CLASSIFIER} and found.get(NO_EXAMPLES.name):
        ask.append("With few bad parts, can you stage them (remove or loosen the part) to label 3-5 of each class?")
    if kinds == {Kind.CLASSIFIER} and found.get(MEASURE.name) and not (found.get(PRESENCE.name) or
                                                                       found.get(STATE.name)):
        ask.append("Do you need a measured value, or only pass/fail? A measurement needs a segmenter.")
    return list(dict.fromkeys(ask))
