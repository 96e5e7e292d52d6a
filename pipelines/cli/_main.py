"""The ``qualquant`` command line.

Each area has its own module with a Typer sub-application; this module only
assembles them:

- ``qualquant corpus ...``      :mod:`qualquant.pipelines.cli.corpus`
- ``qualquant quant ...``       :mod:`qualquant.pipelines.cli.quant`
- ``qualquant codebook|labelstudio|coding ...``  :mod:`qualquant.pipelines.cli.coding`
  (``labelstudio serve``: :mod:`qualquant.pipelines.cli.labelstudio_serve`)
- ``qualquant topics ...``      :mod:`qualquant.pipelines.cli.topics`
- ``qualquant refi ...``        :mod:`qualquant.pipelines.cli.refi` (REFI-QDA exchange files)
- ``qualquant demo|init|run``   :mod:`qualquant.pipelines.cli.study`
"""

from __future__ import annotations

import importlib

import typer

from qualquant.pipelines.cli._common import make_app

app = make_app("qualquant: coded interviews and survey statistics in one reproducible pipeline.")

# (module, attribute, name) for sub-applications; (module, attribute) for top-level commands.
_SUBAPPS = [
    ("qualquant.pipelines.cli.corpus", "app", "corpus"),
    ("qualquant.pipelines.cli.quant", "app", "quant"),
    ("qualquant.pipelines.cli.coding", "codebook_app", "codebook"),
    ("qualquant.pipelines.cli.coding", "labelstudio_app", "labelstudio"),
    ("qualquant.pipelines.cli.coding", "coding_app", "coding"),
    ("qualquant.pipelines.cli.topics", "app", "topics"),
    ("qualquant.pipelines.cli.refi", "app", "refi"),
]
_REGISTER = [("qualquant.pipelines.cli.study", "register"), ("qualquant.pipelines.cli.labelstudio_serve", "register")]


def _assemble() -> None:
    for module_name, attr, name in _SUBAPPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # that area is not built yet
                continue
            raise
        app.add_typer(getattr(module, attr), name=name)
    for module_name, attr in _REGISTER:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        getattr(module, attr)(app)


_assemble()


@app.command("version")
def version() -> None:
    """Print the installed qualquant version."""
    from importlib.metadata import version as _v

    typer.echo(f"qualquant {_v('qualquant')}")


def main() -> None:
    """Entry point of the ``qualquant`` script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
