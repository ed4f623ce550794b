#!/usr/bin/env python3
"""Independent reference for the `word` tokenizer's 64-byte SIMD path (issue 16).

Writes ingest_tokens.json next to this file: "cases", each a text of 64 to
~2,000 UTF-8 bytes (so that whole 64-byte blocks, tokens across block
boundaries and tokens longer than a block occur) built from a pool of pieces
by Python's `random.Random(16)`, and its tokens by the DESIGN rule for text
without combining marks or CJK: `re.findall(r"\\w+", text.lower())`.

The pool has ASCII words in every case, digits, `_`, punctuation and
whitespace runs, long letter runs (60-200 letters), Latin-1 letters, Greek
with final and non-final sigma, Cyrillic, and symbols (€, —, NBSP, ½, ²);
no combining marks and no CJK, where the DESIGN rule and Python differ.
Deterministic: two runs give the same file.
"""
import json
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))

POOL = [
    "the", "Quick", "BROWN", "fox", "jumps", "over", "lazy", "Dog", "a", "I", "x9", "42", "007", "3.14",
    "snake_case", "_lead", "trail_", "__", "CamelCase", "MiXeD", "can't", "e-mail", "foo/bar", "(paren)",
    " ", " ", " ", "  ", "\n", "\n\n", "\t", " \t ", ", ", ". ", "; ", "!", "?", "\"", "'", "-", "--", "...",
    "café", "naïve", "Über", "straße", "ÑANDÚ", "Øre", "façade", "Ελληνικά", "ΟΔΟΣ", "λόγος", "ΣΟΦΙΑ",
    "σ", "Σ", "ς", "ΑΣ.", "Жизнь", "ДОМ", "привет", "€", "—", "…", "©", "°", "\u00a0", "½", "²", "x²",
]


def piece(rng):
    r = rng.random()
    if r < 0.04:
        n = rng.randint(60, 200)
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") for _ in range(n))
    return rng.choice(POOL)


def main():
    rng = random.Random(16)
    cases = []
    for i in range(48):
        target = rng.choice([64, 65, 127, 128, 129, 300, 700, 2000])
        text = ""
        while len(text.encode("utf-8")) < target:
            text += piece(rng)
        cases.append({"name": f"random{i}", "text": text, "word": re.findall(r"\w+", text.lower())})
    with open(os.path.join(HERE, "ingest_tokens.json"), "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
