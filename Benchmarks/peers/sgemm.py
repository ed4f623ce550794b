#!/usr/bin/env python3
"""Bare NumPy float32 matmul GFLOP/s for one shape: (M × K) @ (K × N).

The peer figure for Fingerprint's GEMMs: `sgemm.py 999 1001 2000` is the
permutation test's shape (999 relabellings × 2000 documents × 1001 features).
Reports the BLAS NumPy uses (threadpoolctl if installed, else
numpy.show_config), the best and median time of --repeat runs after one
warm-up, and GFLOP/s = 2·M·N·K / time.

usage: sgemm.py M N K [--repeat 20] [--indicator]
  --indicator  fill A with 0/1 (as the permutation test does) instead of uniform noise
"""
import argparse
import statistics
import time

import numpy as np


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        rows = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if rows:
            return "; ".join(f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}), "
                             f"{i.get('num_threads')} threads, {i.get('filepath')}" for i in rows)
    except ImportError:
        pass
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        np.show_config()
    return "threadpoolctl not installed; numpy.show_config():\n" + buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("m", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("k", type=int)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--indicator", action="store_true")
    o = ap.parse_args()
    rng = np.random.default_rng(0)
    a = (rng.random((o.m, o.k)) < 0.5).astype(np.float32) if o.indicator else rng.random((o.m, o.k), dtype=np.float32)
    b = rng.random((o.k, o.n), dtype=np.float32)
    c = np.empty((o.m, o.n), dtype=np.float32)
    np.matmul(a, b, out=c)  # warm-up; also loads the BLAS for threadpoolctl
    print(f"numpy {np.__version__}; BLAS: {blas_info()}")
    times = []
    for _ in range(o.repeat):
        t = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t)
    flops = 2.0 * o.m * o.n * o.k
    best, med = min(times), statistics.median(times)
    print(f"sgemm ({o.m} x {o.k}) @ ({o.k} x {o.n}): best {best * 1e3:.2f} ms = {flops / best / 1e9:.1f} GFLOP/s; "
          f"median {med * 1e3:.2f} ms = {flops / med / 1e9:.1f} GFLOP/s ({o.repeat} runs)")


if __name__ == "__main__":
    main()
