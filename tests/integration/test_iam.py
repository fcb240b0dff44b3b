"""IAM over the Query protocol (form-encoded POST /, XML answers) through boto3 and the aws CLI,
against a non-dev server: users, keys, groups, roles, managed and inline policies, boundaries,
and AWS's error XML (NoSuchEntity 404, EntityAlreadyExists 409, DeleteConflict 409, ...).
One module-scoped server; every test names its entities uniquely."""

from __future__ import annotations

import json
import time
import subprocess
import uuid
import xml.etree.ElementTree as ET

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_cli import run_cli
from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET


READ_SECRETS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
TRUST_ACCOUNT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
     "Action": ["sts:AssumeRole", "sts:TagSession"]}]})


def client(endpoint, service, akid=ROOT_AKID, secret=ROOT_SECRET, token=None):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=akid, aws_secret_access_key=secret,
                        aws_session_token=token,
                        config=Config(retries={"max_attempts": 0}))


@pytest.fixture(scope="module")
def iam(auth_server):
    c = client(auth_server.endpoint, "iam")
    c.endpoint = auth_server.endpoint
    return c


def name(prefix="u"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def code_of(e: ClientError) -> tuple[str, int]:
    return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]


def test_user_lifecycle_and_tags(iam):
    n = name()
    u = iam.create_user(UserName=n, Path="/team/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert u["UserName"] == n and u["Path"] == "/team/"
    assert u["UserId"].startswith("AIDA") and u["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/team/{n}"
    assert u["CreateDate"].year >= 2024
    got = iam.get_user(UserName=n)["User"]
    assert got["UserId"] == u["UserId"] and got["Tags"] == [{"Key": "team", "Value": "blue"}]
    iam.tag_user(UserName=n, Tags=[{"Key": "team", "Value": "red"}, {"Key": "env", "Value": "p"}])
    iam.untag_user(UserName=n, TagKeys=["env"])
    assert iam.get_user(UserName=n)["User"]["Tags"] == [{"Key": "team", "Value": "red"}]
    names = [x["UserName"] for x in iam.list_users(PathPrefix="/team/")["Users"]]
    assert n in names
    iam.delete_user(UserName=n)
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=n)
    assert code_of(e.value) == ("NoSuchEntity", 404)
    assert e.value.response["Error"]["Message"] == f"The user with name {n} cannot be found."


def test_errors_are_aws_xml(iam):
    n = name()
    iam.create_user(UserName=n)
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=n.upper())  # names are case-insensitive
    assert code_of(e.value) == ("EntityAlreadyExists", 409)
    # The raw answer, in IAM's namespace as AWS sends it:
    # <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender...
    r = requests.post(iam.endpoint + "/", data={"Action": "GetUser", "Version": "2010-05-08"},
                      timeout=10)
    assert r.status_code in (400, 403)
    root = ET.fromstring(r.text)
    ns = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/"}
    assert root.tag == "{https://iam.amazonaws.com/doc/2010-05-08/}ErrorResponse"
    assert root.find("iam:Error/iam:Type", ns).text == "Sender"
    assert root.find("iam:RequestId", ns).text
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=name(), Path="/no-trailing-slash")
    assert code_of(e.value) == ("ValidationError", 400)
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="bad name")  # outside [\w+=,.@-]
    assert code_of(e.value) == ("ValidationError", 400)
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("p"), PolicyDocument="{not json")
    assert code_of(e.value) == ("MalformedPolicyDocument", 400)
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/{name('missing')}")
    assert code_of(e.value) == ("NoSuchEntity", 404)


def test_list_users_pages_with_marker(iam):
    prefix = f"/pg{uuid.uuid4().hex[:6]}/"
    made = sorted(name() for _ in range(5))
    for n in made:
        iam.create_user(UserName=n, Path=prefix)
    page = iam.list_users(PathPrefix=prefix, MaxItems=2)
    assert page["IsTruncated"] and len(page["Users"]) == 2
    seen = [u["UserName"] for u in page["Users"]]
    while page["IsTruncated"]:
        page = iam.list_users(PathPrefix=prefix, MaxItems=2, Marker=page["Marker"])
        seen += [u["UserName"] for u in page["Users"]]
    assert seen == made


def test_access_keys_authenticate_and_delete_conflict(iam, auth_server):
    n = name()
    iam.create_user(UserName=n)
    key = iam.create_access_key(UserName=n)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    sts = client(auth_server.endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    ident = sts.get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{n}" and ident["Account"] == ACCOUNT
    assert ident["UserId"].startswith("AIDA")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=n)
    assert code_of(e.value) == ("DeleteConflict", 409)
    iam.create_access_key(UserName=n)
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName=n)
    assert code_of(e.value) == ("LimitExceeded", 409)
    # Inactive keys stop working on the next request; active again, they work again.
    iam.update_access_key(UserName=n, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert code_of(e.value)[0] == "InvalidClientTokenId"
    statuses = {k["AccessKeyId"]: k["Status"]
                for k in iam.list_access_keys(UserName=n)["AccessKeyMetadata"]}
    assert statuses[key["AccessKeyId"]] == "Inactive" and len(statuses) == 2
    for k in statuses:
        iam.delete_access_key(UserName=n, AccessKeyId=k)
    with pytest.raises(ClientError) as e:
        iam.delete_access_key(UserName=n, AccessKeyId=key["AccessKeyId"])
    assert code_of(e.value) == ("NoSuchEntity", 404)
    iam.delete_user(UserName=n)


def test_managed_policies_versions_and_attachments(iam):
    n, p = name(), name("p")
    iam.create_user(UserName=n)
    pol = iam.create_policy(PolicyName=p, PolicyDocument=READ_SECRETS, Description="d")["Policy"]
    arn = pol["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/{p}" and pol["DefaultVersionId"] == "v1"
    for i in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=READ_SECRETS,
                                      SetAsDefault=(i == 3))["PolicyVersion"]
        assert v["VersionId"] == f"v{i}"
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=READ_SECRETS)
    assert code_of(e.value) == ("LimitExceeded", 409)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    doc = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["Document"]
    assert doc == json.loads(READ_SECRETS)  # URL-encoded on the wire, decoded by botocore
    iam.attach_user_policy(UserName=n, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    attached = iam.list_attached_user_policies(UserName=n)["AttachedPolicies"]
    assert attached == [{"PolicyName": p, "PolicyArn": arn}]
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert code_of(e.value) == ("DeleteConflict", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=n)
    assert code_of(e.value) == ("DeleteConflict", 409)
    iam.detach_user_policy(UserName=n, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.detach_user_policy(UserName=n, PolicyArn=arn)
    assert code_of(e.value) == ("NoSuchEntity", 404)
    for v in ("v1", "v2", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    iam.delete_user(UserName=n)


def test_a_policys_update_date_is_its_newest_versions_creation(iam):
    """IAM's Policy.UpdateDate: the creation date while one version exists, else the date its
    most recent version was created; choosing another default version does not move it."""
    p = name("p")
    pol = iam.create_policy(PolicyName=p, PolicyDocument=READ_SECRETS)["Policy"]
    arn = pol["Arn"]
    assert pol["UpdateDate"] == pol["CreateDate"]
    time.sleep(1.1)  # IAM's dates have seconds
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=READ_SECRETS)["PolicyVersion"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["UpdateDate"] == v2["CreateDate"]
    time.sleep(1.1)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["UpdateDate"] == v2["CreateDate"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["UpdateDate"] == pol["CreateDate"]
    iam.delete_policy(PolicyArn=arn)


def test_groups_inline_policies_and_boundaries(iam):
    n, g, p = name(), name("g"), name("p")
    iam.create_user(UserName=n)
    assert iam.create_group(GroupName=g)["Group"]["GroupId"].startswith("AGPA")
    iam.add_user_to_group(GroupName=g, UserName=n)
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=n)["Groups"]] == [g]
    iam.put_group_policy(GroupName=g, PolicyName="read", PolicyDocument=READ_SECRETS)
    assert iam.list_group_policies(GroupName=g)["PolicyNames"] == ["read"]
    iam.put_user_policy(UserName=n, PolicyName="mine", PolicyDocument=READ_SECRETS)
    got = iam.get_user_policy(UserName=n, PolicyName="mine")
    assert got["PolicyDocument"] == json.loads(READ_SECRETS)
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName=n, PolicyName="other")
    assert code_of(e.value) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=n, PolicyName="bad", PolicyDocument='{"Statement": 5}')
    assert code_of(e.value) == ("MalformedPolicyDocument", 400)
    boundary = iam.create_policy(PolicyName=p, PolicyDocument=READ_SECRETS)["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName=n, PermissionsBoundary=boundary)
    pb = iam.get_user(UserName=n)["User"]["PermissionsBoundary"]
    assert pb == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    iam.delete_user_permissions_boundary(UserName=n)
    assert "PermissionsBoundary" not in iam.get_user(UserName=n)["User"]
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=n)  # still has an inline policy and a group
    assert code_of(e.value) == ("DeleteConflict", 409)
    iam.delete_user_policy(UserName=n, PolicyName="mine")
    iam.remove_user_from_group(GroupName=g, UserName=n)
    iam.delete_user(UserName=n)
    iam.delete_group_policy(GroupName=g, PolicyName="read")
    iam.delete_group(GroupName=g)
    iam.delete_policy(PolicyArn=boundary)


def test_roles(iam):
    r = name("r")
    role = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT,
                           MaxSessionDuration=7200, Tags=[{"Key": "team", "Value": "blue"}])["Role"]
    assert role["RoleId"].startswith("AROA") and role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{r}"
    got = iam.get_role(RoleName=r)["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(TRUST_ACCOUNT)
    assert got["MaxSessionDuration"] == 7200
    iam.tag_role(RoleName=r, Tags=[{"Key": "env", "Value": "prod"}])
    assert {t["Key"] for t in iam.get_role(RoleName=r)["Role"]["Tags"]} == {"team", "env"}
    iam.put_role_policy(RoleName=r, PolicyName="x", PolicyDocument=READ_SECRETS)
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=r)
    assert code_of(e.value) == ("DeleteConflict", 409)
    iam.delete_role_policy(RoleName=r, PolicyName="x")
    with pytest.raises(ClientError) as e:  # a trust policy must name principals
        iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=READ_SECRETS)
    assert code_of(e.value) == ("MalformedPolicyDocument", 400)
    iam.delete_role(RoleName=r)
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=r)
    assert code_of(e.value) == ("NoSuchEntity", 404)


def test_aws_cli(iam, tmp_path):
    def aws(*args):
        return run_cli(iam.endpoint, tmp_path, ROOT_AKID, ROOT_SECRET, *args)

    # Three CLI runs (each starts a Python interpreter): a success, two AWS errors.
    n = name()
    p = aws("iam", "create-user", "--user-name", n, "--tags", "Key=team,Value=blue")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["User"]["UserName"] == n
    iam.create_access_key(UserName=n)
    p = aws("iam", "delete-user", "--user-name", n)
    assert p.returncode != 0 and "DeleteConflict" in p.stderr, p.stderr
    p = aws("iam", "get-user", "--user-name", name("nobody"))
    assert p.returncode != 0 and "NoSuchEntity" in p.stderr, p.stderr

def test_policy_simulator(iam):
    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-AbCdEf"
    deny_prod = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "NoProd", "Effect": "Deny", "Action": "secretsmanager:*",
         "Resource": "arn:aws:secretsmanager:*:*:secret:prod/*"}]})
    out = iam.simulate_custom_policy(
        PolicyInputList=[READ_SECRETS],
        ActionNames=["secretsmanager:GetSecretValue", "secretsmanager:DeleteSecret"],
        ResourceArns=[arn])["EvaluationResults"]
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in out] == [
        ("secretsmanager:GetSecretValue", "allowed"), ("secretsmanager:DeleteSecret", "implicitDeny")]
    assert out[0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    assert out[0]["MatchedStatements"][0]["StartPosition"]["Line"] == 1
    out = iam.simulate_custom_policy(PolicyInputList=[READ_SECRETS, deny_prod],
                                     ActionNames=["secretsmanager:GetSecretValue"],
                                     ResourceArns=[arn])["EvaluationResults"]
    assert out[0]["EvalDecision"] == "explicitDeny"
    assert out[0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.2"
    # The principal's own policies (inline, here), as a real call would use them.
    n = name()
    iam.create_user(UserName=n)
    iam.put_user_policy(UserName=n, PolicyName="read", PolicyDocument=READ_SECRETS)
    out = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{n}",
        ActionNames=["secretsmanager:GetSecretValue"], ResourceArns=[arn])["EvaluationResults"]
    assert out[0]["EvalDecision"] == "allowed"
    assert out[0]["MatchedStatements"][0]["SourcePolicyType"] == "user"
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=["{"], ActionNames=["s3:GetObject"])
    assert code_of(e.value) == ("MalformedPolicyDocument", 400)


def test_cli_create_user_with_policy_prints_a_working_key(iam, auth_server, tmp_path):
    """`arcana iam create-user NAME --policy-file F`, offline on the server's store: the
    printed key authenticates at once and the user carries the policy."""
    from conftest import ARCANAD, cli_store_args
    policy = tmp_path / "p.json"
    policy.write_text(READ_SECRETS)
    n = name()
    made = subprocess.run([str(ARCANAD.parent / "arcana"), *cli_store_args(auth_server.data_dir),
                           "--root-key-file", str(auth_server.data_dir / "root.key"),
                           "iam", "create-user", n, "--policy-file", str(policy)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    akid = made.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0]
    secret = made.stdout.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0]
    sts = client(auth_server.endpoint, "sts", akid, secret)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{n}"
    assert iam.list_user_policies(UserName=n)["PolicyNames"] == ["arcana-cli"]
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    other = name()
    p = subprocess.run([str(ARCANAD.parent / "arcana"), *cli_store_args(auth_server.data_dir),
                        "--root-key-file", str(auth_server.data_dir / "root.key"),
                        "iam", "create-user", other, "--policy-file", str(bad)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, p.stdout
    with pytest.raises(ClientError) as e:  # the policy is checked before anything is created
        iam.get_user(UserName=other)
    assert code_of(e.value) == ("NoSuchEntity", 404)


def test_iam_calls_are_authorized_by_the_callers_policies(iam, auth_server):
    """IAM actions go through the policy engine like every other service's: a user needs
    iam:ACTION on the entity (here its own user ARN via ${aws:username})."""
    n = name()
    iam.create_user(UserName=n)
    key = iam.create_access_key(UserName=n)["AccessKey"]
    mine = client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        mine.get_user(UserName=n)
    assert code_of(e.value) == ("AccessDenied", 403)
    assert f"user/{n} is not authorized to perform: iam:GetUser" in \
        e.value.response["Error"]["Message"]
    iam.put_user_policy(UserName=n, PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAccessKeys"],
            "Resource": f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"}]}))
    assert mine.get_user(UserName=n)["User"]["UserName"] == n  # the policy applies at once
    assert mine.get_user()["User"]["UserName"] == n            # no name: the caller itself
    with pytest.raises(ClientError) as e:
        mine.get_user(UserName=name("other"))
    assert code_of(e.value) == ("AccessDenied", 403)


def test_get_group_list_groups_and_update_user(iam):
    """GetGroup (the group and its members, paged), ListGroups (PathPrefix, paged) and
    UpdateUser (NewPath moves the user's ARN; renaming is refused)."""
    prefix = f"/g{uuid.uuid4().hex[:6]}/"
    g = name("g")
    made = iam.create_group(GroupName=g, Path=prefix)["Group"]
    users = sorted(name() for _ in range(3))
    for u in users:
        iam.create_user(UserName=u)
        iam.add_user_to_group(GroupName=g, UserName=u)
    got = iam.get_group(GroupName=g, MaxItems=2)
    assert got["Group"]["GroupId"] == made["GroupId"] and got["Group"]["Path"] == prefix
    assert [u["UserName"] for u in got["Users"]] == users[:2] and got["IsTruncated"]
    rest = iam.get_group(GroupName=g, Marker=got["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == users[2:] and not rest["IsTruncated"]
    assert [x["GroupName"] for x in iam.list_groups(PathPrefix=prefix)["Groups"]] == [g]
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName=name("nogroup"))
    assert code_of(e.value) == ("NoSuchEntity", 404)

    iam.update_user(UserName=users[0], NewPath=prefix)
    assert iam.get_user(UserName=users[0])["User"]["Arn"] == \
        f"arn:aws:iam::{ACCOUNT}:user{prefix}{users[0]}"
    renamed = name()
    iam.update_user(UserName=users[0], NewUserName=renamed)  # the group lists the new name
    assert renamed in [u["UserName"] for u in iam.get_group(GroupName=g)["Users"]]
    users[0] = renamed
    for u in users:
        iam.remove_user_from_group(GroupName=g, UserName=u)
        iam.delete_user(UserName=u)
    iam.delete_group(GroupName=g)


def test_tag_length_violations_do_not_quote_the_value(iam):
    """IAM words tag length violations without the value, as AWS answered TagUser (recorded in
    the tests of aws-sdk-go based emulators: "Value at 'tags.1.member.value' failed to satisfy
    constraint: Member must have length less than or equal to 256"); other services quote it."""
    cases = [([{"Key": "k" * 129, "Value": "v"}], "tags.1.member.key", 128),
             ([{"Key": "k", "Value": "v" * 257}], "tags.1.member.value", 256)]
    for tags, member, limit in cases:
        with pytest.raises(ClientError) as e:
            iam.create_user(UserName=name(), Tags=tags)
        assert e.value.response["Error"]["Message"] == (
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {limit}")
