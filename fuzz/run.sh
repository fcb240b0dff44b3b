#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time: fuzz/run.sh BUILD_DIR SECONDS [target...]
# Each target starts from its committed seeds (fuzz/corpus/<target>, read-only) plus what
# earlier runs found (BUILD_DIR/corpus/<target>, not committed). Prints executions per target;
# exits non-zero if any target crashed, leaked, timed out (one input: FUZZ_INPUT_TIMEOUT
# seconds, default 10) or ran out of memory. Crash inputs
# go to fuzz/artifacts/ (gitignored); reproduce with BUILD_DIR/fuzz/<target> <file>.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:?build dir}"
seconds="${2:-60}"
shift 2 || true
cd "$root"
[ -d "$build" ] || { echo "fuzz/run.sh: no build dir $build" >&2; exit 2; }
build="$(cd "$build" && pwd)"

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  for src in fuzz/*_fuzzer.cc; do targets+=("$(basename "$src" .cc)"); done
fi

mkdir -p fuzz/artifacts
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# One target, FUZZ_SECONDS long; its exit status goes to BUILD_DIR/fuzz-<target>.rc.
run_one() {
  local t="$1" bin="$build/fuzz/$1" work="$build/corpus/$1" log="$build/fuzz-$1.log"
  if [ ! -x "$bin" ]; then echo "fuzz/run.sh: $bin not built" >"$log"; echo 127 >"$build/fuzz-$t.rc"; return; fi
  mkdir -p "$work" "fuzz/corpus/$t"
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout="${FUZZ_INPUT_TIMEOUT:-10}" -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t-" \
      "$work" "fuzz/corpus/$t" >"$log" 2>&1
  echo $? >"$build/fuzz-$t.rc"
}

# Targets run FUZZ_JOBS at a time (default: one per core; each fuzzer is single-threaded),
# then are reported in order.
jobs_max="${FUZZ_JOBS:-$(nproc)}"
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs_max" ]; then wait -n; running=$((running - 1)); fi
  run_one "$t" &
  running=$((running + 1))
done
wait

failed=()
printf '%-24s %12s %8s  %s\n' target executions exec/s result
for t in "${targets[@]}"; do
  log="$build/fuzz-$t.log"
  rc="$(cat "$build/fuzz-$t.rc" 2>/dev/null || echo 1)"
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
  rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc; log $log)"
    failed+=("$t")
  fi
  printf '%-24s %12s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
  if [ "$rc" -ne 0 ]; then
    grep -E 'ERROR: |SUMMARY: |runtime error|Test unit written|==[0-9]+==|not built' "$log" | head -20 | sed 's/^/    /'
  fi
done
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s without a crash"
