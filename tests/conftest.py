"""Shared fixtures: one real Label Studio server for the whole test session.

Property tests run without per-example deadlines (a 2-core CI machine under
load would trip them); under CI (CI=true) they are also derandomized, so a CI
run is reproducible, while local runs keep exploring new examples.

A cold start (database migrations and user creation) takes about half a
minute to a minute, so every test marked ``labelstudio`` shares one server.
When Label Studio is not installed the tests skip loudly locally and fail when
the environment variable CI is "true".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("qualquant", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("qualquant-ci", parent=settings.get_profile("qualquant"), derandomize=True)
settings.load_profile("qualquant-ci" if os.environ.get("CI") == "true" else "qualquant")

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


def _missing(what: str) -> None:
    message = f"{what} is not installed: run `make labelstudio` (mandatory in CI)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(reason=message)


@pytest.fixture(scope="session")
def labelstudio_server():
    """A running local Label Studio server with an admin and two coders."""
    from coding.errors import LabelStudioNotInstalledError
    from coding.ls_server import LabelStudioServer, find_label_studio

    try:
        find_label_studio()
    except LabelStudioNotInstalledError as exc:
        _missing(f"Label Studio ({exc})")
    server = LabelStudioServer(("admin@example.com", "coder.a@example.com", "coder.b@example.com"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
