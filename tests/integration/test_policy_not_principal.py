"""A Deny with NotPrincipal exempts only the principals it names themselves (review finding).
AWS's own example (IAM User Guide, NotPrincipal: "deny everyone except Bob") lists Bob's ARN and
his account's root ARN, the account because "AWS might validate the account first"; listing the
account made every user and role session of that account exempt. The account ARN exempts only
the account root; a user is exempt by its ARN, an assumed-role session only by its session ARN
("Principals must always name a specific session"), not by its role's ARN."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_access_control import (Admin, admin, allow, assert_denied, assumed, denial,  # noqa: F401
                                 doc, trust, uniq)

ROOT = f"arn:aws:iam::{ACCOUNT}:root"
READ = "secretsmanager:GetSecretValue"


def deny_all_but(admin, name, *exempt):
    admin.sm.put_resource_policy(SecretId=name, ResourcePolicy=doc(
        {"Effect": "Deny", "NotPrincipal": {"AWS": list(exempt)}, "Action": READ,
         "Resource": "*"}))


def refused(admin, creds, name, caller):
    with pytest.raises(ClientError) as e:
        admin.as_keys("secretsmanager", creds).get_secret_value(SecretId=name)
    assert_denied(e.value, denial(caller, READ, name, "deny-resource"))


def reads(admin, creds, name):
    return admin.as_keys("secretsmanager", creds).get_secret_value(SecretId=name)["SecretString"]


def test_the_account_arn_beside_bob_exempts_no_other_user(admin):
    name = uniq("np-bob")
    admin.sm.create_secret(Name=name, SecretString="v")
    bob, bob_key = admin.user(doc(allow(READ)))
    alice, alice_key = admin.user(doc(allow(READ)))
    bob_arn = f"arn:aws:iam::{ACCOUNT}:user/{bob}"
    deny_all_but(admin, name, bob_arn, ROOT)
    assert reads(admin, bob_key, name) == "v"
    refused(admin, alice_key, name, f"arn:aws:iam::{ACCOUNT}:user/{alice}")
    # The root the account ARN names is exempt.
    assert admin.sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    # An account id is the account ARN.
    deny_all_but(admin, name, bob_arn, ACCOUNT)
    refused(admin, alice_key, name, f"arn:aws:iam::{ACCOUNT}:user/{alice}")
    assert admin.sm.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_a_role_session_is_exempt_only_by_its_session_arn(admin):
    name = uniq("np-role")
    admin.sm.create_secret(Name=name, SecretString="v")
    role, role_arn = admin.role(doc(allow(READ)), trust_policy=trust())
    app = admin.session(role_arn, "app")
    other = admin.session(role_arn, "other")
    # AWS's example for a role session: the session, its role and the account.
    deny_all_but(admin, name, assumed(role, "app"), role_arn, ROOT)
    assert reads(admin, app, name) == "v"
    refused(admin, other, name, assumed(role, "other"))
    # The role and the account without the session exempt none of its sessions.
    deny_all_but(admin, name, role_arn, ROOT)
    refused(admin, app, name, assumed(role, "app"))
