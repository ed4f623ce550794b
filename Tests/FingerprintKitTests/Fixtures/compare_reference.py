#!/usr/bin/env python3
"""Independent Python/NumPy reference for `fingerprint compare`'s seeded tests.

What it reproduces, draw for draw, from the Swift sources (read at git HEAD
4dd06dc):

  * Support/Random.swift      SplitMix64, Xoshiro256** (`init(seed:)`,
                              `init(seed:stream:)`), `next(below:)` (Lemire,
                              with its rejection branch), `shuffle`.
  * Stats/Design.swift        `permutation(_:seed:into:)` (stream
                              0x5045524D + index; in-place Fisher-Yates of the
                              labels when unpaired; one `shuffle` per stratum,
                              strata keys sorted, singletons dropped, when
                              paired), `members`.
  * Stats/Comparison.swift    `testFeatures` (top-K by pooled count, ties by
                              canonical id = token byte order, + "other"),
                              `permutationTest`, `permutationNull`,
                              `bootstrapStatistics` (streams 0xB0070000 + b,
                              multiplicity rows saturating at 255, whole
                              strata drawn in a paired design), `mmdTest`
                              (TF-IDF on the top-K pooled types, smooth idf,
                              L2 rows, unbiased MMD^2 from group sums with the
                              `nonzero` correction, relabellings of seed ^
                              0x4D4D44), `Pairing` (strata of paired designs).
  * Stats/PermutationTest.swift  `summarize` (tie tolerance, p-value, mean,
                              95th percentile) and `quantile` (linear).
  * Distribution/Divergence.swift  JSD in bits (the `jensenShannon` kernel).
  * Count/Vocabulary.swift    `topK` (larger key first, ties to the smaller id).

The statistics themselves are computed independently: the document x type
count matrix is built here from `re.findall(r"\\w+", text.lower())` tokens of
the fixture files (plain lowercase ASCII words), JSD is checked against
scipy's `jensenshannon(..)**2`, the MMD^2 from group sums is checked against
the explicit Gram-matrix formula, the TF-IDF rows against scikit-learn (when
importable), and the quantiles against `numpy.percentile`.

Usage
  * from make_reference.py:
        import compare_reference
        compare_reference.make_compare_null(write_json, write_text, clean_dir)
  * standalone, from this folder:  python3 compare_reference.py

It (re)writes, next to this file: compare/a/aNN.txt (30), compare/b/bNN.txt
(25), compare/pa/docNN.txt and compare/pb/docNN.txt (20 each), and
compare_null.json. Deterministic: running it twice gives byte-identical files.
"""

import bisect
import math
import os
import random
import re

import numpy as np
from scipy.spatial.distance import jensenshannon

HERE = os.path.dirname(os.path.abspath(__file__))

MASK64 = (1 << 64) - 1


# --------------------------------------------------------------------------
# RNG (Support/Random.swift)
# --------------------------------------------------------------------------

class SplitMix64:
    """SplitMix64 (Steele, Lea & Flood 2014), as `SplitMix64` in Random.swift.

    Checked below against the published reference outputs: seed 1234567 gives
    6457827717110365317, 3203168211198807973, 9817491932198370423,
    4593380528125082431, 16408922859458223821 (splitmix64.c; the Rosetta Code
    "Pseudo-random numbers/Splitmix64" task quotes the same five).
    """

    GOLDEN = 0x9E3779B97F4A7C15

    def __init__(self, seed):
        self.state = seed & MASK64

    @staticmethod
    def mix(x):
        z = x & MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def next(self):
        self.state = (self.state + self.GOLDEN) & MASK64
        return SplitMix64.mix(self.state)


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


class Xoshiro256:
    """xoshiro256** seeded through SplitMix64, as `Xoshiro256` in Random.swift.

    `Xoshiro256(seed)` is `init(seed:)`: s0..s3 = four SplitMix64(seed) draws.
    `Xoshiro256(seed, stream)` is `init(seed:stream:)`:
        sm = SplitMix64(seed ^ (stream &* 0x9E3779B97F4A7C15)); sm.next()
        (discarded); then init(seed: sm.next()).
    The core step is checked against the reference outputs for the state
    {1, 2, 3, 4}: 11520, 0, 1509978240, 1215971899390074240, ... (Blackman &
    Vigna's xoshiro256starstar.c, as quoted by rand_xoshiro's test).
    """

    def __init__(self, seed, stream=None):
        seed &= MASK64
        if stream is not None:
            sm = SplitMix64(seed ^ ((stream * SplitMix64.GOLDEN) & MASK64))
            sm.next()
            seed = sm.next()
        sm = SplitMix64(seed)
        self.s = [sm.next(), sm.next(), sm.next(), sm.next()]
        self.draws = 0

    @classmethod
    def from_state(cls, s0, s1, s2, s3):
        r = cls.__new__(cls)
        r.s = [s0 & MASK64, s1 & MASK64, s2 & MASK64, s3 & MASK64]
        r.draws = 0
        return r

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK64, 7) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        self.draws += 1
        return result

    def next_below(self, bound):
        """`next(below:)`: Lemire's nearly-divisionless method, exactly:
        m = next() * b (128-bit); if low(m) < b { t = (0 &- b) % b;
        while low(m) < t { m = next() * b } }; return high(m)."""
        assert bound > 0
        b = bound
        m = self.next() * b
        if (m & MASK64) < b:
            t = ((-b) & MASK64) % b
            while (m & MASK64) < t:
                m = self.next() * b
        return m >> 64

    def shuffle(self, buf):
        """`shuffle(_:)`: i = count; while i > 1 { j = next(below: i);
        i -= 1; swapAt(i, j) } (in place)."""
        i = len(buf)
        while i > 1:
            j = self.next_below(i)
            i -= 1
            buf[i], buf[j] = buf[j], buf[i]


def _check_rng():
    sm = SplitMix64(1234567)
    got = [sm.next() for _ in range(5)]
    assert got == [6457827717110365317, 3203168211198807973, 9817491932198370423,
                   4593380528125082431, 16408922859458223821], got
    sm = SplitMix64(0)
    assert sm.next() == 0xE220A8397B1DCDAF
    x = Xoshiro256.from_state(1, 2, 3, 4)
    got = [x.next() for _ in range(10)]
    assert got == [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
                   607988272756665600, 16172922978634559625, 8476171486693032832,
                   10595114339597558777, 2904607092377533576], got
    # Seeding: state = four SplitMix64(42) outputs (the usual
    # "xoshiro seeded by splitmix" convention; third-party implementations
    # quote 1546998764402558742, 6990951692964543102, 12544586762248559009).
    x = Xoshiro256(42)
    got = [x.next() for _ in range(3)]
    assert got == [1546998764402558742, 6990951692964543102, 12544586762248559009], got
    # Lemire's rejection branch: with bound 2^63 + 1, t = (2^64 - b) % b =
    # 2^63 - 1, so about half the draws are rejected; the result must still be
    # the high word of an accepted product.
    x = Xoshiro256(99)
    for _ in range(200):
        v = x.next_below((1 << 63) + 1)
        assert 0 <= v <= 1 << 63


def rng_vectors():
    """Raw generator outputs for the Swift test (UInt64 as decimal strings:
    JSON numbers above 2^53 do not survive every decoder)."""
    out = {}
    sm = SplitMix64(1234567)
    out["splitmix64"] = {"seed": 1234567, "outputs": [str(sm.next()) for _ in range(5)]}
    xs = []
    for seed, stream in ((7, None), (12345, None), (7, 0x5045524D), (7, 0xB0070000),
                         (7 ^ 0x4D4D44, 0x5045524D), (3, 0x5045524D + 1)):
        x = Xoshiro256(seed, stream)
        xs.append({"seed": seed, "stream": stream, "outputs": [str(x.next()) for _ in range(4)]})
    out["xoshiro256"] = xs
    bounds = [1, 2, 3, 7, 10, 55, 1000, 2 ** 31 + 11, 2 ** 62 + 3, 2 ** 63 + 1]
    x = Xoshiro256(7, 1)
    values, draws = [], []
    for b in bounds:
        before = x.draws
        values.append(str(x.next_below(b)))
        draws.append(x.draws - before)
    assert max(draws) > 1      # the rejection branch is exercised
    # `draws`: raw 64-bit outputs each call consumed (> 1: Lemire's rejection).
    out["next_below"] = {"seed": 7, "stream": 1, "bounds": [str(b) for b in bounds],
                         "values": values, "draws": draws}
    labels = list(range(10))
    x = Xoshiro256(7, 2)
    x.shuffle(labels)
    out["shuffle"] = {"seed": 7, "stream": 2, "input": list(range(10)), "output": labels}
    return out


# --------------------------------------------------------------------------
# designs (Stats/Design.swift) and the engine's random relabellings
# --------------------------------------------------------------------------

PERM_STREAM = 0x5045524D   # "PERM"
BOOT_STREAM = 0xB0070000
MMD_SEED_XOR = 0x4D4D44    # "MMD"


def strata_members(strata, n):
    """`Design.members`: None -> one group of all documents; else the members
    of each stratum (ascending document index), strata keys sorted, groups of
    one dropped."""
    if strata is None:
        return [list(range(n))]
    groups = {}
    for i, s in enumerate(strata):
        groups.setdefault(s, []).append(i)
    return [groups[k] for k in sorted(groups) if len(groups[k]) > 1]


def design_permutation(labels, strata, index, seed):
    """`Design.permutation(index, seed:)`: relabelling number `index`."""
    rng = Xoshiro256(seed, (PERM_STREAM + index) & MASK64)
    out = list(labels)
    if strata is None:
        i = len(out)
        while i > 1:
            j = rng.next_below(i)
            i -= 1
            out[i], out[j] = out[j], out[i]
        return out
    for members in strata_members(strata, len(labels)):
        l = [labels[m] for m in members]
        rng.shuffle(l)
        for k, i in enumerate(members):
            out[i] = l[k]
    return out


def bootstrap_rows(labels, strata, b, seed):
    """Rows 2b and 2b+1 of `bootstrapStatistics`' weight matrix: the
    multiplicities of A's and of B's documents in resample b (uint8,
    saturating at 255)."""
    n = len(labels)
    rng = Xoshiro256(seed, (BOOT_STREAM + b) & MASK64)
    row_a = [0] * n
    row_b = [0] * n

    def bump(row, d):
        if row[d] < 255:
            row[d] += 1

    pairs = [] if strata is None else strata_members(strata, n)
    if pairs:
        for _ in range(len(pairs)):
            for d in pairs[rng.next_below(len(pairs))]:
                bump(row_a if labels[d] == 0 else row_b, d)
    else:
        a_docs = [d for d in range(n) if labels[d] == 0]
        b_docs = [d for d in range(n) if labels[d] == 1]
        for _ in range(len(a_docs)):
            bump(row_a, a_docs[rng.next_below(len(a_docs))])
        for _ in range(len(b_docs)):
            bump(row_b, b_docs[rng.next_below(len(b_docs))])
    return row_a, row_b


def relabellings(labels, strata):
    """`Design.relabellings`: product over strata of C(n, #A)."""
    total = 1
    for members in strata_members(strata, len(labels)):
        k = sum(1 for m in members if labels[m] == 0)
        total *= math.comb(len(members), k)
    return total


# --------------------------------------------------------------------------
# statistics (independent NumPy code)
# --------------------------------------------------------------------------

TIE_TOLERANCE = 1e-12


def jsd_bits(a, b):
    """JSD (bits) of the normalised count vectors, H(m) - (H(p) + H(q))/2,
    floored at 0 (Divergence.jensenShannon); 0 when a side is empty."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ta, tb = a.sum(), b.sum()
    if not (ta > 0 and tb > 0):
        return 0.0
    p, q = a / ta, b / tb
    m = 0.5 * (p + q)

    def h(x):
        x = x[x > 0]
        return float(-(x * np.log2(x)).sum())

    return max(0.0, h(m) - 0.5 * (h(p) + h(q)))


def jsd_rows(ga, gb):
    """JSD (bits) of each row pair of two (R x F) count matrices."""
    ga = np.asarray(ga, dtype=np.float64)
    gb = np.asarray(gb, dtype=np.float64)
    ta = ga.sum(axis=1, keepdims=True)
    tb = gb.sum(axis=1, keepdims=True)
    p, q = ga / ta, gb / tb
    m = 0.5 * (p + q)

    def h(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.where(x > 0, x * np.log2(np.where(x > 0, x, 1.0)), 0.0).sum(axis=1)

    return np.maximum(0.0, h(m) - 0.5 * (h(p) + h(q)))


def quantile(x, q):
    """PermutationTest.quantile: linear interpolation between order
    statistics (numpy's default method)."""
    if len(x) == 0:
        return 0.0
    s = sorted(x)
    h = (len(s) - 1) * q
    lo = int(math.floor(h))
    hi = min(len(s) - 1, lo + 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])


def summarize(t, null):
    """PermutationTest.summarize."""
    tol = TIE_TOLERANCE * max(1.0, abs(t))
    ge = sum(1 for v in null if v >= t - tol)
    p = (1 + ge) / (1 + len(null))
    mean = (sum(null) / len(null)) if null else 0.0    # sequential, as reduce(0, +)
    q95 = quantile(null, 0.95)
    ref = float(np.percentile(np.asarray(null), 95))
    assert abs(q95 - ref) <= 1e-15 * max(1.0, abs(ref)), (q95, ref)
    return {"p_value": p, "null_mean": mean, "null_p95": q95,
            "effect": (t / mean) if mean > 0 else 0.0}


def margin(t, null):
    """Distance from T to the nearest null statistic: how far rounding in the
    engine would have to move a value to change the p-value."""
    return float(min(abs(v - t) for v in null)) if null else None


# --------------------------------------------------------------------------
# fixture corpora
# --------------------------------------------------------------------------

CORPUS_SEED = 20250917
ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
          "br", "dr", "gl", "kr", "pl", "st", "tr", "sh", "th"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "oo", "ou"]
CODAS = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck"]
VOCAB_SIZE = 300


def pseudo_words(rng, size):
    seen, out = set(), []
    while len(out) < size:
        k = rng.choice((1, 1, 2, 2, 2, 3))
        w = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(k)) + rng.choice(CODAS)
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def layout(words, per_line=12):
    lines = [" ".join(words[i:i + per_line]) for i in range(0, len(words), per_line)]
    return "\n".join(lines) + "\n"


def draw(rng, vocab, cum, n):
    return [vocab[min(bisect.bisect_left(cum, rng.random()), len(vocab) - 1)] for _ in range(n)]


def cumulative(w):
    w = [float(x) for x in w]
    s = sum(w)
    c, acc = [], 0.0
    for x in w:
        acc += x / s
        c.append(acc)
    c[-1] = 1.0
    return c


def make_corpora(write_text, clean_dir):
    rng = random.Random(CORPUS_SEED)
    vocab = pseudo_words(rng, VOCAB_SIZE)
    base = [1.0 / (r + 2.0) ** 1.1 for r in range(1, VOCAB_SIZE + 1)]
    # B: the same Zipf law with a few mid-ranked words boosted and as many
    # damped (a mild shift: the tests are neither trivially significant nor
    # trivially null).
    shifted = list(base)
    ranks = list(range(5, 120))
    rng.shuffle(ranks)
    for r in ranks[:12]:
        shifted[r] *= 1.6
    for r in ranks[12:24]:
        shifted[r] /= 1.6
    cum_a, cum_b = cumulative(base), cumulative(shifted)

    for d in ("a", "b", "pa", "pb"):
        clean_dir(os.path.join("compare", d))
    for i in range(30):
        write_text(f"compare/a/a{i:02d}.txt", layout(draw(rng, vocab, cum_a, rng.randint(40, 150))))
    for i in range(25):
        write_text(f"compare/b/b{i:02d}.txt", layout(draw(rng, vocab, cum_b, rng.randint(40, 150))))
    # Paired: prompt i gives both answers the same topic (8 words boosted
    # 12x); pb answers come from the shifted law, more mildly shifted.
    mild = [(2 * b_ + s_) / 3 for b_, s_ in zip(base, shifted)]
    for i in range(20):
        topic = rng.sample(range(VOCAB_SIZE), 8)
        wa, wb = list(base), list(mild)
        for r in topic:
            wa[r] *= 12.0
            wb[r] *= 12.0
        write_text(f"compare/pa/doc{i:02d}.txt", layout(draw(rng, vocab, cumulative(wa), rng.randint(40, 150))))
        write_text(f"compare/pb/doc{i:02d}.txt", layout(draw(rng, vocab, cumulative(wb), rng.randint(40, 150))))


# --------------------------------------------------------------------------
# the reference computation
# --------------------------------------------------------------------------

WORD = re.compile(r"\w+")


def read_corpus(reldir):
    """Documents of a directory as the engine reads them: *.txt files sorted
    by the UTF-8 bytes of their relative path (UnitPlanner.plan)."""
    d = os.path.join(HERE, reldir)
    names = sorted((f for f in os.listdir(d) if f.endswith(".txt") and not f.startswith(".")),
                   key=lambda f: f.encode("utf-8"))
    docs = []
    for f in names:
        with open(os.path.join(d, f), "rb") as fh:
            text = fh.read().decode("utf-8")
        assert text.isascii()
        docs.append(WORD.findall(text.lower()))
    return names, docs


def count_matrix(docs):
    """Stacked document x type counts; types in canonical order (sorted by
    UTF-8 bytes = Python str order), as DocumentTermMatrix.stacked."""
    types = sorted({t for d in docs for t in d}, key=lambda s: s.encode("utf-8"))
    index = {t: i for i, t in enumerate(types)}
    x = np.zeros((len(docs), len(types)), dtype=np.int64)
    for r, d in enumerate(docs):
        for t in d:
            x[r, index[t]] += 1
    return types, x


def top_k(keys, k):
    """Vocabulary.topK: the k largest keys, ties to the smaller index, in
    that order."""
    order = sorted(range(len(keys)), key=lambda i: (-keys[i], i))
    return order[:min(k, len(keys))]


def test_features(x, k):
    """Comparison.testFeatures: columns = top-k types by pooled count (ties:
    canonical id) then "other"; label-free."""
    pooled = x.sum(axis=0)
    top = top_k(pooled.tolist(), k)
    col = np.full(x.shape[1], len(top), dtype=np.int64)
    col[top] = np.arange(len(top))
    f = len(top) + 1
    feat = np.zeros((x.shape[0], f), dtype=np.int64)
    for t in range(x.shape[1]):
        feat[:, col[t]] += x[:, t]
    return top, feat


def tfidf_rows(x, docs_idx, mmd_features):
    """mmdTest's features: top `mmd_features` types by pooled count over the
    chosen documents (ties: canonical id; zero-count types dropped), weights
    count * (ln((1 + n) / (1 + df)) + 1), rows L2-normalised."""
    sub = x[docs_idx]
    pooled = sub.sum(axis=0)
    df = (sub > 0).sum(axis=0)
    top = [t for t in top_k(pooled.tolist(), mmd_features) if pooled[t] > 0]
    n = float(len(docs_idx))
    idf = np.log((1.0 + n) / (1.0 + df[top].astype(np.float64))) + 1.0
    w = sub[:, top].astype(np.float64) * idf[None, :]
    norms = np.sqrt((w * w).sum(axis=1))
    w = w / np.where(norms > 0, norms, 1.0)[:, None]
    return top, w


def mmd2_group_sums(sum_a, total, labels, nonzero):
    """The engine's mmd2(sumA, labels) from group sums."""
    a = np.asarray(sum_a, dtype=np.float64)
    b = total - a
    saa, sab, sbb = float(a @ a), float(a @ b), float(b @ b)
    lab = np.asarray(labels)
    za, zb = float(nonzero[lab == 0].sum()), float(nonzero[lab == 1].sum())
    ma, mb = float((lab == 0).sum()), float((lab == 1).sum())
    return (saa - za) / (ma * (ma - 1)) + (sbb - zb) / (mb * (mb - 1)) - 2 * sab / (ma * mb)


def mmd2_gram(x, labels):
    """Unbiased MMD^2 with the linear kernel, from the explicit Gram matrix."""
    lab = np.asarray(labels)
    k = x @ x.T
    a, b = lab == 0, lab == 1
    ma, mb = a.sum(), b.sum()
    kaa, kbb, kab = k[np.ix_(a, a)], k[np.ix_(b, b)], k[np.ix_(a, b)]
    return float((kaa.sum() - np.trace(kaa)) / (ma * (ma - 1))
                 + (kbb.sum() - np.trace(kbb)) / (mb * (mb - 1))
                 - 2 * kab.sum() / (ma * mb))


def pairing_strata(names_a, names_b):
    """Pairing(a:b:field: nil).strata: document i of A is stratum i; document
    j of B is stratum i when its relative path equals A's i-th (unique on
    both sides), else its own index na + j."""
    index_a, dup_a = {}, set()
    for i, k in enumerate(names_a):
        if k in index_a:
            dup_a.add(k)
        else:
            index_a[k] = i
    na = len(names_a)
    strata = list(range(na + len(names_b)))
    pair_list, seen_b = [], set()
    for j, k in enumerate(names_b):
        if not k or k in dup_a or k not in index_a or k in seen_b:
            continue
        seen_b.add(k)
        pair_list.append((index_a[k], na + j))
        strata[na + j] = index_a[k]
    return strata, pair_list


def _check_tfidf_with_sklearn(docs, top, types, w):
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
    except ImportError:
        return
    vec = TfidfVectorizer(token_pattern=r"\w+", lowercase=True, smooth_idf=True,
                          norm="l2", vocabulary=[types[t] for t in top])
    ref = vec.fit_transform([" ".join(d) for d in docs]).toarray()
    assert np.abs(ref - w).max() <= 1e-12, np.abs(ref - w).max()


def compute(config):
    o = config["options"]
    names_a, docs_a = read_corpus(config["a"])
    names_b, docs_b = read_corpus(config["b"])
    na, nb = len(docs_a), len(docs_b)
    n = na + nb
    docs = docs_a + docs_b
    types, x = count_matrix(docs)
    labels = [0] * na + [1] * nb
    seed = o["seed"]
    strata, pair_list = pairing_strata(names_a, names_b)
    if o["paired"]:
        assert pair_list
    else:
        strata = None
    assert relabellings(labels, strata) > 1 and na >= 2 and nb >= 2

    # ---- permutation test (Comparison.permutationTest)
    top, feat = test_features(x, o["features"])
    assert feat.sum(axis=0).max() < 2 ** 24     # the engine's Float path is exact
    lab = np.asarray(labels)
    ga, gb = feat[lab == 0].sum(axis=0), feat[lab == 1].sum(axis=0)
    t_obs = jsd_bits(ga, gb)
    t_scipy = float(jensenshannon(ga.astype(np.float64), gb.astype(np.float64), base=2) ** 2)
    assert abs(t_obs - t_scipy) <= 1e-12, (t_obs, t_scipy)
    perms = [design_permutation(labels, strata, r, seed) for r in range(o["permutations"])]
    w = np.array([[1 - l for l in p] for p in perms], dtype=np.int64)    # indicator of A
    sums_a = w @ feat
    null = jsd_rows(sums_a, feat.sum(axis=0)[None, :] - sums_a).tolist()
    s = summarize(t_obs, null)

    # ---- bootstrap (Comparison.bootstrapStatistics)
    boot_rows = [bootstrap_rows(labels, strata, b, seed) for b in range(o["bootstrap"])]
    ra = np.array([r[0] for r in boot_rows], dtype=np.int64)
    rb = np.array([r[1] for r in boot_rows], dtype=np.int64)
    boot = jsd_rows(ra @ feat, rb @ feat).tolist()
    ci_low, ci_high = quantile(boot, 0.025), quantile(boot, 0.975)
    for q, v in ((2.5, ci_low), (97.5, ci_high)):
        ref = float(np.percentile(np.asarray(boot), q))
        assert abs(v - ref) <= 1e-15 * max(1.0, abs(ref)), (v, ref)
    bias = sum(boot) / len(boot) - t_obs

    # ---- MMD (Comparison.mmdTest), below mmdMaxDocuments: no subsample
    assert na <= o["mmd_max_documents"] and nb <= o["mmd_max_documents"]
    if o["paired"]:
        docs_idx = sorted(i for p in pair_list for i in p)
    else:
        docs_idx = list(range(n))
    sub_labels = [labels[d] for d in docs_idx]
    sub_strata = None if strata is None else [strata[d] for d in docs_idx]
    mtop, xm = tfidf_rows(x, docs_idx, o["mmd_features"])
    _check_tfidf_with_sklearn([docs[d] for d in docs_idx], mtop, types, xm)
    nonzero = ((xm * xm).sum(axis=1) > 0).astype(np.float64)
    total = xm.sum(axis=0)
    slab = np.asarray(sub_labels)
    mmd_obs = mmd2_group_sums(xm[slab == 0].sum(axis=0), total, sub_labels, nonzero)
    gram = mmd2_gram(xm, sub_labels)
    assert abs(mmd_obs - gram) <= 1e-12, (mmd_obs, gram)
    mseed = seed ^ MMD_SEED_XOR
    mperms = [design_permutation(sub_labels, sub_strata, r, mseed) for r in range(o["permutations"])]
    mnull = []
    for p in mperms:
        ind = np.array([1.0 if l == 0 else 0.0 for l in p])
        mnull.append(mmd2_group_sums(ind @ xm, total, p, nonzero))
    ms = summarize(mmd_obs, mnull)
    # The engine stores the TF-IDF rows as Float and sums the relabellings
    # in a Float GEMM: the same computation with float32 rows/sums shows how
    # far that moves MMD^2 (for the test's tolerance).
    x32 = xm.astype(np.float32)
    tot32 = x32.astype(np.float64).sum(axis=0)
    nz32 = ((x32.astype(np.float64) ** 2).sum(axis=1) > 0).astype(np.float64)
    mmd_obs32 = mmd2_group_sums(x32[slab == 0].astype(np.float64).sum(axis=0), tot32, sub_labels, nz32)
    w32 = np.array([[1.0 if l == 0 else 0.0 for l in p] for p in mperms], dtype=np.float32)
    s32 = (w32 @ x32).astype(np.float64)
    mnull32 = [mmd2_group_sums(s32[r], tot32, p, nz32) for r, p in enumerate(mperms)]
    assert summarize(mmd_obs32, mnull32)["p_value"] == ms["p_value"]
    float_dev = max([abs(mmd_obs32 - mmd_obs)] + [abs(u - v) for u, v in zip(mnull32, mnull)])

    t_margin, m_margin = margin(t_obs, null), margin(mmd_obs, mnull)
    # The p-values are only reproducible if no null statistic sits within
    # rounding of the observed one.
    assert t_margin > 1e-9, t_margin
    assert m_margin > 1e-4 and m_margin > 100 * float_dev, (m_margin, float_dev)

    result = {
        "name": config["name"],
        "a": config["a"],
        "b": config["b"],
        "options": {k: o[k] for k in ("features", "permutations", "bootstrap", "seed", "paired",
                                      "mmd_features", "mmd_max_documents")},
        "documents_a": names_a,
        "documents_b": names_b,
        "tokens_a": sum(len(d) for d in docs_a),
        "tokens_b": sum(len(d) for d in docs_b),
        "vocabulary": len(types),
        "labels": labels,
        "strata": strata,
        "test": {
            "ran": True,
            "design": "paired" if o["paired"] else "unpaired",
            "pairs": len(pair_list) if o["paired"] else None,
            "features": feat.shape[1],
            "statistic": t_obs,
            "p_value": s["p_value"],
            "min_p_value": 1.0 / (1 + len(null)),
            "permutations": len(null),
            "null_mean": s["null_mean"],
            "null_p95": s["null_p95"],
            "effect": s["effect"],
            "ci_low": ci_low,
            "ci_high": ci_high,
            "bootstrap_bias": bias,
            "bootstrap": len(boot),
        },
        "mmd": {
            "ran": True,
            "mmd2": mmd_obs,
            "p_value": ms["p_value"],
            "permutations": len(mnull),
            "features": len(mtop),
            "documents_a": int((slab == 0).sum()),
            "documents_b": int((slab == 1).sum()),
            "subsampled": False,
        },
        "diagnostics": {
            "top_tokens": [types[t] for t in top],
            "group_sums_a": ga.tolist(),
            "group_sums_b": gb.tolist(),
            "first_permutations": perms[:5],
            "null_statistics": null,
            "null_margin": t_margin,
            "first_bootstrap_rows": [{"a": ra[b].tolist(), "b": rb[b].tolist()} for b in range(min(3, len(boot)))],
            "bootstrap_statistics": boot,
            "mmd_seed": mseed,
            "mmd_documents": docs_idx,
            "mmd_first_permutations": mperms[:5],
            "mmd_first_null_statistics": mnull[:5],
            "mmd_null_mean": ms["null_mean"],
            "mmd_null_margin": m_margin,
            "mmd_float32_deviation": float_dev,
        },
    }
    return result


CONFIGS = [
    {"name": "unpaired_f50_seed7", "a": "compare/a", "b": "compare/b",
     "options": {"features": 50, "permutations": 199, "bootstrap": 100, "seed": 7, "paired": False}},
    {"name": "unpaired_f1000_seed12345", "a": "compare/a", "b": "compare/b",
     "options": {"features": 1000, "permutations": 199, "bootstrap": 100, "seed": 12345, "paired": False}},
    {"name": "paired_f50_seed3", "a": "compare/pa", "b": "compare/pb",
     "options": {"features": 50, "permutations": 199, "bootstrap": 100, "seed": 3, "paired": True}},
]

TOLERANCES = {
    "note": "statistic, null_mean, null_p95, ci_low, ci_high, bootstrap_bias, null and bootstrap "
            "statistics: relative; mmd2: absolute (the engine's TF-IDF rows and relabelling sums "
            "are Float); p-values, label lists, multiplicities, counts: exact",
    "jsd_relative": 1e-9,
    "mmd2_absolute": 1e-6,
}


def make_compare_null(write_json, write_text, clean_dir):
    """Writes compare/{a,b,pa,pb}/*.txt and compare_null.json through the
    given helpers (make_reference.py's write_json, write_text, clean_dir)."""
    _check_rng()
    make_corpora(write_text, clean_dir)
    configs = []
    for c in CONFIGS:
        c = {"name": c["name"], "a": c["a"], "b": c["b"],
             "options": dict(c["options"], mmd_features=4096, mmd_max_documents=2000)}
        configs.append(compute(c))
    write_json("compare_null.json", {
        "about": "Expected results of `fingerprint compare` (test, bootstrap, MMD) on the "
                 "fixture corpora, by compare_reference.py; paths are relative to Fixtures/. "
                 "UInt64 RNG outputs are decimal strings.",
        "tolerances": TOLERANCES,
        "rng": rng_vectors(),
        "configurations": configs,
    })
    return configs


if __name__ == "__main__":
    from fixture_io import clean_dir, write_json, write_text

    for c in make_compare_null(write_json, write_text, clean_dir):
        t, m = c["test"], c["mmd"]
        print(f"{c['name']}: T={t['statistic']:.6g} p={t['p_value']:.4g} null_mean={t['null_mean']:.4g} "
              f"p95={t['null_p95']:.4g} CI=[{t['ci_low']:.4g}, {t['ci_high']:.4g}] "
              f"MMD2={m['mmd2']:.4g} p_mmd={m['p_value']:.4g} "
              f"(margins {c['diagnostics']['null_margin']:.2g}, {c['diagnostics']['mmd_null_margin']:.2g}, "
              f"float32 dev {c['diagnostics']['mmd_float32_deviation']:.2g})")
