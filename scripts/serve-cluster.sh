#!/usr/bin/env bash
# `make serve-cluster`: try Arcana's scale-out locally. Starts a PostgreSQL 15 server from
# Debian's packages (no Docker) in ./data-cluster/pg, and two arcanad nodes on 127.0.0.1:7771
# and 127.0.0.1:7772 that share its database and one root key file. Prints the endpoints and the
# root credentials; Ctrl-C stops both nodes and PostgreSQL. State survives a restart.
#   scripts/serve-cluster.sh [BUILD_DIR]
# Layout of ./data-cluster (CLUSTER_DIR):
#   pg/              the PostgreSQL cluster (owned by `nobody` when run as root: initdb and
#                    postgres refuse to run as root), loopback only, password auth;
#                    pg/cluster.json holds its port and password (0600)
#   root.key         the root key file every node is given (--root-key-file); the first node
#                    creates it
#   credentials      the root access key pair (0600), chosen here at the first start
#   node1/, node2/   each node's --data-dir (node-local files: audit log, operator token)
#   node1.log, ...   each node's output
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
ARCANAD="$build/arcanad"
PY=/usr/bin/python3
DIR="$(mkdir -p "${CLUSTER_DIR:-$root/data-cluster}" && cd "${CLUSTER_DIR:-$root/data-cluster}" && pwd)"
PGCTL="$root/tests/integration/pg_cluster.py"   # the same PostgreSQL helper the tests use
NODES=(127.0.0.1:7771 127.0.0.1:7772)

[ -x "$ARCANAD" ] || { echo "serve-cluster: $ARCANAD not found (make build)" >&2; exit 2; }

chmod 755 "$DIR"   # PostgreSQL's user (nobody, when we are root) must reach $DIR/pg

echo "serve-cluster: starting PostgreSQL 15 in $DIR/pg"
"$PY" "$PGCTL" start "$DIR/pg" >/dev/null
url="$("$PY" "$PGCTL" url "$DIR/pg" arcana)"

pids=()
stopped=0
stop_all() {
  [ "$stopped" -eq 1 ] && return
  stopped=1
  echo
  echo "serve-cluster: stopping nodes and PostgreSQL"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$PY" "$PGCTL" stop "$DIR/pg" || true
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

# Root credentials: chosen once (ARCANA_ROOT_* are taken at the store's first start only) and
# kept so every run can print them.
creds="$DIR/credentials"
if [ ! -f "$creds" ]; then
  umask 077
  akid="AKIA$(head -c 1024 /dev/urandom | tr -dc 'A-Z0-9' | head -c 16)"
  secret="$(head -c 30 /dev/urandom | base64 | tr -d '\n' | head -c 40)"
  printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$akid" "$secret" >"$creds"
  umask 022
fi
# shellcheck disable=SC1090
. "$creds"

start_node() {  # start_node <index> <host:port>
  local i="$1" listen="$2"
  mkdir -p "$DIR/node$i"
  # The store URL carries the database password: hand it over in the environment, which other
  # users cannot read (a --store flag would show in `ps`).
  ARCANA_ROOT_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" ARCANA_ROOT_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
    ARCANA_STORE="$url" "$ARCANAD" --listen "$listen" --data-dir "$DIR/node$i" \
    --root-key-file "$DIR/root.key" >>"$DIR/node$i.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do
    if curl -fsS "http://$listen/_arcana/health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "serve-cluster: node$i ($listen) did not become healthy; $DIR/node$i.log:" >&2
  tail -n 30 "$DIR/node$i.log" >&2
  return 1
}

# The first node alone (it creates the schema and the key file), then the others.
i=1
for listen in "${NODES[@]}"; do
  start_node "$i" "$listen"
  i=$((i + 1))
done

cat <<EOF

Arcana cluster: ${#NODES[@]} nodes on one PostgreSQL database
  endpoints   $(printf 'http://%s  ' "${NODES[@]}")
  PostgreSQL  postgresql://${url##*@}  (data $DIR/pg; user and password in $DIR/pg/cluster.json)
  root key    $DIR/root.key (shared by every node)
  logs        $DIR/node1.log $DIR/node2.log

  export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
  export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
  export AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url http://${NODES[0]} secretsmanager create-secret --name demo --secret-string hello
  aws --endpoint-url http://${NODES[1]} secretsmanager get-secret-value --secret-id demo

Ctrl-C stops the nodes and PostgreSQL.
EOF

# Runs until Ctrl-C, or until a node exits (then everything stops).
set +e
wait -n "${pids[@]}"
echo "serve-cluster: a node exited; see $DIR/node*.log" >&2
exit 1
