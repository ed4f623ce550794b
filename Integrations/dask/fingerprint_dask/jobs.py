"""The jobs: sketch, dedup, query and compare on a Dask cluster.

Each job is a graph of Dask tasks submitted through a `distributed.Client`.
Tasks that read text run the `fingerprint` binary on the worker; the other
tasks read the fingerprint files the binary wrote. Every file a task writes
is written by the binary under a temporary name and renamed when complete,
and its name depends only on the job's input, so a task that Dask reruns
after losing its worker writes the same file again and the result does not
change.

All paths (inputs, the work directory, the binary) must be the same on every
worker: a shared file system on a real cluster, the local disk on one machine.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from dask import delayed
from distributed import Client, progress, wait

from . import binary as fpbin
from . import fpfile

__version__ = "0.2.0"
MANIFEST_SCHEMA = "fingerprint-dask.manifest/1"
DEFAULT_SHARD_BYTES = 256 << 20
DEFAULT_FAN_IN = 8


# ---------------------------------------------------------------------------
# Planning: the input as shards


@dataclass(frozen=True)
class Source:
    """One input of a sketch job: a directory (cut into shards with the
    binary's `--shard K/N`) or a file (one shard). `prefix` is prepended to
    its document names so that the names are those a single `fingerprint
    sketch` of the common root directory would give."""

    path: str
    is_dir: bool
    prefix: str

    @property
    def order(self) -> bytes:
        # Names (and the `ord` sort key) start with this: the sources in
        # this order give the documents in the single machine's reading order.
        return self.prefix.encode() if self.is_dir else (self.prefix + os.path.basename(self.path)).encode()


@dataclass(frozen=True)
class ShardTask:
    source: Source
    shard: str | None  # "K/N" for a directory
    output: str


@dataclass
class SketchSettings:
    """The options that decide a fingerprint file's content (as `fingerprint sketch`)."""

    shingle: int = 5
    perms: int = 128
    threshold: float = 0.8
    tokenizer: str = "word"
    seed: int = 0
    globs: list[str] = field(default_factory=list)
    field: str = "text"
    key: str | None = None
    keep_names: bool = False

    def arguments(self) -> list[str]:
        a = ["--shingle", str(self.shingle), "--perms", str(self.perms), "--threshold", repr(self.threshold),
             "--tokenizer", self.tokenizer, "--seed", str(self.seed), "--field", self.field]
        for g in self.globs:
            a += ["--glob", g]
        if self.key:
            a += ["--key", self.key]
        if self.keep_names:
            a.append("--keep-names")
        return a

    @staticmethod
    def of_index(meta: dict[str, str], key: str | None) -> "SketchSettings":
        """The settings that sketch a questioned corpus as `index query` would read it against this index."""
        # Keyed: the questioned documents keep their names (index query reads
        # their text and names them), while their tokens and n-grams are keyed.
        return SketchSettings(
            shingle=int(meta["shingle"]), perms=int(meta["permutations"]), threshold=float(meta["threshold"]),
            tokenizer=_tokenizer_argument(meta["tokenizer"]), seed=int(meta["hash_seed"]), key=key,
            keep_names=key is not None)


def _tokenizer_argument(described: str) -> str:
    # The meta holds the tokenizer's description; a model tokenizer's file
    # (described with its SHA-256) must be given again by the user.
    if " " in described:
        raise ValueError(
            f"the index was made with the tokenizer {described}; pass the same file with --tokenizer")
    return described


def expand_inputs(items: list[str]) -> list[str]:
    """Paths from the command line: each a path, a glob (`data/*.jsonl.gz`,
    `**` allowed) or `@LIST` (a file of paths, one a line)."""
    out: list[str] = []
    for item in items:
        if item.startswith("@"):
            with open(item[1:], encoding="utf-8") as f:
                out += [line.strip() for line in f if line.strip() and not line.startswith("#")]
        elif not os.path.exists(item) and any(c in item for c in "*?["):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise FileNotFoundError(f"{item}: no file matches")
            out += matches
        else:
            out.append(item)
    for p in out:
        if not os.path.exists(p):
            raise FileNotFoundError(f"{p}: no such file or directory")
    return out


def sources(paths: list[str]) -> list[Source]:
    """The inputs as sources, in reading order, named relative to their
    common root. One directory keeps the names `fingerprint sketch DIR`
    gives; several inputs are named as a sketch of their common parent."""
    absolute = [os.path.abspath(p) for p in paths]
    if len(set(absolute)) != len(absolute):
        raise ValueError("an input is given twice")
    if len(absolute) == 1 and os.path.isdir(absolute[0]):
        return [Source(paths[0], True, "")]
    root = os.path.commonpath([p if os.path.isdir(p) else os.path.dirname(p) for p in absolute])
    for p in absolute:
        for q in absolute:
            if p != q and os.path.isdir(q) and p.startswith(q.rstrip("/") + "/"):
                raise ValueError(f"{p} is inside {q}, which is also an input")
    out = []
    for given, p in zip(paths, absolute):
        rel = os.path.relpath(p if os.path.isdir(p) else os.path.dirname(p), root)
        prefix = "" if rel == "." else rel + "/"
        if os.path.isdir(p) and rel == ".":
            raise ValueError(f"{given} is the common root of the inputs; give it alone or give its parts")
        out.append(Source(given, os.path.isdir(p), prefix))
    return sorted(out, key=lambda s: s.order)


def directory_bytes(path: str) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if not f.startswith("."):
                with contextlib.suppress(OSError):
                    total += os.stat(os.path.join(dirpath, f)).st_size
    return total


def plan_shards(srcs: list[Source], workdir: str, shard_bytes: int) -> list[ShardTask]:
    """Shard tasks in reading order: a directory in ⌈bytes / shard_bytes⌉
    shards, a file in one."""
    tasks = []
    for s in srcs:
        if s.is_dir:
            n = max(1, min(1_000_000, math.ceil(directory_bytes(s.path) / shard_bytes)))
            shards = [f"{k}/{n}" for k in range(n)]
        else:
            shards = [None]
        for sh in shards:
            tasks.append(ShardTask(s, sh, os.path.join(workdir, f"shard-{len(tasks):05d}.fp")))
    return tasks


# ---------------------------------------------------------------------------
# Tasks (run on the workers)


def _fault_delay() -> None:
    """Fault injection for tests: a worker started with
    FINGERPRINT_DASK_TASK_DELAY=S waits S seconds at the start of each task,
    so that a test can kill it in the middle of one."""
    delay = os.environ.get("FINGERPRINT_DASK_TASK_DELAY")
    if delay:
        time.sleep(float(delay))


def sketch_shard(task: ShardTask, settings: SketchSettings, threads: int, exe: str | None) -> dict:
    """Sketches one shard with the binary; returns its summary and path."""
    _fault_delay()
    args = ["sketch", task.source.path, "--output", task.output, "--format", "json", "--quiet",
            "--threads", str(threads), *settings.arguments()]
    if task.shard:
        args += ["--shard", task.shard]
    if task.source.prefix:
        args += ["--name-prefix", task.source.prefix]
    summary = json.loads(fpbin.run(args, exe))
    return {"path": task.output, "documents": summary["documents"], "source": task.source.path, "shard": task.shard}


def merge_files(parts: list[dict], output: str, exe: str | None) -> dict:
    """Merges fingerprint files (in this order) into `output` with the binary."""
    _fault_delay()
    paths = [p["path"] for p in parts]
    if len(paths) == 1:
        # One part: copied (a rerun copies it again; the part stays for a rerun).
        tmp = os.path.join(os.path.dirname(output) or ".", f".{os.path.basename(output)}.tmp-{os.getpid()}")
        shutil.copyfile(paths[0], tmp)
        os.replace(tmp, output)
        return {"path": output, "documents": parts[0]["documents"]}
    summary = json.loads(fpbin.run(["merge", *paths, "--output", output, "--format", "json"], exe))
    return {"path": output, "documents": summary["documents"]}


def run_binary(args: list[str], exe: str | None) -> str:
    _fault_delay()
    return fpbin.run(args, exe)


# ---------------------------------------------------------------------------
# Sketch


def _progress(futures, quiet: bool) -> None:
    if quiet or not sys.stderr.isatty():
        wait(futures)
    else:
        # The engine's own progress bar, on standard error (standard output
        # may carry the report).
        with contextlib.redirect_stdout(sys.stderr):
            progress(futures)
        wait(futures)


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def sketch(client: Client, inputs: list[str], settings: SketchSettings, *, output: str | None = None,
           sharded: str | None = None, shard_bytes: int = DEFAULT_SHARD_BYTES, fan_in: int = DEFAULT_FAN_IN,
           threads: int = 1, exe: str | None = None, quiet: bool = True, keep_shards: bool = False) -> dict:
    """Sketches the inputs into one fingerprint file (`output`, merged in a
    tree of `fingerprint merge`) or into a directory of shards with a
    manifest (`sharded`). Returns the summary (documents, shards, paths)."""
    if (output is None) == (sharded is None):
        raise ValueError("give either an output file or a directory for the shards")
    srcs = sources(expand_inputs(inputs))
    workdir = sharded or (output + ".shards")
    os.makedirs(workdir, exist_ok=True)
    tasks = plan_shards(srcs, workdir, shard_bytes)
    tag = _digest(settings.arguments(), [(t.source, t.shard) for t in tasks])
    futures = [client.submit(sketch_shard, t, settings, threads, exe, key=f"sketch-{tag}-{i:05d}", pure=False)
               for i, t in enumerate(tasks)]
    _progress(futures, quiet)
    shards = client.gather(futures)
    if sharded is not None:
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "inputs": [s.path for s in srcs],
            "documents": sum(s["documents"] for s in shards),
            "shards": [{"file": os.path.relpath(s["path"], sharded), "documents": s["documents"],
                        "source": s["source"], "shard": s["shard"]} for s in shards],
        }
        path = os.path.join(sharded, "manifest.json")
        _write_atomically(path, json.dumps(manifest, indent=2) + "\n")
        return {"manifest": path, "documents": manifest["documents"], "shards": len(shards)}
    merged = merge_tree(client, shards, output, workdir, fan_in, exe, tag, quiet)
    if not keep_shards:
        for p in os.listdir(workdir):
            if p.startswith(("shard-", "merge-")) and p.endswith((".fp", ".fp-wal", ".fp-shm")):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(workdir, p))
        with contextlib.suppress(OSError):
            os.rmdir(workdir)
    return {"output": output, "documents": merged["documents"], "shards": len(shards)}


def merge_tree(client: Client, parts: list[dict], output: str, workdir: str, fan_in: int, exe: str | None,
               tag: str, quiet: bool = True) -> dict:
    """Merges the parts, in order, `fan_in` at a time, level by level, into
    `output`: consecutive groups keep the reading order, so the result is
    the file of the whole input."""
    if fan_in < 2:
        raise ValueError("--fan-in must be at least 2")
    level = list(parts)
    depth = 0
    while True:
        groups = [level[i:i + fan_in] for i in range(0, len(level), fan_in)]
        last = len(groups) == 1
        level = [
            client.submit(merge_files, g, output if last else os.path.join(workdir, f"merge-{depth}-{k:05d}.fp"), exe,
                          key=f"merge-{tag}-{depth}-{k:05d}", pure=False)
            for k, g in enumerate(groups)]
        depth += 1
        if last:
            break
    _progress(level, quiet)
    return level[0].result()


def _write_atomically(path: str, text: str) -> None:
    tmp = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def index_files(items: list[str]) -> list[str]:
    """Fingerprint files in reading order: a manifest's shards, or the files given."""
    out = []
    for item in items:
        if item.endswith(".json") or os.path.isdir(item):
            path = os.path.join(item, "manifest.json") if os.path.isdir(item) else item
            with open(path, encoding="utf-8") as f:
                m = json.load(f)
            if m.get("schema") != MANIFEST_SCHEMA:
                raise ValueError(f"{path}: not a fingerprint-dask manifest")
            out += [os.path.join(os.path.dirname(path), s["file"]) for s in m["shards"]]
        else:
            out.append(item)
    return out


# ---------------------------------------------------------------------------
# Dedup: LSH bands of all shards shuffled by key, candidates verified exactly


def _shard_documents(path: str) -> fpfile.Documents:
    _fault_delay()
    return fpfile.documents(path)


def _band_partitions(path: str, offset: int, partitions: int) -> tuple:
    """(band, hash, global index) of the shard's band keys, split by key into `partitions` parts."""
    _fault_delay()
    docs = fpfile.documents(path)
    band, h, rowid = fpfile.bands(path)
    rank = np.empty(int(docs.ids.max()) + 1 if len(docs.ids) else 0, dtype=np.int64)
    rank[docs.ids] = np.arange(len(docs.ids), dtype=np.int64)
    g = rank[rowid] + offset
    part = ((h.view(np.uint64) ^ (band.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))) % np.uint64(partitions)
            ).astype(np.int64)
    return tuple((band[part == p], h[part == p], g[part == p]) for p in range(partitions))


def _candidates(*pieces) -> np.ndarray:
    """The candidate pairs of one partition of band keys, as `dedup` forms
    them: within each group of documents sharing a band key (sorted by
    document), all pairs when the group has at most 64 members, else each
    member with the first and with its neighbour. Pairs (x, y), x < y, as x << 32 | y."""
    _fault_delay()
    band = np.concatenate([p[0] for p in pieces]) if pieces else np.zeros(0, np.int64)
    h = np.concatenate([p[1] for p in pieces]) if pieces else np.zeros(0, np.int64)
    g = np.concatenate([p[2] for p in pieces]) if pieces else np.zeros(0, np.int64)
    if len(g) == 0:
        return np.zeros(0, dtype=np.uint64)
    order = np.lexsort((g, h, band))
    band, h, g = band[order], h[order], g[order]
    starts = np.flatnonzero(np.r_[True, (band[1:] != band[:-1]) | (h[1:] != h[:-1])])
    ends = np.r_[starts[1:], len(g)]
    pairs = []
    for s, e in zip(starts[ends - starts > 1], ends[ends - starts > 1]):
        m = g[s:e]
        if len(m) <= 64:
            a, b = np.triu_indices(len(m), 1)
            x, y = m[a], m[b]
        else:
            x = np.concatenate([np.repeat(m[0], len(m) - 1), m[:-1]])
            y = np.concatenate([m[1:], m[1:]])
        pairs.append((np.minimum(x, y).astype(np.uint64) << np.uint64(32)) | np.maximum(x, y).astype(np.uint64))
    return np.unique(np.concatenate(pairs)) if pairs else np.zeros(0, dtype=np.uint64)


def _jaccards(path_a: str, path_b: str, offsets: tuple[int, int], pairs: np.ndarray) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair (x in shard a, y in shard b, global indices)."""
    _fault_delay()
    ids_a = fpfile.documents(path_a).ids
    ids_b = ids_a if path_b == path_a else fpfile.documents(path_b).ids
    x = (pairs >> np.uint64(32)).astype(np.int64) - offsets[0]
    y = (pairs & np.uint64(0xFFFFFFFF)).astype(np.int64) - offsets[1]
    if path_b == path_a:
        sa = sb = fpfile.uint64_blobs(path_a, "shingles", np.unique(np.r_[ids_a[x], ids_a[y]]))
    else:
        sa = fpfile.uint64_blobs(path_a, "shingles", np.unique(ids_a[x]))
        sb = fpfile.uint64_blobs(path_b, "shingles", np.unique(ids_b[y]))
    return np.array([fpfile.exact_jaccard(sa[int(ids_a[i])], sb[int(ids_b[j])]) for i, j in zip(x, y)],
                    dtype=np.float64)


def _by_shard_pair(pairs: np.ndarray, offsets: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
    x = (pairs >> np.uint64(32)).astype(np.int64)
    y = (pairs & np.uint64(0xFFFFFFFF)).astype(np.int64)
    sx = np.searchsorted(offsets, x, side="right") - 1
    sy = np.searchsorted(offsets, y, side="right") - 1
    out = {}
    for a, b in sorted(set(zip(sx.tolist(), sy.tolist()))):
        out[(a, b)] = pairs[(sx == a) & (sy == b)]
    return out


def _score_pairs(client: Client, files: list[str], offsets: np.ndarray, pairs: np.ndarray, tag: str, quiet: bool):
    """Exact Jaccard of every pair, one task per pair of shards."""
    groups = _by_shard_pair(pairs, offsets)
    futures = {k: client.submit(_jaccards, files[k[0]], files[k[1]], (int(offsets[k[0]]), int(offsets[k[1]])), v,
                                key=f"{tag}-{k[0]}-{k[1]}", pure=False)
               for k, v in groups.items()}
    _progress(list(futures.values()), quiet)
    scores = np.zeros(len(pairs))
    position = {int(p): i for i, p in enumerate(pairs.tolist())}
    for k, f in futures.items():
        for p, s in zip(groups[k].tolist(), f.result()):
            scores[position[p]] = s
    return scores


def _round6(x: float):
    v = round(float(x), 6)
    return int(v) if v == int(v) else v


def dedup(client: Client, items: list[str], *, threshold: float | None = None, keep: str = "longest",
          partitions: int | None = None, quiet: bool = True) -> dict:
    """Near-duplicate clusters over every shard at once, as `fingerprint dedup`
    of the merged file finds them (same candidates, same verification, same
    clusters, kept members and scores). Returns the `fingerprint.dedup/1` report."""
    if keep not in ("longest", "first"):
        raise ValueError("--keep is longest or first")
    files = index_files(items)
    if not files:
        raise ValueError("no fingerprint file given")
    metas = client.gather(client.map(fpfile.meta, files, key=[f"meta-{i}-{_digest(f)}" for i, f in enumerate(files)]))
    m = fpfile.require_compatible(files, metas)
    stored = float(m["threshold"])
    threshold = stored if threshold is None else threshold
    if threshold != stored:
        raise ValueError(
            f"--threshold {threshold}: the shards' LSH bands were made for {stored}; "
            f"sketch with --threshold {threshold} (or leave --threshold out)")
    tag = _digest("dedup", files, threshold, keep)
    docs_f = client.map(_shard_documents, files, key=[f"docs-{tag}-{i:05d}" for i in range(len(files))])
    _progress(docs_f, quiet)
    docs: list[fpfile.Documents] = client.gather(docs_f)
    counts = np.array([len(d.ids) for d in docs], dtype=np.int64)
    offsets = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    for i in range(1, len(files)):
        if docs[i - 1].last_key is not None and docs[i].first_key is not None and docs[i - 1].last_key >= docs[i].first_key:
            raise ValueError(f"{files[i]}: its documents do not all come after those of {files[i - 1]} "
                             "(give the shards in reading order, as the manifest lists them)")
    total = int(counts.sum())
    if total >= 1 << 32:
        raise ValueError("more than 2^32 documents")
    parts = partitions or max(1, min(4 * len(files), 1024))

    # Map: each shard's band keys, partitioned by key. Reduce: candidate pairs per partition.
    mapped = [delayed(_band_partitions, nout=parts, pure=True)(f, int(o), parts, dask_key_name=f"bands-{tag}-{i:05d}")
              for i, (f, o) in enumerate(zip(files, offsets))]
    reduced = [delayed(_candidates, pure=True)(*[mp[r] for mp in mapped], dask_key_name=f"cand-{tag}-{r:05d}")
               for r in range(parts)]
    cand_f = client.compute(reduced)
    _progress(cand_f, quiet)
    cand = client.gather(cand_f)
    pairs = np.unique(np.concatenate(cand)) if cand else np.zeros(0, np.uint64)

    # Verify every candidate with the exact Jaccard of its shingle sets.
    scores = _score_pairs(client, files, offsets, pairs, f"verify-{tag}", quiet)
    edges = pairs[scores >= threshold]

    # Clusters: connected components of the verified pairs (dedup's union-find),
    # each listed by its members in reading order, the clusters by first member.
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for p in edges.tolist():
        a, b = find(p >> 32), find(p & 0xFFFFFFFF)
        if a != b:
            parent[max(a, b)] = min(a, b)
    components: dict[int, list[int]] = {}
    for d in sorted(parent):
        components.setdefault(find(d), []).append(d)
    groups = sorted(components.values(), key=lambda g: g[0])

    def local(d):
        s = int(np.searchsorted(offsets, d, side="right") - 1)
        return s, d - int(offsets[s])

    def tokens(d):
        s, i = local(d)
        return int(docs[s].tokens[i])

    def name(d):
        s, i = local(d)
        return docs[s].names[i]

    kept = [g[0] if keep == "first" else max(g, key=lambda d: (tokens(d), -d)) for g in groups]
    # Scores of the members against the kept document.
    score_pairs = sorted({(min(d, k) << 32) | max(d, k) for g, k in zip(groups, kept) for d in g if d != k})
    sp = np.array(score_pairs, dtype=np.uint64)
    member_scores = dict(zip(sp.tolist(), _score_pairs(client, files, offsets, sp, f"score-{tag}", quiet).tolist()))
    clusters = []
    for cid, (g, k) in enumerate(zip(groups, kept)):
        clusters.append({
            "id": cid, "kept": name(k), "size": len(g),
            "members": [{"document": name(d), "kept": d == k,
                         "score": 1 if d == k else _round6(member_scores[(min(d, k) << 32) | max(d, k)])} for d in g]})
    too_short = [n for d in docs for n, ok in zip(d.names, d.usable.tolist()) if not ok]
    skipped = [s for f in files for s in fpfile.skips(f)]
    duplicates = sum(len(g) - 1 for g in groups)
    return {
        "schema": "fingerprint.dedup/1", "version": __version__, "corpus": items[0] if len(items) == 1 else items, "documents": total,
        "method": "minhash", "shingle": int(m["shingle"]), "perms": int(m["permutations"]), "seed": int(m["hash_seed"]),
        "threshold": threshold, "bands": int(m["bands"]), "rows": int(m["rows"]), "keep": keep,
        "candidate_pairs": int(len(pairs)), "verified_pairs": int(len(edges)), "clusters": clusters,
        "duplicates": duplicates, "kept_documents": total - duplicates, "too_short": too_short, "skipped": skipped,
        "shards": len(files),
    }


# ---------------------------------------------------------------------------
# Query: a questioned corpus against every shard of an index


def _query_shard(shard: str, questioned: str, threshold: float) -> dict:
    """Near-duplicates of the questioned documents in one shard (band
    lookups, exact verification), and which of the questioned corpus's
    distinct 13-grams the shard holds (a bit per gram)."""
    _fault_delay()
    import sqlite3
    import urllib.parse

    db = sqlite3.connect(":memory:", uri=True)
    for alias, path in (("q", questioned), ("r", shard)):
        db.execute(f"ATTACH DATABASE ? AS {alias}", ("file:" + urllib.parse.quote(path) + "?mode=ro&immutable=1",))
    hits = db.execute(
        "SELECT DISTINCT qb.document, rb.document FROM q.bands qb JOIN r.bands rb "
        "ON rb.band = qb.band AND rb.hash = qb.hash").fetchall()
    names = dict(db.execute("SELECT id, name FROM r.documents WHERE id IN (SELECT DISTINCT rb.document FROM q.bands qb "
                            "JOIN r.bands rb ON rb.band = qb.band AND rb.hash = qb.hash)").fetchall())
    db.close()
    qs = fpfile.uint64_blobs(questioned, "shingles", sorted({q for q, _ in hits}))
    rs = fpfile.uint64_blobs(shard, "shingles", sorted({r for _, r in hits}))
    candidates: dict[int, int] = {}
    near: dict[int, list] = {}
    for q, r in hits:
        candidates[q] = candidates.get(q, 0) + 1
        j = fpfile.exact_jaccard(qs[q], rs[r])
        if j >= threshold:
            near.setdefault(q, []).append((names[r], j))
    grams = fpfile.all_uint64(questioned, "grams13")
    held = np.isin(grams, fpfile.all_uint64(shard, "grams13"), assume_unique=True)
    return {"candidates": candidates, "near": near, "held": np.packbits(held), "documents": len(fpfile.documents(shard).ids)}


def query(client: Client, items: list[str], questioned: list[str], *, workdir: str, threshold: float | None = None,
          min_containment: float = 0.5, key: str | None = None, tokenizer: str | None = None, field_name: str = "text",
          globs: list[str] | None = None, shard_bytes: int = DEFAULT_SHARD_BYTES, threads: int = 1,
          exe: str | None = None, quiet: bool = True) -> dict:
    """Checks a questioned corpus against a sharded index, as `fingerprint
    index query --top 0` against the merged index: near-duplicates verified
    exactly and 13-gram containment over the union of the shards. Returns
    the `fingerprint.query/1` report."""
    files = index_files(items)
    metas = client.gather(client.map(fpfile.meta, files, key=[f"qmeta-{i}-{_digest(f)}" for i, f in enumerate(files)]))
    m = fpfile.require_compatible(files, metas)
    settings = SketchSettings.of_index(m, key) if tokenizer is None else SketchSettings.of_index(
        {**m, "tokenizer": tokenizer}, key)
    settings.field = field_name
    settings.globs = globs or []
    qfile = os.path.join(workdir, "questioned-" + _digest(questioned, settings.arguments()) + ".fp")
    sketch(client, questioned, settings, output=qfile, shard_bytes=shard_bytes, threads=threads, exe=exe, quiet=quiet)
    qmeta = fpfile.meta(qfile)
    fpfile.require_compatible([files[0], qfile], [m, qmeta], keys=fpfile.COMPATIBILITY)
    stored = float(m["threshold"])
    threshold = stored if threshold is None else threshold
    tag = _digest("query", files, qfile, threshold)
    futures = [client.submit(_query_shard, f, qfile, threshold, key=f"query-{tag}-{i:05d}", pure=False)
               for i, f in enumerate(files)]
    _progress(futures, quiet)
    parts = client.gather(futures)

    qdocs = fpfile.documents(qfile)
    grams = fpfile.all_uint64(qfile, "grams13")
    held = np.zeros(len(grams), dtype=bool)
    for p in parts:
        held |= np.unpackbits(p["held"], count=len(grams)).astype(bool)
    shared_set = grams[held]
    per_doc = fpfile.uint64_blobs(qfile, "grams13", qdocs.ids)
    with fpfile.connect(qfile) as db:
        doc_tokens = dict(db.execute("SELECT id, tokens FROM documents").fetchall())
    results = []
    candidates = 0
    for i, (rid, nm) in enumerate(zip(qdocs.ids.tolist(), qdocs.names)):
        near = [x for p in parts for x in p["near"].get(rid, [])]
        candidates += sum(p["candidates"].get(rid, 0) for p in parts)
        near.sort(key=lambda t: (-t[1], t[0]))
        g = per_doc[rid]
        shared = int(np.isin(g, shared_set, assume_unique=True).sum())
        share = shared / len(g) if len(g) else 0.0
        results.append({
            "document": nm, "tokens": int(doc_tokens[rid]),
            "near_duplicates": [{"document": n, "score": s} for n, s in near],
            "grams": int(len(g)), "shared_grams": shared, "containment": share, "neighbors": [],
            "matched": bool(near) or (len(g) > 0 and share >= min_containment)})
    notes = []
    too_short = int((qdocs.tokens < int(m["shingle"])).sum())
    if too_short:
        notes.append(f"{too_short} documents are shorter than one {m['shingle']}-token shingle: no near-duplicates for them")
    if threshold < stored:
        notes.append(f"--threshold {threshold} is below the {stored} the index's {m['bands']}×{m['rows']} LSH bands "
                     "were tuned for: pairs between them are found with lower probability")
    return {
        "schema": "fingerprint.query/1", "version": __version__, "index": items[0] if len(items) == 1 else items,
        "reference_documents": sum(p["documents"] for p in parts), "questioned": questioned[0] if len(questioned) == 1
        else questioned, "tokenizer": m["tokenizer"], "threshold": threshold, "min_containment": min_containment,
        "banding": {"bands": int(m["bands"]), "rows": int(m["rows"])}, "results": results,
        "grams": int(len(grams)), "shared_grams": int(held.sum()),
        "containment": float(held.sum() / len(grams)) if len(grams) else 0.0, "candidates": candidates,
        "skipped": fpfile.skips(qfile), "notes": notes, "shards": len(files)}


# ---------------------------------------------------------------------------
# Compare: both corpora sketched across the cluster, the test on one worker


def compare(client: Client, a: list[str], b: list[str], settings: SketchSettings, *, workdir: str,
            compare_args: list[str], shard_bytes: int = DEFAULT_SHARD_BYTES, fan_in: int = DEFAULT_FAN_IN,
            threads: int = 1, compare_threads: int | None = None, exe: str | None = None, quiet: bool = True) -> str:
    """`fingerprint compare A B` of two large corpora: each corpus sketched
    shard by shard and merged (the counts aggregated across shards), then
    the comparison — divergences, the permutation test on the per-document
    counts — run by the binary on one worker from the two merged files.
    Returns the binary's output (`--format json` unless `compare_args` says)."""
    os.makedirs(workdir, exist_ok=True)
    files = []
    for side, inputs in (("a", a), ("b", b)):
        out = os.path.join(workdir, f"{side}-{_digest(inputs, settings.arguments())}.fp")
        sketch(client, inputs, settings, output=out, shard_bytes=shard_bytes, fan_in=fan_in, threads=threads, exe=exe,
               quiet=quiet)
        files.append(out)
    args = ["compare", files[0], files[1], "--quiet", "--tokenizer", settings.tokenizer, *compare_args]
    if compare_threads:
        args += ["--threads", str(compare_threads)]
    if "--format" not in compare_args:
        args += ["--format", "json"]
    f = client.submit(run_binary, args, exe, key=f"compare-{_digest(args)}", pure=False)
    _progress([f], quiet)
    return f.result()
