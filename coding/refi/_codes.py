"""REFI-QDA codes and sets, and their translation to and from a qualquant :class:`Codebook`.

REFI-QDA codes are identified by GUIDs and carry a free-text ``name``;
qualquant codes are identified by snake_case ids grouped in facets. The
translation is:

- **id**: the name made ASCII (accents removed, Cyrillic transliterated),
  lower-cased, non-alphanumerics turned into ``_``; a name that is already
  taken gets the parent's id as prefix (``parent_child``), then ``_2``, ``_3``.
  Names that give no letters become ``code_<n>``.
- **parent**: the enclosing ``<Code>`` element.
- **facet**: when every code belongs to exactly one ``<Set>`` of codes, the
  sets are the facets (this is how qualquant writes facets). Otherwise a
  top-level code that has children is a facet for itself and all its
  descendants (id ``<root id>_group``), and the remaining top-level codes
  without children share the facet ``codes``.
- **colour**: ``#RGB`` is expanded to ``#RRGGBB``; no colour gives grey ``#7F7F7F``.
- **description**: the ``<Description>`` text (empty when absent).

Ids through other programs: qualquant ends each code description it writes
with a line ``(qualquant id: <id>)`` and each facet set description with
``(qualquant facet: <id>)``. Programs keep descriptions, so ids and facets
survive a trip through NVivo or ATLAS.ti (and a ``.qdc``); on reading, the
line is removed from the description and its id used (when unique).

Besides, qualquant writes its own codebook verbatim next to the project
(``qualquant.json`` inside the ``.qdpx``; other programs ignore it), so a
project that goes qualquant -> qdpx -> qualquant keeps ids, facets,
translations, criteria, examples and seed words exactly.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from qualquant.coding.codebook import Code, Codebook, Facet

__all__ = [
    "QUALQUANT_NAMESPACE",
    "RefiCode",
    "RefiSet",
    "codebook_from_refi",
    "codebook_to_toml",
    "stable_guid",
]

#: Namespace of the deterministic (uuid5) GUIDs qualquant writes, so reruns give identical files.
QUALQUANT_NAMESPACE = uuid.UUID("6f1d3c2a-6b1e-5c4f-9a53-7175616c7175")

_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
    "ә": "a",
    "ғ": "g",
    "қ": "q",
    "ң": "n",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "ß": "ss",
    "æ": "ae",
    "ø": "o",
    "œ": "oe",
    "ł": "l",
    "đ": "d",
    "þ": "th",
}


def stable_guid(*parts: object) -> str:
    """A deterministic GUID for the given parts (upper-case, as REFI tools write them)."""
    return str(uuid.uuid5(QUALQUANT_NAMESPACE, "\x1f".join(str(p) for p in parts))).upper()


def slug(text: str) -> str:
    """An ASCII snake_case form of ``text`` ('' when nothing is left)."""
    out = []
    for ch in unicodedata.normalize("NFKD", text.lower()):
        if unicodedata.combining(ch):
            continue
        ch = _TRANSLIT.get(ch, ch)
        out.append(ch if ch.isascii() and ch.isalnum() else "_")
    value = re.sub(r"_+", "_", "".join(out)).strip("_")
    return value


@dataclass(frozen=True, slots=True)
class RefiCode:
    """One ``<Code>`` of a REFI-QDA project or codebook.

    Attributes
    ----------
    guid : str
    name : str
    id : str
        The qualquant code id it was given (see the module docstring).
    color : str
        ``#RRGGBB``.
    description : str
    parent_guid : str or None
    is_codable : bool
    """

    guid: str
    name: str
    id: str
    color: str
    description: str = ""
    parent_guid: str | None = None
    is_codable: bool = True


@dataclass(frozen=True, slots=True)
class RefiSet:
    """One ``<Set>``: a named group of codes and/or sources.

    Attributes
    ----------
    guid, name, description : str
    code_guids : tuple of str
        Member codes.
    source_guids : tuple of str
        Member sources (projects only).
    """

    guid: str
    name: str
    description: str = ""
    code_guids: tuple[str, ...] = ()
    source_guids: tuple[str, ...] = ()


def _color(value: str | None) -> str:
    if not value:
        return "#7F7F7F"
    value = value.strip()
    if re.fullmatch(r"#[0-9A-Fa-f]{3}", value):
        return "#" + "".join(c * 2 for c in value[1:]).upper()
    if re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        return value.upper()
    return "#7F7F7F"


_ID_MARK = re.compile(r"\s*\(qualquant (id|facet): ([a-z][a-z0-9_]*)\)\s*$")


def id_mark(kind: str, value: str) -> str:
    """The line qualquant appends to a description to keep a code id (or facet id) through other tools."""
    return f"(qualquant {kind}: {value})"


def split_mark(description: str, kind: str) -> tuple[str, str | None]:
    """Remove a trailing ``(qualquant id: ...)`` line; return (description, id or None)."""
    match = _ID_MARK.search(description or "")
    if match and match.group(1) == kind:
        return description[: match.start()].rstrip(), match.group(2)
    return description, None


def assign_ids(raw: list[tuple[str, str, str | None]], hints: dict[str, str] | None = None) -> dict[str, str]:
    """GUID -> code id for ``(guid, name, parent_guid)`` in document order (parents first).

    ``hints`` (GUID -> id, from ``(qualquant id: ...)`` marks) are used first when unique.
    """
    ids: dict[str, str] = {}
    hints = dict(hints or {})
    counts: dict[str, int] = {}
    for value in hints.values():
        counts[value] = counts.get(value, 0) + 1
    hints = {g: v for g, v in hints.items() if counts[v] == 1}
    taken: set[str] = set(hints.values())
    for n, (guid, name, parent) in enumerate(raw, start=1):
        if guid in hints:
            ids[guid] = hints[guid]
            continue
        base = slug(name)
        if not base or not base[0].isalpha():
            base = f"code_{base}" if base else f"code_{n}"
        candidate = base
        if candidate in taken and parent in ids:
            candidate = f"{ids[parent]}_{base}"
        k = 2
        root = candidate
        while candidate in taken:
            candidate = f"{root}_{k}"
            k += 1
        ids[guid] = candidate
        taken.add(candidate)
    return ids


def make_codes(raw: list[dict]) -> tuple[RefiCode, ...]:
    """RefiCode records from parsed ``<Code>`` dicts (guid, name, color, description, parent, codable)."""
    hints: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    for r in raw:
        descriptions[r["guid"]], hint = split_mark(r.get("description") or "", "id")
        if hint:
            hints[r["guid"]] = hint
    ids = assign_ids([(r["guid"], r["name"], r["parent"]) for r in raw], hints)
    return tuple(
        RefiCode(
            guid=r["guid"],
            name=r["name"],
            id=ids[r["guid"]],
            color=_color(r.get("color")),
            description=descriptions[r["guid"]],
            parent_guid=r["parent"],
            is_codable=r.get("codable", True),
        )
        for r in raw
    )


def _unique(base: str, taken: set[str]) -> str:
    base = base if base and base[0].isalpha() else f"facet_{base}".rstrip("_")
    candidate, k = base, 2
    while candidate in taken:
        candidate = f"{base}_{k}"
        k += 1
    taken.add(candidate)
    return candidate


def codebook_from_refi(
    codes: tuple[RefiCode, ...],
    sets: Iterable[RefiSet] = (),
    *,
    title: str = "Codebook",
    source: str | None = None,
) -> Codebook | None:
    """Build a qualquant :class:`Codebook` from REFI codes and sets (None when there are no codes)."""
    if not codes:
        return None
    by_guid = {c.guid: c for c in codes}
    code_ids = {c.id for c in codes}
    taken = set(code_ids)
    facet_of: dict[str, str] = {}
    facets: list[Facet] = []
    code_sets = [s for s in sets if s.code_guids]
    membership: dict[str, list[RefiSet]] = {}
    for s in code_sets:
        for g in dict.fromkeys(s.code_guids):
            if g in by_guid:
                membership.setdefault(g, []).append(s)
    if code_sets and all(len(membership.get(c.guid, ())) == 1 for c in codes):
        for s in code_sets:
            description, hint = split_mark(s.description, "facet")
            fid = _unique(hint if hint and hint not in taken else (slug(s.name) or "facet"), taken)
            facets.append(
                Facet(
                    id=fid,
                    names=MappingProxyType({"": s.name}),
                    description=MappingProxyType({"": description} if description else {}),
                )
            )
            for g in s.code_guids:
                if g in by_guid:
                    facet_of[g] = fid
    else:

        def root(code: RefiCode) -> RefiCode:
            seen = set()
            while code.parent_guid in by_guid and code.guid not in seen:
                seen.add(code.guid)
                code = by_guid[code.parent_guid]
            return code

        has_children = {c.parent_guid for c in codes if c.parent_guid}
        root_facet: dict[str, str] = {}
        for code in codes:
            top = root(code)
            if top.guid in has_children:
                if top.guid not in root_facet:
                    root_facet[top.guid] = _unique(f"{top.id}_group", taken)
                    facets.append(Facet(id=root_facet[top.guid], names=MappingProxyType({"": top.name})))
                facet_of[code.guid] = root_facet[top.guid]
            else:
                if "codes" not in root_facet:
                    root_facet["codes"] = _unique("codes", taken)
                    facets.append(Facet(id=root_facet["codes"], names=MappingProxyType({"": "Codes"})))
                facet_of[code.guid] = root_facet["codes"]
    records = [
        Code(
            id=c.id,
            facet=facet_of[c.guid],
            names=MappingProxyType({"": c.name}),
            descriptions=MappingProxyType({"": c.description} if c.description else {}),
            inclusions=MappingProxyType({}),
            exclusions=MappingProxyType({}),
            parent=by_guid[c.parent_guid].id if c.parent_guid in by_guid else None,
            color=c.color,
        )
        for c in codes
    ]
    # Facets in order of first use, so the Label Studio groups follow the code list.
    order = list(dict.fromkeys(facet_of[c.guid] for c in codes))
    facets.sort(key=lambda f: order.index(f.id) if f.id in order else len(order))
    facets = [f for f in facets if f.id in order]
    return Codebook(records, facets=facets, title=title, languages=("en",), source=source)


# ------------------------------------------------------------------ TOML out


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_text(texts: Mapping[str, str]) -> str | None:
    items = {k: v for k, v in texts.items() if v}
    if not items:
        return None
    if set(items) == {""}:
        return _toml_str(items[""])
    return "{ " + ", ".join(f"{_toml_key(k or 'und')} = {_toml_str(v)}" for k, v in items.items()) + " }"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_str(key)


def codebook_to_toml(codebook: Codebook, *, missing_description: str | None = None) -> str:
    """The codebook as TOML text that :func:`qualquant.coding.read_codebook` reads back to the same codes.

    Parameters
    ----------
    codebook : Codebook
    missing_description : str, optional
        The TOML format requires a description for every code. A code without
        one (common in REFI-QDA files) gets this text with ``{name}``
        replaced by the code name; by default ``"{name} (no description in
        the source file)"``.

    Returns
    -------
    str
    """
    template = missing_description or "{name} (no description in the source file)"
    lines = [
        "[codebook]",
        f"title = {_toml_str(codebook.title)}",
        "languages = [" + ", ".join(_toml_str(x) for x in codebook.languages) + "]",
        "",
    ]
    for facet in codebook.facets:
        lines.append("[[facets]]")
        lines.append(f"id = {_toml_str(facet.id)}")
        for key, texts in (("name", facet.names), ("description", facet.description)):
            value = _toml_text(texts)
            if value is not None:
                lines.append(f"{key} = {value}")
        lines.append("")
    for code in codebook.codes:
        lines.append("[[codes]]")
        lines.append(f"id = {_toml_str(code.id)}")
        lines.append(f"facet = {_toml_str(code.facet)}")
        if code.parent:
            lines.append(f"parent = {_toml_str(code.parent)}")
        name = _toml_text(code.names) or _toml_str(code.id)
        lines.append(f"name = {name}")
        description = _toml_text(code.descriptions)
        if description is None:
            description = _toml_str(template.format(name=code.name))
        lines.append(f"description = {description}")
        for key, texts in (("inclusion", code.inclusions), ("exclusion", code.exclusions)):
            value = _toml_text(texts)
            if value is not None:
                lines.append(f"{key} = {value}")
        if code.examples:
            lines.append("examples = [" + ", ".join(_toml_str(x) for x in code.examples) + "]")
        lines.append(f"color = {_toml_str(code.color)}")
        if code.seed_words:
            lines.append("seed_words = [" + ", ".join(_toml_str(x) for x in code.seed_words) + "]")
        lines.append("")
    return "\n".join(lines)
