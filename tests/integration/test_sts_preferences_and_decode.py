"""IAM SetSecurityTokenServicePreferences (GetAccountSummary's GlobalEndpointTokenVersion: 1
in a new account, as LocalStack's AWS-validated account-summary snapshot recorded, 2 after
v2Token as the API reference's example shows) and STS DecodeAuthorizationMessage (no service
here encodes authorization messages, so every message is InvalidAuthorizationMessageException
400, the model's error and the code AWS's own integration tests assert for a message it did not
issue; the caller needs sts:DecodeAuthorizationMessage first). Runs on each store."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from test_sts import creds_client, iam, sts  # noqa: F401 (fixtures)
from test_sts_access_key_info import new_user


def err(fn):
    with pytest.raises(ClientError) as e:
        fn()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_global_endpoint_token_version(iam):
    def version():
        return iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"]

    assert version() == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert version() == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert version() == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert version() == 1
    assert err(lambda: iam.set_security_token_service_preferences(
        GlobalEndpointTokenVersion="v3Token")) == ("ValidationError", 400)


def test_decode_authorization_message(auth_server, iam, sts):
    assert err(lambda: sts.decode_authorization_message(EncodedMessage="this-is-not-valid")) == (
        "InvalidAuthorizationMessageException", 400)
    # A user whose policies do not allow it is refused before the message is looked at.
    user, key = new_user(iam)
    plain = creds_client(auth_server, "sts", key)
    assert err(lambda: plain.decode_authorization_message(EncodedMessage="x")) == (
        "AccessDenied", 403)
    iam.put_user_policy(UserName=user, PolicyName="decode", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:DecodeAuthorizationMessage", "Resource": "*"}]}))
    assert err(lambda: plain.decode_authorization_message(EncodedMessage="x")) == (
        "InvalidAuthorizationMessageException", 400)
