#!/usr/bin/env bash
# bench/scan: `arcana scan` and secretlint side by side on one corpus, in one run.
#
# The corpus is real source copied from the machine (SOURCES, default /usr/include and
# Python's dist-packages) up to CORPUS_MIB MiB, plus PLANTED files with one secret of each
# built-in kind. Each scanner runs once on a warm page cache (the copy just read every file);
# reported: MiB/s (corpus bytes / wall time), peak RSS (GNU time), findings.
#
#   bench/scan/run.sh                    # default: 300 MiB
#   CORPUS_MIB=100 THREADS=2 bench/scan/run.sh
#   SKIP_SECRETLINT=1 bench/scan/run.sh  # arcana only
#
# secretlint comes from npm into bench/scan/node_modules (gitignored) on first use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
ARCANA="${ARCANA:-$root/build/arcana}"
CORPUS="${CORPUS:-/tmp/arcana-scan-corpus}"
CORPUS_MIB="${CORPUS_MIB:-300}"
THREADS="${THREADS:-$(nproc)}"
SOURCES="${SOURCES:-/usr/include /usr/lib/python3/dist-packages}"
SECRETLINT_TIMEOUT="${SECRETLINT_TIMEOUT:-900}"

[ -x "$ARCANA" ] || { echo "build the CLI first: cmake --build build --target arcana" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }

if [ ! -f "$CORPUS/.complete-$CORPUS_MIB" ]; then
  echo "building corpus in $CORPUS (${CORPUS_MIB} MiB of $SOURCES)" >&2
  rm -rf "$CORPUS" && mkdir -p "$CORPUS/src"
  python3 - "$CORPUS" "$CORPUS_MIB" $SOURCES <<'PY'
import os, random, shutil, string, sys
dest, limit, sources = sys.argv[1], int(sys.argv[2]) << 20, sys.argv[3:]
total = 0
for src in sources:
    for d, dirs, files in os.walk(src):
        dirs.sort(); files.sort()
        for f in files:
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            size = os.path.getsize(p)
            if size > (4 << 20):
                continue
            out = os.path.join(dest, "src", src.strip("/").replace("/", "_"), os.path.relpath(p, src))
            os.makedirs(os.path.dirname(out), exist_ok=True)
            shutil.copyfile(p, out)
            total += size
            if total >= limit:
                break
        if total >= limit:
            break
    if total >= limit:
        break
# Planted secrets, built here so the script itself holds none.
rng = random.Random(15)
al = string.ascii_letters + string.digits
r = lambda n, a=al: "".join(rng.choice(a) for _ in range(n))
secrets = {
    "aws.env": "AWS_ACCESS_KEY_ID=AK" + "IA" + r(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") +
               "\naws_secret_access_key=" + r(40, al + "+/") + "\n",
    "github.py": "TOKEN = 'gh" + "p_" + r(36) + "'\n",
    "gitlab.yaml": "token: gl" + "pat-" + r(20) + "\n",
    "slack.js": "const t = 'xo" + "xb-" + r(11, string.digits) + "-" + r(12, string.digits) + "-" + r(24) + "';\n",
    "stripe.rb": "Stripe.api_key = 'sk" + "_live_" + r(24) + "'\n",
    "google.json": '{"key": "AI' + 'za' + r(35) + '"}\n',
    "sendgrid.sh": "export SENDGRID=S" + "G." + r(22) + "." + r(43) + "\n",
    "db.properties": "db.url=postgresql://app:" + r(16) + "@db:5432/app\n",
    "settings.py": "DB_PASSWORD = '" + r(12) + "#7'\n",
    "id_rsa": "-----BEGIN RSA PRIVATE" + " KEY-----\n" + "\n".join(r(64, al + "+/") for _ in range(8)) +
              "\n-----END RSA PRIVATE" + " KEY-----\n",
}
os.makedirs(os.path.join(dest, "planted"), exist_ok=True)
for name, text in secrets.items():
    with open(os.path.join(dest, "planted", name), "w") as fh:
        fh.write(text)
print(f"corpus: {total >> 20} MiB of source + {len(secrets)} planted files", file=sys.stderr)
PY
  touch "$CORPUS/.complete-$CORPUS_MIB"
fi
bytes=$(du -sb "$CORPUS" | cut -f1)
files=$(find "$CORPUS" -type f | wc -l)
mib=$(python3 -c "print(round($bytes / 1048576, 1))")
find "$CORPUS" -type f -exec cat {} + >/dev/null  # warm the page cache for both

measure() {  # name, then the command; prints one result line
  local name="$1"; shift
  local t; t=$(mktemp)
  local start end rc=0
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$t" "$@" >"$t.out" 2>"$t.err" || rc=$?
  end=$(date +%s.%N)
  local secs rss
  secs=$(python3 -c "print(round($end - $start, 2))")
  rss=$(tail -1 "$t")
  printf '%-12s %8s s  %8s MiB/s  peak RSS %6s MiB  exit %s  %s\n' "$name" "$secs" \
    "$(python3 -c "print(round($bytes / 1048576 / max($end - $start, 1e-9), 1))")" \
    "$(( rss / 1024 ))" "$rc" "$(count_findings "$name" "$t.out")"
  rm -f "$t" "$t.out" "$t.err"
}

count_findings() {
  case "$1" in
    arcana) python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))), 'findings')" "$2" 2>/dev/null || echo "?" ;;
    secretlint) python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(f.get('messages',[])) for f in d), 'findings')" "$2" 2>/dev/null || echo "?" ;;
  esac
}

echo "corpus: $CORPUS, $files files, $mib MiB; threads: $THREADS; load: $(cut -d' ' -f1-3 /proc/loadavg)"
measure arcana "$ARCANA" scan --format json --no-gitignore --threads "$THREADS" "$CORPUS"

if [ -z "${SKIP_SECRETLINT:-}" ]; then
  if [ ! -x "$here/node_modules/.bin/secretlint" ]; then
    (cd "$here" && npm install --no-audit --no-fund --loglevel=error >&2)
  fi
  # secretlint only takes globs under its working directory.
  measure secretlint timeout "$SECRETLINT_TIMEOUT" bash -c 'cd "$1" && exec "$2" \
    --secretlintrc "$3" --format json "**/*"' _ "$CORPUS" "$here/node_modules/.bin/secretlint" \
    "$here/.secretlintrc.json"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg) (other builds on this shared machine skew these numbers)"
