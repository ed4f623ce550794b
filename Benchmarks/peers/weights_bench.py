#!/usr/bin/env python3
"""The `fingerprint weights` benchmark: flat statistics on a generated
checkpoint of >= 2 GB, against memory-read bandwidth and a NumPy + safetensors
peer, all measured in the same run (BENCHMARKS.md).

    python3 Benchmarks/peers/weights_bench.py BINARY WORKDIR [--gb 2.2]

Writes into WORKDIR (reused when present): a.safetensors and b.safetensors
(F32, b = a + 1% noise) and a-bf16/b-bf16 (the same values in BF16, twice as
many tensors so that they are >= 2 GB too). Each file is made of 4096 x 4096
tensors. Times, with a warm page cache (each measurement is the best of 3):
  * bandwidth: numpy XOR-reducing the bytes of both files once they are
    mapped and resident, in GB/s: on one thread, and on as many threads as
    cores (each thread a share of the bytes; numpy releases the GIL in the
    reduction). The machine's bandwidth is the larger;
  * fingerprint weights A B --null 0 --inits 0 --align none --no-spectra
    (cosine, relative L2 and Pearson per tensor, double accumulation);
  * the peer: per-tensor cosine in float64 with safetensors (F32) or a memmap
    (BF16, which NumPy lacks) and numpy.
Needs numpy and safetensors (versions pinned in .ci/run).
"""
import json
import os
import resource
from concurrent.futures import ThreadPoolExecutor
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


def best_child(f, runs=3):
    """Best of `runs` wall times of f (which runs one child process), with
    the user and system CPU time and the minor page faults of that run."""
    out = []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        f()
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.append((wall, r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime, r1.ru_minflt - r0.ru_minflt))
    return min(out)


def file_folios():
    """The page cache's file pages held in 2 MiB folios, in GB (FileHugePages
    of /proc/meminfo). A mapping reaches such a folio with one page-directory
    entry and one fault; any other takes a fault per 64 KiB at most (the
    kernel's fault-around), which is most of a pass's system time."""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("FileHugePages:"):
                return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    return float("nan")


def bandwidth(paths, threads=1):
    """Reads every data byte of the files through numpy (mapped, resident),
    on `threads` threads, each XOR-reducing its share of the bytes."""
    maps = []
    for p in paths:
        start, _ = header(p)
        m = np.memmap(p, dtype=np.uint8, mode="r")
        usable = (len(m) - start) // 8 * 8
        maps.append(m[start:start + usable].view(np.uint64))
    total = sum(m.nbytes for m in maps)
    # Slices of about 64 MB, dealt to the threads round-robin.
    step = 8 << 20
    parts = [m[i:i + step] for m in maps for i in range(0, len(m), step)]
    shares = [parts[k::threads] for k in range(threads)]

    def run(share):
        for x in share:
            np.bitwise_xor.reduce(x)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, shares))  # warm: map every page
        t = best(lambda: list(pool.map(run, shares)))
    return total, t


def load():
    return "%.1f" % os.getloadavg()[0]


def peak_kb(cmd):
    """Peak resident memory of one run, from GNU time."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, check=True, capture_output=True, text=True)
    return int(r.stderr.strip().splitlines()[-1])


def blas_info(binary):
    """NumPy's BLAS, and the BLAS library the binary loads."""
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        ours = f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:  # older numpy
        ours = "unknown"
    lib = "unknown"
    try:
        for line in subprocess.run(["ldd", binary], capture_output=True, text=True).stdout.splitlines():
            if "libblas" in line or "openblas" in line:
                lib = os.path.realpath(line.split("=>")[1].split("(")[0].strip())
    except Exception:
        pass
    return ours, lib


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
    cores = os.cpu_count()
    numpy_blas, binary_blas = blas_info(binary)
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    print(f"numpy {np.__version__} (BLAS {numpy_blas}); {binary} loads {binary_blas} (the flat statistics use none); "
          f"{cores} cores; AVX2 {'yes' if ' avx2' in flags else 'no'}")
    print(f"{'files':6} {'GB':>5} {'bw 1 thr':>9} {'bw ' + str(cores) + ' thr':>9} {'fingerprint s':>14} {'user s':>7} "
          f"{'sys s':>6} {'GB/s':>6} {'% bw':>5} {'numpy s':>8} {'ratio':>6} {'peak MB':>8} {'load':>5}")
    for suffix in ("", "-bf16"):
        pa, pb = os.path.join(work, f"a{suffix}.safetensors"), os.path.join(work, f"b{suffix}.safetensors")
        loads = [load()]
        total, t1 = bandwidth([pa, pb], 1)
        _, tn = bandwidth([pa, pb], cores)
        machine = total / min(t1, tn)
        cmd = [binary, "weights", pa, pb, "--null", "0", "--inits", "0", "--align", "none", "--no-spectra", "--format", "json", "-q"]
        result = {}

        def ours():
            result["json"] = subprocess.run(cmd, check=True, capture_output=True).stdout

        loads.append(load())
        t_ours, user, sys_, faults = best_child(ours)
        loads.append(load())
        t_peer = best(lambda: result.__setitem__("peer", peer(pa, pb)))
        loads.append(load())
        peak = peak_kb(cmd) / 1000
        report = json.loads(result["json"])
        worst = max(abs(t["cosine"] - result["peer"][t["name"]]) for t in report["pairs"][0]["tensors"])
        assert worst < 1e-12, f"cosines differ from NumPy's by {worst}"
        name = "F32" if suffix == "" else "BF16"
        print(f"{name:6} {total / 1e9:5.2f} {total / t1 / 1e9:9.2f} {total / tn / 1e9:9.2f} {t_ours:14.3f} {user:7.3f} "
              f"{sys_:6.3f} {total / t_ours / 1e9:6.2f} {100 * (total / t_ours) / machine:5.0f} {t_peer:8.2f} "
              f"{t_peer / t_ours:6.2f} {peak:8.0f} {'/'.join(loads):>5}")
        cpu_bound = (user + sys_) / cores
        print(f"  (cosines equal NumPy's to {worst:.1e}; % bw against the larger bandwidth; user/sys: CPU time of the "
              f"best run; (user + sys) / {cores} = {cpu_bound:.3f} s, {100 * (total / cpu_bound) / machine:.0f}% of the bandwidth "
              f"if every core were ours; load = 1-min load average before the bandwidth, fingerprint, peer runs and after)")
        print(f"  (page cache: {file_folios():.2f} GB of file pages in 2 MiB folios; the best fingerprint run took "
              f"{faults} minor faults, {total / max(1, faults) / 1024:.0f} KiB a fault)")


if __name__ == "__main__":
    main()
