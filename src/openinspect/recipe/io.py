"""Load and save recipes as YAML, turning schema violations into messages that name the field.

Recipes come from people and from the network, so parsing is bounded: YAML anchors and aliases are
refused (a few hundred bytes of nested aliases expand to millions of nodes, and a recipe has no use
for them), and an error message lists at most :data:`MAX_PROBLEMS` problems, each value cut to
:data:`MAX_VALUE_CHARS` characters.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from openinspect.errors import RecipeError
from openinspect.recipe.schema import AnomalyType, ClassifierType, ModelKind, Recipe, SegmenterType

MAX_PROBLEMS = 20
"""Problems an invalid recipe's message lists; the rest are counted."""
MAX_VALUE_CHARS = 80
"""Characters of a rejected value an error message shows."""


def _bounded_repr() -> reprlib.Repr:
    """A ``repr`` that shows a rejected value without rendering all of a large one first."""
    shown = reprlib.Repr()
    shown.maxlevel, shown.maxlist, shown.maxdict = 3, 6, 6
    shown.maxstring = shown.maxother = MAX_VALUE_CHARS
    return shown


_REPR = _bounded_repr()


_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: about 50 times faster on large bodies than the pure-Python one."""
MAX_DEPTH = 32
"""Nested lists and mappings a recipe may have (it needs about six)."""


class _RefusedYamlError(yaml.YAMLError):
    """A recipe uses a YAML anchor or alias, or nests deeper than :data:`MAX_DEPTH`."""


def parse_recipe(text: str, source: str = "<recipe>") -> Recipe:
    r"""Parse and validate recipe YAML.

    Args:
        text: the YAML document.
        source: what to call it in error messages (usually the file path).

    Raises:
        RecipeError: the YAML is malformed or violates the schema; the message names each bad field
            and, where the field has a fixed set of values or keys, the allowed ones.

    >>> parse_recipe("name: r\ntypes: [{name: t, kind: classifier, classes: "
    ...              "[{name: good, pass: true}, {name: bad, pass: false}]}]\nrois: [{name: all, type: t}]").name
    'r'

    """
    try:
        data = _load_yaml(text)
    except _RefusedYamlError as err:
        raise RecipeError(f"{source}: {err}") from err
    except yaml.YAMLError as err:
        raise RecipeError(f"{source}: not valid YAML: {_cut(str(err), 4 * MAX_VALUE_CHARS)}") from err
    if not isinstance(data, dict):
        raise RecipeError(f"{source}: expected a mapping with name, profile, types and rois at the top")
    try:
        return Recipe.model_validate(data)
    except ValidationError as err:
        raise RecipeError(f"{source}: invalid recipe:\n{_problems(err, data)}") from err


def load_recipe(path: Path) -> Recipe:
    """Read a recipe YAML file (see :func:`parse_recipe`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RecipeError(f"cannot read recipe file {path}: {err.strerror}") from err
    return parse_recipe(text, str(path))


def dump_recipe(recipe: Recipe) -> str:
    """Serialise a recipe to YAML with the user-facing field names (``pass``, not ``passes``)."""
    data = recipe.model_dump(mode="json", by_alias=True, exclude_none=True)
    data = {"name": recipe.name, "profile": recipe.profile.value, **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _load_yaml(text: str) -> Any:
    """The YAML document, once its events show no anchor or alias and no deep nesting (nothing is built before)."""
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            kind = f"alias *{event.anchor}" if isinstance(event, yaml.AliasEvent) else f"anchor &{event.anchor}"
            raise _RefusedYamlError(f"YAML anchors and aliases (&name, *name) are not allowed in a recipe: found "
                                    f"{kind} at line {event.start_mark.line + 1}, column "
                                    f"{event.start_mark.column + 1}; write the value out in full")
        depth += isinstance(event, yaml.CollectionStartEvent) - isinstance(event, yaml.CollectionEndEvent)
        if depth > MAX_DEPTH:
            raise _RefusedYamlError(f"the YAML nests lists and mappings more than {MAX_DEPTH} deep at line "
                                    f"{event.start_mark.line + 1}; a recipe needs a handful of levels")
    return yaml.load(text, Loader=_LOADER)  # a safe loader


def _problems(err: ValidationError, data: dict[str, Any]) -> str:
    """The first :data:`MAX_PROBLEMS` problems, one per line, and how many more there are."""
    errors = err.errors()
    lines = [f"  - {_cut(_describe(e, data), 4 * MAX_VALUE_CHARS)}" for e in errors[:MAX_PROBLEMS]]
    if len(errors) > MAX_PROBLEMS:
        lines.append(f"  - ... and {len(errors) - MAX_PROBLEMS} more problem(s); fix these first")
    return "\n".join(lines)


def _cut(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` at most ``limit`` characters long, marked where it was cut."""
    return text if len(text) <= limit else f"{text[: limit - 5]}[...]"


def _describe(error: Any, data: dict[str, Any]) -> str:
    loc = error["loc"]
    where = _location(loc, data)
    if error["type"] == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1])
        return f"{where}: unknown field; allowed fields: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{where}: required field is missing"
    if error["type"] == "union_tag_invalid":
        tag = _cut(_REPR.repr(error["ctx"]["tag"]))
        return f"{where}.kind: {tag} is not allowed; allowed values: {', '.join(_TAGGED)}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if "input" in error and error["type"] != "value_error" and not isinstance(error["input"], dict):
        return f"{where}: {_cut(_REPR.repr(error['input']))} is not allowed: {message}"
    return f"{where}: {message}" if where else message


_TAGGED: dict[str, type[BaseModel]] = {ModelKind.CLASSIFIER.value: ClassifierType,
                                       ModelKind.SEGMENTER.value: SegmenterType, ModelKind.ANOMALY.value: AnomalyType}
"""Inspection type models by their ``kind``: pydantic puts the tag into error locations."""


def _location(loc: tuple[Any, ...], data: Any) -> str:
    """Render a pydantic location as ``types[0] (nut).mode`` so a person finds the line."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            item = node[key] if isinstance(node, list) and key < len(node) else None
            named = item.get("name") if isinstance(item, dict) else None
            parts[-1] += f"[{key}]" + (f" ({named})" if named else "")
            node = item
        elif isinstance(node, dict) and key not in node and key in _TAGGED:
            continue
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Recipe
    for key in loc:
        if isinstance(key, int):
            continue
        if key in _TAGGED and key not in model.model_fields:
            model = _TAGGED[key]
            continue
        model = _first_model(model.model_fields[str(key)].annotation)
    return [field.alias or name for name, field in model.model_fields.items()]


def _first_model(annotation: Any) -> type[BaseModel]:
    """The first pydantic model inside ``list[...]``, ``X | None`` or ``Annotated[...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        try:
            return _first_model(arg)
        except LookupError:
            continue
    raise LookupError(annotation)
