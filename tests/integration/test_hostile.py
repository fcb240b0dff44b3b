"""Every byte from outside is hostile (issue 8): malformed, oversize, deeply nested, wrongly
typed and unauthenticated requests at every endpoint of a non-dev server -- every operation of
the three services (from the embedded models, models/*.json), the /_arcana/* operator
endpoints, /metrics, health, reset, unknown paths and methods -- plus broken HTTP framing, huge
headers, chunked bodies and invalid UTF-8 on raw sockets.

After every test the server must still answer GET /_arcana/health within 1 s, and nothing may
have been written: the API's listings (ListSecrets, DescribeParameters, ListKeys, ListAliases)
and every table of the data dir's SQLite database are compared before and after. Client
mistakes must answer 4xx (never 5xx, never a dropped server).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from conftest import (ACCOUNT, REPO_ROOT, ROOT_AKID, ROOT_SECRET, ArcanaServer, sigv4_headers,
                      store_rows)

REGION = "us-east-1"
MODELS = REPO_ROOT / "models"
# model file -> (X-Amz-Target prefix, SigV4 signing name)
SERVICES = {
    "secretsmanager": ("secretsmanager", "secretsmanager"),
    "kms": ("TrentService", "kms"),
    "ssm": ("AmazonSSM", "ssm"),
}
SEED_SECRET = "hostile/seeded-secret"
SEED_PARAM = "/hostile/seeded-param"
HEALTH_DEADLINE = 1.0


# --------------------------------------------------------------------------- the models

def _load(model: str) -> dict:
    return json.loads((MODELS / f"{model}.json").read_text())


MODEL = {m: _load(m) for m in SERVICES}


def operations(model: str) -> list[str]:
    return list(MODEL[model]["operations"])


def input_shape(model: str, op: str) -> dict | None:
    ref = MODEL[model]["operations"][op].get("input")
    return MODEL[model]["shapes"][ref["shape"]] if ref else None


def valid_value(model: str, shape: dict, member: str, seeds: dict, depth: int = 0):
    """A plausible value for a member: the seeded resources' ids where the name says so, so
    that a request which got through would change real state (and be caught)."""
    shapes = MODEL[model]["shapes"]
    t = shape["type"]
    if t == "string":
        if "enum" in shape:
            return shape["enum"][0]
        for key in ("SecretId", "KeyId", "Name", "TargetKeyId", "ResourceId", "AliasName"):
            if member == key and key in seeds.get(model, {}):
                return seeds[model][key]
        return "hostile-probe"
    if t in ("integer", "long"):
        return max(int(shape.get("min", 1)), 1)
    if t == "boolean":
        return False
    if t == "blob":
        return base64.b64encode(b"hostile").decode()
    if t == "timestamp":
        return 1700000000
    if t == "double" or t == "float":
        return 1.0
    if depth > 4:
        return None
    if t == "list":
        return [valid_value(model, shapes[shape["member"]["shape"]], member, seeds, depth + 1)]
    if t == "map":
        return {"k": valid_value(model, shapes[shape["value"]["shape"]], member, seeds, depth + 1)}
    if t == "structure":
        return {m: valid_value(model, shapes[shape["members"][m]["shape"]], m, seeds, depth + 1)
                for m in shape.get("required", [])}
    return None


def valid_body(model: str, op: str, seeds: dict) -> dict:
    shape = input_shape(model, op)
    return valid_value(model, shape, "", seeds) if shape else {}


WRONG = {"string": 12345, "integer": "twelve", "long": "twelve", "boolean": "yes",
         "blob": 12345, "timestamp": {"not": "a time"}, "list": {"not": "a list"},
         "map": ["not", "a", "map"], "structure": "not a structure", "double": "x", "float": "x"}


def wrong_body(model: str, op: str) -> dict:
    """Every member of the input shape with a value of the wrong JSON type."""
    shape = input_shape(model, op)
    if not shape:
        return {"Unexpected": "member"}
    shapes = MODEL[model]["shapes"]
    return {m: WRONG.get(shapes[ref["shape"]]["type"], 12345)
            for m, ref in shape.get("members", {}).items()}


# --------------------------------------------------------------------------- the server

@pytest.fixture(scope="module")
def srv(tmp_root):
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    s = ArcanaServer(tmp_root / "hostile-data", tmp_root / "hostile-logs", dev=False, env=env)
    s.start()
    s.seeds = seed_state(s)
    yield s
    s.stop()


def client(s: ArcanaServer, service: str):
    return boto3.client(service, endpoint_url=s.endpoint, region_name=REGION,
                        aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                        config=Config(retries={"max_attempts": 0}, read_timeout=30))


def seed_state(s: ArcanaServer) -> dict:
    """Something for a hostile request to destroy: a secret, a parameter, a key with an alias."""
    sm, kms, ssm = client(s, "secretsmanager"), client(s, "kms"), client(s, "ssm")
    sm.create_secret(Name=SEED_SECRET, SecretString="seeded-value", ClientRequestToken=str(uuid.uuid4()))
    ssm.put_parameter(Name=SEED_PARAM, Value="seeded", Type="SecureString")
    key_id = kms.create_key(Description="hostile seed")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/hostile-seed", TargetKeyId=key_id)
    return {
        "secretsmanager": {"SecretId": SEED_SECRET, "Name": "hostile/new-secret"},
        "kms": {"KeyId": key_id, "TargetKeyId": key_id, "AliasName": "alias/hostile-seed"},
        "ssm": {"Name": SEED_PARAM},
    }


def db_dump(s: ArcanaServer) -> dict:
    """Every row of every table of the server's store, read-only (either backend), but the
    scheduler's job rows: their leases and due times move on their own (storage/job_store.h),
    not because of a request; and KMS keys' last uses, which each node writes behind every
    5 s (a use noted before the test may land during it): api_state compares those through
    GetKeyLastUsage, which adds the node's unflushed uses, so it does not depend on when the
    flush runs; and the audit index (PostgreSQL), a copy of the audit trail, which records
    every call, the hostile ones too (storage/audit_index_store.h)."""
    return store_rows(s.data_dir, exclude=("jobs", "kms_key_last_usage", "audit_index_records",
                                           "audit_index_keys", "audit_index_nodes"))


def api_state(s: ArcanaServer) -> dict:
    """The account's listings as raw response bytes (raw, so state a client could not even
    parse -- say, stored invalid UTF-8 -- still compares)."""
    def call(model, op, body):
        data = json.dumps(body).encode()
        r = requests.post(s.endpoint + "/", data=data, headers=signed_headers(s, model, op, data),
                          timeout=30)
        return r.status_code, r.content

    state = {
        "secrets": call("secretsmanager", "ListSecrets", {"IncludePlannedDeletion": True, "MaxResults": 100}),
        "seed_secret": call("secretsmanager", "DescribeSecret", {"SecretId": SEED_SECRET}),
        "params": call("ssm", "DescribeParameters", {"MaxResults": 50}),
        "keys": call("kms", "ListKeys", {}),
        "aliases": call("kms", "ListAliases", {}),
    }
    keys = json.loads(state["keys"][1]).get("Keys", []) if state["keys"][0] == 200 else []
    for k in keys:
        state["key " + k["KeyId"]] = call("kms", "DescribeKey", {"KeyId": k["KeyId"]})
        state["key use " + k["KeyId"]] = call("kms", "GetKeyLastUsage", {"KeyId": k["KeyId"]})
    return state


def assert_healthy(s: ArcanaServer, expect: int = 200) -> None:
    assert s.proc.poll() is None, f"arcanad died (exit {s.proc.returncode}); log:\n{s.log_tail()}"
    started = time.monotonic()
    try:
        r = requests.get(s.endpoint + "/_arcana/health", timeout=HEALTH_DEADLINE)
    except requests.RequestException as e:
        pytest.fail(f"health did not answer within {HEALTH_DEADLINE}s: {e!r}; log:\n{s.log_tail()}")
    assert r.status_code == expect, f"health answered {r.status_code}: {r.text[:200]}"
    assert time.monotonic() - started < HEALTH_DEADLINE


@pytest.fixture
def unchanged(srv):
    """Around each test: the server is healthy and nothing was written."""
    if srv.proc.poll() is not None:  # an earlier test killed it: that test failed; carry on
        srv.start()
    assert_healthy(srv)
    before_api, before_db = api_state(srv), db_dump(srv)
    yield srv
    assert_healthy(srv)
    assert api_state(srv) == before_api, "a hostile request changed API-visible state"
    after_db = db_dump(srv)
    changed = sorted(t for t in set(before_db) | set(after_db) if before_db.get(t) != after_db.get(t))
    assert not changed, f"a hostile request wrote to the database: tables {changed}"


# --------------------------------------------------------------------------- request helpers

def host(s: ArcanaServer) -> str:
    return s.endpoint.split("://", 1)[1]


def post(s: ArcanaServer, headers: dict, data: bytes, path: str = "/", timeout: float = 30):
    return requests.post(s.endpoint + path, data=data, headers=headers, timeout=timeout)


def signed_headers(s: ArcanaServer, model: str, op: str, data: bytes, **kw) -> dict:
    prefix, signing = SERVICES[model]
    kw.setdefault("service", signing)
    return sigv4_headers(host(s), data, f"{prefix}.{op}", REGION, kw.pop("akid", ROOT_AKID),
                         kw.pop("secret", ROOT_SECRET), **kw)


def expect_client_error(r: requests.Response, what: str, failures: list) -> None:
    """4xx with an AWS error body (never 5xx, never a 200 for a hostile request)."""
    if not 400 <= r.status_code < 500:
        failures.append(f"{what}: HTTP {r.status_code} {r.text[:160]!r}")
        return
    try:
        body = r.json()
    except ValueError:
        body = None
    if not (isinstance(body, dict) and body.get("__type")) and not r.headers.get("X-Amzn-ErrorType"):
        failures.append(f"{what}: HTTP {r.status_code} without an AWS error: {r.text[:160]!r}")


def run_all(s: ArcanaServer, cases) -> None:
    """cases: (description, headers, body bytes); collects every failure, then reports."""
    failures: list[str] = []
    with requests.Session() as http:
        for what, headers, data in cases:
            try:
                r = http.post(s.endpoint + "/", data=data, headers=headers, timeout=30)
            except requests.RequestException as e:
                failures.append(f"{what}: no answer ({e!r})")
                assert s.proc.poll() is None, f"arcanad died at {what}; log:\n{s.log_tail()}"
                continue
            expect_client_error(r, what, failures)
    assert not failures, f"{len(failures)} hostile requests were mishandled:\n" + "\n".join(failures[:40])


# --------------------------------------------------------------------------- every operation

@pytest.mark.parametrize("model", list(SERVICES))
def test_unauthenticated_calls_to_every_operation(unchanged, model):
    s = unchanged
    prefix, _ = SERVICES[model]
    cases = []
    for op in operations(model):
        body = json.dumps(valid_body(model, op, s.seeds)).encode()
        base = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{prefix}.{op}"}
        cases.append((f"{op} without Authorization", base, body))
        cases.append((f"{op} with a garbage Authorization",
                      {**base, "Authorization": "AWS4-HMAC-SHA256 ;;,,== Credential=/ Signature=zz"}, body))
        cases.append((f"{op} with a wrong signature",
                      signed_headers(s, model, op, body, secret="not-the-secret"), body))
        cases.append((f"{op} with an unknown access key",
                      signed_headers(s, model, op, body, akid="AKIAUNKNOWNUNKNOWN00"), body))
        cases.append((f"{op} signed for another service",
                      signed_headers(s, model, op, body, service="iam"), body))
        cases.append((f"{op} with an expired signature",
                      signed_headers(s, model, op, body,
                                     when=dt.datetime(2015, 8, 30, tzinfo=dt.timezone.utc)), body))
    run_all(s, cases)


@pytest.mark.parametrize("model", list(SERVICES))
def test_malformed_and_wrongly_typed_bodies_to_every_operation(unchanged, model):
    s = unchanged
    cases = []
    for op in operations(model):
        bodies = {
            "every member wrongly typed": json.dumps(wrong_body(model, op)).encode(),
            "a JSON array": b"[]",
            "a JSON string": b'"SecretId"',
            "a number": b"12",
            "null": b"null",
            "truncated JSON": b'{"Name": "x"',
            "trailing garbage": b'{"Name": "x"} {"Name": "y"}',
            "a bare word": b"DROP TABLE secrets",
            "NUL bytes": b'{"Name": "a\x00b"}\x00',
            "numbers out of range": json.dumps({k: 10 ** 40 for k in wrong_body(model, op)}).encode(),
        }
        for what, data in bodies.items():
            cases.append((f"{op}: {what}", signed_headers(s, model, op, data), data))
    run_all(s, cases)


@pytest.mark.parametrize("model", list(SERVICES))
def test_deeply_nested_bodies_to_every_operation(unchanged, model):
    s = unchanged
    cases = []
    for i, op in enumerate(operations(model)):
        # Both shapes for a few operations, one of them for the rest (each body is 200 KB).
        shapes = [b"[" * 200_000, b'{"a":' * 40_000] if i < 3 else [b"[" * 200_000]
        for data in shapes:
            cases.append((f"{op}: {len(data)} bytes nested", signed_headers(s, model, op, data), data))
    # Nesting inside an otherwise valid member.
    op = operations(model)[0]
    data = b'{"Tags": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    cases.append((f"{op}: nested inside a member", signed_headers(s, model, op, data), data))
    run_all(s, cases)


@pytest.mark.parametrize("model", list(SERVICES))
def test_invalid_utf8_bodies_to_every_operation(unchanged, model):
    """Invalid UTF-8 is not JSON (RFC 8259 section 8.1): refused, never stored."""
    s = unchanged
    cases = []
    for op in operations(model):
        valid = valid_body(model, op, s.seeds)
        text = json.dumps(valid)
        # Replace the first string value with bytes that are not UTF-8.
        data = text.encode()
        marker = b'"hostile-probe"'
        if marker in data:
            data = data.replace(marker, b'"host\xff\xfeile\xc3"', 1)
        else:
            data = b'{"Name": "\xed\xa0\x80\xff", "Value": "\xc0\xaf"}'
        cases.append((f"{op}: invalid UTF-8", signed_headers(s, model, op, data), data))
    run_all(s, cases)


def test_writes_with_invalid_utf8_values_are_refused(unchanged):
    s = unchanged
    token = str(uuid.uuid4())
    cases = []
    for model, op, data in [
        ("secretsmanager", "CreateSecret",
         b'{"Name": "hostile/utf8", "SecretString": "\xff\xfe", "ClientRequestToken": "' + token.encode() + b'"}'),
        ("secretsmanager", "PutSecretValue",
         b'{"SecretId": "' + SEED_SECRET.encode() + b'", "SecretString": "\xc3\x28", "ClientRequestToken": "' + token.encode() + b'"}'),
        ("ssm", "PutParameter",
         b'{"Name": "/hostile/utf8", "Value": "\xe2\x28\xa1", "Type": "String"}'),
        ("ssm", "PutParameter",
         b'{"Name": "' + SEED_PARAM.encode() + b'", "Value": "\xf0\x28\x8c\x28", "Type": "SecureString", "Overwrite": true}'),
        ("kms", "CreateKey", b'{"Description": "\xff"}'),
        ("kms", "TagResource", b'{"KeyId": "' + s.seeds["kms"]["KeyId"].encode() + b'", "Tags": [{"TagKey": "\xff", "TagValue": "v"}]}'),
    ]:
        cases.append((f"{op} with invalid UTF-8", signed_headers(s, model, op, data), data))
    run_all(s, cases)


def test_oversize_bodies(unchanged):
    s = unchanged
    cases = []
    for model, op in [("secretsmanager", "CreateSecret"), ("kms", "Encrypt"), ("ssm", "PutParameter")]:
        data = b'{"Name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
        prefix, _ = SERVICES[model]
        # Unsigned (refused before anything is read) and signed.
        cases.append((f"{op}: 1 MiB + 10 unsigned",
                      {"X-Amz-Target": f"{prefix}.{op}", "Content-Type": "application/x-amz-json-1.1"}, data))
        cases.append((f"{op}: 1 MiB + 10 signed", signed_headers(s, model, op, data), data))
    run_all(s, cases)
    # A Content-Length far beyond the limit is refused from the header alone.
    reply = raw_exchange(s, b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.ListSecrets\r\n"
                            b"Content-Length: 99999999999\r\n\r\n{}")
    assert reply == b"" or reply.startswith((b"HTTP/1.1 4", b"HTTP/1.0 4")), reply[:100]


def test_operations_that_do_not_exist(unchanged):
    s = unchanged
    cases = []
    for target in ["secretsmanager.", "secretsmanager.DropEverything", "TrentService.getSecretValue",
                   "AmazonSSM", ".", "secretsmanager.CreateSecret.Extra", "x" * 10_000,
                   "secretsmanager.\xff", "AmazonSSM.CreateDocument", "../../etc/passwd"]:
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        try:
            headers["X-Amz-Target"] = target
            headers = sigv4_headers(host(s), b"{}", target, REGION, ROOT_AKID, ROOT_SECRET,
                                    service="secretsmanager")
        except UnicodeEncodeError:
            pass
        cases.append((f"target {target[:40]!r}", headers, b"{}"))
    run_all(s, cases)


def test_unsigned_target_cannot_select_the_operation(unchanged):
    """A signature that does not cover X-Amz-Target must not admit any operation (a replayed
    read could otherwise be re-targeted at DeleteSecret / ScheduleKeyDeletion / DeleteParameter)."""
    s = unchanged
    cases = []
    for model in SERVICES:
        for op in operations(model):
            body = json.dumps(valid_body(model, op, s.seeds)).encode()
            headers = signed_headers(s, model, op, body,
                                     signed_only=["host", "x-amz-date", "content-type"])
            cases.append((f"{op} with X-Amz-Target unsigned", headers, body))
    run_all(s, cases)


# --------------------------------------------------------------------------- other endpoints

def test_operator_endpoints_refuse_unauthenticated_callers(unchanged):
    s = unchanged
    ep = s.endpoint
    failures = []
    for path in ["/_arcana/operator/seal", "/_arcana/operator/rotate-root", "/_arcana/operator/unseal"]:
        for data in [b"{}", b'{"reset": true}', b'{"share": "arcs1-AAAA"}', b"", b"not json"]:
            r = requests.post(ep + path, data=data, timeout=10)
            if not 400 <= r.status_code < 500:
                failures.append(f"POST {path} {data[:20]!r} unauthenticated: HTTP {r.status_code} {r.text[:120]!r}")
        # Signed, but by a non-root, unknown or wrong credential.
        for akid, secret in [(ROOT_AKID, "wrong"), ("AKIAUNKNOWNUNKNOWN00", ROOT_SECRET)]:
            h = sigv4_headers(host(s), b"{}", None, REGION, akid, secret, service="arcana", path=path)
            r = requests.post(ep + path, data=b"{}", headers=h, timeout=10)
            if not 400 <= r.status_code < 500:
                failures.append(f"POST {path} signed by {akid}/{secret[:5]}: HTTP {r.status_code} {r.text[:120]!r}")
    assert not failures, "\n".join(failures)
    # Still unsealed and serving.
    assert requests.get(ep + "/_arcana/seal-status", timeout=5).json()["sealed"] is False


def test_operator_endpoints_survive_hostile_bodies(unchanged):
    s = unchanged
    ep = s.endpoint
    bodies = [b"[" * 200_000, b'{"share":' * 50_000, b'{"share": "' + b"A" * 2_000_000 + b'"}',
              b'{"share": 12}', b'{"share": ["arcs1-"]}', b'{"reset": "yes"}', b"\xff\xfe\x00",
              b'{"share": "arcs1-\xff\xff"}', b"null", b"[]", b'"arcs1-AAAA"']
    for path in ["/_arcana/operator/unseal", "/_arcana/operator/seal", "/_arcana/operator/rotate-root",
                 "/_arcana/operator/", "/_arcana/operator/../operator/seal", "/_arcana/operator/unknown",
                 "/_arcana/seal-status"]:
        for data in bodies:
            try:
                r = requests.post(ep + path, data=data, timeout=30)
            except requests.RequestException:
                assert s.proc.poll() is None, f"arcanad died at POST {path}; log:\n{s.log_tail()}"
                continue
            # Unauthenticated and malformed: refused (405 for seal-status, which is GET only).
            assert 400 <= r.status_code < 500, (path, data[:30], r.status_code, r.text[:200])
    assert requests.get(ep + "/_arcana/seal-status", timeout=5).json()["sealed"] is False


def test_other_endpoints_paths_and_methods(unchanged):
    s = unchanged
    ep = s.endpoint
    failures = []
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"]:
        for path in ["/", "/_arcana/health", "/_arcana/seal-status", "/metrics", "/_arcana/reset",
                     "/moto-api/reset", "/_arcana/", "/_arcana/operator/seal", "/nope", "/%00",
                     "/..%2f..%2fetc%2fpasswd", "/metrics?x=" + "y" * 5000, "//_arcana//health",
                     "/_arcana/health/../reset"]:
            try:
                r = requests.request(method, ep + path, data=b"{}", timeout=10)
            except requests.RequestException as e:
                failures.append(f"{method} {path[:40]}: no answer {e!r}")
                continue
            ok_200 = (method == "GET" and path in ("/_arcana/health", "/_arcana/seal-status", "/metrics",
                                                    "/metrics?x=" + "y" * 5000))
            if ok_200:
                if r.status_code != 200:
                    failures.append(f"{method} {path[:40]}: HTTP {r.status_code}")
            elif not 400 <= r.status_code < 500:
                failures.append(f"{method} {path[:40]}: HTTP {r.status_code} {r.text[:80]!r}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- raw HTTP

def raw_exchange(s: ArcanaServer, data: bytes, timeout: float = 10.0, half_close: bool = True) -> bytes:
    """Sends bytes on a fresh connection, half-closes, returns everything the server answered
    until it closed (b"" when it closed without answering)."""
    with socket.create_connection(("127.0.0.1", s.port), timeout=timeout) as c:
        try:
            c.sendall(data)
            if half_close:
                c.shutdown(socket.SHUT_WR)
        except OSError:  # the server refused early and closed (reset, EPIPE, ENOTCONN)
            pass
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = c.recv(65536)
            except socket.timeout:
                pytest.fail(f"the server neither answered nor closed within {timeout}s: {data[:80]!r}")
            except OSError:  # reset after refusing
                break
            if not chunk:
                break
            out += chunk
        return out


def statuses(reply: bytes) -> list[int]:
    return [int(line.split(b" ")[1]) for line in reply.split(b"\r\n")
            if line.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")) and len(line.split(b" ")) > 1
            and line.split(b" ")[1].isdigit()]


BROKEN_FRAMING = {
    "binary garbage": bytes(range(256)) * 4,
    "empty request line": b"\r\n\r\n\r\n",
    "no version": b"GET /_arcana/health\r\n\r\n",
    "HTTP/9.9": b"GET /_arcana/health HTTP/9.9\r\nHost: x\r\n\r\n",
    "a response, not a request": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "LF only": b"GET /_arcana/health HTTP/1.1\nHost: x\n\n",
    "header without colon": b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
    "space in header name": b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n",
    "obs-fold": b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.\r\n ListSecrets\r\nContent-Length: 2\r\n\r\n{}",
    "NUL in header value": b"GET / HTTP/1.1\r\nHost: x\x00y\r\n\r\n",
    "negative Content-Length": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}",
    "two different Content-Lengths": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}abc",
    "Content-Length with garbage": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2x\r\n\r\n{}",
    "Content-Length overflow": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 184467440737095516160\r\n\r\n{}",
    "body shorter than Content-Length": b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.ListSecrets\r\nContent-Length: 100\r\n\r\n{}",
    "chunked and Content-Length": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "bad chunk size": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "huge chunk size": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
    "chunk without terminator": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}",
    "unknown transfer coding": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}",
    "invalid UTF-8 in target and headers": b"POST /\xff\xfe HTTP/1.1\r\nHost: \xc3\x28\r\nX-Amz-Target: secretsmanager.\xffList\r\nContent-Length: 2\r\n\r\n{}",
    "100 KB request target": b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "100 KB header": b"GET /_arcana/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 100_000 + b"\r\n\r\n",
    "10000 headers": b"GET /_arcana/health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(10_000)) + b"\r\n",
    "truncated headers": b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Tar",
    "pipelined garbage after a request": b"GET /_arcana/health HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01\x02garbage\r\n\r\n",
}


@pytest.mark.parametrize("what", list(BROKEN_FRAMING))
def test_broken_http_framing(unchanged, what):
    reply = raw_exchange(unchanged, BROKEN_FRAMING[what])
    # Either refused with a 4xx (431/413/400...) or the connection closed; never a 5xx.
    for code in statuses(reply):
        if what == "pipelined garbage after a request" and code == 200:
            continue  # the well-formed first request is answered
        assert 400 <= code < 500, f"{what}: answered {code}: {reply[:200]!r}"


# Requests the parser refuses are answered, AWS-shaped, and their connection closed: an SDK
# that sees a connection dropped without an answer retries the same request.
REFUSED = {
    "header block over 32 KiB": (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.ListSecrets\r\nX-Big: " + b"a" * 40_000 + b"\r\nContent-Length: 2\r\n\r\n{}", 431),
    "bad request line": (b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "Content-Length and chunked": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "bad chunk size": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
    "unknown transfer coding": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}", 400),
}


@pytest.mark.parametrize("what", list(REFUSED))
def test_refused_requests_are_answered(unchanged, what):
    data, status = REFUSED[what]
    reply = raw_exchange(unchanged, data)
    assert statuses(reply) == [status], reply[:300]
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"\r\nConnection: close\r\n" in head + b"\r\n", head
    assert b"\r\nX-Amzn-ErrorType: SerializationException\r\n" in head + b"\r\n", head
    assert json.loads(body)["__type"] == "SerializationException", body


@pytest.mark.parametrize("coding", ["gzip", "identity", "chunked, identity", "gzip, chunked"])
def test_transfer_encoding_other_than_chunked_cannot_smuggle_a_request(unchanged, coding):
    """Beast reads a request whose last transfer coding is not chunked as bodiless; its body
    must not run as the next request (RFC 9112 section 6.3: 400 and close)."""
    smuggled = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    reply = raw_exchange(unchanged, b"POST /_arcana/health HTTP/1.1\r\nHost: x\r\n"
                         b"Transfer-Encoding: " + coding.encode() + b"\r\n\r\n" + smuggled)
    assert reply.count(b"HTTP/1.1 ") == 1 and statuses(reply) == [400], reply[:300]
    assert b"arcana_" not in reply, "the body ran as a request"


def test_body_over_the_limit_without_expect_gets_its_413(unchanged):
    """A client that sends a body over 1 MiB without `Expect: 100-continue` is still sending
    when the 413 is written; the server reads and drops the rest (lingering close), so the
    client's send completes and it reads the 413 instead of a connection reset."""
    body = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", unchanged.port), timeout=10) as c:
            c.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.ListSecrets\r\n"
                      b"Content-Type: application/x-amz-json-1.1\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body)
            reply = b""
            while chunk := c.recv(65536):
                reply += chunk
        assert statuses(reply) == [413], reply[:300]
        assert b"RequestEntityTooLargeException" in reply


def test_chunked_api_request_is_served(unchanged):
    """A well-formed chunked body is an ordinary request (SigV4 covers the decoded body)."""
    s = unchanged
    body = json.dumps({"MaxResults": 10}).encode()
    h = signed_headers(s, "secretsmanager", "ListSecrets", body)
    head = "".join(f"{k}: {v}\r\n" for k, v in h.items() if k.lower() != "content-length")
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 5]), body[i:i + 5]) for i in range(0, len(body), 5))
    reply = raw_exchange(s, ("POST / HTTP/1.1\r\n" + head + "Transfer-Encoding: chunked\r\n"
                             "Connection: close\r\n\r\n").encode() + chunks + b"0\r\n\r\n")
    assert statuses(reply)[:1] == [200], reply[:300]
    assert b"SecretList" in reply


def test_chunked_body_beyond_the_limit_is_refused(unchanged):
    s = unchanged
    chunk = b"x" * 65536
    data = (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.CreateSecret\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 20 + b"0\r\n\r\n")
    reply = raw_exchange(s, data, timeout=20)
    assert all(400 <= c < 500 for c in statuses(reply)), reply[:200]


def test_abandoned_connections_do_not_block_others(unchanged):
    """Half-sent requests held open (slowloris-style) while the server keeps answering."""
    s = unchanged
    held = []
    try:
        for i in range(50):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{" if i % 2
                      else b"GET /_arcana/heal")
            held.append(c)
        assert_healthy(s)
    finally:
        for c in held:
            c.close()


# --------------------------------------------------------------------------- while sealed

def test_sealed_server_keeps_metrics_bounded(tmp_path):
    """While sealed, arbitrary X-Amz-Target values must not become metric labels (unbounded
    memory) nor inject lines into the Prometheus text; health answers 503 at once."""
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    s = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=False, env=env).start()
    try:
        path = "/_arcana/operator/seal"
        h = sigv4_headers(host(s), b"{}", None, REGION, ROOT_AKID, ROOT_SECRET, service="arcana", path=path)
        r = requests.post(s.endpoint + path, data=b"{}", headers=h, timeout=10)
        assert r.status_code == 200 and r.json()["sealed"] is True, r.text
        before = requests.get(s.endpoint + "/metrics", timeout=5).text
        marker = uuid.uuid4().hex
        with requests.Session() as http:
            for i in range(300):
                # Unknown operations, and one that tries to break out of a label value.
                target = f"secretsmanager.{marker}{i}" if i % 3 else f'x"}} 1 evil_{marker}{i} {{'
                r = http.post(s.endpoint + "/", data=b"{}", timeout=10,
                              headers={"X-Amz-Target": target,
                                       "Content-Type": "application/x-amz-json-1.1"})
                assert r.status_code in (400, 403, 503), r.status_code
        after = requests.get(s.endpoint + "/metrics", timeout=5).text
        assert marker not in after, "caller-chosen X-Amz-Target values became metric labels"
        assert len(after) < len(before) + 4096, f"metrics grew from {len(before)} to {len(after)} bytes"
        assert_healthy(s, expect=503)
    finally:
        s.stop()
