#!/usr/bin/env python3
"""A straightforward NumPy implementation of Fingerprint's document-level
permutation test, the peer that `fingerprint compare` is timed against.

Test (DESIGN.md, Statistics): features are the top-K types by pooled count
over A and B (ties broken by token, ascending) plus one "other" column; the
statistic T is the Jensen-Shannon divergence in bits between A's and B's
pooled feature counts; the null is P relabellings of the documents (group
sizes kept), each drawn with numpy.random.default_rng(seed).permutation; the
group-A counts of a block of relabellings are one matrix product I @ X of a
0/1 indicator block (rows × N) by the document × feature count matrix X
(N × K+1); p = (1 + #{T_perm >= T_obs}) / (1 + P), where ">=" allows a
relative tolerance of 1e-12 as the engine does.

Tokeniser: re.findall(r"\\w+", text.lower()) — on ASCII text the same tokens
as Fingerprint's `word` tokenizer. Documents: every *.txt, *.md and *.text
file under each directory (recursive, sorted paths, empty files skipped),
decoded as UTF-8 with replacement.

Prints its own wall time split into (a) reading + tokenising + counting
(building X included) and (b) the test, then T and p.

usage: compare_numpy.py DIR_A DIR_B [--features 1000] [--permutations 999]
                        [--seed 0] [--dtype float32|float64] [--block 256] [--json]
"""
import argparse
import fnmatch
import json
import os
import re
import resource
import sys
import time

import numpy as np

TOKEN = re.compile(r"\w+")
GLOBS = ("*.txt", "*.md", "*.text")


def corpus_files(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for f in filenames:
            if any(fnmatch.fnmatch(f, g) for g in GLOBS):
                out.append(os.path.join(dirpath, f))
    return sorted(out, key=lambda p: os.path.relpath(p, root))


def read_corpus(root, vocab):
    """Token-id arrays of the non-empty documents of `root`; extends `vocab`."""
    docs = []
    nbytes = 0
    for path in corpus_files(root):
        with open(path, "rb") as fh:
            raw = fh.read()
        if not raw:
            continue
        nbytes += len(raw)
        tokens = TOKEN.findall(raw.decode("utf-8", errors="replace").lower())
        ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int64, count=len(tokens))
        docs.append(ids)
    return docs, nbytes


def xlog2x(p):
    out = np.zeros_like(p)
    nz = p > 0
    out[nz] = p[nz] * np.log2(p[nz])
    return out


def jsd_rows(a, totals):
    """JSD (bits) of each row of group-A counts `a` against `totals - a` (float64)."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = totals[None, :] - a
    ta = a.sum(axis=1, keepdims=True)
    tb = b.sum(axis=1, keepdims=True)
    ok = (ta[:, 0] > 0) & (tb[:, 0] > 0)
    p = np.divide(a, ta, out=np.zeros_like(a), where=ta > 0)
    q = np.divide(b, tb, out=np.zeros_like(b), where=tb > 0)
    m = 0.5 * (p + q)
    h = -xlog2x(m).sum(axis=1) + 0.5 * (xlog2x(p).sum(axis=1) + xlog2x(q).sum(axis=1))
    return np.where(ok, np.maximum(h, 0.0), 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--features", type=int, default=1000)
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--block", type=int, default=256, help="relabellings per matrix product")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    o = ap.parse_args()

    # (a) read + tokenise + count, and the N × (K+1) feature matrix.
    t0 = time.perf_counter()
    vocab = {}
    docs_a, bytes_a = read_corpus(o.a, vocab)
    docs_b, bytes_b = read_corpus(o.b, vocab)
    na, nb = len(docs_a), len(docs_b)
    if na == 0 or nb == 0:
        sys.exit(f"no documents in {o.a if na == 0 else o.b}")
    docs = docs_a + docs_b
    n = na + nb
    pooled = np.bincount(np.concatenate(docs), minlength=len(vocab))
    # Top-K by pooled count, ties by token: sort tokens, then a stable sort by -count.
    tokens = np.array(sorted(vocab, key=vocab.get), dtype=object)  # token of each id
    by_token = np.argsort(tokens.astype(str), kind="stable")
    order = by_token[np.argsort(-pooled[by_token], kind="stable")]
    k = min(o.features, len(vocab))
    column = np.full(len(vocab), k, dtype=np.int64)  # "other" = column k
    column[order[:k]] = np.arange(k)
    f = k + 1
    totals = np.zeros(f, dtype=np.float64)
    x64 = np.zeros((n, f), dtype=np.float64)
    for d, ids in enumerate(docs):
        x64[d] = np.bincount(column[ids], minlength=f)
    totals = x64.sum(axis=0)
    dtype = np.float32 if o.dtype == "float32" and totals.max() < 2**24 else np.float64
    x = x64.astype(dtype)
    del x64
    t_read = time.perf_counter() - t0

    # (b) the test.
    t1 = time.perf_counter()
    xa = x[:na].sum(axis=0, dtype=np.float64)
    t_obs = float(jsd_rows(xa, totals)[0])
    rng = np.random.default_rng(o.seed)
    null = np.empty(o.permutations, dtype=np.float64)
    start = 0
    while start < o.permutations:
        rows = min(o.block, o.permutations - start)
        ind = np.zeros((rows, n), dtype=dtype)
        for r in range(rows):
            ind[r, rng.permutation(n)[:na]] = 1
        null[start:start + rows] = jsd_rows(ind @ x, totals)
        start += rows
    tol = 1e-12 * max(1.0, abs(t_obs))
    ge = int(np.count_nonzero(null >= t_obs - tol))
    p = (1 + ge) / (1 + o.permutations)
    t_test = time.perf_counter() - t1

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    result = {
        "documents_a": na, "documents_b": nb, "bytes_a": bytes_a, "bytes_b": bytes_b,
        "vocabulary": len(vocab), "features": f, "permutations": o.permutations, "dtype": np.dtype(dtype).name,
        "statistic": t_obs, "p_value": p, "null_mean": float(null.mean()),
        "seconds_read_tokenise_count": t_read, "seconds_test": t_test, "seconds_total": t_read + t_test,
        "peak_rss_bytes": peak,
    }
    if o.json:
        print(json.dumps(result))
        return
    print(f"documents: A {na}, B {nb}; bytes: A {bytes_a}, B {bytes_b}; vocabulary {len(vocab)}; "
          f"features {f}; {o.permutations} permutations ({result['dtype']})")
    print(f"(a) read + tokenise + count: {t_read:.2f} s")
    print(f"(b) permutation test:        {t_test:.2f} s")
    print(f"total:                       {t_read + t_test:.2f} s; peak RSS {peak / 1e6:.0f} MB")
    print(f"T = {t_obs:.10g} bits, p = {p:.6g} (null mean {result['null_mean']:.4g})")


if __name__ == "__main__":
    main()
