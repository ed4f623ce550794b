#!/usr/bin/env python3
"""Lays out the L2R rewrites (Hao et al., "Learning to Rewrite: Generalized
LLM-Generated Text Detection", ACL 2025; CC BY 3.0) as a labelled corpus for
`fingerprint attribute` and Benchmarks/peers/attribution.py.

Input: the dataset's directory L2R_dataset/, one folder per domain holding
human.json and one JSON list of texts per model (GPT-3-Turbo, GPT-4o,
Gemini-1.5-Pro, Llama-3-70B). Session 7 read it from the snapshot of
github.com/scott-matkosky/AI_Text_Detector (its L2R_dataset/ folder, with the
licence file); nothing is downloaded here.

Output: OUT/<source>/<Domain>-<NNN>.txt (source: human, gpt35, gpt4o, gemini,
llama3; NNN the text's index in its list) and GROUPS (path,group: the domain),
for leave-one-domain-out evaluation. The Code domain is left out (source code,
not prose), which leaves 20 domains and 19,625 texts.

usage: l2r_prepare.py L2R_DATASET_DIR OUT_DIR GROUPS_CSV
"""
import csv
import json
import os
import sys

SOURCES = {"human.json": "human", "GPT-3-Turbo.json": "gpt35", "GPT-4o.json": "gpt4o",
           "Gemini-1.5-Pro.json": "gemini", "Llama-3-70B.json": "llama3"}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    src, out, groups = sys.argv[1:]
    rows = []
    for domain in sorted(os.listdir(src)):
        folder = os.path.join(src, domain)
        if not os.path.isdir(folder) or domain == "Code":
            continue
        for name, label in SOURCES.items():
            os.makedirs(os.path.join(out, label), exist_ok=True)
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                texts = json.load(fh)
            for i, text in enumerate(texts):
                rel = f"{label}/{domain}-{i:03d}.txt"
                with open(os.path.join(out, rel), "w", encoding="utf-8") as fh:
                    fh.write(text)
                rows.append((rel, domain))
    with open(groups, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "group"])
        w.writerows(rows)
    print(f"{len(rows)} documents in {len({g for _, g in rows})} domains", file=sys.stderr)


if __name__ == "__main__":
    main()
