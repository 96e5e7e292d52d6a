"""``qualquant topics ...``: fit, show, compare with codes, and estimate effects of topic models.

``fit`` reads documents — the demo study when no path is given, transcripts
(files, folders, globs) with an optional cases table, or a CSV of documents with a
text column — fits an LDA model (one K, or K chosen by coherence over a range and
several seeds) and saves it to a model directory. The other commands read that
directory: ``show`` prints topics and representative segments, ``compare-codes``
lines topics up with a codings table, ``effects`` estimates topic prevalence by a
case attribute. The directory remembers where its documents and cases came from
(``source.json``), so ``effects --by legal_status`` needs no other input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import pandas as pd
import typer
from rich.table import Table

from coding.errors import TopicModelError
from corpus._atomic import atomic_write_text
from pipelines.cli_common import console, make_app
from pipelines.exports import write_table

app = make_app("Topic models: fit LDA on segments, show topics, compare with codes, effects of covariates.")

DEFAULT_MODEL = Path("qualquant-topics")


def demo_dir() -> Path:
    """The demo study's data folder."""
    import pipelines

    return Path(pipelines.__file__).parent / "demo_data"


def parse_k_range(text: str) -> range:
    """Parse ``"A:B"`` (inclusive) into a range of K values."""
    try:
        a, b = (int(x) for x in text.split(":"))
    except ValueError:
        raise TopicModelError(f"--k-range {text!r}: write it as A:B, e.g. 3:8.") from None
    if a < 2 or b < a:
        raise TopicModelError(f"--k-range {text!r}: need 2 <= A <= B.")
    return range(a, b + 1)


def load_documents(paths: List[str], *, cases: Optional[str], text_column: Optional[str],
                   id_column: Optional[str], language: Optional[str]):
    """Return ``(docs, covariates, source)`` for the given inputs (the demo study when ``paths`` is empty)."""
    import corpus

    if len(paths) == 1 and Path(paths[0]).suffix.lower() in (".csv", ".tsv"):
        from coding.topics import documents_from_texts

        path = Path(paths[0])
        if not path.is_file():
            raise TopicModelError(f"{path}: no such file. Check the path.")
        frame = pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",")
        if text_column is None:
            text_column = "text" if "text" in frame.columns else None
        if text_column is None or text_column not in frame.columns:
            raise TopicModelError(f"{path}: name the text column with --text-column (columns: "
                                  f"{', '.join(map(str, frame.columns))}).")
        if id_column is not None and id_column not in frame.columns:
            raise TopicModelError(f"{path}: no column {id_column!r} for --id-column.")
        ids = frame[id_column].astype(str) if id_column else [str(i + 1) for i in range(len(frame))]
        if len(set(ids)) != len(ids):
            raise TopicModelError(f"{path}: column {id_column!r} repeats ids; document ids must be unique.")
        docs = documents_from_texts(frame[text_column].tolist(), language=language or "en", ids=ids)
        covariates = frame.drop(columns=[text_column]).assign(case_id=list(ids)).set_index("case_id")
        source = {"kind": "csv", "path": str(path.resolve()), "text_column": text_column, "id_column": id_column,
                  "language": language or "en"}
        return docs, covariates, source
    if not paths:
        base = demo_dir()
        paths = [str(base / "transcripts")]
        cases = cases or str(base / "cases.csv")
        kind = "demo"
    else:
        kind = "corpus"
    corp = corpus.read_corpus(paths, cases=cases, language=language)
    source = {"kind": kind, "paths": [str(Path(p).resolve()) if Path(p).exists() else p for p in paths],
              "cases": str(Path(cases).resolve()) if cases else None, "language": language}
    return corp, corp.cases, source


def _load_source(model_dir: Path) -> dict:
    path = model_dir / "source.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _load_model(model_dir: Path):
    from coding.topics import TopicModel

    return TopicModel.load(model_dir)


def _print_table(frame: pd.DataFrame, title: str, *, digits: int = 3) -> None:
    table = Table(title=title, show_lines=False)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row])
    console.print(table)


@app.command("fit")
def fit(
    paths: Optional[List[str]] = typer.Argument(None, help="Transcripts (files, folders, globs) or one CSV of "
                                                 "documents; the demo study when omitted."),
    k: Optional[int] = typer.Option(None, "--k", help="Number of topics."),
    k_range: Optional[str] = typer.Option(None, "--k-range", help="Choose K by coherence in A:B (inclusive)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (the model saved uses it)."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds per K with --k-range (seed, seed+1, ...)."),
    unit: str = typer.Option("segment", "--unit", help="Document unit: segment, transcript or window."),
    out: Path = typer.Option(DEFAULT_MODEL, "--out", help="Model directory to write."),
    cases: Optional[str] = typer.Option(None, "--cases", help="Cases table for transcripts."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text column of a CSV of documents."),
    id_column: Optional[str] = typer.Option(None, "--id-column", help="Id column of a CSV (default: row number)."),
    language: Optional[str] = typer.Option(None, "--language", help="Language (CSV default: en; transcripts: "
                                           "detected)."),
    passes: int = typer.Option(10, "--passes", help="Training passes."),
    no_below: int = typer.Option(2, "--no-below", help="Keep lemmas in at least this many documents."),
    no_above: float = typer.Option(0.5, "--no-above", help="Keep lemmas in at most this share of documents."),
    codebook: Optional[Path] = typer.Option(None, "--seed-codebook", help="Codebook whose seed words guide topics."),
    stop_words: Optional[str] = typer.Option(None, "--stop-words", help="Extra lemmas to leave out, comma-separated."),
) -> None:
    """Fit a topic model and save it (K fixed with --k, or chosen by c_v coherence with --k-range)."""
    from coding.topics import TopicModel, select_n_topics

    if (k is None) == (k_range is None):
        raise TopicModelError("Give exactly one of --k N or --k-range A:B.")
    docs, _, source = load_documents(paths or [], cases=cases, text_column=text_column, id_column=id_column,
                                     language=language)
    params = {"passes": passes, "unit": unit, "no_below": no_below, "no_above": no_above,
              "stop_words": tuple(w.strip() for w in (stop_words or "").split(",") if w.strip())}
    if codebook is not None:
        from coding import read_codebook

        params["seed_words"] = read_codebook(codebook).seed_words
    out.parent.mkdir(parents=True, exist_ok=True)
    if k_range is not None:
        selection = select_n_topics(docs, parse_k_range(k_range), seeds=tuple(range(seed, seed + seeds)), **params)
        model = selection.model
        _print_table(selection.summary, "Coherence (c_v) by K")
        console.print(f"Chosen K = {selection.best_k}: {selection.rule}")
    else:
        model = TopicModel(k, random_state=seed, **params).fit(docs)
        selection = None
    model.save(out)
    source["seed"] = seed
    atomic_write_text(out / "source.json", json.dumps(source, ensure_ascii=False, indent=1))
    if selection is not None:
        write_table(selection.curve, out / "coherence_curve.csv")
        write_table(selection.summary.assign(rule=selection.rule), out / "coherence_summary.csv")
    write_table(model.topics_, out / "topics.csv")
    if len(model.dropped_):
        write_table(model.dropped_, out / "dropped_documents.csv")
    _print_table(model.topic_summary(), f"{model.n_topics} topics, {len(model.documents_)} documents "
                 f"(coherence c_v {model.coherence_:.3f})")
    if len(model.dropped_):
        console.print(f"{len(model.dropped_)} document(s) without vocabulary lemmas set aside: "
                      f"{out / 'dropped_documents.csv'}")
    console.print(f"Model saved to {out}")


@app.command("show")
def show(
    model_dir: Path = typer.Option(DEFAULT_MODEL, "--model", help="Model directory written by `topics fit`."),
    n_terms: int = typer.Option(8, "--n-terms", help="Terms per topic."),
    segments: int = typer.Option(2, "--segments", help="Representative segments per topic."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the topic terms table (.csv/.xlsx/.md)."),
) -> None:
    """Show topics: top terms with surface forms, prevalence, coherence and representative segments."""
    model = _load_model(model_dir)
    _print_table(model.topic_summary(n_terms), f"Topics ({model.n_topics})")
    reps = model.representative_documents(segments)
    _print_table(reps[["topic", "rank", "doc_id", "proportion", "excerpt"]], "Representative segments")
    if out is not None:
        write_table(model.topics_, out)
        console.print(f"Wrote {out}")


@app.command("compare-codes")
def compare_codes_cmd(
    codings: Path = typer.Argument(..., help="Codings table (.csv from `coding import`) or a Label Studio export."),
    model_dir: Path = typer.Option(DEFAULT_MODEL, "--model", help="Model directory written by `topics fit`."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook (for a Label Studio export)."),
    min_coded: int = typer.Option(3, "--min-coded", help="Least documents a code needs to be tested."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the alignment table."),
    candidates_out: Optional[Path] = typer.Option(None, "--candidates-out", help="Write candidate new themes."),
) -> None:
    """Line topics up with human codes (Mann-Whitney U, BH-adjusted) and list candidate new themes."""
    from coding.topics_compare import compare_codes

    model = _load_model(model_dir)
    if not codings.is_file():
        raise TopicModelError(f"{codings}: no such file. Check the path.")
    corp = None
    source = _load_source(model_dir)
    if source.get("kind") in ("demo", "corpus"):
        import corpus

        corp = corpus.read_corpus(source["paths"], cases=source.get("cases"), language=source.get("language"))
    if codings.suffix.lower() == ".csv" and _is_codings_csv(codings):
        table = pd.read_csv(codings, encoding="utf-8-sig", dtype={"segment_id": object, "transcript_id": object})
        table = table.where(table.notna(), None)
    else:
        from coding import read_codebook, read_export

        book = read_codebook(codebook) if codebook else None
        result = read_export(codings, codebook=book, corpus=corp)
        table = result.codings
        if len(result.issues):
            console.print(f"{len(result.issues)} issue(s) reading {codings}; see `qualquant coding import`.")
    result = compare_codes(model, table, corp, min_coded=min_coded)
    shown = result.alignment.head(20)[["rank", "topic", "terms", "code", "n_coded", "difference",
                                       "rank_biserial", "p_adjusted", "aligned"]]
    _print_table(shown, "Topics against codes (best 20)")
    if len(result.candidates):
        _print_table(result.candidates, "Candidate new themes (topics aligned with no code)")
    if len(result.set_aside):
        console.print(f"{len(result.set_aside)} coded row group(s) not used (see --out with _set_aside).")
    if out is not None:
        write_table(result.alignment, out)
        if len(result.set_aside):
            write_table(result.set_aside, out.with_name(out.stem + "_set_aside" + out.suffix))
        console.print(f"Wrote {out}")
    if candidates_out is not None:
        write_table(result.candidate_segments, candidates_out)


def _is_codings_csv(path: Path) -> bool:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    return "segment_id" in header and "code" in header and "annotations" not in header


@app.command("effects")
def effects(
    by: Optional[str] = typer.Option(None, "--by", help="Case attribute (e.g. legal_status, treatment)."),
    formula: Optional[str] = typer.Option(None, "--formula", help="Right-hand side, e.g. 'treatment + pid_rep'."),
    model_dir: Path = typer.Option(DEFAULT_MODEL, "--model", help="Model directory written by `topics fit`."),
    cases: Optional[Path] = typer.Option(None, "--cases", help="Cases table (default: the one the model used)."),
    level: str = typer.Option("case", "--level", help="case or document."),
    n_sims: int = typer.Option(200, "--n-sims", help="Draws for the method of composition."),
    refits: int = typer.Option(0, "--refits", help="Extra refits with other seeds pooled into the draws."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draws."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the effects table."),
    svg: Optional[Path] = typer.Option(None, "--svg", help="Write a point-range plot (SVG)."),
) -> None:
    """Topic prevalence by case attributes (OLS, stm-style intervals that carry model uncertainty)."""
    from coding.topics_effects import effects_to_svg, estimate_effects

    model = _load_model(model_dir)
    source = _load_source(model_dir)
    if cases is not None:
        import corpus

        covariates = corpus.read_cases(cases)
    elif source.get("kind") == "csv":
        frame = pd.read_csv(source["path"])
        ids = frame[source["id_column"]].astype(str) if source.get("id_column") else \
            [str(i + 1) for i in range(len(frame))]
        covariates = frame.drop(columns=[source["text_column"]]).assign(case_id=list(ids)).set_index("case_id")
    elif source.get("cases"):
        import corpus

        covariates = corpus.read_cases(source["cases"])
    else:
        raise TopicModelError(f"{model_dir}: the model has no cases table; pass --cases FILE.")
    refit_seeds = tuple(int(model.random_state) + i for i in range(1, refits + 1))
    table = estimate_effects(model, covariates, by=by, formula=formula, level=level, n_sims=n_sims,
                             refit_seeds=refit_seeds, random_state=seed)
    _print_table(table.drop(columns=["method", "n_sims"]), f"Topic prevalence by {by or formula}")
    console.print(table["method"].iloc[0])
    if out is not None:
        write_table(table, out)
        console.print(f"Wrote {out}")
    if svg is not None:
        atomic_write_text(svg, effects_to_svg(table, title=f"Topic prevalence by {by or formula}"))
        console.print(f"Wrote {svg}")


__all__ = ["app", "demo_dir", "load_documents", "parse_k_range"]
