#!/usr/bin/env python3
"""Independent Python reference for the FingerprintKit test fixtures.

Run from anywhere:  python3 make_reference.py
It (re)writes, next to this file:
  tokenize.json, utf8.json, stats.json (+ stats/<corpus>/*.txt),
  divergence.json, permutation.json, keyness.json,
  containment.json (+ containment/a.txt, b.txt), tfidf.json (+ tfidf/docNN.txt),
  minhash.json,
  compare_null.json (+ compare/{a,b,pa,pb}/*.txt; compare_reference.py),
  weights.json (+ weights/), minilm.json (weights_reference.py).
  llm/*.json (tokenizer_reference.py: tiktoken, Python regex, Hugging Face tokenizers).

Deterministic: all randomness comes from fixed seeds (Python's random.Random
for generated text, numpy.random.default_rng for numeric data and
permutations); running it twice gives byte-identical output.
Reference versions used when the committed fixtures were made: see README.md.

Nothing here is used at run time by the Swift package.
"""

import math
import os
import random
import re
import unicodedata
from collections import Counter

import numpy as np
import scipy
import scipy.stats
from scipy.spatial.distance import jensenshannon
import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity
import datasketch
from datasketch import MinHash

import compare_reference
import tokenizer_reference
from attribution_reference import make_attribution
import weights_reference
from fixture_io import HERE, clean_dir, write_json, write_text


# --------------------------------------------------------------------------
# output helpers
# --------------------------------------------------------------------------

def read_text(path):
    # bytes -> str ourselves: no newline translation, strict UTF-8
    with open(path, "rb") as f:
        return f.read().decode("utf-8")


# --------------------------------------------------------------------------
# tokenisation
# --------------------------------------------------------------------------

PY_WORD = re.compile(r"\w+")


def python_tokens(text):
    """The 'python' rule: re.findall(r"\\w+", text.lower())."""
    return PY_WORD.findall(text.lower())


# Code points that form a token on their own (DESIGN: "every CJK ideograph,
# Hiragana and Katakana character is a token of its own").  Ranges exactly as
# in the brief (Ideographic ranges + Hiragana and Katakana blocks).
SINGLETON_RANGES = (
    (0x3006, 0x3007),    # 〆 〇
    (0x3021, 0x3029),    # Hangzhou numerals
    (0x3038, 0x303A),    # Hangzhou numerals 10..30
    (0x3040, 0x309F),    # Hiragana block
    (0x30A0, 0x30FF),    # Katakana block
    (0x31F0, 0x31FF),    # Katakana Phonetic Extensions
    (0x3400, 0x4DBF),    # CJK Ext A
    (0x4E00, 0x9FFF),    # CJK Unified Ideographs
    (0xF900, 0xFAFF),    # CJK Compatibility Ideographs
    (0xFF66, 0xFF9F),    # Halfwidth Katakana
    (0x20000, 0x2FA1F),  # CJK Ext B..F + Compatibility Supplement
)


def is_word_char(c):
    cat = unicodedata.category(c)
    return cat[0] in "LM" or cat in ("Nd", "Nl", "No") or c == "_"


def is_singleton(c):
    cp = ord(c)
    for lo, hi in SINGLETON_RANGES:
        if lo <= cp <= hi:
            return True
    return False


def design_tokens(text):
    """Independent implementation of the DESIGN word rule.

    After text.lower() (whole text: Python applies Final_Sigma in context),
    a token is a maximal run of word characters (L*, M*, Nd, Nl, No, '_').
    A word character inside SINGLETON_RANGES is a token of its own and
    breaks the run around it.  A non-word character inside those ranges
    (e.g. U+30FB KATAKANA MIDDLE DOT, Po; U+30A0, Pd; U+309B, Sk) is an
    ordinary separator (interpretation; see README).
    Iterates over code points (Unicode scalars), not grapheme clusters.
    """
    s = text.lower()
    out = []
    run = []
    for c in s:
        if is_word_char(c):
            if is_singleton(c):
                if run:
                    out.append("".join(run))
                    run = []
                out.append(c)
            else:
                run.append(c)
        else:
            if run:
                out.append("".join(run))
                run = []
    if run:
        out.append("".join(run))
    return out


def needs_design_rule(text):
    """True if the text has combining marks, CJK/kana, or a character whose
    lowercase contains a mark (U+0130) -- i.e. where Python's regex and the
    DESIGN rule are allowed to differ."""
    for c in text:
        if unicodedata.category(c)[0] == "M" or is_singleton(c):
            return True
        if any(unicodedata.category(x)[0] == "M" for x in c.lower()):
            return True
    return False


def word_tokens(text):
    """Tokens by the DESIGN rule, self-checked against Python's regex where
    the two must agree."""
    toks = design_tokens(text)
    if not needs_design_rule(text):
        assert toks == python_tokens(text), (text, toks, python_tokens(text))
    return toks


_CHAR_ANALYZERS = {}


def char_ngrams(text, n):
    if n not in _CHAR_ANALYZERS:
        _CHAR_ANALYZERS[n] = CountVectorizer(
            analyzer="char", ngram_range=(n, n), lowercase=True
        ).build_analyzer()
    return list(_CHAR_ANALYZERS[n](text))


def word_ngrams(tokens, n):
    return [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


TOKENIZE_CASES = [
    ("ascii_prose",
     "The quick brown fox -- jumps over the lazy dog! Isn't it? Yes, it is; (really)."),
    ("digits_underscores",
     "foo_bar x2 3.14 __init__ _ 007 1,000,000 a_1_b v2.0-rc1 snake_case_42"),
    ("apostrophes",
     "don't can\u2019t rock'n'roll O'Neill 'quoted' \u2018single\u2019 it's"),
    ("hyphens_dashes",
     "state-of-the-art e-mail co\u2011operate well\u2014known 1990\u20131999 re-enter"),
    ("accented_latin",
     "Caf\u00e9 na\u00efve fa\u00e7ade Stra\u00dfe \u00c9COLE \u00c5ngstr\u00f6m \u0152uvre \ufb01nance \u0132ssel"),
    ("sharp_s_and_titlecase",
     "STRASSE Stra\u00dfe \u1e9e gro\u00df \u01c5emal \u01c8ubljana D\u017dungla"),
    ("greek_final_sigma_phrase", "\u039f\u0394\u039f\u03a3 \u039a\u0391\u0399 \u03a3\u039f\u03a6\u0399\u0391"),
    ("greek_final_sigma_before_period", "\u039f\u0394\u039f\u03a3."),
    ("greek_tonos_final_sigma", "\u038c\u03a3\u039f\u03a3"),
    ("greek_sigma_context",
     # digit / underscore after sigma: final; apostrophe and '.' are
     # case-ignorable, so a following cased letter makes it non-final, and a
     # preceding cased letter (across '.') makes a lone Σ final.
     "\u0391\u03a31 \u0391\u03a3_\u0391 \u0391\u03a3'\u0391 \u03a3 \u03a3\u0391\u03a3 \u03a3\u0391\u03a3.\u03a3"),
    ("greek_mixed_case",
     "\u0397 \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ae \u03b3\u03bb\u03ce\u03c3\u03c3\u03b1 \u0395\u038a\u039d\u0391\u0399 \u03c9\u03c1\u03b1\u03af\u03b1, \u03bf\u03b9 \u039b\u038c\u0393\u039f\u03a3 \u03ba\u03b1\u03b9 \u03bf\u03b9 \u03bb\u03cc\u03b3\u03bf\u03b9."),
    ("cyrillic",
     "\u041f\u0420\u0418\u0412\u0415\u0422 \u043c\u0438\u0440! \u0401\u043b\u043a\u0430, \u0449\u0443\u043a\u0430 \u0438 \u042a\u0415\u042a. \u0406\u0457 \u0491"),
    ("superscripts_fractions",
     "E=mc\u00b2 x\u00b3+y\u00b3 \u00bd cup, \u00be tsp, 2\u00bd H\u2082O \u2460\u2461 10\u2070"),
    ("roman_numerals", "Chapter \u216b and \u2177, \u216bth \u2160\u2161\u2162 \u2188"),
    ("emoji_separators",
     "hello\U0001F600world \U0001F44D\U0001F3FD ok\U0001F1EB\U0001F1F7fr \U0001F469\u200d\U0001F4BBdev \U0001F389\U0001F389"),
    ("emoji_variation_selectors",
     # U+FE0F VS16 is Mn and U+20E3 is Me: DESIGN makes them word characters.
     "\u2764\ufe0flove \u270c\ufe0f 1\ufe0f\u20e3 ok"),
    ("whitespace_runs",
     "  tabs\there\n\nnewlines   and\r\nspaces \t mixed\tend  "),
    ("unicode_whitespace",
     "a\u00a0b\u3000\u3000c\u2028d \x1fe\x1ef\u2003g\u202fh\u0085i"),
    ("empty", ""),
    ("only_punctuation", "!!! ... ??? --- *** (( )) \u00bf\u00a1 \u00ab\u00bb \u2026 \u00a7\u00b6"),
    ("single_char", "A"),
    ("long_word", "Supercalifragilisticexpialidocious" * 8 + "Supercalifragilisti" + "c" * 9),
    ("fullwidth_latin", "\uff21\uff22\uff23\uff11\uff12\uff13 \uff46\uff55\uff4c\uff4c width\uff01"),
    ("other_digits", "\u0663\u0664\u0665 \u0661\u0662 \u096a\u0968 12th \u0e51\u0e52"),
    ("korean_hangul",
     "\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4! \ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8ABC 123\ubc88"),
    ("chinese",
     "\u6211\u7231\u5317\u4eac\u5929\u5b89\u95e8\u3002\u4eba\u3005\u306f\u4e2d\u6587ABC123\uff0c\u7b2c\u3007\u53f7"),
    ("japanese_mixed", "\u6771\u4eac\u30bf\u30ef\u30fc\u306ftokyo tower \u3067\u3059"),
    ("japanese_halfwidth_katakana",
     "\uff76\uff80\uff76\uff85 and \u30ab\u30bf\u30ab\u30ca \u3072\u3089\u304c\u306a\u6f22\u5b57"),
    ("kana_block_punctuation",
     # U+30FB (Po), U+30A0 (Pd), U+309B (Sk) lie in the kana blocks but are not
     # word characters: separators under the interpretation used here.
     "\u6771\u4eac\u30fb\u5927\u962a \u30a0 \u30ab\u30bf\u30ab\u30ca\u309b x\u30fby"),
    ("mixed_script_with_cjk",
     "\u0395\u03bb\u03bb\u03ac\u03b4\u03b1 \u0420\u043e\u0441\u0441\u0438\u044f France \u65e5\u672c 2024\u5e74 \u00c5ngstr\u00f6m"),
    ("combining_ecole", "e\u0301cole E\u0301COLE \u00e9cole"),
    ("combining_n_tilde", "n\u0303 man\u0303ana MAN\u0303ANA"),
    ("combining_after_space", "x \u0301abc y\u0301 \u0308"),
    ("devanagari_marks", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e"),
]


def make_tokenize():
    cases = []
    names = set()
    for name, text in TOKENIZE_CASES:
        assert name not in names
        names.add(name)
        rule = "design" if needs_design_rule(text) else "python"
        words = word_tokens(text)
        if rule == "python":
            assert words == python_tokens(text)
        cases.append({
            "name": name,
            "text": text,
            "rule": rule,
            "word": words,
            "char3": char_ngrams(text, 3),
            "char5": char_ngrams(text, 5),
            "ngram2": word_ngrams(words, 2),
            "ngram3": word_ngrams(words, 3),
        })
    write_json("tokenize.json", {"cases": cases})


# --------------------------------------------------------------------------
# UTF-8 decoding with replacement
# --------------------------------------------------------------------------

UTF8_CASES = [
    ("ascii_valid", b"hello world, plain ASCII 123"),
    ("multibyte_valid",
     "h\u00e9llo w\u00f6rld \u039f\u0394\u039f\u03a3 \u041f\u0420\u0418\u0412\u0415\u0422 \u20ac \U0001F600!".encode("utf-8")),
    ("lone_continuation", b"ab\x80cd"),
    ("two_continuations", b"x\x80\xbfy"),
    ("truncated_2byte_mid", b"ab\xc3 cd"),
    ("truncated_2byte_end", b"abc\xc3"),
    ("truncated_3byte_mid", b"ab\xe2\x82 cd"),
    ("truncated_3byte_end", b"abc\xe2\x82"),
    ("truncated_4byte_mid", b"ab\xf0\x9f\x98 cd"),
    ("truncated_4byte_end", b"abc\xf0\x9f\x98"),
    ("truncated_then_valid", b"\xe2\x82caf\xc3\xa9"),
    ("overlong_2byte", b"a\xc0\xafb"),
    ("overlong_3byte", b"a\xe0\x80\xafb"),
    ("surrogate_encoded", b"a\xed\xa0\x80b"),
    ("above_max_codepoint", b"a\xf4\x90\x80\x80b"),
    ("invalid_lead_f5", b"a\xf5\x80\x80\x80b"),
    ("ff_fe_bytes", b"\xff\xfeab\xfe\xff"),
    ("old_5byte_form", b"a\xf8\x88\x80\x80\x80b"),
    ("mixed_latin1_in_utf8",
     b"caf\xc3\xa9 \xe9t\xe9 na\xefve \xe2\x82\xac10 \x80\x80x \xce\x9f\xce\x94\xce\x9f\xce\xa3"),
]


def make_utf8():
    cases = []
    for name, raw in UTF8_CASES:
        assert "\ufffd".encode("utf-8") not in raw
        decoded = raw.decode("utf-8", "replace")
        assert not needs_design_rule(decoded)
        cases.append({
            "name": name,
            "hex": raw.hex(),
            "replacements": decoded.count("\ufffd"),
            "decoded": decoded,
            "word": word_tokens(decoded),
        })
    write_json("utf8.json", {"cases": cases})


# --------------------------------------------------------------------------
# deterministic text generation
# --------------------------------------------------------------------------

ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s",
          "t", "v", "w", "z", "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr",
          "sh", "sl", "st", "th", "tr", "qu"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "oo", "ou", "y"]
CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "ng", "x"]


def pseudo_vocabulary(rng, size):
    """size distinct lowercase ASCII pseudo-words (deterministic for rng)."""
    seen = set()
    out = []
    while len(out) < size:
        k = rng.choice((1, 2, 2, 2, 3, 3, 4))
        w = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(k))
        w += rng.choice(CODAS)
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def prose(rng, words, per_line=12):
    """Join words into capitalised sentences with some punctuation."""
    out = []
    sentence_start = True
    line_len = 0
    for i, w in enumerate(words):
        tok = w.capitalize() if sentence_start else w
        sentence_start = False
        r = rng.random()
        if r < 0.07:
            tok += "."
            sentence_start = True
        elif r < 0.14:
            tok += ","
        out.append(tok)
        line_len += 1
        if line_len >= per_line:
            out.append("\n")
            line_len = 0
        else:
            out.append(" ")
    text = "".join(out).rstrip(" \n")
    if not text.endswith("."):
        text += "."
    return text + "\n"


# --------------------------------------------------------------------------
# corpus statistics
# --------------------------------------------------------------------------

TINY_DOCS = [
    "The cat sat on the mat. The cat was happy, and the mat was warm.\n",
    "A dog sat on the log; the dog was not happy. Dogs and cats, cats and dogs!\n",
    "On the mat, on the log: the cat, the dog, the end.\n",
]

MIXED_DOCS = [
    "Caf\u00e9 au lait, cr\u00e8me br\u00fbl\u00e9e et na\u00efvet\u00e9. L'\u00e9t\u00e9 \u00e0 Paris: caf\u00e9, caf\u00e9, CAF\u00c9!\n"
    "Stra\u00dfe und STRASSE sind nicht gleich; Gr\u00fc\u00dfe aus M\u00fcnchen.\n",
    "\u039f \u039b\u038c\u0393\u039f\u03a3 \u039a\u0391\u0399 \u039f \u039d\u038c\u039c\u039f\u03a3. \u0397 \u03bf\u03b4\u03cc\u03c2, \u03bf\u03b9 \u03b4\u03c1\u03cc\u03bc\u03bf\u03b9, \u03bf \u03bb\u03cc\u03b3\u03bf\u03c2.\n"
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u041c\u0418\u0420 \u0438 \u0434\u0440\u0443\u0436\u0431\u0430, \u043c\u0438\u0440 \u0438 \u0442\u0440\u0443\u0434.\n",
    "\u6771\u4eac\u30bf\u30ef\u30fc\u306f\u9ad8\u3044\u3002\u6771\u4eac\u3068\u5927\u962a\u3002tokyo tower, TOKYO.\n"
    "\u4e2d\u6587\u6587\u672c\uff1a\u6211\u7231\u5317\u4eac\u3002\n"
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8 \ud55c\uad6d\uc5b4 \uc548\ub155\ud558\uc138\uc694.\n",
    "Numbers: 3.14, 2\u00bd, x\u00b2, \u216b, \u0663\u0664, 2024\u5e74; snake_case and __init__.\n"
    "Emoji \U0001F600 separate words\U0001F44Dlike this; caf\u00e9 again.\n",
]


def tokens_of_file(path):
    return word_tokens(read_text(path))


def corpus_stats(reldir):
    d = os.path.join(HERE, reldir)
    files = sorted(f for f in os.listdir(d) if f.endswith(".txt"))
    counts = Counter()
    nbytes = 0
    for f in files:
        p = os.path.join(d, f)
        nbytes += os.path.getsize(p)
        counts.update(tokens_of_file(p))
    N = sum(counts.values())
    V = len(counts)
    freqs = np.array(sorted(counts.values(), reverse=True), dtype=np.float64)
    ent = scipy.stats.entropy(freqs, base=2)
    spectrum = Counter(counts.values())          # i -> V_i
    s2 = sum(i * i * vi for i, vi in spectrum.items())
    yules_k = 1e4 * (s2 - N) / (N * N)
    R = min(1000, V)
    r = np.arange(1, R + 1, dtype=np.float64)
    slope, _intercept = np.polyfit(np.log(r), np.log(freqs[:R]), 1)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    return {
        "documents": len(files),
        "tokens": N,
        "types": V,
        "bytes": nbytes,
        "entropy_bits": float(ent),
        "type_token_ratio": V / N,
        "yules_k": yules_k,
        "zipf_exponent": float(-slope),
        "zipf_ranks": R,
        "top": [[t, c] for t, c in top],
    }


def make_stats():
    for name in ("tiny", "zipfy", "mixed"):
        clean_dir(os.path.join("stats", name))
    for i, t in enumerate(TINY_DOCS):
        write_text(f"stats/tiny/doc{i}.txt", t)
    for i, t in enumerate(MIXED_DOCS):
        write_text(f"stats/mixed/doc{i}.txt", t)
    # zipfy: Zipf-Mandelbrot sample over a pseudo vocabulary
    rng = random.Random(20240501)
    vocab = pseudo_vocabulary(rng, 6000)
    ranks = np.arange(1, len(vocab) + 1, dtype=np.float64)
    w = 1.0 / (ranks + 2.7) ** 1.07
    cum = np.cumsum(w / w.sum()).tolist()
    import bisect
    for d in range(8):
        words = []
        for _ in range(2600):
            k = bisect.bisect_left(cum, rng.random())
            words.append(vocab[min(k, len(vocab) - 1)])
        write_text(f"stats/zipfy/doc{d}.txt", prose(rng, words))
    out = {name: corpus_stats(os.path.join("stats", name))
           for name in ("tiny", "zipfy", "mixed")}
    assert out["zipfy"]["types"] > 2000, out["zipfy"]["types"]
    write_json("stats.json", out)


# --------------------------------------------------------------------------
# divergences between two count vectors
# --------------------------------------------------------------------------

def divergence_expected(a, b, alpha):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    K = len(a)
    pa = a / a.sum()
    pb = b / b.sum()
    ps = (a + alpha) / (a.sum() + alpha * K)
    qs = (b + alpha) / (b.sum() + alpha * K)
    js_dist = jensenshannon(pa, pb, base=2)
    keep = (a + b) > 0
    table = np.array([a, b])[:, keep]
    chi = scipy.stats.chi2_contingency(table, correction=False)
    g = scipy.stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    return {
        "entropy_a": float(scipy.stats.entropy(a, base=2)),
        "entropy_b": float(scipy.stats.entropy(b, base=2)),
        "cross_entropy_ab": float(-np.sum(ps * np.log2(qs))),
        "kl_ab": float(scipy.stats.entropy(ps, qs, base=2)),
        "kl_ba": float(scipy.stats.entropy(qs, ps, base=2)),
        "jsd": float(js_dist) ** 2,
        "js_distance": float(js_dist),
        "hellinger": float(math.sqrt(0.5 * np.sum((np.sqrt(pa) - np.sqrt(pb)) ** 2))),
        "total_variation": float(0.5 * np.sum(np.abs(pa - pb))),
        "chi2": float(chi.statistic),
        "chi2_p": float(chi.pvalue),
        "chi2_dof": int(chi.dof),
        "g": float(g.statistic),
        "g_p": float(g.pvalue),
    }


def make_divergence():
    rng = np.random.default_rng(7)
    cases = [
        ("small_overlap", [10, 5, 0, 3, 1], [2, 5, 7, 0, 1]),
        ("identical", [4, 3, 2, 1], [4, 3, 2, 1]),
        ("proportional", [2, 4, 6, 8], [1, 2, 3, 4]),
        ("disjoint_supports", [5, 3, 0, 0], [0, 0, 2, 7]),
        ("single_shared_column", [7, 0, 0], [3, 0, 0]),
    ]
    # many zeros, including columns that are zero on both sides
    a = np.zeros(40, dtype=np.int64)
    b = np.zeros(40, dtype=np.int64)
    a[[0, 3, 5, 11, 17, 29]] = [12, 1, 4, 2, 9, 1]
    b[[0, 4, 5, 11, 23, 30, 31]] = [8, 3, 1, 6, 2, 1, 1]
    cases.append(("many_zeros_k40", a.tolist(), b.tolist()))
    # very different totals
    cases.append(("unequal_totals", [1, 2, 0, 1], [4000, 2500, 1200, 300]))
    # large random, Zipf-like rates with a shifted second sample
    K = 500
    rate = 2000.0 / np.arange(1, K + 1) ** 1.1
    a = rng.poisson(rate)
    b = rng.poisson(rate * rng.lognormal(0.0, 0.3, K))
    cases.append(("large_random_k500", a.tolist(), b.tolist()))
    out = []
    for name, a, b in cases:
        a = [int(x) for x in a]
        b = [int(x) for x in b]
        assert sum(a) > 0 and sum(b) > 0
        d = {"name": name, "a": a, "b": b, "alpha": 0.5}
        d.update(divergence_expected(a, b, 0.5))
        out.append(d)
    write_json("divergence.json", {"cases": out})


# --------------------------------------------------------------------------
# permutation test
# --------------------------------------------------------------------------

def jsd_bits(x, y):
    """JSD in bits between the normalised count vectors x, y (numpy)."""
    p = x / x.sum()
    q = y / y.sum()
    m = 0.5 * (p + q)
    kp = 0.0
    kq = 0.0
    for i in range(len(p)):
        if p[i] > 0:
            kp += p[i] * math.log2(p[i] / m[i])
        if q[i] > 0:
            kq += q[i] * math.log2(q[i] / m[i])
    return 0.5 * kp + 0.5 * kq


def group_statistic(counts, labels):
    counts = np.asarray(counts, dtype=np.float64)
    labels = np.asarray(labels)
    g0 = counts[labels == 0].sum(axis=0)
    g1 = counts[labels == 1].sum(axis=0)
    t = jsd_bits(g0, g1)
    ref = jensenshannon(g0, g1, base=2) ** 2
    assert abs(t - ref) <= 1e-12 * max(1.0, t), (t, ref)
    return t


PERM_TOL = 1e-12


def make_permutation():
    cases = []

    # 1: 12 docs x 6 types, balanced, P = 50; docs 2 and 9 are identical
    rng = np.random.default_rng(101)
    base = np.array([20, 12, 8, 5, 3, 2], dtype=np.float64)
    counts = rng.poisson(base, size=(12, 6))
    counts[:, 1] += np.array([3, 4, 2, 5, 3, 4, 0, 1, 0, 2, 1, 0])  # mild effect
    counts[9] = counts[2]
    labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    cases.append(("balanced_12x6_p50", counts, labels, 50, 2024))

    # 2: 30 docs x 20 types, balanced, same distribution (null true), P = 200
    rng = np.random.default_rng(202)
    rate = 60.0 / np.arange(1, 21) ** 0.9
    counts = rng.poisson(rate, size=(30, 20))
    labels = [i % 2 for i in range(30)]
    cases.append(("null_30x20_p200", counts, labels, 200, 7))

    # 3: unbalanced 5 vs 17 docs x 10 types, strong effect, P = 100
    rng = np.random.default_rng(303)
    rate0 = np.array([30, 20, 15, 10, 8, 6, 4, 3, 2, 1], dtype=np.float64)
    rate1 = rate0[::-1] * 1.5
    rows = [rng.poisson(rate0) for _ in range(17)] + [rng.poisson(rate1) for _ in range(5)]
    counts = np.array(rows)
    labels = [0] * 17 + [1] * 5
    cases.append(("unbalanced_5v17_p100", counts, labels, 100, 99))

    out = []
    for name, counts, labels, P, seed in cases:
        counts = np.asarray(counts, dtype=np.int64)
        assert (counts.sum(axis=1) > 0).all()
        labels_arr = np.array(labels, dtype=np.int64)
        t_obs = group_statistic(counts, labels_arr)
        prng = np.random.default_rng(seed)
        perms = [prng.permutation(labels_arr) for _ in range(P)]
        t_perm = [group_statistic(counts, pl) for pl in perms]
        thr = t_obs - PERM_TOL * max(1.0, t_obs)
        ge = sum(1 for t in t_perm if t >= thr)
        out.append({
            "name": name,
            "counts": counts.tolist(),
            "labels": labels_arr.tolist(),
            "perms": [pl.tolist() for pl in perms],
            "t_obs": t_obs,
            "t_perm": t_perm,
            "p_value": (1 + ge) / (1 + P),
        })
    write_json("permutation.json", {"cases": out})


# --------------------------------------------------------------------------
# keyness (Monroe, Colaresi & Quinn 2008)
# --------------------------------------------------------------------------

def keyness(a, b, alpha0):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na, nb = a.sum(), b.sum()
    assert ((a + b) > 0).all()
    alpha = alpha0 * (a + b) / (na + nb)
    delta = (np.log((a + alpha) / (na + alpha0 - a - alpha))
             - np.log((b + alpha) / (nb + alpha0 - b - alpha)))
    var = 1.0 / (a + alpha) + 1.0 / (b + alpha)
    z = delta / np.sqrt(var)
    return delta, z


def make_keyness():
    rng = np.random.default_rng(55)
    cases = [("small_alpha0_1000",
              [120, 80, 40, 33, 20, 10, 9, 5, 3, 1, 0, 0],
              [100, 95, 10, 30, 25, 0, 12, 5, 0, 0, 4, 1], 1000.0)]
    K = 200
    rate = 800.0 / np.arange(1, K + 1) ** 1.0
    a = rng.poisson(rate)
    b = rng.poisson(rate * rng.lognormal(0.0, 0.5, K))
    both0 = (a + b) == 0
    a[both0] = 1               # keep every column in the union vocabulary
    cases.append(("random_k200_alpha0_100", a.tolist(), b.tolist(), 100.0))
    cases.append(("unequal_sizes_alpha0_100",
                  [3, 1, 0, 2, 5, 1], [900, 410, 55, 230, 20, 385], 100.0))
    out = []
    for name, a, b, alpha0 in cases:
        delta, z = keyness(a, b, alpha0)
        out.append({"name": name, "a": [int(x) for x in a], "b": [int(x) for x in b],
                    "alpha0": float(alpha0), "delta": delta.tolist(), "z": z.tolist()})
    write_json("keyness.json", {"cases": out})


# --------------------------------------------------------------------------
# containment
# --------------------------------------------------------------------------

def gram_set(tokens, n):
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def make_containment():
    clean_dir("containment")
    rng = random.Random(8080)
    vocab = pseudo_vocabulary(rng, 600)
    a_words = [rng.choice(vocab) for _ in range(420)]
    own_b = [rng.choice(vocab) for _ in range(300)]
    p1 = a_words[40:60]                 # 20 words verbatim
    p2 = a_words[250:270]               # 20 words verbatim
    p3 = list(a_words[150:180])         # 30 words, one changed in the middle
    while True:
        repl = rng.choice(vocab)
        if repl != p3[15]:
            break
    p3[15] = repl
    b_words = own_b[:70] + p1 + own_b[70:160] + p3 + own_b[160:230] + p2 + own_b[230:]
    write_text("containment/a.txt", prose(rng, a_words, per_line=14))
    write_text("containment/b.txt", prose(rng, b_words, per_line=14))
    ta = tokens_of_file(os.path.join(HERE, "containment/a.txt"))
    tb = tokens_of_file(os.path.join(HERE, "containment/b.txt"))
    assert ta == a_words and tb == b_words
    out = {}
    for n in (8, 13):
        ga, gb = gram_set(ta, n), gram_set(tb, n)
        shared = len(ga & gb)
        out[f"n{n}"] = {
            "b_in_a": shared / len(gb),
            "a_in_b": shared / len(ga),
            "shared": shared,
            "grams_a": len(ga),
            "grams_b": len(gb),
        }
    # verbatim 20-word passages: 13 eight-grams each; near copy: 8 + 7.
    assert out["n8"]["shared"] == 13 + 13 + 15, out["n8"]
    assert out["n13"]["shared"] == 8 + 8 + 3 + 2, out["n13"]
    write_json("containment.json", out)


# --------------------------------------------------------------------------
# TF-IDF
# --------------------------------------------------------------------------

TOPICS = {
    "kitchen": "bake flour sugar butter oven recipe dough whisk salt pepper garlic onion "
               "simmer boil roast bread cake spoon knife taste sauce cream".split(),
    "space": "orbit planet star galaxy comet rocket moon telescope gravity nebula "
             "asteroid launch satellite astronaut crater solar lunar cosmic light".split(),
    "football": "goal match team player coach referee penalty stadium league striker "
                "keeper pass tackle score season fans kick ball corner".split(),
    "money": "bank loan interest market stock bond price inflation credit debt "
             "invest fund budget tax profit trade cash rate wage".split(),
    "garden": "seed soil water root leaf flower tree grass rose tulip compost "
              "prune weed harvest bloom shade hedge spade rake".split(),
}
FUNCTION_WORDS = "the a of and to in is it that with for on as was at by".split()


def make_tfidf():
    clean_dir("tfidf")
    rng = random.Random(4242)
    topic_names = sorted(TOPICS)
    docs = []
    for i in range(23):
        t1 = topic_names[i % 5]
        t2 = topic_names[(i * 3 + 1) % 5]
        n = rng.randint(18, 45)
        words = []
        for _ in range(n):
            r = rng.random()
            if r < 0.35:
                words.append(rng.choice(FUNCTION_WORDS))
            elif r < 0.85:
                words.append(rng.choice(TOPICS[t1]))
            else:
                words.append(rng.choice(TOPICS[t2]))
        docs.append(words)
    # near copies: doc 23 = doc 3 with two words changed, doc 24 = doc 12 + extra
    near = list(docs[3])
    near[2] = "telescope"
    near[-3] = "stadium"
    docs.append(near)
    docs.append(list(docs[12]) + ["the", "harvest", "bloom", "and", "the", "tax"])
    texts = []
    for i, words in enumerate(docs):
        text = prose(rng, words, per_line=15)
        write_text(f"tfidf/doc{i:02d}.txt", text)
        texts.append(text)
    texts = [read_text(os.path.join(HERE, f"tfidf/doc{i:02d}.txt")) for i in range(len(docs))]
    for t in texts:
        word_tokens(t)  # self-check: python rule == design rule here

    # choose K: the largest K <= 60% of types with a strict drop at the boundary
    totals = Counter()
    for t in texts:
        totals.update(python_tokens(t))
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    K = None
    for k in range(int(0.6 * len(ranked)), 5, -1):
        if ranked[k - 1][1] > ranked[k][1]:
            K = k
            break
    assert K is not None and K < len(ranked)
    expected_vocab = sorted(t for t, _ in ranked[:K])

    vec = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", max_features=K)
    X = vec.fit_transform(texts)
    vocab = vec.get_feature_names_out().tolist()
    assert vocab == expected_vocab, "sklearn max_features selection differs"
    assert (np.asarray(X.sum(axis=1)).ravel() > 0).all(), "a document has no kept term"
    cos = cosine_similarity(X)
    vec_s = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", max_features=K, sublinear_tf=True)
    Xs = vec_s.fit_transform(texts)
    assert vec_s.get_feature_names_out().tolist() == vocab
    cos_s = cosine_similarity(Xs)

    N = len(texts)
    top3 = []
    for i in range(N):
        order = sorted((j for j in range(N) if j != i), key=lambda j: (-cos[i, j], j))
        vals = [cos[i, j] for j in order[:4]]
        for k in range(3):
            # ranking must not hinge on floating-point noise
            assert vals[k] - vals[k + 1] > 1e-6 or vals[k] == vals[k + 1] == 0.0, (i, vals)
        top3.append(order[:3])
    assert top3[3][0] == 23 and top3[23][0] == 3
    assert top3[12][0] == 24 and top3[24][0] == 12
    write_json("tfidf.json", {
        "k": K,
        "vocabulary": vocab,
        "cosine": cos.tolist(),
        "cosine_sublinear": cos_s.tolist(),
        "top3": top3,
    })


# --------------------------------------------------------------------------
# MinHash
# --------------------------------------------------------------------------

def shingles(tokens, k=5):
    return {tuple(tokens[i:i + k]) for i in range(len(tokens) - k + 1)}


def minhash_of(sh):
    m = MinHash(num_perm=128, seed=1)
    for s in sorted(sh):
        m.update(" ".join(s).encode("utf8"))
    return m


def make_minhash():
    rng = random.Random(31337)
    vocab = pseudo_vocabulary(rng, 3000)
    pairs = []
    # mutation rate r keeps a shingle with probability s = (1-r)^5 and gives
    # Jaccard ~ s / (2 - s); invert for targets spread over [0, 1]
    targets = [1.0] + [0.95 - 0.06 * i for i in range(15)]
    rates = [1.0 - (2.0 * j / (1.0 + j)) ** 0.2 for j in targets]
    for r in rates:
        a = [rng.choice(vocab) for _ in range(rng.randint(150, 260))]
        b = list(a)
        for pos in rng.sample(range(len(a)), round(r * len(a))):
            while True:
                w = rng.choice(vocab)
                if w != a[pos]:
                    break
            b[pos] = w
        pairs.append((a, b))
    # b a contiguous part of a (containment, Jaccard = |B|/|A| roughly)
    a = [rng.choice(vocab) for _ in range(240)]
    pairs.append((a, a[30:150]))
    # same words, order shuffled in blocks
    a = [rng.choice(vocab) for _ in range(200)]
    b = a[100:] + a[:100]
    pairs.append((a, b))
    # short texts, exactly one shingle each, equal
    a = [rng.choice(vocab) for _ in range(5)]
    pairs.append((a, list(a)))
    # disjoint vocabularies
    a = [rng.choice(vocab[:1500]) for _ in range(200)]
    b = [rng.choice(vocab[1500:]) for _ in range(200)]
    pairs.append((a, b))
    assert len(pairs) == 20
    out = []
    for a, b in pairs:
        ta, tb = " ".join(a), " ".join(b)
        assert python_tokens(ta) == a and python_tokens(tb) == b
        sa, sb = shingles(a), shingles(b)
        assert sa and sb
        jac = len(sa & sb) / len(sa | sb)
        est = minhash_of(sa).jaccard(minhash_of(sb))
        out.append({"a": ta, "b": tb, "jaccard": jac, "datasketch_estimate": float(est)})
    write_json("minhash.json", {"pairs": out})


def main():
    make_tokenize()
    make_utf8()
    make_stats()
    make_divergence()
    make_permutation()
    make_keyness()
    make_containment()
    make_tfidf()
    make_minhash()
    compare_reference.make_compare_null(write_json, write_text, clean_dir)
    make_attribution(write_json, write_text, clean_dir)
    weights_reference.make_all(write_json)
    tokenizer_reference.main(write_json)
    print("python", ".".join(map(str, __import__("sys").version_info[:3])),
          "unicodedata", unicodedata.unidata_version, "numpy", np.__version__,
          "scipy", scipy.__version__, "sklearn", sklearn.__version__,
          "datasketch", datasketch.__version__)


if __name__ == "__main__":
    main()
