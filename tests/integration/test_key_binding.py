"""Issue 8, defects 6-8 end to end: what is encrypted is bound to what it belongs to, and the
server keeps secrets out of core dumps.

Each test edits the SQLite store behind a stopped server (an attacker with write access to
arcana.db, or a botched restore) and checks the moved bytes are refused, not served.
"""

from __future__ import annotations

import resource
import sqlite3

import pytest
from botocore.exceptions import ClientError

from conftest import ArcanaServer, make_client
from kms_fixtures import kms_client
from ssm_helpers import ssm_client_for


# The tampering is SQL against the SQLite schema. What it checks -- ciphertext bound (AAD) to
# the row it belongs to -- is done above the store (src/crypto, services), the same for both
# backends; the PostgreSQL backend stores the same sealed bytes.
SQLITE_SCHEMA = pytest.mark.sqlite_only(
    "moves ciphertext between arcana.db rows with sqlite3; the AAD binding under test is "
    "applied above the store, identically for PostgreSQL")


@pytest.fixture
def server(tmp_path):
    srv = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=True)
    srv.start()
    yield srv
    srv.stop()


def tamper(srv: ArcanaServer, *statements: str, params=()) -> None:
    srv.stop()
    db = sqlite3.connect(srv.data_dir / "arcana.db")
    try:
        for s in statements:
            db.execute(s, params)
        db.commit()
    finally:
        db.close()
    srv.start()


@SQLITE_SCHEMA
def test_parameter_value_copied_to_another_version_does_not_decrypt(server):
    ssm = ssm_client_for(server.endpoint)
    ssm.put_parameter(Name="/bind/p", Type="SecureString", Value="version-one")
    ssm.put_parameter(Name="/bind/p", Type="SecureString", Value="version-two", Overwrite=True)
    assert ssm.get_parameter(Name="/bind/p:2", WithDecryption=True)["Parameter"]["Value"] == "version-two"
    tamper(server,
           "UPDATE ssm_values SET value = (SELECT value FROM ssm_values v WHERE v.key = ssm_values.key "
           "AND v.version = 1) WHERE version = 2")
    ssm = ssm_client_for(server.endpoint)
    # Version 1 still reads; version 2's row now holds version 1's ciphertext: refused.
    assert ssm.get_parameter(Name="/bind/p:1", WithDecryption=True)["Parameter"]["Value"] == "version-one"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/bind/p:2", WithDecryption=True)
    assert "version-one" not in str(e.value.response)


@SQLITE_SCHEMA
def test_swapped_kms_material_rows_make_the_keys_fail(server):
    kms = kms_client(server.endpoint)
    a = kms.create_key()["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=a, Plaintext=b"under key a")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"under key a"
    tamper(server,
           "CREATE TEMP TABLE t AS SELECT * FROM kms_key_materials",
           f"UPDATE kms_key_materials SET aad = (SELECT aad FROM t WHERE key_id = '{b}'), "
           f"wrapped = (SELECT wrapped FROM t WHERE key_id = '{b}') WHERE key_id = '{a}'")
    kms = kms_client(server.endpoint)
    # Key a's row now holds key b's material: using key a must fail, not encrypt under b's.
    with pytest.raises(ClientError):
        kms.encrypt(KeyId=a, Plaintext=b"x")
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=blob)
    # Key b is untouched.
    assert kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=b, Plaintext=b"y")["CiphertextBlob"])["Plaintext"] == b"y"


ROOT_AKID = "AKIABINDINGTEST01"
ROOT_SECRET = "binding-test-secret-000000000000000000000"


@SQLITE_SCHEMA
def test_access_key_row_moved_to_another_account_stops_working(tmp_path):
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    srv = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=False, env=env)
    srv.start()
    try:
        sm = make_client(srv.endpoint, akid=ROOT_AKID, secret=ROOT_SECRET)
        sm.list_secrets()
        tamper(srv, "UPDATE access_keys SET account = '999988887777', "
                    "principal = 'arn:aws:iam::999988887777:root' WHERE id = ?", params=(ROOT_AKID,))
        sm = make_client(srv.endpoint, akid=ROOT_AKID, secret=ROOT_SECRET)
        with pytest.raises(ClientError) as e:
            sm.list_secrets()
        # Refused rather than authenticated as the other account's root.
        assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    finally:
        srv.stop()


def _core_limit(pid: int) -> str:
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max core file size"):
            return line.split()[4]
    raise AssertionError("no core limit line")


@pytest.fixture
def core_dumps_allowed():
    """Raises this process's soft core limit (inherited by arcanad) so the tests can see
    arcanad lower it; skips where the hard limit is already 0."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    if hard == 0:
        pytest.skip("core dumps are disabled for this test run (hard limit 0)")
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    yield hard
    resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


def test_core_dumps_are_off_by_default(tmp_path, core_dumps_allowed):
    srv = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=True)
    srv.start()
    try:
        assert _core_limit(srv.proc.pid) == "0"
    finally:
        srv.stop()


def test_core_dumps_can_be_allowed_for_debugging(tmp_path, core_dumps_allowed):
    srv = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=True,
                       env={"ARCANA_ALLOW_CORE_DUMPS": "1"})
    srv.start()
    try:
        assert _core_limit(srv.proc.pid) != "0"
    finally:
        srv.stop()
