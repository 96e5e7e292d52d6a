"""One pseudonymous label per coder: the study's coder file (``[coding] coders``, default ``coders.csv``).

Each codings source names its coders its own way: a Label Studio export by
e-mail, by the name in ``<export>.users.json`` or as ``user_<id>``, a REFI-QDA
project by its user name, a codings table by its ``coder`` value. The coder
file maps each of those names (``source_id``) to the label used in every table,
agreement output and the report (``label``)::

    source_id,label
    anna@example.org,coder_1
    user_7,coder_2

The codings stage creates the file when it is missing and appends every person
it has not seen before with the next free ``coder_<n>``, in a fixed order;
existing rows are never changed, so labels stay the same across reruns. The
researcher may edit the labels, and may give two source ids the same label (the
same person in two sources: agreement then counts them as one coder). A label
may not be an e-mail address nor ``consensus``, and a source id may be listed
only once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from qualquant.io import atomic_write_text
from qualquant.pipelines.errors import StudyConfigError

__all__ = ["CODER_COLUMNS", "apply_coder_labels", "coder_ids", "read_coders", "reading_labels", "update_coders"]

#: The columns of the coder file.
CODER_COLUMNS = ("source_id", "label")

_RESERVED = {"consensus", "unknown"}
_NUMBERED = re.compile(r"coder_(\d+)")

#: The temporary label of a coder the coder file does not list, in a command that only reads.
UNLABELLED = "unlabelled"


def _natural(value: str) -> tuple[object, ...]:
    """Sort key: text with its numbers compared as numbers (``user_2`` before ``user_10``)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", value.casefold()))


def read_coders(path: Path, *, name: str | None = None) -> dict[str, str]:
    """Read a coder file: source id -> label, in the order of the file ({} when it does not exist).

    Raises
    ------
    StudyConfigError
        A missing column, an empty cell, a source id listed twice, or a label that
        is an e-mail address or a reserved name; the message names the file and line.
    """
    where = name or str(path)
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyConfigError(f"{where}: cannot read the coder file ({exc}); save it as UTF-8 CSV.") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip() for c in rows[0]][:2] != list(CODER_COLUMNS):
        found = ",".join(rows[0]) if rows else "nothing"
        raise StudyConfigError(
            f"{where} line 1: the header must be 'source_id,label' (found {found!r}); "
            "fix the header, or delete the file and rerun `qualquant run` to create it again."
        )
    mapping: dict[str, str] = {}
    seen_at: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        if len(cells) < 2 or any(cell for cell in cells[2:]):
            raise StudyConfigError(
                f"{where} line {line}: expected two cells, source_id and label (found {len(cells)}); fix the row."
            )
        source_id, label = cells[0], cells[1]
        if not source_id or not label:
            missing = "source_id" if not source_id else "label"
            raise StudyConfigError(f"{where} line {line}: the {missing} is empty; fill it in or delete the row.")
        if "@" in label:
            raise StudyConfigError(
                f"{where} line {line}: the label {label!r} looks like an e-mail address; labels appear in every "
                "table and the report, so give a pseudonym such as coder_1."
            )
        if label.casefold() in _RESERVED:
            raise StudyConfigError(
                f"{where} line {line}: the label {label!r} is reserved (consensus codings, unknown annotators); "
                "choose another label."
            )
        if source_id in mapping:
            raise StudyConfigError(
                f"{where} line {line}: the source_id {source_id!r} is listed twice (first on line "
                f"{seen_at[source_id]}); keep one row per source_id (give two source ids the same label to "
                "treat them as one coder)."
            )
        mapping[source_id] = label
        seen_at[source_id] = line
    return mapping


def _to_csv(mapping: dict[str, str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CODER_COLUMNS)
    writer.writerows(mapping.items())
    return buf.getvalue()


def update_coders(path: Path, people: Iterable[str], *, name: str | None = None) -> tuple[dict[str, str], list[str]]:
    """The coder file's mapping extended with ``people`` it lacks; the file is (re)written only when it grows.

    New source ids are added in natural sort order, each with the next ``coder_<n>``
    above every numbered label in use. Returns (source id -> label, the new source ids).
    """
    mapping = read_coders(path, name=name)
    new = sorted({p for p in people if p and p not in mapping}, key=_natural)
    if not new and path.exists():
        return mapping, []
    used = set(mapping.values())
    n = max((int(m.group(1)) for v in used if (m := _NUMBERED.fullmatch(v))), default=0)
    for person in new:
        n += 1
        while f"coder_{n}" in used:
            n += 1
        mapping[person] = f"coder_{n}"
        used.add(mapping[person])
    atomic_write_text(path, _to_csv(mapping))
    return mapping, new


def reading_labels(mapping: dict[str, str], people: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """The coder file's ``mapping`` for a command that only reads the study: nothing is written.

    Each person of ``people`` the file does not list (and who is not already named
    by a label of the file) gets a neutral temporary label, ``unlabelled_1``,
    ``unlabelled_2``, ... in natural sort order, never their own name. Returns
    (source id -> label with the temporary labels added, the unlisted source ids).
    """
    labels = set(mapping.values())
    missing = sorted({p for p in people if p and p not in mapping and p not in labels}, key=_natural)
    extended = dict(mapping)
    n = 0
    for person in missing:
        n += 1
        while f"{UNLABELLED}_{n}" in labels:
            n += 1
        extended[person] = f"{UNLABELLED}_{n}"
    return extended, missing


def _replace_names(text: object, pattern: re.Pattern[str] | None, mapping: dict[str, str]) -> object:
    if pattern is None or not isinstance(text, str):
        return text
    return pattern.sub(lambda m: mapping[m.group(0)], text)


def apply_coder_labels(
    codings: pd.DataFrame, issues: pd.DataFrame, mapping: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace source ids by their labels: the human codings' ``coder``, the issues' ``coder`` and ``detail``."""
    codings = codings.copy()
    if len(codings):
        human = codings["source"] == "human"
        codings.loc[human, "coder"] = codings.loc[human, "coder"].map(lambda c: mapping.get(c, c))
    issues = issues.copy()
    ids = sorted((k for k, v in mapping.items() if k != v), key=len, reverse=True)
    pattern = (
        re.compile(r"(?<![\w.@+-])(?:" + "|".join(re.escape(i) for i in ids) + r")(?![\w@-]|\.\w)") if ids else None
    )
    if len(issues) and "coder" in issues.columns:
        issues["coder"] = issues["coder"].map(lambda c: mapping.get(c, c) if isinstance(c, str) else c)
    if len(issues) and "detail" in issues.columns:
        issues["detail"] = issues["detail"].map(lambda d: _replace_names(d, pattern, mapping))
    return codings, issues


def coder_ids(codings: pd.DataFrame, issues: pd.DataFrame) -> list[str]:
    """The people named in ``codings`` (human rows) and ``issues`` (not predictions, not unknown annotators)."""
    if len(codings):
        human = set(codings.loc[codings["source"] == "human", "coder"].dropna().astype(str))
        machine = set(codings.loc[codings["source"] != "human", "coder"].dropna().astype(str))
    else:
        human, machine = set(), set()
    found = set(issues["coder"].dropna().astype(str)) if len(issues) and "coder" in issues.columns else set()
    return sorted((human | (found - machine)) - _RESERVED - {"prediction", ""}, key=_natural)
