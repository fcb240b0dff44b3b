"""AssumeRole's SourceIdentity, as AWS handles it: setting it needs sts:SetSourceIdentity in
the role's trust policy (with sts:SourceIdentity as a condition key), the answer carries it,
and every session chained from that session keeps it (the next trust policy must allow
sts:SetSourceIdentity as well, and sees it as aws:SourceIdentity)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import client, code_of, name


def trust(actions, condition=None):
    st = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
          "Action": actions}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


def test_source_identity_needs_set_source_identity_and_persists(iam, auth_server):
    sts = client(auth_server.endpoint, "sts")
    plain = iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=trust(
        "sts:AssumeRole"))["Role"]["Arn"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=plain, RoleSessionName="ss", SourceIdentity="alice")
    assert code_of(e.value) == ("AccessDenied", 403)
    assert "sts:SetSourceIdentity" in e.value.response["Error"]["Message"]
    only_alice = iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=trust(
        ["sts:AssumeRole", "sts:SetSourceIdentity"],
        {"StringEquals": {"sts:SourceIdentity": "alice"}}))["Role"]["Arn"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=only_alice, RoleSessionName="ss", SourceIdentity="bob")
    assert code_of(e.value) == ("AccessDenied", 403)
    out = sts.assume_role(RoleArn=only_alice, RoleSessionName="ss", SourceIdentity="alice")
    assert out["SourceIdentity"] == "alice"
    assert "SourceIdentity" not in sts.assume_role(RoleArn=plain, RoleSessionName="ss")
    # Chained: the source identity comes along, so the next role must allow setting it.
    iam.put_role_policy(RoleName=only_alice.rsplit("/", 1)[1], PolicyName="p",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Resource": "*",
                             "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}]}))
    creds = out["Credentials"]
    chained = client(auth_server.endpoint, "sts", creds["AccessKeyId"], creds["SecretAccessKey"],
                     creds["SessionToken"])
    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=plain, RoleSessionName="cc")
    assert code_of(e.value) == ("AccessDenied", 403)
    keyed = iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=trust(
        ["sts:AssumeRole", "sts:SetSourceIdentity"],
        {"StringEquals": {"aws:SourceIdentity": "alice"}}))["Role"]["Arn"]
    again = chained.assume_role(RoleArn=keyed, RoleSessionName="cc")
    assert again["SourceIdentity"] == "alice"


def test_source_identity_reaches_every_services_policies(iam, auth_server):
    """A session's SourceIdentity is aws:SourceIdentity to Secrets Manager's policy check too:
    a Deny on it refuses the call, for that source identity only."""
    sts = client(auth_server.endpoint, "sts")
    role = name("r")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(
        ["sts:AssumeRole", "sts:SetSourceIdentity"]))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceIdentity": "mallory"}}}]}))

    def list_as(source_identity):
        c = sts.assume_role(RoleArn=arn, RoleSessionName="si",
                            SourceIdentity=source_identity)["Credentials"]
        return client(auth_server.endpoint, "secretsmanager", c["AccessKeyId"],
                      c["SecretAccessKey"], c["SessionToken"]).list_secrets()

    list_as("alice")
    with pytest.raises(ClientError) as e:
        list_as("mallory")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
