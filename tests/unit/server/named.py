"""A station with named tokens (alice and bob, engineers; an operator), as the revision and audit tests use it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient
from tests.unit.station.kit import RECIPE, install_plate

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

ALICE, BOB, OPERATOR = "alice-token-0123456789", "bob-token-0123456789", "op-token-0123456789"
TOKENS = {ALICE: {"name": "alice", "role": "engineer"}, BOB: {"name": "bob", "role": "engineer"},
          OPERATOR: "operator"}


def named_station(home: Path) -> Iterator[TestClient]:
    """The plate recipe's station with the named tokens; requests go as alice unless they say otherwise."""
    install_plate(Workspace(home))
    with TestClient(create_app(Settings(home=home, tokens=TOKENS))) as client:
        client.headers["Authorization"] = f"Bearer {ALICE}"
        yield client


def as_(token: str) -> dict[str, str]:
    """The header that sends a request with ``token``."""
    return {"Authorization": f"Bearer {token}"}


def threshold(value: float) -> str:
    """The plate recipe with the scratch class's fail threshold at ``value``."""
    return RECIPE.replace("{name: scratch, pass: false}", f"{{name: scratch, pass: false, threshold: {value}}}")
