#!/usr/bin/env bash
# Scripts/fuzz.sh [SECONDS] [TARGET ...]
#
# Builds fingerprint-fuzz as a libFuzzer binary with AddressSanitizer
# (release, in .build-fuzz) and runs each target (default: all of them) for
# SECONDS (default 30) on a scratch copy of its committed corpus,
# Tests/Fuzz/<target>/corpus. Fails if any target crashes, times out, runs out
# of memory or breaks an invariant; the reproducer is left in
# .build-fuzz/runs/<target>/ and the log beside it. Replay a reproducer
# without the fuzzing build: swift run fingerprint-fuzz TARGET FILE.
#
# Environment: FUZZ_MAX_LEN (default 4096), FUZZ_JOBS (parallel targets,
# default 1). See Tests/Fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(jsonl word char safetext csv safetensors bpe tiktoken hfjson fpfile)
max_len=${FUZZ_MAX_LEN:-4096}

# libFuzzer and the sanitizer runtimes ship with the Swift toolchain.
resource=$(swiftc -print-target-info | sed -n 's/.*"runtimeResourcePath": "\(.*\)".*/\1/p')
if ! ls "$resource"/clang/lib/linux/libclang_rt.fuzzer-*.a > /dev/null 2>&1; then
  echo "fuzz.sh: no libFuzzer runtime (libclang_rt.fuzzer) under $resource/clang/lib/linux" >&2
  exit 1
fi

# --sanitize fuzzer makes SwiftPM let libFuzzer's main be the entry point;
# -Xswiftc -sanitize=fuzzer,address instruments every module, not only the
# executable's. The linker's "Cannot export local symbol" lines are noise.
echo "fuzz.sh: building fingerprint-fuzz (libFuzzer + ASan, release)"
swift build -c release --product fingerprint-fuzz --scratch-path .build-fuzz \
  --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 |
  grep -v "Cannot export local symbol" || true
bin=$(swift build -c release --scratch-path .build-fuzz --show-bin-path)/fingerprint-fuzz
[ -x "$bin" ] || { echo "fuzz.sh: the build failed" >&2; exit 1; }

# A failed check is a Swift fatal error: libFuzzer's own handler must see it,
# not the Swift backtracer. Without malloc stacks and with a small
# quarantine ASan still catches every out-of-bounds access, at 1.5-2x the
# speed.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0:quarantine_size_mb=16}

run_target() {
  local t=$1 work=.build-fuzz/runs/$1
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp Tests/Fuzz/"$t"/corpus/* "$work/corpus/"
  # A fingerprint file is an SQLite database of 512-byte pages: a few kB at least.
  local len=$max_len
  [ "$t" = fpfile ] && [ "$len" -lt 16384 ] && len=16384
  if (cd "$work" && FINGERPRINT_FUZZ_TARGET=$t "$bin" -max_len="$len" -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=./ corpus > log 2>&1); then
    local runs rate cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
    cov=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+).*/\1 edges, \2 features/')
    echo "fuzz.sh: $t: ok, $runs runs in ${seconds}s ($rate/s), $cov"
  else
    echo "fuzz.sh: $t: FAILED; the last lines of $work/log:" >&2
    grep -v '^#' "$work/log" | tail -25 >&2
    ls "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-* 2> /dev/null | sed 's/^/fuzz.sh: reproducer: /' >&2 || true
    return 1
  fi
}

status=0
jobs=${FUZZ_JOBS:-1}
pids=()
for t in "${targets[@]}"; do
  [ -d "Tests/Fuzz/$t/corpus" ] || { echo "fuzz.sh: no corpus Tests/Fuzz/$t/corpus" >&2; exit 64; }
  run_target "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
