#!/bin/sh
# The floor of an LSH probe through SQLite, for issue 13's "query >= 20x
# datasketch" (BENCHMARKS.md, "Session 30: the floor of a query through
# SQLite"). Two probes, each in a fresh process on a file it writes first:
#   filter.c  9 per-band blocked Bloom filters over 1,000,000 keys each (8, 10,
#             12 bits a key) read through SQLite (without and with mmap) and
#             probed by 10,000 keys a band: the least any layout that does not
#             read every key must pay.
#   fetch.c   1,264 entries (the benchmark's candidate pairs) fetched one by
#             one from 4,400 stored blocks of 2,048 keys (sqlite3_blob_reopen
#             and two small reads, then a prepared SELECT of the row), in
#             files of 64 KB and of 4 KB pages: what a layout that reads only
#             the blocks its hits fall in pays a hit.
#   rows.c    the same 1,264 fetches from a table of 9,000,000 rows of 12
#             bytes (a row a key: its documents), 4 KB and 64 KB pages: the
#             cheapest per-hit cost of any layout.
# Needs gcc and libsqlite3-dev. Usage: run.sh [WORKDIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
w=${1:-$(mktemp -d)}
mkdir -p "$w"
gcc -O2 -o "$w/filter" "$here/filter.c" -lsqlite3
gcc -O2 -o "$w/fetch" "$here/fetch.c" -lsqlite3
gcc -O2 -o "$w/rows" "$here/rows.c" -lsqlite3
for bits in 8 10 12; do
    rm -f "$w/f$bits.db"*
    "$w/filter" "$w/f$bits.db" 1 $bits 0
    for m in 0 1000000000; do "$w/filter" "$w/f$bits.db" 0 $bits $m; "$w/filter" "$w/f$bits.db" 0 $bits $m; done
done
for page in 65536 4096; do
    rm -f "$w/b.db"*
    "$w/fetch" "$w/b.db" 1 0 $page
    echo "page size $page:"
    for m in 0 1000000000; do "$w/fetch" "$w/b.db" 0 $m; "$w/fetch" "$w/b.db" 0 $m; done
done
for page in 4096 65536; do
    rm -f "$w/k.db"*
    "$w/rows" "$w/k.db" 1 9000000 $page
    echo "rows, page size $page:"
    "$w/rows" "$w/k.db" 0 9000000; "$w/rows" "$w/k.db" 0 9000000
done
rm -f "$w"/*.db*
