"""CreateSecret, GetSecretValue, DescribeSecret: shapes, lookups, idempotency, limits."""

import datetime as dt
import re

import pytest

from conftest import assert_arn, assert_utc_datetime, error_code, raises_code, token

NOW = lambda: dt.datetime.now(dt.timezone.utc)  # noqa: E731


def test_create_secret_string_shape(sm, uniq):
    c = sm()
    name = uniq("prod/db")
    tok = token()
    r = c.create_secret(Name=name, SecretString='{"password":"x"}', ClientRequestToken=tok)
    assert r["Name"] == name
    assert_arn(r["ARN"], name)
    assert r["VersionId"] == tok  # the ClientRequestToken becomes the VersionId verbatim
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["ResponseMetadata"]["RequestId"], "x-amzn-RequestId missing"
    assert "ReplicationStatus" not in r or r["ReplicationStatus"] == []


def test_create_without_token_gets_uuid_version(sm, uniq):
    r = sm().create_secret(Name=uniq(), SecretString="v")
    # boto3 fills ClientRequestToken with a UUIDv4; the server keeps it as the VersionId
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", r["VersionId"])


def test_get_secret_value_shape(sm, uniq):
    c = sm()
    name = uniq("app")
    cr = c.create_secret(Name=name, SecretString="s3cr3t")
    g = c.get_secret_value(SecretId=name)
    assert g["ARN"] == cr["ARN"]
    assert g["Name"] == name
    assert g["VersionId"] == cr["VersionId"]
    assert g["SecretString"] == "s3cr3t"
    assert "SecretBinary" not in g
    assert g["VersionStages"] == ["AWSCURRENT"]
    assert_utc_datetime(g["CreatedDate"])
    assert abs((NOW() - g["CreatedDate"]).total_seconds()) < 120


def test_lookup_by_name_full_arn_and_partial_arn(sm, uniq):
    c = sm()
    name = uniq("lookup")
    arn = c.create_secret(Name=name, SecretString="v1")["ARN"]
    partial = arn[: -len("-XXXXXX")]
    assert partial.endswith(":secret:" + name)
    for sid in (name, arn, partial):
        assert c.get_secret_value(SecretId=sid)["SecretString"] == "v1", sid
        assert c.describe_secret(SecretId=sid)["ARN"] == arn, sid


def test_lookup_with_wrong_arn_suffix_is_not_found(sm, uniq):
    c = sm()
    name = uniq("lookup")
    arn = c.create_secret(Name=name, SecretString="v1")["ARN"]
    suffix = arn[-6:]
    other = "ZZZZZZ" if suffix != "ZZZZZZ" else "YYYYYY"
    with raises_code("ResourceNotFoundException"):
        c.get_secret_value(SecretId=arn[:-6] + other)


def test_unknown_secret_is_resource_not_found(sm, uniq):
    c = sm()
    with raises_code("ResourceNotFoundException") as ei:
        c.get_secret_value(SecretId=uniq("missing"))
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert ei.value.response["Error"].get("Message"), "error without a message"
    with raises_code("ResourceNotFoundException"):
        c.describe_secret(SecretId=uniq("missing"))


def test_binary_round_trip(sm, uniq):
    c = sm()
    name = uniq("bin")
    data = bytes(range(256)) * 4 + b"\x00\xff\x00"
    c.create_secret(Name=name, SecretBinary=data)
    g = c.get_secret_value(SecretId=name)
    assert g["SecretBinary"] == data
    assert "SecretString" not in g


def test_string_and_binary_together_rejected(sm, uniq):
    c = sm()
    name = uniq()
    with raises_code("InvalidParameterException"):
        c.create_secret(Name=name, SecretString="a", SecretBinary=b"b")
    with raises_code("ResourceNotFoundException"):
        c.describe_secret(SecretId=name)


def test_max_size_string_accepted(sm, uniq):
    c = sm()
    name = uniq()
    value = "x" * 65536
    c.create_secret(Name=name, SecretString=value)
    assert c.get_secret_value(SecretId=name)["SecretString"] == value


def test_max_size_binary_accepted(sm, uniq):
    c = sm()
    name = uniq()
    value = bytes((i * 7) % 256 for i in range(65536))
    c.create_secret(Name=name, SecretBinary=value)
    assert c.get_secret_value(SecretId=name)["SecretBinary"] == value


def test_oversize_string_rejected(sm, uniq):
    c = sm()
    name = uniq()
    # the model caps SecretString at 65536; botocore does not check max lengths, the server must.
    with raises_code("ValidationException") as ei:
        c.create_secret(Name=name, SecretString="x" * 65537)
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with raises_code("ResourceNotFoundException"):
        c.describe_secret(SecretId=name)


def test_oversize_binary_rejected(sm, uniq):
    c = sm()
    name = uniq()
    with raises_code("ValidationException"):
        c.create_secret(Name=name, SecretBinary=b"\x01" * 65537)


def test_oversize_put_secret_value_rejected(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="small")
    with raises_code("ValidationException"):
        c.put_secret_value(SecretId=name, SecretString="y" * 65537)
    assert c.get_secret_value(SecretId=name)["SecretString"] == "small"


def test_multibyte_utf8_string_round_trip(sm, uniq):
    c = sm()
    name = uniq()
    value = "pässwörd-密码-🔑"
    c.create_secret(Name=name, SecretString=value)
    assert c.get_secret_value(SecretId=name)["SecretString"] == value


def test_create_idempotent_same_token_same_value(sm, uniq):
    c = sm()
    name = uniq()
    tok = token()
    a = c.create_secret(Name=name, SecretString="same", ClientRequestToken=tok)
    b = c.create_secret(Name=name, SecretString="same", ClientRequestToken=tok)
    assert a["ARN"] == b["ARN"]
    assert a["VersionId"] == b["VersionId"] == tok
    d = c.describe_secret(SecretId=name)
    assert d["VersionIdsToStages"] == {tok: ["AWSCURRENT"]}


def test_create_same_token_different_value_exists(sm, uniq):
    c = sm()
    name = uniq()
    tok = token()
    c.create_secret(Name=name, SecretString="one", ClientRequestToken=tok)
    with raises_code("ResourceExistsException"):
        c.create_secret(Name=name, SecretString="two", ClientRequestToken=tok)
    assert c.get_secret_value(SecretId=name)["SecretString"] == "one"


def test_create_existing_name_new_token_exists(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="one")
    with raises_code("ResourceExistsException"):
        c.create_secret(Name=name, SecretString="one", ClientRequestToken=token())
    with raises_code("ResourceExistsException"):
        c.create_secret(Name=name, SecretString="two")


def test_create_without_value(sm, uniq):
    c = sm()
    name = uniq()
    r = c.create_secret(Name=name, Description="no value yet")
    assert_arn(r["ARN"], name)
    assert "VersionId" not in r
    d = c.describe_secret(SecretId=name)
    assert d.get("VersionIdsToStages", {}) == {}
    with raises_code("ResourceNotFoundException"):
        c.get_secret_value(SecretId=name)
    # the first value always becomes AWSCURRENT
    p = c.put_secret_value(SecretId=name, SecretString="first")
    assert p["VersionStages"] == ["AWSCURRENT"]
    assert c.get_secret_value(SecretId=name)["SecretString"] == "first"


def test_first_put_with_custom_stage_still_gets_awscurrent(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name)
    p = c.put_secret_value(SecretId=name, SecretString="first", VersionStages=["mine"])
    assert sorted(p["VersionStages"]) == ["AWSCURRENT", "mine"]


@pytest.mark.parametrize("bad", ["has space", "semi;colon", "star*", "hash#", "quote'"])
def test_invalid_name_characters(sm, bad):
    with raises_code("ValidationException"):
        sm().create_secret(Name=bad, SecretString="v")


def test_allowed_name_characters(sm, uniq):
    c = sm()
    name = uniq("a/b_c+d=e.f@g-h")
    r = c.create_secret(Name=name, SecretString="v")
    assert r["Name"] == name
    assert_arn(r["ARN"], name)


def test_describe_secret_shape(sm, uniq):
    c = sm()
    name = uniq("desc")
    cr = c.create_secret(Name=name, SecretString="v", Description="the db password",
                         Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": ""}])
    d = c.describe_secret(SecretId=name)
    assert d["ARN"] == cr["ARN"]
    assert d["Name"] == name
    assert d["Description"] == "the db password"
    assert sorted(d["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": ""}]
    assert d["VersionIdsToStages"] == {cr["VersionId"]: ["AWSCURRENT"]}
    assert_utc_datetime(d["CreatedDate"])
    assert_utc_datetime(d["LastChangedDate"])
    assert abs((NOW() - d["CreatedDate"]).total_seconds()) < 120
    assert "DeletedDate" not in d
    assert "KmsKeyId" not in d  # default key: omitted
    assert d.get("RotationEnabled") in (None, False)
    assert "RotationLambdaARN" not in d


def test_get_secret_value_updates_last_accessed_date(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    c.get_secret_value(SecretId=name)
    d = c.describe_secret(SecretId=name)
    assert_utc_datetime(d["LastAccessedDate"])
    # day resolution: the date is today's (UTC) or yesterday's across midnight
    assert (NOW() - d["LastAccessedDate"]).total_seconds() < 2 * 86400
    assert d["LastAccessedDate"] <= NOW()


def test_get_by_version_id_and_stage(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = c.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    assert c.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "one"
    g = c.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert (g["SecretString"], g["VersionId"], g["VersionStages"]) == ("one", v1, ["AWSPREVIOUS"])
    g = c.get_secret_value(SecretId=name, VersionStage="AWSCURRENT")
    assert (g["SecretString"], g["VersionId"]) == ("two", v2)
    g = c.get_secret_value(SecretId=name, VersionId=v2, VersionStage="AWSCURRENT")
    assert g["SecretString"] == "two"


def test_get_unknown_version_or_stage_not_found(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="one")
    with raises_code("ResourceNotFoundException"):
        c.get_secret_value(SecretId=name, VersionId=token())
    with raises_code("ResourceNotFoundException"):
        c.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    with raises_code("ResourceNotFoundException"):
        c.get_secret_value(SecretId=name, VersionStage="nolabel")


def test_get_version_id_and_stage_mismatch(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    c.put_secret_value(SecretId=name, SecretString="two")
    with raises_code("InvalidRequestException"):
        c.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")


def test_arn_suffix_is_new_for_recreated_name(sm, uniq):
    c = sm()
    name = uniq()
    a1 = c.create_secret(Name=name, SecretString="v")["ARN"]
    c.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    a2 = c.create_secret(Name=name, SecretString="v")["ARN"]
    assert_arn(a2, name)
    assert a1 != a2
    with raises_code("ResourceNotFoundException"):
        c.describe_secret(SecretId=a1)


def test_secrets_are_per_region(sm, uniq):
    us, eu = sm("us-east-1"), sm("eu-west-1")
    name = uniq()
    us.create_secret(Name=name, SecretString="us")
    with raises_code("ResourceNotFoundException"):
        eu.get_secret_value(SecretId=name)
    r = eu.create_secret(Name=name, SecretString="eu")
    assert_arn(r["ARN"], name, "eu-west-1")
    assert us.get_secret_value(SecretId=name)["SecretString"] == "us"
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "eu"


def test_unknown_request_members_are_ignored(raw, uniq):
    name = uniq()
    r = raw("CreateSecret", {"Name": name, "SecretString": "v", "ClientRequestToken": token(),
                             "SomeFutureMember": {"x": 1}})
    assert r.status_code == 200, r.text
    assert r.json()["Name"] == name


def test_short_client_request_token_rejected(raw, uniq):
    # botocore enforces min 32 client-side, so send it raw: the server must check it too.
    name = uniq()
    r = raw("CreateSecret", {"Name": name, "SecretString": "v", "ClientRequestToken": "short"})
    assert r.status_code == 400, r.text
    assert error_code(r) == "ValidationException"
