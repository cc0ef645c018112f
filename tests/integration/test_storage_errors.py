"""A full or read-only workspace disk gives storage errors a person can act on, never a 500 or a traceback.

The workspace lives on a small tmpfs that the test mounts and fills (root only: CI runs as root, elsewhere
the tests skip and say why).
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from tests.conftest import png_bytes
from tests.unit.station.kit import install_plate, part_png

from openinspect.cli import main
from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace
from openinspect.store.archive import export_archive

TOKEN = "eng-token-0123456789"


def _mount(*options: str, target: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["mount", *options, target], capture_output=True, check=False)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """An empty 16 MiB tmpfs, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", target=mount) if os.geteuid() == 0 else None
    if done is None or done.returncode:
        why = "needs root" if done is None else done.stderr.decode().strip()
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the storage tests: mounting a tmpfs failed ({why})")
        pytest.skip(f"mounts a small tmpfs to fill it: {why}")
    yield mount
    subprocess.run(["umount", "-l", mount], capture_output=True, check=False)


def _fill(folder: Path, leave: int = 0) -> Path:
    """Write a file until the disk is full, then give ``leave`` bytes back; returns it (delete it to free the space)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as err:
        assert err.errno == errno.ENOSPC
    finally:
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
        os.close(fd)
    return filler


def _client(home: Path) -> TestClient:
    install_plate(Workspace(home))
    client = TestClient(create_app(Settings(home=home, tokens={TOKEN: "engineer"})))
    client.headers["Authorization"] = f"Bearer {TOKEN}"
    return client


def _trigger(client: TestClient, png: bytes):
    return client.post("/api/v1/trigger", files={"image": ("part.png", png, "image/png")})


def test_trigger_on_a_full_disk_is_507_stored_nowhere_then_works_when_space_returns(disk):
    with _client(disk / "home") as api:
        assert _trigger(api, part_png(False)).status_code == 200
        filler = _fill(disk)
        response = _trigger(api, part_png(True, 1))  # a failing capture: always archived
        assert response.status_code == 507
        error = response.json()["error"]
        assert error["type"] == "storage_full"
        assert "was judged fail but is stored nowhere and was not sent to the outputs" in error["message"]
        assert "the station's disk is full (0.0 MiB free)" in error["message"]
        assert str(disk) not in error["message"]
        filler.unlink()
        again = _trigger(api, part_png(True, 1))
        assert again.status_code == 200
        assert api.get(f"/api/v1/results/{again.json()['id']}").json() == again.json()
        assert api.get("/api/v1/results").json()["total"] == 2


def test_trigger_on_a_read_only_results_archive_is_503_storage_unavailable(disk):
    archive = disk / "home" / "results"
    with _client(disk / "home") as api:
        archive.mkdir(exist_ok=True)
        assert _mount("-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", target=archive).returncode == 0
        try:
            response = _trigger(api, part_png(True, 1))
        finally:
            subprocess.run(["umount", archive], capture_output=True, check=False)
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["type"] == "storage_unavailable" and "is stored nowhere" in error["message"]
        assert "Read-only file system" in error["message"] and str(disk) not in error["message"]
        assert api.get("/api/v1/results").json()["total"] == 0


def test_cli_recipe_import_on_a_full_disk_prints_one_line_and_exits_1(disk, tmp_path, capsys):
    source = Workspace(tmp_path / "source")
    install_plate(source)
    rng = np.random.default_rng(0)
    for i in range(8):  # noise does not compress: the archive unpacks to about 2 MB
        noise = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
        source.set_label("plate", "surface", source.add_image(png_bytes(noise), f"noise-{i}.png"), "left", "good")
    export_archive(source, "plate", tmp_path / "plate.zip")
    Workspace(disk / "home").engine.dispose()
    _fill(disk, leave=512 * 1024)  # room to open the workspace, not to unpack the archive
    code = main(["--home", str(disk / "home"), "recipe", "import", str(tmp_path / "plate.zip"), "--name", "copy"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: the recipe import cannot be written: the station's disk is full (")
