"""EventBridge archives and replays (services/events/events_archive_ops.cc, events/replays.h),
checked against the answers recorded on AWS: localstack/localstack (Apache-2.0)
tests/aws/services/events/test_archive_and_replay.py with its .snapshot.json (aws.validated).
An SQS queue target there is an HTTP endpoint here, which changes nothing of what is checked.
Both stores (ARCANA_TEST_STORE)."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, wait_for
from events_helpers import json_receiver
from test_audit import client, start

REGION = "us-east-1"
TEST_EVENT_PATTERN = {"source": ["core.update-account-command"],
                      "detail-type": ["core.update-account-command"],
                      "detail": {"command": ["update-account"]}}
TEST_EVENT_PATTERN_NO_DETAIL = {"source": ["core.update-account-command"],
                                "detail-type": ["core.update-account-command"]}
TEST_EVENT_DETAIL = {"command": "update-account",
                     "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("events-archives"), "data")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ev(srv):
    return client(srv, "events")


@pytest.fixture
def receiver():
    with json_receiver() as r:
        yield r


def uid() -> str:
    return uuid.uuid4().hex[:8]


def body(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


def error(call, **kwargs) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def bus_of(ev, kind: str) -> tuple[str, str]:
    if kind == "default":
        return "default", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    name = f"test-bus-{uid()}"
    return name, ev.create_event_bus(Name=name)["EventBusArn"]


def is_time(v) -> bool:
    return isinstance(v, datetime) and abs((datetime.now(timezone.utc) - v).total_seconds()) < 600


def entries(bus: str, n: int) -> list[dict]:
    return [{"Source": TEST_EVENT_PATTERN["source"][0],
             "DetailType": TEST_EVENT_PATTERN["detail-type"][0],
             "Detail": json.dumps(TEST_EVENT_DETAIL), "EventBusName": bus} for _ in range(n)]


@pytest.mark.parametrize("bus_type", ["default", "custom"])
def test_create_list_describe_update_delete_archive(ev, bus_type):
    bus, bus_arn = bus_of(ev, bus_type)
    name = f"test-archive-{uid()}"
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:archive/{name}"
    created = body(ev.create_archive(ArchiveName=name, EventSourceArn=bus_arn,
                                     Description="description of the archive",
                                     EventPattern=json.dumps(TEST_EVENT_PATTERN), RetentionDays=1))
    assert is_time(created.pop("CreationTime"))
    assert created == {"ArchiveArn": arn, "State": "ENABLED"}
    listed = body(ev.list_archives(NamePrefix=name))["Archives"]
    assert is_time(listed[0].pop("CreationTime"))
    assert listed == [{"ArchiveName": name, "EventCount": 0, "EventSourceArn": bus_arn,
                       "RetentionDays": 1, "SizeBytes": 0, "State": "ENABLED"}]
    described = body(ev.describe_archive(ArchiveName=name))
    assert is_time(described.pop("CreationTime"))
    assert json.loads(described.pop("EventPattern")) == TEST_EVENT_PATTERN
    assert described == {"ArchiveArn": arn, "ArchiveName": name,
                         "Description": "description of the archive", "EventCount": 0,
                         "EventSourceArn": bus_arn, "RetentionDays": 1, "SizeBytes": 0,
                         "State": "ENABLED"}
    updated = body(ev.update_archive(ArchiveName=name,
                                     Description="updated description of the archive",
                                     EventPattern=json.dumps(TEST_EVENT_PATTERN_NO_DETAIL),
                                     RetentionDays=2))
    assert is_time(updated.pop("CreationTime"))
    assert updated == {"ArchiveArn": arn, "State": "ENABLED"}
    described = ev.describe_archive(ArchiveName=name)
    assert described["RetentionDays"] == 2
    assert described["Description"] == "updated description of the archive"
    assert json.loads(described["EventPattern"]) == TEST_EVENT_PATTERN_NO_DETAIL
    assert body(ev.delete_archive(ArchiveName=name)) == {}
    assert body(ev.list_archives(NamePrefix=name)) == {"Archives": []}


def test_list_archives_filters(ev):
    bus, bus_arn = bus_of(ev, "custom")
    name = f"test-archive-{uid()}"
    ev.create_archive(ArchiveName=name, EventSourceArn=bus_arn, RetentionDays=1)
    assert [a["ArchiveName"] for a in ev.list_archives(EventSourceArn=bus_arn)["Archives"]] == [name]
    assert name in [a["ArchiveName"] for a in ev.list_archives(State="ENABLED")["Archives"]]
    assert ev.list_archives(NamePrefix="doesnotexist")["Archives"] == []
    assert error(ev.list_archives, NamePrefix=name, State="ENABLED") == (
        400, "ValidationException", "At most one filter is allowed for ListArchives. Use either "
        ": State, EventSourceArn, or NamePrefix.")
    missing = f"doesnotexist-{uid()}"
    assert error(ev.list_archives,
                 EventSourceArn=f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{missing}") == (
        400, "ResourceNotFoundException", f"Event bus {missing} does not exist.")
    # Paging by name.
    for i in range(3):
        ev.create_archive(ArchiveName=f"{name}-{i}", EventSourceArn=bus_arn)
    first = ev.list_archives(NamePrefix=f"{name}-", Limit=2)
    assert [a["ArchiveName"] for a in first["Archives"]] == [f"{name}-0", f"{name}-1"]
    rest = ev.list_archives(NamePrefix=f"{name}-", Limit=2, NextToken=first["NextToken"])
    assert [a["ArchiveName"] for a in rest["Archives"]] == [f"{name}-2"]
    assert "NextToken" not in rest


def test_archive_errors(ev):
    bus, bus_arn = bus_of(ev, "default")
    name = f"test-archive-{uid()}"
    ev.create_archive(ArchiveName=name, EventSourceArn=bus_arn, RetentionDays=1)
    assert error(ev.create_archive, ArchiveName=name, EventSourceArn=bus_arn) == (
        400, "ResourceAlreadyExistsException", f"Archive {name} already exists.")
    missing = f"doesnotexist-{uid()}"
    assert error(ev.create_archive, ArchiveName="test-archive",
                 EventSourceArn=f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{missing}") == (
        400, "ResourceNotFoundException", f"Event bus {missing} does not exist.")
    assert error(ev.describe_archive, ArchiveName=missing) == (
        400, "ResourceNotFoundException", f"Archive {missing} does not exist.")
    assert error(ev.delete_archive, ArchiveName=missing) == (
        400, "ResourceNotFoundException", f"Archive {missing} does not exist.")
    assert error(ev.update_archive, ArchiveName=missing)[1] == "ResourceNotFoundException"
    assert error(ev.create_archive, ArchiveName=f"bad-{uid()}", EventSourceArn=bus_arn,
                 EventPattern="{not json")[1] == "InvalidEventPatternException"
    # RetentionDays is the model's 32-bit integer (a review: no upper bound, and days *
    # 86,400,000 overflowed, so events expired at once or never).
    for days in (2**31, 10**12, 2**63):
        over = ("1 validation error detected: Value '%d' at 'retentionDays' failed to satisfy "
                "constraint: Member must have value less than or equal to 2147483647" % days)
        assert error(ev.create_archive, ArchiveName=f"big-{uid()}", EventSourceArn=bus_arn,
                     RetentionDays=days) == (400, "ValidationException", over)
        assert error(ev.update_archive, ArchiveName=name, RetentionDays=days) == (
            400, "ValidationException", over)
    assert ev.describe_archive(ArchiveName=name)["RetentionDays"] == 1
    ev.delete_archive(ArchiveName=name)


def test_the_longest_retention_keeps_events(ev):
    bus, bus_arn = bus_of(ev, "custom")
    name = f"test-archive-{uid()}"
    ev.create_archive(ArchiveName=name, EventSourceArn=bus_arn, RetentionDays=2**31 - 1)
    assert ev.put_events(Entries=entries(bus, 2))["FailedEntryCount"] == 0
    wait_for(lambda: ev.describe_archive(ArchiveName=name)["EventCount"] == 2, timeout=20,
             what="2 archived events")
    # Their expiry moves with the retention (time + days in ms, within int64 in both stores).
    ev.update_archive(ArchiveName=name, RetentionDays=2**31 - 2)
    assert ev.describe_archive(ArchiveName=name)["RetentionDays"] == 2**31 - 2
    assert ev.describe_archive(ArchiveName=name)["EventCount"] == 2
    ev.delete_archive(ArchiveName=name)


@pytest.mark.parametrize("pattern_match", [True, False])
def test_an_archive_keeps_the_events_of_its_bus(ev, pattern_match):
    bus, bus_arn = bus_of(ev, "custom")
    name = f"test-archive-{uid()}"
    extra = {"EventPattern": json.dumps(TEST_EVENT_PATTERN)} if pattern_match else {}
    ev.create_archive(ArchiveName=name, EventSourceArn=bus_arn, RetentionDays=1, **extra)
    assert ev.put_events(Entries=entries(bus, 10))["FailedEntryCount"] == 0
    # Another source: kept only by the archive without a pattern; another bus: by none.
    ev.put_events(Entries=[{"Source": "other.app", "DetailType": "x", "Detail": "{}",
                            "EventBusName": bus}])
    ev.put_events(Entries=entries("default", 1))
    want = 10 if pattern_match else 11
    wait_for(lambda: ev.describe_archive(ArchiveName=name)["EventCount"] == want, timeout=20,
             what=f"{want} archived events")
    time.sleep(0.5)
    described = ev.describe_archive(ArchiveName=name)
    assert described["EventCount"] == want and described["SizeBytes"] > 0
    listed = ev.list_archives(NamePrefix=name)["Archives"][0]
    assert (listed["EventCount"], listed["SizeBytes"]) == (want, described["SizeBytes"])
    ev.delete_archive(ArchiveName=name)


def test_start_list_describe_and_cancel_a_replay(ev, receiver):
    url, bodies = receiver
    bus, bus_arn = bus_of(ev, "custom")
    rule = f"test-rule-{uid()}"
    rule_arn = ev.put_rule(Name=rule, EventBusName=bus,
                           EventPattern=json.dumps(TEST_EVENT_PATTERN))["RuleArn"]
    ev.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "hook", "Arn": url}])
    archive = f"test-archive-{uid()}"
    archive_arn = ev.create_archive(ArchiveName=archive, EventSourceArn=bus_arn,
                                    EventPattern=json.dumps(TEST_EVENT_PATTERN),
                                    RetentionDays=1)["ArchiveArn"]
    start_time = datetime.now(timezone.utc) - timedelta(seconds=5)
    end_time = start_time + timedelta(minutes=1)
    ev.put_events(Entries=entries(bus, 3))
    wait_for(lambda: len(bodies) == 3, timeout=20, what="the events delivered")
    wait_for(lambda: ev.describe_archive(ArchiveName=archive)["EventCount"] == 3, timeout=20,
             what="the events archived")
    originals = list(bodies)
    bodies.clear()

    replay = f"test-replay-{uid()}"
    started = body(ev.start_replay(ReplayName=replay, Description="description of the replay",
                                   EventSourceArn=archive_arn, EventStartTime=start_time,
                                   EventEndTime=end_time,
                                   Destination={"Arn": bus_arn, "FilterArns": [rule_arn]}))
    assert is_time(started.pop("ReplayStartTime"))
    assert started == {"ReplayArn": f"arn:aws:events:{REGION}:{ACCOUNT}:replay/{replay}",
                       "State": "STARTING"}
    wait_for(lambda: ev.describe_replay(ReplayName=replay)["State"] == "COMPLETED", timeout=30,
             what="the replay to complete")
    wait_for(lambda: len(bodies) == 3, timeout=20, what="the replayed events")
    for got in bodies:
        # As recorded: the archived event with "replay-name" after "region".
        keys = list(got)
        assert keys[keys.index("region") + 1] == "replay-name", keys
        assert got["replay-name"] == replay and got["detail"] == TEST_EVENT_DETAIL
        assert {k: v for k, v in got.items() if k != "replay-name"} in originals
    # The replayed events were not archived again.
    assert ev.describe_archive(ArchiveName=archive)["EventCount"] == 3

    listed = ev.list_replays(NamePrefix=replay)["Replays"]
    assert len(listed) == 1
    entry = listed[0]
    for k in ("EventStartTime", "EventEndTime", "EventLastReplayedTime", "ReplayStartTime",
              "ReplayEndTime"):
        assert isinstance(entry.pop(k), datetime), k
    assert entry == {"EventSourceArn": archive_arn, "ReplayName": replay, "State": "COMPLETED"}
    described = body(ev.describe_replay(ReplayName=replay))
    # (botocore sends whole seconds.)
    assert abs((described["EventStartTime"] - start_time).total_seconds()) < 1
    for k in ("EventStartTime", "EventEndTime", "EventLastReplayedTime", "ReplayStartTime",
              "ReplayEndTime"):
        assert isinstance(described.pop(k), datetime), k
    assert described == {"Description": "description of the replay",
                         "Destination": {"Arn": bus_arn, "FilterArns": [rule_arn]},
                         "EventSourceArn": archive_arn,
                         "ReplayArn": f"arn:aws:events:{REGION}:{ACCOUNT}:replay/{replay}",
                         "ReplayName": replay, "State": "COMPLETED"}
    # A replay that has ended cannot be cancelled.
    assert error(ev.cancel_replay, ReplayName=replay) == (
        400, "IllegalStatusException", f"Replay {replay} is not in a valid state for this operation.")
    # One cancelled at once: CANCELLING, then CANCELLED (or, had it ended first, refused).
    cancelled = f"test-replay-canceled-{uid()}"
    ev.start_replay(ReplayName=cancelled, EventSourceArn=archive_arn, EventStartTime=start_time,
                    EventEndTime=end_time, Destination={"Arn": bus_arn, "FilterArns": [rule_arn]})
    try:
        answer = body(ev.cancel_replay(ReplayName=cancelled))
    except ClientError as e:
        assert e.response["Error"]["Code"] == "IllegalStatusException"
    else:
        assert answer == {"ReplayArn": f"arn:aws:events:{REGION}:{ACCOUNT}:replay/{cancelled}",
                          "State": "CANCELLING"}
        # CANCELLED, or COMPLETED when its last page had been sent before the cancellation.
        wait_for(lambda: ev.describe_replay(ReplayName=cancelled)["State"] in ("CANCELLED",
                                                                              "COMPLETED"),
                 timeout=30, what="the replay to end")
    ev.remove_targets(Rule=rule, EventBusName=bus, Ids=["hook"])
    ev.delete_rule(Name=rule, EventBusName=bus)


def test_replay_errors_and_paging(ev):
    bus, bus_arn = bus_of(ev, "custom")
    archive = f"test-archive-{uid()}"
    archive_arn = ev.create_archive(ArchiveName=archive, EventSourceArn=bus_arn,
                                    RetentionDays=1)["ArchiveArn"]
    start_time = datetime.now(timezone.utc) - timedelta(minutes=1)
    end_time = datetime.now(timezone.utc)
    missing = f"doesnotexist-{uid()}"
    assert error(ev.start_replay, ReplayName="test-replay", EventSourceArn=archive_arn,
                 EventStartTime=start_time, EventEndTime=end_time,
                 Destination={"Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{missing}"}) == (
        400, "ResourceNotFoundException", f"Event bus {missing} does not exist.")
    other_arn = ev.create_event_bus(Name=missing)["EventBusArn"]
    assert error(ev.start_replay, ReplayName="test-replay", EventSourceArn=archive_arn,
                 EventStartTime=start_time, EventEndTime=end_time,
                 Destination={"Arn": other_arn}) == (
        400, "ValidationException", "Parameter Destination.Arn is not valid. Reason: Cross event "
        "bus replay is not permitted.")
    assert error(ev.start_replay, ReplayName="test-replay",
                 EventSourceArn=f"arn:aws:events:{REGION}:{ACCOUNT}:archive/{missing}",
                 EventStartTime=start_time, EventEndTime=end_time,
                 Destination={"Arn": bus_arn}) == (
        400, "ValidationException", f"Parameter EventSourceArn is not valid. Reason: Archive "
        f"{missing} does not exist.")
    for offset in (0, 10):
        assert error(ev.start_replay, ReplayName="test-replay", EventSourceArn=archive_arn,
                     EventStartTime=start_time,
                     EventEndTime=start_time - timedelta(minutes=offset),
                     Destination={"Arn": bus_arn}) == (
            400, "ValidationException", "Parameter EventEndTime is not valid. Reason: "
            "EventStartTime must be before EventEndTime.")
    prefix = uid()
    for i in range(4):
        ev.start_replay(ReplayName=f"{prefix}-test-replay-{i}", EventSourceArn=archive_arn,
                        EventStartTime=start_time, EventEndTime=end_time,
                        Destination={"Arn": bus_arn})
    assert error(ev.start_replay, ReplayName=f"{prefix}-test-replay-0", EventSourceArn=archive_arn,
                 EventStartTime=start_time, EventEndTime=end_time,
                 Destination={"Arn": bus_arn}) == (
        400, "ResourceAlreadyExistsException", f"Replay {prefix}-test-replay-0 already exists.")
    for i in range(4):
        wait_for(lambda: ev.describe_replay(ReplayName=f"{prefix}-test-replay-{i}")["State"]
                 == "COMPLETED", timeout=30, what="the replays to complete")
    first = ev.list_replays(NamePrefix=prefix, Limit=3)
    assert [r["ReplayName"] for r in first["Replays"]] == [f"{prefix}-test-replay-{i}"
                                                          for i in range(3)]
    # No event was replayed: no EventLastReplayedTime.
    assert all("EventLastReplayedTime" not in r for r in first["Replays"])
    rest = ev.list_replays(NamePrefix=prefix, Limit=5, NextToken=first["NextToken"])
    assert [r["ReplayName"] for r in rest["Replays"]] == [f"{prefix}-test-replay-3"]
    assert len(ev.list_replays(EventSourceArn=archive_arn)["Replays"]) == 4
    assert error(ev.describe_replay, ReplayName=missing) == (
        400, "ResourceNotFoundException", f"Replay {missing} does not exist.")
    assert error(ev.cancel_replay, ReplayName=missing)[1] == "ResourceNotFoundException"
