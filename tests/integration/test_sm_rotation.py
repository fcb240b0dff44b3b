"""RotateSecret / CancelRotateSecret configuration.

LAMBDA is Arcana's managed postgresql-single-user rotator, which exists without registration
(test_rotation.py runs real rotations): RotateImmediately=false stores the configuration, and
its testSecret run fails on these non-JSON values and changes nothing. MISSING names no
function: RotateSecret answers AccessDeniedException, as AWS does for a function it cannot
invoke, whether it rotates now or not, and changes nothing; no Lambda -> IRE.
"""

import datetime as dt
import json
import sqlite3
import time

import pytest

import pg_cluster
from conftest import (IS_PG, assert_arn, assert_utc_datetime, raises_code, raw_call,
                      store_database, wait_for)
from test_rotation import rotation_events_of

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:arcana:postgresql-single-user"
MISSING = "arn:aws:lambda:us-east-1:123456789012:function:rotate-db"
NOW = lambda: dt.datetime.now(dt.timezone.utc)  # noqa: E731


def versions(c, name):
    return c.describe_secret(SecretId=name).get("VersionIdsToStages", {})


def after_test_run(sm, name, v1, runs=1):
    """Waits for the end of RotateImmediately=false's testSecret run (the `runs`th on this
    secret; LAMBDA's fail on these values): while it runs, its AWSPENDING placeholder makes
    RotateSecret answer that a rotation is in progress ("The test creates an AWSPENDING
    version of the secret and then removes it", AWS)."""
    wait_for(lambda: rotation_events_of(sm.server, name).count("RotationFailed") >= runs,
             what="the test run's end")
    assert versions(sm(), name) == {v1: ["AWSCURRENT"]}


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
    # no value change, no lingering AWSPENDING once the configuration's test run has ended
    # (it holds an AWSPENDING placeholder while it runs)
    after_test_run(sm, name, v1)
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


def test_rotate_days_and_schedule_together_words_as_aws(sm, uniq):
    # AWS's message, as recorded in terraform-provider-aws issues #30540 and #33329.
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    with raises_code("InvalidParameterException") as e:
        c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA,
                        RotationRules={"AutomaticallyAfterDays": 30,
                                       "ScheduleExpression": "rate(30 days)"},
                        RotateImmediately=False)
    assert e.value.response["Error"]["Message"] == (
        "You cannot specify both rotation frequency and schedule expression together.")


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
        c.rotate_secret(SecretId=name, RotationLambdaARN=MISSING,
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
    after_test_run(sm, name, v1)
    before = c.describe_secret(SecretId=name)
    with raises_code("AccessDeniedException"):
        c.rotate_secret(SecretId=name, RotationLambdaARN=MISSING, RotateImmediately=True)
    after = c.describe_secret(SecretId=name)
    for k in ("RotationEnabled", "RotationLambdaARN", "RotationRules", "VersionIdsToStages"):
        assert after.get(k) == before.get(k), k
    assert after["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}


@pytest.mark.parametrize("lambda_arn,code", [
    (MISSING, "AccessDeniedException"),
    ("rotate-db", "AccessDeniedException"),  # no ARN: no function either
    ("arn:aws:lambda:us-east-1:123456789012:function:arcana:oracle-single-user",
     "InvalidRequestException"),  # no such managed rotator
])
def test_rotate_later_with_an_unknown_function_changes_nothing(sm, uniq, lambda_arn, code):
    """RotateImmediately=false checks the function too (AWS tests the configuration then):
    stored, every run of the schedule would fail to find it."""
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="v")["VersionId"]
    with raises_code(code):
        c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn,
                        RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    d = c.describe_secret(SecretId=name)
    assert d.get("RotationEnabled") in (None, False) and "RotationLambdaARN" not in d
    assert "RotationRules" not in d and d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    # A configured secret keeps its function.
    c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA, RotateImmediately=False)
    after_test_run(sm, name, v1)
    with raises_code(code):
        c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn, RotateImmediately=False)
    assert c.describe_secret(SecretId=name)["RotationLambdaARN"] == LAMBDA


def test_rotate_reuses_configured_lambda(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="v")["VersionId"]
    c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA,
                    RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    after_test_run(sm, name, v1)
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


# ------------------------------------------------------- a manual value update is a rotation

DAY = 86400


def _store_query(srv, sql: str) -> str:
    """One statement on the stopped server's store; the first column of the first row."""
    if IS_PG:
        return pg_cluster.session_cluster().psql(sql, store_database(srv.data_dir))
    con = sqlite3.connect(srv.data_dir / "arcana.db", timeout=10)
    try:
        row = con.execute(sql).fetchone()
        con.commit()
        return "" if row is None else str(row[0])
    finally:
        con.close()


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _job_due_ms(srv, arn: str):
    due = _store_query(srv, f"SELECT due_ms FROM jobs WHERE name = {_lit('rotation:' + arn)}")
    return int(due) if due else None


def _describe(srv, name: str) -> dict:
    # NextRotationDate is newer than Debian's botocore: the raw answer has it.
    return raw_call(srv.endpoint, "DescribeSecret", {"SecretId": name}).json()


def _day_start(t: float) -> int:
    return int(t) - int(t) % DAY


def test_manual_value_update_counts_as_a_rotation(fresh_dev_server):
    """AWS (RotationRulesType): "Secrets Manager calculates the next rotation date based on the
    previous rotation. Manually updating the secret value by calling PutSecretValue or
    UpdateSecret is considered a valid rotation." Secrets that last rotated 20 days ago on a
    30-day schedule (their stored rotation state set back while the server is stopped) rotate
    30 days after a manual update, not 10 days from now; LastRotatedDate stays the rotation's
    ("the last date and time that Secrets Manager rotated the secret")."""
    srv = fresh_dev_server
    c = srv.client()
    names = {op: f"manual-rotation/{op}" for op in ("put", "update")}
    arns = {}
    for op, name in names.items():
        c.create_secret(Name=name, SecretString="v1")
        arns[op] = c.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA,
                                   RotationRules={"AutomaticallyAfterDays": 30},
                                   RotateImmediately=False)["ARN"]
    # The testSecret run is over once the job waits for the window.
    for arn in arns.values():
        wait_for(lambda: (_job_due_ms(srv, arn) or 0) > time.time() * 1000 + DAY * 1000,
                 what="the scheduled rotation's job")
    srv.stop()
    last_ms = int((time.time() - 20 * DAY) * 1000)
    old_window = _day_start(last_ms / 1000 + 30 * DAY)
    for arn in arns.values():
        meta = json.loads(_store_query(srv, f"SELECT meta FROM secrets WHERE arn = {_lit(arn)}"))
        meta["rotation"].update(last=last_ms, next=(old_window + DAY - 1) * 1000,
                                window=old_window * 1000)
        _store_query(srv, f"UPDATE secrets SET meta = {_lit(json.dumps(meta))} "
                          f"WHERE arn = {_lit(arn)}")
        _store_query(srv, f"UPDATE jobs SET due_ms = {old_window * 1000} "
                          f"WHERE name = {_lit('rotation:' + arn)}")
    srv.start()
    c = srv.client()  # the new endpoint
    for name in names.values():
        assert _describe(srv, name)["NextRotationDate"] == old_window + DAY - 1

    lo = _day_start(time.time() + 30 * DAY)
    c.put_secret_value(SecretId=names["put"], SecretString="manual")
    c.update_secret(SecretId=names["update"], SecretString="manual")
    hi = _day_start(time.time() + 30 * DAY)
    for op, name in names.items():
        d = _describe(srv, name)
        window = d["NextRotationDate"] + 1 - DAY
        assert window in (lo, hi), (op, d["NextRotationDate"], old_window)
        assert abs(d["LastRotatedDate"] - last_ms / 1000) < 0.01, (op, d)
        # The scheduled run moved with it: due at the new window's start.
        assert _job_due_ms(srv, arns[op]) == window * 1000, op
    # A metadata-only UpdateSecret or a value that does not become AWSCURRENT is no rotation.
    before = _describe(srv, names["put"])["NextRotationDate"]
    c.update_secret(SecretId=names["put"], Description="metadata only")
    c.put_secret_value(SecretId=names["put"], SecretString="staged", VersionStages=["NEXT"])
    assert _describe(srv, names["put"])["NextRotationDate"] == before
