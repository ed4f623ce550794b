#!/usr/bin/env bash
# Benchmarks/compressed.sh DIR [BINARY]
#
# Reading compressed corpora against the system's decompressors, in one run
# on the same files: DIR's *.txt files are copied and compressed with gzip
# (-6) and zstd (-3) into a scratch directory, then each is read by
#   - `fingerprint stats` (decompression, tokenizing and counting, both cores), and
#   - `zcat` / `zstdcat` piped to `wc -c` (decompression alone, one core),
# each timed as the best of 3. Prints a Markdown table (BENCHMARKS.md).
set -euo pipefail
dir=${1:?usage: Benchmarks/compressed.sh DIR [BINARY]}
bin=${2:-.build/release/fingerprint}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/plain" "$work/gz" "$work/zst"
(cd "$dir" && find . -name '*.txt' -print0 | xargs -0 cp --parents -t "$work/plain")
cp -r "$work/plain/." "$work/gz/"
cp -r "$work/plain/." "$work/zst/"
find "$work/gz" -name '*.txt' -print0 | xargs -0 -n 500 -P 2 gzip -6 -q
find "$work/zst" -name '*.txt' -print0 | xargs -0 -n 500 -P 2 zstd -3 -q --rm
files=$(find "$work/plain" -name '*.txt' | wc -l)
bytes=$(find "$work/plain" -name '*.txt' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)

best() { # best wall time of 3 runs of "$@", in seconds
  local b=999999 t
  for _ in 1 2 3; do
    /usr/bin/time -f %e -o "$work/time" "$@" > /dev/null 2>&1
    t=$(tail -1 "$work/time")
    b=$(echo "$t $b" | awk '{print ($1 < $2) ? $1 : $2}')
  done
  echo "$b"
}
t_plain=$(best "$bin" stats "$work/plain" --format json -q)
t_gz=$(best "$bin" stats "$work/gz" --format json -q)
t_zst=$(best "$bin" stats "$work/zst" --format json -q)
t_zcat=$(best sh -c "find '$work/gz' -name '*.gz' -print0 | xargs -0 zcat | wc -c")
t_zstdcat=$(best sh -c "find '$work/zst' -name '*.zst' -print0 | xargs -0 zstdcat -q | wc -c")
mb=$(echo "$bytes" | awk '{printf "%.0f", $1/1e6}')
rate() { echo "$bytes $1" | awk '{printf "%.0f", $1/1e6/$2}'; }
echo "$files files, $mb MB of text ($(nproc) cores; $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))"
echo
echo "| read | time | MB/s of text |"
echo "| --- | ---: | ---: |"
echo "| fingerprint stats, plain files | ${t_plain} s | $(rate "$t_plain") |"
echo "| fingerprint stats, .gz | ${t_gz} s | $(rate "$t_gz") |"
echo "| zcat \| wc -c | ${t_zcat} s | $(rate "$t_zcat") |"
echo "| fingerprint stats, .zst | ${t_zst} s | $(rate "$t_zst") |"
echo "| zstdcat \| wc -c | ${t_zstdcat} s | $(rate "$t_zstdcat") |"
