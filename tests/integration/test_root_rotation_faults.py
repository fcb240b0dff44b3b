"""Root rotation when a step fails or another node interferes (review storage_seal 1, 2, 2b):
once the new root is committed it is never dropped, a node never deletes another node's
in-flight rotation, and a node whose root key is no longer the store's stops sealing under it.

Store failures are injected with a trigger on the meta table (SQLite or PostgreSQL) that
refuses one statement, standing in for any store error at that moment.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import requests

import pg_cluster
from conftest import IS_PG, store_database
from test_root_of_trust import (  # noqa: F401  (servers is a fixture)
    Server, operator_init, servers)


def store_sql(data_dir: Path, sql: str) -> None:
    """Runs one statement on data_dir's store (SQLite file or PostgreSQL database)."""
    if IS_PG:
        pg_cluster.session_cluster().psql(sql, database=store_database(data_dir))
        return
    with sqlite3.connect(data_dir / "arcana.db") as db:
        db.executescript(sql)


def refuse_deleting_meta(data_dir: Path, key: str) -> None:
    if IS_PG:
        store_sql(data_dir, f"""
CREATE FUNCTION inject_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF OLD.key = '{key}' THEN RAISE EXCEPTION 'injected store failure'; END IF;
RETURN OLD; END $$;
CREATE TRIGGER inject_fail BEFORE DELETE ON meta FOR EACH ROW EXECUTE FUNCTION inject_fail();""")
    else:
        store_sql(data_dir, f"CREATE TRIGGER inject_fail BEFORE DELETE ON meta "
                            f"WHEN OLD.key = '{key}' "
                            f"BEGIN SELECT RAISE(ABORT, 'injected store failure'); END;")


def stop_refusing(data_dir: Path) -> None:
    store_sql(data_dir, "DROP TRIGGER inject_fail ON meta; DROP FUNCTION inject_fail();"
              if IS_PG else "DROP TRIGGER inject_fail;")


def post(server: Server, op: str, body: dict, token: str | None = None):
    headers = {"X-Arcana-Operator-Token": token} if token else {}
    return requests.post(f"{server.endpoint}/_arcana/operator/{op}", json=body, headers=headers,
                         timeout=60)


def unseal_with(server: Server, shares: list[str]) -> requests.Response:
    r = post(server, "unseal", {"share": shares[0]})
    for s in shares[1:]:
        if r.status_code != 200:
            return r
        r = post(server, "unseal", {"share": s, "nonce": r.json().get("nonce", "")})
    return r


def test_shamir_rekey_whose_verification_fails_still_hands_out_the_new_shares(tmp_path, servers):
    shares = operator_init(tmp_path, shares=3, threshold=2)
    server = servers().start()
    assert unseal_with(server, shares[:2]).json()["sealed"] is False
    server.sm().create_secret(Name="precious", SecretString="the-only-copy")
    old_id = server.status()["root_key_id"]
    # Step 5 (the verification pass that drops root.pending) fails after step 4 committed.
    refuse_deleting_meta(server.data_dir, "root.pending")
    nonce = post(server, "rotate-root", {}, token=server.token).json()["nonce"]
    assert post(server, "rotate-root", {"share": shares[0], "nonce": nonce}).status_code == 200
    r = post(server, "rotate-root", {"share": shares[1], "nonce": nonce})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["shares"]) == 3, body  # the only copy of the new key: never dropped
    assert "committed" in body["warning"] and "next unseal" in body["warning"]
    assert "restart" not in body["warning"]
    new_shares = body["shares"]
    assert server.status()["root_key_id"] == body["root_key_id"] != old_id
    assert server.sm().get_secret_value(SecretId="precious")["SecretString"] == "the-only-copy"

    # The store answers to the new shares only; the next unseal completes the rotation.
    stop_refusing(server.data_dir)
    server.restart()
    assert unseal_with(server, shares[:2]).status_code == 400
    r = unseal_with(server, new_shares[1:])
    assert r.status_code == 200 and r.json()["sealed"] is False, r.text
    assert server.sm().get_secret_value(SecretId="precious")["SecretString"] == "the-only-copy"
    assert "completing an interrupted root rotation" in server.log.read_text()
