"""EventBridge DescribeEventBus and ListEventBuses of the default event bus (custom buses:
test_events_custom_buses.py): by name, by ARN and without Name; a bus that does not exist; NamePrefix,
NextToken and Limit; a CreationTime that every call, every node and every restart answers the
same; IAM actions and audit records.

What AWS answers (recorded: localstack/localstack tests/aws/services/events/test_events.py,
aws.validated, with test_events.snapshot.json): DescribeEventBus of the default bus answers
Arn, CreationTime, LastModifiedTime and Name, and Policy only while it has one
(TestEventBus::test_remove_permission[default]); ListEventBuses' entries carry the same four
members, and "EventBuses": [] when none matches (test_list_event_buses_with_prefix,
test_create_list_describe_delete_custom_event_buses); a bus that does not exist is
ResourceNotFoundException "Event bus <name> does not exist."
(test_describe_delete_not_existing_event_bus).

Debian's botocore (1.29) models neither CreationTime nor LastModifiedTime and drops them from
what boto3 answers, so the raw bodies are read through raw_call; response_shapes.py checks the
boto3 answers' bodies against models/ (botocore 1.43) in every test.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from aws_cli import run_aws
from conftest import ROOT_AKID, ROOT_SECRET, raw_call
from test_audit import client, records, start
from test_cluster import cluster  # noqa: F401 (fixture)

ACCOUNT = "123456789012"
DEFAULT_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
NAME_OR_ARN_PATTERN = (r"(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?"
                       r"[/\.\-_A-Za-z0-9]+")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("events-buses"), "data")
    yield s
    s.stop()


def call(srv, op: str, body: dict, region: str = "us-east-1", akid=ROOT_AKID, secret=ROOT_SECRET):
    """A signed EventBridge call: (status, parsed body)."""
    r = raw_call(srv.endpoint, None, body, region=region, akid=akid, secret=secret,
                 target=f"AWSEvents.{op}", service="events")
    return r.status_code, r.json()


def error_of(fn, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def assert_default_bus(bus: dict, region: str = "us-east-1") -> None:
    assert set(bus) == {"Name", "Arn", "CreationTime", "LastModifiedTime"}, bus
    assert bus["Name"] == "default"
    assert bus["Arn"] == f"arn:aws:events:{region}:{ACCOUNT}:event-bus/default"
    # JSON 1.1 timestamps: epoch seconds as a number.
    assert isinstance(bus["CreationTime"], (int, float)) and not isinstance(bus["CreationTime"], bool)
    assert bus["LastModifiedTime"] == bus["CreationTime"]
    assert 1_600_000_000 < bus["CreationTime"] <= time.time() + 1


def test_describe_the_default_bus_by_name_by_arn_and_without_name(srv):
    ev = client(srv, "events")
    before = time.time()
    status, first = call(srv, "DescribeEventBus", {})
    assert status == 200, first
    assert_default_bus(first)
    assert first["CreationTime"] >= before - 1  # created by its first use, this call
    for body in ({"Name": "default"}, {"Name": DEFAULT_ARN}):
        status, again = call(srv, "DescribeEventBus", body)
        assert (status, again) == (200, first)
    # boto3 (its model names Name, Arn and Policy of these): no Policy, the bus has none.
    for kwargs in ({}, {"Name": "default"}, {"Name": DEFAULT_ARN}):
        r = ev.describe_event_bus(**kwargs)
        assert (r["Name"], r["Arn"]) == ("default", DEFAULT_ARN) and "Policy" not in r


def test_a_bus_that_does_not_exist(srv):
    ev = client(srv, "events")
    assert error_of(ev.describe_event_bus, Name="this-bus-does-not-exist") == (
        "ResourceNotFoundException", "Event bus this-bus-does-not-exist does not exist.", 400)
    # By ARN: a custom bus, and the default bus of another account; the message names the bus.
    assert error_of(ev.describe_event_bus,
                    Name=f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/custom") == (
        "ResourceNotFoundException", "Event bus custom does not exist.", 400)
    assert error_of(ev.describe_event_bus,
                    Name="arn:aws:events:us-east-1:210987654321:event-bus/default") == (
        "ResourceNotFoundException", "Event bus default does not exist.", 400)
    # Another region's bus by ARN, refused as the rule operations refuse it.
    assert error_of(ev.describe_event_bus,
                    Name=f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default") == (
        "ValidationException", "Cross-region API call is not allowed.", 400)


def test_name_is_validated_as_the_model_says(srv):
    ev = client(srv, "events")
    for bad in ("has space", "arn:aws:events:us-east-1:1234:event-bus/default",
                "arn:aws:sqs:us-east-1:123456789012:queue", "a:b"):
        assert error_of(ev.describe_event_bus, Name=bad) == (
            "ValidationException",
            f"1 validation error detected: Value '{bad}' at 'name' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {NAME_OR_ARN_PATTERN}", 400)
    status, body = call(srv, "DescribeEventBus", {"Name": ""})
    assert status == 400 and body["__type"].endswith("ValidationException"), body
    assert "Member must have length greater than or equal to 1" in body["message"], body
    status, body = call(srv, "DescribeEventBus", {"Name": "x" * 1601})
    assert status == 400 and "Member must have length less than or equal to 1600" in body["message"]
    # Slashes, dots and dashes are name characters; the bus does not exist.
    assert error_of(ev.describe_event_bus, Name="a/b.c-d_e")[0] == "ResourceNotFoundException"


def test_list_event_buses(srv):
    ev = client(srv, "events")
    status, described = call(srv, "DescribeEventBus", {})
    assert status == 200
    for body in ({}, {"NamePrefix": "d"}, {"NamePrefix": "default"}, {"Limit": 1},
                 {"NamePrefix": "def", "Limit": 100}):
        status, listed = call(srv, "ListEventBuses", body)
        assert (status, listed) == (200, {"EventBuses": [described]}), body
    for prefix in ("other", "defaults", "Default"):
        status, listed = call(srv, "ListEventBuses", {"NamePrefix": prefix})
        assert (status, listed) == (200, {"EventBuses": []}), prefix
    r = ev.list_event_buses()
    assert [(b["Name"], b["Arn"]) for b in r["EventBuses"]] == [("default", DEFAULT_ARN)]
    assert "NextToken" not in r
    assert ev.list_event_buses(NamePrefix="zz")["EventBuses"] == []
    # The model's bounds: Limit 1-100, NamePrefix [/\.\-_A-Za-z0-9]+ of 1-256.
    for kwargs, what in (({"Limit": 0}, "Value '0' at 'limit' failed to satisfy constraint: "
                                        "Member must have value greater than or equal to 1"),
                         ({"Limit": 101}, "Value '101' at 'limit' failed to satisfy constraint: "
                                          "Member must have value less than or equal to 100"),
                         ({"NamePrefix": "a b"}, "Value 'a b' at 'namePrefix' failed to satisfy "
                                                 "constraint: Member must satisfy regular "
                                                 r"expression pattern: [/\.\-_A-Za-z0-9]+")):
        status, body = call(srv, "ListEventBuses", kwargs)
        assert status == 400 and body["message"] == "1 validation error detected: " + what, body
    status, body = call(srv, "ListEventBuses", {"NextToken": "not-a-token"})
    assert (status, body["message"]) == (400, "The NextToken provided is invalid."), body


def test_the_aws_cli(srv, tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "AWS_ACCESS_KEY_ID": ROOT_AKID, "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
           "AWS_DEFAULT_REGION": "us-east-1"}

    def aws(*args):
        p = run_aws(["--endpoint-url", srv.endpoint, "--output", "json", "events", *args], env,
                    tmp_path)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    assert aws("describe-event-bus")["Arn"] == DEFAULT_ARN
    assert [b["Name"] for b in aws("list-event-buses")["EventBuses"]] == ["default"]


def test_creation_time_is_per_account_and_region_and_survives_a_restart(tmp_path):
    s = start(tmp_path, "data")
    try:
        _, east = call(s, "DescribeEventBus", {})
        time.sleep(0.05)
        _, west = call(s, "DescribeEventBus", {}, region="us-west-2")
        assert_default_bus(west, "us-west-2")
        assert west["CreationTime"] > east["CreationTime"]  # its own first use
        _, listed_west = call(s, "ListEventBuses", {}, region="us-west-2")
        assert listed_west == {"EventBuses": [west]}
        s.restart()
        assert call(s, "DescribeEventBus", {}) == (200, east)
        assert call(s, "ListEventBuses", {}, region="us-west-2") == (200, {"EventBuses": [west]})
    finally:
        s.stop()


@pytest.mark.postgresql_only("two nodes need a shared PostgreSQL store")
def test_every_node_answers_the_same_creation_time(cluster):
    a, b = cluster.start(2)
    _, first = call(a, "ListEventBuses", {})
    assert call(b, "DescribeEventBus", {}) == (200, first["EventBuses"][0])
    assert call(a, "DescribeEventBus", {"Name": DEFAULT_ARN}) == (200, first["EventBuses"][0])
    # First uses racing on both nodes (a region not asked about yet) agree on one time.
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda node: call(node, "DescribeEventBus", {},
                                                  region="ap-southeast-2"), [a, b] * 8))
    assert all(status == 200 for status, _ in answers), answers
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1, answers
    assert_default_bus(answers[0][1], "ap-southeast-2")


def test_the_iam_actions_and_the_audit_records(srv):
    iam = client(srv, "iam")
    iam.create_user(UserName="bus-reader")
    iam.put_user_policy(UserName="bus-reader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "events:DescribeEventBus",
                       "Resource": DEFAULT_ARN}]}))
    key = iam.create_access_key(UserName="bus-reader")["AccessKey"]
    reader = client(srv, "events", key["AccessKeyId"], key["SecretAccessKey"])
    assert reader.describe_event_bus()["Arn"] == DEFAULT_ARN
    # The resource of DescribeEventBus is the bus named, whether or not it exists.
    code, msg, status = error_of(reader.describe_event_bus, Name="custom")
    assert (code, status) == ("AccessDeniedException", 400), msg
    assert "events:DescribeEventBus" in msg and f":{ACCOUNT}:event-bus/custom" in msg, msg
    code, msg, _ = error_of(reader.list_event_buses)
    assert code == "AccessDeniedException" and "events:ListEventBuses" in msg, msg

    def recorded():
        return [r for r in records(srv.data_dir)
                if r.get("eventName") in ("DescribeEventBus", "ListEventBuses")]

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not {"DescribeEventBus", "ListEventBuses"} <= {
            r["eventName"] for r in recorded()}:
        time.sleep(0.1)
    recs = recorded()
    assert {r["eventName"] for r in recs} == {"DescribeEventBus", "ListEventBuses"}
    for r in recs:
        assert r["eventSource"] == "events.amazonaws.com" and r["readOnly"] is True, r
        assert r.get("responseElements") is None, r  # a read records none, as CloudTrail
