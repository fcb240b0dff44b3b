"""IAM's credential report and context-key calls through boto3: GenerateCredentialReport,
GetCredentialReport, GetContextKeysForCustomPolicy, GetContextKeysForPrincipalPolicy.

The expected answers, by source:
- recorded: LocalStack's AWS-validated test_iam_credential_report.py snapshot (2026-02):
  GetCredentialReport before any report is ReportNotPresent 410 with no message; AWS's
  answers quoted in users' reports (prowler#272, a Turbot blog): the first Generate answers
  STARTED "No report exists. Starting a new report generation task", later ones COMPLETE with
  no Description.
- the IAM User Guide ("Getting credential reports"): the 22 columns in their order, the
  root's line "<root_account>" with "not_supported" passwords, N/A for what is not there,
  times as 2017-06-10T02:35:07+00:00 (as AWS's reports write them), lower-case true/false.
- the AWS CLI reference's example of GetContextKeysForCustomPolicy (a real call's output):
  condition keys and the policy variables of resources, as written, in the order they appear.
Runs on each store (ARCANA_TEST_STORE)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import name
from test_iam_mfa import Device
from test_sts import iam  # noqa: F401 (a fixture)
from test_sts_access_key_info import new_user

COLUMNS = ("user,arn,user_creation_time,password_enabled,password_last_used,"
           "password_last_changed,password_next_rotation,mfa_active,access_key_1_active,"
           "access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,"
           "access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
           "access_key_2_last_used_date,access_key_2_last_used_region,"
           "access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,"
           "cert_2_last_rotated").split(",")
WHEN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def report_rows(iam) -> list[dict]:
    content = iam.get_credential_report()
    assert content["ReportFormat"] == "text/csv"
    text = content["Content"].decode()
    assert text.splitlines()[0].split(",") == COLUMNS
    return list(csv.DictReader(io.StringIO(text)))


def test_credential_report(iam, auth_server):
    # The module's server is shared: a report may exist already (another module, or a rerun).
    first = iam.generate_credential_report()
    if first["State"] == "STARTED" and "Description" in first:
        assert first["Description"] == "No report exists. Starting a new report generation task"
    again = iam.generate_credential_report()
    assert {k: v for k, v in again.items() if k != "ResponseMetadata"} == {"State": "COMPLETE"}
    before = {r["user"] for r in report_rows(iam)}

    # A report is kept for four hours: users made since are not in it yet.
    user, key = new_user(iam)
    assert user not in {r["user"] for r in report_rows(iam)}
    assert before  # the root at least


def test_credential_report_rows(iam, auth_server, tmp_path):
    """A fresh server, so the report is made now: the root's line first, then each user's,
    with MFA and keys as they are."""
    from test_root_of_trust import AKID, SECRET, Server  # a server of this test's own
    from test_iam import client

    server = Server(tmp_path / "data").start()
    try:
        own = client(server.endpoint, "iam", AKID, SECRET)
        with pytest.raises(ClientError) as e:
            own.get_credential_report()
        r = e.value.response
        assert (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]) == \
            ("ReportNotPresent", 410)
        assert "Message" not in r["Error"] or r["Error"]["Message"] == ""
        plain = name("cr-plain")
        own.create_user(UserName=plain)
        keyed, key = new_user(own)
        own.update_access_key(UserName=keyed, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        own.create_access_key(UserName=keyed)
        with_mfa, _ = new_user(own)
        Device(own).enable(own, with_mfa)

        first = own.generate_credential_report()
        assert {k: v for k, v in first.items() if k != "ResponseMetadata"} == {
            "State": "STARTED",
            "Description": "No report exists. Starting a new report generation task"}
        got = own.get_credential_report()
        assert got["GeneratedTime"].year >= 2024
        rows = report_rows(own)
        root = rows[0]
        assert root["user"] == "<root_account>" and root["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
        assert (root["password_enabled"], root["password_last_changed"],
                root["password_next_rotation"]) == ("not_supported",) * 3
        assert root["access_key_1_active"] == "true"  # the root's own key (AKID)
        by_user = {r["user"]: r for r in rows[1:]}
        assert [r["user"] for r in rows[1:]] == sorted(by_user, key=str.lower)
        p = by_user[plain]
        assert p["arn"] == f"arn:aws:iam::{ACCOUNT}:user/{plain}"
        assert WHEN.match(p["user_creation_time"])
        assert [p[c] for c in COLUMNS[3:]] == [
            "false", "N/A", "N/A", "N/A", "false",
            "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A",
            "false", "N/A", "false", "N/A"]
        k = by_user[keyed]
        assert (k["access_key_1_active"], k["access_key_2_active"]) == ("false", "true")
        assert WHEN.match(k["access_key_1_last_rotated"]) and WHEN.match(k["access_key_2_last_rotated"])
        assert k["mfa_active"] == "false" and by_user[with_mfa]["mfa_active"] == "true"
    finally:
        server.stop()


def test_context_keys_for_custom_policy(iam):
    """The CLI reference's example: ["aws:username", "aws:CurrentTime"]."""
    example = {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "dynamodb:*",
        "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}}}}
    out = iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps(example)])
    assert out["ContextKeyNames"] == ["aws:username", "aws:CurrentTime"]
    second = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "s3:*", "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"},
                      "StringEquals": {"AWS:CurrentTime": "x",  # the same key, another case
                                       "aws:PrincipalTag/team": "${aws:PrincipalTag/team, 'x'}"}}}]}
    out = iam.get_context_keys_for_custom_policy(
        PolicyInputList=[json.dumps(example), json.dumps(second)])
    assert out["ContextKeyNames"] == ["aws:username", "aws:CurrentTime",
                                      "aws:MultiFactorAuthPresent", "aws:PrincipalTag/team"]
    with pytest.raises(ClientError) as e:
        iam.get_context_keys_for_custom_policy(PolicyInputList=["{not json"])
    assert (e.value.response["Error"]["Code"],
            e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidInput", 400)


def test_context_keys_for_principal_policy(iam):
    """A user's keys come from its own policies and its groups' (the API reference), a
    missing user is NoSuchEntity."""
    user, group = name("ck-user"), name("ck-group")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="own", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]}))
    iam.put_group_policy(GroupName=group, PolicyName="grp", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}))
    arn = f"arn:aws:iam::{ACCOUNT}:user/{user}"
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert sorted(keys) == sorted(["aws:ResourceTag/team", "aws:PrincipalTag/team",
                                   "aws:SourceIp"])
    extra = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]})
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn,
                                                     PolicyInputList=[extra])["ContextKeyNames"]
    assert keys[-1] == "aws:SecureTransport"
    group_keys = iam.get_context_keys_for_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:group/{group}")["ContextKeyNames"]
    assert group_keys == ["aws:SourceIp"]
    missing = name("nobody")
    with pytest.raises(ClientError) as e:
        iam.get_context_keys_for_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{missing}")
    r = e.value.response
    assert (r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]) == \
        ("NoSuchEntity", f"The user with name {missing} cannot be found.", 404)
