"""`qualquant labelstudio serve`: the study's own Label Studio server, started and stopped for real.

One server start for the module (a cold start runs the database migrations,
30-80 s): the command runs as a real subprocess in a new study, with a known
token in the study's token variable; the tests then check the printed URL and
token steps, that the server answers on 127.0.0.1, that SIGINT stops it (exit 0,
no process left) and that the known token was written to no file of the study.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualquant.pipelines.cli import app
from qualquant.pipelines.cli.study import init_study

TOKEN_VAR = "MY_STUDY_LS_TOKEN"
KNOWN_TOKEN = "known-token-0123456789abcdef0123456789abcdef"
START_TIMEOUT = 600.0

runner = CliRunner()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _make_study(folder: Path) -> Path:
    toml = init_study(folder, title="Serve test")
    text = toml.read_text(encoding="utf-8")
    text = text.replace('token_env = "LABEL_STUDIO_API_KEY"', f'token_env = "{TOKEN_VAR}"')
    toml.write_text(text, encoding="utf-8")
    return toml


def _group_members(pgid: int) -> list[int]:
    """Process ids whose process group is ``pgid`` (Linux /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@dataclass
class Served:
    study: Path
    port: int
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    url: str = ""
    server_pid: int = 0
    returncode: int | None = None
    stopped_in: float = 0.0

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def _read(process: subprocess.Popen[str], lines: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from qualquant.coding.errors import LabelStudioNotInstalledError
    from qualquant.coding.labelstudio._server import find_label_studio

    try:
        find_label_studio()
    except LabelStudioNotInstalledError as exc:
        message = f"Label Studio ({exc}) is not installed: run `make labelstudio` (mandatory in CI)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(reason=message)
    toml = _make_study(tmp_path_factory.mktemp("serve") / "study")
    port = _free_port()
    env = {**os.environ, TOKEN_VAR: KNOWN_TOKEN, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from qualquant.pipelines.cli import main; main()", "labelstudio", "serve"]
        + ["--study", str(toml), "--port", str(port)],
        cwd=toml.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    result = Served(study=toml.parent, port=port, process=process)
    reader = threading.Thread(target=_read, args=(process, result.lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            match = re.search(r"running at (http://\S+) \(server process (\d+)\)", result.output)
            if match and "Ctrl-C" in result.output:
                result.url, result.server_pid = match.group(1), int(match.group(2))
                break
            time.sleep(0.5)
        if not result.url:
            pytest.fail(f"serve printed no URL (exit code {process.poll()}):\n{result.output}")
        yield result
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()  # our own child only
                process.wait(timeout=10)
        if result.server_pid:
            for pid in _group_members(result.server_pid):  # the server's group, started by this test
                os.kill(pid, signal.SIGKILL)
        reader.join(timeout=10)


def _stop(served: Served) -> Served:
    """SIGINT to the command (once); record its exit code and how long it took."""
    if served.returncode is None:
        t0 = time.monotonic()
        served.process.send_signal(signal.SIGINT)
        served.returncode = served.process.wait(timeout=60)
        served.stopped_in = time.monotonic() - t0
    return served


@pytest.mark.labelstudio
def test_serve_prints_url_on_loopback_and_answers(served: Served) -> None:
    assert served.url == f"http://127.0.0.1:{served.port}"
    with urllib.request.urlopen(f"{served.url}/health/", timeout=10) as response:
        assert response.status == 200
        assert b"UP" in response.read()
    with urllib.request.urlopen(f"{served.url}/user/login/", timeout=10) as response:
        assert response.status == 200
    assert (served.study / ".labelstudio" / "label_studio.sqlite3").is_file()


@pytest.mark.labelstudio
def test_serve_prints_first_user_and_token_steps_with_the_study_variable(served: Served) -> None:
    out = served.output
    assert "First user created" in out and "admin@example.com" in out
    password = re.search(r"password: (\S+)", out)
    assert password is not None and len(password.group(1)) >= 16
    exported = re.search(rf"export {TOKEN_VAR}=([0-9a-f]{{40}})$", out, re.MULTILINE)
    assert exported is not None, out
    assert f"${TOKEN_VAR}" in out and "token_env" in out
    assert KNOWN_TOKEN not in out
    # the printed token is this server's (the variable's known value is not)
    request = urllib.request.Request(
        f"{served.url}/api/current-user/whoami", headers={"Authorization": f"Token {exported.group(1)}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.mark.labelstudio
def test_sigint_stops_the_server_cleanly(served: Served) -> None:
    _stop(served)
    assert served.returncode == 0, served.output
    assert served.stopped_in < 45
    assert "Label Studio stopped." in served.output
    if Path("/proc").is_dir():
        assert _group_members(served.server_pid) == [], "server processes left after Ctrl-C"
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", served.port), timeout=2):
        pass


@pytest.mark.labelstudio
def test_the_token_is_written_to_no_file_of_the_study(served: Served) -> None:
    _stop(served)  # every file closed
    needle = KNOWN_TOKEN.encode()
    written = [p for p in served.study.rglob("*") if p.is_file()]
    assert any(".labelstudio" in p.parts for p in written)  # the server did write there
    holding = [str(p.relative_to(served.study)) for p in written if needle in p.read_bytes()]
    assert holding == []
    printed_password = re.search(r"password: (\S+)", served.output)
    assert printed_password is not None
    secret = printed_password.group(1).encode()
    assert [str(p.relative_to(served.study)) for p in written if secret in p.read_bytes()] == []


def test_serve_without_label_studio_is_one_error_line(tmp_path: Path) -> None:
    toml = _make_study(tmp_path / "study")
    missing = tmp_path / "nowhere" / "label-studio"
    result = runner.invoke(
        app,
        ["labelstudio", "serve", "--study", str(toml), "--port", str(_free_port())],
        env={"QUALQUANT_LABEL_STUDIO": str(missing)},
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "make labelstudio" in lines[0]
    assert not (toml.parent / ".labelstudio").exists()


def test_serve_without_a_study_file_names_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["labelstudio", "serve", "--study", str(tmp_path / "study.toml")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "study.toml" in result.stderr
