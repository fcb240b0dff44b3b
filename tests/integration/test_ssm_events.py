"""Parameter Store's own EventBridge events, as AWS sends them on the account's default bus
(Systems Manager User Guide, "Setting up notifications or triggering actions based on
Parameter Store events", and its example events):

  "Parameter Store Change", source "aws.ssm", resources [the parameter's ARN], detail
  {"operation": Create | Update | Delete | LabelParameterVersion, "name", "type",
  "description" (when the parameter has one)} for PutParameter, DeleteParameter(s) and
  LabelParameterVersion;
  "Parameter Store Policy Action", detail {"parameter-name", "policy-type": "Expiration", ...}
  when an Expiration policy deletes the parameter.

Each event is published once, by the node that committed the change (two nodes: once too).
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from test_audit import client, start
from test_cluster import cluster  # noqa: F401 (fixture)
from test_events import Receiver

ACCOUNT = "123456789012"
CHANGE = "Parameter Store Change"
POLICY = "Parameter Store Policy Action"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("ssm-events"), "data")
    yield s
    s.stop()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def route_ssm_events(ev, name: str, url: str) -> None:
    ev.put_rule(Name=name, EventPattern=json.dumps(
        {"source": ["aws.ssm"], "detail-type": [CHANGE, POLICY]}))
    ev.put_targets(Rule=name, Targets=[{"Id": "hook", "Arn": url}])


def ssm_events(receiver, prefix: str) -> list[dict]:
    out = []
    for b in list(receiver.bodies):
        d = b.get("detail", {})
        if b.get("source") == "aws.ssm" and b.get("detail-type") in (CHANGE, POLICY) and \
                (d.get("name") or d.get("parameter-name", "")).startswith(prefix):
            out.append(b)
    return out


def arn(name: str) -> str:
    return f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{name.lstrip('/')}"


def test_changes_reach_a_rule_as_parameter_store_change_events(srv, receiver):
    route_ssm_events(client(srv, "events"), "ssm-changes", receiver.url)
    c = client(srv, "ssm")
    c.put_parameter(Name="/evt/a", Value="canary-value-1", Type="SecureString")
    c.put_parameter(Name="/evt/a", Value="canary-value-2", Overwrite=True,
                    Description="the a parameter")
    c.label_parameter_version(Name="/evt/a", ParameterVersion=1, Labels=["first"])
    c.put_parameter(Name="/evt/b", Value="x", Type="StringList")
    c.put_parameter(Name="evt-c", Value="y", Type="String")
    with pytest.raises(ClientError):  # refused: no event
        c.put_parameter(Name="/evt/b", Value="z", Type="String")
    c.delete_parameter(Name="/evt/a")
    r = c.delete_parameters(Names=["/evt/b", "/evt/missing", "evt-c"])
    assert sorted(r["DeletedParameters"]) == ["/evt/b", "evt-c"]

    expected = [
        ("Create", "/evt/a", "SecureString", None),
        ("Update", "/evt/a", "SecureString", "the a parameter"),
        ("LabelParameterVersion", "/evt/a", "SecureString", "the a parameter"),
        ("Create", "/evt/b", "StringList", None),
        ("Create", "evt-c", "String", None),
        ("Delete", "/evt/a", "SecureString", "the a parameter"),
        ("Delete", "/evt/b", "StringList", None),
        ("Delete", "evt-c", "String", None),
    ]
    wait_for(lambda: len(ssm_events(receiver, "/evt")) + len(ssm_events(receiver, "evt-")) >=
             len(expected), timeout=10, what="Parameter Store Change events")
    time.sleep(0.3)  # nothing more arrives
    got = sorted(ssm_events(receiver, "/evt") + ssm_events(receiver, "evt-"),
                 key=lambda e: e["time"])
    assert len(got) == len(expected)
    # Deliveries may overtake each other: compare as multisets, and the order of one name's.
    shape = [(e["detail"]["operation"], e["detail"]["name"], e["detail"]["type"],
              e["detail"].get("description")) for e in got]
    assert sorted(shape, key=repr) == sorted(expected, key=repr)
    for e in got:
        assert e["detail-type"] == CHANGE and e["source"] == "aws.ssm"
        assert e["account"] == ACCOUNT and e["region"] == "us-east-1"
        assert e["resources"] == [arn(e["detail"]["name"])]
        assert set(e["detail"]) <= {"operation", "name", "type", "description"}
        assert e["version"] == "0" and e["id"]
    assert "canary-value" not in json.dumps(receiver.bodies)


def test_an_expiration_policy_acting_is_a_policy_action_event(srv, receiver):
    route_ssm_events(client(srv, "events"), "ssm-policies", receiver.url)
    c = client(srv, "ssm")
    when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    policy = json.dumps([{"Type": "Expiration", "Version": "1.0",
                          "Attributes": {"Timestamp": when}}])
    c.put_parameter(Name="/exp/p", Value="v", Type="String", Tier="Advanced", Policies=policy)
    time.sleep(1.5)
    with pytest.raises(ClientError):  # expired: deleted on the way (or by the purge job)
        c.get_parameter(Name="/exp/p")
    c.put_parameter(Name="/exp/p", Value="v", Type="String")  # the name is free again

    def actions():
        return [e for e in ssm_events(receiver, "/exp/") if e["detail-type"] == POLICY]

    wait_for(actions, timeout=10, what="Parameter Store Policy Action event")
    time.sleep(0.3)
    (e,) = actions()  # once, though the read and the purge job both may try to delete it
    assert e["source"] == "aws.ssm" and e["resources"] == [arn("/exp/p")]
    assert e["detail"]["parameter-name"] == "/exp/p"
    assert e["detail"]["policy-type"] == "Expiration"
    assert e["detail"]["parameter-type"] == "String"


def test_no_rule_no_event_and_other_scopes_unaffected(srv, receiver):
    c = client(srv, "ssm")
    c.put_parameter(Name="/quiet/p", Value="v", Type="String")  # rules route it elsewhere
    ev = client(srv, "events")
    ev.put_rule(Name="ssm-deletes", EventPattern=json.dumps(
        {"source": ["aws.ssm"], "detail-type": [CHANGE],
         "detail": {"operation": ["Delete"], "name": [{"prefix": "/quiet/"}]}}))
    ev.put_targets(Rule="ssm-deletes", Targets=[{"Id": "hook", "Arn": receiver.url}])
    c.put_parameter(Name="/quiet/q", Value="v", Type="String")
    c.delete_parameter(Name="/quiet/p")
    wait_for(lambda: ssm_events(receiver, "/quiet/"), timeout=10, what="the delete's event")
    time.sleep(0.3)
    assert [(e["detail"]["operation"], e["detail"]["name"])
            for e in ssm_events(receiver, "/quiet/")] == [("Delete", "/quiet/p")]


def test_two_nodes_publish_each_change_once(cluster, receiver):
    a, b = cluster.start(2)
    route_ssm_events(client(a, "events"), "ssm-cluster", receiver.url)
    ca, cb = client(a, "ssm"), client(b, "ssm")
    ca.put_parameter(Name="/cl/p", Value="v", Type="String")
    cb.put_parameter(Name="/cl/p", Value="w", Type="String", Overwrite=True)
    cb.delete_parameter(Name="/cl/p")
    wait_for(lambda: len(ssm_events(receiver, "/cl/")) >= 3, timeout=15, what="3 events")
    time.sleep(0.5)
    assert sorted(e["detail"]["operation"] for e in ssm_events(receiver, "/cl/")) == \
        ["Create", "Delete", "Update"]
