#!/usr/bin/env python3
"""Independent Python reference for `fingerprint attribute` (issue #11).

Writes, next to this file:
  attribution/<source>/docNN.txt   3 sources x 12 generated documents
  attribution.json                 MFW, z-scores, centroids, Burrows's Delta,
                                   Cosine Delta, scikit-learn multinomial
                                   logistic regression, text distortion cases,
                                   and logistic_blocks (below)

Use it from make_reference.py as
    from attribution_reference import make_attribution
    make_attribution(write_json, write_text, clean_dir)
or run it on its own:  python3 attribution_reference.py
(the standalone helpers below are byte-for-byte the same JSON format as
make_reference.py: UTF-8, indent=1, sorted keys, ensure_ascii=False, floats as
Python's shortest repr).

Deterministic: the texts come from random.Random(SEED) only; all numbers are
computed from the in-memory texts (the files are not read back). Two runs give
byte-identical output.

Definitions pinned here (the Swift side must do exactly this):
  * tokens: re.findall(r"\\w+", text.lower())
  * split: docs 01-09 of every source are training, 10-12 are questioned
  * MFW: the 50 most frequent tokens by total count over the TRAINING docs,
    ties broken by the token's UTF-8 byte order (ascending)
  * relative frequency: count(feature in doc) / number of tokens in doc
    (all tokens of the doc, not only the MFW)
  * z = (x - mean) / sd, mean and POPULATION sd (ddof=0) over the training docs
  * class centroid: mean of the z-scores of that class's training docs
  * Burrows's Delta(q, c) = mean_j |z_qj - c_j|
  * Cosine Delta(q, c)   = 1 - (z_q . c) / (|z_q| |c|)      (Evert et al. 2017)
  * logistic regression: sklearn LogisticRegression(C, solver="lbfgs",
    tol=1e-10, max_iter=10000) on the z-scored training docs, classes sorted.
    scikit-learn 1.9 has no `multi_class` (removed in 1.8) and deprecates
    `penalty` (use l1_ratio=0.0, the default, for L2). With >= 3 classes lbfgs
    minimises the multinomial objective
        1/(C n) * [ 1/2 ||W||_F^2 + C * sum_i -log softmax(W x_i + b)_{y_i} ]
    (sklearn scales it by 1/(C n); same minimiser), intercept b NOT penalised.
    This script re-derives the optimum with its own NumPy Newton solver and
    asserts agreement, so the objective above is checked, not assumed.
  * identifiability: softmax is unchanged when the same vector is added to
    every class row of W, or the same constant to every b_k. The L2 penalty
    makes W unique (at the optimum every column of W sums to zero over the
    classes). The intercept is NOT penalised, so only its differences b_k - b_l
    are identified; sklearn starts from b = 0 and its iterates keep sum(b) = 0
    up to rounding. Compare intercepts after centring (intercept_centered) or
    compare probabilities; coef_ can be compared directly.
  * logistic_blocks: the same LogisticRegression on a seeded NumPy matrix of
    BLOCK_ROWS_N rows (more than the 64-row blocks in which the Swift fit
    multiplies, with a partial last block), so that the blocked products are
    checked against scikit-learn, not only against themselves.
"""

import json
import os
import random
import re
import sys

import numpy as np
import scipy
import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

SEED = 20260511
SOURCES = ["alpha", "beta", "gamma"]
N_DOCS = 12
N_TRAIN = 9          # docs 01..09 train, 10..12 questioned
N_MFW = 50
CS = [0.1, 1.0]
BLOCK_ROWS_N, BLOCK_COLS, BLOCK_CLASSES = 130, 8, 4
MASK_K = 20
TFIDF_CS = [1.0, 10.0]

PY_WORD = re.compile(r"\w+")


def tokens(text):
    return PY_WORD.findall(text.lower())


# --------------------------------------------------------------------------
# generated corpus
# --------------------------------------------------------------------------

FUNCTION_WORDS = [
    "the", "of", "and", "to", "a", "in", "that", "is", "it", "for", "on",
    "with", "as", "by", "upon", "while", "whilst", "which", "this", "but",
    "or", "not", "be", "from", "at", "an", "there", "also", "only", "very",
    "would", "may", "shall", "must",
]

# each source's habits: multipliers on the shared base weights of some
# function words (all other function words: 1.0)
HABITS = {
    "alpha": {"upon": 6.0, "whilst": 5.0, "on": 0.3, "while": 0.2, "shall": 3.0,
              "which": 2.0, "that": 0.6, "also": 0.4},
    "beta": {"on": 2.0, "while": 3.0, "upon": 0.2, "whilst": 0.1, "would": 3.0,
             "that": 1.8, "there": 2.5, "very": 0.3},
    "gamma": {"also": 4.0, "very": 4.0, "only": 2.5, "may": 2.5, "must": 0.3,
              "by": 0.4, "an": 2.0, "which": 0.5},
}
FUNCTION_RATE = {"alpha": 0.42, "beta": 0.47, "gamma": 0.45}

ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s",
          "t", "v", "w", "z", "br", "cl", "dr", "gr", "pl", "st", "tr"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "oo", "ou"]
CODAS = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck"]


def content_vocabulary(rng, size):
    seen = set(FUNCTION_WORDS)
    out = []
    while len(out) < size:
        k = rng.choice((1, 2, 2, 3))
        w = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(k))
        w += rng.choice(CODAS)
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def weighted_choice(rng, items, cum):
    """items[i] with probability proportional to its weight (cum = running sums)."""
    r = rng.random() * cum[-1]
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > r:
            hi = mid
        else:
            lo = mid + 1
    return items[lo]


def running(ws):
    out, s = [], 0.0
    for w in ws:
        s += w
        out.append(s)
    return out


def lowercase_prose(rng, words):
    """Lower-case sentences: ', ' now and then, '. ' every 6-16 words, a line
    break every 12 words; ends with '.\\n'."""
    out = []
    until_stop = rng.randint(6, 16)
    for i, w in enumerate(words):
        out.append(w)
        until_stop -= 1
        last = i == len(words) - 1
        if until_stop == 0 and not last:
            out.append(".")
            until_stop = rng.randint(6, 16)
        elif not last and rng.random() < 0.08:
            out.append(",")
        if not last:
            out.append("\n" if (i + 1) % 12 == 0 else " ")
    return "".join(out) + ".\n"


def generate_corpus():
    """{source: [text of doc01, ..., doc12]} from random.Random(SEED)."""
    rng = random.Random(SEED)
    vocab = content_vocabulary(rng, 300)
    # shared Zipf-like content distribution and function-word base weights
    content_cum = running([1.0 / (r + 2) ** 1.05 for r in range(len(vocab))])
    base = [1.0 / (r + 1) ** 0.8 for r in range(len(FUNCTION_WORDS))]
    corpus = {}
    for src in SOURCES:
        habit = HABITS[src]
        fw_cum = running([b * habit.get(w, 1.0) for w, b in zip(FUNCTION_WORDS, base)])
        docs = []
        for _ in range(N_DOCS):
            n = rng.randint(80, 200)
            words = []
            for _ in range(n):
                if rng.random() < FUNCTION_RATE[src]:
                    words.append(weighted_choice(rng, FUNCTION_WORDS, fw_cum))
                else:
                    words.append(weighted_choice(rng, vocab, content_cum))
            text = lowercase_prose(rng, words)
            assert tokens(text) == words
            assert text.isascii() and text == text.lower()
            docs.append(text)
        corpus[src] = docs
    return corpus


# --------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------

def most_frequent(token_lists, n, exclude_digits=False):
    counts = {}
    for toks in token_lists:
        for t in toks:
            counts[t] = counts.get(t, 0) + 1
    items = [(t, c) for t, c in counts.items()
             if not (exclude_digits and any(ch.isdigit() for ch in t))]
    items.sort(key=lambda tc: (-tc[1], tc[0].encode("utf-8")))
    return items[:n], items


def relative_frequencies(token_lists, features):
    index = {f: j for j, f in enumerate(features)}
    x = np.zeros((len(token_lists), len(features)))
    for i, toks in enumerate(token_lists):
        for t in toks:
            j = index.get(t)
            if j is not None:
                x[i, j] += 1.0
        x[i] /= len(toks)
    return x


# --------------------------------------------------------------------------
# independent multinomial logistic regression (Newton, NumPy only)
# --------------------------------------------------------------------------

def softmax_rows(a):
    a = a - a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


def newton_multinomial(x, y, n_classes, c, iters=100):
    """argmin_{W,b} 1/2 ||W||_F^2 + C sum_i -log softmax(W x_i + b)_{y_i}.

    Parameters theta = [W | b] (n_classes x (p+1)). Newton steps with the
    minimum-norm solution of H d = -g (the Hessian is singular along
    b -> b + t*1; starting from 0 the iterates keep sum(b) = 0), with
    backtracking on the objective.
    """
    n, p = x.shape
    xa = np.hstack([x, np.ones((n, 1))])
    yo = np.zeros((n, n_classes))
    yo[np.arange(n), y] = 1.0
    pen = np.ones(p + 1)
    pen[-1] = 0.0                      # intercept not penalised

    def f(theta):
        a = xa @ theta.T
        m = a.max(axis=1, keepdims=True)
        lse = (m[:, 0] + np.log(np.exp(a - m).sum(axis=1)))
        return 0.5 * np.sum((theta * pen) ** 2) + c * np.sum(lse - a[np.arange(n), y])

    theta = np.zeros((n_classes, p + 1))
    for _ in range(iters):
        pr = softmax_rows(xa @ theta.T)
        g = c * (pr - yo).T @ xa + theta * pen             # (K, p+1)
        gv = g.ravel()                                      # row-major: class blocks
        if np.max(np.abs(gv)) < 1e-13 * max(1.0, c * n):
            break
        kp = n_classes * (p + 1)
        h = np.zeros((kp, kp))
        for k in range(n_classes):
            for l in range(n_classes):
                wkl = pr[:, k] * ((k == l) - pr[:, l])
                h[k * (p + 1):(k + 1) * (p + 1), l * (p + 1):(l + 1) * (p + 1)] = \
                    c * (xa * wkl[:, None]).T @ xa
        h += np.diag(np.tile(pen, n_classes))
        d = np.linalg.lstsq(h, -gv, rcond=None)[0].reshape(n_classes, p + 1)
        f0, step = f(theta), 1.0
        while f(theta + step * d) > f0 + 1e-4 * step * float(gv @ d.ravel()) and step > 1e-10:
            step *= 0.5
        theta = theta + step * d
    return theta[:, :p], theta[:, p], f(theta)


# --------------------------------------------------------------------------
# text distortion (Stamatatos 2017), recommended definition
# --------------------------------------------------------------------------

def distort(text, keep, single):
    """Lower-case `text`, then replace every \\w+ token that is not in `keep`
    or that contains a digit:
      DV-MA (single=False): each code point of the token -> '#' if it is a
                            decimal digit (str.isdecimal, i.e. Nd), else '*'
      DV-SA (single=True):  the whole token -> one '#' if all its code points
                            are decimal digits, else one '*'
    Everything between tokens (spaces, newlines, punctuation) is kept."""
    s = text.lower()

    def repl(m):
        t = m.group(0)
        if t in keep and not any(ch.isdecimal() for ch in t):
            return t
        if single:
            return "#" if all(ch.isdecimal() for ch in t) else "*"
        return "".join("#" if ch.isdecimal() else "*" for ch in t)

    return PY_WORD.sub(repl, s)


# --------------------------------------------------------------------------
# fixture
# --------------------------------------------------------------------------

def make_attribution(write_json, write_text, clean_dir):
    corpus = generate_corpus()
    for src in SOURCES:
        clean_dir(os.path.join("attribution", src))
        for i, text in enumerate(corpus[src], start=1):
            write_text(f"attribution/{src}/doc{i:02d}.txt", text)

    train, quest = [], []          # (path, class index, tokens)
    for k, src in enumerate(SOURCES):
        for i, text in enumerate(corpus[src], start=1):
            item = (f"attribution/{src}/doc{i:02d}.txt", k, tokens(text))
            (train if i <= N_TRAIN else quest).append(item)

    top, all_counts = most_frequent([t for _, _, t in train], N_MFW)
    mfw = [t for t, _ in top]
    mfw_counts = [c for _, c in top]
    assert len(mfw) == N_MFW
    # the cut must not fall inside a tie unless the byte-order rule decides it
    boundary_tie = all_counts[N_MFW - 1][1] == all_counts[N_MFW][1]
    ties_inside = sum(1 for a, b in zip(mfw_counts, mfw_counts[1:]) if a == b)

    xt = relative_frequencies([t for _, _, t in train], mfw)
    xq = relative_frequencies([t for _, _, t in quest], mfw)
    yt = np.array([k for _, k, _ in train])
    yq = np.array([k for _, k, _ in quest])
    mean = xt.mean(axis=0)
    sd = xt.std(axis=0, ddof=0)
    assert np.all(sd > 0)
    zt = (xt - mean) / sd
    zq = (xq - mean) / sd
    centroids = np.stack([zt[yt == k].mean(axis=0) for k in range(len(SOURCES))])

    burrows = np.abs(zq[:, None, :] - centroids[None, :, :]).mean(axis=2)
    cos = (zq @ centroids.T) / (np.linalg.norm(zq, axis=1)[:, None]
                                * np.linalg.norm(centroids, axis=1)[None, :])
    cosine_delta = 1.0 - cos

    logistic = []
    for c in CS:
        clf = LogisticRegression(C=c, solver="lbfgs", tol=1e-10, max_iter=10000)
        clf.fit(zt, yt)
        assert list(clf.classes_) == list(range(len(SOURCES)))
        assert clf.coef_.shape == (len(SOURCES), N_MFW)
        proba = clf.predict_proba(zq)
        w_n, b_n, obj_n = newton_multinomial(zt, yt, len(SOURCES), c)
        # same objective, same optimum (independent solver)
        assert np.max(np.abs(clf.coef_ - w_n)) < 1e-6, np.max(np.abs(clf.coef_ - w_n))
        b_c = clf.intercept_ - clf.intercept_.mean()
        assert np.max(np.abs(b_c - (b_n - b_n.mean()))) < 1e-6
        assert np.max(np.abs(clf.coef_.sum(axis=0))) < 1e-8   # penalty pins W
        assert abs(clf.intercept_.mean()) < 1e-8
        p_n = softmax_rows(zq @ w_n.T + b_n)
        assert np.max(np.abs(proba - p_n)) < 1e-7
        logistic.append({
            "C": c,
            "coef": clf.coef_,
            "intercept": clf.intercept_,
            "intercept_centered": b_c,
            "predict_proba": proba,
            "predicted": [SOURCES[k] for k in proba.argmax(axis=1)],
            "objective": obj_n,
            "n_iter": int(clf.n_iter_[0]),
        })

    # more rows than one 64-row block of the Swift fit (130 = 2 x 64 + 2)
    brng = np.random.default_rng(SEED)
    bx = brng.standard_normal((BLOCK_ROWS_N, BLOCK_COLS))
    by = np.arange(BLOCK_ROWS_N) % BLOCK_CLASSES
    bx[:, :3] += 0.8 * np.eye(BLOCK_CLASSES)[by][:, :3]     # some signal, not separable
    logistic_blocks = []
    for c in [0.05, 5.0]:
        clf = LogisticRegression(C=c, solver="lbfgs", tol=1e-10, max_iter=10000).fit(bx, by)
        w_n, b_n, _ = newton_multinomial(bx, by, BLOCK_CLASSES, c)
        assert np.max(np.abs(clf.coef_ - w_n)) < 1e-6, np.max(np.abs(clf.coef_ - w_n))
        logistic_blocks.append({"C": c, "coef": clf.coef_,
                                "intercept_centered": clf.intercept_ - clf.intercept_.mean()})

    # text distortion: W_K from the training docs (digit-free tokens only)
    keep_top, _ = most_frequent([t for _, _, t in train], MASK_K, exclude_digits=True)
    keep = [t for t, _ in keep_top]
    keep_set = set(keep)
    mask_inputs = [("questioned_" + os.path.basename(os.path.dirname(p)) + "_"
                    + os.path.basename(p)[:-4], corpus[SOURCES[k]][int(p[-6:-4]) - 1])
                   for p, k, _ in quest[::N_DOCS - N_TRAIN]]
    mask_inputs.append(("digits_and_punctuation",
                        "In 1787, THE 13 states (and 2nd-tier towns) met; upon "
                        "re-reading it \u2014 whilst x_1 was 3.14 \u2014 the end.\n"))
    mask_cases = [{"name": name, "text": text,
                   "dv_ma": distort(text, keep_set, single=False),
                   "dv_sa": distort(text, keep_set, single=True)}
                  for name, text in mask_inputs]

    # TF-IDF rows (`--weighting tfidf`): scikit-learn's vectorizer fitted on
    # the training texts, every character 2-4-gram, smooth idf, l2 rows; and
    # LogisticRegression on those sparse rows. The same with sublinear tf
    # (`--sublinear`): tf = 1 + ln(count), checked by hand below.
    train_texts = [corpus[SOURCES[k]][int(p[-6:-4]) - 1] for p, k, _ in train]
    quest_texts = [corpus[SOURCES[k]][int(p[-6:-4]) - 1] for p, k, _ in quest]

    def tfidf_section(sublinear, cs):
        vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 4), sublinear_tf=sublinear)
        tx = vec.fit_transform(train_texts)
        qx = vec.transform(quest_texts)
        terms = list(vec.get_feature_names_out())
        assert terms == sorted(terms)
        # idf by hand: ln((1 + n) / (1 + df)) + 1, df over the training texts
        df = np.asarray((tx > 0).sum(axis=0)).ravel()
        idf_hand = np.log((1 + tx.shape[0]) / (1 + df)) + 1
        assert np.max(np.abs(idf_hand - vec.idf_)) < 1e-12
        # rows by hand from the raw counts: tf (or 1 + ln tf) x idf, l2-normalised
        counts = CountVectorizer(analyzer="char", ngram_range=(2, 4), vocabulary=vec.vocabulary_).transform(quest_texts)
        tf = counts.astype(float)
        if sublinear:
            tf.data = 1 + np.log(tf.data)
        hand = tf.multiply(idf_hand).tocsr()
        norms = np.sqrt(np.asarray(hand.multiply(hand).sum(axis=1)).ravel())
        hand = hand.multiply(1 / norms[:, None]).tocsr()
        assert abs(hand - qx).max() < 1e-12
        fits = []
        for c in cs:
            clf = LogisticRegression(C=c, solver="lbfgs", tol=1e-10, max_iter=10000).fit(tx, yt)
            # optimality by hand: W + C (P - Y)^T X = 0 and (P - Y)^T 1 = 0, to
            # the precision lbfgs stops at (its tolerance is on the mean loss)
            pt = softmax_rows(tx @ clf.coef_.T + clf.intercept_)
            r = pt - np.eye(len(SOURCES))[yt]
            assert np.max(np.abs(clf.coef_ + c * (tx.T @ r).T)) < 1e-6
            assert np.max(np.abs(r.sum(axis=0))) < 1e-6
            # the coefficients of the 40 terms with the largest spread across classes
            spread = clf.coef_.max(axis=0) - clf.coef_.min(axis=0)
            top = sorted(np.argsort(-spread, kind="stable")[:40].tolist())
            fits.append({
                "C": c,
                "coef_terms": [terms[j] for j in top],
                "coef": clf.coef_[:, top],
                "intercept_centered": clf.intercept_ - clf.intercept_.mean(),
                "predict_proba": clf.predict_proba(qx),
            })
        rows = []
        for i in range(qx.shape[0]):
            row = qx.getrow(i)
            rows.append({"terms": [terms[j] for j in row.indices], "values": row.data})
        return {
            "call": f"TfidfVectorizer(analyzer='char', ngram_range=(2, 4){', sublinear_tf=True' if sublinear else ''}); "
                    "LogisticRegression(C=C, solver='lbfgs', tol=1e-10, max_iter=10000)",
            "terms": terms,
            "idf": vec.idf_,
            "questioned_rows": rows,
            "fits": fits,
        }

    tfidf = tfidf_section(False, TFIDF_CS)
    tfidf_sublinear = tfidf_section(True, TFIDF_CS[:1])

    write_json("attribution.json", {
        "seed": SEED,
        "classes": SOURCES,
        "tokenizer": "python: re.findall(r\"\\w+\", text.lower())",
        "train": [{"path": p, "label": SOURCES[k], "n_tokens": len(t)} for p, k, t in train],
        "questioned": [{"path": p, "label": SOURCES[k], "n_tokens": len(t)} for p, k, t in quest],
        "mfw": mfw,
        "mfw_counts": mfw_counts,
        "mfw_rule": "top 50 by total count over training docs; ties by UTF-8 byte order",
        "mfw_ties_inside": ties_inside,
        "mfw_tie_at_cut": boundary_tie,
        "train_mean": mean,
        "train_sd_population": sd,
        "z_train": zt,
        "z_questioned": zq,
        "centroids": centroids,
        "burrows_delta": burrows,
        "cosine_delta": cosine_delta,
        "burrows_predicted": [SOURCES[k] for k in burrows.argmin(axis=1)],
        "cosine_predicted": [SOURCES[k] for k in cosine_delta.argmin(axis=1)],
        "logistic": logistic,
        "logistic_call": "LogisticRegression(C=C, solver='lbfgs', tol=1e-10, max_iter=10000)",
        "logistic_blocks": {"x": bx, "y": by, "fits": logistic_blocks},
        "tfidf": tfidf,
        "tfidf_sublinear": tfidf_sublinear,
        "mask_k": MASK_K,
        "mask_keep": keep,
        "mask_cases": mask_cases,
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                     "sklearn": sklearn.__version__},
    })
    return {"questioned_true": [SOURCES[k] for k in yq],
            "burrows": [SOURCES[k] for k in burrows.argmin(axis=1)],
            "cosine": [SOURCES[k] for k in cosine_delta.argmin(axis=1)],
            "logistic": {str(e["C"]): e["predicted"] for e in logistic},
            "mfw_ties_inside": ties_inside, "mfw_tie_at_cut": boundary_tie}


if __name__ == "__main__":
    from fixture_io import clean_dir, write_json, write_text

    summary = make_attribution(write_json, write_text, clean_dir)
    print(json.dumps(summary, indent=1))
    print("python", ".".join(map(str, sys.version_info[:3])), "numpy", np.__version__,
          "scipy", scipy.__version__, "sklearn", sklearn.__version__)
