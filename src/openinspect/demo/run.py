"""The first-run demo: generated captures, a recipe, Fast training and inspection, with no outside data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openinspect.demo.captures import (
    DemoCapture,
    DemoScene,
    bracket_captures,
    bracket_scene,
    shaft_captures,
    shaft_scene,
)
from openinspect.errors import ModelNotFoundError
from openinspect.recipe import TrainingMode, parse_recipe
from openinspect.station import ClassifierRoiResult, Inspector
from openinspect.store import Workspace
from openinspect.store.files import write_png

SCENES: list[tuple[Callable[[], DemoScene], Callable[[int, int], list[DemoCapture]], int]] = [
    (bracket_scene, bracket_captures, 12),
    (shaft_scene, shaft_captures, 24),
]
"""Each demo recipe: its scene, its captures and how many it trains on (8 per class and ROI: enough for its
validation folds to hold every class)."""
TEST_CAPTURES = 8


def run_demo(workspace: Workspace, out: Callable[[str], None] = print) -> dict[str, float]:
    """Set up both demo recipes, train them in Fast mode if they have no model, and inspect new captures.

    Returns:
        Per recipe, the share of test ROIs whose class matched the generated truth.

    """
    scores = {}
    for name, (_, make_captures, _train_count) in zip(ensure_demo(workspace, out), SCENES, strict=True):
        test = make_captures(TEST_CAPTURES, 2)
        scores[name] = _inspect(workspace, name, test, replay_folder(workspace, name), out)
    out(
        f"\nWorkspace: {workspace.home.resolve()}\nTry: openinspect --home {workspace.home} inspect "
        f"bracket-nuts {replay_folder(workspace, 'bracket-nuts')} --json"
    )
    return scores


def ensure_demo(workspace: Workspace, out: Callable[[str], None] = print, train: int | None = None) -> list[str]:
    """Store both demo recipes, label and train (Fast) those without a model, and write new test captures.

    The test captures of a recipe land in :func:`replay_folder`, for the station to replay.

    Args:
        workspace: where the recipes, labels and models go.
        out: progress messages.
        train: train only the first this many recipes now (the station trains the others in the background).

    Returns:
        The demo recipe names.

    """
    names = []
    for index, (make_scene, make_captures, train_count) in enumerate(SCENES):
        scene = make_scene()
        recipe = parse_recipe(scene.recipe_yaml, f"demo recipe {scene.type_name}")
        workspace.save_recipe(recipe)
        try:
            workspace.latest_model(recipe.name, scene.type_name)
            out(f"[{recipe.name}] using the trained model in {workspace.home}")
        except ModelNotFoundError:
            folder = workspace.home / "demo" / recipe.name / "train"
            _label(workspace, recipe.name, scene.type_name, make_captures(train_count, 1), folder)
            if train is None or index < train:
                _train(workspace, recipe.name, scene.type_name, train_count, out)
        for number, capture in enumerate(make_captures(TEST_CAPTURES, 2)):
            _save(capture, replay_folder(workspace, recipe.name) / f"capture-{number:03d}.png")
        names.append(recipe.name)
    return names


def replay_folder(workspace: Workspace, recipe: str) -> Path:
    """Where a demo recipe's generated test captures are."""
    return workspace.home / "demo" / recipe / "test"


def _label(workspace: Workspace, recipe: str, type_name: str, captures: list[DemoCapture], folder: Path) -> None:
    for index, capture in enumerate(captures):
        path = _save(capture, folder / f"capture-{index:03d}.png")
        stored = workspace.add_image(path.read_bytes(), path.name)
        for roi, class_name in capture.labels.items():
            workspace.set_label(recipe, type_name, stored, roi, class_name)


def _train(workspace: Workspace, recipe_name: str, type_name: str, captures: int, out: Callable[[str], None]) -> None:
    from openinspect.training import train_type

    recipe = workspace.recipe(recipe_name)
    out(f"[{recipe_name}] training '{type_name}' in Fast mode on {captures} generated captures ...")
    model = train_type(workspace, recipe, type_name, mode=TrainingMode.FAST, deploy=True)
    accuracy = model.metrics.get("balanced_accuracy")
    figure = f"; validation balanced accuracy {accuracy:.0%}" if accuracy is not None else ""
    out(f"[{recipe_name}] model v{model.version} trained in {model.meta().train_seconds} s{figure}")


def _inspect(
    workspace: Workspace, recipe: str, captures: list[DemoCapture], folder: Path, out: Callable[[str], None]
) -> float:
    inspector = Inspector.load(workspace, recipe)
    right = total = 0
    for index, capture in enumerate(captures):
        path = _save(capture, folder / f"capture-{index:03d}.png")
        result = inspector.inspect_file(path)
        judged = [r for r in result.rois if isinstance(r, ClassifierRoiResult)]
        rois = "  ".join(
            f"{r.roi}: {r.class_name} {r.confidence:.0%}{'' if r.class_name == capture.labels[r.roi] else ' (WRONG)'}"
            for r in judged
        )
        out(
            f"[{recipe}] {'PASS' if result.passes else 'FAIL'}  {path.name}  {rois}  "
            f"({result.timing_ms['total']:.1f} ms)"
        )
        right += sum(r.class_name == capture.labels[r.roi] for r in judged)
        total += len(judged)
    out(f"[{recipe}] {right}/{total} ROIs judged as generated")
    return right / total


def _save(capture: DemoCapture, path: Path) -> Path:
    write_png(path, capture.image)
    return path
