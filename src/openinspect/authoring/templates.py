"""A recipe's template: the capture its ROIs are drawn on, and the region the station aligns on.

The template is kept as ``reference.<ext>`` in the recipe's folder (the name an
:class:`~openinspect.recipe.schema.Alignment` reference uses). A recipe that aligns on its template keeps
its region when the template is replaced, checked on the new capture first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from openinspect.authoring.events import RecipeEvents
from openinspect.authoring.recipes import check_alignment
from openinspect.errors import NotFoundError, RecipeError
from openinspect.imaging import Rect, decode_image, image_suffix
from openinspect.recipe import Alignment
from openinspect.store import Workspace
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.files import write_atomic
from openinspect.store.revisions import SYSTEM_ACTOR

TEMPLATE_STEM = "reference"
"""The template file's name in the recipe folder, without its suffix."""


@dataclass(frozen=True)
class TemplateInfo:
    """A recipe's template capture."""

    reference: str
    """Its file name in the recipe's folder: what an alignment on it names as ``reference``."""
    width: int
    height: int


class TemplateService:
    """Template captures and alignment regions on one workspace.

    Args:
        workspace: the station's workspace.
        events: told of every template or alignment change (the template may be the alignment's reference).
        audit: where every template change is recorded; by default the workspace database's trail.
    """

    def __init__(self, workspace: Workspace, events: RecipeEvents | None = None, audit: AuditLog | None = None) -> None:
        self.workspace = workspace
        self.events = events or RecipeEvents()
        self.audit = audit or AuditLog(workspace.engine)
        self._lock = threading.Lock()

    def template(self, name: str) -> Path:
        """The recipe's template capture.

        Raises:
            NotFoundError: unknown recipe, or no template was set.
        """
        self.workspace.recipe(name)
        found = sorted(self._folder(name).glob(f"{TEMPLATE_STEM}.*"))
        if not found:
            raise NotFoundError(f"recipe '{name}' has no template capture yet; upload one")
        return found[0]

    def info(self, name: str) -> TemplateInfo:
        """The recipe's template capture: its file name and size.

        Raises:
            NotFoundError: unknown recipe, or no template was set.
            ImageError: the file does not decode.
        """
        path = self.template(name)
        pixels = decode_image(path.read_bytes(), path.name)
        return TemplateInfo(path.name, pixels.shape[1], pixels.shape[0])

    def set_template(self, name: str, data: bytes, filename: str, alignment: Alignment | None = None, *,
                     actor: str = SYSTEM_ACTOR) -> TemplateInfo:
        """Store the capture the ROIs are drawn on, replacing the earlier one.

        A recipe that aligns on its template keeps its alignment region, which then refers to the new capture:
        the region is checked on the new capture first (:func:`check_alignment`), and the alignment's
        ``reference`` follows the file's name (``reference.jpg`` after a JPEG).

        Args:
            name: recipe.
            data: the encoded capture.
            filename: what to call the capture in errors.
            alignment: align on this region of the new capture instead; its ``reference`` is set to the template's
                file.
            actor: who changes it: the recipe's next revision names them when its alignment changes.

        Raises:
            NotFoundError: unknown recipe.
            ImageError: the bytes do not decode as an image.
            RecipeError: the alignment region does not lie inside the new capture or is too flat to find on it.
        """
        head = self.workspace.recipe_head(name)
        recipe = head.parsed()
        pixels = decode_image(data, filename)
        path = self._folder(name) / f"{TEMPLATE_STEM}{image_suffix(data) or '.png'}"
        if alignment is None and recipe.alignment and recipe.alignment.reference.startswith(f"{TEMPLATE_STEM}."):
            alignment = recipe.alignment
        if alignment is not None:
            check_alignment(recipe.name, alignment, pixels)
        with self._lock:
            write_atomic(path, data)
            for old in path.parent.glob(f"{TEMPLATE_STEM}.*"):
                if old != path:
                    old.unlink(missing_ok=True)
            stored = None if alignment is None else alignment.model_copy(update={"reference": path.name})
            after = head
            if stored is not None and stored != recipe.alignment:
                after = self.workspace.save_recipe(recipe.model_copy(update={"alignment": stored}), actor=actor)
        self.events.changed(recipe.name)
        self.audit.record(actor, AuditAction.TEMPLATE_SET, f"template of recipe {recipe.name}", recipe=recipe.name,
                          before=f"revision {head.number}", after=f"revision {after.number}",
                          detail=f"template capture {path.name}, {pixels.shape[1]}x{pixels.shape[0]} px"
                                 + ("" if after is head else f"; {after.summary}"))
        return TemplateInfo(path.name, pixels.shape[1], pixels.shape[0])

    def set_alignment(self, name: str, data: bytes, filename: str, region: Rect,
                      max_angle: float | None = None, *, actor: str = SYSTEM_ACTOR) -> Alignment:
        """Make a capture the recipe's template and align every capture on a region of it.

        Args:
            name: recipe.
            data: the encoded reference capture.
            filename: what to call the capture in errors.
            region: the alignment template: a distinctive, rigid feature of the part on the capture.
            max_angle: the largest rotation searched, in degrees either way; default: the recipe's, else 15.
            actor: who changes it.

        Returns:
            The recipe's alignment as stored (its ``min_score`` is kept).

        Raises:
            NotFoundError: unknown recipe.
            ImageError: the capture does not decode.
            RecipeError: the region does not lie inside the capture, is under 8x8 px or is too flat to find
                (:func:`check_alignment`), or ``max_angle`` is outside 0..180.
        """
        recipe = self.workspace.recipe(name)
        settings = recipe.alignment.model_dump(include={"min_score", "max_angle"}) if recipe.alignment else {}
        if max_angle is not None:
            settings["max_angle"] = max_angle
        template = {"x": region.x, "y": region.y, "w": region.w, "h": region.h}
        try:  # the reference is named once the file is written, after its type
            alignment = Alignment.model_validate({"template": template, "reference": TEMPLATE_STEM, **settings})
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
            raise RecipeError(f"recipe '{recipe.name}': invalid alignment: {problems}") from err
        info = self.set_template(recipe.name, data, filename, alignment, actor=actor)
        return alignment.model_copy(update={"reference": info.reference})

    def _folder(self, name: str) -> Path:
        return self.workspace.recipe_path(name).parent
