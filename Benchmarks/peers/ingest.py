#!/usr/bin/env python3
"""Ingest + tokenise + count: Fingerprint `stats` against its peers, same corpus, same run.

Peers: `find DIR -name '*.txt' | xargs cat | wc -w` and scikit-learn
CountVectorizer(token_pattern=r"(?u)\\b\\w+\\b"). Prints MB/s and the ratio
ours/theirs for each (higher is better for us), our peak memory, and checks
that our token count equals CountVectorizer's.

usage: ingest.py FINGERPRINT_BINARY CORPUS_DIR [--repeat N] [--json OUT]
"""
import argparse, glob, json, os, resource, subprocess, sys, time


def best_of(n, fn):
    best = None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        if best is None or dt < best[0]:
            best = (dt, out)
    return best


def corpus_bytes(files):
    return sum(os.path.getsize(f) for f in files)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.corpus, "**", "*.txt"), recursive=True))
    size = corpus_bytes(files)
    mb = size / 1e6
    rows = []

    # Ours (peak RSS from GNU time's getrusage of the child).
    def ours():
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        p = subprocess.run([a.binary, "stats", a.corpus, "--format", "json", "--quiet"], check=True, capture_output=True)
        return json.loads(p.stdout)
    t_ours, prof = best_of(a.repeat, ours)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rows.append(("fingerprint stats", t_ours))

    # wc -w over the same files.
    def wc():
        p = subprocess.run(f"find '{a.corpus}' -name '*.txt' -print0 | xargs -0 cat | wc -w", shell=True,
                           check=True, capture_output=True, text=True)
        return int(p.stdout.strip())
    t_wc, words = best_of(a.repeat, wc)
    rows.append(("find | xargs cat | wc -w", t_wc))

    # scikit-learn CountVectorizer (one run: it is slow).
    result = {"corpus": a.corpus, "files": len(files), "bytes": size, "tokens": prof["tokens"], "types": prof["types"],
              "wc_words": words, "ours_seconds": t_ours, "wc_seconds": t_wc, "ours_peak_mb": peak_kb / 1024}
    try:
        from sklearn.feature_extraction.text import CountVectorizer
        import sklearn
        def cv():
            v = CountVectorizer(token_pattern=r"(?u)\b\w+\b", input="filename")
            X = v.fit_transform(files)
            return int(X.sum()), len(v.vocabulary_)
        t_cv, (cv_tokens, cv_types) = best_of(1, cv)
        rows.append((f"sklearn {sklearn.__version__} CountVectorizer", t_cv))
        result.update(countvectorizer_seconds=t_cv, countvectorizer_tokens=cv_tokens, countvectorizer_types=cv_types)
    except ImportError as e:
        print(f"skipped CountVectorizer: {e} (pip install scikit-learn)", file=sys.stderr)

    print(f"corpus {a.corpus}: {len(files)} files, {mb:.1f} MB, {prof['tokens']:,} tokens, {prof['types']:,} types")
    print(f"{'tool':40s} {'seconds':>8s} {'MB/s':>8s} {'ours/theirs':>12s}")
    for name, t in rows:
        print(f"{name:40s} {t:8.3f} {mb / t:8.1f} {t / t_ours:11.1f}x")
    print(f"fingerprint peak memory: {peak_kb / 1024:.0f} MB")
    if "countvectorizer_tokens" in result:
        same = result["countvectorizer_tokens"] == prof["tokens"] and result["countvectorizer_types"] == prof["types"]
        print(f"token and type counts equal CountVectorizer's: {'yes' if same else 'NO'}")
        result["counts_agree"] = same
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
