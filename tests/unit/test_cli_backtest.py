"""`openinspect backtest`: a candidate model version re-judges the archived captures and labelled images."""

import json

import pytest
from tests.unit.training.backtest_kit import install_backtest_plate

from openinspect.store import Workspace


@pytest.fixture
def home(tmp_path):
    workspace = Workspace(tmp_path / "home")
    workspace.hashes = install_backtest_plate(workspace)
    workspace.engine.dispose()
    return workspace


def test_backtest_lists_the_changed_verdicts_and_label_agreement(cli, home):
    code, out, err = cli(home.home, "backtest", "plate", "--type", "surface", "--candidate", 2)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == ("backtest plate/surface: candidate v2 against deployed v1 on 5 archived capture(s) and "
                        "2 labelled image(s)")
    assert lines[1:6] == ["pass -> fail: 0", "fail -> pass: 3", "  result r3 (scratch)", "  result r1 (scratch)",
                          f"  label {home.hashes['scratched']} (scratch)"]
    assert "  scratch: 0 pass -> fail, 3 fail -> pass" in lines
    assert lines[-1] == "agreement with labels on 3 ROI(s): deployed 100.0%, candidate 33.3%"


def test_backtest_json_with_since_and_limit(cli, home):
    code, out, err = cli(home.home, "backtest", "plate", "--type", "surface", "--candidate", 3, "--json",
                         "--since", "2025-01-01T00:01:00+00:00", "--limit", 3)
    assert code == 0, err
    report = json.loads(out)
    assert report["captures"] == 3 and report["fail_to_pass"] == []
    assert [(c["source"], c["capture"]) for c in report["pass_to_fail"]] == [
        ("result", "r4"), ("result", "r2"), ("label", home.hashes["good"])]
    assert report["agreement"] == {"rois": 3, "deployed": 1.0, "candidate": 0.6667}
    _, trail, _ = cli(home.home, "audit", "--recipe", "plate")
    assert "backtest.start" in trail


def test_backtest_of_a_version_that_does_not_fit_the_recipe_is_refused(cli, home):
    code, out, err = cli(home.home, "backtest", "plate", "--type", "surface", "--candidate", 4)
    assert code == 2 and out == ""
    assert "model v4 of type 'surface' was trained for classes ['good', 'dent']" in err
