"""EventBridge rule, target and PutEvents error paths against answers recorded on real AWS.

Sources (localstack/localstack, Apache-2.0; the tests are marked aws.validated and their answers
recorded in the .snapshot.json beside them): tests/aws/services/events/test_events.py with
test_events.snapshot.json, and test_events_schedule.py (its invalid-rate list asserts the
message inline). Inputs are transcribed; a LocalStack SQS queue target is an HTTP endpoint here
(this server delivers to HTTP(S) targets only), which changes nothing of what is checked.
"""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from events_helpers import json_receiver
from test_audit import client, start

TEST_EVENT_PATTERN = {"source": ["core.update-account-command"],
                      "detail-type": ["core.update-account-command"],
                      "detail": {"command": ["update-account"]}}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("events-api"), "data")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ev(srv):
    return client(srv, "events")


@pytest.fixture(scope="module")
def receiver():
    with json_receiver() as r:
        yield r


def error_of(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_put_events_to_a_bus_that_does_not_exist_is_accepted_and_dropped(ev, receiver):
    """TestEventBus::test_put_events_nonexistent_event_bus: the entry for the nonexistent bus
    gets an EventId (FailedEntryCount 0) and is delivered nowhere; the default bus's entry is
    delivered once."""
    url, bodies = receiver
    ev.put_rule(Name="nonexistent-bus-rule", State="ENABLED",
                EventPattern=json.dumps({"detail-type": ["CustomType"], "source": ["MySource"]}))
    ev.put_targets(Rule="nonexistent-bus-rule", Targets=[{"Id": "default-bus-target", "Arn": url}])
    entries = [
        {"Source": "MySource", "DetailType": "CustomType",
         "Detail": json.dumps({"message": "for the default event bus"})},
        {"EventBusName": "event-bus-6f1c2a", "Source": "MySource", "DetailType": "CustomType",
         "Detail": json.dumps({"message": "for the custom event bus"})},
    ]
    got = ev.put_events(Entries=entries)
    assert got["FailedEntryCount"] == 0
    assert [set(e) for e in got["Entries"]] == [{"EventId"}, {"EventId"}]
    deadline = time.time() + 10
    while time.time() < deadline and not bodies:
        time.sleep(0.05)
    time.sleep(0.5)  # long enough for a wrongly routed second event to arrive too
    assert [b["detail"] for b in bodies] == [{"message": "for the default event bus"}]
    ev.remove_targets(Rule="nonexistent-bus-rule", Ids=["default-bus-target"])
    ev.delete_rule(Name="nonexistent-bus-rule")


@pytest.mark.parametrize("entry,code,message", [
    # TestEvents::test_put_events_without_source / _without_detail / _without_detail_type
    ({"DetailType": "core.update-account-command", "Detail": json.dumps({"command": "x"})},
     "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."),
    ({"Source": "core.update-account-command", "DetailType": "core.update-account-command"},
     "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."),
    ({"Source": "core.update-account-command", "Detail": json.dumps({"command": "x"})},
     "InvalidArgument",
     "Parameter DetailType is not valid. Reason: DetailType is a required argument."),
    # TestEvents::test_put_event_malformed_detail[STRING|ARRAY|MALFORMED_JSON|SERIALIZED_STRING]
    ({"Source": "s", "DetailType": "t", "Detail": '"Hello World"'}, "MalformedDetail",
     "Detail is malformed."),
    ({"Source": "s", "DetailType": "t", "Detail": '["a", "b"]'}, "MalformedDetail",
     "Detail is malformed."),
    ({"Source": "s", "DetailType": "t", "Detail": '{"a": "b",'}, "MalformedDetail",
     "Detail is malformed."),
    ({"Source": "s", "DetailType": "t", "Detail": json.dumps(json.dumps({"a": "b"}))},
     "MalformedDetail", "Detail is malformed."),
])
def test_put_events_entry_failures(ev, entry, code, message):
    got = ev.put_events(Entries=[entry])
    assert got["FailedEntryCount"] == 1
    assert got["Entries"] == [{"ErrorCode": code, "ErrorMessage": message}]


def test_put_event_with_too_big_detail(ev):
    """TestEvents::test_put_event_with_too_big_detail."""
    detail = json.dumps({"payload": "x" * (256 * 1024)})
    assert error_of(ev.put_events, Entries=[{"Source": "s", "DetailType": "t", "Detail": detail}]) \
        == ("ValidationException", "Total size of the entries in the request is over the limit.", 400)


def test_rule_errors(ev):
    """TestEventRule::test_describe_nonexistent_rule, ::test_delete_rule_with_targets,
    ::test_update_rule_with_targets (a PutRule of an existing rule keeps its targets)."""
    missing = "this-rule-does-not-exist-1234567890-a1b2c3"
    assert error_of(ev.describe_rule, Name=missing) == (
        "ResourceNotFoundException", f"Rule {missing} does not exist on EventBus default.", 400)

    ev.put_rule(Name="with-targets", EventPattern=json.dumps(TEST_EVENT_PATTERN))
    ev.put_targets(Rule="with-targets", Targets=[{"Id": "test-target-1", "Arn": "http://127.0.0.1:9/"}])
    assert error_of(ev.delete_rule, Name="with-targets") == (
        "ValidationException", "Rule can't be deleted since it has targets.", 400)
    ev.put_rule(Name="with-targets", EventPattern=json.dumps(TEST_EVENT_PATTERN))
    assert [t["Id"] for t in ev.list_targets_by_rule(Rule="with-targets")["Targets"]] == \
        ["test-target-1"]
    ev.remove_targets(Rule="with-targets", Ids=["test-target-1"])
    ev.delete_rule(Name="with-targets")


def test_target_errors(ev):
    """TestEventTarget::test_add_exceed_fife_targets_per_rule (7 targets in one call),
    ::test_put_target_id_validation, ::test_list_target_by_rule_limit."""
    ev.put_rule(Name="targets-rule", EventPattern=json.dumps(TEST_EVENT_PATTERN))
    url = "http://127.0.0.1:9/hook"
    assert error_of(ev.put_targets, Rule="targets-rule",
                    Targets=[{"Id": f"test-target-{i}", "Arn": url} for i in range(7)]) == (
        "LimitExceededException", "The requested resource exceeds the maximum number allowed.", 400)

    assert error_of(ev.put_targets, Rule="targets-rule",
                    Targets=[{"Id": "!@#$@!#$", "Arn": url, "InputPath": "$.detail"}]) == (
        "ValidationException",
        "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", 400)
    long_id = "0123456789abcdef0123456789abcdef-0123456789abcdef0123456789abcdef-extra"
    assert error_of(ev.put_targets, Rule="targets-rule",
                    Targets=[{"Id": long_id, "Arn": url, "InputPath": "$.detail"}]) == (
        "ValidationException",
        f"1 validation error detected: Value '{long_id}' at 'targets.1.member.id' failed to "
        "satisfy constraint: Member must have length less than or equal to 64", 400)

    ev.put_targets(Rule="targets-rule", Targets=[{"Id": f"test-target-{i}", "Arn": url}
                                                 for i in range(5)])
    first = ev.list_targets_by_rule(Rule="targets-rule", Limit=3)
    assert [t["Id"] for t in first["Targets"]] == [f"test-target-{i}" for i in range(3)]
    rest = ev.list_targets_by_rule(Rule="targets-rule", NextToken=first["NextToken"])
    assert [t["Id"] for t in rest["Targets"]] == ["test-target-3", "test-target-4"]
    assert "NextToken" not in rest
    ev.remove_targets(Rule="targets-rule", Ids=[f"test-target-{i}" for i in range(5)])
    ev.delete_rule(Name="targets-rule")


@pytest.mark.parametrize("expression", [
    # test_events_schedule.py TestScheduleRate::test_put_rule_with_invalid_schedule_rate
    "rate(10 seconds)", "rate(10 years)", "rate(1 minutes)", "rate(1 hours)", "rate(1 days)",
    "rate(10 minute)", "rate(10 hour)", "rate(10 day)", "rate()", "rate(10)",
    "rate(10 minutess)", "rate(foo minutes)", "rate(0 minutes)", "rate(-10 minutes)",
    "rate(10 MINUTES)", "rate( 10 minutes )", " rate(10 minutes)",
])
def test_put_rule_with_invalid_schedule_rate(ev, expression):
    assert error_of(ev.put_rule, Name="rule-invalid-rate", ScheduleExpression=expression)[:2] == (
        "ValidationException", "Parameter ScheduleExpression is not valid.")


@pytest.mark.parametrize("expression", [
    # test_events_schedule.py TestScheduleCron::tests_put_rule_with_schedule_cron: AWS created
    # these rules; TestScheduleRate::test_put_rule_with_schedule recorded ListRules' entry.
    "cron(0 10 * * ? *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)", "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0/30 20-23 ? * MON-FRI *)", "cron(0/30 0-2 ? * MON-FRI *)", "rate(1 minute)",
])
def test_put_rule_with_schedule_aws_accepted(ev, expression):
    arn = ev.put_rule(Name="rule-schedule", ScheduleExpression=expression)["RuleArn"]
    try:
        rules = ev.list_rules(NamePrefix="rule-schedule")["Rules"]
        assert rules == [{"Name": "rule-schedule", "Arn": arn, "ScheduleExpression": expression,
                          "State": "ENABLED", "EventBusName": "default"}]
    finally:
        ev.delete_rule(Name="rule-schedule")


def test_put_rule_with_schedule_on_a_custom_bus(ev):
    """TestScheduleRate::tests_put_rule_with_schedule_custom_event_bus (recorded)."""
    ev.create_event_bus(Name="schedule-bus")
    try:
        assert error_of(ev.put_rule, Name="rule-schedule", EventBusName="schedule-bus",
                        ScheduleExpression="rate(1 minute)") == (
            "ValidationException",
            "ScheduleExpression is supported only on the default event bus.", 400)
    finally:
        ev.delete_event_bus(Name="schedule-bus")


@pytest.mark.parametrize("expression", [
    # Not recorded: the EventBridge guide's cron rules ("Cron expressions": field ranges, and
    # "If you specify a value or a * in one of the fields, you must use a ? in the other").
    "cron(0 10 * * * *)", "cron(0 10 ? * ? *)", "cron(60 10 * * ? *)", "cron(0 24 * * ? *)",
    "cron(0 10 32 * ? *)", "cron(0 10 * 13 ? *)", "cron(0 10 ? * 8 *)", "cron(0 10 ? * 2#6 *)",
])
def test_put_rule_with_invalid_schedule_cron(ev, expression):
    assert error_of(ev.put_rule, Name="rule-invalid-cron", ScheduleExpression=expression)[:2] == (
        "ValidationException", "Parameter ScheduleExpression is not valid.")


def test_rule_name_validation(ev):
    """Rule names as the model constrains them ([\\.\\-_A-Za-z0-9]+, at most 64), refused in the
    form AWS recorded for target ids (test_put_target_id_validation above)."""
    pattern = json.dumps(TEST_EVENT_PATTERN)
    assert error_of(ev.put_rule, Name="!@#$@!#$", EventPattern=pattern) == (
        "ValidationException",
        "1 validation error detected: Value '!@#$@!#$' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", 400)
    long_name = "r" * 65
    assert error_of(ev.put_rule, Name=long_name, EventPattern=pattern) == (
        "ValidationException",
        f"1 validation error detected: Value '{long_name}' at 'name' failed to satisfy "
        "constraint: Member must have length less than or equal to 64", 400)
    name = "test-With_valid.Characters-" + "x" * 37  # 64 characters
    assert ev.put_rule(Name=name, EventPattern=pattern)["RuleArn"].endswith(":rule/" + name)
    ev.delete_rule(Name=name)


def test_a_bus_of_another_region_is_a_cross_region_call(ev):
    """PutRule on the ARN of a bus in another region: AWS refuses the call itself (recorded:
    CloudFormation's AWS::Events::Rule with EventBusName = a us-east-1 bus's ARN, deployed in
    us-west-2, "Cross-region API call is not allowed. (Service: AmazonCloudWatchEvents; Status
    Code: 400; Error Code: ValidationException", aws-samples/amazon-eventbridge-resource-policy-
    samples#10); not a bus that does not exist. A bus ARN of this region still is one."""
    pattern = json.dumps(TEST_EVENT_PATTERN)
    for bus in ("arn:aws:events:eu-west-1:123456789012:event-bus/default",
                "arn:aws:events:us-west-2:210987654321:event-bus/central"):
        assert error_of(ev.put_rule, Name="cross-region", EventPattern=pattern,
                        EventBusName=bus) == (
            "ValidationException", "Cross-region API call is not allowed.", 400)
        assert error_of(ev.list_rules, EventBusName=bus)[:2] == (
            "ValidationException", "Cross-region API call is not allowed.")
    here = "arn:aws:events:us-east-1:123456789012:event-bus/central"
    # A bus that does not exist is named by its name, as AWS names it when given an ARN to
    # DescribeEventBus, PutPermission, TagResource and CreateArchive (recorded); not recorded
    # for the rule calls.
    assert error_of(ev.put_rule, Name="cross-region", EventPattern=pattern, EventBusName=here) == (
        "ResourceNotFoundException", "Event bus central does not exist.", 400)
    assert error_of(ev.describe_rule, Name="cross-region")[0] == "ResourceNotFoundException"
