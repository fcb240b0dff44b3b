"""IAM and STS answers as real AWS recorded them.

Each test replays one scenario of LocalStack's AWS-validated snapshot suites (recorded against
AWS; a scenario counts when its id is in the matching *.validation.json):
tests/aws/services/sts/test_sts.py and tests/aws/services/iam/test_iam_*.py with their
.snapshot.json. The tests assert what AWS answered: error codes, messages and HTTP statuses,
which members a response carries, and list order. Volatile values (ids, dates, keys) are
compared by shape, as the snapshots' placeholders do.

Left out: operations Arcana does not implement (login profiles, instance profiles, MFA, SSH and
service-specific credentials, GetWebIdentityToken; UpdateGroup's scenarios are replayed in
test_iam_sts_aws_recorded_sweep.py), AWS managed
policies (Arcana holds none), GetAccountSummary's deltas for kinds Arcana does not have
(instance profiles, identity providers, MFA devices, server certificates: always 0), the
order of UpdateAccountPasswordPolicy's range errors in one message (AWS lists minimum length,
reuse prevention, then maximum age; Arcana the model's order: each violation is checked), the
PackedPolicySize value AWS computes from its packed form (only its presence is checked),
tag-pattern messages where AWS's IAM and Arcana's differ, and the cases of test_create_policy_invalid_document that
depend on AWS's resource-ARN normalisation and per-service resource rules (21, 24, 35-38,
55, 56).
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET, ArcanaServer
from test_iam import client, name
from test_sts import creds_client, iam, sts  # noqa: F401 (iam, sts: fixtures)


def err(e: pytest.ExceptionInfo) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def body(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


SAMPLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
TRUST_ACCOUNT_ID = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ACCOUNT}}]})
TRUST_ACCOUNT_TAGS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
     "Principal": {"AWS": ACCOUNT}}]})
NOT_FOUND = "The {} with name {} cannot be found."


# --------------------------------------------------------------------------------- STS

def test_sts_assume_role(iam, sts):
    """test_sts.py::TestSTSIntegrations::test_assume_role: AssumeRole without session policies
    or tags answers Credentials and AssumedRoleUser only (AWS sends no PackedPolicySize);
    AssumedRoleId is <role-id>:<session name>."""
    r = name("role")
    role = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT_ID)["Role"]
    out = body(sts.assume_role(RoleArn=role["Arn"], RoleSessionName="test-assume-role-1"))
    assert sorted(out) == ["AssumedRoleUser", "Credentials"]
    assert out["AssumedRoleUser"] == {
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{r}/test-assume-role-1",
        "AssumedRoleId": f"{role['RoleId']}:test-assume-role-1"}
    assert sorted(out["Credentials"]) == ["AccessKeyId", "Expiration", "SecretAccessKey",
                                          "SessionToken"]


def test_sts_get_federation_token(sts):
    """test_sts.py::TestSTSIntegrations::test_get_federation_token: Credentials, FederatedUser
    (federated-user ARN, FederatedUserId ACCOUNT:NAME) and PackedPolicySize 0 without a
    session policy."""
    out = body(sts.get_federation_token(Name="TestNameabc123", DurationSeconds=900))
    assert sorted(out) == ["Credentials", "FederatedUser", "PackedPolicySize"]
    assert out["FederatedUser"] == {
        "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/TestNameabc123",
        "FederatedUserId": f"{ACCOUNT}:TestNameabc123"}
    assert out["PackedPolicySize"] == 0
    assert sorted(out["Credentials"]) == ["AccessKeyId", "Expiration", "SecretAccessKey",
                                          "SessionToken"]


def test_sts_assume_role_with_policy(iam, sts):
    """test_sts.py::TestSTSIntegrations::test_assume_role_with_policy: with a session Policy
    AWS answers PackedPolicySize (an integer percentage) next to Credentials and
    AssumedRoleUser."""
    r = name("role")
    role = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT_ID)["Role"]
    out = body(sts.assume_role(RoleArn=role["Arn"], RoleSessionName="sess",
                               Policy=SAMPLE_POLICY))
    assert sorted(out) == ["AssumedRoleUser", "Credentials", "PackedPolicySize"]
    assert isinstance(out["PackedPolicySize"], int) and 0 < out["PackedPolicySize"] < 100


@pytest.mark.parametrize("arn", [
    "nothing-valid-in-here",
    "arn::b:::something/test-role",
    "arn:a::::something/test-role",
    "arn:a:::something/test-role",
    "arn:a:a::aaaaaaaaaa:",
])
def test_sts_invalid_role_arns(auth_server, arn):
    """test_sts.py::TestSTSIntegrations::test_sts_invalid_parameters (client-side validation
    off): a RoleArn that is not an ARN is ValidationError 400 "<arn> is invalid"."""
    c = boto_unvalidated(auth_server, "sts")
    with pytest.raises(ClientError) as e:
        c.assume_role(RoleArn=arn, RoleSessionName="Session1")
    assert err(e) == ("ValidationError", f"{arn} is invalid", 400)
    assert e.value.response["Error"]["Type"] == "Sender"


def test_sts_invalid_session_name(auth_server):
    """test_sts.py::TestSTSIntegrations::test_sts_invalid_parameters, invalid-session-name:
    the session name's pattern is checked before the ARN."""
    c = boto_unvalidated(auth_server, "sts")
    with pytest.raises(ClientError) as e:
        c.assume_role(RoleArn="arn:a:b:::something/test-role", RoleSessionName="Session1:2")
    assert err(e) == ("ValidationError",
                      "1 validation error detected: Value 'Session1:2' at 'roleSessionName' "
                      "failed to satisfy constraint: Member must satisfy regular expression "
                      "pattern: [\\w+=,.@-]*", 400)


def test_sts_session_name_too_long(iam, auth_server):
    """test_sts.py::TestSTSIntegrations::test_assume_role_session_name_too_long."""
    r = name("role")
    arn = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT_ID)["Role"]["Arn"]
    c = boto_unvalidated(auth_server, "sts")
    with pytest.raises(ClientError) as e:
        c.assume_role(RoleArn=arn, RoleSessionName="s" * 65)
    assert err(e) == ("ValidationError",
                      "1 validation error detected: Value '" + "s" * 65 + "' at "
                      "'roleSessionName' failed to satisfy constraint: Member must have length "
                      "less than or equal to 64", 400)


def test_sts_assume_role_tag_validation(iam, sts):
    """test_sts.py::TestSTSAssumeRoleTagging::test_assume_role_tag_validation: a transitive key
    that is not a tag, and two tags whose keys differ only in case, are InvalidParameterValue
    400; transitive keys match tag keys case-insensitively ("sessiontag1" names
    "SessionTag1")."""
    r = name("role")
    arn = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT_TAGS)["Role"]["Arn"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="SessionInvalidTransitiveKeys",
                        Tags=[{"Key": "SessionTag1", "Value": "SessionValue1"}],
                        TransitiveTagKeys=["InvalidKey"])
    assert err(e) == ("InvalidParameterValue",
                      "The specified transitive tag key must be included in the requested tags.",
                      400)
    sts.assume_role(RoleArn=arn, RoleSessionName="SessionInvalidCasingTransitiveKeys",
                    Tags=[{"Key": "SessionTag1", "Value": "SessionValue1"}],
                    TransitiveTagKeys=["sessiontag1"])
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="SessionInvalidCasingTransitiveKeys",
                        Tags=[{"Key": "SessionTag1", "Value": "SessionValue1"},
                              {"Key": "sessiontag1", "Value": "SessionValue2"}],
                        TransitiveTagKeys=["sessiontag1"])
    assert err(e) == ("InvalidParameterValue",
                      "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
                      400)


def test_sts_role_chaining_override_transitive_tags(iam, sts, auth_server):
    """test_sts.py::TestSTSAssumeRoleTagging::test_iam_role_chaining_override_transitive_tags:
    a chained session may not set a transitive key of the calling session to another value,
    whatever the key's case: InvalidParameterValue 400."""
    r1, r2 = name("role-1"), name("role-2")
    arn1 = iam.create_role(RoleName=r1, AssumeRolePolicyDocument=TRUST_ACCOUNT_TAGS)["Role"]["Arn"]
    arn2 = iam.create_role(RoleName=r2, AssumeRolePolicyDocument=TRUST_ACCOUNT_TAGS)["Role"]["Arn"]
    iam.put_role_policy(RoleName=r1, PolicyName="chain", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
             "Resource": [arn2]}]}))
    keys = sts.assume_role(RoleArn=arn1, RoleSessionName="Session1",
                           Tags=[{"Key": "SessionTag1", "Value": "SessionValue1"}],
                           TransitiveTagKeys=["SessionTag1"])["Credentials"]
    chained = creds_client(auth_server, "sts", keys)
    msg = ("One of the specified transitive tag keys can't be set because it conflicts with a "
           "transitive tag key from the calling session.")
    for key in ("SessionTag1", "sessiontag1"):
        with pytest.raises(ClientError) as e:
            chained.assume_role(RoleArn=arn2, RoleSessionName="Session2SessionTagOverride",
                                Tags=[{"Key": key, "Value": "SessionValue2"}])
        assert err(e) == ("InvalidParameterValue", msg, 400)


def test_sts_caller_identity_with_user_and_role_credentials(iam, sts, auth_server):
    """test_sts.py::TestSTSCallerIdentity::test_get_caller_identity_with_iam_user_credentials
    and ..._with_assumed_role_credentials: a user's key answers the user's ARN and id; an
    assumed role's answers arn:aws:sts::<account>:assumed-role/<role>/<session> and
    <role-id>:<session>."""
    u = name("user")
    user = iam.create_user(UserName=u)["User"]
    key = iam.create_access_key(UserName=u)["AccessKey"]
    ident = body(creds_client(auth_server, "sts", key).get_caller_identity())
    assert ident == {"Account": ACCOUNT, "Arn": user["Arn"], "UserId": user["UserId"]}
    r = name("role")
    role = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT_ID)["Role"]
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="sess")["Credentials"]
    ident = body(creds_client(auth_server, "sts", creds).get_caller_identity())
    assert ident == {"Account": ACCOUNT,
                     "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{r}/sess",
                     "UserId": f"{role['RoleId']}:sess"}


def boto_unvalidated(auth_server, service):
    from conftest import ROOT_AKID, ROOT_SECRET
    import boto3
    return boto3.client(service, endpoint_url=auth_server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                        config=Config(parameter_validation=False,
                                      retries={"max_attempts": 0}))


# --------------------------------------------------------------------------- IAM users

@pytest.mark.parametrize("path", [None, "/", "/test-lifecycle-path/"])
def test_user_lifecycle(iam, path):
    """test_iam_users.py::TestUserLifecycle::test_user_lifecycle: User carries Path, UserName,
    UserId, Arn, CreateDate (no Tags member without tags); PathPrefix is a plain string
    prefix ("/test-life" finds "/test-lifecycle-path/"); a deleted user is NoSuchEntity 404."""
    u = name("user")
    kw = {"Path": path} if path else {}
    created = iam.create_user(UserName=u, **kw)["User"]
    p = path or "/"
    assert sorted(created) == ["Arn", "CreateDate", "Path", "UserId", "UserName"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:user{p}{u}" and created["Path"] == p
    assert iam.get_user(UserName=u)["User"] == created
    listed = iam.list_users()
    assert listed["IsTruncated"] is False
    assert [x for x in listed["Users"] if x["UserName"] == u] == [created]
    if path not in (None, "/"):
        for prefix in (path, "/test-life"):
            got = iam.list_users(PathPrefix=prefix)
            assert [x for x in got["Users"] if x["UserName"] == u] == [created]
    iam.delete_user(UserName=u)
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=u)
    assert err(e) == ("NoSuchEntity", NOT_FOUND.format("user", u), 404)


def test_user_update(iam):
    """test_iam_users.py::TestUserLifecycle::test_user_update: UpdateUser with NewUserName and
    NewPath answers an empty 200; the user keeps its UserId under the new name and path, and
    the old name is NoSuchEntity 404."""
    old, new = name("user"), name("user-new")
    created = iam.create_user(UserName=old)["User"]
    assert body(iam.update_user(UserName=old, NewUserName=new, NewPath="/new-path/")) == {}
    got = iam.get_user(UserName=new)["User"]
    assert (got["UserName"], got["Path"], got["UserId"]) == (new, "/new-path/", created["UserId"])
    assert got["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/new-path/{new}"
    assert got["CreateDate"] == created["CreateDate"]
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=old)
    assert err(e) == ("NoSuchEntity", NOT_FOUND.format("user", old), 404)
    iam.delete_user(UserName=new)


def test_renamed_user_keeps_its_keys_policies_and_groups(iam, sts, auth_server):
    """Not a recorded scenario: what a rename carries over, as IAM documents it (the user keeps
    its policies, groups and access keys): the keys still sign, now as the new ARN, with the
    user's policies; the group lists the new name; a taken name is EntityAlreadyExists 409 and
    changes nothing; a case-only rename keeps everything too."""
    old, new, g = name("user"), name("user-new"), name("group")
    iam.create_user(UserName=old, Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName=old, PolicyName="p", PolicyDocument=SAMPLE_POLICY)
    iam.create_group(GroupName=g)
    iam.add_user_to_group(GroupName=g, UserName=old)
    key = iam.create_access_key(UserName=old)["AccessKey"]
    as_user = creds_client(auth_server, "sts", key)
    assert as_user.get_caller_identity()["Arn"].endswith(f":user/{old}")
    taken = name("taken")
    iam.create_user(UserName=taken)
    with pytest.raises(ClientError) as e:
        iam.update_user(UserName=old, NewUserName=taken)
    assert err(e) == ("EntityAlreadyExists", f"User with name {taken} already exists.", 409)
    assert iam.get_user(UserName=old)["User"]["UserName"] == old

    iam.update_user(UserName=old, NewUserName=new)
    assert as_user.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{new}"
    creds_client(auth_server, "iam", key).list_users()  # the inline policy came along
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=new)["AccessKeyMetadata"]] \
        == [key["AccessKeyId"]]
    assert iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["UserName"] == new
    assert [u["UserName"] for u in iam.get_group(GroupName=g)["Users"]] == [new]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=new)["Groups"]] == [g]
    assert iam.list_user_tags(UserName=new)["Tags"] == [{"Key": "team", "Value": "blue"}]

    upper = new.upper()
    iam.update_user(UserName=new, NewUserName=upper)  # same name, other case
    assert iam.get_user(UserName=upper)["User"]["UserName"] == upper
    assert as_user.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{upper}"
    iam.remove_user_from_group(GroupName=g, UserName=upper)
    iam.delete_user_policy(UserName=upper, PolicyName="p")
    iam.delete_access_key(UserName=upper, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=upper)
    iam.delete_user(UserName=taken)
    iam.delete_group(GroupName=g)


def test_user_errors(iam):
    """test_iam_users.py::TestUserLifecycle::test_user_errors."""
    u = name("user")
    iam.create_user(UserName=u)
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=u)
    assert err(e) == ("EntityAlreadyExists", f"User with name {u} already exists.", 409)
    missing = NOT_FOUND.format("user", "nonexistent-user")
    for call in (lambda: iam.get_user(UserName="nonexistent-user"),
                 lambda: iam.update_user(UserName="nonexistent-user", NewUserName="new-name"),
                 lambda: iam.delete_user(UserName="nonexistent-user")):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity", missing, 404)


def test_delete_user_with_attached_policy(iam):
    """test_iam_users.py::TestUserLifecycle::test_delete_user_with_attached_policy: an attached
    managed policy blocks DeleteUser with "must detach all policies first"."""
    u, p = name("user"), name("policy")
    iam.create_user(UserName=u)
    arn = iam.create_policy(PolicyName=p, PolicyDocument=SAMPLE_POLICY)["Policy"]["Arn"]
    iam.attach_user_policy(UserName=u, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert err(e) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.",
                      409)
    iam.detach_user_policy(UserName=u, PolicyArn=arn)
    iam.delete_user(UserName=u)


def test_delete_user_with_inline_policy(iam):
    """test_iam_users.py::TestUserLifecycle::test_delete_user_with_inline_policy: an inline
    policy blocks DeleteUser with "must delete policies first"."""
    u = name("user")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=SAMPLE_POLICY)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert err(e) == ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_user_policy(UserName=u, PolicyName="p")
    iam.delete_user(UserName=u)


def test_access_key_lifecycle_and_status(iam):
    """test_iam_users.py::TestUserAccessKeys::test_access_key_lifecycle and
    test_access_key_update_status: a 20-character id and 40-character secret; the metadata
    lists UserName, AccessKeyId, Status, CreateDate."""
    u = name("user")
    iam.create_user(UserName=u)
    assert body(iam.list_access_keys(UserName=u)) == {"AccessKeyMetadata": [],
                                                      "IsTruncated": False}
    key = iam.create_access_key(UserName=u)["AccessKey"]
    assert sorted(key) == ["AccessKeyId", "CreateDate", "SecretAccessKey", "Status", "UserName"]
    assert len(key["AccessKeyId"]) == 20 and len(key["SecretAccessKey"]) == 40
    assert key["Status"] == "Active" and key["UserName"] == u
    meta = {k: v for k, v in key.items() if k != "SecretAccessKey"}
    assert body(iam.list_access_keys(UserName=u)) == {"AccessKeyMetadata": [meta],
                                                      "IsTruncated": False}
    for status in ("Inactive", "Active"):
        iam.update_access_key(UserName=u, AccessKeyId=key["AccessKeyId"], Status=status)
        assert iam.list_access_keys(UserName=u)["AccessKeyMetadata"][0]["Status"] == status
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    assert iam.list_access_keys(UserName=u)["AccessKeyMetadata"] == []


def test_access_key_limit(iam):
    """test_iam_users.py::TestUserAccessKeys::test_access_key_limit: a third key is
    LimitExceeded 409 "Cannot exceed quota for AccessKeysPerUser: 2"."""
    u = name("user")
    iam.create_user(UserName=u)
    iam.create_access_key(UserName=u)
    iam.create_access_key(UserName=u)
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName=u)
    assert err(e) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)


def test_access_key_errors(iam):
    """test_iam_users.py::TestUserAccessKeys::test_access_key_errors."""
    u = name("user")
    iam.create_user(UserName=u)
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="nonexistent-user")
    assert err(e) == ("NoSuchEntity", NOT_FOUND.format("user", "nonexistent-user"), 404)
    with pytest.raises(ClientError) as e:
        iam.update_access_key(UserName=u, AccessKeyId="AKIAIOSFODNN7EXAMPLE", Status="Inactive")
    assert err(e) == ("NoSuchEntity",
                      "The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found.", 404)
    # A key no user of the account owns is refused as not authorized, even to the root.
    with pytest.raises(ClientError) as e:
        iam.get_access_key_last_used(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    caller = f"arn:aws:iam::{ACCOUNT}:root"
    assert err(e) == ("AccessDenied", f"User: {caller} is not authorized to perform "
                      "iam:GetAccessKeyLastUsed on resource: access key AKIAIOSFODNN7EXAMPLE",
                      403)
    key_id = iam.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as e:
        iam.delete_access_key(AccessKeyId=key_id)
    assert err(e) == ("ValidationError",
                      "Must specify userName when calling with non-User credentials", 400)


def test_access_key_last_used(iam, auth_server):
    """test_iam_users.py::TestUserAccessKeys::test_access_key_last_used: a key never used
    answers ServiceName and Region "N/A" and no LastUsedDate; once the key signed an IAM call
    in us-east-1, LastUsedDate, ServiceName "iam" and Region "us-east-1"."""
    u = name("user")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=SAMPLE_POLICY)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    assert body(iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])) == {
        "UserName": u, "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}
    before = iam.get_user(UserName=u)["User"]["CreateDate"]
    creds_client(auth_server, "iam", key).list_users()
    out = body(iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"]))
    assert sorted(out) == ["AccessKeyLastUsed", "UserName"] and out["UserName"] == u
    used = out["AccessKeyLastUsed"]
    assert sorted(used) == ["LastUsedDate", "Region", "ServiceName"]
    assert (used["ServiceName"], used["Region"]) == ("iam", "us-east-1")
    assert used["LastUsedDate"] >= before.replace(microsecond=0)


def test_access_key_last_used_follows_the_latest_use_and_survives_a_restart(tmp_path):
    """Not a recorded scenario: the latest use wins (its service and region with it), a call
    the key signs but may not make still counts as a use (the key authenticated), and a
    restart keeps what was noted (a node flushes its pending uses when it stops)."""
    srv = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=False,
                       env={"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID,
                            "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET})
    srv.start()
    try:
        root_iam = client(srv.endpoint, "iam")
        u = name("user")
        root_iam.create_user(UserName=u)
        key = root_iam.create_access_key(UserName=u)["AccessKey"]
        sm = boto3.client("secretsmanager", endpoint_url=srv.endpoint, region_name="eu-west-1",
                          aws_access_key_id=key["AccessKeyId"],
                          aws_secret_access_key=key["SecretAccessKey"],
                          config=Config(retries={"max_attempts": 0}))
        with pytest.raises(ClientError):
            sm.list_secrets()  # no policy: denied, yet the key authenticated
        used = root_iam.get_access_key_last_used(
            AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        assert (used["ServiceName"], used["Region"]) == ("secretsmanager", "eu-west-1")
        srv.stop()
        srv.start()
        kept = client(srv.endpoint, "iam").get_access_key_last_used(
            AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        assert kept == used
    finally:
        srv.stop()


def test_access_key_deletion_without_username(iam, auth_server):
    """test_iam_users.py::TestUserAccessKeys::test_access_key_deletion_without_username: a user
    allowed iam:DeleteAccessKey deletes its own key without naming itself."""
    u = name("user")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="del", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:DeleteAccessKey", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=u)["AccessKey"]
    other = iam.create_access_key(UserName=u)["AccessKey"]
    user_iam = creds_client(auth_server, "iam", other)
    assert body(user_iam.delete_access_key(AccessKeyId=key["AccessKeyId"])) == {}
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]] \
        == [other["AccessKeyId"]]


def test_user_inline_policy_lifecycle(iam):
    """test_iam_users.py::TestUserPolicies::test_user_inline_policy_lifecycle."""
    u, p = name("user"), name("policy")
    iam.create_user(UserName=u)
    assert body(iam.list_user_policies(UserName=u)) == {"IsTruncated": False, "PolicyNames": []}
    iam.put_user_policy(UserName=u, PolicyName=p, PolicyDocument=SAMPLE_POLICY)
    assert body(iam.get_user_policy(UserName=u, PolicyName=p)) == {
        "PolicyDocument": json.loads(SAMPLE_POLICY), "PolicyName": p, "UserName": u}
    assert body(iam.list_user_policies(UserName=u)) == {"IsTruncated": False, "PolicyNames": [p]}
    iam.delete_user_policy(UserName=u, PolicyName=p)
    assert iam.list_user_policies(UserName=u)["PolicyNames"] == []


def test_user_managed_policy_lifecycle_and_errors(iam):
    """test_iam_users.py::TestUserPolicies::test_user_managed_policy_lifecycle and
    test_user_managed_policy_errors, and test_iam.py::TestIAMIntegrations::
    test_user_attach_policy (recorded 2023): CreatePolicy's Policy members; a PolicyArn that is
    no ARN is InvalidInput "ARN <value> is not valid."; attaching a policy that does not exist
    is NoSuchEntity "... does not exist or is not attachable."; detaching one that is not
    attached is NoSuchEntity "Policy <arn> was not found."."""
    u, p = name("user"), name("test-policy")
    iam.create_user(UserName=u)
    pol = iam.create_policy(PolicyName=p, PolicyDocument=SAMPLE_POLICY)["Policy"]
    assert sorted(pol) == ["Arn", "AttachmentCount", "CreateDate", "DefaultVersionId",
                           "IsAttachable", "Path", "PermissionsBoundaryUsageCount", "PolicyId",
                           "PolicyName", "UpdateDate"]
    assert (pol["AttachmentCount"], pol["DefaultVersionId"], pol["IsAttachable"], pol["Path"],
            pol["PermissionsBoundaryUsageCount"]) == (0, "v1", True, "/", 0)
    arn = pol["Arn"]
    assert body(iam.list_attached_user_policies(UserName=u)) == {"AttachedPolicies": [],
                                                                 "IsTruncated": False}
    for bad in ("longpolicynamebutnoarn", p):
        with pytest.raises(ClientError) as e:
            iam.attach_user_policy(UserName=u, PolicyArn=bad)
        assert err(e) == ("InvalidInput", f"ARN {bad} is not valid.", 400)
    missing = f"arn:aws:iam::{ACCOUNT}:policy/nonexistent"
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName=u, PolicyArn=missing)
    assert err(e) == ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.",
                      404)
    with pytest.raises(ClientError) as e:
        iam.detach_user_policy(UserName=u, PolicyArn=arn)
    assert err(e) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)
    iam.attach_user_policy(UserName=u, PolicyArn=arn)
    assert body(iam.list_attached_user_policies(UserName=u)) == {
        "AttachedPolicies": [{"PolicyArn": arn, "PolicyName": p}], "IsTruncated": False}
    iam.detach_user_policy(UserName=u, PolicyArn=arn)
    assert iam.list_attached_user_policies(UserName=u)["AttachedPolicies"] == []


def test_user_tags(iam):
    """test_iam_users.py::TestUserTags::test_user_tag_lifecycle (GetUser and CreateUser answer
    the tags) and test_user_tag_errors (TagUser/UntagUser on a missing user: NoSuchEntity)."""
    u = name("user")
    tags = [{"Key": "Environment", "Value": "Test"}, {"Key": "Team", "Value": "Platform"}]
    assert iam.create_user(UserName=u, Tags=tags)["User"]["Tags"] == tags
    assert iam.get_user(UserName=u)["User"]["Tags"] == tags
    missing = NOT_FOUND.format("user", "nonexistent-user")
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName="nonexistent-user", Tags=[{"Key": "key", "Value": "value"}])
    assert err(e) == ("NoSuchEntity", missing, 404)
    with pytest.raises(ClientError) as e:
        iam.untag_user(UserName="nonexistent-user", TagKeys=["key"])
    assert err(e) == ("NoSuchEntity", missing, 404)


def test_user_group_membership(iam):
    """test_iam_users.py::TestUserGroups::test_user_group_membership: adding twice does not
    duplicate; GetGroup lists the member; removing a user who is no longer a member
    succeeds."""
    u, g1, g2 = name("user"), name("group-1"), name("group-2")
    user = iam.create_user(UserName=u)["User"]
    group1 = iam.create_group(GroupName=g1)["Group"]
    assert sorted(group1) == ["Arn", "CreateDate", "GroupId", "GroupName", "Path"]
    iam.create_group(GroupName=g2)
    assert body(iam.list_groups_for_user(UserName=u)) == {"Groups": [], "IsTruncated": False}
    iam.add_user_to_group(GroupName=g1, UserName=u)
    iam.add_user_to_group(GroupName=g2, UserName=u)
    iam.add_user_to_group(GroupName=g1, UserName=u)
    assert sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=u)["Groups"]) == \
        sorted([g1, g2])
    got = body(iam.get_group(GroupName=g1))
    assert got == {"Group": group1, "IsTruncated": False, "Users": [user]}
    iam.remove_user_from_group(GroupName=g1, UserName=u)
    assert len(iam.list_groups_for_user(UserName=u)["Groups"]) == 1
    assert body(iam.remove_user_from_group(GroupName=g1, UserName=u)) == {}


def test_user_group_errors(iam):
    """test_iam_users.py::TestUserGroups::test_user_group_errors."""
    u, g = name("user"), name("group")
    iam.create_user(UserName=u)
    iam.create_group(GroupName=g)
    with pytest.raises(ClientError) as e:
        iam.add_user_to_group(GroupName=g, UserName="nonexistent-user")
    assert err(e) == ("NoSuchEntity", NOT_FOUND.format("user", "nonexistent-user"), 404)
    for call in (lambda: iam.add_user_to_group(GroupName="nonexistent-group", UserName=u),
                 lambda: iam.remove_user_from_group(GroupName="nonexistent-group", UserName=u)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity", NOT_FOUND.format("group", "nonexistent-group"), 404)


# --------------------------------------------------------------------------- IAM roles

TRUST_EC2 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
MOCK_POLICY = {"Version": "2012-10-17", "Statement": {
    "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}}
CREATED_ROLE = ["Arn", "AssumeRolePolicyDocument", "CreateDate", "Path", "RoleId", "RoleName"]


def test_role_errors(iam):
    """test_iam_roles.py::TestRoleLifecycle::test_role_errors."""
    missing = NOT_FOUND.format("role", "test-nonexistent-role")
    for call in (lambda: iam.get_role(RoleName="test-nonexistent-role"),
                 lambda: iam.update_role(RoleName="test-nonexistent-role", Description="test"),
                 lambda: iam.delete_role(RoleName="test-nonexistent-role")):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity", missing, 404)
    r = name("role")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    assert err(e) == ("EntityAlreadyExists", f"Role with name {r} already exists.", 409)


@pytest.mark.parametrize("extra", [{}, {"Description": "Role 0"}])
def test_create_role_defaults_and_describe(iam, extra):
    """test_iam_roles.py::TestRoleLifecycle::test_create_role_defaults, test_create_describe_role
    and TestRolePagination::test_list_roles_pagination: CreateRole answers Arn,
    AssumeRolePolicyDocument, CreateDate, Path, RoleId, RoleName only (no MaxSessionDuration,
    no Description even when given); GetRole adds MaxSessionDuration 3600, the Description
    and an empty RoleLastUsed; ListRoles answers what GetRole does without RoleLastUsed."""
    r, path = name("role"), f"/{name('p')}/"
    created = iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                              Path=path, **extra)["Role"]
    assert sorted(created) == CREATED_ROLE
    assert created["AssumeRolePolicyDocument"] == TRUST_EC2
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role{path}{r}"
    got = iam.get_role(RoleName=r)["Role"]
    assert got == {**created, **extra, "MaxSessionDuration": 3600, "RoleLastUsed": {}}
    listed = body(iam.list_roles(PathPrefix=path))
    expected = {k: v for k, v in got.items() if k != "RoleLastUsed"}
    assert listed == {"IsTruncated": False, "Roles": [expected]}


def test_role_with_tags(iam):
    """test_iam_roles.py::TestRoleTags::test_role_with_tags and test_role_tag_operations:
    CreateRole and GetRole answer Tags (an empty value included), ListRoles does not;
    re-tagging a key keeps its place."""
    r, path = name("role"), f"/{name('role-with-tags')}/"
    tags = [{"Key": "test", "Value": "value"}]
    created = iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                              Tags=tags, Path=path)["Role"]
    assert sorted(created) == sorted(CREATED_ROLE + ["Tags"]) and created["Tags"] == tags
    assert iam.get_role(RoleName=r)["Role"]["Tags"] == tags
    assert "Tags" not in iam.list_roles(PathPrefix=path)["Roles"][0]
    r2 = name("role")
    assert iam.create_role(RoleName=r2, AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                           Tags=[{"Key": "emptykey", "Value": ""}])["Role"]["Tags"] == \
        [{"Key": "emptykey", "Value": ""}]
    iam.tag_role(RoleName=r2, Tags=[{"Key": "somekey", "Value": "somevalue"}])
    iam.tag_role(RoleName=r2, Tags=[{"Key": "emptykey", "Value": "x"}])
    assert iam.get_role(RoleName=r2)["Role"]["Tags"] == [
        {"Key": "emptykey", "Value": "x"}, {"Key": "somekey", "Value": "somevalue"}]


def test_role_tag_operations(iam):
    """test_iam_roles.py::TestRoleTags::test_role_tag_operations and test_role_with_tags
    (list-role-tags-empty-value): ListRoleTags answers IsTruncated and the tags in the order
    given (a re-tagged key keeps its place, an empty value is listed), no Marker."""
    r = name("role")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    tags = [{"Key": "somekey", "Value": "somevalue"},
            {"Key": "someotherkey", "Value": "someothervalue"}]
    iam.tag_role(RoleName=r, Tags=tags)
    assert body(iam.list_role_tags(RoleName=r)) == {"IsTruncated": False, "Tags": tags}
    iam.tag_role(RoleName=r, Tags=[{"Key": "somekey", "Value": "updatedvalue"}])
    assert body(iam.list_role_tags(RoleName=r)) == {"IsTruncated": False, "Tags": [
        {"Key": "somekey", "Value": "updatedvalue"}, tags[1]]}
    iam.tag_role(RoleName=r, Tags=[{"Key": "somekey", "Value": ""}])
    assert body(iam.list_role_tags(RoleName=r)) == {"IsTruncated": False, "Tags": [
        {"Key": "somekey", "Value": ""}, tags[1]]}
    iam.untag_role(RoleName=r, TagKeys=["somekey"])
    assert body(iam.list_role_tags(RoleName=r)) == {"IsTruncated": False, "Tags": [tags[1]]}
    iam.untag_role(RoleName=r, TagKeys=["someotherkey"])
    assert body(iam.list_role_tags(RoleName=r)) == {"IsTruncated": False, "Tags": []}
    r2 = name("role")
    iam.create_role(RoleName=r2, AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                    Tags=[{"Key": "emptykey", "Value": ""}])
    assert body(iam.list_role_tags(RoleName=r2)) == {
        "IsTruncated": False, "Tags": [{"Key": "emptykey", "Value": ""}]}


def test_update_role(iam):
    """test_iam_roles.py::TestRoleLifecycle::test_update_role: UpdateRole answers nothing and
    leaves what it is not given unchanged; UpdateRoleDescription answers the role as CreateRole
    does plus its Description (no MaxSessionDuration, no RoleLastUsed)."""
    r = name("role")
    created = iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                              Description="initial description")["Role"]
    got = iam.get_role(RoleName=r)["Role"]
    assert got == {**created, "Description": "initial description", "MaxSessionDuration": 3600,
                   "RoleLastUsed": {}}
    assert body(iam.update_role(RoleName=r, Description="updated description",
                                MaxSessionDuration=7200)) == {}
    assert iam.get_role(RoleName=r)["Role"] == {
        **got, "Description": "updated description", "MaxSessionDuration": 7200}
    described = body(iam.update_role_description(
        RoleName=r, Description="description via update_role_description"))
    assert described == {"Role": {**created,
                                  "Description": "description via update_role_description"}}
    after = {**got, "Description": "description via update_role_description",
             "MaxSessionDuration": 7200}
    assert iam.get_role(RoleName=r)["Role"] == after
    assert body(iam.update_role(RoleName=r)) == {}
    assert iam.get_role(RoleName=r)["Role"] == after


def test_role_tag_errors(iam):
    """test_iam_roles.py::TestRoleTags::test_role_tag_errors: a missing role is NoSuchEntity;
    51 tags are ValidationError "Value at 'tags' ... less than or equal to 50" (before the
    role is looked up); tag keys that repeat, whatever their case, are InvalidInput. (Key and
    value lengths left out: AWS's IAM words them without the value, Arcana's model validator
    with it.)"""
    missing = NOT_FOUND.format("role", "test-nonexistent-role")
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName="test-nonexistent-role", Tags=[{"Key": "k", "Value": "v"}])
    assert err(e) == ("NoSuchEntity", missing, 404)
    with pytest.raises(ClientError) as e:
        iam.untag_role(RoleName="test-nonexistent-role", TagKeys=["k"])
    assert err(e) == ("NoSuchEntity", missing, 404)
    with pytest.raises(ClientError) as e:
        iam.list_role_tags(RoleName="test-nonexistent-role")
    assert err(e) == ("NoSuchEntity", missing, 404)
    too_many = [{"Key": str(x), "Value": str(x)} for x in range(51)]
    limit = ("ValidationError", "1 validation error detected: Value at 'tags' failed to satisfy "
             "constraint: Member must have length less than or equal to 50", 400)
    r = name("role")
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2), Tags=too_many)
    assert err(e) == limit
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName="test-nonexistent-role", Tags=too_many)
    assert err(e) == limit
    dup = ("InvalidInput",
           "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)
    for tags in ([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],
                 [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]):
        with pytest.raises(ClientError) as e:
            iam.create_role(RoleName=name("role"), AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                            Tags=tags)
        assert err(e) == dup
        with pytest.raises(ClientError) as e:
            iam.tag_role(RoleName=r, Tags=tags)
        assert err(e) == dup


@pytest.mark.parametrize("attach, msg", [
    (True, "Cannot delete entity, must detach all policies first."),
    (False, "Cannot delete entity, must delete policies first."),
])
def test_delete_role_with_policies(iam, attach, msg):
    """test_iam_roles.py::TestRoleLifecycle::test_delete_role_with_attached_policy and
    test_delete_role_with_inline_policy: the DeleteConflict message names what blocks."""
    r = name("role")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    if attach:
        arn = iam.create_policy(PolicyName=name("policy"),
                                PolicyDocument=json.dumps(MOCK_POLICY))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=r, PolicyArn=arn)
    else:
        iam.put_role_policy(RoleName=r, PolicyName="inline",
                            PolicyDocument=json.dumps(MOCK_POLICY))
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=r)
    assert err(e) == ("DeleteConflict", msg, 409)
    if attach:
        iam.detach_role_policy(RoleName=r, PolicyArn=arn)
    else:
        iam.delete_role_policy(RoleName=r, PolicyName="inline")
    iam.delete_role(RoleName=r)
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=r)
    assert err(e) == ("NoSuchEntity", NOT_FOUND.format("role", r), 404)


def test_update_assume_role_policy(iam):
    """test_iam_roles.py::TestRoleLifecycle::test_update_assume_role_policy and
    test_update_assume_role_policy_errors: MalformedPolicyDocument 400 with AWS's reasons."""
    r = name("role")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]},
         "Action": ["sts:AssumeRole"]}]}
    created = iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(policy))["Role"]
    assert created["AssumeRolePolicyDocument"] == policy
    assert body(iam.update_assume_role_policy(RoleName=r, PolicyDocument=json.dumps(policy))) == {}
    bad_action = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:InvalidAction"}]}
    with_resource = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:AssumeRole", "Resource": "arn:aws:s3:::example_bucket"}]}
    for doc, msg in (("not valid json", "This policy contains invalid Json"),
                     (json.dumps(bad_action),
                      "AssumeRole policy may only specify STS AssumeRole actions."),
                     (json.dumps(with_resource), "Has prohibited field Resource")):
        with pytest.raises(ClientError) as e:
            iam.update_assume_role_policy(RoleName=r, PolicyDocument=doc)
        assert err(e) == ("MalformedPolicyDocument", msg, 400)


def test_create_role_with_malformed_trust_policy(iam):
    """test_iam.py::TestIAMExtensions::test_create_role_with_malformed_assume_role_policy_document:
    a trailing comma is MalformedPolicyDocument "This policy contains invalid Json"."""
    doc = """
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Action": "sts:AssumeRole",
          "Principal": "*",
          "Effect": "Allow",
        }
      ]
    }
    """
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name("role"), AssumeRolePolicyDocument=doc)
    assert err(e) == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)


@pytest.mark.parametrize("kind", ["user", "role", "group"])
def test_inline_policy_encoding(iam, kind):
    """test_iam.py::TestIAMPolicyEncoding::test_put_{user,role,group}_policy_encoding: a
    document holding percent-escapes ("%3A") comes back exactly as put."""
    n, p = name(kind), name("policy")
    if kind == "user":
        iam.create_user(UserName=n)
    elif kind == "role":
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    else:
        iam.create_group(GroupName=n)
    target = "arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Faaeeieije"
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["apigatway:PUT"],
         "Resource": [f"arn:aws:apigateway:us-east-1::/tags/{target}"]}]}
    member = {"user": "UserName", "role": "RoleName", "group": "GroupName"}[kind]
    getattr(iam, f"put_{kind}_policy")(**{member: n}, PolicyName=p, PolicyDocument=json.dumps(doc))
    got = getattr(iam, f"get_{kind}_policy")(**{member: n}, PolicyName=p)
    assert body(got) == {member: n, "PolicyName": p, "PolicyDocument": doc}


def test_role_inline_policies(iam):
    """test_iam_roles.py::TestRoleInlinePolicies::test_role_inline_policy_lifecycle and
    test_role_inline_policy_errors: the document comes back as written (a Statement object
    stays an object); names are listed in order; a missing policy is "The role policy with
    name <name> cannot be found."."""
    r, p1, p2 = name("role"), name("policy-1"), name("policy-2")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    iam.put_role_policy(RoleName=r, PolicyName=p1, PolicyDocument=json.dumps(MOCK_POLICY))
    assert body(iam.get_role_policy(RoleName=r, PolicyName=p1)) == {
        "PolicyDocument": MOCK_POLICY, "PolicyName": p1, "RoleName": r}
    iam.put_role_policy(RoleName=r, PolicyName=p2, PolicyDocument=json.dumps(MOCK_POLICY))
    assert body(iam.list_role_policies(RoleName=r)) == {"IsTruncated": False,
                                                        "PolicyNames": [p1, p2]}
    iam.delete_role_policy(RoleName=r, PolicyName=p1)
    assert iam.list_role_policies(RoleName=r)["PolicyNames"] == [p2]
    for call in (lambda: iam.get_role_policy(RoleName=r, PolicyName=p1),
                 lambda: iam.delete_role_policy(RoleName=r, PolicyName=p1)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity", f"The role policy with name {p1} cannot be found.", 404)
    missing_role = NOT_FOUND.format("role", "nonexistent-role")
    for call in (
            lambda: iam.put_role_policy(RoleName="nonexistent-role", PolicyName="p",
                                        PolicyDocument=json.dumps(MOCK_POLICY)),
            lambda: iam.get_role_policy(RoleName="nonexistent-role", PolicyName="p"),
            lambda: iam.delete_role_policy(RoleName="nonexistent-role", PolicyName="p")):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity", missing_role, 404)


def test_role_managed_policy_errors(iam):
    """test_iam_roles.py::TestRoleManagedPolicies::test_role_managed_policy_lifecycle and
    test_role_managed_policy_errors (recorded 2026; test_iam.py's test_role_attach_policy of
    2023 recorded InvalidInput): a PolicyArn that is not an ARN is ValidationError
    "ARN <value> is not valid."; a missing policy NoSuchEntity "... does not exist or is not
    attachable."; detaching an unattached one NoSuchEntity "Policy <arn> was not found."."""
    r, p = name("role"), name("test-policy")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    arn = iam.create_policy(PolicyName=p, PolicyDocument=json.dumps(MOCK_POLICY))["Policy"]["Arn"]
    assert body(iam.list_attached_role_policies(RoleName=r)) == {"AttachedPolicies": [],
                                                                 "IsTruncated": False}
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName=r, PolicyArn=arn)
    assert err(e) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)
    for bad in ("longpolicynamebutnoarn", p):
        with pytest.raises(ClientError) as e:
            iam.attach_role_policy(RoleName=r, PolicyArn=bad)
        assert err(e) == ("ValidationError", f"ARN {bad} is not valid.", 400)
    fake = arn.replace(p, "nonexistent-policy")
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName=r, PolicyArn=fake)
    assert err(e) == ("NoSuchEntity", f"Policy {fake} does not exist or is not attachable.", 404)
    iam.attach_role_policy(RoleName=r, PolicyArn=arn)
    assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"] == [
        {"PolicyArn": arn, "PolicyName": p}]


def test_role_permissions_boundary(iam):
    """test_iam_roles.py::TestRolePermissionsBoundary::test_role_permissions_boundary_lifecycle
    and test_role_permissions_boundary_errors: CreateRole answers the PermissionsBoundary;
    ListRoles never carries it; an ARN that is not a policy's is InvalidInput "ARN <arn> is
    not valid."; a missing policy is NoSuchEntity "Scope ARN: <arn> does not exist or is not
    attachable."."""
    r, p = name("role"), name("boundary-policy")
    arn = iam.create_policy(PolicyName=p, PolicyDocument=json.dumps(MOCK_POLICY))["Policy"]["Arn"]
    created = iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                              PermissionsBoundary=arn,
                              Description="Role with permissions boundary")["Role"]
    boundary = {"PermissionsBoundaryArn": arn, "PermissionsBoundaryType": "Policy"}
    assert sorted(created) == sorted(CREATED_ROLE + ["PermissionsBoundary"])
    assert created["PermissionsBoundary"] == boundary
    assert iam.get_role(RoleName=r)["Role"]["PermissionsBoundary"] == boundary
    listed = [x for x in iam.list_roles()["Roles"] if x["RoleName"] == r]
    assert len(listed) == 1 and "PermissionsBoundary" not in listed[0]
    iam.delete_role_permissions_boundary(RoleName=r)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=r)["Role"]
    bad = f"arn:aws:iam::{ACCOUNT}:not_a_policy/invalid"
    missing = f"arn:aws:iam::{ACCOUNT}:policy/nonexistent-policy"
    for b, expected in ((bad, ("InvalidInput", f"ARN {bad} is not valid.", 400)),
                        (missing, ("NoSuchEntity", f"Scope ARN: {missing} does not exist or is "
                                   "not attachable.", 404))):
        with pytest.raises(ClientError) as e:
            iam.put_role_permissions_boundary(RoleName=r, PermissionsBoundary=b)
        assert err(e) == expected
        with pytest.raises(ClientError) as e:
            iam.create_role(RoleName=name("role"), AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                            PermissionsBoundary=b)
        assert err(e) == expected
    with pytest.raises(ClientError) as e:
        iam.put_role_permissions_boundary(RoleName="nonexistent-role", PermissionsBoundary=arn)
    assert err(e) == ("NoSuchEntity", NOT_FOUND.format("role", "nonexistent-role"), 404)


def test_list_roles_pagination(iam):
    """test_iam_roles.py::TestRolePagination::test_list_roles_pagination: roles in name order;
    MaxItems=2 answers IsTruncated and a Marker from which the rest follows."""
    path = f"/{name('test-pagination')}/"
    names = [f"role-{i:02d}-{name('x')}" for i in range(5)]
    for i, n in enumerate(names):
        kw = {"Description": f"Role {i}"} if i % 2 == 0 else {}
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=json.dumps(TRUST_EC2), Path=path, **kw)
    assert [x["RoleName"] for x in iam.list_roles(PathPrefix=path)["Roles"]] == names
    first = iam.list_roles(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True and [x["RoleName"] for x in first["Roles"]] == names[:2]
    rest = iam.list_roles(PathPrefix=path, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and "Marker" not in rest
    assert [x["RoleName"] for x in rest["Roles"]] == names[2:]
    assert body(iam.list_roles(PathPrefix="/nonexistent-path/")) == {"IsTruncated": False,
                                                                     "Roles": []}


# -------------------------------------------------------------------------- IAM groups

def test_groups_crud(iam):
    """test_iam_groups.py::TestIAMGroupsCRUD::test_create_group, test_get_group,
    test_get_group_with_path, test_list_groups, test_delete_group, test_delete_unknown_group
    (UpdateGroup's scenarios: test_iam_sts_aws_recorded_sweep.py)."""
    g, g2 = name("group"), name("group")
    created = iam.create_group(GroupName=g)["Group"]
    assert sorted(created) == ["Arn", "CreateDate", "GroupId", "GroupName", "Path"]
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName=g)
    assert err(e) == ("EntityAlreadyExists", f"Group with name {g} already exists.", 409)
    assert body(iam.get_group(GroupName=g)) == {"Group": created, "IsTruncated": False,
                                                "Users": []}
    with_path = iam.create_group(GroupName=g2, Path="/some/location/")["Group"]
    assert with_path["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/some/location/{g2}"
    listed = [x for x in iam.list_groups()["Groups"] if x["GroupName"] in (g, g2)]
    assert listed == sorted([created, with_path], key=lambda x: x["GroupName"])
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName="non-existent-group")
    assert err(e) == ("NoSuchEntity", NOT_FOUND.format("group", "non-existent-group"), 404)
    assert body(iam.delete_group(GroupName=g)) == {}
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="unknown-group")
    assert err(e) == ("NoSuchEntity", NOT_FOUND.format("group", "unknown-group"), 404)


def test_group_membership(iam):
    """test_iam_groups.py::TestIAMGroupsMembership::test_add_user_to_group,
    test_remove_user_from_group, test_add_user_to_group_idempotent and
    test_remove_user_from_unknown_group: RemoveUserFromGroup looks the user up first (a
    missing user in a missing group is "The user with name ... cannot be found.")."""
    g, u = name("group"), name("user")
    group = iam.create_group(GroupName=g)["Group"]
    user = iam.create_user(UserName=u)["User"]
    iam.add_user_to_group(GroupName=g, UserName=u)
    iam.add_user_to_group(GroupName=g, UserName=u)
    assert body(iam.get_group(GroupName=g)) == {"Group": group, "IsTruncated": False,
                                                "Users": [user]}
    assert iam.list_groups_for_user(UserName=u)["Groups"] == [group]
    iam.remove_user_from_group(GroupName=g, UserName=u)
    assert iam.get_group(GroupName=g)["Users"] == []
    assert iam.list_groups_for_user(UserName=u)["Groups"] == []
    with pytest.raises(ClientError) as e:
        iam.remove_user_from_group(GroupName="non-existent-group", UserName="any-user")
    assert err(e) == ("NoSuchEntity", NOT_FOUND.format("user", "any-user"), 404)


def test_group_policies(iam):
    """test_iam_groups.py::TestIAMGroupsPolicies: inline policies (a missing one is "The group
    policy with name ... cannot be found."), attach/list/detach, detaching an unattached
    policy."""
    g, p = name("group"), name("policy")
    iam.create_group(GroupName=g)
    doc = {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "s3:ListBucket", "Resource": ["arn:aws:s3:::example_bucket"]}}
    assert body(iam.list_group_policies(GroupName=g)) == {"IsTruncated": False, "PolicyNames": []}
    with pytest.raises(ClientError) as e:
        iam.get_group_policy(GroupName=g, PolicyName=p)
    assert err(e) == ("NoSuchEntity", f"The group policy with name {p} cannot be found.", 404)
    assert body(iam.put_group_policy(GroupName=g, PolicyName=p, PolicyDocument=json.dumps(doc))) \
        == {}
    assert body(iam.get_group_policy(GroupName=g, PolicyName=p)) == {
        "GroupName": g, "PolicyDocument": doc, "PolicyName": p}
    assert iam.list_group_policies(GroupName=g)["PolicyNames"] == [p]
    arn = iam.create_policy(PolicyName=p, PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    with pytest.raises(ClientError) as e:
        iam.detach_group_policy(GroupName=g, PolicyArn=arn)
    assert err(e) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)
    assert body(iam.list_attached_group_policies(GroupName=g)) == {"AttachedPolicies": [],
                                                                   "IsTruncated": False}
    iam.attach_group_policy(GroupName=g, PolicyArn=arn)
    assert iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"] == [
        {"PolicyArn": arn, "PolicyName": p}]
    iam.detach_group_policy(GroupName=g, PolicyArn=arn)
    assert iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"] == []


# ------------------------------------------------------------------ IAM managed policies

POLICY_MEMBERS = ["Arn", "AttachmentCount", "CreateDate", "DefaultVersionId", "IsAttachable",
                  "Path", "PermissionsBoundaryUsageCount", "PolicyId", "PolicyName",
                  "UpdateDate"]


def version_doc(action):
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Statement1", "Effect": "Allow", "Action": [action], "Resource": "*"}]}


@pytest.mark.parametrize("path", [None, "/", "/test/path/"])
def test_policy_lifecycle(iam, path):
    """test_iam_policies.py::TestPolicies::test_policy_lifecycle: CreatePolicy answers no Tags
    member without tags, GetPolicy answers "Tags": [], ListPolicies neither."""
    p = name("policy")
    kw = {"Path": path} if path else {}
    created = iam.create_policy(PolicyName=p, PolicyDocument=SAMPLE_POLICY, **kw)["Policy"]
    assert sorted(created) == POLICY_MEMBERS
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy{path or '/'}{p}"
    got = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    assert got == {**created, "Tags": []}
    listed = [x for x in iam.list_policies(Scope="Local")["Policies"] if x["PolicyName"] == p]
    assert listed == [created]
    assert body(iam.delete_policy(PolicyArn=created["Arn"])) == {}


def test_policy_errors(iam):
    """test_iam_policies.py::TestPolicies::test_policy_errors."""
    p = name("policy")
    iam.create_policy(PolicyName=p, PolicyDocument=SAMPLE_POLICY)
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=p, PolicyDocument=SAMPLE_POLICY)
    assert err(e) == ("EntityAlreadyExists",
                      f"A policy called {p} already exists. Duplicate names are not allowed.", 409)


def test_policy_versions(iam):
    """test_iam_policies.py::TestPolicies::test_policy_version_lifecycle,
    test_policy_version_set_default, test_policy_version_limit and test_policy_version_errors:
    versions listed newest first; the sixth is LimitExceeded 409; ids are never reused (v6
    after deleting one of five); a missing policy or version is "Policy <arn> version <id>
    does not exist or is not attachable."; the default version cannot be deleted."""
    p = name("policy")
    arn = iam.create_policy(PolicyName=p, PolicyDocument=SAMPLE_POLICY)["Policy"]["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(
        version_doc("s3:ListBucket")), SetAsDefault=True)["PolicyVersion"]
    assert sorted(v2) == ["CreateDate", "IsDefaultVersion", "VersionId"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", True)
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(
        version_doc("ec2:DescribeInstances")))["PolicyVersion"]
    assert (v3["VersionId"], v3["IsDefaultVersion"]) == ("v3", False)
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert got["Document"] == version_doc("ec2:DescribeInstances")
    assert (got["VersionId"], got["IsDefaultVersion"]) == ("v3", False)

    def listed():
        r = iam.list_policy_versions(PolicyArn=arn)
        assert r["IsTruncated"] is False
        return [(v["VersionId"], v["IsDefaultVersion"]) for v in r["Versions"]]

    assert listed() == [("v3", False), ("v2", True), ("v1", False)]
    assert body(iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")) == {}
    assert listed() == [("v3", False), ("v2", False), ("v1", True)]
    for action in ("sqs:ListQueues", "sns:ListTopics"):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(version_doc(action)))
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=SAMPLE_POLICY)
    assert err(e) == ("LimitExceeded", "A managed policy can have up to 5 versions. Before you "
                      "create a new version, you must delete an existing version.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=SAMPLE_POLICY)[
        "PolicyVersion"]["VersionId"] == "v6"
    missing = f"arn:aws:iam::{ACCOUNT}:policy/TestNonExistingPolicy"
    for call, a, v in (
            (lambda: iam.get_policy_version(PolicyArn=missing, VersionId="v1"), missing, "v1"),
            (lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v9"), arn, "v9"),
            (lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v9"), arn, "v9"),
            (lambda: iam.set_default_policy_version(PolicyArn=missing, VersionId="v1"),
             missing, "v1"),
            (lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId="v5"), arn, "v5")):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity",
                          f"Policy {a} version {v} does not exist or is not attachable.", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert err(e) == ("DeleteConflict", "Cannot delete the default version of a policy.", 409)


def test_policy_tags(iam):
    """test_iam_policies.py::TestPolicyTags::test_policy_tag_lifecycle and
    test_policy_tag_create_errors: CreatePolicy answers the tags in the order given (an empty
    value kept, "a" and "A" are two keys) but no Description, GetPolicy answers both; 51 tags
    are ValidationError; a key given twice is InvalidInput "Duplicate tag keys found."."""
    p = name("policy")
    tags = [{"Key": "somekey", "Value": "somevalue"},
            {"Key": "someotherkey", "Value": "someothervalue"}]
    created = iam.create_policy(PolicyName=p, PolicyDocument=SAMPLE_POLICY, Tags=tags,
                                Description="testing")["Policy"]
    assert sorted(created) == sorted(POLICY_MEMBERS + ["Tags"]) and created["Tags"] == tags
    got = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    assert got == {**created, "Description": "testing"}
    cased = [{"Key": "a", "Value": "lowercase"}, {"Key": "A", "Value": "uppercase"}]
    assert iam.create_policy(PolicyName=name("policy"), PolicyDocument=SAMPLE_POLICY,
                             Tags=cased)["Policy"]["Tags"] == cased
    empty = [{"Key": "somekey", "Value": ""}]
    assert iam.create_policy(PolicyName=name("policy"), PolicyDocument=SAMPLE_POLICY,
                             Tags=empty)["Policy"]["Tags"] == empty
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("policy"), PolicyDocument=SAMPLE_POLICY,
                          Tags=[{"Key": str(i), "Value": "v"} for i in range(51)])
    assert err(e) == ("ValidationError", "1 validation error detected: Value at 'tags' failed to "
                      "satisfy constraint: Member must have length less than or equal to 50", 400)
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("policy"), PolicyDocument=SAMPLE_POLICY,
                          Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])
    assert err(e) == ("InvalidInput", "Duplicate tag keys found.", 400)


V = "2012-10-17"
BUCKET = "arn:aws:s3:::example_bucket"
SY = "Syntax errors in policy."


def stmt(st):
    return {"Version": V, "Statement": st}


def allow(**kw):
    return stmt({"Effect": "Allow", **kw})


# (case number in INVALID_POLICY_DOCUMENTS, document, AWS's message)
INVALID_DOCUMENTS = [
    (0, "This is not a json document", SY),
    (1, {"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}},
     "Policy document must be version 2012-10-17 or greater."),
    (2, {"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket",
                                                "Resource": BUCKET}},
     "Policy document must be version 2012-10-17 or greater."),
    (3, {"Version": "2013-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket",
                                                "Resource": BUCKET}}, SY),
    (11, allow(Action="invalid", Resource=BUCKET),
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (13, allow(Action="a a:ListBucket", Resource=BUCKET), "Vendor a a is not valid"),
    (14, allow(Action="s3:List:Bucket", Resource=BUCKET),
     "Actions/Condition can contain only one colon."),
    (15, stmt([{"Effect": "Allow", "Action": "s3s:ListBucket", "Resource": BUCKET},
               {"Effect": "Allow", "Action": "s:3s:ListBucket", "Resource": BUCKET}]),
     "Actions/Condition can contain only one colon."),
    (16, allow(Action="s3:ListBucket", Resource="invalid resource"),
     'Resource invalid resource must be in ARN format or "*".'),
    (20, allow(Action="s3:ListBucket", Resource=""), 'Resource  must be in ARN format or "*".'),
    (25, allow(Action="s3:ListBucket", Resource=["arn:error:s3:::example_bucket",
                                                 "arn:error:s3::example_bucket"]),
     'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".'),
    (26, stmt([]), SY),
    (27, allow(Action="s3:ListBucket"), "Policy statement must contain resources."),
    (4, {"Version": V}, SY), (5, stmt(["afd"]), SY),
    (6, {"Version": V, "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}, "Extra field": "value"},
     SY),
    (7, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Extra field": "value"}),
     SY),
    (8, {"Version": V, "Id": ["x"], "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}},
     SY),
    (9, {"Version": V, "Id": {}, "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}},
     SY),
    (10, stmt({"Effect": "invalid", "Action": "s3:ListBucket", "Resource": BUCKET}), SY),
    (12, stmt({"Effect": "Allow", "NotAction": "", "Resource": BUCKET}),
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (17, stmt([{"Sid": "A", "Effect": "Allow", "Action": ["account:EnableRegion"], "Resource": "", "Condition": {"StringEquals": {"account:TargetRegion": "ap-east-1"}}}]),
     'Resource  must be in ARN format or "*".'),
    (18, stmt({"Effect": "Allow", "Action": "s:3:ListBucket", "Resource": "sdfsadf"}),
     'Resource sdfsadf must be in ARN format or "*".'),
    (19, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": ["adf"]}),
     'Resource adf must be in ARN format or "*".'),
    (28, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": []}),
     "Policy statement must contain resources."),
    (29, stmt({"Effect": "Allow", "Action": "invalid"}),
     "Policy statement must contain resources."),
    (30, stmt({"Effect": "Allow", "Resource": BUCKET}), "Policy statement must contain actions."),
    (31, stmt({"Action": "s3:ListBucket", "Resource": BUCKET}), SY),
    (32, stmt({"Effect": "Allow"}), "Policy statement must contain actions."),
    (33, stmt({"Effect": "Allow", "Action": [], "Resource": BUCKET}),
     "Policy statement must contain actions."),
    (34, stmt([{"Effect": "Deny"}, {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}]),
     "Policy statement must contain actions."),
    (39, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": {"a": BUCKET}}), SY),
    (40, stmt({"Effect": "Deny", "Action": "s3:ListBucket", "Resource": ["adfdf", {}]}), SY),
    (41, stmt({"Effect": "Allow", "NotAction": "s3:ListBucket", "Resource": BUCKET, "NotResource": []}),
     SY),
    (42, stmt({"Effect": "Deny", "Action": [[]], "Resource": BUCKET}), SY),
    (43, stmt({"Effect": "Allow", "NotAction": "s3s:ListBucket", "Action": [], "Resource": BUCKET}),
     SY),
    (44, stmt({"Effect": "Allow", "Action": {}, "Resource": BUCKET}), SY),
    (45, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Condition": []}),
     SY),
    (46, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Condition": "a"}),
     SY),
    (47, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Condition": {"a": "b"}}),
     SY),
    (48, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Condition": {"DateGreaterThan": "b"}}),
     SY),
    (49, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Condition": {"DateGreaterThan": []}}),
     SY),
    (50, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Condition": {"DateGreaterThan": {"a": {}}}}),
     SY),
    (51, stmt({"Effect": "Allow", "Resource": BUCKET, "Condition": {"DateGreaterThan": {"a": {}}}}),
     SY),
    (52, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Condition": {"x": {"a": "1"}}}),
     SY),
    (53, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Condition": {"ForAnyValue::StringEqualsIfExists": {"a": "asf"}}}),
     SY),
    (54, stmt({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, "Condition": [{"ForAllValues:StringEquals": {"aws:TagKeys": "Department"}}]}),
     SY),
    (57, stmt({"Sid": {}, "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}), SY),
    (58, stmt({"Sid": [], "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}), SY),
    (59, stmt([{"Sid": "sdf", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}, {"Sid": "sdf", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}]),
     "Statement IDs (SID) in a single policy must be unique."),
]


@pytest.mark.parametrize("doc, msg", [(d, m) for _, d, m in INVALID_DOCUMENTS],
                         ids=[f"invalid-{n}" for n, _, _ in INVALID_DOCUMENTS])
def test_create_policy_invalid_document(iam, doc, msg):
    """test_iam_policies.py::TestPolicyDocumentValidity::test_create_policy_invalid_document
    (the cases by their ids; 21, 24, 35-38, 55 and 56 are left out: AWS's resource-ARN
    normalisation and per-service resource rules): MalformedPolicyDocument 400 with AWS's
    reason; every structural fault is plain "Syntax errors in policy."."""
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("test-policy"),
                          PolicyDocument=doc if isinstance(doc, str) else json.dumps(doc))
    assert err(e) == ("MalformedPolicyDocument", msg, 400)


# --------------------------------------------------------------- IAM account-level operations
# test_iam_account_aliases.py, test_iam_account_summary.py and
# test_iam_account_password_policy.py with their .snapshot.json. The server (and its account)
# is shared by the module: each test leaves no alias and no password policy behind.

def test_account_alias_lifecycle(iam):
    """test_iam_account_aliases.py::test_account_alias_lifecycle: Create and Delete answer an
    empty 200; ListAccountAliases shows the alias while it exists."""
    alias = name("alias").lower()
    assert alias not in iam.list_account_aliases()["AccountAliases"]
    r = iam.create_account_alias(AccountAlias=alias)
    assert body(r) == {} and r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    r = iam.delete_account_alias(AccountAlias=alias)
    assert body(r) == {} and r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_account_alias_replaced_and_checked(iam):
    """One alias per account: a new one overwrites the previous (AWS Account Management
    reference, manage-acct-alias: "Your AWS account can have only one alias. If you create a
    new alias for your AWS account, the new alias overwrites the previous alias"). The alias
    follows the model's accountAliasType pattern (lower-case letters, digits, single dashes
    inside); a Delete naming another alias is NoSuchEntity (no AWS recording of its message:
    only the code is asserted). An alias already taken, the account's own too, is
    EntityAlreadyExists 409 in AWS's words (quoted in awslabs/aws-deployment-framework#465;
    the own alias as observed on AWS in floci-io/floci#2103)."""
    first, second = name("first").lower(), name("second").lower()
    iam.create_account_alias(AccountAlias=first)
    with pytest.raises(ClientError) as e:
        iam.create_account_alias(AccountAlias=first)
    assert err(e) == ("EntityAlreadyExists", f"The account alias {first} already exists.", 409)
    iam.create_account_alias(AccountAlias=second)
    try:
        assert iam.list_account_aliases()["AccountAliases"] == [second]
        with pytest.raises(ClientError) as e:
            iam.delete_account_alias(AccountAlias=first)
        assert (err(e)[0], err(e)[2]) == ("NoSuchEntity", 404)
        for bad in ("Upper-case", "two--dashes", "-leading", "trailing-", "under_score"):
            with pytest.raises(ClientError) as e:
                iam.create_account_alias(AccountAlias=bad)
            assert err(e) == ("ValidationError",
                              "1 validation error detected: Value at 'accountAlias' failed to "
                              "satisfy constraint: Member must satisfy regular expression "
                              "pattern: ^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$", 400)
        assert iam.list_account_aliases()["AccountAliases"] == [second]
    finally:
        iam.delete_account_alias(AccountAlias=second)
    assert iam.list_account_aliases()["AccountAliases"] == []


ACCOUNT_SUMMARY_QUOTAS = {
    "AccessKeysPerUserQuota": 2, "AccountAccessKeysPresent": 0, "AccountMFAEnabled": 0,
    "AccountSigningCertificatesPresent": 0, "AssumeRolePolicySizeQuota": 2048,
    "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
    "AttachedPoliciesPerUserQuota": 10, "GlobalEndpointTokenVersion": 1,
    "GroupPolicySizeQuota": 5120, "GroupsPerUserQuota": 10, "GroupsQuota": 300,
    "InstanceProfilesQuota": 1000, "PoliciesQuota": 1500, "PolicySizeQuota": 6144,
    "PolicyVersionsInUseQuota": 10000, "RolePolicySizeQuota": 10240, "RolesQuota": 1000,
    "ServerCertificatesQuota": 20, "SigningCertificatesPerUserQuota": 2,
    "UserPolicySizeQuota": 2048, "UsersQuota": 5000, "VersionsPerPolicyQuota": 5}
ACCOUNT_SUMMARY_COUNTS = [
    "AccountPasswordPresent", "Groups", "InstanceProfiles", "MFADevices", "MFADevicesInUse",
    "Policies", "PolicyVersionsInUse", "Providers", "Roles", "ServerCertificates", "Users"]


def test_account_summary_format(iam):
    """test_iam_account_summary.py::test_get_account_summary_format: the SummaryMap's members
    (the recorded ones, also those the model's key enum does not list: Roles, RolesQuota,
    InstanceProfiles, Providers, ...), every quota as AWS recorded it, integer counts."""
    summary = iam.get_account_summary()["SummaryMap"]
    assert sorted(summary) == sorted([*ACCOUNT_SUMMARY_QUOTAS, *ACCOUNT_SUMMARY_COUNTS])
    assert {k: summary[k] for k in ACCOUNT_SUMMARY_QUOTAS} == ACCOUNT_SUMMARY_QUOTAS
    assert all(isinstance(v, int) and v >= 0 for v in summary.values())


def test_account_summary_counts(iam):
    """test_iam_account_summary.py::test_get_account_summary_with_resources: a new user, group,
    role and customer managed policy (attached to the role) add 1 to Users, Groups, Roles,
    Policies and PolicyVersionsInUse, and AccountPasswordPresent stays (AWS recorded those
    deltas; the instance profile, identity providers, MFA device and server certificate of
    that scenario are kinds Arcana does not have, counted 0). Deleting them takes the counts
    back."""
    before = iam.get_account_summary()["SummaryMap"]
    u, g, r, p = name("u"), name("g"), name("r"), name("p")
    iam.create_user(UserName=u)
    iam.create_group(GroupName=g)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT_ID)
    arn = iam.create_policy(PolicyName=p, PolicyDocument=SAMPLE_POLICY)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=r, PolicyArn=arn)
    after = iam.get_account_summary()["SummaryMap"]
    assert {k: after[k] - before[k] for k in ACCOUNT_SUMMARY_COUNTS} == {
        "AccountPasswordPresent": 0, "Groups": 1, "InstanceProfiles": 0, "MFADevices": 0,
        "MFADevicesInUse": 0, "Policies": 1, "PolicyVersionsInUse": 1, "Providers": 0,
        "Roles": 1, "ServerCertificates": 0, "Users": 1}
    # An alias and a password policy are stored beside the identities: counted as none.
    iam.create_account_alias(AccountAlias=name("counted").lower())
    iam.update_account_password_policy()
    try:
        assert iam.get_account_summary()["SummaryMap"] == after
    finally:
        iam.delete_account_password_policy()
        iam.delete_account_alias(AccountAlias=iam.list_account_aliases()["AccountAliases"][0])
    iam.detach_role_policy(RoleName=r, PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
    iam.delete_role(RoleName=r)
    iam.delete_group(GroupName=g)
    iam.delete_user(UserName=u)
    assert iam.get_account_summary()["SummaryMap"] == before


PASSWORD_POLICY_NOT_FOUND = ("NoSuchEntity",
                             f"The Password Policy with domain name {ACCOUNT} cannot be found.",
                             404)


def test_account_password_policy_defaults(iam):
    """test_iam_account_password_policy.py::test_update_account_password_policy_defaults:
    Update without parameters answers an empty 200 and stores AWS's defaults; AWS answers no
    MaxPasswordAge, PasswordReusePrevention or HardExpiry for a policy that sets none."""
    r = iam.update_account_password_policy()
    try:
        assert body(r) == {} and r["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert body(iam.get_account_password_policy()) == {"PasswordPolicy": {
            "AllowUsersToChangePassword": False, "ExpirePasswords": False,
            "MinimumPasswordLength": 6, "RequireLowercaseCharacters": False,
            "RequireNumbers": False, "RequireSymbols": False,
            "RequireUppercaseCharacters": False}}
    finally:
        iam.delete_account_password_policy()


def test_account_password_policy_custom_values(iam):
    """test_iam_account_password_policy.py::test_update_account_password_policy_custom_values:
    every member as given, ExpirePasswords true with a MaxPasswordAge. An Update replaces the
    whole policy: what it leaves out reverts to its default (UpdateAccountPasswordPolicy API
    reference: "This operation does not support partial updates")."""
    iam.update_account_password_policy(
        AllowUsersToChangePassword=True, HardExpiry=True, MaxPasswordAge=60,
        MinimumPasswordLength=10, PasswordReusePrevention=3, RequireLowercaseCharacters=True,
        RequireNumbers=True, RequireSymbols=True, RequireUppercaseCharacters=True)
    try:
        assert iam.get_account_password_policy()["PasswordPolicy"] == {
            "AllowUsersToChangePassword": True, "ExpirePasswords": True, "HardExpiry": True,
            "MaxPasswordAge": 60, "MinimumPasswordLength": 10, "PasswordReusePrevention": 3,
            "RequireLowercaseCharacters": True, "RequireNumbers": True, "RequireSymbols": True,
            "RequireUppercaseCharacters": True}
        iam.update_account_password_policy(RequireNumbers=True)
        assert iam.get_account_password_policy()["PasswordPolicy"] == {
            "AllowUsersToChangePassword": False, "ExpirePasswords": False,
            "MinimumPasswordLength": 6, "RequireLowercaseCharacters": False,
            "RequireNumbers": True, "RequireSymbols": False, "RequireUppercaseCharacters": False}
    finally:
        iam.delete_account_password_policy()


def test_account_password_policy_validation_errors(iam):
    """test_iam_account_password_policy.py::test_update_account_password_policy_validation_errors:
    values over the model's maxima are ValidationError 400 (botocore checks only minima). The
    message AWS recorded names the members without their values, as Arcana does, in its own
    order (min length, reuse, max age); Arcana lists them in the model's order, so each
    member's violation is asserted, not the order."""
    with pytest.raises(ClientError) as e:
        iam.update_account_password_policy(MaxPasswordAge=1096, MinimumPasswordLength=129,
                                           PasswordReusePrevention=25)
    code, msg, status = err(e)
    assert (code, status) == ("ValidationError", 400)
    assert e.value.response["Error"]["Type"] == "Sender"
    assert msg.startswith("3 validation errors detected: ")
    for member, limit in (("minimumPasswordLength", 128), ("passwordReusePrevention", 24),
                          ("maxPasswordAge", 1095)):
        assert (f"Value at '{member}' failed to satisfy constraint: Member must have value "
                f"less than or equal to {limit}") in msg
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()  # nothing was stored
    assert err(e) == PASSWORD_POLICY_NOT_FOUND


def test_account_password_policy_not_found_and_delete(iam):
    """test_iam_account_password_policy.py::test_get_account_password_policy_not_found,
    test_delete_account_password_policy and test_delete_account_password_policy_not_found:
    Get without a policy is NoSuchEntity 404 naming the account ("domain name"); Delete answers
    an empty 200, and without a policy NoSuchEntity 404 in its own words."""
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert err(e) == PASSWORD_POLICY_NOT_FOUND
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"]
    r = iam.delete_account_password_policy()
    assert body(r) == {} and r["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert err(e) == PASSWORD_POLICY_NOT_FOUND
    with pytest.raises(ClientError) as e:
        iam.delete_account_password_policy()
    assert err(e) == ("NoSuchEntity",
                      "The account policy with name PasswordPolicy cannot be found.", 404)


def test_account_operations_authorized_on_star(iam, auth_server):
    """The service authorization reference lists no resource type for these actions: a user
    needs iam:ACTION on "*" (AccessDenied 403 without it)."""
    u = name("acct")
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    mine = creds_client(auth_server, "iam", key)
    with pytest.raises(ClientError) as e:
        mine.get_account_summary()
    assert (err(e)[0], err(e)[2]) == ("AccessDenied", 403)
    assert f"user/{u} is not authorized to perform: iam:GetAccountSummary" in err(e)[1]
    iam.put_user_policy(UserName=u, PolicyName="acct", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Resource": "*",
            "Action": ["iam:GetAccountSummary", "iam:ListAccountAliases"]}]}))
    assert "Users" in mine.get_account_summary()["SummaryMap"]
    assert mine.list_account_aliases()["AccountAliases"] == []
    with pytest.raises(ClientError) as e:
        mine.update_account_password_policy()
    assert (err(e)[0], err(e)[2]) == ("AccessDenied", 403)
    iam.delete_user_policy(UserName=u, PolicyName="acct")
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=u)
