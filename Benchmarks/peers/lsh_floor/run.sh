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
#             and two small reads): what a layout that reads only the blocks
#             its hits fall in pays a hit.
# Needs gcc and libsqlite3-dev. Usage: run.sh [WORKDIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
w=${1:-$(mktemp -d)}
mkdir -p "$w"
gcc -O2 -o "$w/filter" "$here/filter.c" -lsqlite3
gcc -O2 -o "$w/fetch" "$here/fetch.c" -lsqlite3
for bits in 8 10 12; do
    rm -f "$w/f$bits.db"*
    "$w/filter" "$w/f$bits.db" 1 $bits 0
    for m in 0 1000000000; do "$w/filter" "$w/f$bits.db" 0 $bits $m; "$w/filter" "$w/f$bits.db" 0 $bits $m; done
done
rm -f "$w/b.db"*
"$w/fetch" "$w/b.db" 1 0
for m in 0 1000000000; do "$w/fetch" "$w/b.db" 0 $m; "$w/fetch" "$w/b.db" 0 $m; done
