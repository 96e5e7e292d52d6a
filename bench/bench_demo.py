"""Benchmark of the demo: wall time and peak memory of the whole pipeline, and of the
corpus + coding-matrices stages on the demo corpus replicated to 2,000 transcripts.

Prints numbers only (never asserts). Peak memory is the process's maximum resident
set size (``resource.getrusage``; tracemalloc is not used because it slows the
topic model several-fold and would distort the times). Each measurement runs in a
fresh subprocess so the peaks do not mix.

Run: ``python bench/bench_demo.py [--copies 100]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _child_demo(out: str) -> dict:
    from qualquant.pipelines.cli.study import run_demo

    t0 = time.perf_counter()
    result = run_demo(Path(out), force=True, show_progress=False)
    seconds = time.perf_counter() - t0
    stages = {o.name: round(o.seconds, 2) for o in result.outcomes}
    return {"seconds": seconds, "stages": stages}


def _child_scaled(copies: int, workdir: str) -> dict:
    """Replicate the demo transcripts ``copies`` times; ingest, pseudonymise, coding matrices."""
    import pandas as pd

    from qualquant import corpus, pipelines
    from qualquant.coding import consensus, read_codebook, read_export
    from qualquant.coding.matrices import case_code_matrix, theme_frequencies

    demo = Path(pipelines.__file__).parent / "demo_data"
    src = sorted((demo / "transcripts").iterdir())
    folder = Path(workdir) / "transcripts"
    folder.mkdir(parents=True)
    for k in range(copies):
        for p in src:
            shutil.copyfile(p, folder / f"{p.stem}_{k:03d}{p.suffix}")
    codebook = read_codebook(demo / "codebook.toml")
    exports = (
        sorted(p for p in (demo / "labelstudio").glob("*.json") if not p.name.endswith(".users.json"))
        if (demo / "labelstudio").is_dir()
        else []
    )
    t0 = time.perf_counter()
    corp = corpus.read_corpus(folder, language="ru")
    t_read = time.perf_counter() - t0
    corp, _ = corpus.anonymize(corp, demo / "names.txt")
    t_anon = time.perf_counter() - t0 - t_read
    n_codings = 0
    t_mat = float("nan")
    if exports:
        # the shipped codings of INTnn (read against the 20-transcript demo corpus) are re-keyed onto
        # every copy INTnn_kkk, so the matrices see all replicated transcripts coded
        small, _ = corpus.anonymize(corpus.read_corpus(demo / "transcripts", language="ru"), demo / "names.txt")
        base = pd.concat([read_export(p, codebook=codebook, corpus=small).codings for p in exports])
        base = consensus(base[base["source"] == "human"])
        reps = []
        for k in range(copies):
            r = base.copy()
            r["transcript_id"] = r["transcript_id"].astype(str) + f"_{k:03d}"
            r["segment_id"] = [f"{t}:{sid.split(':')[1]}" for t, sid in zip(r["transcript_id"], r["segment_id"])]
            r["result_id"] = r["result_id"].astype(str) + f"_{k:03d}"
            reps.append(r)
        codings = pd.concat(reps, ignore_index=True)
        n_codings = len(codings)
        t1 = time.perf_counter()
        case_code_matrix(codings, corp, value="coverage", codebook=codebook)
        theme_frequencies(codings, corp, codebook)
        t_mat = time.perf_counter() - t1
    seconds = time.perf_counter() - t0
    return {
        "transcripts": len(corp),
        "segments": sum(len(t.segments) for t in corp),
        "seconds": seconds,
        "read_s": t_read,
        "anonymize_s": t_anon,
        "matrices_s": t_mat,
        "codings_rows": n_codings,
    }


def _run_child(args: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=100, help="replications of the 20 demo transcripts (100 = 2,000)")
    ap.add_argument("--child", choices=["demo", "scaled"])
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        res = _child_demo(args.out) if args.child == "demo" else _child_scaled(args.copies, args.out)
        res["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return
    with tempfile.TemporaryDirectory() as tmp:
        demo = _run_child(["--child", "demo", "--out", str(Path(tmp) / "demo")])
        print(
            f"demo (whole pipeline, {os.cpu_count()} cores): {demo['seconds']:.1f} s "
            f"(target <= 60 s: ratio {demo['seconds'] / 60:.2f}), max RSS {demo['max_rss_mb']:.0f} MiB"
        )
        print("  per stage (s): " + ", ".join(f"{k} {v}" for k, v in demo["stages"].items()))
        scaled = _run_child(["--child", "scaled", "--copies", str(args.copies), "--out", str(Path(tmp) / "scaled")])
        per_t = scaled["seconds"] / max(1, scaled["transcripts"])
        print(
            f"demo corpus x{args.copies} = {scaled['transcripts']} transcripts, {scaled['segments']} segments: "
            f"{scaled['seconds']:.1f} s (read {scaled['read_s']:.1f} s, pseudonymise {scaled['anonymize_s']:.1f} s), "
            f"{per_t * 1000:.1f} ms per transcript, max RSS {scaled['max_rss_mb']:.0f} MiB"
        )
        if scaled["codings_rows"]:
            print(
                f"  coding matrices (case x code coverage + theme frequencies) on {scaled['codings_rows']} "
                f"consensus rows: {scaled['matrices_s']:.1f} s"
            )
        else:
            print("  coding matrices: not measured (no Label Studio export shipped in pipelines/demo_data/labelstudio)")


if __name__ == "__main__":
    main()
