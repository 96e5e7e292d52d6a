"""HTML building blocks of the report: escaping, tables, the stylesheet, the page shell.

Every value that reaches the page goes through :func:`esc` (``html.escape``
with quotes), so a transcript containing ``<script>`` is shown as text. The
page carries a Content-Security-Policy that forbids scripts and every
network request, as a second line of defence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

import pandas as pd

__all__ = ["CSS", "CSP", "esc", "fmt", "page", "table_html"]

#: No scripts, no network: only inline styles and data: images.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

CSS = """
:root { --ink:#1d2330; --muted:#5b6474; --line:#d9dde5; --accent:#0072B2; --bg:#fbfbfd; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
       color: var(--ink); background: var(--bg); margin: 0; }
header { background: #17324d; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #d6e2ef; max-width: 70em; }
nav { background: #fff; border-bottom: 1px solid var(--line); padding: 6px 28px;
      z-index: 2; font-size: 13px; }
nav a { color: var(--accent); text-decoration: none; margin-right: 14px; white-space: nowrap; }
main { padding: 8px 28px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 18px 16px;
          margin: 16px 0; }
h2 { font-size: 18px; margin: 6px 0 10px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
p.note, .muted { color: var(--muted); font-size: 12.5px; }
.table-wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; vertical-align: top; text-align: left; }
th { background: #f1f3f7; font-weight: 600; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.seed td, table.seed th { border: 1px solid #bbb; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 4px 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
         white-space: nowrap; }
.b-agreement { background: #d9f2e3; color: #0b5a2d; }
.b-partial-agreement { background: #fff1cc; color: #6b4d00; }
.b-silence { background: #e8e8ee; color: #3d3d4d; }
.b-dissonance { background: #fbd9d3; color: #7a1a0c; }
blockquote { margin: 4px 0; padding: 2px 8px; border-left: 3px solid var(--line); color: #333; font-style: italic; }
#joint-display-table td:nth-child(4) { min-width: 22em; }
#joint-display-table td:nth-child(6) { min-width: 14em; }
.chart { font-family: inherit; }
.chart-title { font-size: 13px; font-weight: 600; }
.chart-label { font-size: 12px; }
.chart-small { font-size: 11px; fill: #333; }
.chart-tiny { font-size: 9px; }
.warn li { margin: 2px 0; }
.flag { color: #7a1a0c; font-size: 12px; font-weight: 600; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
@media (max-width: 1000px) { .grid2 { grid-template-columns: 1fr; } }
details summary { cursor: pointer; color: var(--accent); }
"""


def esc(value: Any) -> str:
    """HTML-escape any value (None/NaN become an empty string)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return escape(str(value), quote=True)


def fmt(value: Any, decimals: int = 3) -> str:
    """Format a number for a table cell (integers without decimals); text is escaped."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return esc(value)
    if isinstance(value, (int,)) or (hasattr(value, "dtype") and "int" in str(getattr(value, "dtype", ""))):
        return esc(int(value))
    if isinstance(value, float) or (hasattr(value, "__float__") and not isinstance(value, str)):
        try:
            x = float(value)
        except (TypeError, ValueError):
            return esc(value)
        if math.isnan(x):
            return ""
        if x.is_integer() and abs(x) < 1e12:
            return esc(int(x))
        return esc(f"{x:.{decimals}f}")
    return esc(value)


def table_html(
    df: pd.DataFrame | None,
    *,
    caption: str = "",
    max_rows: int = 200,
    decimals: int = 3,
    columns: Sequence[str] | None = None,
    rename: Mapping[str, str] | None = None,
    cell: Callable[[str, Any], str | None] | None = None,
    css_class: str = "",
    table_id: str = "",
) -> str:
    """Render a DataFrame as an escaped HTML table.

    Parameters
    ----------
    df : pandas.DataFrame or None
        None or empty gives a short "no rows" note.
    caption : str
    max_rows : int
        Longer tables are cut, with a note saying how many rows are in the CSV.
    decimals : int
    columns : sequence of str, optional
        Columns to show (those present), in this order.
    rename : mapping, optional
        Column headers to show.
    cell : callable, optional
        ``cell(column, value) -> html or None``: custom (already safe) HTML
        for a cell; None falls back to the escaped value.
    css_class, table_id : str
    """
    if df is None or len(df) == 0:
        return f'<p class="muted">{esc(caption + ": " if caption else "")}no rows.</p>'
    if columns is not None:
        df = df[[c for c in columns if c in df.columns]]
    rename = dict(rename or {})
    head = "".join(f"<th>{esc(rename.get(str(c), c))}</th>" for c in df.columns)
    numeric = {c: pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns}
    body = []
    for row in df.head(max_rows).itertuples(index=False, name=None):
        tds = []
        for c, v in zip(df.columns, row):
            custom = cell(str(c), v) if cell is not None else None
            if custom is not None:
                tds.append(f"<td>{custom}</td>")
            elif numeric[c]:
                tds.append(f'<td class="num">{fmt(v, decimals)}</td>')
            else:
                tds.append(f"<td>{esc(v) if not isinstance(v, float) else fmt(v, decimals)}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    more = (
        f'<p class="muted">Showing {max_rows} of {len(df)} rows; the CSV has all of them.</p>'
        if len(df) > max_rows
        else ""
    )
    attrs = (f' class="{esc(css_class)}"' if css_class else "") + (f' id="{esc(table_id)}"' if table_id else "")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table{attrs}>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{more}"
    )


def badge(label: str) -> str:
    """A coloured convergence label."""
    cls = "b-" + "-".join(str(label).split())
    return f'<span class="badge {esc(cls)}">{esc(label)}</span>'


def page(title: str, subtitle: str, nav: Sequence[tuple[str, str]], sections: Sequence[str]) -> str:
    """The whole document: head with CSP and inline CSS, header, navigation, sections."""
    links = "".join(f'<a href="#{esc(anchor)}">{esc(text)}</a>' for anchor, text in nav)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>"
        f"<nav>{links}</nav><main>{''.join(sections)}</main></body></html>\n"
    )
