"""qualquant.pipelines: study config, integration, exports, report, the command line and the demo study."""

from pathlib import Path

#: The bundled demo study (package data): transcripts, cases, names, codebook,
#: coding plans, the Label Studio export, the survey and ``study.toml``.
DEMO_DIR = Path(__file__).parent / "demo_data"
