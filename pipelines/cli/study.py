"""Top-level commands ``qualquant demo``, ``qualquant init`` and ``qualquant run``.

:func:`register` adds them to the main application (:mod:`qualquant.pipelines.cli`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from qualquant.pipelines import DEMO_DIR
from qualquant.pipelines.cli._common import console
from qualquant.pipelines.cli._progress import RichReporter
from qualquant.pipelines.errors import PipelineError

if TYPE_CHECKING:
    from qualquant.pipelines.stages import RunResult

__all__ = ["COMMANDS", "DEMO_DIR", "check_command", "init_study", "register", "run_demo", "study_toml"]

#: Commands this module adds (for the README check).
COMMANDS = ("demo", "init", "run")


def _summary(result: RunResult, elapsed: float) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Stages", show_lines=False)
    for col in ("stage", "status", "seconds", "files"):
        table.add_column(col)
    for o in result.outcomes:
        style = {"ran": "green", "skipped": "dim", "unavailable": "yellow"}.get(o.status, "")
        table.add_row(
            o.name,
            f"[{style}]{o.status}[/{style}]" if style else o.status,
            f"{o.seconds:.1f}" if o.status == "ran" else "",
            str(len(o.outputs)),
        )
    console.print(table)
    warnings = result.warnings
    if warnings:
        console.print(f"[yellow]{len(warnings)} warning(s)[/yellow] (all listed in warnings.csv and the report):")
        for stage, w in warnings[:30]:
            console.print(f"  [yellow]{stage}[/yellow]: {escape(w)}", highlight=False)
        if len(warnings) > 30:
            console.print(f"  ... and {len(warnings) - 30} more")
    console.print(f"Finished in {elapsed:.1f} s. Output folder: {result.out}")
    report = result.out / "report.html"
    if report.exists():
        console.print(f"[bold]Report:[/bold] {report}")


def run_demo(
    out: Path,
    *,
    labelstudio: str | None = None,
    project: str | None = None,
    token_env: str | None = None,
    force: bool = False,
    show_progress: bool = True,
) -> RunResult:
    """Run the bundled demo study into ``out`` (see ``pipelines/demo_data/README.md``).

    Parameters
    ----------
    out : pathlib.Path
        Output folder.
    labelstudio : str, optional
        URL of a live Label Studio server: the codings are pulled from it
        (:meth:`qualquant.coding.labelstudio.LabelStudioClient.pull`; the raw export is
        snapshotted under ``out/snapshots/``) instead of read from the shipped
        export. The codings stage then always runs.
    project : str, optional
        Project title or id on that server (default: ``[labelstudio] project``
        of the demo ``study.toml``).
    token_env : str, optional
        Name of the environment variable holding the API token (default:
        ``[labelstudio] token_env`` of the demo ``study.toml``,
        ``LABEL_STUDIO_API_KEY``). The token is read from the environment only
        and never printed or written.
    force : bool
        Run every stage, even when unchanged.
    show_progress : bool

    Returns
    -------
    pipelines.run.RunResult

    Raises
    ------
    PipelineError
        ``project`` or ``token_env`` without ``labelstudio``, or a stage failed
        (e.g. the token variable is unset or the project does not exist: the
        message names them).
    """
    from qualquant.io import atomic_write_text
    from qualquant.pipelines.study import read_study
    from qualquant.pipelines.study_run import StudyRun

    if not labelstudio and (project or token_env):
        raise PipelineError(
            "--project and --token-env choose the live Label Studio project; give its server with "
            "--labelstudio URL too."
        )
    study = read_study(DEMO_DIR / "study.toml", out=out)
    if labelstudio:
        section = study.config.labelstudio
        update = {"url": labelstudio}
        if project:
            update["project"] = str(project)
        if token_env:
            update["token_env"] = token_env
        study.config = study.config.model_copy(update={"labelstudio": section.model_copy(update=update)})
        # the live project's coders are new people: their labels go next to the pseudonym key under
        # out/private/, starting from the bundled coder file, which is never written to
        study.coders_file = out / "private" / "coders.csv"
        if not study.coders_file.exists():
            atomic_write_text(study.coders_file, (DEMO_DIR / "coders.csv").read_text(encoding="utf-8"))
    reporter = RichReporter() if show_progress else None
    return StudyRun(study, labelstudio=labelstudio).run(force=force, show_progress=show_progress, reporter=reporter)


def init_study(directory: Path, *, title: str | None = None) -> Path:
    """Scaffold a study folder: commented study.toml, transcripts/, survey/, labelstudio/, README.md.

    Raises
    ------
    PipelineError
        ``directory/study.toml`` already exists (nothing is overwritten).
    """
    from qualquant.io import atomic_write_bytes, atomic_write_text
    from qualquant.pipelines.study._config import STUDY_TEMPLATE

    directory = Path(directory)
    toml = directory / "study.toml"
    if toml.exists():
        raise PipelineError(f"{toml} already exists; init never overwrites a study. Choose another folder.")
    for sub in ("transcripts", "survey", "labelstudio"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    name = title or directory.resolve().name
    atomic_write_text(toml, STUDY_TEMPLATE.format(title=name.replace('"', "'")))
    readme = directory / "README.md"
    if not readme.exists():
        atomic_write_text(readme, _README.format(title=name))
    cases = directory / "cases.csv"
    if not cases.exists():
        atomic_write_text(cases, "case_id\n")
    names = directory / "names.txt"
    if not names.exists():
        atomic_write_text(
            names,
            "# People to pseudonymise: one per line, canonical form first, then variants.\n"
            "# Example: Алексей, Лёша, Лёха\n",
        )
    codebook = directory / "codebook.toml"
    if not codebook.exists():
        atomic_write_bytes(codebook, (DEMO_DIR / "codebook.toml").read_bytes())
    return toml


_README = """# {title}

A qualquant study.

- `study.toml` — the study configuration (every key is commented; unknown keys are errors).
- `transcripts/` — interview transcripts (.txt, .docx, .vtt, .srt); file stem = case id.
- `cases.csv` — one row per case (`case_id` plus attributes and questionnaire answers).
- `names.txt` — people to pseudonymise.
- `codebook.toml` — the codebook (a copy of the demo codebook to start from).
- `labelstudio/` — Label Studio JSON exports (or set `[labelstudio] url` to pull live).
- `.labelstudio/` — the local Label Studio server's database and uploads, made by
  `qualquant labelstudio serve`; keep it out of version control (add `.labelstudio/` to `.gitignore`).
- `survey/` — the survey file (.sav, .csv, ...).

Check the study with `qualquant run --check`, then run everything with `qualquant run` (in this
folder; from elsewhere `qualquant run --study PATH/study.toml`); results go to `out/`. Stages whose
inputs did not change are skipped. `out/private/` holds the pseudonym key: keep it private.
Edit `out/joint_display_overrides.csv` to override convergence labels and add meta-inferences;
reruns keep your entries.
"""


def register(app: typer.Typer) -> None:
    """Add ``demo``, ``init`` and ``run`` to the main ``qualquant`` application."""

    @app.command("demo")
    def demo(
        out: Path = typer.Option(Path("qualquant-demo"), "--out", help="Output folder."),
        labelstudio: str | None = typer.Option(
            None,
            "--labelstudio",
            help="Pull the codings from this live Label Studio server (URL) instead of the "
            "shipped export; the raw export is snapshotted under OUT/snapshots.",
        ),
        project: str | None = typer.Option(
            None,
            "--project",
            help="With --labelstudio: the project title or id to pull (default: the demo "
            "study.toml's [labelstudio] project, 'qualquant demo: social capital').",
        ),
        token_env: str | None = typer.Option(
            None,
            "--token-env",
            help="With --labelstudio: NAME of the environment variable holding the API token "
            "(default: LABEL_STUDIO_API_KEY, from the demo study.toml). The token is "
            "never printed.",
        ),
        quiet: bool = typer.Option(False, "--quiet", help="No progress display."),
    ) -> None:
        """Run the whole pipeline on the bundled demo study and print where the report is."""
        t0 = time.perf_counter()
        result = run_demo(out, labelstudio=labelstudio, project=project, token_env=token_env, show_progress=not quiet)
        _summary(result, time.perf_counter() - t0)

    @app.command("init")
    def init(
        directory: Path = typer.Argument(..., help="Folder for the new study (created if missing)."),
        title: str | None = typer.Option(None, "--title", help="Study title (default: the folder name)."),
    ) -> None:
        """Scaffold a study: commented study.toml, folders and a short README."""
        toml = init_study(directory, title=title)
        console.print(
            f"Created {toml}. Put transcripts in {toml.parent / 'transcripts'}, edit study.toml, check it with "
            f"`qualquant run --check --study {toml}`, then run it with `qualquant run --study {toml}`."
        )

    @app.command("run")
    def run(
        study_file: Path | None = typer.Argument(
            None, help="The study.toml file (default: ./study.toml; the same as --study).", show_default=False
        ),
        study_option: Path | None = typer.Option(
            None, "--study", help="The study.toml file (default: ./study.toml).", show_default=False
        ),
        check: bool = typer.Option(
            False, "--check", help="Only check the study: list every problem found without running it."
        ),
        out: Path | None = typer.Option(None, "--out", help="Output folder (default: [study] out)."),
        force: bool = typer.Option(False, "--force", help="Run every stage, even when its inputs did not change."),
        stage: list[str] | None = typer.Option(None, "--stage", help="Run only this stage (repeatable)."),
        labelstudio: str | None = typer.Option(None, "--labelstudio", help="Pull codings from this live server."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress display."),
    ) -> None:
        """Run every stage of a study with progress, skipping stages whose inputs have not changed."""
        # the command is a thin layer over the library: a notebook's qualquant.open_study runs the same
        # stages with the same options and cache
        from qualquant.pipelines.study_run import open_study

        study_path = study_toml(study_file, study_option)
        if check:
            raise typer.Exit(check_command(study_path, out=out))
        study = open_study(study_path, out=out, labelstudio=labelstudio)
        t0 = time.perf_counter()
        result = study.run(
            only=stage or None, force=force, show_progress=not quiet, reporter=None if quiet else RichReporter()
        )
        _summary(result, time.perf_counter() - t0)


def study_toml(argument: Path | None, option: Path | None) -> Path:
    """The study file of a command: ``--study`` or the positional argument, else ``./study.toml``.

    Raises
    ------
    PipelineError
        Both are given and differ; or neither is given and there is no ``study.toml`` here.
    """
    if argument is not None and option is not None and Path(argument) != Path(option):
        raise PipelineError(f"Two study files given: {argument} and --study {option}; give one.")
    chosen = option if option is not None else argument
    if chosen is not None:
        return Path(chosen)
    default = Path("study.toml")
    if not default.is_file():
        raise PipelineError(
            f"No study file given and no study.toml in this folder (looked for {default.resolve()}). "
            "Create a study with `qualquant init DIR`, or pass --study PATH/study.toml."
        )
    return default


def check_command(study_path: Path, *, out: Path | None = None) -> int:
    """Print every problem of a study, one per line; return the exit code (1 if any blocks a run)."""
    from qualquant.pipelines.study import check_study, read_study

    study = read_study(study_path, out=out)
    problems = check_study(study)
    blocking = [p for p in problems if p.blocking]
    for p in problems:
        typer.echo(f"{'error' if p.blocking else 'warning'}: {p.message}")
    n_notes = len(problems) - len(blocking)
    if blocking:
        typer.echo(
            f"{study.path.name}: {len(blocking)} problem(s) stop a run, {n_notes} warning(s). "
            "Fix them, then run `qualquant run --check` again.",
            err=True,
        )
        return 1
    typer.echo(f"{study.path.name}: ready to run ({n_notes} warning(s)). Run it with `qualquant run`.")
    return 0
