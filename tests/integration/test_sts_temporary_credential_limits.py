"""What temporary credentials may call whatever their policies allow, as AWS documents
("Compare AWS STS credentials"): GetFederationToken's call no IAM operation and no STS
operation but GetCallerIdentity; GetSessionToken's (without MFA, which Arcana has not) call no
IAM operation and no STS operation but AssumeRole and GetCallerIdentity. GetFederationToken
with Tags needs sts:TagSession."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from test_iam import TRUST_ACCOUNT, client, code_of, name
from test_sts import creds_client

ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


def denied(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    assert code_of(e.value) == ("AccessDenied", 403), e.value.response
    return e.value.response["Error"]["Message"]


def iam_refused(call, **kw):
    """As AWS answers IAM calls made with these credentials (aws-vault#15, #1056)."""
    with pytest.raises(ClientError) as e:
        call(**kw)
    assert code_of(e.value) == ("InvalidClientTokenId", 403), e.value.response


@pytest.fixture(scope="module")
def admin_user(iam, auth_server):
    u = name("proxy")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="admin", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sts:TagSession", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=u)["AccessKey"]
    return u, client(auth_server.endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"])


def test_federated_users_call_no_iam_and_only_get_caller_identity(iam, auth_server, admin_user):
    _, sts = admin_user
    role = iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
    creds = sts.get_federation_token(Name="fed", Policy=ADMIN)["Credentials"]
    fed_sts = creds_client(auth_server, "sts", creds)
    assert fed_sts.get_caller_identity()["Arn"].endswith(":federated-user/fed")
    iam_refused(creds_client(auth_server, "iam", creds).list_users)
    iam_refused(creds_client(auth_server, "iam", creds).create_user, UserName=name())
    assert "GetFederationToken" in denied(fed_sts.assume_role, RoleArn=role["Arn"],
                                          RoleSessionName="ss")
    denied(fed_sts.get_access_key_info, AccessKeyId=creds["AccessKeyId"])


def test_session_token_credentials_call_no_iam_but_may_assume_roles(iam, auth_server, admin_user):
    _, sts = admin_user
    role = iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    gst_sts = creds_client(auth_server, "sts", creds)
    iam_refused(creds_client(auth_server, "iam", creds).list_users)
    iam_refused(creds_client(auth_server, "iam", creds).create_user, UserName=name())
    denied(gst_sts.get_access_key_info, AccessKeyId=creds["AccessKeyId"])
    assumed = gst_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ss")["Credentials"]
    assert creds_client(auth_server, "sts", assumed).get_caller_identity()["Arn"].endswith("/ss")


def test_federation_token_tags_need_tag_session(iam, auth_server, admin_user):
    _, sts = admin_user
    denied(sts.get_federation_token, Name="fed", Policy=ADMIN,
           Tags=[{"Key": "team", "Value": "blue"}])
    # The root may (it is allowed everything no policy denies).
    root_sts = client(auth_server.endpoint, "sts")
    root_sts.get_federation_token(Name="fed", Policy=ADMIN, Tags=[{"Key": "team", "Value": "b"}])
