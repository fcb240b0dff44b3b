#!/usr/bin/env bash
# `make test-sanitize`: the unit and integration suites against the ASan+UBSan build
# (scripts/test-sanitize.sh BUILD_DIR). Every sanitizer report, from the unit tests, the
# server or the CLI, lands in BUILD_DIR/sanitizer-logs/; the run fails if any report exists
# (the integration suite does not always see a server's exit status, so the logs decide).
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?build dir}" && pwd)"
cd "$root"
logs="$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
# The server and CLI run as subprocesses of pytest: the options travel in the environment.
# disable_coredump=0: ASan otherwise zeroes RLIMIT_CORE itself, which would hide whether
# arcanad turns core dumps off (and ARCANA_ALLOW_CORE_DUMPS back on) on its own.
export ASAN_OPTIONS="log_path=$logs/asan:abort_on_error=0:disable_coredump=0:detect_leaks=1:detect_stack_use_after_return=0:strict_string_checks=1"
export UBSAN_OPTIONS="log_path=$logs/ubsan:halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp"

status=0
echo "== unit tests (ASan+UBSan)"
(cd "$build" && ctest --output-on-failure -j"$(nproc)") || status=1
echo "== integration tests (ASan+UBSan arcanad)"
# The sanitized server is 2-5x slower: the suite's timeouts leave room for it.
ARCANAD="$build/arcanad" bash tests/integration/run.sh || status=1

# A log holding only LeakSanitizer's "Suppressions used" table (scripts/lsan.supp matched) is
# no finding; any error or runtime-error report is.
findings=$(grep -lE "ERROR: |runtime error" "$logs"/* 2>/dev/null || true)
reports=$(printf '%s' "$findings" | grep -c . || true)
suppressed=$(find "$logs" -type f | wc -l)
if [ "$reports" -ne 0 ]; then
  echo "== $reports sanitizer report(s) in $logs:"
  for f in $findings; do echo "--- $f"; head -40 "$f"; done
  status=1
elif [ "$suppressed" -ne 0 ]; then
  echo "== no sanitizer findings; $suppressed process(es) matched scripts/lsan.supp (libpq, with why)"
fi
if [ "$status" -ne 0 ]; then echo "== test-sanitize FAILED"; else echo "== test-sanitize passed"; fi
exit "$status"
