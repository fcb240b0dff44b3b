"""DeleteSecret (recovery window, force) and RestoreSecret."""

import datetime as dt

import pytest

from conftest import assert_arn, assert_utc_datetime, raises_code

NOW = lambda: dt.datetime.now(dt.timezone.utc)  # noqa: E731


def days_from_now(d):
    return (d - NOW()).total_seconds() / 86400.0


def test_delete_default_window_30_days(sm, uniq):
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="v")["ARN"]
    r = c.delete_secret(SecretId=name)
    assert r["ARN"] == arn
    assert r["Name"] == name
    assert_utc_datetime(r["DeletionDate"])
    assert 29.9 < days_from_now(r["DeletionDate"]) < 30.1
    d = c.describe_secret(SecretId=name)
    assert_utc_datetime(d["DeletedDate"])
    assert abs((d["DeletedDate"] - r["DeletionDate"]).total_seconds()) < 2


@pytest.mark.parametrize("days", [7, 30])
def test_delete_window_bounds_accepted(sm, uniq, days):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    r = c.delete_secret(SecretId=name, RecoveryWindowInDays=days)
    assert days - 0.1 < days_from_now(r["DeletionDate"]) < days + 0.1


@pytest.mark.parametrize("days", [0, 6, 31, 365])
def test_delete_window_out_of_range(sm, uniq, days):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    with raises_code("InvalidParameterException"):
        c.delete_secret(SecretId=name, RecoveryWindowInDays=days)
    d = c.describe_secret(SecretId=name)
    assert "DeletedDate" not in d
    assert c.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_delete_with_window_and_force_rejected(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    with raises_code("InvalidParameterException"):
        c.delete_secret(SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert c.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_force_delete_removes_immediately(sm, uniq):
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="v")["ARN"]
    r = c.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert r["ARN"] == arn
    assert_utc_datetime(r["DeletionDate"])
    with raises_code("ResourceNotFoundException"):
        c.describe_secret(SecretId=name)
    with raises_code("ResourceNotFoundException"):
        c.get_secret_value(SecretId=name)
    with raises_code("ResourceNotFoundException"):
        c.restore_secret(SecretId=name)
    # the name is free again
    r2 = c.create_secret(Name=name, SecretString="again")
    assert_arn(r2["ARN"], name)


def test_force_delete_scheduled_secret(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    c.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    c.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with raises_code("ResourceNotFoundException"):
        c.describe_secret(SecretId=name)


def test_force_delete_missing_secret_succeeds(sm, uniq):
    # documented: ForceDeleteWithoutRecovery on a missing secret does not raise
    r = sm().delete_secret(SecretId=uniq("never-existed"), ForceDeleteWithoutRecovery=True)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_delete_missing_secret_not_found(sm, uniq):
    with raises_code("ResourceNotFoundException"):
        sm().delete_secret(SecretId=uniq("never-existed"))


def test_access_while_scheduled_for_deletion(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="v")["VersionId"]
    c.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    # DescribeSecret still works
    d = c.describe_secret(SecretId=name)
    assert "DeletedDate" in d
    with raises_code("InvalidRequestException"):
        c.get_secret_value(SecretId=name)
    with raises_code("InvalidRequestException"):
        c.get_secret_value(SecretId=name, VersionId=v1)
    with raises_code("InvalidRequestException"):
        c.put_secret_value(SecretId=name, SecretString="new")
    with raises_code("InvalidRequestException"):
        c.update_secret(SecretId=name, SecretString="new")
    with raises_code("InvalidRequestException"):
        c.update_secret(SecretId=name, Description="new")
    with raises_code("InvalidRequestException"):
        c.update_secret_version_stage(SecretId=name, VersionStage="x", MoveToVersionId=v1)
    with raises_code("InvalidRequestException"):
        c.rotate_secret(SecretId=name, RotationLambdaARN=
                        "arn:aws:lambda:us-east-1:123456789012:function:rot", RotateImmediately=False)
    # already scheduled, without force
    with raises_code("InvalidRequestException"):
        c.delete_secret(SecretId=name)
    # creating the same name
    with raises_code("InvalidRequestException"):
        c.create_secret(Name=name, SecretString="v2")
    d2 = c.describe_secret(SecretId=name)
    assert d2["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    assert abs((d2["DeletedDate"] - d["DeletedDate"]).total_seconds()) < 1


def test_restore_secret(sm, uniq):
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="v")["ARN"]
    c.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    r = c.restore_secret(SecretId=name)
    assert r["ARN"] == arn
    assert r["Name"] == name
    d = c.describe_secret(SecretId=name)
    assert "DeletedDate" not in d
    assert c.get_secret_value(SecretId=name)["SecretString"] == "v"
    c.put_secret_value(SecretId=name, SecretString="after-restore")
    assert c.get_secret_value(SecretId=name)["SecretString"] == "after-restore"
    # listed again by default
    names = [s["Name"] for s in c.list_secrets(
        Filters=[{"Key": "name", "Values": [name]}])["SecretList"]]
    assert names == [name]


def test_restore_by_arn(sm, uniq):
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="v")["ARN"]
    c.delete_secret(SecretId=arn, RecoveryWindowInDays=10)
    c.restore_secret(SecretId=arn)
    assert c.get_secret_value(SecretId=arn)["SecretString"] == "v"


def test_restore_missing_not_found(sm, uniq):
    with raises_code("ResourceNotFoundException"):
        sm().restore_secret(SecretId=uniq("missing"))


def test_scheduled_secret_hidden_from_list(sm, uniq):
    c = sm()
    keep, gone = uniq("keep"), uniq("gone")
    c.create_secret(Name=keep, SecretString="v")
    c.create_secret(Name=gone, SecretString="v")
    c.delete_secret(SecretId=gone, RecoveryWindowInDays=7)
    names = [s["Name"] for s in c.list_secrets(
        Filters=[{"Key": "name", "Values": [uniq.prefix]}])["SecretList"]]
    assert names == [keep]
