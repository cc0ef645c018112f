"""Plant scale on Ray (the `cluster` extra): one local Ray instance of 2 CPUs for the whole session.

The README's local run is run as written, and its results compared field for field (timings aside) with the
in-process path on the same captures; a model worker killed mid-job is replaced and no capture is lost or doubled.
"""

import json
import os
import pickle
import shlex
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.conftest import part_capture, run_cli, write_png
from tests.unit.station.kit import install_plate

from openinspect.errors import ClusterError
from openinspect.store import Workspace

# Ray warns of its own deprecated settings when its data context is made; none of them is ours to change
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray\.")]


@pytest.fixture(scope="session")
def ray_cluster():
    """A local Ray instance of 2 CPUs, started once per test session (a start takes seconds)."""
    try:
        from openinspect import cluster
    except ClusterError as err:  # Ray is not installed: the message says how to install it
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{err}; CI=true, so a missing extra fails instead of skipping", pytrace=False)
        pytest.skip(f"needs the cluster extra: {err}")
    import ray

    joined = cluster.connect(None, cpus=2)
    yield joined
    ray.shutdown()


def _readme_local_run(folder: Path) -> list[str]:
    """The arguments of the README's local run (section "Plant scale"), its ``captures/`` made ``folder``."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Plant scale"):]
    line = next(line for line in section.splitlines() if line.startswith("openinspect inspect plate captures/"))
    words = shlex.split(line.split(">")[0])
    assert words[:3] == ["openinspect", "inspect", "plate"] and "--ray" in words, line
    return [str(folder) if word == "captures/" else word for word in words[1:]]


def _captures(folder: Path, count: int) -> list[Path]:
    """``count`` plate captures, every third one scratched (fails), named in input order."""
    return [write_png(folder / f"c{i:04d}.png", part_capture(i % 3 == 0, i)) for i in range(count)]


def _without_timings(line: dict) -> dict:
    return {key: value for key, value in line.items() if key != "timing_ms"}


def test_readme_local_run_judges_as_the_station_does_with_error_lines_and_stored_results(tmp_path, ray_cluster):
    home = tmp_path / "home"
    install_plate(Workspace(home))
    folder = tmp_path / "captures"
    paths = _captures(folder, 24)
    (folder / "c0005.png").write_bytes(b"\x89PNG\r\n\x1a\n not a png")  # corrupt, between good captures
    (folder / "c0011.png").write_bytes(paths[11].read_bytes()[:60])  # truncated
    code, out, _ = run_cli(home, "inspect", "plate", folder, "--json")
    local = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(local) == 24

    code, out, err = run_cli(home, *_readme_local_run(folder))
    on_ray = [json.loads(line) for line in out.splitlines()]
    assert code == 1, err
    assert "ray: " in err and "dashboard: " in err
    assert [line["image"] for line in on_ray] == [str(p) for p in paths]
    assert [_without_timings(line) for line in on_ray] == [_without_timings(line) for line in local]
    errors = {Path(line["image"]).name: line for line in on_ray if "error" in line}
    assert sorted(errors) == ["c0005.png", "c0011.png"] and all(set(e) == {"image", "error"} for e in errors.values())
    assert [line["pass"] for line in on_ray if "error" not in line] == [i % 3 != 0 for i in range(24)
                                                                        if i not in (5, 11)]
    assert all(line["timing_ms"]["total"] > 0 for line in on_ray if "error" not in line)

    from openinspect.store import db

    with Workspace(home).engine.connect() as conn:
        stored = [row if isinstance(row, dict) else json.loads(row) for row in conn.scalars(select(db.results.c.record))]
    assert {record["trigger"] for record in stored} == {"batch"}
    stored_bodies = {record["image"]: {k: v for k, v in record.items() if k not in ("id", "time", "recipe", "trigger",
                                                                                    "outcome")} for record in stored}
    assert [_without_timings(stored_bodies[line["image"]]) for line in on_ray] == [_without_timings(line)
                                                                                   for line in on_ray]


def _judge_processes() -> set[int]:
    """The processes of this machine's model actors (their title names the actor class)."""
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if b"MapBatches(_Worker)" in (proc / "cmdline").read_bytes():
                    found.add(int(proc.name))
            except OSError:
                continue
    return found


def test_a_killed_worker_is_replaced_and_its_captures_are_judged_once(tmp_path, ray_cluster):
    from openinspect import cluster
    from openinspect.station import Inspector
    from openinspect.station.pipeline import InspectorPlan

    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    paths = _captures(tmp_path / "captures", 240)
    plan = InspectorPlan.load(workspace, "plate")
    inspector = Inspector.of(plan)
    expected = [_without_timings(inspector.inspect_file(p).to_json()) for p in paths]

    results, killed, seen = [], None, set()
    for result in cluster.judge(plan, [str(p) for p in paths], cluster.JobOptions(workers=2, batch=2), ray_cluster):
        results.append(_without_timings(result.to_json()))
        seen |= _judge_processes()
        if killed is None:
            assert len(seen) >= 1
            killed = min(seen)
            os.kill(killed, signal.SIGKILL)
            time.sleep(0.2)
    assert killed is not None and len(results) == 240
    assert results == expected  # in input order, none lost, none twice
    assert seen - {killed}, "no worker judged after the kill"


def test_eval_on_ray_gives_the_in_process_figures_and_problems(tmp_path, ray_cluster):
    home = tmp_path / "home"
    install_plate(Workspace(home))
    folders = tmp_path / "labelled"
    for i in range(8):
        write_png(folders / "good" / f"g{i}.png", part_capture(False, 100 + i))
        write_png(folders / "scratch" / f"s{i}.png", part_capture(True, 200 + i))
    (folders / "good" / "g9.png").write_bytes(b"not an image")
    code, out, _ = run_cli(home, "eval", "plate", "--type", "surface", "--folders", folders, "--json")
    local = json.loads(out)
    assert code == 0 and len(local["skipped"]) == 1 and "g9.png" in local["skipped"][0]
    code, out, err = run_cli(home, "eval", "plate", "--type", "surface", "--folders", folders, "--json", "--ray",
                             "--workers", 1)  # one worker starts sooner than two on a busy machine
    assert code == 0, err
    assert json.loads(out) == local


def test_answers_leave_in_input_order_once_even_when_a_retried_batch_answers_again():
    pytest.importorskip("ray", reason="needs the cluster extra: pip install -e '.[cluster]'")
    import numpy as np

    from openinspect.cluster.job import _in_order

    def batch(indices, answers):
        return {"index": np.array(indices), "result": [pickle.dumps(a) for a in answers]}

    late_first = [batch([2, 3], ["c", "d"]), batch([0, 1], ["a", "b"]), batch([2, 3], ["c again", "d again"])]
    assert list(_in_order(late_first, 4)) == ["a", "b", "c", "d"]
    with pytest.raises(ClusterError, match="after 2 of 3 captures; capture 2"):
        list(_in_order([batch([0, 1], ["a", "b"])], 3))


def test_backtest_on_ray_gives_the_in_process_report(tmp_path, ray_cluster):
    from tests.unit.training.backtest_kit import install_backtest_plate

    workspace = Workspace(tmp_path / "home")
    install_backtest_plate(workspace)
    archived = sorted(p for p in (workspace.home / "results").rglob("*") if p.is_file())
    archived[0].write_bytes(b"corrupt")  # one archived capture no longer decodes: skipped, named, on both paths
    workspace.engine.dispose()
    args = ("backtest", "plate", "--type", "surface", "--candidate", 2, "--json")
    code, out, err = run_cli(workspace.home, *args)
    local = json.loads(out)
    assert code == 0 and len(local["skipped"]) == 1, err
    code, out, err = run_cli(workspace.home, *args, "--ray", "--workers", 1)
    assert code == 0, err
    assert json.loads(out) == local
