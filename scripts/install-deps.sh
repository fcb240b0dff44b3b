#!/usr/bin/env bash
# Installs every Debian package Arcana needs to build, test and benchmark.
# PostgreSQL 15 (Debian 12's `postgresql` = postgresql-15 + its client: initdb, pg_ctl,
# postgres, psql, pg_dump under /usr/lib/postgresql/15/bin) is for the tests and
# `make serve-cluster`, which start their own throwaway server; no system cluster is used.
# MariaDB likewise (mariadbd and mariadb-install-db from the -core packages, which install no
# service) for the managed MySQL rotators' tests; python3-pymysql is what those rotators use.
# python3-cryptography: the web identity tests' local OIDC issuer (TLS certificate, signed tokens).
# libxxhash-dev: the audit write-ahead log's frame check (XXH3).
# libgoogle-perftools-dev: tcmalloc_minimal, the allocator arcanad and arcana-agent link (CMakeLists.txt).
# libqrencode-dev, libpng-dev: the QR code of an IAM virtual MFA device's seed.
# libxmlsec1-dev (with libxml2-dev): verifying SAML assertions' XML signatures (AssumeRoleWithSAML);
# python3-xmlsec, python3-lxml: the SAML tests' identity provider, which signs them.
# Idempotent: packages already present are skipped, so a second run is fast.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libboost-dev libssl-dev libsqlite3-dev sqlite3 libpqxx-dev postgresql rapidjson-dev
  libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-boto3 python3-botocore python3-pytest python3-requests python3-psycopg2
  python3-pymysql python3-cryptography python3-xmlsec python3-lxml mariadb-server-core mariadb-client-core
  awscli curl wrk nginx-light
  softhsm2 libp11-kit-dev
  libre2-dev libvectorscan-dev libgit2-dev libzip-dev libgoogle-perftools-dev
  libxxhash-dev libqrencode-dev libpng-dev libxmlsec1-dev libxml2-dev libsodium-dev
  clang llvm libclang-rt-14-dev
)
# Node.js may come from another source (NodeSource bundles npm and conflicts with
# Debian's npm package): only ask apt for what is missing as a command.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The JS SDK v3 for the integration tests lives in tests/integration/js (npm registry).
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -f "$root/tests/integration/js/package.json" ] && [ ! -d "$root/tests/integration/js/node_modules/@aws-sdk/client-secrets-manager" ]; then
  echo "install-deps: npm install (JS SDK v3)"
  (cd "$root/tests/integration/js" && npm install --no-audit --no-fund --loglevel=error)
fi
