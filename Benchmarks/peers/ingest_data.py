#!/usr/bin/env python3
"""Generates the ingest benchmark's data: the same text as large files and as many small files.

Text: Zipf-distributed words (exponent 1.0) over TYPES distinct random lower-case words of 2-9
letters, about 1 in 12 capitalised, 1 in 200 with a non-ASCII letter (é, ü, ß, σ, ж); sentences
of 8-20 words end in '.', ',' or ';', about 1 in 6 ends a line. Seeded, so the same arguments
give the same bytes.

Writes DIR/large/part-NNNN.txt (files of LARGE_MB each, cut at a newline) and
DIR/small/NN/doc-NNNNNN.txt (the same bytes cut at newlines into files of ~SMALL_KB).

usage: ingest_data.py DIR [--mb 104] [--large-mb 1.04] [--small-kb 9] [--types 50000] [--seed 1]
"""
import argparse, os, sys
import numpy as np


def words(rng, types):
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    # Letter frequencies roughly like English, so words look like words to a hash table.
    freq = np.array([8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.2, 0.8, 4.0, 2.4,
                     6.7, 7.5, 1.9, 0.1, 6.0, 6.3, 9.1, 2.8, 1.0, 2.4, 0.2, 2.0, 0.1])
    freq /= freq.sum()
    seen, out = set(), []
    while len(out) < types:
        n = int(rng.integers(2, 10))
        w = bytes(rng.choice(letters, n, p=freq)).decode()
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--mb", type=float, default=104)
    ap.add_argument("--large-mb", type=float, default=1.04)
    ap.add_argument("--small-kb", type=float, default=9)
    ap.add_argument("--types", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    vocab = words(rng, a.types)
    accents = ["é", "ü", "ß", "σ", "ж"]
    # Some types carry a non-ASCII letter (the tokenizer's slow path, ~0.5% of tokens).
    for i in range(0, a.types, 97):
        w = vocab[i]
        k = int(rng.integers(0, len(w)))
        vocab[i] = w[:k] + accents[i % len(accents)] + w[k + 1:]
    caps = [w.capitalize() for w in vocab]
    ranks = np.arange(1, a.types + 1, dtype=np.float64)
    p = 1.0 / (ranks + 2.7)
    p /= p.sum()

    target = int(a.mb * 1e6)
    pieces, size = [], 0
    while size < target:
        n = 200_000
        ids = rng.choice(a.types, n, p=p)
        cap = rng.random(n) < 1 / 12
        ends = np.cumsum(rng.integers(8, 21, n // 8 + 1))
        ends = set(ends[ends < n].tolist())
        enders = rng.choice([". ", ", ", "; ", ".\n"], n, p=[0.45, 0.25, 0.1, 0.2])
        buf = []
        for i in range(n):
            buf.append(caps[ids[i]] if cap[i] else vocab[ids[i]])
            buf.append(enders[i] if i in ends else " ")
        chunk = "".join(buf).encode()
        pieces.append(chunk)
        size += len(chunk)
    text = b"".join(pieces)[:target]
    text = text[: text.rfind(b"\n") + 1]

    def cut(step):
        parts, s = [], 0
        while s < len(text):
            e = text.find(b"\n", min(len(text) - 1, s + step))
            e = len(text) if e < 0 else e + 1
            parts.append(text[s:e])
            s = e
        if len(parts) > 1 and len(parts[-1]) < step:  # no short last file
            parts[-2:] = [parts[-2] + parts[-1]]
        return parts

    large = cut(int(a.large_mb * 1e6))
    os.makedirs(os.path.join(a.dir, "large"), exist_ok=True)
    for i, part in enumerate(large):
        with open(os.path.join(a.dir, "large", f"part-{i:04d}.txt"), "wb") as f:
            f.write(part)
    small = cut(int(a.small_kb * 1e3))
    for i, part in enumerate(small):
        d = os.path.join(a.dir, "small", f"{i // 1000:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"doc-{i:06d}.txt"), "wb") as f:
            f.write(part)
    print(f"{a.dir}: {len(text) / 1e6:.1f} MB as {len(large)} large files (>= {min(map(len, large)) / 1e6:.2f} MB each) "
          f"and {len(small)} small files", file=sys.stderr)


if __name__ == "__main__":
    main()
