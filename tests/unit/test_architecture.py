"""The package graph of docs/architecture.md: every import between top-level packages flows one way.

Imports inside functions count (a function-local import is no way around a cycle); only those under
``if TYPE_CHECKING:`` do not, as they never run. Function-local imports are allowed only where they keep
heavy modules (torch, ONNX Runtime, the server) out of a light start, in the files listed here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "src" / "openinspect"
BASE = {"errors", "settings", "__init__"}
"""Modules every package may import: the error tree, the settings and the version."""
ALLOWED: dict[str, set[str]] = {
    "imaging": set(),
    "recipe": {"imaging"},
    "store": {"recipe", "imaging"},
    "dataset": {"store", "recipe", "imaging"},
    "models": set(),
    "station": {"dataset", "models", "store", "recipe", "imaging"},
    "authoring": {"station", "dataset", "models", "store", "recipe", "imaging", "synth"},
    "training": {"station", "dataset", "models", "store", "recipe", "imaging"},
    "integrations": {"station", "store"},
    "demo": {"training", "station", "store", "recipe"},
    "cluster": {"station"},
    "advice": {"recipe", "imaging"},
    "synth": set(),
    "server": {"authoring", "training", "integrations", "station", "dataset", "models", "store", "recipe", "imaging",
               "advice", "synth"},
    "cli": {"server", "cluster", "demo", "authoring", "training", "station", "dataset", "store", "recipe", "imaging",
            "advice"},
}
LAZY = {"cli.py": "start-up without ONNX Runtime or torch", "training/service.py": "torch only when training",
        "demo/run.py": "training only when the demo trains",
        "server/routes/advice.py": "the application assistant only when advice is asked for, never at start-up"}
# Ray (the `cluster` extra) is imported by `cluster/` alone, and `cluster/` by the CLI alone, inside `--ray`'s function
"""Files that may import inside functions, and why."""


def _runs(tree: ast.Module) -> list[ast.ImportFrom]:
    """The ``from openinspect...`` imports of a module that run (not under ``if TYPE_CHECKING:``)."""
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
               for n in ast.walk(node)}
    return [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and id(node) not in skipped
            and node.level == 0 and (node.module or "").split(".")[0] == "openinspect"]


def _package(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def _edges() -> set[tuple[str, str, str]]:
    found = set()
    for path in ROOT.rglob("*.py"):
        for node in _runs(ast.parse(path.read_text(encoding="utf-8"))):
            target = [*(node.module or "").split("."), "__init__"][1]
            if target != _package(path):
                found.add((_package(path), target, str(path.relative_to(ROOT))))
    return found


def test_every_package_imports_only_the_packages_below_it() -> None:
    wrong = sorted(f"{file}: {src} -> {dst}" for src, dst, file in _edges()
                   if src not in BASE and dst not in BASE | ALLOWED.get(src, set()))
    assert not wrong, "imports against the package graph of docs/architecture.md:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_the_allowed_graph_has_no_cycle(package: str) -> None:
    seen: set[str] = set()
    todo = list(ALLOWED[package])
    while todo:
        current = todo.pop()
        assert current != package, f"{package} can reach itself through the allowed imports"
        if current not in seen:
            seen.add(current)
            todo.extend(ALLOWED.get(current, set()))


def test_function_local_imports_only_keep_heavy_modules_out_of_a_light_start() -> None:
    local = set()
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {id(node) for node in tree.body}
        nested = [node for node in _runs(tree) if id(node) not in top]
        if nested:
            local.add(str(path.relative_to(ROOT)))
    assert local <= set(LAZY), f"function-local imports outside {sorted(LAZY)}: {sorted(local - set(LAZY))}"


def test_only_the_cluster_package_imports_ray_and_only_the_cli_imports_it() -> None:
    """The station and the runtime never load Ray: it is an optional extra for batch jobs."""
    ray_users, cluster_users = set(), set()
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            if any(name.split(".")[0] == "ray" for name in names):
                ray_users.add(_package(path))
            if any(name.startswith("openinspect.cluster") for name in names):
                cluster_users.add(_package(path))
    assert ray_users == {"cluster"}
    assert cluster_users - {"cluster"} == {"cli"}


def test_the_graph_reflects_the_code() -> None:
    """Each allowed edge but the optional ones is used: the table documents the code, not a wish."""
    used = {(src, dst) for src, dst, _ in _edges()}
    unused = sorted(f"{src} -> {dst}" for src, targets in ALLOWED.items() for dst in targets if (src, dst) not in used)
    assert not unused, f"allowed but unused (drop them from ALLOWED and docs/architecture.md): {unused}"
