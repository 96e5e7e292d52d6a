"""The progress display of ``qualquant run`` and ``qualquant demo``: a rich progress bar.

The run loop (:func:`qualquant.pipelines.stages.run_study`) knows nothing of the
terminal; it tells a :class:`~qualquant.pipelines.stages.RunReporter` what
happens. :class:`RichReporter` draws a transient progress bar with the current
stage and its messages, and prints one line per stage (ran, unavailable,
skipped) with its warnings above it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from qualquant.pipelines.cli._common import console as default_console
from qualquant.pipelines.stages import RunReporter, Stage, StageOutcome

__all__ = ["RichReporter"]


class RichReporter(RunReporter):
    """Draws the run's progress on a rich console (default: the command line's standard output)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console if console is not None else default_console
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def start(self, stages: Sequence[Stage]) -> None:
        """Start the progress bar, one step per stage."""
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("starting", total=len(stages))

    def stage_started(self, stage: Stage) -> None:
        """Show the stage's title."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=f"[bold]{escape(stage.title)}[/bold]")

    def stage_progress(self, stage: Stage, message: str) -> None:
        """Show a message of the stage after its title."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=f"[bold]{escape(stage.title)}[/bold]: {escape(message)}")

    def stage_done(self, stage: Stage, outcome: StageOutcome) -> None:
        """Print the stage's line (and warnings) and advance the bar."""
        if self._progress is None or self._task is None:
            return
        print_ = self._progress.console.print
        if outcome.status == "skipped":
            print_(f"[dim]- {escape(stage.title)}: unchanged, skipped[/dim]")
        elif outcome.status != "not selected":
            mark = "[green]✓[/green]" if outcome.status == "ran" else "[yellow]![/yellow]"
            print_(
                f"{mark} {escape(stage.title)} ({outcome.seconds:.1f} s)"
                + ("" if outcome.status == "ran" else f" [yellow]{outcome.status}[/yellow]")
            )
            for w in outcome.warnings:
                print_(f"  [yellow]warning:[/yellow] {escape(w)}")
        self._progress.advance(self._task)

    def stop(self) -> None:
        """Remove the progress bar."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
