"""Dev mode accepts any credentials, so only local programs may drive it, never a web page the
developer visits. A page can make a browser send CORS-"simple" requests without asking (an
HTML form POST, a text/plain fetch, an <img> GET), and through DNS rebinding (its own host
name re-pointed at 127.0.0.1) read the answers. Browsers mark them: Origin on every
cross-origin POST, Sec-Fetch-Site on every request, the page's own name as Host. Dev mode
refuses those (AccessDenied, 403, in the protocol of the service named); the SDKs, the CLI and
curl send none of them and are served as before. Also: an access key id longer than AWS's
128 characters is refused in dev mode as an unknown key is in signed mode."""

from __future__ import annotations

import json
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ROOT_AKID, ROOT_SECRET, sigv4_headers

EVIL = "http://evil.example"
FORM = "application/x-www-form-urlencoded"


def host(srv, name: str = "127.0.0.1") -> str:
    return f"{name}:{srv.port}"


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def dev_client(srv, service: str, akid: str = "AKIDEXAMPLEDEVKEY001"):
    return boto3.client(service, endpoint_url=srv.endpoint, region_name="us-east-1",
                        aws_access_key_id=akid, aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 0}))


def xml_error(r) -> tuple[str, str]:
    root = ET.fromstring(r.text)
    ns = {"": root.tag[1:].split("}")[0]} if root.tag.startswith("{") else {}
    err = root.find("Error", ns)
    return err.findtext("Code", namespaces=ns), err.findtext("Message", namespaces=ns)


def create_role_form(role: str) -> str:
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    return urllib.parse.urlencode({
        "Action": "CreateRole", "Version": "2010-05-08", "RoleName": role,
        "AssumeRolePolicyDocument": trust})


def role_exists(srv, role: str) -> bool:
    try:
        dev_client(srv, "iam").get_role(RoleName=role)
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchEntity", e.response
        return False


# --------------------------------------------------------------------------- what a page sends

@pytest.mark.parametrize("marks", [
    {"Origin": EVIL},
    {"Origin": "null"},  # a sandboxed frame, a redirect
    {"Origin": "http://127.0.0.1.evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
])
def test_an_html_form_post_from_a_web_page_is_refused(dev_server, marks):
    """<form method=POST> to "/": IAM CreateRole, unsigned (acting as the account root)."""
    role = uniq("csrf")
    r = requests.post(dev_server.endpoint + "/", data=create_role_form(role), timeout=10,
                      headers={"Content-Type": FORM, **marks})
    assert r.status_code == 403, r.text
    code, message = xml_error(r)
    assert code == "AccessDenied" and "Dev mode" in message, r.text
    assert not role_exists(dev_server, role)


def test_a_get_with_the_action_in_its_query_from_an_img_is_refused(dev_server):
    """<img src="http://127.0.0.1:PORT/?Action=CreateRole&..."> sends no Origin, but
    Sec-Fetch-Site: cross-site."""
    role = uniq("img")
    r = requests.get(dev_server.endpoint + "/?" + create_role_form(role), timeout=10,
                     headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"})
    assert r.status_code == 403 and xml_error(r)[0] == "AccessDenied", r.text
    assert not role_exists(dev_server, role)


def test_a_text_plain_fetch_to_lambda_is_refused(dev_server):
    """fetch(..., {method: "POST", mode: "no-cors", body}) is text/plain: Lambda's REST-JSON
    routes would read it as CreateFunction; refused in Lambda's error shape."""
    fn = uniq("csrf-fn")
    body = json.dumps({"FunctionName": fn, "Runtime": "python3.11", "Handler": "x.h",
                       "Role": "arn:aws:iam::123456789012:role/r", "Code": {"ZipFile": ""}})
    r = requests.post(dev_server.endpoint + "/2015-03-31/functions", data=body, timeout=10,
                      headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": EVIL})
    assert r.status_code == 403, r.text
    assert r.headers.get("X-Amzn-ErrorType", "").startswith("AccessDeniedException"), r.headers
    lam = dev_client(dev_server, "lambda")
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=fn)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_json_call_with_a_foreign_origin_is_refused(dev_server):
    r = requests.post(dev_server.endpoint + "/", data=b"{}", timeout=10, headers={
        "Content-Type": "application/x-amz-json-1.1", "Origin": EVIL,
        "X-Amz-Target": "secretsmanager.ListSecrets"})
    assert r.status_code == 403, r.text
    assert r.json()["__type"] == "AccessDeniedException" and "Origin" in r.json()["message"]


@pytest.mark.parametrize("path", ["/_arcana/reset", "/moto-api/reset"])
def test_reset_from_a_web_page_is_refused(sm, path):
    """POST /_arcana/reset (text/plain, no preflight) would wipe all state."""
    sm().create_secret(Name="kept", SecretString="v")
    for marks in ({"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"},
                  {"Host": "rebind.evil.example"}):
        r = requests.post(sm.server.endpoint + path, data="x", timeout=10,
                          headers={"Content-Type": "text/plain", **marks})
        assert r.status_code == 403, (marks, r.status_code, r.text)
    assert sm().get_secret_value(SecretId="kept")["SecretString"] == "v"


def test_the_fault_hooks_are_refused_from_a_web_page(dev_server):
    r = requests.post(dev_server.endpoint + "/_arcana/dev/fault?action=throw", timeout=10,
                      headers={"Origin": EVIL})
    assert r.status_code == 403, r.text


# --------------------------------------------------------------------------- DNS rebinding

@pytest.mark.parametrize("name", ["rebind.evil.example", "localhost.evil.example",
                                  "127.0.0.1.nip.io", "x", "0.0.0.0", "10.0.0.1",
                                  "[::2]", "127.0.0.1:80:80"])
def test_a_host_that_is_not_loopback_is_refused(dev_server, name):
    """A page whose own name now resolves to 127.0.0.1 is same-origin with the listener: its
    requests carry any header and it reads every answer. Only its Host gives it away."""
    hp = name if ":" in name.replace("[::2]", "") else host(dev_server, name)
    r = requests.post(dev_server.endpoint + "/", data=b"{}", timeout=10, headers={
        "Host": hp, "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "secretsmanager.ListSecrets"})
    assert r.status_code == 403, (hp, r.text)
    assert r.json()["__type"] == "AccessDeniedException" and "Host" in r.json()["message"]
    # Not even health or metrics answer such a page.
    r = requests.get(dev_server.endpoint + "/metrics", headers={"Host": hp}, timeout=10)
    assert r.status_code == 403 and "arcana_" not in r.text


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LocalHost", "localhost.",
                                  "app.localhost", "127.1.2.3", "[::1]", "[::ffff:127.0.0.1]"])
def test_loopback_hosts_are_served(dev_server, name):
    for hp in (host(dev_server, name), name):
        r = requests.post(dev_server.endpoint + "/", data=b"{}", timeout=10, headers={
            "Host": hp, "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "secretsmanager.ListSecrets"})
        assert r.status_code == 200, (hp, r.text)


# --------------------------------------------------------------------------- local clients

def test_local_clients_are_served_as_before(dev_server):
    # boto3, signed with any key.
    assert "SecretList" in dev_client(dev_server, "secretsmanager").list_secrets()
    # curl-style: unsigned, no Origin: the account root.
    r = requests.post(dev_server.endpoint + "/", data=b"{}", timeout=10, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.ListSecrets"})
    assert r.status_code == 200, r.text
    # A page served from a loopback origin itself, and a browser's same-origin or
    # user-initiated requests (typing the URL): local.
    for marks in ({"Origin": "http://localhost:3000"}, {"Origin": "https://127.0.0.1"},
                  {"Origin": "http://[::1]:8080"}, {"Sec-Fetch-Site": "same-origin"},
                  {"Sec-Fetch-Site": "none"}):
        role = uniq("local")
        r = requests.post(dev_server.endpoint + "/", data=create_role_form(role), timeout=10,
                          headers={"Content-Type": FORM, **marks})
        assert r.status_code == 200, (marks, r.text)
        assert role_exists(dev_server, role)
    assert requests.get(dev_server.endpoint + "/_arcana/health", timeout=10).status_code == 200


def test_signed_mode_serves_any_host_and_origin(auth_server):
    """Signed mode needs a signature a page cannot make, and may sit behind a load balancer
    with a real name: neither check applies there."""
    headers = sigv4_headers("arcana.internal.example", b"{}", "secretsmanager.ListSecrets",
                            "us-east-1", ROOT_AKID, ROOT_SECRET)
    headers.update({"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    r = requests.post(auth_server.endpoint + "/", data=b"{}", headers=headers, timeout=10)
    assert r.status_code == 200 and "SecretList" in r.json(), r.text


# --------------------------------------------------------------------------- access key ids

def test_an_access_key_id_longer_than_aws_allows_is_refused_in_dev_mode(dev_server):
    """AWS key ids have 16 to 128 characters; dev mode kept any id (in memory and in every
    audit record): a 30 KB one is refused as signed mode refuses an unknown key."""
    long_id = "AKIA" + "X" * 30000
    with pytest.raises(ClientError) as e:
        dev_client(dev_server, "secretsmanager", akid=long_id).list_secrets()
    err = e.value.response["Error"]
    assert (err["Code"], err["Message"]) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.")
    with pytest.raises(ClientError) as e:
        dev_client(dev_server, "sts", akid="AKIA" + "X" * 125).get_caller_identity()
    err = e.value.response["Error"]
    assert (err["Code"], err["Message"]) == (
        "InvalidClientTokenId", "The security token included in the request is invalid.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # 128 characters, and the short ids dev setups use, still act as the account root.
    for akid in ("AKIA" + "X" * 124, "test"):
        ident = dev_client(dev_server, "sts", akid=akid).get_caller_identity()
        assert ident["Arn"].endswith(":root"), ident
