#!/usr/bin/env python3
"""Paired comparison of `fingerprint attribute` with a peer on the same
leave-one-group-out folds (docs/attribution-evaluation.md).

Input: OURS, the JSON of `fingerprint attribute --groups GROUPS --format json`
(every held-out prediction, with its document); PEER, the JSON of
`Benchmarks/peers/attribution.py --groups GROUPS --json` (the accuracy of each
fold and the group it held out); GROUPS, the `path,group` table both used.

Both sides' correct predictions are counted per group (ours from the
predictions, mapped to their group by the table; the peer's as fold accuracy
x fold size), so folds are paired by the group they held out, whatever order
either side numbered them in. The difference of the pooled accuracies gets a
95% percentile interval from resampling the groups with replacement (the
same resamples for both sides).

usage: attribution_paired.py OURS.json PEER.json GROUPS.csv [--method svm]
       [--resamples 10000] [--seed 1]
"""
import argparse
import csv
import json
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ours")
    ap.add_argument("peer")
    ap.add_argument("groups")
    ap.add_argument("--method", default="svm", help="the peer's method in its JSON")
    ap.add_argument("--resamples", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    with open(a.groups, newline="", encoding="utf-8") as fh:
        group_of = {row["path"]: row["group"] for row in csv.DictReader(fh)}
    with open(a.ours, encoding="utf-8") as fh:
        ours = json.load(fh)
    with open(a.peer, encoding="utf-8") as fh:
        peer = json.load(fh)

    mine = {}
    size = {}
    for p in ours["predictions"]:
        g = group_of.get(p["document"])
        if g is None:
            sys.exit(f"{p['document']}: not in {a.groups}")
        size[g] = size.get(g, 0) + 1
        mine[g] = mine.get(g, 0) + (p["predicted"] == p["truth"])
    folds = peer["folds"]
    accs = peer["methods"][a.method]["fold_accuracy"]
    theirs = {}
    for f, acc in zip(folds, accs):
        g = f["group"]
        if size.get(g) != f["n_test"]:
            sys.exit(f"group {g}: {size.get(g)} predictions of ours, {f['n_test']} test documents of the peer's")
        theirs[g] = round(acc * f["n_test"])
    if set(theirs) != set(mine):
        sys.exit("the two sides held out different groups")

    groups = sorted(mine)
    m = np.array([mine[g] for g in groups], float)
    t = np.array([theirs[g] for g in groups], float)
    n = np.array([size[g] for g in groups], float)
    idx = np.random.default_rng(a.seed).integers(0, len(groups), size=(a.resamples, len(groups)))
    diff = m[idx].sum(1) / n[idx].sum(1) - t[idx].sum(1) / n[idx].sum(1)
    low, high = np.percentile(diff, [2.5, 97.5])
    result = {
        "groups": len(groups), "documents": int(n.sum()),
        "ours": m.sum() / n.sum(), "peer": t.sum() / n.sum(),
        "difference": (m.sum() - t.sum()) / n.sum(), "ci95": [low, high],
        "groups_ours_ahead": int((m > t).sum()), "groups_tied": int((m == t).sum()),
        "groups_peer_ahead": int((m < t).sum()),
        "resamples": a.resamples, "seed": a.seed,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
