"""Import labelled captures from a folder per class: ``DIR/<class name>/*``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from openinspect.dataset.crops import roi_crops
from openinspect.errors import DatasetError, ImageError
from openinspect.imaging import decode_image
from openinspect.imaging.formats import IMAGE_SUFFIXES
from openinspect.recipe import Recipe
from openinspect.store import Workspace


@dataclass(frozen=True)
class ImportReport:
    """What an import did, per class."""

    added: dict[str, int] = field(default_factory=dict)
    """New captures per class."""
    already_present: int = 0
    """Captures that were in the library already (their labels were refreshed)."""


def class_folders(root: Path, class_names: list[str]) -> dict[str, list[Path]]:
    """The image files of ``root/<class>/``, per class, sorted.

    Raises:
        DatasetError: ``root`` is missing, holds a folder that is not a class of the type, or no images.

    """
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder; expected {root}/<class name>/<images>")
    files: dict[str, list[Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name not in class_names:
            raise DatasetError(f"folder {folder} is not a class of this inspection type; "
                               f"classes: {', '.join(class_names)}. Rename or remove the folder")
        files[folder.name] = sorted(p for p in folder.iterdir()
                                    if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
    if not any(files.values()):
        raise DatasetError(f"no images found under {root}/<class>/ (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def import_class_folders(workspace: Workspace, recipe: Recipe, type_name: str, root: Path) -> ImportReport:
    """Import ``root/<class>/*`` captures and label every ROI of ``type_name`` in each with that class.

    Every file is decoded and checked against the type's ROIs before anything is stored, so a bad
    file leaves the workspace exactly as it was.

    Raises:
        DatasetError: unknown class folder, no images, or bad files (all of them listed).

    """
    spec = recipe.inspection_type(type_name)
    rois = recipe.rois_of(type_name)
    files = class_folders(root, spec.class_names())
    checked: list[tuple[str, Path, bytes]] = []
    problems: list[str] = []
    for class_name, paths in files.items():
        for path in paths:
            data = path.read_bytes()
            try:
                roi_crops(decode_image(data, str(path)), recipe, rois, str(path))
            except ImageError as err:
                problems.append(str(err))
                continue
            checked.append((class_name, path, data))
    if problems:
        raise DatasetError(f"nothing imported: {len(problems)} file(s) cannot be used:\n  - "
                           + "\n  - ".join(problems) + "\nFix or remove them and import again")
    added: dict[str, int] = dict.fromkeys(files, 0)
    present = 0
    for class_name, path, data in checked:
        known = workspace.image_known(data)
        stored = workspace.add_image(data, path.name)
        for roi in rois:
            workspace.set_label(recipe.name, type_name, stored, roi.name, class_name)
        present += known
        added[class_name] += not known
    return ImportReport(added, present)
