"""Inline SVG charts for the HTML report, drawn by hand (no plotting library, no external resources).

Every label is XML-escaped; the charts are plain ``<svg>`` elements with a
``<title>`` and ``role="img"`` so the report stays one self-contained file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "heat_map", "point_range"]

#: Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _fmt(x: float, decimals: int = 1) -> str:
    return f"{x:.{decimals}f}"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    groups: Sequence[str] | None = None,
    title: str = "",
    unit: str = "%",
    max_value: float | None = None,
    width: int = 640,
) -> str:
    """Horizontal bar chart.

    Parameters
    ----------
    labels : sequence of str
        One bar each, top to bottom.
    values : sequence of float
        Bar lengths (NaN drawn as an empty bar).
    groups : sequence of str, optional
        Group of each bar (e.g. the facet): one colour per group, with a legend.
    title : str
    unit : str
        Appended to the value labels.
    max_value : float, optional
        Axis maximum (default: the largest value, or 100 for percentages).
    width : int

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    n = len(labels)
    groups = list(groups) if groups is not None else [""] * n
    order = list(dict.fromkeys(groups))
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(order)}
    clean = [0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]
    top = max_value if max_value is not None else (100.0 if unit == "%" else max(clean + [1e-9]))
    left, right, bar_h, gap = 190, 60, 16, 6
    legend_h = 22 if any(order) else 0
    height = 30 + legend_h + n * (bar_h + gap) + 10
    plot_w = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart">',
        f"<title>{_e(title)}</title>",
    ]
    if title:
        parts.append(f'<text x="4" y="16" class="chart-title">{_e(title)}</text>')
    x = left
    if any(order):
        for g in order:
            parts.append(
                f'<rect x="{x}" y="{26}" width="10" height="10" fill="{colour[g]}"/>'
                f'<text x="{x + 14}" y="{35}" class="chart-small">{_e(g)}</text>'
            )
            x += 14 + 7 * len(str(g)) + 16
    y0 = 30 + legend_h
    for i, (lab, v, g) in enumerate(zip(labels, clean, groups)):
        y = y0 + i * (bar_h + gap)
        w = 0 if top <= 0 else max(0.0, min(1.0, v / top)) * plot_w
        parts.append(f'<text x="{left - 6}" y="{y + bar_h - 4}" text-anchor="end" class="chart-label">{_e(lab)}</text>')
        parts.append(
            f'<rect x="{left}" y="{y}" width="{_fmt(w)}" height="{bar_h}" fill="{colour[g]}">'
            f"<title>{_e(lab)}: {_fmt(v)}{_e(unit)}</title></rect>"
        )
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4}" class="chart-small">{_fmt(v)}{_e(unit)}</text>')
    parts.append(f'<line x1="{left}" y1="{y0 - 2}" x2="{left}" y2="{height - 8}" stroke="#555"/>')
    parts.append("</svg>")
    return "".join(parts)


def _heat_colour(v: float) -> str:
    """White (0) to dark blue (1)."""
    v = 0.0 if math.isnan(v) else max(0.0, min(1.0, v))
    r = int(round(255 - v * (255 - 8)))
    g = int(round(255 - v * (255 - 69)))
    b = int(round(255 - v * (255 - 148)))
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_map(
    labels: Sequence[str],
    matrix: Sequence[Sequence[float]],
    *,
    title: str = "",
    counts: Sequence[Sequence[float]] | None = None,
    value_name: str = "Jaccard",
) -> str:
    """Square heat map (e.g. code co-occurrence), values 0-1, optional counts printed in cells.

    Returns
    -------
    str
        An ``<svg>`` element; each cell has a ``<title>`` with both codes and the value.
    """
    n = len(labels)
    cell = 26 if n <= 20 else 18
    left, top = 170, 150
    width, height = max(left + n * cell + 80, 40 + 7 * len(title)), top + n * cell + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart">',
        f"<title>{_e(title)}</title>",
    ]
    if title:
        parts.append(f'<text x="4" y="16" class="chart-title">{_e(title)}</text>')
    for j, lab in enumerate(labels):
        x = left + j * cell + cell / 2
        parts.append(
            f'<text transform="translate({x + 4:.1f},{top - 6}) rotate(-60)" class="chart-small">{_e(lab)}</text>'
        )
    for i, lab in enumerate(labels):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell * 0.68:.1f}" text-anchor="end" class="chart-small">{_e(lab)}</text>'
        )
        for j in range(n):
            v = float(matrix[i][j]) if matrix[i][j] is not None else math.nan
            x = left + j * cell
            tip = f"{labels[i]} × {labels[j]}: {value_name} {'' if math.isnan(v) else _fmt(v, 2)}"
            if counts is not None:
                tip += f", n = {int(counts[i][j])}"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{_heat_colour(v)}">'
                f"<title>{_e(tip)}</title></rect>"
            )
            if counts is not None and i != j and counts[i][j]:
                fill = "#fff" if (not math.isnan(v) and v > 0.5) else "#222"
                parts.append(
                    f'<text x="{x + cell / 2 - 0.5:.1f}" y="{y + cell * 0.65:.1f}" text-anchor="middle" '
                    f'class="chart-tiny" fill="{fill}">{int(counts[i][j])}</text>'
                )
    lx = left + n * cell + 16
    for k in range(6):
        v = k / 5
        parts.append(
            f'<rect x="{lx}" y="{top + k * 16}" width="14" height="14" fill="{_heat_colour(v)}" stroke="#ccc"/>'
            f'<text x="{lx + 18}" y="{top + k * 16 + 11}" class="chart-small">{_fmt(v, 1)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def point_range(
    rows: Sequence[tuple[str, float, float, float]], *, title: str = "", zero: bool = True, width: int = 640
) -> str:
    """Point-range plot: one row per (label, estimate, ci_low, ci_high), with a line at zero.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    finite = [v for r in rows for v in r[1:] if v is not None and not math.isnan(v)]
    lo = min(finite + ([0.0] if zero else [])) if finite else -1.0
    hi = max(finite + ([0.0] if zero else [])) if finite else 1.0
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad
    longest = max((len(str(r[0])) for r in rows), default=10)
    left, right, row_h = min(440, 16 + int(6.2 * longest)), 30, 20
    width = max(width, left + 300)
    height = 40 + len(rows) * row_h + 24
    plot_w = width - left - right

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart">',
        f"<title>{_e(title)}</title>",
    ]
    if title:
        parts.append(f'<text x="4" y="16" class="chart-title">{_e(title)}</text>')
    y_end = 30 + len(rows) * row_h
    if zero and lo < 0 < hi:
        parts.append(
            f'<line x1="{sx(0):.1f}" y1="26" x2="{sx(0):.1f}" y2="{y_end}" stroke="#999" stroke-dasharray="3,3"/>'
        )
    for i, (label, est, cl, ch) in enumerate(rows):
        y = 30 + i * row_h + row_h / 2
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" class="chart-small">{_e(label)}</text>')
        if cl is not None and ch is not None and not (math.isnan(cl) or math.isnan(ch)):
            parts.append(
                f'<line x1="{sx(cl):.1f}" y1="{y:.1f}" x2="{sx(ch):.1f}" y2="{y:.1f}" '
                'stroke="#0072B2" stroke-width="2"/>'
            )
        if est is not None and not math.isnan(est):
            parts.append(
                f'<circle cx="{sx(est):.1f}" cy="{y:.1f}" r="4" fill="#0072B2">'
                f"<title>{_e(label)}: {est:.3f} [{cl:.3f}, {ch:.3f}]</title></circle>"
            )
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(f'<text x="{sx(v):.1f}" y="{y_end + 16}" text-anchor="middle" class="chart-small">{v:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)
