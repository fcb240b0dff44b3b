"""EventBridge connections and API destinations: CreateConnection / DescribeConnection /
ListConnections / UpdateConnection / DeauthorizeConnection / DeleteConnection and
CreateApiDestination / DescribeApiDestination / ListApiDestinations / UpdateApiDestination /
DeleteApiDestination, with AWS's answers and errors; a connection's credentials never
answered, audited or stored in plaintext; and events delivered to an API destination target
(an HTTPS receiver here) with its HttpParameters and the connection's BASIC, API_KEY or OAuth
client-credentials authorization.

What AWS answers (recorded: localstack/localstack
tests/aws/services/events/test_api_destinations_and_connection.py, aws.validated, with its
.snapshot.json): CreateConnection is AUTHORIZED for BASIC and API_KEY and AUTHORIZING for
OAUTH_CLIENT_CREDENTIALS; DescribeConnection omits Password, ApiKeyValue and ClientSecret;
DeleteConnection answers the connection in state DELETING; a connection that does not exist is
ResourceNotFoundException "Failed to describe the connection(s). Connection 'X' does not
exist."; an API destination is ACTIVE (INACTIVE while its connection is not authorized), its
InvocationRateLimitPerSecond 300 by default, DeleteApiDestination answers {}, and one that does
not exist is "Failed to describe the api-destination(s). An api-destination 'X' does not
exist.". Native AWS was observed to keep a connection's credentials in a Secrets Manager secret
"events!connection/<name>/<another uuid>" with OwningService "events" (and the tag
aws:secretsmanager:owningService), answered as DescribeConnection's SecretArn: a credential
update is a new AWSCURRENT version, a deauthorization schedules the secret's deletion and drops
SecretArn, and new credentials after it make a new secret. So does this server.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import ROOT_AKID, ROOT_SECRET, ArcanaServer, plaintext_at_rest, wait_for
from oidc_issuer import self_signed_tls, serve_https
from test_audit import client
from test_iam_server_certificates import store_query
from test_root_of_trust import AKID as ROT_AKID, SECRET as ROT_SECRET
from test_root_of_trust import servers  # noqa: F401 (a fixture)

ACCOUNT = "123456789012"
PASSWORD = "conn-canary-password-4b7e"
API_KEY = "conn-canary-apikey-91d3"
CLIENT_SECRET = "conn-canary-client-secret-c05f"
SECRET_HEADER = "conn-canary-secret-header-77aa"
CANARIES = [PASSWORD, API_KEY, CLIENT_SECRET, SECRET_HEADER]


class ApiReceiver:
    """An HTTPS endpoint: records every request (method, path with query, headers, body) and
    answers POST /token as an OAuth token endpoint (access_token "tok-1", then "tok-2", ...,
    recording the token requests apart); a request bearing a token in `revoked` is answered
    401."""

    def __init__(self, tls):
        self.requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.revoked: set[str] = set()
        requests, tokens, revoked = self.requests, self.token_requests, self.revoked

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                rec = {"method": self.command, "path": self.path,
                       "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": body, "at": time.monotonic()}
                if urlsplit(self.path).path == "/token":
                    tokens.append(rec)
                    out = json.dumps({"access_token": f"tok-{len(tokens)}",
                                      "token_type": "Bearer", "expires_in": 3600}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                    return
                requests.append(rec)
                bearer = self.headers.get("Authorization", "")
                if bearer.startswith("Bearer ") and bearer[7:] in revoked:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = handle_any

            def log_message(self, *args):
                pass

        self.httpd = serve_https(Handler, tls)
        self.base = f"https://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("events-connections")
    cert, key, _ = self_signed_tls(tmp)
    receiver = ApiReceiver((cert, key))
    srv = ArcanaServer(tmp / "data", tmp / "logs", dev=False,
                       env={"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID,
                            "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
                            "ARCANA_CA_CERT": str(cert)}).start()
    yield srv, receiver
    srv.stop()
    receiver.stop()


def error_of(fn, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def basic(user="user", password=PASSWORD, **extra):
    return {"BasicAuthParameters": {"Username": user, "Password": password}, **extra}


def conn_arn_re(name: str) -> str:
    return rf"arn:aws:events:us-east-1:{ACCOUNT}:connection/{name}/[0-9a-f-]{{36}}"


def secret_arn_re(name: str) -> str:
    return (rf"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:events!connection/{name}/"
            r"[0-9a-f-]{36}-[A-Za-z0-9]{6}")


def test_connection_lifecycle_as_aws_answers_it(env):
    srv, _ = env
    ev = client(srv, "events")
    made = ev.create_connection(Name="c-basic", AuthorizationType="BASIC",
                                AuthParameters=basic(), Description="first")
    assert re.fullmatch(conn_arn_re("c-basic"), made["ConnectionArn"])
    assert made["ConnectionState"] == "AUTHORIZED"
    assert "CreationTime" in made and "LastModifiedTime" in made

    d = ev.describe_connection(Name="c-basic")
    assert d["AuthParameters"] == {"BasicAuthParameters": {"Username": "user"}}
    assert d["AuthorizationType"] == "BASIC"
    assert d["ConnectionArn"] == made["ConnectionArn"]
    assert d["ConnectionState"] == "AUTHORIZED"
    assert d["Name"] == "c-basic" and d["Description"] == "first"
    assert "LastAuthorizedTime" in d
    assert re.fullmatch(secret_arn_re("c-basic"), d["SecretArn"]), d["SecretArn"]

    ev.create_connection(
        Name="c-key", AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": API_KEY},
                        "InvocationHttpParameters": {"HeaderParameters": [
                            {"Key": "X-Secret", "Value": SECRET_HEADER, "IsValueSecret": True},
                            {"Key": "X-Plain", "Value": "plain", "IsValueSecret": False}]}})
    d = ev.describe_connection(Name="c-key")
    assert d["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    headers = d["AuthParameters"]["InvocationHttpParameters"]["HeaderParameters"]
    assert {"Key": "X-Secret", "IsValueSecret": True} in headers
    assert {"Key": "X-Plain", "Value": "plain", "IsValueSecret": False} in headers

    oauth = ev.create_connection(
        Name="c-oauth", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": "https://127.0.0.1:1/token", "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "cid", "ClientSecret": CLIENT_SECRET}}})
    assert oauth["ConnectionState"] == "AUTHORIZING"
    d = ev.describe_connection(Name="c-oauth")
    assert d["AuthParameters"]["OAuthParameters"] == {
        "AuthorizationEndpoint": "https://127.0.0.1:1/token", "HttpMethod": "POST",
        "ClientParameters": {"ClientID": "cid"}}

    # Lists: by name, NamePrefix, ConnectionState, Limit and NextToken.
    names = [c["Name"] for c in ev.list_connections(NamePrefix="c-")["Connections"]]
    assert names == ["c-basic", "c-key", "c-oauth"]
    entry = ev.list_connections(NamePrefix="c-basic")["Connections"][0]
    assert set(entry) >= {"AuthorizationType", "ConnectionArn", "ConnectionState",
                          "CreationTime", "LastModifiedTime", "Name"}
    assert "AuthParameters" not in entry
    assert [c["Name"] for c in ev.list_connections(
        NamePrefix="c-", ConnectionState="AUTHORIZING")["Connections"]] == ["c-oauth"]
    page = ev.list_connections(NamePrefix="c-", Limit=2)
    assert [c["Name"] for c in page["Connections"]] == ["c-basic", "c-key"]
    rest = ev.list_connections(NamePrefix="c-", Limit=2, NextToken=page["NextToken"])
    assert [c["Name"] for c in rest["Connections"]] == ["c-oauth"] and "NextToken" not in rest

    # Update: the username changes, the password is kept unless given.
    up = ev.update_connection(Name="c-basic", AuthParameters={
        "BasicAuthParameters": {"Username": "new_user"}})
    assert up["ConnectionState"] == "AUTHORIZED" and up["ConnectionArn"] == made["ConnectionArn"]
    assert ev.describe_connection(Name="c-basic")["AuthParameters"] == {
        "BasicAuthParameters": {"Username": "new_user"}}

    # Errors.
    assert error_of(ev.create_connection, Name="c-basic", AuthorizationType="BASIC",
                    AuthParameters=basic())[0] == "ResourceAlreadyExistsException"
    assert error_of(ev.describe_connection, Name="nope") == (
        "ResourceNotFoundException",
        "Failed to describe the connection(s). Connection 'nope' does not exist.")
    code, msg = error_of(ev.create_connection, Name="c-bad", AuthorizationType="INVALID_AUTH_TYPE",
                         AuthParameters=basic())
    assert code == "ValidationException"
    assert msg.startswith("1 validation error detected: Value 'INVALID_AUTH_TYPE' at "
                          "'authorizationType' failed to satisfy constraint: Member must satisfy "
                          "enum value set: ["), msg
    code, msg = error_of(ev.create_connection, Name="Invalid Name With Spaces!",
                         AuthorizationType="BASIC", AuthParameters=basic())
    assert code == "ValidationException" and "at 'name' failed to satisfy constraint" in msg
    assert error_of(ev.create_connection, Name="c-mismatch", AuthorizationType="API_KEY",
                    AuthParameters=basic())[0] == "ValidationException"
    for op in (ev.update_connection, ev.delete_connection, ev.deauthorize_connection):
        assert error_of(op, Name="nope")[0] == "ResourceNotFoundException"

    # Deauthorize, then delete: the connection as it was, DELETING; then gone.
    de = ev.deauthorize_connection(Name="c-oauth")
    assert de["ConnectionState"] == "DEAUTHORIZING"
    assert ev.describe_connection(Name="c-oauth")["ConnectionState"] == "DEAUTHORIZED"
    gone = ev.delete_connection(Name="c-oauth")
    assert gone["ConnectionState"] == "DELETING" and gone["ConnectionArn"] == oauth["ConnectionArn"]
    assert error_of(ev.describe_connection, Name="c-oauth")[1] == (
        "Failed to describe the connection(s). Connection 'c-oauth' does not exist.")


def test_credentials_are_kept_in_a_secret_events_manages(env):
    srv, _ = env
    ev, sm = client(srv, "events"), client(srv, "secretsmanager")
    invocation = {"HeaderParameters": [{"Key": "X-Plain", "Value": "plain",
                                        "IsValueSecret": False}]}
    made = ev.create_connection(Name="m-conn", AuthorizationType="BASIC",
                                AuthParameters=basic(InvocationHttpParameters=invocation))
    arn = ev.describe_connection(Name="m-conn")["SecretArn"]
    assert re.fullmatch(secret_arn_re("m-conn"), arn), arn
    # Its own UUID, not the connection's.
    assert made["ConnectionArn"].rsplit("/", 1)[1] not in arn

    d = sm.describe_secret(SecretId=arn)
    assert d["OwningService"] == "events" and d["Name"].startswith("events!connection/m-conn/")
    assert {"Key": "aws:secretsmanager:owningService", "Value": "events"} in d["Tags"]
    v = sm.get_secret_value(SecretId=d["Name"])  # by name too: '!' is in such names
    assert v["VersionStages"] == ["AWSCURRENT"] and v["ARN"] == arn
    assert json.loads(v["SecretString"]) == {"username": "user", "password": PASSWORD,
                                             "invocation_http_parameters": invocation}
    listed = sm.list_secrets(Filters=[{"Key": "owning-service", "Values": ["events"]}])
    assert arn in [e["ARN"] for e in listed["SecretList"]]
    # The account's service-linked role for API destinations, made once.
    role = client(srv, "iam").get_role(
        RoleName="AWSServiceRoleForAmazonEventBridgeApiDestinations")["Role"]
    assert role["Path"] == "/aws-service-role/apidestinations.events.amazonaws.com/"
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {
        "Service": "apidestinations.events.amazonaws.com"}

    # Only EventBridge changes it.
    for op, kwargs in ((sm.put_secret_value, {"SecretString": "x"}),
                       (sm.update_secret, {"Description": "mine"}),
                       (sm.tag_resource, {"Tags": [{"Key": "k", "Value": "v"}]}),
                       (sm.untag_resource, {"TagKeys": ["aws:secretsmanager:owningService"]}),
                       (sm.rotate_secret, {"RotateImmediately": False,
                                           "RotationRules": {"AutomaticallyAfterDays": 1}}),
                       # A review: a replica kept the password after DeleteConnection, and a
                       # resource policy could open the secret to other accounts.
                       (sm.replicate_secret_to_regions,
                        {"AddReplicaRegions": [{"Region": "eu-west-1"}]}),
                       (sm.put_resource_policy, {"ResourcePolicy": json.dumps({
                           "Version": "2012-10-17", "Statement": [{
                               "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                               "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})})):
        assert error_of(op, SecretId=arn, **kwargs) == (
            "InvalidRequestException", "You can't modify a secret that is managed by events.")
    d = sm.describe_secret(SecretId=arn)
    assert "ReplicationStatus" not in d and "ResourcePolicy" not in sm.get_resource_policy(
        SecretId=arn)

    # New credentials: a new AWSCURRENT version; a description alone changes no version.
    # (As AWS answers them: credentials advance LastAuthorizedTime only, a description
    # LastModifiedTime only.)
    before = ev.describe_connection(Name="m-conn")
    up = ev.update_connection(Name="m-conn", AuthParameters={
        "BasicAuthParameters": {"Username": "user2", "Password": PASSWORD + "-2"}})
    assert up["LastModifiedTime"] == before["LastModifiedTime"]
    assert up["LastAuthorizedTime"] > before["LastAuthorizedTime"]
    assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["username"] == "user2"
    stages = sorted(tuple(x["VersionStages"]) for x in
                    sm.list_secret_version_ids(SecretId=arn)["Versions"])
    assert stages == [("AWSCURRENT",), ("AWSPREVIOUS",)]
    described = ev.update_connection(Name="m-conn", Description="only words")
    assert described["LastModifiedTime"] > up["LastModifiedTime"]
    assert described["LastAuthorizedTime"] == up["LastAuthorizedTime"]
    assert len(sm.list_secret_version_ids(SecretId=arn)["Versions"]) == 2
    assert ev.describe_connection(Name="m-conn")["SecretArn"] == arn

    # Deauthorized: no SecretArn, the secret scheduled for deletion; new credentials make a
    # new secret, of the new type's shape.
    ev.deauthorize_connection(Name="m-conn")
    assert "SecretArn" not in ev.describe_connection(Name="m-conn")
    assert "DeletedDate" in sm.describe_secret(SecretId=arn)
    ev.update_connection(Name="m-conn", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": API_KEY}})
    again = ev.describe_connection(Name="m-conn")["SecretArn"]
    assert again != arn and re.fullmatch(secret_arn_re("m-conn"), again)
    assert json.loads(sm.get_secret_value(SecretId=again)["SecretString"]) == {
        "api_key_name": "x-api-key", "api_key_value": API_KEY}

    # OAuth's shape.
    ev.create_connection(
        Name="m-oauth", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": "https://127.0.0.1:1/token", "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "cid", "ClientSecret": CLIENT_SECRET}}})
    oauth_secret = ev.describe_connection(Name="m-oauth")["SecretArn"]
    assert json.loads(sm.get_secret_value(SecretId=oauth_secret)["SecretString"]) == {
        "client_id": "cid", "client_secret": CLIENT_SECRET,
        "authorization_endpoint": "https://127.0.0.1:1/token", "http_method": "POST"}

    # Deleted with its connection (scheduled); a create refused for a taken name leaves no
    # secret behind.
    ev.delete_connection(Name="m-conn")
    assert "DeletedDate" in sm.describe_secret(SecretId=again)

    def oauth_secrets():
        return {e["ARN"] for e in sm.list_secrets(
            Filters=[{"Key": "name", "Values": ["events!connection/m-oauth/"]}])["SecretList"]}
    assert oauth_secrets() == {oauth_secret}
    assert error_of(ev.create_connection, Name="m-oauth", AuthorizationType="BASIC",
                    AuthParameters=basic())[0] == "ResourceAlreadyExistsException"
    assert oauth_secrets() == {oauth_secret}


def test_api_destination_lifecycle_as_aws_answers_it(env):
    srv, receiver = env
    ev = client(srv, "events")
    conn = ev.create_connection(Name="d-conn", AuthorizationType="BASIC",
                                AuthParameters=basic())["ConnectionArn"]
    made = ev.create_api_destination(Name="d-one", ConnectionArn=conn, HttpMethod="POST",
                                     InvocationEndpoint="https://example.com/api",
                                     Description="Test API destination")
    assert re.fullmatch(rf"arn:aws:events:us-east-1:{ACCOUNT}:api-destination/d-one/[0-9a-f-]{{36}}",
                        made["ApiDestinationArn"])
    assert made["ApiDestinationState"] == "ACTIVE"
    d = ev.describe_api_destination(Name="d-one")
    assert {k: d[k] for k in ("ApiDestinationArn", "ApiDestinationState", "ConnectionArn",
                              "Description", "HttpMethod", "InvocationEndpoint",
                              "InvocationRateLimitPerSecond", "Name")} == {
        "ApiDestinationArn": made["ApiDestinationArn"], "ApiDestinationState": "ACTIVE",
        "ConnectionArn": conn, "Description": "Test API destination", "HttpMethod": "POST",
        "InvocationEndpoint": "https://example.com/api", "InvocationRateLimitPerSecond": 300,
        "Name": "d-one"}
    ev.create_api_destination(Name="d-two", ConnectionArn=conn, HttpMethod="GET",
                              InvocationEndpoint="https://example.com/two",
                              InvocationRateLimitPerSecond=10)
    listed = ev.list_api_destinations(NamePrefix="d-")["ApiDestinations"]
    assert [a["Name"] for a in listed] == ["d-one", "d-two"]
    assert "Description" not in listed[0] and listed[1]["InvocationRateLimitPerSecond"] == 10
    assert [a["Name"] for a in ev.list_api_destinations(ConnectionArn=conn)["ApiDestinations"]] \
        == ["d-one", "d-two"]
    page = ev.list_api_destinations(NamePrefix="d-", Limit=1)
    assert [a["Name"] for a in page["ApiDestinations"]] == ["d-one"] and "NextToken" in page

    up = ev.update_api_destination(Name="d-one", Description="Updated API destination",
                                   HttpMethod="PUT", InvocationEndpoint="https://example.com/api/v2")
    assert up["ApiDestinationState"] == "ACTIVE" and up["ApiDestinationArn"] == made["ApiDestinationArn"]
    d = ev.describe_api_destination(Name="d-one")
    assert (d["HttpMethod"], d["InvocationEndpoint"], d["Description"]) == (
        "PUT", "https://example.com/api/v2", "Updated API destination")

    # Errors.
    assert error_of(ev.create_api_destination, Name="d-one", ConnectionArn=conn,
                    HttpMethod="POST", InvocationEndpoint="https://example.com/x")[0] \
        == "ResourceAlreadyExistsException"
    assert error_of(ev.create_api_destination, Name="d-http", ConnectionArn=conn,
                    HttpMethod="POST", InvocationEndpoint="http://example.com/x")[0] \
        == "ValidationException"
    missing = conn.rsplit("/", 2)[0] + "/nope/00000000-0000-0000-0000-000000000000"
    assert error_of(ev.create_api_destination, Name="d-orphan", ConnectionArn=missing,
                    HttpMethod="POST", InvocationEndpoint="https://example.com/x")[0] \
        == "ResourceNotFoundException"
    code, msg = error_of(ev.create_api_destination, Name="d-bad",
                         ConnectionArn="invalid-connection-arn", HttpMethod="INVALID_METHOD",
                         InvocationEndpoint="https://example.com/x")
    assert code == "ValidationException" and msg.startswith(
        "2 validation errors detected: Value 'invalid-connection-arn' at 'connectionArn' failed "
        "to satisfy constraint: Member must satisfy regular expression pattern: "
        "^arn:aws([a-z]|\\-)*:events:"), msg
    assert "Value 'INVALID_METHOD' at 'httpMethod' failed to satisfy constraint: Member must " \
        "satisfy enum value set: [" in msg
    # A connection an API destination uses is not deleted.
    assert error_of(ev.delete_connection, Name="d-conn")[0] == "ValidationException"

    # An API destination of an OAuth connection that is not yet authorized is INACTIVE.
    oauth = ev.create_connection(
        Name="d-oauth", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": "https://127.0.0.1:1/token", "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "cid", "ClientSecret": CLIENT_SECRET}}})
    inactive = ev.create_api_destination(Name="d-inactive", ConnectionArn=oauth["ConnectionArn"],
                                         HttpMethod="POST", InvocationEndpoint="https://example.com/i")
    assert inactive["ApiDestinationState"] == "INACTIVE"

    for name in ("d-one", "d-two", "d-inactive"):
        assert ev.delete_api_destination(Name=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert error_of(ev.describe_api_destination, Name="d-one") == (
        "ResourceNotFoundException",
        "Failed to describe the api-destination(s). An api-destination 'd-one' does not exist.")
    ev.delete_connection(Name="d-conn")
    ev.delete_connection(Name="d-oauth")


def _route(ev, rule: str, dest_arn: str, http_parameters: dict | None = None, retries: int = 2):
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": ["app.orders"],
                                                    "detail-type": [rule]}))
    target = {"Id": "api", "Arn": dest_arn, "RetryPolicy": {"MaximumRetryAttempts": retries}}
    if http_parameters:
        target["HttpParameters"] = http_parameters
    ev.put_targets(Rule=rule, Targets=[target])


def _put(ev, rule: str, detail: dict):
    out = ev.put_events(Entries=[{"Source": "app.orders", "DetailType": rule,
                                  "Detail": json.dumps(detail)}])
    assert out["FailedEntryCount"] == 0


def _received(receiver, marker: str) -> dict:
    def hit():
        for r in receiver.requests:
            if marker.encode() in r["body"]:
                return r
        return None
    return wait_for(hit, timeout=20, what=f"delivery of {marker}")


def test_deliveries_keep_to_the_destinations_rate_limit(env):
    """InvocationRateLimitPerSecond 1: a burst of five events reaches the endpoint one a
    second (the first at once), none lost, none dead-lettered."""
    srv, receiver = env
    ev = client(srv, "events")
    conn = ev.create_connection(Name="e2e-rate", AuthorizationType="BASIC",
                                AuthParameters=basic())
    dest = ev.create_api_destination(Name="e2e-rate", ConnectionArn=conn["ConnectionArn"],
                                     HttpMethod="POST", InvocationEndpoint=receiver.base + "/rate",
                                     InvocationRateLimitPerSecond=1)
    _route(ev, "e2e-rate", dest["ApiDestinationArn"])
    for i in range(5):
        _put(ev, "e2e-rate", {"marker": f"rate-{i}"})
    got = [_received(receiver, f"rate-{i}") for i in range(5)]
    times = sorted(r["at"] for r in got)
    since_first = [t - times[0] for t in times]
    # One a second, not a burst: none is sent before its turn (a turn's send may be late
    # on a busy machine, so the k-th is at least k - 1 s after the first, not exactly k).
    assert all(since_first[k] >= k - 1 for k in range(5)), since_first
    assert since_first[-1] >= 3, since_first
    assert since_first[-1] < 8, since_first  # and not waiting for retries


def test_basic_connection_delivery_with_http_parameters(env):
    srv, receiver = env
    ev = client(srv, "events")
    conn = ev.create_connection(
        Name="e2e-basic", AuthorizationType="BASIC",
        AuthParameters=basic(user="alice", InvocationHttpParameters={
            "HeaderParameters": [{"Key": "X-Conn", "Value": "conn-h", "IsValueSecret": False}],
            "QueryStringParameters": [{"Key": "cq", "Value": "c v", "IsValueSecret": False}]}))
    dest = ev.create_api_destination(Name="e2e-basic", ConnectionArn=conn["ConnectionArn"],
                                     HttpMethod="PUT",
                                     InvocationEndpoint=receiver.base + "/orders/*/items")
    _route(ev, "e2e-basic", dest["ApiDestinationArn"], {
        "PathParameterValues": ["42"], "HeaderParameters": {"X-Target": "t-h"},
        "QueryStringParameters": {"tq": "1"}})
    listed = ev.list_targets_by_rule(Rule="e2e-basic")["Targets"][0]
    assert listed["HttpParameters"]["PathParameterValues"] == ["42"]
    _put(ev, "e2e-basic", {"marker": "basic-1"})
    r = _received(receiver, "basic-1")
    assert r["method"] == "PUT"
    path = urlsplit(r["path"])
    assert path.path == "/orders/42/items"
    assert sorted(path.query.split("&")) == ["cq=c%20v", "tq=1"]
    assert r["headers"]["authorization"] == "Basic " + base64.b64encode(
        f"alice:{PASSWORD}".encode()).decode()
    assert r["headers"]["x-conn"] == "conn-h" and r["headers"]["x-target"] == "t-h"
    assert json.loads(r["body"])["detail"] == {"marker": "basic-1"}


def test_api_key_connection_delivery(env):
    srv, receiver = env
    ev = client(srv, "events")
    conn = ev.create_connection(
        Name="e2e-key", AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": API_KEY}})
    dest = ev.create_api_destination(Name="e2e-key", ConnectionArn=conn["ConnectionArn"],
                                     HttpMethod="POST", InvocationEndpoint=receiver.base + "/key")
    _route(ev, "e2e-key", dest["ApiDestinationArn"])
    _put(ev, "e2e-key", {"marker": "key-1"})
    r = _received(receiver, "key-1")
    assert (r["method"], r["path"], r["headers"]["x-api-key"]) == ("POST", "/key", API_KEY)
    assert "authorization" not in r["headers"]


def test_oauth_client_credentials_delivery_fetches_and_caches_a_token(env):
    srv, receiver = env
    ev = client(srv, "events")
    conn = ev.create_connection(
        Name="e2e-oauth", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": receiver.base + "/token", "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "cid", "ClientSecret": CLIENT_SECRET},
            "OAuthHttpParameters": {"BodyParameters": [
                {"Key": "scope", "Value": "orders", "IsValueSecret": False}]}}})
    assert conn["ConnectionState"] == "AUTHORIZING"
    dest = ev.create_api_destination(Name="e2e-oauth", ConnectionArn=conn["ConnectionArn"],
                                     HttpMethod="POST", InvocationEndpoint=receiver.base + "/oauth")
    _route(ev, "e2e-oauth", dest["ApiDestinationArn"])
    before = len(receiver.token_requests)
    _put(ev, "e2e-oauth", {"marker": "oauth-1"})
    r = _received(receiver, "oauth-1")
    assert r["headers"]["authorization"] == "Bearer tok-1"
    token = receiver.token_requests[before]
    assert token["headers"]["authorization"] == "Basic " + base64.b64encode(
        f"cid:{CLIENT_SECRET}".encode()).decode()
    assert sorted(token["body"].decode().split("&")) == ["grant_type=client_credentials",
                                                         "scope=orders"]
    # The first token authorizes the connection (and its destination becomes ACTIVE).
    wait_for(lambda: ev.describe_connection(Name="e2e-oauth")["ConnectionState"] == "AUTHORIZED",
             timeout=10, what="connection authorized")
    assert ev.describe_api_destination(Name="e2e-oauth")["ApiDestinationState"] == "ACTIVE"
    # A second event reuses the cached token.
    _put(ev, "e2e-oauth", {"marker": "oauth-2"})
    _received(receiver, "oauth-2")
    assert len(receiver.token_requests) == before + 1


def test_a_deleted_destination_dead_letters_the_delivery(env):
    srv, receiver = env
    ev = client(srv, "events")
    conn = ev.create_connection(Name="e2e-gone", AuthorizationType="BASIC",
                                AuthParameters=basic())
    dest = ev.create_api_destination(Name="e2e-gone", ConnectionArn=conn["ConnectionArn"],
                                     HttpMethod="POST", InvocationEndpoint=receiver.base + "/gone")
    _route(ev, "e2e-gone", dest["ApiDestinationArn"], retries=0)
    ev.delete_api_destination(Name="e2e-gone")
    _put(ev, "e2e-gone", {"marker": "gone-1"})
    dead = Path(srv.data_dir) / "events" / "dead-letter.jsonl"
    wait_for(lambda: dead.exists() and "gone-1" in dead.read_text(), timeout=30,
             what="dead-lettered")
    assert not any(b"gone-1" in r["body"] for r in receiver.requests)


def test_http_parameters_belong_to_api_destination_targets_only(env):
    """HttpParameters on a plain URL target would be dropped: refused instead."""
    srv, _ = env
    ev = client(srv, "events")
    ev.put_rule(Name="plain-url", EventPattern=json.dumps({"source": ["x"]}))
    assert error_of(ev.put_targets, Rule="plain-url", Targets=[
        {"Id": "t", "Arn": "https://hooks.example.com/x",
         "HttpParameters": {"HeaderParameters": {"a": "b"}}}]) == (
        "ValidationException",
        "Parameter HttpParameters is not supported by this server for this target.")
    ev.delete_rule(Name="plain-url")


def test_each_operation_is_authorized_on_the_resource_arn(env):
    srv, _ = env
    ev, iam = client(srv, "events"), client(srv, "iam")
    ev.create_connection(Name="auth-open", AuthorizationType="BASIC", AuthParameters=basic())
    ev.create_connection(Name="auth-closed", AuthorizationType="BASIC", AuthParameters=basic())
    iam.create_user(UserName="conn-reader")
    iam.put_user_policy(UserName="conn-reader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "events:DescribeConnection",
                       "Resource": f"arn:aws:events:us-east-1:{ACCOUNT}:connection/auth-open/*"},
                      {"Effect": "Allow", "Action": "events:ListConnections", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="conn-reader")["AccessKey"]
    reader = client(srv, "events", key["AccessKeyId"], key["SecretAccessKey"])
    assert reader.describe_connection(Name="auth-open")["Name"] == "auth-open"
    code, msg = error_of(reader.describe_connection, Name="auth-closed")
    assert code == "AccessDeniedException" and "events:DescribeConnection" in msg
    assert error_of(reader.delete_connection, Name="auth-open")[0] == "AccessDeniedException"
    assert error_of(reader.create_connection, Name="auth-new", AuthorizationType="BASIC",
                    AuthParameters=basic())[0] == "AccessDeniedException"
    assert {c["Name"] for c in reader.list_connections(NamePrefix="auth-")["Connections"]} == {
        "auth-open", "auth-closed"}
    ev.delete_connection(Name="auth-open")
    ev.delete_connection(Name="auth-closed")


def test_a_deauthorized_connection_sends_nothing_until_updated(env):
    srv, receiver = env
    ev = client(srv, "events")
    conn = ev.create_connection(Name="e2e-deauth", AuthorizationType="BASIC",
                                AuthParameters=basic())
    dest = ev.create_api_destination(Name="e2e-deauth", ConnectionArn=conn["ConnectionArn"],
                                     HttpMethod="POST", InvocationEndpoint=receiver.base + "/deauth")
    _route(ev, "e2e-deauth", dest["ApiDestinationArn"], retries=0)
    ev.deauthorize_connection(Name="e2e-deauth")
    assert ev.describe_api_destination(Name="e2e-deauth")["ApiDestinationState"] == "INACTIVE"
    _put(ev, "e2e-deauth", {"marker": "deauth-1"})
    dead = Path(srv.data_dir) / "events" / "dead-letter.jsonl"
    wait_for(lambda: dead.exists() and "deauth-1" in dead.read_text(), timeout=30,
             what="dead-lettered")
    # New credentials authorize it again.
    up = ev.update_connection(Name="e2e-deauth", AuthParameters=basic(user="back"))
    assert up["ConnectionState"] == "AUTHORIZED"
    _put(ev, "e2e-deauth", {"marker": "deauth-2"})
    r = _received(receiver, "deauth-2")
    assert r["headers"]["authorization"] == "Basic " + base64.b64encode(
        f"back:{PASSWORD}".encode()).decode()
    assert not any(b"deauth-1" in r["body"] for r in receiver.requests)


def test_credentials_are_never_stored_audited_or_logged_in_plaintext(env):
    srv, _ = env
    ev = client(srv, "events")
    # Every canary has been sent by the tests above (module order); make sure of it here.
    ev.create_connection(
        Name="z-canaries", AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": API_KEY},
                        "InvocationHttpParameters": {"QueryStringParameters": [
                            {"Key": "s", "Value": SECRET_HEADER, "IsValueSecret": True}]}})
    ev.update_connection(Name="z-canaries", AuthorizationType="BASIC", AuthParameters=basic())
    ev.update_connection(Name="z-canaries", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
                         AuthParameters={"OAuthParameters": {
                             "AuthorizationEndpoint": "https://127.0.0.1:1/t", "HttpMethod": "GET",
                             "ClientParameters": {"ClientID": "c", "ClientSecret": CLIENT_SECRET}}})
    d = json.dumps(ev.describe_connection(Name="z-canaries"), default=str)
    assert not any(c in d for c in CANARIES)
    needles = [c.encode() for c in CANARIES]
    assert plaintext_at_rest(srv.data_dir, needles, extra_files=srv.log_files) == []
    audit = b"".join(f.read_bytes() for f in (Path(srv.data_dir) / "audit").glob("*.jsonl"))
    assert b"CreateConnection" in audit
    assert not any(n in audit for n in needles)


def test_a_dev_reset_wipes_connections_and_api_destinations(fresh_dev_server):
    srv = fresh_dev_server
    ev = client(srv, "events", "AKIADEVCONNECTIONS01", "dev-secret")
    conn = ev.create_connection(Name="wiped", AuthorizationType="BASIC",
                                AuthParameters=basic())["ConnectionArn"]
    ev.create_api_destination(Name="wiped", ConnectionArn=conn, HttpMethod="POST",
                              InvocationEndpoint="https://example.com/x")
    srv.reset()
    assert ev.list_connections()["Connections"] == []
    assert ev.list_api_destinations()["ApiDestinations"] == []
    ev.create_connection(Name="wiped", AuthorizationType="BASIC", AuthParameters=basic())


def test_sealed_credentials_survive_a_root_rotation(servers, tmp_path):
    """A connection's credentials are sealed under the root key: `arcana operator rotate-root`
    re-seals them, and a delivery after a restart on the new key alone still carries them."""
    cert, key, _ = self_signed_tls(tmp_path)
    receiver = ApiReceiver((cert, key))
    try:
        server = servers(env={**os.environ, "ARCANA_CA_CERT": str(cert)}).start()
        ev = boto3.client("events", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id=ROT_AKID, aws_secret_access_key=ROT_SECRET)
        conn = ev.create_connection(Name="rot", AuthorizationType="BASIC",
                                    AuthParameters=basic(user="rot"))
        dest = ev.create_api_destination(Name="rot", ConnectionArn=conn["ConnectionArn"],
                                         HttpMethod="POST", InvocationEndpoint=receiver.base + "/rot")
        _route(ev, "rot", dest["ApiDestinationArn"])

        def sealed() -> str:
            return store_query(server, "SELECT sealed FROM event_connections WHERE name = 'rot' "
                                       "AND kind = 'connection'")

        before = sealed()
        assert before
        server.cli("operator", "rotate-root")
        server.restart()
        after = sealed()
        assert after and after != before  # re-sealed, not dropped
        _put(ev, "rot", {"marker": "rot-1"})
        r = _received(receiver, "rot-1")
        assert r["headers"]["authorization"] == "Basic " + base64.b64encode(
            f"rot:{PASSWORD}".encode()).decode()
    finally:
        receiver.stop()


def test_an_oauth_token_the_endpoint_refuses_is_replaced_at_once(env):
    """As EventBridge does: a 401 (or 407) answer to an API destination request makes it
    fetch a new token from the connection's endpoint, and the request goes again with it."""
    srv, receiver = env
    ev = client(srv, "events")
    conn = ev.create_connection(
        Name="e2e-revoked", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": receiver.base + "/token", "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "cid", "ClientSecret": CLIENT_SECRET}}})
    dest = ev.create_api_destination(Name="e2e-revoked", ConnectionArn=conn["ConnectionArn"],
                                     HttpMethod="POST", InvocationEndpoint=receiver.base + "/rv")
    _route(ev, "e2e-revoked", dest["ApiDestinationArn"])
    _put(ev, "e2e-revoked", {"marker": "rv-1"})
    first = _received(receiver, "rv-1")["headers"]["authorization"]
    receiver.revoked.add(first[len("Bearer "):])  # revoked before it expires
    before = len(receiver.token_requests)
    _put(ev, "e2e-revoked", {"marker": "rv-2"})
    wait_for(lambda: any(json.loads(r["body"] or b"{}").get("detail") == {"marker": "rv-2"} and
                         r["headers"].get("authorization") not in (None, first)
                         for r in list(receiver.requests)),
             timeout=10, what="the event sent again with a new token")
    assert len(receiver.token_requests) == before + 1
