"""Writes are optimistic read-modify-commits (issue 9), not serialised by a process mutex:
concurrent writers of one secret, parameter or key lose no update, and the idempotency rules
hold under races (one CreateSecret of a name wins; requests with one ClientRequestToken
agree on one version)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from kms_fixtures import kms  # noqa: F401
from ssm_helpers import ssm  # noqa: F401

THREADS = 16


def race(fn, n=THREADS):
    """Runs fn(i) for i in range(n) at once; returns (results, ClientError codes)."""
    def run(i):
        try:
            return ("ok", fn(i))
        except ClientError as e:
            return ("error", e.response["Error"]["Code"])
    with ThreadPoolExecutor(max_workers=n) as pool:
        outcomes = list(pool.map(run, range(n)))
    return ([v for k, v in outcomes if k == "ok"], [v for k, v in outcomes if k == "error"])


def test_concurrent_tagging_of_one_secret_loses_no_tag(sm):
    c = sm()
    name = "race/tags-" + uuid.uuid4().hex[:6]
    c.create_secret(Name=name, SecretString="v")
    ok, errors = race(lambda i: c.tag_resource(SecretId=name,
                                               Tags=[{"Key": f"k{i:02d}", "Value": str(i)}]))
    assert errors == [] and len(ok) == THREADS
    tags = {t["Key"]: t["Value"] for t in c.describe_secret(SecretId=name)["Tags"]}
    assert tags == {f"k{i:02d}": str(i) for i in range(THREADS)}


def test_concurrent_creates_of_one_name_have_exactly_one_winner(sm):
    c = sm()
    name = "race/create-" + uuid.uuid4().hex[:6]
    ok, errors = race(lambda i: c.create_secret(Name=name, SecretString=f"v{i}",
                                                ClientRequestToken=str(uuid.uuid4())))
    assert len(ok) == 1, (ok, errors)
    assert errors == ["ResourceExistsException"] * (THREADS - 1)
    assert c.get_secret_value(SecretId=name)["ARN"] == ok[0]["ARN"]


def test_concurrent_retries_of_one_create_all_succeed_with_one_version(sm):
    c = sm()
    name = "race/idem-" + uuid.uuid4().hex[:6]
    token = str(uuid.uuid4())
    ok, errors = race(lambda i: c.create_secret(Name=name, SecretString="same",
                                                ClientRequestToken=token))
    assert errors == [] and len(ok) == THREADS
    assert {r["ARN"] for r in ok} == {ok[0]["ARN"]}
    assert {r["VersionId"] for r in ok} == {token}
    versions = c.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["VersionId"] for v in versions] == [token]


def test_concurrent_put_secret_value_with_one_token(sm):
    c = sm()
    name = "race/put-" + uuid.uuid4().hex[:6]
    c.create_secret(Name=name, SecretString="first")
    token = str(uuid.uuid4())
    ok, errors = race(lambda i: c.put_secret_value(SecretId=name, SecretString="second",
                                                   ClientRequestToken=token))
    assert errors == [] and len(ok) == THREADS
    assert all(r["VersionId"] == token and r["VersionStages"] == ["AWSCURRENT"] for r in ok)
    assert c.get_secret_value(SecretId=name)["SecretString"] == "second"
    # The same token with another value is refused, however the requests interleave.
    ok, errors = race(lambda i: c.put_secret_value(SecretId=name, SecretString=f"other{i}",
                                                   ClientRequestToken=token), n=4)
    assert ok == [] and set(errors) == {"ResourceExistsException"}


def test_concurrent_put_secret_value_keeps_every_version_and_one_current(sm):
    c = sm()
    name = "race/versions-" + uuid.uuid4().hex[:6]
    c.create_secret(Name=name, SecretString="v0")
    ok, errors = race(lambda i: c.put_secret_value(SecretId=name, SecretString=f"v{i + 1}",
                                                   ClientRequestToken=str(uuid.uuid4())), n=8)
    assert errors == [] and len(ok) == 8
    versions = c.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    ids = {v["VersionId"] for v in versions}
    assert {r["VersionId"] for r in ok} <= ids
    current = [v for v in versions if "AWSCURRENT" in v.get("VersionStages", [])]
    assert len(current) == 1


def test_concurrent_parameter_overwrites_get_distinct_versions(ssm):
    c = ssm()
    name = "/race/p" + uuid.uuid4().hex[:6]
    c.put_parameter(Name=name, Value="0", Type="String")
    ok, errors = race(lambda i: c.put_parameter(Name=name, Value=str(i + 1), Type="String",
                                                Overwrite=True), n=8)
    assert errors == []
    assert sorted(r["Version"] for r in ok) == list(range(2, 10))
    history = c.get_parameter_history(Name=name)["Parameters"]
    assert [h["Version"] for h in history] == list(range(1, 10))


def test_concurrent_parameter_creates_have_one_winner(ssm):
    c = ssm()
    name = "/race/c" + uuid.uuid4().hex[:6]
    ok, errors = race(lambda i: c.put_parameter(Name=name, Value=str(i), Type="String"), n=8)
    assert len(ok) == 1 and ok[0]["Version"] == 1
    assert errors == ["ParameterAlreadyExists"] * 7


def test_concurrent_parameter_tagging_loses_no_tag(ssm):
    c = ssm()
    name = "/race/t" + uuid.uuid4().hex[:6]
    c.put_parameter(Name=name, Value="v", Type="String")
    ok, errors = race(lambda i: c.add_tags_to_resource(
        ResourceType="Parameter", ResourceId=name, Tags=[{"Key": f"k{i:02d}", "Value": "v"}]))
    assert errors == []
    tags = c.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert sorted(t["Key"] for t in tags) == [f"k{i:02d}" for i in range(THREADS)]


def test_concurrent_kms_key_tagging_loses_no_tag(kms):
    c = kms()
    key = c.create_key()["KeyMetadata"]["KeyId"]
    ok, errors = race(lambda i: c.tag_resource(KeyId=key,
                                               Tags=[{"TagKey": f"k{i:02d}", "TagValue": "v"}]))
    assert errors == []
    tags = c.list_resource_tags(KeyId=key)["Tags"]
    assert sorted(t["TagKey"] for t in tags) == [f"k{i:02d}" for i in range(THREADS)]


def test_first_use_of_the_aws_managed_key_races_to_one_key(sm):
    c = sm()
    prefix = "race/managed-" + uuid.uuid4().hex[:6]
    # Every create needs alias/aws/secretsmanager, which does not exist yet after the reset.
    ok, errors = race(lambda i: c.create_secret(Name=f"{prefix}/{i}", SecretString="v"))
    assert errors == [] and len(ok) == THREADS
    for i in range(THREADS):
        assert c.get_secret_value(SecretId=f"{prefix}/{i}")["SecretString"] == "v"
