"""Durable, cluster-correct event delivery (issue 11, part 3): a delivery is written to the
store before its first attempt, so an event matched while its target is down survives a
kill -9 of arcanad and arrives, once, after the restart; with two nodes on one PostgreSQL
store a pending delivery of a stopped node is delivered once by the other; and a burst of
access denials split across two nodes raises one "Denied Access Burst" event.

The store's view is read with `arcana events deliveries` / `arcana events dead-letters`."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

import pg_cluster
from conftest import ARCANAD, cli_store_args, free_port, wait_for
from test_audit import client, start
from test_cluster import Cluster
from test_events import Receiver

ARCANA_CLI = ARCANAD.parent / "arcana"


class Target:
    """An HTTP target on a fixed port that can be down (nothing listening) or up."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.receiver: Receiver | None = None

    @property
    def bodies(self) -> list[dict]:
        return self.receiver.bodies if self.receiver else []

    def up(self):
        self.receiver = Receiver(self.port)

    def down(self):
        if self.receiver is not None:
            self.receiver.stop()


def deliveries(store_args: list[str], dead: bool = False) -> list[list[str]]:
    """The store's pending (or dead-lettered) deliveries, as `arcana events` prints them."""
    p = subprocess.run([str(ARCANA_CLI), *store_args, "events",
                        "dead-letters" if dead else "deliveries"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return [line.split("\t") for line in p.stdout.splitlines() if line]


def put_param_rule(ev, name: str, prefix: str, url: str, retries: int = 8):
    ev.put_rule(Name=name, EventPattern=json.dumps({
        "source": ["aws.ssm"], "detail": {"eventName": ["PutParameter"],
                                          "requestParameters": {"name": [{"prefix": prefix}]}}}))
    ev.put_targets(Rule=name, Targets=[{"Id": "hook", "Arn": url,
                                        "RetryPolicy": {"MaximumRetryAttempts": retries}}])


def of_param(target: Target, name: str) -> list[dict]:
    return [b for b in target.bodies if b.get("source") == "aws.ssm"
            and b["detail"]["requestParameters"].get("name") == name]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("events-durable"), "data")
    yield s
    s.stop()


def test_an_event_matched_while_the_target_is_down_survives_kill_9(srv):
    target = Target()  # down: connection refused
    put_param_rule(client(srv, "events"), "durable", "/durable/", target.url)
    client(srv, "ssm").put_parameter(Name="/durable/p1", Value="canary-value-k1",
                                     Type="SecureString")
    store = cli_store_args(srv.data_dir)
    # Stored and attempted (refused) at least once before the kill.
    wait_for(lambda: any(int(r[4]) >= 1 for r in deliveries(store)), timeout=10,
             what="a recorded failed attempt")
    row = deliveries(store)[0]
    assert row[1] == "arn:aws:events:us-east-1:123456789012:rule/durable"
    assert (row[2], row[3]) == ("hook", target.url)
    assert "refused" in row[6].lower(), row

    srv.kill9()
    srv.start()  # same data dir and node name: it resumes the killed process's deliveries
    target.up()
    try:
        wait_for(lambda: of_param(target, "/durable/p1"), timeout=15, what="the event delivered")
        wait_for(lambda: not deliveries(store), timeout=5, what="the delivered row removed")
        time.sleep(0.5)  # a duplicate would be on its way by now
        got = of_param(target, "/durable/p1")
        assert len(got) == 1, got
        assert got[0]["detail-type"] == "AWS API Call via CloudTrail"
        assert got[0]["detail"]["eventName"] == "PutParameter"
        assert "canary-value" not in json.dumps(target.bodies)
        assert deliveries(store, dead=True) == []
    finally:
        target.down()


def test_a_dead_lettered_delivery_is_queryable_in_the_store(srv):
    dead = f"http://127.0.0.1:{free_port()}/nobody"
    put_param_rule(client(srv, "events"), "dead-durable", "/dead/", dead, retries=0)
    client(srv, "ssm").put_parameter(Name="/dead/p2", Value="canary-value-k2", Type="String")
    store = cli_store_args(srv.data_dir)
    wait_for(lambda: any(r[3] == dead for r in deliveries(store, dead=True)), timeout=10,
             what="the dead letter in the store")
    p = subprocess.run([str(ARCANA_CLI), *store, "events", "dead-letters", "--json"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    line = [json.loads(l) for l in p.stdout.splitlines() if dead in l][-1]
    assert (line["rule"], line["targetId"], line["attempts"]) == \
        ("arn:aws:events:us-east-1:123456789012:rule/dead-durable", "hook", 1)
    assert line["event"]["detail"]["requestParameters"]["name"] == "/dead/p2"
    assert "canary-value" not in p.stdout
    # The node's own dead-letter file has it too.
    assert dead in (srv.data_dir / "events" / "dead-letter.jsonl").read_text()


# --------------------------------------------------------------------------- two nodes

@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    c = Cluster(pg_cluster.session_cluster(), tmp_path_factory.mktemp("events-cluster"))
    c.start(2)
    yield c
    c.stop_all()


@pytest.mark.postgresql_only("two nodes need a shared PostgreSQL store")
def test_a_denied_burst_split_across_two_nodes_raises_one_event(two_nodes):
    a, b = two_nodes.nodes
    target = Target()
    target.up()
    try:
        ev, iam = client(a, "events"), client(a, "iam")
        ev.put_rule(Name="bursts", EventPattern=json.dumps({
            "source": ["arcana.detections"], "detail-type": ["Denied Access Burst"]}))
        ev.put_targets(Rule="bursts", Targets=[{"Id": "hook", "Arn": target.url}])
        iam.create_user(UserName="mallory")
        key = iam.create_access_key(UserName="mallory")["AccessKey"]
        intruders = [client(n, "secretsmanager", key["AccessKeyId"], key["SecretAccessKey"])
                     for n in (a, b)]
        for i in range(10):  # 5 denials on each node: neither alone reaches 10
            with pytest.raises(ClientError) as e:
                intruders[i % 2].list_secrets()
            assert e.value.response["Error"]["Code"] == "AccessDeniedException"

        def bursts():
            return [x for x in target.bodies if x.get("detail-type") == "Denied Access Burst"]

        wait_for(bursts, timeout=10, what="one burst event")
        time.sleep(1.0)  # the other node would have raised its own by now
        got = bursts()
        assert len(got) == 1, got
        assert got[0]["resources"] == ["arn:aws:iam::123456789012:user/mallory"]
        assert got[0]["detail"]["deniedCalls"] == "10"
    finally:
        target.down()


@pytest.mark.postgresql_only("two nodes need a shared PostgreSQL store")
def test_a_stopped_nodes_pending_delivery_is_delivered_once_by_the_other(two_nodes):
    a, b = two_nodes.nodes
    target = Target()  # down
    put_param_rule(client(a, "events"), "handover", "/handover/", target.url)
    client(a, "ssm").put_parameter(Name="/handover/p3", Value="canary-value-k3", Type="String")
    store = ["--store", two_nodes.url, "--data-dir", str(a.data_dir)]
    wait_for(lambda: any(int(r[4]) >= 1 for r in deliveries(store)), timeout=10,
             what="a recorded failed attempt on node a")
    a.stop()  # its lease is handed back: node b's events.deliveries job claims it
    target.up()
    try:
        wait_for(lambda: of_param(target, "/handover/p3"), timeout=15,
                 what="node b delivered node a's event")
        wait_for(lambda: not deliveries(store), timeout=5, what="the delivered row removed")
        time.sleep(0.5)
        assert len(of_param(target, "/handover/p3")) == 1
        assert b.proc.poll() is None
    finally:
        target.down()
