"""BlockPublicPolicy and ValidateResourcePolicy's public-access check judge a statement open to
every principal by what its conditions restrict (review finding). Any non-empty Condition made
it non-public: empty operator blocks ({"StringEquals": {}}, {"Foo": {}}), which the policy
engine drops, and conditions that always hold (Null aws:PrincipalArn false, StringLike
aws:PrincipalArn "*") passed the block, and a user with no policy of its own then read the
secret. A condition restricts when it pins the caller or source (account, ARN, organization,
VPC, IP ranges, ...) to fixed values, as AWS's public-access reasoning has it."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_access_control import Admin, admin, uniq  # noqa: F401
from test_iam import code_of

PUBLIC = ("This resource policy contains a statement that grants public access to the secret.")
BROAD = ("This resource policy grants broad access to the secret: a statement allows a wildcard "
         "principal without a condition.")


def open_to_all(condition=None) -> str:
    s = {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"}
    if condition is not None:
        s["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [s]})


PUBLIC_CONDITIONS = [
    {"StringEquals": {}},
    {"Foo": {}},
    {"Null": {"aws:PrincipalArn": "false"}},
    {"StringLike": {"aws:PrincipalArn": "*"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:*"}},
    {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}},
    {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
    {"ForAllValues:StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
    {"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}},
    {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
    {"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}},
    {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
    {"StringLike": {"aws:SourceVpc": "vpc-*"}},
]

PRIVATE_CONDITIONS = [
    {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
    {"StringEquals": {}, "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/bob"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}},
    {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
]


@pytest.mark.parametrize("condition", PUBLIC_CONDITIONS, ids=json.dumps)
def test_conditions_that_restrict_nothing_are_public(admin, condition):
    name = uniq("bpp")
    admin.sm.create_secret(Name=name, SecretString="v")
    with pytest.raises(ClientError) as e:
        admin.sm.put_resource_policy(SecretId=name, ResourcePolicy=open_to_all(condition),
                                     BlockPublicPolicy=True)
    assert code_of(e.value) == ("PublicPolicyException", 400), e.value.response
    assert e.value.response["Error"]["Message"] == PUBLIC
    assert "ResourcePolicy" not in admin.sm.get_resource_policy(SecretId=name)
    r = admin.sm.validate_resource_policy(ResourcePolicy=open_to_all(condition))
    assert r["PolicyValidationPassed"] is False
    assert [(e["CheckName"], e["ErrorMessage"]) for e in r["ValidationErrors"]] == [
        ("BROAD_ACCESS_CHECK", BROAD)]


@pytest.mark.parametrize("condition", PRIVATE_CONDITIONS, ids=json.dumps)
def test_conditions_that_pin_the_caller_are_not_public(admin, condition):
    name = uniq("bpp")
    admin.sm.create_secret(Name=name, SecretString="v")
    admin.sm.put_resource_policy(SecretId=name, ResourcePolicy=open_to_all(condition),
                                 BlockPublicPolicy=True)
    r = admin.sm.validate_resource_policy(ResourcePolicy=open_to_all(condition))
    assert r["PolicyValidationPassed"] is True, r


def test_a_user_without_policies_cannot_read_through_an_empty_condition(admin):
    name = uniq("bpp")
    admin.sm.create_secret(Name=name, SecretString="v")
    _, creds = admin.user(None)
    with pytest.raises(ClientError):
        admin.sm.put_resource_policy(SecretId=name, BlockPublicPolicy=True,
                                     ResourcePolicy=open_to_all({"StringEquals": {}}))
    with pytest.raises(ClientError) as e:
        admin.as_keys("secretsmanager", creds).get_secret_value(SecretId=name)
    assert code_of(e.value) == ("AccessDeniedException", 400), e.value.response
