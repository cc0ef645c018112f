"""The five steps of the quickstart through the real command line: recipe, import, train, inspect, eval."""

import functools
import getpass
import json
import shutil

import numpy as np
import pytest
from tests.conftest import part_capture, run_cli, write_png
from tests.unit.station.kit import RECIPE  # the same plate recipe the station tests use

pytestmark = pytest.mark.slow


def _dataset(root, seeds):
    for s in seeds:
        write_png(root / "good" / f"g{s}.png", part_capture(False, s))
        write_png(root / "scratch" / f"s{s}.png", part_capture(True, 1000 + s))
    return root


@pytest.fixture
def cli(tmp_path):
    """``cli(*args)`` runs the command line on this test's own workspace; returns (exit code, stdout, stderr)."""
    return functools.partial(run_cli, tmp_path / "home")


@pytest.fixture(scope="session")
def plate_trained(tmp_path_factory):
    """A workspace with the plate recipe, 5 good and 5 scratched parts and a trained Fast model, and the `train`
    command's output: built once, since training is what takes the time; tests get copies through ``trained``."""
    folder = tmp_path_factory.mktemp("plate")
    home, recipe = folder / "home", folder / "plate.yaml"
    recipe.write_text(RECIPE)
    assert run_cli(home, "recipe", "add", recipe)[0] == 0
    assert run_cli(home, "label", "import", "plate", "--type", "surface",
                   "--folders", _dataset(folder / "train", range(5)))[0] == 0
    code, out, err = run_cli(home, "train", "plate", "--type", "surface", "--seed", "1")
    assert code == 0, err
    return home, out


@pytest.fixture
def trained(tmp_path, plate_trained):
    """This test's own copy of the trained workspace, where ``cli`` works; returns the `train` command's output."""
    home, out = plate_trained
    shutil.copytree(home, tmp_path / "home")
    return out


def test_train_reports_leave_one_out_validation(trained):
    assert "trained plate/surface v1 (fast, for trying a set-up, not for production)" in trained
    assert "validation (leave-one-out)" in trained or "validation (k-fold)" in trained
    assert "balanced accuracy" in trained


def test_label_import_and_training_are_audited_with_the_first_version_deployed(cli, trained):
    code, out, _ = cli("audit", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {r["actor"] for r in records} == {f"cli:{getpass.getuser()}"}
    assert [(r["action"], r["before"], r["after"], r["detail"]) for r in records[1:]] == [
        ("labels.set", None, None, "label import: imported new captures: good 5, scratch 5; already in the library: 0"),
        ("training.start", None, None, "mode: as the recipe says"),
        ("model.deploy", None, "v1", "deployed by its training (the type's first version)")]
    code, _, err = cli("train", "plate", "--type", "surface", "--mode", "fast", "--deploy")
    assert code == 0, err
    code, out, _ = cli("audit", "--json")
    assert [(r["action"], r["before"], r["after"], r["detail"]) for r in map(json.loads, out.splitlines()[-2:])] == [
        ("training.start", "v1", None, "mode: fast"), ("model.deploy", "v1", "v2", "deployed by its training")]


def test_inspect_json_one_line_per_capture_with_verdicts_and_timings(tmp_path, cli, trained):
    good = write_png(tmp_path / "new" / "a-good.png", part_capture(False, 500))
    bad = write_png(tmp_path / "new" / "b-bad.png", part_capture(True, 501))
    code, out, _ = cli("inspect", "plate", tmp_path / "new", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["image"] for line in lines] == [str(good), str(bad)]
    assert lines[0]["pass"] is True and lines[1]["pass"] is False
    assert [r["roi"] for r in lines[1]["rois"]] == ["left", "right"]
    roi = next(r for r in lines[1]["rois"] if not r["pass"])
    assert roi["type"] == "surface" and roi["class"] == "scratch"
    assert 0.5 < roi["confidence"] <= 1.0
    assert {"decode", "crop", "models", "total"} <= set(lines[0]["timing_ms"])
    assert lines[0]["timing_ms"]["total"] >= lines[0]["timing_ms"]["models"] > 0


def test_inspect_reports_error_line_for_bad_captures_and_goes_on(tmp_path, cli, trained):
    folder = tmp_path / "mixed"
    write_png(folder / "1-ok.png", part_capture(False, 600))
    (folder / "2-corrupt.png").write_bytes((folder / "1-ok.png").read_bytes()[:100])
    write_png(folder / "3-small.png", np.zeros((40, 40, 3), np.uint8))
    write_png(folder / "4-ok.png", part_capture(True, 601))
    code, out, _ = cli("inspect", "plate", folder, "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [("error" in line) for line in lines] == [False, True, True, False]
    assert "corrupt, truncated" in lines[1]["error"]
    assert "ROI 'left'" in lines[2]["error"] and "40x40" in lines[2]["error"]
    assert lines[3]["pass"] is False


def test_eval_on_unseen_folder_reports_metrics(tmp_path, cli, trained):
    code, out, _ = cli("eval", "plate", "--type", "surface", "--folders", _dataset(tmp_path / "test", range(50, 56)),
                       "--json")
    metrics = json.loads(out)
    assert code == 0 and metrics["n"] == 24 and metrics["model_version"] == 1
    assert metrics["balanced_accuracy"] >= 0.9
    assert sum(map(sum, metrics["confusion"])) == 24
    assert set(metrics["per_class"]) == {"good", "scratch"}


def test_recipe_list_show_export(tmp_path, cli, trained):
    assert "plate\tsingle-model\t2 ROI(s)\tsurface (classifier, v1 fast" in cli("recipe", "list")[1]
    shown = cli("recipe", "show", "plate")[1]
    assert "labelled crops: good 10, scratch 10" in shown
    exported = cli("recipe", "export", "plate")[1]
    (tmp_path / "again.yaml").write_text(exported.replace("name: plate", "name: plate2"))
    assert cli("recipe", "add", tmp_path / "again.yaml")[0] == 0


def test_inspect_without_model_explains_how_to_train(tmp_path, cli):
    (tmp_path / "plate.yaml").write_text(RECIPE)
    cli("recipe", "add", tmp_path / "plate.yaml")
    code, _, err = cli("inspect", "plate", tmp_path)
    assert code == 2 and "has no trained model; train one with `openinspect train plate --type surface`" in err


def test_training_with_one_class_is_refused(tmp_path, cli):
    (tmp_path / "plate.yaml").write_text(RECIPE)
    cli("recipe", "add", tmp_path / "plate.yaml")
    for s in range(3):
        write_png(tmp_path / "only" / "good" / f"g{s}.png", part_capture(False, s))
    cli("label", "import", "plate", "--type", "surface", "--folders", tmp_path / "only")
    code, _, err = cli("train", "plate", "--type", "surface")
    assert code == 2 and "class(es) scratch have no labelled images (counts: good 6, scratch 0)" in err
    assert not (tmp_path / "home" / "models" / "plate" / "surface").exists() or not any(
        (tmp_path / "home" / "models" / "plate" / "surface").iterdir())


def test_adding_existing_recipe_needs_replace(tmp_path, cli):
    (tmp_path / "plate.yaml").write_text(RECIPE)
    cli("recipe", "add", tmp_path / "plate.yaml")
    code, _, err = cli("recipe", "add", tmp_path / "plate.yaml")
    assert code == 2 and "--replace" in err
    assert cli("recipe", "add", tmp_path / "plate.yaml", "--replace")[0] == 0


def test_recipe_add_warns_about_large_rois(tmp_path, cli):
    (tmp_path / "big.yaml").write_text(RECIPE.replace("w: 64, h: 96}\n  - {name: right", "w: 2048, h: 96}\n  - {name: right"))
    code, _, err = cli("recipe", "add", tmp_path / "big.yaml")
    assert code == 0 and "warning: ROI 'left' is 2048x96 px" in err and "4.0x less detail" in err


def test_info_reports_instruction_sets_threads_and_the_trained_models_precision_and_time(tmp_path, cli, trained):
    from openinspect.models.runtime import REPORTED_SETS, fast_int8, instruction_sets

    meta = json.loads((tmp_path / "home" / "models" / "plate" / "surface" / "v1" / "meta.json").read_text())
    choice = meta["int8"]
    assert meta["precision"] == choice["precision"] and choice["reason"]
    assert meta["precision"] == "fp32" and "no crops held out" in choice["reason"]  # a classifier learns them all
    int8_file = tmp_path / "home" / "models" / "plate" / "surface" / "v1" / "model.int8.onnx"
    assert int8_file.is_file() == (meta["precision"] == "int8")
    code, out, err = cli("info", "plate", "--calls", "3", "--json")
    report = json.loads(out)
    assert code == 0, err
    assert report["instruction_sets"] == instruction_sets() and list(report["instruction_sets"]) == list(REPORTED_SETS)
    assert report["fast_int8"] == fast_int8() and report["threads"]["intra_op_threads"] >= 1
    (model,) = report["models"]
    assert model["type"] == "surface" and model["kind"] == "classifier" and model["version"] == 1
    assert model["precision"] == meta["precision"] and model["rois"] == 2 and model["model_ms"] > 0
    code, out, _ = cli("info", "plate")
    assert code == 0 and "avx512_vnni" in out and "intra-op thread(s) per model" in out
    assert f"surface          classifier      v1  {meta['precision']}" in out
    code, out, _ = cli("info")  # no recipe: the processor and threads only
    assert code == 0 and "processor:" in out and "give a recipe" in out
