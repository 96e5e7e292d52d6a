"""qualquant.pipelines.stages: The stages of ``qualquant run``, their cache keys, and the run loop."""

from qualquant.pipelines.stages._run import (  # noqa: F401
    Context,
    run_stages,
    run_study,
    RunResult,
    Stage,
    StageOutcome,
    StageUnavailable,
)
from qualquant.pipelines.stages._registry import (  # noqa: F401
    EXPORT_TABLES,
    export_tables,
    load_corpus,
    require,
    STAGES,
    warnings_frame,
)
from qualquant.pipelines.stages._output import (  # noqa: F401
    stage_exports,
    stage_report,
)

__all__ = [
    "Context",
    "EXPORT_TABLES",
    "export_tables",
    "load_corpus",
    "require",
    "run_stages",
    "run_study",
    "RunResult",
    "Stage",
    "stage_exports",
    "stage_report",
    "StageOutcome",
    "STAGES",
    "StageUnavailable",
    "warnings_frame",
]
