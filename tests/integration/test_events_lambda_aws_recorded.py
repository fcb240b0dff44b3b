"""EventBridge rules and the Lambda API subset answer as real AWS recorded them.

Each test replays one scenario of LocalStack's AWS-validated snapshot suites (recorded against
AWS; a scenario counts only when its *.validation.json lists it) and asserts what AWS answered:
error codes, messages, HTTP status, members and their order:
  - tests/aws/services/events/test_events.py (TestEventRule, TestEventTarget) and
    test_events_schedule.py / test_events_rules.py (invalid rate expressions);
  - tests/aws/services/lambda_/test_lambda_api.py (TestLambdaFunction, the scenarios that use
    only CreateFunction, GetFunction, DeleteFunction, ListFunctions and Invoke).
Snapshots replace volatile values (names, ids, account, region) with placeholders; the
assertions here compare the rest. AWS's targets in these scenarios are SQS queues; Arcana
delivers to HTTP(S) endpoints only, so the replays use an endpoint URL as the target Arn and
assert the shapes AWS answered around it.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT, DEV_AKID, DEV_SECRET

REGION = "us-east-1"
OTHER_REGION = "eu-central-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-exec"
TARGET_URL = "http://127.0.0.1:9/hook"  # never called: no event is put in these scenarios
TEST_EVENT_PATTERN = {
    "source": ["core.update-account-command"],
    "detail-type": ["core.update-account-command"],
    "detail": {"command": ["update-account"]},
}
ECHO_PY = "def handler(event, context):\n    return event\n"


@pytest.fixture
def clients(dev_server):
    """(events, lambda) boto3 clients on the shared dev server, state wiped first."""
    if dev_server.proc.poll() is not None:
        dev_server.start()
    dev_server.reset()

    def make(service, region=REGION):
        return boto3.client(service, endpoint_url=dev_server.endpoint, region_name=region,
                            aws_access_key_id=DEV_AKID, aws_secret_access_key=DEV_SECRET,
                            config=Config(retries={"max_attempts": 0}))

    clients.make = make
    # ROLE, the functions' execution role: Lambda refuses a role that does not exist or does
    # not trust lambda.amazonaws.com (the snapshots' role is one made that way).
    make("iam").create_role(RoleName=ROLE.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    return make("events"), make("lambda")


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error(e: pytest.ExceptionInfo) -> tuple[int, str, str]:
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def body(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


def zip_bytes() -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("index.py", ECHO_PY)
    return b.getvalue()


def create_function(lam, fn: str, **kw):
    args = dict(FunctionName=fn, Handler="index.handler", Code={"ZipFile": zip_bytes()},
                PackageType="Zip", Role=ROLE, Runtime="python3.9")
    args.update(kw)
    return lam.create_function(**args)


# --------------------------------------------------------------------------- EventBridge

def test_put_list_describe_delete_rule(clients):
    """TestEventRule::test_put_list_with_prefix_describe_delete_rule[default] (and
    test_events_rules.py::test_put_rule): PutRule answers only RuleArn; ListRules lists
    {Arn, EventBusName "default", EventPattern, Name, State ENABLED} and no Description member;
    DescribeRule adds CreatedBy (the account); DeleteRule answers {}; the list is then empty."""
    ev, _ = clients
    rule = name("test-rule")
    r = ev.put_rule(Name=rule, EventPattern=json.dumps(TEST_EVENT_PATTERN))
    assert body(r) == {"RuleArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"}
    listed = ev.list_rules(NamePrefix=rule)
    assert "NextToken" not in listed
    [got] = listed["Rules"]
    assert set(got) == {"Arn", "EventBusName", "EventPattern", "Name", "State"}
    assert (got["Name"], got["EventBusName"], got["State"]) == (rule, "default", "ENABLED")
    assert json.loads(got["EventPattern"]) == TEST_EVENT_PATTERN
    d = body(ev.describe_rule(Name=rule, EventBusName="default"))
    assert set(d) == {"Arn", "CreatedBy", "EventBusName", "EventPattern", "Name", "State"}
    assert d["CreatedBy"] == ACCOUNT
    assert body(ev.delete_rule(Name=rule, EventBusName="default")) == {}
    assert body(ev.list_rules(NamePrefix=rule, EventBusName="default")) == {"Rules": []}


def test_list_rule_with_limit(clients):
    """TestEventRule::test_list_rule_with_limit: six rules, Limit=3 answers three and a
    NextToken; the token with Limit=5 answers the other three and no NextToken."""
    ev, _ = clients
    prefix = name("test-rule")
    for i in range(6):
        ev.put_rule(Name=f"{prefix}-{i}", EventPattern=json.dumps(TEST_EVENT_PATTERN))
    first = ev.list_rules(Limit=3)
    assert [r["Name"] for r in first["Rules"]] == [f"{prefix}-{i}" for i in range(3)]
    assert first["NextToken"]
    second = ev.list_rules(Limit=5, NextToken=first["NextToken"])
    assert [r["Name"] for r in second["Rules"]] == [f"{prefix}-{i}" for i in range(3, 6)]
    assert "NextToken" not in second


def test_describe_nonexistent_rule(clients):
    """TestEventRule::test_describe_nonexistent_rule: ResourceNotFoundException (400),
    "Rule <name> does not exist on EventBus default."."""
    ev, _ = clients
    rule = name("this-rule-does-not-exist-1234567890")
    with pytest.raises(ClientError) as e:
        ev.describe_rule(Name=rule)
    assert error(e) == (400, "ResourceNotFoundException",
                        f"Rule {rule} does not exist on EventBus default.")


def test_disable_re_enable_rule(clients):
    """TestEventRule::test_disable_re_enable_rule[default]: DisableRule / EnableRule answer {}
    and DescribeRule shows State DISABLED, then ENABLED."""
    ev, _ = clients
    rule = name("test-rule")
    ev.put_rule(Name=rule, EventPattern=json.dumps(TEST_EVENT_PATTERN), EventBusName="default")
    assert body(ev.disable_rule(Name=rule, EventBusName="default")) == {}
    assert ev.describe_rule(Name=rule, EventBusName="default")["State"] == "DISABLED"
    assert body(ev.enable_rule(Name=rule, EventBusName="default")) == {}
    assert ev.describe_rule(Name=rule, EventBusName="default")["State"] == "ENABLED"


def test_delete_rule_with_targets_and_update_keeps_them(clients):
    """TestEventRule::test_delete_rule_with_targets and test_update_rule_with_targets:
    DeleteRule of a rule with targets is ValidationException "Rule can't be deleted since it has
    targets."; PutRule again on the rule keeps its targets ({Arn, Id} only)."""
    ev, _ = clients
    rule, target = name("test-rule"), name("test-target")
    ev.put_rule(Name=rule, EventPattern=json.dumps(TEST_EVENT_PATTERN))
    ev.put_targets(Rule=rule, Targets=[{"Id": target, "Arn": TARGET_URL}])
    with pytest.raises(ClientError) as e:
        ev.delete_rule(Name=rule)
    assert error(e) == (400, "ValidationException", "Rule can't be deleted since it has targets.")
    assert body(ev.list_targets_by_rule(Rule=rule)) == {
        "Targets": [{"Id": target, "Arn": TARGET_URL}]}
    again = ev.put_rule(Name=rule, EventPattern=json.dumps(TEST_EVENT_PATTERN))
    assert body(again) == {"RuleArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"}
    assert body(ev.list_targets_by_rule(Rule=rule)) == {
        "Targets": [{"Id": target, "Arn": TARGET_URL}]}


def test_put_list_remove_target(clients):
    """TestEventTarget::test_put_list_remove_target[default]: PutTargets and RemoveTargets
    answer {FailedEntries: [], FailedEntryCount: 0}; the list is then {Targets: []}."""
    ev, _ = clients
    rule, target = name("test-rule"), name("test-target")
    ev.put_rule(Name=rule, EventPattern=json.dumps(TEST_EVENT_PATTERN), EventBusName="default")
    r = ev.put_targets(Rule=rule, Targets=[{"Id": target, "Arn": TARGET_URL}])
    assert body(r) == {"FailedEntryCount": 0, "FailedEntries": []}
    assert body(ev.list_targets_by_rule(Rule=rule)) == {
        "Targets": [{"Id": target, "Arn": TARGET_URL}]}
    r = ev.remove_targets(Rule=rule, Ids=[target])
    assert body(r) == {"FailedEntryCount": 0, "FailedEntries": []}
    assert body(ev.list_targets_by_rule(Rule=rule)) == {"Targets": []}


def test_add_exceed_five_targets_per_rule(clients):
    """TestEventTarget::test_add_exceed_fife_targets_per_rule: seven targets at once is
    LimitExceededException "The requested resource exceeds the maximum number allowed."."""
    ev, _ = clients
    rule = name("test-rule")
    ev.put_rule(Name=rule, EventPattern=json.dumps(TEST_EVENT_PATTERN))
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=rule, Targets=[{"Id": f"test-target-{i}", "Arn": TARGET_URL}
                                           for i in range(7)])
    assert error(e) == (400, "LimitExceededException",
                        "The requested resource exceeds the maximum number allowed.")


def test_list_target_by_rule_limit(clients):
    """TestEventTarget::test_list_target_by_rule_limit: five targets, Limit=3 answers ids 0-2 and
    a NextToken; the token alone answers 3-4 and no NextToken."""
    ev, _ = clients
    rule = name("test-rule")
    ev.put_rule(Name=rule, EventPattern=json.dumps(TEST_EVENT_PATTERN))
    ev.put_targets(Rule=rule, Targets=[{"Id": f"test-target-{i}", "Arn": TARGET_URL}
                                       for i in range(5)])
    first = ev.list_targets_by_rule(Rule=rule, Limit=3)
    assert [t["Id"] for t in first["Targets"]] == [f"test-target-{i}" for i in range(3)]
    second = ev.list_targets_by_rule(Rule=rule, NextToken=first["NextToken"])
    assert body(second) == {"Targets": [{"Id": f"test-target-{i}", "Arn": TARGET_URL}
                                        for i in (3, 4)]}


def test_put_target_id_validation(clients):
    """TestEventTarget::test_put_target_id_validation: a target Id outside the model's pattern
    is refused before anything else about the target (AWS's request also had InputPath) with
    "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy
    constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"; a
    too-long Id with "... Member must have length less than or equal to 64"; a valid Id with
    dots, dashes and underscores is accepted."""
    ev, _ = clients
    rule = name("rule")
    ev.put_rule(Name=rule, EventPattern=json.dumps(TEST_EVENT_PATTERN), State="ENABLED")
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=rule, Targets=[{"Id": "!@#$@!#$", "Arn": TARGET_URL,
                                            "InputPath": "$.detail"}])
    assert error(e) == (
        400, "ValidationException",
        "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        "[\\.\\-_A-Za-z0-9]+")
    long_id = f"{uuid.uuid4()}-{uuid.uuid4()}-extra"
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=rule, Targets=[{"Id": long_id, "Arn": TARGET_URL,
                                            "InputPath": "$.detail"}])
    assert error(e) == (
        400, "ValidationException",
        f"1 validation error detected: Value '{long_id}' at 'targets.1.member.id' failed to "
        "satisfy constraint: Member must have length less than or equal to 64")
    good = f"test-With_valid.Characters-{uuid.uuid4().hex[:8]}"
    r = ev.put_targets(Rule=rule, Targets=[{"Id": good, "Arn": TARGET_URL}])
    assert r["FailedEntryCount"] == 0


@pytest.mark.parametrize("expression", [
    "rate(10 seconds)", "rate(10 years)", "rate(1 minutes)", "rate(1 hours)", "rate(1 days)",
    "rate(10 minute)", "rate(10 hour)", "rate(10 day)", "rate()", "rate(10)",
    "rate(10 minutess)", "rate(foo minutes)", "rate(0 minutes)", "rate(-10 minutes)",
    "rate(10 MINUTES)", "rate( 10 minutes )", " rate(10 minutes)",
])
def test_put_rule_invalid_rate_schedule_expression(clients, expression):
    """test_events_schedule.py::TestScheduleRate::test_put_rule_with_invalid_schedule (and
    test_events_rules.py::test_put_rule_invalid_rate_schedule_expression): every one of these
    is ValidationException "Parameter ScheduleExpression is not valid."."""
    ev, _ = clients
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name=name("rule"), ScheduleExpression=expression)
    assert error(e) == (400, "ValidationException", "Parameter ScheduleExpression is not valid.")


# --------------------------------------------------------------------------- Lambda

def lambda_error(e: pytest.ExceptionInfo) -> dict:
    """What boto3 parsed of a Lambda error: status, Error, and the body's own members."""
    r = e.value.response
    return {"status": r["ResponseMetadata"]["HTTPStatusCode"], "Error": r["Error"],
            **{k: v for k, v in r.items() if k not in ("ResponseMetadata", "Error")}}


def not_found(message: str) -> dict:
    """AWS's ResourceNotFoundException: 404, body {Type: User, Message} (capital M)."""
    return {"status": 404, "Error": {"Code": "ResourceNotFoundException", "Message": message},
            "Type": "User", "Message": message}


def invalid_value(message: str) -> dict:
    """AWS's InvalidParameterValueException: 400, body {Type: User, message} (lower case m)."""
    return {"status": 400,
            "Error": {"Code": "InvalidParameterValueException", "Message": message},
            "Type": "User", "message": message}


def fn_arn(fn: str, region: str = REGION) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{fn}"


def test_lambda_code_location_zipfile_create_and_get(clients):
    """TestLambdaFunction::test_lambda_code_location_zipfile: CreateFunction answers 201 with
    State Pending, StateReason "The function is being created.", StateReasonCode Creating and
    no LastUpdateStatus; GetFunction then shows State Active and LastUpdateStatus Successful;
    no Environment member when none was given; Timeout 3, MemorySize 128 by default; SnapStart
    {ApplyOn None, OptimizationStatus Off} in both answers and in ListFunctions (also in
    TestLambdaFunction::test_function_lifecycle)."""
    _, lam = clients
    fn = name("code-function")
    created = create_function(lam, fn)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (created["State"], created["StateReason"], created["StateReasonCode"]) == (
        "Pending", "The function is being created.", "Creating")
    assert "LastUpdateStatus" not in created
    assert "Environment" not in created
    assert (created["Timeout"], created["MemorySize"], created["Version"]) == (3, 128, "$LATEST")
    got = lam.get_function(FunctionName=fn)["Configuration"]
    assert (got["State"], got["LastUpdateStatus"]) == ("Active", "Successful")
    assert "StateReason" not in got and "StateReasonCode" not in got
    assert got["CodeSha256"] == created["CodeSha256"]
    no_snap_start = {"ApplyOn": "None", "OptimizationStatus": "Off"}
    assert created["SnapStart"] == got["SnapStart"] == no_snap_start
    every = lam.get_paginator("list_functions").paginate().build_full_result()["Functions"]
    listed = [f for f in every if f["FunctionName"] == fn]
    assert listed and all(f["SnapStart"] == no_snap_start for f in listed)


@pytest.mark.parametrize("op", ["get_function", "delete_function"])
def test_ops_on_nonexisting_fn(clients, op):
    """TestLambdaFunction::test_ops_on_nonexisting_fn[get_function|delete_function]: 404
    ResourceNotFoundException "Function not found: <unqualified ARN>", body {Type, Message}."""
    _, lam = clients
    fn = name("i-dont-exist")
    with pytest.raises(ClientError) as e:
        getattr(lam, op)(FunctionName=fn)
    assert lambda_error(e) == not_found(f"Function not found: {fn_arn(fn)}")


@pytest.mark.parametrize("op", ["get_function", "delete_function"])
def test_ops_with_arn_qualifier_mismatch(clients, op):
    """TestLambdaFunction::test_ops_with_arn_qualifier_mismatch: an ARN qualified ":1" with
    Qualifier=$LATEST is InvalidParameterValueException "The derived qualifier from the
    function name does not match the specified qualifier." (body member "message"); when both
    say $LATEST, GetFunction is not found with the ARN ":$LATEST"-qualified, and DeleteFunction
    is InvalidParameterValueException "$LATEST version cannot be deleted without deleting the
    function."."""
    _, lam = clients
    method = getattr(lam, op)
    with pytest.raises(ClientError) as e:
        method(FunctionName=fn_arn("some-function") + ":1", Qualifier="$LATEST")
    assert lambda_error(e) == invalid_value(
        "The derived qualifier from the function name does not match the specified qualifier.")
    with pytest.raises(ClientError) as e:
        method(FunctionName=fn_arn("some-function") + ":$LATEST", Qualifier="$LATEST")
    if op == "get_function":
        assert lambda_error(e) == not_found(
            f"Function not found: {fn_arn('some-function')}:$LATEST")
    else:
        assert lambda_error(e) == invalid_value(
            "$LATEST version cannot be deleted without deleting the function.")


def test_ops_on_nonexisting_version(clients):
    """TestLambdaFunction::test_ops_on_nonexisting_version[get_function]: an existing function
    asked with Qualifier=1221 is not found as "<ARN>:1221"."""
    _, lam = clients
    fn = name("i-exist")
    create_function(lam, fn, Description="Initial description")
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=fn, Qualifier="1221")
    assert lambda_error(e) == not_found(f"Function not found: {fn_arn(fn)}:1221")


def test_delete_on_nonexisting_version(clients):
    """TestLambdaFunction::test_delete_on_nonexisting_version: DeleteFunction with a version
    qualifier that does not exist succeeds (twice) and leaves the function; the unqualified
    delete removes it; afterwards both the plain and the qualified delete are not found with
    the UNqualified ARN."""
    _, lam = clients
    fn = name("i-exist")
    create_function(lam, fn, Description="Initial description")
    for _ in range(2):
        r = lam.delete_function(FunctionName=fn, Qualifier="1233")
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.get_function(FunctionName=fn)["Configuration"]["FunctionName"] == fn
    lam.delete_function(FunctionName=fn)
    for kw in ({}, {"Qualifier": "1233"}):
        with pytest.raises(ClientError) as e:
            lam.delete_function(FunctionName=fn, **kw)
        assert lambda_error(e) == not_found(f"Function not found: {fn_arn(fn)}")


@pytest.mark.parametrize("op", ["get_function", "delete_function", "invoke"])
def test_get_function_wrong_region(clients, op):
    """TestLambdaFunction::test_get_function_wrong_region[get_function|delete_function|invoke]:
    the ARN of an existing function's name in another region is 404 ResourceNotFoundException
    "Functions from '<wrong-region>' are not reachable in this region ('<region>')"."""
    _, lam = clients
    fn = name("i-exist")
    create_function(lam, fn, Description="Initial description")
    with pytest.raises(ClientError) as e:
        getattr(lam, op)(FunctionName=fn_arn(fn, OTHER_REGION))
    assert lambda_error(e) == not_found(
        f"Functions from '{OTHER_REGION}' are not reachable in this region ('{REGION}')")
    assert lam.get_function(FunctionName=fn)["Configuration"]["FunctionName"] == fn


def test_function_arns(clients):
    """TestLambdaFunction::test_function_arns: CreateFunction takes a full ARN and a partial
    ACCOUNT:function:NAME ARN (201, FunctionName the bare name); "invalid:function:name" is
    ValidationException quoting the FunctionName pattern; a 65-character name is
    InvalidParameterValueException "1 validation error detected: Value 'aaa...' at
    'functionName' failed to satisfy constraint: Member must have length less than or equal to
    64" (body member "message"); an ARN over 140 characters is ValidationException "... Member
    must have length less than or equal to 140"; another region's ARN is 404 "Functions from
    'ap-southeast-1' are not reachable in this region ('<region>')"; another account's ARN is
    403 AccessDeniedException."""
    _, lam = clients
    full, partial = name("test-function-arn"), name("test-partial-arn")
    r = create_function(lam, fn_arn(full), Runtime="python3.12")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (r["FunctionName"], r["FunctionArn"]) == (full, fn_arn(full))
    r = create_function(lam, f"{ACCOUNT}:function:{partial}", Runtime="python3.12")
    assert (r["FunctionName"], r["FunctionArn"]) == (partial, fn_arn(partial))

    with pytest.raises(ClientError) as e:
        create_function(lam, "invalid:function:name", Runtime="python3.12")
    assert error(e)[:2] == (400, "ValidationException")
    assert error(e)[2].startswith(
        "1 validation error detected: Value 'invalid:function:name' at 'functionName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso(")

    long_name = "a" * 65
    with pytest.raises(ClientError) as e:
        create_function(lam, long_name, Runtime="python3.12")
    assert lambda_error(e) == invalid_value(
        f"1 validation error detected: Value '{long_name}' at 'functionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64")

    prefix = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
    long_arn = prefix + "a" * (140 - len(prefix) + 1)
    with pytest.raises(ClientError) as e:
        create_function(lam, long_arn, Runtime="python3.12")
    assert error(e) == (
        400, "ValidationException",
        f"1 validation error detected: Value '{long_arn}' at 'functionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 140")

    with pytest.raises(ClientError) as e:
        create_function(lam, fn_arn(name("test-function-arn"), "ap-southeast-1"),
                        Runtime="python3.12")
    assert lambda_error(e) == not_found(
        f"Functions from 'ap-southeast-1' are not reachable in this region ('{REGION}')")

    with pytest.raises(ClientError) as e:
        create_function(lam, f"arn:aws:lambda:{REGION}:111111111111:function:{name('x')}",
                        Runtime="python3.12")
    assert error(e)[:2] == (403, "AccessDeniedException")


def test_invalid_invoke(clients):
    """TestLambdaFunction::test_invalid_invoke: Invoke of
    "arn:aws:lambda:<region>:123400000000@function:myfn" is ValidationException quoting
    Invoke's own FunctionName pattern (the namespaced one, with \\\\. in the name class)."""
    _, lam = clients
    bad = f"arn:aws:lambda:{REGION}:123400000000@function:myfn"
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=bad)
    status, code, message = error(e)
    assert (status, code) == (400, "ValidationException")
    assert message.startswith(
        f"1 validation error detected: Value '{bad}' at 'functionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "(arn:(aws[a-zA-Z-]*)?:lambda:)?")
    assert "(function:)?([a-zA-Z0-9-_\\.]+)" in message


def test_environment_size_is_measured_as_lambda_measures_it(clients):
    """TestLambdaSizeLimits::test_large_environment_fails_multiple_keys and
    ::test_lambda_envvars_near_limit_succeeds: Lambda bounds the variables by the compact JSON
    object it measures ('String measured: {"SMALL_VAR":"ok","LARGE_VAR":"xxx..."}'), 4 KB,
    quotes and separators included; over it, InvalidParameterValueException "Lambda was unable
    to configure your environment variables because the environment variables you have
    provided exceeded the 4KB limit." (AWS then quotes the JSON, values included; Arcana's
    errors never quote what may be credentials). A set whose names and values add up to less
    than 4 KB but whose JSON is one byte over is refused; one exactly at 4 KB is created."""
    _, lam = clients

    def variables(json_size: int) -> dict:
        head = {"SMALL_VAR": "ok", "LARGE_VAR": ""}
        pad = json_size - len(json.dumps(head, separators=(",", ":")))
        return {"SMALL_VAR": "ok", "LARGE_VAR": "x" * pad}

    over = variables(4097)
    assert sum(len(k) + len(v) for k, v in over.items()) < 4096
    with pytest.raises(ClientError) as e:
        create_function(lam, name("env-over"), Environment={"Variables": over})
    assert lambda_error(e) == invalid_value(
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided exceeded the 4KB limit.")
    at_limit = variables(4096)
    r = create_function(lam, name("env-at-limit"), Environment={"Variables": at_limit})
    assert r["Environment"]["Variables"] == at_limit


def test_create_lambda_exceptions_architectures(clients):
    """TestLambdaFunction::test_create_lambda_exceptions (multiple_architectures,
    uppercase_architecture): a list of strings is quoted whole and its elements' violations
    are folded into one for the list. AWS ends the folded constraint list with "Member must
    not be null" here (not in its 2023 layer recordings); Arcana does not add it."""
    _, lam = clients
    with pytest.raises(ClientError) as e:
        create_function(lam, name("arch"), Architectures=["x86_64", "arm64"])
    assert error(e) == (
        400, "ValidationException",
        "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to "
        "satisfy constraint: Member must have length less than or equal to 1")
    with pytest.raises(ClientError) as e:
        create_function(lam, name("arch"), Architectures=["X86_64"])
    status, code, message = error(e)
    assert (status, code) == (400, "ValidationException")
    assert message.startswith(
        "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy "
        "constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
        "[x86_64, arm64]")


@pytest.mark.parametrize("runtime", ["non-existent-runtime", "PYTHON3.9"])
def test_create_lambda_exceptions_runtime(clients, runtime):
    """TestLambdaFunction::test_create_lambda_exceptions (invalid_runtime_exc,
    uppercase_runtime_exc): a runtime Lambda does not know is InvalidParameterValueException
    (body Type User, message) "Value <runtime> at 'runtime' failed to satisfy constraint:
    Member must satisfy enum value set: [...] or be a valid ARN", not a ValidationException.
    AWS lists the runtimes it currently takes; Arcana lists the model's."""
    _, lam = clients
    with pytest.raises(ClientError) as e:
        create_function(lam, name("runtime"), Runtime=runtime)
    got = lambda_error(e)
    message = got["Error"]["Message"]
    assert got == invalid_value(message)
    prefix = (f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy "
              "enum value set: [")
    assert message.startswith(prefix) and message.endswith("] or be a valid ARN")
    listed = message[len(prefix):-len("] or be a valid ARN")].split(", ")
    assert {"python3.9", "python3.12", "nodejs20.x", "java21"} <= set(listed)


def test_permission_exceptions(clients):
    """TestLambdaPermissions::test_permission_exceptions, every case this server can meet (it
    keeps $LATEST only): a policy qualified $LATEST is refused; GetPolicy / AddPermission of a
    missing function are "Function not found: <ARN>", RemovePermission's is "No policy found
    for: <ARN>"; of an existing function, GetPolicy of version 77 is "The resource you
    requested does not exist.", an alias that does not exist "Cannot find alias arn:
    <ARN>:<alias>", version 42 or a $-bearing qualifier "Function not found: <ARN>:<q>", and a
    qualifier outside the model's pattern ValidationException; a taken StatementId 409."""
    _, lam = clients
    fn, missing = name("perm-exc"), name("doesnotexist")
    create_function(lam, fn)
    s3 = dict(Action="lambda:InvokeFunction", StatementId="s3", Principal="s3.amazonaws.com",
              SourceArn="arn:aws:s3:::test-bucket")

    def refused(call, **kw):
        with pytest.raises(ClientError) as e:
            call(**kw)
        return e

    e = refused(lam.add_permission, FunctionName=f"{fn}:$LATEST", Qualifier="$LATEST", **s3)
    assert lambda_error(e) == invalid_value(
        "We currently do not support adding policies for $LATEST.")
    e = refused(lam.get_policy, FunctionName=missing)
    assert lambda_error(e) == not_found(f"Function not found: {fn_arn(missing)}")
    e = refused(lam.get_policy, FunctionName=fn, Qualifier="77")
    assert lambda_error(e) == not_found("The resource you requested does not exist.")
    e = refused(lam.add_permission, FunctionName=missing, **s3)
    assert lambda_error(e) == not_found(f"Function not found: {fn_arn(missing)}")
    e = refused(lam.remove_permission, FunctionName=fn, StatementId="s3")
    assert lambda_error(e) == not_found("No policy is associated with the given resource.")
    e = refused(lam.add_permission, FunctionName=f"{fn}:alias-doesnotexist", **s3)
    assert lambda_error(e) == not_found(
        f"Cannot find alias arn: {fn_arn(fn)}:alias-doesnotexist")
    e = refused(lam.add_permission, FunctionName=fn, Qualifier="42", **s3)
    assert lambda_error(e) == not_found(f"Function not found: {fn_arn(fn)}:42")
    e = refused(lam.add_permission, FunctionName=fn, Qualifier="invalid-qualifier-with-?-char",
                **s3)
    status, code, message = error(e)
    assert (status, code) == (400, "ValidationException")
    assert message.startswith(
        "1 validation error detected: Value 'invalid-qualifier-with-?-char' at 'qualifier' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: ")
    e = refused(lam.add_permission, FunctionName=fn, Qualifier="valid-with-$-but-doesnotexist",
                **s3)
    assert lambda_error(e) == not_found(
        f"Function not found: {fn_arn(fn)}:valid-with-$-but-doesnotexist")
    lam.add_permission(FunctionName=fn, **s3)
    e = refused(lam.add_permission, FunctionName=fn, **s3)
    message = ("The statement id (s3) provided already exists. Please provide a new statement "
               "id, or remove the existing statement.")
    assert lambda_error(e) == {"status": 409, "Error": {"Code": "ResourceConflictException",
                                                         "Message": message},
                               "Type": "User", "message": message}
    e = refused(lam.remove_permission, FunctionName=missing, StatementId="s3")
    assert lambda_error(e) == not_found(f"No policy found for: {fn_arn(missing)}")
    e = refused(lam.remove_permission, FunctionName=fn, StatementId="s3",
                Qualifier="alias-doesnotexist")
    assert lambda_error(e) == not_found(
        f"Cannot find alias arn: {fn_arn(fn)}:alias-doesnotexist")
