"""STS AssumeRoleWithWebIdentity against a local OpenID Connect issuer (oidc_issuer.py), the
way GitHub Actions, GitLab CI and Kubernetes service accounts get credentials: an unsigned
request carrying an ID token, an IAM OIDC provider registered for the issuer (trusted here
through its thumbprint: the issuer's certificate is self-signed), and a role whose trust
policy names the provider as a Federated principal with conditions on the token's claims.
Error texts are AWS's as clients report them (aws-actions/configure-aws-credentials#721 and
#280: "No OpenIDConnect provider found in your account for https://..."; aws-sdk-js-v3#3052:
"Couldn't retrieve verification key from your identity provider,  please reference
AssumeRoleWithWebIdentity documentation for requirements"; awslabs/aws-orbit-workbench#771:
"Token expired: current date/time N must be before the expiration date/timeM"; GitHub
Actions' trust failures: "Not authorized to perform sts:AssumeRoleWithWebIdentity")."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT, wait_for
from oidc_issuer import OidcIssuer
from test_iam import client, code_of


@pytest.fixture(scope="module")
def issuer():
    i = OidcIssuer()
    yield i
    i.stop()


@pytest.fixture(scope="module")
def iam(auth_server):
    return client(auth_server.endpoint, "iam")


@pytest.fixture(scope="module")
def anon_sts(auth_server):
    """An STS client without credentials, as a CI job has before it assumes a role."""
    return boto3.client("sts", endpoint_url=auth_server.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 0}))


@pytest.fixture(scope="module")
def provider(iam, issuer):
    arn = iam.create_open_id_connect_provider(
        Url=issuer.url, ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[issuer.thumbprint])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer.provider_url}"
    yield arn
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def make_role(iam, provider_arn, provider_url, sub_pattern="repo:acme/*", extra_actions=()):
    name = f"ci-{uuid.uuid4().hex[:10]}"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": ["sts:AssumeRoleWithWebIdentity", *extra_actions],
        "Condition": {"StringEquals": {f"{provider_url}:aud": "sts.amazonaws.com"},
                      "StringLike": {f"{provider_url}:sub": sub_pattern}}}]}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}]}))
    return role


def assume(anon_sts, role, token, **kw):
    return anon_sts.assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="gha-run-1", WebIdentityToken=token, **kw)


def error(fn):
    with pytest.raises(ClientError) as e:
        fn()
    return code_of(e.value) + (e.value.response["Error"]["Message"],)


def test_github_actions_style_token_gets_role_credentials(auth_server, iam, anon_sts, issuer,
                                                          provider):
    role = make_role(iam, provider, issuer.provider_url)
    out = assume(anon_sts, role, issuer.token(), DurationSeconds=900)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert out["SubjectFromWebIdentityToken"] == "repo:acme/app:ref:refs/heads/main"
    assert out["Provider"] == provider
    assert out["Audience"] == "sts.amazonaws.com"
    assert out["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/gha-run-1")
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:gha-run-1"
    assert "PackedPolicySize" not in out
    # The credentials act as the role, with the role's permissions and no more.
    sts = client(auth_server.endpoint, "sts", creds["AccessKeyId"], creds["SecretAccessKey"],
                 creds["SessionToken"])
    assert sts.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    sm = client(auth_server.endpoint, "secretsmanager", creds["AccessKeyId"],
                creds["SecretAccessKey"], creds["SessionToken"])
    sm.list_secrets()
    assert error(lambda: sm.create_secret(Name=f"x-{uuid.uuid4().hex[:6]}", SecretString="v"))[0] \
        == "AccessDeniedException"


def test_es256_tokens_and_key_cache(iam, anon_sts, issuer, provider):
    role = make_role(iam, provider, issuer.provider_url)
    before = len(issuer.requests)
    assume(anon_sts, role, issuer.token(alg="ES256"))
    assume(anon_sts, role, issuer.token(alg="RS256"))
    # Both keys came from at most one discovery + JWKS fetch (the set is cached per issuer).
    assert len(issuer.requests) - before <= 2


def test_trust_policy_conditions_on_claims(iam, anon_sts, issuer, provider):
    role = make_role(iam, provider, issuer.provider_url, sub_pattern="repo:acme/app:*")
    assert error(lambda: assume(anon_sts, role, issuer.token(sub="repo:evil/app:ref:main"))) == (
        "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    # A role that does not exist is the same denial (no probing for role names).
    ghost = dict(role, Arn=role["Arn"] + "-nope")
    assert error(lambda: assume(anon_sts, ghost, issuer.token()))[0] == "AccessDenied"
    # A trust policy naming the account (not the provider) does not admit web identities.
    name = f"acct-{uuid.uuid4().hex[:8]}"
    acct_role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRoleWithWebIdentity"}]}))["Role"]
    assert error(lambda: assume(anon_sts, acct_role, issuer.token()))[0] == "AccessDenied"


def test_token_refusals_in_aws_words(iam, anon_sts, issuer, provider):
    role = make_role(iam, provider, issuer.provider_url)
    other = "https://issuer.example.com"
    assert error(lambda: assume(anon_sts, role, issuer.token(iss=other))) == (
        "InvalidIdentityToken", 400, f"No OpenIDConnect provider found in your account for {other}")
    assert error(lambda: assume(anon_sts, role, issuer.token(aud="someone-else"))) == (
        "InvalidIdentityToken", 400, "Incorrect token audience")
    # A token naming its client (azp): that client is the audience IAM checks, whatever aud
    # holds (AWS refuses an Entra ID v2 token whose azp is not a client id: aws-sdk-net#3071).
    assert error(lambda: assume(anon_sts, role, issuer.token(extra={"azp": "another-app"}))) == (
        "InvalidIdentityToken", 400, "Incorrect token audience")
    got = assume(anon_sts, role, issuer.token(aud="payments-api",
                                              extra={"azp": "sts.amazonaws.com"}))
    assert got["Audience"] == "sts.amazonaws.com"
    expired = issuer.token(lifetime=-60)
    code, status, message = error(lambda: assume(anon_sts, role, expired))
    assert (code, status) == ("ExpiredTokenException", 400)
    assert message.startswith("Token expired: current date/time ")
    assert " must be before the expiration date/time" in message
    # Signed by a key the issuer never published under that kid.
    from cryptography.hazmat.primitives.asymmetric import rsa
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    code, status, _ = error(lambda: assume(anon_sts, role, issuer.token(key=stranger)))
    assert (code, status) == ("InvalidIdentityToken", 400)
    # A tampered payload under a genuine signature.
    good = issuer.token().split(".")
    forged = issuer.token(sub="repo:acme/other:ref:main").split(".")
    assert error(lambda: assume(anon_sts, role, ".".join([good[0], forged[1], good[2]])))[0] == \
        "InvalidIdentityToken"
    # alg "none" and HMAC tokens prove nothing.
    assert error(lambda: assume(anon_sts, role, issuer.token(alg="none")))[0] == "InvalidIdentityToken"
    # Not a JWT at all (an OAuth access token, say).
    assert error(lambda: assume(anon_sts, role, "gho_" + "x" * 40)) == (
        "InvalidIdentityToken", 400,
        "The ID token provided is not a valid JWT. (You may see this error if you sent an Access Token)")


def test_issuer_not_trusted_without_its_thumbprint(iam, anon_sts, issuer, provider):
    """The same issuer registered in another shape: its certificate is in no system store,
    so without the thumbprint its keys cannot be fetched (and keys fetched under another
    provider's thumbprints are not reused)."""
    iam.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=provider, ThumbprintList=["0" * 40])
    try:
        role = make_role(iam, provider, issuer.provider_url)
        assert error(lambda: assume(anon_sts, role, issuer.token())) == (
            "InvalidIdentityToken", 400,
            "Couldn't retrieve verification key from your identity provider,  please reference "
            "AssumeRoleWithWebIdentity documentation for requirements")
    finally:
        iam.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=provider, ThumbprintList=[issuer.thumbprint])


def test_session_tags_from_the_token(auth_server, iam, anon_sts, issuer, provider):
    role = make_role(iam, provider, issuer.provider_url, extra_actions=("sts:TagSession",))
    tags_claim = {"https://aws.amazon.com/tags": {
        "principal_tags": {"team": ["payments"]}, "transitive_tag_keys": ["team"]}}
    out = assume(anon_sts, role, issuer.token(extra=tags_claim))
    assert out["PackedPolicySize"] >= 0
    # Without sts:TagSession in the trust policy, a tagged token is refused.
    plain = make_role(iam, provider, issuer.provider_url)
    assert error(lambda: assume(anon_sts, plain, issuer.token(extra=tags_claim)))[0] == "AccessDenied"


def test_request_validation(iam, anon_sts, issuer, provider):
    role = make_role(iam, provider, issuer.provider_url)
    code, status, _ = error(lambda: anon_sts.assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="bad name", WebIdentityToken=issuer.token()))
    assert (code, status) == ("ValidationError", 400)
    code, status, _ = error(lambda: assume(anon_sts, role, issuer.token(), DurationSeconds=7200))
    assert (code, status) == ("ValidationError", 400)


def test_the_audit_record_names_the_web_identity_and_never_the_token(auth_server, iam, anon_sts,
                                                                     issuer, provider):
    role = make_role(iam, provider, issuer.provider_url)
    token = issuer.token(sub="repo:acme/audit:ref:main")
    assume(anon_sts, role, token)
    signature = token.rsplit(".", 1)[1]

    def records():
        out = []
        for f in (auth_server.data_dir / "audit").glob("**/*.jsonl"):
            for line in f.read_text().splitlines():
                if "repo:acme/audit" in line:
                    out.append(json.loads(line))
        return out

    wait_for(lambda: records(), timeout=10, what="the call's audit record")
    rec = next(r for r in records() if r.get("eventName") == "AssumeRoleWithWebIdentity")
    who = rec["userIdentity"]
    assert who["type"] == "WebIdentityUser"
    assert who["userName"] == "repo:acme/audit:ref:main"
    assert who["identityProvider"] == provider
    assert who["principalId"] == f"{issuer.provider_url}:sts.amazonaws.com:repo:acme/audit:ref:main"
    assert who["accountId"] == ACCOUNT
    assert rec["recipientAccountId"] == ACCOUNT
    for f in (auth_server.data_dir / "audit").glob("**/*"):
        if f.is_file():
            assert signature.encode() not in f.read_bytes(), f


def test_the_aws_cli_assumes_a_role_with_a_token_file(auth_server, iam, issuer, provider,
                                                      tmp_path):
    """`aws sts assume-role-with-web-identity --web-identity-token file://...` (the CLI signs
    nothing for it: the keys given are dummies that would not authenticate)."""
    from aws_cli import run_cli
    role = make_role(iam, provider, issuer.provider_url)
    (tmp_path / "token").write_text(issuer.token(sub="repo:acme/cli:ref:main"))
    r = run_cli(auth_server.endpoint, tmp_path, "AKIANOTAKEY000000000", "not-a-secret",
                "sts", "assume-role-with-web-identity", "--role-arn", role["Arn"],
                "--role-session-name", "cli", "--web-identity-token", "file://token")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["SubjectFromWebIdentityToken"] == "repo:acme/cli:ref:main"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_token_session_tags_meet_assume_roles_rules(iam, anon_sts, issuer, provider):
    """The token's tags become session tags: at most 50, keys up to 128 and values up to 256
    characters of the tag patterns, no key twice in any case, no aws: prefix."""
    role = make_role(iam, provider, issuer.provider_url, extra_actions=("sts:TagSession",))

    def with_tags(tags):
        claim = {"https://aws.amazon.com/tags": {"principal_tags": {
            k: [v] for k, v in tags.items()}}}
        return lambda: assume(anon_sts, role, issuer.token(extra=claim))

    for bad in ({f"k{i}": "v" for i in range(51)}, {"Team": "a", "team": "b"},
                {"aws:team": "a"}, {"k" * 129: "v"}, {"team": "v" * 257}, {"te#am": "v"}):
        code, status, message = error(with_tags(bad))
        assert (code, status) == ("InvalidIdentityToken", 400), message
        assert message.startswith("The session tags of the web identity token are invalid")
    assert with_tags({"Team": "payments", "k" * 128: "v" * 256})()["PackedPolicySize"] >= 0
