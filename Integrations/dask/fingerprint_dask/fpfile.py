"""Reading fingerprint files (docs/FINGERPRINT-FILES.md, schema versions 1 to 3).

A `.fp` is an SQLite database; the driver reads the tables it needs for the
distributed stages (LSH bands, shingle and 13-gram sets, names) with the
standard library's sqlite3. Shards are not changed while a job reads them,
so they are opened read-only and immutable (no lock, no -wal/-shm files).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass

import numpy as np

# Version 2 added the gram index (the table gram_blocks); version 1 files are read without it.
# Version 3 gave the gram index's runs counts (the column gram_blocks.counts), so that removing
# a document subtracts its 13-grams; version 2's runs are sets.
SCHEMA_VERSIONS = ("1", "2", "3", "4")

# The parameters that must agree for two files to be compared (as the binary
# checks them), and the LSH banding the stored bands were made with.
COMPATIBILITY = ("tokenizer", "shingle", "permutations", "hash_seed", "key_id", "keyed")
BANDING = ("bands", "rows", "threshold")


def connect(path: str) -> sqlite3.Connection:
    """A read-only connection. A file without a pending write-ahead log is
    opened immutable (no lock, no -shm file, fine on read-only storage); one
    with a non-empty -wal (an `index add` committed but not yet checkpointed)
    is opened normally, so that the committed rows are read."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such fingerprint file")
    try:
        pending = os.path.getsize(path + "-wal") > 0
    except OSError:
        pending = False
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + ("?mode=ro" if pending else "?mode=ro&immutable=1")
    return sqlite3.connect(uri, uri=True)


@contextlib.contextmanager
def opened(path: str):
    db = connect(path)
    try:
        yield db
    finally:
        db.close()


def meta(path: str) -> dict[str, str]:
    with opened(path) as db:
        try:
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as e:
            raise ValueError(f"{path}: not a fingerprint file ({e})") from None
    if rows.get("schema_version") not in SCHEMA_VERSIONS:
        raise ValueError(f"{path}: fingerprint file schema {rows.get('schema_version')!r}, "
                         f"this driver reads {', '.join(SCHEMA_VERSIONS)}")
    return rows


def require_compatible(paths: list[str], metas: list[dict[str, str]], keys=COMPATIBILITY + BANDING) -> dict[str, str]:
    """The first file's meta, after checking that every file agrees on `keys`."""
    first = metas[0]
    for path, m in zip(paths[1:], metas[1:]):
        for k in keys:
            if m.get(k) != first.get(k):
                raise ValueError(f"{path}: {k} is {m.get(k)!r}, {paths[0]} has {first.get(k)!r}; sketch the shards alike")
    return first


@dataclass
class Documents:
    """A file's documents in reading order (the order of `ord`, `line`)."""

    ids: np.ndarray  # int64 row ids, in reading order
    names: list[str]
    tokens: np.ndarray  # int64: tokens of the shingle stream (what dedup's `longest` compares)
    usable: np.ndarray  # bool: at least one shingle (a near-duplicate is possible)
    keys: list[tuple[bytes, int]]  # the reading order's sort key of each document


def documents(path: str) -> Documents:
    with opened(path) as db:
        rows = db.execute(
            "SELECT id, name, shingle_tokens, length(shingles), ord, line FROM documents ORDER BY ord, line").fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    tokens = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
    usable = np.fromiter((r[3] > 0 for r in rows), dtype=bool, count=len(rows))
    # SQLite orders NULL lines first; -1 does the same here.
    keys = [(bytes(r[4]), -1 if r[5] is None else r[5]) for r in rows]
    return Documents(ids, [r[1] for r in rows], tokens, usable, keys)


def skips(path: str) -> list[dict[str, str]]:
    with opened(path) as db:
        return [{"path": p, "reason": r} for p, r in db.execute("SELECT path, reason FROM skips ORDER BY rowid")]


def bands(path: str, only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(band, hash, row id) of every stored LSH band key (the hash as int64,
    its bit pattern); with `only` (int64 hashes), just the keys among them.
    Schema 4 keeps them in the band index, `band_blocks` (docs/FINGERPRINT-
    FILES.md): runs of blocks of one band, each block's keys (uint64), row ids
    (uint32, or int64 when any does not fit) and counts (NULL for all 1, else
    int32 (position, count) pairs); a document holds a key when its counts
    over the runs sum to 1. Schemas 1-3: the `bands` table, a row a key."""
    with opened(path) as db:
        db.execute("BEGIN")  # one snapshot: the schema and the blocks of the same commit
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is not None and row[0] in ("1", "2", "3"):
            # Streamed from the cursor into one array (no list of row tuples:
            # a shard of a million documents has nine million band rows).
            n = db.execute("SELECT count(*) FROM bands").fetchone()[0]
            a = np.fromiter(db.execute("SELECT band, hash, document FROM bands"),
                            dtype=[("band", "<i8"), ("hash", "<i8"), ("document", "<i8")], count=n)
            keep = np.ones(n, dtype=bool) if only is None else np.isin(a["hash"], only)
            return a["band"][keep].copy(), a["hash"][keep].copy(), a["document"][keep].copy()
        def damaged(what: str) -> ValueError:
            return ValueError(f"{path}: the band index is damaged ({what}); "
                              f"fingerprint merge {path} -o NEW.fp rebuilds it from the documents")
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'band_blocks'").fetchone() is None:
            raise damaged("it has no band_blocks table")
        settings = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('bands', 'shingle')").fetchall())
        nbands, shingle = int(settings.get("bands", 0)), int(settings.get("shingle", 0))
        parts = []
        blocks = 0
        for band, hashes, documents, exceptions in db.execute("SELECT band, hashes, documents, counts FROM band_blocks"):
            blocks += 1
            if not isinstance(band, int) or not 0 <= band < nbands:
                raise damaged(f"a block of band {band!r}, of {nbands}")
            n = len(hashes) // 8
            if (not hashes or len(hashes) % 8 or len(documents) not in (4 * n, 8 * n)
                    or (exceptions is not None and len(exceptions) % 8)):
                raise damaged("a block's lengths do not agree")
            h = np.frombuffer(hashes, dtype="<i8")
            d = np.frombuffer(documents, dtype="<u4" if len(documents) == 4 * n else "<i8").astype(np.int64)
            c = np.ones(n, dtype=np.int64)
            if exceptions:
                pairs = np.frombuffer(exceptions, dtype="<i4").reshape(-1, 2)
                if pairs[:, 0].min() < 0 or pairs[:, 0].max() >= n or (pairs[:, 1] == 0).any():
                    raise damaged("a block's counts do not fit it")
                c[pairs[:, 0]] = pairs[:, 1]
            keep = slice(None) if only is None else np.isin(h, only)
            if (d < 1).any():
                raise damaged("a row id below 1")
            parts.append((np.full(n, band, dtype=np.int64)[keep], h[keep], d[keep], c[keep]))
        # No blocks while documents have band keys: an index emptied by hand.
        if blocks == 0 and db.execute("SELECT 1 FROM documents WHERE shingle_tokens >= ? AND length(shingles) > 0 LIMIT 1",
                                      (shingle,)).fetchone() is not None:
            raise damaged("it has no blocks, but documents have band keys")
    b, h, d, c = (np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, dtype=np.int64) for k in range(4))
    if len(b) == 0:
        return b, h, d
    # Each (band, hash, document)'s counts summed over the runs.
    order = np.lexsort((d, h, b))
    b, h, d, c = b[order], h[order], d[order], c[order]
    starts = np.flatnonzero(np.r_[True, (b[1:] != b[:-1]) | (h[1:] != h[:-1]) | (d[1:] != d[:-1])])
    sums = np.add.reduceat(c, starts)
    if ((sums != 0) & (sums != 1)).any():
        raise ValueError(f"{path}: the band index is damaged (a document holds a band key more than once, or less than never); "
                         f"fingerprint merge {path} -o NEW.fp rebuilds it from the documents")
    held = starts[sums == 1]
    return b[held], h[held], d[held]


_COLUMNS = ("shingles", "grams8", "grams13")


def uint64_blobs(path: str, column: str, ids) -> dict[int, np.ndarray]:
    """The `column` blob (little-endian uint64 array) of each row id in `ids`."""
    assert column in _COLUMNS
    wanted = sorted({int(i) for i in ids})
    out: dict[int, np.ndarray] = {}
    with opened(path) as db:
        for k in range(0, len(wanted), 500):
            chunk = wanted[k:k + 500]
            marks = ",".join("?" * len(chunk))
            for i, blob in db.execute(f"SELECT id, {column} FROM documents WHERE id IN ({marks})", chunk):
                out[i] = np.frombuffer(blob, dtype="<u8")
    missing = [i for i in wanted if i not in out]
    if missing:
        raise ValueError(f"{path}: no document with id {missing[0]}")
    return out


def all_uint64(path: str, column: str) -> np.ndarray:
    """The distinct values of `column` over every document of the file, sorted."""
    assert column in _COLUMNS
    with opened(path) as db:
        parts = [np.frombuffer(b, dtype="<u8") for (b,) in db.execute(f"SELECT {column} FROM documents")]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)


def reference_grams(path: str) -> np.ndarray:
    """The distinct 13-gram hashes of every document of the file, sorted:
    from its gram index (schema 2 and 3, without reading the document rows),
    else from every document's set. Schema 3: a hash is held when its counts
    over the runs sum above zero (a block's counts: NULL for all 1, else
    little-endian int32 (position, count) pairs); schema 2: every run is a set."""
    with opened(path) as db:
        try:
            db.execute("BEGIN")  # one snapshot: the schema and the blocks of the same commit
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                raise ValueError(f"{path}: not a fingerprint file (no schema_version)")
            if row[0] != "1":
                column = "counts" if row[0] != "2" else "NULL"
                values, counts = [], []
                for grams, exceptions in db.execute(f"SELECT grams, {column} FROM gram_blocks"):
                    if len(grams) % 8 or not grams or (exceptions is not None and len(exceptions) % 8):
                        raise ValueError(f"{path}: the gram index is damaged (a block's length is not a whole number "
                                         "of hashes, or its counts do not fit it)")
                    v = np.frombuffer(grams, dtype="<u8")
                    c = np.ones(len(v), dtype=np.int64)
                    if exceptions is not None:
                        pairs = np.frombuffer(exceptions, dtype="<i4").reshape(-1, 2)
                        if len(pairs) and (pairs[0, 0] < 0 or pairs[-1, 0] >= len(v) or (np.diff(pairs[:, 0]) <= 0).any()
                                           or (pairs[:, 1] == 0).any()):
                            raise ValueError(f"{path}: the gram index is damaged (its counts do not fit a block)")
                        c[pairs[:, 0]] = pairs[:, 1]
                    values.append(v)
                    counts.append(c)
                if not values:
                    return np.zeros(0, dtype=np.uint64)
                unique, where = np.unique(np.concatenate(values), return_inverse=True)
                total = np.zeros(len(unique), dtype=np.int64)
                np.add.at(total, where, np.concatenate(counts))
                if (total < 0).any():
                    raise ValueError(f"{path}: the gram index is damaged (a 13-gram held by fewer than no documents)")
                return unique[total > 0]
        except sqlite3.DatabaseError as e:
            raise ValueError(f"{path}: cannot read the gram index ({e})") from None
    return all_uint64(path, "grams13")


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|A ∩ B| / |A ∪ B| of two sorted distinct sets (0 when both are empty), as `dedup` verifies."""
    if len(a) == 0 and len(b) == 0:
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
