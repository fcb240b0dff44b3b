"""AWS managed keys (alias/aws/secretsmanager, alias/aws/ssm) are used by their service only:
"you cannot use AWS managed keys in cryptographic operations directly; the service that
creates them uses them on your behalf" (AWS KMS developer guide, AWS managed keys). Their key
policies (AWS's: test_kms_aws_recorded_sweep.py) allow the cryptographic operations only with
kms:ViaService of the service, which a direct KMS call does not have. So a principal whose
identity policy allows kms:* may describe these keys but not encrypt or make data keys with
them, while Secrets Manager and Parameter Store keep using them for it in any Region."""
from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from test_iam import client


def test_aws_managed_keys_refuse_direct_cryptographic_use(auth_server):
    iam = client(auth_server.endpoint, "iam")
    user = "mk" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:*", "secretsmanager:*", "ssm:*"],
                       "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    time.sleep(0.2)

    def as_user(service, region):
        return boto3.client(service, endpoint_url=auth_server.endpoint, region_name=region,
                            aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=key["SecretAccessKey"],
                            config=Config(retries={"max_attempts": 0}))

    for region in ("us-east-1", "eu-central-1"):
        sm, ssm, kms = (as_user(s, region) for s in ("secretsmanager", "ssm", "kms"))
        # The services use their managed keys for the user.
        sm.create_secret(Name=f"{user}/s", SecretString="v1")
        assert sm.get_secret_value(SecretId=f"{user}/s")["SecretString"] == "v1"
        ssm.put_parameter(Name=f"/{user}/p", Value="p1", Type="SecureString")
        got = ssm.get_parameter(Name=f"/{user}/p", WithDecryption=True)["Parameter"]["Value"]
        assert got == "p1"
        for alias in ("alias/aws/secretsmanager", "alias/aws/ssm"):
            md = kms.describe_key(KeyId=alias)["KeyMetadata"]  # Describe*: the account's
            assert md["KeyManager"] == "AWS"
            for action, call in (
                    ("kms:Encrypt", lambda: kms.encrypt(KeyId=md["Arn"], Plaintext=b"x")),
                    ("kms:GenerateDataKey",
                     lambda: kms.generate_data_key(KeyId=alias, KeySpec="AES_256")),
                    ("kms:GenerateDataKeyWithoutPlaintext",
                     lambda: kms.generate_data_key_without_plaintext(KeyId=md["KeyId"],
                                                                     NumberOfBytes=32))):
                with pytest.raises(ClientError) as e:
                    call()
                err = e.value.response["Error"]
                assert err["Code"] == "AccessDeniedException", (alias, action, err)
                assert action in err["Message"] and md["Arn"] in err["Message"], err
        # A customer managed key is still the identity policy's and the key policy's to allow.
        mine = kms.create_key()["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=mine, Plaintext=b"x")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
