#!/usr/bin/env bash
# Benchmarks/ingest.sh [BINARY] [DATA_DIR] [REPEAT]
#
# Issue 16's ingest benchmark in one run: generates (once, into DATA_DIR,
# default /tmp/fingerprint-bench/ingest-104MB) 104 MB of Zipf text over 50,000
# types with Benchmarks/peers/ingest_data.py, as 99 files of ~1.04 MB
# (large/), as the same bytes cut into 11,009 files of ~9 KB (small/), and as
# one 104 MB file (single/); then runs Benchmarks/peers/ingest.py on each:
# `fingerprint stats` against `find | xargs cat | wc -w` (LC_ALL=C.UTF-8),
# `find | xargs cat > /dev/null` and scikit-learn's CountVectorizer (large
# files only: it takes ~20 s a run), best of REPEAT (default 5) in turns.
# Then `stats` on the single file with --threads 1 (with 2, the file is read
# in parts by both cores), and a check that each set's JSON report is the
# same bytes with --threads 1 and 2 (exit 1 if not). Needs numpy (generator)
# and scikit-learn.
set -euo pipefail
bin=${1:-.build/release/fingerprint}
data=${2:-${FINGERPRINT_BENCH_DATA:-/tmp/fingerprint-bench}/ingest-104MB}
repeat=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -e "$data/.complete" ]; then
  rm -rf "$data"
  python3 "$here/peers/ingest_data.py" "$data"
  mkdir -p "$data/single"
  cat "$data"/large/*.txt > "$data/single/all.txt"
  touch "$data/.complete"
fi
cat "$data"/large/*.txt "$data"/single/all.txt > /dev/null   # warm the page cache
find "$data/small" -name '*.txt' -print0 | xargs -0 cat > /dev/null
echo "== large files"
python3 "$here/peers/ingest.py" "$bin" "$data/large" --repeat "$repeat"
echo "== small files"
python3 "$here/peers/ingest.py" "$bin" "$data/small" --repeat "$repeat" --no-sklearn
echo "== one file"
python3 "$here/peers/ingest.py" "$bin" "$data/single" --repeat "$repeat" --no-sklearn
echo "== one file, --threads 1 (the same bytes out as with 2)"
python3 "$here/peers/ingest.py" "$bin" "$data/single" --repeat "$repeat" --no-sklearn --threads 1
echo "== the same report with --threads 1 and 2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for d in large small single; do
  "$bin" stats "$data/$d" --format json -q --threads 1 > "$tmp/1.json"
  "$bin" stats "$data/$d" --format json -q --threads 2 > "$tmp/2.json"
  if cmp -s "$tmp/1.json" "$tmp/2.json"; then echo "$d: identical"; else echo "$d: DIFFERENT"; status=1; fi
done
exit $status
