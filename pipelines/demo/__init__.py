"""qualquant.pipelines.demo: The bundled demo study's coders and codings (how the demo export was made)."""

from qualquant.pipelines.demo.coders import (
    CodingPlan,
    CodingPlanError,
    DemoSpan,
    PlannedSpan,
    coder_a_spans,
    coder_b_spans,
    label_controls,
    read_plan,
    read_plans,
    to_results,
)
from qualquant.pipelines.demo.codings import (
    PLAN_DIR,
    SEED,
    RoundTripResult,
    demo_corpus,
    main,
    read_demo_export,
    round_trip,
    run,
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
