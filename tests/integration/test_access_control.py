"""Least privilege end to end (issue 10's integration tests), against a non-dev server through
boto3 and a few aws CLI calls: an admin creates users and roles; ABAC on the `team` tag
(${aws:PrincipalTag/team} against aws:ResourceTag/team, aws:RequestTag/team and aws:TagKeys);
a secret read from another account only through its resource policy (a second account's root
keys come from `arcana access-key create --account-id`); a customer KMS key whose key policy
denies one role; expired session credentials; a permissions boundary and session policies
narrowing access; BatchGetSecretValue's per-item denials and GetParameters on a denied name,
as AWS documents them. Denials are checked against AWS's exact message form:
  User: CALLER is not authorized to perform: ACTION on resource: RESOURCE because ...
One module-scoped admin; every test names its entities uniquely."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from types import SimpleNamespace

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ARCANAD, cli_store_args, raw_call, sigv4_headers
from aws_cli import run_cli
from test_iam import client, code_of
from test_sts import expire_session

ACCOUNT_B = "210987654321"
REGION = "us-east-1"
SM_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def trust(*extra_actions, principal=f"arn:aws:iam::{ACCOUNT}:root") -> str:
    return doc({"Effect": "Allow", "Principal": {"AWS": principal},
                "Action": ["sts:AssumeRole", *extra_actions]})


def denial(caller: str, action: str, resource: str | None, why: str) -> str:
    """AWS's AccessDeniedException message. why: "identity" / "resource" / "boundary" /
    "session" (no ... policy allows), or "deny-identity" / "deny-resource" (explicit deny)."""
    out = f"User: {caller} is not authorized to perform: {action}"
    if resource:
        out += f" on resource: {resource}"
    kinds = {"identity": "identity-based policy", "resource": "resource-based policy",
             "boundary": "permissions boundary", "session": "session policy"}
    if why.startswith("deny-"):
        return out + f" with an explicit deny in {'an identity-based policy' if why == 'deny-identity' else 'a resource-based policy'}"
    return out + f" because no {kinds[why]} allows the {action} action"


def assert_denied(e: ClientError, message: str, code="AccessDeniedException", status=400):
    assert code_of(e) == (code, status), e.response
    assert e.response["Error"]["Message"] == message


class Admin(SimpleNamespace):
    """The account root's clients, and helpers that make principals."""

    def as_keys(self, service, creds):
        return client(self.endpoint, service, creds["AccessKeyId"], creds["SecretAccessKey"],
                      creds.get("SessionToken"))

    def batch_get(self, creds, **body) -> dict:
        """BatchGetSecretValue, signed by hand (Debian's botocore predates it); raises
        ClientError-like AssertionError details on failure via the returned JSON."""
        r = raw_call(self.endpoint, "BatchGetSecretValue", body, akid=creds["AccessKeyId"],
                     secret=creds["SecretAccessKey"],
                     extra_headers={"X-Amz-Security-Token": creds["SessionToken"]})
        return {"status": r.status_code, **r.json()}

    def role(self, policy: str | None, tags=None, trust_policy=None) -> tuple[str, str]:
        name = uniq("role")
        kw = {"Tags": tags} if tags else {}
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy or trust(),
                                   **kw)["Role"]["Arn"]
        if policy:
            self.iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy)
        return name, arn

    def session(self, role_arn, session_name="app", **kw) -> dict:
        return self.sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name,
                                    DurationSeconds=900, **kw)["Credentials"]

    def user(self, policy: str | None, **kw) -> tuple[str, dict]:
        name = uniq("user")
        self.iam.create_user(UserName=name, **kw)
        if policy:
            self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
        return name, self.iam.create_access_key(UserName=name)["AccessKey"]


@pytest.fixture(scope="module")
def admin(auth_server):
    e = auth_server.endpoint
    return Admin(endpoint=e, server=auth_server, iam=client(e, "iam"), sts=client(e, "sts"),
                 sm=client(e, "secretsmanager"), kms=client(e, "kms"), ssm=client(e, "ssm"))


def assumed(role_name, session="app") -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{session}"


# --------------------------------------------------------------------------- (a) administration

def test_admin_creates_users_and_roles(admin, tmp_path):
    """An admin user (not root) creates a user and a role with the aws CLI and boto3; the new
    user can do exactly what its policy says, and nothing of IAM."""
    _, admin_key = admin.user(doc(allow("*")))
    app = uniq("app")
    p = run_cli(admin.endpoint, tmp_path, admin_key["AccessKeyId"], admin_key["SecretAccessKey"],
                "iam", "create-user", "--user-name", app, "--tags", "Key=team,Value=blue")
    assert p.returncode == 0, p.stderr
    name = uniq("adm/db")
    admin.sm.create_secret(Name=name, SecretString="s3cr3t")
    mine = admin.as_keys("iam", admin_key)
    mine.put_user_policy(UserName=app, PolicyName="read", PolicyDocument=doc(
        allow("secretsmanager:GetSecretValue", SM_ARN + "adm/*")))
    key = mine.create_access_key(UserName=app)["AccessKey"]
    role = mine.create_role(RoleName=uniq("ci"), AssumeRolePolicyDocument=trust())["Role"]
    assert role["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/ci-")

    p = run_cli(admin.endpoint, tmp_path, key["AccessKeyId"], key["SecretAccessKey"],
                "secretsmanager", "get-secret-value", "--secret-id", name)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["SecretString"] == "s3cr3t"
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{app}"
    sm = admin.as_keys("secretsmanager", key)
    with pytest.raises(ClientError) as e:
        sm.describe_secret(SecretId=name)
    assert_denied(e.value, denial(user_arn, "secretsmanager:DescribeSecret", name, "identity"))
    with pytest.raises(ClientError) as e:  # the app user may not administer IAM
        admin.as_keys("iam", key).create_user(UserName=uniq("x"))
    assert code_of(e.value) == ("AccessDenied", 403)
    assert e.value.response["Error"]["Message"].startswith(
        f"User: {user_arn} is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{ACCOUNT}:user/")


# --------------------------------------------------------------------------- (b) ABAC

ABAC_POLICY = doc(
    allow(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
          Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
    allow(["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
          Condition={"StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"},
                     "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "app"]}}),
)


def test_abac_reads_and_creates_only_with_own_team_tag(admin):
    role, arn = admin.role(ABAC_POLICY, tags=[{"Key": "team", "Value": "blue"}],
                           trust_policy=trust("sts:TagSession"))
    blue_name, red_name = uniq("abac/blue"), uniq("abac/red")
    admin.sm.create_secret(Name=blue_name, SecretString="b", Tags=[{"Key": "team", "Value": "blue"}])
    admin.sm.create_secret(Name=red_name, SecretString="r", Tags=[{"Key": "team", "Value": "red"}])
    untagged = uniq("abac/none")
    admin.sm.create_secret(Name=untagged, SecretString="n")
    blue = admin.as_keys("secretsmanager", admin.session(arn, "blue"))
    # A session tag overrides the role's tag: this session is on the red team.
    red = admin.as_keys("secretsmanager", admin.session(
        arn, "red", Tags=[{"Key": "team", "Value": "red"}]))

    assert blue.get_secret_value(SecretId=blue_name)["SecretString"] == "b"
    assert red.get_secret_value(SecretId=red_name)["SecretString"] == "r"
    for sm, session, other in ((blue, "blue", red_name), (red, "red", blue_name),
                               (blue, "blue", untagged)):
        with pytest.raises(ClientError) as e:
            sm.get_secret_value(SecretId=other)
        assert_denied(e.value, denial(assumed(role, session), "secretsmanager:GetSecretValue",
                                      other, "identity"))

    # Creating: only with the caller's own team tag, and no tag keys beyond team/app.
    made = blue.create_secret(Name=uniq("abac/new"), SecretString="x",
                              Tags=[{"Key": "team", "Value": "blue"}, {"Key": "app", "Value": "a"}])
    assert blue.describe_secret(SecretId=made["ARN"])["Tags"][0]["Key"] in ("team", "app")
    for tags in ([{"Key": "team", "Value": "red"}], [],
                 [{"Key": "team", "Value": "blue"}, {"Key": "owner", "Value": "me"}]):
        n = uniq("abac/new")
        with pytest.raises(ClientError) as e:
            blue.create_secret(Name=n, SecretString="x", **({"Tags": tags} if tags else {}))
        assert_denied(e.value, denial(assumed(role, "blue"), "secretsmanager:CreateSecret",
                                      n, "identity"))
    # Nor may it move its own secret to another team.
    with pytest.raises(ClientError) as e:
        blue.tag_resource(SecretId=made["ARN"], Tags=[{"Key": "team", "Value": "red"}])
    assert code_of(e.value) == ("AccessDeniedException", 400)


def test_session_tags_need_sts_tag_session(admin):
    """AWS: passing session tags needs sts:TagSession in the role's trust policy."""
    _, arn = admin.role(None, trust_policy=trust())
    with pytest.raises(ClientError) as e:
        admin.session(arn, "tags", Tags=[{"Key": "team", "Value": "red"}])
    assert code_of(e.value) == ("AccessDenied", 403)
    assert e.value.response["Error"]["Message"] == denial(
        f"arn:aws:iam::{ACCOUNT}:root", "sts:TagSession", arn, "resource")


# --------------------------------------------------------------------------- (c) cross-account

@pytest.fixture(scope="module")
def account_b(admin):
    """Root keys of a second account, made offline on the server's store as an operator would
    (`arcana access-key create --account-id`)."""
    srv = admin.server
    p = subprocess.run([str(ARCANAD.parent / "arcana"), *cli_store_args(srv.data_dir),
                        "--root-key-file", str(srv.data_dir / "root.key"),
                        "access-key", "create", "--account-id", ACCOUNT_B],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    key = {"AccessKeyId": p.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0],
           "SecretAccessKey": p.stdout.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0]}
    ident = admin.as_keys("sts", key).get_caller_identity()
    assert ident["Account"] == ACCOUNT_B and ident["Arn"] == f"arn:aws:iam::{ACCOUNT_B}:root"
    return key


def shared_key(admin) -> str:
    """A customer key of account A whose key policy lets account B decrypt (AWS: the AWS
    managed key aws/secretsmanager cannot be used across accounts)."""
    policy = doc(
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "AccountB", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"})
    return admin.kms.create_key(Policy=policy)["KeyMetadata"]["Arn"]


def test_cross_account_read_only_through_resource_policy(admin, account_b):
    key_arn = shared_key(admin)
    name = uniq("xacct/db")
    arn = admin.sm.create_secret(Name=name, SecretString="shared", KmsKeyId=key_arn)["ARN"]
    b_root = f"arn:aws:iam::{ACCOUNT_B}:root"
    b_sm = admin.as_keys("secretsmanager", account_b)
    # No resource policy: account B's root is refused (its own side allows; the secret's not).
    with pytest.raises(ClientError) as e:
        b_sm.get_secret_value(SecretId=arn)
    assert_denied(e.value, denial(b_root, "secretsmanager:GetSecretValue", arn, "resource"))
    # By name, B names a secret of its own account, which does not exist.
    with pytest.raises(ClientError) as e:
        b_sm.get_secret_value(SecretId=name)
    assert code_of(e.value) == ("ResourceNotFoundException", 400)

    admin.sm.put_resource_policy(SecretId=arn, BlockPublicPolicy=True, ResourcePolicy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    assert b_sm.get_secret_value(SecretId=arn)["SecretString"] == "shared"
    with pytest.raises(ClientError) as e:  # only what the resource policy grants
        b_sm.describe_secret(SecretId=arn)
    assert_denied(e.value, denial(b_root, "secretsmanager:DescribeSecret", arn, "resource"))

    # A user of account B needs its own identity policy too (for the secret and the key).
    b_iam = admin.as_keys("iam", account_b)
    user = uniq("buser")
    b_iam.create_user(UserName=user)
    b_key = b_iam.create_access_key(UserName=user)["AccessKey"]
    b_user_sm = admin.as_keys("secretsmanager", b_key)
    with pytest.raises(ClientError) as e:
        b_user_sm.get_secret_value(SecretId=arn)
    assert_denied(e.value, denial(f"arn:aws:iam::{ACCOUNT_B}:user/{user}",
                                  "secretsmanager:GetSecretValue", arn, "identity"))
    b_iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=doc(
        allow("secretsmanager:GetSecretValue", arn), allow("kms:Decrypt", key_arn)))
    assert b_user_sm.get_secret_value(SecretId=arn)["SecretString"] == "shared"

    # The same grant on a secret under the AWS managed key: AWS refuses other accounts.
    plain = admin.sm.create_secret(Name=uniq("xacct/default"), SecretString="x")["ARN"]
    admin.sm.put_resource_policy(SecretId=plain, ResourcePolicy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    with pytest.raises(ClientError) as e:
        b_sm.get_secret_value(SecretId=plain)
    assert code_of(e.value) == ("InvalidRequestException", 400)
    assert e.value.response["Error"]["Message"] == (
        "You can't access a secret from a different AWS account if you encrypt the secret with "
        "the default KMS service key.")


# --------------------------------------------------------------------------- (d) KMS key policy

def test_key_policy_denies_one_role(admin):
    policy = doc(allow(["kms:*", "secretsmanager:*"]))
    denied_role, denied_arn = admin.role(policy)
    ok_role, ok_arn = admin.role(policy)
    key = admin.kms.create_key(Policy=doc(
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "NotThatRole", "Effect": "Deny", "Principal": {"AWS": denied_arn},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}),
    )["KeyMetadata"]["Arn"]
    ok_kms = admin.as_keys("kms", admin.session(ok_arn))
    bad_creds = admin.session(denied_arn)
    bad_kms, bad_sm = admin.as_keys("kms", bad_creds), admin.as_keys("secretsmanager", bad_creds)

    blob = ok_kms.encrypt(KeyId=key, Plaintext=b"hello")["CiphertextBlob"]
    assert ok_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"
    with pytest.raises(ClientError) as e:
        bad_kms.encrypt(KeyId=key, Plaintext=b"hello")
    assert_denied(e.value, denial(assumed(denied_role), "kms:Encrypt", key, "deny-resource"))
    with pytest.raises(ClientError) as e:
        bad_kms.decrypt(CiphertextBlob=blob)
    assert_denied(e.value, denial(assumed(denied_role), "kms:Decrypt", key, "deny-resource"))
    assert bad_kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"] == key  # not denied

    # A secret under that key: Secrets Manager uses the key as the caller (kms:ViaService).
    name = uniq("kmsdeny/db")
    admin.sm.create_secret(Name=name, SecretString="v", KmsKeyId=key)
    assert admin.as_keys("secretsmanager", admin.session(ok_arn)).get_secret_value(
        SecretId=name)["SecretString"] == "v"
    with pytest.raises(ClientError) as e:
        bad_sm.get_secret_value(SecretId=name)
    assert_denied(e.value, "Access to KMS is not allowed")
    with pytest.raises(ClientError) as e:
        bad_sm.put_secret_value(SecretId=name, SecretString="w")
    assert_denied(e.value, "Access to KMS is not allowed")
    with pytest.raises(ClientError) as e:
        bad_sm.create_secret(Name=uniq("kmsdeny/new"), SecretString="v", KmsKeyId=key)
    assert_denied(e.value, "Access to KMS is not allowed")


@pytest.mark.parametrize("broken", [
    {"Condition": {"StringEqualz": {"aws:username": "x"}}},  # misspelled operator
    {"Comment": "no one but admins"},                         # element the grammar lacks
], ids=["operator-typo", "extra-element"])
def test_key_policy_the_engine_cannot_compile_is_refused(admin, broken):
    """A key policy whose Deny statement the engine cannot compile used to be stored and then
    enforced as the default key policy, its Deny lost: the denied user encrypted with the key.
    CreateKey, PutKeyPolicy and ReplicateKey refuse it (MalformedPolicyDocumentException, as
    AWS), so the key keeps the policy it had and its Deny holds."""
    user, keys = admin.user(doc(allow("kms:*")))
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{user}"
    root = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*", "Resource": "*"}
    no_user = {"Effect": "Deny", "Principal": {"AWS": user_arn}, "Action": "kms:Encrypt",
               "Resource": "*"}
    bad = doc(root, {**no_user, **broken})
    with pytest.raises(ClientError) as e:
        admin.kms.create_key(Policy=bad)
    assert code_of(e.value) == ("MalformedPolicyDocumentException", 400)
    key = admin.kms.create_key(Policy=doc(root, no_user), MultiRegion=True)["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as e:
        admin.kms.put_key_policy(KeyId=key, PolicyName="default", Policy=bad)
    assert code_of(e.value) == ("MalformedPolicyDocumentException", 400)
    with pytest.raises(ClientError) as e:
        admin.kms.replicate_key(KeyId=key, ReplicaRegion="eu-west-2", Policy=bad)
    assert code_of(e.value) == ("MalformedPolicyDocumentException", 400)
    assert json.loads(admin.kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == \
        json.loads(doc(root, no_user))
    with pytest.raises(ClientError) as e:
        admin.as_keys("kms", keys).encrypt(KeyId=key, Plaintext=b"x")
    assert_denied(e.value, denial(user_arn, "kms:Encrypt", key, "deny-resource"))


FORGED_REGION = f"us-east-1:{ACCOUNT}:secret:dev-"


def test_scope_region_cannot_forge_the_arns_policies_match(admin):
    """The credential scope's region becomes the region of every ARN the call authorizes. A
    user allowed only on secrets named dev-* used to sign with the region
    "us-east-1:ACCOUNT:secret:dev-": every ARN then began with the allowed prefix, so it
    created and read secrets of any name. A scope region that is not a region name is refused
    as AWS refuses a region it does not serve, before anything is authorized."""
    user, keys = admin.user(doc(allow("secretsmanager:*", f"{SM_ARN}dev-*")))
    creds = {"akid": keys["AccessKeyId"], "secret": keys["SecretAccessKey"]}
    name = uniq("payroll")
    create = {"Name": name, "SecretString": "v", "ClientRequestToken": str(uuid.uuid4())}
    r = raw_call(admin.endpoint, "CreateSecret", create, region=REGION, **creds)
    assert r.status_code == 400 and r.json()["__type"] == "AccessDeniedException", r.text
    for region in (FORGED_REGION, "us-east-1*", "local"):
        r = raw_call(admin.endpoint, "CreateSecret", create, region=region, **creds)
        assert r.status_code == 400, r.text
        assert r.json()["__type"] == "InvalidSignatureException", r.text
        assert r.json()["message"] == \
            f"Credential should be scoped to a valid region, not '{region}'.", r.text
    assert name not in [s["Name"] for s in admin.sm.list_secrets(MaxResults=100)["SecretList"]]
    # The prefix the policy names still works, in the real region and in others.
    for region in (REGION, "us-gov-west-1", "cn-north-1", "eu-central-1"):
        ok = raw_call(admin.endpoint, "CreateSecret",
                      {"Name": uniq("dev-x"), "SecretString": "v",
                       "ClientRequestToken": str(uuid.uuid4())}, region=region, **creds)
        if region == REGION:
            assert ok.status_code == 200, ok.text
        else:  # the policy names us-east-1 only: a denial, not a signature error
            assert ok.json()["__type"] == "AccessDeniedException", ok.text
    # The Query protocol (STS) answers it as AWS's STS does.
    sts_body = "Action=GetCallerIdentity&Version=2011-06-15"
    host = admin.endpoint.split("://", 1)[1]
    h = sigv4_headers(host, sts_body.encode(), None, FORGED_REGION, service="sts",
                      extra_headers={"Content-Type": "application/x-www-form-urlencoded"},
                      akid=keys["AccessKeyId"], secret=keys["SecretAccessKey"])
    r = requests.post(admin.endpoint + "/", data=sts_body, headers=h, timeout=10)
    assert r.status_code == 403, r.text
    assert "<Code>SignatureDoesNotMatch</Code>" in r.text, r.text
    assert "Credential should be scoped to a valid region" in r.text


# --------------------------------------------------------------------------- (e) expiry

def test_expired_session_credentials_fail(admin):
    """Sessions last at least 900 s, so expiry is simulated by moving the stored session's
    expiry into the past (the server has no injectable clock); the key is fresh, so nothing
    of it is cached. Every service answers ExpiredToken(Exception)."""
    _, arn = admin.role(doc(allow(["secretsmanager:*", "kms:*", "ssm:*"])))
    out = admin.sts.assume_role(RoleArn=arn, RoleSessionName="exp", DurationSeconds=900)
    creds = out["Credentials"]
    import datetime as dt
    left = (creds["Expiration"] - dt.datetime.now(dt.timezone.utc)).total_seconds()
    assert 880 < left <= 901, left
    expire_session(admin.server, creds["AccessKeyId"])
    msg = "The security token included in the request is expired"
    for service, call in (("secretsmanager", lambda c: c.list_secrets()),
                          ("kms", lambda c: c.list_keys()),
                          ("ssm", lambda c: c.describe_parameters())):
        with pytest.raises(ClientError) as e:
            call(admin.as_keys(service, creds))
        assert code_of(e.value) == ("ExpiredTokenException", 400), service
        assert e.value.response["Error"]["Message"] == msg
    with pytest.raises(ClientError) as e:
        admin.as_keys("sts", creds).get_caller_identity()
    assert code_of(e.value) == ("ExpiredToken", 403)


# --------------------------------------------------------------------------- (f) narrowing

def test_permissions_boundary_narrows_a_user(admin):
    ok, other = uniq("bnd/ok"), uniq("bnd/no")
    for n in (ok, other):
        admin.sm.create_secret(Name=n, SecretString=n)
    boundary = admin.iam.create_policy(PolicyName=uniq("bound"), PolicyDocument=doc(
        allow("secretsmanager:GetSecretValue", SM_ARN + ok + "-*")))["Policy"]["Arn"]
    name, key = admin.user(doc(allow("secretsmanager:*")), PermissionsBoundary=boundary)
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    sm = admin.as_keys("secretsmanager", key)
    assert sm.get_secret_value(SecretId=ok)["SecretString"] == ok
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=other)
    assert_denied(e.value, denial(user_arn, "secretsmanager:GetSecretValue", other, "boundary"))
    with pytest.raises(ClientError) as e:
        sm.describe_secret(SecretId=ok)
    assert_denied(e.value, denial(user_arn, "secretsmanager:DescribeSecret", ok, "boundary"))
    admin.iam.delete_user_permissions_boundary(UserName=name)  # takes effect at once
    assert sm.get_secret_value(SecretId=other)["SecretString"] == other


def test_session_policies_narrow_a_role(admin):
    a, b = uniq("sess/a"), uniq("sess/b")
    for n in (a, b):
        admin.sm.create_secret(Name=n, SecretString=n)
    role, arn = admin.role(doc(allow("secretsmanager:*")))
    inline = admin.as_keys("secretsmanager", admin.session(arn, "inline", Policy=doc(
        allow("secretsmanager:GetSecretValue", SM_ARN + a + "-*"))))
    assert inline.get_secret_value(SecretId=a)["SecretString"] == a
    with pytest.raises(ClientError) as e:
        inline.get_secret_value(SecretId=b)
    assert_denied(e.value, denial(assumed(role, "inline"), "secretsmanager:GetSecretValue", b,
                                  "session"))
    managed = admin.iam.create_policy(PolicyName=uniq("sp"), PolicyDocument=doc(
        allow("secretsmanager:DescribeSecret")))["Policy"]["Arn"]
    by_arn = admin.as_keys("secretsmanager", admin.session(
        arn, "arns", PolicyArns=[{"arn": managed}]))
    assert by_arn.describe_secret(SecretId=b)["Name"] == b
    with pytest.raises(ClientError) as e:
        by_arn.get_secret_value(SecretId=b)
    assert_denied(e.value, denial(assumed(role, "arns"), "secretsmanager:GetSecretValue", b,
                                  "session"))
    # A session policy never widens: the role itself cannot read parameters.
    wide = admin.as_keys("ssm", admin.session(arn, "wide", Policy=doc(allow("*"))))
    with pytest.raises(ClientError) as e:
        wide.describe_parameters()
    assert_denied(e.value, denial(assumed(role, "wide"), "ssm:DescribeParameters", None,
                                  "identity"))


# --------------------------------------------------------------------------- (g) batches

def test_batch_get_secret_value_reports_denials_per_item(admin):
    ok1, ok2, no = uniq("bg/ok/a"), uniq("bg/ok/b"), uniq("bg/no/c")
    for n in (ok1, ok2, no):
        admin.sm.create_secret(Name=n, SecretString=n)
    role, arn = admin.role(doc(allow("secretsmanager:BatchGetSecretValue"),
                               allow("secretsmanager:GetSecretValue", SM_ARN + "bg/ok/*")))
    creds = admin.session(arn)
    missing = "bg/ok/" + uuid.uuid4().hex[:8]
    out = admin.batch_get(creds, SecretIdList=[ok1, no, ok2, missing])
    assert out["status"] == 200, out
    assert sorted(v["Name"] for v in out["SecretValues"]) == sorted([ok1, ok2])
    errors = {x["SecretId"]: x for x in out["Errors"]}
    assert set(errors) == {no, missing}
    assert errors[no]["ErrorCode"] == "AccessDeniedException"
    assert errors[no]["Message"] == denial(assumed(role), "secretsmanager:GetSecretValue", no,
                                           "identity")
    assert errors[missing]["ErrorCode"] == "ResourceNotFoundException"
    # AWS: with Filters the caller also needs secretsmanager:ListSecrets.
    out = admin.batch_get(creds, Filters=[{"Key": "name", "Values": ["bg/ok/"]}])
    assert (out["status"], out["__type"].rsplit("#")[-1]) == (400, "AccessDeniedException")
    assert (out.get("Message") or out.get("message")) == denial(assumed(role), "secretsmanager:ListSecrets", None, "identity")
    # Without secretsmanager:BatchGetSecretValue the whole call is refused.
    role2, arn2 = admin.role(doc(allow("secretsmanager:GetSecretValue")))
    out = admin.batch_get(admin.session(arn2), SecretIdList=[ok1])
    assert (out["status"], out["__type"].rsplit("#")[-1]) == (400, "AccessDeniedException")
    assert (out.get("Message") or out.get("message")) == denial(assumed(role2), "secretsmanager:BatchGetSecretValue", None,
                                    "identity")


def test_get_parameters_fails_as_a_whole_on_a_denied_name(admin):
    """AWS: GetParameters needs ssm:GetParameters on every parameter it names; one denied name
    fails the call with AccessDeniedException (missing names are InvalidParameters)."""
    base = "/" + uniq("gp")
    for n in ("ok/a", "no/b"):
        admin.ssm.put_parameter(Name=f"{base}/{n}", Value=n, Type="String")
    role, arn = admin.role(doc(allow("ssm:GetParameters",
                                     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{base}/ok/*")))
    ssm = admin.as_keys("ssm", admin.session(arn))
    out = ssm.get_parameters(Names=[f"{base}/ok/a", f"{base}/ok/missing"])
    assert [p["Name"] for p in out["Parameters"]] == [f"{base}/ok/a"]
    assert out["InvalidParameters"] == [f"{base}/ok/missing"]
    with pytest.raises(ClientError) as e:
        ssm.get_parameters(Names=[f"{base}/ok/a", f"{base}/no/b"])
    assert_denied(e.value, denial(
        assumed(role), "ssm:GetParameters",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{base}/no/b", "identity"))


# --------------------------------------------------------------------------- property test

PROP_ACTIONS = {
    "secretsmanager:GetSecretValue": lambda sm, arn: sm.get_secret_value(SecretId=arn),
    "secretsmanager:DescribeSecret": lambda sm, arn: sm.describe_secret(SecretId=arn),
    "secretsmanager:ListSecretVersionIds": lambda sm, arn: sm.list_secret_version_ids(SecretId=arn),
    "secretsmanager:GetResourcePolicy": lambda sm, arn: sm.get_resource_policy(SecretId=arn),
}
PROP_TAGS = {"a": {"team": "blue", "env": "prod"}, "b": {"team": "red"}, "c": {},
             "r": {"team": "blue"}}  # r: a random resource policy of its own in every case


def random_resource_policy(rnd, user_arn: str) -> str | None:
    if rnd.random() < 0.3:
        return None
    statements = []
    for _ in range(rnd.randint(1, 2)):
        principal = rnd.choice([user_arn, f"arn:aws:iam::{ACCOUNT}:root", "*"])
        statements.append({
            "Effect": "Allow" if rnd.random() < 0.7 else "Deny",
            "Principal": "*" if principal == "*" else {"AWS": principal},
            # Never Put/DeleteResourcePolicy: a Deny of those would lock the admin out.
            "Action": rnd.choice([rnd.choice(list(PROP_ACTIONS)), rnd.sample(list(PROP_ACTIONS), 2),
                                  "secretsmanager:Get*", "secretsmanager:*Secret*"]),
            "Resource": "*"})
    return doc(*statements)


def random_statement(rnd, prefix: str, arns: dict) -> dict:
    actions = list(PROP_ACTIONS)
    action = rnd.choice([
        rnd.choice(actions), rnd.sample(actions, 2), "secretsmanager:*", "secretsmanager:Get*",
        "secretsmanager:*Secret*", "secretsmanager:Describe?ecret", "kms:Decrypt"])
    resource = rnd.choice([
        "*", rnd.choice(list(arns.values())), f"{SM_ARN}{prefix}/a-*", f"{SM_ARN}{prefix}/*",
        f"arn:aws:secretsmanager:*:*:secret:{prefix}/?-*", f"{SM_ARN}other/*"])
    st = {"Effect": "Allow" if rnd.random() < 0.7 else "Deny"}
    st["NotAction" if rnd.random() < 0.1 else "Action"] = action
    st["NotResource" if rnd.random() < 0.1 else "Resource"] = resource
    if rnd.random() < 0.5:
        st["Condition"] = rnd.choice([
            {"StringEquals": {"aws:ResourceTag/team": rnd.choice(["blue", "red"])}},
            {"StringNotEquals": {"secretsmanager:ResourceTag/team": "blue"}},
            {"StringLike": {"aws:ResourceTag/team": rnd.choice(["b*", "?ed"])}},
            {"Null": {"aws:ResourceTag/team": rnd.choice(["true", "false"])}},
            {"StringEqualsIfExists": {"aws:ResourceTag/env": "prod"}},
            {"ForAnyValue:StringEquals": {"aws:ResourceTag/team": ["red", "green"]}},
            {"StringEquals": {"aws:ResourceTag/team": "blue"},
             "StringNotEqualsIgnoreCase": {"aws:ResourceTag/env": "PROD"}},
        ])
    return st


def real_decision(call) -> str:
    try:
        call()
        return "allowed"
    except ClientError as e:
        assert code_of(e) == ("AccessDeniedException", 400), e.response
        return "explicitDeny" if "with an explicit deny" in e.response["Error"]["Message"] \
            else "implicitDeny"


@pytest.mark.sqlite_only("compares the policy engine's two front doors (simulator and a real "
                         "call); the decision does not depend on the store")
def test_simulator_agrees_with_real_calls(admin):
    """Random policies and requests (seeded; ARCANA_PROPERTY_SEED to vary): the decision
    SimulateCustomPolicy reports is the outcome of the real call made by a user holding that
    policy as its only policy; for one secret with a random resource policy too (naming the
    user, the account or everyone), simulated with ResourcePolicy and CallerArn."""
    import random
    seed = int(os.environ.get("ARCANA_PROPERTY_SEED", "1010"))
    rnd = random.Random(seed)
    prefix = uniq("prop")
    arns = {}
    for k, tags in PROP_TAGS.items():
        kw = {"Tags": [{"Key": t, "Value": v} for t, v in tags.items()]} if tags else {}
        arns[k] = admin.sm.create_secret(Name=f"{prefix}/{k}", SecretString=k, **kw)["ARN"]
    user, key = admin.user(None)
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{user}"
    sm = admin.as_keys("secretsmanager", key)
    seen = set()
    for case in range(100):
        policy = doc(*[random_statement(rnd, prefix, arns) for _ in range(rnd.randint(1, 3))])
        admin.iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=policy)
        resource_policy = random_resource_policy(rnd, user_arn)
        if resource_policy:
            admin.sm.put_resource_policy(SecretId=arns["r"], ResourcePolicy=resource_policy)
        else:
            admin.sm.delete_resource_policy(SecretId=arns["r"])
        for _ in range(2):
            action, which = rnd.choice(list(PROP_ACTIONS)), rnd.choice(list(arns))
            context = [{"ContextKeyName": f"{ns}:ResourceTag/{t}", "ContextKeyType": "string",
                        "ContextKeyValues": [v]}
                       for t, v in PROP_TAGS[which].items() for ns in ("aws", "secretsmanager")]
            extra = {"ResourcePolicy": resource_policy, "CallerArn": user_arn} \
                if which == "r" and resource_policy else {}
            sim = admin.iam.simulate_custom_policy(
                PolicyInputList=[policy], ActionNames=[action], ResourceArns=[arns[which]],
                ContextEntries=context, **extra)["EvaluationResults"][0]["EvalDecision"]
            real = real_decision(lambda: PROP_ACTIONS[action](sm, arns[which]))
            assert sim == real, (f"seed {seed} case {case}: simulator says {sim}, the call "
                                 f"{action} on {which} was {real}; policy {policy}; resource "
                                 f"policy {extra.get('ResourcePolicy')}")
            seen.add(real)
    assert seen == {"allowed", "explicitDeny", "implicitDeny"}  # the cases cover all three


# --------------------------------------------------------------------------- Parameter Store KMS

def test_secure_string_under_customer_key_needs_kms_as_the_caller(admin):
    """Parameter Store uses a customer key as the caller, via ssm.REGION.amazonaws.com:
    kms:Encrypt to write a Standard SecureString, kms:Decrypt to read it WithDecryption."""
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]  # default key policy: IAM decides
    base = "/" + uniq("sskms")
    admin.ssm.put_parameter(Name=f"{base}/p", Value="v1", Type="SecureString", KeyId=key)
    ssm_only = doc(allow("ssm:*"))
    via_ssm = {"StringEquals": {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}}
    role, arn = admin.role(ssm_only)
    ssm = admin.as_keys("ssm", admin.session(arn))
    # Without kms:Decrypt: the ciphertext is readable, the plaintext is not.
    assert ssm.get_parameter(Name=f"{base}/p")["Parameter"]["Value"] != "v1"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{base}/p", WithDecryption=True)
    assert_denied(e.value, "The ciphertext refers to a customer master key that does not "
                           "exist, does not exist in this region, or you are not allowed to "
                           "access.")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{base}/q", Value="x", Type="SecureString", KeyId=key)
    assert_denied(e.value, denial(assumed(role), "kms:Encrypt", key, "identity"))
    # kms:Decrypt and kms:Encrypt only through Parameter Store: allowed there.
    role2, arn2 = admin.role(doc(allow("ssm:*"),
                                 allow(["kms:Decrypt", "kms:Encrypt"], key, Condition=via_ssm)))
    creds = admin.session(arn2)
    ssm2 = admin.as_keys("ssm", creds)
    assert ssm2.get_parameter(Name=f"{base}/p", WithDecryption=True)["Parameter"]["Value"] == "v1"
    ssm2.put_parameter(Name=f"{base}/q", Value="x", Type="SecureString", KeyId=key)
    got = ssm2.get_parameters_by_path(Path=base, WithDecryption=True)["Parameters"]
    assert sorted(p["Value"] for p in got) == ["v1", "x"]
    with pytest.raises(ClientError) as e:  # ... and not directly
        admin.as_keys("kms", creds).encrypt(KeyId=key, Plaintext=b"x")
    assert_denied(e.value, denial(assumed(role2), "kms:Encrypt", key, "identity"))


# --------------------------------------------------------------------------- trust conditions

def test_trust_policy_conditions_see_source_ip_and_current_time(admin):
    """AssumeRole evaluates the trust policy with the transport's and the clock's keys."""
    root = f"arn:aws:iam::{ACCOUNT}:root"

    def role_with(condition):
        return admin.role(None, trust_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole",
            "Condition": condition}]}))[1]

    assert admin.session(role_with({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
    assert admin.session(role_with({"DateLessThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"},
                                    "Bool": {"aws:SecureTransport": "false"}}))
    for condition in ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                      {"DateGreaterThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}):
        arn = role_with(condition)
        with pytest.raises(ClientError) as e:
            admin.session(arn)
        assert code_of(e.value) == ("AccessDenied", 403)
        assert e.value.response["Error"]["Message"] == denial(root, "sts:AssumeRole", arn,
                                                              "resource")


def test_iam_calls_are_authorized_on_arns_with_the_path(admin):
    """A policy on arn:aws:iam::ACCOUNT:user/team/* governs the users under /team/ (created
    with that Path, or already there), and no others."""
    path = f"/{uniq('t')}/"
    _, key = admin.user(doc(allow(["iam:CreateUser", "iam:GetUser", "iam:TagUser"],
                                  f"arn:aws:iam::{ACCOUNT}:user{path}*")))
    mine = admin.as_keys("iam", key)
    inside = uniq("in")
    assert mine.create_user(UserName=inside, Path=path)["User"]["Arn"] == \
        f"arn:aws:iam::{ACCOUNT}:user{path}{inside}"
    assert mine.get_user(UserName=inside)["User"]["Path"] == path
    mine.tag_user(UserName=inside, Tags=[{"Key": "k", "Value": "v"}])
    outside = uniq("out")
    admin.iam.create_user(UserName=outside)
    for call in (lambda: mine.create_user(UserName=uniq("x")),
                 lambda: mine.get_user(UserName=outside)):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e.value) == ("AccessDenied", 403)


# --------------------------------------------------------------------------- global keys

def test_global_keys_every_request_carries(admin):
    """aws:ViaAWSService and aws:PrincipalIsAWSService are in every request's context (IAM
    User Guide, global condition keys), so AWS's published "deny outside these networks
    unless a service calls for you" policy applies; aws:TokenIssueTime is there for
    temporary credentials; GetSessionToken credentials act as their user (aws:PrincipalType
    "User")."""
    outside = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {
        "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
        "Bool": {"aws:ViaAWSService": "false"}}}
    name, key = admin.user(doc(allow("secretsmanager:*"), outside))
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    with pytest.raises(ClientError) as e:
        admin.as_keys("secretsmanager", key).list_secrets()
    assert_denied(e.value, denial(user_arn, "secretsmanager:ListSecrets", None, "deny-identity"))

    # The same Deny on KMS: Parameter Store's use of the key for the caller is via a service.
    kms_key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    name, key = admin.user(doc(allow("ssm:*"), allow(["kms:Encrypt", "kms:Decrypt"], kms_key),
                               {**outside, "Action": "kms:*"}))
    ssm = admin.as_keys("ssm", key)
    pname = "/" + uniq("via")
    ssm.put_parameter(Name=pname, Value="v", Type="SecureString", KeyId=kms_key)
    assert ssm.get_parameter(Name=pname, WithDecryption=True)["Parameter"]["Value"] == "v"
    with pytest.raises(ClientError) as e:
        admin.as_keys("kms", key).encrypt(KeyId=kms_key, Plaintext=b"x")
    assert_denied(e.value, denial(f"arn:aws:iam::{ACCOUNT}:user/{name}", "kms:Encrypt", kms_key,
                                  "deny-identity"))

    not_service = deny("secretsmanager:*", Condition={"Bool": {"aws:PrincipalIsAWSService": "false"}})
    name, key = admin.user(doc(allow("secretsmanager:*"), not_service))
    with pytest.raises(ClientError) as e:
        admin.as_keys("secretsmanager", key).list_secrets()
    assert_denied(e.value, denial(f"arn:aws:iam::{ACCOUNT}:user/{name}",
                                  "secretsmanager:ListSecrets", None, "deny-identity"))

    # Temporary credentials only, and issued after 2020; long-term keys have no issue time.
    temp_only = allow("secretsmanager:ListSecrets", Condition={
        "Null": {"aws:TokenIssueTime": "false"},
        "DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"},
        "StringEquals": {"aws:PrincipalType": "User"}})
    name, key = admin.user(doc(temp_only, allow("sts:GetSessionToken")))
    session = admin.as_keys("sts", key).get_session_token(DurationSeconds=900)["Credentials"]
    admin.as_keys("secretsmanager", session).list_secrets()
    with pytest.raises(ClientError) as e:
        admin.as_keys("secretsmanager", key).list_secrets()
    assert_denied(e.value, denial(f"arn:aws:iam::{ACCOUNT}:user/{name}",
                                  "secretsmanager:ListSecrets", None, "identity"))


def test_not_principal_deny_always_denies_a_principal_with_a_boundary(admin):
    """IAM User Guide (NotPrincipal): a Deny with NotPrincipal "will always deny any IAM
    principal that has a permissions boundary policy attached, regardless of the values
    specified in the NotPrincipal element"."""
    n = uniq("notprincipal")
    admin.sm.create_secret(Name=n, SecretString="v")
    boundary = admin.iam.create_policy(PolicyName=uniq("allbound"),
                                       PolicyDocument=doc(allow("*")))["Policy"]["Arn"]
    plain, plain_key = admin.user(doc(allow("secretsmanager:*")))
    bounded, bounded_key = admin.user(doc(allow("secretsmanager:*")), PermissionsBoundary=boundary)
    exempt = [f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:user/{plain}",
              f"arn:aws:iam::{ACCOUNT}:user/{bounded}"]
    admin.sm.put_resource_policy(SecretId=n, ResourcePolicy=doc(
        {"Effect": "Deny", "NotPrincipal": {"AWS": exempt},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    assert admin.as_keys("secretsmanager", plain_key).get_secret_value(SecretId=n)["SecretString"] == "v"
    with pytest.raises(ClientError) as e:
        admin.as_keys("secretsmanager", bounded_key).get_secret_value(SecretId=n)
    assert_denied(e.value, denial(f"arn:aws:iam::{ACCOUNT}:user/{bounded}",
                                  "secretsmanager:GetSecretValue", n, "deny-resource"))


def test_key_property_keys_apply_when_a_service_uses_the_key(admin):
    """kms:KeySpec, kms:KeyOrigin, kms:EncryptionAlgorithm ... describe the key also when
    Secrets Manager or Parameter Store uses it for the caller, as when KMS is called directly."""
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    n = uniq("keyprops")
    admin.sm.create_secret(Name=n, SecretString="v", KmsKeyId=key)
    kms_ok = allow(["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"], key)
    name, creds = admin.user(doc(allow("secretsmanager:*"), allow("ssm:*"), kms_ok, deny(
        "kms:Decrypt", Condition={"StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT",
                                                   "kms:KeyOrigin": "AWS_KMS",
                                                   "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}})))
    with pytest.raises(ClientError) as e:
        admin.as_keys("secretsmanager", creds).get_secret_value(SecretId=n)
    assert_denied(e.value, "Access to KMS is not allowed")
    # The same user writes under the key (kms:GenerateDataKey is not denied) ...
    admin.as_keys("secretsmanager", creds).put_secret_value(SecretId=n, SecretString="w")
    # ... and without the Deny reads it.
    _, creds2 = admin.user(doc(allow("secretsmanager:*"), kms_ok, deny(
        "kms:Decrypt", Condition={"StringNotEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT"}})))
    assert admin.as_keys("secretsmanager", creds2).get_secret_value(SecretId=n)["SecretString"] == "w"
