"""STS request members held to the model's patterns before anything else, in AWS's wording
("1 validation error detected: Value 'a b' at 'sourceIdentity' failed to satisfy constraint:
Member must satisfy regular expression pattern: [\\w+=,.@-]*"): SourceIdentity, ExternalId,
session tag keys and values (Unicode classes), SerialNumber, TokenCode (a ValidationError, not
AccessDenied; never quoted: it is a credential), GetFederationToken's Name; at most 10
PolicyArns."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import client, name

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]})


@pytest.fixture(scope="module")
def clients(auth_server):
    return client(auth_server.endpoint, "iam"), client(auth_server.endpoint, "sts")


def err(call) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def pattern(value: str | None, member: str, regex: str) -> tuple[str, str, int]:
    shown = "Value " if value is None else f"Value '{value}' "
    return ("ValidationError", f"1 validation error detected: {shown}at '{member}' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: {regex}", 400)


def test_assume_role_members_meet_their_patterns(clients):
    iam, sts = clients
    role = iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    def assume(**kw):
        return sts.assume_role(RoleArn=role, RoleSessionName="s1", **kw)

    for value in ("a b", "aws:xx", "<script>"):
        assert err(lambda: assume(SourceIdentity=value)) == \
            pattern(value, "sourceIdentity", r"[\w+=,.@-]*"), value
    assert err(lambda: assume(ExternalId="a b")) == \
        pattern("a b", "externalId", r"[\w+=,.@:\/-]*")
    assert err(lambda: assume(Tags=[{"Key": "a b!", "Value": "x"}])) == \
        pattern("a b!", "tags.1.member.key", r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+")
    assert err(lambda: assume(Tags=[{"Key": "ab", "Value": "x#"}])) == \
        pattern("x#", "tags.1.member.value", r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*")
    assert err(lambda: assume(SerialNumber="a b c d e f", TokenCode="123456")) == \
        pattern("a b c d e f", "serialNumber", r"[\w+=/:,.@-]*")
    # A code that is no code is a validation error (was AccessDenied), never quoted.
    assert err(lambda: assume(SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/x",
                              TokenCode="12345a")) == pattern(None, "tokenCode", r"[\d]*")
    # Values of the patterns' characters (any script for tags) pass on to the call.
    done = assume(SourceIdentity="alice.b@c", ExternalId="ext:1/2",
                  Tags=[{"Key": "Équipe 1", "Value": "ça:va/=+-@"}])
    assert done["SourceIdentity"] == "alice.b@c"
    # At most 10 managed session policies.
    arns = [{"arn": f"arn:aws:iam::{ACCOUNT}:policy/p{i}"} for i in range(11)]
    assert err(lambda: assume(PolicyArns=arns)) == (
        "ValidationError", "1 validation error detected: Value at 'policyArns' failed to satisfy "
        "constraint: Member must have length less than or equal to 10", 400)


def test_session_token_and_federation_members(clients):
    _, sts = clients
    assert err(lambda: sts.get_session_token(SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/x",
                                             TokenCode="abcdef")) == \
        pattern(None, "tokenCode", r"[\d]*")
    assert err(lambda: sts.get_federation_token(Name="fed", Tags=[{"Key": "k", "Value": "<v>"}])) \
        == pattern("<v>", "tags.1.member.value", r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*")
    arns = [{"arn": f"arn:aws:iam::{ACCOUNT}:policy/p{i}"} for i in range(11)]
    assert err(lambda: sts.get_federation_token(Name="fed", PolicyArns=arns))[0] == \
        "ValidationError"
