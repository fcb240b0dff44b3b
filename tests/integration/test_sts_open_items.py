"""STS and IAM simulation items AWS documents and Arcana answered otherwise.

Role chaining with a source identity: "The value that is set cannot be changed during the role
session", and "If the user attempts to set a source identity that is different from the value
set when CriticalRole was assumed, the assume role request will be denied" (IAM User Guide,
Monitor and control actions taken with assumed roles, Role chaining and cross-account
requirements). Arcana kept the first value and answered 200, so the caller was told nothing.
"""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import client, code_of, name


def _trust(actions, condition=None):
    st = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
          "Action": actions}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


def _session_client(auth_server, service, creds):
    return client(auth_server.endpoint, service, creds["AccessKeyId"], creds["SecretAccessKey"],
                  creds["SessionToken"])


def test_chained_assume_role_cannot_change_the_source_identity(iam, auth_server):
    sts = client(auth_server.endpoint, "sts")
    first_name = name("si-a")
    # Both trust policies allow setting any source identity, so only the change is refused.
    first = iam.create_role(RoleName=first_name, AssumeRolePolicyDocument=_trust(
        ["sts:AssumeRole", "sts:SetSourceIdentity"]))["Role"]["Arn"]
    second_name = name("si-b")
    second = iam.create_role(RoleName=second_name, AssumeRolePolicyDocument=_trust(
        ["sts:AssumeRole", "sts:SetSourceIdentity"]))["Role"]["Arn"]
    for role in (first_name, second_name):
        iam.put_role_policy(RoleName=role, PolicyName="chain", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                 "Resource": "*"}]}))
    out = sts.assume_role(RoleArn=first, RoleSessionName="s1", SourceIdentity="alice")
    assert out["SourceIdentity"] == "alice"
    chained = _session_client(auth_server, "sts", out["Credentials"])

    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=second, RoleSessionName="s2", SourceIdentity="mallory")
    assert code_of(e.value) == ("AccessDenied", 403)
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/{first_name}/s1"
    assert e.value.response["Error"]["Message"] == (
        f"User: {caller} is not authorized to perform: sts:SetSourceIdentity on resource: "
        f"{second}")
    # Refused whether or not the role exists (no probing for role names through it).
    missing = f"arn:aws:iam::{ACCOUNT}:role/{name('si-none')}"
    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=missing, RoleSessionName="s2", SourceIdentity="mallory")
    assert code_of(e.value) == ("AccessDenied", 403)
    assert "sts:SetSourceIdentity" in e.value.response["Error"]["Message"]

    # Values differing only in case are different source identities.
    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=second, RoleSessionName="s2", SourceIdentity="Alice")
    assert code_of(e.value) == ("AccessDenied", 403)

    # Repeating the same value, or leaving it out, keeps it.
    again = chained.assume_role(RoleArn=second, RoleSessionName="s2", SourceIdentity="alice")
    assert again["SourceIdentity"] == "alice"
    kept = chained.assume_role(RoleArn=second, RoleSessionName="s3")
    assert kept["SourceIdentity"] == "alice"
    # And the next link of the chain is held to it as well.
    third = _session_client(auth_server, "sts", kept["Credentials"])
    with pytest.raises(ClientError) as e:
        third.assume_role(RoleArn=first, RoleSessionName="s4", SourceIdentity="bob")
    assert code_of(e.value) == ("AccessDenied", 403)
    assert "sts:SetSourceIdentity" in e.value.response["Error"]["Message"]
    assert third.assume_role(RoleArn=first, RoleSessionName="s4")["SourceIdentity"] == "alice"
