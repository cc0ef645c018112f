"""The results store and the station on a real PostgreSQL server, started here from Debian's `postgresql`
binaries in a temporary folder on a free loopback port: the same behaviour as on the SQLite default."""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from tests.peers import require_program
from tests.unit.station.kit import install_plate, part_png
from tests.unit.store.test_results_store import check_filters_and_paging

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace
from openinspect.store.db import create_results_engine
from openinspect.store.results import ResultStore, Retention


def _server_bin():
    """The folder of the server binaries (initdb, pg_ctl): Debian keeps them off PATH, one folder per major version."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return require_program("initdb", "postgresql", also_in=versions).resolve().parent


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throw-away PostgreSQL server; yields its base URL. initdb refuses root, so as root it runs as `postgres`."""
    bin_dir = _server_bin()
    root = Path(tempfile.mkdtemp(prefix="openinspect-pg-"))
    prefix = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()

    def run(*args):
        subprocess.run([*prefix, *map(str, args)], check=True, capture_output=True, timeout=120)

    run(bin_dir / "initdb", "-D", data, "-U", "openinspect", "--auth=trust", "-E", "UTF8", "--no-sync")
    run(bin_dir / "pg_ctl", "-D", data, "-w", "-t", "60", "-l", root / "server.log", "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql+psycopg://openinspect@127.0.0.1:{port}"
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def database(postgres):
    """A fresh database per test on the shared server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{postgres}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{postgres}/{name}"


def test_results_store_filters_pages_and_exports_the_same_on_postgresql(database, tmp_path):
    engine = create_results_engine(database)
    assert engine.dialect.name == "postgresql"
    check_filters_and_paging(ResultStore(engine, tmp_path / "results", Retention()))
    engine.dispose()


def test_station_stores_triggers_on_postgresql(database, tmp_path):
    home = tmp_path / "home"
    install_plate(Workspace(home))
    token = "pg-token-0123456789"
    app = create_app(Settings(home=home, database_url=database, tokens={token: "engineer"}))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        sent = client.post("/api/v1/trigger", files={"image": ("p.png", part_png(True, 2))}).json()
        assert sent["pass"] is False
        found = client.get("/api/v1/results", params={"verdict": "fail", "roi": "left", "class": "scratch"}).json()
    assert found["total"] == 1 and found["items"][0] == sent
    engine = create_engine(database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM results")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM result_rois")).scalar() == 2
    engine.dispose()
    assert (home / "openinspect.db").stat().st_size > 0  # the workspace itself stays on SQLite
