"""Shared fixtures: one real Label Studio server for the whole test session.

Property tests run without per-example deadlines (a 2-core CI machine under
load would trip them); under CI (CI=true) they are also derandomized, so a CI
run is reproducible, while local runs keep exploring new examples.

A cold start (database migrations and user creation) takes about half a
minute to a minute, so every test marked ``labelstudio`` shares one server.
When Label Studio is not installed the tests skip loudly locally and fail when
the environment variable CI is "true".

The suite is self-contained: tests read only files in the repository (real
third-party data is in tests/data/, reference values in tests/reference/), the
installed libraries, and what they create in temporary folders. An audit hook
records every file a test opens or lists; a test that touches a path beside the
repository (such as a sibling data folder that a fresh clone does not have)
fails, naming the path.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("qualquant", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("qualquant-ci", parent=settings.get_profile("qualquant"), derandomize=True)
settings.load_profile("qualquant-ci" if os.environ.get("CI") == "true" else "qualquant")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"

# ------------------------------------------------------------------ data-path guard

# Folders a test may read besides the repository: the interpreter and its
# libraries, temporary folders, and the Label Studio server's own environment.
_ALLOWED_ROOTS: list[Path] = [
    Path(p).resolve()
    for p in {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        tempfile.gettempdir(),
        *(p for p in sys.path if p and Path(p).is_absolute()),
    }
]
if os.environ.get("QUALQUANT_LABEL_STUDIO"):
    _ALLOWED_ROOTS.append(Path(os.environ["QUALQUANT_LABEL_STUDIO"]).resolve().parents[1])
_TEMP = Path(tempfile.gettempdir()).resolve()
_SIBLINGS_AT_START = (
    frozenset(p.name for p in REPO.parent.iterdir() if p != REPO) if REPO.parent == _TEMP else frozenset()
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND
_OUTSIDE_EVENTS = {"open", "os.listdir", "os.scandir", "glob.glob", "shutil.copyfile", "os.chdir"}
_guard_state: dict[str, list[str] | None] = {"seen": None}


def outside_repository(path: str | os.PathLike[str], *, reading: bool = True) -> bool:
    """True for a path beside the repository that a fresh clone would not have.

    Paths inside the repository, the interpreter's folders and temporary folders are
    fine; anything else under the repository's parent folder (a sibling data folder, a
    sibling checkout) is not. When the repository itself sits directly in the
    temporary folder, where libraries create temporary files under names of their
    own, a path there is beside the repository when its first folder existed before
    the tests started (and is not pytest's), or when it is read but does not exist.
    """
    try:
        resolved = Path(os.fsdecode(path)).resolve()
    except (OSError, ValueError, TypeError):
        return False
    parent = REPO.parent
    if resolved == REPO or REPO in resolved.parents or parent not in resolved.parents:
        return False
    # Folders below the repository's parent that are the interpreter's or temporary.
    for root in _ALLOWED_ROOTS:
        if (
            parent in root.parents
            and REPO not in root.parents
            and root != REPO
            and (resolved == root or root in resolved.parents)
        ):
            return False
    if parent == _TEMP:
        top = resolved.relative_to(parent).parts[0]
        if top.startswith("pytest-of-"):
            return False
        if top in _SIBLINGS_AT_START:
            return True
        return reading and not resolved.exists()
    return True


def _audit(event: str, args: tuple) -> None:
    seen = _guard_state["seen"]
    if seen is None or event not in _OUTSIDE_EVENTS or not args:
        return
    target = args[0]
    if isinstance(target, int) or target is None:
        return  # an already-open file descriptor
    reading = True
    if event == "open" and len(args) >= 3:
        mode, flags = args[1], args[2]
        if isinstance(mode, str):
            reading = not any(c in mode for c in "wax+")
        elif isinstance(flags, int):
            reading = not flags & _WRITE_FLAGS
    if isinstance(target, (str, bytes, os.PathLike)) and outside_repository(target, reading=reading):
        seen.append(f"{event} {os.fsdecode(target)}")


sys.addaudithook(_audit)


_checked_modules: dict[str, list[str]] = {}


def configured_paths_outside(module) -> list[str]:
    """The module-level path constants of a test module that point beside the repository.

    File readers written in C (pyreadstat, lxml) open files without an audit event,
    so the data paths a test module configures are checked too.
    """
    bad = []
    for name, value in sorted(vars(module).items()):
        if isinstance(value, Path) and outside_repository(value):
            bad.append(f"{name} = {value}")
    return bad


@pytest.fixture(autouse=True)
def _only_repository_files(request):
    """Fail a test that opened or listed a path beside the repository."""
    module = getattr(request, "module", None)
    if module is not None:
        if module.__name__ not in _checked_modules:
            _checked_modules[module.__name__] = configured_paths_outside(module)
        if _checked_modules[module.__name__]:
            pytest.fail(
                f"{module.__name__} configures data paths outside the repository (copy the "
                "files into tests/data with their licence and origin): " + "; ".join(_checked_modules[module.__name__])
            )
    seen: list[str] = []
    _guard_state["seen"] = seen
    try:
        yield seen
    finally:
        _guard_state["seen"] = None
    if seen:
        pytest.fail(
            "test read outside the repository (copy the file into tests/data with its "
            "licence and origin): " + "; ".join(sorted(set(seen)))
        )


def _missing(what: str) -> None:
    message = f"{what} is not installed: run `make labelstudio` (mandatory in CI)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(reason=message)


@pytest.fixture(scope="session")
def labelstudio_server():
    """A running local Label Studio server with an admin and two coders."""
    from qualquant.coding.errors import LabelStudioNotInstalledError
    from qualquant.coding.labelstudio._server import LabelStudioServer, find_label_studio

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
