"""fingerprint-dask on a real multi-process Dask cluster, against the single-machine commands.

Each test class starts a scheduler and two workers as separate processes on
the loopback interface (`dask scheduler`, `dask worker`), runs the jobs, and
compares with the `fingerprint` binary run alone on the same data:

- sketch: the merged file holds exactly what `fingerprint sketch` of the
  whole input writes (every table, row by row);
- dedup: the same clusters, kept documents, scores and candidate counts as
  `fingerprint dedup`;
- query: the same results as `fingerprint index query --top 0` against the
  merged index;
- compare: the same report as `fingerprint compare` of the texts;
- faults: a worker killed (SIGKILL) in the middle of a sketch task or of a
  dedup task; the job finishes on the other worker with the same result.

The binary is $FINGERPRINT_BIN (swift test sets it). Run alone with
    FINGERPRINT_BIN=.build/debug/fingerprint python3 -m unittest discover -s Integrations/dask/tests -v
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
from distributed import Client  # noqa: E402

from fingerprint_dask import fpfile, jobs  # noqa: E402
from fingerprint_dask.__main__ import main as cli_main  # noqa: E402

BIN = os.environ.get("FINGERPRINT_BIN", "")
# The scheduler and the workers import the driver's package, as on a real
# cluster where it is pip-installed on every machine.
PACKAGE_ENV = {"PYTHONPATH": os.pathsep.join(p for p in (os.path.dirname(HERE), os.environ.get("PYTHONPATH")) if p)}
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def fingerprint(*args: str, status: int = 0) -> str:
    p = subprocess.run([BIN, *args], capture_output=True, text=True)
    if p.returncode != status:
        raise AssertionError(f"fingerprint {' '.join(args)}: exit {p.returncode}\n{p.stderr}")
    return p.stdout


def dump(path: str) -> dict:
    """Every table of a fingerprint file, row by row (not the SQLite pages,
    which differ between files with equal content)."""
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return {
            "meta": db.execute("SELECT key, value FROM meta ORDER BY key").fetchall(),
            "vocabulary": db.execute("SELECT * FROM vocabulary ORDER BY id").fetchall(),
            "documents": db.execute("SELECT * FROM documents ORDER BY id").fetchall(),
            # The band index as its entries (how runs and blocks cut them may differ).
            "bands": sorted(zip(*(a.tolist() for a in fpfile.bands(path)))),
            "skips": db.execute("SELECT path, reason FROM skips ORDER BY rowid").fetchall(),
        }
    finally:
        db.close()


# ---------------------------------------------------------------------------
# Data


WORDS = [f"w{i}" for i in range(3000)]


def _text(rng: random.Random, n: int) -> list[str]:
    # Zipf-like word choice, so that texts share frequent words as real text does.
    return [WORDS[min(int(rng.paretovariate(1.1)) - 1, len(WORDS) - 1)] if rng.random() < 0.5
            else rng.choice(WORDS) for _ in range(n)]


def _edit(rng: random.Random, words: list[str], share: float) -> list[str]:
    return [rng.choice(WORDS) if rng.random() < share else w for w in words]


def make_collection(root: str, seed: int = 7, docs: int = 240) -> dict:
    """A collection in nested directories with near-duplicates planted far
    apart (so that they land in different shards): each of 30 originals has
    copies with 0-2.5% of words replaced, at random positions; plus short documents,
    an empty file and a binary file (skips), and a JSONL.gz part."""
    rng = random.Random(seed)
    texts = [_text(rng, rng.randint(60, 400)) for _ in range(docs)]
    # A group of many identical copies (dedup's chain rule for groups over 64).
    big = _text(rng, 120)
    for i in rng.sample(range(docs), 70):
        texts[i] = list(big)
    for k in range(30):
        src = rng.randrange(docs)
        for _ in range(rng.randint(1, 3)):
            texts[rng.randrange(docs)] = _edit(rng, texts[src], rng.uniform(0.0, 0.025))
    for i, words in enumerate(texts):
        sub = os.path.join(root, "texts", f"part{i % 7}", f"sec{i % 3}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"doc{i:04d}.txt"), "w") as f:
            f.write(" ".join(words) + "\n")
    with open(os.path.join(root, "texts", "part0", "short.txt"), "w") as f:
        f.write("too short\n")
    open(os.path.join(root, "texts", "part1", "empty.txt"), "w").close()
    with open(os.path.join(root, "texts", "part2", "binary.txt"), "wb") as f:
        f.write(b"\x00\x01\x02 binary")
    os.makedirs(os.path.join(root, "dumps"), exist_ok=True)
    for part in range(3):
        with gzip.open(os.path.join(root, "dumps", f"part-{part}.jsonl.gz"), "wt") as f:
            for line in range(40):
                words = texts[(part * 40 + line) * 7 % docs] if line % 5 == 0 else _text(rng, rng.randint(30, 200))
                f.write(json.dumps({"id": f"{part}-{line}", "text": " ".join(words)}) + "\n")
    return {"texts": texts}


def make_questioned(root: str, collection: dict, seed: int = 11) -> None:
    """Copies, edited copies, documents with a planted passage (13-gram
    contamination), and new documents."""
    rng = random.Random(seed)
    texts = collection["texts"]
    os.makedirs(root, exist_ok=True)
    for i in range(40):
        kind = i % 4
        src = texts[rng.randrange(len(texts))]
        if kind == 0:
            words = list(src)
        elif kind == 1:
            words = _edit(rng, src, 0.01)
        elif kind == 2:
            start = rng.randrange(max(1, len(src) - 150))
            words = _text(rng, 30) + src[start:start + 150] + _text(rng, 30)
        else:
            words = _text(rng, rng.randint(50, 300))
        with open(os.path.join(root, f"q{i:03d}.txt"), "w") as f:
            f.write(" ".join(words) + "\n")


def copy_real_texts(root: str, limit: int = 300) -> int:
    """Real English text from this Debian machine: the packages' copyright
    files (full of the same licences, near-duplicates by nature)."""
    os.makedirs(root, exist_ok=True)
    n = 0
    base = "/usr/share/doc"
    for pkg in sorted(os.listdir(base)):
        src = os.path.join(base, pkg, "copyright")
        if os.path.isfile(src) and not os.path.islink(src):
            with open(src, "rb") as f:
                data = f.read()
            with open(os.path.join(root, f"{pkg}.txt"), "wb") as f:
                f.write(data)
            n += 1
            if n == limit:
                break
    return n


def _in_thread(job) -> tuple[threading.Thread, dict]:
    """Starts `job()` in a thread; the dict gets its "value" or its "error"."""
    result: dict = {}

    def target():
        try:
            result["value"] = job()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            result["error"] = e

    t = threading.Thread(target=target)
    t.start()
    return t, result


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            direct = [int(x) for x in f.read().split()]
    except OSError:
        direct = []
    # Threads of the worker fork too: look at every task's children.
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return direct
    out = set(direct)
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out.update(int(x) for x in f.read().split())
        except OSError:
            pass
    return sorted(out)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


# ---------------------------------------------------------------------------
# The cluster


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalProcessCluster:
    """A scheduler and workers as separate processes on 127.0.0.1, as
    `dask scheduler` and `dask worker` run them on a real cluster."""

    def __init__(self, workdir: str):
        self.workdir = workdir
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.logs = []
        self.workers: dict[str, subprocess.Popen] = {}
        log = open(os.path.join(workdir, "scheduler.log"), "w")
        self.logs.append(log)
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(self.port),
             "--no-dashboard"], stdout=log, stderr=log, env={**os.environ, **PACKAGE_ENV})
        self.procs.append(self.scheduler)

    def start_worker(self, name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(os.path.join(self.workdir, f"worker-{name}.log"), "w")
        self.logs.append(log)
        p = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--name", name, "--nthreads", "1",
             "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--local-directory",
             os.path.join(self.workdir, f"space-{name}")],
            stdout=log, stderr=log, env={**os.environ, **PACKAGE_ENV, **(env or {})})
        self.procs.append(p)
        self.workers[name] = p
        return p

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log in self.logs:
            log.close()


def start_cluster(workdir: str, envs: dict[str, dict[str, str]]) -> tuple[LocalProcessCluster, Client]:
    cluster = LocalProcessCluster(workdir)
    for name, env in envs.items():
        cluster.start_worker(name, env)
    client = Client(cluster.address, timeout="60s")
    client.wait_for_workers(len(envs), timeout=120)
    return cluster, client


# ---------------------------------------------------------------------------


@unittest.skipUnless(BIN and os.access(BIN, os.X_OK), "FINGERPRINT_BIN is not set to the fingerprint binary")
class ClusterJobs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fingerprint-dask-")
        cls.dir = cls.tmp.name
        cls.collection = os.path.join(cls.dir, "collection")
        cls.data = make_collection(cls.collection)
        cls.questioned = os.path.join(cls.dir, "questioned")
        make_questioned(cls.questioned, cls.data)
        cls.real = os.path.join(cls.dir, "real")
        cls.real_count = copy_real_texts(cls.real)
        cls.cluster, cls.client = start_cluster(cls.dir, {"w1": {}, "w2": {}})

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.stop()
        cls.tmp.cleanup()

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    def cli(self, args: list[str]) -> tuple[int, list[str]]:
        """The driver's command line on this cluster, quietly: its status and
        the lines it wrote on standard error."""
        err = self.path("stderr.txt")
        with open(err, "w", encoding="utf-8") as f:
            saved = sys.stderr
            sys.stderr = f
            try:
                got = cli_main(["--scheduler", self.client.scheduler.address, "-q", *args])
            finally:
                sys.stderr = saved
        with open(err, encoding="utf-8") as f:
            return got, f.read().strip().splitlines()

    def settings(self, **kw) -> jobs.SketchSettings:
        return jobs.SketchSettings(globs=["*.txt", "*.jsonl.gz"], **kw)

    def test_sketch_merged_tree_equals_one_sketch(self):
        texts = os.path.join(self.collection, "texts")
        single = self.path("single-texts.fp")
        fingerprint("sketch", texts, "-o", single, "-q", "--glob", "*.txt", "--glob", "*.jsonl.gz")
        out = self.path("dask-texts.fp")
        summary = jobs.sketch(self.client, [texts], self.settings(), output=out, shard_bytes=16 << 10, fan_in=3)
        self.assertGreaterEqual(summary["shards"], 6, "the corpus is cut into enough shards for a merge tree of depth 2")
        self.assertEqual(dump(out), dump(single))
        self.assertFalse(os.path.exists(out + ".shards"), "the shards are removed after the merge")
        # Kept sharded: the manifest's shards, merged by the binary in order, give the same file.
        manifest = jobs.sketch(self.client, [texts], self.settings(), sharded=self.path("texts-sharded"),
                               shard_bytes=16 << 10)
        files = jobs.index_files([manifest["manifest"]])
        merged = self.path("manifest-merged.fp")
        fingerprint("merge", *files, "-o", merged)
        self.assertEqual(dump(merged), dump(single))
        skips = dump(single)["skips"]
        self.assertEqual(len(skips), 2, skips)  # the empty file and the binary one, reported once

    def test_sketch_of_several_inputs_equals_a_sketch_of_their_root(self):
        # A directory and a glob of compressed JSONL files: named as one sketch of the common root names them.
        single = self.path("single-root.fp")
        fingerprint("sketch", self.collection, "-o", single, "-q", "--glob", "*.txt", "--glob", "*.jsonl.gz")
        out = self.path("dask-root.fp")
        inputs = [os.path.join(self.collection, "dumps", "*.jsonl.gz"), os.path.join(self.collection, "texts")]
        jobs.sketch(self.client, inputs, self.settings(), output=out, shard_bytes=32 << 10)
        self.assertEqual(dump(out), dump(single))

    def dedup_and_compare(self, corpus: str, shard_bytes: int, globs: list[str], keep: str = "longest"):
        sharded = self.path(f"dedup-{os.path.basename(corpus)}-{keep}")
        settings = jobs.SketchSettings(globs=globs)
        jobs.sketch(self.client, [corpus], settings, sharded=sharded, shard_bytes=shard_bytes)
        ours = jobs.dedup(self.client, [sharded], keep=keep, partitions=5)
        glob_args = [a for g in globs for a in ("--glob", g)]
        theirs = json.loads(fingerprint("dedup", corpus, "--format", "json", "--keep", keep, "-q", *glob_args))
        for k in ("clusters", "documents", "duplicates", "kept_documents", "candidate_pairs", "verified_pairs",
                  "too_short", "skipped", "bands", "rows", "threshold", "shingle", "perms", "seed", "method", "keep"):
            self.assertEqual(ours[k], theirs[k], k)
        return ours, sharded

    def test_dedup_across_shards_equals_one_dedup(self):
        ours, sharded = self.dedup_and_compare(os.path.join(self.collection, "texts"), 24 << 10, ["*.txt"])
        # The test means something: clusters span shards, and one is past the 64-member chain rule.
        files = jobs.index_files([sharded])
        self.assertGreaterEqual(len(files), 5)
        shard_of = {}
        for i, f in enumerate(files):
            for n in dump(f)["documents"]:
                shard_of[n[1]] = i
        spanning = [c for c in ours["clusters"] if len({shard_of[m["document"]] for m in c["members"]}) > 1]
        self.assertGreaterEqual(len(spanning), 5)
        self.assertTrue(any(c["size"] > 64 for c in ours["clusters"]))
        self.assertGreaterEqual(len(ours["clusters"]), 10)
        self.assertTrue(ours["too_short"])

    def test_dedup_keep_first_equals_one_dedup(self):
        self.dedup_and_compare(os.path.join(self.collection, "texts"), 48 << 10, ["*.txt"], keep="first")

    def test_dedup_of_real_text_equals_one_dedup(self):
        self.assertGreaterEqual(self.real_count, 50, "Debian copyright files as real text")
        ours, _ = self.dedup_and_compare(self.real, 64 << 10, ["*.txt"])
        self.assertGreater(ours["duplicates"], 0, "copyright files repeat the same licences")

    def test_query_against_a_sharded_index_equals_one_query(self):
        texts = os.path.join(self.collection, "texts")
        sharded = self.path("query-index")
        jobs.sketch(self.client, [texts], jobs.SketchSettings(), sharded=sharded, shard_bytes=24 << 10)
        merged = self.path("query-merged.fp")
        fingerprint("merge", *jobs.index_files([sharded]), "-o", merged)
        # A questioned document of fewer than 13 words has no 13-gram: both say so (review 31b).
        short = os.path.join(self.questioned, "zz-short.txt")
        with open(short, "w") as f:
            f.write("a short questioned note of nine words in all\n")
        self.addCleanup(os.unlink, short)
        ours = jobs.query(self.client, [sharded], [self.questioned], workdir=self.dir)
        theirs = json.loads(fingerprint("index", "query", merged, self.questioned, "--top", "0", "--format", "json"))
        self.assertTrue(any("hold no 13-gram" in n for n in theirs["notes"]), theirs["notes"])
        for k in ("results", "grams", "shared_grams", "containment", "candidates", "reference_documents", "threshold",
                  "min_containment", "banding", "tokenizer", "notes", "skipped"):
            self.assertEqual(ours[k], theirs[k], k)
        matched = [r for r in ours["results"] if r["matched"]]
        self.assertGreaterEqual(len(matched), 20, "copies, edited copies and planted passages are found")
        self.assertTrue(any(r["near_duplicates"] == [] and r["matched"] for r in ours["results"]),
                        "a planted passage is found by containment alone")
        # The same through the command line, with --fail-on-match.
        out = self.path("query-cli.json")
        status = cli_main(["--scheduler", self.client.scheduler.address, "-q", "query", sharded, self.questioned,
                           "--workdir", self.dir, "--output", out, "--fail-on-match"])
        self.assertEqual(status, 1)
        with open(out) as f:
            self.assertEqual(json.load(f)["results"], theirs["results"])

    def keyed_index(self, name: str, seed: int) -> tuple[str, str, list[str], str]:
        """A key file, the collection's texts sketched with it into shards, and
        the shards merged by the binary: (key, shard directory, shards, merged)."""
        key = self.path(f"{name}.hex")
        with open(key, "w") as f:
            f.write(random.Random(seed).randbytes(32).hex() + "\n")
        sharded = self.path(name)
        texts = os.path.join(self.collection, "texts")
        jobs.sketch(self.client, [texts], jobs.SketchSettings(key=key), sharded=sharded, shard_bytes=32 << 10)
        files = jobs.index_files([sharded])
        merged = self.path(f"{name}.fp")
        fingerprint("merge", *files, "-o", merged)
        return key, sharded, files, merged

    def test_keyed_query_equals_one_keyed_query(self):
        # Two parties who share a key: the index holds keyed hashes, not text or names.
        key, sharded, _, merged = self.keyed_index("keyed-index", 5)
        self.assertFalse(any("doc0" in str(row[1]) for row in dump(merged)["documents"]), "names are keyed")
        ours = jobs.query(self.client, [sharded], [self.questioned], workdir=self.dir, key=key)
        theirs = json.loads(fingerprint("index", "query", merged, self.questioned, "--key", key, "--top", "0",
                                        "--format", "json"))
        for k in ("results", "grams", "shared_grams", "containment", "candidates"):
            self.assertEqual(ours[k], theirs[k], k)
        self.assertGreaterEqual(sum(r["matched"] for r in ours["results"]), 20)
        # Without the key the index cannot be queried.
        with self.assertRaises(ValueError):
            jobs.query(self.client, [sharded], [self.questioned], workdir=self.dir)

    def test_compare_equals_compare_of_the_texts(self):
        a = os.path.join(REPO, "Corpora", "source-a")
        b = os.path.join(REPO, "Corpora", "copy-a")
        work = self.path("compare-work")
        out = self.path("compare.json")
        # Through the command line, as the README shows it: the binary's options after --.
        status = cli_main(["--scheduler", self.client.scheduler.address, "-q", "compare", a, b, "--workdir", work,
                           "--shard-bytes", "16k", "-o", out, "--", "--permutations", "99", "--passages", "0"])
        self.assertEqual(status, 0)
        single = fingerprint("compare", a, b, "--permutations", "99", "--passages", "0", "--format", "json", "-q")
        with open(out) as f:
            ours = json.load(f)
        theirs = json.loads(single)
        # What differs: the file run says the passages are unavailable (they need the text).
        ours["notes"] = [n for n in ours.get("notes", []) if "unavailable" not in n]
        self.assertEqual(ours, theirs)
        self.assertEqual([f for f in os.listdir(work) if f.endswith(".fp")], [], "the two sketches are removed")

    def test_relative_paths_are_the_clients(self):
        # Workers run in directories of their own; the client's relative paths must still mean its files.
        here = self.path("relative")
        os.makedirs(os.path.join(here, "corpus"))
        for i in range(3):
            with open(os.path.join(here, "corpus", f"d{i}.txt"), "w") as f:
                f.write(" ".join(_text(random.Random(i), 80)) + "\n")
        single = self.path("relative-single.fp")
        fingerprint("sketch", os.path.join(here, "corpus"), "-o", single, "-q")
        saved = os.getcwd()
        os.chdir(here)
        try:
            status = cli_main(["--scheduler", self.client.scheduler.address, "-q", "sketch", "corpus", "-o", "c.fp"])
        finally:
            os.chdir(saved)
        self.assertEqual(status, 0)
        self.assertEqual(dump(os.path.join(here, "c.fp")), dump(single))

    def test_several_inputs_with_a_binary_file_are_one_sketch(self):
        # A glob whose files include an unusable one: skipped and reported, as one sketch of their directory.
        part = os.path.join(self.collection, "texts", "part2")
        single = self.path("part2-single.fp")
        fingerprint("sketch", part, "-o", single, "-q")
        out = self.path("part2-dask.fp")
        jobs.sketch(self.client, [os.path.join(part, "**", "*.txt")], jobs.SketchSettings(), output=out)
        self.assertEqual(dump(out), dump(single))
        self.assertEqual(len(dump(out)["skips"]), 1)

    def test_keyed_shards_and_shards_out_of_order_dedup_as_the_merged_file(self):
        # Keyed names sort by their hashes, not by shard: the driver orders all documents as the merged file does.
        _, sharded, files, merged = self.keyed_index("keyed-dedup", 9)
        theirs = json.loads(fingerprint("dedup", merged, "--format", "json", "-q"))
        for given in ([sharded], list(reversed(files))):
            ours = jobs.dedup(self.client, given)
            for k in ("clusters", "candidate_pairs", "verified_pairs", "too_short", "documents"):
                self.assertEqual(ours[k], theirs[k], k)
        self.assertGreaterEqual(len(theirs["clusters"]), 10)
        with self.assertRaises(ValueError):  # one shard twice
            jobs.dedup(self.client, [files[0], files[1], files[0]])

    def test_scores_and_names_order_as_the_binary(self):
        # A Jaccard of 105/128 = 0.8203125 rounds half away from zero (0.820313), as the binary rounds;
        # names that differ in normalisation sort as Swift compares strings (NFC).
        here = self.path("order")
        os.makedirs(here)
        words = [f"u{i}" for i in range(128)]
        with open(os.path.join(here, "a.txt"), "w") as f:
            f.write(" ".join(words[:116]) + "\n")
        with open(os.path.join(here, "b.txt"), "w") as f:
            f.write(" ".join(words[11:]) + "\n")
        text = " ".join(_text(random.Random(3), 200)) + "\n"
        for name in ("e\u0301.txt", "f.txt"):
            with open(os.path.join(here, name), "w") as f:
                f.write(text)
        sharded = self.path("order-index")
        settings = jobs.SketchSettings(shingle=1, threshold=0.5)
        jobs.sketch(self.client, [here], settings, sharded=sharded, shard_bytes=1 << 10)
        ours = jobs.dedup(self.client, [sharded])
        theirs = json.loads(fingerprint("dedup", here, "--format", "json", "-q", "--shingle", "1", "--threshold", "0.5"))
        self.assertEqual(ours["clusters"], theirs["clusters"])
        scores = [m["score"] for c in ours["clusters"] for m in c["members"] if not m["kept"]]
        self.assertIn(0.820313, scores)
        merged = self.path("order.fp")
        fingerprint("merge", *jobs.index_files([sharded]), "-o", merged)
        q = self.path("order-q")
        os.makedirs(q)
        with open(os.path.join(q, "q.txt"), "w") as f:
            f.write(text)
        got = jobs.query(self.client, [sharded], [q])["results"]
        want = json.loads(fingerprint("index", "query", merged, q, "--top", "0", "--format", "json"))["results"]
        self.assertEqual(got, want)
        self.assertEqual([m["document"] for m in got[0]["near_duplicates"]], ["f.txt", "e\u0301.txt"])

    def test_a_second_job_on_the_same_output_is_refused_and_old_shards_go(self):
        texts = os.path.join(self.collection, "texts")
        out = self.path("locked.fp")
        with jobs._locked(out):
            with self.assertRaises(jobs.Busy):
                jobs.sketch(self.client, [texts], jobs.SketchSettings(), output=out)
        self.assertFalse(os.path.exists(out))
        sharded = self.path("reshard")
        many = jobs.sketch(self.client, [texts], jobs.SketchSettings(), sharded=sharded, shard_bytes=16 << 10)
        few = jobs.sketch(self.client, [texts], jobs.SketchSettings(), sharded=sharded, shard_bytes=64 << 10)
        self.assertLess(few["shards"], many["shards"])
        left = sorted(f for f in os.listdir(sharded) if f != "manifest.json")
        self.assertEqual(left, sorted(os.path.basename(f) for f in jobs.index_files([sharded])))

    def test_an_output_that_is_an_input_is_refused(self):
        """Review 31b: a sketch written over its own text, a report over a shard
        or the manifest of the index it read, and shards written into a folder
        holding the corpus (its own manifest.json replaced), each with exit 0."""
        text = self.path("own-input.txt")
        with open(text, "w") as f:
            f.write("one two three four five six seven eight nine ten eleven twelve thirteen\n")
        sharded = self.path("own-index")
        jobs.sketch(self.client, [self.questioned], jobs.SketchSettings(), sharded=sharded, shard_bytes=24 << 10)
        manifest = os.path.join(sharded, "manifest.json")
        shard = jobs.index_files([sharded])[0]
        folder = self.path("own-folder")
        os.makedirs(os.path.join(folder, "corpus"))
        with open(os.path.join(folder, "corpus", "a.txt"), "w") as f:
            f.write("some text of the folder\n")
        foreign = self.path("own-foreign")
        os.makedirs(foreign)
        with open(os.path.join(foreign, "manifest.json"), "w") as f:
            f.write("{}\n")
        key = self.path("own-key.hex")
        with open(key, "w") as f:
            f.write(random.Random(5).randbytes(32).hex() + "\n")
        listing = self.path("own-list.txt")
        with open(listing, "w") as f:
            f.write(text + "\n")
        before = {p: open(p, "rb").read() for p in (text, manifest, shard, os.path.join(foreign, "manifest.json"), key, listing)}
        for args in (
            ["sketch", text, "-o", text],
            ["sketch", text, "--key", key, "-o", key],
            ["sketch", "@" + listing, "-o", listing],
            ["query", sharded, os.path.join(self.questioned, "*.txt"), "-o", sorted(glob.glob(os.path.join(self.questioned, "*.txt")))[0]],
            ["dedup", sharded, "-o", manifest],
            ["dedup", shard, "-o", shard],
            ["dedup", manifest, "-o", shard],
            ["query", sharded, self.questioned, "-o", os.path.join(self.questioned, "report.json")],
            ["sketch", os.path.join(folder, "corpus"), "--sharded", folder],
            ["sketch", self.questioned, "--sharded", foreign],
        ):
            got, lines = self.cli(args)
            self.assertEqual(got, 64, (args, lines))
            self.assertEqual(len(lines), 1, lines)
        for p, data in before.items():
            with open(p, "rb") as f:
                self.assertEqual(f.read(), data, p)
        self.assertFalse(os.path.exists(os.path.join(folder, "manifest.json")))
        self.assertFalse(os.path.exists(os.path.join(self.questioned, "report.json")))
        # Sketching into the driver's own index again is allowed (it replaces its shards).
        jobs.sketch(self.client, [self.questioned], jobs.SketchSettings(), sharded=sharded, shard_bytes=24 << 10)

    def test_error_lines_escape_what_the_user_gave(self):
        """Review 31b: the driver's own error lines printed the escape sequences
        of an argument (clearing the screen, setting the title)."""
        got, lines = self.cli(["dedup", self.path("nope\x1b[2J\x1b]0;pwned\x07\u202e")])
        line = "\n".join(lines)
        self.assertEqual(got, 66)
        self.assertNotIn("\x1b", line)
        self.assertNotIn("\x07", line)
        self.assertNotIn("\u202e", line)
        self.assertIn("nope\\e[2J\\e]0;pwned\\x07\\u{202E}", line)

    def test_bad_input_is_one_line_and_an_exit_status(self):
        bad = self.path("not-a-manifest.json")
        with open(bad, "w") as f:
            json.dump({"schema": "something else"}, f)
        not_fp = self.path("not-a-fingerprint.fp")
        with open(not_fp, "w") as f:
            f.write("plain text\n")
        listed = self.path("list-manifest.json")
        with open(listed, "w") as f:
            json.dump([1, 2], f)
        for args, status in (
            (["dedup", bad], 65),
            (["dedup", listed], 65),
            (["dedup", not_fp], 65),
            (["dedup", self.path("missing.fp")], 66),
            (["sketch", self.path("missing-dir"), "-o", self.path("x.fp")], 66),
            (["sketch", self.questioned, "-o", self.path("no", "such", "dir", "x.fp")], 74),
            (["sketch", self.questioned, "-o", self.path("x.fp"), "--fan-in", "1"], 65),
            (["query", bad, self.questioned], 65),
            (["dedup", bad, "-o", self.path("no-dir", "x.json")], 74),
        ):
            got, lines = self.cli(args)
            self.assertEqual(got, status, args)
            self.assertEqual(len(lines), 1, lines)
            self.assertTrue(lines[0].startswith("fingerprint-dask: error: "), lines)


@unittest.skipUnless(BIN and os.access(BIN, os.X_OK), "FINGERPRINT_BIN is not set to the fingerprint binary")
class ReferenceGrams(unittest.TestCase):
    """fpfile.reference_grams reads the gram index as the binary writes it:
    after a removal (schema 3: a run of −1s) and from a schema-2 file (runs
    as sets), it is the union of the documents' stored 13-gram sets."""

    def test_the_gram_index_after_a_removal_is_the_union_of_the_documents(self):
        import numpy as np
        from fingerprint_dask import fpfile
        with tempfile.TemporaryDirectory() as d:
            texts = os.path.join(d, "texts")
            os.makedirs(texts)
            source = os.path.join(REPO, "Corpora", "source-a")
            for k in range(1, 5):
                with open(os.path.join(source, f"doc{k:04d}.txt"), "rb") as f:
                    data = f.read()
                with open(os.path.join(texts, f"doc{k:04d}.txt"), "wb") as f:
                    f.write(data)
            with open(os.path.join(texts, "twin.txt"), "wb") as f, open(os.path.join(source, "doc0001.txt"), "rb") as g:
                f.write(g.read())
            idx = os.path.join(d, "idx.fp")
            fingerprint("index", "add", idx, texts, "-q")

            def union() -> np.ndarray:
                with sqlite3.connect(idx) as db:
                    parts = [np.frombuffer(b, dtype="<u8") for (b,) in db.execute("SELECT grams13 FROM documents")]
                return np.unique(np.concatenate(parts))

            np.testing.assert_array_equal(fpfile.reference_grams(idx), union())
            fingerprint("index", "remove", idx, "twin.txt", "doc0002.txt")
            with sqlite3.connect(idx) as db:
                negative = [c for (c,) in db.execute("SELECT counts FROM gram_blocks WHERE counts IS NOT NULL")
                            if (np.frombuffer(c, dtype="<i4")[1::2] < 0).any()]
            self.assertTrue(negative, "the removal wrote a run of negative counts")
            np.testing.assert_array_equal(fpfile.reference_grams(idx), union())
            # A schema-2 file: the same runs without counts, read as sets.
            fingerprint("index", "add", os.path.join(d, "v2.fp"), texts, "-q")
            with sqlite3.connect(os.path.join(d, "v2.fp")) as db:
                db.execute("ALTER TABLE gram_blocks DROP COLUMN counts")
                db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
            idx = os.path.join(d, "v2.fp")
            np.testing.assert_array_equal(fpfile.reference_grams(idx), union())


@unittest.skipUnless(BIN and os.access(BIN, os.X_OK), "FINGERPRINT_BIN is not set to the fingerprint binary")
class ReferenceBands(unittest.TestCase):
    """fpfile.bands reads the band index as the binary writes it: after a
    removal (a run of −1s) it holds what a sketch of the remaining documents
    holds, a schema-3 file's table of the same keys reads alike, and an
    emptied index or a block of a band the file does not have is refused."""

    def test_the_band_index_after_a_removal_and_as_a_table(self):
        with tempfile.TemporaryDirectory() as d:
            texts, rest = os.path.join(d, "texts"), os.path.join(d, "rest")
            os.makedirs(texts)
            os.makedirs(rest)
            source = os.path.join(REPO, "Corpora", "source-a")
            for name in ["doc0001.txt", "doc0002.txt", "doc0003.txt", "doc0004.txt", "twin.txt"]:
                with open(os.path.join(source, "doc0001.txt" if name == "twin.txt" else name), "rb") as f:
                    data = f.read()
                for folder in [texts] + ([rest] if name not in ("twin.txt", "doc0002.txt") else []):
                    with open(os.path.join(folder, name), "wb") as f:
                        f.write(data)
            idx, fresh = os.path.join(d, "idx.fp"), os.path.join(d, "fresh.fp")
            fingerprint("index", "add", idx, texts, "-q")
            fingerprint("index", "remove", idx, "twin.txt", "doc0002.txt")
            fingerprint("sketch", rest, "-o", fresh, "-q")

            def by_name(path: str) -> list:
                b, h, doc = fpfile.bands(path)
                with sqlite3.connect(path) as db:
                    names = dict(db.execute("SELECT id, name FROM documents").fetchall())
                return sorted(zip(b.tolist(), h.tolist(), [names[x] for x in doc.tolist()]))

            with sqlite3.connect(idx) as db:
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                negative = [c for (c,) in db.execute("SELECT counts FROM band_blocks WHERE counts IS NOT NULL")
                            if (np.frombuffer(c, dtype="<i4")[1::2] < 0).any()]
            self.assertTrue(negative, "the removal wrote a run of negative counts")
            held = by_name(idx)
            self.assertEqual(len(held), 3 * int(meta["bands"]))
            self.assertEqual(held, by_name(fresh))
            # Schema 3: the same keys in the table, a row a key.
            old = os.path.join(d, "old.fp")
            shutil.copyfile(idx, old)
            b, h, doc = fpfile.bands(idx)
            with sqlite3.connect(old) as db:
                db.execute("CREATE TABLE bands(band INTEGER NOT NULL, hash INTEGER NOT NULL, document INTEGER NOT NULL, "
                           "PRIMARY KEY(band, hash, document)) WITHOUT ROWID")
                db.executemany("INSERT INTO bands VALUES(?, ?, ?)", zip(b.tolist(), h.tolist(), doc.tolist()))
                db.execute("DROP TABLE band_blocks")
                db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
            self.assertEqual(by_name(old), held)
            for k, sql in enumerate(["DELETE FROM band_blocks", f"UPDATE band_blocks SET band = {meta['bands']}"]):
                bad = os.path.join(d, f"bad{k}.fp")
                shutil.copyfile(idx, bad)
                with sqlite3.connect(bad) as db:
                    db.execute(sql)
                with self.assertRaisesRegex(ValueError, "the band index is damaged"):
                    fpfile.bands(bad)


@unittest.skipUnless(BIN and os.access(BIN, os.X_OK), "FINGERPRINT_BIN is not set to the fingerprint binary")
class WorkerKilled(unittest.TestCase):
    """One of two workers killed with SIGKILL while it runs a task; the
    scheduler moves its tasks to the other worker and the result is the
    uninterrupted run's. The victim is slowed by the driver's fault-injection
    knob (FINGERPRINT_DASK_TASK_DELAY, seconds at the start of each task),
    so that it is certainly in the middle of a task when it dies."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="fingerprint-dask-fault-")
        self.dir = self.tmp.name
        self.collection = os.path.join(self.dir, "collection")
        make_collection(self.collection, seed=3, docs=160)
        self.texts = os.path.join(self.collection, "texts")
        self.cluster, self.client = start_cluster(
            self.dir, {"healthy": {}, "victim": {"FINGERPRINT_DASK_TASK_DELAY": "3"}})

    def tearDown(self):
        self.client.close()
        self.cluster.stop()
        self.tmp.cleanup()

    def kill_victim_during(self, job, prefix):
        """Runs `job()` in a thread; kills the victim once it is running a task whose key starts with `prefix` (a string or tuple)."""
        t, result = _in_thread(job)
        victim = self.cluster.workers["victim"]
        address = next(a for a, w in self.client.scheduler_info()["workers"].items() if w["name"] == "victim")
        deadline = time.time() + 120
        killed_during = None
        while time.time() < deadline and t.is_alive():
            running = [k for k in self.client.processing([address]).get(address, []) if str(k).startswith(prefix)]
            if running:
                time.sleep(0.5)  # inside the task's 3 s
                killed_during = running
                victim.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
        t.join(timeout=300)
        self.assertIsNotNone(killed_during, f"the victim never ran a {prefix} task")
        self.assertEqual(victim.wait(timeout=10), -signal.SIGKILL)
        if "error" in result:
            raise result["error"]
        return result["value"]

    def test_sketch_survives_a_killed_worker(self):
        single = os.path.join(self.dir, "single.fp")
        fingerprint("sketch", self.texts, "-o", single, "-q")
        out = os.path.join(self.dir, "dask.fp")
        summary = self.kill_victim_during(
            lambda: jobs.sketch(self.client, [self.texts], jobs.SketchSettings(), output=out, shard_bytes=16 << 10),
            "sketch-")
        self.assertGreaterEqual(summary["shards"], 4)
        self.assertEqual(dump(out), dump(single))

    def test_sketch_survives_a_worker_killed_while_its_binary_writes(self):
        # The victim's fingerprint child is stopped mid-run (its temporary file exists), then the worker is
        # killed: the child must die with it (no orphan renaming a late copy), and the result must not change.
        single = os.path.join(self.dir, "single-mid.fp")
        fingerprint("sketch", self.texts, "-o", single, "-q")
        out = os.path.join(self.dir, "dask-mid.fp")
        victim = self.cluster.workers["victim"]
        t, result = _in_thread(
            lambda: jobs.sketch(self.client, [self.texts], jobs.SketchSettings(), output=out, shard_bytes=16 << 10))
        child = None
        deadline = time.time() + 120
        while child is None and time.time() < deadline:
            for pid in _children(victim.pid):
                if os.path.basename(os.readlink(f"/proc/{pid}/exe")) == os.path.basename(BIN):
                    os.kill(pid, signal.SIGSTOP)
                    child = pid
                    break
            time.sleep(0.002)
        self.assertIsNotNone(child, "the victim never ran the binary")
        # Let it run a millisecond at a time until its temporary file exists.
        temporary: list[str] = []
        deadline = time.time() + 60
        while not temporary and time.time() < deadline and _state(child) not in ("Z", "gone"):
            temporary = [f for f in os.listdir(out + ".shards") if f.endswith(f".tmp-{child}")]
            if not temporary:
                os.kill(child, signal.SIGCONT)
                time.sleep(0.001)
                os.kill(child, signal.SIGSTOP)
                time.sleep(0.005)
        victim.send_signal(signal.SIGKILL)
        self.assertEqual(victim.wait(timeout=10), -signal.SIGKILL)
        t.join(timeout=300)
        if "error" in result:
            raise result["error"]
        deadline = time.time() + 10
        while os.path.exists(f"/proc/{child}") and _state(child) != "Z" and time.time() < deadline:
            time.sleep(0.05)
        self.assertFalse(os.path.exists(f"/proc/{child}") and _state(child) != "Z", "the binary outlived its worker")
        self.assertEqual(dump(out), dump(single))
        self.assertTrue(temporary, "the binary was stopped in the middle of writing its shard")
        self.assertFalse(os.path.exists(out + ".shards"), "no shard or temporary file is left behind")

    def test_dedup_survives_a_killed_worker(self):
        sharded = os.path.join(self.dir, "sharded")
        # Sketched before the fault (by both workers, the victim slowly).
        jobs.sketch(self.client, [self.texts], jobs.SketchSettings(), sharded=sharded, shard_bytes=24 << 10)
        report = self.kill_victim_during(lambda: jobs.dedup(self.client, [sharded], partitions=4), ("bands-", "cand-", "verify-"))
        theirs = json.loads(fingerprint("dedup", self.texts, "--format", "json", "-q"))
        for k in ("clusters", "candidate_pairs", "verified_pairs", "too_short", "documents"):
            self.assertEqual(report[k], theirs[k], k)
        self.assertGreater(len(report["clusters"]), 5)


if __name__ == "__main__":
    unittest.main()


class StaleTemporaries(unittest.TestCase):
    def test_a_killed_final_merge_leaves_no_temporary(self):
        """Review 31b: a worker killed while its binary wrote the final merge left
        `.OUTPUT.tmp-PID` beside the output; the job removes such files, and
        only those."""
        with tempfile.TemporaryDirectory() as d:
            names = ["all.fp", ".all.fp.tmp-123", ".all.fp.tmp-45x", ".other.fp.tmp-123", "all.fp.lock"]
            for n in names:
                with open(os.path.join(d, n), "w") as f:
                    f.write("x")
            jobs._clear_stale_temporaries(os.path.join(d, "all.fp"))
            self.assertEqual(sorted(os.listdir(d)), sorted(n for n in names if n != ".all.fp.tmp-123"))
