"""The jobs: sketch, dedup, query and compare on a Dask cluster.

Each job is a graph of Dask tasks submitted through a `distributed.Client`.
Tasks that read text run the `fingerprint` binary on the worker; the other
tasks read the fingerprint files the binary wrote. Every file a task writes
is written by the binary under a temporary name and renamed when complete,
and its name depends only on its place in the job, so a task that Dask
reruns after losing its worker writes the same file again and the result
does not change. A job holds a lock on its output while it runs, so that two
jobs never write the same files.

All paths (inputs, the work directory, the binary) must be the same on every
worker: a shared file system on a real cluster, the local disk on one
machine. The client makes every path absolute before it sends it.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import glob
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
from dask import delayed
from distributed import Client, progress, wait

from . import binary as fpbin
from . import fpfile

MANIFEST_SCHEMA = "fingerprint-dask.manifest/1"
DEFAULT_SHARD_BYTES = 256 << 20
DEFAULT_FAN_IN = 8
DEFAULT_GLOBS = ["*.txt", "*.md", "*.text"]


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
    shard: str  # "K/N" (a file is 0/1)
    output: str


@dataclass
class SketchSettings:
    """The options that decide a fingerprint file's content (as `fingerprint sketch`)."""

    shingle: int = 5
    perms: int = 128
    threshold: float = 0.8
    tokenizer: str = "word"
    seed: int = 0
    globs: list[str] = dataclass_field(default_factory=list)
    text_field: str = "text"
    key: str | None = None
    keep_names: bool = False

    def arguments(self) -> list[str]:
        a = ["--shingle", str(self.shingle), "--perms", str(self.perms), "--threshold", repr(self.threshold),
             "--tokenizer", self.tokenizer, "--seed", str(self.seed), "--field", self.text_field]
        for g in self.globs:
            a += ["--glob", g]
        if self.key:
            a += ["--key", os.path.abspath(self.key)]
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
        try:
            p.encode()
        except UnicodeEncodeError:
            # The binary refuses an argument that is not UTF-8; inside a folder it reads such names.
            raise UsageError(f"{p}: the name is not valid UTF-8; give the folder that holds it") from None
    # Workers run in directories of their own: every path they get is absolute.
    return [os.path.abspath(p) for p in out]


def files_read(items: list[str], key: str | None = None, expanded: list[str] | None = None) -> list[str]:
    """Every file a job reads from its arguments, which no output may be: the
    items, what their globs and @LISTs name (`expanded`, else expanded here,
    none when they cannot be), the @LIST files themselves and the key file
    (review 31c: an output over a glob's match, a list or the key was written
    with exit 0)."""
    if expanded is None:
        try:
            expanded = expand_inputs(items)
        except (OSError, ValueError):
            expanded = []  # the job says what is wrong with them
    return list(items) + expanded + [item[1:] for item in items if item.startswith("@")] + ([key] if key else [])


def sources(paths: list[str]) -> list[Source]:
    """The inputs as sources, in reading order, named relative to their
    common root. One directory keeps the names `fingerprint sketch DIR`
    gives; several inputs are named as a sketch of their common parent."""
    absolute = [os.path.abspath(p) for p in paths]
    if len(set(absolute)) != len(absolute):
        raise ValueError("an input is given twice")
    if len(absolute) == 1 and os.path.isdir(absolute[0]):
        return [Source(absolute[0], True, "")]
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
        out.append(Source(p, os.path.isdir(p), prefix))
    return sorted(out, key=lambda s: s.order)


def _matches(name: str, globs: list[str]) -> bool:
    # As the binary matches: the name itself, or without a .gz/.zst suffix.
    bare = name[:-3] if name.endswith(".gz") else name[:-4] if name.endswith(".zst") else name
    return any(fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase(bare, g) for g in globs)


def directory_bytes(path: str, globs: list[str]) -> int:
    """Bytes of the files a sketch of `path` reads (following links, skipping
    hidden names): only to choose the number of shards."""
    globs = globs or DEFAULT_GLOBS
    total = 0
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if not f.startswith(".") and _matches(f, globs):
                with contextlib.suppress(OSError):
                    total += os.stat(os.path.join(dirpath, f)).st_size
    return total


def plan_shards(srcs: list[Source], workdir: str, shard_bytes: int, globs: list[str]) -> list[ShardTask]:
    """Shard tasks in reading order: a directory in ⌈bytes / shard_bytes⌉
    shards (files are never cut, so a directory of a few large files gives
    fewer non-empty shards), a file in one. A file is sketched as shard 0/1,
    so that an empty or binary file is a reported skip, not a failed job."""
    tasks = []
    for s in srcs:
        if s.is_dir:
            n = max(1, min(1_000_000, math.ceil(directory_bytes(s.path, globs) / shard_bytes)))
            shards = [f"{k}/{n}" for k in range(n)]
        else:
            shards = ["0/1"]
        for sh in shards:
            tasks.append(ShardTask(s, sh, os.path.join(workdir, f"shard-{len(tasks):05d}.fp")))
    return tasks


# ---------------------------------------------------------------------------
# Errors the command line maps to exit statuses


class UsageError(ValueError):
    """Arguments that cannot go together (an output that is an input): exit 64."""


class OutputError(OSError):
    """An output cannot be written (exit 74, as the binary's)."""


class Busy(RuntimeError):
    """Another job holds the lock on this output (exit 75: try again later)."""


# ---------------------------------------------------------------------------
# Tasks (run on the workers)


def _fault_delay() -> None:
    """Fault injection for the tests: a worker started with
    FINGERPRINT_DASK_TASK_DELAY=S waits S seconds at the start of each task,
    so that a test can kill it in the middle of one. Unset, it costs one
    environment lookup."""
    delay = os.environ.get("FINGERPRINT_DASK_TASK_DELAY")
    if delay:
        time.sleep(float(delay))


def sketch_shard(task: ShardTask, settings: SketchSettings, threads: int, exe: str | None) -> dict:
    """Sketches one shard with the binary; returns its summary and path."""
    _fault_delay()
    args = ["sketch", task.source.path, "--output", task.output, "--format", "json", "--quiet",
            "--threads", str(threads), "--shard", task.shard, *settings.arguments()]
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
        tmp = os.path.join(os.path.dirname(output), f".{os.path.basename(output)}.tmp-{os.getpid()}")
        shutil.copyfile(paths[0], tmp)
        os.replace(tmp, output)
        return {"path": output, "documents": parts[0]["documents"]}
    summary = json.loads(fpbin.run(["merge", *paths, "--output", output, "--format", "json"], exe))
    return {"path": output, "documents": summary["documents"]}


def run_binary(args: list[str], exe: str | None) -> str:
    _fault_delay()
    return fpbin.run(args, exe)


def binary_version(client: Client, exe: str | None) -> str:
    """The version of the binary the workers run (reports name it, as the binary's do)."""
    text = client.submit(fpbin.run, ["--version"], exe, pure=False).result()
    first = text.split("\n", 1)[0].split()
    return first[1] if len(first) > 1 else text.strip()


# ---------------------------------------------------------------------------
# Locks, work directories, progress


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


@contextlib.contextmanager
def _locked(path: str):
    """An exclusive lock on PATH.lock for the job's duration: a second job
    writing the same output is refused at once."""
    lock_path = path + ".lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise OutputError(f"{lock_path}: cannot create the job's lock ({e.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"{path}: another job is writing it; wait for it to finish") from None
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(lock_path)


def check_output(path: str, inputs: list[str] = ()) -> str:
    """The absolute path of an output file (or of a directory still to be
    made), after checking that its parent exists and is writable and that
    it is none of `inputs` and lies inside none of them (before any work, as
    the binary checks: a sketch written over its own text, or a report over
    the index it read, was data lost with exit 0)."""
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        what = "is not a directory" if os.path.exists(parent) else "does not exist"
        raise OutputError(f"{path}: {parent} {what}")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{path}: the directory {parent} is not writable")
    if os.path.isdir(path):
        raise OutputError(f"{path}: is a directory")
    _not_an_input(path, inputs)
    return path


def _not_an_input(path: str, inputs: list[str]) -> None:
    real = os.path.realpath(path)
    for item in inputs:
        given = os.path.abspath(item)
        if not os.path.exists(given):
            continue
        if os.path.exists(path) and os.path.samefile(path, given):
            raise UsageError(f"{path} is the input {item}; choose another path")
        inside = os.path.realpath(given)
        if os.path.isdir(given) and real.startswith(inside.rstrip(os.sep) + os.sep):
            raise UsageError(f"{path} lies inside the input directory {item}; choose another path")


def check_shard_directory(path: str, inputs: list[str]) -> str:
    """The absolute path of `--sharded DIR`: new, empty, or an index this
    driver wrote (its manifest.json is ours), and none of the inputs nor
    inside one (a folder's manifest.json was replaced by ours)."""
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise OutputError(f"{path}: is not a directory")
    if os.path.isdir(path):
        _not_an_input(path, inputs)
    else:
        check_output(path, inputs)
    for item in inputs:
        given = os.path.realpath(item)
        if os.path.isdir(path) and os.path.isdir(given) and given.startswith(os.path.realpath(path).rstrip(os.sep) + os.sep):
            raise UsageError(f"{path} holds the input {item}; give the shards a directory of their own")
    if os.path.isdir(path) and os.listdir(path):
        manifest = os.path.join(path, "manifest.json")
        try:
            with open(manifest, encoding="utf-8") as f:
                ours = json.load(f).get("schema") == MANIFEST_SCHEMA
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise UsageError(f"{path} is not empty and holds no fingerprint-dask index; give a new or empty directory")
    return path


_OURS = ("shard-", "merge-", ".shard-", ".merge-")


def _clear(workdir: str) -> None:
    """Removes this driver's files (shards, merges, their temporary files) from a work directory."""
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(workdir):
            if name.startswith(_OURS) and ".fp" in name:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(workdir, name))


def _clear_stale_temporaries(output: str) -> None:
    """Removes `.OUTPUT.tmp-PID` files beside the output: a final merge whose
    worker was killed left its binary's (review 31b, 4 runs of 4). The job
    holds OUTPUT's lock, so no other job writes them, and the merge that
    succeeded has renamed its own."""
    folder, name = os.path.split(output)
    prefix = f".{name}.tmp-"
    with contextlib.suppress(FileNotFoundError):
        for entry in os.listdir(folder or "."):
            if entry.startswith(prefix) and entry[len(prefix):].isdigit():
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, entry))


def _write_atomically(path: str, text: str) -> None:
    tmp = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# Sketch


def sketch(client: Client, inputs: list[str], settings: SketchSettings, *, output: str | None = None,
           sharded: str | None = None, shard_bytes: int = DEFAULT_SHARD_BYTES, fan_in: int = DEFAULT_FAN_IN,
           threads: int = 1, exe: str | None = None, quiet: bool = True, keep_shards: bool = False) -> dict:
    """Sketches the inputs into one fingerprint file (`output`, merged in a
    tree of `fingerprint merge`) or into a directory of shards with a
    manifest (`sharded`). Returns the summary (documents, shards, paths)."""
    if (output is None) == (sharded is None):
        raise ValueError("give either an output file or a directory for the shards")
    if fan_in < 2:
        raise ValueError("--fan-in must be at least 2")
    if shard_bytes <= 0 or threads < 1:
        raise ValueError("--shard-bytes and --sketch-threads must be positive")
    paths = expand_inputs(inputs)
    srcs = sources(paths)
    read = files_read(inputs, settings.key, expanded=paths)
    if output is not None:
        output = check_output(output, read)
        workdir = output + ".shards"
        target = output
    else:
        workdir = check_shard_directory(sharded, read)
        if os.path.isdir(workdir):
            check_output(os.path.join(workdir, "manifest.json"), read)
        target = workdir
    created = not os.path.exists(workdir)
    with _locked(target):
        os.makedirs(workdir, exist_ok=True)
        _clear(workdir)  # a previous run's shards (perhaps more of them) must not linger
        tasks = plan_shards(srcs, workdir, shard_bytes, settings.globs)
        tag = _digest(target, settings.arguments(), [(t.source, t.shard) for t in tasks])
        futures = [client.submit(sketch_shard, t, settings, threads, exe, key=f"sketch-{tag}-{i:05d}", pure=False)
                   for i, t in enumerate(tasks)]
        done = False
        try:
            _progress(futures, quiet)
            shards = client.gather(futures)
            documents = sum(s["documents"] for s in shards)
            if documents == 0:
                raise ValueError(f"no documents found in {' '.join(s.path for s in srcs)}"
                                 + (f" (file patterns: {' '.join(settings.globs)})" if settings.globs else ""))
            if sharded is not None:
                manifest = {
                    "schema": MANIFEST_SCHEMA,
                    "inputs": [s.path for s in srcs],
                    "documents": documents,
                    "shards": [{"file": os.path.basename(s["path"]), "documents": s["documents"],
                                "source": s["source"], "shard": s["shard"]} for s in shards],
                }
                path = os.path.join(workdir, "manifest.json")
                _write_atomically(path, json.dumps(manifest, indent=2) + "\n")
                done = True
                return {"manifest": path, "documents": documents, "shards": len(shards)}
            merged = merge_tree(client, shards, output, workdir, fan_in, exe, tag, quiet)
            done = True
            return {"output": output, "documents": merged["documents"], "shards": len(shards)}
        finally:
            if not done:
                client.cancel(futures)
            if output is not None:
                _clear_stale_temporaries(output)
            if output is not None and not (keep_shards and done):
                _clear(workdir)
                with contextlib.suppress(OSError):
                    os.rmdir(workdir)
            elif not done:
                _clear(workdir)
                if created:  # a failed job leaves no empty directory of its own
                    with contextlib.suppress(OSError):
                        os.rmdir(workdir)


def merge_tree(client: Client, parts: list[dict], output: str, workdir: str, fan_in: int, exe: str | None,
               tag: str, quiet: bool = True) -> dict:
    """Merges the parts, in order, `fan_in` at a time, level by level, into
    `output`: consecutive groups keep the reading order, so the result is
    the file of the whole input."""
    level = list(parts)
    depth = 0
    submitted = []
    while True:
        groups = [level[i:i + fan_in] for i in range(0, len(level), fan_in)]
        last = len(groups) == 1
        level = [
            client.submit(merge_files, g, output if last else os.path.join(workdir, f"merge-{depth}-{k:05d}.fp"), exe,
                          key=f"merge-{tag}-{depth}-{k:05d}", pure=False)
            for k, g in enumerate(groups)]
        submitted += level
        depth += 1
        if last:
            break
    try:
        _progress(level, quiet)
        return level[0].result()
    except BaseException:
        client.cancel(submitted)
        raise


def index_files(items: list[str]) -> list[str]:
    """Fingerprint files (absolute paths): a manifest's shards, or the files given."""
    out = []
    for item in items:
        if not os.path.exists(item):
            raise FileNotFoundError(f"{item}: no such file or directory")
        if os.path.isdir(item) or item.endswith(".json"):
            path = os.path.join(item, "manifest.json") if os.path.isdir(item) else item
            if not os.path.exists(path):
                raise FileNotFoundError(f"{path}: no such file (a directory of shards has a manifest.json)")
            try:
                with open(path, encoding="utf-8") as f:
                    m = json.load(f)
                if not isinstance(m, dict) or m.get("schema") != MANIFEST_SCHEMA:
                    raise ValueError
                names = [s["file"] for s in m["shards"]]
                if not all(isinstance(n, str) and n and "/" not in n for n in names):
                    raise ValueError
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                raise ValueError(f"{path}: not a fingerprint-dask manifest ({MANIFEST_SCHEMA})") from None
            out += [os.path.join(os.path.dirname(os.path.abspath(path)), n) for n in names]
        else:
            out.append(os.path.abspath(item))
    for f in out:
        if not os.path.exists(f):
            raise FileNotFoundError(f"{f}: no such fingerprint file")
    return out


def _metas(files: list[str]) -> list[dict[str, str]]:
    return [fpfile.meta(f) for f in files]


# ---------------------------------------------------------------------------
# Dedup: LSH bands of all shards shuffled by key, candidates verified exactly


def _shard_documents(path: str) -> fpfile.Documents:
    _fault_delay()
    return fpfile.documents(path)


def _band_partitions(path: str, ids: np.ndarray, glob_index: np.ndarray, partitions: int) -> tuple:
    """(band, hash, global index) of the shard's band keys, split by key into
    `partitions` parts. `ids` are the shard's row ids and `glob_index` their
    places in the reading order of all shards together."""
    _fault_delay()
    band, h, rowid = fpfile.bands(path)
    where = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=np.int64)
    where[ids] = glob_index
    g = where[rowid]
    part = ((h.view(np.uint64) ^ (band.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))) % np.uint64(partitions)
            ).astype(np.int64)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(partitions + 1))
    return tuple((band[order[bounds[p]:bounds[p + 1]]], h[order[bounds[p]:bounds[p + 1]]],
                  g[order[bounds[p]:bounds[p + 1]]]) for p in range(partitions))


def _pack(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (np.minimum(x, y).astype(np.uint64) << np.uint64(32)) | np.maximum(x, y).astype(np.uint64)


def _candidates(*pieces) -> np.ndarray:
    """The candidate pairs of one partition of band keys, as `dedup` forms
    them: within each group of documents sharing a band key (sorted by
    document), all pairs when the group has at most 64 members, else each
    member with the first and with its neighbour. Pairs (x, y), x < y, as x << 32 | y."""
    _fault_delay()
    empty = np.zeros(0, np.int64)
    band = np.concatenate([p[0] for p in pieces] + [empty])
    h = np.concatenate([p[1] for p in pieces] + [empty])
    g = np.concatenate([p[2] for p in pieces] + [empty])
    if len(g) == 0:
        return np.zeros(0, dtype=np.uint64)
    order = np.lexsort((g, h, band))
    band, h, g = band[order], h[order], g[order]
    starts = np.flatnonzero(np.r_[True, (band[1:] != band[:-1]) | (h[1:] != h[:-1])])
    sizes = np.diff(np.r_[starts, len(g)])
    # Buckets of two (nearly all of them) at once; the larger ones one by one.
    two = starts[sizes == 2]
    pairs = [_pack(g[two], g[two + 1])]
    for s, n in zip(starts[sizes > 2].tolist(), sizes[sizes > 2].tolist()):
        m = g[s:s + n]
        if n <= 64:
            a, b = np.triu_indices(n, 1)
            pairs.append(_pack(m[a], m[b]))
        else:
            pairs.append(_pack(np.r_[np.repeat(m[0], n - 1), m[:-1]], np.r_[m[1:], m[1:]]))
    return np.unique(np.concatenate(pairs))


def _jaccards(files: list[str], shard: int, rows_x: np.ndarray, shard_y: np.ndarray, rows_y: np.ndarray) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair: row rows_x[k] of
    `files[shard]` with row rows_y[k] of `files[shard_y[k]]`. Reads only
    those rows."""
    _fault_delay()
    sets = {shard: fpfile.uint64_blobs(files[shard], "shingles", rows_x)}
    for s in np.unique(shard_y).tolist():
        got = fpfile.uint64_blobs(files[s], "shingles", rows_y[shard_y == s])
        sets.setdefault(s, {}).update(got)
    return np.array([fpfile.exact_jaccard(sets[shard][int(x)], sets[int(s)][int(y)])
                     for x, s, y in zip(rows_x, shard_y, rows_y)], dtype=np.float64)


class _Order:
    """Every document of the shards in one reading order (`ord`, `line`), as
    the merged file reads them: global index → (shard, row id), and back."""

    def __init__(self, files: list[str], docs: list[fpfile.Documents]):
        keyed = [(k, s, i) for s, d in enumerate(docs) for i, k in enumerate(d.keys)]
        keyed.sort(key=lambda t: t[0])
        n = len(keyed)
        self.shard = np.fromiter((s for _, s, _ in keyed), dtype=np.int64, count=n)
        self.local = np.fromiter((i for _, _, i in keyed), dtype=np.int64, count=n)
        self.row = np.array([docs[s].ids[i] for s, i in zip(self.shard.tolist(), self.local.tolist())], dtype=np.int64)
        self.glob = [np.empty(len(d.ids), dtype=np.int64) for d in docs]
        for g, (s, i) in enumerate(zip(self.shard.tolist(), self.local.tolist())):
            self.glob[s][i] = g
        self.docs = docs
        seen: dict[str, int] = {}
        for s, d in enumerate(docs):
            for name in d.names:
                if name in seen:
                    raise ValueError(f"document {name!r} is in {files[seen[name]]} and in {files[s]}; "
                                     "give each shard once")
                seen[name] = s

    def name(self, g: int) -> str:
        return self.docs[int(self.shard[g])].names[int(self.local[g])]

    def tokens(self, g: int) -> int:
        return int(self.docs[int(self.shard[g])].tokens[int(self.local[g])])


def _score_pairs(client: Client, files: list[str], order: _Order, pairs: np.ndarray, tag: str, quiet: bool):
    """Exact Jaccard of every pair (global indices, packed), one task per shard of the pairs' first members."""
    if len(pairs) == 0:
        return np.zeros(0)
    x = (pairs >> np.uint64(32)).astype(np.int64)
    y = (pairs & np.uint64(0xFFFFFFFF)).astype(np.int64)
    sx = order.shard[x]
    futures = {}
    for s in np.unique(sx).tolist():
        k = np.flatnonzero(sx == s)
        futures[s] = (k, client.submit(_jaccards, files, s, order.row[x[k]], order.shard[y[k]], order.row[y[k]],
                                       key=f"{tag}-{s:05d}", pure=False))
    _progress([f for _, f in futures.values()], quiet)
    scores = np.zeros(len(pairs))
    for k, f in futures.values():
        scores[k] = f.result()
    return scores


def _round6(x: float):
    """Rounded to 6 decimals as the binary rounds scores ((x·10⁶).rounded() / 10⁶, halves away from zero)."""
    p = float(x) * 1e6
    r = math.floor(p)
    if p - r >= 0.5:
        r += 1
    v = r / 1e6
    return int(v) if v == int(v) else v


def dedup(client: Client, items: list[str], *, threshold: float | None = None, keep: str = "longest",
          partitions: int | None = None, quiet: bool = True, exe: str | None = None) -> dict:
    """Near-duplicate clusters over every shard at once, as `fingerprint dedup`
    of the merged file finds them (same candidates, same verification, same
    clusters, kept members and scores). Returns the `fingerprint.dedup/1` report."""
    if keep not in ("longest", "first"):
        raise ValueError("--keep is longest or first")
    files = index_files(items)
    if not files:
        raise ValueError("no fingerprint file given")
    m = fpfile.require_compatible(files, _metas(files))
    if m["tokenizer"].startswith(("char:", "ngram:")):
        raise ValueError(f"the shards were sketched with --tokenizer {m['tokenizer']}; dedup shingles words "
                         "(or a model tokenizer's tokens), as fingerprint dedup does")
    stored = float(m["threshold"])
    threshold = stored if threshold is None else threshold
    if threshold != stored:
        raise ValueError(
            f"--threshold {threshold}: the shards' LSH bands were made for {stored}; "
            f"sketch with --threshold {threshold} (or leave --threshold out)")
    version = binary_version(client, exe)  # first: a worker without the binary fails the job at once
    tag = _digest("dedup", files, threshold, keep, [os.path.getmtime(f) for f in files])
    docs_f = client.map(_shard_documents, files, key=[f"docs-{tag}-{i:05d}" for i in range(len(files))], pure=False)
    _progress(docs_f, quiet)
    docs: list[fpfile.Documents] = client.gather(docs_f)
    order = _Order(files, docs)
    total = len(order.row)
    if total >= 1 << 32:
        raise ValueError("more than 2^32 documents")
    parts = partitions or max(1, min(len(files), 64))

    # Map: each shard's band keys, partitioned by key. Reduce: candidate pairs per partition.
    mapped = [delayed(_band_partitions, nout=parts, pure=True)(f, docs[i].ids, order.glob[i], parts,
                                                                dask_key_name=f"bands-{tag}-{i:05d}")
              for i, f in enumerate(files)]
    reduced = [delayed(_candidates, pure=True)(*[mp[r] for mp in mapped], dask_key_name=f"cand-{tag}-{r:05d}")
               for r in range(parts)]
    cand_f = client.compute(reduced)
    _progress(cand_f, quiet)
    cand = client.gather(cand_f)
    pairs = np.unique(np.concatenate(cand + [np.zeros(0, np.uint64)]))

    # Verify every candidate with the exact Jaccard of its shingle sets.
    scores = _score_pairs(client, files, order, pairs, f"verify-{tag}", quiet)
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
    kept = [g[0] if keep == "first" else max(g, key=lambda d: (order.tokens(d), -d)) for g in groups]
    # Scores of the members against the kept document.
    sp = np.array(sorted({(min(d, k) << 32) | max(d, k) for g, k in zip(groups, kept) for d in g if d != k}),
                  dtype=np.uint64)
    member_scores = dict(zip(sp.tolist(), _score_pairs(client, files, order, sp, f"score-{tag}", quiet).tolist()))
    clusters = []
    for cid, (g, k) in enumerate(zip(groups, kept)):
        clusters.append({
            "id": cid, "kept": order.name(k), "size": len(g),
            "members": [{"document": order.name(d), "kept": d == k,
                         "score": 1 if d == k else _round6(member_scores[(min(d, k) << 32) | max(d, k)])} for d in g]})
    too_short = [order.name(g) for g in range(total) if not docs[int(order.shard[g])].usable[int(order.local[g])]]
    skipped = [s for f in files for s in fpfile.skips(f)]
    duplicates = sum(len(g) - 1 for g in groups)
    return {
        "schema": "fingerprint.dedup/1", "version": version, "corpus": " ".join(items),
        "documents": total, "method": "minhash", "shingle": int(m["shingle"]), "perms": int(m["permutations"]),
        "seed": int(m["hash_seed"]), "threshold": threshold, "bands": int(m["bands"]), "rows": int(m["rows"]),
        "keep": keep, "candidate_pairs": int(len(pairs)), "verified_pairs": int(len(edges)), "clusters": clusters,
        "duplicates": duplicates, "kept_documents": total - duplicates, "too_short": too_short, "skipped": skipped,
    }


# ---------------------------------------------------------------------------
# Query: a questioned corpus against every shard of an index


def _query_shard(shard: str, questioned: str, threshold: float) -> dict:
    """Near-duplicates of the questioned documents in one shard (band
    lookups, exact verification), and which of the questioned corpus's
    distinct 13-grams the shard holds (a bit per gram)."""
    _fault_delay()
    qb, qh, qd = fpfile.bands(questioned)
    rb, rh, rd = fpfile.bands(shard, only=np.unique(qh))
    asking: dict[tuple[int, int], list[int]] = {}
    for band, h, q in zip(qb.tolist(), qh.tolist(), qd.tolist()):
        asking.setdefault((band, h), []).append(q)
    hits: set[tuple[int, int]] = set()
    for band, h, r in zip(rb.tolist(), rh.tolist(), rd.tolist()):
        for q in asking.get((band, h), ()):
            hits.add((q, r))
    with contextlib.closing(fpfile.connect(shard)) as db:
        refs = sorted({r for _, r in hits})
        names: dict[int, str] = {}
        for k in range(0, len(refs), 500):
            chunk = refs[k:k + 500]
            names.update(db.execute(f"SELECT id, name FROM documents WHERE id IN ({','.join('?' * len(chunk))})",
                                    chunk).fetchall())
        documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
    qs = fpfile.uint64_blobs(questioned, "shingles", [q for q, _ in hits])
    rs = fpfile.uint64_blobs(shard, "shingles", refs)
    candidates: dict[int, int] = {}
    near: dict[int, list] = {}
    for q, r in sorted(hits):
        candidates[q] = candidates.get(q, 0) + 1
        j = fpfile.exact_jaccard(qs[q], rs[r])
        if j >= threshold:
            near.setdefault(q, []).append((names[r], j))
    grams = fpfile.all_uint64(questioned, "grams13")
    held = np.isin(grams, fpfile.reference_grams(shard), assume_unique=True)
    return {"candidates": candidates, "near": near, "held": np.packbits(held), "documents": documents}


def _swift_order(name: str) -> str:
    # Swift compares strings by their NFC-normalised scalars, as the binary sorts names.
    return unicodedata.normalize("NFC", name)


def query(client: Client, items: list[str], questioned: list[str], *, workdir: str | None = None,
          threshold: float | None = None, min_containment: float = 0.5, key: str | None = None,
          tokenizer: str | None = None, field_name: str = "text", globs: list[str] | None = None,
          shard_bytes: int = DEFAULT_SHARD_BYTES, threads: int = 1, exe: str | None = None,
          quiet: bool = True) -> dict:
    """Checks a questioned corpus against a sharded index, as `fingerprint
    index query --top 0` against the merged index: near-duplicates verified
    exactly and 13-gram containment over the union of the shards. Returns
    the `fingerprint.query/1` report. The questioned corpus's sketch is
    written in `workdir` (default: beside the index) and removed after."""
    files = index_files(items)
    m = fpfile.require_compatible(files, _metas(files))
    if m.get("keyed") == "1" and not key:
        raise ValueError(f"{items[0]} is keyed: querying it needs the same key (--key; key id {m.get('key_id')})")
    if m.get("keyed") != "1" and key:
        raise ValueError(f"{items[0]} is not keyed; query it without --key")
    version = binary_version(client, exe)
    settings = SketchSettings.of_index(m if tokenizer is None else {**m, "tokenizer": tokenizer}, key)
    settings.text_field = field_name
    settings.globs = globs or []
    base = os.path.abspath(workdir) if workdir else os.path.dirname(files[0])
    if not os.path.isdir(base):
        raise OutputError(f"{base}: the work directory does not exist")
    scratch = tempfile.mkdtemp(prefix=".fingerprint-dask-query-", dir=base)
    try:
        qfile = os.path.join(scratch, "questioned.fp")
        sketch(client, questioned, settings, output=qfile, shard_bytes=shard_bytes, threads=threads, exe=exe,
               quiet=quiet)
        qmeta = fpfile.meta(qfile)
        if qmeta["tokenizer"] != m["tokenizer"]:
            raise ValueError(f"the questioned corpus was read with {qmeta['tokenizer']}, the index with {m['tokenizer']}")
        stored = float(m["threshold"])
        threshold = stored if threshold is None else threshold
        tag = _digest("query", files, qfile, threshold, os.path.getmtime(qfile))
        futures = [client.submit(_query_shard, f, qfile, threshold, key=f"query-{tag}-{i:05d}", pure=False)
                   for i, f in enumerate(files)]
        _progress(futures, quiet)
        parts = client.gather(futures)

        qdocs = fpfile.documents(qfile)
        grams = fpfile.all_uint64(qfile, "grams13")
        held = np.zeros(len(grams), dtype=bool)
        near: dict[int, list] = {}
        candidates = 0
        for p in parts:
            held |= np.unpackbits(p["held"], count=len(grams)).astype(bool)
            for q, found in p["near"].items():
                near.setdefault(q, []).extend(found)
            candidates += sum(p["candidates"].values())
        shared_set = grams[held]
        per_doc = fpfile.uint64_blobs(qfile, "grams13", qdocs.ids)
        with fpfile.opened(qfile) as db:
            doc_tokens = dict(db.execute("SELECT id, tokens FROM documents").fetchall())
        skipped = fpfile.skips(qfile)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results = []
    for rid, nm in zip(qdocs.ids.tolist(), qdocs.names):
        found = sorted(near.get(rid, []), key=lambda t: (-t[1], _swift_order(t[0])))
        g = per_doc[rid]
        shared = int(np.isin(g, shared_set, assume_unique=True).sum())
        share = shared / len(g) if len(g) else 0.0
        results.append({
            "document": nm, "tokens": int(doc_tokens[rid]),
            "near_duplicates": [{"document": n, "score": s} for n, s in found],
            "grams": int(len(g)), "shared_grams": shared, "containment": share, "neighbors": [],
            "matched": bool(found) or (len(g) > 0 and share >= min_containment)})
    notes = []
    too_short = int((qdocs.tokens < int(m["shingle"])).sum())
    if too_short:
        notes.append(f"{too_short} documents are shorter than one {m['shingle']}-token shingle: no near-duplicates for them")
    no_grams = sum(1 for rid in qdocs.ids.tolist() if len(per_doc[rid]) == 0)
    if no_grams:
        notes.append(f"{no_grams} documents hold no 13-gram (fewer than 13 words): no containment for them (shown as 0/0)")
    if threshold < stored:
        notes.append(f"--threshold {threshold} is below the {stored} the index's {m['bands']}×{m['rows']} LSH bands "
                     "were tuned for: pairs between them are found with lower probability")
    index_skips = sum(len(fpfile.skips(f)) for f in files)
    if index_skips:
        notes.append(f"the index's own inputs had {index_skips} skipped when they were sketched "
                     "(fingerprint index list shows which)")
    return {
        "schema": "fingerprint.query/1", "version": version, "index": " ".join(items),
        "reference_documents": sum(p["documents"] for p in parts), "questioned": " ".join(questioned),
        "tokenizer": m["tokenizer"], "threshold": threshold, "min_containment": min_containment,
        "banding": {"bands": int(m["bands"]), "rows": int(m["rows"])}, "results": results,
        "grams": int(len(grams)), "shared_grams": int(held.sum()),
        "containment": float(held.sum() / len(grams)) if len(grams) else 0.0, "candidates": candidates,
        "skipped": skipped, "notes": notes}


# ---------------------------------------------------------------------------
# Compare: both corpora sketched across the cluster, the test on one worker


def compare(client: Client, a: list[str], b: list[str], settings: SketchSettings, *, workdir: str,
            compare_args: list[str], shard_bytes: int = DEFAULT_SHARD_BYTES, fan_in: int = DEFAULT_FAN_IN,
            threads: int = 1, compare_threads: int | None = None, exe: str | None = None, quiet: bool = True,
            keep_sketches: bool = False) -> str:
    """`fingerprint compare A B` of two large corpora: each corpus sketched
    shard by shard and merged (the counts aggregated across shards), then
    the comparison — divergences, the permutation test on the per-document
    counts — run by the binary on one worker from the two merged files.
    Returns the binary's output (`--format json` unless `compare_args` says),
    with the two files' paths replaced by the corpora's. The two files are
    removed after unless `keep_sketches`."""
    workdir = os.path.abspath(workdir)
    os.makedirs(workdir, exist_ok=True)
    files = []
    try:
        for side, inputs in (("a", a), ("b", b)):
            out = os.path.join(workdir, f"{side}-{_digest(inputs, settings.arguments())}.fp")
            sketch(client, inputs, settings, output=out, shard_bytes=shard_bytes, fan_in=fan_in, threads=threads,
                   exe=exe, quiet=quiet)
            files.append(out)
        args = ["compare", files[0], files[1], "--quiet", "--tokenizer", settings.tokenizer, *compare_args]
        if compare_threads:
            args += ["--threads", str(compare_threads)]
        if "--format" not in compare_args:
            args += ["--format", "json"]
        f = client.submit(run_binary, args, exe, key=f"compare-{_digest(args, time.time())}", pure=False)
        _progress([f], quiet)
        text = f.result()
    finally:
        if not keep_sketches:
            for path in files:
                with contextlib.suppress(OSError):
                    os.unlink(path)
    for path, described in ((files[0], " ".join(a)), (files[1], " ".join(b))):
        text = text.replace(json.dumps(path)[1:-1], json.dumps(described)[1:-1])
    return text
