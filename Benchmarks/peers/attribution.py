#!/usr/bin/env python3
"""Attribution baselines (scikit-learn / NumPy) for `fingerprint attribute`.

Input: a labelled directory DIR/<label>/*.txt (the label is the subdirectory
name) and, optionally, a groups CSV (header `path,group`, path relative to DIR)
for leave-one-group-out evaluation (so that a topic / prompt never appears in
both the training and the test side of a fold). Without groups: stratified
K-fold (--cv K, default 10, shuffled with --seed).

Methods (every feature statistic is computed on the training side of the fold
only):
  svm       LinearSVC(C=1) on TfidfVectorizer(analyzer="char",
            ngram_range=(2, 4)) -- otherwise scikit-learn defaults (lower-cased,
            raw tf x smooth idf, l2-normalised; the char analyzer collapses
            runs of >= 2 whitespace characters to one space); --sublinear-tf
            gives it sublinear_tf=True (tf = 1 + ln count)
  svm_cv    the same with C chosen from {0.01, 0.1, 1, 10, 100} by an inner
            5-fold CV on the training side (GroupKFold when --groups is given)
  cosine    nearest class centroid by Cosine Delta (1 - cos) on z-scored MFW
  burrows   nearest class centroid by Burrows's Delta (mean |z - c|) on the
            same features
  logistic  LogisticRegression(C=1, lbfgs; multinomial) on the same features
  logistic_cv  the same with C from {0.001, ..., 100} by the inner CV as svm_cv
  tfidf_lr  LogisticRegression() (scikit-learn's defaults: C=1, lbfgs,
            max_iter=100) on the same char 2-4 TfidfVectorizer as svm: the
            peer of `fingerprint bench`'s attribution task
MFW features: tokens re.findall(r"\\w+", text.lower()); the --mfw N (300) most
frequent tokens by total count over the training documents, ties by UTF-8
byte order; relative frequency = count / tokens in the document; z-scored
with the training mean and population sd (features with sd 0 get z = 0).

--mask K (with --mask-style ma|sa, default ma): text distortion (Stamatatos
2017) before all features, with W_K = the K most frequent digit-free tokens of
the training side; see masked_view().

--questioned LABEL: documents with that label are not evaluated; after the
cross-validation every method is refitted on all evaluated documents and
predicts them (e.g. the disputed Federalist papers). --exclude LABEL drops a
label entirely (e.g. the joint papers).

Prints JSON: per method accuracy and macro-F1 over the pooled out-of-fold
predictions, per-fold accuracies, the fold definitions, the confusion matrix,
and the predictions for the questioned documents, and the peak resident memory.

--folds FILE.csv (header `path,fold`, path relative to DIR): use these test
folds instead (e.g. the ones `fingerprint bench` wrote for its attribution
task, so that both are evaluated on identical folds); every document must
have one.

usage: attribution.py DIR [--groups FILE.csv | --folds FILE.csv] [--cv 10] [--seed 0] [--mfw 300]
                      [--questioned LABEL]... [--exclude LABEL]...
                      [--methods svm,svm_cv,cosine,burrows,logistic,logistic_cv]
                      [--mask K [--mask-style ma|sa]] [--out FILE | --json FILE]
"""
import argparse
import csv
import json
import os
import re
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import (GridSearchCV, GroupKFold, LeaveOneGroupOut,
                                     StratifiedKFold)
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

WORD = re.compile(r"\w+")
SVM_CS = [0.01, 0.1, 1.0, 10.0, 100.0]
LOGISTIC_CS = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]


def load(root, exclude):
    paths, labels, texts = [], [], []
    for label in sorted(os.listdir(root)):
        d = os.path.join(root, label)
        if not os.path.isdir(d) or label in exclude or label.startswith("."):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith(".txt"):
                with open(os.path.join(d, name), "rb") as f:
                    texts.append(f.read().decode("utf-8"))
                paths.append(f"{label}/{name}")
                labels.append(label)
    return paths, labels, texts


def read_groups(path, paths, column="group"):
    g = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            g[row["path"]] = row[column]
    missing = [p for p in paths if p not in g]
    if missing:
        sys.exit(f"{len(missing)} documents have no {column}, e.g. {missing[:3]}")
    return [g[p] for p in paths]


class MFW:
    """Counts once for the whole corpus; selects features per training side."""

    def __init__(self, token_lists, n):
        self.cv = CountVectorizer(analyzer=lambda toks: toks)
        self.x = self.cv.fit_transform(token_lists).tocsc().astype(np.float64)
        self.vocab = self.cv.get_feature_names_out()
        self.lengths = np.asarray(self.x.sum(axis=1)).ravel()
        self.lengths[self.lengths == 0] = 1.0
        self.key = np.array([v.encode("utf-8") for v in self.vocab], dtype=object)
        self.n = n

    def features(self, train, docs):
        tot = np.asarray(self.x[train].sum(axis=0)).ravel()
        order = sorted(np.nonzero(tot)[0], key=lambda j: (-tot[j], self.key[j]))[: self.n]
        sel = np.array(order)
        rel = lambda idx: self.x[idx][:, sel].toarray() / self.lengths[idx][:, None]
        xt, xd = rel(train), rel(docs)
        mean = xt.mean(axis=0)
        sd = xt.std(axis=0, ddof=0)
        ok = sd > 0
        zt = np.zeros_like(xt)
        zd = np.zeros_like(xd)
        zt[:, ok] = (xt[:, ok] - mean[ok]) / sd[ok]
        zd[:, ok] = (xd[:, ok] - mean[ok]) / sd[ok]
        return zt, zd, [self.vocab[j] for j in sel]


def peak_memory_mb():
    """This process's peak resident memory: VmHWM, the high-water mark of its
    own address space. (ru_maxrss is not: Linux carries it over fork and
    exec, so a script started by `fingerprint bench` reported the bench's
    own peak.)"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tokens(text):
    return WORD.findall(text.lower())


def placeholder(t, single):
    """Text distortion of one token (Stamatatos 2017): DV-MA (single=False)
    replaces each code point by '#' if it is a decimal digit, else '*';
    DV-SA (single=True) replaces the token by one '#' if it is all digits,
    else by one '*'."""
    if single:
        return "#" if all(ch.isdecimal() for ch in t) else "*"
    return "".join("#" if ch.isdecimal() else "*" for ch in t)


def masked_view(mfw, texts, token_lists, train, k, single):
    """W_K = the K most frequent digit-free tokens of the training side (ties
    by UTF-8 bytes). A token is kept iff it is in W_K (so never when it has a
    digit); otherwise it becomes its placeholder. Returns the distorted texts
    (lower-cased, each token span replaced in place, everything between tokens
    kept) for the character features, and an MFW over the mapped token lists
    (placeholders are word types) for the word features."""
    tot = np.asarray(mfw.x[train].sum(axis=0)).ravel()
    cand = [j for j in np.nonzero(tot)[0] if not any(ch.isdigit() for ch in mfw.vocab[j])]
    keep = {mfw.vocab[j] for j in sorted(cand, key=lambda j: (-tot[j], mfw.key[j]))[:k]}
    sub = lambda m: m.group(0) if m.group(0) in keep else placeholder(m.group(0), single)
    dtexts = [WORD.sub(sub, t.lower()) for t in texts]
    dtokens = [[t if t in keep else placeholder(t, single) for t in toks] for toks in token_lists]
    return dtexts, MFW(dtokens, mfw.n)


def centroid_predict(zt, yt, zd, classes, kind):
    cents = np.stack([zt[yt == k].mean(axis=0) for k in range(len(classes))])
    if kind == "cosine":
        nd = np.linalg.norm(zd, axis=1)[:, None]
        nc = np.linalg.norm(cents, axis=1)[None, :]
        d = 1.0 - (zd @ cents.T) / np.where(nd * nc == 0, 1.0, nd * nc)
    else:
        d = np.abs(zd[:, None, :] - cents[None, :, :]).mean(axis=2)
    return d.argmin(axis=1), d


def inner_splitter(y, groups, seed):
    """Inner CV for choosing C, on the training side only (group-aware when
    the outer loop is)."""
    if groups is not None:
        return GroupKFold(n_splits=min(5, len(set(groups))))
    return StratifiedKFold(n_splits=max(2, min(5, int(np.bincount(y).min()))),
                           shuffle=True, random_state=seed)


TFIDF_MAX_FEATURES = None   # --tfidf-max-features: TfidfVectorizer(max_features=N) for svm*, tfidf_lr
SUBLINEAR_TF = False        # --sublinear-tf: TfidfVectorizer(sublinear_tf=True) for svm*, tfidf_lr


def fit_predict(method, texts, mfw, train, test, y, classes, groups=None, seed=0):
    """Returns (predicted class indices for `test`, per-class scores or None)."""
    g = None if groups is None else [groups[i] for i in train]
    if method == "tfidf_lr":
        pipe = Pipeline([
            ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(2, 4), max_features=TFIDF_MAX_FEATURES,
                                      sublinear_tf=SUBLINEAR_TF)),
            ("lr", LogisticRegression()),
        ])
        pipe.fit([texts[i] for i in train], y[train])
        xd = [texts[i] for i in test]
        return pipe.predict(xd), pipe.predict_proba(xd), {}
    if method in ("svm", "svm_cv"):
        pipe = Pipeline([
            ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(2, 4), lowercase=True,
                                      dtype=np.float32, max_features=TFIDF_MAX_FEATURES,
                                      sublinear_tf=SUBLINEAR_TF)),
            ("svm", LinearSVC(C=1.0)),
        ])
        tt = [texts[i] for i in train]
        if method == "svm_cv":
            pipe = GridSearchCV(pipe, {"svm__C": SVM_CS}, scoring="accuracy",
                                cv=inner_splitter(y[train], g, seed))
            pipe.fit(tt, y[train], groups=g)
            info = {"C": pipe.best_params_["svm__C"]}
        else:
            pipe.fit(tt, y[train])
            info = {}
        xd = [texts[i] for i in test]
        return pipe.predict(xd), pipe.decision_function(xd), info
    zt, zd, _ = mfw.features(train, test)
    if method in ("cosine", "burrows"):
        return (*centroid_predict(zt, y[train], zd, classes, method), {})
    if method in ("logistic", "logistic_cv"):
        clf = LogisticRegression(C=1.0, solver="lbfgs", max_iter=5000)
        if method == "logistic_cv":
            clf = GridSearchCV(clf, {"C": LOGISTIC_CS}, scoring="accuracy",
                               cv=inner_splitter(y[train], g, seed))
            clf.fit(zt, y[train], groups=g)
            info = {"C": clf.best_params_["C"]}
        else:
            clf.fit(zt, y[train])
            info = {}
        return clf.predict(zd), clf.predict_proba(zd), info
    raise ValueError(method)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--groups")
    ap.add_argument("--folds", help="CSV path,fold: the test fold of every document")
    ap.add_argument("--cv", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mfw", type=int, default=300)
    ap.add_argument("--questioned", action="append", default=[])
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("--methods", default="svm,cosine,burrows,logistic")
    ap.add_argument("--mask", type=int, default=0,
                    help="text distortion: keep the K most frequent training tokens")
    ap.add_argument("--mask-style", choices=["ma", "sa"], default="ma")
    ap.add_argument("--tfidf-max-features", type=int,
                    help="keep the N most frequent char n-grams (all lengths) in svm, svm_cv, tfidf_lr")
    ap.add_argument("--sublinear-tf", action="store_true",
                    help="term frequency 1 + ln(tf) in svm, svm_cv, tfidf_lr (TfidfVectorizer(sublinear_tf=True))")
    ap.add_argument("--out")
    ap.add_argument("--json", dest="out", help="the same as --out (for `fingerprint bench`)")
    a = ap.parse_args()
    if a.groups and a.folds:
        sys.exit("--groups and --folds cannot be combined")
    global TFIDF_MAX_FEATURES
    TFIDF_MAX_FEATURES = a.tfidf_max_features
    global SUBLINEAR_TF
    SUBLINEAR_TF = a.sublinear_tf
    methods = [m for m in a.methods.split(",") if m]

    paths, labels, texts = load(a.dir, set(a.exclude))
    groups = read_groups(a.groups, paths) if a.groups else None
    qmask = np.array([l in a.questioned for l in labels])
    ev = np.nonzero(~qmask)[0]
    qs = np.nonzero(qmask)[0]
    classes = sorted({labels[i] for i in ev})
    y = np.array([classes.index(l) if l in classes else -1 for l in labels])
    needs_words = a.mask or any(m not in ("svm", "svm_cv", "tfidf_lr") for m in methods)
    token_lists = [tokens(t) for t in texts] if needs_words else None
    mfw = MFW(token_lists, a.mfw) if needs_words else None

    if a.folds:
        given = read_groups(a.folds, [paths[i] for i in ev], column="fold")
        fold_of = np.array([int(f) for f in given])
        splits = [(np.nonzero(fold_of != k)[0], np.nonzero(fold_of == k)[0])
                  for k in sorted(set(fold_of.tolist()))]
        fold_rule = f"given: {a.folds}"
    elif groups is not None:
        splitter = LeaveOneGroupOut()
        splits = list(splitter.split(ev, y[ev], [groups[i] for i in ev]))
        fold_rule = "leave-one-group-out"
    else:
        splitter = StratifiedKFold(n_splits=a.cv, shuffle=True, random_state=a.seed)
        splits = list(splitter.split(ev, y[ev]))
        fold_rule = f"StratifiedKFold(n_splits={a.cv}, shuffle=True, random_state={a.seed})"
    folds = []
    for k, (tr, te) in enumerate(splits):
        f = {"fold": k, "n_train": len(tr), "n_test": len(te)}
        if groups is not None:
            f["group"] = groups[ev[te[0]]]
        if len(ev) <= 500:
            f["test"] = [paths[ev[i]] for i in te]
        folds.append(f)

    out = {
        "dir": os.path.abspath(a.dir), "groups_file": a.groups,
        "n_documents": len(ev), "classes": classes,
        "class_counts": {c: int((y[ev] == k).sum()) for k, c in enumerate(classes)},
        "chance_majority": float(np.bincount(y[ev]).max() / len(ev)),
        "chance_uniform": 1.0 / len(classes),
        "fold_rule": fold_rule, "folds": folds, "mfw": a.mfw,
        "mask": ({"k": a.mask, "style": "DV-" + a.mask_style.upper()} if a.mask else None),
        "excluded_labels": a.exclude, "folds_file": a.folds,
        "tfidf_max_features": a.tfidf_max_features, "sublinear_tf": a.sublinear_tf, "versions": {
            "numpy": np.__version__, "scipy": __import__("scipy").__version__,
            "sklearn": sklearn.__version__},
        "methods": {},
    }
    def view(train):
        if a.mask:
            return masked_view(mfw, texts, token_lists, train, a.mask, a.mask_style == "sa")
        return texts, mfw

    pred = {m: np.full(len(paths), -1) for m in methods}
    per_fold = {m: [] for m in methods}
    chosen = {m: [] for m in methods}
    seconds = {m: 0.0 for m in methods}
    for tr, te in splits:
        vt, vm = view(ev[tr])
        for m in methods:
            t0 = time.perf_counter()
            p, _, info = fit_predict(m, vt, vm, ev[tr], ev[te], y, classes, groups, a.seed)
            seconds[m] += time.perf_counter() - t0
            pred[m][ev[te]] = p
            per_fold[m].append(float(accuracy_score(y[ev[te]], p)))
            if "C" in info:
                chosen[m].append(info["C"])
    if len(qs):
        vt, vm = view(ev)
    for m in methods:
        yt, yp = y[ev], pred[m][ev]
        res = {
            "accuracy": float(accuracy_score(yt, yp)),
            "macro_f1": float(f1_score(yt, yp, average="macro")),
            "fold_accuracy": per_fold[m],
            "fold_accuracy_mean": float(np.mean(per_fold[m])),
            "fold_chosen_C": chosen[m] or None,
            "confusion": confusion_matrix(yt, yp, labels=range(len(classes))).tolist(),
            "per_class_f1": dict(zip(classes, map(float, f1_score(
                yt, yp, average=None, labels=range(len(classes)))))),
        }
        if len(qs):
            p, s, info = fit_predict(m, vt, vm, ev, qs, y, classes, groups, a.seed)
            if "C" in info:
                res["questioned_chosen_C"] = info["C"]
            res["questioned"] = {paths[i]: classes[k] for i, k in zip(qs, p)}
            if m in ("cosine", "burrows"):
                res["questioned_distances"] = {paths[i]: dict(zip(classes, map(float, row)))
                                               for i, row in zip(qs, s)}
            elif m in ("logistic", "logistic_cv"):
                res["questioned_proba"] = {paths[i]: dict(zip(classes, map(float, row)))
                                           for i, row in zip(qs, s)}
        res["seconds_cv"] = round(seconds[m], 2)
        out["methods"][m] = res
        print(f"{m}: accuracy {res['accuracy']:.4f} macro-F1 {res['macro_f1']:.4f} "
              f"({res['seconds_cv']} s)", file=sys.stderr)
    out["peak_memory_mb"] = peak_memory_mb()
    text = json.dumps(out, indent=1)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
