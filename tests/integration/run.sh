#!/usr/bin/env bash
# Arcana integration suite: boto3 + aws CLI + raw wire + durability (pytest), then AWS SDK for
# JavaScript v3 (node --test), once per store backend: SQLite, then PostgreSQL 15 (started by
# the tests themselves from Debian's packages, tests/integration/pg_cluster.py). Used by
# `make test`. Exits non-zero if anything fails in either pass.
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

# The JS SDK pass: one dev server on the given store flags.
run_js() {
  local store="$1"; shift
  if [ ! -d "$jsdir/node_modules/@aws-sdk/client-secrets-manager" ] || [ ! -d "$jsdir/node_modules/@aws-sdk/client-ssm" ] || [ ! -d "$jsdir/node_modules/@aws-sdk/client-kms" ]; then
    (cd "$jsdir" && npm install --no-audit --no-fund --loglevel=error) || { echo "run.sh: npm install failed" >&2; return 1; }
  fi
  local port log="$tmp/arcanad-js-$store.log"
  port="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$ARCANAD" --listen "127.0.0.1:$port" "$@" --dev >"$log" 2>&1 &
  pid=$!
  local up=0
  for _ in $(seq 1 200); do
    if curl -fsS "http://127.0.0.1:$port/_arcana/health" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  local rc=0
  if [ "$up" -ne 1 ]; then
    echo "run.sh: dev server ($store) did not become healthy; log:" >&2
    tail -n 50 "$log" >&2
    rc=1
  else
    NODE_NO_WARNINGS=1 ARCANA_ENDPOINT="http://127.0.0.1:$port" node --test "$jsdir/" || rc=1
  fi
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""
  return "$rc"
}

for store in $stores; do
  case "$store" in
    sqlite|postgresql) ;;
    *) echo "run.sh: unknown store '$store' in ARCANA_TEST_STORES" >&2; exit 2 ;;
  esac
  echo "== [$store] pytest (boto3, aws CLI, wire, durability$([ "$store" = postgresql ] && echo ', multi-node'))"
  start=$SECONDS
  ARCANA_TEST_STORE="$store" "$PY" -m pytest -q -rfEs -p no:cacheprovider tests/integration "$@" || status=1
  echo "== [$store] pytest took $((SECONDS - start)) s"

  echo "== [$store] node --test (AWS SDK for JavaScript v3)"
  if [ "$store" = sqlite ]; then
    run_js sqlite --data-dir "$tmp/js-data" || status=1
  else
    if "$PY" "$pgctl" start "$tmp/pg" >/dev/null && url="$("$PY" "$pgctl" url "$tmp/pg" arcana_js)"; then
      run_js postgresql --store "$url" --data-dir "$tmp/js-pg-data" \
        --root-key-file "$tmp/js-pg-data/root.key" || status=1
    else
      echo "run.sh: could not start PostgreSQL for the JS pass" >&2
      status=1
    fi
  fi
done

if [ "$status" -ne 0 ]; then echo "== integration suite FAILED"; else echo "== integration suite passed"; fi
exit "$status"
