"""qualquant.pipelines.report: The HTML report of a study run."""

from qualquant.pipelines.report._html import (
    CSP,
    CSS,
    esc,
    fmt,
    page,
    table_html,
)
from qualquant.pipelines.report._report import (
    SECTIONS,
    build_report,
)
from qualquant.pipelines.report._svg import (
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
