"""An EventBridge rule whose target is a Lambda function (made through the Lambda API): the
event (or what an InputTransformer makes of it) is the function's event, invoked
asynchronously, once the function's resource-based policy lets events.amazonaws.com invoke it
for that rule ("aws lambda add-permission --principal events.amazonaws.com --source-arn
<rule ARN>", as the EventBridge user guide asks); without that grant the function is not run
and the delivery is retried, then dead-lettered."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from test_lambda_api import ACCOUNT, REGION, arn, client, create, fn_dir, lam, srv  # noqa: F401

WRITER_PY = '''
import json, os

def lambda_handler(event, context):
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    try:  # each run is a user id of its own: the next ones append too
        os.chmod(os.environ["OUT"], 0o666)
    except OSError:
        pass
    return "ok"
'''


def events_of(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_rules_lambda_target_runs_once_the_function_lets_eventbridge_invoke_it(
        srv, lam, fn_dir):
    out = fn_dir / "events.jsonl"
    name = "evtarget-" + uuid.uuid4().hex[:8]
    create(lam, name, files={"lambda_function.py": WRITER_PY},
           Environment={"Variables": {"OUT": str(out)}})
    ev = client(srv.endpoint, "events")
    source = f"my.lambda.{uuid.uuid4().hex[:6]}"
    rule = "to-" + name
    rule_arn = ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    ev.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn(name), "RetryPolicy": {
        "MaximumRetryAttempts": 1}}])
    assert ev.list_targets_by_rule(Rule=rule)["Targets"] == [
        {"Id": "fn", "Arn": arn(name), "RetryPolicy": {"MaximumRetryAttempts": 1}}]
    assert ev.list_rule_names_by_target(TargetArn=arn(name))["RuleNames"] == [rule]

    # No grant yet: the function is not run.
    ev.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"n": 1}'}])
    time.sleep(2)
    assert events_of(out) == []

    # A grant for another rule does not do either.
    lam.add_permission(FunctionName=name, StatementId="other-rule",
                       Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                       SourceArn=rule_arn + "-other")
    ev.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"n": 2}'}])
    time.sleep(2)
    assert events_of(out) == []

    lam.add_permission(FunctionName=name, StatementId="EventBridgeInvoke",
                       Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                       SourceArn=rule_arn)
    put = ev.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"n": 3}'}])
    wait_for(lambda: events_of(out), timeout=20, what="the function's run")
    [event] = events_of(out)
    assert (event["id"], event["source"], event["detail"]) == (
        put["Entries"][0]["EventId"], source, {"n": 3})

    # What the target's InputTransformer makes of the event is the function's event.
    ev.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn(name), "InputTransformer": {
        "InputPathsMap": {"n": "$.detail.n"}, "InputTemplate": '{"number": <n>}'}}])
    ev.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"n": 4}'}])
    wait_for(lambda: len(events_of(out)) == 2, timeout=20, what="the second run")
    assert events_of(out)[1] == {"number": 4}

    ev.remove_targets(Rule=rule, Ids=["fn"])
    ev.delete_rule(Name=rule)
    lam.delete_function(FunctionName=name)


def test_a_lambda_target_must_be_of_the_rules_account_and_region(srv):
    ev = client(srv.endpoint, "events")
    ev.put_rule(Name="lambda-elsewhere", EventPattern=json.dumps({"source": ["x"]}))
    for other in (f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f",
                  f"arn:aws:lambda:{REGION}:210987654321:function:f"):
        with pytest.raises(ClientError) as e:
            ev.put_targets(Rule="lambda-elsewhere", Targets=[{"Id": "fn", "Arn": other}])
        r = e.value.response
        assert (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]) == (
            400, "ValidationException")
        assert r["Error"]["Message"] == (
            f"Parameter {other} is not valid. Reason: the Lambda function must be in the rule's "
            "account and region.")
    ev.delete_rule(Name="lambda-elsewhere")
