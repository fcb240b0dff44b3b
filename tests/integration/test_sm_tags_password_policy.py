"""TagResource / UntagResource, GetRandomPassword, resource policies."""

import json
import string

import pytest

from conftest import ACCOUNT, raises_code

PUNCT = set(string.punctuation)  # the 32 ASCII punctuation characters
UPPER, LOWER, DIGITS = set(string.ascii_uppercase), set(string.ascii_lowercase), set(string.digits)


def tags_of(c, name):
    return {t["Key"]: t["Value"] for t in c.describe_secret(SecretId=name).get("Tags", [])}


# --------------------------------------------------------------------------- tags

def test_tag_and_untag(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v", Tags=[{"Key": "env", "Value": "dev"}])
    r = c.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "core"},
                                            {"Key": "env", "Value": "prod"}])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(r) == {"ResponseMetadata"}  # empty output
    # same key overwrites
    assert tags_of(c, name) == {"env": "prod", "team": "core"}
    # keys are case-sensitive
    c.tag_resource(SecretId=name, Tags=[{"Key": "Env", "Value": "x"}])
    assert tags_of(c, name) == {"env": "prod", "team": "core", "Env": "x"}
    r = c.untag_resource(SecretId=name, TagKeys=["env", "not-there"])
    assert set(r) == {"ResponseMetadata"}
    assert tags_of(c, name) == {"team": "core", "Env": "x"}
    c.untag_resource(SecretId=name, TagKeys=["team", "Env"])
    assert tags_of(c, name) == {}


def test_tag_by_arn_and_empty_value(sm, uniq):
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="v")["ARN"]
    c.tag_resource(SecretId=arn, Tags=[{"Key": "empty", "Value": ""}])
    assert tags_of(c, name) == {"empty": ""}
    c.untag_resource(SecretId=arn[:-7], TagKeys=["empty"])
    assert tags_of(c, name) == {}


def test_tags_do_not_create_versions(sm, uniq):
    c = sm()
    name = uniq()
    v = c.create_secret(Name=name, SecretString="v")["VersionId"]
    c.tag_resource(SecretId=name, Tags=[{"Key": "a", "Value": "b"}])
    assert c.describe_secret(SecretId=name)["VersionIdsToStages"] == {v: ["AWSCURRENT"]}


def test_tag_missing_secret_not_found(sm, uniq):
    c = sm()
    with raises_code("ResourceNotFoundException"):
        c.tag_resource(SecretId=uniq("missing"), Tags=[{"Key": "a", "Value": "b"}])
    with raises_code("ResourceNotFoundException"):
        c.untag_resource(SecretId=uniq("missing"), TagKeys=["a"])


def test_tag_reserved_aws_prefix_rejected(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    with raises_code("InvalidParameterException", "ValidationException"):
        c.tag_resource(SecretId=name, Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert tags_of(c, name) == {}


# --------------------------------------------------------------------------- GetRandomPassword

def test_random_password_defaults(sm):
    c = sm()
    p = c.get_random_password()["RandomPassword"]
    assert len(p) == 32
    chars = set(p)
    assert chars <= UPPER | LOWER | DIGITS | PUNCT
    assert " " not in chars
    # every included type is present by default
    assert chars & UPPER and chars & LOWER and chars & DIGITS and chars & PUNCT, p
    assert c.get_random_password()["RandomPassword"] != p


@pytest.mark.parametrize("length", [4, 20, 4096])
def test_random_password_length(sm, length):
    p = sm().get_random_password(PasswordLength=length)["RandomPassword"]
    assert len(p) == length


def test_random_password_length_one_single_class(sm):
    p = sm().get_random_password(PasswordLength=1, ExcludeUppercase=True, ExcludeLowercase=True,
                                 ExcludePunctuation=True)["RandomPassword"]
    assert len(p) == 1 and p.isdigit()


def test_random_password_exclusions(sm):
    c = sm()
    p = c.get_random_password(PasswordLength=200, ExcludeNumbers=True)["RandomPassword"]
    assert not set(p) & DIGITS and set(p) & UPPER and set(p) & PUNCT
    p = c.get_random_password(PasswordLength=200, ExcludePunctuation=True)["RandomPassword"]
    assert not set(p) & PUNCT and set(p) <= UPPER | LOWER | DIGITS
    p = c.get_random_password(PasswordLength=200, ExcludeUppercase=True)["RandomPassword"]
    assert not set(p) & UPPER and set(p) & LOWER
    p = c.get_random_password(PasswordLength=200, ExcludeLowercase=True)["RandomPassword"]
    assert not set(p) & LOWER and set(p) & UPPER
    p = c.get_random_password(PasswordLength=200, ExcludeCharacters="abcXYZ019!@#")["RandomPassword"]
    assert not set(p) & set("abcXYZ019!@#")
    p = c.get_random_password(PasswordLength=64, ExcludeUppercase=True, ExcludeLowercase=True,
                              ExcludePunctuation=True)["RandomPassword"]
    assert len(p) == 64 and set(p) <= DIGITS


def test_random_password_include_space(sm):
    c = sm()
    p = c.get_random_password(PasswordLength=4096, IncludeSpace=True)["RandomPassword"]
    assert " " in p  # 4096 draws from 95 characters: a space is all but certain
    assert set(p) <= UPPER | LOWER | DIGITS | PUNCT | {" "}


def test_random_password_require_each_type(sm):
    c = sm()
    for _ in range(20):
        p = c.get_random_password(PasswordLength=4, RequireEachIncludedType=True)["RandomPassword"]
        assert set(p) & UPPER and set(p) & LOWER and set(p) & DIGITS and set(p) & PUNCT, p


def test_random_password_require_each_type_false_requires_none(sm):
    # AWS: only the switch asks for one of each type; without it 1..3 characters are valid.
    c = sm()
    for n in (1, 2, 3):
        p = c.get_random_password(PasswordLength=n, RequireEachIncludedType=False)["RandomPassword"]
        assert len(p) == n and set(p) <= UPPER | LOWER | DIGITS | PUNCT, p


def test_random_password_too_short_for_required_types(sm):
    with raises_code("InvalidParameterException"):
        sm().get_random_password(PasswordLength=3, RequireEachIncludedType=True)


def test_random_password_everything_excluded(sm):
    with raises_code("InvalidParameterException"):
        sm().get_random_password(ExcludeNumbers=True, ExcludePunctuation=True,
                                 ExcludeUppercase=True, ExcludeLowercase=True)


def test_random_password_too_long(sm):
    with raises_code("ValidationException"):
        sm().get_random_password(PasswordLength=4097)


# --------------------------------------------------------------------------- resource policies

def policy(principal=None, action="secretsmanager:GetSecretValue"):
    principal = principal or {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}],
    })


def test_put_get_delete_resource_policy(sm, uniq):
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="v")["ARN"]
    g = c.get_resource_policy(SecretId=name)
    assert (g["ARN"], g["Name"]) == (arn, name)
    assert "ResourcePolicy" not in g

    p = c.put_resource_policy(SecretId=name, ResourcePolicy=policy())
    assert (p["ARN"], p["Name"]) == (arn, name)
    g = c.get_resource_policy(SecretId=arn)
    assert json.loads(g["ResourcePolicy"]) == json.loads(policy())

    d = c.delete_resource_policy(SecretId=name)
    assert (d["ARN"], d["Name"]) == (arn, name)
    assert "ResourcePolicy" not in c.get_resource_policy(SecretId=name)
    # deleting again is harmless
    c.delete_resource_policy(SecretId=name)


def test_put_resource_policy_replaces(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    c.put_resource_policy(SecretId=name, ResourcePolicy=policy())
    second = policy(action=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"])
    c.put_resource_policy(SecretId=name, ResourcePolicy=second)
    assert json.loads(c.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(second)


@pytest.mark.parametrize("doc", [
    "{not json",
    "[]",
    json.dumps({"Version": "2012-10-17"}),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*",
                                                         "Action": "secretsmanager:*"}]}),
])
def test_put_malformed_policy(sm, uniq, doc):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    with raises_code("MalformedPolicyDocumentException"):
        c.put_resource_policy(SecretId=name, ResourcePolicy=doc)
    assert "ResourcePolicy" not in c.get_resource_policy(SecretId=name)


def test_block_public_policy(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    public = policy(principal="*")
    with raises_code("PublicPolicyException"):
        c.put_resource_policy(SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    assert "ResourcePolicy" not in c.get_resource_policy(SecretId=name)
    with raises_code("PublicPolicyException"):
        c.put_resource_policy(SecretId=name, ResourcePolicy=policy(principal={"AWS": "*"}),
                              BlockPublicPolicy=True)
    mixed = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "secretsmanager:DescribeSecret", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "*"]},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    with raises_code("PublicPolicyException"):
        c.put_resource_policy(SecretId=name, ResourcePolicy=mixed, BlockPublicPolicy=True)
    assert "ResourcePolicy" not in c.get_resource_policy(SecretId=name)
    # a non-public policy passes the block
    c.put_resource_policy(SecretId=name, ResourcePolicy=policy(), BlockPublicPolicy=True)
    # without the block a public policy is stored
    c.put_resource_policy(SecretId=name, ResourcePolicy=public)
    assert json.loads(c.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(public)


def test_validate_resource_policy(sm, uniq):
    c = sm()
    r = c.validate_resource_policy(ResourcePolicy=policy())
    assert r["PolicyValidationPassed"] is True
    assert r.get("ValidationErrors", []) == []
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    r = c.validate_resource_policy(SecretId=name, ResourcePolicy=policy())
    assert r["PolicyValidationPassed"] is True


def test_validate_public_policy_fails_broad_access_check(sm):
    r = sm().validate_resource_policy(ResourcePolicy=policy(principal="*"))
    assert r["PolicyValidationPassed"] is False
    assert r["ValidationErrors"], r
    for e in r["ValidationErrors"]:
        assert isinstance(e.get("CheckName"), str) and isinstance(e.get("ErrorMessage"), str)


def test_validate_malformed_policy(sm):
    with raises_code("MalformedPolicyDocumentException"):
        sm().validate_resource_policy(ResourcePolicy="{not json")


def test_policy_ops_missing_secret(sm, uniq):
    c = sm()
    missing = uniq("missing")
    with raises_code("ResourceNotFoundException"):
        c.put_resource_policy(SecretId=missing, ResourcePolicy=policy())
    with raises_code("ResourceNotFoundException"):
        c.get_resource_policy(SecretId=missing)
    with raises_code("ResourceNotFoundException"):
        c.delete_resource_policy(SecretId=missing)
