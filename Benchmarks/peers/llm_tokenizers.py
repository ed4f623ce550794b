#!/usr/bin/env python3
"""LLM tokenisation: `fingerprint stats --tokenizer cl100k:RANKS` against
tiktoken's `encode_ordinary_batch` (cl100k_base from the same ranks file),
same files, same thread count, same run.

Ours is timed end to end (the CLI reads, decodes, tokenises and counts);
tiktoken is timed on texts already read and decoded (bytes.decode("utf-8",
"replace")), which favours it. The token counts must be equal: the script
fails otherwise. With --hf TOKENIZER_JSON it also times `fingerprint stats
--tokenizer hf:TOKENIZER_JSON` against Hugging Face `Tokenizer.encode_batch`
(add_special_tokens=False, truncation and padding off, RAYON_NUM_THREADS =
--threads) on the same texts, again checking equal token counts.

usage: llm_tokenizers.py FINGERPRINT_BINARY CORPUS_DIR RANKS_FILE [--hf TOKENIZER_JSON] [--threads N] [--repeat N] [--json OUT]
"""
import argparse, glob, json, os, subprocess, sys, time


def best_of(n, fn):
    best = None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        if best is None or dt < best[0]:
            best = (dt, out)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("ranks")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json")
    ap.add_argument("--hf")
    a = ap.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(a.threads)
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    files = sorted(glob.glob(os.path.join(a.corpus, "**", "*.txt"), recursive=True))
    texts = []
    size = 0
    for f in files:
        with open(f, "rb") as h:
            data = h.read()
        size += len(data)
        texts.append(data.decode("utf-8", "replace"))
    pat = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
    enc = tiktoken.Encoding("cl100k_base_bench", pat_str=pat, mergeable_ranks=load_tiktoken_bpe(a.ranks), special_tokens={})

    def ours(tokenizer):
        p = subprocess.run(
            [a.binary, "stats", a.corpus, "--tokenizer", tokenizer, "--threads", str(a.threads), "--format", "json",
             "--quiet", "--top", "0"],
            check=True, capture_output=True)
        return json.loads(p.stdout)
    t_ours, prof = best_of(a.repeat, lambda: ours("cl100k:" + a.ranks))
    t_tk, ids = best_of(a.repeat, lambda: enc.encode_ordinary_batch(texts, num_threads=a.threads))
    n_tk = sum(len(x) for x in ids)
    if n_tk != prof["tokens"]:
        sys.exit(f"token counts differ: fingerprint {prof['tokens']}, tiktoken {n_tk}")
    mb = size / 1e6
    print(f"{len(files)} files, {mb:.1f} MB, {n_tk} tokens, {a.threads} threads")
    print(f"fingerprint stats --tokenizer cl100k  {t_ours:.2f} s  {mb / t_ours:.1f} MB/s")
    print(f"tiktoken encode_ordinary_batch     {t_tk:.2f} s  {mb / t_tk:.1f} MB/s  (ours/theirs {t_tk / t_ours:.2f}x)")
    result = {"ours_seconds": t_ours, "tiktoken_seconds": t_tk, "ratio": t_tk / t_ours, "tokens": n_tk, "bytes": size}
    if a.hf:
        import tokenizers
        hf = tokenizers.Tokenizer.from_file(a.hf)
        hf.no_truncation()
        hf.no_padding()
        t_ours_hf, prof_hf = best_of(a.repeat, lambda: ours("hf:" + a.hf))
        t_hf, enc = best_of(a.repeat, lambda: hf.encode_batch(texts, add_special_tokens=False))
        n_hf = sum(len(e.ids) for e in enc)
        if n_hf != prof_hf["tokens"]:
            sys.exit(f"token counts differ: fingerprint {prof_hf['tokens']}, tokenizers {n_hf}")
        print(f"fingerprint stats --tokenizer hf     {t_ours_hf:.2f} s  {mb / t_ours_hf:.1f} MB/s  ({n_hf} tokens)")
        print(f"tokenizers encode_batch            {t_hf:.2f} s  {mb / t_hf:.1f} MB/s  (ours/theirs {t_hf / t_ours_hf:.2f}x)")
        result.update({"hf_ours_seconds": t_ours_hf, "hf_seconds": t_hf, "hf_ratio": t_hf / t_ours_hf})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
