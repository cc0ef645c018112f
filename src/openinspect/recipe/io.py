"""Load and save recipes as YAML, turning schema violations into messages that name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from openinspect.errors import RecipeError
from openinspect.recipe.schema import ClassifierType, ModelKind, Recipe, SegmenterType


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
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise RecipeError(f"{source}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise RecipeError(f"{source}: expected a mapping with name, profile, types and rois at the top")
    try:
        return Recipe.model_validate(data)
    except ValidationError as err:
        problems = "\n".join(f"  - {_describe(e, data)}" for e in err.errors())
        raise RecipeError(f"{source}: invalid recipe:\n{problems}") from err


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


def _describe(error: Any, data: dict[str, Any]) -> str:
    loc = error["loc"]
    where = _location(loc, data)
    if error["type"] == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1])
        return f"{where}: unknown field; allowed fields: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{where}: required field is missing"
    if error["type"] == "union_tag_invalid":
        return f"{where}.kind: {error['ctx']['tag']!r} is not allowed; allowed values: {', '.join(_TAGGED)}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if "input" in error and error["type"] != "value_error" and not isinstance(error["input"], dict):
        return f"{where}: {error['input']!r} is not allowed: {message}"
    return f"{where}: {message}" if where else message


_TAGGED: dict[str, type[BaseModel]] = {ModelKind.CLASSIFIER.value: ClassifierType,
                                       ModelKind.SEGMENTER.value: SegmenterType}
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
