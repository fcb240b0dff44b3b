"""Presigned STS GetCallerIdentity URLs: SigV4 in the query string (X-Amz-Credential, -Date,
-Expires, -SignedHeaders, -Signature, -Security-Token), fetched with a plain GET. This is how a
caller proves its identity to another party without handing over its keys (the pattern of
EKS tokens, Vault's and many services' "AWS IAM" login): it presigns the URL, the other party
fetches it and reads the answer's Arn."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import requests

from conftest import ACCOUNT
from test_iam import TRUST_ACCOUNT, client, name
from test_sts import sts  # noqa: F401 (fixture)

NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def fetch(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def presign(sts, expires: int = 60) -> str:
    """A GET URL, as EKS tokens and IAM-login clients sign them."""
    return sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=expires,
                                      HttpMethod="GET")


def identity(resp: requests.Response) -> dict:
    assert resp.status_code == 200, resp.text
    result = ET.fromstring(resp.text).find(f"{NS}GetCallerIdentityResult")
    return {child.tag.removeprefix(NS): child.text for child in result}


def error_code(resp: requests.Response) -> str:
    # <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">, as AWS sends it.
    return ET.fromstring(resp.text).find(f"{NS}Error/{NS}Code").text


def test_a_presigned_url_answers_as_its_signer(sts):
    url = presign(sts)
    assert "X-Amz-Signature=" in url and "Authorization" not in url
    got = identity(fetch(url))
    assert got == {"UserId": ACCOUNT, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}
    # The same URL works again until it expires (it is a bearer proof, like AWS's).
    assert identity(fetch(url))["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_temporary_credentials_presign_as_their_role(auth_server, sts):
    iam = client(auth_server.endpoint, "iam")
    role = iam.create_role(RoleName=name("pre"), AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="proof",
                            DurationSeconds=900)["Credentials"]
    as_role = client(auth_server.endpoint, "sts", creds["AccessKeyId"], creds["SecretAccessKey"],
                     creds["SessionToken"])
    url = presign(as_role)
    assert "X-Amz-Security-Token=" in url
    got = identity(fetch(url))
    assert got["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/proof"
    assert got["UserId"] == f"{role['RoleId']}:proof"
    # Without its session token the URL proves nothing.
    stripped = "&".join(p for p in url.split("&") if not p.startswith("X-Amz-Security-Token="))
    assert fetch(stripped).status_code == 403


def test_a_tampered_url_is_refused(sts):
    url = presign(sts)
    # Another operation, the same signature.
    other = url.replace("Action=GetCallerIdentity", "Action=GetSessionToken")
    r = fetch(other)
    assert r.status_code == 403 and error_code(r) == "SignatureDoesNotMatch", r.text
    # A longer validity than was signed.
    longer = url.replace("X-Amz-Expires=60", "X-Amz-Expires=3600")
    assert fetch(longer).status_code == 403
    # A missing signature parameter.
    unsigned = "&".join(p for p in url.split("&") if not p.startswith("X-Amz-Signature="))
    r = fetch(unsigned)
    assert r.status_code in (400, 403) and error_code(r) == "IncompleteSignature", r.text


def test_an_expired_url_is_refused(sts):
    url = presign(sts, expires=1)
    time.sleep(2.2)
    r = fetch(url)
    assert r.status_code == 403, r.text
    assert error_code(r) == "SignatureDoesNotMatch" or "expired" in r.text.lower(), r.text
    assert "Signature expired" in r.text, r.text


def test_the_default_presigned_url_is_posted(sts):
    # botocore signs the operation's own method (POST) unless told otherwise; such a URL is
    # sent as a POST with no body, and a GET of it does not match its signature.
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60)
    r = requests.post(url, timeout=10)
    assert identity(r)["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert fetch(url).status_code == 403
