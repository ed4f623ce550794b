#!/usr/bin/env python3
"""`fingerprint compare` against a straightforward NumPy implementation of the
same permutation test (compare_numpy.py), on the same two corpora.

Runs, alternately --repeat times (default 1):
  1. FINGERPRINT_BINARY compare DIR_A DIR_B --format json -q --permutations P
  2. compare_numpy.py DIR_A DIR_B --permutations P --json
and prints both wall times (the fastest run of each: the machine is shared),
the ratio NumPy/ours (how many times faster we are), our peak memory (the
child's ru_maxrss from os.wait4 — RUSAGE_CHILDREN for that one child, so the
order of runs does not matter), the NumPy run's own split (read+tokenise+count
/ test) and peak memory, and
whether the two statistics T agree (same features and tokeniser on ASCII
text: they should, to ~1e-6 relative). The p-values come from different
relabellings (ours: the engine's seeded xoshiro streams; NumPy's:
default_rng(seed).permutation), so they agree only statistically.

Note what is timed: `fingerprint compare` does more than the NumPy script —
also n-gram overlap (8/13-grams), MMD with its own P permutations, 200
bootstrap resamples, self-baselines, keyness — so the ratio understates the
like-for-like speed-up.

usage: compare.py FINGERPRINT_BINARY DIR_A DIR_B [--permutations 999] [--repeat 3]
                  [--json OUT] [--ours-args "..."] [--numpy-args "..."]
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    """Runs `cmd`; returns (wall seconds, exit status, stdout, stderr, peak RSS in bytes of
    that child alone, from wait4's rusage — the per-child form of RUSAGE_CHILDREN)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return dt, p.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss * 1024  # KiB on Linux


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each side this many times (alternating) and keep the fastest run of each")
    ap.add_argument("--ours-args", default="", help="extra arguments for fingerprint compare, e.g. '--bootstrap 0'")
    ap.add_argument("--numpy-args", default="", help="extra arguments for compare_numpy.py, e.g. '--dtype float64'")
    ap.add_argument("--json", help="also write the figures to this file")
    o = ap.parse_args()

    ours_cmd = [o.binary, "compare", o.a, o.b, "--format", "json", "-q", "--permutations", str(o.permutations)]
    ours_cmd += shlex.split(o.ours_args)
    np_cmd = [sys.executable, os.path.join(HERE, "compare_numpy.py"), o.a, o.b,
              "--permutations", str(o.permutations), "--json"] + shlex.split(o.numpy_args)
    print("ours:  " + " ".join(shlex.quote(c) for c in ours_cmd))
    print("numpy: " + " ".join(shlex.quote(c) for c in np_cmd), flush=True)

    ours_runs, np_runs = [], []
    for i in range(o.repeat):
        dt, rc, out, err, peak = run(ours_cmd)
        if rc != 0:
            sys.exit(f"fingerprint compare failed ({rc}): {err.strip()}")
        ours_runs.append((dt, peak, json.loads(out)))
        dt2, rc, out, err, peak2 = run(np_cmd)
        if rc != 0:
            sys.exit(f"compare_numpy.py failed ({rc}): {err.strip()}")
        np_runs.append((dt2, peak2, json.loads(out)))
        if o.repeat > 1:
            print(f"  run {i + 1}: ours {dt:.2f} s, numpy {dt2:.2f} s", flush=True)
    ours_s, ours_peak, report = min(ours_runs, key=lambda r: r[0])
    ours_peak = max(r[1] for r in ours_runs)
    np_s, np_peak, npr = min(np_runs, key=lambda r: r[0])
    t_ours, p_ours = report["test"]["statistic"], report["test"].get("p_value")

    rel = abs(t_ours - npr["statistic"]) / max(abs(npr["statistic"]), 1e-300)
    agree = rel <= 1e-6
    mb = (report["a"]["bytes"] + report["b"]["bytes"]) / 1e6
    best = " (fastest of %d)" % o.repeat if o.repeat > 1 else ""
    print()
    print(f"corpora: A {report['a']['documents']} documents / {report['a']['bytes'] / 1e6:.1f} MB, "
          f"B {report['b']['documents']} documents / {report['b']['bytes'] / 1e6:.1f} MB; "
          f"{o.permutations} permutations, {report['test']['features']} features")
    print(f"fingerprint compare: {ours_s:8.2f} s{best}  ({mb / ours_s:.1f} MB/s), peak RSS {ours_peak / 1e6:.0f} MB")
    print(f"numpy peer:          {np_s:8.2f} s{best}  (read+tokenise+count {npr['seconds_read_tokenise_count']:.2f} s, "
          f"test {npr['seconds_test']:.2f} s, {npr['dtype']}), peak RSS {np_peak / 1e6:.0f} MB")
    print(f"ratio numpy/ours:    {np_s / ours_s:8.2f}x")
    print(f"T: ours {t_ours:.10g}, numpy {npr['statistic']:.10g}, relative difference {rel:.2e} -> "
          f"{'agree' if agree else 'DISAGREE'}")
    print(f"p: ours {p_ours}, numpy {npr['p_value']:.6g} (different relabellings; agree only statistically)")
    figures = {
        "documents_a": report["a"]["documents"], "documents_b": report["b"]["documents"],
        "bytes_a": report["a"]["bytes"], "bytes_b": report["b"]["bytes"], "permutations": o.permutations,
        "repeat": o.repeat, "ours_seconds": ours_s, "ours_seconds_all": [r[0] for r in ours_runs],
        "ours_peak_rss_bytes": ours_peak, "ours_statistic": t_ours, "ours_p_value": p_ours,
        "numpy_seconds": np_s, "numpy_seconds_all": [r[0] for r in np_runs], "numpy_peak_rss_bytes": np_peak,
        "numpy": npr, "ratio_numpy_over_ours": np_s / ours_s,
        "statistic_relative_difference": rel, "statistics_agree": agree,
        "ours_command": ours_cmd, "numpy_command": np_cmd,
    }
    if o.json:
        with open(o.json, "w") as fh:
            json.dump(figures, fh, indent=2)
    sys.exit(0 if agree else 1)


if __name__ == "__main__":
    main()
