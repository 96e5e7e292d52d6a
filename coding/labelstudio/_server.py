"""Start and stop a real, local Label Studio server (tests, demo codings, trials).

:class:`LabelStudioServer` is a context manager that runs the open-source
Label Studio server headless on the loopback interface, with its database in a
temporary directory, and stops it again by signalling its own process id.

How the binary is found (first that exists):

1. the environment variable ``QUALQUANT_LABEL_STUDIO`` (path to ``label-studio``);
2. ``label-studio`` on ``PATH``;
3. ``.venv-labelstudio/bin/label-studio`` next to the repository (``make test``
   installs it there, in its own environment, because the server pins versions
   that clash with the analysis environment).

Users are created with ``label-studio init`` before the server starts, each
with a random 40-hex-digit API token generated with :mod:`secrets`. With
``keep_users=True`` (``qualquant labelstudio serve``: a study's own server whose
database lives in the study folder) users are created only when the database
has none yet, and the server is started as it is otherwise. Tokens are
kept in memory only (:attr:`LabelStudioServer.users`) and handed to the SDK
through :meth:`LabelStudioServer.client`; they are never logged or written to a
file by this module. (``label-studio init`` receives them on its command line;
the process is local and short-lived.)

Notes
-----
Label Studio 1.23 behaviour this module relies on:

- ``LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true`` must be set when the first user
  is created, otherwise ``Authorization: Token ...`` calls answer 401.
- The server also reads the un-prefixed variables ``USERNAME``, ``PASSWORD``,
  ``USER_TOKEN``, ``HOST``, ``PORT`` and ``DEBUG``; they are removed from its
  environment.
- ``--debug`` keeps the server from silently moving to ``port + 1`` when the
  port is busy; ``--internal-host 127.0.0.1`` keeps it off other interfaces.
- A cold ``init`` (database migrations) takes about a minute on two cores; the
  test suite therefore shares one session-wide server.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from qualquant.coding.errors import LabelStudioError, LabelStudioNotInstalledError
from qualquant.coding.labelstudio._client import LabelStudioClient

__all__ = ["LabelStudioServer", "LabelStudioUser", "count_users", "find_label_studio", "token_accepted"]

_ENV_BINARY = "QUALQUANT_LABEL_STUDIO"
_UNSET = ("USERNAME", "PASSWORD", "USER_TOKEN", "HOST", "PORT", "DEBUG", "LABEL_STUDIO_API_KEY")


@dataclass(frozen=True, slots=True)
class LabelStudioUser:
    """A user created on a local server (the token and password are held in memory only)."""

    email: str
    token: str = field(repr=False)
    password: str = field(default="", repr=False)


def find_label_studio() -> Path:
    """Return the path of the ``label-studio`` executable.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    LabelStudioNotInstalledError
        When no executable is found; the message lists the places searched.
    """
    configured = os.environ.get(_ENV_BINARY)
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise LabelStudioNotInstalledError(
            f"{_ENV_BINARY}={configured} is not an executable label-studio. "
            "Run `make labelstudio` or point the variable at the installed binary."
        )
    on_path = shutil.which("label-studio")
    if on_path:
        return Path(on_path)
    repo_venv = Path(__file__).resolve().parents[2] / ".venv-labelstudio" / "bin" / "label-studio"
    if repo_venv.is_file() and os.access(repo_venv, os.X_OK):
        return repo_venv
    raise LabelStudioNotInstalledError(
        f"Label Studio is not installed: searched ${_ENV_BINARY}, PATH and {repo_venv.parent.parent.name}/bin. "
        "Run `make labelstudio` (installs label-studio into .venv-labelstudio)."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _new_token() -> str:
    return secrets.token_hex(20)  # 40 hex digits, as Label Studio's legacy tokens


def _new_password() -> str:
    """A random password that never starts with "-".

    ``secrets.token_urlsafe`` may start with "-", and ``label-studio init
    --password -x...`` then fails as an unknown option (exit code 2) about once
    in 64 users.
    """
    return "p" + secrets.token_urlsafe(16)


def count_users(data_dir: str | os.PathLike[str]) -> int:
    """The number of users in the Label Studio database of ``data_dir`` (0 when there is none yet).

    Reads ``label_studio.sqlite3`` (Label Studio's default database name) read-only;
    a database without the users table (migrations not run) counts as empty.
    """
    db = Path(data_dir) / "label_studio.sqlite3"
    if not db.is_file():
        return 0
    try:
        connection = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT COUNT(*) FROM htx_user").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def token_accepted(url: str, token: str, *, timeout: float = 10.0) -> bool:
    """Whether the server at ``url`` accepts ``token`` as a legacy API token (``/api/current-user/whoami``).

    The token is sent in a header to that server only; it is never logged.
    """
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/current-user/whoami", headers={"Authorization": f"Token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # a local server
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _log_tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log, for an error message (the log may live in a temp dir that is removed)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = [line for line in text.splitlines() if line.strip()][-lines:]
    return (" Last lines of the log: " + " | ".join(tail)) if tail else ""


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send ``sig`` to the process group that ``process`` leads (it was started in its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


class LabelStudioServer:
    """A local Label Studio server in a temporary data directory.

    Parameters
    ----------
    users : sequence of str
        E-mail addresses of the users to create; the first one is the
        administrator (owner of the organisation). Default: one admin and two
        coders.
    binary : path, optional
        The ``label-studio`` executable (default: :func:`find_label_studio`).
    port : int, optional
        Port on 127.0.0.1 (default: a free port).
    data_dir : path, optional
        Data directory (default: a new temporary directory removed on stop).
    startup_timeout : float
        Seconds to wait for initialisation and readiness.
    log_path : path, optional
        Where the server's stdout/stderr go (default: ``server.log`` in the data dir).
    keep_users : bool
        Create the users only when the database in ``data_dir`` has none yet
        (see :func:`count_users`); otherwise start the existing database as it
        is. Readiness is then checked without a token (``/health/`` and the
        login page). Default False: always create the users.
    admin_password : str, optional
        Password of the first user when it is created (default: a random one,
        kept in memory in :attr:`users`).
    hidden_env : sequence of str
        More environment variables to keep from the server process (for
        example the study's token variable).

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:<port>`` once started.
    users : dict of str to LabelStudioUser
        Users created by this start, by e-mail, with their tokens and passwords
        (memory only); empty when ``keep_users`` found existing users.
    timings : dict of str to float
        Seconds spent in ``init`` (all users) and in ``start`` until ready.

    Examples
    --------
    Starting a server takes 30-90 s (database migrations), so this example is
    not run as a doctest; ``tests/test_labelstudio_server.py`` runs it for real::

        with LabelStudioServer() as server:
            client = server.client()
            client.status(project_id)
    """

    def __init__(
        self,
        users: tuple[str, ...] | list[str] = (
            "admin@example.com",
            "coder.a@example.com",
            "coder.b@example.com",
        ),
        *,
        binary: str | os.PathLike[str] | None = None,
        port: int | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 240.0,
        log_path: str | os.PathLike[str] | None = None,
        keep_users: bool = False,
        admin_password: str | None = None,
        hidden_env: tuple[str, ...] | list[str] = (),
    ) -> None:
        if not users:
            raise LabelStudioError("LabelStudioServer needs at least one user (the administrator).")
        self.user_emails = tuple(users)
        self.binary = Path(binary) if binary else None
        self.port = port
        self._data_dir_arg = Path(data_dir) if data_dir else None
        self.startup_timeout = startup_timeout
        self._log_path_arg = Path(log_path) if log_path else None
        self.keep_users = keep_users
        self._admin_password = admin_password
        self._hidden_env = tuple(hidden_env)
        self.data_dir: Path | None = None
        self.url: str | None = None
        self.users: dict[str, LabelStudioUser] = {}
        self.timings: dict[str, float] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._log_file: BinaryIO | None = None

    # ------------------------------------------------------------------ env
    def _env(self) -> dict[str, str]:
        assert self.data_dir is not None
        hidden = set(_UNSET) | set(self._hidden_env)
        env = {k: v for k, v in os.environ.items() if k not in hidden}
        env.update(
            {
                "LABEL_STUDIO_BASE_DATA_DIR": str(self.data_dir),
                "XDG_CONFIG_HOME": str(self.data_dir / "xdg"),
                "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
                "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
                "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
                "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
                "LABEL_STUDIO_SENTRY_DSN": "",
                "LABEL_STUDIO_FRONTEND_SENTRY_DSN": "",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    @property
    def admin(self) -> LabelStudioUser:
        """The administrator (first user)."""
        return self.users[self.user_emails[0]]

    @property
    def pid(self) -> int | None:
        """Process id of the running server (None when stopped)."""
        return self._process.pid if self._process is not None else None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> LabelStudioServer:
        """Initialise the database and users, start the server and wait until ready."""
        if self._process is not None:
            return self
        binary = self.binary or find_label_studio()
        if self._data_dir_arg is not None:
            self.data_dir = self._data_dir_arg
            self.data_dir.mkdir(parents=True, exist_ok=True)
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="qualquant-ls-")
            self.data_dir = Path(self._tmp.name)
        (self.data_dir / "xdg").mkdir(exist_ok=True)
        log_path = self._log_path_arg or (self.data_dir / "server.log")
        self._log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        env = self._env()

        t0 = time.monotonic()
        emails = self.user_emails if not (self.keep_users and count_users(self.data_dir)) else ()
        for email in emails:
            first = email == self.user_emails[0]
            password = self._admin_password if first and self._admin_password else _new_password()
            user = LabelStudioUser(email=email, token=_new_token(), password=password)
            cmd = [
                str(binary),
                "init",
                "-q",
                "--username",
                email,
                "--password",
                password,
                "--user-token",
                user.token,
                "--enable-legacy-api-token",
            ]
            done = subprocess.run(
                cmd,
                env=env,
                cwd=self.data_dir,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                timeout=self.startup_timeout,
                check=False,
            )
            if done.returncode != 0:
                self._log_file.flush()
                tail = _log_tail(log_path)
                self._cleanup()
                raise LabelStudioError(
                    f"`label-studio init` failed for user {email} (exit code {done.returncode}).{tail}"
                )
            self.users[email] = user
        self.timings["init"] = time.monotonic() - t0

        self.port = self.port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        t1 = time.monotonic()
        self._process = subprocess.Popen(
            [
                str(binary),
                "start",
                "--no-browser",
                "--debug",
                "--internal-host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            cwd=self.data_dir,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready(t1 + self.startup_timeout, log_path)
        except BaseException:
            self.stop()
            raise
        self.timings["start"] = time.monotonic() - t1
        return self

    def _wait_ready(self, deadline: float, log_path: Path) -> None:
        assert self._process is not None and self.url is not None
        if self.user_emails[0] in self.users:
            request = urllib.request.Request(
                f"{self.url}/api/current-user/whoami",
                headers={"Authorization": f"Token {self.admin.token}"},
            )
        else:  # an existing database: no token known here; the login page answers once the app is up
            request = urllib.request.Request(f"{self.url}/user/login/")
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LabelStudioError(
                    f"Label Studio exited with code {self._process.returncode} while starting; "
                    f"see the server log {log_path}.{_log_tail(log_path)}"
                )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # loopback
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.5)
        raise LabelStudioError(
            f"Label Studio did not answer on {self.url} within {self.startup_timeout:.0f} s; "
            f"see the server log {log_path}.{_log_tail(log_path)}"
        )

    def wait(self) -> int | None:
        """Block until the server process exits on its own; return its exit code (None when not started)."""
        if self._process is None:
            return None
        return self._process.wait()

    def stop(self) -> None:
        """Stop the server: SIGTERM to its own process group, wait, and remove the temp dir.

        The server was started in a new session, so its process group holds the
        server and anything it started, and nothing else. After 30 s without
        exiting the group is killed.
        """
        process, self._process = self._process, None
        if process is not None:
            t0 = time.monotonic()
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    process.wait(timeout=10)
            self.timings["stop"] = time.monotonic() - t0
        self._cleanup()

    def _cleanup(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LabelStudioServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- clients
    def client(self, email: str | None = None) -> LabelStudioClient:
        """Return a :class:`qualquant.coding.labelstudio.LabelStudioClient` for a user.

        The token is handed over in memory (not through the environment of
        this process).
        """
        if self.url is None:
            raise LabelStudioError("The Label Studio server is not running; start it before asking for a client.")
        user = self.users[email or self.user_emails[0]]
        return LabelStudioClient(self.url, token=user.token)
