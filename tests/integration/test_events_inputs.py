"""What a rule's HTTP target receives: the event, a constant Input, the part an InputPath
selects, or an InputTransformer's template filled from the event, through boto3, as AWS's
recordings show it (LocalStack's AWS-validated tests/aws/services/events/test_events_inputs.py
snapshots: their SQS bodies are the bytes each target got) and the user guide describes it;
and PutTargets' refusals of targets that give more than one of them or an undefined
placeholder, in AWS's recorded words."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from events_helpers import error
from test_audit import client, start
from test_events import receiver  # noqa: F401 (fixture)

# The recordings' event (TEST_EVENT_PATTERN's source and detail type, their detail).
SOURCE = "core.update-account-command"
DETAIL = {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
          "listmulti": ["ACTIVE", "INACTIVE"]}
PATHS = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.command",
         "missing": "$.detail.notinmessage", "payload": "$.detail.payload",
         "listmulti": "$.detail.listmulti"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("events-inputs"), "data")
    yield s
    s.stop()


def put_rule(ev, source: str) -> str:
    rule = f"inputs-{uuid.uuid4().hex[:8]}"
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    return rule


def test_each_target_receives_what_its_input_members_make_of_the_event(srv, receiver):
    ev = client(srv, "events")
    source = f"{SOURCE}.{uuid.uuid4().hex[:6]}"
    rule = put_rule(ev, source)
    targets = {
        "whole": {},
        "constant": {"Input": '{"fixed": true}'},
        "path-object": {"InputPath": "$.detail.payload"},
        "path-string": {"InputPath": "$.detail.payload.sf_id"},
        "path-none": {"InputPath": "$.detail.absent"},
        "tmpl-string": {"InputTransformer": {"InputPathsMap": PATHS, "InputTemplate":
            '"Event of <detail-type> type, info extracted from detail <command>, <missing>."'}},
        "tmpl-json": {"InputTransformer": {"InputPathsMap": PATHS, "InputTemplate":
            '{"detailType": <detail-type>,  "command": <command>, "absent": <missing>, '
            '"payload": <payload>, "list": <listmulti>, "path": "users/<command>"}'}},
        "tmpl-bad": {"InputTransformer": {"InputPathsMap": PATHS,
                                          "InputTemplate": '{"payload": "<payload>"}'}},
        "tmpl-vars": {"InputTransformer": {"InputTemplate":
            '{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", '
            '"at": <aws.events.event.ingestion-time>, "event": <aws.events.event>}'}},
    }
    # PutTargets takes at most 5 targets per rule: two rules on the same source.
    ids = list(targets)
    rule2 = put_rule(ev, source)
    for r, chunk in ((rule, ids[:5]), (rule2, ids[5:])):
        out = ev.put_targets(Rule=r, Targets=[{"Id": i, "Arn": receiver.base + i, **targets[i]}
                                              for i in chunk])
        assert (out["FailedEntryCount"], out["FailedEntries"]) == (0, [])
    # ListTargetsByRule answers the members as they were put.
    listed = {t["Id"]: t for t in ev.list_targets_by_rule(Rule=rule2)["Targets"]}
    assert listed["tmpl-json"]["InputTransformer"] == targets["tmpl-json"]["InputTransformer"]
    assert "InputPathsMap" not in listed["tmpl-vars"]["InputTransformer"]
    first = {t["Id"]: t for t in ev.list_targets_by_rule(Rule=rule)["Targets"]}
    assert first["path-none"] == {
        "Id": "path-none", "Arn": receiver.base + "path-none", "InputPath": "$.detail.absent"}

    out = ev.put_events(Entries=[{"Source": source, "DetailType": SOURCE,
                                  "Detail": json.dumps(DETAIL)}])
    event_id = out["Entries"][0]["EventId"]
    delivered = ["whole", "constant", "path-object", "path-string", "tmpl-string", "tmpl-json",
                 "tmpl-vars"]
    wait_for(lambda: all(i in receiver.raw for i in delivered), timeout=15,
             what="every target's delivery")
    time.sleep(0.5)  # the two that send nothing must stay silent
    got = {i: b[0] for i, b in receiver.raw.items()}
    assert "path-none" not in got and "tmpl-bad" not in got
    whole = json.loads(got["whole"])
    assert (whole["id"], whole["detail"]) == (event_id, DETAIL)
    assert got["constant"] == b'{"fixed": true}'
    assert got["path-object"] == b'{"acc_id":"0a787ecb-4015","sf_id":"baz"}'
    assert got["path-string"] == b'"baz"'  # a JSON string, quotes included (recorded)
    assert got["tmpl-string"] == (b'"Event of core.update-account-command type, info extracted '
                                  b'from detail update-account, ."')
    assert got["tmpl-json"] == (
        b'{"detailType":"core.update-account-command","command":"update-account","absent":"",'
        b'"payload":{"acc_id":"0a787ecb-4015","sf_id":"baz"},"list":["ACTIVE","INACTIVE"],'
        b'"path":"users/update-account"}')
    tmpl_vars = json.loads(got["tmpl-vars"])
    assert tmpl_vars["arn"] == f"arn:aws:events:us-east-1:123456789012:rule/{rule2}"
    assert tmpl_vars["name"] == rule2
    assert time.strptime(tmpl_vars["at"], "%Y-%m-%dT%H:%M:%SZ")
    assert tmpl_vars["event"]["id"] == event_id
    assert tmpl_vars["event"]["detailType"] == SOURCE
    assert "detail" not in tmpl_vars["event"] and "detail-type" not in tmpl_vars["event"]
    for r in (rule, rule2):
        ev.remove_targets(Rule=r, Ids=[t["Id"] for t in ev.list_targets_by_rule(Rule=r)["Targets"]])
        ev.delete_rule(Name=r)


def test_put_targets_refusals_in_aws_words(srv, receiver):
    ev = client(srv, "events")
    rule = put_rule(ev, "inputs.refusals")
    url = receiver.base + "never"
    # Recorded: test_put_event_input_path_and_input_transformer.
    for extra in ({"InputPath": "$.detail", "InputTransformer": {"InputTemplate": '"x"'}},
                  {"Input": "{}", "InputPath": "$.detail"},
                  {"Input": "{}", "InputTransformer": {"InputTemplate": '"x"'}}):
        with pytest.raises(ClientError) as e:
            ev.put_targets(Rule=rule, Targets=[{"Id": "t-1", "Arn": url, **extra}])
        assert error(e) == (400, "ValidationException",
                            "Only one of Input, InputPath, or InputTransformer must be provided "
                            "for target t-1.")
    # Recorded: test_put_events_with_input_transformer_missing_keys.
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=rule, Targets=[{"Id": "t-2", "Arn": url, "InputTransformer": {
            "InputPathsMap": {"detail-type": "$.detail-type"},
            "InputTemplate": '"Event of <detail-type> type, with not defined key <notdefinedkey>"'}}])
    assert error(e) == (400, "ValidationException",
                        "InputTemplate for target t-2 contains invalid placeholder notdefinedkey.")
    # AWS's words for an Input that is no JSON begin so (aws-cli#6711); the parser's report
    # after them is RapidJSON's here.
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=rule, Targets=[{"Id": "t-3", "Arn": url, "Input": "env:dev"}])
    status, code, message = error(e)
    assert (status, code) == (400, "ValidationException")
    assert message.startswith("JSON syntax error in input for target t-3: ")
    # The model's bounds on the map: keys [A-Za-z0-9_-]+ (so no predefined name), 100 at most.
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=rule, Targets=[{"Id": "t-4", "Arn": url, "InputTransformer": {
            "InputPathsMap": {"aws.events.rule-arn": "$.x"}, "InputTemplate": '"x"'}}])
    assert error(e)[:2] == (400, "ValidationException")
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=rule, Targets=[{"Id": "t-5", "Arn": url, "InputTransformer": {
            "InputPathsMap": {f"k{i}": "$.x" for i in range(101)}, "InputTemplate": '"x"'}}])
    assert error(e)[:2] == (400, "ValidationException")
    # Nothing was stored by the refused calls.
    assert ev.list_targets_by_rule(Rule=rule)["Targets"] == []
    ev.delete_rule(Name=rule)
