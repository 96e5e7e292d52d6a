"""``qualquant labelstudio serve``: the study's own Label Studio server, in the foreground.

The server runs on 127.0.0.1 only, with its database and uploads in the study
folder (``.labelstudio/`` beside ``study.toml``, or ``--data-dir``). On the first
start it creates the first (admin) user and prints its password and API token
once, to the terminal; nothing of either is written to a file by qualquant
(Label Studio keeps its own hashed password and token in its database in the
data folder). Later starts reuse the database and say where to find the token.
Ctrl-C or SIGTERM stops the server (its whole process group) and exits 0.

:func:`register` adds the command to the ``labelstudio`` group of
:mod:`qualquant.pipelines.cli.coding`.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import typer

from qualquant.pipelines.cli._common import console
from qualquant.pipelines.errors import PipelineError

if TYPE_CHECKING:
    from qualquant.coding.labelstudio import LabelStudioServer
    from qualquant.pipelines.study import Study

__all__ = ["DATA_DIR", "DEFAULT_PORT", "PASSWORD_ENV", "register", "serve"]

#: The server's data folder inside the study folder (keep it out of version control).
DATA_DIR = ".labelstudio"
#: Port when neither --port nor the study's [labelstudio] url names one.
DEFAULT_PORT = 8080
#: Environment variable with the first user's password (default: a random password, printed once).
PASSWORD_ENV = "QUALQUANT_LABEL_STUDIO_PASSWORD"
_DEFAULT_EMAIL = "admin@example.com"


def _say(text: str) -> None:
    """One line to the terminal, as is (no markup, no wrapping), flushed at once (output may be a pipe)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)
    sys.stdout.flush()


def _port(port: int | None, study: Study) -> int:
    """--port, else the port of the study's [labelstudio] url when it is local, else 8080."""
    if port is not None:
        if not 0 < port < 65536:
            raise PipelineError(f"--port {port}: give a port between 1 and 65535.")
        return port
    url = study.config.labelstudio.url
    if url:
        parts = urlsplit(url)
        if parts.hostname in ("127.0.0.1", "localhost") and parts.port:
            return parts.port
    return DEFAULT_PORT


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise PipelineError(
                f"Port {port} on 127.0.0.1 is in use (another Label Studio?). Stop that server or give --port N."
            ) from None


def _data_dir(data_dir: Path | None, study: Study) -> Path:
    if data_dir is None:
        return study.path.parent / DATA_DIR
    return data_dir if data_dir.is_absolute() else Path.cwd() / data_dir


def _token_instructions(url: str, token_var: str, server: LabelStudioServer, email: str) -> None:
    from qualquant.coding.labelstudio import token_accepted

    created = server.users.get(email)
    if created is not None:
        _say("First user created. Shown once here, saved nowhere by qualquant:")
        _say(f"  e-mail:   {email}")
        if os.environ.get(PASSWORD_ENV):
            _say(f"  password: the one in ${PASSWORD_ENV}")
        else:
            _say(f"  password: {created.password}")
        _say(
            f"API token: this study reads it from ${token_var} ([labelstudio] token_env in study.toml). "
            "In the terminal where you run qualquant:"
        )
        _say(f"  export {token_var}={created.token}")
        current = os.environ.get(token_var)
        if current and current != created.token:
            _say(f"${token_var} is set here to another token: replace it with the line above.")
        return
    _say(
        f"API token: this study reads it from ${token_var} ([labelstudio] token_env in study.toml). "
        f"Log in at {url}, open Account & Settings (menu at the top right), copy the Access Token "
        "under Legacy Token (or create a Personal Access Token there), then in the terminal where you "
        "run qualquant:"
    )
    _say(f"  export {token_var}=<paste the token here>")
    current = os.environ.get(token_var)
    if current:
        if token_accepted(url, current):
            _say(f"${token_var} is already set here, and this server accepts it.")
        else:
            _say(f"${token_var} is set here, but this server refuses it: replace it with this server's token.")


def serve(
    study_path: Path = typer.Option(
        Path("study.toml"), "--study", help="study.toml of the study (default: ./study.toml)."
    ),
    port: int | None = typer.Option(
        None,
        "--port",
        help=f"Port on 127.0.0.1 (default: the port of the study's labelstudio url, else {DEFAULT_PORT}).",
        show_default=False,
    ),
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help=f"Folder for the server's database and uploads (default: {DATA_DIR}/ in the study folder; "
        "keep it out of version control).",
        show_default=False,
    ),
    email: str = typer.Option(
        _DEFAULT_EMAIL,
        "--email",
        help=f"E-mail (login) of the first user, created when the database has no user yet. Its password "
        f"is ${PASSWORD_ENV} when set, else a random one printed once.",
    ),
) -> None:
    """Start the study's Label Studio on 127.0.0.1, print the URL and the token steps; Ctrl-C stops it."""
    from qualquant.coding.labelstudio import LabelStudioServer, find_label_studio
    from qualquant.pipelines.study import read_study

    study = read_study(study_path)
    binary = find_label_studio()
    port = _port(port, study)
    folder = _data_dir(data_dir, study)
    token_var = study.config.labelstudio.token_env
    _check_port_free(port)
    server = LabelStudioServer(
        (email,),
        binary=binary,
        port=port,
        data_dir=folder,
        keep_users=True,
        admin_password=os.environ.get(PASSWORD_ENV) or None,
        hidden_env=(token_var, PASSWORD_ENV),
        startup_timeout=600.0,
    )

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Ctrl-C must stop the server even when this process inherited SIGINT as ignored
    # (a command started in the background by a non-interactive shell does), so the
    # handler is set here rather than relying on Python's default.
    previous_int = signal.signal(signal.SIGINT, _terminate)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        _say(
            f"Starting Label Studio for {study.path.name} (data: {folder}). The first start sets up the "
            "database and takes a minute or two."
        )
        server.start()
        url = server.url or f"http://127.0.0.1:{port}"
        _say(f"Label Studio is running at {url} (server process {server.pid}).")
        _token_instructions(url, token_var, server, email)
        configured = study.config.labelstudio.url.rstrip("/")
        if configured and configured not in (url, f"http://localhost:{port}"):
            _say(f'Note: study.toml has [labelstudio] url = "{configured}"; this server is {url}.')
        _say(
            "Then `qualquant labelstudio push --study study.toml`, code in the browser, "
            "`qualquant labelstudio pull --study study.toml`. Press Ctrl-C to stop the server."
        )
        code = server.wait()
        raise PipelineError(f"Label Studio stopped by itself (exit code {code}); see its log {folder / 'server.log'}.")
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
        _say("Stopping Label Studio ...")
        server.stop()
        _say("Label Studio stopped.")
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``qualquant labelstudio`` group (``app`` is the main application)."""
    from qualquant.pipelines.cli.coding import labelstudio_app

    labelstudio_app.command("serve")(serve)
