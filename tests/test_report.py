"""Tests of the HTML report: escaping, self-containment, and a real headless Chromium.

The browser test is marked ``browser``: it skips loudly when Chromium or the
playwright package is missing, and fails instead when the environment variable
CI is "true".
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qualquant.pipelines.report import SECTIONS, build_report
from qualquant.pipelines.report._svg import bar_chart, heat_map, point_range
from qualquant.pipelines.stages import Context
from qualquant.pipelines.study import read_study

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
EVIL = '<script>document.title="pwned";window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def _context(tmp_path: Path) -> Context:
    """A run context holding hand-made tables, as the stages would leave them."""
    (tmp_path / "study.toml").write_text(
        '[study]\ntitle = "Report test <b>study</b>"\n[coding]\ngroup_by = ["legal_status"]\n'
        '[survey]\noutcome = "belonging"\ncrosstabs = [["legal_status", "belonging"]]\n',
        encoding="utf-8",
    )
    study = read_study(tmp_path / "study.toml", out=tmp_path / "out")
    ctx = Context(study)

    def put(stage, name, df):
        ctx._stage = stage
        ctx.put(name, df)

    put(
        "corpus",
        "segments",
        pd.DataFrame(
            {
                "transcript_id": ["INT01", "INT01"],
                "segment_id": ["INT01:0000", "INT01:0001"],
                "role": ["interviewer", "participant"],
                "text": ["Q?", EVIL],
            }
        ),
    )
    put("corpus", "cases", pd.DataFrame({"case_id": ["INT01"], "legal_status": ["temporary stay"]}))
    put("corpus", "summary", pd.DataFrame({"measure": ["transcripts"], "value": [1]}))
    put(
        "corpus",
        "reconciliation",
        pd.DataFrame(
            {"kind": ["case_without_transcript"], "file": [""], "case_id": ["INT02"], "message": ["no transcript"]}
        ),
    )
    put("codings", "codings", pd.DataFrame({"coder": ["a", "b"], "source": ["human", "human"]}))
    put(
        "codings",
        "codebook",
        pd.DataFrame(
            {
                "id": ["bonding"],
                "facet": ["capital_type"],
                "name": ["Bonding"],
                "description": ["Ties <inside> the group"],
            }
        ),
    )
    freq = pd.DataFrame(
        {
            "code": ["bonding", "bridging"],
            "facet": ["capital_type", "capital_type"],
            "n_cases": [1, 0],
            "n_cases_total": [1, 1],
            "pct_cases": [100.0, 0.0],
            "n_segments": [1, 0],
            "n_spans": [1, 0],
            "coverage": [0.2, 0.0],
        }
    )
    put("frequencies", "theme_frequencies", freq)
    put("frequencies", "theme_frequencies_by_legal_status", freq.assign(legal_status="temporary stay"))
    put(
        "frequencies",
        "cooccurrence",
        pd.DataFrame(
            {
                "code_a": ["bonding"],
                "code_b": ["bridging"],
                "n_both": [0],
                "n_a": [1],
                "n_b": [0],
                "jaccard": [0.0],
                "odds_ratio": [float("nan")],
                "p_value": [1.0],
                "n_overlapping_spans": [0],
            }
        ),
    )
    put(
        "integration",
        "joint_display",
        pd.DataFrame(
            {
                "construct": ["local_ties"],
                "label": ["Local ties"],
                "codes": ["bridging"],
                "n_cases": [1],
                "n_cases_total": [1],
                "n_segments": [1],
                "quotes": [EVIL + " | second quote"],
                "survey_variables": ["close_local_friends"],
                "quant_evidence": ["close_local_friends: rho = 0.367, p < .001"],
                "expected_direction": ["positive"],
                "verdicts": ["confirms"],
                "convergence": ["agreement"],
                "rule": ["2: every survey variable confirms"],
                "meta_inference": ["<i>meta</i>"],
            }
        ),
    )
    put(
        "exports",
        "warnings",
        pd.DataFrame(
            {"stage": ["codings"], "status": ["ran"], "warning": ["no codings export shipped <script>x</script>"]}
        ),
    )
    return ctx


def test_report_escapes_everything_and_is_self_contained(tmp_path):
    html = build_report(_context(tmp_path))
    assert "<script" not in html.lower()
    assert "&lt;script&gt;document.title=&quot;pwned&quot;" in html
    assert "onerror=" not in html.replace("onerror=&quot;", "")
    assert "<img" not in html
    assert "&lt;b&gt;study&lt;/b&gt;" in html and "&lt;i&gt;meta&lt;/i&gt;" in html
    # no external resources: every src/href is a fragment or data: URI
    for attr in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html):
        assert attr.startswith(("#", "data:")), attr
    assert "url(" not in html and "@import" not in html
    assert "Content-Security-Policy" in html
    for anchor, _ in SECTIONS:
        assert f'id="{anchor}"' in html
    assert 'id="joint-display-table"' in html
    assert "Corpus reconciliation (1)" in html and "INT02" in html


def test_svg_charts_escape_labels():
    for svg in (
        bar_chart(["<b>"], [50.0], groups=["f&g"], title="t<"),
        heat_map(["<a>", "b"], [[1, 0.5], [0.5, 1]], counts=[[0, 2], [2, 0]]),
        point_range([("x<y", 0.1, -0.2, 0.4)], title='"q"'),
    ):
        assert svg.startswith("<svg") and svg.endswith("</svg>")
        assert "<b>" not in svg and "<a>" not in svg and "x<y" not in svg


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _need(what: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not installed, and browser tests are mandatory in CI.")
    pytest.skip(f"BROWSER TEST SKIPPED: {what} is not installed (install Debian's chromium; CI fails here).")


@pytest.mark.browser
def test_report_in_headless_chromium(tmp_path):
    executable = _chromium()
    if executable is None:
        _need("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("the playwright python package")
    report = tmp_path / "report.html"
    report.write_text(build_report(_context(tmp_path)), encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    console_errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=executable, args=args, headless=True, viewport={"width": 1400, "height": 1000}
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: console_errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            assert page.title() == "Report test <b>study</b>"
            assert page.evaluate("() => window.__pwned === undefined")
            table = page.locator("#joint-display-table")
            assert table.is_visible()
            assert "Local ties" in table.inner_text()
            quote = page.locator("#joint-display-table blockquote").first
            assert quote.inner_text().startswith('<script>document.title="pwned"')
            assert page.locator("script").count() == 0
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator("#joint-display").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            context.close()
    assert console_errors == []
    assert requests == [report.as_uri()]
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
