"""KMS grants for AWS service principals and the SourceArn grant constraint (CreateGrant's
GranteeServicePrincipal, RetiringServicePrincipal and Constraints.SourceArn; ListGrants'
GranteeServicePrincipal filter; ListRetirableGrants' RetiringServicePrincipal), which the
current KMS model (and the JS SDK 3.1164) has and Debian's botocore 1.29 does not: boto3 loads
Arcana's embedded model (models/kms.json) through botocore's data path. Against a non-dev
server with real IAM users, so that what a grant allows is decided as for any caller: a
SourceArn constraint is aws:SourceArn in the grant, so it allows no request made on behalf of
no resource, and a grant to a service principal allows no caller that signs its own requests."""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET
from test_access_control import Admin, admin, allow, doc, uniq  # noqa: F401
from test_iam import code_of

MODEL = Path(__file__).resolve().parents[2] / "models" / "kms.json"
SERVICE = "dynamodb.amazonaws.com"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Orders"


@pytest.fixture(scope="module")
def kms_for(auth_server, tmp_path_factory):
    """kms_for(creds=None): a KMS client with the current model (the root's by default)."""
    root = tmp_path_factory.mktemp("kms-model")
    target = root / "kms" / "2014-11-01"
    target.mkdir(parents=True)
    shutil.copy(MODEL, target / "service-2.json")
    bs = botocore.session.get_session()
    bs.set_config_variable("data_path", str(root))
    session = boto3.Session(botocore_session=bs)

    def make(creds=None, validate=True):
        akid, secret = (creds["AccessKeyId"], creds["SecretAccessKey"]) if creds else (
            ROOT_AKID, ROOT_SECRET)
        return session.client("kms", endpoint_url=auth_server.endpoint, region_name="us-east-1",
                              aws_access_key_id=akid, aws_secret_access_key=secret,
                              config=Config(retries={"max_attempts": 0},
                                            parameter_validation=validate))
    return make


def error(fn, **kw) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    code, status = code_of(e.value)
    return code, status, e.value.response["Error"]["Message"]


def test_a_grant_to_a_service_principal_is_listed_as_one(kms_for):
    kms = kms_for()
    key = kms.create_key()["KeyMetadata"]["Arn"]
    gid = kms.create_grant(KeyId=key, GranteeServicePrincipal=SERVICE,
                           RetiringServicePrincipal=SERVICE, Operations=["Encrypt", "Decrypt"],
                           Constraints={"SourceArn": TABLE})["GrantId"]
    [entry] = kms.list_grants(KeyId=key)["Grants"]
    assert entry["GrantId"] == gid
    assert entry["GranteeServicePrincipal"] == SERVICE and "GranteePrincipal" not in entry
    assert entry["RetiringServicePrincipal"] == SERVICE and "RetiringPrincipal" not in entry
    assert entry["Constraints"] == {"SourceArn": TABLE}
    assert [g["GrantId"] for g in kms.list_grants(
        KeyId=key, GranteeServicePrincipal=SERVICE)["Grants"]] == [gid]
    assert kms.list_grants(KeyId=key, GranteePrincipal=SERVICE)["Grants"] == []
    assert [g["GrantId"] for g in kms.list_retirable_grants(
        RetiringServicePrincipal=SERVICE)["Grants"]] == [gid]
    # Retried with the same Name and grant: the same grant.
    again = dict(KeyId=key, GranteeServicePrincipal=SERVICE, RetiringPrincipal=f"arn:aws:iam::{ACCOUNT}:root",
                 Operations=["Decrypt"], Constraints={"SourceArn": TABLE}, Name="n")
    assert kms.create_grant(**again)["GrantId"] == kms.create_grant(**again)["GrantId"]
    kms.revoke_grant(KeyId=key, GrantId=gid)


def test_the_rules_of_a_service_principal_grant(kms_for):
    kms = kms_for(validate=False)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    user = f"arn:aws:iam::{ACCOUNT}:root"
    base = dict(KeyId=key, Operations=["Decrypt"])
    for params in (
            {},  # no grantee at all
            {"GranteePrincipal": user, "GranteeServicePrincipal": SERVICE},
            {"GranteePrincipal": user, "RetiringPrincipal": user,
             "RetiringServicePrincipal": SERVICE},
            {"GranteeServicePrincipal": SERVICE, "RetiringPrincipal": user},  # no SourceArn
            {"GranteeServicePrincipal": SERVICE, "Constraints": {"SourceArn": TABLE}},  # no retiree
            {"GranteeServicePrincipal": user, "RetiringPrincipal": user,
             "Constraints": {"SourceArn": TABLE}},  # an ARN is no service principal
    ):
        code, status, _ = error(kms.create_grant, **base, **params)
        assert (code, status) == ("ValidationException", 400), params
    for params in ({}, {"RetiringPrincipal": user, "RetiringServicePrincipal": SERVICE}):
        code, status, _ = error(kms.list_retirable_grants, **params)
        assert (code, status) == ("ValidationException", 400), params
    # Neither member of a required pair: refused as the model refused the first one missing.
    assert error(kms.create_grant, **base)[2] == (
        "1 validation error detected: Value null at 'granteePrincipal' failed to satisfy "
        "constraint: Member must not be null")
    assert error(kms.list_retirable_grants)[2] == (
        "1 validation error detected: Value null at 'retiringPrincipal' failed to satisfy "
        "constraint: Member must not be null")
    code, status, _ = error(kms.list_grants, KeyId=key, GranteePrincipal=user,
                            GranteeServicePrincipal=SERVICE)
    assert (code, status) == ("ValidationException", 400)


def test_source_arn_keeps_a_grant_from_direct_calls(admin, kms_for):
    kms = kms_for()
    key = kms.create_key()["KeyMetadata"]["Arn"]
    name, creds = admin.user(None)
    grantee = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    constrained = kms.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"],
                                   Constraints={"SourceArn": TABLE})["GrantId"]
    user_kms = kms_for(creds)
    # A request the user makes itself is made on behalf of no resource: the grant does not apply.
    code, status, _ = error(user_kms.decrypt, CiphertextBlob=blob)
    assert (code, status) == ("AccessDeniedException", 400)
    # The same grant without the constraint does.
    kms.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"])
    assert user_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    [listed] = [g for g in kms.list_grants(KeyId=key)["Grants"] if g["GrantId"] == constrained]
    assert listed["Constraints"] == {"SourceArn": TABLE}


def test_a_service_principal_grant_allows_no_signed_caller(admin, kms_for):
    kms = kms_for()
    key = kms.create_key()["KeyMetadata"]["Arn"]
    name, creds = admin.user(None)
    blob = kms.encrypt(KeyId=key, Plaintext=b"y")["CiphertextBlob"]
    kms.create_grant(KeyId=key, GranteeServicePrincipal=SERVICE, RetiringServicePrincipal=SERVICE,
                     Operations=["Decrypt"], Constraints={"SourceArn": TABLE})
    code, status, _ = error(kms_for(creds).decrypt, CiphertextBlob=blob)
    assert (code, status) == ("AccessDeniedException", 400)


def test_a_source_arn_grant_allows_no_use_on_the_callers_behalf(admin, kms_for):
    """A grant constrained to a SourceArn allows only requests made for that resource: a
    service using the key on the grantee's behalf carries no aws:SourceArn, so the grant
    allows it no more than the grantee's own KMS call (it used to allow the service's)."""
    name, creds = admin.user(doc(allow(["secretsmanager:CreateSecret",
                                        "secretsmanager:GetSecretValue"])))
    key = admin.kms.create_key()["KeyMetadata"]["Arn"]
    elsewhere = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:never-AbCdEf"
    kms_for().create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/{name}",
                           Operations=["Encrypt", "Decrypt", "GenerateDataKey"],
                           Constraints={"SourceArn": elsewhere})
    kms, sm = admin.as_keys("kms", creds), admin.as_keys("secretsmanager", creds)
    assert error(kms.encrypt, KeyId=key, Plaintext=b"x")[0] == "AccessDeniedException"
    assert error(sm.create_secret, Name=uniq("source-arn"), SecretString="v",
                 KmsKeyId=key)[0] == "AccessDeniedException"
    secret = admin.sm.create_secret(Name=uniq("source-arn"), SecretString="v", KmsKeyId=key)
    assert error(sm.get_secret_value, SecretId=secret["ARN"])[0] == "AccessDeniedException"
