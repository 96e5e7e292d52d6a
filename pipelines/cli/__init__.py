"""qualquant.pipelines.cli: The ``qualquant`` command line: one module per command group."""

from qualquant.pipelines.cli._main import (
    app,
    main,
)

__all__ = [
    "app",
    "main",
]
