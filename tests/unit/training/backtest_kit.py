"""A ``plate`` workspace to backtest: v1 deployed, candidates that flip known verdicts, archived captures, labels.

v1 calls a crop ``scratch`` below 70 grey levels, v2 only below 30 (the synthetic scratches are 40: it passes
them), v3 below 256 (it fails every crop), v4 was trained for other classes. Five archived captures (results
``r0``..``r4``; ``r1`` and ``r3`` hold a scratch) and two labelled images: a scratched one labelled scratch on
both ROIs, a good one labelled good on its left ROI.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.unit.station.kit import dark_pixel_classifier, install_plate, part_png

from openinspect.store import ModelMeta, Workspace
from openinspect.store.records import ResultRecord
from openinspect.store.results import ResultStore, Retention

DEFECTIVE = ("r1", "r3")
START = datetime(2025, 1, 1, tzinfo=UTC)


def results_store(workspace: Workspace) -> ResultStore:
    """The workspace's results store, archiving every capture."""
    return ResultStore(workspace.engine, workspace.home / "results", Retention(keep_pass_every=1))


def install_backtest_plate(workspace: Workspace) -> dict[str, str]:
    """Store the recipe, models, archived captures and labels; returns the labelled images' hashes by kind."""
    install_plate(workspace)
    for limit, classes in ((30.0, ["good", "scratch"]), (256.0, ["good", "scratch"]), (70.0, ["good", "dent"])):
        with workspace.new_model_version("plate", "surface", "fast") as folder:
            dark_pixel_classifier(folder / "model.onnx", limit=limit)
            ModelMeta(classes, metrics={}).write(folder)
    store = results_store(workspace)
    for index in range(5):
        defect = f"r{index}" in DEFECTIVE
        png = part_png(defect, seed=index)
        store.add(ResultRecord(f"r{index}", START + timedelta(minutes=index), "plate", "upload",
                               {"image": f"r{index}.png", "pass": not defect, "rois": []}),
                  lambda png=png: (png, ".png"))
    scratched = workspace.add_image(part_png(True, seed=10), "scratched.png")
    good = workspace.add_image(part_png(False, seed=11), "good.png")
    for roi in ("left", "right"):
        workspace.set_label("plate", "surface", scratched, roi, "scratch")
    workspace.set_label("plate", "surface", good, "left", "good")
    return {"scratched": scratched.sha256, "good": good.sha256}
