"""Audit records and the store's change sequence agree (issue 11, part 2): every record of a
call or background job that changed something names the changes it committed
(additionalEventData.changeSequence, with each change's kind and resource), a read names none,
and `arcana audit verify` cross-checks trail and store both ways: a change the store holds
that no record claims (here: written while the node ran with its audit trail off) fails it,
naming the change."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import pg_cluster
from test_audit import ARCANA_CLI, NODE, cli, client, records, start
from test_cluster import Cluster


def claims(rec: dict) -> list[tuple[int, str, str]]:
    data = rec.get("additionalEventData") or {}
    return [(seq, c["kind"], c["resource"])
            for seq, c in zip(data.get("changeSequence", []), data.get("changes", []))]


def test_records_name_their_changes_and_verify_cross_checks_the_store(tmp_path):
    s = start(tmp_path, "d")
    try:
        when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z")
        ssm = client(s, "ssm")
        ssm.put_parameter(Name="/chg/expiring", Value="x", Type="String", Tier="Advanced",
                          Policies='[{"Type":"Expiration","Version":"1.0",'
                                   '"Attributes":{"Timestamp":"%s"}}]' % when)
        sm = client(s, "secretsmanager")
        arn = sm.create_secret(Name="chg/a", SecretString="v0")["ARN"]
        sm.get_secret_value(SecretId="chg/a")
        sm.get_secret_value(SecretId="chg/a")
        # Concurrent writes share group-commit batches: each record still gets its own change.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: sm.put_secret_value(SecretId="chg/a", SecretString=f"v{i}"),
                          range(8)))
        for n in ("/chg/p1", "/chg/p2"):
            ssm.put_parameter(Name=n, Value="p", Type="String")
        assert sorted(ssm.delete_parameters(Names=["/chg/p1", "/chg/p2"])["DeletedParameters"]) \
            == ["/chg/p1", "/chg/p2"]
        ct = client(s, "cloudtrail")
        put = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                  "AttributeValue": "PutSecretValue"}])["Events"]
        assert len(put) == 8
        for ev in put:  # LookupEvents' CloudTrailEvent still parses, with the claim in it
            assert [c[1:] for c in claims(json.loads(ev["CloudTrailEvent"]))] == \
                [("PutSecretValue", arn)]
        deadline = time.monotonic() + 20  # ssm.expiry runs every 10 s
        while time.monotonic() < deadline and not any(
                r["eventName"] == "DeleteParameter" for r in records(s.data_dir)):
            time.sleep(0.3)
    finally:
        s.stop()
    recs = records(s.data_dir)
    by_name: dict[str, list[dict]] = {}
    for r in recs:
        by_name.setdefault(r["eventName"], []).append(r)
    # The first secret also created the account's AWS managed key, in the same call.
    assert sorted(c[1] for c in claims(by_name["CreateSecret"][0])) == \
        ["CreateAlias", "CreateKey", "CreateSecret"]
    assert ("CreateSecret", arn) in [c[1:] for c in claims(by_name["CreateSecret"][0])]
    # A read's first of the day stores LastAccessedDate (a change); the next changes nothing.
    assert [c[1] for c in claims(by_name["GetSecretValue"][0])] == ["RecordAccess"]
    assert "additionalEventData" not in by_name["GetSecretValue"][1]
    assert [c[1] for c in claims(by_name["DeleteParameters"][0])] == ["DeleteParameters"] * 2
    expired = by_name.get("DeleteParameter")
    assert expired, "no DeleteParameter service event within 20 s"
    assert expired[0]["eventType"] == "AwsServiceEvent"
    assert [c[1:] for c in claims(expired[0])] == [
        ("ExpireParameter", expired[0]["resources"][0]["ARN"])]
    seqs = [c[0] for r in recs for c in claims(r)]
    assert len(seqs) == len(set(seqs)) and len(seqs) >= 14, seqs

    ok = cli(s.data_dir, "audit", "verify", "--all-nodes", check=0)
    assert f"node {NODE}: OK" in ok.stdout and "store changes: OK" in ok.stdout, ok.stdout

    # The tamper: the node restarted with its audit trail off for one write, then back on.
    s = start(tmp_path, "d", "--audit-file", "off")
    try:
        client(s, "secretsmanager").put_secret_value(SecretId="chg/a", SecretString="unrecorded")
    finally:
        s.stop()
    s = start(tmp_path, "d")
    try:
        client(s, "secretsmanager").list_secrets()  # a later record: the change is in the span
    finally:
        s.stop()
    bad = cli(s.data_dir, "audit", "verify", "--all-nodes")
    assert bad.returncode == 1, bad.stdout
    assert f"node {NODE}: OK" in bad.stdout  # the chain itself is intact
    missing = [l for l in bad.stdout.splitlines() if l.endswith("has no audit record")]
    assert len(missing) == 1 and f"(PutSecretValue, {arn})" in missing[0], bad.stdout


@pytest.mark.postgresql_only("several nodes need a shared PostgreSQL store")
def test_a_cluster_verifies_with_every_nodes_audit_dir(tmp_path):
    c = Cluster(pg_cluster.session_cluster(), tmp_path)
    try:
        n0, n1 = c.start(2)
        for i, n in enumerate((n0, n1)):
            client(n, "secretsmanager").create_secret(Name=f"node/{i}", SecretString="v")
        # A later record on node 0, so node 1's change falls within node 0's trail's time span
        # (without it, whether it does depends on how fast the calls ran).
        time.sleep(1.1)
        client(n0, "secretsmanager").describe_secret(SecretId="node/0")
    finally:
        c.stop_all()
    store = ["--store", c.url, "--data-dir", str(n0.data_dir)]

    def verify(*args):
        return subprocess.run([str(ARCANA_CLI), *store, "audit", *args], capture_output=True,
                              text=True, timeout=60)

    dirs = [str(n0.data_dir / "audit"), str(n1.data_dir / "audit")]
    both = verify("--audit-dir", dirs[0], "--audit-dir", dirs[1], "verify", "--all-nodes")
    assert both.returncode == 0 and "store changes: OK" in both.stdout, both.stdout
    # One node's records alone: every claim checks out; completeness is not claimed ...
    one = verify("--audit-dir", dirs[0], "verify")
    assert one.returncode == 0 and "not checked that every change has a record" in one.stdout
    # ... unless asked, and then the other node's change has no record here.
    told = verify("--audit-dir", dirs[0], "verify", "--all-nodes")
    assert told.returncode == 1, told.stdout
    assert re.search(r"change \d+ \(CreateSecret, \S+:secret:node/1-\w+\) has no audit record",
                     told.stdout), told.stdout


@pytest.mark.postgresql_only("several nodes need a shared PostgreSQL store")
def test_lookup_events_answers_alike_on_every_node_of_a_cluster(tmp_path):
    """Each node writes its own record files; the store's index holds every node's records,
    so LookupEvents on either node finds a call made through the other (its own at once,
    the other's within about a second), pages through both nodes' records as one trail, and
    a node restarted with kill -9 ships on from where the store is, copying nothing twice."""
    c = Cluster(pg_cluster.session_cluster(), tmp_path)
    try:
        n0, n1 = c.start(2)
        arn0 = client(n0, "secretsmanager").create_secret(Name="lookup/n0", SecretString="v")["ARN"]
        arn1 = client(n1, "secretsmanager").create_secret(Name="lookup/n1", SecretString="v")["ARN"]
        ct0, ct1 = client(n0, "cloudtrail"), client(n1, "cloudtrail")

        def names(ct, **kw):
            return [e["Resources"][0]["ResourceName"] for e in ct.lookup_events(
                LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateSecret"}],
                **kw)["Events"]]

        # Its own call at once, the other node's once that node shipped it.
        assert arn1 in names(ct1)
        deadline = time.monotonic() + 10
        while not {arn0, arn1} <= set(names(ct1)) and time.monotonic() < deadline:
            time.sleep(0.3)
        seen0, seen1 = names(ct0), names(ct1)
        assert seen0 == seen1 and sorted(seen0) == sorted([arn0, arn1])
        # One trail, paged across nodes by either node's NextToken.
        page = ct0.lookup_events(MaxResults=1, LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "CreateSecret"}])
        rest = ct1.lookup_events(MaxResults=1, NextToken=page["NextToken"], LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "CreateSecret"}])
        assert {page["Events"][0]["Resources"][0]["ResourceName"],
                rest["Events"][0]["Resources"][0]["ResourceName"]} == {arn0, arn1}
        by_name = ct0.lookup_events(LookupAttributes=[
            {"AttributeKey": "ResourceName", "AttributeValue": "lookup/n1"}])["Events"]
        assert [e["EventName"] for e in by_name] == ["CreateSecret"]
        # People: `arcana audit search|tail` on the store read the same index, from anywhere.
        store = [str(ARCANA_CLI), "--store", c.url, "--data-dir", str(tmp_path / "elsewhere")]

        def arns(lines):
            return [json.loads(l)["resources"][0]["ARN"] for l in lines]

        found = subprocess.run([*store, "audit", "search", "--event-name", "CreateSecret"],
                               capture_output=True, text=True, timeout=30, check=True)
        assert arns(found.stdout.splitlines()) == [e["Resources"][0]["ResourceName"] for e in
                                                   ct0.lookup_events(LookupAttributes=[{
                                                       "AttributeKey": "EventName",
                                                       "AttributeValue": "CreateSecret"}])["Events"]]
        follow = subprocess.Popen([*store, "audit", "tail", "-n", "1", "--follow"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            lines: list[str] = []

            def read():
                for line in follow.stdout:
                    lines.append(line)
            threading.Thread(target=read, daemon=True).start()
            deadline = time.monotonic() + 15
            while not lines and time.monotonic() < deadline:  # the -n 1 record: following now
                time.sleep(0.1)
            made = [client(n, "secretsmanager").create_secret(Name=f"lookup/follow{i}",
                                                               SecretString="v")["ARN"]
                    for i, n in enumerate((n0, n1))]
            creates = lambda: [l for l in lines[1:] if '"CreateSecret"' in l]  # noqa: E731
            while len(creates()) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.5)  # a record printed twice would be by now
            assert sorted(arns(creates())) == sorted(made), lines
            assert all(json.loads(l)["eventSource"] for l in lines)  # whole records
        finally:
            follow.kill()
            follow.wait()
        # kill -9 and back: the node ships on from the store's position, nothing twice.
        n1.restart(kill=True)
        client(n1, "secretsmanager").describe_secret(SecretId="lookup/n1")
        total = int(c.psql("SELECT count(*) FROM audit_index_records").strip())
        distinct = int(c.psql("SELECT count(DISTINCT (node, seq)) FROM audit_index_records").strip())
        assert total == distinct > 0
        described = ct0.lookup_events(LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "DescribeSecret"}])["Events"]
        deadline = time.monotonic() + 10
        while not described and time.monotonic() < deadline:
            time.sleep(0.3)
            described = ct0.lookup_events(LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "DescribeSecret"}])["Events"]
        assert [e["Resources"][0]["ResourceName"] for e in described] == [arn1]
    finally:
        c.stop_all()
