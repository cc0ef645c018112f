"""Production readiness: the rule (Fast never, the recipe's `min_validation`, enough validation crops), the API and the
command line show the same verdict."""

import pytest
from fastapi.testclient import TestClient
from tests.conftest import run_cli
from tests.unit.station.kit import RECIPE, dark_pixel_classifier, install_plate

from openinspect.authoring.readiness import model_shortfalls, recipe_readiness
from openinspect.recipe import HOLD_OUT_MIN_PER_CLASS, MIN_VALIDATION_CROPS
from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import ModelMeta, Workspace

ENGINEER = "eng-token-0123456789"


def _classifier(mode: str, balanced: float, supports: tuple[int, int]) -> ModelMeta:
    per_class = {"good": {"support": supports[0]}, "scratch": {"support": supports[1]}}
    return ModelMeta(["good", "scratch"], mode=mode, metrics={"balanced_accuracy": balanced, "per_class": per_class,
                                                               "n": sum(supports)})


def test_an_accurate_model_over_the_bar_on_enough_crops_is_ready() -> None:
    assert model_shortfalls(_classifier("accurate", 0.95, (12, 10)), 0.9) == []


@pytest.mark.parametrize(("meta", "missing"), [
    (_classifier("fast", 0.99, (20, 20)), ["Fast model: train Accurate"]),
    (_classifier("accurate", 0.72, (20, 20)), ["validation 0.72 < 0.90"]),
    (_classifier("accurate", 0.95, (6, 20)), ["only 6 validation crops of class 'good'"]),
    (_classifier("fast", 0.65, (9, 3)),
     ["Fast model: train Accurate", "validation 0.65 < 0.90", "only 3 validation crops of class 'scratch'"]),
    (ModelMeta(["good", "scratch"], mode="accurate", metrics={}),  # Accurate validates on a fifth held out
     [f"no validation figure: label at least {HOLD_OUT_MIN_PER_CLASS} images per class and retrain"]),
    (ModelMeta(["good", "scratch"], mode="fast", metrics={}),
     ["Fast model: train Accurate", f"no validation figure: label at least {MIN_VALIDATION_CROPS} crops per class "
      "and retrain"]),
])
def test_what_is_missing_is_said_exactly(meta, missing) -> None:
    assert model_shortfalls(meta, 0.9) == missing


def test_segmenters_and_other_kinds_are_judged_by_their_figure_and_crop_count() -> None:
    segmenter = ModelMeta(["scratch", "glue"], kind="segmenter", mode="accurate",
                          metrics={"n": 14, "per_class": {"scratch": {"iou": 0.8}, "glue": {"iou": 0.9}}})
    assert model_shortfalls(segmenter, 0.9) == ["validation 0.85 < 0.90"]
    assert model_shortfalls(segmenter, 0.8) == []
    anomaly = ModelMeta(["anomaly"], kind="anomaly", mode="accurate", metrics={"balanced_accuracy": 0.97, "n": 8})
    assert model_shortfalls(anomaly, 0.9) == ["only 8 validation crops"]


def _publish(workspace: Workspace, meta: ModelMeta, *, deploy: bool) -> None:
    with workspace.new_model_version("plate", "surface", meta.mode, deploy=deploy) as folder:
        dark_pixel_classifier(folder / "model.onnx")
        meta.write(folder)


def test_the_deployed_model_decides_and_the_recipe_bar_applies(tmp_path) -> None:
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)  # v1: a Fast model without validation figures, deployed
    recipe = workspace.recipe("plate")
    assert not recipe_readiness(workspace, recipe).ready
    _publish(workspace, _classifier("accurate", 0.85, (15, 15)), deploy=False)
    assert recipe_readiness(workspace, recipe).missing[0] == "Fast model: train Accurate"  # v2 is only a candidate
    workspace.deploy_model("plate", "surface", 2)
    assert recipe_readiness(workspace, recipe).missing == ("validation 0.85 < 0.90",)
    workspace.save_recipe(recipe.model_copy(update={"min_validation": 0.8}))
    ready = recipe_readiness(workspace, workspace.recipe("plate"))
    assert ready.ready and ready.label == "Ready for production"


def test_recipe_api_and_recipe_list_show_readiness(tmp_path) -> None:
    home = tmp_path / "home"
    workspace = Workspace(home)
    install_plate(workspace)
    _publish(workspace, _classifier("fast", 0.65, (6, 6)), deploy=True)
    app = create_app(Settings(home=home, tokens={ENGINEER: "engineer"}))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        body = client.get("/api/v1/recipes/plate").json()
    assert body["ready"] is False
    assert body["readiness"] == ("Fast model: train Accurate; validation 0.65 < 0.90; "
                                 "only 6 validation crops of class 'good'")
    code, out, _ = run_cli(home, "recipe", "list")
    assert code == 0 and "not ready for production: Fast model: train Accurate; validation 0.65 < 0.90" in out


def test_min_validation_must_be_a_fraction() -> None:
    from openinspect.errors import RecipeError
    from openinspect.recipe import parse_recipe

    with pytest.raises(RecipeError, match="min_validation"):
        parse_recipe(RECIPE + "min_validation: 90\n")
