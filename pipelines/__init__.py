"""qualquant.pipelines: study config, integration, exports, report, the command line and the demo study.

Subpackages: :mod:`~qualquant.pipelines.study` (``study.toml``),
:mod:`~qualquant.pipelines.stages` (the stages of ``qualquant run`` and their cache),
:mod:`~qualquant.pipelines.integrate` (linked cases, joint displays,
representativeness), :mod:`~qualquant.pipelines.report` (the HTML report),
:mod:`~qualquant.pipelines.cli` (the command line) and
:mod:`~qualquant.pipelines.demo` (how the demo study's codings were made).
"""

from pathlib import Path

#: The bundled demo study (package data): transcripts, cases, names, codebook,
#: coding plans, the Label Studio export, the survey and ``study.toml``.
DEMO_DIR = Path(__file__).parent / "demo_data"

__all__ = ["DEMO_DIR"]
