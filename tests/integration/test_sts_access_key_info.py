"""STS GetAccessKeyInfo through boto3 and the aws CLI: the account that owns an access key id
(an IAM user's key, the account root's, a session's from AssumeRole or GetSessionToken),
whatever the key's state, as AWS documents; the id's model constraints as ValidationError; a
key Arcana does not hold as NoSuchEntity (AWS reads the account out of its own ids, which
Arcana cannot do for a key it never issued); sts:GetAccessKeyInfo required, as AWS requires
it, so an explicit Deny refuses it before anything is looked up; each call audited."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_cli import run_cli
from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET, wait_for
from test_iam import TRUST_ACCOUNT, code_of, name
from test_sts import creds_client, expire_session, iam, sts  # noqa: F401 (fixtures)

UNKNOWN = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example id: never issued by Arcana
ALLOW_INFO = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:GetAccessKeyInfo", "Resource": "*"}]})
ALLOW_STS_DENY_INFO = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:*", "Resource": "*"},
    {"Effect": "Deny", "Action": "sts:GetAccessKeyInfo", "Resource": "*"}]})


@pytest.fixture(scope="module")
def sts_unvalidated(auth_server):
    """The root's STS client without botocore's own checks of the input (it refuses a short id
    before sending it), so the server's validation is what answers."""
    return boto3.client("sts", endpoint_url=auth_server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                        config=Config(parameter_validation=False, retries={"max_attempts": 0}))


def new_user(iam, policy: str | None = None) -> tuple[str, dict]:
    u = name("aki")
    iam.create_user(UserName=u)
    if policy is not None:
        iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=policy)
    return u, iam.create_access_key(UserName=u)["AccessKey"]


def account_of(sts, access_key_id: str) -> str:
    out = sts.get_access_key_info(AccessKeyId=access_key_id)
    assert set(out) == {"Account", "ResponseMetadata"}, out
    return out["Account"]


def audit_records(auth_server) -> list[dict]:
    out = []
    for f in sorted(Path(auth_server.data_dir, "audit").glob("*.jsonl")):
        if ".digests." not in f.name:
            out += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return out


def test_user_and_root_keys_answer_their_account_whatever_their_state(iam, sts):
    u, key = new_user(iam)
    kid = key["AccessKeyId"]
    assert account_of(sts, kid) == ACCOUNT
    assert account_of(sts, ROOT_AKID) == ACCOUNT
    # AWS: "This operation does not indicate the state of the access key": inactive still
    # answers its account.
    iam.update_access_key(UserName=u, AccessKeyId=kid, Status="Inactive")
    assert account_of(sts, kid) == ACCOUNT
    # Deleted: Arcana no longer holds it, so it cannot say whose it was.
    iam.delete_access_key(UserName=u, AccessKeyId=kid)
    with pytest.raises(ClientError) as e:
        sts.get_access_key_info(AccessKeyId=kid)
    assert code_of(e.value) == ("NoSuchEntity", 404)
    iam.delete_user(UserName=u)


def test_session_keys_answer_their_account_even_once_expired(iam, sts, auth_server):
    role = iam.create_role(RoleName=name("akr"), AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="aki",
                              DurationSeconds=900)["Credentials"]
    root_session = sts.get_session_token(DurationSeconds=900)["Credentials"]
    _, key = new_user(iam)
    user_session = creds_client(auth_server, "sts", key).get_session_token(
        DurationSeconds=900)["Credentials"]
    for creds in (assumed, root_session, user_session):
        assert creds["AccessKeyId"].startswith("ASIA")
        assert account_of(sts, creds["AccessKeyId"]) == ACCOUNT
    # A session may ask about its own key when its role allows the action.
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=ALLOW_INFO)
    as_session = creds_client(auth_server, "sts", assumed)
    assert account_of(as_session, assumed["AccessKeyId"]) == ACCOUNT
    # An expired session no longer signs, but its key still names its account until purged.
    expire_session(auth_server, assumed["AccessKeyId"])
    assert account_of(sts, assumed["AccessKeyId"]) == ACCOUNT


def test_key_arcana_does_not_hold_is_no_such_entity(sts):
    for kid in (UNKNOWN, "ASIAIOSFODNN7EXAMPLE", "0123456789abcdef"):
        with pytest.raises(ClientError) as e:
            sts.get_access_key_info(AccessKeyId=kid)
        assert code_of(e.value) == ("NoSuchEntity", 404)
        assert e.value.response["Error"] == {
            "Type": "Sender", "Code": "NoSuchEntity",
            "Message": f"The Access Key with id {kid} cannot be found."}


def test_id_constraints_are_validation_errors(sts_unvalidated, sts):
    # Shorter than 16 (the server's check; botocore's own would refuse it before sending).
    with pytest.raises(ClientError) as e:
        sts_unvalidated.get_access_key_info(AccessKeyId="AKIASHORT")
    assert code_of(e.value) == ("ValidationError", 400)
    assert e.value.response["Error"] == {
        "Type": "Sender", "Code": "ValidationError",
        "Message": "1 validation error detected: Value 'AKIASHORT' at 'accessKeyId' failed to "
                   "satisfy constraint: Member must have length greater than or equal to 16"}
    # Longer than 128.
    with pytest.raises(ClientError) as e:
        sts_unvalidated.get_access_key_info(AccessKeyId="A" * 129)
    assert code_of(e.value) == ("ValidationError", 400)
    assert "Member must have length less than or equal to 128" in \
        e.value.response["Error"]["Message"]
    # Not [\w]* (botocore does not check patterns: this reaches the server as it is).
    with pytest.raises(ClientError) as e:
        sts.get_access_key_info(AccessKeyId="AKIA-NOT-A-KEY-ID!")
    assert e.value.response["Error"] == {
        "Type": "Sender", "Code": "ValidationError",
        "Message": "1 validation error detected: Value 'AKIA-NOT-A-KEY-ID!' at 'accessKeyId' "
                   "failed to satisfy constraint: Member must satisfy regular expression "
                   "pattern: [\\w]*"}


def test_needs_sts_get_access_key_info(iam, auth_server):
    # Allowed: the user may ask about any key, its own included.
    _, allowed = new_user(iam, ALLOW_INFO)
    as_allowed = creds_client(auth_server, "sts", allowed)
    assert account_of(as_allowed, allowed["AccessKeyId"]) == ACCOUNT
    assert account_of(as_allowed, ROOT_AKID) == ACCOUNT
    # Explicitly denied (though allowed sts:*): refused, before the key is looked up, so a
    # denied caller cannot tell a held key from one that is not.
    denied_user, denied = new_user(iam, ALLOW_STS_DENY_INFO)
    as_denied = creds_client(auth_server, "sts", denied)
    for kid in (allowed["AccessKeyId"], UNKNOWN):
        with pytest.raises(ClientError) as e:
            as_denied.get_access_key_info(AccessKeyId=kid)
        assert code_of(e.value) == ("AccessDenied", 403)
        assert e.value.response["Error"]["Message"] == (
            f"User: arn:aws:iam::{ACCOUNT}:user/{denied_user} is not authorized to perform: "
            "sts:GetAccessKeyInfo with an explicit deny in an identity-based policy")
    # GetCallerIdentity, which AWS lets anyone call, still answers under that Deny.
    assert as_denied.get_caller_identity()["Account"] == ACCOUNT
    # No policy at all: implicitly denied.
    bare_user, bare = new_user(iam)
    with pytest.raises(ClientError) as e:
        creds_client(auth_server, "sts", bare).get_access_key_info(AccessKeyId=ROOT_AKID)
    assert code_of(e.value) == ("AccessDenied", 403)
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/{bare_user} is not authorized to perform: "
        "sts:GetAccessKeyInfo because no identity-based policy allows the "
        "sts:GetAccessKeyInfo action")


def test_aws_cli(iam, auth_server, tmp_path):
    _, key = new_user(iam)

    def aws(*args, akid=ROOT_AKID, secret=ROOT_SECRET):
        return run_cli(auth_server.endpoint, tmp_path, akid, secret, "sts", *args)

    p = aws("get-access-key-info", "--access-key-id", key["AccessKeyId"])
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"Account": ACCOUNT}
    p = aws("get-access-key-info", "--access-key-id", UNKNOWN)
    assert p.returncode != 0 and "(NoSuchEntity)" in p.stderr, p.stderr
    p = aws("get-access-key-info", "--access-key-id", "AKIA-NOT-A-KEY-ID!")
    assert p.returncode != 0 and "(ValidationError)" in p.stderr, p.stderr
    p = aws("get-access-key-info", "--access-key-id", ROOT_AKID,
            akid=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert p.returncode != 0 and "(AccessDenied)" in p.stderr, p.stderr


def test_calls_are_audited(iam, sts, auth_server):
    _, denied = new_user(iam, ALLOW_STS_DENY_INFO)
    assert account_of(sts, ROOT_AKID) == ACCOUNT
    with pytest.raises(ClientError):
        creds_client(auth_server, "sts", denied).get_access_key_info(AccessKeyId=ROOT_AKID)

    def both():
        recs = [r for r in audit_records(auth_server) if r.get("eventName") == "GetAccessKeyInfo"]
        ok = [r for r in recs if not r.get("errorCode")
              and r["userIdentity"].get("accessKeyId") == ROOT_AKID]
        refused = [r for r in recs if r.get("errorCode") == "AccessDenied"
                   and r["userIdentity"].get("accessKeyId") == denied["AccessKeyId"]]
        return (ok[-1], refused[-1]) if ok and refused else None

    ok, refused = wait_for(both, what="GetAccessKeyInfo audit records")
    for r in (ok, refused):
        assert r["eventSource"] == "sts.amazonaws.com"
        assert r["eventType"] == "AwsApiCall" and r["readOnly"] is True
        assert r["recipientAccountId"] == ACCOUNT and r["requestID"]
        # An access key id is no secret (CloudTrail records it): the allow-list keeps it.
        assert r["requestParameters"]["accessKeyId"] == ROOT_AKID
    assert ok["userIdentity"]["type"] == "Root"
    assert ok.get("responseElements") is None  # a read: no response elements, as CloudTrail
    assert refused["userIdentity"]["type"] == "IAMUser"


def test_credential_calls_are_read_only_records_with_their_response_elements(iam, sts,
                                                                             auth_server):
    """CloudTrail records AssumeRole readOnly true with its responseElements (the issued
    credentials' access key id and the assumed-role user; a recorded AssumeRole event,
    LookupEvents ReadOnly "true"), and GetSessionToken likewise; the secret access key is
    never in a record."""
    role = name("ro-assume")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}",
                              RoleSessionName="audited")["Credentials"]
    session = sts.get_session_token()["Credentials"]

    def record(op, key_id):
        for r in reversed(audit_records(auth_server)):
            if r.get("eventName") == op and key_id in json.dumps(r.get("responseElements")):
                return r
        return None

    r = wait_for(lambda: record("AssumeRole", assumed["AccessKeyId"]),
                 what="the AssumeRole audit record")
    assert r["readOnly"] is True and r["eventSource"] == "sts.amazonaws.com"
    assert r["responseElements"]["credentials"]["accessKeyId"] == assumed["AccessKeyId"]
    assert r["responseElements"]["assumedRoleUser"]["arn"].endswith(f":assumed-role/{role}/audited")
    g = wait_for(lambda: record("GetSessionToken", session["AccessKeyId"]),
                 what="the GetSessionToken audit record")
    assert g["readOnly"] is True
    text = json.dumps([r, g])
    assert assumed["SecretAccessKey"] not in text and session["SecretAccessKey"] not in text
