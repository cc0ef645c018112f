"""A missing peer program skips the test locally with the Debian package to install, and fails it in CI."""

import shutil
from pathlib import Path

import pytest
from tests.peers import require_program


def test_finds_a_program_on_path():
    assert require_program("sh", "dash") == Path(shutil.which("sh"))


def test_finds_a_program_off_path_in_the_folders_named(tmp_path, monkeypatch):
    program = tmp_path / "broker"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert require_program("broker", "broker-package", also_in=[tmp_path / "elsewhere", tmp_path]) == program


def test_missing_program_skips_naming_the_debian_package(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"install the Debian package `no-such-package`"):
        require_program("no-such-program-openinspect", "no-such-package")


def test_missing_program_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"`no-such-package`.*CI=true"):
        require_program("no-such-program-openinspect", "no-such-package")
