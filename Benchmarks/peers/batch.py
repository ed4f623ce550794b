#!/usr/bin/env python3
"""Batch TF-IDF cosine top-k: Fingerprint `batch` against the scikit-learn
pipeline (TfidfVectorizer + cosine_similarity + argpartition), same corpus,
same run. Checks that the neighbour lists agree.

usage: batch.py FINGERPRINT_BINARY CORPUS_DIR [--top 10] [--features 16384] [--json OUT]
"""
import argparse, glob, json, os, resource, subprocess, sys, time
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--features", type=int, default=16384)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-docs", type=int, default=10000,
                    help="use the first N documents (sorted paths): scikit-learn's cosine_similarity is a dense N x N matrix")
    ap.add_argument("--json")
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.corpus, "**", "*.txt"), recursive=True))
    if len(files) > a.max_docs:
        # Both tools get the same documents: a temporary directory of links.
        import tempfile
        tmp = tempfile.mkdtemp(prefix="fp-batch-peer-")
        for f in files[: a.max_docs]:
            rel = os.path.relpath(f, a.corpus)
            os.makedirs(os.path.join(tmp, os.path.dirname(rel)), exist_ok=True)
            os.symlink(os.path.abspath(f), os.path.join(tmp, rel))
        a.corpus = tmp
        files = sorted(glob.glob(os.path.join(a.corpus, "**", "*.txt"), recursive=True))
    names = [os.path.relpath(f, a.corpus) for f in files]

    best = None
    for _ in range(a.repeat):
        t = time.perf_counter()
        p = subprocess.run([a.binary, "batch", a.corpus, "--top", str(a.top), "--features", str(a.features),
                            "--format", "csv", "--quiet"], check=True, capture_output=True, text=True)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
        out = p.stdout
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ours = {}
    for line in out.splitlines():
        if line.startswith("#") or line.startswith("query,"):
            continue
        q, n, r, s = line.rsplit(",", 3)
        ours.setdefault(q, []).append((n, float(s)))

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity
    t = time.perf_counter()
    texts = [open(f, encoding="utf-8", errors="replace").read() for f in files]
    X = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", max_features=a.features).fit_transform(texts)
    S = cosine_similarity(X)
    np.fill_diagonal(S, -np.inf)
    idx = np.argpartition(-S, a.top, axis=1)[:, :a.top]
    t_sk = time.perf_counter() - t

    # Agreement: same neighbour sets where scores are not tied at the k-th place.
    agree = total = 0
    for i, q in enumerate(names):
        theirs = set(names[j] for j in idx[i])
        mine = set(n for n, _ in ours.get(q, []))
        kth = np.sort(S[i, idx[i]])[0]
        ties = np.sum(np.abs(S[i] - kth) < 1e-6) > 1
        if ties:
            continue
        total += 1
        agree += theirs == mine
    print(f"corpus {a.corpus}: {len(files)} documents, top {a.top}, features {a.features}")
    print(f"fingerprint batch          {best:8.3f} s   peak {peak_mb:.0f} MB")
    print(f"sklearn pipeline           {t_sk:8.3f} s")
    print(f"ratio (sklearn / ours)     {t_sk / best:8.1f}x")
    print(f"identical top-{a.top} sets: {agree}/{total} documents without ties at rank {a.top}")
    if a.json:
        json.dump({"documents": len(files), "ours_seconds": best, "sklearn_seconds": t_sk, "ratio": t_sk / best,
                   "ours_peak_mb": peak_mb, "agree": agree, "compared": total}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
