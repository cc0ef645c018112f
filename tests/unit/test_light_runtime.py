"""The inspection runtime stays light: it never imports torch, so a station starts fast."""

import subprocess
import sys

import openinspect


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(out.strip().split(","))


def test_inspection_path_does_not_import_torch():
    loaded = _modules_after("import openinspect.cli, openinspect.station, openinspect.training.evaluate\n"
                            "from openinspect.cli import _parser; _parser()")
    assert "openinspect.station.pipeline" in loaded and "onnxruntime" in loaded
    assert not any(name == "torch" or name.startswith("torch.") for name in loaded)
    assert "sklearn" not in loaded


def test_cli_start_does_not_import_onnxruntime_or_torch():
    loaded = _modules_after("from openinspect.cli import _parser; _parser()")
    assert "onnxruntime" not in loaded and "torch" not in loaded


def test_public_names_are_the_error_tree():
    assert openinspect.__all__ == sorted(openinspect.__all__)
    assert all(issubclass(getattr(openinspect, name), openinspect.OpenInspectError) for name in openinspect.__all__)
