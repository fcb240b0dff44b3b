#!/usr/bin/env bash
# Arcana integration suite: boto3 + aws CLI + raw wire + durability (pytest), then AWS SDK for
# JavaScript v3 and v2 and the AWS Encryption SDK for JavaScript (node --test), once per store backend: SQLite and PostgreSQL 15 (started by
# the tests themselves from Debian's packages, tests/integration/pg_cluster.py), the two
# passes side by side (ARCANA_TEST_PARALLEL=0: one after the other). Used by `make test`.
# Exits non-zero if anything fails in either pass.
#   tests/integration/run.sh [extra pytest args]
#   ARCANA_TEST_STORES="postgresql" tests/integration/run.sh   # one backend only
# Skipped tests are listed with their reason (-rfEs): nothing is left out silently.
set -uo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
ARCANAD="${ARCANAD:-$root/build/arcanad}"
PY=/usr/bin/python3   # Debian's boto3 1.26 / botocore 1.29, not a pyenv python

if [ ! -x "$ARCANAD" ]; then
  echo "run.sh: $ARCANAD not found; build it: cmake -S . -B build && cmake --build build -j2" >&2
  exit 2
fi
export ARCANAD

status=0

stores="${ARCANA_TEST_STORES:-sqlite postgresql}"
jsdir="$root/tests/integration/js"
pgctl="$root/tests/integration/pg_cluster.py"
tmp="$(mktemp -d -t arcana-run-XXXXXX)"
chmod 755 "$tmp"   # the JS pass's PostgreSQL runs as nobody when we are root
pid=""
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
  [ -d "$tmp/pg" ] && "$PY" "$pgctl" destroy "$tmp/pg" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

# The JS SDK pass: one server on the given store flags, NOT in dev mode: the tests' key pair
# (AKIDJSTEST0000000001 / js-secret) is the root key pair, so every call the SDK signs is
# really SigV4-verified, and temporary credentials from AssumeRole act as their role.
# The SDK's packages, installed once before the passes start (two npm installs at once in
# one folder would race).
js_deps_ok=1
js_missing=0
for pkg in @aws-sdk/client-secrets-manager @aws-sdk/client-ssm @aws-sdk/client-kms \
           @aws-sdk/client-iam @aws-sdk/client-sts @aws-crypto/client-node aws-sdk; do
  [ -d "$jsdir/node_modules/$pkg" ] || js_missing=1
done
if [ "$js_missing" = 1 ]; then
  (cd "$jsdir" && npm install --no-audit --no-fund --loglevel=error) || { echo "run.sh: npm install failed" >&2; js_deps_ok=0; }
fi

run_js() {
  local store="$1"; shift
  [ "$js_deps_ok" = 1 ] || return 1
  local port log="$tmp/arcanad-js-$store.log"
  port="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  ARCANA_ROOT_ACCESS_KEY_ID=AKIDJSTEST0000000001 ARCANA_ROOT_SECRET_ACCESS_KEY=js-secret \
    "$ARCANAD" --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
  pid=$!
  local up=0
  for _ in $(seq 1 200); do
    if curl -fsS "http://127.0.0.1:$port/_arcana/health" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  local rc=0
  if [ "$up" -ne 1 ]; then
    echo "run.sh: the JS pass's server ($store) did not become healthy; log:" >&2
    tail -n 50 "$log" >&2
    rc=1
  else
    NODE_NO_WARNINGS=1 ARCANA_ENDPOINT="http://127.0.0.1:$port" node --test "$jsdir/" || rc=1
  fi
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""
  return "$rc"
}

# One backend's pass: pytest, then the JS SDK against a server on the same backend.
run_pass() {
  local store="$1"; shift
  local rc=0
  echo "== [$store] pytest (boto3, aws CLI, wire, durability$([ "$store" = postgresql ] && echo ', multi-node'))"
  local start=$SECONDS
  # --durations: the slowest tests are named in every run, to keep the pass within CI's time.
  ARCANA_TEST_STORE="$store" "$PY" -m pytest -q -rfEs --durations=12 -p no:cacheprovider tests/integration "$@" || rc=1
  echo "== [$store] pytest took $((SECONDS - start)) s"

  echo "== [$store] node --test (AWS SDK for JavaScript v3)"
  if [ "$store" = sqlite ]; then
    run_js sqlite --data-dir "$tmp/js-data" || rc=1
  else
    local url
    if "$PY" "$pgctl" start "$tmp/pg" >/dev/null && url="$("$PY" "$pgctl" url "$tmp/pg" arcana_js)"; then
      run_js postgresql --store "$url" --data-dir "$tmp/js-pg-data" \
        --root-key-file "$tmp/js-pg-data/root.key" || rc=1
    else
      echo "run.sh: could not start PostgreSQL for the JS pass" >&2
      rc=1
    fi
  fi
  return "$rc"
}

for store in $stores; do
  case "$store" in
    sqlite|postgresql) ;;
    *) echo "run.sh: unknown store '$store' in ARCANA_TEST_STORES" >&2; exit 2 ;;
  esac
done

# The passes are independent (own servers, own data dirs, own PostgreSQL clusters, free
# ports) and mostly wait on servers and fsyncs, so with ARCANA_TEST_PARALLEL=1 (the default)
# they run side by side, each into its own log, printed whole when it ends: on 2 cores this
# takes about as long as the PostgreSQL pass alone. ARCANA_TEST_PARALLEL=0 runs them in turn.
if [ "${ARCANA_TEST_PARALLEL:-1}" = 1 ] && [ "$(wc -w <<<"$stores")" -gt 1 ]; then
  declare -A pass_pid
  for store in $stores; do
    # A subshell: its own EXIT trap stops the JS server it may have running.
    (trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT; run_pass "$store" "$@") \
      >"$tmp/pass-$store.log" 2>&1 &
    pass_pid[$store]=$!
    echo "== [$store] pass started (pid ${pass_pid[$store]}; its output follows when it ends)"
  done
  for store in $stores; do
    wait "${pass_pid[$store]}" || status=1
    cat "$tmp/pass-$store.log"
  done
else
  for store in $stores; do run_pass "$store" "$@" || status=1; done
fi

if [ "$status" -ne 0 ]; then echo "== integration suite FAILED"; else echo "== integration suite passed"; fi
exit "$status"
