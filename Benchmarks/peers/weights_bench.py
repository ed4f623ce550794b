#!/usr/bin/env python3
"""The `fingerprint weights` benchmark: flat statistics on a generated
checkpoint of >= 2 GB, against memory-read bandwidth and a NumPy + safetensors
peer, all measured in the same run (BENCHMARKS.md).

    python3 Benchmarks/peers/weights_bench.py BINARY WORKDIR [--gb 2.2]

Writes into WORKDIR (reused when present): a.safetensors and b.safetensors
(F32, b = a + 1% noise) and a-bf16/b-bf16 (the same values in BF16, twice as
many tensors so that they are >= 2 GB too). Each file is made of 4096 x 4096
tensors. Times, with a warm page cache (each measurement is the best of 3):
  * bandwidth: numpy summing the float32 bytes of both files once they are
    mapped and resident (np.add.reduce over the mapped arrays), in GB/s;
  * fingerprint weights A B --null 0 --inits 0 --align none --no-spectra
    (cosine, relative L2 and Pearson per tensor, double accumulation);
  * the peer: per-tensor cosine in float64 with safetensors (F32) or a memmap
    (BF16, which NumPy lacks) and numpy.
Needs numpy and safetensors (versions pinned in .ci/run).
"""
import json
import os
import struct
import subprocess
import sys
import time

import numpy as np

SIDE = 4096


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return 8 + n, json.loads(f.read(n))


def write(path, tensors, dtype):
    """tensors: list of (name, float32 array); written as F32 or BF16."""
    hdr, off = {}, 0
    nbytes = SIDE * SIDE * (4 if dtype == "F32" else 2)
    for name, _ in tensors:
        hdr[name] = {"dtype": dtype, "shape": [SIDE, SIDE], "data_offsets": [off, off + nbytes]}
        off += nbytes
    h = json.dumps(hdr).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for _, a in tensors:
            if dtype == "F32":
                f.write(a.astype("<f4").tobytes())
            else:
                u = a.view(np.uint32).astype(np.uint64)
                f.write(((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2").tobytes())
    os.replace(path + ".tmp", path)


def generate(work, gb):
    os.makedirs(work, exist_ok=True)
    count = int(gb * 1e9 / (SIDE * SIDE * 4)) + 1
    for dtype, n, suffix in (("F32", count, ""), ("BF16", 2 * count, "-bf16")):
        pa, pb = os.path.join(work, f"a{suffix}.safetensors"), os.path.join(work, f"b{suffix}.safetensors")
        if os.path.exists(pa) and os.path.exists(pb):
            continue
        rng = np.random.default_rng(1)
        a = [(f"layers.{i}.weight", (rng.standard_normal((SIDE, SIDE), dtype=np.float32) * 0.02)) for i in range(n)]
        write(pa, a, dtype)
        b = [(name, x + rng.standard_normal((SIDE, SIDE), dtype=np.float32) * 0.0002) for name, x in a]
        del a
        write(pb, b, dtype)
        del b


def best(f, runs=3):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def bandwidth(paths):
    """Reads every data byte of the files through numpy (mapped, resident)."""
    maps = []
    for p in paths:
        start, _ = header(p)
        m = np.memmap(p, dtype=np.uint8, mode="r")
        usable = (len(m) - start) // 8 * 8
        maps.append(m[start:start + usable].view(np.uint64))
    total = sum(m.nbytes for m in maps)
    for m in maps:
        np.bitwise_xor.reduce(m)  # warm
    t = best(lambda: [np.bitwise_xor.reduce(m) for m in maps])
    return total, t


def peer(pa, pb):
    start_a, ha = header(pa)
    start_b, hb = header(pb)
    bf16 = next(iter(v["dtype"] for k, v in ha.items() if k != "__metadata__")) == "BF16"
    out = {}
    if not bf16:
        from safetensors import safe_open
        with safe_open(pa, framework="numpy") as fa, safe_open(pb, framework="numpy") as fb:
            for k in fa.keys():
                a = fa.get_tensor(k).astype(np.float64).ravel()
                b = fb.get_tensor(k).astype(np.float64).ravel()
                out[k] = float(a @ b / np.sqrt((a @ a) * (b @ b)))
        return out
    ma = np.memmap(pa, dtype=np.uint8, mode="r")
    mb = np.memmap(pb, dtype=np.uint8, mode="r")
    for k, v in ha.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        a = (ma[start_a + s:start_a + e].view("<u2").astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        s, e = hb[k]["data_offsets"]
        b = (mb[start_b + s:start_b + e].view("<u2").astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        out[k] = float(a @ b / np.sqrt((a @ a) * (b @ b)))
    return out


def main():
    binary, work = sys.argv[1], sys.argv[2]
    gb = float(sys.argv[sys.argv.index("--gb") + 1]) if "--gb" in sys.argv else 2.2
    generate(work, gb)
    print(f"{'files':10} {'GB (both)':>9} {'bandwidth GB/s':>15} {'fingerprint s':>14} {'GB/s':>6} {'% bw':>5} {'numpy s':>8} {'ratio':>6}")
    for suffix in ("", "-bf16"):
        pa, pb = os.path.join(work, f"a{suffix}.safetensors"), os.path.join(work, f"b{suffix}.safetensors")
        total, tb = bandwidth([pa, pb])
        cmd = [binary, "weights", pa, pb, "--null", "0", "--inits", "0", "--align", "none", "--no-spectra", "--format", "json", "-q"]
        result = {}

        def ours():
            result["json"] = subprocess.run(cmd, check=True, capture_output=True).stdout

        t_ours = best(ours)
        t_peer = best(lambda: result.__setitem__("peer", peer(pa, pb)))
        report = json.loads(result["json"])
        worst = max(abs(t["cosine"] - result["peer"][t["name"]]) for t in report["pairs"][0]["tensors"])
        assert worst < 1e-12, f"cosines differ from NumPy's by {worst}"
        name = "F32" if suffix == "" else "BF16"
        print(f"{name:10} {total / 1e9:9.2f} {total / tb / 1e9:15.2f} {t_ours:14.2f} {total / t_ours / 1e9:6.2f} "
              f"{100 * (total / t_ours) / (total / tb):5.0f} {t_peer:8.2f} {t_peer / t_ours:6.2f}")
        print(f"  (cosines equal NumPy's to {worst:.1e})")


if __name__ == "__main__":
    main()
