#!/usr/bin/env python3
"""Fingerprint files and the index (issue 13), in one run:

1. `sketch` throughput against `stats` (read + count) and `dedup` (read +
   shingle + sign) on the same corpus, and `cat > /dev/null`: each command
   --rounds times in turns, the median (and the fastest) reported.
2. An index of N short generated documents built with `index add`: time,
   peak memory (GNU time), size on disk per document.
3. `index query` of Q documents (half near-duplicates of indexed ones, half
   new) against `dedup` over the union of both, same data.
4. datasketch's MinHashLSH (in memory) inserting the N signatures the index
   stores and querying the Q signatures of the questioned documents, against
   our `index add` and `index query` end to end (ours also reads, tokenises,
   shingles and signs; datasketch gets the signatures ready-made, so the
   ratio is conservative), and against our LSH on its own: the time our
   runs spent inserting and probing the band table (FINGERPRINT_TRACE's
   parts), on the same signatures.

usage: index_bench.py FINGERPRINT_BINARY WORK_DIR [--docs N] [--queries Q] [--corpus DIR] [--rounds R] [--json OUT]
"""
import argparse, json, os, sqlite3, subprocess, sys, time

import numpy as np


def timed(cmd, **kw):
    """Wall seconds and peak resident MB of a command (GNU time)."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", "/tmp/fp-index-bench.peak"] + cmd, capture_output=True, **kw)
    dt = time.perf_counter() - t
    if r.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    with open("/tmp/fp-index-bench.peak") as f:
        peak = int(f.read().split()[-1]) / 1024
    return dt, peak, r.stdout


def timed_parts(cmd):
    """As timed(), with FINGERPRINT_TRACE=1: also the trace's measured parts
    ("trace:   part: NAME   SECONDS s" lines), by name without a count in
    parentheses."""
    t = time.perf_counter()
    env = dict(os.environ, FINGERPRINT_TRACE="1")
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", "/tmp/fp-index-bench.peak"] + cmd, capture_output=True, env=env)
    dt = time.perf_counter() - t
    if r.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    with open("/tmp/fp-index-bench.peak") as f:
        peak = int(f.read().split()[-1]) / 1024
    parts = {}
    for line in r.stderr.decode().splitlines():
        if line.startswith("trace:   part: "):
            name, seconds = line[len("trace:   part: "):].rsplit(None, 2)[:2]
            parts[name.split(" (")[0].strip()] = float(seconds)
    return dt, peak, r.stdout, parts


def generate(path, n, words, vocab, rng, near_of=None, near_share=0.0):
    """n documents of about `words` Zipf-distributed words a line (JSONL).
    With near_of (a list of documents), a share of them are copies of one
    with 5% of the words replaced."""
    docs = []
    ranks = np.arange(1, vocab + 1, dtype=np.float64)
    p = 1 / ranks ** 1.07
    p /= p.sum()
    lengths = rng.integers(words // 2, words * 3 // 2, size=n)
    draws = rng.choice(vocab, size=int(lengths.sum()), p=p)
    at = 0
    for i in range(n):
        w = [f"w{x}" for x in draws[at:at + lengths[i]]]
        at += lengths[i]
        if near_of is not None and i < int(n * near_share):
            base = near_of[int(rng.integers(len(near_of)))].split(" ")
            w = [t if rng.random() > 0.05 else f"w{int(rng.integers(vocab))}" for t in base]
        docs.append(" ".join(w))
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps({"text": d}) + "\n")
    return docs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("work")
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--words", type=int, default=40)
    ap.add_argument("--corpus", help="a directory for the sketch throughput test (default: a generated one)")
    ap.add_argument("--rounds", type=int, default=5, help="runs of each throughput command, in turns (the median is reported)")
    ap.add_argument("--json")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    b = a.binary
    out = {"docs": a.docs, "queries": a.queries}
    rng = np.random.default_rng(13)

    # 1. sketch throughput.
    corpus = a.corpus
    if corpus is None:
        corpus = os.path.join(a.work, "corpus")
        if not os.path.isdir(corpus):
            subprocess.run([b, "synth", corpus, "--size", "100MB", "--quiet"], check=True)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(corpus) for f in fs if f.endswith(".txt"))
    fp = os.path.join(a.work, "corpus.fp")
    # Each command --rounds times, in turns (a run of each, then again):
    # the median and the fastest, since single runs of under a second on a
    # shared 2-core machine vary by 10-20%.
    commands = [
        ("cat > /dev/null", ["sh", "-c", f"find '{corpus}' -name '*.txt' -print0 | xargs -0 cat > /dev/null"]),
        ("stats (read, tokenise, count)", [b, "stats", corpus, "-q", "--format", "json"]),
        ("dedup (read, shingle, sign, LSH)", [b, "dedup", corpus, "-q", "--format", "json"]),
        ("sketch (all of the above, n-gram sets, SQLite)", [b, "sketch", corpus, "-o", fp, "-q", "--force"]),
    ]
    runs = {name: [] for name, _ in commands}
    for _ in range(a.rounds):
        for name, cmd in commands:
            for suffix in ["", "-wal", "-shm"]:
                if os.path.exists(fp + suffix):
                    os.remove(fp + suffix)
            os.sync()
            runs[name].append(timed(cmd)[:2])
    rows = {}
    for name, _ in commands:
        times = sorted(dt for dt, _ in runs[name])
        dt = times[len(times) // 2]
        rows[name] = {"seconds": dt, "seconds_min": times[0], "mb_per_s": size / 1e6 / dt,
                      "mb_per_s_best": size / 1e6 / times[0], "peak_mb": max(p for _, p in runs[name]),
                      "rounds": len(times)}
    rows["sketch (all of the above, n-gram sets, SQLite)"]["file_bytes"] = os.path.getsize(fp)
    out["corpus_bytes"] = size
    out["throughput"] = rows

    # 2. the index of N short documents.
    ref = os.path.join(a.work, f"ref-{a.docs}.jsonl")
    qpath = os.path.join(a.work, f"q-{a.queries}.jsonl")
    if not (os.path.exists(ref) and os.path.exists(qpath)):
        docs = generate(ref, a.docs, a.words, 50_000, rng)
        generate(qpath, a.queries, a.words, 50_000, rng, near_of=docs, near_share=0.5)
        del docs
    idx = os.path.join(a.work, "idx.fp")
    for p in [idx, idx + "-wal", idx + "-shm"]:
        if os.path.exists(p):
            os.remove(p)
    dt, peak, _, add_parts = timed_parts([b, "index", "add", idx, ref, "-q", "--force"])
    out["index_add"] = {
        "seconds": dt, "docs_per_s": a.docs / dt, "peak_mb": peak, "file_bytes": os.path.getsize(idx),
        "bytes_per_doc": os.path.getsize(idx) / a.docs, "ref_bytes": os.path.getsize(ref),
        "band_insert_seconds": add_parts.get("band keys inserted, in all")}

    # 3. query against dedup of the union.
    dt_q, peak_q, stdout, query_parts = timed_parts([b, "index", "query", idx, qpath, "-q", "--format", "json", "--top", "0"])
    report = json.loads(stdout)
    found = sum(1 for r in report["results"] if r["near_duplicates"])
    dt_q5, peak_q5, _ = timed([b, "index", "query", idx, qpath, "-q", "--format", "json", "--top", "5"])
    union = os.path.join(a.work, "union.jsonl")
    with open(union, "w") as f:
        for p in [ref, qpath]:
            with open(p) as g:
                f.write(g.read())
    dt_d, peak_d, _ = timed([b, "dedup", union, "-q", "--format", "json", "--force"])
    out["query"] = {
        "seconds_top0": dt_q, "peak_mb_top0": peak_q, "seconds_top5": dt_q5, "peak_mb_top5": peak_q5,
        "near_duplicates_found": found, "dedup_union_seconds": dt_d, "dedup_union_peak_mb": peak_d,
        "ratio_top0": dt_d / dt_q, "ratio_top5": dt_d / dt_q5}

    # 4. datasketch MinHashLSH on the stored signatures.
    try:
        from datasketch import LeanMinHash, MinHash, MinHashLSH
    except ImportError:
        print("datasketch is not installed: skipping the LSH comparison", file=sys.stderr)
    else:
        qfp = os.path.join(a.work, "q.fp")
        if os.path.exists(qfp):
            os.remove(qfp)
        subprocess.run([b, "sketch", qpath, "-o", qfp, "-q"], check=True)

        def signatures(path):
            con = sqlite3.connect(path)
            for (blob,) in con.execute("SELECT minhash FROM documents ORDER BY id"):
                yield np.frombuffer(blob, dtype="<u4").astype(np.uint64)

        def banded(path):
            """Per document (in id order), whether it has band keys: at least
            `shingle` shingle tokens (shorter ones are not in the index)."""
            con = sqlite3.connect(path)
            shingle = int(dict(con.execute("SELECT key, value FROM meta"))["shingle"])
            return [bool(x) for (x,) in con.execute(
                "SELECT shingle_tokens >= ? AND length(shingles) > 0 FROM documents ORDER BY id", (shingle,))]

        # The signatures are ours; the scheme only labels them for datasketch's own checks.
        SCHEME = MinHash(num_perm=1).scheme
        meta = dict(sqlite3.connect(idx).execute("SELECT key, value FROM meta"))
        lsh = MinHashLSH(threshold=float(meta["threshold"]), num_perm=int(meta["permutations"]),
                         params=(int(meta["bands"]), int(meta["rows"])))
        sigs = list(signatures(idx))
        t = time.perf_counter()
        with lsh.insertion_session() as s:
            for i, h in enumerate(sigs):
                s.insert(i, LeanMinHash(seed=1, hashvalues=h, scheme=SCHEME))
        ins = time.perf_counter() - t
        qs = [LeanMinHash(seed=1, hashvalues=h, scheme=SCHEME) for h in signatures(qfp)]
        t = time.perf_counter()
        answers = [lsh.query(m) for m in qs]
        qt = time.perf_counter() - t
        hits = sum(1 for r in answers if r)
        # The same candidates as ours, as a check of the band index: every
        # (question, reference) pair sharing a band, among documents with
        # band keys (`candidates` of our report counts the same pairs).
        ref_banded, q_banded = banded(idx), banded(qfp)
        theirs = sum(sum(1 for c in r if ref_banded[c]) for r, ok in zip(answers, q_banded) if ok)
        out["datasketch"] = {
            "insert_seconds": ins, "insert_docs_per_s": len(sigs) / ins, "query_seconds": qt,
            "query_docs_per_s": len(qs) / qt, "queries_with_candidates": hits,
            "candidates": theirs, "ours_candidates": report["candidates"], "same_candidates": theirs == report["candidates"],
            "ours_insert_docs_per_s": a.docs / out["index_add"]["seconds"],
            "ours_query_docs_per_s": a.queries / dt_q,
            "insert_ratio": (a.docs / out["index_add"]["seconds"]) / (len(sigs) / ins),
            "query_ratio": (a.queries / dt_q) / (len(qs) / qt)}
        # The LSH on its own, on the same signatures: our time in the band
        # table's inserts (sorting the keys, SQLite) and in its probes (the
        # keys, their sort, SQLite), as the trace measures them in the runs
        # above, against datasketch's insert and query.
        band_insert = out["index_add"]["band_insert_seconds"]
        band_probes = query_parts.get("band probes")
        if band_insert and band_probes:
            out["datasketch"].update({
                "ours_band_insert_seconds": band_insert, "ours_band_probe_seconds": band_probes,
                "lsh_insert_ratio": ins / band_insert, "lsh_query_ratio": qt / band_probes})

    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
