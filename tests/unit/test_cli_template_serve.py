"""The command line's `recipe template` (alignment reference) and what `serve` prints to sign in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import write_png
from tests.unit.imaging.scenes import TEMPLATE, scene
from tests.unit.station.kit import RECIPE

from openinspect.authoring import TemplateService
from openinspect.cli import _banner, main
from openinspect.dataset import RoiCropper
from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

Cli = Callable[..., tuple[int, str, str]]
REGION = f"{TEMPLATE.x},{TEMPLATE.y},{TEMPLATE.w},{TEMPLATE.h}"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: object) -> tuple[int, str, str]:
        code = main(["--home", str(home), *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def plate(tmp_path: Path, cli: Cli) -> Path:
    """The ``plate`` recipe stored; returns an 800x600 capture of the part to align on."""
    recipe = tmp_path / "plate.yaml"
    recipe.write_text(RECIPE)
    assert cli("recipe", "add", recipe)[0] == 0
    return write_png(tmp_path / "part.png", scene())


def test_recipe_template_stores_the_reference_and_region_the_station_aligns_with(home: Path, cli: Cli,
                                                                                 plate: Path) -> None:
    code, out, err = cli("recipe", "template", "plate", plate, "--region", REGION, "--max-angle", "10")
    assert code == 0, err
    assert "recipe 'plate' aligns on x 290, y 190, 260x240 of reference.png (max angle 10°, min score 0.5)" in out
    workspace = Workspace(home)
    recipe = workspace.recipe("plate")
    assert recipe.alignment is not None and recipe.alignment.template.rect() == TEMPLATE
    assert (recipe.alignment.reference, recipe.alignment.max_angle) == ("reference.png", 10)
    assert TemplateService(workspace).template("plate").read_bytes() == plate.read_bytes(), "the editor's template too"
    pose = RoiCropper.load(workspace, recipe).locate(scene(-30, 20, 6.0, seed=3), "moved.png")
    assert pose is not None and abs(pose.angle - 6.0) < 0.5


@pytest.mark.parametrize(("case", "message"), [
    ("outside", "alignment template x 700, y 500, 200x200 must lie inside the 800x600 reference"),
    ("flat", "alignment template x 20, y 20, 200x150 is too flat to find"),
    ("unreadable", "garbage.png"),
    ("missing", "cannot read"),
    ("unknown recipe", "no recipe named 'nope'"),
])
def test_recipe_template_errors_name_the_problem_and_change_nothing(tmp_path: Path, home: Path, cli: Cli,
                                                                    plate: Path, case: str, message: str) -> None:
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not an image")
    recipe, image, region = {"outside": ("plate", plate, "700,500,200,200"),
                             "flat": ("plate", plate, "20,20,200,150"),
                             "unreadable": ("plate", garbage, REGION),
                             "missing": ("plate", tmp_path / "none.png", REGION),
                             "unknown recipe": ("nope", plate, REGION)}[case]
    code, _, err = cli("recipe", "template", recipe, image, "--region", region)
    assert code == 2 and err.startswith("error: ") and message in err
    assert Workspace(home).recipe("plate").alignment is None
    assert not list(Workspace(home).recipe_path("plate").parent.glob("reference.*"))


def test_recipe_template_region_must_be_four_numbers(cli: Cli, plate: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli("recipe", "template", "plate", plate, "--region", "290,190,260")
    assert "expected X,Y,W,H in whole pixels, e.g. 290,190,260,240; got '290,190,260'" in capsys.readouterr().err


def test_serve_prints_a_sign_in_link_carrying_the_generated_engineer_token(home: Path) -> None:
    settings = Settings(home=home, port=8899)
    app = create_app(settings)
    with TestClient(app):
        token = app.state.services.tokens.generated
        lines = _banner(settings, app.state.services)
    assert token and f"sign in as engineer: http://127.0.0.1:8899/#token={token}" in lines
    assert f"engineer token (shown only now; {home / 'station-token'} keeps its hash alone): {token}" in lines
    assert lines[0].startswith("OpenInspect station: http://127.0.0.1:8899 ")


def test_a_later_serve_says_the_token_was_shown_at_first_start_and_prints_it_no_more(home: Path) -> None:
    settings = Settings(home=home, port=8899)
    token = create_app(settings).state.services.tokens.generated
    app = create_app(settings)
    with TestClient(app):
        lines = _banner(settings, app.state.services)
    assert token and not any(token in line or "sign in" in line for line in lines)
    assert (f"engineer token: made at first start and not stored (only its hash is); lost it? delete "
            f"{home / 'station-token'} and restart to make a new one") in lines


def test_serve_prints_no_link_for_configured_tokens(home: Path) -> None:
    settings = Settings(home=home, tokens={"configured-token-0123456789": "engineer"})
    app = create_app(settings)
    with TestClient(app):
        lines = _banner(settings, app.state.services)
    assert not any("sign in" in line or "configured-token" in line for line in lines)


def test_the_demo_replay_folder_is_a_stored_source_the_station_page_can_change(home: Path, tmp_path: Path) -> None:
    replay = tmp_path / "replay"
    write_png(replay / "capture-000.png", scene())
    settings = Settings(home=home)
    app = create_app(settings)
    with TestClient(app):
        setup = app.state.services.setup
        setup.default_folder(replay, actor="demo")
        view = setup.view()
        lines = _banner(settings, app.state.services)
        # the user's own choice stays: a later demo start leaves it
        chosen = tmp_path / "line"
        write_png(chosen / "capture-000.png", scene())
        setup.update(view.setup.model_copy(update={"capture": view.setup.capture.model_copy(
            update={"folder": str(chosen)})}), actor="engineer")
        setup.default_folder(replay, actor="demo")
        kept = setup.view().setup.capture.folder
    assert view.setup.capture.folder == str(replay) and not view.locked  # not posing as the environment
    assert any(f"capture source: {replay} " in line for line in lines)
    assert kept == str(chosen)
