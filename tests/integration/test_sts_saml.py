"""IAM SAML providers and STS AssumeRoleWithSAML, the way saml2aws, gimme-aws-creds or an
IdP-driven CLI get role credentials: an identity provider (saml_idp.py) whose metadata is
uploaded with CreateSAMLProvider, a role whose trust policy names the provider as a Federated
principal, and an unsigned AssumeRoleWithSAML carrying the IdP's signed response.

The expected answers, by source:
- recorded (LocalStack's AWS-validated test_iam_saml_providers snapshot, 2026-02-13):
  CreateSAMLProvider answers only SAMLProviderArn; GetSAMLProvider every member with
  AssertionEncryptionMode Allowed and empty PrivateKeyList and Tags, the UUID kept by an update;
  a missing provider is NoSuchEntity "Manifest not found for arn ARN" (Get and Delete).
- AWS's answers quoted by users and AWS's troubleshooting page: "Response signature invalid",
  "Issuer not present in specified provider", "RoleSessionName is required in AuthnResponse"
  (InvalidIdentityToken); "Response has expired", "Token must be redeemed within 5 minutes of
  issuance" (ExpiredTokenException); "Not authorized to perform sts:AssumeRoleWithSAML"
  (AccessDenied 403); "Principal ARN is invalid" / "Request ARN is invalid" (ValidationError).
- the API reference: NameQualifier = BASE64(SHA1(issuer + account + "/" + provider name)),
  SubjectType without the nameid-format prefix, Audience the Recipient.
Runs on each store (ARCANA_TEST_STORE)."""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import json
import uuid
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from conftest import ACCOUNT, wait_for
from saml_idp import ATTR, SAML, SamlIdp
from test_iam import client
from test_iam_mfa import iam_query
# An IAM client of the root, and an STS client without credentials (as saml2aws has before it
# assumes a role).
from test_sts_web_identity import anon_sts, iam  # noqa: F401 (fixtures)

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


@pytest.fixture(scope="module")
def idp():
    return SamlIdp()


@pytest.fixture(scope="module")
def provider(iam, idp):
    name = f"okta-{uuid.uuid4().hex[:8]}"
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata())[
        "SAMLProviderArn"]
    yield arn
    iam.delete_saml_provider(SAMLProviderArn=arn)


def err(fn):
    with pytest.raises(ClientError) as e:
        fn()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message")


def make_role(iam, provider_arn, conditions=None, extra_actions=()):
    name = f"saml-{uuid.uuid4().hex[:10]}"
    statement = {"Effect": "Allow", "Principal": {"Federated": provider_arn},
                 "Action": ["sts:AssumeRoleWithSAML", *extra_actions]}
    statement["Condition"] = conditions or {
        "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}]}))
    return role


def pair(role, provider_arn):
    return f"{role['Arn']},{provider_arn}"


def assume(anon_sts, role, provider_arn, assertion, **kw):
    return anon_sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider_arn,
                                          SAMLAssertion=assertion, **kw)


# --- The provider API ----------------------------------------------------------------------


def test_provider_lifecycle_as_recorded(auth_server, iam, idp):
    name = f"idp-{uuid.uuid4().hex[:8]}"
    created = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata())
    arn = created["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/{name}"
    assert set(created) - {"ResponseMetadata"} == {"SAMLProviderArn"}
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert set(got) - {"ResponseMetadata"} == {
        "SAMLMetadataDocument", "CreateDate", "ValidUntil", "Tags"}
    assert got["SAMLMetadataDocument"] == idp.metadata() and got["Tags"] == []
    # The members newer than the suite's botocore, read from the XML.
    status, root = iam_query(auth_server.endpoint, "GetSAMLProvider", SAMLProviderArn=arn)
    result = root.find(f"{{{IAM_NS}}}GetSAMLProviderResult")
    members = [el.tag.rsplit("}", 1)[1] for el in result]
    assert status == 200 and set(members) == {
        "SAMLProviderUUID", "SAMLMetadataDocument", "CreateDate", "ValidUntil", "Tags",
        "AssertionEncryptionMode", "PrivateKeyList"}
    uuid_ = result.find(f"{{{IAM_NS}}}SAMLProviderUUID").text
    assert result.find(f"{{{IAM_NS}}}AssertionEncryptionMode").text == "Allowed"
    assert len(result.find(f"{{{IAM_NS}}}PrivateKeyList")) == 0
    assert 22 <= len(uuid_) <= 64 and uuid_.isalnum() and uuid_.isupper()
    years = (got["ValidUntil"] - got["CreateDate"]).days / 365.25
    assert 99.9 < years < 100.1
    listed = [p for p in iam.list_saml_providers()["SAMLProviderList"] if p["Arn"] == arn]
    assert len(listed) == 1 and set(listed[0]) == {"Arn", "ValidUntil", "CreateDate"}

    # A new metadata document (the IdP's certificate rotated) replaces the old; the UUID stays.
    rotated = SamlIdp(entity_id=idp.entity_id)
    assert iam.update_saml_provider(SAMLProviderArn=arn,
                                    SAMLMetadataDocument=rotated.metadata())[
        "SAMLProviderArn"] == arn
    again = iam.get_saml_provider(SAMLProviderArn=arn)
    assert again["SAMLMetadataDocument"] == rotated.metadata()
    _, root = iam_query(auth_server.endpoint, "GetSAMLProvider", SAMLProviderArn=arn)
    assert root.find(f".//{{{IAM_NS}}}SAMLProviderUUID").text == uuid_

    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "team", "Value": "sec"},
                                                     {"Key": "env", "Value": "prod"}])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "team", "Value": "sec"}, {"Key": "env", "Value": "prod"}]
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.get_saml_provider(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]

    assert err(lambda: iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata())
               )[:2] == ("EntityAlreadyExists", 409)
    iam.delete_saml_provider(SAMLProviderArn=arn)
    missing = ("NoSuchEntity", 404, f"Manifest not found for arn {arn}")
    assert err(lambda: iam.get_saml_provider(SAMLProviderArn=arn)) == missing
    assert err(lambda: iam.delete_saml_provider(SAMLProviderArn=arn)) == missing


def test_metadata_that_is_no_idp_metadata_is_refused(iam, idp):
    good = idp.metadata()
    for bad in ("<not-xml>" + "x" * 1000,
                good.replace("IDPSSODescriptor", "SPSSODescriptor"),
                good.replace('use="signing"', 'use="encryption"'),
                '<!DOCTYPE x [<!ENTITY a "b">]>' + good[good.index("<md:"):]):
        assert err(lambda: iam.create_saml_provider(
            Name=f"bad-{uuid.uuid4().hex[:6]}", SAMLMetadataDocument=bad)) == (
            "InvalidInput", 400, "Could not parse metadata.")


def test_summary_counts_saml_providers(iam, idp):
    before = iam.get_account_summary()["SummaryMap"]["Providers"]
    arn = iam.create_saml_provider(Name=f"c-{uuid.uuid4().hex[:6]}",
                                   SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == before + 1
    iam.delete_saml_provider(SAMLProviderArn=arn)


# --- AssumeRoleWithSAML ----------------------------------------------------------------------


def test_signed_assertion_gets_role_credentials(auth_server, iam, anon_sts, idp, provider):
    role = make_role(iam, provider)
    out = assume(anon_sts, role, provider, idp.signed([pair(role, provider)]),
                 DurationSeconds=900)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert out["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/alice@example.test")
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:alice@example.test"
    assert (out["Subject"], out["SubjectType"], out["Issuer"], out["Audience"]) == (
        "alice@example.test", "persistent", idp.entity_id, "https://signin.aws.amazon.com/saml")
    provider_name = provider.rsplit("/", 1)[1]
    assert out["NameQualifier"] == base64.b64encode(hashlib.sha1(
        (idp.entity_id + ACCOUNT + "/" + provider_name).encode()).digest()).decode()
    assert "PackedPolicySize" not in out and "SourceIdentity" not in out
    lifetime = creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert 800 < lifetime.total_seconds() <= 900
    # The credentials act as the role, with the role's permissions and no more.
    sts = client(auth_server.endpoint, "sts", creds["AccessKeyId"], creds["SecretAccessKey"],
                 creds["SessionToken"])
    assert sts.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    sm = client(auth_server.endpoint, "secretsmanager", creds["AccessKeyId"],
                creds["SecretAccessKey"], creds["SessionToken"])
    sm.list_secrets()
    assert err(lambda: sm.create_secret(Name=f"x-{uuid.uuid4().hex[:6]}", SecretString="v")
               )[0] == "AccessDeniedException"


def test_a_signed_response_or_both_are_accepted_and_pairs_in_either_order(iam, anon_sts, idp,
                                                                          provider):
    role = make_role(iam, provider)
    reversed_pair = f"{provider},{role['Arn']}"
    for sign in ("response", "both"):
        assume(anon_sts, role, provider, idp.signed([reversed_pair], sign=sign))


def test_what_the_signature_does_not_cover_is_refused(iam, anon_sts, idp, provider):
    role = make_role(iam, provider)
    bad_sig = ("InvalidIdentityToken", 400, "Response signature invalid")
    # Unsigned.
    unsigned = idp.encode(idp.response_xml([pair(role, provider)]))
    assert err(lambda: assume(anon_sts, role, provider, unsigned)) == bad_sig
    # Signed by another key than the metadata's.
    other = SamlIdp(entity_id=idp.entity_id)
    r = idp.response_xml([pair(role, provider)])
    other.sign(idp.assertion_of(r))
    assert err(lambda: assume(anon_sts, role, provider, idp.encode(r))) == bad_sig
    # Changed after signing (the subject).
    r = idp.response_xml([pair(role, provider)])
    idp.sign(idp.assertion_of(r))
    r.find(f".//{{{SAML}}}NameID").text = "mallory@example.test"
    assert err(lambda: assume(anon_sts, role, provider, idp.encode(r))) == bad_sig


def test_signature_wrapping_is_refused(iam, anon_sts, idp, provider):
    """The signed assertion kept, an attacker's beside it or in its place."""
    role = make_role(iam, provider)
    r = idp.response_xml([pair(role, provider)], subject="alice@example.test")
    signed = idp.assertion_of(r)
    idp.sign(signed)
    evil = copy.deepcopy(signed)
    evil.find(f".//{{{SAML}}}NameID").text = "admin@example.test"
    # Two assertions.
    r.append(copy.deepcopy(evil))
    assert err(lambda: assume(anon_sts, role, provider, idp.encode(r)))[:2] == (
        "InvalidIdentityToken", 400)
    # The attacker's in the signed one's place (same ID), the signed one hidden inside it.
    r2 = idp.response_xml([pair(role, provider)])
    original = idp.assertion_of(r2)
    idp.sign(original)
    wrapped = copy.deepcopy(original)
    wrapped.find(f".//{{{SAML}}}NameID").text = "admin@example.test"
    ext = etree.SubElement(wrapped, f"{{{SAML}}}Advice")
    ext.append(copy.deepcopy(original))
    r2.replace(original, wrapped)
    assert err(lambda: assume(anon_sts, role, provider, idp.encode(r2))) == (
        "InvalidIdentityToken", 400, "Response signature invalid")


def test_assertion_rules_in_aws_words(iam, anon_sts, idp, provider):
    role = make_role(iam, provider)
    p = [pair(role, provider)]
    cases = [
        (dict(issuer="http://elsewhere.test/saml"),
         ("InvalidIdentityToken", 400, "Issuer not present in specified provider")),
        (dict(lifetime_s=-10),
         ("ExpiredTokenException", 400, "Response has expired")),
        (dict(issued_ago_s=600, lifetime_s=3600),
         ("ExpiredTokenException", 400, "Token must be redeemed within 5 minutes of issuance")),
        (dict(session_name=None),
         ("InvalidIdentityToken", 400, "RoleSessionName is required in AuthnResponse")),
        (dict(session_name="a b"),
         ("InvalidIdentityToken", 400,
          "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")),
        (dict(subject=""),
         ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")),
    ]
    for kw, expected in cases:
        assert err(lambda: assume(anon_sts, role, provider, idp.signed(p, **kw))) == expected, kw
    # Not addressed to AWS's sign-in endpoint.
    assert err(lambda: assume(anon_sts, role, provider, idp.signed(
        p, recipient="https://evil.test/acs")))[:2] == ("InvalidIdentityToken", 400)
    assert err(lambda: assume(anon_sts, role, provider, idp.signed(
        p, audience="https://evil.test")))[:2] == ("InvalidIdentityToken", 400)
    # A Region's sign-in endpoint is AWS's too; saml:aud is that Recipient, so a trust policy
    # for the global endpoint does not match it.
    regional = "https://eu-west-1.signin.aws.amazon.com/saml"
    assert err(lambda: assume(anon_sts, role, provider, idp.signed(p, recipient=regional))) == (
        "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
    eu = make_role(iam, provider, conditions={"StringEquals": {"saml:aud": regional}})
    assert assume(anon_sts, eu, provider, idp.signed([pair(eu, provider)], recipient=regional)
                  )["Audience"] == regional
    # Not base64 XML, or a DOCTYPE.
    assert err(lambda: assume(anon_sts, role, provider, "bm90IHhtbA=="))[:2] == (
        "InvalidIdentityToken", 400)
    doc = '<!DOCTYPE r [<!ENTITY x "y">]>' + etree.tostring(
        idp.response_xml(p)).decode()
    assert err(lambda: assume(anon_sts, role, provider,
                              base64.b64encode(doc.encode()).decode()))[:2] == (
        "InvalidIdentityToken", 400)


def test_role_must_be_offered_and_trusted(iam, anon_sts, idp, provider):
    role = make_role(iam, provider)
    other = make_role(iam, provider)
    denied = ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
    # The assertion offers another role only.
    assert err(lambda: assume(anon_sts, role, provider, idp.signed([pair(other, provider)]))
               ) == denied
    # The trust policy's condition on the subject.
    picky = make_role(iam, provider, conditions={
        "StringEquals": {"saml:sub": "bob@example.test", "saml:sub_type": "persistent"}})
    assert err(lambda: assume(anon_sts, picky, provider, idp.signed([pair(picky, provider)]))
               ) == denied
    assume(anon_sts, picky, provider, idp.signed([pair(picky, provider)],
                                                 subject="bob@example.test"))
    # saml:doc and saml:iss name the provider and the IdP.
    by_doc = make_role(iam, provider, conditions={"StringEquals": {
        "saml:doc": f"{ACCOUNT}/{provider.rsplit('/', 1)[1]}", "saml:iss": idp.entity_id}})
    assume(anon_sts, by_doc, provider, idp.signed([pair(by_doc, provider)]))
    # ARNs swapped or not ARNs of their kind.
    assert err(lambda: anon_sts.assume_role_with_saml(
        RoleArn=role["Arn"], PrincipalArn=role["Arn"],
        SAMLAssertion=idp.signed([pair(role, provider)]))) == (
        "ValidationError", 400, "Principal ARN is invalid")
    assert err(lambda: anon_sts.assume_role_with_saml(
        RoleArn=provider, PrincipalArn=provider,
        SAMLAssertion=idp.signed([pair(role, provider)]))) == (
        "ValidationError", 400, "Request ARN is invalid")
    # A provider that does not exist.
    ghost = f"arn:aws:iam::{ACCOUNT}:saml-provider/ghost-{uuid.uuid4().hex[:6]}"
    assert err(lambda: assume(anon_sts, role, ghost, idp.signed([pair(role, ghost)]))) == (
        "InvalidIdentityToken", 400, "Specified provider doesn't exist")
    # Longer than the role allows.
    assert err(lambda: assume(anon_sts, role, provider, idp.signed([pair(role, provider)]),
                              DurationSeconds=7200)) == (
        "ValidationError", 400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")


def test_session_attributes(auth_server, iam, anon_sts, idp, provider):
    tagging = make_role(iam, provider, extra_actions=("sts:TagSession", "sts:SetSourceIdentity"))
    attrs = {ATTR + "PrincipalTag:team": ["payments"],
             ATTR + "TransitiveTagKeys": ["team"],
             ATTR + "SourceIdentity": ["alice"],
             ATTR + "SessionDuration": ["1000"]}
    out = assume(anon_sts, tagging, provider,
                 idp.signed([pair(tagging, provider)], attributes=attrs))
    assert out["SourceIdentity"] == "alice" and "PackedPolicySize" in out
    lifetime = out["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert 900 < lifetime.total_seconds() <= 1000
    # Without sts:TagSession / sts:SetSourceIdentity in the trust policy: refused.
    plain = make_role(iam, provider)
    assert err(lambda: assume(anon_sts, plain, provider, idp.signed(
        [pair(plain, provider)], attributes={ATTR + "PrincipalTag:team": ["x"]})))[:2] == (
        "AccessDenied", 403)
    assert err(lambda: assume(anon_sts, plain, provider, idp.signed(
        [pair(plain, provider)], attributes={ATTR + "SessionDuration": ["60"]})))[:2] == (
        "InvalidIdentityToken", 400)


def test_the_call_is_audited_as_a_saml_user_without_the_assertion(auth_server, iam, anon_sts,
                                                                  idp, provider):
    role = make_role(iam, provider)
    assertion = idp.signed([pair(role, provider)], subject="carol@example.test")
    out = assume(anon_sts, role, provider, assertion)
    request_id = out["ResponseMetadata"]["RequestId"]
    audit = auth_server.data_dir / "audit"

    def record():
        for f in audit.glob("**/*.jsonl"):
            for line in f.read_text().splitlines():
                if request_id in line:
                    return json.loads(line)
        return None

    rec = wait_for(record, what="the call's audit record")
    assert rec["eventName"] == "AssumeRoleWithSAML" and rec["readOnly"] is True
    assert rec["userIdentity"]["type"] == "SAMLUser"
    assert rec["userIdentity"]["userName"] == "carol@example.test"
    assert rec["userIdentity"]["principalId"] == out["NameQualifier"] + ":carol@example.test"
    text = b"".join(f.read_bytes() for f in audit.glob("**/*.jsonl"))
    assert assertion[:200].encode() not in text
    assert out["Credentials"]["SecretAccessKey"].encode() not in text


# --- Encrypted assertions ----------------------------------------------------------------------


def sp_key() -> tuple[str, bytes]:
    """A service-provider key pair as AddPrivateKey takes it: (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def query_error(status_root) -> tuple[int, str, str]:
    status, root = status_root
    return (status, root.find(f".//{{{IAM_NS}}}Code").text,
            root.find(f".//{{{IAM_NS}}}Message").text)


def test_encrypted_assertions(auth_server, iam, anon_sts, idp):
    endpoint = auth_server.endpoint
    private, public = sp_key()
    name = f"enc-{uuid.uuid4().hex[:8]}"
    status, root = iam_query(endpoint, "CreateSAMLProvider", Name=name,
                             SAMLMetadataDocument=idp.metadata(), AddPrivateKey=private,
                             AssertionEncryptionMode="Required")
    assert status == 200
    arn = root.find(f".//{{{IAM_NS}}}SAMLProviderArn").text
    _, got = iam_query(endpoint, "GetSAMLProvider", SAMLProviderArn=arn)
    assert got.find(f".//{{{IAM_NS}}}AssertionEncryptionMode").text == "Required"
    keys = got.findall(f".//{{{IAM_NS}}}PrivateKeyList/{{{IAM_NS}}}member")
    assert len(keys) == 1
    first = keys[0].find(f"{{{IAM_NS}}}KeyId").text
    assert 22 <= len(first) <= 64 and keys[0].find(f"{{{IAM_NS}}}Timestamp") is not None
    assert private.splitlines()[1] not in ET.tostring(got, encoding="unicode")

    role = make_role(iam, arn)
    p = [pair(role, arn)]
    # Encrypted (the assertion signed inside, or the response signed around it): accepted.
    for sign in ("assertion", "response"):
        out = assume(anon_sts, role, arn, idp.signed(p, sign=sign, encrypt_for=public))
        assert out["Subject"] == "alice@example.test"
    # Plaintext while encryption is required; encrypted for another key.
    assert err(lambda: assume(anon_sts, role, arn, idp.signed(p)))[:2] == (
        "InvalidIdentityToken", 400)
    _, other_public = sp_key()
    # Nothing vouches for the ciphertext of an unsigned response: every failure past the
    # decryption is one answer (no padding oracle); a signed response's may say more.
    assert err(lambda: assume(anon_sts, role, arn, idp.signed(p, encrypt_for=other_public))
               ) == ("InvalidIdentityToken", 400, "Response signature invalid")
    assert err(lambda: assume(anon_sts, role, arn,
                              idp.signed(p, sign="response", encrypt_for=other_public))) == (
        "InvalidIdentityToken", 400, "Invalid SAML response: the encrypted assertion could not "
        "be decrypted with the provider's private keys")

    # Rotation: a second key, never a third; the first removed stops decrypting.
    second_private, second_public = sp_key()
    assert iam_query(endpoint, "UpdateSAMLProvider", SAMLProviderArn=arn,
                     AddPrivateKey=second_private)[0] == 200
    assert query_error(iam_query(endpoint, "UpdateSAMLProvider", SAMLProviderArn=arn,
                                 AddPrivateKey=sp_key()[0])) == (
        409, "LimitExceeded", "Private key limit of 2 is reached.")
    assert iam_query(endpoint, "UpdateSAMLProvider", SAMLProviderArn=arn,
                     RemovePrivateKey=first)[0] == 200
    _, got = iam_query(endpoint, "GetSAMLProvider", SAMLProviderArn=arn)
    assert [k.text for k in got.findall(f".//{{{IAM_NS}}}KeyId")] != [first]
    assert len(got.findall(f".//{{{IAM_NS}}}KeyId")) == 1
    assume(anon_sts, role, arn, idp.signed(p, encrypt_for=second_public))
    assert err(lambda: assume(anon_sts, role, arn, idp.signed(p, encrypt_for=public)))[:2] == (
        "InvalidIdentityToken", 400)

    # Refusals (emulators' copies of AWS's words).
    assert query_error(iam_query(endpoint, "UpdateSAMLProvider", SAMLProviderArn=arn,
                                 RemovePrivateKey=first)) == (
        400, "InvalidInput",
        "Failed to remove private key because the Key ID does not match a private key.")
    assert query_error(iam_query(endpoint, "UpdateSAMLProvider", SAMLProviderArn=arn,
                                 RemovePrivateKey=first, AddPrivateKey=sp_key()[0]))[:2] == (
        400, "InvalidInput")
    assert query_error(iam_query(endpoint, "CreateSAMLProvider", Name=f"r-{name}",
                                 SAMLMetadataDocument=idp.metadata(),
                                 AssertionEncryptionMode="Required")) == (
        400, "InvalidInput",
        "Unable to set assertion encryption mode to Required because no private key is "
        "provided.")
    assert query_error(iam_query(endpoint, "CreateSAMLProvider", Name=f"k-{name}",
                                 SAMLMetadataDocument=idp.metadata(),
                                 AddPrivateKey="-----BEGIN PRIVATE KEY-----\nnope\n"
                                               "-----END PRIVATE KEY-----\n"))[:2] == (
        400, "InvalidInput")
    # Allowed again: plaintext accepted.
    assert iam_query(endpoint, "UpdateSAMLProvider", SAMLProviderArn=arn,
                     AssertionEncryptionMode="Allowed")[0] == 200
    assume(anon_sts, role, arn, idp.signed(p))

    # The private keys appear in no audit record and no log line.
    audit = auth_server.data_dir / "audit"
    trail = b"".join(f.read_bytes() for f in audit.glob("**/*.jsonl"))
    body = private.splitlines()[1].encode()
    assert body not in trail and second_private.splitlines()[1].encode() not in trail
    iam.delete_saml_provider(SAMLProviderArn=arn)
