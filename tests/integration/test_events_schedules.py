"""Scheduled rules (PutRule's ScheduleExpression): answered as AWS recorded them, and run as
leased jobs (events/scheduled_rules.h) that send the rule's targets AWS's "Scheduled Event".

Waiting for a real rate(1 minute) would cost a minute per test, so each run is made due by
moving its job's due time in the store (store_sql) and the scheduler is woken by another
PutRule with a ScheduleExpression (the node that serves one wakes its own scheduler). The
event's shape is the one recorded on AWS (localstack tests/aws/services/events/
test_events_schedule.py, tests_schedule_target_sqs, aws.validated)."""
from __future__ import annotations

import json
import time

import pytest

from conftest import ACCOUNT, store_sql, wait_for
from events_helpers import json_receiver
from test_audit import client, start

REGION = "us-east-1"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("events-schedules"), "data")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ev(srv):
    return client(srv, "events")


@pytest.fixture
def receiver():
    with json_receiver() as r:
        yield r


def job_name(rule: str) -> str:
    return f"events.schedule:{ACCOUNT}:{REGION}:{rule}"


def job_due_ms(srv, rule: str):
    rows = store_sql(srv, f"SELECT due_ms FROM jobs WHERE name = '{job_name(rule)}'")
    return int(rows[0][0]) if rows else None


def run_now(srv, ev, rule: str) -> int:
    """Makes the rule's job due now and wakes the scheduler; returns the due time set (ms)."""
    due = int(time.time() * 1000) - 1000
    store_sql(srv, f"UPDATE jobs SET due_ms = {due} WHERE name = '{job_name(rule)}'")
    ev.put_rule(Name="waker", ScheduleExpression="rate(1 day)")  # wakes this node's scheduler
    return due


def iso_seconds(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def test_a_scheduled_rule_is_answered_as_aws_and_scheduled(ev, srv):
    before = int(time.time() * 1000)
    arn = ev.put_rule(Name="every-five", ScheduleExpression="rate(5 minutes)",
                      Description="five")["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/every-five"
    described = ev.describe_rule(Name="every-five")
    assert {k: v for k, v in described.items() if k != "ResponseMetadata"} == {
        "Name": "every-five", "Arn": arn, "ScheduleExpression": "rate(5 minutes)",
        "State": "ENABLED", "Description": "five", "EventBusName": "default",
        "CreatedBy": ACCOUNT}
    # The first run five minutes after the rule's creation.
    due = job_due_ms(srv, "every-five")
    assert before + 300_000 - 2000 <= due <= int(time.time() * 1000) + 300_000, due
    # A cron: the next whole minute its fields allow (here: the next minute 7 of an hour).
    ev.put_rule(Name="at-seven", ScheduleExpression="cron(7 * * * ? *)")
    due = job_due_ms(srv, "at-seven")
    assert due % 3_600_000 == 7 * 60_000 and 0 < due - time.time() * 1000 <= 3_600_000
    # Both a pattern and a schedule: the rule has both (AWS: it runs on either).
    pattern = json.dumps({"source": ["my.app"]})
    ev.put_rule(Name="both", ScheduleExpression="rate(1 hour)", EventPattern=pattern)
    got = ev.describe_rule(Name="both")
    assert got["ScheduleExpression"] == "rate(1 hour)" and got["EventPattern"] == pattern
    for name in ("every-five", "at-seven", "both"):
        ev.delete_rule(Name=name)


def test_a_run_sends_the_scheduled_event_to_the_rules_targets(ev, srv, receiver):
    url, bodies = receiver
    arn = ev.put_rule(Name="ticker", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    ev.put_targets(Rule="ticker", Targets=[{"Id": "hook", "Arn": url}])
    try:
        due = run_now(srv, ev, "ticker")
        wait_for(lambda: bodies, timeout=20, what="the scheduled event")
        event = bodies[0]
        assert event["version"] == "0" and event["id"]
        assert {k: v for k, v in event.items() if k not in ("version", "id")} == {
            "detail-type": "Scheduled Event", "source": "aws.events", "account": ACCOUNT,
            "time": iso_seconds(due), "region": REGION, "resources": [arn], "detail": {}}
        # Due again at the next five-minute step from the rule's creation, once.
        wait_for(lambda: (job_due_ms(srv, "ticker") or 0) > time.time() * 1000, timeout=10,
                 what="the job's next due time")
        time.sleep(2)
        assert len(bodies) == 1, bodies
    finally:
        ev.remove_targets(Rule="ticker", Ids=["hook"])
        ev.delete_rule(Name="ticker")


def test_a_disabled_rule_does_not_run_and_a_deleted_ones_job_ends(ev, srv, receiver):
    url, bodies = receiver
    ev.put_rule(Name="paused", ScheduleExpression="cron(0 12 * * ? *)", State="DISABLED")
    ev.put_targets(Rule="paused", Targets=[{"Id": "hook", "Arn": url}])
    run_now(srv, ev, "paused")
    wait_for(lambda: (job_due_ms(srv, "paused") or 0) > time.time() * 1000, timeout=20,
             what="the disabled rule's job to be rescheduled")
    assert job_due_ms(srv, "paused") % 86_400_000 == 12 * 3_600_000  # noon UTC
    time.sleep(1)
    assert bodies == []
    # Enabled again, it runs.
    ev.enable_rule(Name="paused")
    run_now(srv, ev, "paused")
    wait_for(lambda: bodies, timeout=20, what="the enabled rule's event")
    # Deleted, its job ends at its next run.
    ev.remove_targets(Rule="paused", Ids=["hook"])
    ev.delete_rule(Name="paused")
    run_now(srv, ev, "paused")
    wait_for(lambda: job_due_ms(srv, "paused") is None, timeout=20,
             what="the deleted rule's job to end")
    # A rule whose schedule was removed (PutRule with a pattern only) keeps no job either.
    ev.put_rule(Name="was-scheduled", ScheduleExpression="rate(2 minutes)")
    ev.put_rule(Name="was-scheduled", EventPattern=json.dumps({"source": ["my.app"]}))
    assert "ScheduleExpression" not in ev.describe_rule(Name="was-scheduled")
    run_now(srv, ev, "was-scheduled")
    wait_for(lambda: job_due_ms(srv, "was-scheduled") is None, timeout=20,
             what="the unscheduled rule's job to end")
    ev.delete_rule(Name="was-scheduled")
