"""Russian lemma speed: qualquant's memoising lemmatizer vs spaCy's stock pymorphy3 lemmatizer.

Both pipelines share the same tokenizer (blank ``ru``); the stock one is
``spacy.blank("ru")`` + ``add_pipe("lemmatizer", config={"mode": "pymorphy3"})``
+ ``initialize()``, ours is :func:`corpus.nlp.make_pipeline("ru")`, built fresh
(empty memo) in the same process. Each runs once over every segment text of the
bundled demo corpus (timed after a one-segment warm-up that loads pymorphy3's
dictionaries in both). Prints tokens/s for both, the ratio, and the number of
tokens whose lemma differs (must be 0). Exit code 1 if any lemma differs.

Run: ``python bench/bench_lemmas.py [--rounds N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import spacy

import pipelines
from corpus import read_corpus
from corpus.lemmatizer import RU_LEMMATIZER
from corpus.nlp import make_pipeline


def _pipe_time(nlp, texts):
    start = time.perf_counter()
    docs = list(nlp.pipe(texts))
    return docs, time.perf_counter() - start


def _component_time(nlp, name, texts):
    """Tokenize (untimed), then time only the lemmatizer component over the docs."""
    docs = [nlp.make_doc(text) for text in texts]
    component = nlp.get_pipe(name)
    start = time.perf_counter()
    docs = [component(doc) for doc in docs]
    return docs, time.perf_counter() - start


def _mismatches(stock_docs, our_docs):
    count, examples = 0, []
    for a, b in zip(stock_docs, our_docs, strict=True):
        if len(a) != len(b):
            raise SystemExit("tokenisation differs between the pipelines")
        for ta, tb in zip(a, b):
            if ta.lemma_ != tb.lemma_:
                count += 1
                if len(examples) < 5:
                    examples.append((ta.text, ta.lemma_, tb.lemma_))
    return count, examples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5,
                        help="time each measurement N times and keep the fastest (the machine may be busy)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="pass the corpus N times (a larger corpus with the same vocabulary)")
    args = parser.parse_args()

    demo = Path(pipelines.__file__).parent / "demo_data" / "transcripts"
    corpus = read_corpus(demo)
    texts = [seg.text for t in corpus for seg in t.segments] * args.repeat

    stock = spacy.blank("ru")
    stock.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
    stock.initialize()
    ours = make_pipeline("ru")
    memo = ours.get_pipe(RU_LEMMATIZER)
    for nlp in (stock, ours):  # load pymorphy3's dictionaries before timing
        nlp("Ну, мы с друзьями искали квартиру.")
    memo.clear_cache()

    # 1. the lemmatizer component alone, on the same tokens, our memo empty
    t_stock = t_ours = float("inf")
    for _ in range(args.rounds):
        stock_docs, t = _component_time(stock, "lemmatizer", texts)
        t_stock = min(t_stock, t)
        memo.clear_cache()
        our_docs, t = _component_time(ours, RU_LEMMATIZER, texts)
        t_ours = min(t_ours, t)
    n_tokens = sum(len(d) for d in stock_docs)
    n_keys = memo.n_cached
    mismatches, examples = _mismatches(stock_docs, our_docs)
    # 1b. the same again with the memo filled (a second pass in the same process)
    warm_docs, t_warm = _component_time(ours, RU_LEMMATIZER, texts)
    more, more_examples = _mismatches(stock_docs, warm_docs)
    mismatches += more
    examples += more_examples

    # 2. whole pipelines (tokenizer caches now warm in both), our memo emptied again
    memo.clear_cache()
    tokenizer_only = spacy.blank("ru")
    _, t_tok = _pipe_time(tokenizer_only, texts)
    _, t_tok = _pipe_time(tokenizer_only, texts)
    t_stock_pipe = t_ours_pipe = float("inf")
    for _ in range(args.rounds):
        stock_docs, t = _pipe_time(stock, texts)
        t_stock_pipe = min(t_stock_pipe, t)
        memo.clear_cache()
        our_docs, t = _pipe_time(ours, texts)
        t_ours_pipe = min(t_ours_pipe, t)
    more, more_examples = _mismatches(stock_docs, our_docs)
    mismatches += more
    examples += more_examples

    print(f"corpus: {len(corpus)} transcripts, {len(texts)} segment texts, {n_tokens} tokens, "
          f"{n_keys} distinct (form, pos, morph) keys")
    print("lemmatizer component (same tokens, memo empty at start):")
    print(f"  stock pymorphy3 : {n_tokens / t_stock:12,.0f} tokens/s  ({t_stock:.3f} s)")
    print(f"  qualquant       : {n_tokens / t_ours:12,.0f} tokens/s  ({t_ours:.3f} s)")
    print(f"  ratio           : {t_stock / t_ours:12.1f}x (target >= 10x)")
    print(f"  qualquant, memo filled by the pass above: {n_tokens / t_warm:,.0f} tokens/s, "
          f"ratio {t_stock / t_warm:.1f}x")
    print(f"  tokens per distinct key: {n_tokens / n_keys:.1f} (bounds the cold-memo ratio together "
          "with the cost of one pymorphy3 analysis)")
    print("whole pipeline, tokenizer included (memo empty at start):")
    print(f"  tokenizer only  : {n_tokens / t_tok:12,.0f} tokens/s")
    print(f"  stock pymorphy3 : {n_tokens / t_stock_pipe:12,.0f} tokens/s  ({t_stock_pipe:.3f} s)")
    print(f"  qualquant       : {n_tokens / t_ours_pipe:12,.0f} tokens/s  ({t_ours_pipe:.3f} s)")
    print(f"  ratio           : {t_stock_pipe / t_ours_pipe:12.1f}x")
    print(f"lemma mismatches  : {mismatches:12d} (must be 0; both runs, every token)")
    for text, expected, got in examples:
        print(f"  {text!r}: stock {expected!r}, ours {got!r}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
