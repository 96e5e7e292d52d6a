"""Benchmark: qualquant's LDA step against bare gensim, and memory as the corpus grows.

1. Time: ``TopicModel(workers=2).fit`` (streaming bag-of-words, LdaMulticore,
   topic proportions; coherence switched off) against bare gensim on the same
   lemma lists with identical parameters (``Dictionary`` + ``filter_extremes`` +
   a list of ``doc2bow`` + ``LdaMulticore`` + ``inference``), in the same process,
   five alternating runs each; the same with ``workers=1`` (``LdaModel``), whose
   timings are steadier. Goal: ratio <= 1.1.
2. Memory: peak traced allocations (tracemalloc) of both while fitting the demo
   corpus' participant turns replicated 1x, 4x and 16x. The lemma lists are made
   before tracing starts and fed to our model through a generator; bare gensim
   keeps its list of bags of words, as gensim users usually do.

Run: ``python bench/bench_topics.py``. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from pathlib import Path

from qualquant import pipelines
from qualquant.coding.topics import TopicModel
from qualquant.corpus.collection import read_corpus
from qualquant.corpus.nlp import segment_lemmas

PARAMS = dict(num_topics=8, passes=5, iterations=50, chunksize=2000, random_state=0)
WORKERS = 2


def demo_lemmas() -> list[list[str]]:
    demo = Path(pipelines.__file__).parent / "demo_data"
    corpus = read_corpus(demo / "transcripts", cases=demo / "cases.csv")
    return [list(x) for x in segment_lemmas(corpus)["lemmas"]]


def ours(docs_iter, workers=WORKERS):
    model = TopicModel(
        PARAMS["num_topics"],
        passes=PARAMS["passes"],
        iterations=PARAMS["iterations"],
        chunksize=PARAMS["chunksize"],
        random_state=PARAMS["random_state"],
        workers=workers,
        coherence=None,
    )
    return model.fit(docs_iter)


def bare(docs, workers=WORKERS):
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel, LdaMulticore

    dictionary = Dictionary(docs)
    dictionary.filter_extremes(no_below=2, no_above=0.5, keep_n=None)
    bow = [dictionary.doc2bow(d) for d in docs]
    bow = [b for b in bow if b]
    kwargs = dict(corpus=bow, id2word=dictionary, alpha="symmetric", eta=None, eval_every=None, **PARAMS)
    model = LdaModel(**kwargs) if workers == 1 else LdaMulticore(workers=workers, **kwargs)
    gamma, _ = model.inference(bow)
    return model, gamma


def timed(fn) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare_times(docs, workers, repeats=5) -> tuple[float, float, float, float]:
    """Alternate the two, ``repeats`` times each; return min and median of each."""
    t_bare, t_ours = [], []
    for _ in range(repeats):
        t_bare.append(timed(lambda: bare(docs, workers)))
        t_ours.append(timed(lambda: ours(iter(docs), workers)))
    return min(t_bare), statistics.median(t_bare), min(t_ours), statistics.median(t_ours)


def peak_mib(fn, arg) -> float:
    gc.collect()
    tracemalloc.start()
    result = fn(arg)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak / 2**20


def main() -> None:
    base = demo_lemmas()
    n_tokens = sum(len(d) for d in base)
    print(f"demo corpus: {len(base)} participant turns, {n_tokens} content lemmas")
    print(f"parameters: {PARAMS}, workers={WORKERS}")

    print("\n1) LDA step, same process, 5 alternating runs each (min / median seconds)")
    for workers in (WORKERS, 1):
        engine = "LdaMulticore" if workers > 1 else "LdaModel"
        for factor in (1, 4):
            docs = base * factor
            b_min, b_med, o_min, o_med = compare_times(docs, workers)
            print(
                f"  {engine:<12} {factor:>2}x ({len(docs):>4} docs): bare gensim {b_min:5.2f} / {b_med:5.2f}, "
                f"qualquant {o_min:5.2f} / {o_med:5.2f}, ratio of medians {o_med / b_med:.3f} "
                f"(min {o_min / b_min:.3f}; goal <= 1.1)"
            )

    print("\n2) peak traced memory while fitting (MiB)")
    previous = None
    for factor in (1, 4, 16):
        docs = base * factor
        m_ours = peak_mib(lambda d: ours(iter(d)), docs)
        m_bare = peak_mib(bare, docs)
        per_doc = m_ours * 2**20 / len(docs)
        growth = f", x{m_ours / previous:.2f} vs previous" if previous else ""
        print(
            f"  {factor:>2}x ({len(docs):>5} docs): qualquant {m_ours:7.2f} MiB ({per_doc:,.0f} B/doc{growth}), "
            f"bare gensim {m_bare:7.2f} MiB, ratio {m_ours / m_bare:.2f}"
        )
        previous = m_ours


if __name__ == "__main__":
    main()
