"""qualquant.pipelines.stages: The stages of ``qualquant run``, their cache keys, and the run loop.

One direction: the stage base types (:mod:`._base`: :class:`Stage`,
:class:`Context`, keys and state) are imported by the output stages
(:mod:`._output`) and the registry (:mod:`._registry`: :data:`STAGES`), and all
of them by the run loop (:mod:`._run`: :func:`run_study`).
"""

from qualquant.pipelines.stages._base import (
    Context,
    RunReporter,
    RunResult,
    Stage,
    StageOutcome,
    StageUnavailable,
)
from qualquant.pipelines.stages._output import (
    EXPORT_TABLES,
    export_tables,
    stage_exports,
    stage_report,
    warnings_frame,
)
from qualquant.pipelines.stages._registry import (
    STAGES,
    load_corpus,
    require,
)
from qualquant.pipelines.stages._run import (
    run_stages,
    run_study,
)

__all__ = [
    "Context",
    "EXPORT_TABLES",
    "export_tables",
    "load_corpus",
    "require",
    "run_stages",
    "run_study",
    "RunReporter",
    "RunResult",
    "Stage",
    "stage_exports",
    "stage_report",
    "StageOutcome",
    "STAGES",
    "StageUnavailable",
    "warnings_frame",
]
