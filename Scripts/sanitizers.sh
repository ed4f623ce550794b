#!/usr/bin/env bash
# Scripts/sanitizers.sh [address] [thread]
#
# Runs the whole test suite under AddressSanitizer (scratch path
# .build-asan) and ThreadSanitizer (.build-tsan), or under the ones named.
# The CLI tests run the real binary, which SwiftPM builds with the same
# sanitizer, so a report from the command line tool shows up as a failed test
# (it changes the exit status and standard error). Prints each run's duration
# and the XCTest summary; fails if any run fails. About an hour per
# sanitizer on 2 cores (312 tests): too long for every CI run.
# Results: Tests/Fuzz/README.md.
set -uo pipefail
cd "$(dirname "$0")/.."

sanitizers=("$@")
[ ${#sanitizers[@]} -eq 0 ] && sanitizers=(address thread)

# The Swift backtracer would hide the sanitizers' own reports.
export SWIFT_BACKTRACE=enable=no
# Leaks inside Foundation are not ours (the CLI tests pass the same file to
# the binary they run).
export LSAN_OPTIONS=print_suppressions=0:suppressions=$PWD/Tests/Sanitizers/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
status=0
for s in "${sanitizers[@]}"; do
  case $s in
    address) scratch=.build-asan ;;
    thread) scratch=.build-tsan ;;
    *) echo "sanitizers.sh: unknown sanitizer '$s' (address or thread)" >&2; exit 64 ;;
  esac
  log=$scratch/sanitizers-$s.log
  mkdir -p "$scratch"
  start=$(date +%s)
  swift test --sanitize="$s" --scratch-path "$scratch" > "$log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  reports=$(grep -cE "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer" "$log")
  summary=$(grep -A1 "Test Suite 'All tests'" "$log" | grep -E "Executed [0-9]+ tests?" | tail -1 | sed 's/^[[:space:]]*//')
  echo "sanitizers.sh: $s: exit $rc in ${secs}s; $reports sanitizer reports; ${summary:-no XCTest summary} (log: $log)"
  [ "$rc" -eq 0 ] || status=1
done
exit $status
