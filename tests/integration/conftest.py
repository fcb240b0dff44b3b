"""Fixtures for Arcana's integration tests.

The tests build nothing: they run the repo's build/arcanad as a subprocess, point unmodified
clients (boto3, the aws CLI, raw HTTP) at it and assert the AWS Secrets Manager contract
(/work/shared/spec/aws-wire-contracts.md), not whatever the server happens to do today.

Run with Debian's interpreter (boto3 1.26 / botocore 1.29):
    /usr/bin/python3 -m pytest -q tests/integration

Fixtures:
  dev_server            session-wide `arcanad --dev`; state wiped before each test that uses `sm`
  sm                    factory: sm(region="us-east-1") -> boto3 Secrets Manager client
  raw                   factory: raw(op, body, region=...) -> requests.Response (signed JSON 1.1 call,
                        for members Debian's botocore does not model: SortBy, RotationToken, ...)
  fresh_dev_server      a dev server of its own (own data dir) for restart / kill -9 tests
  auth_server           session-wide non-dev server with fixed root keys (ROOT_AKID / ROOT_SECRET)
  uniq                  factory for per-test unique secret names

The store under test is one switch, ARCANA_TEST_STORE (tests/integration/run.sh runs the suite
once per value):
  sqlite      (default) `--data-dir DIR`: the embedded store in DIR/arcana.db
  postgresql  `--store postgresql://.../<fresh database> --data-dir DIR --root-key-file
              DIR/root.key`: one PostgreSQL 15 cluster per session (pg_cluster.py, started on
              first use, stopped at session end) and a database of its own per data dir, so a
              restart over the same DIR finds its store again and no two servers share one
              unless a test says so (test_cluster.py).
Every test that starts arcanad gets its store flags from store_args() (the CLI's from
cli_store_args()). Tests that only make sense on one backend say why with
@pytest.mark.sqlite_only("reason") / @pytest.mark.postgresql_only("reason"); under the other
backend they are reported as skipped with that reason (run.sh passes -rfEs), never dropped.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import pg_cluster
import response_shapes

REPO_ROOT = Path(__file__).resolve().parents[2]
ARCANAD = Path(os.environ.get("ARCANAD", REPO_ROOT / "build" / "arcanad"))
ACCOUNT = "123456789012"
ROOT_AKID = "AKIAARCANAROOTTEST01"
ROOT_SECRET = "arcana/root/Secret+Key/ForIntegrationTests0001"
DEV_AKID = "AKIDEXAMPLEDEVKEY001"
DEV_SECRET = "dev-secret-key-anything-goes"
TARGET_PREFIX = "secretsmanager."
ARN_RE = r"^arn:aws:secretsmanager:{region}:123456789012:secret:{name}-[A-Za-z0-9]{{6}}$"
STARTUP_TIMEOUT = 20.0

STORE = os.environ.get("ARCANA_TEST_STORE", "sqlite")
if STORE not in ("sqlite", "postgresql"):
    raise RuntimeError(f"ARCANA_TEST_STORE={STORE!r}: expected sqlite or postgresql")
IS_PG = STORE == "postgresql"


# --------------------------------------------------------------------------- store selection

_databases: dict[str, str] = {}  # resolved data dir -> its PostgreSQL database


def store_url(data_dir) -> str:
    """PostgreSQL only: the URL of data_dir's own database, created on first use (a fresh
    database per server; the same one again when a test restarts over the same data dir)."""
    key = str(Path(data_dir).resolve())
    cluster = pg_cluster.session_cluster()
    if key not in _databases:
        _databases[key] = cluster.create_database()
    return cluster.url(_databases[key])


def store_database(data_dir) -> str:
    """PostgreSQL only: the database name behind data_dir (for psql checks)."""
    store_url(data_dir)
    return _databases[str(Path(data_dir).resolve())]


def store_args(data_dir, root_key_file: bool = True) -> list[str]:
    """arcanad's store flags for a server over data_dir on the backend under test.
    root_key_file=False for servers whose root of trust is not the key file (Shamir, PKCS#11)."""
    if not IS_PG:
        return ["--data-dir", str(data_dir)]
    args = ["--store", store_url(data_dir), "--data-dir", str(data_dir)]
    if root_key_file:
        args += ["--root-key-file", str(Path(data_dir) / "root.key")]
    return args


def cli_store_args(data_dir) -> list[str]:
    """The `arcana` CLI's flags to reach the same store as a server over data_dir."""
    if not IS_PG:
        return ["--data-dir", str(data_dir)]
    return ["--store", store_url(data_dir), "--data-dir", str(data_dir)]


def store_sql(server, sql):
    """Runs sql on the server's store (stop the server first), returns its rows as lists of
    strings. SQLite: arcana.db; PostgreSQL: the server's database, through psql."""
    if IS_PG:
        out = pg_cluster.session_cluster().psql(sql, store_database(server.data_dir))
        return [line.split("|") for line in out.splitlines() if line]
    import sqlite3
    con = sqlite3.connect(Path(server.data_dir) / "arcana.db", timeout=10)
    try:
        rows = [[str(c) for c in row] for row in con.execute(sql)]
        con.commit()
        return rows
    finally:
        con.close()


def store_rows(data_dir, exclude: tuple = ()) -> dict:
    """Every row of every table of data_dir's store, read-only, as {table: sorted row reprs}
    (to check that a request wrote nothing). SQLite: arcana.db; PostgreSQL: its database
    (tables named schema-qualified, e.g. public.secrets). exclude: unqualified table names
    left out (e.g. the scheduler's lease rows, which change on their own)."""
    rows = _store_rows(data_dir)
    return {t: v for t, v in rows.items() if t.rsplit(".", 1)[-1] not in exclude}


def _store_rows(data_dir) -> dict:
    if not IS_PG:
        import sqlite3
        path = Path(data_dir) / "arcana.db"
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        con.text_factory = bytes  # whatever bytes were stored, valid UTF-8 or not
        try:
            tables = [r[0].decode() for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
            return {t: sorted(repr(r) for r in con.execute(f'SELECT * FROM "{t}"'))
                    for t in tables}
        finally:
            con.close()
    cluster, db = pg_cluster.session_cluster(), store_database(data_dir)
    tables = cluster.psql(
        "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM "
        "information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN "
        "('pg_catalog', 'information_schema') ORDER BY 1", db).splitlines()
    rows: dict = {t: [] for t in tables}
    if tables:
        # One round trip: every row as (table, row as text); rows never contain a newline
        # after replace() (psql prints one tuple per line).
        sql = " UNION ALL ".join(
            f"SELECT {_sql_literal(t)}, replace(r::text, E'\\n', '\\n') FROM {t} r"
            for t in tables)
        for line in cluster.psql(sql + ";", db).splitlines():
            t, _, row = line.partition("|")
            rows[t].append(row)
    return {t: sorted(v) for t, v in rows.items()}


def _sql_literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def plaintext_at_rest(data_dir, needles: list[bytes], extra_files=()) -> list:
    """Where any of needles is stored at rest: data_dir's files (SQLite: arcana.db and its
    WAL), extra_files (logs), and on PostgreSQL a pg_dump of the server's database (bytea
    columns are dumped as hex, so the needles' hex is looked for too) and the PostgreSQL
    server log (failing-row details would carry values). Returns [(where, needle prefix)]."""
    blobs = []
    for root, _dirs, files in os.walk(data_dir):
        for f in files:
            blobs.append((os.path.join(root, f), Path(root, f).read_bytes()))
    for f in extra_files:
        blobs.append((str(f), Path(f).read_bytes()))
    forms = list(needles)
    if IS_PG:
        cluster, db = pg_cluster.session_cluster(), store_database(data_dir)
        blobs.append((f"pg_dump {db}", cluster.dump(db)))
        blobs.append(("postgres.log", cluster.log_path.read_bytes()))
        forms += [n.hex().encode() for n in needles]
    return [(where, n[:24]) for where, data in blobs for n in forms if n in data]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sqlite_only(reason): applies only to the SQLite store; skipped, with the "
        "reason, when ARCANA_TEST_STORE=postgresql")
    config.addinivalue_line(
        "markers", "postgresql_only(reason): needs the PostgreSQL store; skipped, with the "
        "reason, when ARCANA_TEST_STORE=sqlite")


def pytest_report_header(config):
    return f"arcana store under test: {STORE} (ARCANA_TEST_STORE); server: {ARCANAD}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        for name, applies in (("sqlite_only", not IS_PG), ("postgresql_only", IS_PG)):
            m = item.get_closest_marker(name)
            if m is None or applies:
                continue
            reason = m.args[0] if m.args else m.kwargs.get("reason")
            if not reason:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{name} needs a reason")
            item.add_marker(pytest.mark.skip(reason=f"{name.replace('_', ' ')}: {reason}"))


# Every JSON answer boto3 parses is checked against its operation's output shape
# (response_shapes.py). ARCANA_SHAPE_AUDIT=FILE collects the disagreements of the whole run
# into FILE instead of failing the tests that met them.
response_shapes.install()
_SHAPE_AUDIT = os.environ.get("ARCANA_SHAPE_AUDIT")


@pytest.fixture(autouse=True)
def _answers_match_their_output_shapes(request):
    response_shapes.take()
    yield
    problems = response_shapes.take()
    if not problems:
        return
    if _SHAPE_AUDIT:
        with open(_SHAPE_AUDIT, "a") as f:
            for p in problems:
                f.write(f"{request.node.nodeid}\t{p}\n")
        return
    pytest.fail("answers that disagree with their output shapes:\n  " +
                "\n  ".join(sorted(set(problems))[:20]), pytrace=False)


# Every arcanad an ArcanaServer started in this session. A fixture whose setup fails after
# its server started (a CLI step, a client call) never reaches its stop(): those servers are
# killed when the session ends, so a failed run leaves no arcanad behind (before the shared
# PostgreSQL cluster stops under them).
_STARTED: list[subprocess.Popen] = []


def pytest_sessionfinish(session, exitstatus):
    for proc in _STARTED:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    pg_cluster.stop_session_cluster(keep=os.environ.get("ARCANA_KEEP_TMP") == "1")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ArcanaServer:
    """One arcanad process over one data dir. restart() reuses the data dir."""

    def __init__(self, data_dir: Path, log_dir: Path, dev: bool, env: dict | None = None,
                 store: str | None = None, root_key_file: Path | None = None,
                 args: list[str] | None = None):
        """store / root_key_file override the backend under test's defaults (store_args()):
        the multi-node tests point several servers at one database and one key file."""
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.dev = dev
        self.extra_env = dict(env or {})
        self.store = store
        self.root_key_file = root_key_file
        self.extra_args = list(args or [])
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_path: Path | None = None
        self.starts = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_files(self) -> list[Path]:
        return sorted(self.log_dir.glob("arcanad-*.stderr.log"))

    def start(self, port: int | None = None) -> "ArcanaServer":
        if not ARCANAD.exists():
            pytest.fail(
                f"server binary {ARCANAD} does not exist: build it first with "
                "`cmake -S . -B build && cmake --build build -j2`",
                pytrace=False,
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self.port = port or free_port()
        self.log_path = self.log_dir / f"arcanad-{self.starts}.stderr.log"
        args = [str(ARCANAD), "--listen", f"127.0.0.1:{self.port}", *self.store_args()]
        if self.dev:
            args.append("--dev")
        args += self.extra_args
        env = dict(os.environ)
        env.update(self.extra_env)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        _STARTED.append(self.proc)
        self._wait_healthy()
        return self

    def store_args(self) -> list[str]:
        if self.store is None:
            args = store_args(self.data_dir, root_key_file=self.root_key_file is None)
        else:
            args = ["--store", self.store, "--data-dir", str(self.data_dir)]
        if self.root_key_file is not None:
            args += ["--root-key-file", str(self.root_key_file)]
        return args

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"arcanad exited with {self.proc.returncode} during start-up; log:\n{self.log_tail()}",
                    pytrace=False,
                )
            try:
                r = requests.get(self.endpoint + "/_arcana/health", timeout=1)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill9()
        pytest.fail(
            f"arcanad did not answer 200 on /_arcana/health within {STARTUP_TIMEOUT}s ({last}); "
            f"log:\n{self.log_tail()}",
            pytrace=False,
        )

    def log_tail(self, n: int = 4000) -> str:
        if not self.log_path or not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait (graceful). Returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"arcanad did not exit within {timeout}s of SIGTERM", pytrace=False)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def restart(self, kill: bool = False) -> "ArcanaServer":
        """Stop (gracefully, or with kill -9) and start again on the same data dir."""
        if kill:
            self.kill9()
        else:
            self.stop()
        return self.start()

    def reset(self) -> None:
        r = requests.post(self.endpoint + "/_arcana/reset", timeout=10)
        assert 200 <= r.status_code < 300, (
            f"POST /_arcana/reset answered {r.status_code}: {r.text[:300]}"
        )

    def client(self, region: str = "us-east-1", akid: str = DEV_AKID, secret: str = DEV_SECRET,
               retries: int = 0):
        return make_client(self.endpoint, region, akid, secret, retries)


def make_client(endpoint: str, region: str = "us-east-1", akid: str = DEV_AKID,
                secret: str = DEV_SECRET, retries: int = 0):
    cfg = Config(
        retries={"max_attempts": retries},
        connect_timeout=5,
        read_timeout=30,
        tcp_keepalive=False,
    )
    return boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=akid,
        aws_secret_access_key=secret,
        config=cfg,
    )


# --------------------------------------------------------------------------- SigV4 (hand-built)
# A minimal, independent SigV4 signer so wire tests can control every byte (date, separators,
# bad signatures). test_wire.py cross-checks it against botocore's SigV4Auth.

def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sigv4_headers(host: str, body: bytes, target: str, region: str, akid: str, secret: str,
                  service: str = "secretsmanager", when: _dt.datetime | None = None,
                  path: str = "/", extra_headers: dict | None = None,
                  separator: str = ", ", signed_only: list | None = None) -> dict:
    when = when or _dt.datetime.now(_dt.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "Host": host,
        "X-Amz-Date": amz_date,
    }
    if target is not None:
        headers["X-Amz-Target"] = target
    headers.update(extra_headers or {})
    canon = sorted((k.lower(), " ".join(str(v).strip().split())) for k, v in headers.items()
                   if signed_only is None or k.lower() in signed_only)
    signed = ";".join(k for k, _ in canon)
    canonical_request = "\n".join([
        "POST", path, "",
        "".join(f"{k}:{v}\n" for k, v in canon),
        signed,
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical_request.encode()).hexdigest()])
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    k = _hmac(k, "aws4_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={akid}/{scope}{separator}"
        f"SignedHeaders={signed}{separator}Signature={sig}"
    )
    return headers


def raw_call(endpoint: str, op: str | None, body, region: str = "us-east-1",
             akid: str = DEV_AKID, secret: str = DEV_SECRET, sign: bool = True,
             target: str | None = None, **kw) -> requests.Response:
    """POST a JSON 1.1 request. `body` may be a dict (serialized) or raw bytes/str."""
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body
    host = endpoint.split("://", 1)[1]
    tgt = target if target is not None else (TARGET_PREFIX + op if op else None)
    if sign:
        headers = sigv4_headers(host, data, tgt, region, akid, secret, **kw)
    else:
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": tgt}
    return requests.post(endpoint + "/", data=data, headers=headers, timeout=30)


def error_code(resp: requests.Response) -> str | None:
    """The error code as botocore would read it from a raw response."""
    try:
        body = resp.json()
    except ValueError:
        body = {}
    code = body.get("__type") if isinstance(body, dict) else None
    if not code:
        code = resp.headers.get("X-Amzn-ErrorType")
    if not code:
        return None
    code = code.split(":")[0]
    return code.rsplit("#", 1)[-1]


# --------------------------------------------------------------------------- assertions

@contextmanager
def raises_code(*codes: str):
    """Expect a botocore ClientError whose error code is one of `codes`."""
    with pytest.raises(ClientError) as ei:
        yield ei
    got = ei.value.response.get("Error", {}).get("Code")
    assert got in codes, f"expected error {' or '.join(codes)}, got {got}: {ei.value}"


def arn_pattern(name: str, region: str = "us-east-1") -> str:
    import re
    return ARN_RE.format(region=re.escape(region), name=re.escape(name))


def assert_arn(arn: str, name: str, region: str = "us-east-1") -> None:
    import re
    assert re.match(arn_pattern(name, region), arn), f"bad ARN {arn!r} for {name!r} in {region}"


def assert_utc_datetime(v) -> None:
    assert isinstance(v, _dt.datetime), f"expected a timestamp (datetime), got {type(v)}: {v!r}"
    assert v.tzinfo is not None


def token() -> str:
    return str(uuid.uuid4())


def wait_for(fn, timeout: float = 10.0, interval: float = 0.1, what: str = "condition"):
    """Poll fn() until it returns a truthy value (returned) or raise AssertionError."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - polling
            last_exc = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last error: {last_exc!r}")


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def tmp_root():
    d = Path(tempfile.mkdtemp(prefix="arcana-it-"))
    yield d
    if os.environ.get("ARCANA_KEEP_TMP") != "1":
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def dev_server(tmp_root):
    srv = ArcanaServer(tmp_root / "dev-data", tmp_root / "dev-logs", dev=True)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def sm(dev_server):
    """sm(region) -> boto3 client against the shared dev server, state wiped first."""
    if dev_server.proc.poll() is not None:  # a previous test crashed the server: bring it back
        dev_server.start()
    dev_server.reset()
    cache = {}

    def factory(region: str = "us-east-1"):
        if region not in cache:
            cache[region] = dev_server.client(region)
        return cache[region]

    factory.server = dev_server
    return factory


@pytest.fixture
def raw(dev_server):
    def call(op, body=None, region="us-east-1", **kw):
        return raw_call(dev_server.endpoint, op, {} if body is None else body, region=region, **kw)
    return call


@pytest.fixture
def fresh_dev_server(tmp_path):
    srv = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=True)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def auth_server(tmp_root):
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    srv = ArcanaServer(tmp_root / "auth-data", tmp_root / "auth-logs", dev=False, env=env)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def uniq(request):
    """uniq("db") -> "it<8 hex>/db": names unique per test, with a shared per-test prefix."""
    base = "it" + uuid.uuid4().hex[:8]

    def make(suffix: str = "s") -> str:
        return f"{base}/{suffix}"

    make.prefix = base + "/"
    return make
