"""Speed of quant's crosstab and correlation matrix against pandas/scipy baselines.

Prints ratios (qualquant time / baseline time) measured in the same process:

- crosstab with every statistic on 1,000,000 rows vs ``pandas.crosstab`` +
  ``scipy.stats.chi2_contingency`` (goal <= 2x);
- correlation matrix with p-values and N, 30 variables x 100,000 rows with
  missing values vs ``DataFrame.corr()`` (goal <= 1.5x).

Run: ``python bench/bench_quant.py``. Timings are the best of nine runs, taken alternately.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy import stats

from qualquant import quant


def best_pair(baseline, ours, repeat=9):
    """Best-of-``repeat`` times of both, measured alternately so background load hits both alike."""
    tb, to = [], []
    for _ in range(repeat):
        for fn, acc in ((baseline, tb), (ours, to)):
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    return min(tb), min(to)


def main() -> None:
    rng = np.random.default_rng(20240601)
    n = 1_000_000
    df = pd.DataFrame({"row": rng.integers(1, 6, n), "col": rng.integers(1, 8, n)})

    def baseline_crosstab():
        ct = pd.crosstab(df["row"], df["col"])
        stats.chi2_contingency(ct)

    def ours_crosstab():
        quant.crosstab(df, "row", "col")

    t_base, t_ours = best_pair(baseline_crosstab, ours_crosstab)
    print(
        f"crosstab 1M rows, 5x7, all statistics: qualquant {t_ours * 1000:.1f} ms, "
        f"pandas.crosstab + chi2_contingency {t_base * 1000:.1f} ms, ratio {t_ours / t_base:.2f} (goal <= 2)"
    )

    k, m = 30, 100_000
    x = rng.normal(size=(m, k)) + rng.normal(size=(m, 1))
    x[rng.random((m, k)) < 0.05] = np.nan  # 5% missing: pairwise N differs per pair
    wide = pd.DataFrame(x, columns=[f"v{i}" for i in range(k)])
    cols = list(wide.columns)
    t_base, t_ours = best_pair(lambda: wide.corr(), lambda: quant.correlation_matrix(wide, cols))
    print(
        f"correlation matrix 30 vars x 100k rows, pairwise, with p and N: qualquant {t_ours * 1000:.1f} ms, "
        f"DataFrame.corr() {t_base * 1000:.1f} ms, ratio {t_ours / t_base:.2f} (goal <= 1.5)"
    )
    full = wide.fillna(0.0)
    t_base, t_ours = best_pair(lambda: full.corr(), lambda: quant.correlation_matrix(full, cols))
    print(
        f"correlation matrix 30 vars x 100k rows, no missing: qualquant {t_ours * 1000:.1f} ms, "
        f"DataFrame.corr() {t_base * 1000:.1f} ms, ratio {t_ours / t_base:.2f} (goal <= 1.5)"
    )


if __name__ == "__main__":
    main()
