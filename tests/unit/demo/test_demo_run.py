"""`openinspect demo` end to end: both demo recipes train in Fast mode and judge every generated test capture right."""

import re

import pytest

from openinspect.demo.run import run_demo
from openinspect.store import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict[str, float], list[str]]:
    """The demo run once (it trains two small Fast models): its per-recipe scores and the lines it printed."""
    lines: list[str] = []
    workspace = Workspace(tmp_path_factory.mktemp("demo") / "home")
    scores = run_demo(workspace, lines.append)
    workspace.engine.dispose()
    return scores, lines


def test_every_demo_recipe_judges_every_test_capture_as_generated(demo) -> None:
    scores, lines = demo
    assert scores == {"bracket-nuts": 1.0, "shaft-depth": 1.0}, "\n".join(lines)
    assert not [line for line in lines if "WRONG" in line]
    judged = [line for line in lines if re.match(r"\[(bracket-nuts|shaft-depth)\] (PASS|FAIL) ", line)]
    assert len(judged) == 16  # 8 test captures per recipe


def test_demo_verdicts_follow_the_generated_truth(demo) -> None:
    _, lines = demo
    for line in lines:
        if line.startswith("[shaft-depth] PASS"):
            assert " seated " in line, line
        if line.startswith("[shaft-depth] FAIL"):
            assert re.search(r" (partial|out) ", line), line
        if line.startswith("[bracket-nuts] FAIL"):
            assert " loose " in line, line


def test_demo_reports_each_models_validation(demo) -> None:
    _, lines = demo
    figures = [float(m[1]) for line in lines if (m := re.search(r"validation balanced accuracy (\d+)%", line))]
    assert len(figures) == 2 and min(figures) >= 90, lines
