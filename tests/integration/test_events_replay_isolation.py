"""EventBridge replays are isolated between accounts (session review of the routing lanes,
events/event_bus.h): routing took turns among accounts, but a replay (events/replays.cc) after
each page waited for ONE watermark over every account's queued events, so account B's replay
waited for all of account A's costly backlog (with 110 such events its 60 s wait ran out and
B's page was sent again: duplicates to B's targets). Now a replay waits for its own account's
lane alone (Publish's ticket), counts its own drops and looks at its account's share of the
queue. SQLite and PostgreSQL (ARCANA_TEST_STORE).
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import wait_for
from events_helpers import json_receiver
from test_audit import client, start
from test_events_routing_fairness import ACCOUNT_B, REGION, costly_rules, drop_rules
from test_events_routing_fairness import b_keys  # noqa: F401  (a fixture)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("events-replay-isolation"), "data")
    yield s
    s.stop(timeout=120)


def test_an_accounts_costly_backlog_does_not_delay_another_accounts_replay(srv, b_keys):
    """Account A queues 40 events costly to route (20 rules of 150 wildcard filters over a
    200 KB value: ~0.75 s each, ~30 s in all); account B then replays 5 archived events to
    its HTTP target. B's replay completes within seconds (the previous build waited for A's
    whole backlog), and B's target and archive get each replayed event once."""
    ev = client(srv, "events")
    ev_b = client(srv, "events", *b_keys)
    bus_arn = f"arn:aws:events:{REGION}:{ACCOUNT_B}:event-bus/default"
    pattern = {"source": ["victim"]}
    with json_receiver() as (url, bodies):
        ev_b.put_rule(Name="hook", EventPattern=json.dumps(pattern))
        ev_b.put_targets(Rule="hook", Targets=[{"Id": "hook", "Arn": url}])
        ev_b.create_archive(ArchiveName="b-arch", EventSourceArn=bus_arn,
                            EventPattern=json.dumps(pattern))
        start_time = datetime.now(timezone.utc) - timedelta(seconds=5)
        for i in range(5):
            assert ev_b.put_events(Entries=[{"Source": "victim", "DetailType": "t",
                                             "Detail": json.dumps({"n": i})}])[
                "FailedEntryCount"] == 0
        wait_for(lambda: len(bodies) == 5, timeout=30, what="B's events delivered")
        wait_for(lambda: ev_b.describe_archive(ArchiveName="b-arch")["EventCount"] == 5,
                 timeout=30, what="B's events archived")
        originals = sorted(b["id"] for b in bodies)
        bodies.clear()

        names = costly_rules(ev, "heavy", 20, {"detail": {"v": [{"wildcard": "*ab*"}] * 150}})
        try:
            detail = json.dumps({"v": "a" * 200000})
            for _ in range(40):
                assert ev.put_events(Entries=[{"Source": "s", "DetailType": "t",
                                               "Detail": detail}])["FailedEntryCount"] == 0
            t = time.monotonic()
            ev_b.start_replay(ReplayName="b-replay",
                              EventSourceArn=f"arn:aws:events:{REGION}:{ACCOUNT_B}:archive/b-arch",
                              EventStartTime=start_time,
                              EventEndTime=start_time + timedelta(minutes=10),
                              Destination={"Arn": bus_arn})
            state = None
            while time.monotonic() - t < 120:
                state = ev_b.describe_replay(ReplayName="b-replay")["State"]
                if state in ("COMPLETED", "FAILED", "CANCELLED"):
                    break
                time.sleep(0.1)
            took = time.monotonic() - t
            assert state == "COMPLETED", state
            # Well under A's backlog (~30 s of routing); generous for a loaded machine.
            assert took < 10, f"B's replay completed after {took:.1f} s"
            wait_for(lambda: len(bodies) >= 5, timeout=30, what="B's replayed events")
            time.sleep(2)  # a page sent again would arrive meanwhile
            assert sorted(b["id"] for b in bodies) == originals
            assert all(b["replay-name"] == "b-replay" for b in bodies)
            # Replayed events are not archived again.
            assert ev_b.describe_archive(ArchiveName="b-arch")["EventCount"] == 5
            print(f"B's replay completed after {took:.2f} s")
        finally:
            drop_rules(ev, names)
