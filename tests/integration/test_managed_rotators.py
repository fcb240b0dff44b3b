"""Managed rotators against real databases (issue 12): postgresql-alternating-users,
mysql-single-user and mysql-alternating-users (rotation/builtin_rotators.h), on the session's
PostgreSQL (pg_cluster.py) and on a MariaDB server of this module (mariadb_server.py).

One arcanad for the module (signature checks on, so the rotators' scoped credentials are
enforced: the master secret is readable only when the registration names it), retries after
1 s. Every test runs on one store pass only: the rotators talk to their own database, the
store backend plays no part in what is tested here."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid

import boto3
import pytest
from botocore.config import Config

import mariadb_server
import pg_cluster
from conftest import ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer, cli_store_args, wait_for
from test_rotation import new_secret, stages, wait_current

pytestmark = pytest.mark.sqlite_only(
    "the rotators talk to their own PostgreSQL/MariaDB, not to the store: one pass")

ARCANA_CLI = ARCANAD.parent / "arcana"
REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def arcana(tmp_path_factory):
    root = tmp_path_factory.mktemp("managed-rotators")
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    srv = ArcanaServer(root / "data", root / "logs", dev=False, env=env,
                       args=["--rotation-retry-seconds", "1"]).start()
    sm = boto3.client("secretsmanager", endpoint_url=srv.endpoint, region_name=REGION,
                      aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                      config=Config(retries={"max_attempts": 1}))
    yield srv, sm
    srv.stop()


@pytest.fixture(scope="module")
def mariadb():
    reason = mariadb_server.missing_reason()
    if reason:
        pytest.skip(reason)
    server = mariadb_server.MariaDbServer().start()
    yield server
    server.stop()


def register(srv, name: str, rotator: str, *masters: str) -> str:
    args = [str(ARCANA_CLI), *cli_store_args(srv.data_dir), "functions", "create", name,
            "--builtin", rotator, "--timeout", "20"]
    for m in masters:
        args += ["--master-secret", m]
    out = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def rotate(srv, sm, name: str, lambda_arn: str | None = None) -> str:
    """Rotates now (with lambda_arn: configures it first) and waits for the new AWSCURRENT."""
    token = str(uuid.uuid4())
    more = {"RotationLambdaARN": lambda_arn} if lambda_arn else {}
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, **more)
    try:
        wait_current(sm, name, token, timeout=40)
    except AssertionError as e:  # say why: the function logs (passwords are redacted there)
        logs = "".join(p.read_text()[-3000:] for p in (srv.data_dir / "functions").glob("*.log"))
        raise AssertionError(f"{e}\nfunction logs:\n{logs}") from None
    return token


def value(sm, name: str, stage: str = "AWSCURRENT") -> dict:
    return json.loads(sm.get_secret_value(SecretId=name, VersionStage=stage)["SecretString"])


def function_log(srv, fn_name: str) -> str:
    return (srv.data_dir / "functions" / f"{ACCOUNT}-{REGION}-{fn_name}.log").read_text()


# ------------------------------------------------------------------ engines under test
class Postgres:
    label = "postgres"

    def __init__(self):
        self.cluster = pg_cluster.session_cluster()
        self.port = self.cluster.port

    def master(self) -> dict:
        return {"engine": "postgres", "host": "127.0.0.1", "port": self.port,
                "username": pg_cluster.SUPERUSER, "password": self.cluster.password,
                "dbname": "postgres"}

    def create_user(self, user: str, password: str) -> None:
        t = "t_" + user
        self.cluster.psql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'; "
                          f"CREATE TABLE {t} (x int); INSERT INTO {t} VALUES (7); "
                          f"GRANT SELECT ON {t} TO {user}")

    def query(self, secret: dict, sql: str):
        import psycopg2
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=secret["username"],
                                password=secret["password"], dbname="postgres", connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchone()[0]
        finally:
            conn.close()

    def refused(self):
        import psycopg2
        return pytest.raises(psycopg2.OperationalError)


class MariaDb:
    label = "mariadb"

    def __init__(self, server: mariadb_server.MariaDbServer):
        self.server = server
        self.port = server.port

    def master(self) -> dict:
        return {"engine": "mysql", "host": "127.0.0.1", "port": self.port,
                "username": mariadb_server.MASTER_USER, "password": self.server.master_password}

    def create_user(self, user: str, password: str) -> None:
        t = "t_" + user
        self.server.sql("CREATE DATABASE IF NOT EXISTS app", f"CREATE TABLE app.{t} (x int)",
                        f"INSERT INTO app.{t} VALUES (7)",
                        f"CREATE USER `{user}`@`%` IDENTIFIED BY '{password}'",
                        f"GRANT SELECT ON app.{t} TO `{user}`@`%`")

    def query(self, secret: dict, sql: str):
        conn = self.server.connect(secret["username"], secret["password"])
        try:
            with conn.cursor() as cur:
                cur.execute(sql.replace("FROM t_", "FROM app.t_"))
                return cur.fetchone()[0]
        finally:
            conn.close()

    def refused(self):
        import pymysql
        return pytest.raises(pymysql.err.OperationalError)


@pytest.fixture(params=["postgres", "mariadb"])
def engine(request):
    if request.param == "postgres":
        return Postgres()
    return MariaDb(request.getfixturevalue("mariadb"))


def alternating_secret(arcana, engine, fn_prefix: str):
    """A user with a table it may read, its secret (masterarn set) and the master's secret,
    rotated by an alternating-users function registered with that master."""
    srv, sm = arcana
    user = "app_" + uuid.uuid4().hex[:8]
    engine.create_user(user, "initial-Pw-1")
    master_name, _ = new_secret(sm, json.dumps(engine.master()))
    master_arn = sm.describe_secret(SecretId=master_name)["ARN"]
    secret = {"engine": engine.master()["engine"], "host": "127.0.0.1", "port": engine.port,
              "username": user, "password": "initial-Pw-1", "masterarn": master_arn}
    if engine.label == "postgres":
        secret["dbname"] = "postgres"
    name, v1 = new_secret(sm, json.dumps(secret))
    rotator = ("postgresql" if engine.label == "postgres" else "mysql") + "-alternating-users"
    fn_name = f"{fn_prefix}-{engine.label}-{uuid.uuid4().hex[:6]}"
    return name, v1, user, fn_name, register(srv, fn_name, rotator, master_arn)


# ------------------------------------------------------------------ tests
def test_mysql_single_user_by_its_managed_arn_without_registration(arcana, mariadb):
    srv, sm = arcana
    db = MariaDb(mariadb)
    user = "single_" + uuid.uuid4().hex[:8]
    db.create_user(user, "initial-Pw-1")
    name, v1 = new_secret(sm, json.dumps({"engine": "mysql", "host": "127.0.0.1",
                                          "port": mariadb.port, "username": user,
                                          "password": "initial-Pw-1"}))
    lambda_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:arcana:mysql-single-user"
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
    wait_current(sm, name, token, timeout=40)
    new = value(sm, name)
    assert new["username"] == user and new["password"] != "initial-Pw-1"
    assert len(new["password"]) == 32 and not set("/@\"'\\") & set(new["password"])
    assert db.query(new, f"SELECT x FROM t_{user}") == 7  # the new password works
    with db.refused():
        mariadb.connect(user, "initial-Pw-1")  # the old one no longer does
    assert stages(sm, name)[v1] == ["AWSPREVIOUS"]
    log = wait_for(lambda: (lambda t: "step=finishSecret ok" in t and t)(
        function_log(srv, "arcana:mysql-single-user")), what="finishSecret in the log")
    assert new["password"] not in log and "initial-Pw-1" not in log


def test_unknown_managed_rotator_is_refused_before_anything_changes(arcana):
    srv, sm = arcana
    name, v1 = new_secret(sm)
    with pytest.raises(sm.exceptions.InvalidRequestException, match="managed rotator"):
        sm.rotate_secret(SecretId=name, RotationLambdaARN=(
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:arcana:oracle-single-user"))
    assert stages(sm, name) == {v1: ["AWSCURRENT"]}


class BusyClient:
    """An application that reads AWSCURRENT before every query (a new connection each time),
    in a tight loop on a thread of its own: every failure is recorded."""

    def __init__(self, srv, engine, name: str, user: str):
        self.sm = boto3.client("secretsmanager", endpoint_url=srv.endpoint, region_name=REGION,
                               aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                               config=Config(retries={"max_attempts": 1}))
        self.engine, self.name, self.user = engine, name, user
        self.failures: list[str] = []
        self.queries = 0
        self.users_seen: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop.is_set():
            secret = json.loads(self.sm.get_secret_value(SecretId=self.name)["SecretString"])
            try:
                assert self.engine.query(secret, f"SELECT x FROM t_{self.user}") == 7
                self.queries += 1
                self.users_seen.add(secret["username"])
            except Exception as e:  # noqa: BLE001 - recorded, asserted on by the test
                self.failures.append(f"{secret['username']}: {type(e).__name__}")

    def finish(self):
        self.stop.set()
        self.thread.join(10)


def test_alternating_users_switch_between_user_and_clone_and_clients_never_fail(arcana, engine):
    srv, sm = arcana
    name, v1, user, fn_name, arn = alternating_secret(arcana, engine, "alt")
    first = value(sm, name)
    client = BusyClient(srv, engine, name, user)
    try:
        t1 = rotate(srv, sm, name, arn)
        second = value(sm, name)
        st1 = stages(sm, name)
        t2 = rotate(srv, sm, name)
        third = value(sm, name)
        st2 = stages(sm, name)
    finally:
        client.finish()
    # A client reading the secret before every query never failed across both rotations.
    assert client.failures == [], client.failures[:3]
    assert client.queries > 10 and client.users_seen == {user, user + "_clone"}
    assert second["username"] == user + "_clone" and second["password"] != first["password"]
    assert second["masterarn"] == first["masterarn"]
    assert st1[v1] == ["AWSPREVIOUS"] and "AWSCURRENT" in st1[t1]
    assert third["username"] == user and third["password"] not in (first["password"],
                                                                   second["password"])
    assert "AWSCURRENT" in st2[t2] and st2[t1] == ["AWSPREVIOUS"] and not st2.get(v1)
    # Both users work, the clone with the user's grants; AWSPREVIOUS still works.
    assert engine.query(third, f"SELECT x FROM t_{user}") == 7
    assert engine.query(value(sm, name, "AWSPREVIOUS"), f"SELECT x FROM t_{user}") == 7
    with engine.refused():
        engine.query(first, "SELECT 1")  # the user's first password is gone
    log = function_log(srv, fn_name)
    for secret in (first, second, third, engine.master()):
        assert secret["password"] not in log


def test_master_secret_is_readable_only_when_the_registration_names_it(arcana, mariadb):
    srv, sm = arcana
    db = MariaDb(mariadb)
    name, v1, user, _, _ = alternating_secret(arcana, db, "nomaster")
    # The same rotator by its managed ARN: registered with no master secret.
    lambda_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:arcana:mysql-alternating-users"
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
    log = wait_for(lambda: (lambda t: "may not read the master secret" in t and t)(
        function_log(srv, "arcana:mysql-alternating-users")), timeout=40,
        what="the refusal in the function's log")
    assert db.server.master_password not in log
    sm.cancel_rotate_secret(SecretId=name)
    assert value(sm, name)["username"] == user and "AWSCURRENT" in stages(sm, name)[v1]
    assert not mariadb.sql(f"SELECT 1 FROM mysql.user WHERE User = '{user}_clone'")
