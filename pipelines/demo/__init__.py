"""qualquant.pipelines.demo: The bundled demo study's coders and codings (how the demo export was made)."""

from qualquant.pipelines.demo.coders import (  # noqa: F401
    coder_a_spans,
    coder_b_spans,
    CodingPlan,
    CodingPlanError,
    DemoSpan,
    label_controls,
    PlannedSpan,
    read_plan,
    read_plans,
    to_results,
)
from qualquant.pipelines.demo.codings import (  # noqa: F401
    demo_corpus,
    main,
    PLAN_DIR,
    read_demo_export,
    round_trip,
    RoundTripResult,
    run,
    SEED,
    users_path,
    write_export,
)

__all__ = [
    "coder_a_spans",
    "coder_b_spans",
    "CodingPlan",
    "CodingPlanError",
    "demo_corpus",
    "DemoSpan",
    "label_controls",
    "main",
    "PLAN_DIR",
    "PlannedSpan",
    "read_demo_export",
    "read_plan",
    "read_plans",
    "round_trip",
    "RoundTripResult",
    "run",
    "SEED",
    "to_results",
    "users_path",
    "write_export",
]
