"""qualquant.pipelines.report: The HTML report of a study run."""

from qualquant.pipelines.report._report import (  # noqa: F401
    build_report,
    SECTIONS,
)
from qualquant.pipelines.report._html import (  # noqa: F401
    CSP,
    CSS,
    esc,
    fmt,
    page,
    table_html,
)
from qualquant.pipelines.report._svg import (  # noqa: F401
    bar_chart,
    heat_map,
    point_range,
)

__all__ = [
    "bar_chart",
    "build_report",
    "CSP",
    "CSS",
    "esc",
    "fmt",
    "heat_map",
    "page",
    "point_range",
    "SECTIONS",
    "table_html",
]
