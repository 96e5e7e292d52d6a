"""Russian lemma speed: qualquant's memoising lemmatizer vs spaCy's stock pymorphy3 lemmatizer.

Both pipelines share the same tokenizer (blank ``ru``); the stock one is
``spacy.blank("ru")`` + ``add_pipe("lemmatizer", config={"mode": "pymorphy3"})``
+ ``initialize()``, ours is :func:`corpus.nlp.make_pipeline("ru")`, built fresh
(empty memo) in the same process. Each runs once over every segment text of the
bundled demo corpus (timed after a one-segment warm-up that loads pymorphy3's
dictionaries in both). Prints tokens/s for both, the ratio, and the number of
tokens whose lemma differs (must be 0). Exit code 1 if any lemma differs.

Run: ``python bench/bench_lemmas.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import spacy

import pipelines
from corpus import read_corpus
from corpus.nlp import make_pipeline


def _run(nlp, texts):
    start = time.perf_counter()
    docs = list(nlp.pipe(texts))
    return docs, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
    warm_up = "Ну, мы с друзьями искали квартиру."
    stock(warm_up)
    ours(warm_up)
    ours.get_pipe("qualquant_ru_lemmatizer").memo.clear()

    tokenizer_only = spacy.blank("ru")
    _, t_tok = _run(tokenizer_only, texts)
    stock_docs, t_stock = _run(stock, texts)
    our_docs, t_ours = _run(ours, texts)

    n_tokens = sum(len(d) for d in stock_docs)
    mismatches = 0
    first = []
    for a, b in zip(stock_docs, our_docs):
        if len(a) != len(b):
            raise SystemExit("tokenisation differs between the pipelines")
        for ta, tb in zip(a, b):
            if ta.lemma_ != tb.lemma_:
                mismatches += 1
                if len(first) < 5:
                    first.append((ta.text, ta.lemma_, tb.lemma_))
    memo = ours.get_pipe("qualquant_ru_lemmatizer")
    print(f"corpus: {len(corpus)} transcripts, {len(texts)} segment texts, {n_tokens} tokens "
          f"({len(memo.memo)} distinct (form, pos, morph) keys)")
    print(f"tokenizer only : {n_tokens / t_tok:12,.0f} tokens/s")
    print(f"stock lemmatizer: {n_tokens / t_stock:12,.0f} tokens/s  ({t_stock:.3f} s)")
    print(f"qualquant       : {n_tokens / t_ours:12,.0f} tokens/s  ({t_ours:.3f} s)")
    print(f"ratio           : {t_stock / t_ours:12.1f}x (target >= 10x)")
    print(f"lemma mismatches: {mismatches:12d} (must be 0)")
    for text, expected, got in first:
        print(f"  {text!r}: stock {expected!r}, ours {got!r}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
