"""STS over the Query protocol through boto3: GetCallerIdentity, GetSessionToken, AssumeRole
(trust policy evaluated by the policy engine, DurationSeconds bounded by the role), temporary
credentials that authenticate until they expire (ExpiredToken afterwards)."""

from __future__ import annotations

import json
import sqlite3
from email.utils import parsedate_to_datetime
import uuid

import pytest
from botocore.exceptions import ClientError

import pg_cluster
from conftest import ACCOUNT, IS_PG, store_database
from test_iam import TRUST_ACCOUNT, client, code_of, name


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


@pytest.fixture(scope="module")
def sts(auth_server):
    return client(auth_server.endpoint, "sts")


def creds_client(auth_server, service, creds):
    return client(auth_server.endpoint, service, creds["AccessKeyId"], creds["SecretAccessKey"],
                  creds.get("SessionToken"))


def run_store_sql(auth_server, sql: str) -> None:
    """Runs one statement on the server's store (SQLite file or its PostgreSQL database)."""
    if IS_PG:
        pg_cluster.session_cluster().psql(sql, store_database(auth_server.data_dir))
        return
    con = sqlite3.connect(str(auth_server.data_dir / "arcana.db"), timeout=10)
    try:
        con.execute(sql)
        con.commit()
    finally:
        con.close()


def expire_session(auth_server, access_key_id):
    """Moves a stored session's expiry into the past (as if its duration had passed)."""
    run_store_sql(auth_server, f"UPDATE sts_sessions SET expires_ms = 1 WHERE id = '{access_key_id}'")


def test_caller_identity_of_root(sts):
    ident = sts.get_caller_identity()
    assert ident == {**ident, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root",
                     "UserId": ACCOUNT}


def test_assume_role_and_expiry(iam, sts, auth_server):
    r = name("r")
    role = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=900,
                          Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"])
    creds, user = out["Credentials"], out["AssumedRoleUser"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    assert user["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{r}/s1"
    assert user["AssumedRoleId"] == role["RoleId"] + ":s1"
    session_sts = creds_client(auth_server, "sts", creds)
    ident = session_sts.get_caller_identity()
    assert ident["Arn"] == user["Arn"] and ident["UserId"] == user["AssumedRoleId"]
    # Without the session token the key is refused.
    no_token = client(auth_server.endpoint, "sts", creds["AccessKeyId"], creds["SecretAccessKey"])
    with pytest.raises(ClientError):
        no_token.get_caller_identity()
    # Expired credentials: ExpiredToken, on a key never used before and on a cached one.
    fresh = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s2",
                            DurationSeconds=900)["Credentials"]
    for c in (fresh, creds):
        expire_session(auth_server, c["AccessKeyId"])
    with pytest.raises(ClientError) as e:
        creds_client(auth_server, "sts", fresh).get_caller_identity()
    assert code_of(e.value)[0] == "ExpiredToken"
    assert e.value.response["Error"]["Message"] == \
        "The security token included in the request is expired"


def test_assume_role_limits_and_trust(iam, sts, auth_server):
    r = name("r")
    arn = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["Arn"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=7200)
    assert code_of(e.value)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn + "x", RoleSessionName="s1")
    assert code_of(e.value) == ("AccessDenied", 403)
    # A user may assume the role only when the trust policy names it, or names the account
    # and the user's own policies allow sts:AssumeRole.
    u = name()
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    user_sts = creds_client(auth_server, "sts", key)
    with pytest.raises(ClientError) as e:
        user_sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert code_of(e.value) == ("AccessDenied", 403)
    assert f"arn:aws:iam::{ACCOUNT}:user/{u} is not authorized to perform: sts:AssumeRole" \
        in e.value.response["Error"]["Message"]
    iam.put_user_policy(UserName=u, PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn}]}))
    # The detached-or-added policy takes effect on the next request (the change sequence).
    out = user_sts.assume_role(RoleArn=arn, RoleSessionName="chain")
    assert out["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{r}/chain")


def test_get_session_token_acts_as_user(iam, auth_server):
    u = name()
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    creds = creds_client(auth_server, "sts", key).get_session_token(
        DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    ident = creds_client(auth_server, "sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{u}"
    with pytest.raises(ClientError) as e:
        creds_client(auth_server, "sts", creds).get_session_token()
    assert code_of(e.value) == ("AccessDenied", 403)


def test_user_key_reaches_json_services(iam, auth_server):
    """A user's key signs Secrets Manager calls too (authorization is the policy engine's)."""
    u = name()
    iam.create_user(UserName=u)
    # Allowed by its own policy, so the test holds with the policy engine enforcing too.
    iam.put_user_policy(UserName=u, PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=u)["AccessKey"]
    sm = creds_client(auth_server, "secretsmanager", key)
    assert "SecretList" in sm.list_secrets(MaxResults=1)
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as e:  # a deleted key stops working at once
        sm.list_secrets(MaxResults=1)
    assert code_of(e.value)[0] == "UnrecognizedClientException"


def test_dev_mode_any_credentials_are_root(dev_server):
    sts = client(dev_server.endpoint, "sts", "AKIDANYTHING0000001", "whatever")
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_dev_mode_known_keys_act_as_their_identity(dev_server):
    """Dev mode checks no signature, but a key the store knows is its own identity, as in AWS:
    an IAM user's key is the user (its policies apply), an AssumeRole session the role."""
    root = "AKIDANYTHING0000002"
    iam = client(dev_server.endpoint, "iam", root, "whatever")
    sts = client(dev_server.endpoint, "sts", root, "whatever")
    u, r = name("u"), name("r")
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    wrong_secret = {**key, "SecretAccessKey": "not-its-secret"}
    as_user = creds_client(dev_server, "sts", wrong_secret).get_caller_identity()
    assert as_user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{u}"
    assert as_user["UserId"].startswith("AIDA")
    with pytest.raises(ClientError) as e:  # no policy yet: denied, as AWS would
        creds_client(dev_server, "secretsmanager", key).list_secrets()
    assert code_of(e.value)[0] == "AccessDeniedException"
    assert f"user/{u} is not authorized to perform: secretsmanager:ListSecrets" in str(e.value)
    iam.put_user_policy(UserName=u, PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}]}))
    assert "SecretList" in creds_client(dev_server, "secretsmanager", key).list_secrets()

    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{r}",
                            RoleSessionName="dev-session")["Credentials"]
    ident = creds_client(dev_server, "sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{r}/dev-session"

    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    # A deleted key is no longer known: like any unknown key, it is the root again.
    gone = creds_client(dev_server, "sts", key).get_caller_identity()
    assert gone["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


READ_SECRETS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def test_federation_token_of_root_is_its_session_policy_at_most_an_hour(sts, auth_server):
    """GetFederationToken (API reference): a federated-user ARN and id ACCOUNT:NAME; the root's
    sessions last at most an hour whatever is asked; the session may do what its session policy
    allows of the caller's permissions, and nothing without a session policy."""
    sm = client(auth_server.endpoint, "secretsmanager")
    secret = name("fed")
    sm.create_secret(Name=secret, SecretString="v")
    bare = sts.get_federation_token(Name="Bob", DurationSeconds=7200)
    assert bare["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT}:Bob",
                                     "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/Bob"}
    assert bare["PackedPolicySize"] == 0  # always answered, as AWS recorded it
    creds = bare["Credentials"]
    issued = parsedate_to_datetime(bare["ResponseMetadata"]["HTTPHeaders"]["date"])
    assert abs((creds["Expiration"] - issued).total_seconds() - 3600) < 5
    who = creds_client(auth_server, "sts", creds).get_caller_identity()
    assert (who["Arn"], who["UserId"]) == (f"arn:aws:sts::{ACCOUNT}:federated-user/Bob",
                                           f"{ACCOUNT}:Bob")
    with pytest.raises(ClientError) as e:
        creds_client(auth_server, "secretsmanager", creds).get_secret_value(SecretId=secret)
    assert code_of(e.value) == ("AccessDeniedException", 400)

    scoped = sts.get_federation_token(Name="Alice", Policy=READ_SECRETS)
    assert isinstance(scoped["PackedPolicySize"], int)
    as_alice = creds_client(auth_server, "secretsmanager", scoped["Credentials"])
    assert as_alice.get_secret_value(SecretId=secret)["SecretString"] == "v"
    with pytest.raises(ClientError) as e:
        as_alice.list_secrets()  # not in the session policy
    assert code_of(e.value) == ("AccessDeniedException", 400)
    with pytest.raises(ClientError) as e:  # session credentials cannot federate again
        creds_client(auth_server, "sts", scoped["Credentials"]).get_federation_token(Name="x1")
    assert e.value.response["Error"]["Message"] == \
        "Cannot call GetFederationToken with session credentials"


def test_federation_token_of_a_user_needs_permission_and_narrows_it(iam, sts, auth_server):
    """An IAM user needs sts:GetFederationToken on the federated user; the session gets the
    intersection of the user's policies and the session policy; a bad Name is refused in the
    model's words."""
    sm = client(auth_server.endpoint, "secretsmanager")
    secret = name("fed")
    sm.create_secret(Name=secret, SecretString="v")
    u = name("user")
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    as_user = creds_client(auth_server, "sts", key)
    with pytest.raises(ClientError) as e:
        as_user.get_federation_token(Name="Carl", Policy=READ_SECRETS)
    assert code_of(e.value) == ("AccessDenied", 403)
    assert "sts:GetFederationToken on resource: " \
        f"arn:aws:sts::{ACCOUNT}:federated-user/Carl" in e.value.response["Error"]["Message"]
    iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
            "sts:GetFederationToken", "secretsmanager:ListSecrets"], "Resource": "*"}]}))
    fed = as_user.get_federation_token(Name="Carl", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
            "secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"], "Resource": "*"}]}))
    as_carl = creds_client(auth_server, "secretsmanager", fed["Credentials"])
    as_carl.list_secrets()  # allowed by both
    with pytest.raises(ClientError):
        as_carl.get_secret_value(SecretId=secret)  # the user itself may not
    with pytest.raises(ClientError) as e:
        as_user.get_federation_token(Name="bad name")
    assert e.value.response["Error"] == {
        "Type": "Sender", "Code": "ValidationError",
        "Message": "1 validation error detected: Value 'bad name' at 'name' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"}
    iam.delete_user_policy(UserName=u, PolicyName="p")
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=u)
    with pytest.raises(ClientError):  # the user is gone: so are its federation sessions
        as_carl.list_secrets()
