"""The builtin single-user database rotators' guards (rotation/builtin_rotators.cc), against the
session's PostgreSQL and a MariaDB server of this module, as in test_managed_rotators.py.

AWS's single-user templates (SecretsManagerRDS{PostgreSQL,MySQL}RotationSingleUser) set the
pending password logged in as the current user, or as the previous one when the current login
fails; the pending value must name the same user and host as the login used. The pending value
is a copy of AWSCURRENT, which anyone who may PutSecretValue chooses: without the check for the
previous login, a value naming another user made the previous user (a role that may ALTER
other roles) set that user's password. Arcana checks before logging in with the previous
credentials, so they are never sent to another host either.

RotateImmediately=false runs testSecret alone on the empty AWSPENDING version: the database
rotators then sign in with AWSCURRENT (the configuration is what is tested), as the partner
rotators do."""

from __future__ import annotations

import json
import socket
import threading
import uuid

import pytest

from conftest import wait_for
# The server (rotation retried after 1 s) and MariaDB fixtures, one of each for this module.
from test_managed_rotators import (ACCOUNT, REGION, MariaDb, Postgres, arcana,  # noqa: F401
                                  function_log, mariadb)  # noqa: F401
from test_rotation import new_secret, stages

pytestmark = pytest.mark.sqlite_only(
    "the rotators talk to their own PostgreSQL/MariaDB, not to the store: one pass")


@pytest.fixture(params=["postgres", "mariadb"])
def engine(request):
    if request.param == "postgres":
        return Postgres()
    return MariaDb(request.getfixturevalue("mariadb"))


def single_user(engine) -> str:
    """The engine's single-user rotator, by its managed ARN (no registration needed)."""
    rotator = ("postgresql" if engine.label == "postgres" else "mysql") + "-single-user"
    return f"arcana:{rotator}"


def lambda_arn(fn_name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn_name}"


def login(engine, user: str, password: str, host: str = "127.0.0.1",
          port: int | None = None) -> dict:
    secret = {"engine": engine.master()["engine"], "host": host,
              "port": engine.port if port is None else port, "username": user,
              "password": password}
    if engine.label == "postgres":
        secret["dbname"] = "postgres"
    return secret


def logged(srv, fn_name: str, text: str, timeout: float = 40) -> str:
    return wait_for(lambda: (lambda t: text in t and t)(function_log(srv, fn_name)),
                    timeout=timeout, what=repr(text) + " in the function's log")


def test_previous_login_never_sets_the_password_of_another_user(arcana, engine):
    """The reviewer's case: AWSCURRENT made to name another user ('victim', with a password
    that does not work), AWSPREVIOUS the real login of a user that may ALTER other roles."""
    srv, sm = arcana
    tag = uuid.uuid4().hex[:8]
    own, victim = "own_" + tag, "victim_" + tag
    engine.create_user(own, "own-Pw-1")
    engine.create_user(victim, "victim-Pw-1")
    if engine.label == "postgres":
        # CREATEROLE may set any non-superuser's password (PostgreSQL 16 and later: of the
        # roles it administers, hence the grant).
        engine.cluster.psql(f"ALTER ROLE {own} CREATEROLE; "
                            f"GRANT {victim} TO {own} WITH ADMIN OPTION")
    name, v1 = new_secret(sm, json.dumps(login(engine, own, "own-Pw-1")))
    sm.put_secret_value(SecretId=name, SecretString=json.dumps(login(engine, victim, "a-guess")))
    fn = single_user(engine)
    sm.rotate_secret(SecretId=name, ClientRequestToken=str(uuid.uuid4()),
                     RotationLambdaARN=lambda_arn(fn))
    logged(srv, fn, f"Attempting to modify user {victim} other than previous valid user {own}")
    sm.cancel_rotate_secret(SecretId=name)
    # Neither password changed: the victim's (PostgreSQL: ALTER USER victim as `own`) nor
    # own's (MySQL: SET PASSWORD as `own` sets its own).
    assert engine.query(login(engine, victim, "victim-Pw-1"), "SELECT 1") == 1
    assert engine.query(login(engine, own, "own-Pw-1"), "SELECT 1") == 1
    assert stages(sm, name)[v1] == ["AWSPREVIOUS"]


class Listener:
    """A TCP port that counts the connections made to it (and closes them at once)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


def test_previous_login_is_never_sent_to_another_host(arcana, engine):
    """AWSPREVIOUS names another host than the pending value: refused before its credentials
    are sent anywhere (AWS's template logs in first and checks after)."""
    srv, sm = arcana
    user = "hosted_" + uuid.uuid4().hex[:8]
    engine.create_user(user, "initial-Pw-1")
    listener = Listener()
    try:
        name, _ = new_secret(sm, json.dumps(login(engine, user, "initial-Pw-1",
                                                  port=listener.port)))
        # The current value names the database by another host name, with a wrong password.
        sm.put_secret_value(SecretId=name, SecretString=json.dumps(
            login(engine, user, "not-it", host="localhost")))
        fn = single_user(engine)
        sm.rotate_secret(SecretId=name, ClientRequestToken=str(uuid.uuid4()),
                         RotationLambdaARN=lambda_arn(fn))
        logged(srv, fn, "Attempting to modify user for host localhost other than previous "
                        "valid host 127.0.0.1")
        sm.cancel_rotate_secret(SecretId=name)
        assert listener.connections == 0
    finally:
        listener.close()
    assert engine.query(login(engine, user, "initial-Pw-1"), "SELECT 1") == 1


def test_current_login_checks_user_as_the_template_words_it(arcana):
    """A pending value naming another user than AWSCURRENT (filled in before createSecret ran,
    which then keeps it) is refused with the template's text."""
    srv, sm = arcana
    engine = Postgres()
    tag = uuid.uuid4().hex[:8]
    own, other = "cur_" + tag, "other_" + tag
    engine.create_user(own, "own-Pw-1")
    fn = single_user(engine)
    for _ in range(3):  # the PutSecretValue below must come before the run's createSecret
        name, v1 = new_secret(sm, json.dumps(login(engine, own, "own-Pw-1")))
        token = str(uuid.uuid4())
        sm.rotate_secret(SecretId=name, ClientRequestToken=token,
                         RotationLambdaARN=lambda_arn(fn))
        try:
            sm.put_secret_value(SecretId=name, ClientRequestToken=token,
                                SecretString=json.dumps(login(engine, other, "x")),
                                VersionStages=["AWSPENDING"])
            break
        except sm.exceptions.ClientError:
            sm.cancel_rotate_secret(SecretId=name)  # createSecret was first: again
    else:
        pytest.fail("createSecret always filled AWSPENDING first")
    logged(srv, fn, f"Attempting to modify user {other} other than current user {own}")
    sm.cancel_rotate_secret(SecretId=name)
    assert engine.query(login(engine, own, "own-Pw-1"), "SELECT 1") == 1
    assert "AWSCURRENT" in stages(sm, name)[v1]


def test_rotate_immediately_false_tests_the_current_login(arcana, engine):
    srv, sm = arcana
    user = "cfg_" + uuid.uuid4().hex[:8]
    engine.create_user(user, "initial-Pw-1")
    fn = single_user(engine)
    good, v1 = new_secret(sm, json.dumps(login(engine, user, "initial-Pw-1")))
    bad, _ = new_secret(sm, json.dumps(login(engine, user, "wrong-Pw")))
    arns = {n: sm.describe_secret(SecretId=n)["ARN"] for n in (good, bad)}
    for n in (good, bad):
        r = sm.rotate_secret(SecretId=n, ClientRequestToken=str(uuid.uuid4()),
                             RotationLambdaARN=lambda_arn(fn),
                             RotationRules={"AutomaticallyAfterDays": 30},
                             RotateImmediately=False)
        assert "VersionId" not in r
    label = "PostgreSQL" if engine.label == "postgres" else "MySQL"
    logged(srv, fn, f"testSecret: Successfully signed into {label} DB with AWSCURRENT secret "
                    f"in {arns[good]}.")
    logged(srv, fn, f"Unable to log into database with current secret of secret ARN {arns[bad]}")
    # Only tested: the placeholder is gone, the value and the password are as they were.
    wait_for(lambda: stages(sm, good) == {v1: ["AWSCURRENT"]}, what="placeholder removed")
    assert json.loads(sm.get_secret_value(SecretId=good)["SecretString"])["password"] == (
        "initial-Pw-1")
    assert engine.query(login(engine, user, "initial-Pw-1"), "SELECT 1") == 1
    d = sm.describe_secret(SecretId=good)
    assert d["RotationEnabled"] is True and "LastRotatedDate" not in d
