"""The codebook: codes, facets, validation, and exports for coders and Label Studio.

A codebook is a TOML file::

    [codebook]
    title = "Social capital of temporary migrants"
    languages = ["en", "ru"]          # first = default language

    [[facets]]
    id = "capital_type"
    name = { en = "Type of social capital", ru = "Тип социального капитала" }

    [[codes]]
    id = "bonding"
    facet = "capital_type"
    name = { en = "Bonding", ru = "Связывающий капитал" }
    description = { en = "...", ru = "..." }
    inclusion = { en = "...", ru = "..." }
    exclusion = { en = "...", ru = "..." }
    examples = ["Мы с ребятами из Питера снимали одну квартиру на четверых."]
    color = "#1f77b4"                 # optional
    parent = "..."                    # optional: id of a parent code
    seed_words = ["друг", "земляк"]   # optional: lemmas for guided topic models

Text fields are either one string (a single-language codebook) or a table of
language -> text. Codes are read into frozen :class:`Code` records; the
:class:`Codebook` validates them (unique snake_case ids, known facets and
parents, no cycles in the parent chain) and every error names the code.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

from qualquant.coding.errors import CodebookError, UnknownCodeError
from qualquant.io import atomic_write, atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Code", "Codebook", "Facet", "check_code_ids", "read_codebook", "unknown_code_ids"]

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# A colour-blind-safe palette (Okabe & Ito 2008) extended with Tableau 10, used
# when a code has no colour of its own.
_PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#1F77B4",
    "#FF7F0E",
    "#2CA02C",
    "#D62728",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#7F7F7F",
    "#BCBD22",
    "#17BECF",
)
_TEXT_FIELDS = ("name", "description", "inclusion", "exclusion")
_CODE_KEYS = set(_TEXT_FIELDS) | {"id", "facet", "parent", "color", "examples", "seed_words"}


def _freeze_text(value: object, *, where: str, field_name: str, required: bool) -> Mapping[str, str]:
    """Turn a TOML text field (string or language table) into a read-only mapping."""
    if value is None:
        if required:
            raise CodebookError(f"{where}: `{field_name}` is missing.")
        return MappingProxyType({})
    if isinstance(value, str):
        return MappingProxyType({"": value.strip()})
    if isinstance(value, Mapping):
        out: dict[str, str] = {}
        for lang, text in value.items():
            if not isinstance(text, str):
                raise CodebookError(f"{where}: `{field_name}.{lang}` must be text, not {type(text).__name__}.")
            out[str(lang)] = text.strip()
        if required and not any(out.values()):
            raise CodebookError(f"{where}: `{field_name}` is empty.")
        return MappingProxyType(out)
    raise CodebookError(
        f"{where}: `{field_name}` must be text or a table of language = text, not {type(value).__name__}."
    )


def _pick(texts: Mapping[str, str], language: str | None, default_language: str) -> str:
    if not texts:
        return ""
    for lang in (language, default_language, ""):
        if lang is not None and texts.get(lang):
            return texts[lang]
    return next(iter(texts.values()))


@dataclass(frozen=True, slots=True)
class Facet:
    """A group of mutually comparable codes (one ``<Labels>`` group in Label Studio)."""

    id: str
    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    description: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def label(self, language: str | None = None, default_language: str = "en") -> str:
        """Facet name in ``language`` (falls back to the default language, then the id)."""
        return _pick(self.names, language, default_language) or self.id


@dataclass(frozen=True, slots=True)
class Code:
    """One code of the codebook.

    Attributes
    ----------
    id : str
        snake_case identifier; it is the label value stored in Label Studio.
    names, descriptions, inclusions, exclusions : mapping of language to text
        Per-language texts (key ``""`` for a single-language codebook).
    examples : tuple of str
        Short example quotes.
    parent : str or None
        Id of the parent code.
    facet : str
        Id of the facet the code belongs to.
    color : str
        ``#RRGGBB`` colour used in Label Studio.
    seed_words : tuple of str
        Lemmas that anchor the code in a guided (seeded) topic model.
    default_language : str
        Language used by :attr:`name`, :attr:`description`, ...
    """

    id: str
    facet: str
    names: Mapping[str, str]
    descriptions: Mapping[str, str]
    inclusions: Mapping[str, str]
    exclusions: Mapping[str, str]
    examples: tuple[str, ...] = ()
    parent: str | None = None
    color: str = "#7F7F7F"
    seed_words: tuple[str, ...] = ()
    default_language: str = "en"

    @property
    def name(self) -> str:
        """Name in the default language."""
        return _pick(self.names, None, self.default_language) or self.id

    @property
    def description(self) -> str:
        """Description in the default language."""
        return _pick(self.descriptions, None, self.default_language)

    @property
    def inclusion(self) -> str:
        """Inclusion criteria in the default language."""
        return _pick(self.inclusions, None, self.default_language)

    @property
    def exclusion(self) -> str:
        """Exclusion criteria in the default language."""
        return _pick(self.exclusions, None, self.default_language)

    @property
    def name_ru(self) -> str:
        """Russian name (empty when the codebook has none)."""
        return self.names.get("ru", "")

    @property
    def description_ru(self) -> str:
        """Russian description (empty when the codebook has none)."""
        return self.descriptions.get("ru", "")

    def text(self, field_name: str, language: str | None = None) -> str:
        """A text field (``name``, ``description``, ``inclusion``, ``exclusion``) in ``language``."""
        mapping = {
            "name": self.names,
            "description": self.descriptions,
            "inclusion": self.inclusions,
            "exclusion": self.exclusions,
        }[field_name]
        return _pick(mapping, language, self.default_language)


class Codebook:
    """A validated set of codes grouped in facets.

    Parameters
    ----------
    codes : iterable of Code
    facets : iterable of Facet, optional
        Facets in display order; facets used by codes but not declared are
        added in order of first use.
    title : str
    languages : sequence of str
        Languages of the text fields; the first is the default.
    source : str, optional
        Where the codebook was read from (used in error messages).

    Raises
    ------
    CodebookError
        Duplicate or malformed ids, unknown parent or facet, a parent cycle,
        bad colour; the message names the code.
    """

    def __init__(
        self,
        codes: list[Code] | tuple[Code, ...],
        *,
        facets: list[Facet] | tuple[Facet, ...] = (),
        title: str = "Codebook",
        languages: tuple[str, ...] | list[str] = ("en",),
        source: str | None = None,
    ) -> None:
        self.title = title
        self.languages = tuple(languages) or ("en",)
        self.source = source
        where = f"Codebook {source}" if source else "Codebook"
        codes = tuple(codes)
        if not codes:
            raise CodebookError(f"{where}: no codes defined. Add [[codes]] tables.")
        seen: dict[str, Code] = {}
        for code in codes:
            if not isinstance(code.id, str) or not _ID_RE.match(code.id):
                raise CodebookError(
                    f"{where}: code id {code.id!r} is not snake_case (lower-case letters, digits, "
                    "underscores, starting with a letter)."
                )
            if code.id in seen:
                raise CodebookError(f"{where}: code id {code.id!r} is defined twice.")
            if not _COLOR_RE.match(code.color):
                raise CodebookError(f"{where}: code {code.id!r}: colour {code.color!r} is not #RRGGBB.")
            seen[code.id] = code
        facet_list: list[Facet] = []
        facet_ids: set[str] = set()
        for facet in facets:
            if not _ID_RE.match(facet.id):
                raise CodebookError(f"{where}: facet id {facet.id!r} is not snake_case.")
            if facet.id in facet_ids:
                raise CodebookError(f"{where}: facet {facet.id!r} is defined twice.")
            if facet.id in seen:
                raise CodebookError(f"{where}: facet {facet.id!r} has the same id as a code; ids must differ.")
            facet_ids.add(facet.id)
            facet_list.append(facet)
        declared = bool(facet_list)
        for code in codes:
            if code.facet not in facet_ids:
                if declared:
                    raise CodebookError(
                        f"{where}: code {code.id!r} uses facet {code.facet!r}, which is not declared "
                        f"in [[facets]] (declared: {', '.join(sorted(facet_ids))})."
                    )
                if not _ID_RE.match(code.facet):
                    raise CodebookError(f"{where}: code {code.id!r}: facet {code.facet!r} is not snake_case.")
                facet_ids.add(code.facet)
                facet_list.append(Facet(id=code.facet))
        for code in codes:
            if code.parent is None:
                continue
            if code.parent not in seen:
                raise CodebookError(f"{where}: code {code.id!r} has unknown parent {code.parent!r}.")
            chain = [code.id]
            current: str | None = code.parent
            while current is not None:
                if current in chain:
                    cycle = " -> ".join([*chain, current])
                    raise CodebookError(f"{where}: code {code.id!r} is in a parent cycle: {cycle}.")
                chain.append(current)
                current = seen[current].parent
        self._codes = codes
        self._by_id = MappingProxyType(dict(seen))
        self._facets = tuple(facet_list)

    # ------------------------------------------------------------- reading
    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Codebook:
        """Read and validate a TOML codebook (see the module docstring for the format)."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CodebookError(f"Cannot read codebook {path}: {exc.strerror or exc}.") from None
        try:
            data = tomllib.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise CodebookError(f"Codebook {path} is not UTF-8 text. Save it as UTF-8.") from None
        except tomllib.TOMLDecodeError as exc:
            raise CodebookError(f"Codebook {path} is not valid TOML: {exc}.") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, source: str | None = None) -> Codebook:
        """Build a codebook from parsed TOML (a mapping with ``codebook``, ``facets``, ``codes``)."""
        where = f"Codebook {source}" if source else "Codebook"
        meta = data.get("codebook", {}) or {}
        if not isinstance(meta, Mapping):
            raise CodebookError(f"{where}: [codebook] must be a table.")
        languages = meta.get("languages", ["en"])
        if isinstance(languages, str):
            languages = [languages]
        if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages) or not languages:
            raise CodebookError(f'{where}: codebook.languages must be a list of language codes like ["en", "ru"].')
        default_language = languages[0]
        title = meta.get("title", "Codebook")
        if not isinstance(title, str):
            raise CodebookError(f"{where}: codebook.title must be text.")

        facets: list[Facet] = []
        raw_facets = data.get("facets", [])
        if not isinstance(raw_facets, list):
            raise CodebookError(f"{where}: `facets` must be an array of tables ([[facets]]).")
        for i, item in enumerate(raw_facets, start=1):
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
                raise CodebookError(f"{where}: facet #{i} needs an `id`.")
            fwhere = f"{where}: facet {item['id']!r}"
            facets.append(
                Facet(
                    id=item["id"],
                    names=_freeze_text(item.get("name"), where=fwhere, field_name="name", required=False),
                    description=_freeze_text(
                        item.get("description"), where=fwhere, field_name="description", required=False
                    ),
                )
            )

        raw_codes = data.get("codes")
        if not isinstance(raw_codes, list) or not raw_codes:
            raise CodebookError(f"{where}: no codes defined. Add [[codes]] tables with id, facet, name, description.")
        codes: list[Code] = []
        for i, item in enumerate(raw_codes, start=1):
            if not isinstance(item, Mapping):
                raise CodebookError(f"{where}: code #{i} is not a table.")
            code_id = item.get("id")
            if not isinstance(code_id, str) or not code_id:
                raise CodebookError(f"{where}: code #{i} has no `id`.")
            cwhere = f"{where}: code {code_id!r}"
            unknown = sorted(set(item) - _CODE_KEYS)
            if unknown:
                raise CodebookError(
                    f"{cwhere}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_CODE_KEYS))}."
                )
            facet = item.get("facet")
            if not isinstance(facet, str) or not facet:
                raise CodebookError(f"{cwhere}: `facet` is missing.")
            parent = item.get("parent")
            if parent is not None and not isinstance(parent, str):
                raise CodebookError(f"{cwhere}: `parent` must be a code id.")
            examples = item.get("examples", [])
            if isinstance(examples, str):
                examples = [examples]
            if not isinstance(examples, list) or not all(isinstance(x, str) for x in examples):
                raise CodebookError(f"{cwhere}: `examples` must be a list of quotes.")
            seeds = item.get("seed_words", [])
            if not isinstance(seeds, list) or not all(isinstance(x, str) and x.strip() for x in seeds):
                raise CodebookError(f"{cwhere}: `seed_words` must be a list of words.")
            color = item.get("color") or _PALETTE[(i - 1) % len(_PALETTE)]
            if not isinstance(color, str):
                raise CodebookError(f'{cwhere}: `color` must be text like "#1F77B4".')
            codes.append(
                Code(
                    id=code_id,
                    facet=facet,
                    names=_freeze_text(item.get("name"), where=cwhere, field_name="name", required=True),
                    descriptions=_freeze_text(
                        item.get("description"), where=cwhere, field_name="description", required=True
                    ),
                    inclusions=_freeze_text(
                        item.get("inclusion"), where=cwhere, field_name="inclusion", required=False
                    ),
                    exclusions=_freeze_text(
                        item.get("exclusion"), where=cwhere, field_name="exclusion", required=False
                    ),
                    examples=tuple(x.strip() for x in examples),
                    parent=parent,
                    color=color,
                    seed_words=tuple(x.strip() for x in seeds),
                    default_language=default_language,
                )
            )
        return cls(codes, facets=facets, title=title, languages=languages, source=source)

    # ------------------------------------------------------------- access
    @property
    def codes(self) -> tuple[Code, ...]:
        """Codes in file order."""
        return self._codes

    @property
    def facets(self) -> tuple[Facet, ...]:
        """Facets in display order."""
        return self._facets

    @property
    def code_ids(self) -> tuple[str, ...]:
        """Code ids in file order."""
        return tuple(code.id for code in self._codes)

    @property
    def seed_words(self) -> dict[str, tuple[str, ...]]:
        """Seed lemmas per code id (only codes that have some)."""
        return {code.id: code.seed_words for code in self._codes if code.seed_words}

    @property
    def default_language(self) -> str:
        """The first language of the codebook."""
        return self.languages[0]

    def codes_in(self, facet: str) -> tuple[Code, ...]:
        """Codes of one facet, in file order."""
        return tuple(code for code in self._codes if code.facet == facet)

    def facet_of(self, code_id: str) -> str:
        """The facet id of a code."""
        return self[code_id].facet

    def children(self, code_id: str) -> tuple[Code, ...]:
        """Direct children of a code."""
        return tuple(code for code in self._codes if code.parent == code_id)

    def __getitem__(self, code_id: str) -> Code:
        try:
            return self._by_id[code_id]
        except KeyError:
            raise CodebookError(f"Code {code_id!r} is not in the codebook.") from None

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._by_id

    def __iter__(self) -> Iterator[Code]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def __repr__(self) -> str:
        return f"Codebook({self.title!r}, {len(self._codes)} codes in {len(self._facets)} facets)"

    # ------------------------------------------------------------- exports
    def to_frame(self, language: str | None = None) -> pd.DataFrame:
        """One row per code: id, facet, parent, name, description, inclusion, exclusion, examples, color, seed_words.

        With a bilingual codebook and ``language=None`` every text column is
        given per language (``name_en``, ``name_ru``, ...).
        """
        import pandas as pd

        languages = [language] if language else list(self.languages)
        rows = []
        for code in self._codes:
            row: dict[str, object] = {"id": code.id, "facet": code.facet, "parent": code.parent or ""}
            for fname in _TEXT_FIELDS:
                if len(languages) == 1:
                    row[fname] = code.text(fname, languages[0])
                else:
                    for lang in languages:
                        row[f"{fname}_{lang}"] = code.text(fname, lang)
            row["examples"] = " | ".join(code.examples)
            row["color"] = code.color
            row["seed_words"] = ", ".join(code.seed_words)
            rows.append(row)
        return pd.DataFrame(rows)

    def to_labelstudio_config(self, *, language: str | None = None, context: bool = True) -> str:
        """Label Studio labeling config (XML) for span coding with this codebook.

        Design: one ``<Text name="text" value="$text">`` object (the interview
        or turn, with ``granularity="symbol"`` so spans are exact characters)
        and one ``<Labels>`` control per facet, each with every code of that
        facet as a ``<Label value="code_id">``. All groups point at the same
        text, so a coder can select one span and apply codes from several
        facets to it (Label Studio stores one ``labels`` result per group and
        selection); codes of the same facet may also be combined
        (``choice="multiple"``). Label values are the code ids, so exports are
        stable when names or translations change; the human-readable name and
        the description are shown as the label's ``hint`` (on hover) and the
        facet name as the header of each group.
        For segment tasks a read-only ``<Text name="context" value="$context">``
        block shows the interviewer's preceding question above the turn (it
        is empty for transcript tasks and is not annotatable).

        Parameters
        ----------
        language : str, optional
            Language of headers and hints (default: the codebook's first).
        context : bool
            Include the context block for segment tasks.

        Returns
        -------
        str
            The XML config.
        """
        language = language or self.default_language
        lines = ["<View>"]
        lines.append("  <Style>.qq-context { color: #555; font-style: italic; }</Style>")
        if context:
            lines.append('  <View className="qq-context">')
            lines.append('    <Text name="context" value="$context" granularity="word"/>')
            lines.append("  </View>")
        for facet in self._facets:
            codes = self.codes_in(facet.id)
            if not codes:
                continue
            lines.append(f'  <Header value={quoteattr(facet.label(language, self.default_language))} size="5"/>')
            lines.append(f'  <Labels name={quoteattr(facet.id)} toName="text" choice="multiple" showInline="true">')
            for code in codes:
                hint = code.text("description", language)
                label = code.text("name", language) or code.id
                lines.append(
                    f"    <Label value={quoteattr(code.id)} background={quoteattr(code.color)}"
                    f" hint={quoteattr(label + (': ' + hint if hint else ''))}/>"
                )
            lines.append("  </Labels>")
        lines.append('  <Text name="text" value="$text" granularity="symbol"/>')
        lines.append("</View>")
        return "\n".join(lines) + "\n"

    def to_markdown(self, *, language: str | None = None) -> str:
        """The coders' manual as Markdown: facets, then each code with all its texts.

        With ``language=None`` every language of the codebook is shown.
        """
        languages = [language] if language else list(self.languages)
        out = [f"# {self.title}", ""]
        for facet in self._facets:
            names = " / ".join(facet.label(lang, self.default_language) for lang in languages)
            out += [f"## {names} (`{facet.id}`)", ""]
            for code in self.codes_in(facet.id):
                title = " / ".join(dict.fromkeys(code.text("name", lang) or code.id for lang in languages))
                out += [f"### {title} (`{code.id}`)", ""]
                if code.parent:
                    out += [f"Parent: `{code.parent}`", ""]
                for fname, heading in (
                    ("description", "Description"),
                    ("inclusion", "Include when"),
                    ("exclusion", "Exclude when"),
                ):
                    for lang in languages:
                        text = code.text(fname, lang)
                        if text:
                            tag = f" ({lang})" if lang and len(languages) > 1 else ""
                            out += [f"**{heading}{tag}:** {text}", ""]
                if code.examples:
                    out.append("**Examples:**")
                    out += [f"> {example}" for example in code.examples]
                    out.append("")
                if code.seed_words:
                    out += ["**Seed words:** " + ", ".join(code.seed_words), ""]
        return "\n".join(out).rstrip() + "\n"

    def write_markdown(self, path: str | os.PathLike[str], *, language: str | None = None) -> Path:
        """Write :meth:`to_markdown` atomically (UTF-8)."""
        return atomic_write_text(path, self.to_markdown(language=language))

    def write_xlsx(self, path: str | os.PathLike[str], *, language: str | None = None) -> Path:
        """Write the codebook as an Excel workbook (one sheet ``codes``, one ``facets``), atomically."""
        import pandas as pd

        path = Path(path)
        codes = self.to_frame(language)
        facet_rows = []
        for facet in self._facets:
            row: dict[str, object] = {"id": facet.id}
            for lang in [language] if language else self.languages:
                row[f"name_{lang}"] = facet.label(lang, self.default_language)
            row["n_codes"] = len(self.codes_in(facet.id))
            facet_rows.append(row)

        def write(tmp: Path) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                _safe_cells(codes).to_excel(writer, sheet_name="codes", index=False)
                _safe_cells(pd.DataFrame(facet_rows)).to_excel(writer, sheet_name="facets", index=False)

        return atomic_write(path, write)


def _safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Neutralise spreadsheet formulas in text cells (leading = + - @)."""
    return df.map(lambda v: "'" + v if isinstance(v, str) and v[:1] in "=+-@" else v)


def read_codebook(path: str | os.PathLike[str]) -> Codebook:
    """Read and validate a TOML codebook; same as :meth:`Codebook.read`.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        Unreadable file, bad TOML, or an invalid code (the message names it).

    Examples
    --------
    >>> from pathlib import Path
    >>> from qualquant import pipelines
    >>> cb = read_codebook(Path(pipelines.__file__).parent / "demo_data" / "codebook.toml")
    >>> [f.id for f in cb.facets][:2]
    ['capital_type', 'form']
    """
    return Codebook.read(path)


def unknown_code_ids(ids: Iterable[str], codebook: Codebook | Iterable[str], *, where: str) -> list[str]:
    """One message for each id in ``ids`` that is not a code of ``codebook`` (empty when all are known).

    Parameters
    ----------
    ids : iterable of str
        Code ids named by a study, a filter or a command line.
    codebook : Codebook or iterable of str
        The codebook, or the known code ids (e.g. those of a codings table).
    where : str
        What names the ids, with the file and line when there is one, e.g.
        ``"study.toml, line 40: [[constructs]] #1 (local_ties) codes"``.

    Returns
    -------
    list of str
        ``"<where> names 'bridgng', which is not a code of codebook.toml; did
        you mean 'bridging'?"``, one per unknown id (each id once), with the
        closest known ids (:func:`difflib.get_close_matches`) or, when none is
        close, the known ids.
    """
    if isinstance(codebook, Codebook):
        known = list(codebook.code_ids)
        source = "a code of " + (f"the codebook {Path(codebook.source).name}" if codebook.source else "the codebook")
    else:
        known = sorted({str(c) for c in codebook})
        source = "among the codes of the codings table"
    known_set = set(known)
    out: list[str] = []
    for code_id in dict.fromkeys(ids):
        if code_id in known_set:
            continue
        close = difflib.get_close_matches(str(code_id), known, n=3, cutoff=0.6)
        if close:
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?"
        else:
            shown = ", ".join(known[:12]) + (f", ... ({len(known)} in all)" if len(known) > 12 else "")
            hint = f"; no similar code (codes: {shown or 'none'})."
        out.append(f"{where} names {code_id!r}, which is not {source}{hint}")
    return out


def check_code_ids(ids: Iterable[str], codebook: Codebook | Iterable[str], *, where: str) -> None:
    """Raise when any of ``ids`` is not a code of ``codebook`` (see :func:`unknown_code_ids`).

    A misspelt code id would otherwise select nothing, and a construct or a
    filter built on it would report silence that is not in the data.

    Raises
    ------
    UnknownCodeError
        Every unknown id, with ``where``, the codebook file and the closest ids.

    Examples
    --------
    >>> cb = Codebook([Code("bridging", "capital", {"": "Bridging"}, {"": "Ties across groups."}, {}, {})])
    >>> check_code_ids(["bridging"], cb, where="--code")
    >>> check_code_ids(["bridgng"], cb, where="--code")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qualquant.coding.errors.UnknownCodeError: --code names 'bridgng', ... did you mean 'bridging'? Fix the id ...
    """
    problems = unknown_code_ids(ids, codebook, where=where)
    if problems:
        raise UnknownCodeError(" | ".join(problems) + " Fix the id or add the code to the codebook.")
