"""Quotas hold under concurrent creates: Parameter Store's parameters per tier (account and
region) and KMS's aliases per key.

Each check is made inside the store's write transaction (the parameter counter row of the
tier, the target key's row), so creates released together by a barrier, through one node or
through two nodes on one PostgreSQL database, cannot all pass a check made before any of them
committed. A create beyond the quota is ParameterLimitExceeded (SSM) / LimitExceededException
(KMS: "You might encounter this quota when you create or update an alias", KMS developer
guide, Resource quotas, Aliases per KMS key: UpdateAlias counts too).
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import pg_cluster
from conftest import (DEV_AKID, DEV_SECRET, ROOT_AKID, ROOT_SECRET, ArcanaServer,
                      raises_code)

QUOTA = 5  # Standard and Advanced parameters per account and region
WRITERS = 12
QUOTA_ARGS = ["--ssm-standard-parameters-quota", str(QUOTA),
              "--ssm-advanced-parameters-quota", str(QUOTA)]
MAX_ALIASES = 50  # per KMS key (AWS's default quota, fixed in Arcana)


def _client(endpoint: str, service: str, akid: str = DEV_AKID, secret: str = DEV_SECRET):
    cfg = Config(retries={"max_attempts": 0}, connect_timeout=5, read_timeout=60,
                 max_pool_connections=4)
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=akid, aws_secret_access_key=secret, config=cfg)


def _race(calls) -> list:
    """Runs every call on its own thread, released together; each one's result or error code."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i):
        barrier.wait()
        try:
            out[i] = calls[i]()
        except ClientError as e:
            out[i] = e.response["Error"]["Code"]
        except Exception as e:  # noqa: BLE001 - reported in the assertion
            out[i] = repr(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def _tiers(ssm) -> dict:
    out: dict = {}
    for page in ssm.get_paginator("describe_parameters").paginate():
        for p in page["Parameters"]:
            out[p["Tier"]] = out.get(p["Tier"], 0) + 1
    return out


def _put_race(clients, tier: str) -> list:
    prefix = "/race-" + uuid.uuid4().hex[:8]

    def put(c, i):
        return lambda: c.put_parameter(Name=f"{prefix}/p{i}", Value="x", Type="String",
                                       Tier=tier)["Tier"]

    return _race([put(clients[i % len(clients)], i) for i in range(WRITERS)])


def _check_tier_race(clients, tier: str) -> None:
    got = _put_race(clients, tier)
    assert got.count(tier) == QUOTA, got
    assert got.count("ParameterLimitExceeded") == WRITERS - QUOTA, got
    assert _tiers(clients[0]).get(tier) == QUOTA


def _check_intelligent_tiering_race(clients) -> None:
    got = _put_race(clients, "Intelligent-Tiering")
    assert got.count("Standard") == QUOTA, got
    assert got.count("Advanced") == QUOTA, got
    assert got.count("ParameterLimitExceeded") == WRITERS - 2 * QUOTA, got
    assert _tiers(clients[0]) == {"Standard": QUOTA, "Advanced": QUOTA}


def _key_with_aliases(kms, n: int) -> tuple[str, str]:
    """A new key with n aliases; (key id, alias name prefix)."""
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    prefix = "alias/r" + uuid.uuid4().hex[:8]
    for i in range(n):
        kms.create_alias(AliasName=f"{prefix}-{i}", TargetKeyId=kid)
    return kid, prefix


def _aliases_of(kms, kid: str) -> int:
    return sum(len(p["Aliases"])
               for p in kms.get_paginator("list_aliases").paginate(KeyId=kid))


def _check_create_alias_race(clients) -> None:
    kid, prefix = _key_with_aliases(clients[0], MAX_ALIASES - 6)

    def create(c, i):
        return lambda: c.create_alias(AliasName=f"{prefix}-r{i}", TargetKeyId=kid) and "OK"

    got = _race([create(clients[i % len(clients)], i) for i in range(16)])
    assert got.count("OK") == 6, got
    assert got.count("LimitExceededException") == 10, got
    assert _aliases_of(clients[0], kid) == MAX_ALIASES


def _check_update_alias_race(clients) -> None:
    """Aliases moved onto a key concurrently: only as many as it has room for."""
    dest, _ = _key_with_aliases(clients[0], MAX_ALIASES - 2)
    src, prefix = _key_with_aliases(clients[0], 6)

    def move(c, i):
        return lambda: c.update_alias(AliasName=f"{prefix}-{i}", TargetKeyId=dest) and "OK"

    got = _race([move(clients[i % len(clients)], i) for i in range(6)])
    assert got.count("OK") == 2, got
    assert got.count("LimitExceededException") == 4, got
    assert _aliases_of(clients[0], dest) == MAX_ALIASES
    assert _aliases_of(clients[0], src) == 4


# --------------------------------------------------------------------------- one node


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("quota-races")
    s = ArcanaServer(base / "data", base / "logs", dev=True, args=QUOTA_ARGS)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def ssm_clients(server):
    server.reset()
    return [_client(server.endpoint, "ssm") for _ in range(WRITERS)]


@pytest.fixture
def kms_clients(server):
    server.reset()
    return [_client(server.endpoint, "kms") for _ in range(16)]


@pytest.mark.parametrize("tier", ["Standard", "Advanced"])
def test_concurrent_creates_stop_at_the_tier_quota(ssm_clients, tier):
    _check_tier_race(ssm_clients, tier)


def test_concurrent_intelligent_tiering_creates_fill_standard_then_advanced(ssm_clients):
    _check_intelligent_tiering_race(ssm_clients)


def test_concurrent_create_alias_stops_at_50_per_key(kms_clients):
    _check_create_alias_race(kms_clients)


def test_update_alias_onto_a_full_key_is_limit_exceeded(kms_clients):
    kms = kms_clients[0]
    full, _ = _key_with_aliases(kms, MAX_ALIASES)
    other, prefix = _key_with_aliases(kms, 1)
    with raises_code("LimitExceededException"):
        kms.update_alias(AliasName=f"{prefix}-0", TargetKeyId=full)
    assert _aliases_of(kms, full) == MAX_ALIASES
    assert _aliases_of(kms, other) == 1
    # Re-pointing an alias at the key it already names adds nothing: not refused.
    kms.update_alias(AliasName=f"{prefix}-0", TargetKeyId=other)
    # A place freed on the full key: the move succeeds.
    aliases = [a["AliasName"] for a in kms.list_aliases(KeyId=full)["Aliases"]]
    kms.delete_alias(AliasName=aliases[0])
    kms.update_alias(AliasName=f"{prefix}-0", TargetKeyId=full)
    assert _aliases_of(kms, full) == MAX_ALIASES


def test_concurrent_update_alias_stops_at_50_per_key(kms_clients):
    _check_update_alias_race(kms_clients)


# --------------------------------------------------------------------------- two nodes


@pytest.fixture
def two_nodes(tmp_path):
    pg = pg_cluster.session_cluster()
    url = pg.url(pg.create_database("arcana_quota_races"))
    key_file = tmp_path / "shared" / "root.key"
    key_file.parent.mkdir(parents=True)
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    nodes = []
    try:
        for name in ("node0", "node1"):  # one after another: the first creates the key file
            n = ArcanaServer(Path(tmp_path / name / "data"), Path(tmp_path / name / "logs"),
                             dev=False, env=env, store=url, root_key_file=key_file,
                             args=QUOTA_ARGS)
            nodes.append(n)
            n.start()
        yield nodes
    finally:
        for n in nodes:
            if n.proc is not None and n.proc.poll() is None:
                n.stop()


def _node_clients(nodes, service: str, count: int):
    return [_client(nodes[i % len(nodes)].endpoint, service, ROOT_AKID, ROOT_SECRET)
            for i in range(count)]


@pytest.mark.postgresql_only("two nodes need a shared PostgreSQL store")
def test_two_nodes_concurrent_creates_stop_at_the_quotas(two_nodes):
    clients = _node_clients(two_nodes, "ssm", WRITERS)
    _check_tier_race(clients, "Advanced")
    _check_tier_race(clients, "Standard")


@pytest.mark.postgresql_only("two nodes need a shared PostgreSQL store")
def test_two_nodes_concurrent_intelligent_tiering_creates(two_nodes):
    _check_intelligent_tiering_race(_node_clients(two_nodes, "ssm", WRITERS))


@pytest.mark.postgresql_only("two nodes need a shared PostgreSQL store")
def test_two_nodes_concurrent_alias_writes_stop_at_50_per_key(two_nodes):
    clients = _node_clients(two_nodes, "kms", 16)
    _check_create_alias_race(clients)
    _check_update_alias_race(clients)
