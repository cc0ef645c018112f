"""System programs the tests run as real peers (the MQTT broker, the PostgreSQL server, the browser).

A test that needs one calls :func:`require_program`. Where the program is missing, the test is skipped with the
Debian package to install; in CI (``CI=true``) it fails instead, so a peer missing from the CI machine shows as a
failure and never as a quietly skipped test. ``.ci/run`` installs the packages these tests name.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest


def require_program(program: str, package: str, also_in: Iterable[Path] = ()) -> Path:
    """The path of ``program``, looked up on ``PATH`` and then in ``also_in`` (in that order).

    Args:
        program: the executable's name, e.g. ``mosquitto``.
        package: the Debian package that provides it, named in the skip or failure message.
        also_in: folders off ``PATH`` where the package puts it (``/usr/sbin``, ``/usr/lib/postgresql/15/bin``).

    Raises:
        pytest.skip.Exception: the program is missing and this is not CI.
        pytest.fail.Exception: the program is missing and ``CI`` is ``true``.
    """
    folders = [None, *(str(folder) for folder in also_in)]
    found = next((path for folder in folders if (path := shutil.which(program, path=folder))), None)
    if found is not None:
        return Path(found)
    message = f"needs `{program}`: install the Debian package `{package}` (apt-get install {package})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI=true, so a missing peer fails instead of skipping", pytrace=False)
    pytest.skip(message)
