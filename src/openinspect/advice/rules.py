"""The rules: split a description into clauses, find the framework's concepts in each, decide the kinds.

A clause is one thing to check ("the screw must be present", "find scratches on the lid"): two clauses that
need different kinds make a ``multi-model`` recipe. Within a clause the more specific need wins: anything
unusual -> anomaly; sizes, counts, places, defects anywhere -> segmenter; presence, state, category -> classifier.
A description that says it has no defect examples turns its segmenter clauses into anomaly ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openinspect.advice.lexicon import (
    ANYWHERE,
    CATEGORY,
    CONCEPTS,
    COUNT,
    DEFECTS,
    FAST,
    LOCATE,
    MEASURE,
    PRESENCE,
    SMALL_ON_LARGE,
    STATE,
    UNUSUAL,
    Concept,
    Kind,
)

_SPLIT = re.compile(r"\s*(?:;|\?|!|\.\s|,?\s+and\s+(?:also\s+)?(?=(?:check|verify|make|confirm|find|detect|measure|"
                    r"count|flag|catch|look|are|is|ensure|the|also|spot|locate|report|tell|inspect|there|no|make|alert|how)\b)|,?\s+plus\s+|"
                    r",?\s+also\s+|,?\s+then\s+|,?\s+as\s+well\s+as\s+)\s*", re.IGNORECASE)
_REGEX = {concept.name: concept.regex() for concept in CONCEPTS}
_SEGMENTER_NEEDS = (MEASURE, COUNT, LOCATE, ANYWHERE, SMALL_ON_LARGE, FAST)
_CLASSIFIER_NEEDS = (PRESENCE, STATE, CATEGORY)


@dataclass
class Clause:
    """One part of the description and what the rules found in it."""

    text: str
    found: dict[str, list[str]] = field(default_factory=dict)
    """Concept name -> the words of the clause that matched it, in order."""
    kind: Kind | None = None
    evidence: list[Concept] = field(default_factory=list)
    """The concepts that decided ``kind``."""
    against: list[Concept] = field(default_factory=list)
    """Concepts in the clause that argued for another kind."""

    def has(self, concept: Concept) -> bool:
        """Whether the clause mentions ``concept``."""
        return bool(self.found.get(concept.name))


def find_concepts(text: str) -> dict[str, list[str]]:
    """Every concept's matched words in ``text``.

    >>> find_concepts("count the pills in the tray")["count"]
    ['count']
    """
    found = {}
    for concept in CONCEPTS:
        words = [m.group(0) for m in _REGEX[concept.name].finditer(text)]
        if words:
            found[concept.name] = words
    return found


def clauses(text: str) -> list[Clause]:
    """The description split into clauses, each with its concepts and decided kind (``None``: no need found).

    >>> [c.kind.value for c in clauses("check the gasket is present and find scratches on the lid") if c.kind]
    ['classifier', 'segmenter']
    """
    parts = [part for part in _SPLIT.split(text) if part and part.strip()]
    result = [Clause(part.strip(), find_concepts(part)) for part in parts]
    for clause in result:
        _decide(clause)
    return result


def _decide(clause: Clause) -> None:
    needs = [c for c in _SEGMENTER_NEEDS if clause.has(c)]
    checks = [c for c in _CLASSIFIER_NEEDS if clause.has(c)]
    if clause.has(UNUSUAL):
        clause.kind, clause.evidence, clause.against = Kind.ANOMALY, [UNUSUAL], [*needs, *checks]
    elif needs:
        clause.kind = Kind.SEGMENTER
        clause.evidence = [*needs, *([DEFECTS] if clause.has(DEFECTS) else [])]
        clause.against = checks
    elif clause.has(DEFECTS) and not checks:
        clause.kind, clause.evidence = Kind.SEGMENTER, [DEFECTS]
    elif checks:
        clause.kind, clause.evidence = Kind.CLASSIFIER, checks
        clause.against = [DEFECTS] if clause.has(DEFECTS) else []


def mentions_inspection(found: dict[str, list[str]]) -> bool:
    """Whether the words found show the text describes an inspection at all: any concept, or an inspection word.

    >>> mentions_inspection(find_concepts("hello")), mentions_inspection(find_concepts("inspect the part"))
    (False, True)
    """
    return bool(found)
