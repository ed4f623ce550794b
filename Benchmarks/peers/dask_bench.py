#!/usr/bin/env python3
"""fingerprint-dask against the binary alone, on this machine (issue 18).

    python3 Benchmarks/peers/dask_bench.py BINARY CORPUS [--shard-bytes 16MB] [--repeat 2]

Runs, on the same corpus in one run:

- the single-machine commands: `fingerprint sketch CORPUS` and `fingerprint
  dedup` of the result, with --threads 1 and with --threads 2;
- the driver on a cluster of separate processes on 127.0.0.1 (`dask
  scheduler`, `dask worker --nthreads 1`), with 1 and with 2 workers: the
  sketch job (shards, then the merge tree) and the dedup job (band shuffle,
  verification) on the shards.

It reports each time (best of --repeat), throughput in MB/s of corpus
bytes, the scaling from 1 to 2 workers, and the driver's overhead against
the binary alone with as many threads as the cluster has workers; and it
checks that the driver's merged file and clusters equal the binary's.
Cluster start-up is not timed (a real cluster is already running).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "Integrations", "dask"))

from distributed import Client  # noqa: E402

from fingerprint_dask import fpfile, jobs  # noqa: E402
from fingerprint_dask.__main__ import _size  # noqa: E402


def corpus_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def timed(fn, repeat: int):
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def rows(path: str):
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        tables = [db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in ("vocabulary", "documents")]
        return tables + [sorted(zip(*(a.tolist() for a in fpfile.bands(path))))]
    finally:
        db.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, workers: int, workdir: str):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        env = {**os.environ, "PYTHONPATH": os.path.join(REPO, "Integrations", "dask")}
        quiet = subprocess.DEVNULL
        self.procs = [subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
             self.address.rsplit(":", 1)[1], "--no-dashboard"], stdout=quiet, stderr=quiet, env=env)]
        for i in range(workers):
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1", "--no-dashboard",
                 "--host", "127.0.0.1", "--local-directory", os.path.join(workdir, f"w{i}")],
                stdout=quiet, stderr=quiet, env=env))
        self.client = Client(self.address, timeout="60s")
        self.client.wait_for_workers(workers, timeout=120)

    def close(self):
        self.client.close()
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            p.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--shard-bytes", type=_size, default=16 << 20)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    exe = os.path.abspath(args.binary)
    size = corpus_bytes(args.corpus)
    mb = size / 1e6
    print(f"corpus {args.corpus}: {mb:.1f} MB; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}; "
          f"binary {exe}; shards of {args.shard_bytes >> 20} MiB")
    work = tempfile.mkdtemp(prefix="dask-bench-")
    results = {}
    try:
        single = os.path.join(work, "single.fp")
        for threads in (1, 2):
            def sketch_alone():
                subprocess.run([exe, "sketch", args.corpus, "-o", single, "-q", "--threads", str(threads)], check=True)

            t_sketch, _ = timed(sketch_alone, args.repeat)
            t_dedup, out = timed(lambda: subprocess.run(
                [exe, "dedup", single, "--format", "json", "-q", "--threads", str(threads)], check=True,
                capture_output=True, text=True).stdout, args.repeat)
            results[("binary", threads)] = (t_sketch, t_dedup)
            reference_clusters = json.loads(out)["clusters"]
        reference_rows = rows(single)
        for workers in (1, 2):
            cluster = Cluster(workers, work)
            try:
                merged = os.path.join(work, f"dask-{workers}.fp")
                t_sketch, _ = timed(lambda: jobs.sketch(
                    cluster.client, [args.corpus], jobs.SketchSettings(), output=merged, shard_bytes=args.shard_bytes,
                    exe=exe), args.repeat)
                sharded = os.path.join(work, f"sharded-{workers}")
                shutil.rmtree(sharded, ignore_errors=True)
                t_sketch_sharded, summary = timed(lambda: jobs.sketch(
                    cluster.client, [args.corpus], jobs.SketchSettings(), sharded=sharded, shard_bytes=args.shard_bytes,
                    exe=exe), args.repeat)
                t_dedup, report = timed(lambda: jobs.dedup(cluster.client, [sharded], exe=exe), args.repeat)
                results[("dask", workers)] = (t_sketch, t_dedup, t_sketch_sharded, summary["shards"])
                same_file = rows(merged) == reference_rows
                same_clusters = report["clusters"] == reference_clusters
                print(f"{workers} worker(s): merged file equals the binary's: {same_file}; "
                      f"clusters equal: {same_clusters} ({len(report['clusters'])} clusters)")
                if not (same_file and same_clusters):
                    return 1
            finally:
                cluster.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print("| run | sketch | MB/s | dedup | sketch + dedup |")
    print("| --- | --- | --- | --- | --- |")
    for threads in (1, 2):
        s, d = results[("binary", threads)]
        print(f"| binary alone, --threads {threads} | {s:.2f} s | {mb / s:.1f} | {d:.2f} s | {s + d:.2f} s |")
    for workers in (1, 2):
        s, d, ss, shards = results[("dask", workers)]
        print(f"| dask, {workers} worker(s) × 1 thread, {shards} shards | {s:.2f} s (sharded, no merge: {ss:.2f} s) | "
              f"{mb / s:.1f} | {d:.2f} s | {s + d:.2f} s |")
    d1, d2 = results[("dask", 1)], results[("dask", 2)]
    b1, b2 = results[("binary", 1)], results[("binary", 2)]
    print()
    print(f"scaling 1 → 2 workers: sketch {d1[0] / d2[0]:.2f}×, sketch without merge {d1[2] / d2[2]:.2f}×, "
          f"dedup {d1[1] / d2[1]:.2f}×")
    print(f"driver overhead (dask / binary alone, same parallelism): 1 worker {(d1[0] + d1[1]) / (b1[0] + b1[1]):.2f}×, "
          f"2 workers {(d2[0] + d2[1]) / (b2[0] + b2[1]):.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
