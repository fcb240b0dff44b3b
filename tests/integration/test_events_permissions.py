"""An event bus's resource-based policy: PutPermission / RemovePermission on the default bus
and on a custom one, DescribeEventBus's Policy, and PutEvents from another account onto the
bus only while its policy lets that account (the event then reaches the bus owner's rules,
naming its sender's account), against a server with signatures checked.

What AWS answers (recorded: localstack/localstack tests/aws/services/events/test_events.py,
TestEventBus::test_put_permission / test_remove_permission / test_remove_permission_non_existing_sid
/ test_put_permission_non_existing_event_bus, aws.validated): PutPermission and
RemovePermission answer {}; the statement AWS writes is {"Sid", "Effect": "Allow",
"Principal": {"AWS": "arn:aws:iam::<account>:root"} (or "*"), "Action": "events:PutEvents",
"Resource": <bus ARN>}; a statement of the same id is replaced; a Policy document replaces the
whole policy; DescribeEventBus answers Policy (a JSON string) while the bus has one and drops
the member once every statement is removed; removing a statement id the policy lacks (or
with no policy) is ResourceNotFoundException "Statement with the provided id does not exist.";
a bus that does not exist is "Event bus <name> does not exist.".
"""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET, wait_for
from events_helpers import body, bus_arn, error, events_call
from test_access_control import ACCOUNT_B, account_b, admin  # noqa: F401 (fixtures)
from test_events import receiver  # noqa: F401 (fixture)

def policy_of(admin, bus: str):
    """DescribeEventBus's Policy, parsed (None without one)."""
    status, described = events_call(admin.endpoint, "DescribeEventBus", {"Name": bus})
    assert status == 200, described
    return json.loads(described["Policy"]) if "Policy" in described else None


@pytest.mark.parametrize("kind", ["custom", "default"])
def test_put_and_remove_permission(admin, kind):
    ev = admin.as_keys("events", {"AccessKeyId": ROOT_AKID, "SecretAccessKey": ROOT_SECRET})
    bus = "default"
    if kind == "custom":
        bus = f"shared-{uuid.uuid4().hex[:8]}"
        ev.create_event_bus(Name=bus)
    assert policy_of(admin, bus) is None
    r = ev.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=ACCOUNT,
                          StatementId="s1")
    assert body(r) == {}
    ev.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=ACCOUNT_B,
                      StatementId="s2")
    ev.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="*",
                      StatementId="s3")
    ev.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="*",
                      StatementId="s3")  # replaces s3
    policy = policy_of(admin, bus)
    assert policy["Version"] == "2012-10-17"
    assert sorted(policy["Statement"], key=lambda s: s["Sid"]) == [
        {"Sid": "s1", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "events:PutEvents", "Resource": bus_arn(bus)},
        {"Sid": "s2", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
         "Action": "events:PutEvents", "Resource": bus_arn(bus)},
        {"Sid": "s3", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
         "Resource": bus_arn(bus)}]

    assert body(ev.remove_permission(EventBusName=bus, StatementId="s1")) == {}
    assert [s["Sid"] for s in policy_of(admin, bus)["Statement"]] == ["s2", "s3"]
    with pytest.raises(ClientError) as e:
        ev.remove_permission(EventBusName=bus, StatementId="non-existing-sid")
    assert error(e) == (400, "ResourceNotFoundException",
                        "Statement with the provided id does not exist.")
    # A whole document replaces the policy.
    document = {"Version": "2012-10-17", "Statement": [{
        "Sid": "s5", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "events:ListRules", "Resource": "*"}]}
    ev.put_permission(EventBusName=bus, Policy=json.dumps(document))
    assert policy_of(admin, bus) == document
    ev.remove_permission(EventBusName=bus, RemoveAllPermissions=True)
    assert policy_of(admin, bus) is None
    with pytest.raises(ClientError) as e:
        ev.remove_permission(EventBusName=bus, StatementId="non-existing-sid")
    assert error(e) == (400, "ResourceNotFoundException",
                        "Statement with the provided id does not exist.")
    if kind == "custom":
        ev.delete_event_bus(Name=bus)


def test_a_permission_condition_is_the_organization_one_aws_defines(admin):
    """AWS's Condition: Type StringEquals, Key aws:PrincipalOrgID, Value (all required); a
    review found any Type and Key stored as given (StringNotEquals opened the bus to every
    account outside the organization)."""
    ev = admin.as_keys("events", {"AccessKeyId": ROOT_AKID, "SecretAccessKey": ROOT_SECRET})
    bus = f"org-{uuid.uuid4().hex[:8]}"
    ev.create_event_bus(Name=bus)
    org = {"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-1234567890"}
    ev.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="*",
                      StatementId="org", Condition=org)
    assert policy_of(admin, bus)["Statement"] == [
        {"Sid": "org", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
         "Resource": bus_arn(bus),
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1234567890"}}}]
    refused = [
        (dict(org, Type="StringNotEquals"),
         "Provided value in parameter 'Condition.Type' is not supported. The only supported "
         "value is StringEquals."),
        (dict(org, Type="MadeUpOperator"),
         "Provided value in parameter 'Condition.Type' is not supported. The only supported "
         "value is StringEquals."),
        (dict(org, Key="aws:SourceAccount"),
         "Provided value in parameter 'Condition.Key' is not supported. The only supported key "
         "is aws:PrincipalOrgID."),
        # Missing members: the model's words (the model validator).
        ({"Type": "StringEquals", "Key": "aws:PrincipalOrgID"},
         "1 validation error detected: Value null at 'condition.value' failed to satisfy "
         "constraint: Member must not be null"),
        ({"Key": "aws:PrincipalOrgID", "Value": "o-1234567890"},
         "1 validation error detected: Value null at 'condition.type' failed to satisfy "
         "constraint: Member must not be null"),
        (dict(org, Value=""), "Parameter Condition.Value must be specified."),
    ]
    for condition, message in refused:
        status, answer = events_call(admin.endpoint, "PutPermission", {
            "EventBusName": bus, "Action": "events:PutEvents", "Principal": "*",
            "StatementId": "bad", "Condition": condition})
        assert status == 400, (condition, answer)
        assert answer.get("__type", "").split("#")[-1] == "ValidationException", answer
        assert answer.get("message", answer.get("Message")) == message, answer
    # Nothing of them was stored.
    assert [s["Sid"] for s in policy_of(admin, bus)["Statement"]] == ["org"]
    ev.remove_permission(EventBusName=bus, RemoveAllPermissions=True)
    ev.delete_event_bus(Name=bus)


def test_put_permission_on_a_bus_that_does_not_exist(admin):
    ev = admin.as_keys("events", {"AccessKeyId": ROOT_AKID, "SecretAccessKey": ROOT_SECRET})
    with pytest.raises(ClientError) as e:
        ev.put_permission(EventBusName="non-existing-bus", Action="events:PutEvents",
                          Principal="*", StatementId="statement-id")
    assert error(e) == (400, "ResourceNotFoundException",
                        "Event bus non-existing-bus does not exist.")
    with pytest.raises(ClientError) as e:
        ev.put_permission(EventBusName="default", Action="events:ListRules", Principal="*",
                          StatementId="x")
    assert error(e)[:2] == (400, "ValidationException")


def test_another_account_puts_events_onto_a_bus_its_policy_shares(admin, account_b, receiver):
    ev = admin.as_keys("events", {"AccessKeyId": ROOT_AKID, "SecretAccessKey": ROOT_SECRET})
    ev_b = admin.as_keys("events", account_b)
    bus = f"central-{uuid.uuid4().hex[:8]}"
    ev.create_event_bus(Name=bus)
    source = f"partner.app.{uuid.uuid4().hex[:6]}"
    ev.put_rule(Name="from-b", EventBusName=bus, EventPattern=json.dumps({"source": [source]}))
    ev.put_targets(Rule="from-b", EventBusName=bus, Targets=[{"Id": "t", "Arn": receiver.url}])
    entry = {"Source": source, "DetailType": "d", "Detail": '{"n": 1}',
             "EventBusName": bus_arn(bus)}
    # Without a grant account B may not put onto A's bus.
    with pytest.raises(ClientError) as e:
        ev_b.put_events(Entries=[entry])
    assert error(e)[:2] == (400, "AccessDeniedException")
    ev.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=ACCOUNT_B,
                      StatementId="b")
    out = ev_b.put_events(Entries=[entry])
    assert out["FailedEntryCount"] == 0
    wait_for(lambda: [b for b in receiver.bodies if b.get("source") == source], timeout=15,
             what="B's event on A's bus")
    [event] = [b for b in receiver.bodies if b.get("source") == source]
    assert (event["id"], event["account"], event["detail"]) == (
        out["Entries"][0]["EventId"], ACCOUNT_B, {"n": 1})
    # Revoked: refused again.
    ev.remove_permission(EventBusName=bus, StatementId="b")
    with pytest.raises(ClientError) as e:
        ev_b.put_events(Entries=[entry])
    assert error(e)[:2] == (400, "AccessDeniedException")
    ev.remove_targets(Rule="from-b", EventBusName=bus, Ids=["t"])
    ev.delete_rule(Name="from-b", EventBusName=bus)
    ev.delete_event_bus(Name=bus)


def test_a_bus_policy_is_bounded_as_aws_bounds_it(admin):
    """AWS's quota "Event bus policy size: 10,240 characters": each PutPermission adds a
    statement; the one that would pass the bound is PolicyLengthExceededException and changes
    nothing; a Policy document over it likewise."""
    ev = admin.as_keys("events", {"AccessKeyId": ROOT_AKID, "SecretAccessKey": ROOT_SECRET})
    bus = f"bounded-{uuid.uuid4().hex[:8]}"
    ev.create_event_bus(Name=bus)
    added = 0
    with pytest.raises(ClientError) as e:
        for i in range(200):
            ev.put_permission(EventBusName=bus, Action="events:PutEvents",
                              Principal=f"{100000000000 + i}", StatementId=f"statement-{i}")
            added += 1
    assert error(e)[:2] == (400, "PolicyLengthExceededException")
    assert 20 < added < 200
    policy = policy_of(admin, bus)
    assert len(policy["Statement"]) == added
    assert len(json.dumps(policy, separators=(",", ":"))) <= 10240
    big = {"Version": "2012-10-17", "Statement": [{
        "Sid": "s" * 11000, "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
        "Resource": bus_arn(bus)}]}
    with pytest.raises(ClientError) as e:
        ev.put_permission(EventBusName=bus, Policy=json.dumps(big))
    assert error(e)[:2] == (400, "PolicyLengthExceededException")
    assert len(policy_of(admin, bus)["Statement"]) == added
    ev.remove_permission(EventBusName=bus, RemoveAllPermissions=True)
    ev.delete_event_bus(Name=bus)
