#!/usr/bin/env bash
# Scripts/review-cases.sh [BINARY]
#
# Re-runs, from the command line, the 21 cases of the hostile review in
# issue 15 (the regression tests are testFinding01... in
# Tests/FingerprintCLITests/ReliabilityTests.swift) with the review's own
# sizes where the machine allows, and prints one line a case: what the
# binary did (exit status, the first line of standard error, the check).
# Everything is written under a private temporary directory, device nodes
# included (mknod needs root; without it case 4's device checks are left
# out). Needs python3, /usr/bin/time and about 3 GB of free disk space for
# case 21's 200 MB corpus. Takes a few minutes on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
fp=$(realpath "${1:-.build/release/fingerprint}")
[ -x "$fp" ] || { echo "review-cases.sh: no binary $fp (swift build -c release)" >&2; exit 64; }
C=$PWD/Corpora
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# one "what" status "detail"
say() { printf '%-3s %-58s exit %-4s %s\n' "$1" "$2" "$3" "$4"; }
first() { head -c 400 "$1" | head -1 | cut -c1-110; }
peak() { sed -n 's/^peak \([0-9]*\)$/\1/p' "$1" | awk '{printf "%.0f MB", $1 / 1024}'; }
timed() { /usr/bin/time -f "peak %M" -o time.txt "$@"; }

# 1. permutations x features held at once (the review: 32 GB, abort).
python3 - << 'EOF'
import os
for side in "ab":
    os.makedirs(f"vocab/{side}", exist_ok=True)
    for d in range(50):
        words = [f"{side}{d}w{i}" for i in range(250)] + [f"common{(d * 7 + i) % 300}" for i in range(150)]
        open(f"vocab/{side}/doc{d:03d}.txt", "w").write(" ".join(words))
EOF
timed "$fp" compare vocab/a vocab/b --features 20000 --permutations 400000 --bootstrap 0 --passages 0 --format json > out.json 2> err.txt
s=$?
detail=$(python3 -c "import json; t = json.load(open('out.json'))['test']; print(f\"{t['permutations']} permutations over {t['features']} features\")" 2> /dev/null)
say 1 "compare vocab/a vocab/b --features 20000 --permutations 400000" $s "$detail, peak $(peak time.txt)"

# 2, 3. out-of-range values trapped.
for args in "--method minhash --shingle 0" "--method minhash --shingle 65" "--method minhash --shingle 100000" "--tile 9223372036854775807"; do
  # shellcheck disable=SC2086
  "$fp" batch "$C/source-a" $args > out.txt 2> err.txt
  s=$?
  n=2
  [[ $args == --tile* ]] && n=3
  say $n "batch source-a $args" $s "$(first err.txt)"
done

# 4. --output onto a device node, FIFO or symlink.
if mknod dev-null c 1 3 2> /dev/null && mknod dev-full c 1 7 2> /dev/null; then
  "$fp" stats "$C/source-a" --format json --output dev-null 2> err.txt
  s=$?
  say 4 "stats source-a --output PRIVATE/null (mknod c 1 3)" $s "still a character device: $([ -c dev-null ] && echo yes || echo NO)"
  "$fp" stats "$C/source-a" --output dev-full 2> err.txt
  s=$?
  say 4 "stats source-a --output PRIVATE/full (mknod c 1 7)" $s "$(first err.txt)"
else
  say 4 "device nodes" - "left out: mknod needs root"
fi
mkfifo fifo
cat fifo > fifo.out &
"$fp" stats "$C/source-a" --format json --output fifo 2> err.txt
s=$?
wait
say 4 "stats source-a --output FIFO (a reader on it)" $s "still a FIFO: $([ -p fifo ] && echo yes || echo NO); the reader got $(wc -c < fifo.out) bytes"
echo old > real.json
ln -s real.json link.json
"$fp" stats "$C/source-a" --format json --output link.json 2> err.txt
s=$?
say 4 "stats source-a --output SYMLINK" $s "still a link: $([ -L link.json ] && echo yes || echo NO); its target: $(head -c 40 real.json | tr '\n' ' ')"

# 5. an output naming an input.
echo "some words here" > one.txt
"$fp" stats one.txt --output one.txt 2> err.txt
say 5 "stats one.txt --output one.txt" $? "$(first err.txt); one.txt: $(cat one.txt)"
mkdir corpus5 && echo "alpha beta gamma" > corpus5/doc0001.txt && echo "delta epsilon zeta" > corpus5/doc0002.txt
"$fp" batch corpus5 --output corpus5/doc0001.txt 2> err.txt
say 5 "batch corpus5 --output corpus5/doc0001.txt" $? "$(first err.txt)"
printf '{"text": "one two three four five six"}\n{"text": "one two three four five six"}\n' > in.jsonl
"$fp" dedup in.jsonl --format jsonl --output in.jsonl 2> err.txt
say 5 "dedup in.jsonl --format jsonl --output in.jsonl" $? "$(first err.txt); in.jsonl: $(wc -c < in.jsonl) bytes"

# 6. --write-kept into a non-empty directory after the report.
mkdir kept && echo x > kept/x.txt
"$fp" dedup "$C/near-dups" --write-kept kept --output out6.json 2> err.txt
say 6 "dedup near-dups --write-kept NONEMPTY --output out6.json" $? "$(first err.txt); out6.json written: $([ -e out6.json ] && echo YES || echo no)"

# 7. temporary files after SIGTERM and SIGINT.
"$fp" synth big --size 8MB --quiet
for sig in TERM INT; do
  "$fp" batch big --format jsonl --threads 1 --output out7.jsonl 2> /dev/null &
  pid=$!
  for _ in $(seq 600); do [ -e ".out7.jsonl.tmp-$pid" ] && break; sleep 0.01; done
  kill -s $sig $pid
  wait $pid
  s=$?
  say 7 "batch big --output out7.jsonl, then SIG$sig" $s "temporary left: $(ls -A | grep -c '^\.out7') , out7.jsonl: $([ -e out7.jsonl ] && echo YES || echo none)"
done

# 8. escapes and newlines in names.
mkdir names && printf 'alpha beta gamma delta' > "names/$(printf 'evil\033[31mred\033]0;title\007\nrow.txt')" && printf 'alpha beta gamma epsilon' > names/plain.txt
"$fp" batch names --top 1 > out.txt 2> err.txt
s=$?
say 8 "batch names (ESC [31m, OSC title, newline in a name)" $s "ESC bytes on stdout: $(grep -c $'\033' out.txt); shown as $(grep -o 'evil[^ ]*' out.txt | head -1)"
"$fp" stats "$(printf 'missing\033[2J.txt')" > out.txt 2> err.txt
s=$?
say 8 "stats 'missing<ESC>[2J.txt'" $s "$(first err.txt | cat -v)"

# 9. CSV formula injection and raw ESC in CSV.
mkdir csv9 && echo "alpha beta gamma" > "csv9/=cmd|' C calc'!A0.txt" && echo "alpha beta delta" > "csv9/$(printf '\033')[31mx.txt"
"$fp" batch csv9 --top 1 --format csv > out.csv 2> err.txt
s=$?
say 9 "batch csv9 --format csv (=cmd|' C calc'!A0.txt, ESC)" $s "cell: $(grep -o "'=cmd[^,]*" out.csv | head -1); ESC bytes: $(grep -c $'\033' out.csv)"

# 10. lsa and --threads.
for t in 1 2 3; do "$fp" batch "$C" --method lsa --threads $t --format json > lsa$t.json; done
same=$(cmp -s lsa1.json lsa2.json && cmp -s lsa1.json lsa3.json && echo "byte-identical" || echo "DIFFERENT")
say 10 "batch Corpora --method lsa --threads 1 / 2 / 3" 0 "$same"

# 11. tokens longer than 1 MiB.
mkdir long && python3 -c "
l = 'x' * (2 << 20)
open('long/a.txt', 'w').write(l + ' small ' + l)
open('long/b.txt', 'w').write(l[:-1] + 'y small')"
"$fp" stats long --format json > out.json 2> err.txt
s=$?
say 11 "stats long (two different 2 MiB tokens)" $s "$(python3 -c "import json; j = json.load(open('out.json')); print(f\"types {j['types']}, truncated_tokens {j['truncated_tokens']}\")")"

# 12. skips in CSV and dedup JSONL.
mkdir skip12 && echo "alpha beta gamma delta epsilon" > skip12/a.txt && echo "alpha beta gamma delta zeta" > skip12/b.txt && : > skip12/empty.txt
"$fp" batch skip12 --format csv --skipped skipped.csv > out.csv 2> err.txt
s=$?
say 12 "batch skip12 --format csv --skipped skipped.csv" $s "stderr: $(first err.txt); file: $(tail -1 skipped.csv)"
"$fp" dedup skip12 --format jsonl > out.jsonl 2> err.txt
say 12 "dedup skip12 --format jsonl" $? "$(head -1 out.jsonl | python3 -c "import json, sys; h = json.load(sys.stdin); print(h['type'], len(h['skipped']), 'skipped')")"

# 13. short shared runs with --passage-k 4.
mkdir -p p13/a p13/b
shared="purple elephants quietly juggle seven golden teacups beneath ancient willow trees"
filler=$(seq 0 39 | sed 's/^/filler/' | tr '\n' ' ')
echo "alpha beta $shared gamma delta $filler" > p13/a/one.txt && echo "epsilon zeta $filler a b" > p13/a/two.txt
echo "omega psi $shared chi phi" > p13/b/one.txt && echo "unrelated words only here and nothing more" > p13/b/two.txt
for k in "" "--passage-k 4"; do
  # shellcheck disable=SC2086
  "$fp" compare p13/a p13/b --permutations 9 --format json $k > out.json 2> err.txt
  s=$?
  say 13 "compare p13/a p13/b ${k:-(default k)} (11 shared tokens)" $s "$(python3 -c "import json; p = json.load(open('out.json')).get('passages', []); print(len(p), 'passages', [x['passage']['tokens'] for x in p])")"
done

# 14. file names that are not UTF-8.
mkdir n14 && printf 'alpha beta gamma delta' > "n14/$(printf 'caf\351.txt')" && printf 'alpha beta epsilon zeta' > n14/plain.txt
"$fp" batch n14 --top 1 --format json > out.json 2> err.txt
say 14 "batch n14 (a file named caf\\xE9.txt)" $? "$(python3 -c "import json; j = json.load(open('out.json')); print(j['documents'], 'documents,', len(j['skipped']), 'skipped')"); shown as $(grep -o 'caf[^"]*txt' out.json | head -1)"

# 15. JSONL with a byte-order mark.
printf '\357\273\277{"text": "first record"}\n{"text": "second record"}\n' > bom.jsonl
"$fp" stats bom.jsonl --format json > out.json 2> err.txt
say 15 "stats bom.jsonl" $? "$(python3 -c "import json; j = json.load(open('out.json')); print(j['documents'], 'documents,', j['skipped'], 'skipped')")"

# 16. a path that starts with a dash.
echo "alpha beta" > ./-dash.txt
"$fp" stats -dash.txt > out.txt 2> err.txt
say 16 "stats -dash.txt" $? "$(first err.txt)"

# 17. a missing boilerplate file.
"$fp" compare "$C/source-a" "$C/mix-10" --boilerplate /nonexistent > out.txt 2> err.txt
say 17 "compare source-a mix-10 --boilerplate /nonexistent" $? "$(first err.txt)"

# 18. closed standard input.
"$fp" stats - <&- > out.txt 2> err.txt
say 18 "stats - <&-" $? "$(first err.txt)"

# 19. the namesake note.
for pair in "source-a source-b" "source-a mix-10" "paired/a paired/b"; do
  # shellcheck disable=SC2086
  set -- $pair
  "$fp" compare "$C/$1" "$C/$2" --permutations 9 --bootstrap 0 --format json > out.json 2> err.txt
  s=$?
  say 19 "compare $1 $2" $s "namesake note: $(python3 -c "import json; print(any('namesake' in n for n in json.load(open('out.json')).get('notes', [])))")"
done

# 20. 12.5 M pairs from 5,000 tiny files.
python3 -c "
import os
os.makedirs('many', exist_ok=True)
for i in range(5000):
    open(f'many/d{i:04d}.txt', 'w').write(' '.join(f'w{(i * 7 + j * 13) % 97}' for j in range(12)))"
start=$(date +%s.%N)
timed "$fp" batch many --threshold -1 --top 0 --format json > out.json 2> err.txt
s=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
say 20 "batch many (5,000 files) --threshold -1 --top 0 --format json" $s "$(python3 -c "import json; j = json.load(open('out.json')); print(f\"{j['pairs_total']:,} pairs, {len(j['pairs']):,} listed\")"), $(printf %.1f "$secs") s, peak $(peak time.txt)"

# 21. shared passages of a 200 MB corpus against a part of itself.
"$fp" synth big21 --size 200MB --quiet
timed "$fp" compare big21 big21/planted --permutations 99 --format json > out.json 2> err.txt
s=$?
say 21 "compare big21 (200 MB) big21/planted" $s "$(python3 -c "import json; print(len(json.load(open('out.json')).get('passages', [])), 'passages')"), peak $(peak time.txt)"
