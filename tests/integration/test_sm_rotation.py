"""RotateSecret / CancelRotateSecret configuration.

The Lambda ARN here names no registered function (test_rotation.py runs real ones):
RotateImmediately=false stores the configuration (its testSecret run finds no function and changes
nothing); rotating now answers AccessDeniedException, as AWS does for a function it cannot invoke,
and changes nothing; no Lambda -> IRE.
"""

import datetime as dt

import pytest

from conftest import assert_arn, assert_utc_datetime, raises_code

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:rotate-db"
NOW = lambda: dt.datetime.now(dt.timezone.utc)  # noqa: E731


def versions(c, name):
    return c.describe_secret(SecretId=name).get("VersionIdsToStages", {})


def test_rotate_configure_without_immediate_rotation(sm, raw, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="v")["VersionId"]
    r = c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA,
                        RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    assert r["Name"] == name
    assert_arn(r["ARN"], name)
    d = c.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is True
    assert d["RotationLambdaARN"] == LAMBDA
    assert d["RotationRules"]["AutomaticallyAfterDays"] == 30
    # no value change, no lingering AWSPENDING
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    assert c.get_secret_value(SecretId=name)["SecretString"] == "v"
    # NextRotationDate is newer than Debian's botocore: read it from the raw response
    body = raw("DescribeSecret", {"SecretId": name}).json()
    assert isinstance(body.get("NextRotationDate"), (int, float)), body
    nxt = dt.datetime.fromtimestamp(body["NextRotationDate"], dt.timezone.utc)
    assert NOW() < nxt <= NOW() + dt.timedelta(days=31)
    # listed with the same settings
    (e,) = c.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    assert e["RotationEnabled"] is True and e["RotationLambdaARN"] == LAMBDA


@pytest.mark.parametrize("rules,days", [
    ({"ScheduleExpression": "rate(10 days)"}, 10),
    ({"ScheduleExpression": "rate(4 hours)"}, None),
    ({"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "3h"}, None),
    ({"AutomaticallyAfterDays": 7, "Duration": "2h"}, 7),
])
def test_rotate_schedule_forms(sm, uniq, rules, days):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA, RotationRules=rules,
                    RotateImmediately=False)
    got = c.describe_secret(SecretId=name)["RotationRules"]
    for k, v in rules.items():
        assert got[k] == v, got
    if days is not None:
        assert got["AutomaticallyAfterDays"] == days


@pytest.mark.parametrize("rules", [
    {"AutomaticallyAfterDays": 30, "ScheduleExpression": "rate(30 days)"},
    {"ScheduleExpression": "rate(1 hours)"},           # more often than every 4 hours
    {"ScheduleExpression": "cron(5 16 * * ? *)"},      # minutes must be 0
    {"ScheduleExpression": "cron(0 16 * * ? 2030)"},   # year must be *
    {"ScheduleExpression": "every tuesday"},
    {"AutomaticallyAfterDays": 1001},
])
def test_rotate_invalid_rules(sm, uniq, rules):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    with raises_code("InvalidParameterException", "ValidationException"):
        c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA, RotationRules=rules,
                        RotateImmediately=False)
    assert c.describe_secret(SecretId=name).get("RotationEnabled") in (None, False)


def test_rotate_without_lambda_rejected(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    with raises_code("InvalidRequestException"):
        c.rotate_secret(SecretId=name, RotationRules={"AutomaticallyAfterDays": 30},
                        RotateImmediately=False)
    with raises_code("InvalidRequestException"):
        c.rotate_secret(SecretId=name)
    d = c.describe_secret(SecretId=name)
    assert d.get("RotationEnabled") in (None, False)
    assert "RotationLambdaARN" not in d


def test_rotate_immediately_changes_nothing(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="v")["VersionId"]
    with raises_code("AccessDeniedException"):
        c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA,
                        RotationRules={"AutomaticallyAfterDays": 30})  # RotateImmediately defaults to true
    d = c.describe_secret(SecretId=name)
    assert d.get("RotationEnabled") in (None, False)
    assert "RotationLambdaARN" not in d
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    versions_all = c.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert [v["VersionId"] for v in versions_all] == [v1]


def test_rotate_immediately_on_configured_secret_changes_nothing(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="v")["VersionId"]
    c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA,
                    RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    before = c.describe_secret(SecretId=name)
    with raises_code("AccessDeniedException"):
        c.rotate_secret(SecretId=name, RotateImmediately=True)
    after = c.describe_secret(SecretId=name)
    for k in ("RotationEnabled", "RotationLambdaARN", "RotationRules", "VersionIdsToStages"):
        assert after.get(k) == before.get(k), k
    assert after["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}


def test_rotate_reuses_configured_lambda(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA,
                    RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    c.rotate_secret(SecretId=name, RotationRules={"AutomaticallyAfterDays": 15},
                    RotateImmediately=False)
    d = c.describe_secret(SecretId=name)
    assert d["RotationLambdaARN"] == LAMBDA
    assert d["RotationRules"]["AutomaticallyAfterDays"] == 15
    assert d["RotationEnabled"] is True


def test_cancel_rotate_secret(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA,
                    RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    r = c.cancel_rotate_secret(SecretId=name)
    assert r["Name"] == name
    assert_arn(r["ARN"], name)
    d = c.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is False
    # RotationRules stay after cancelling
    assert d["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert c.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_rotation_missing_secret(sm, uniq):
    c = sm()
    with raises_code("ResourceNotFoundException"):
        c.rotate_secret(SecretId=uniq("missing"), RotationLambdaARN=LAMBDA, RotateImmediately=False)
    with raises_code("ResourceNotFoundException"):
        c.cancel_rotate_secret(SecretId=uniq("missing"))


def test_rotation_fields_survive_in_describe_types(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA,
                    RotationRules={"ScheduleExpression": "rate(10 days)"}, RotateImmediately=False)
    d = c.describe_secret(SecretId=name)
    assert isinstance(d["RotationRules"]["AutomaticallyAfterDays"], int)
    if "LastRotatedDate" in d:
        assert_utc_datetime(d["LastRotatedDate"])
