"""``qualquant topics ...``: fit, show, compare with codes, and estimate effects of topic models.

``fit`` reads documents and fits an LDA model (one K, or K chosen by coherence
over a range and several seeds) and saves it to a model directory. Documents
are a study's transcripts (``--study study.toml``: read and pseudonymised
exactly as ``qualquant run`` reads them, with its ``[topics]`` settings as
defaults; the demo study when no path is given), transcripts (files, folders,
globs) with an optional cases table and ``--anonymize`` names file, or a CSV of
documents with a text column.

The other commands read that directory: ``show`` prints topics and
representative segments, ``compare-codes`` lines topics up with a codings table
or Label Studio export (by default the study's export, read against the same
pseudonymised transcripts the model saw), ``effects`` estimates topic prevalence
by a case attribute. The directory remembers where its documents and cases came
from (``source.json``), so ``compare-codes`` and ``effects --by legal_status``
need no other input.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer
from rich.table import Table

from qualquant.coding.errors import TopicModelError
from qualquant.io import atomic_write_text, write_table
from qualquant.pipelines.cli._common import console, make_app
from qualquant.pipelines.cli._inputs import (
    ANONYMIZE_OPTION,
    STUDY_OPTION,
    USERS_OPTION,
    CodingsRead,
    Inputs,
    export_argument,
    label_coders,
    read_codings,
    study_codings,
    users_for,
)

if TYPE_CHECKING:
    from qualquant.coding.topics import TopicModel
    from qualquant.corpus import Corpus
    from qualquant.pipelines.study import Study

app = make_app("Topic models: fit LDA on segments, show topics, compare with codes, effects of covariates.")

DEFAULT_MODEL = Path("qualquant-topics")


def parse_k_range(text: str) -> range:
    """Parse ``"A:B"`` (inclusive) into a range of K values."""
    try:
        a, b = (int(x) for x in text.split(":"))
    except ValueError:
        raise TopicModelError(f"--k-range {text!r}: write it as A:B, e.g. 3:8.") from None
    if a < 2 or b < a:
        raise TopicModelError(f"--k-range {text!r}: need 2 <= A <= B.")
    return range(a, b + 1)


def demo_study() -> Path:
    """The demo study's ``study.toml`` (what ``topics fit`` reads when given no path)."""
    from qualquant.pipelines import DEMO_DIR

    return DEMO_DIR / "study.toml"


def _path(value: str | os.PathLike[str] | None) -> str | None:
    return str(Path(value).resolve()) if value else None


def load_documents(
    paths: list[str],
    *,
    cases: str | None,
    text_column: str | None,
    id_column: str | None,
    language: str | None,
    study: Path | None = None,
    anonymize: Path | None = None,
) -> tuple[Corpus | pd.DataFrame, pd.DataFrame | None, dict[str, Any]]:
    """Return ``(docs, covariates, source)`` for the given inputs.

    Parameters
    ----------
    paths : list of str
        Transcripts (files, folders, globs) or one CSV/TSV of documents. Empty:
        the transcripts of ``study`` (the demo study when ``study`` is None),
        read and pseudonymised as :meth:`qualquant.pipelines.study.Study.read_corpus` does.
    cases, language : str, optional
        Cases table and language of transcripts given as ``paths`` (default: the
        study's).
    text_column, id_column : str, optional
        Columns of a CSV of documents.
    study : path, optional
        ``study.toml``.
    anonymize : path, optional
        Names file to pseudonymise transcripts given as ``paths`` with (default:
        the study's ``[corpus] names``).

    Returns
    -------
    (docs, pandas.DataFrame or None, dict)
        The documents (a corpus, or a table of documents), the covariates, and
        the ``source.json`` record from which :func:`corpus_from_source` reads
        the same corpus again.
    """
    from qualquant import corpus

    if len(paths) == 1 and Path(paths[0]).suffix.lower() in (".csv", ".tsv"):
        from qualquant.coding.topics import documents_from_texts

        if anonymize is not None:
            raise TopicModelError("--anonymize pseudonymises transcripts; a CSV of documents is read as it is.")
        path = Path(paths[0])
        if not path.is_file():
            raise TopicModelError(f"{path}: no such file. Check the path.")
        frame = pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",")
        if text_column is None:
            text_column = "text" if "text" in frame.columns else None
        if text_column is None or text_column not in frame.columns:
            raise TopicModelError(
                f"{path}: name the text column with --text-column (columns: {', '.join(map(str, frame.columns))})."
            )
        if id_column is not None and id_column not in frame.columns:
            raise TopicModelError(f"{path}: no column {id_column!r} for --id-column.")
        ids = frame[id_column].astype(str) if id_column else [str(i + 1) for i in range(len(frame))]
        if len(set(ids)) != len(ids):
            raise TopicModelError(f"{path}: column {id_column!r} repeats ids; document ids must be unique.")
        docs = documents_from_texts(frame[text_column].tolist(), language=language or "en", ids=ids)
        covariates = frame.drop(columns=[text_column]).assign(case_id=list(ids)).set_index("case_id")
        source: dict[str, Any] = {
            "kind": "csv",
            "path": str(path.resolve()),
            "text_column": text_column,
            "id_column": id_column,
            "language": language or "en",
        }
        return docs, covariates, source
    st = None
    if study is not None or not paths:
        from qualquant.pipelines.study import read_study

        study = Path(study) if study is not None else demo_study()
        st = read_study(study)
        if not paths:
            if cases is not None or anonymize is not None or language is not None:
                raise TopicModelError(
                    "--cases, --anonymize and --language go with transcript paths; the study's "
                    "are set in its study.toml ([corpus])."
                )
            corp, _ = st.read_corpus()
            cfg = st.config.corpus
            source = {
                "kind": "study",
                "study": str(study.resolve()),
                "demo": study.resolve() == demo_study().resolve(),
                "paths": [str(p) for p in st.transcript_paths()],
                "cases": _path(st.optional(cfg.cases)),
                "names": _path(st.optional(cfg.names)),
                "language": cfg.language or None,
            }
            return corp, corp.cases, source
    if st is not None:
        cfg = st.config.corpus
        cases = cases or _path(st.optional(cfg.cases))
        anonymize = anonymize or st.optional(cfg.names)
        language = language or cfg.language or None
    corp = corpus.read_corpus(paths, cases=cases, language=language)
    if anonymize is not None:
        corp, _ = corpus.anonymize(corp, anonymize)
    source = {
        "kind": "corpus",
        "study": _path(study),
        "paths": [_path(p) if Path(p).exists() else p for p in paths],
        "cases": _path(cases),
        "names": _path(anonymize),
        "language": language,
    }
    return corp, corp.cases, source


def corpus_from_source(source: dict[str, Any], *, anonymize: Path | None = None) -> Corpus | None:
    """Read again the corpus a model was fitted on, as ``source.json`` records it (None for a CSV).

    ``anonymize`` pseudonymises a corpus that the model read raw (models fitted
    before the names file was given); a pseudonymised corpus is left as it is.
    """
    from qualquant import corpus

    kind = source.get("kind")
    if kind == "study" and source.get("study"):
        from qualquant.pipelines.study import read_study

        corp, _ = read_study(source["study"]).read_corpus()
        names = source.get("names")
    elif kind in ("corpus", "demo") and source.get("paths"):
        corp = corpus.read_corpus(source["paths"], cases=source.get("cases"), language=source.get("language"))
        names = source.get("names")
        if names:
            corp, _ = corpus.anonymize(corp, names)
    else:
        return None
    if anonymize is not None and not names:
        corp, _ = corpus.anonymize(corp, anonymize)
    return corp


def _study_settings(study: Path | None, paths: list[str]) -> Study | None:
    """The ``[topics]`` settings, roles and codebook of the study in play (None without one)."""
    if study is None and paths:
        return None
    from qualquant.pipelines.study import read_study

    return read_study(study if study is not None else demo_study())


def _load_source(model_dir: Path) -> dict:
    path = model_dir / "source.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _load_model(model_dir: Path) -> TopicModel:
    from qualquant.coding.topics import TopicModel

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
    paths: list[str] | None = typer.Argument(
        None,
        help="Transcripts (files, folders, globs) or one CSV of "
        "documents; default: the --study's transcripts, or the demo "
        "study's when no --study is given.",
    ),
    study: Path | None = typer.Option(
        None,
        "--study",
        help="study.toml: its transcripts (pseudonymised as configured), cases and [topics] settings as defaults.",
    ),
    k: int | None = typer.Option(None, "--k", help="Number of topics."),
    k_range: str | None = typer.Option(
        None, "--k-range", help="Choose K by coherence in A:B (inclusive; default with a study: its [topics] k_range)."
    ),
    seed: int | None = typer.Option(
        None, "--seed", help="Random seed of the model saved (default: the study's [topics] seed, else 0)."
    ),
    seeds: int | None = typer.Option(
        None,
        "--seeds",
        help="Seeds per K with --k-range (seed, seed+1, ...; "
        "default 3; with a study and no --seed, its [topics] seeds).",
    ),
    unit: str | None = typer.Option(
        None, "--unit", help="Document unit: segment, transcript or window (default: the study's, else segment)."
    ),
    out: Path = typer.Option(DEFAULT_MODEL, "--out", help="Model directory to write."),
    cases: str | None = typer.Option(None, "--cases", help="Cases table for transcripts."),
    anonymize: Path | None = ANONYMIZE_OPTION,
    text_column: str | None = typer.Option(None, "--text-column", help="Text column of a CSV of documents."),
    id_column: str | None = typer.Option(None, "--id-column", help="Id column of a CSV (default: row number)."),
    language: str | None = typer.Option(
        None, "--language", help="Language (CSV default: en; transcripts: the study's, else detected)."
    ),
    passes: int | None = typer.Option(None, "--passes", help="Training passes (default: the study's, else 10)."),
    iterations: int | None = typer.Option(
        None, "--iterations", help="Inference iterations per document (default: the study's, else 200)."
    ),
    coherence: str | None = typer.Option(
        None, "--coherence", help="c_v, u_mass or c_npmi (default: the study's, else c_v)."
    ),
    no_below: int = typer.Option(2, "--no-below", help="Keep lemmas in at least this many documents."),
    no_above: float = typer.Option(0.5, "--no-above", help="Keep lemmas in at most this share of documents."),
    codebook: Path | None = typer.Option(
        None,
        "--seed-codebook",
        help="Codebook whose seed words guide topics (default: the study's codebook when its [topics] seeded = true).",
    ),
    stop_words: str | None = typer.Option(None, "--stop-words", help="Extra lemmas to leave out, comma-separated."),
) -> None:
    """Fit a topic model and save it (K fixed with --k, or chosen by coherence with --k-range)."""
    from qualquant.coding.topics import TopicModel, select_n_topics

    paths = paths or []
    st = _study_settings(study, paths)
    cfg = st.config.topics if st is not None else None
    if k is not None and k_range is not None:
        raise TopicModelError("Give exactly one of --k N or --k-range A:B.")
    k_values: range | None
    if k is None and k_range is None:
        if cfg is None:
            raise TopicModelError("Give exactly one of --k N or --k-range A:B.")
        k_values = range(cfg.k_range[0], cfg.k_range[1] + 1)
    else:
        k_values = parse_k_range(k_range) if k_range is not None else None
    if seed is None and seeds is None and cfg is not None:
        # neither given: the study's seeds choose K and its seed fits the model saved (as `qualquant run`)
        seed, seed_list = cfg.seed, tuple(cfg.seeds)
    else:
        seed = seed if seed is not None else (cfg.seed if cfg is not None else 0)
        seed_list = tuple(range(seed, seed + (seeds if seeds is not None else 3)))
    docs, _, source = load_documents(
        paths,
        cases=cases,
        text_column=text_column,
        id_column=id_column,
        language=language,
        study=study,
        anonymize=anonymize,
    )
    params: dict[str, Any] = {
        "passes": passes or (cfg.passes if cfg else 10),
        "unit": unit or (cfg.unit if cfg else "segment"),
        "iterations": iterations or (cfg.iterations if cfg else 200),
        "no_below": no_below,
        "no_above": no_above,
        "stop_words": tuple(w.strip() for w in (stop_words or "").split(",") if w.strip()),
    }
    if st is not None:
        params["roles"] = tuple(st.config.corpus.roles)
    measure = coherence or (cfg.coherence if cfg else "c_v")
    if codebook is None and st is not None and st.config.topics.seeded:
        codebook = st.resolve(st.config.codebook.path)
    if codebook is not None:
        from qualquant.coding import read_codebook

        params["seed_words"] = read_codebook(codebook).seed_words
    out.parent.mkdir(parents=True, exist_ok=True)
    if k_values is not None:
        selection = select_n_topics(docs, k_values, seeds=seed_list, coherence=measure, **params)
        model: TopicModel = selection.model
        _print_table(selection.summary, f"Coherence ({measure}) by K")
        console.print(f"Chosen K = {selection.best_k}: {selection.rule}")
        if model.random_state != seed:
            model = TopicModel(selection.best_k, random_state=seed, coherence=measure, **params).fit(docs)
    elif k is not None:
        model = TopicModel(k, random_state=seed, coherence=measure, **params).fit(docs)
        selection = None
    else:  # not reached: --k, --k-range or the study's k_range was required above
        raise TopicModelError("Give exactly one of --k N or --k-range A:B.")
    model.save(out)
    source["seed"] = seed
    atomic_write_text(out / "source.json", json.dumps(source, ensure_ascii=False, indent=1))
    if selection is not None:
        write_table(selection.curve, out / "coherence_curve.csv")
        write_table(selection.summary.assign(rule=selection.rule), out / "coherence_summary.csv")
    write_table(model.topics_, out / "topics.csv")
    if len(model.dropped_):
        write_table(model.dropped_, out / "dropped_documents.csv")
    _print_table(
        model.topic_summary(),
        f"{model.n_topics} topics, {len(model.documents_)} documents (coherence {measure} {model.coherence_:.3f})",
    )
    if len(model.dropped_):
        console.print(
            f"{len(model.dropped_)} document(s) without vocabulary lemmas set aside: {out / 'dropped_documents.csv'}"
        )
    if source.get("kind") == "study":
        console.print(
            f"Documents: the transcripts of {source['study']}" + (" (pseudonymised)" if source.get("names") else "")
        )
    console.print(f"Model saved to {out}")


@app.command("show")
def show(
    model_dir: Path = typer.Option(DEFAULT_MODEL, "--model", help="Model directory written by `topics fit`."),
    n_terms: int = typer.Option(8, "--n-terms", help="Terms per topic."),
    segments: int = typer.Option(2, "--segments", help="Representative segments per topic."),
    out: Path | None = typer.Option(None, "--out", help="Write the topic terms table (.csv/.xlsx/.md)."),
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
    codings: Path | None = typer.Argument(
        None,
        help="Codings table (.csv/.xlsx/.parquet from `coding import`) "
        "or a Label Studio export; default: the export of the study the "
        "model was fitted on (or of --study).",
    ),
    model_dir: Path = typer.Option(DEFAULT_MODEL, "--model", help="Model directory written by `topics fit`."),
    study: Path | None = STUDY_OPTION,
    anonymize: Path | None = ANONYMIZE_OPTION,
    users: Path | None = USERS_OPTION,
    codebook: Path | None = typer.Option(
        None, "--codebook", help="Codebook (for a Label Studio export; default: the study's)."
    ),
    min_coded: int = typer.Option(3, "--min-coded", help="Least documents a code needs to be tested."),
    out: Path | None = typer.Option(None, "--out", help="Write the alignment table."),
    candidates_out: Path | None = typer.Option(None, "--candidates-out", help="Write candidate new themes."),
) -> None:
    """Line topics up with human codes (Mann-Whitney U, BH-adjusted) and list candidate new themes.

    An export is read against the transcripts the model was fitted on, pseudonymised as they were then
    (Label Studio tasks carry the pseudonymised text); --study reads it against that study's instead.
    """
    from qualquant.coding.topics import compare_codes

    model = _load_model(model_dir)
    inputs = _compare_inputs(model_dir, study=study, anonymize=anonymize, codebook=codebook)
    combined = study_codings(codings, inputs)
    if combined is not None:
        path, table = Path(study or "study.toml"), combined.codings
    else:
        path = export_argument(codings, inputs)
        if not path.is_file():
            raise TopicModelError(f"{path}: no such file. Check the path.")
        table = _read_codings(path, inputs, users)
    table = label_coders(CodingsRead(table, None, None), inputs.study).codings
    result = compare_codes(model, table, inputs.corpus, min_coded=min_coded)
    shown = result.alignment.head(20)[
        ["rank", "topic", "terms", "code", "n_coded", "difference", "rank_biserial", "p_adjusted", "aligned"]
    ]
    _print_table(shown, f"Topics against codes of {path.name} (best 20)")
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


def _compare_inputs(model_dir: Path, *, study: Path | None, anonymize: Path | None, codebook: Path | None) -> Inputs:
    """Corpus, codebook and exports for ``compare-codes``: the --study's, else those of the model's source."""
    from qualquant.coding.codebook import read_codebook
    from qualquant.pipelines.cli._inputs import resolve_inputs

    if study is not None:
        return resolve_inputs(study=study, anonymize=anonymize, codebook=codebook)
    source = _load_source(model_dir)
    corp = corpus_from_source(source, anonymize=anonymize)
    exports: tuple[Path, ...] = ()
    if source.get("study") and Path(source["study"]).is_file():
        from qualquant.pipelines.study import read_study

        st = read_study(source["study"])
        exports = tuple(st.export_paths())
        if codebook is None:
            codebook = st.resolve(st.config.codebook.path)
    elif anonymize is not None and corp is None:
        raise TopicModelError(
            f"{model_dir}: the model was not fitted on transcripts; --anonymize has nothing to pseudonymise."
        )
    return Inputs(corpus=corp, codebook=read_codebook(codebook) if codebook is not None else None, exports=exports)


def _read_codings(path: Path, inputs: Inputs, users: Path | None) -> pd.DataFrame:
    """A codings table as it is, or an export validated against the corpus (every record set aside counted)."""
    read = read_codings(path, inputs.corpus, inputs.codebook, users_for(path, users))
    issues = read.issues
    if issues is not None and len(issues):
        kinds = issues.groupby(["action", "reason"], sort=True).size()
        detail = " (" + ", ".join(f"{n} {reason}: {action}" for (action, reason), n in kinds.items()) + ")"
        console.print(
            f"[yellow]{len(issues)} issue(s) reading {path.name}{detail}; list them with "
            "`qualquant coding import ... --issues-out FILE`.[/yellow]"
        )
        if (issues["reason"] == "task_text_mismatch").any():
            console.print(
                "[yellow]Tasks whose text differs from the transcripts usually carry the pseudonymised "
                "text: fit the model with --study study.toml (or --anonymize NAMES), or pass "
                "--anonymize NAMES here.[/yellow]"
            )
    return read.codings


@app.command("effects")
def effects(
    by: str | None = typer.Option(None, "--by", help="Case attribute (e.g. legal_status, treatment)."),
    formula: str | None = typer.Option(None, "--formula", help="Right-hand side, e.g. 'treatment + pid_rep'."),
    model_dir: Path = typer.Option(DEFAULT_MODEL, "--model", help="Model directory written by `topics fit`."),
    cases: Path | None = typer.Option(None, "--cases", help="Cases table (default: the one the model used)."),
    level: str = typer.Option("case", "--level", help="case or document."),
    n_sims: int = typer.Option(200, "--n-sims", help="Draws for the method of composition."),
    refits: int = typer.Option(0, "--refits", help="Extra refits with other seeds pooled into the draws."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draws."),
    out: Path | None = typer.Option(None, "--out", help="Write the effects table."),
    svg: Path | None = typer.Option(None, "--svg", help="Write a point-range plot (SVG)."),
) -> None:
    """Topic prevalence by case attributes (OLS, stm-style intervals that carry model uncertainty)."""
    from qualquant.coding.topics import effects_to_svg, estimate_effects

    model = _load_model(model_dir)
    source = _load_source(model_dir)
    if cases is not None:
        from qualquant import corpus

        covariates = corpus.read_cases(cases)
    elif source.get("kind") == "csv":
        frame = pd.read_csv(source["path"])
        ids = (
            frame[source["id_column"]].astype(str)
            if source.get("id_column")
            else [str(i + 1) for i in range(len(frame))]
        )
        covariates = frame.drop(columns=[source["text_column"]]).assign(case_id=list(ids)).set_index("case_id")
    elif source.get("kind") == "study" and source.get("study"):
        corp = corpus_from_source(source)
        if corp is None or corp.cases is None or corp.cases.empty:
            raise TopicModelError(
                f"{source['study']}: the study has no cases table ([corpus] cases); pass --cases FILE."
            )
        covariates = corp.cases
    elif source.get("cases"):
        from qualquant import corpus

        covariates = corpus.read_cases(source["cases"])
    else:
        raise TopicModelError(f"{model_dir}: the model has no cases table; pass --cases FILE.")
    refit_seeds = tuple(int(model.random_state) + i for i in range(1, refits + 1))
    table = estimate_effects(
        model,
        covariates,
        by=by,
        formula=formula,
        level=level,
        n_sims=n_sims,
        refit_seeds=refit_seeds,
        random_state=seed,
    )
    _print_table(table.drop(columns=["method", "n_sims"]), f"Topic prevalence by {by or formula}")
    console.print(table["method"].iloc[0])
    if out is not None:
        write_table(table, out)
        console.print(f"Wrote {out}")
    if svg is not None:
        atomic_write_text(svg, effects_to_svg(table, title=f"Topic prevalence by {by or formula}"))
        console.print(f"Wrote {svg}")


__all__ = ["app", "corpus_from_source", "demo_study", "load_documents", "parse_k_range"]
