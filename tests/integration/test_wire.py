"""Raw HTTP: JSON 1.1 framing, error shapes, SigV4 failures, oversize bodies."""

import datetime as dt
import json
import uuid

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import (ACCOUNT, ROOT_AKID, ROOT_SECRET, error_code, make_client, raw_call,
                      sigv4_headers)

JSON11 = "application/x-amz-json-1.1"


def assert_aws_error(r, code, status=400):
    assert r.status_code == status, f"HTTP {r.status_code}, want {status}: {r.text[:300]}"
    body = r.json()
    assert isinstance(body, dict), r.text
    assert body.get("__type"), f"no __type in {body}"
    assert error_code(r) == code, f"__type {body.get('__type')!r}, want {code}"
    hdr = r.headers.get("X-Amzn-ErrorType")
    assert hdr, "X-Amzn-ErrorType header missing"
    assert hdr.split(":")[0].rsplit("#", 1)[-1] == code, hdr
    assert r.headers.get("x-amzn-RequestId"), "x-amzn-RequestId header missing"
    msg = body.get("message", body.get("Message"))
    assert isinstance(msg, str), f"error without message/Message: {body}"


def list_names(endpoint, **kw):
    r = raw_call(endpoint, "ListSecrets", {"MaxResults": 100}, **kw)
    assert r.status_code == 200, r.text
    return sorted(s["Name"] for s in r.json()["SecretList"])


# --------------------------------------------------------------------------- signer self-check

def test_hand_signer_matches_botocore():
    """The tests' own SigV4 signer must agree with botocore's, or the auth tests mean nothing."""
    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    body = b'{"SecretId":"x"}'
    mine = sigv4_headers("127.0.0.1:8443", body, "secretsmanager.GetSecretValue", "eu-west-1",
                         "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", when=when)
    req = AWSRequest(method="POST", url="http://127.0.0.1:8443/", data=body, headers={
        "Content-Type": JSON11, "X-Amz-Target": "secretsmanager.GetSecretValue"})
    signer = SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                       "secretsmanager", "eu-west-1")
    import unittest.mock as m
    with m.patch("botocore.auth.datetime") as fake:
        fake.datetime.utcnow.return_value = when.replace(tzinfo=None)
        signer.add_auth(req)
    assert req.headers["X-Amz-Date"] == mine["X-Amz-Date"]
    assert req.headers["Authorization"] == mine["Authorization"]


# --------------------------------------------------------------------------- framing

def test_success_framing_and_numeric_timestamps(sm, raw, uniq):
    name = uniq()
    r = raw("CreateSecret", {"Name": name, "SecretString": "v", "ClientRequestToken": str(uuid.uuid4())})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith(JSON11)
    assert r.headers.get("x-amzn-RequestId")
    body = r.json()
    assert body["Name"] == name
    assert all(v is not None for v in body.values()), "absent members must be left out, not null"

    raw("GetSecretValue", {"SecretId": name})
    d = raw("DescribeSecret", {"SecretId": name}).json()
    for k in ("CreatedDate", "LastChangedDate", "LastAccessedDate"):
        assert type(d[k]) in (int, float), f"{k} must be a JSON number, got {d[k]!r}"
        assert 1.5e9 < d[k] < 4e9, f"{k} must be epoch seconds, got {d[k]!r}"
    assert all(v is not None for v in d.values()), d
    g = raw("GetSecretValue", {"SecretId": name}).json()
    assert type(g["CreatedDate"]) in (int, float)
    l = raw("ListSecrets", {}).json()
    assert type(l["SecretList"][0]["CreatedDate"]) in (int, float)
    dl = raw("DeleteSecret", {"SecretId": name, "RecoveryWindowInDays": 7}).json()
    assert type(dl["DeletionDate"]) in (int, float)


def test_binary_is_base64_on_the_wire(raw, uniq):
    import base64
    name = uniq()
    data = b"\x00\xffbinary\x10"
    # a raw request must carry the ClientRequestToken an SDK would fill in (AWS refuses it)
    r = raw("CreateSecret", {"Name": name, "SecretBinary": base64.b64encode(data).decode(),
                             "ClientRequestToken": str(uuid.uuid4())})
    assert r.status_code == 200, r.text
    g = raw("GetSecretValue", {"SecretId": name}).json()
    assert base64.b64decode(g["SecretBinary"], validate=True) == data
    assert "SecretString" not in g


def test_empty_output_is_empty_object(sm, raw, uniq):
    name = uniq()
    sm().create_secret(Name=name, SecretString="v")
    r = raw("TagResource", {"SecretId": name, "Tags": [{"Key": "a", "Value": "b"}]})
    assert r.status_code == 200, r.text
    assert r.content in (b"", b"{}") or r.json() == {}


def test_error_shape_resource_not_found(sm, raw, uniq):
    sm()
    r = raw("GetSecretValue", {"SecretId": uniq("missing")})
    assert_aws_error(r, "ResourceNotFoundException")
    assert r.headers["Content-Type"].startswith(JSON11)


def test_empty_object_body_for_no_input_call(sm, dev_server):
    # botocore always sends POST /; an empty JSON object is the input for no-member calls
    r = raw_call(dev_server.endpoint, "ListSecrets", b"{}")
    assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- malformed requests

@pytest.mark.parametrize("body", [b"{not json", b"", b"[1,2]", b'{"SecretId": "a"', b"\xff\xfe"])
def test_malformed_json(sm, dev_server, body):
    before = list_names(dev_server.endpoint)
    r = raw_call(dev_server.endpoint, "CreateSecret", body)
    if body == b"":
        # an empty body is not a JSON object either
        assert r.status_code == 400, r.text
        assert error_code(r) in ("SerializationException", "InvalidParameterException",
                                 "ValidationException")
    else:
        assert_aws_error(r, "SerializationException")
    assert list_names(dev_server.endpoint) == before


@pytest.mark.parametrize("op,body", [
    ("CreateSecret", {"Name": 5, "SecretString": "v"}),
    ("CreateSecret", {"Name": "it-type/x", "SecretString": {"nested": "object"}}),
    ("CreateSecret", {"Name": "it-type/y", "SecretString": "v", "Tags": "not-a-list"}),
    ("DeleteSecret", {"SecretId": "it-type/z", "RecoveryWindowInDays": "seven"}),
    ("ListSecrets", {"MaxResults": "10"}),
    ("DeleteSecret", {"SecretId": "it-type/z", "ForceDeleteWithoutRecovery": "yes"}),
])
def test_wrong_member_type(sm, dev_server, op, body):
    before = list_names(dev_server.endpoint)
    r = raw_call(dev_server.endpoint, op, body)
    assert_aws_error(r, "SerializationException")
    assert list_names(dev_server.endpoint) == before


def test_unknown_operation(sm, dev_server):
    r = raw_call(dev_server.endpoint, "FrobnicateSecret", {})
    assert_aws_error(r, "UnknownOperationException")
    r = raw_call(dev_server.endpoint, None, {}, target="NotAService.ListSecrets")
    assert r.status_code == 400
    assert error_code(r) == "UnknownOperationException"


def test_missing_target_header(sm, dev_server):
    r = raw_call(dev_server.endpoint, None, {}, target=None)
    assert 400 <= r.status_code < 500, r.text
    assert error_code(r), f"no AWS error code in {r.status_code} {r.text[:200]}"


def test_oversize_body_refused_server_stays_up(sm, dev_server, uniq):
    before = list_names(dev_server.endpoint)
    name = uniq("huge")
    body = json.dumps({"Name": name, "SecretString": "x" * (2 * 1024 * 1024)}).encode()
    try:
        r = raw_call(dev_server.endpoint, "CreateSecret", body)
    except requests.ConnectionError as e:
        pytest.fail(f"server dropped the connection instead of answering an AWS-shaped 4xx: {e}")
    assert 400 <= r.status_code < 500, f"HTTP {r.status_code}: {r.text[:200]}"
    assert error_code(r), f"no __type / X-Amzn-ErrorType in the refusal: {r.text[:200]}"
    # still serving, nothing changed
    assert requests.get(dev_server.endpoint + "/_arcana/health", timeout=5).status_code == 200
    assert list_names(dev_server.endpoint) == before
    assert dev_server.proc.poll() is None


def test_max_value_body_accepted(sm, dev_server, uniq):
    # a maximal 64 KiB value in a JSON body is far below the 1 MiB body limit
    name = uniq("big")
    r = raw_call(dev_server.endpoint, "CreateSecret", {"Name": name, "SecretString": "y" * 65536,
                                                       "ClientRequestToken": str(uuid.uuid4())})
    assert r.status_code == 200, r.text[:300]


def test_new_sdk_members_accepted(sm, raw, uniq):
    """Newer SDKs send members Debian's model lacks: RotationToken, SortBy, Type."""
    name = uniq()
    sm().create_secret(Name=name, SecretString="v")
    r = raw("PutSecretValue", {"SecretId": name, "SecretString": "v2",
                               "ClientRequestToken": str(uuid.uuid4()),
                               "RotationToken": str(uuid.uuid4())})
    assert r.status_code == 200, r.text
    r = raw("ListSecrets", {"SortBy": "last-changed-date", "SortOrder": "desc"})
    assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- authentication

def auth_call(srv, op, body, akid=ROOT_AKID, secret=ROOT_SECRET, **kw):
    return raw_call(srv.endpoint, op, body, akid=akid, secret=secret, **kw)


@pytest.fixture
def auth_names(auth_server):
    def names():
        return list_names(auth_server.endpoint, akid=ROOT_AKID, secret=ROOT_SECRET)
    return names


def test_auth_valid_root_key(auth_server):
    r = auth_call(auth_server, "ListSecrets", {})
    assert r.status_code == 200, r.text
    c = make_client(auth_server.endpoint, akid=ROOT_AKID, secret=ROOT_SECRET)
    name = f"auth-ok-{uuid.uuid4().hex[:8]}"
    arn = c.create_secret(Name=name, SecretString="v")["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-")
    assert c.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_auth_comma_without_space_separator(auth_server):
    r = auth_call(auth_server, "ListSecrets", {}, separator=",")
    assert r.status_code == 200, r.text


def test_no_authorization_header(auth_server, auth_names):
    before = auth_names()
    name = f"noauth-{uuid.uuid4().hex[:8]}"
    r = raw_call(auth_server.endpoint, "CreateSecret", {"Name": name, "SecretString": "v"}, sign=False)
    assert r.status_code == 403, r.text
    assert error_code(r) in ("MissingAuthenticationTokenException", "MissingAuthenticationToken")
    assert r.json().get("__type")
    assert auth_names() == before


def test_bad_signature(auth_server, auth_names):
    before = auth_names()
    name = f"badsig-{uuid.uuid4().hex[:8]}"
    r = auth_call(auth_server, "CreateSecret", {"Name": name, "SecretString": "v"},
                  secret=ROOT_SECRET + "x")
    assert_aws_error(r, "InvalidSignatureException")
    assert auth_names() == before


def test_tampered_body_fails_signature(auth_server, auth_names):
    before = auth_names()
    host = auth_server.endpoint.split("://")[1]
    signed_body = json.dumps({"Name": "innocent", "SecretString": "v"}).encode()
    sent_body = json.dumps({"Name": "evil-" + uuid.uuid4().hex[:6], "SecretString": "v"}).encode()
    h = sigv4_headers(host, signed_body, "secretsmanager.CreateSecret", "us-east-1",
                      ROOT_AKID, ROOT_SECRET)
    r = requests.post(auth_server.endpoint + "/", data=sent_body, headers=h, timeout=10)
    assert_aws_error(r, "InvalidSignatureException")
    assert auth_names() == before


def test_tampered_target_fails_signature(auth_server):
    host = auth_server.endpoint.split("://")[1]
    body = b"{}"
    h = sigv4_headers(host, body, "secretsmanager.ListSecrets", "us-east-1", ROOT_AKID, ROOT_SECRET)
    h["X-Amz-Target"] = "secretsmanager.GetRandomPassword"
    r = requests.post(auth_server.endpoint + "/", data=body, headers=h, timeout=10)
    assert_aws_error(r, "InvalidSignatureException")


def test_unknown_access_key(auth_server, auth_names):
    before = auth_names()
    r = auth_call(auth_server, "CreateSecret", {"Name": "unknown-key", "SecretString": "v"},
                  akid="AKIANOSUCHKEY0000000")
    assert_aws_error(r, "UnrecognizedClientException")
    assert auth_names() == before


def test_unknown_access_key_via_boto3(auth_server):
    c = make_client(auth_server.endpoint, akid="AKIANOSUCHKEY0000000", secret="whatever")
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as ei:
        c.list_secrets()
    assert ei.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_signature_expired(auth_server):
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    r = auth_call(auth_server, "ListSecrets", {}, when=when)
    assert r.status_code in (400, 403), r.text
    assert error_code(r) in ("InvalidSignatureException", "RequestExpired"), r.text


def test_malformed_authorization_header(auth_server):
    host = auth_server.endpoint.split("://")[1]
    h = sigv4_headers(host, b"{}", "secretsmanager.ListSecrets", "us-east-1", ROOT_AKID, ROOT_SECRET)
    h["Authorization"] = "AWS4-HMAC-SHA256 Credential=garbage"
    r = requests.post(auth_server.endpoint + "/", data=b"{}", headers=h, timeout=10)
    assert r.status_code in (400, 403), r.text
    assert error_code(r) in ("IncompleteSignatureException", "IncompleteSignature"), r.text


@pytest.mark.parametrize("signed_headers", [
    "content-type;host;x-amz-date;x-amz-target" + ";x-amz-target" * 2000,  # a name repeated
    "host;content-type;x-amz-date;x-amz-target",                              # out of order
    ";".join(f"h{i:03}" for i in range(64)) + ";host;x-amz-date;x-amz-target",  # over 64 names
], ids=["repeated", "unsorted", "too-many"])
def test_signed_headers_not_in_canonical_form_are_refused(auth_server, signed_headers):
    """SignedHeaders must be sorted, each name once, at most 64 names: a repeated name times
    thousands of headers sent under it made the server build a canonical request of tens of
    MB before comparing the signature. Refused at once, before any key is looked up."""
    host = auth_server.endpoint.split("://")[1]
    h = sigv4_headers(host, b"{}", "secretsmanager.ListSecrets", "us-east-1", ROOT_AKID,
                      ROOT_SECRET)
    h["Authorization"] = h["Authorization"].replace(
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target",
        "SignedHeaders=" + signed_headers)
    r = requests.post(auth_server.endpoint + "/", data=b"{}", headers=h, timeout=10)
    assert_aws_error(r, "IncompleteSignatureException")
    assert r.json()["message"].startswith("Invalid SignedHeaders"), r.text


def test_wrong_service_in_scope(auth_server):
    r = auth_call(auth_server, "ListSecrets", {}, service="ssm")
    assert 400 <= r.status_code < 500, r.text
    assert error_code(r), r.text


def test_region_comes_from_credential_scope(auth_server):
    eu = make_client(auth_server.endpoint, region="eu-west-1", akid=ROOT_AKID, secret=ROOT_SECRET)
    name = f"scope-{uuid.uuid4().hex[:8]}"
    arn = eu.create_secret(Name=name, SecretString="v")["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:{name}-")


def test_reset_is_dev_only(auth_server):
    r = requests.post(auth_server.endpoint + "/_arcana/reset", timeout=10)
    assert r.status_code == 404
    assert auth_call(auth_server, "ListSecrets", {}).status_code == 200


def test_dev_mode_refuses_a_scope_region_that_is_not_a_region_name(dev_server):
    # Dev mode checks no signature, but a key it knows acts with its policies, which match
    # ARNs built from the scope's region: "us-east-1:ACCOUNT:secret:dev-" would forge them.
    forged = f"us-east-1:{ACCOUNT}:secret:dev-"
    r = raw_call(dev_server.endpoint, "ListSecrets", {}, region=forged)
    assert_aws_error(r, "InvalidSignatureException")
    assert r.json()["message"] == f"Credential should be scoped to a valid region, not '{forged}'."
    for region in ("us-gov-west-1", "cn-northwest-1", "ap-southeast-2"):
        assert raw_call(dev_server.endpoint, "ListSecrets", {}, region=region).status_code == 200


def test_dev_mode_ignores_clock_skew_and_key(sm, dev_server):
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    r = raw_call(dev_server.endpoint, "ListSecrets", {}, akid="ANYKEY", secret="any", when=when)
    assert r.status_code == 200, r.text


def test_unknown_session_token(auth_server):
    r = auth_call(auth_server, "ListSecrets", {},
                  extra_headers={"X-Amz-Security-Token": "FwoGZXIvYXdzEBogus" + "A" * 40})
    assert r.status_code in (400, 403), r.text
    assert error_code(r) in ("UnrecognizedClientException", "ExpiredTokenException",
                             "InvalidClientTokenId"), r.text


def test_host_must_be_signed(auth_server):
    # a signature that does not cover Host could be replayed against another server
    r = auth_call(auth_server, "ListSecrets", {},
                  signed_only=["content-type", "x-amz-date", "x-amz-target"])
    assert r.status_code in (400, 403), r.text
    assert error_code(r) in ("InvalidSignatureException", "IncompleteSignatureException",
                             "IncompleteSignature"), r.text


def test_signed_with_fewer_headers_is_fine(auth_server):
    # the server must use the client's SignedHeaders list, not one of its own: an unsigned
    # header that selects nothing (here User-Agent) may be left out of the signature
    r = auth_call(auth_server, "ListSecrets", {},
                  extra_headers={"User-Agent": "hand-rolled/1.0"},
                  signed_only=["host", "x-amz-date", "x-amz-target", "content-type"])
    assert r.status_code == 200, r.text


def test_unsigned_target_cannot_be_replayed_as_another_operation(auth_server, auth_names):
    # A signature that leaves X-Amz-Target out would let a captured
    # GetSecretValue {"SecretId": x} be replayed within the skew window as DeleteSecret.
    name = f"replay-{uuid.uuid4().hex[:8]}"
    assert auth_call(auth_server, "CreateSecret", {"Name": name, "SecretString": "v",
                                                   "ClientRequestToken": str(uuid.uuid4())}).status_code == 200
    host = auth_server.endpoint.split("://")[1]
    body = json.dumps({"SecretId": name}).encode()
    h = sigv4_headers(host, body, "secretsmanager.GetSecretValue", "us-east-1",
                      ROOT_AKID, ROOT_SECRET, signed_only=["host", "x-amz-date", "content-type"])
    h["X-Amz-Target"] = "secretsmanager.DeleteSecret"
    r = requests.post(auth_server.endpoint + "/", data=body, headers=h, timeout=10)
    assert_aws_error(r, "IncompleteSignatureException")
    assert "X-Amz-Target" in r.json()["message"]
    d = auth_call(auth_server, "DescribeSecret", {"SecretId": name})
    assert d.status_code == 200 and "DeletedDate" not in d.json(), d.text


def test_unsigned_content_type_is_accepted(auth_server, auth_names):
    # As AWS: the AWS SDK for JavaScript v2 never signs Content-Type (host;x-amz-date;
    # x-amz-target here), and its calls must work. The operation stays fixed by the signed
    # target: the same request with its target swapped is still refused (test above).
    r = auth_call(auth_server, "ListSecrets", {},
                  signed_only=["host", "x-amz-date", "x-amz-target"])
    assert r.status_code == 200, r.text
    name = f"unsigned-type-{uuid.uuid4().hex[:8]}"
    c = auth_call(auth_server, "CreateSecret", {"Name": name, "SecretString": "v",
                                                "ClientRequestToken": str(uuid.uuid4())},
                  signed_only=["host", "x-amz-date", "x-amz-target"])
    assert c.status_code == 200, c.text
    g = auth_call(auth_server, "GetSecretValue", {"SecretId": name},
                  signed_only=["host", "x-amz-date", "x-amz-target"])
    assert g.status_code == 200 and g.json()["SecretString"] == "v", g.text
