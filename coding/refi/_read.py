"""Read REFI-QDA projects (``.qdpx``) and codebooks (``.qdc``).

See :mod:`qualquant.coding.refi` for the public functions and the format notes.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd
from lxml import etree

from qualquant.coding.codebook import Codebook
from qualquant.coding.codings import CodedSpan, codings_frame, split_by_segments
from qualquant.coding.errors import CodebookError, RefiError
from qualquant.coding.refi._codes import RefiCode, RefiSet, codebook_from_refi, make_codes
from qualquant.coding.refi._model import REFI_ISSUES_COLUMNS, RefiCodebook, RefiProject, RefiSource
from qualquant.coding.refi._text import OffsetMap, choose_units

if TYPE_CHECKING:
    from qualquant.corpus import Corpus, Transcript

__all__ = ["REFI_ISSUES_COLUMNS", "RefiCodebook", "RefiProject", "RefiSource", "read_qdc", "read_qdpx"]

SIDECAR_NAME = "qualquant.json"
_DOC_SUFFIXES = {".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".md", ".html", ".htm", ".qdpx"}
_BAD_ID_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)
# lxml has no type information here: an element is Any.
_Element = Any


# ---------------------------------------------------------------- XML helpers


def _local(el: _Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: _Element, *names: str) -> list[_Element]:
    return [c for c in el if isinstance(c.tag, str) and _local(c) in names]


def _kid(el: _Element, name: str) -> _Element | None:
    for c in el:
        if isinstance(c.tag, str) and _local(c) == name:
            return c
    return None


def _text_of(el: _Element, name: str) -> str:
    child = _kid(el, name)
    return (child.text or "").strip() if child is not None else ""


def _parse_xml(data: bytes, where: str) -> _Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise RefiError(f"{where}: not well-formed XML ({exc}). Re-export the file from the QDA program.") from None


def _read_codes(root: _Element, where: str) -> list[dict[str, Any]]:
    codebook = _kid(root, "CodeBook") if _local(root) == "Project" else root
    if codebook is None:
        return []
    codes_el = _kid(codebook, "Codes")
    if codes_el is None:
        return []
    out: list[dict[str, Any]] = []

    def walk(el: _Element, parent: str | None) -> None:
        for code in _kids(el, "Code"):
            guid = code.get("guid")
            if not guid:
                raise RefiError(f"{where}: a <Code> named {code.get('name')!r} has no guid.")
            out.append(
                {
                    "guid": guid.strip("{}").upper(),
                    "name": code.get("name") or guid,
                    "color": code.get("color"),
                    "description": _text_of(code, "Description"),
                    "parent": parent,
                    "codable": (code.get("isCodable") or "true").lower() != "false",
                }
            )
            walk(code, out[-1]["guid"])

    walk(codes_el, None)
    seen: set[str] = set()
    for item in out:
        if item["guid"] in seen:
            raise RefiError(f"{where}: code GUID {item['guid']} is used by two codes; the file is corrupt.")
        seen.add(item["guid"])
    return out


def _read_sets(root: _Element) -> tuple[RefiSet, ...]:
    sets_el = _kid(root, "Sets")
    if sets_el is None:
        return ()
    out: list[RefiSet] = []
    for s in _kids(sets_el, "Set"):
        codes = tuple((m.get("targetGUID") or m.get("guid") or "").strip("{}").upper() for m in _kids(s, "MemberCode"))
        sources = tuple((m.get("targetGUID") or "").strip("{}").upper() for m in _kids(s, "MemberSource"))
        out.append(
            RefiSet(
                guid=(s.get("guid") or "").upper(),
                name=s.get("name") or "",
                description=_text_of(s, "Description"),
                code_guids=codes,
                source_guids=sources,
            )
        )
    return tuple(out)


def _guid(value: str | None) -> str:
    return (value or "").strip("{}").upper()


# ---------------------------------------------------------------- codebooks


def read_qdc(path: str | os.PathLike[str]) -> RefiCodebook:
    """Read a REFI-QDA codebook (``.qdc``).

    Parameters
    ----------
    path : path-like

    Returns
    -------
    RefiCodebook
        ``.codes`` (GUID, name, colour, description, parent), ``.sets`` and
        ``.codebook``, a validated qualquant :class:`Codebook` (ids and
        facets as described in :mod:`qualquant.coding.refi._codes`).

    Raises
    ------
    RefiError
        Unreadable file, malformed XML, not a codebook.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RefiError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    root = _parse_xml(data, str(path))
    if _local(root) != "CodeBook":
        raise RefiError(
            f"{path}: the root element is <{_local(root)}>, not <CodeBook>; is it a REFI-QDA codebook (.qdc)?"
        )
    codes = make_codes(_read_codes(root, str(path)))
    sets = _read_sets(root)
    try:
        codebook = codebook_from_refi(codes, sets, title=path.stem, source=str(path))
    except CodebookError as exc:
        raise RefiError(f"{path}: the codes do not form a valid codebook: {exc}") from None
    return RefiCodebook(codes=codes, sets=sets, codebook=codebook, origin=root.get("origin") or "", source=str(path))


# ---------------------------------------------------------------- projects


class _Issues:
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(
        self,
        source: str | None,
        selection: str | None,
        coding: str | None,
        code: str | None,
        coder: str | None,
        reason: str,
        action: str,
        detail: str,
    ) -> None:
        self.rows.append((source, selection, coding, code, coder, reason, action, detail))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=list(REFI_ISSUES_COLUMNS), dtype=object)
        return df.where(df.notna(), None)


def _find_qde(archive: zipfile.ZipFile, where: str) -> str:
    names = [n for n in archive.namelist() if n.lower().endswith(".qde") and not n.endswith("/")]
    if not names:
        raise RefiError(f"{where}: no .qde project file inside; is it a REFI-QDA project (.qdpx)?")
    top = [n for n in names if "/" not in n.strip("/")]
    if len(top) == 1:
        return top[0]
    if len(names) == 1:
        return names[0]
    raise RefiError(
        f"{where}: several .qde files inside ({', '.join(sorted(names))}); cannot tell which is the project."
    )


def _decode(data: bytes, where: str) -> str:
    from qualquant.corpus.encoding import decode_bytes
    from qualquant.corpus.errors import CorpusError

    try:
        text, _ = decode_bytes(data, source=where)
    except CorpusError as exc:
        raise RefiError(str(exc)) from None
    return text[1:] if text.startswith("\ufeff") else text


def _transcript_id(name: str, used: set[str], n: int) -> str:
    stem = name
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _DOC_SUFFIXES:
        stem = name[: -len(suffix)]
    stem = _BAD_ID_CHARS.sub("_", stem).strip().strip(".") or f"source_{n}"
    candidate, k = stem, 2
    while candidate in used:
        candidate = f"{stem}_{k}"
        k += 1
    used.add(candidate)
    return candidate


def _sidecar_codebook(
    archive: zipfile.ZipFile, codes: tuple[RefiCode, ...], issues: _Issues, where: str
) -> tuple[tuple[RefiCode, ...], Codebook] | None:
    """Codes and codebook restored from qualquant's own metadata, or None."""
    member = next((n for n in archive.namelist() if n.lower() == SIDECAR_NAME), None)
    if member is None:
        return None
    try:
        meta = json.loads(archive.read(member).decode("utf-8"))
        guids: dict[str, str] = {k.upper(): v for k, v in meta["code_guids"].items()}
        import tomllib

        codebook = Codebook.from_dict(tomllib.loads(meta["codebook_toml"]), source=f"{where}:{member}")
    except (KeyError, TypeError, ValueError, AttributeError, UnicodeDecodeError) as exc:
        issues.add(
            None,
            None,
            None,
            None,
            None,
            "metadata_unreadable",
            "not_used",
            f"{member} could not be read ({exc}); code ids were derived from the code names",
        )
        return None
    xml_guids = {c.guid for c in codes}
    if set(guids) != xml_guids or any(cid not in codebook for cid in guids.values()):
        issues.add(
            None,
            None,
            None,
            None,
            None,
            "metadata_stale",
            "not_used",
            f"{member} describes other codes than the project (edited elsewhere?); "
            "code ids were derived from the code names",
        )
        return None
    restored = tuple(
        RefiCode(
            guid=c.guid,
            name=c.name,
            id=guids[c.guid],
            color=c.color,
            description=c.description,
            parent_guid=c.parent_guid,
            is_codable=c.is_codable,
        )
        for c in codes
    )
    return restored, codebook


def _iter_text_sources(sources_el: _Element) -> Iterator[tuple[_Element, str, str]]:
    """(element, kind, name) for every text-bearing source; other sources separately."""
    for el in sources_el:
        tag = _local(el)
        if tag == "TextSource":
            yield el, "text", el.get("name") or ""
        elif tag == "PDFSource":
            for rep in _kids(el, "Representation"):
                yield rep, "pdf", el.get("name") or rep.get("name") or ""


def read_qdpx(path: str | os.PathLike[str], *, corpus: Corpus | None = None) -> RefiProject:
    """Read a REFI-QDA project (``.qdpx``) into codes, sources and a validated codings table.

    Parameters
    ----------
    path : path-like
        The ``.qdpx`` file (a zip holding a ``.qde`` project file, whatever
        its name, and the plain-text sources in ``Sources/`` or ``sources/``).
    corpus : corpus.Corpus, optional
        When given, sources are matched to transcripts by ``transcript_id``;
        a source whose canonical text equals the transcript's text gets its
        codings cut at segment boundaries (one row per coding x segment, with
        ``segment_id``), as for Label Studio exports; other codings are set
        aside and reported.

    Returns
    -------
    RefiProject
        ``codings`` has the columns of :data:`qualquant.coding.CODINGS_COLUMNS`:
        ``coder`` (the REFI user name of the coding's creator), ``source``
        ``"human"``, ``transcript_id`` (source name without its document
        extension), ``segment_id`` (None without a corpus), ``code`` (the
        qualquant code id), ``start``/``end`` (code points of the canonical
        source text), ``text``, ``task_id``/``annotation_id`` empty,
        ``result_id`` (the REFI ``Coding`` GUID), ``created_at`` (the
        coding's creation time), ``updated_at`` (the selection's
        modification time), ``ground_truth`` False.

    Raises
    ------
    RefiError
        Not a zip, no ``.qde`` inside, malformed XML, a corrupt code list.

    Notes
    -----
    Every coding ends up either in ``codings`` or in ``issues``:
    missing source text (``source_missing``), unknown code
    (``unknown_code``), offsets outside the text (``offset_out_of_range``),
    empty selection (``empty_selection``), boundary inside one character
    (``offset_inside_character``: snapped outwards, ``repaired``), coding of
    a picture, PDF area, audio or video selection, of a transcript sync
    range or of a whole source (``not_text_selection``: ``not_used``), and
    with a corpus ``source_not_in_corpus``, ``source_text_differs`` and
    ``outside_segments``. Notes, links, graphs, cases and variables are
    listed once (``not_imported``). Offsets are mapped as described in
    :mod:`qualquant.coding.refi._text`.
    """
    path = Path(path)
    where = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise RefiError(f"{where}: no such file.") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise RefiError(f"{where}: not a REFI-QDA project: a .qdpx file is a zip archive ({exc}).") from None
    with archive:
        qde = _find_qde(archive, where)
        root = _parse_xml(archive.read(qde), f"{where}:{qde}")
        if _local(root) != "Project":
            raise RefiError(f"{where}:{qde}: the root element is <{_local(root)}>, not <Project>.")
        issues = _Issues()
        raw_codes = _read_codes(root, f"{where}:{qde}")
        codes = make_codes(raw_codes)
        sets = _read_sets(root)
        restored = _sidecar_codebook(archive, codes, issues, where)
        codebook: Codebook | None
        if restored is not None:
            codes, codebook = restored
        else:
            try:
                codebook = codebook_from_refi(codes, sets, title=root.get("name") or path.stem, source=where)
            except CodebookError as exc:
                raise RefiError(f"{where}: the codes do not form a valid codebook: {exc}") from None
        members = {n.lower(): n for n in archive.namelist()}
        origin = root.get("origin") or ""
        users_el = _kid(root, "Users")
        users = {
            _guid(u.get("guid")): (u.get("name") or u.get("id") or _guid(u.get("guid")))
            for u in (_kids(users_el, "User") if users_el is not None else [])
        }
        code_by_guid = {c.guid: c for c in codes}
        spans: list[CodedSpan] = []
        sources: list[RefiSource] = []
        counts = dict.fromkeys(
            (
                "n_codings",
                "n_text_codings",
                "n_codings_mapped",
                "n_codings_repaired",
                "n_codings_set_aside",
                "n_codings_not_used",
            ),
            0,
        )
        used_ids: set[str] = set()
        sources_el = _kid(root, "Sources")
        source_elements = list(sources_el) if sources_el is not None else []
        text_sources = list(_iter_text_sources(sources_el)) if sources_el is not None else []

        def coder_of(coding: _Element, selection: _Element | None) -> str:
            guid = _guid(coding.get("creatingUser")) or _guid(
                selection.get("creatingUser") if selection is not None else None
            )
            return users.get(guid, guid or "unknown")

        for n, (el, kind, name) in enumerate(text_sources, start=1):
            guid = _guid(el.get("guid"))
            tid = _transcript_id(name or guid, used_ids, n)
            if tid != _transcript_id(name or guid, set(), n):
                issues.add(
                    tid,
                    None,
                    None,
                    None,
                    None,
                    "duplicate_source_name",
                    "repaired",
                    f"two sources are named {name!r}; this one is transcript {tid!r}",
                )
            stored, problem, plain_path = _source_text(el, members, archive, where)
            selections = _kids(el, "PlainTextSelection")
            whole = _kids(el, "Coding")
            for coding in whole:
                counts["n_codings"] += 1
                counts["n_codings_not_used"] += 1
                issues.add(
                    tid,
                    None,
                    _guid(coding.get("guid")),
                    _code_id(coding, code_by_guid),
                    coder_of(coding, None),
                    "not_text_selection",
                    "not_used",
                    "the coding applies to the whole source, not to a span",
                )
            if stored is None:
                sources.append(RefiSource(guid=guid, name=name, transcript_id=tid, kind=kind, path=plain_path))
                issues.add(tid, None, None, None, None, "source_missing", "set_aside", problem)
                for sel in selections:
                    for coding in _kids(sel, "Coding"):
                        counts["n_codings"] += 1
                        counts["n_text_codings"] += 1
                        counts["n_codings_set_aside"] += 1
                        issues.add(
                            tid,
                            _guid(sel.get("guid")),
                            _guid(coding.get("guid")),
                            _code_id(coding, code_by_guid),
                            coder_of(coding, sel),
                            "source_missing",
                            "set_aside",
                            f"the text of source {name!r} is not in the file",
                        )
                continue
            sel_info = [
                (_int(s.get("startPosition")), _int(s.get("endPosition")), s.get("name") or "") for s in selections
            ]
            units, reason = choose_units(
                stored, [(a, b, t) for a, b, t in sel_info if a is not None and b is not None], origin
            )
            omap = OffsetMap.build(stored, units)
            sources.append(
                RefiSource(
                    guid=guid,
                    name=name,
                    transcript_id=tid,
                    kind=kind,
                    text=omap.text,
                    path=plain_path,
                    offset_units=units,
                    offset_reason=reason,
                )
            )
            matched = _match_corpus(corpus, tid, omap.text) if corpus is not None else None
            for sel, (a, b, _) in zip(selections, sel_info):
                sel_guid = _guid(sel.get("guid"))
                for coding in _kids(sel, "Coding"):
                    counts["n_codings"] += 1
                    counts["n_text_codings"] += 1
                    coding_guid = _guid(coding.get("guid"))
                    coder = coder_of(coding, sel)
                    ref = _kid(coding, "CodeRef")
                    code_guid = _guid(ref.get("targetGUID")) if ref is not None else ""
                    code = code_by_guid.get(code_guid)

                    def set_aside(reason_: str, detail: str, code_id: str | None = None) -> None:
                        counts["n_codings_set_aside"] += 1
                        issues.add(tid, sel_guid, coding_guid, code_id, coder, reason_, "set_aside", detail)  # noqa: B023 - called in this iteration

                    if code is None:
                        set_aside("unknown_code", f"CodeRef {code_guid or '(none)'} is not a code of the project")
                        continue
                    if a is None or b is None:
                        set_aside(
                            "malformed_selection",
                            f"positions {sel.get('startPosition')!r}-{sel.get('endPosition')!r} are not whole numbers",
                            code.id,
                        )
                        continue
                    mapped = omap.span(a, b) if a < b else None
                    if a >= b:
                        set_aside("empty_selection", f"selection {a}-{b} is empty", code.id)
                        continue
                    if mapped is None:
                        set_aside(
                            "offset_out_of_range",
                            f"selection {a}-{b} is outside the text ({omap.n_units} {units})",
                            code.id,
                        )
                        continue
                    start, end, snapped = mapped
                    if snapped:
                        counts["n_codings_repaired"] += 1
                        issues.add(
                            tid,
                            sel_guid,
                            coding_guid,
                            code.id,
                            coder,
                            "offset_inside_character",
                            "repaired",
                            f"selection {a}-{b} ({units}) cuts a character (CR LF pair, surrogate pair "
                            f"or composed sequence); widened to {start}-{end}",
                        )
                    parts: Sequence[tuple[str | None, int, int]]
                    if matched is not None:
                        if isinstance(matched, tuple):
                            set_aside(*matched, code.id)
                            continue
                        parts = split_by_segments(matched, start, end)
                        if not parts:
                            set_aside("outside_segments", f"span {start}-{end} covers no corpus segment", code.id)
                            continue
                    else:
                        parts = [(None, start, end)]
                    counts["n_codings_mapped"] += 1
                    for segment_id, s, e in parts:
                        spans.append(
                            CodedSpan(
                                coder=coder,
                                source="human",
                                transcript_id=tid,
                                segment_id=segment_id,
                                code=code.id,
                                start=s,
                                end=e,
                                text=omap.text[s:e],
                                result_id=coding_guid or None,
                                created_at=coding.get("creationDateTime"),
                                updated_at=sel.get("modifiedDateTime") or sel.get("creationDateTime"),
                            )
                        )
        for el in source_elements:
            tag = _local(el)
            if tag == "TextSource":
                continue
            for item in el.iter():
                if not isinstance(item.tag, str) or _local(item) != "Coding":
                    continue
                parent = item.getparent()
                if tag == "PDFSource" and _local(parent) == "PlainTextSelection":
                    continue  # counted with the PDF's text representation
                counts["n_codings"] += 1
                counts["n_codings_not_used"] += 1
                issues.add(
                    el.get("name") or _guid(el.get("guid")),
                    _guid(parent.get("guid")),
                    _guid(item.get("guid")),
                    _code_id(item, code_by_guid),
                    coder_of(item, parent),
                    "not_text_selection",
                    "not_used",
                    f"coding of a {_local(parent)} in a {tag}: only text selections become codings",
                )
        skipped = []
        for tag, label in (
            ("Notes", "note"),
            ("Links", "link"),
            ("Graphs", "graph"),
            ("Cases", "case"),
            ("Variables", "variable"),
        ):
            el = _kid(root, tag)
            if el is not None and len(el):
                skipped.append(f"{len(el)} {label}{'s' if len(el) != 1 else ''}")
        if skipped:
            issues.add(
                None,
                None,
                None,
                None,
                None,
                "not_imported",
                "not_used",
                "the project also holds " + ", ".join(skipped) + "; qualquant imports codes, text sources "
                "and text codings only",
            )
    codings = codings_frame(spans)
    counts.update(
        n_codes=len(codes),
        n_sources=len(source_elements),
        n_text_sources=len(sources),
        n_sources_missing=sum(1 for s in sources if s.text is None),
        n_rows=len(codings),
    )
    return RefiProject(
        codes=codes,
        sets=sets,
        codebook=codebook,
        origin=origin,
        source=where,
        name=root.get("name") or "",
        users=MappingProxyType(users),
        sources=tuple(sources),
        codings=codings,
        issues=issues.frame(),
        counts=MappingProxyType(counts),
    )


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _code_id(coding: _Element, code_by_guid: Mapping[str, RefiCode]) -> str | None:
    ref = _kid(coding, "CodeRef")
    code = code_by_guid.get(_guid(ref.get("targetGUID"))) if ref is not None else None
    return code.id if code is not None else None


def _source_text(
    el: _Element, members: dict[str, str], archive: zipfile.ZipFile, where: str
) -> tuple[str | None, str, str | None]:
    """(stored text or None, problem, plainTextPath) for a text-bearing element."""
    inline = _kid(el, "PlainTextContent")
    plain_path = el.get("plainTextPath")
    if inline is not None and inline.text is not None:
        return inline.text, "", plain_path
    if not plain_path:
        return None, "the source has neither PlainTextContent nor plainTextPath", None
    if not plain_path.startswith("internal://"):
        return (
            None,
            (f"the text is outside the project file ({plain_path}); export the project with its sources embedded"),
            plain_path,
        )
    file_name = plain_path[len("internal://") :].lstrip("/")
    member = None
    for folder in ("sources/", ""):
        member = members.get(folder + file_name.lower())
        if member:
            break
    if member is None:
        has_sources = any(m.startswith("sources/") and not m.endswith("/") for m in members)
        return (
            None,
            (
                f"{file_name} is not in the project file (its Sources folder "
                f"{'lacks it' if has_sources else 'is empty'}); "
                "re-export the project with its sources"
            ),
            plain_path,
        )
    try:
        return _decode(archive.read(member), f"{where}:{member}"), "", plain_path
    except RefiError as exc:
        return None, f"{member} cannot be decoded: {exc}", plain_path


def _match_corpus(corpus: Corpus, tid: str, text: str) -> Transcript | tuple[str, str]:
    """The transcript a source's codings go onto, or (reason, detail) why there is none."""
    transcript = corpus.get(tid)
    if transcript is None:
        return ("source_not_in_corpus", f"no transcript {tid!r} in the corpus")
    if transcript.text != text:
        return (
            "source_text_differs",
            f"the text of source {tid!r} differs from transcript "
            f"{transcript.source_path or tid} ({len(text)} vs {len(transcript.text)} characters)",
        )
    return transcript
