"""IAM outbound identity federation and STS GetWebIdentityToken, through boto3 with the
current IAM and STS models (Arcana's embedded ones: Debian's botocore 1.29 predates them):
the account's switch (EnableOutboundWebIdentityFederation answers the issuer URL, FeatureEnabled
409 twice; Disable / GetOutboundWebIdentityFederationInfo FeatureDisabled 404 when off); the
issuer's OpenID Connect discovery document and JWK Set, unauthenticated, 404 once disabled;
tokens signed RS256 and ES384 that verify against the published keys with the claims AWS
documents (iss, aud, sub, iat, exp, jti, and under "https://sts.amazonaws.com/" the account,
region, principal and tags); sts:GetWebIdentityToken and its condition keys; a session's token
not outliving it (SessionDurationEscalationException 403); the request's rules
(ValidationError); OutboundWebIdentityFederationDisabledException 403 while off."""

from __future__ import annotations

import base64
import json
import shutil
import time
from pathlib import Path

import boto3
import botocore.session
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET
from test_iam import TRUST_ACCOUNT, code_of, name

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def clients(auth_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    for service, version in (("iam", "2010-05-08"), ("sts", "2011-06-15")):
        target = root / service / version
        target.mkdir(parents=True)
        shutil.copy(MODELS / f"{service}.json", target / "service-2.json")
    bs = botocore.session.get_session()
    bs.set_config_variable("data_path", str(root))
    session = boto3.Session(botocore_session=bs)

    def make(service, akid=ROOT_AKID, secret=ROOT_SECRET, token=None, validate=True,
             region="us-east-1"):
        return session.client(service, endpoint_url=auth_server.endpoint, region_name=region,
                              aws_access_key_id=akid, aws_secret_access_key=secret,
                              aws_session_token=token,
                              config=Config(retries={"max_attempts": 0},
                                            parameter_validation=validate))
    return make


@pytest.fixture
def enabled(clients):
    """The account's federation enabled (from off), its issuer URL; disabled afterwards."""
    iam = clients("iam")
    try:
        iam.disable_outbound_web_identity_federation()
    except ClientError as e:
        assert code_of(e) == ("FeatureDisabled", 404)
    url = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    yield url
    try:
        iam.disable_outbound_web_identity_federation()
    except ClientError:
        pass


def b64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64int(s: str) -> int:
    return int.from_bytes(b64url(s), "big")


def refusal(sts, params: dict) -> tuple[str, int]:
    """The (code, HTTP status) GetWebIdentityToken refuses `params` with."""
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(**params)
    return code_of(e.value)


def verified_claims(token: str, issuer: str) -> dict:
    """The token's claims once its signature checks out against the issuer's published key
    (found through the discovery document, as a verifier finds it)."""
    header_b64, payload_b64, sig_b64 = token.split(".")
    header = json.loads(b64url(header_b64))
    discovery = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == issuer
    keys = requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]
    key = next(k for k in keys if k["kid"] == header["kid"])
    assert key["alg"] == header["alg"] and header["typ"] == "JWT"
    signed, sig = f"{header_b64}.{payload_b64}".encode(), b64url(sig_b64)
    if header["alg"] == "RS256":
        pub = rsa.RSAPublicNumbers(b64int(key["e"]), b64int(key["n"])).public_key()
        pub.verify(sig, signed, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert header["alg"] == "ES384" and key["crv"] == "P-384" and len(sig) == 96
        pub = ec.EllipticCurvePublicNumbers(b64int(key["x"]), b64int(key["y"]),
                                            ec.SECP384R1()).public_key()
        der = encode_dss_signature(int.from_bytes(sig[:48], "big"),
                                   int.from_bytes(sig[48:], "big"))
        pub.verify(der, signed, ec.ECDSA(hashes.SHA384()))
    return json.loads(b64url(payload_b64))


def test_switch_and_its_errors(clients, enabled):
    iam = clients("iam")
    assert enabled.startswith(clients("iam").meta.endpoint_url + "/_arcana/oidc/" + ACCOUNT + "/")
    with pytest.raises(ClientError) as e:
        iam.enable_outbound_web_identity_federation()
    assert code_of(e.value) == ("FeatureEnabled", 409)
    info = iam.get_outbound_web_identity_federation_info()
    assert info["IssuerIdentifier"] == enabled and info["JwtVendingEnabled"] is True
    iam.disable_outbound_web_identity_federation()
    for call in (iam.disable_outbound_web_identity_federation,
                 iam.get_outbound_web_identity_federation_info):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e.value) == ("FeatureDisabled", 404)
    # Disabled: the documents are gone and no token is issued.
    assert requests.get(enabled + "/.well-known/jwks.json", timeout=10).status_code == 404
    with pytest.raises(ClientError) as e:
        clients("sts").get_web_identity_token(Audience=["a"], SigningAlgorithm="RS256")
    assert code_of(e.value) == ("OutboundWebIdentityFederationDisabledException", 403)
    # Enabled again: the same issuer, with the same keys.
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == enabled


def test_published_documents(enabled):
    discovery = requests.get(enabled + "/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200
    assert discovery.headers["Content-Type"] == "application/json"
    doc = discovery.json()
    assert doc["issuer"] == enabled and doc["jwks_uri"] == enabled + "/.well-known/jwks.json"
    assert set(doc["id_token_signing_alg_values_supported"]) == {"RS256", "ES384"}
    keys = requests.get(doc["jwks_uri"], timeout=10).json()["keys"]
    assert sorted((k["kty"], k["alg"]) for k in keys) == [("EC", "ES384"), ("RSA", "RS256")]
    assert all(k["use"] == "sig" and k["kid"] for k in keys)
    assert not any("d" in k for k in keys)  # public halves only
    # Another issuer id, another account, another document, another method: nothing.
    base = enabled.rsplit("/", 1)[0]
    for url in (base + "/00000000-0000-4000-8000-000000000000/.well-known/jwks.json",
                enabled.replace(ACCOUNT, "999999999999") + "/.well-known/jwks.json",
                enabled + "/.well-known/other"):
        assert requests.get(url, timeout=10).status_code == 404, url
    assert requests.post(enabled + "/.well-known/jwks.json", timeout=10).status_code == 405


@pytest.mark.parametrize("alg", ["RS256", "ES384"])
def test_root_token_verifies_with_the_documented_claims(clients, enabled, alg):
    sts = clients("sts", region="eu-west-1")
    before = int(time.time())
    out = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=alg,
                                     Tags=[{"Key": "job", "Value": "nightly"}])
    claims = verified_claims(out["WebIdentityToken"], enabled)
    assert claims["iss"] == enabled and claims["aud"] == "https://api.example.com"
    assert claims["sub"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert claims["exp"] - claims["iat"] == 300 and before - 2 <= claims["iat"] <= time.time() + 2
    assert abs(out["Expiration"].timestamp() - claims["exp"]) < 1
    assert claims["jti"]
    sts_claims = claims["https://sts.amazonaws.com/"]
    assert sts_claims["aws_account"] == ACCOUNT and sts_claims["source_region"] == "eu-west-1"
    assert sts_claims["principal_id"] == claims["sub"]
    assert sts_claims["request_tags"] == {"job": "nightly"}
    two = sts.get_web_identity_token(Audience=["a", "b"], SigningAlgorithm=alg,
                                     DurationSeconds=3600)
    claims = verified_claims(two["WebIdentityToken"], enabled)
    assert claims["aud"] == ["a", "b"] and claims["exp"] - claims["iat"] == 3600


def test_request_rules(clients, enabled):
    sts = clients("sts", validate=False)
    for params in ({"Audience": ["a"], "SigningAlgorithm": "HS256"},
                   {"Audience": ["a"], "SigningAlgorithm": "RS256", "DurationSeconds": 59},
                   {"Audience": ["a"], "SigningAlgorithm": "RS256", "DurationSeconds": 3601},
                   {"Audience": [], "SigningAlgorithm": "RS256"},
                   {"Audience": [str(i) for i in range(11)], "SigningAlgorithm": "RS256"},
                   {"Audience": ["a"], "SigningAlgorithm": "RS256", "SubjectMode": "OriginIdentity"},
                   {"Audience": ["a"], "SigningAlgorithm": "RS256", "Scope": "read"},
                   {"Audience": ["a"], "SigningAlgorithm": "RS256",
                    "Tags": [{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}]}):
        assert refusal(sts, params) == ("ValidationError", 400), params


def test_permission_and_its_condition_keys(clients, enabled):
    iam = clients("iam")
    user = name("owif")
    iam.create_user(UserName=user, Tags=[{"Key": "team", "Value": "blue"}])
    key = iam.create_access_key(UserName=user)["AccessKey"]
    sts = clients("sts", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["https://ok"], SigningAlgorithm="RS256")
    assert code_of(e.value) == ("AccessDenied", 403)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"sts:IdentityTokenAudience": "https://ok"},
                          "NumericLessThanEquals": {"sts:DurationSeconds": "600"},
                          "StringEquals": {"sts:SigningAlgorithm": "ES384"}}}]}))
    time.sleep(0.2)
    token = sts.get_web_identity_token(Audience=["https://ok"], SigningAlgorithm="ES384")
    claims = verified_claims(token["WebIdentityToken"], enabled)
    assert claims["sub"] == f"arn:aws:iam::{ACCOUNT}:user/{user}"
    assert claims["https://sts.amazonaws.com/"]["principal_tags"] == {"team": "blue"}
    for params in ({"Audience": ["https://other"], "SigningAlgorithm": "ES384"},
                   {"Audience": ["https://ok"], "SigningAlgorithm": "RS256"},
                   {"Audience": ["https://ok"], "SigningAlgorithm": "ES384",
                    "DurationSeconds": 900}):
        assert refusal(sts, params) == ("AccessDenied", 403), params


def test_role_session_token_names_the_role_and_cannot_outlive_it(clients, enabled):
    iam = clients("iam")
    role = name("owif-role")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*"}]}))
    creds = clients("sts").assume_role(RoleArn=arn, RoleSessionName="owif",
                                       DurationSeconds=900)["Credentials"]
    sts = clients("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    token = sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256",
                                       DurationSeconds=600)
    claims = verified_claims(token["WebIdentityToken"], enabled)
    assert claims["sub"] == arn
    assert claims["https://sts.amazonaws.com/"]["principal_id"] == arn
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256", DurationSeconds=3600)
    assert code_of(e.value) == ("SessionDurationEscalationException", 403)
