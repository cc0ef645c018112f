"""Plain English to a :class:`DefectSpec`: what the Defect Creator understood, and every word it did not.

The parser is a vocabulary, not a model: each word (or two-word phrase) it knows sets one attribute; grammar
words ("the", "near", "with") are understood and set nothing; every other word is kept in ``ignored`` so the
person can rephrase. Attributes nobody stated get the kind's default and are listed in ``defaulted``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openinspect.errors import SynthError


class Kind(StrEnum):
    """The defect kinds the Defect Creator draws."""

    SCRATCH = "scratch"
    CRACK = "crack"
    DENT = "dent"
    STAIN = "stain"
    SPILL = "spill"
    SPLATTER = "splatter"
    HOLE = "hole"
    BLOWHOLE = "blowhole"
    CHIP = "chip"
    BURN = "burn"
    DUST = "dust"
    MISSING = "missing"


MAX_COUNT = 60
"""The most defects (or particles) one image can get."""
MIN_SIZE_PX = 2.0
MAX_SIZE_PX = 4096.0

_KIND_WORDS: dict[str, Kind] = {
    **dict.fromkeys(("scratch", "scratches", "scratched", "scuff", "scuffs", "scrape", "scrapes", "score", "scores"),
                    Kind.SCRATCH),
    **dict.fromkeys(("crack", "cracks", "cracked", "fissure", "fissures", "fracture", "fractures", "fray", "frays",
                     "frayed"), Kind.CRACK),
    **dict.fromkeys(("dent", "dents", "dented", "ding", "dings", "dimple", "dimples", "depression", "depressions",
                     "uneven", "unevenness", "bump", "bumps", "wave", "waves"), Kind.DENT),
    **dict.fromkeys(("stain", "stains", "stained", "smudge", "smudges", "blotch", "blotches", "smear", "smears"),
                    Kind.STAIN),
    **dict.fromkeys(("spill", "spills", "spilled", "spilt", "glue", "adhesive", "liquid", "oil", "drip", "drips",
                     "puddle", "puddles", "coolant", "water"), Kind.SPILL),
    **dict.fromkeys(("splatter", "splatters", "spatter", "spatters", "splash", "splashes", "paint", "droplets"),
                    Kind.SPLATTER),
    **dict.fromkeys(("hole", "holes", "pit", "pits", "pitting", "pinhole", "pinholes", "pore", "pores"), Kind.HOLE),
    **dict.fromkeys(("blowhole", "blowholes", "void", "voids", "bubble", "bubbles", "porosity"), Kind.BLOWHOLE),
    **dict.fromkeys(("chip", "chips", "chipped", "break", "breaks", "broken", "notch", "notches", "nick", "nicks"),
                    Kind.CHIP),
    **dict.fromkeys(("burn", "burns", "burnt", "burned", "scorch", "scorched", "discolouration", "discoloration",
                     "discolourations", "discolorations", "discoloured", "discolored", "tarnish", "tarnished"),
                    Kind.BURN),
    **dict.fromkeys(("dust", "dusty", "particle", "particles", "speck", "specks", "fibre", "fibres", "fiber", "fibers",
                     "hair", "hairs", "lint", "debris", "dirt", "grit"), Kind.DUST),
    **dict.fromkeys(("missing", "absent", "lacking"), Kind.MISSING),
}
_WEAK_KIND_WORDS: dict[str, Kind] = dict.fromkeys(("mark", "marks", "spot", "spots", "blemish", "blemishes"),
                                                  Kind.STAIN)
"""Nouns that name a kind only when nothing else does ("dark marks" is a stain, "burn marks" a burn)."""
_PAIRS: dict[tuple[str, str], Kind] = {
    ("blow", "hole"): Kind.BLOWHOLE, ("blow", "holes"): Kind.BLOWHOLE, ("gas", "holes"): Kind.BLOWHOLE,
    ("pin", "hole"): Kind.HOLE, ("pin", "holes"): Kind.HOLE,
}
_FIBRE_WORDS = frozenset(("fibre", "fibres", "fiber", "fibers", "hair", "hairs", "lint"))

_NUMBER_WORDS = {"zero": 0, "one": 1, "single": 1, "two": 2,
                  "pair": 2, "couple": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "thirteen": 13,
                 "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
                 "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_VAGUE_COUNTS = {"few": (2, 4), "several": (3, 6), "some": (2, 5), "many": (6, 12), "lots": (6, 12),
                 "multiple": (2, 5), "numerous": (8, 15)}
_SIZE_WORDS = {"tiny": "tiny", "minute": "tiny", "micro": "tiny", "miniscule": "tiny", "small": "small",
               "little": "small", "medium": "medium", "moderate": "medium", "mid": "medium", "large": "large",
               "big": "large", "huge": "large", "massive": "large", "extensive": "large"}
_THICKNESS_WORDS = {"thin": "thin", "fine": "thin", "hairline": "thin", "narrow": "thin", "thick": "thick",
                    "wide": "thick", "broad": "thick", "heavy": "thick", "deep": "thick"}
_LENGTH_WORDS = {"long": "long", "elongated": "long", "lengthy": "long", "short": "short", "stubby": "short"}
_SHAPE_WORDS = {"straight": "straight", "linear": "straight", "curved": "curved", "curvy": "curved",
                "wavy": "curved", "bent": "curved", "arc": "curved", "kinked": "kinked", "zigzag": "kinked",
                "jagged": "kinked", "branching": "branching", "branched": "branching", "forked": "branching",
                "forking": "branching", "round": "round", "circular": "round", "roundish": "round",
                "irregular": "irregular", "blotchy": "irregular", "elongate": "curved"}
_ORIENTATION_WORDS = {"horizontal": "horizontal", "horizontally": "horizontal", "vertical": "vertical",
                      "vertically": "vertical", "diagonal": "diagonal", "diagonally": "diagonal",
                      "slanted": "diagonal", "oblique": "diagonal"}
_SUBTLETY_WORDS = {"subtle": "subtle", "faint": "subtle", "slight": "subtle", "barely": "subtle", "weak": "subtle",
                   "shallow": "subtle", "obvious": "obvious", "clear": "obvious", "strong": "obvious",
                   "prominent": "obvious", "visible": "obvious", "severe": "obvious", "pronounced": "obvious"}
COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (20, 20, 20), "white": (240, 240, 240), "grey": (128, 128, 128), "gray": (128, 128, 128),
    "red": (200, 30, 30), "green": (40, 160, 60), "blue": (40, 70, 200), "yellow": (230, 200, 40),
    "orange": (235, 130, 30), "brown": (110, 70, 35), "purple": (120, 50, 150), "pink": (230, 130, 170),
    "rust": (150, 70, 30), "rusty": (150, 70, 30), "silver": (190, 190, 195), "gold": (200, 160, 60),
    "amber": (200, 130, 20), "beige": (215, 200, 160), "cyan": (40, 190, 200), "magenta": (200, 40, 160),
}
_TONE_WORDS = {"dark": "dark", "darker": "dark", "darkened": "dark", "shadowy": "dark", "light": "light",
               "lighter": "light", "bright": "light", "brighter": "light", "pale": "light", "shiny": "light",
               "glossy": "light"}
_LOCATION_WORDS = {"anywhere": "anywhere", "random": "anywhere", "randomly": "anywhere", "everywhere": "anywhere",
                   "edge": "edge", "edges": "edge", "border": "edge", "rim": "edge", "periphery": "edge",
                   "top": "top", "upper": "top", "bottom": "bottom", "lower": "bottom", "left": "left",
                   "right": "right", "centre": "centre", "center": "centre", "middle": "centre",
                   "central": "centre", "corner": "corner", "corners": "corner"}
_ATTRIBUTE_WORDS: tuple[tuple[str, dict[str, str]], ...] = (
    ("size", _SIZE_WORDS), ("thickness", _THICKNESS_WORDS), ("length", _LENGTH_WORDS), ("shape", _SHAPE_WORDS),
    ("orientation", _ORIENTATION_WORDS), ("subtlety", _SUBTLETY_WORDS))
"""The attributes one word sets, each with its words, tried in this order."""
_GRAMMAR = frozenset((
    "a", "an", "the", "of", "on", "in", "at", "near", "by", "with", "and", "or", "along", "across", "close", "to",
    "from", "is", "are", "there", "its", "it", "that", "which", "very", "quite", "slightly", "somewhat", "rather",
    "part", "parts", "surface", "image", "side", "sides", "around", "over", "into", "onto", "inside", "within",
    "towards", "toward", "next", "each", "per", "like", "looking", "looks", "some", "kind", "type", "sort",
    "material", "component", "components", "piece", "area", "areas", "region", "zone", "place", "places",
    "mark", "marks", "spot", "spots", "blemish", "blemishes", "be", "has", "have", "having", "any", "where",
    "size", "sized", "about", "around", "approximately", "roughly", "up", "between", "more", "less", "than",
    "pixels", "pixel", "px", "mm", "millimetres", "millimeters", "millimetre", "millimeter", "long", "wide",
))
"""Words that carry no attribute by themselves; understood, so never reported as ignored."""
_DEFAULTS: dict[Kind, dict[str, Any]] = {
    Kind.SCRATCH: {"count": (1, 2), "size": "medium", "thickness": "thin", "length": "medium", "shape": "straight",
                   "tone": "light"},
    Kind.CRACK: {"count": (1, 1), "size": "medium", "thickness": "thin", "length": "medium", "shape": "kinked",
                 "tone": "dark"},
    Kind.DENT: {"count": (1, 1), "size": "medium", "thickness": "medium", "length": "medium", "shape": "round",
                "tone": "dark"},
    Kind.STAIN: {"count": (1, 1), "size": "medium", "thickness": "medium", "length": "medium", "shape": "irregular",
                 "tone": "dark"},
    Kind.SPILL: {"count": (1, 1), "size": "medium", "thickness": "medium", "length": "medium", "shape": "irregular",
                 "tone": "light"},
    Kind.SPLATTER: {"count": (1, 1), "size": "small", "thickness": "medium", "length": "medium",
                    "shape": "irregular", "tone": "white"},
    Kind.HOLE: {"count": (1, 3), "size": "tiny", "thickness": "medium", "length": "short", "shape": "round",
                "tone": "dark"},
    Kind.BLOWHOLE: {"count": (1, 2), "size": "small", "thickness": "medium", "length": "short", "shape": "round",
                    "tone": "dark"},
    Kind.CHIP: {"count": (1, 1), "size": "small", "thickness": "medium", "length": "short", "shape": "irregular",
                "tone": "dark", "location": "edge"},
    Kind.BURN: {"count": (1, 1), "size": "medium", "thickness": "medium", "length": "medium", "shape": "irregular",
                "tone": "brown"},
    Kind.DUST: {"count": (10, 30), "size": "tiny", "thickness": "thin", "length": "short", "shape": "irregular",
                "tone": "dark"},
    Kind.MISSING: {"count": (1, 1), "size": "small", "thickness": "medium", "length": "medium", "shape": "irregular",
                   "tone": "surroundings"},
}


@dataclass(frozen=True)
class Tone:
    """How the defect looks: ``dark``, ``light``, a colour name (with ``rgb``), or ``surroundings`` (painted out)."""

    name: str
    rgb: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class DefectSpec:
    """A parsed defect description: one kind, its attributes, and what was not understood.

    Sizes in pixels (``size_px``, ``length_px``, ``thickness_px``) are set only when the description gave them
    (in px, or in mm through the recipe's calibration); otherwise the size words scale with the region.
    """

    text: str
    kind: Kind
    count: tuple[int, int]
    size: str
    thickness: str
    length: str
    shape: str
    tone: Tone
    orientation: str = "any"
    location: str = "anywhere"
    subtlety: str = "normal"
    size_px: float | None = None
    length_px: float | None = None
    thickness_px: float | None = None
    fibres: bool = False
    contrast: float | None = None
    """How much the defect changes the surface (share of its grey level), set when matched to labelled examples
    (:mod:`openinspect.synth.matching`); otherwise the subtlety word decides."""
    aspect: float | None = None
    """Length over width of blob-like defects (as a square root: the outline's stretch), set when matched."""
    ignored: tuple[str, ...] = ()
    defaulted: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The specification as JSON-able data (tuples become lists, the tone a mapping)."""
        data = dataclasses.asdict(self)
        data["kind"] = str(self.kind)
        data["count"] = list(self.count)
        data["tone"] = {"name": self.tone.name, "rgb": list(self.tone.rgb) if self.tone.rgb else None}
        data["ignored"] = list(self.ignored)
        data["defaulted"] = list(self.defaulted)
        return data

    def describe(self) -> list[str]:
        """One line per attribute, as a person reads them; defaults are marked ``(default)``.

        >>> parse_description("three thin dark scratches near the top edge").describe()[:2]
        ['kind: scratch', 'count: 3']
        """
        lo, hi = self.count
        px = {"size": self.size_px, "length": self.length_px, "thickness": self.thickness_px}
        rows = [("kind", str(self.kind) + (" (fibres)" if self.fibres else "")),
                ("count", str(lo) if lo == hi else f"{lo} to {hi}"),
                ("size", self.size), ("thickness", self.thickness), ("length", self.length), ("shape", self.shape),
                ("tone", self.tone.name + (f" (RGB {self.tone.rgb[0]}, {self.tone.rgb[1]}, {self.tone.rgb[2]})"
                                           if self.tone.rgb else "")),
                ("orientation", self.orientation), ("location", self.location), ("subtlety", self.subtlety)]
        if self.contrast is not None:
            rows.append(("contrast", f"{self.contrast:.0%} of the surface's grey level (matched)"))
        lines = []
        for name, value in rows:
            if px.get(name) is not None:
                value = f"{px[name]:.1f} px"
            lines.append(f"{name}: {value}" + (" (default)" if name in self.defaulted else ""))
        lines.append("ignored: " + (", ".join(repr(w) for w in self.ignored) if self.ignored else "nothing"))
        return lines


_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+")
_UNIT_PX = {"px", "pixel", "pixels"}
_UNIT_MM = {"mm", "millimetre", "millimetres", "millimeter", "millimeters"}
_UNIT_CM = {"cm", "centimetre", "centimetres", "centimeter", "centimeters"}


def _number(word: str) -> float | None:
    if word[0].isdigit():
        return float(word)
    return float(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else None


class _Reader:
    """One pass over the words, filling the attributes it recognises."""

    def __init__(self, text: str, mm_per_px: float | None) -> None:
        ranges = re.sub(r"(\d)\s*-\s*(\d)", r"\1 to \2", text.lower())  # "2-4" is a range
        self.words = _TOKEN.findall(ranges.replace("-", " "))
        self.mm_per_px = mm_per_px
        self.found: dict[str, Any] = {}
        self.kinds: list[Kind] = []
        self.weak: list[Kind] = []
        self.ignored: list[str] = []
        self.location_parts: list[str] = []

    def read(self) -> None:
        i = 0
        while i < len(self.words):
            i = self._one(i)

    def _one(self, i: int) -> int:
        word, nxt = self.words[i], self.words[i + 1] if i + 1 < len(self.words) else ""
        if (word, nxt) in _PAIRS:
            self.kinds.append(_PAIRS[(word, nxt)])
            return i + 2
        value = _number(word)
        if value is not None:
            return self._quantity(i, value)
        if word in _VAGUE_COUNTS:
            self._set("count", _VAGUE_COUNTS[word])
        elif word in ("a", "an") and "count" not in self.found and nxt not in _VAGUE_COUNTS:
            self._set("count", (1, 1))
        elif word in _KIND_WORDS:
            self.kinds.append(_KIND_WORDS[word])
            if word in _FIBRE_WORDS:
                self.found["fibres"] = True
        elif word in _WEAK_KIND_WORDS:
            self.weak.append(_WEAK_KIND_WORDS[word])
        elif attribute := next((name for name, words in _ATTRIBUTE_WORDS if word in words), None):
            self._set(attribute, dict(_ATTRIBUTE_WORDS)[attribute][word])
        elif word in COLOURS:
            self._set("tone", Tone(word, COLOURS[word]))
        elif word in _TONE_WORDS:
            self._set("tone", Tone(_TONE_WORDS[word]))
        elif word in _LOCATION_WORDS:
            self.location_parts.append(_LOCATION_WORDS[word])
        elif word not in _GRAMMAR:
            self.ignored.append(word)
        return i + 1

    def _set(self, name: str, value: Any) -> None:
        self.found[name] = value

    def _quantity(self, i: int, value: float) -> int:
        """A number: a size when a unit follows, a count (or a range "two to four") otherwise."""
        words = self.words
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt in _UNIT_PX | _UNIT_MM | _UNIT_CM:
            return i + 2 + self._size(value, nxt, words[i + 2] if i + 2 < len(words) else "")
        if nxt in ("to", "or") and i + 2 < len(words) and (top := _number(words[i + 2])) is not None:
            if i + 3 < len(words) and words[i + 3] in _UNIT_PX | _UNIT_MM | _UNIT_CM:
                return i + 4 + self._size((value + top) / 2, words[i + 3], words[i + 4] if i + 4 < len(words) else "")
            self._count(value, top)
            return i + 3
        self._count(value, value)
        return i + 1

    def _count(self, lo: float, hi: float) -> None:
        if lo != int(lo) or hi != int(hi) or lo < 1 or hi < lo or hi > MAX_COUNT:
            raise SynthError(f"count {lo:g}" + (f" to {hi:g}" if hi != lo else "") + f" is out of range: give a whole "
                             f"number (or range such as 'two to four') from 1 to {MAX_COUNT}")
        self._set("count", (int(lo), int(hi)))

    def _size(self, value: float, unit: str, then: str) -> int:
        """Set a size in px; returns 1 when the next word ("long", "wide") was its dimension, else 0."""
        if unit in _UNIT_PX:
            px = value
        else:
            if self.mm_per_px is None:
                raise SynthError(f"'{value:g} {unit}' needs the recipe's calibration (mm per pixel), which it does not "
                                 "have: give the size in px (e.g. '20 px') or set the recipe's calibration")
            px = value * (10.0 if unit in _UNIT_CM else 1.0) / self.mm_per_px
        if not MIN_SIZE_PX <= px <= MAX_SIZE_PX:
            raise SynthError(f"size '{value:g} {unit}' is {px:.1f} px, out of range: give a size from "
                             f"{MIN_SIZE_PX:g} to {MAX_SIZE_PX:g} px")
        field = {"long": "length_px", "wide": "thickness_px", "thick": "thickness_px"}.get(then, "size_px")
        self._set(field, px)
        return int(field != "size_px")

    def kind(self, text: str) -> Kind:
        kinds = list(dict.fromkeys(self.kinds)) or list(dict.fromkeys(self.weak))
        if not kinds:
            said = f" (not understood: {', '.join(self.ignored)})" if self.ignored else ""
            raise SynthError(f"no defect kind in {text!r}{said}: name one, e.g. "
                             f"{', '.join(k.value for k in Kind)} (also glue, paint, fibres, pit, break)")
        # "missing" with another kind ("missing paint") means the missing kind; a chip near a crack: the first said
        if Kind.MISSING in kinds:
            return Kind.MISSING
        if len(kinds) > 1 and set(kinds) != {Kind.SPLATTER, Kind.SPILL}:
            raise SynthError(f"{' and '.join(k.value for k in kinds)} in one description: describe one defect kind "
                             "per run (run twice for two kinds)")
        return kinds[0]

    def location(self) -> str:
        parts = list(dict.fromkeys(p for p in self.location_parts if p != "anywhere"))
        sides = [p for p in parts if p in ("top", "bottom", "left", "right")]
        if "corner" in parts:
            vertical = next((s for s in sides if s in ("top", "bottom")), None)
            horizontal = next((s for s in sides if s in ("left", "right")), None)
            return f"{vertical}-{horizontal}" if vertical and horizontal else "corner"
        if len(sides) == 2 and {sides[0], sides[1]} not in ({"top", "bottom"}, {"left", "right"}):
            return "-".join(sorted(sides, key=("top", "bottom", "left", "right").index)) + ""
        if sides:
            return sides[0]
        if "centre" in parts:
            return "centre"
        return "edge" if "edge" in parts else "anywhere"


def parse_description(text: str, *, mm_per_px: float | None = None) -> DefectSpec:
    """Read a plain-English defect description.

    Args:
        text: e.g. ``"three thin dark scratches near the top edge"`` or ``"a 5 mm blowhole"``.
        mm_per_px: the recipe's calibration, needed only for sizes in mm or cm.

    Raises:
        SynthError: empty text, no defect kind, two kinds, a count or size out of range, mm without calibration.

    >>> spec = parse_description("two to four small blowholes in the centre, obvious")
    >>> spec.kind.value, spec.count, spec.size, spec.location, spec.subtlety
    ('blowhole', (2, 4), 'small', 'centre', 'obvious')
    """
    if not text or not text.strip():
        raise SynthError("the defect description is empty: describe the defect, e.g. "
                         "'three thin dark scratches near the top edge'")
    reader = _Reader(text, mm_per_px)
    reader.read()
    kind = reader.kind(text)
    defaults = _DEFAULTS[kind]
    found = reader.found
    location = reader.location()
    if location == "anywhere" and "location" in defaults and not reader.location_parts:
        location = defaults["location"]
    values: dict[str, Any] = {}
    defaulted = []
    for name in ("count", "size", "thickness", "length", "shape", "tone"):
        if name in found:
            values[name] = found[name]
        else:
            default = defaults[name]
            values[name] = Tone(default, COLOURS.get(default)) if name == "tone" else default
            defaulted.append(name)
    for name, default in (("orientation", "any"), ("subtlety", "normal")):
        values[name] = found.get(name, default)
        if name not in found:
            defaulted.append(name)
    if not reader.location_parts:
        defaulted.append("location")
    return DefectSpec(text=text, kind=kind, location=location, size_px=found.get("size_px"),
                      length_px=found.get("length_px"), thickness_px=found.get("thickness_px"),
                      fibres=bool(found.get("fibres")), ignored=tuple(reader.ignored), defaulted=tuple(defaulted),
                      **values)
