"""parse_description: every attribute from plain English, every unknown word reported, bad input refused."""

from __future__ import annotations

import json

import pytest

from openinspect.errors import SynthError
from openinspect.synth import Kind, parse_description


@pytest.mark.parametrize(("text", "kind"), [
    ("a scratch", Kind.SCRATCH), ("a branching crack", Kind.CRACK), ("two dents", Kind.DENT),
    ("a coffee stain", Kind.STAIN), ("a glue spill", Kind.SPILL), ("liquid spill", Kind.SPILL),
    ("red paint splatter", Kind.SPLATTER), ("three pits", Kind.HOLE), ("a hole", Kind.HOLE),
    ("a blow hole", Kind.BLOWHOLE), ("blowholes", Kind.BLOWHOLE), ("a broken edge", Kind.CHIP),
    ("a chip", Kind.CHIP), ("burn marks", Kind.BURN), ("discolouration", Kind.BURN), ("dust", Kind.DUST),
    ("fibres", Kind.DUST), ("particles", Kind.DUST), ("missing material", Kind.MISSING),
    ("a missing component", Kind.MISSING), ("dark marks", Kind.STAIN),
])
def test_each_kind_is_named_by_its_words(text: str, kind: Kind) -> None:
    assert parse_description(text).kind is kind


@pytest.mark.parametrize(("text", "count"), [
    ("three scratches", (3, 3)), ("3 scratches", (3, 3)), ("two to four scratches", (2, 4)),
    ("2 to 4 scratches", (2, 4)), ("2-4 scratches", (2, 4)), ("one or two scratches", (1, 2)),
    ("a scratch", (1, 1)), ("a few scratches", (2, 4)), ("several scratches", (3, 6)), ("a dozen pits", (12, 12)),
])
def test_counts_in_words_digits_and_ranges(text: str, count: tuple[int, int]) -> None:
    assert parse_description(text).count == count


def test_every_attribute_of_a_full_description() -> None:
    spec = parse_description("three thin long dark curved horizontal scratches near the top edge, subtle")
    assert (spec.kind, spec.count, spec.thickness, spec.length, spec.tone.name, spec.shape, spec.orientation,
            spec.location, spec.subtlety) == (Kind.SCRATCH, (3, 3), "thin", "long", "dark", "curved", "horizontal",
                                              "top", "subtle")
    assert spec.ignored == ()
    assert "location" not in spec.defaulted and "size" in spec.defaulted


@pytest.mark.parametrize(("text", "location"), [
    ("a chip in the top left corner", "top-left"), ("a stain in a corner", "corner"), ("a stain in the centre", "centre"),
    ("a stain in the middle", "centre"), ("a stain near an edge", "edge"), ("a stain on the right", "right"),
    ("a stain anywhere", "anywhere"), ("a stain", "anywhere"), ("a chip", "edge"),
])
def test_locations(text: str, location: str) -> None:
    assert parse_description(text).location == location


def test_colours_carry_their_rgb_and_sizes_their_pixels() -> None:
    spec = parse_description("a large blue paint splatter")
    assert spec.tone.name == "blue" and spec.tone.rgb is not None and spec.tone.rgb[2] > spec.tone.rgb[0]
    assert spec.size == "large"
    assert parse_description("a 20 px dent").size_px == 20
    mm = parse_description("a 5 mm scratch 2 px wide", mm_per_px=0.1)
    assert (mm.size_px, mm.thickness_px) == (50, 2)
    assert parse_description("a scratch 3 mm long", mm_per_px=0.5).length_px == 6


def test_unknown_words_are_reported_never_dropped() -> None:
    spec = parse_description("two gnarly scratches from the left, zorbly")
    assert spec.ignored == ("gnarly", "zorbly")
    assert spec.describe()[-1] == "ignored: 'gnarly', 'zorbly'"
    assert spec.location == "left"


def test_to_dict_is_json_and_describe_has_one_line_per_attribute() -> None:
    spec = parse_description("a small red stain near the bottom edge")
    data = json.loads(json.dumps(spec.to_dict()))
    assert data["kind"] == "stain" and data["tone"] == {"name": "red", "rgb": [200, 30, 30]}
    assert data["count"] == [1, 1] and data["location"] == "bottom"
    names = [line.split(":")[0] for line in spec.describe()]
    assert names == ["kind", "count", "size", "thickness", "length", "shape", "tone", "orientation", "location",
                     "subtlety", "ignored"]
    assert "thickness: medium (default)" in spec.describe()


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty"), ("   ", "empty"), ("asdf qwer", "no defect kind"), ("dark and thin near the edge", "no defect kind"),
    ("zero scratches", "out of range"), ("100 scratches", "out of range"), ("four to two scratches", "out of range"),
    ("a 5000 px dent", "out of range"), ("a 1 px dent", "out of range"), ("a 5 mm dent", "calibration"),
    ("scratches and dents", "one defect kind"),
])
def test_bad_descriptions_are_refused_with_the_problem_named(text: str, says: str) -> None:
    with pytest.raises(SynthError, match=says):
        parse_description(text)


def test_no_kind_names_the_words_not_understood_and_the_kinds() -> None:
    with pytest.raises(SynthError) as err:
        parse_description("a wobbly thing")
    assert "wobbly" in str(err.value) and "scratch" in str(err.value)
