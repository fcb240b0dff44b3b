"""Several arcanad nodes on one PostgreSQL database (issue 9): read-after-write across nodes,
concurrent updates of one secret through two nodes, kill -9 of a node under load, a
PostgreSQL restart under load, a scheduled purge run once with three nodes, and a node with
another root key refused.

Every node here is a separate process with its own data dir (node-local files) and port,
started with the same --store URL, the same --root-key-file and the same root access key
(ARCANA_ROOT_ACCESS_KEY_ID / ARCANA_ROOT_SECRET_ACCESS_KEY), as an operator would run them
behind a load balancer. The checks are made through the AWS APIs, and where the contract is
about the store (exactly one purge) through the database with psql.

PostgreSQL only: under ARCANA_TEST_STORE=sqlite every test here is reported as skipped with
the reason (SQLite is one process's embedded store).
"""

from __future__ import annotations

import os
import random
import re
import secrets as pysecrets
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import pg_cluster
from conftest import ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer, free_port, raw_call
from events_helpers import json_receiver

pytestmark = pytest.mark.postgresql_only("multi-node needs a shared PostgreSQL store")

ROOT_ENV = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}


# --------------------------------------------------------------------------- helpers

def client(node: ArcanaServer, service: str = "secretsmanager", read_timeout: float = 30):
    """A boto3 client on one node, no retries (every error is seen), root credentials."""
    cfg = Config(retries={"max_attempts": 0}, connect_timeout=5, read_timeout=read_timeout,
                 max_pool_connections=4)
    return boto3.client(service, endpoint_url=node.endpoint, region_name="us-east-1",
                        aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                        config=cfg)


def code_of(e: Exception) -> str:
    if isinstance(e, ClientError):
        return e.response.get("Error", {}).get("Code", "?")
    return type(e).__name__


def status_of(e: Exception) -> int | None:
    if isinstance(e, ClientError):
        return e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None


class Cluster:
    """Nodes on one database (cluster.url) sharing one root key file."""

    def __init__(self, pg: pg_cluster.PgCluster, base: Path):
        self.pg = pg
        self.base = base
        self.database = pg.create_database("arcana_cluster")
        self.url = pg.url(self.database)
        self.key_file = base / "shared" / "root.key"
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        self.nodes: list[ArcanaServer] = []

    def node(self, name: str, key_file: Path | None = None, env: dict | None = None) -> ArcanaServer:
        """A node (not started) with its own data dir and log dir."""
        n = ArcanaServer(self.base / name / "data", self.base / name / "logs", dev=False,
                         env={**ROOT_ENV, **(env or {})}, store=self.url,
                         root_key_file=key_file or self.key_file)
        self.nodes.append(n)
        return n

    def start(self, count: int) -> list[ArcanaServer]:
        """count nodes, started one after another (the first creates the key file)."""
        return [self.node(f"node{len(self.nodes)}").start() for _ in range(count)]

    def psql(self, sql: str) -> str:
        return self.pg.psql(sql, self.database)

    def stop_all(self) -> None:
        for n in self.nodes:
            if n.proc is not None and n.proc.poll() is None:
                n.stop()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(pg_cluster.session_cluster(), tmp_path)
    yield c
    c.stop_all()


@pytest.fixture(scope="module")
def own_pg():
    """A PostgreSQL server of this module's own, for the tests that stop it (each test gets a
    database of its own in it; no other test sees the outage)."""
    pg = pg_cluster.PgCluster().start()
    assert pg.psql("SHOW fsync") == "on"  # durable: these tests kill and restart PostgreSQL
    yield pg
    pg.destroy()


def assert_alive(*nodes: ArcanaServer) -> None:
    for n in nodes:
        assert n.proc.poll() is None, f"arcanad exited {n.proc.returncode}; log:\n{n.log_tail()}"


def assert_labels_consistent(sm, name: str) -> dict:
    """Exactly one AWSCURRENT, at most one AWSPREVIOUS, never both on one version.
    Returns {version id: [stages]}."""
    versions = {}
    token = None
    while True:
        kw = {"NextToken": token} if token else {}
        page = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True, MaxResults=100,
                                          **kw)
        for v in page["Versions"]:
            versions[v["VersionId"]] = v.get("VersionStages", [])
        token = page.get("NextToken")
        if not token:
            break
    current = [v for v, st in versions.items() if "AWSCURRENT" in st]
    previous = [v for v, st in versions.items() if "AWSPREVIOUS" in st]
    assert len(current) == 1, f"{name}: AWSCURRENT on {current}"
    assert len(previous) <= 1, f"{name}: AWSPREVIOUS on {previous}"
    assert not previous or previous != current, f"{name}: AWSCURRENT and AWSPREVIOUS on {current}"
    # DescribeSecret agrees with the version listing.
    described = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    for v, st in described.items():
        assert sorted(st) == sorted(versions.get(v, [])), (name, v, st, versions.get(v))
    return versions


def run_for(seconds: float, workers: list, errors: list) -> None:
    """Starts the worker threads (each takes a stop Event) and lets them run for `seconds` (or
    until they all end, or one reports an error); then stops and joins them."""
    stop = threading.Event()
    threads = [threading.Thread(target=w, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not errors and any(t.is_alive() for t in threads):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a load thread did not finish"


# --------------------------------------------------------------------------- (a) read-after-write

def test_read_after_write_across_nodes_under_concurrent_writers(cluster):
    """Writes on one node, reads on the other in a tight loop for 10 s, while writers run on
    both nodes: every read returns a version at least as new as the last write acknowledged
    before the read started (zero stale reads)."""
    a, b = cluster.start(2)
    setup = client(a)
    # Each writer owns its secrets (one writer per secret makes "newer" a counter), and cycles
    # through 30 of them to stay far below 100 versions per secret per day.
    writers = [(a, b, "w0"), (a, b, "w1"), (b, a, "w2")]  # (write node, read node, prefix)
    names = {p: [f"raw/{p}/{i}" for i in range(30)] for _, _, p in writers}
    for p, ns in names.items():
        for n in ns:
            setup.create_secret(Name=n, SecretString=f"{n}:0")
    acked = {n: 0 for ns in names.values() for n in ns}  # name -> highest acknowledged counter
    lock = threading.Lock()
    stale: list[str] = []
    errors: list[str] = []
    counts = {"writes": 0, "reads": 0}

    def counter_of(name: str, value: str) -> int:
        prefix, _, num = value.rpartition(":")
        assert prefix == name, (name, value)
        return int(num)

    def writer(write_node, read_node, prefix):
        def run(stop):
            w, r = client(write_node), client(read_node)
            i = 0
            while not stop.is_set():
                i += 1
                n = names[prefix][i % len(names[prefix])]
                k = acked[n] + 1
                try:
                    w.put_secret_value(SecretId=n, SecretString=f"{n}:{k}")
                except Exception as e:  # noqa: BLE001 - every failure is a test failure here
                    errors.append(f"PutSecretValue {n} on {write_node.endpoint}: {e!r}")
                    return
                with lock:
                    acked[n] = k
                    counts["writes"] += 1
                # The writer's own next read, on the other node.
                try:
                    got = counter_of(n, r.get_secret_value(SecretId=n)["SecretString"])
                except Exception as e:  # noqa: BLE001
                    errors.append(f"GetSecretValue {n} on {read_node.endpoint}: {e!r}")
                    return
                if got < k:
                    stale.append(f"{n}: wrote {k} on {write_node.port}, then read {got} on "
                                 f"{read_node.port}")
        return run

    def reader(read_node, prefixes):
        def run(stop):
            r = client(read_node)
            pool = [n for p in prefixes for n in names[p]]
            while not stop.is_set():
                n = random.choice(pool)
                floor = acked[n]  # acknowledged before this read starts
                try:
                    got = counter_of(n, r.get_secret_value(SecretId=n)["SecretString"])
                except Exception as e:  # noqa: BLE001
                    errors.append(f"GetSecretValue {n} on {read_node.endpoint}: {e!r}")
                    return
                with lock:
                    counts["reads"] += 1
                if got < floor:
                    stale.append(f"{n}: acknowledged {floor}, then read {got} on {read_node.port}")
        return run

    workers = [writer(w, r, p) for w, r, p in writers]
    workers += [reader(b, ["w0", "w1"]), reader(b, ["w0", "w1"]), reader(a, ["w2"])]
    run_for(10, workers, errors)
    assert not errors, errors[:5]
    assert not stale, f"{len(stale)} stale reads, e.g. {stale[:5]}"
    assert counts["writes"] >= 100 and counts["reads"] >= 300, counts
    assert_alive(a, b)
    # And at rest: both nodes return the last acknowledged value of every secret.
    for node in (a, b):
        c = client(node)
        for n, k in acked.items():
            assert c.get_secret_value(SecretId=n)["SecretString"] == f"{n}:{k}", (node.port, n)


# --------------------------------------------------------------------------- (b) one secret, two nodes

def test_concurrent_updates_of_one_secret_through_both_nodes(cluster):
    """PutSecretValue and UpdateSecretVersionStage on the same secret through both nodes at
    once: every acknowledged version is there afterwards with its value, and the labels are
    consistent (one AWSCURRENT; AWSPREVIOUS on the version AWSCURRENT left last)."""
    a, b = cluster.start(2)
    name = "concurrent/one"
    first = client(a).create_secret(Name=name, SecretString="v0")["VersionId"]
    errors: list[str] = []
    acked: dict[str, str] = {first: "v0"}  # version id -> value
    lock = threading.Lock()

    # Phase 1: 4 threads (2 per node) put 12 versions each, concurrently.
    def putter(node, t):
        def run(stop):
            c = client(node)
            for i in range(12):
                vid, val = str(uuid.uuid4()), f"t{t}-{i}-{uuid.uuid4().hex[:8]}"
                try:
                    r = c.put_secret_value(SecretId=name, SecretString=val, ClientRequestToken=vid)
                except ClientError as e:
                    # A lost race may surface as ThrottlingException once the node's retries
                    # run out; nothing else is acceptable.
                    if code_of(e) != "ThrottlingException":
                        errors.append(f"put on {node.port}: {e!r}")
                    continue
                except Exception as e:  # noqa: BLE001
                    errors.append(f"put on {node.port}: {e!r}")
                    return
                if r["VersionId"] != vid:
                    errors.append(f"acknowledged {r['VersionId']}, sent {vid}")
                with lock:
                    acked[vid] = val
        return run

    run_for(120, [putter(n, t) for t, n in enumerate((a, b, a, b))], errors)
    assert not errors, errors[:5]
    assert len(acked) >= 1 + 4 * 12 * 0.75, f"only {len(acked) - 1} of 48 puts acknowledged"
    for node in (a, b):
        c = client(node)
        versions = assert_labels_consistent(c, name)
        assert set(acked) <= set(versions), f"lost versions: {set(acked) - set(versions)}"
        for vid, val in acked.items():
            assert c.get_secret_value(SecretId=name, VersionId=vid)["SecretString"] == val
    # The version that was AWSCURRENT before one more put becomes AWSPREVIOUS (across nodes).
    before = client(b).get_secret_value(SecretId=name)["VersionId"]
    last = client(a).put_secret_value(SecretId=name, SecretString="last")["VersionId"]
    acked[last] = "last"
    versions = assert_labels_consistent(client(b), name)
    assert "AWSCURRENT" in versions[last] and "AWSPREVIOUS" in versions[before]

    # Phase 2: 4 threads (2 per node) move AWSCURRENT between acknowledged versions, each
    # naming the holder it just read as RemoveFromVersionId. A move whose holder changed in
    # between must fail (InvalidParameterException), so the successful moves form one chain
    # from the holder before to the holder after: no move is lost or applied twice.
    ids = list(acked)
    moves: list[tuple[str, str]] = []

    def mover(node, t):
        def run(stop):
            c = client(node)
            rnd = random.Random(t)
            for _ in range(15):
                try:
                    cur = c.get_secret_value(SecretId=name)["VersionId"]
                    to = rnd.choice([v for v in ids if v != cur])
                    c.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT",
                                                  MoveToVersionId=to, RemoveFromVersionId=cur)
                except ClientError as e:
                    if code_of(e) not in ("InvalidParameterException", "ThrottlingException"):
                        errors.append(f"move on {node.port}: {e!r}")
                    continue
                except Exception as e:  # noqa: BLE001
                    errors.append(f"move on {node.port}: {e!r}")
                    return
                with lock:
                    moves.append((cur, to))
        return run

    start_holder = last
    run_for(120, [mover(n, t) for t, n in enumerate((a, b, a, b))], errors)
    assert not errors, errors[:5]
    assert moves, "no move succeeded"
    versions = assert_labels_consistent(client(a), name)
    end_holder = next(v for v, st in versions.items() if "AWSCURRENT" in st)
    # The successful moves are the edges of one path start_holder -> end_holder.
    balance: dict[str, int] = {}
    for frm, to in moves:
        balance[frm] = balance.get(frm, 0) + 1
        balance[to] = balance.get(to, 0) - 1
    expected = {}
    if start_holder != end_holder:
        expected = {start_holder: 1, end_holder: -1}
    got = {v: d for v, d in balance.items() if d}
    assert got == expected, f"moves do not chain from {start_holder} to {end_holder}: {got}"
    previous = [v for v, st in versions.items() if "AWSPREVIOUS" in st]
    assert previous and (end_holder, previous[0]) in {(to, frm) for frm, to in moves}, \
        f"AWSPREVIOUS on {previous}, not where AWSCURRENT last came from"
    assert set(acked) <= set(versions)
    assert_alive(a, b)


# --------------------------------------------------------------------------- (c) kill -9 a node

def test_kill9_one_node_mid_load_other_keeps_serving(cluster):
    """kill -9 node A while both nodes take writes: B answers every request throughout, and
    every write either node acknowledged is there afterwards, on B and on A restarted."""
    a, b = cluster.start(2)
    setup = client(b)
    names = {node.port: [f"kill/{node.port}/{i}" for i in range(20)] for node in (a, b)}
    for ns in names.values():
        for n in ns:
            setup.create_secret(Name=n, SecretString="initial")
    acked: dict[str, list[tuple[str, str]]] = {n: [] for ns in names.values() for n in ns}
    inflight: dict[str, tuple[str, str] | None] = {n: None for n in acked}
    b_errors: list[str] = []
    killed = threading.Event()

    def writer(node, offset):
        def run(stop):
            c = client(node, read_timeout=10)
            mine = names[node.port][offset::2]
            i = 0
            while not stop.is_set():
                n = mine[i % len(mine)]
                i += 1
                if len(acked[n]) >= 80:
                    continue
                vid, val = str(uuid.uuid4()), uuid.uuid4().hex
                inflight[n] = (vid, val)
                try:
                    c.put_secret_value(SecretId=n, SecretString=val, ClientRequestToken=vid)
                except Exception as e:  # noqa: BLE001
                    if node is b:
                        b_errors.append(f"put {n} on B: {e!r}")
                    elif not killed.is_set():
                        b_errors.append(f"put {n} on A before the kill: {e!r}")
                    return  # A is gone: its writer stops, its in-flight write stays unknown
                acked[n].append((vid, val))
                inflight[n] = None
        return run

    def b_reader(stop):
        c = client(b, read_timeout=10)
        pool = [n for ns in names.values() for n in ns]
        while not stop.is_set():
            try:
                c.get_secret_value(SecretId=random.choice(pool))
            except Exception as e:  # noqa: BLE001
                b_errors.append(f"get on B: {e!r}")
                return

    stop = threading.Event()
    workers = [writer(a, 0), writer(a, 1), writer(b, 0), writer(b, 1), b_reader]
    threads = [threading.Thread(target=w, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    time.sleep(2)
    killed.set()
    a.kill9()
    acked_on_b_at_kill = sum(len(acked[n]) for n in names[b.port])
    time.sleep(2.5)  # B keeps serving without A
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not b_errors, b_errors[:5]
    assert sum(len(acked[n]) for n in names[a.port]) >= 10, "A acknowledged too little"
    assert sum(len(acked[n]) for n in names[b.port]) > acked_on_b_at_kill + 10, \
        "B did not keep taking writes after A died"
    assert_alive(b)

    def check(node):
        c = client(node)
        for n, writes in acked.items():
            for vid, val in writes:
                assert c.get_secret_value(SecretId=n, VersionId=vid)["SecretString"] == val
            cur = c.get_secret_value(SecretId=n)["VersionId"]
            allowed = {writes[-1][0]} if writes else set()
            if inflight[n]:
                allowed.add(inflight[n][0])  # committed, never acknowledged: also fine
            if writes or inflight[n]:
                assert cur in allowed, (n, cur)
            assert_labels_consistent(c, n)

    check(b)
    a.start()  # the killed node comes back on the same store and agrees
    check(a)


# --------------------------------------------------------------------------- (d) PostgreSQL restart

def test_postgresql_restart_under_load(own_pg, tmp_path):
    """Stop PostgreSQL while two nodes take reads and writes: while it is down every request
    fails fast with HTTP 503 ServiceUnavailableException (never a hang, a dropped
    connection or a 500), no arcanad exits, and once it is back requests succeed again and
    every acknowledged write is there."""
    cl = Cluster(own_pg, tmp_path)
    try:
        a, b = cl.start(2)
        names = [f"pgrestart/{i}" for i in range(8)]
        for n in names:
            client(a).create_secret(Name=n, SecretString="initial")
        acked: dict[str, list[tuple[str, str]]] = {n: [] for n in names}
        phase = {"now": "up"}  # up | down | back
        results: list[tuple[str, float, float, str, str]] = []  # phase@start, t0, t1, op, result
        lock = threading.Lock()

        def worker(node, t):
            def run(stop):
                c = client(node, read_timeout=20)
                i = 0
                while not stop.is_set():
                    n = names[(t + i) % len(names)]
                    i += 1
                    at = phase["now"]
                    t0 = time.monotonic()
                    op = "put" if i % 2 else "get"
                    try:
                        if op == "put":
                            if len(acked[n]) >= 80:
                                continue
                            vid, val = str(uuid.uuid4()), uuid.uuid4().hex
                            c.put_secret_value(SecretId=n, SecretString=val, ClientRequestToken=vid)
                            with lock:
                                acked[n].append((vid, val))
                        else:
                            c.get_secret_value(SecretId=n)
                        res = "ok"
                    except ClientError as e:
                        res = f"{status_of(e)} {code_of(e)}"
                    except Exception as e:  # noqa: BLE001 - a hang or a dropped connection
                        res = f"transport {e!r}"
                    with lock:
                        results.append((at, t0, time.monotonic(), op, res))
                    if at == "down":
                        time.sleep(0.05)
            return run

        stop = threading.Event()
        threads = [threading.Thread(target=worker(n, t), args=(stop,), daemon=True)
                   for t, n in enumerate((a, b, a, b))]
        for t in threads:
            t.start()
        time.sleep(2)
        own_pg.stop(mode="fast")
        phase["now"] = "down"
        down_from = time.monotonic()
        time.sleep(5)
        down_until = time.monotonic()
        phase["now"] = "restarting"
        own_pg.start()
        phase["now"] = "back"
        back_at = time.monotonic()
        # Requests succeed again within a bounded time.
        deadline = back_at + 30
        while time.monotonic() < deadline:
            with lock:
                recent_ok = [r for r in results if r[0] == "back" and r[4] == "ok"]
            if len(recent_ok) >= 20:
                break
            time.sleep(0.1)
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert_alive(a, b)

        # Requests started during the outage answer quickly (no hang on a dead connection),
        # and those answered before PostgreSQL came back are all 503 ServiceUnavailable.
        started_down = [r for r in results if down_from <= r[1] < down_until]
        slow = [r for r in started_down if r[2] - r[1] > 5]
        assert not slow, f"requests hung during the outage: {slow[:3]}"
        down = [r for r in started_down if r[2] <= down_until]
        assert len(down) >= 4, f"too few requests during the outage: {len(down)}"
        bad = [r for r in down if r[4] != "503 ServiceUnavailableException"]
        assert not bad, f"during the outage, not a 503 ServiceUnavailableException: {bad[:5]}"
        # After: successes again, and nothing but successes once the first one came back.
        back = [r for r in results if r[0] == "back"]
        assert any(r[4] == "ok" for r in back), f"no success after the restart: {back[-5:]}"
        first_ok = min(r[1] for r in back if r[4] == "ok")
        later_bad = [r for r in back if r[1] > first_ok + 5 and r[4] != "ok"]
        assert not later_bad, f"failures well after the restart: {later_bad[:5]}"
        for node in (a, b):
            c = client(node)
            for n, writes in acked.items():
                for vid, val in writes:
                    assert c.get_secret_value(SecretId=n, VersionId=vid)["SecretString"] == val
    finally:
        cl.stop_all()
        if not own_pg.started:  # a failure mid-outage: leave the server up for the next test
            own_pg.start()


def read_once_back(node: ArcanaServer, secret_id: str, timeout: float = 30):
    """GetSecretValue, again every 0.2 s until it answers 200 or `timeout` passes (the
    database just came back): the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        r = raw_call(node.endpoint, "GetSecretValue", {"SecretId": secret_id}, akid=ROOT_AKID,
                     secret=ROOT_SECRET)
        if r.status_code == 200 or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_outage_error_is_aws_shaped(own_pg, tmp_path):
    """The error a client sees while the database is down is an AWS JSON 1.1 error: HTTP 503,
    __type ServiceUnavailableException, a message."""
    cl = Cluster(own_pg, tmp_path)
    try:
        (a,) = cl.start(1)
        client(a).create_secret(Name="shape", SecretString="v")
        own_pg.stop(mode="fast")
        r = raw_call(a.endpoint, "GetSecretValue", {"SecretId": "shape"}, akid=ROOT_AKID,
                     secret=ROOT_SECRET)
        assert r.status_code == 503, (r.status_code, r.text[:300])
        body = r.json()
        assert body["__type"].rsplit("#", 1)[-1] == "ServiceUnavailableException", body
        msg = body.get("message") or body.get("Message")
        assert msg, body
        assert "127.0.0.1" not in msg and "password" not in msg.lower(), \
            f"the error leaks connection details: {msg}"
        own_pg.start()
        r = read_once_back(a, "shape")
        assert r.status_code == 200 and r.json()["SecretString"] == "v", r.text[:300]
        assert_alive(a)
    finally:
        cl.stop_all()
        if not own_pg.started:  # a failure mid-outage: leave the server up for the next test
            own_pg.start()


def pg_processes(pg) -> list[int]:
    """The PostgreSQL server's processes: the postmaster and its children."""
    postmaster = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            pids.append(int(stat.parent.name))
    return pids


def test_a_database_that_stops_answering_fails_calls_within_the_deadline(own_pg, tmp_path):
    """A database that stops answering without closing its connections (a partition, a
    stalled primary: here every PostgreSQL process stopped with SIGSTOP, whose kernel still
    acknowledges) must not hold calls until the kernel gives up (~15 minutes): past
    --store-timeout-seconds a call answers ServiceUnavailableException, the health says the
    store is unavailable, and both recover once the database answers again."""
    cl = Cluster(own_pg, tmp_path)
    stopped: list[int] = []
    try:
        a = cl.node("node0", env={"ARCANA_STORE_TIMEOUT_SECONDS": "2"}).start()
        client(a).create_secret(Name="frozen", SecretString="v")
        stopped = pg_processes(own_pg)
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        began = time.monotonic()
        r = raw_call(a.endpoint, "PutSecretValue", {"SecretId": "frozen", "SecretString": "w"},
                     akid=ROOT_AKID, secret=ROOT_SECRET)
        took = time.monotonic() - began
        assert r.status_code == 503, (r.status_code, r.text[:300])
        assert r.json()["__type"].rsplit("#", 1)[-1] == "ServiceUnavailableException"
        assert took < 12, f"answered after {took:.1f} s (deadline 2 s)"
        h = requests.get(a.endpoint + "/_arcana/health", timeout=5)
        assert (h.status_code, h.json()) == (503, {"status": "store unavailable"})
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        stopped = []
        r = read_once_back(a, "frozen")
        assert r.status_code == 200, r.text[:300]
        assert requests.get(a.endpoint + "/_arcana/health", timeout=5).status_code == 200
        assert_alive(a)
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        cl.stop_all()


def test_postgresql_crash_keeps_acknowledged_writes(own_pg, tmp_path):
    """The PostgreSQL counterpart of kill -9 on the SQLite file: PostgreSQL stopped in
    immediate mode (no shutdown checkpoint, crash recovery at the next start) while a node
    takes writes. Every write the node acknowledged is there after recovery."""
    cl = Cluster(own_pg, tmp_path)
    try:
        (a,) = cl.start(1)
        names = [f"crash/{i}" for i in range(10)]
        for n in names:
            client(a).create_secret(Name=n, SecretString="initial")
        acked: dict[str, list[tuple[str, str]]] = {n: [] for n in names}
        lock = threading.Lock()

        def writer(t):
            def run(stop):
                c = client(a, read_timeout=10)
                i = 0
                while not stop.is_set():
                    n = names[(t + 2 * i) % len(names)]
                    i += 1
                    if len(acked[n]) >= 80:
                        continue
                    vid, val = str(uuid.uuid4()), uuid.uuid4().hex
                    try:
                        c.put_secret_value(SecretId=n, SecretString=val, ClientRequestToken=vid)
                    except Exception:  # noqa: BLE001 - the crash: unacknowledged, not counted
                        time.sleep(0.05)
                        continue
                    with lock:
                        acked[n].append((vid, val))
            return run

        stop = threading.Event()
        threads = [threading.Thread(target=writer(t), args=(stop,), daemon=True) for t in (0, 1)]
        for t in threads:
            t.start()
        time.sleep(3)
        own_pg.stop(mode="immediate")
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        own_pg.start()
        total = sum(len(v) for v in acked.values())
        assert total >= 20, f"only {total} writes acknowledged before the crash"
        c = client(a)
        deadline = time.monotonic() + 30
        while True:  # the node reconnects on its own
            try:
                c.get_secret_value(SecretId=names[0])
                break
            except ClientError:
                assert time.monotonic() < deadline, "no success within 30 s of recovery"
                time.sleep(0.2)
        for n, writes in acked.items():
            for vid, val in writes:
                assert c.get_secret_value(SecretId=n, VersionId=vid)["SecretString"] == val, \
                    f"{n} {vid} acknowledged before the crash, lost after recovery"
        assert_alive(a)
    finally:
        cl.stop_all()
        if not own_pg.started:
            own_pg.start()


# --------------------------------------------------------------------------- (e) purge once

def test_scheduled_purge_runs_once_with_three_nodes(cluster):
    """Secrets whose recovery window ended are purged exactly once although three nodes run
    the purge job: one PurgeSecret change per secret in the store, and the secrets are gone on
    every node.

    The recovery window is at least 7 days, and no clock hook exists, so the test moves the
    scheduled deletion date into the past in the database (the secrets.deleted_ms column and
    the "deleted" field of the metadata) while the nodes are stopped; it also makes the purge
    job's lease row due now (as if its 60 s period had passed while they were down), so that
    all three nodes find it due at once when they start together and race for it."""
    # Start the nodes together so that per-node timers, if any, would fire together.
    nodes = [cluster.node(f"n{i}") for i in range(3)]
    nodes[0].start()  # creates the key file and the schema
    threads = [threading.Thread(target=n.start) for n in nodes[1:]]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert_alive(*nodes)
    sm = client(nodes[0])
    arns = {}
    for i in range(10):
        n = f"purge/{i}"
        arns[n] = sm.create_secret(Name=n, SecretString="doomed")["ARN"]
        client(nodes[i % 3]).delete_secret(SecretId=n, RecoveryWindowInDays=7)
    keep = sm.create_secret(Name="purge/keep", SecretString="stays")["ARN"]
    # With the nodes stopped (their caches would still hold the 7-day date: only change rows
    # invalidate them), move the deletion date into the past; then start all three together.
    for n in nodes:
        n.stop()
    now_ms = int(time.time() * 1000)
    in_list = ", ".join(f"'{a}'" for a in arns.values())
    # Both copies of the date: the indexed column the purge job lists by, and the metadata
    # document ("deleted") the service re-checks before deleting at the revision it read.
    updated = cluster.psql(
        f"UPDATE secrets SET deleted_ms = {now_ms - 1000}, "
        f"meta = jsonb_set(meta::jsonb, '{{deleted}}', '{now_ms - 1000}')::text "
        f"WHERE arn IN ({in_list}) RETURNING arn")
    assert len(updated.splitlines()) == len(arns), updated
    due = cluster.psql(f"UPDATE jobs SET due_ms = {now_ms} WHERE name = 'secretsmanager.purge' "
                       "RETURNING name")
    assert due == "secretsmanager.purge", due
    threads = [threading.Thread(target=n.start) for n in nodes]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert_alive(*nodes)

    def remaining() -> int:
        return int(cluster.psql(f"SELECT count(*) FROM secrets WHERE arn IN ({in_list})"))

    deadline = time.monotonic() + float(os.environ.get("ARCANA_TEST_PURGE_WAIT", "150"))
    while remaining() and time.monotonic() < deadline:
        time.sleep(1)
    assert remaining() == 0, "the purge job did not run within the wait"
    time.sleep(2)  # any second (concurrent) purge would have committed by now
    counts = cluster.psql(
        "SELECT resource, count(*) FROM changes WHERE kind = 'PurgeSecret' "
        f"AND resource IN ({in_list}) GROUP BY resource ORDER BY resource")
    per_arn = dict(line.split("|") for line in counts.splitlines())
    assert per_arn == {a: "1" for a in sorted(arns.values())}, per_arn
    assert cluster.psql(f"SELECT count(*) FROM changes WHERE kind = 'PurgeSecret' "
                        f"AND resource = '{keep}'") == "0"
    for node in nodes:
        c = client(node)
        # (Debian's botocore does not model IncludePlannedDeletion; the rows are checked gone
        # in the database above.)
        listed = {s["Name"] for s in c.list_secrets(MaxResults=100)["SecretList"]}
        assert listed == {"purge/keep"}, (node.port, listed)
        for n in arns:
            with pytest.raises(ClientError) as e:
                c.describe_secret(SecretId=n)
            assert code_of(e.value) == "ResourceNotFoundException"
    # The name is free again, through any node.
    client(nodes[1]).create_secret(Name="purge/0", SecretString="reborn")
    assert client(nodes[2]).get_secret_value(SecretId="purge/0")["SecretString"] == "reborn"
    assert_alive(*nodes)


def test_a_scheduled_rule_runs_once_with_three_nodes(cluster):
    """A scheduled rule's run is a leased job (events/scheduled_rules.h): with three nodes it
    sends its event once. Each round makes the rule's job due now in the database and wakes
    all three nodes' schedulers at once (a PutRule with a ScheduleExpression through each
    node), so they race for it; the target receives one event per round, each its own."""
    with json_receiver() as (url, bodies):
        nodes = cluster.start(3)
        clients = [client(n, "events") for n in nodes]
        arn = clients[0].put_rule(Name="tick", ScheduleExpression="rate(5 minutes)")["RuleArn"]
        clients[1].put_targets(Rule="tick", Targets=[{"Id": "hook", "Arn": url}])
        job = "events.schedule:123456789012:us-east-1:tick"
        for round_ in range(1, 4):
            assert cluster.psql(f"UPDATE jobs SET due_ms = {int(time.time() * 1000) - 1000} "
                                f"WHERE name = '{job}' RETURNING name") == job
            wakers = [threading.Thread(target=c.put_rule,
                                       kwargs={"Name": f"waker{i}",
                                               "ScheduleExpression": "rate(1 day)"})
                      for i, c in enumerate(clients)]
            for w in wakers:
                w.start()
            for w in wakers:
                w.join()
            deadline = time.monotonic() + 30
            while len(bodies) < round_ and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(2)  # a second run, had one raced, would have delivered by now
            assert len(bodies) == round_, bodies
        assert {b["resources"][0] for b in bodies} == {arn}
        assert len({b["id"] for b in bodies}) == 3
        assert_alive(*nodes)


# --------------------------------------------------------------------------- (f) root key

def test_node_with_another_root_key_refuses_to_start(cluster, tmp_path):
    """A node whose key file holds a different root key than the one the store was sealed
    with exits at start with a clear message; the running node is unaffected."""
    (a,) = cluster.start(1)
    client(a).create_secret(Name="rk/x", SecretString="v")
    assert cluster.key_file.exists(), "the first node did not create the shared key file"
    assert oct(cluster.key_file.stat().st_mode & 0o777) == "0o600"
    other = tmp_path / "other.key"
    other.write_bytes(pysecrets.token_bytes(32))
    other.chmod(0o600)
    # Another key, and a key file that does not exist (a node must not mint a new root for a
    # store that already has one).
    # The message names the root key (and, for another key, that the store has a different
    # one), e.g. "the root key file F holds root key X, but this store was initialised with
    # root key Y ... Every node on one store needs the same key file".
    for key, why in ((other, r"does not match|mismatch|different|initiali[sz]ed with"),
                     (tmp_path / "absent.key", "")):
        bad = cluster.node(f"bad-{key.stem}", key_file=key)
        bad.data_dir.mkdir(parents=True, exist_ok=True)
        p = subprocess.run([str(ARCANAD), "--listen", f"127.0.0.1:{free_port()}",
                            *bad.store_args()], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL, env={**os.environ, **ROOT_ENV})
        text = p.stdout + p.stderr
        assert p.returncode != 0, f"a node with {key.name} started:\n{text[-2000:]}"
        assert re.search(r"root key", text, re.I) and re.search(why, text, re.I), \
            f"no clear refusal message with {key.name}:\n{text[-2000:]}"
    assert cluster.key_file.exists()
    assert client(a).get_secret_value(SecretId="rk/x")["SecretString"] == "v"
    assert_alive(a)


def test_nodes_started_together_on_a_fresh_database(cluster):
    """Three nodes started at the same moment on an empty database (schema migrations under
    an advisory lock, root access key created once) all come up and agree."""
    key = pysecrets.token_bytes(32)
    cluster.key_file.write_bytes(key)
    cluster.key_file.chmod(0o600)
    nodes = [cluster.node(f"t{i}") for i in range(3)]
    threads = [threading.Thread(target=n.start) for n in nodes]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert_alive(*nodes)
    client(nodes[0]).create_secret(Name="together", SecretString="v")
    for n in nodes:
        assert client(n).get_secret_value(SecretId="together")["SecretString"] == "v"
    assert cluster.key_file.read_bytes() == key, "a node replaced the shared key file"


# --------------------------------------------------------------------------- KMS and SSM

def test_ssm_read_after_write_across_nodes(cluster):
    a, b = cluster.start(2)
    ca, cb = client(a, "ssm"), client(b, "ssm")
    name = "/cluster/param"
    for i in range(1, 41):
        w, r = (ca, cb) if i % 2 else (cb, ca)
        v = w.put_parameter(Name=name, Value=f"value-{i}", Type="SecureString",
                            Overwrite=True)["Version"]
        assert v == i
        got = r.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert (got["Version"], got["Value"]) == (i, f"value-{i}")
    ca.label_parameter_version(Name=name, ParameterVersion=7, Labels=["seven"])
    assert cb.get_parameter(Name=name + ":seven", WithDecryption=True)["Parameter"]["Value"] == \
        "value-7"
    cb.delete_parameter(Name=name)
    with pytest.raises(ClientError) as e:
        ca.get_parameter(Name=name)
    assert code_of(e.value) == "ParameterNotFound"
    assert ca.get_parameters_by_path(Path="/cluster")["Parameters"] == []


def test_kms_read_after_write_across_nodes(cluster):
    a, b = cluster.start(2)
    ka, kb = client(a, "kms"), client(b, "kms")
    kid = ka.create_key(Description="cluster")["KeyMetadata"]["KeyId"]
    assert kb.describe_key(KeyId=kid)["KeyMetadata"]["Enabled"] is True
    blob = ka.encrypt(KeyId=kid, Plaintext=b"across nodes")["CiphertextBlob"]
    assert kb.decrypt(CiphertextBlob=blob)["Plaintext"] == b"across nodes"
    ka.disable_key(KeyId=kid)
    with pytest.raises(ClientError) as e:
        kb.encrypt(KeyId=kid, Plaintext=b"x")
    assert code_of(e.value) == "DisabledException"
    kb.enable_key(KeyId=kid)
    ka.encrypt(KeyId=kid, Plaintext=b"x")
    ka.create_alias(AliasName="alias/cluster", TargetKeyId=kid)
    assert kb.describe_key(KeyId="alias/cluster")["KeyMetadata"]["KeyId"] == kid
    other = kb.create_key()["KeyMetadata"]["KeyId"]
    kb.update_alias(AliasName="alias/cluster", TargetKeyId=other)
    assert ka.describe_key(KeyId="alias/cluster")["KeyMetadata"]["KeyId"] == other
    # A secret under a customer key, written on one node and read on the other.
    sa, sb = client(a), client(b)
    sa.create_secret(Name="kms/secret", SecretString="under cmk", KmsKeyId=kid)
    assert sb.get_secret_value(SecretId="kms/secret")["SecretString"] == "under cmk"
    kb.disable_key(KeyId=kid)
    with pytest.raises(ClientError) as e:
        sa.get_secret_value(SecretId="kms/secret")
    assert code_of(e.value) == "DecryptionFailure"


def test_secret_delete_and_restore_across_nodes(cluster):
    a, b = cluster.start(2)
    sa, sb = client(a), client(b)
    sa.create_secret(Name="del/x", SecretString="v")
    assert sb.get_secret_value(SecretId="del/x")["SecretString"] == "v"
    sb.delete_secret(SecretId="del/x", RecoveryWindowInDays=7)
    with pytest.raises(ClientError) as e:
        sa.get_secret_value(SecretId="del/x")
    assert code_of(e.value) == "InvalidRequestException"
    sa.restore_secret(SecretId="del/x")
    assert sb.get_secret_value(SecretId="del/x")["SecretString"] == "v"
    sa.delete_secret(SecretId="del/x", ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as e:
        sb.describe_secret(SecretId="del/x")
    assert code_of(e.value) == "ResourceNotFoundException"


# --------------------------------------------------------------------------- access keys

def test_an_access_key_deleted_through_the_store_stops_working_on_every_node_at_once(cluster):
    """The credential cache follows the change sequence: a key deleted elsewhere (here the
    offline CLI on the shared store) is refused by a node on its very next request, not after
    the cache's 30 s backstop."""
    a, b = cluster.start(2)
    cli = ARCANAD.parent / "arcana"
    flags = ["--store", cluster.url, "--root-key-file", str(cluster.key_file),
             "--data-dir", str(cluster.base / "cli")]
    made = subprocess.run([str(cli), *flags, "access-key", "create"], capture_output=True,
                          text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    akid = made.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0]
    secret = made.stdout.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0]
    cfg = Config(retries={"max_attempts": 0})
    clients = [boto3.client("secretsmanager", endpoint_url=n.endpoint, region_name="us-east-1",
                            aws_access_key_id=akid, aws_secret_access_key=secret, config=cfg)
               for n in (a, b)]
    for c in clients:  # both nodes now hold the opened key in their caches
        c.list_secrets()
    gone = subprocess.run([str(cli), *flags, "access-key", "delete", akid], capture_output=True,
                          text=True, timeout=30)
    assert gone.returncode == 0, gone.stderr
    for c in clients:
        with pytest.raises(ClientError) as e:
            c.list_secrets()
        assert code_of(e.value) == "UnrecognizedClientException"


def test_a_create_grant_retried_through_another_node_makes_one_grant(cluster):
    # CreateGrant's Name is for retries ("if the grant already exists, the original GrantId is
    # returned without creating a new grant"): a client that timed out retries through
    # another node while the first call may still be running. The calls race on every node.
    a, b = cluster.start(2)
    ka, kb = client(a, "kms"), client(b, "kms")
    for round_ in range(3):
        kid = ka.create_key()["KeyMetadata"]["KeyId"]
        kb.describe_key(KeyId=kid)
        start = threading.Barrier(6)

        def create(i):
            start.wait()
            return (ka if i % 2 else kb).create_grant(
                KeyId=kid, GranteePrincipal="arn:aws:iam::123456789012:root",
                Operations=["Decrypt"], Name=f"retried-{round_}")

        answers = [None] * 6
        errors = []

        def run(i):
            try:
                answers[i] = create(i)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        grant_ids = {r["GrantId"] for r in answers}
        assert len(grant_ids) == 1, grant_ids
        listed = ka.list_grants(KeyId=kid)["Grants"]
        assert [g["GrantId"] for g in listed] == list(grant_ids)
        # Every answer's token is the grant's ("All grant tokens for the same grant ID can be
        # used interchangeably"): one retires it, through the other node.
        kb.retire_grant(GrantToken=answers[round_]["GrantToken"])
        assert ka.list_grants(KeyId=kid)["Grants"] == []
