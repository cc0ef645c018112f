"""The command line's recipe verbs: archives (`recipe export NAME --archive FILE.zip`, `recipe import FILE.zip`) and
`recipe add`, which refuses what the HTTP API refuses (a taken name or PLC number, an alignment it cannot use)."""

import getpass
import json
import zipfile

import pytest
from tests.conftest import write_png
from tests.unit.imaging.scenes import scene
from tests.unit.station.kit import RECIPE, install_plate, part_png

from openinspect.cli import main
from openinspect.store import Workspace
from openinspect.store.results import ResultFilter, ResultStore, Retention


@pytest.fixture
def cli(capsys):
    def run(home, *args):
        code = main(["--home", str(home), *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def home(tmp_path):
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    image = workspace.add_image(part_png(True, 1), "scratched.png")
    workspace.set_label("plate", "surface", image, "left", "scratch")
    workspace.engine.dispose()
    return workspace.home


def test_export_without_archive_still_prints_the_yaml(cli, home):
    code, out, _ = cli(home, "recipe", "export", "plate")
    assert code == 0 and out.startswith("name: plate\nprofile: single-model\n")


def test_export_an_archive_and_import_it_elsewhere_then_under_a_new_name(cli, home, tmp_path):
    archive = tmp_path / "out" / "plate.zip"
    code, out, _ = cli(home, "recipe", "export", "plate", "--archive", archive)
    assert code == 0, out
    assert out == f"exported recipe 'plate': 1 image(s), 1 label(s), 0 mask(s), 1 model version(s) -> {archive}\n"
    assert "manifest.json" in zipfile.ZipFile(archive).namelist()

    other = tmp_path / "other"
    code, out, _ = cli(other, "recipe", "import", archive)
    assert code == 0 and out.startswith("imported recipe 'plate': 1 image(s), 1 label(s)")
    assert "(1 image(s) new to this workspace)" in out
    code, _, err = cli(other, "recipe", "import", archive)
    assert code == 2 and "a recipe named 'plate' exists already" in err and "--name NEW" in err
    code, out, _ = cli(other, "recipe", "import", archive, "--name", "plate-2")
    assert code == 0 and "(0 image(s) new to this workspace)" in out
    code, out, _ = cli(other, "recipe", "list")
    assert [line.split("\t")[0] for line in out.splitlines()] == ["plate", "plate-2"]
    assert "surface (classifier, v1 fast)" in out


def test_import_of_a_file_that_is_not_an_archive_says_so(cli, tmp_path):
    path = tmp_path / "plate.yaml"
    path.write_text("name: plate\n")
    code, _, err = cli(tmp_path / "home", "recipe", "import", path)
    assert code == 2 and err.startswith(f"error: {path} is not a zip archive")


def _numbered(tmp_path, name, number):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"{RECIPE.replace('name: plate', f'name: {name}')}plc_number: {number}\n")
    return path


def test_recipe_add_refuses_a_plc_number_another_recipe_carries(cli, home, tmp_path):
    assert cli(home, "recipe", "add", _numbered(tmp_path, "plate", 3), "--replace")[0] == 0
    code, _, err = cli(home, "recipe", "add", _numbered(tmp_path, "other", 3))
    assert code == 2
    assert "plc_number 3 of recipe 'other' is recipe 'plate''s already" in err
    assert "give 'other' a number no other recipe has (taken: 3) or remove its plc_number" in err
    assert [line.split("\t")[0] for line in cli(home, "recipe", "list")[1].splitlines()] == ["plate"]
    assert cli(home, "recipe", "add", _numbered(tmp_path, "other", 4))[0] == 0
    assert cli(home, "recipe", "add", _numbered(tmp_path, "plate", 3), "--replace")[0] == 0  # keeps its own number


def test_recipe_import_refuses_an_archive_whose_plc_number_is_taken(cli, home, tmp_path):
    assert cli(home, "recipe", "add", _numbered(tmp_path, "plate", 3), "--replace")[0] == 0
    archive = tmp_path / "plate.zip"
    assert cli(home, "recipe", "export", "plate", "--archive", archive)[0] == 0
    code, _, err = cli(home, "recipe", "import", archive, "--name", "plate-2")
    assert code == 2 and "plc_number 3 of recipe 'plate-2' is recipe 'plate''s already" in err
    assert [line.split("\t")[0] for line in cli(home, "recipe", "list")[1].splitlines()] == ["plate"]


def test_recipe_add_refuses_what_the_api_refuses(cli, home, tmp_path):
    """The CLI and the API call one recipe service: a taken name and an alignment the station cannot use."""
    plate = tmp_path / "plate.yaml"
    plate.write_text(RECIPE)
    code, _, err = cli(home, "recipe", "add", plate)
    assert code == 2 and "a recipe named 'plate' exists already" in err and "--replace" in err
    write_png(home / "recipes" / "plate" / "reference.png", scene())
    flat = tmp_path / "flat.yaml"
    flat.write_text(f"{RECIPE}alignment:\n  template: {{x: 20, y: 20, w: 200, h: 150}}\n  reference: reference.png\n")
    code, _, err = cli(home, "recipe", "add", flat, "--replace")
    assert code == 2 and "recipe 'plate': alignment template x 20, y 20, 200x150 is too flat to find" in err
    assert Workspace(home).recipe("plate").alignment is None, "nothing is stored"


def test_recipe_names_must_match_whole(cli, home, tmp_path):
    path = tmp_path / "nl.yaml"
    path.write_text(RECIPE.replace("name: plate", 'name: "nl\\n"'))
    code, _, err = cli(home, "recipe", "add", path)
    assert code == 2 and "name 'nl\\n' is not allowed" in err
    assert sorted(p.name for p in (home / "recipes").iterdir()) == ["plate"]


def test_inspect_reports_a_decompression_bomb_and_goes_on_to_the_next_capture(cli, home, tmp_path):
    from tests.conftest import png_declaring

    (tmp_path / "a.png").write_bytes(part_png(False))
    (tmp_path / "bomb.png").write_bytes(png_declaring(50000, 50000))
    (tmp_path / "b.png").write_bytes(part_png(True, 2))
    code, out, err = cli(home, "inspect", "plate", tmp_path / "a.png", tmp_path / "bomb.png", tmp_path / "b.png")
    lines = out.splitlines()
    assert code == 1 and err == ""
    assert lines[0].startswith("PASS") and lines[2].startswith("FAIL")
    assert lines[1].startswith(f"ERROR {tmp_path / 'bomb.png'}: image {tmp_path / 'bomb.png'} declares more pixels than")
    assert "OPENINSPECT_MAX_PIXELS" in lines[1]


def test_recipe_history_diff_and_revert(cli, home, tmp_path):
    changed = tmp_path / "plate.yaml"
    changed.write_text(RECIPE.replace("{name: scratch, pass: false}", "{name: scratch, pass: false, threshold: 0.7}"))
    code, out, _ = cli(home, "recipe", "add", changed, "--replace")
    assert code == 0 and "added recipe 'plate' revision 2" in out
    user = f"cli:{getpass.getuser()}"

    code, out, _ = cli(home, "recipe", "history", "plate")
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and [(r[0], r[2], r[3]) for r in rows] == [
        ("1", "openinspect", "created"), ("2", user, "threshold only: surface/scratch none -> 0.7")]

    code, out, _ = cli(home, "recipe", "diff", "plate", 1, 2)
    assert code == 0 and out.startswith("--- plate revision 1\n+++ plate revision 2\n") and "+    threshold: 0.7" in out
    assert cli(home, "recipe", "diff", "plate", 2, 2)[1] == "revisions 2 and 2 of recipe 'plate' are the same\n"

    code, out, _ = cli(home, "recipe", "revert", "plate", 1)
    assert code == 0 and out == "recipe 'plate' is now revision 3, with the content of revision 1\n"
    assert "threshold" not in Workspace(home).recipe_path("plate").read_text()
    code, _, err = cli(home, "recipe", "revert", "plate", 7)
    assert code == 2 and "recipe 'plate' has no revision 7; its revisions are 1 to 3" in err


def test_audit_lists_the_cli_changes_with_the_os_user_as_actor(cli, home, tmp_path):
    changed = tmp_path / "plate.yaml"
    changed.write_text(RECIPE.replace("{name: scratch, pass: false}", "{name: scratch, pass: false, threshold: 0.7}"))
    cli(home, "recipe", "add", changed, "--replace")
    cli(home, "recipe", "revert", "plate", 1)
    user = f"cli:{getpass.getuser()}"
    code, out, _ = cli(home, "audit")
    rows = [line.split("\t")[1:5] for line in out.splitlines()]
    assert code == 0 and rows == [[user, "recipe.save", "recipe plate", "revision 1 -> revision 2"],
                                  [user, "recipe.revert", "recipe plate", "revision 2 -> revision 3"]]
    code, out, _ = cli(home, "audit", "--json", "--recipe", "plate", "--actor", user, "--since", "2000-01-01")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and records[0]["detail"] == "threshold only: surface/scratch none -> 0.7"
    assert cli(home, "audit", "--actor", "nobody")[1] == ""


def test_label_import_is_one_audit_record_with_the_count(cli, home, tmp_path):
    for name, defect in (("good", False), ("scratch", True)):
        (tmp_path / "data" / name).mkdir(parents=True)
        (tmp_path / "data" / name / f"{name}.png").write_bytes(part_png(defect, 7))
    assert cli(home, "label", "import", "plate", "--type", "surface", "--folders", tmp_path / "data")[0] == 0
    code, out, _ = cli(home, "audit", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(r["actor"], r["action"], r["object"], r["recipe"]) for r in records] == [
        (f"cli:{getpass.getuser()}", "labels.set", "type surface", "plate")]
    assert records[0]["detail"] == "label import: imported new captures: good 1, scratch 1; already in the library: 0"


def test_label_add_adds_captures_to_label_later_once_each_and_refuses_what_is_not_a_capture(cli, home, tmp_path):
    folder = tmp_path / "line"
    folder.mkdir()
    for index, defect in enumerate((False, True, False)):
        (folder / f"c{index}.png").write_bytes(part_png(defect, 20 + index))
    code, out, _ = cli(home, "label", "add", "plate", folder)
    assert code == 0 and out.startswith("recipe 'plate': 3 capture(s) added, 0 already there, 3 in all; label them")
    code, out, _ = cli(home, "label", "add", "plate", folder / "c1.png", tmp_path / "line" / "c*.png")
    assert code == 0 and "0 capture(s) added, 4 already there, 3 in all" in out
    workspace = Workspace(home)
    assert sorted(workspace.image(sha).original_name for sha in workspace.capture_ids("plate")) == [
        "c0.png", "c1.png", "c2.png"]  # what the Label page lists and Accurate learns from while unlabelled
    code, _, err = cli(home, "label", "add", "plate", tmp_path / "gone.png")
    assert code == 2 and "not a file: " in err and "gone.png" in err and "nothing was added" in err
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    code, _, err = cli(home, "label", "add", "plate", folder / "broken.png")
    assert code == 2 and "broken.png" in err
    assert len(workspace.capture_ids("plate")) == 3


def test_inspect_refuses_a_gif_as_the_api_does_and_says_which_files_a_folder_run_leaves_out(cli, home, tmp_path):
    from PIL import Image

    folder = tmp_path / "captures"
    folder.mkdir()
    (folder / "a.png").write_bytes(part_png(False))
    Image.new("RGB", (128, 96)).save(folder / "b.gif")
    code, out, err = cli(home, "inspect", "plate", folder / "b.gif")
    assert code == 1 and "is not an image the station takes (PNG, JPEG, BMP, TIFF or WebP" in out
    code, out, err = cli(home, "inspect", "plate", folder)
    assert code == 0 and out.startswith("PASS") and len(out.splitlines()) == 1
    assert "1 file(s) not judged, not a PNG, JPEG, BMP, TIFF or WebP capture by name: b.gif" in err


def test_inspect_takes_a_glob_and_a_list_file_and_store_keeps_each_result_as_a_batch_record(cli, home, tmp_path):
    folder = tmp_path / "archive" / "line-1"
    folder.mkdir(parents=True)
    for name, defect in (("a.png", False), ("b.png", True), ("c.jpg.txt", False)):
        (folder / name).write_bytes(part_png(defect))
    listing = tmp_path / "todo.txt"
    listing.write_text(f"{folder / 'b.png'}\n\n{folder / 'a.png'}\n")
    code, out, _ = cli(home, "inspect", "plate", f"{tmp_path}/archive/*/*.png", listing, "--json", "--store")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["image"] for line in lines] == [str(folder / n) for n in ("a.png", "b.png", "b.png",
                                                                                          "a.png")]
    assert [line["pass"] for line in lines] == [True, False, False, True]
    stored = ResultStore(Workspace(home).engine, home / "results", Retention()).query(ResultFilter(), limit=10)
    assert sorted((record.body["image"], record.trigger) for record in stored.items) == sorted(
        (line["image"], "batch") for line in lines)
