"""Russian lemma speed: qualquant's lemmatizer vs spaCy's stock pymorphy3 lemmatizer.

Stock: ``spacy.blank("ru")`` + ``add_pipe("lemmatizer", config={"mode": "pymorphy3"})``
+ ``initialize()``. Ours: :func:`qualquant.corpus.nlp.make_pipeline("ru")`. Both run in this
process on every segment text of the bundled demo corpus (read with
:func:`qualquant.corpus.read_corpus`).

1. The lemmatizer component alone, on the same tokens. Each round tokenizes the
   texts afresh (untimed), times the stock component, then builds a *new*
   qualquant pipeline (empty memos: nothing is carried over from earlier rounds
   or runs) and times its component. pymorphy3's dictionaries are loaded once
   per process for both before any timing. Each component runs as ``nlp.pipe``
   runs it: ``component.pipe(docs, batch_size=nlp.batch_size)``. Reported: the
   best round of each (wall clock), their ratio, the spread of the per-round
   ratios, and the ratio of best process CPU times (less sensitive to a busy
   machine). A second pass with the memos filled is shown for information.
2. Whole pipelines (tokenizer + lemmatizer) over the texts with ``nlp.pipe``,
   both built fresh each round, plus the tokenizer alone, for information.

Every round compares every token's lemma with the stock one; the script prints
the number of mismatches and exits with status 1 if there is any.

Run: ``python bench/bench_lemmas.py [--rounds N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import spacy

from qualquant import pipelines
from qualquant.corpus import read_corpus
from qualquant.corpus.lemmatizer import RU_LEMMATIZER
from qualquant.corpus.nlp import make_pipeline

TARGET = 10.0


def _stock_pipeline():
    nlp = spacy.blank("ru")
    nlp.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
    nlp.initialize()
    return nlp


def _timed(run):
    """Run ``run()``; return its result, wall seconds and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


class _Mismatches:
    def __init__(self) -> None:
        self.count = 0
        self.tokens = 0
        self.examples: list[tuple[str, str, str]] = []

    def add(self, stock_docs, our_docs) -> None:
        for a, b in zip(stock_docs, our_docs, strict=True):
            if [t.text for t in a] != [t.text for t in b]:
                raise SystemExit("tokenisation differs between the pipelines")
            for ta, tb in zip(a, b):
                self.tokens += 1
                if ta.lemma_ != tb.lemma_:
                    self.count += 1
                    if len(self.examples) < 5:
                        self.examples.append((ta.text, ta.lemma_, tb.lemma_))


def _rate(n_tokens: int, seconds: float) -> str:
    return f"{n_tokens / seconds:12,.0f} tokens/s  ({seconds * 1000:8.1f} ms)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=7, help="time each measurement N times and keep the fastest (default 7)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="pass the corpus N times (a larger corpus with the same vocabulary)"
    )
    args = parser.parse_args()

    demo = Path(pipelines.__file__).parent / "demo_data" / "transcripts"
    corpus = read_corpus(demo)
    texts = [seg.text for t in corpus for seg in t.segments] * args.repeat

    stock = _stock_pipeline()
    stock_lemmatizer = stock.get_pipe("lemmatizer")
    make_pipeline("ru")  # loads pymorphy3's dictionaries for our component before timing
    check = _Mismatches()

    # 1. the lemmatizer component alone
    stock_wall, stock_cpu, our_wall, our_cpu, warm_wall, ratios = [], [], [], [], [], []
    for _ in range(args.rounds):
        stock_docs = [stock.make_doc(text) for text in texts]
        stock_docs, wall, cpu = _timed(lambda: list(stock_lemmatizer.pipe(stock_docs, batch_size=stock.batch_size)))  # noqa: B023 - called in this iteration
        stock_wall.append(wall)
        stock_cpu.append(cpu)

        ours = make_pipeline("ru")
        component = ours.get_pipe(RU_LEMMATIZER)
        our_docs = [ours.make_doc(text) for text in texts]
        our_docs, wall, cpu = _timed(lambda: list(component.pipe(our_docs, batch_size=ours.batch_size)))  # noqa: B023 - called in this iteration
        our_wall.append(wall)
        our_cpu.append(cpu)
        ratios.append(stock_wall[-1] / wall)
        check.add(stock_docs, our_docs)
        n_forms, n_analysed = component.n_cached, component.n_analysed

        warm_docs = [ours.make_doc(text) for text in texts]
        warm_docs, wall, _ = _timed(lambda: list(component.pipe(warm_docs, batch_size=ours.batch_size)))  # noqa: B023 - called in this iteration
        warm_wall.append(wall)
        check.add(stock_docs, warm_docs)
    n_tokens = sum(len(doc) for doc in stock_docs)

    # 2. whole pipelines, each built fresh (cold tokenizer caches and memos)
    tok_wall, stock_pipe_wall, our_pipe_wall = [], [], []
    for _ in range(args.rounds):
        tokenizer_only = spacy.blank("ru")
        _, wall, _ = _timed(lambda: list(tokenizer_only.pipe(texts)))  # noqa: B023 - called in this iteration
        tok_wall.append(wall)
        fresh_stock = _stock_pipeline()
        stock_docs, wall, _ = _timed(lambda: list(fresh_stock.pipe(texts)))  # noqa: B023 - called in this iteration
        stock_pipe_wall.append(wall)
        fresh_ours = make_pipeline("ru")
        our_docs, wall, _ = _timed(lambda: list(fresh_ours.pipe(texts)))  # noqa: B023 - called in this iteration
        our_pipe_wall.append(wall)
        check.add(stock_docs, our_docs)

    best_ratio = min(stock_wall) / min(our_wall)
    cpu_ratio = min(stock_cpu) / min(our_cpu)
    print(
        f"corpus: {len(corpus)} transcripts, {len(texts)} segment texts, {n_tokens:,} tokens, "
        f"{n_forms:,} distinct forms, {n_analysed:,} analysed (case variants share)"
    )
    print(f"lemmatizer component, same tokens, best of {args.rounds} rounds, new pipeline each round:")
    print(f"  stock pymorphy3     : {_rate(n_tokens, min(stock_wall))}")
    print(f"  qualquant, cold     : {_rate(n_tokens, min(our_wall))}")
    print(
        f"  ratio               : {best_ratio:12.1f}x  (target >= {TARGET:g}x: "
        f"{'met' if best_ratio >= TARGET else 'NOT met'})"
    )
    print(
        f"  per-round ratios    : min {min(ratios):.1f}x, "
        f"median {statistics.median(ratios):.1f}x, "
        f"max {max(ratios):.1f}x"
    )
    print(
        f"  CPU-time ratio      : {cpu_ratio:12.1f}x  (stock {min(stock_cpu) * 1000:.1f} ms, "
        f"qualquant {min(our_cpu) * 1000:.1f} ms)"
    )
    print(
        f"  qualquant, warm     : {_rate(n_tokens, min(warm_wall))}  "
        f"ratio {min(stock_wall) / min(warm_wall):.1f}x (second pass, memos filled)"
    )
    print("whole pipeline, tokenizer + lemmatizer, fresh pipelines (for information):")
    print(f"  tokenizer only      : {_rate(n_tokens, min(tok_wall))}")
    print(f"  stock pymorphy3     : {_rate(n_tokens, min(stock_pipe_wall))}")
    print(f"  qualquant           : {_rate(n_tokens, min(our_pipe_wall))}")
    print(f"  ratio               : {min(stock_pipe_wall) / min(our_pipe_wall):12.1f}x")
    print(f"lemma mismatches      : {check.count:12d} of {check.tokens:,} token comparisons (must be 0)")
    for text, expected, got in check.examples:
        print(f"  {text!r}: stock {expected!r}, ours {got!r}")
    return 1 if check.count else 0


if __name__ == "__main__":
    sys.exit(main())
