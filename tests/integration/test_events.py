"""EventBridge-style rules (issue 11, "Events and alerts"): PutRule / DescribeRule / ListRules /
DeleteRule / PutTargets / ListTargetsByRule / RemoveTargets / EnableRule / DisableRule /
TestEventPattern, and TagResource / UntagResource / ListTagsForResource of rules, through boto3
and the aws CLI, with AWS's errors; an HTTP target receiving the
event of a matching call (and not of a non-matching one); a built-in detection; a dead target's
events in <data-dir>/events/dead-letter.jsonl; `arcana events`."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from aws_cli import run_aws
from conftest import ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer, free_port, wait_for
from oidc_issuer import self_signed_tls
from test_audit import client, start
from test_cluster import cluster  # noqa: F401 (fixture)

ARCANA_CLI = ARCANAD.parent / "arcana"


class Receiver:
    """An HTTP target: records every POSTed body, parsed (`bodies`, JSON ones) and as sent
    (`raw`, by path without its leading '/'; port 0: any free port); HTTPS with `tls` =
    (cert.pem, key.pem). `url` is its /hook path, `base` its root."""

    def __init__(self, port: int = 0, tls=None):
        self.bodies: list = []
        self.raw: dict[str, list[bytes]] = {}
        received, raw = self.bodies, self.raw

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(n)
                raw.setdefault(self.path.lstrip("/"), []).append(data)
                try:
                    received.append(json.loads(data))
                except ValueError:
                    pass  # not JSON (an InputTransformer's text): in `raw` only
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        scheme = "http"
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.base = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/"
        self.url = self.base + "hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("events"), "data")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.stop()


def code_of(exc: pytest.ExceptionInfo) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def test_a_rules_role_arn_is_kept_and_replaced_with_the_rule(srv):
    """PutRule's RoleArn is answered by DescribeRule and ListRules; PutRule replaces the rule,
    so an update without it leaves none (AWS: omitted arguments are replaced with null)."""
    ev = client(srv, "events")
    role = "arn:aws:iam::123456789012:role/events-invoke"
    pattern = json.dumps({"source": ["aws.secretsmanager"]})
    ev.put_rule(Name="with-role", EventPattern=pattern, RoleArn=role)
    assert ev.describe_rule(Name="with-role")["RoleArn"] == role
    listed = [r for r in ev.list_rules(NamePrefix="with-role")["Rules"] if r["Name"] == "with-role"]
    assert listed[0]["RoleArn"] == role
    ev.put_rule(Name="with-role", EventPattern=pattern)
    assert "RoleArn" not in ev.describe_rule(Name="with-role")
    ev.delete_rule(Name="with-role")


def test_rules_and_targets_crud_and_errors(srv, receiver):
    ev = client(srv, "events")
    pattern = json.dumps({"source": ["aws.kms"]})
    arn = ev.put_rule(Name="crud", EventPattern=pattern, Description="d")["RuleArn"]
    assert arn == "arn:aws:events:us-east-1:123456789012:rule/crud"
    rule = ev.describe_rule(Name="crud")
    assert (rule["Name"], rule["State"], rule["EventPattern"], rule["EventBusName"]) == \
        ("crud", "ENABLED", pattern, "default")
    ev.disable_rule(Name="crud")
    assert ev.describe_rule(Name="crud")["State"] == "DISABLED"
    ev.enable_rule(Name="crud")
    assert [r["Name"] for r in ev.list_rules(NamePrefix="cr")["Rules"]] == ["crud"]
    assert ev.list_rules(NamePrefix="zz")["Rules"] == []

    with pytest.raises(ClientError) as e:
        ev.put_rule(Name="bad", EventPattern='{"source":"aws.kms"}')
    code, msg = code_of(e)
    assert code == "InvalidEventPatternException" and msg.startswith("Event pattern is not valid.")
    with pytest.raises(ClientError) as e:
        ev.describe_rule(Name="missing")
    assert code_of(e) == ("ResourceNotFoundException",
                          "Rule missing does not exist on EventBus default.")
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule="missing", Targets=[{"Id": "t", "Arn": receiver.url}])
    assert code_of(e)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        ev.list_rules(EventBusName="other")
    assert code_of(e) == ("ResourceNotFoundException", "Event bus other does not exist.")
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule="crud", Targets=[{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q"}])
    assert code_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:  # no ARN (nor URL) at all: AWS's words
        ev.put_targets(Rule="crud", Targets=[{"Id": "t", "Arn": "not-an-arn"}])
    assert code_of(e) == ("ValidationException", "Parameter not-an-arn is not valid. Reason: "
                                                 "Provided Arn is not in correct format.")

    # One aws CLI call: put-targets with an HTTP endpoint as the target Arn.
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ROOT_AKID, AWS_SECRET_ACCESS_KEY=ROOT_SECRET,
               AWS_DEFAULT_REGION="us-east-1")
    p = run_aws(["--endpoint-url", srv.endpoint, "events", "put-targets",
                 "--rule", "crud", "--targets", f"Id=t1,Arn={receiver.url}"], env, os.getcwd())
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["FailedEntryCount"] == 0
    ev.put_targets(Rule="crud", Targets=[{"Id": f"x{i}", "Arn": receiver.url} for i in range(4)])
    with pytest.raises(ClientError) as e:  # 5 targets per rule
        ev.put_targets(Rule="crud", Targets=[{"Id": "x9", "Arn": receiver.url}])
    assert code_of(e)[0] == "LimitExceededException"
    targets = ev.list_targets_by_rule(Rule="crud")["Targets"]
    assert [t["Id"] for t in targets] == ["t1", "x0", "x1", "x2", "x3"]
    assert targets[0]["Arn"] == receiver.url

    with pytest.raises(ClientError) as e:
        ev.delete_rule(Name="crud")
    assert code_of(e) == ("ValidationException", "Rule can't be deleted since it has targets.")
    assert ev.remove_targets(Rule="crud", Ids=["t1", "x0", "x1", "x2", "x3"])["FailedEntryCount"] == 0
    ev.delete_rule(Name="crud")
    ev.delete_rule(Name="crud")  # idempotent, as on AWS
    with pytest.raises(ClientError):
        ev.describe_rule(Name="crud")

    assert ev.test_event_pattern(EventPattern=pattern, Event=json.dumps(
        {"id": "1", "source": "aws.kms", "detail-type": "x", "account": "123456789012",
         "time": "2026-12-02T00:00:00Z", "region": "us-east-1", "resources": [], "detail": {}}))["Result"]


def test_a_matching_call_reaches_the_http_target_and_others_do_not(srv, receiver):
    ev, sm = client(srv, "events"), client(srv, "secretsmanager")
    ev.put_rule(Name="deletes", EventPattern=json.dumps({
        "source": ["aws.secretsmanager"],
        "detail": {"eventName": ["DeleteSecret"],
                   "requestParameters": {"secretId": [{"prefix": "events/"}]}}}))
    ev.put_targets(Rule="deletes", Targets=[{"Id": "hook", "Arn": receiver.url}])
    ev.put_rule(Name="detections", EventPattern=json.dumps({
        "source": ["arcana.detections"], "detail-type": ["Secret Scheduled For Deletion"]}))
    ev.put_targets(Rule="detections", Targets=[{"Id": "hook", "Arn": receiver.url}])

    sm.create_secret(Name="other/keep", SecretString="canary-value-a1")
    sm.delete_secret(SecretId="other/keep")  # no prefix match: no API-call event
    sm.create_secret(Name="events/gone", SecretString="canary-value-b2")
    sm.delete_secret(SecretId="events/gone", RecoveryWindowInDays=7)

    def api_events():
        return [b for b in receiver.bodies if b.get("source") == "aws.secretsmanager"]

    def detections():
        return [b for b in receiver.bodies if b.get("source") == "arcana.detections"]

    wait_for(lambda: api_events() and len(detections()) >= 2, timeout=10, what="events delivered")
    api = api_events()
    assert len(api) == 1
    assert api[0]["detail-type"] == "AWS API Call via CloudTrail"
    assert api[0]["detail"]["requestParameters"]["secretId"] == "events/gone"
    assert api[0]["account"] == "123456789012" and api[0]["region"] == "us-east-1"
    assert {d["detail"]["secretArn"].split(":secret:")[1][:-7] for d in detections()} == \
        {"other/keep", "events/gone"}
    assert "canary-value" not in json.dumps(receiver.bodies)


def test_detections_of_a_pending_deletion_read_and_a_denied_burst(srv, receiver):
    ev, sm, iam = client(srv, "events"), client(srv, "secretsmanager"), client(srv, "iam")
    ev.put_rule(Name="alerts", EventPattern=json.dumps({
        "source": ["arcana.detections"],
        "detail-type": ["Pending Deletion Secret Read", "Denied Access Burst",
                        "Deprecated Secret Version Read"]}))
    ev.put_targets(Rule="alerts", Targets=[{"Id": "hook", "Arn": receiver.url}])
    arn = sm.create_secret(Name="alerts/pending", SecretString="canary-value-c3")["ARN"]
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=arn)
    assert code_of(e)[0] == "InvalidRequestException"
    first = sm.create_secret(Name="alerts/versions", SecretString="canary-value-d4")["VersionId"]
    sm.put_secret_value(SecretId="alerts/versions", SecretString="canary-value-e5")
    sm.get_secret_value(SecretId="alerts/versions")  # current: no detection
    sm.get_secret_value(SecretId="alerts/versions", VersionStage="AWSPREVIOUS")
    sm.get_secret_value(SecretId="alerts/versions", VersionId=first)
    iam.create_user(UserName="mallory")
    key = iam.create_access_key(UserName="mallory")["AccessKey"]
    intruder = client(srv, "secretsmanager", key["AccessKeyId"], key["SecretAccessKey"])
    for _ in range(10):
        with pytest.raises(ClientError) as e:
            intruder.list_secrets()
        assert code_of(e)[0] == "AccessDeniedException"

    def of(kind):
        return [b for b in receiver.bodies if b.get("detail-type") == kind]

    wait_for(lambda: of("Pending Deletion Secret Read") and of("Denied Access Burst")
             and len(of("Deprecated Secret Version Read")) >= 2,
             timeout=10, what="detections delivered")
    deprecated = of("Deprecated Secret Version Read")
    assert len(deprecated) == 2
    assert {d["detail"]["versionStage"] for d in deprecated} == {"AWSPREVIOUS", ""}
    assert deprecated[1]["detail"]["versionId"] == first or deprecated[0]["detail"]["versionId"] == first
    assert of("Pending Deletion Secret Read")[0]["detail"]["secretArn"] == arn
    burst = of("Denied Access Burst")
    assert len(burst) == 1
    assert burst[0]["resources"] == ["arn:aws:iam::123456789012:user/mallory"]
    assert burst[0]["detail"]["deniedCalls"] == "10"


def test_a_dead_targets_events_land_in_the_dead_letter_file(srv):
    ev, kms = client(srv, "events"), client(srv, "kms")
    # A path token and a query token: what the log must never hold (a review found
    # dead-letter lines logging target URLs whole).
    dead = f"http://127.0.0.1:{free_port()}/hooks/path-token-5e1d?token=query-token-77c0"
    ev.put_rule(Name="dead", EventPattern=json.dumps(
        {"source": ["aws.kms"], "detail": {"eventName": ["CreateKey"]}}))
    ev.put_targets(Rule="dead", Targets=[{"Id": "gone", "Arn": dead,
                                          "RetryPolicy": {"MaximumRetryAttempts": 1}}])
    assert ev.list_targets_by_rule(Rule="dead")["Targets"] == \
        [{"Id": "gone", "Arn": dead, "RetryPolicy": {"MaximumRetryAttempts": 1}}]
    # A RetryPolicy is answered as given (AWS: 0-185, 185 its default), though delivery
    # retries at most 8 times.
    ev.put_targets(Rule="dead", Targets=[{"Id": "many", "Arn": dead, "RetryPolicy": {
        "MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}}])
    (many,) = [t for t in ev.list_targets_by_rule(Rule="dead")["Targets"] if t["Id"] == "many"]
    assert many["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    ev.remove_targets(Rule="dead", Ids=["many"])
    key = kms.create_key()["KeyMetadata"]["Arn"]
    dlq = Path(srv.data_dir) / "events" / "dead-letter.jsonl"
    wait_for(lambda: dlq.exists() and dlq.read_text().strip(), timeout=10, what="dead letter")
    line = json.loads(dlq.read_text().splitlines()[-1])
    assert (line["rule"], line["targetId"], line["url"], line["attempts"]) == \
        ("arn:aws:events:us-east-1:123456789012:rule/dead", "gone", dead, 2)
    assert line["event"]["detail"]["eventName"] == "CreateKey"
    assert key in line["event"]["resources"]
    assert oct(dlq.stat().st_mode & 0o777) == "0o600"
    wait_for(lambda: "dead-lettered" in srv.log_path.read_text(errors="replace"), timeout=10,
             what="the dead letter's log line")
    logged = srv.log_path.read_text(errors="replace")
    assert "target gone of rule arn:aws:events:us-east-1:123456789012:rule/dead" in logged
    assert "path-token-5e1d" not in logged and "query-token-77c0" not in logged

    # A URL with user:password@ is refused (the HTTP client never sends to one), and the
    # answer does not echo it.
    for url in ("https://user:pw-canary-31@example.com/hook", "http://tok-canary@127.0.0.1:9/x"):
        with pytest.raises(ClientError) as e:
            ev.put_targets(Rule="dead", Targets=[{"Id": "creds", "Arn": url}])
        assert code_of(e) == ("ValidationException", (
            "Parameter Arn is not valid. Reason: target creds has user information "
            "(user:password@) in its URL; give credentials through a connection and an API "
            "destination instead."))
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # An '@' after the host (in a path or query) is no userinfo.
    ev.put_targets(Rule="dead", Targets=[{"Id": "at", "Arn": "http://127.0.0.1:9/a@b?c=d@e"}])
    ev.remove_targets(Rule="dead", Ids=["at"])


def test_the_arcana_events_cli(srv, receiver):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ROOT_AKID, AWS_SECRET_ACCESS_KEY=ROOT_SECRET,
               AWS_REGION="us-east-1", AWS_ENDPOINT_URL=srv.endpoint)
    run = lambda *a: subprocess.run([str(ARCANA_CLI), "events", *a], capture_output=True,
                                    text=True, env=env, timeout=30)
    p = run("put-rule", "from-cli", "--pattern", '{"source":["aws.ssm"]}',
            "--target-url", receiver.url)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "arn:aws:events:us-east-1:123456789012:rule/from-cli"
    p = run("list-rules", "--prefix", "from-")
    assert p.returncode == 0, p.stderr
    assert "from-cli  ENABLED" in p.stdout and receiver.url in p.stdout
    event = '{"source":"aws.ssm","detail":{"n":5}}'
    assert run("test-pattern", "--pattern", '{"detail":{"n":[{"numeric":[">",4]}]}}',
               "--event", event).returncode == 0
    assert run("test-pattern", "--pattern", '{"source":["aws.kms"]}', "--event", event).returncode == 1
    bad = run("test-pattern", "--pattern", '{"source":"x"}', "--event", event)
    assert bad.returncode == 2 and "Event pattern is not valid" in bad.stderr


@pytest.mark.postgresql_only("two nodes need a shared PostgreSQL store")
def test_a_rule_put_through_one_node_routes_the_calls_of_another(cluster, receiver):
    a, b = cluster.start(2)
    sm_b = client(b, "secretsmanager")
    sm_b.create_secret(Name="cluster/warm", SecretString="canary-value-f6")
    sm_b.delete_secret(SecretId="cluster/warm")  # node b caches "no rules" for the scope
    ev_a = client(a, "events")
    ev_a.put_rule(Name="cluster", EventPattern=json.dumps(
        {"source": ["aws.secretsmanager"], "detail": {"eventName": ["DeleteSecret"]}}))
    ev_a.put_targets(Rule="cluster", Targets=[{"Id": "hook", "Arn": receiver.url}])
    sm_b.create_secret(Name="cluster/gone", SecretString="canary-value-g7")
    sm_b.delete_secret(SecretId="cluster/gone")

    def deletes():
        return [x["detail"]["requestParameters"]["secretId"] for x in receiver.bodies
                if x.get("source") == "aws.secretsmanager" and x["detail"]["eventName"] == "DeleteSecret"
                and x["detail"]["requestParameters"]["secretId"].startswith("cluster/")]

    wait_for(lambda: deletes(), timeout=10, what="node b delivered")
    assert deletes() == ["cluster/gone"]  # b's record, routed by a rule put through a


@pytest.mark.sqlite_only("delivery timeouts do not depend on the store")
def test_a_target_that_never_answers_costs_one_bounded_attempt(srv, receiver):
    import socket
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts (in the kernel), never answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/silent"
    ev, ssm = client(srv, "events"), client(srv, "ssm")
    ev.put_rule(Name="silent", EventPattern=json.dumps(
        {"source": ["aws.ssm"], "detail": {"eventName": ["PutParameter"]}}))
    ev.put_targets(Rule="silent", Targets=[
        {"Id": "silent", "Arn": url, "RetryPolicy": {"MaximumRetryAttempts": 0}},
        {"Id": "ok", "Arn": receiver.url}])
    ssm.put_parameter(Name="/events/silent", Value="canary-value-h8", Type="String")
    wait_for(lambda: any(b.get("source") == "aws.ssm" for b in receiver.bodies), timeout=3,
             what="the answering target served while the other hangs")
    dlq = Path(srv.data_dir) / "events" / "dead-letter.jsonl"
    wait_for(lambda: dlq.exists() and url in dlq.read_text(), timeout=12, what="timed out attempt")
    line = [json.loads(l) for l in dlq.read_text().splitlines() if url in l][-1]
    assert line["attempts"] == 1 and "answer" in line["error"]
    silent.close()


def tags_of(ev, arn: str) -> list[tuple[str, str]]:
    return [(t["Key"], t["Value"]) for t in ev.list_tags_for_resource(ResourceARN=arn)["Tags"]]


def test_a_rule_enabled_with_all_cloudtrail_management_events(srv, receiver):
    """RuleState ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (the API reference's third
    state; botocore 1.43's RuleState enum) is taken, kept, answered, and routes: a read's
    record (a read-only management event, what that state asks for) reaches the target.
    An ENABLED rule with the same pattern does not get the read (EventBridge user guide,
    "Receiving read-only management events": ENABLED matches every event "except for
    read-only AWS management events delivered through CloudTrail"), only the write."""
    ev, sm = client(srv, "events"), client(srv, "secretsmanager")
    state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    pattern = json.dumps({"source": ["aws.secretsmanager"],
                          "detail": {"eventName": ["DescribeSecret", "TagResource"],
                                     "requestParameters": {"secretId": ["events/all-mgmt"]}}})
    ev.put_rule(Name="all-mgmt", EventPattern=pattern, State=state)
    assert ev.describe_rule(Name="all-mgmt")["State"] == state
    assert [r["State"] for r in ev.list_rules(NamePrefix="all-mgmt")["Rules"]] == [state]
    ev.put_targets(Rule="all-mgmt", Targets=[{"Id": "hook", "Arn": receiver.url}])
    ev.put_rule(Name="writes-only", EventPattern=pattern)  # State ENABLED
    ev.put_targets(Rule="writes-only", Targets=[{"Id": "hook", "Arn": receiver.url}])
    sm.create_secret(Name="events/all-mgmt", SecretString="canary-value-c3")
    sm.describe_secret(SecretId="events/all-mgmt")

    def seen(name):
        return [b for b in receiver.bodies if b.get("detail", {}).get("eventName") == name and
                b["detail"]["requestParameters"]["secretId"] == "events/all-mgmt"]
    wait_for(lambda: seen("DescribeSecret"), timeout=10, what="the read's event")
    sm.tag_resource(SecretId="events/all-mgmt", Tags=[{"Key": "k", "Value": "v"}])
    wait_for(lambda: len(seen("TagResource")) == 2, timeout=10, what="the write's two events")
    time.sleep(0.5)
    assert len(seen("DescribeSecret")) == 1, "an ENABLED rule got a read-only event"
    ev.remove_targets(Rule="writes-only", Ids=["hook"])
    ev.delete_rule(Name="writes-only")
    ev.disable_rule(Name="all-mgmt")
    assert ev.describe_rule(Name="all-mgmt")["State"] == "DISABLED"
    ev.remove_targets(Rule="all-mgmt", Ids=["hook"])
    ev.delete_rule(Name="all-mgmt")


def test_rule_tags_on_creation_tag_untag_list_and_gone_with_the_rule(srv):
    ev = client(srv, "events")
    pattern = json.dumps({"source": ["aws.kms"]})
    arn = ev.put_rule(Name="tagged", EventPattern=pattern,
                      Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "prod"}])["RuleArn"]
    assert tags_of(ev, arn) == [("env", "prod"), ("team", "a")]
    # Updating a rule with PutRule ignores its Tags (AWS: tags of an existing rule change
    # through TagResource and UntagResource only); the update itself applies.
    ev.put_rule(Name="tagged", EventPattern=pattern, Description="now described",
                Tags=[{"Key": "team", "Value": "b"}, {"Key": "other", "Value": "x"}])
    assert ev.describe_rule(Name="tagged")["Description"] == "now described"
    assert tags_of(ev, arn) == [("env", "prod"), ("team", "a")]

    assert ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "c"},
                                                  {"Key": "cost", "Value": ""}])
    assert tags_of(ev, arn) == [("cost", ""), ("env", "prod"), ("team", "c")]
    ev.untag_resource(ResourceARN=arn, TagKeys=["env", "never-set"])  # absent keys: no error
    assert tags_of(ev, arn) == [("cost", ""), ("team", "c")]

    # Tags go with the rule: the same name created again has none (AWS answers Tags: []).
    ev.delete_rule(Name="tagged")
    with pytest.raises(ClientError) as e:
        ev.list_tags_for_resource(ResourceARN=arn)
    assert code_of(e) == ("ResourceNotFoundException",
                          "Rule tagged does not exist on EventBus default.")
    ev.put_rule(Name="tagged", EventPattern=pattern)
    assert ev.list_tags_for_resource(ResourceARN=arn)["Tags"] == []

    # The aws CLI round trip.
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ROOT_AKID, AWS_SECRET_ACCESS_KEY=ROOT_SECRET,
               AWS_DEFAULT_REGION="us-east-1")

    def aws(*args):
        p = run_aws(["--endpoint-url", srv.endpoint, "events", *args], env, os.getcwd())
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout) if p.stdout.strip() else None

    aws("tag-resource", "--resource-arn", arn, "--tags", "Key=owner,Value=ops", "Key=tier,Value=1")
    assert aws("list-tags-for-resource", "--resource-arn", arn)["Tags"] == [
        {"Key": "owner", "Value": "ops"}, {"Key": "tier", "Value": "1"}]
    aws("untag-resource", "--resource-arn", arn, "--tag-keys", "tier")
    assert tags_of(ev, arn) == [("owner", "ops")]
    ev.delete_rule(Name="tagged")


def test_rule_tag_errors_as_aws_answers_them(srv):
    ev = client(srv, "events")
    pattern = json.dumps({"source": ["aws.ssm"]})
    arn = ev.put_rule(Name="tag-errors", EventPattern=pattern)["RuleArn"]
    missing = "arn:aws:events:us-east-1:123456789012:rule/no-such-rule"
    for call in (lambda: ev.tag_resource(ResourceARN=missing, Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: ev.untag_resource(ResourceARN=missing, TagKeys=["k"]),
                 lambda: ev.list_tags_for_resource(ResourceARN=missing)):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) == ("ResourceNotFoundException",
                              "Rule no-such-rule does not exist on EventBus default.")
    # The rule's name in another region or account is not this rule.
    for other in ("arn:aws:events:eu-west-1:123456789012:rule/tag-errors",
                  "arn:aws:events:us-east-1:210987654321:rule/tag-errors"):
        with pytest.raises(ClientError) as e:
            ev.list_tags_for_resource(ResourceARN=other)
        assert code_of(e) == ("ResourceNotFoundException",
                              "Rule tag-errors does not exist on EventBus default.")
    with pytest.raises(ClientError) as e:  # a rule of a custom bus: no such bus here
        ev.list_tags_for_resource(ResourceARN="arn:aws:events:us-east-1:123456789012:rule/b/r")
    assert code_of(e) == ("ResourceNotFoundException", "Rule r does not exist on EventBus b.")
    with pytest.raises(ClientError) as e:
        ev.list_tags_for_resource(ResourceARN="arn:aws:events:us-east-1:123456789012:event-bus/b")
    assert code_of(e) == ("ResourceNotFoundException", "Event bus b does not exist.")
    for bad, reason in (("tag-errors", "Provided Arn is not in correct format."),
                        ("arn:aws:sqs:us-east-1:123456789012:q",
                         "Provided Arn is not an EventBridge ResourceARN."),
                        ("arn:aws:events:us-east-1:123456789012:archive/a",
                         "Provided Arn is not a taggable EventBridge resource.")):
        with pytest.raises(ClientError) as e:
            ev.list_tags_for_resource(ResourceARN=bad)
        assert code_of(e) == ("ValidationException",
                              "Parameter ResourceARN is not valid. Reason: " + reason), bad

    # "aws:" keys are AWS's: neither set (in any letter case) nor removed; nothing applied.
    for key in ("aws:owner", "AWS:owner"):
        with pytest.raises(ClientError) as e:
            ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "ok", "Value": "1"},
                                                   {"Key": key, "Value": "x"}])
        assert code_of(e)[0] == "ValidationException" and "aws:" in code_of(e)[1]
    with pytest.raises(ClientError) as e:
        ev.untag_resource(ResourceARN=arn, TagKeys=["aws:owner"])
    assert code_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:  # refused before the rule is created
        ev.put_rule(Name="tag-errors-new", EventPattern=pattern,
                    Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        ev.describe_rule(Name="tag-errors-new")
    assert code_of(e)[0] == "ResourceNotFoundException"

    # The model's lengths: key 1-128, value 0-256.
    with pytest.raises(ClientError) as e:
        ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "k" * 129, "Value": "v"}])
    assert code_of(e)[0] == "ValidationException" and "128" in code_of(e)[1]
    with pytest.raises(ClientError) as e:
        ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v" * 257}])
    assert code_of(e)[0] == "ValidationException" and "256" in code_of(e)[1]
    ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "k" * 128, "Value": "v" * 256}])

    # 50 tags per rule: in one request, and counting those the rule already has.
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name="tag-errors-many", EventPattern=pattern,
                    Tags=[{"Key": f"k{i}", "Value": ""} for i in range(51)])
    assert code_of(e)[0] == "ValidationException"
    ev.tag_resource(ResourceARN=arn, Tags=[{"Key": f"k{i:02}", "Value": ""} for i in range(48)])
    assert len(tags_of(ev, arn)) == 49
    with pytest.raises(ClientError) as e:
        ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "x1", "Value": ""}, {"Key": "x2", "Value": ""}])
    assert code_of(e)[0] == "ValidationException"
    assert len(tags_of(ev, arn)) == 49  # nothing applied
    ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "k00", "Value": "replaced"}, {"Key": "x1", "Value": ""}])
    assert len(tags_of(ev, arn)) == 50
    ev.delete_rule(Name="tag-errors")


def test_the_default_event_bus_is_tagged_like_a_rule(srv):
    """TagResource / UntagResource / ListTagsForResource of the default bus's ARN, as AWS answers
    them (LocalStack's aws-validated test_events_tags.py, tests_tag_untag_resource and
    test_recreate_tagged_resource_without_tags [event_bus-event_bus_default]: tagged, listed,
    one key removed, removing a key it lacks succeeds; the bus is never re-created, so its tags
    stay). Its tags are the bus's own: a rule named "default" has none of them."""
    ev = client(srv, "events")
    bus = "arn:aws:events:us-east-1:123456789012:event-bus/default"
    assert ev.list_tags_for_resource(ResourceARN=bus)["Tags"] == []
    ev.tag_resource(ResourceARN=bus, Tags=[{"Key": "tag1", "Value": "value1"},
                                           {"Key": "tag2", "Value": "value2"}])
    assert tags_of(ev, bus) == [("tag1", "value1"), ("tag2", "value2")]
    ev.untag_resource(ResourceARN=bus, TagKeys=["tag2"])
    assert tags_of(ev, bus) == [("tag1", "value1")]
    ev.untag_resource(ResourceARN=bus, TagKeys=["not_existing_tag-1"])
    assert tags_of(ev, bus) == [("tag1", "value1")]
    rule = ev.put_rule(Name="default", EventPattern=json.dumps({"source": ["a"]}))["RuleArn"]
    assert ev.list_tags_for_resource(ResourceARN=rule)["Tags"] == []
    ev.delete_rule(Name="default")
    assert tags_of(ev, bus) == [("tag1", "value1")]

    # The rules of a rule's tags: 50 at most (nothing applied beyond), "aws:" keys reserved.
    with pytest.raises(ClientError) as e:
        ev.tag_resource(ResourceARN=bus, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    assert code_of(e)[0] == "ValidationException"
    assert tags_of(ev, bus) == [("tag1", "value1")]
    with pytest.raises(ClientError) as e:
        ev.tag_resource(ResourceARN=bus, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code_of(e)[0] == "ValidationException" and "aws:" in code_of(e)[1]
    with pytest.raises(ClientError) as e:
        ev.untag_resource(ResourceARN=bus, TagKeys=["aws:x"])
    assert code_of(e)[0] == "ValidationException"

    # Another region's or account's default bus is not this one; a custom bus does not exist.
    for other in ("arn:aws:events:eu-west-1:123456789012:event-bus/default",
                  "arn:aws:events:us-east-1:210987654321:event-bus/default"):
        with pytest.raises(ClientError) as e:
            ev.tag_resource(ResourceARN=other, Tags=[{"Key": "k", "Value": "v"}])
        assert code_of(e) == ("ResourceNotFoundException", "Event bus default does not exist.")
    with pytest.raises(ClientError) as e:
        ev.untag_resource(ResourceARN="arn:aws:events:us-east-1:123456789012:event-bus/b",
                          TagKeys=["k"])
    assert code_of(e) == ("ResourceNotFoundException", "Event bus b does not exist.")

    # Authorized on the bus's ARN, with the request's tags as aws:RequestTag.
    iam = client(srv, "iam")
    iam.create_user(UserName="bus-tagger")
    iam.put_user_policy(UserName="bus-tagger", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Resource": bus,
                       "Action": ["events:TagResource", "events:ListTagsForResource"],
                       "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}]}))
    key = iam.create_access_key(UserName="bus-tagger")["AccessKey"]
    tagger = client(srv, "events", key["AccessKeyId"], key["SecretAccessKey"])
    tagger.tag_resource(ResourceARN=bus, Tags=[{"Key": "team", "Value": "blue"}])
    assert tags_of(tagger, bus) == [("tag1", "value1"), ("team", "blue")]
    with pytest.raises(ClientError) as e:
        tagger.tag_resource(ResourceARN=bus, Tags=[{"Key": "owner", "Value": "x"}])
    assert code_of(e)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        tagger.untag_resource(ResourceARN=bus, TagKeys=["team"])
    assert code_of(e)[0] == "AccessDeniedException" and "events:UntagResource" in code_of(e)[1]
    ev.untag_resource(ResourceARN=bus, TagKeys=["tag1", "team"])
    assert ev.list_tags_for_resource(ResourceARN=bus)["Tags"] == []


def test_list_rule_names_by_target(srv):
    """ListRuleNamesByTarget (Zappa and others ask it which rules invoke a function): the rules
    with a target of that Arn, by name, in pages of Limit; RuleNames present when empty."""
    ev = client(srv, "events")
    pattern = json.dumps({"source": ["by-target"]})
    a, b = "http://127.0.0.1:9/a", "http://127.0.0.1:9/b"
    for name, urls in (("bt-2", [a]), ("bt-1", [b, a]), ("bt-3", [b]), ("bt-0", [])):
        ev.put_rule(Name=name, EventPattern=pattern)
        if urls:
            ev.put_targets(Rule=name, Targets=[{"Id": f"t{i}", "Arn": u} for i, u in enumerate(urls)])
    assert ev.list_rule_names_by_target(TargetArn=a)["RuleNames"] == ["bt-1", "bt-2"]
    first = ev.list_rule_names_by_target(TargetArn=b, Limit=1)
    assert first["RuleNames"] == ["bt-1"] and first["NextToken"]
    rest = ev.list_rule_names_by_target(TargetArn=b, Limit=1, NextToken=first["NextToken"])
    assert rest["RuleNames"] == ["bt-3"] and "NextToken" not in rest
    assert ev.list_rule_names_by_target(TargetArn="http://127.0.0.1:9/none")["RuleNames"] == []
    assert ev.list_rule_names_by_target(TargetArn=a, EventBusName="default")["RuleNames"] == \
        ["bt-1", "bt-2"]
    with pytest.raises(ClientError) as e:
        ev.list_rule_names_by_target(TargetArn=a, EventBusName="other")
    assert code_of(e) == ("ResourceNotFoundException", "Event bus other does not exist.")
    for name, urls in (("bt-2", [a]), ("bt-1", [b, a]), ("bt-3", [b]), ("bt-0", [])):
        if urls:
            ev.remove_targets(Rule=name, Ids=[f"t{i}" for i in range(len(urls))])
        ev.delete_rule(Name=name)


def test_tagging_rules_takes_the_tagging_actions(srv):
    ev, iam = client(srv, "events"), client(srv, "iam")
    iam.create_user(UserName="rule-writer")
    iam.put_user_policy(UserName="rule-writer", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Resource": "*",
                       "Action": ["events:PutRule", "events:ListTagsForResource"]},
                      {"Effect": "Allow", "Resource": "*", "Action": "events:TagResource",
                       "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"}}}]}))
    key = iam.create_access_key(UserName="rule-writer")["AccessKey"]
    writer = client(srv, "events", key["AccessKeyId"], key["SecretAccessKey"])
    pattern = json.dumps({"source": ["aws.kms"]})
    # PutRule with Tags takes events:TagResource too (AWS), here bounded by aws:RequestTag.
    with pytest.raises(ClientError) as e:
        writer.put_rule(Name="by-writer", EventPattern=pattern,
                        Tags=[{"Key": "team", "Value": "red"}])
    assert code_of(e)[0] == "AccessDeniedException" and "events:TagResource" in code_of(e)[1]
    arn = writer.put_rule(Name="by-writer", EventPattern=pattern,
                          Tags=[{"Key": "team", "Value": "blue"}])["RuleArn"]
    assert tags_of(writer, arn) == [("team", "blue")]
    # An update ignores Tags (AWS), so it takes no events:TagResource and changes no tag.
    writer.put_rule(Name="by-writer", EventPattern=pattern, Tags=[{"Key": "team", "Value": "red"}])
    assert tags_of(writer, arn) == [("team", "blue")]
    with pytest.raises(ClientError) as e:
        writer.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert code_of(e)[0] == "AccessDeniedException" and "events:UntagResource" in code_of(e)[1]
    assert tags_of(ev, arn) == [("team", "blue")]
    ev.delete_rule(Name="by-writer")


def test_put_events_routes_an_applications_own_events(srv, receiver):
    """PutEvents: each entry gets an EventId or its own error (EventBridge's per-entry answers:
    InvalidArgument for a missing member, MalformedDetail for a Detail that is no JSON object,
    NotAuthorizedForSourceException for the reserved "aws." sources) and FailedEntryCount; the
    accepted events are matched against the rules and delivered like Arcana's own."""
    ev = client(srv, "events")
    ev.put_rule(Name="app-orders", EventPattern=json.dumps({
        "source": ["my.app"], "detail-type": ["Order Placed"],
        "detail": {"total": [{"numeric": [">", 100]}]}}))
    ev.put_targets(Rule="app-orders", Targets=[{"Id": "hook", "Arn": receiver.url}])
    out = ev.put_events(Entries=[
        {"Source": "my.app", "DetailType": "Order Placed", "Detail": json.dumps({"total": 250}),
         "Resources": ["arn:aws:example:::order/1"]},
        {"Source": "my.app", "DetailType": "Order Placed", "Detail": json.dumps({"total": 5})},
        {"Source": "aws.secretsmanager", "DetailType": "x", "Detail": "{}"},
        {"Source": "my.app", "DetailType": "Order Placed", "Detail": "[1, 2]"},
        {"Source": "my.app", "Detail": "{}"},
    ])
    assert out["FailedEntryCount"] == 3
    entries = out["Entries"]
    assert all("EventId" in e for e in entries[:2])
    assert entries[2:] == [
        {"ErrorCode": "NotAuthorizedForSourceException",
         "ErrorMessage": "Not authorized for the source."},
        {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
        {"ErrorCode": "InvalidArgument",
         "ErrorMessage": "Parameter DetailType is not valid. Reason: DetailType is a required "
                         "argument."}]

    def orders():
        return [b for b in receiver.bodies if b.get("source") == "my.app"]

    wait_for(lambda: orders(), timeout=10, what="the custom event delivered")
    time.sleep(0.5)  # the unmatched one (total 5) must not follow
    [order] = orders()
    assert order["id"] == entries[0]["EventId"]
    assert (order["detail-type"], order["detail"], order["resources"]) == \
        ("Order Placed", {"total": 250}, ["arn:aws:example:::order/1"])
    assert order["account"] == "123456789012" and order["region"] == "us-east-1"
    ev.remove_targets(Rule="app-orders", Ids=["hook"])
    ev.delete_rule(Name="app-orders")


def test_an_https_target_is_reached_when_its_ca_is_trusted(tmp_path):
    """HTTPS targets: trusted through ARCANA_CA_CERT (a private CA; here the target's own
    self-signed certificate) and refused without it (the event is dead-lettered, not sent)."""
    cert, key, _ = self_signed_tls(tmp_path)
    target = Receiver(tls=(cert, key))
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    servers = []
    try:
        for name, extra in (("trusting", {"ARCANA_CA_CERT": str(cert)}), ("system-only", {})):
            srv = ArcanaServer(tmp_path / name, tmp_path / (name + "-logs"), dev=False,
                               env={**env, **extra}).start()
            servers.append(srv)
            ev, sm = client(srv, "events"), client(srv, "secretsmanager")
            ev.put_rule(Name="tls", EventPattern=json.dumps({
                "source": ["aws.secretsmanager"], "detail": {"eventName": ["CreateSecret"]}}))
            ev.put_targets(Rule="tls", Targets=[{"Id": "hook", "Arn": target.url,
                                                 "RetryPolicy": {"MaximumRetryAttempts": 0}}])
            sm.create_secret(Name=f"tls/{name}", SecretString="v")
        wait_for(lambda: any(b["detail"]["requestParameters"]["name"] == "tls/trusting"
                             for b in target.bodies), timeout=10, what="HTTPS delivery")
        dead = Path(servers[1].data_dir) / "events" / "dead-letter.jsonl"
        wait_for(lambda: dead.exists() and "tls" in dead.read_text(), timeout=60,
                 what="untrusted target dead-lettered")
        assert not any(b["detail"]["requestParameters"]["name"] == "tls/system-only"
                       for b in target.bodies)
    finally:
        for s in servers:
            s.stop()
        target.stop()


def put_events_raw(srv, entries):
    """A signed PutEvents with members boto3 would refuse to send (a Time beyond datetime)."""
    from conftest import raw_call
    r = raw_call(srv.endpoint, None, {"Entries": entries}, akid=ROOT_AKID, secret=ROOT_SECRET,
                 target="AWSEvents.PutEvents", service="events")
    return r.status_code, r.json()


def test_put_events_refuses_the_servers_own_sources(srv, receiver):
    """arcana.detections alerts and arcana.operator actions come from the server only: a
    caller's forged "Secret Deleted" would reach the pager exactly like a real one."""
    ev = client(srv, "events")
    out = ev.put_events(Entries=[
        {"Source": "arcana.detections", "DetailType": "Secret Deleted", "Detail": "{}"},
        {"Source": "arcana.operator", "DetailType": "RotateRoot", "Detail": "{}"},
        {"Source": "arcanaapp", "DetailType": "x", "Detail": "{}"}])
    assert out["FailedEntryCount"] == 2
    assert out["Entries"][:2] == [{"ErrorCode": "NotAuthorizedForSourceException",
                                   "ErrorMessage": "Not authorized for the source."}] * 2
    assert "EventId" in out["Entries"][2]


def test_put_events_bounds_time_size_and_depth(srv, receiver):
    """Time must be an RFC 3339 time (years 1-9999); the entries of a request at most 256 KiB
    (EventBridge's limit, sized as AWS documents); a Detail the bus could not route (nested
    as deep as the parser's bound, one level deeper in the envelope) is MalformedDetail
    instead of an EventId for an event that is never delivered."""
    ev = client(srv, "events")
    ev.put_rule(Name="bounds", EventPattern=json.dumps({"source": ["bounds.app"]}))
    ev.put_targets(Rule="bounds", Targets=[{"Id": "hook", "Arn": receiver.url}])
    bad_time = ("InvalidArgument", "Parameter Time is not valid. Reason: Time must be between "
                "0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.")
    for t in (1e300, -1e300, 1e17, -62135596801, 253402300800):
        status, out = put_events_raw(srv, [{"Source": "bounds.app", "DetailType": "t",
                                            "Detail": "{}", "Time": t}])
        assert status == 200 and out["FailedEntryCount"] == 1, (t, out)
        assert (out["Entries"][0]["ErrorCode"], out["Entries"][0]["ErrorMessage"]) == bad_time
    status, out = put_events_raw(srv, [{"Source": "bounds.app", "DetailType": "t",
                                        "Detail": json.dumps({"n": "edge"}),
                                        "Time": 253402300799}])
    assert out["FailedEntryCount"] == 0, out

    big = json.dumps({"pad": "x" * (100 << 10)})
    with pytest.raises(ClientError) as e:
        ev.put_events(Entries=[{"Source": "bounds.app", "DetailType": "t", "Detail": big}] * 3)
    assert code_of(e) == ("ValidationException",
                          "Total size of the entries in the request is over the limit.")
    assert ev.put_events(Entries=[{"Source": "bounds.app", "DetailType": "t",
                                   "Detail": big}] * 2)["FailedEntryCount"] == 0

    def nested(depth):  # depth levels of objects, the outermost included
        return '{"a":' * (depth - 1) + '{"leaf":1}' + "}" * (depth - 1)

    out = ev.put_events(Entries=[
        {"Source": "bounds.app", "DetailType": "deep", "Detail": nested(63)},
        {"Source": "bounds.app", "DetailType": "too deep", "Detail": nested(64)}])
    assert out["Entries"][1] == {"ErrorCode": "MalformedDetail",
                                 "ErrorMessage": "Detail is malformed."}
    wait_for(lambda: any(b.get("detail-type") == "deep" for b in receiver.bodies), timeout=10,
             what="the depth-63 event delivered")
    wait_for(lambda: "9999-12-31T23:59:59Z" in [b["time"] for b in receiver.bodies],
             timeout=10, what="the event of the latest valid time delivered")
    ev.remove_targets(Rule="bounds", Ids=["hook"])
    ev.delete_rule(Name="bounds")


def test_test_event_pattern_needs_the_whole_event_envelope(srv):
    ev = client(srv, "events")
    whole = {"id": "1", "source": "s", "detail-type": "x", "account": "123456789012",
             "time": "2026-12-02T00:00:00Z", "region": "us-east-1", "resources": [],
             "detail": {}}
    assert ev.test_event_pattern(EventPattern='{"source":["s"]}', Event=json.dumps(whole))["Result"]
    # resources may be left out: AWS answers such events (test_events_patterns_aws_recorded.py).
    no_resources = {k: v for k, v in whole.items() if k != "resources"}
    assert ev.test_event_pattern(EventPattern='{"source":["s"]}',
                                 Event=json.dumps(no_resources))["Result"]
    for member in ("id", "account", "source", "time", "region", "detail-type"):
        partial = {k: v for k, v in whole.items() if k != member}
        with pytest.raises(ClientError) as e:
            ev.test_event_pattern(EventPattern='{"source":["s"]}', Event=json.dumps(partial))
        assert code_of(e) == ("ValidationException", "Parameter Event is not valid."), member


def test_wildcard_escapes_as_event_ruler_reads_them(srv):
    """event-ruler's wildcard escapes: \\* a literal asterisk, \\\\ a literal backslash;
    another escape is refused by TestEventPattern and PutRule alike, with AWS's reason."""
    ev = client(srv, "events")
    envelope = {"id": "1", "source": "s", "detail-type": "x", "account": "123456789012",
                "time": "2026-12-02T00:00:00Z", "region": "us-east-1", "resources": []}

    def matches(wildcard, value):
        pattern = json.dumps({"detail": {"a": [{"wildcard": wildcard}]}})
        event = json.dumps({**envelope, "detail": {"a": value}})
        return ev.test_event_pattern(EventPattern=pattern, Event=event)["Result"]

    assert matches("a\\*b", "a*b") and not matches("a\\*b", "aXYb")
    assert matches("a\\\\b", "a\\b") and not matches("a\\\\b", "a\\\\b")
    assert matches("a\\**", "a*zz") and not matches("a\\**", "azz")

    refused = json.dumps({"detail": {"a": [{"wildcard": "a\\xb"}]}})
    # (AWS's reason, then where its parser stood: just past the operand's closing quote.)
    reason = ("Event pattern is not valid. Reason: Invalid escape character at pos 2\n at "
              '[Source: (String)"{"detail": {"a": [{"wildcard": "a\\\\xb"}]}}"; line: 1, column: 39]')
    with pytest.raises(ClientError) as e:
        ev.test_event_pattern(EventPattern=refused, Event=json.dumps({**envelope, "detail": {}}))
    assert code_of(e) == ("InvalidEventPatternException", reason)
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name="bad-escape", EventPattern=refused)
    assert code_of(e) == ("InvalidEventPatternException", reason)


def test_batch_get_names_what_it_read_by_filter_and_detects_pending_deletion_items(
        srv, receiver):
    """BatchGetSecretValue answers 200 with per-item errors: its record lists the refused
    items (additionalEventData.refusedItems), so "Pending Deletion Secret Read" fires for one
    too; read by Filters, the record names every secret whose value it returned."""
    ev, sm, ct = client(srv, "events"), client(srv, "secretsmanager"), client(srv, "cloudtrail")
    ev.put_rule(Name="batch-alerts", EventPattern=json.dumps({
        "source": ["arcana.detections"], "detail-type": ["Pending Deletion Secret Read"]}))
    ev.put_targets(Rule="batch-alerts", Targets=[{"Id": "hook", "Arn": receiver.url}])
    gone = sm.create_secret(Name="batch/gone", SecretString="canary-value-f6")["ARN"]
    sm.delete_secret(SecretId=gone, RecoveryWindowInDays=7)
    from conftest import raw_call

    def batch_get(body):  # Debian's botocore predates BatchGetSecretValue
        r = raw_call(srv.endpoint, "BatchGetSecretValue", body, akid=ROOT_AKID, secret=ROOT_SECRET)
        assert r.status_code == 200, r.text
        return r.json()

    out = batch_get({"SecretIdList": [gone]})
    assert out["SecretValues"] == [] and out["Errors"][0]["ErrorCode"] == "InvalidRequestException"
    wait_for(lambda: any(b.get("detail", {}).get("secretArn") == gone and
                         b["detail"].get("eventName") == "BatchGetSecretValue"
                         for b in receiver.bodies), timeout=10,
             what="the batch read's detection")

    for n in ("batchf/a", "batchf/b"):
        sm.create_secret(Name=n, SecretString="v-" + n)
    got = batch_get({"Filters": [{"Key": "name", "Values": ["batchf/"]}]})
    assert sorted(v["Name"] for v in got["SecretValues"]) == ["batchf/a", "batchf/b"]
    for n in ("batchf/a", "batchf/b"):
        names = [e["EventName"] for e in ct.lookup_events(LookupAttributes=[
            {"AttributeKey": "ResourceName", "AttributeValue": n}])["Events"]]
        assert names == ["BatchGetSecretValue", "CreateSecret"], (n, names)
    ev.remove_targets(Rule="batch-alerts", Ids=["hook"])
    ev.delete_rule(Name="batch-alerts")


@pytest.mark.parametrize("pattern,reason", [
    # Refusals in the words of AWS's matcher (aws/event-ruler, JsonRuleCompiler), through
    # TestEventPattern and PutRule alike.
    ({"a": [{"anything-but": ["x", None]}]},
     "Inside anything but list, start|null|boolean is not supported."),
    ({"a": [{"anything-but": ["x", 1]}]},
     "Inside anything but list, either all values are number or string, mixed type is not "
     "supported"),
    ({"n": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"n": [{"numeric": ["=", "x"]}]}, "Value of equals must be numeric"),
    ({"n": [{"numeric": ["~", 1]}]}, "Unrecognized numeric range operator: ~"),
    ({"n": [{"prefix": "a", "suffix": "b"}]}, "Only one key allowed in match expression"),
    ({"$or": [{"a": ["b"]}]}, "There must have at least 2 Objects in $or relationship."),
])
def test_pattern_refusals_in_event_rulers_words(srv, pattern, reason):
    ev = client(srv, "events")
    event = {"id": "1", "source": "s", "detail-type": "x", "account": "123456789012",
             "time": "2026-12-02T00:00:00Z", "region": "us-east-1", "resources": []}
    # The reason, without the parser location AWS appends (test_events_patterns_aws_recorded).
    def reason_of(e):
        code, message = code_of(e)
        return code, message.split("\n at [Source: ")[0]
    with pytest.raises(ClientError) as e:
        ev.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))
    assert reason_of(e) == ("InvalidEventPatternException", "Event pattern is not valid. Reason: " + reason)
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name="event-ruler-words", EventPattern=json.dumps(pattern))
    assert reason_of(e) == ("InvalidEventPatternException", "Event pattern is not valid. Reason: " + reason)
