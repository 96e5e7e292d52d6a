"""The command-line reference, ``docs/cli.md``, generated from the ``qualquant`` application.

Every command and group, with its usage line, its help text and every argument
and option (with its help and default), in the order ``qualquant --help`` lists
them. ``tests/test_cli_reference.py`` fails when ``docs/cli.md`` differs from
this text; regenerate it with::

    python -m qualquant.pipelines.cli.reference > docs/cli.md
"""

from __future__ import annotations

from typing import Any

import typer

__all__ = ["cli_reference", "walk_commands"]

_HEADER = """# Command-line reference

Every `qualquant` command with its arguments and options, as `qualquant COMMAND --help`
prints them. This file is generated from the command line itself; do not edit it by hand.
Regenerate it after adding or changing a command or an option:

```console
$ python -m qualquant.pipelines.cli.reference > docs/cli.md
```

`tests/test_cli_reference.py` fails when it is out of date.
"""


#: A command of the application as ``typer.main.get_command`` gives it (a click command or group).
Command = Any


def _is_group(command: Command) -> bool:
    return hasattr(command, "list_commands")


def _context(command: Command, name: str) -> Any:
    return command.context_class(command, info_name=name)


def walk_commands(command: Command, path: tuple[str, ...] = ("qualquant",)) -> list[tuple[tuple[str, ...], Command]]:
    """Every command and group under ``command`` (itself first), depth first, in the order ``--help`` lists them.

    Parameters
    ----------
    command : click command
        The root command (``typer.main.get_command(app)``).
    path : tuple of str
        The words that invoke ``command``.

    Returns
    -------
    list of (tuple of str, click command)
        The words that invoke each command, and the command.
    """
    found: list[tuple[tuple[str, ...], Command]] = [(path, command)]
    if _is_group(command):
        ctx = _context(command, path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            found.extend(walk_commands(sub, (*path, name)))
    return found


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _default(param: Any) -> str:
    is_option = param.param_type_name == "option"
    if is_option and param.is_flag and not param.secondary_opts:
        return ""
    if getattr(param, "show_default", None) is False:
        return ""
    value = param.default
    if value is None or value == () or value == [] or callable(value):
        return ""
    if isinstance(value, bool):
        if is_option and param.secondary_opts:
            return param.opts[0] if value else param.secondary_opts[0]
        return ""
    return f"`{value}`"


_TYPE_NAMES = {"str": "text", "Path": "path", "int": "integer", "float": "number", "bool": "flag"}


def _type_name(param: Any) -> str:
    """What an option's value is: text, path, integer, number or the choices of an enum."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    args = getattr(annotation, "__args__", None)
    if args and getattr(annotation, "__origin__", None) is list:
        annotation = args[0]
    members = getattr(annotation, "__members__", None)
    if members:
        return " | ".join(str(m.value) for m in members.values())
    name = getattr(annotation, "__name__", "value")
    return _TYPE_NAMES.get(name, name.lower())


def _param_line(param: Any) -> str:
    if param.param_type_name == "argument":
        name = f"`{(param.metavar or param.name or '').upper()}`"
        kind = "argument" + ("" if param.required else ", optional")
        help_text = _one_line(getattr(param, "help", None))
    elif param.param_type_name == "option":
        names = [*param.opts, *param.secondary_opts]
        name = " / ".join(f"`{n}`" for n in names)
        if param.is_flag:
            kind = "flag"
        else:
            kind = _type_name(param)
            if param.multiple:
                kind += ", repeatable"
        if param.required:
            kind += ", required"
        help_text = _one_line(param.help)
    else:  # another kind of parameter: named as click names it
        name, kind, help_text = f"`{param.name}`", "parameter", ""
    default = _default(param)
    line = f"- {name} ({kind}): {help_text}".rstrip()
    if default:
        line += f" Default: {default}."
    return line


def _section(words: tuple[str, ...], command: Command) -> str:
    ctx = _context(command, " ".join(words))
    level = "#" * min(len(words) + 1, 4)
    parts = [f"{level} `{' '.join(words)}`", "", "```", command.get_usage(ctx).strip(), "```", ""]
    help_text = (command.help or "").strip()
    if help_text:
        parts += [help_text, ""]
    if _is_group(command):
        subs = [n for n in command.list_commands(ctx) if not getattr(command.get_command(ctx, n), "hidden", True)]
        if subs:
            parts += ["Commands: " + ", ".join(f"`{' '.join((*words, n))}`" for n in subs) + ".", ""]
    params = [p for p in command.params if not getattr(p, "hidden", False)]
    params = [p for p in params if p.name not in ("install_completion", "show_completion")]
    if params:
        parts += [_param_line(p) for p in params]
        parts.append("")
    return "\n".join(parts)


def cli_reference(app: typer.Typer | None = None) -> str:
    """The Markdown text of ``docs/cli.md`` for ``app`` (default: the ``qualquant`` application).

    Parameters
    ----------
    app : typer.Typer, optional
        The application to document.

    Returns
    -------
    str
        The reference: a header, then one section per command, ending in one newline.
    """
    if app is None:
        from qualquant.pipelines.cli import app as qualquant_app

        app = qualquant_app
    root = typer.main.get_command(app)
    sections = [_HEADER] + [_section(words, command) for words, command in walk_commands(root)]
    return "\n".join(sections).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(cli_reference())
