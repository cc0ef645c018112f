"""`openinspect advise`: the advice on the command line, as text or JSON, without touching a workspace."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
from tests.conftest import write_png

from openinspect.cli import main


def _run(capsys, *args):
    code = main(["advise", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_answers_the_issues_fields(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(capsys, "check that both screws are present on the bracket", "--json")
    advice = json.loads(out)
    assert code == 0 and advice["recommendation"] == "classifier" and advice["profile"] == "single-model"
    assert set(advice) == {"recommendation", "profile", "types", "reasons", "confidence", "ask", "images_to_label",
                           "resolution"}
    assert advice["types"][0]["classes"][1] == {"name": "missing", "pass": False}
    assert list(tmp_path.iterdir()) == []  # no workspace was made for advice


def test_text_with_a_capture_and_a_roi_reports_the_resolution(capsys, tmp_path):
    capture = write_png(tmp_path / "cap.png", np.zeros((1200, 2400, 3), np.uint8))
    code, out, _ = _run(capsys, "find scratches anywhere on the housing", "--image", capture,
                        "--roi", "100,100,2048,1024", "--defect-size", "4")
    assert code == 0
    assert out.startswith("recommendation: segmenter (profile single-model, confidence ")
    assert "  - defects (segmenter): scratch; rule: scratch count == 0\n" in out
    assert "split the area into 8 ROIs (4 x 2) of about 512x512 px each" in out
    assert "resolution: ROI 2048x1024 px, downscale 4x, smallest visible defect 12 px" in out


def test_bad_input_exits_2_with_the_reason(capsys, tmp_path):
    capture = write_png(tmp_path / "cap.png", np.zeros((600, 800, 3), np.uint8))
    code, _, err = _run(capsys, "find dents", "--image", capture, "--roi", "100,100,900,900")
    assert code == 2 and "outside the 800x600 capture" in err
    code, _, err = _run(capsys, "hello")
    assert code == 2 and err.startswith("error: 'hello' describes no inspection")
    code, _, err = _run(capsys, "find dents", "--roi", "500,500", "--defect-size", "-2")
    assert code == 2 and "--defect-size must be a positive number, got -2.0" in err


def test_advice_is_not_loaded_by_the_cli_start():
    script = "import sys\nfrom openinspect.cli import _parser; _parser()\nprint('openinspect.advice' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_readme_example_prints_what_the_readme_shows(capsys):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The application assistant\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, re.DOTALL)
    command, shown = blocks[0].strip(), blocks[1]
    argv = shlex.split(command)
    assert argv[0] == "openinspect"
    code, out, _ = _run(capsys, *argv[2:])
    assert code == 0 and out == shown
