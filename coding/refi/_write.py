"""Write REFI-QDA projects (``.qdpx``) and codebooks (``.qdc``), validated against the QDA-XML 1.0 schemas.

See :mod:`qualquant.coding.refi` for the public functions and the format notes.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from lxml import etree

from qualquant.coding.codebook import Code, Codebook
from qualquant.coding.codings import CODINGS_COLUMNS
from qualquant.coding.errors import RefiError
from qualquant.coding.refi._codes import codebook_to_toml, id_mark, stable_guid
from qualquant.coding.refi._read import SIDECAR_NAME
from qualquant.coding.refi._schema import CODEBOOK_NAMESPACE, PROJECT_NAMESPACE, schema_text
from qualquant.coding.refi._text import OFFSET_UNITS, utf16_offset
from qualquant.io import atomic_write, atomic_write_bytes

if TYPE_CHECKING:
    from qualquant.corpus import Corpus, Transcript

__all__ = ["project_xml", "validate_refi_xml", "write_qdc", "write_qdpx"]

ORIGIN = "qualquant"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# xsd:dateTime: date, time, optional fraction and time zone.
_DATETIME_RE = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_SCHEMAS: dict[str, etree.XMLSchema] = {}


def _schema(kind: str) -> etree.XMLSchema:
    if kind not in _SCHEMAS:
        _SCHEMAS[kind] = etree.XMLSchema(etree.fromstring(schema_text(kind).encode("utf-8")))
    return _SCHEMAS[kind]


def validate_refi_xml(xml: bytes, kind: str = "project") -> None:
    """Validate REFI-QDA XML against the QDA-XML 1.0 schema.

    Parameters
    ----------
    xml : bytes
        A ``.qde`` project document or a ``.qdc`` codebook document.
    kind : {"project", "codebook"}

    Raises
    ------
    RefiError
        The document is not valid; the message lists the first errors with line numbers.
    """
    if kind not in ("project", "codebook"):
        raise RefiError(f"kind must be 'project' or 'codebook', not {kind!r}.")
    try:
        doc = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError as exc:
        raise RefiError(f"REFI-QDA {kind} XML is not well-formed: {exc}.") from None
    schema = _schema(kind)
    if not schema.validate(doc):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
        raise RefiError(f"REFI-QDA {kind} XML does not validate against the QDA-XML 1.0 schema: {errors}.")


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_safe(value: str) -> str:
    """Drop characters XML 1.0 cannot hold (control characters other than tab and newlines)."""
    return _XML_INVALID.sub("", value)


def _el(parent: etree._Element, tag: str, ns: str, text: str | None = None, **attrs: object) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}")
    for key, value in attrs.items():
        if value is not None:
            el.set(key, _xml_safe(str(value)))
    if text is not None:
        el.text = _xml_safe(text)
    return el


def _code_guids(codebook: Codebook) -> dict[str, str]:
    return {code.id: stable_guid("code", code.id) for code in codebook.codes}


def _codes_xml(parent: etree._Element, codebook: Codebook, ns: str, guids: dict[str, str]) -> None:
    codes = _el(parent, "Codes", ns)

    def add(container: etree._Element, code: Code) -> None:
        el = _el(container, "Code", ns, guid=guids[code.id], name=code.name, isCodable="true", color=code.color)
        description = "\n\n".join(x for x in (code.description, id_mark("id", code.id)) if x)
        _el(el, "Description", ns, description)
        for child in codebook.children(code.id):
            add(el, child)

    for code in codebook.codes:
        if code.parent is None:
            add(codes, code)


def _sets_xml(parent: etree._Element, codebook: Codebook, ns: str, guids: dict[str, str], *, member_attr: str) -> None:
    facets = [f for f in codebook.facets if codebook.codes_in(f.id)]
    if not facets:
        return
    sets = _el(parent, "Sets", ns)
    for facet in facets:
        el = _el(
            sets, "Set", ns, guid=stable_guid("facet", facet.id), name=facet.label(None, codebook.default_language)
        )
        description = next((v for v in facet.description.values() if v), "")
        _el(el, "Description", ns, "\n\n".join(x for x in (description, id_mark("facet", facet.id)) if x))
        for code in codebook.codes_in(facet.id):
            _el(el, "MemberCode", ns, **{member_attr: guids[code.id]})


def _xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True, standalone=True)


def codebook_xml(codebook: Codebook) -> bytes:
    """The codebook as a validated REFI-QDA ``.qdc`` document."""
    ns = CODEBOOK_NAMESPACE
    root = etree.Element(f"{{{ns}}}CodeBook", nsmap={None: ns})
    root.set("origin", ORIGIN)
    guids = _code_guids(codebook)
    _codes_xml(root, codebook, ns, guids)
    _sets_xml(root, codebook, ns, guids, member_attr="guid")
    data = _xml_bytes(root)
    validate_refi_xml(data, "codebook")
    return data


def write_qdc(path: str | os.PathLike[str], codebook: Codebook) -> Path:
    """Write a codebook as a REFI-QDA codebook (``.qdc``), atomically.

    Parameters
    ----------
    path : path-like
    codebook : Codebook

    Returns
    -------
    Path

    Notes
    -----
    Codes keep their hierarchy (``parent``), colour, name and description
    (in the codebook's first language); facets become ``<Set>`` elements,
    which :func:`qualquant.coding.refi.read_qdc` turns back into facets. Ids are kept
    by a last description line ``(qualquant id: <id>)`` (see
    :mod:`qualquant.coding.refi._codes`). Translations, criteria, examples and seed
    words have no place in a ``.qdc`` and are not written.
    GUIDs are derived from the code ids, so rewriting gives an identical file.
    """
    data = codebook_xml(codebook)
    return atomic_write_bytes(path, data)


def _datetime(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text if _DATETIME_RE.match(text) else None


def _check_codings(codings: pd.DataFrame, corpus: Corpus, codebook: Codebook) -> pd.DataFrame:
    missing = [c for c in ("coder", "transcript_id", "code", "start", "end") if c not in codings.columns]
    if missing:
        raise RefiError(
            f"The codings table lacks column(s) {', '.join(missing)}; expected {', '.join(CODINGS_COLUMNS)}."
        )
    for row_no, row in enumerate(codings.itertuples(index=False), start=1):
        where = f"Codings row {row_no}"
        tid = row.transcript_id
        transcript = corpus.get(tid) if tid is not None else None
        if transcript is None:
            raise RefiError(
                f"{where}: transcript {tid!r} is not in the corpus; give the transcripts the codings refer to."
            )
        if row.code not in codebook:
            raise RefiError(f"{where}: code {row.code!r} is not in the codebook.")
        try:
            start, end = int(row.start), int(row.end)
        except (TypeError, ValueError):
            raise RefiError(f"{where}: start/end ({row.start!r}, {row.end!r}) are not whole numbers.") from None
        if not 0 <= start < end <= len(transcript.text):
            raise RefiError(f"{where}: span {start}-{end} is outside transcript {tid} (length {len(transcript.text)}).")
        text = getattr(row, "text", None)
        if isinstance(text, str):
            actual = transcript.text[start:end]
            # CSV tables neutralise spreadsheet formulas with a leading apostrophe.
            if text != actual and not (text.startswith("'") and text[1:] == actual and actual[:1] in "=+-@\t\r"):
                raise RefiError(
                    f"{where}: its text does not match transcript {tid} [{start}:{end}] "
                    f"({text[:40]!r} vs {actual[:40]!r}); were the codings made on another version?"
                )
    return codings


def project_xml(
    *,
    corpus: Corpus,
    codebook: Codebook,
    codings: pd.DataFrame,
    offsets: str = "codepoints",
    include_predictions: bool = False,
    name: str | None = None,
) -> tuple[bytes, dict[str, bytes]]:
    """Build the project document and the source files of :func:`write_qdpx` (validated)."""
    if offsets not in OFFSET_UNITS:
        raise RefiError(f"offsets must be one of {', '.join(OFFSET_UNITS)}, not {offsets!r}.")
    if not include_predictions and "source" in codings.columns:
        codings = codings[codings["source"].fillna("human") != "prediction"]
    codings = _check_codings(codings, corpus, codebook)
    ns = PROJECT_NAMESPACE
    root = etree.Element(f"{{{ns}}}Project", nsmap={None: ns})
    root.set("name", name or codebook.title)
    root.set("origin", ORIGIN)
    coders = sorted({str(c) for c in codings["coder"]})
    user_guids = {coder: stable_guid("user", coder) for coder in coders}
    if coders:
        users = _el(root, "Users", ns)
        for coder in coders:
            _el(users, "User", ns, guid=user_guids[coder], name=coder)
    guids = _code_guids(codebook)
    _codes_xml(_el(root, "CodeBook", ns), codebook, ns, guids)
    files: dict[str, bytes] = {}
    transcripts = list(corpus)
    if transcripts:
        sources = _el(root, "Sources", ns)
    by_transcript: dict[str, pd.DataFrame] = (
        {tid: frame for tid, frame in codings.groupby("transcript_id", sort=False)} if len(codings) else {}
    )
    for transcript in transcripts:
        source_guid = stable_guid("source", transcript.id)
        file_name = f"{source_guid}.txt"
        files[f"Sources/{file_name}"] = transcript.text.encode("utf-8")
        src = _el(
            sources, "TextSource", ns, guid=source_guid, name=transcript.id, plainTextPath=f"internal://{file_name}"
        )
        frame = by_transcript.get(transcript.id)
        if frame is None:
            continue
        groups: dict[tuple, list] = {}
        for row in frame.itertuples(index=False):
            key = (int(row.start), int(row.end), str(row.coder), _datetime(getattr(row, "updated_at", None)) or "")
            groups.setdefault(key, []).append(row)
        for (start, end, coder, updated), rows in sorted(groups.items()):
            if offsets == "utf16":
                s_pos, e_pos = utf16_offset(transcript.text, start), utf16_offset(transcript.text, end)
            else:
                s_pos, e_pos = start, end
            sel_guid = stable_guid("selection", transcript.id, start, end, coder, updated)
            sel = _el(
                src,
                "PlainTextSelection",
                ns,
                guid=sel_guid,
                name=_selection_name(transcript.text[start:end]),
                startPosition=s_pos,
                endPosition=e_pos,
                creatingUser=user_guids[coder],
                modifiedDateTime=updated or None,
            )
            for k, row in enumerate(rows):
                result_id = getattr(row, "result_id", None)
                coding_guid = _as_guid(result_id) or stable_guid(
                    "coding", transcript.id, start, end, coder, row.code, result_id, k
                )
                coding = _el(
                    sel,
                    "Coding",
                    ns,
                    guid=coding_guid,
                    creatingUser=user_guids[coder],
                    creationDateTime=_datetime(getattr(row, "created_at", None)),
                )
                _el(coding, "CodeRef", ns, targetGUID=guids[row.code])
    _sets_xml(root, codebook, ns, guids, member_attr="targetGUID")
    data = _xml_bytes(root)
    validate_refi_xml(data, "project")
    return data, files


def _as_guid(value: object) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"\{?[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}?", value):
        return value.strip("{}").upper()
    return None


def _selection_name(text: str, limit: int = 100) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def write_qdpx(
    path: str | os.PathLike[str],
    *,
    corpus: Corpus | Iterable[Transcript],
    codebook: Codebook,
    codings: pd.DataFrame,
    offsets: str = "codepoints",
    include_predictions: bool = False,
    name: str | None = None,
) -> Path:
    """Write a REFI-QDA project (``.qdpx``) with the transcripts, the codebook and the codings, atomically.

    Parameters
    ----------
    path : path-like
        Destination ``.qdpx``.
    corpus : corpus.Corpus or iterable of corpus.Transcript
        Every transcript becomes a text source named by its id; its canonical
        text is stored as ``Sources/<guid>.txt`` (UTF-8 without byte-order
        mark, ``\\n`` newlines).
    codebook : Codebook
        Codes (hierarchy by ``parent``); facets are written as code sets.
    codings : pandas.DataFrame
        A codings table (:data:`qualquant.coding.CODINGS_COLUMNS`; ``coder``,
        ``transcript_id``, ``code``, ``start``, ``end`` are required). Rows
        with the same transcript, span, coder and ``updated_at`` become one
        ``PlainTextSelection`` with one ``Coding`` per row; a ``result_id``
        that is a GUID is kept as the coding's GUID.
    offsets : {"codepoints", "utf16"}
        How positions are counted: code points (the REFI-QDA characters;
        ATLAS.ti, MAXQDA, qualquant) or UTF-16 code units (for NVivo). They
        differ only after emoji and other characters outside the Basic
        Multilingual Plane.
    include_predictions : bool
        Also write rows with ``source == "prediction"`` (off by default).
    name : str, optional
        Project name (default: the codebook title).

    Returns
    -------
    Path

    Raises
    ------
    RefiError
        A coding names a transcript not in the corpus or a code not in the
        codebook, its span is outside the text, or its ``text`` differs from
        the transcript (the message names the row).

    Notes
    -----
    The project XML is validated against the QDA-XML 1.0 project schema
    before anything is written. GUIDs are derived from ids, and zip entries
    carry a fixed timestamp, so the same input gives a byte-identical file.
    ``qualquant.json`` (ignored by other programs) keeps the codebook TOML
    and the code GUIDs so :func:`qualquant.coding.refi.read_qdpx` restores ids and
    facets exactly.
    """
    from qualquant.corpus import Corpus

    if not isinstance(corpus, Corpus):
        corpus = Corpus(tuple(corpus))
    data, files = project_xml(
        corpus=corpus,
        codebook=codebook,
        codings=codings,
        offsets=offsets,
        include_predictions=include_predictions,
        name=name,
    )
    sidecar = json.dumps(
        {
            "format": "qualquant-refi",
            "version": 1,
            "offsets": offsets,
            "code_guids": {guid: code_id for code_id, guid in _code_guids(codebook).items()},
            "codebook_toml": codebook_to_toml(codebook),
        },
        ensure_ascii=False,
        indent=1,
        sort_keys=True,
    ).encode("utf-8")

    def fill(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, payload in (("project.qde", data), *sorted(files.items()), (SIDECAR_NAME, sidecar)):
                info = zipfile.ZipInfo(member, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, payload)

    return atomic_write(path, fill)
