"""EventBridge custom event buses: CreateEventBus, DescribeEventBus, ListEventBuses,
UpdateEventBus and DeleteEventBus; rules, targets and tags on a custom bus (EventBusName as a
name or an ARN, rule ARNs rule/<bus>/<name>); PutEvents onto a custom bus reaching that bus's
rules only, and Arcana's own events reaching the default bus's only; on both backends.

What AWS answers (recorded: localstack/localstack tests/aws/services/events/test_events.py and
test_events_tags.py, aws.validated, with their snapshots): CreateEventBus answers only
EventBusArn; a second bus of one name is ResourceAlreadyExistsException "Event bus <name>
already exists."; DescribeEventBus / ListEventBuses entries are Arn, CreationTime,
LastModifiedTime, Name; ListEventBuses pages by name (Limit 3 of six: three and a NextToken,
the rest and none); deleting the default bus is ValidationException "Cannot delete event bus
default."; deleting a bus that does not exist succeeds; a rule on a custom bus is
arn:...:rule/<bus>/<rule> with EventBusName <bus>; a missing rule there is "Rule <rule> does
not exist on EventBus <bus>."; a bus's tags go with it (a bus created again has none); an
event put onto a bus that does not exist is accepted and dropped. Real AWS answers quoted in
public issues: "EventBus can't be deleted since it has rules." (anomalyco/sst#4325) and
"EventBus name starting with 'aws.' is not valid." (hashicorp/terraform-provider-aws#35065).
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, wait_for
from events_helpers import REGION, body, bus_arn, error, events_call
from test_audit import client, start
from test_events import receiver  # noqa: F401 (fixture)

@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("events-custom-buses"), "data")
    yield s
    s.stop()


def call(srv, op: str, payload: dict):
    return events_call(srv.endpoint, op, payload)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_create_describe_list_update_delete(srv):
    ev = client(srv, "events")
    name = unique("orders")
    assert body(ev.create_event_bus(Name=name)) == {"EventBusArn": bus_arn(name)}
    status, described = call(srv, "DescribeEventBus", {"Name": name})
    assert status == 200
    assert sorted(described) == ["Arn", "CreationTime", "LastModifiedTime", "Name"]
    assert (described["Name"], described["Arn"]) == (name, bus_arn(name))
    assert call(srv, "DescribeEventBus", {"Name": bus_arn(name)})[1] == described
    with pytest.raises(ClientError) as e:
        ev.create_event_bus(Name=name)
    assert error(e) == (400, "ResourceAlreadyExistsException", f"Event bus {name} already exists.")
    listed = call(srv, "ListEventBuses", {"NamePrefix": name})[1]
    assert listed == {"EventBuses": [described]}

    # UpdateEventBus sets the description; LastModifiedTime moves, CreationTime stays.
    time.sleep(1.1)
    status, updated = call(srv, "UpdateEventBus", {"Name": name, "Description": "orders bus"})
    assert (status, updated) == (200, {"Arn": bus_arn(name), "Name": name,
                                       "Description": "orders bus"})
    after = call(srv, "DescribeEventBus", {"Name": name})[1]
    assert after["Description"] == "orders bus"
    assert after["CreationTime"] == described["CreationTime"]
    assert after["LastModifiedTime"] > described["LastModifiedTime"]

    assert body(ev.delete_event_bus(Name=name)) == {}
    status, missing = call(srv, "DescribeEventBus", {"Name": name})
    assert (status, missing) == (400, {"__type": "ResourceNotFoundException",
                                       "message": f"Event bus {name} does not exist."})
    assert call(srv, "ListEventBuses", {"NamePrefix": name})[1] == {"EventBuses": []}
    # Deleting it again (a bus that does not exist) succeeds, as on AWS.
    assert body(ev.delete_event_bus(Name=name)) == {}


def test_refusals_in_aws_words(srv):
    ev = client(srv, "events")
    with pytest.raises(ClientError) as e:
        ev.delete_event_bus(Name="default")
    assert error(e) == (400, "ValidationException", "Cannot delete event bus default.")
    with pytest.raises(ClientError) as e:
        ev.create_event_bus(Name="default")
    assert error(e) == (400, "ResourceAlreadyExistsException", "Event bus default already exists.")
    with pytest.raises(ClientError) as e:
        ev.create_event_bus(Name="aws.mine")
    assert error(e) == (400, "ValidationException",
                        "EventBus name starting with 'aws.' is not valid.")
    with pytest.raises(ClientError) as e:
        ev.create_event_bus(Name="a/b")
    assert error(e)[:2] == (400, "ValidationException")
    with pytest.raises(ClientError) as e:
        ev.create_event_bus(Name="bad name")
    assert error(e) == (400, "ValidationException",
                        "1 validation error detected: Value 'bad name' at 'name' failed to satisfy "
                        "constraint: Member must satisfy regular expression pattern: "
                        "[/\\.\\-_A-Za-z0-9]+")
    # A bus with rules is not deleted.
    name = unique("ruled")
    ev.create_event_bus(Name=name)
    ev.put_rule(Name="r1", EventBusName=name, EventPattern=json.dumps({"source": ["x"]}))
    with pytest.raises(ClientError) as e:
        ev.delete_event_bus(Name=name)
    assert error(e) == (400, "ValidationException",
                        "EventBus can't be deleted since it has rules.")
    ev.delete_rule(Name="r1", EventBusName=name)
    ev.delete_event_bus(Name=name)
    # Rules and tags on a bus that does not exist.
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name="r1", EventBusName=name, EventPattern=json.dumps({"source": ["x"]}))
    assert error(e) == (400, "ResourceNotFoundException", f"Event bus {name} does not exist.")
    with pytest.raises(ClientError) as e:
        ev.list_rules(EventBusName=bus_arn(name))
    assert error(e) == (400, "ResourceNotFoundException", f"Event bus {name} does not exist.")
    with pytest.raises(ClientError) as e:
        ev.tag_resource(ResourceARN=bus_arn(name), Tags=[{"Key": "k", "Value": "v"}])
    assert error(e) == (400, "ResourceNotFoundException", f"Event bus {name} does not exist.")


def test_rules_targets_and_tags_on_a_custom_bus(srv):
    ev = client(srv, "events")
    name = unique("payments")
    ev.create_event_bus(Name=name, Tags=[{"Key": "tag1", "Value": "value1"}])
    assert ev.list_tags_for_resource(ResourceARN=bus_arn(name))["Tags"] == [
        {"Key": "tag1", "Value": "value1"}]
    pattern = json.dumps({"source": ["my.app"]})
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}/same-name"
    assert ev.put_rule(Name="same-name", EventBusName=name, EventPattern=pattern)["RuleArn"] == \
        rule_arn
    # The same rule name on the default bus is another rule.
    assert ev.put_rule(Name="same-name", EventPattern=pattern)["RuleArn"] == \
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/same-name"
    described = body(ev.describe_rule(Name="same-name", EventBusName=bus_arn(name)))
    assert described == {"Name": "same-name", "Arn": rule_arn, "EventPattern": pattern,
                         "State": "ENABLED", "EventBusName": name, "CreatedBy": ACCOUNT}
    for i in range(4):
        ev.put_rule(Name=f"r-{i}", EventBusName=name, EventPattern=pattern)
    first = ev.list_rules(EventBusName=name, Limit=3)
    assert [r["Name"] for r in first["Rules"]] == ["r-0", "r-1", "r-2"]
    assert all(r["EventBusName"] == name for r in first["Rules"])
    second = ev.list_rules(EventBusName=name, NextToken=first["NextToken"])
    assert [r["Name"] for r in second["Rules"]] == ["r-3", "same-name"]
    assert "NextToken" not in second
    assert [r["Name"] for r in ev.list_rules(EventBusName=name, NamePrefix="r-")["Rules"]] == \
        ["r-0", "r-1", "r-2", "r-3"]
    # The default bus lists its own rules only.
    default_names = [r["Name"] for r in ev.list_rules()["Rules"]]
    assert "same-name" in default_names and "r-0" not in default_names

    ev.put_targets(Rule="r-0", EventBusName=name, Targets=[{"Id": "t", "Arn": "http://127.0.0.1:9/x"}])
    assert ev.list_targets_by_rule(Rule="r-0", EventBusName=name)["Targets"] == [
        {"Id": "t", "Arn": "http://127.0.0.1:9/x"}]
    assert ev.list_rule_names_by_target(TargetArn="http://127.0.0.1:9/x",
                                        EventBusName=name)["RuleNames"] == ["r-0"]
    assert ev.list_rule_names_by_target(TargetArn="http://127.0.0.1:9/x")["RuleNames"] == []
    with pytest.raises(ClientError) as e:
        ev.list_targets_by_rule(Rule="r-0")
    assert error(e) == (400, "ResourceNotFoundException",
                        "Rule r-0 does not exist on EventBus default.")
    with pytest.raises(ClientError) as e:
        ev.describe_rule(Name="nope", EventBusName=name)
    assert error(e) == (400, "ResourceNotFoundException",
                        f"Rule nope does not exist on EventBus {name}.")
    ev.disable_rule(Name="r-1", EventBusName=name)
    assert ev.describe_rule(Name="r-1", EventBusName=name)["State"] == "DISABLED"

    # Tags of a rule of the bus, by its rule/<bus>/<name> ARN.
    ev.tag_resource(ResourceARN=rule_arn, Tags=[{"Key": "k", "Value": "v"}])
    assert ev.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert ev.list_tags_for_resource(
        ResourceARN=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/same-name")["Tags"] == []

    # Deleting the bus needs its rules gone; its tags go with it.
    ev.remove_targets(Rule="r-0", EventBusName=name, Ids=["t"])
    for r in ["same-name", "r-0", "r-1", "r-2", "r-3"]:
        ev.delete_rule(Name=r, EventBusName=name)
    ev.delete_rule(Name="same-name")
    ev.delete_event_bus(Name=name)
    ev.create_event_bus(Name=name)
    assert ev.list_tags_for_resource(ResourceARN=bus_arn(name))["Tags"] == []
    ev.delete_event_bus(Name=name)


def test_list_event_buses_pages_by_name_with_the_default_bus(srv):
    ev = client(srv, "events")
    prefix = unique("P")
    for i in range(6):
        ev.create_event_bus(Name=f"{prefix}-{i}")
    first = call(srv, "ListEventBuses", {"NamePrefix": prefix, "Limit": 3})[1]
    assert [b["Name"] for b in first["EventBuses"]] == [f"{prefix}-{i}" for i in range(3)]
    second = call(srv, "ListEventBuses", {"NamePrefix": prefix, "Limit": 5,
                                          "NextToken": first["NextToken"]})[1]
    assert [b["Name"] for b in second["EventBuses"]] == [f"{prefix}-{i}" for i in range(3, 6)]
    assert "NextToken" not in second
    everything = []
    token = None
    while True:
        page = call(srv, "ListEventBuses", {"Limit": 2, **({"NextToken": token} if token else {})})[1]
        everything += [b["Name"] for b in page["EventBuses"]]
        token = page.get("NextToken")
        if not token:
            break
    assert "default" in everything and everything == sorted(everything)
    assert all(f"{prefix}-{i}" in everything for i in range(6))
    for i in range(6):
        ev.delete_event_bus(Name=f"{prefix}-{i}")


def test_events_reach_the_rules_of_their_own_bus(srv, receiver):
    ev = client(srv, "events")
    name = unique("app")
    ev.create_event_bus(Name=name)
    source = f"my.app.{uuid.uuid4().hex[:6]}"
    for bus, rule in ((name, "on-custom"), ("default", "on-default")):
        ev.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": [source]}))
        ev.put_targets(Rule=rule, EventBusName=bus,
                       Targets=[{"Id": "t", "Arn": receiver.url,
                                 "InputTransformer": {"InputTemplate":
                                                      '{"rule": <aws.events.rule-arn>}'}}])
    out = ev.put_events(Entries=[
        {"Source": source, "DetailType": "d", "Detail": "{}", "EventBusName": name},
        {"Source": source, "DetailType": "d", "Detail": "{}", "EventBusName": bus_arn(name)},
        {"Source": source, "DetailType": "d", "Detail": "{}"},
        {"Source": source, "DetailType": "d", "Detail": "{}", "EventBusName": "no-such-bus"},
    ])
    assert out["FailedEntryCount"] == 0 and all("EventId" in e for e in out["Entries"])

    def rules_hit():
        return sorted(b["rule"] for b in receiver.bodies if isinstance(b, dict) and "rule" in b)

    custom_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}/on-custom"
    default_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/on-default"
    wait_for(lambda: len(rules_hit()) >= 3, timeout=15, what="three deliveries")
    time.sleep(0.5)  # the event for the missing bus is dropped, not delivered
    assert rules_hit() == sorted([custom_arn, custom_arn, default_arn])
    for bus, rule in ((name, "on-custom"), ("default", "on-default")):
        ev.remove_targets(Rule=rule, EventBusName=bus, Ids=["t"])
        ev.delete_rule(Name=rule, EventBusName=bus)
    ev.delete_event_bus(Name=name)


def test_a_rule_forwards_events_to_another_bus(srv, receiver):
    """An event-bus target (AWS accepts it: recorded, put-target-1 of
    test_put_events_to_default_eventbus_for_custom_eventbus): the default bus's rule puts the
    event, as it is, onto a custom bus, whose rule delivers it; a chain of forwards that loops
    ends (kMaxForwards)."""
    ev = client(srv, "events")
    name = unique("fanout")
    ev.create_event_bus(Name=name)
    source = f"my.forward.{uuid.uuid4().hex[:6]}"
    pattern = json.dumps({"source": [source]})
    ev.put_rule(Name="to-custom", EventPattern=pattern)
    assert ev.put_targets(Rule="to-custom", Targets=[{"Id": "bus", "Arn": bus_arn(name)}])[
        "FailedEntryCount"] == 0
    ev.put_rule(Name="deliver", EventBusName=name, EventPattern=pattern)
    ev.put_targets(Rule="deliver", EventBusName=name, Targets=[{"Id": "t", "Arn": receiver.url}])
    # ... and back: a loop, which the forward bound ends.
    ev.put_targets(Rule="deliver", EventBusName=name,
                   Targets=[{"Id": "back", "Arn": bus_arn("default")}])
    out = ev.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"n": 1}'}])

    def got():
        return [b for b in receiver.bodies if isinstance(b, dict) and b.get("source") == source]

    wait_for(lambda: got(), timeout=15, what="the forwarded event")
    time.sleep(1.5)  # the loop's further rounds, then its end
    delivered = got()
    assert 1 <= len(delivered) <= 3  # one per pass through the custom bus, bounded
    assert all(d["id"] == out["Entries"][0]["EventId"] and d["detail"] == {"n": 1}
               for d in delivered)
    # Refused: another account's or region's bus, Input members on a bus target.
    for other in (bus_arn(name, "210987654321"), f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/x"):
        with pytest.raises(ClientError) as e:
            ev.put_targets(Rule="to-custom", Targets=[{"Id": "x", "Arn": other}])
        assert error(e)[:2] == (400, "ValidationException")
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule="to-custom", Targets=[{"Id": "x", "Arn": bus_arn(name),
                                                   "InputPath": "$.detail"}])
    assert error(e) == (400, "ValidationException",
                        "Parameter InputPath is not supported for an event bus target by this "
                        "server.")
    ev.remove_targets(Rule="to-custom", Ids=["bus"])
    ev.remove_targets(Rule="deliver", EventBusName=name, Ids=["t", "back"])
    ev.delete_rule(Name="to-custom")
    ev.delete_rule(Name="deliver", EventBusName=name)
    ev.delete_event_bus(Name=name)
