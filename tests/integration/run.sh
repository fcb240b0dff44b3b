#!/usr/bin/env bash
# Arcana integration suite: boto3 + aws CLI + raw wire + durability (pytest), then AWS SDK for
# JavaScript v3 (node --test). Used by `make test`. Exits non-zero if anything fails.
#   tests/integration/run.sh [extra pytest args]
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

echo "== pytest (boto3, aws CLI, wire, durability)"
"$PY" -m pytest -q -p no:cacheprovider tests/integration "$@" || status=1

echo "== node --test (AWS SDK for JavaScript v3)"
jsdir="$root/tests/integration/js"
if [ ! -d "$jsdir/node_modules/@aws-sdk/client-secrets-manager" ] || [ ! -d "$jsdir/node_modules/@aws-sdk/client-ssm" ] || [ ! -d "$jsdir/node_modules/@aws-sdk/client-kms" ]; then
  (cd "$jsdir" && npm install --no-audit --no-fund --loglevel=error) || { echo "run.sh: npm install failed" >&2; exit 1; }
fi
tmp="$(mktemp -d -t arcana-js-XXXXXX)"
port="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$ARCANAD" --listen "127.0.0.1:$port" --data-dir "$tmp/data" --dev >"$tmp/arcanad.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
up=0
for _ in $(seq 1 200); do
  if curl -fsS "http://127.0.0.1:$port/_arcana/health" >/dev/null 2>&1; then up=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$up" -ne 1 ]; then
  echo "run.sh: dev server did not become healthy; log:" >&2
  tail -n 50 "$tmp/arcanad.log" >&2
  exit 1
fi
NODE_NO_WARNINGS=1 ARCANA_ENDPOINT="http://127.0.0.1:$port" node --test "$jsdir/" || status=1

if [ "$status" -ne 0 ]; then echo "== integration suite FAILED"; else echo "== integration suite passed"; fi
exit "$status"
