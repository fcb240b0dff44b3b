"""The audit trail (issue 11): one durable CloudTrail-shaped record per API call in
<data-dir>/audit/, with the caller's identity and no secret value; denied and failed calls
recorded; fail-closed refusal when records cannot be made durable; `arcana audit verify`
catching each kind of tampering; `audit tail|search`; LookupEvents through boto3 and the
aws CLI."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_cli import run_aws
from conftest import (ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer, cli_store_args,
                      raw_call, error_code)

ARCANA_CLI = ARCANAD.parent / "arcana"
ROOT_ARN = "arn:aws:iam::123456789012:root"
NODE = "n1"


def client(srv, service, akid=ROOT_AKID, secret=ROOT_SECRET):
    return boto3.client(service, endpoint_url=srv.endpoint, region_name="us-east-1",
                        aws_access_key_id=akid, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def records(data_dir: Path) -> list[dict]:
    out = []
    for f in sorted((data_dir / "audit").glob(f"{NODE}.*.jsonl")):
        if ".digests." in f.name:
            continue
        out += [json.loads(l) for l in f.read_text().splitlines()]
    return out


def audit_bytes(data_dir: Path) -> bytes:
    return b"".join(f.read_bytes() for f in (data_dir / "audit").glob("*.jsonl"))


def cli(data_dir: Path, *args, check=None):
    p = subprocess.run([str(ARCANA_CLI), *cli_store_args(data_dir), *args],
                       capture_output=True, text=True, timeout=60)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p


def start(tmp: Path, name: str, *args) -> ArcanaServer:
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    srv = ArcanaServer(tmp / name, tmp / (name + "-logs"), dev=False, env=env,
                       args=["--audit-node", NODE, *args])
    return srv.start()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("audit"), "data")
    yield s
    s.stop()


def test_every_family_is_recorded_with_identity_and_no_secret_value(srv):
    sm, kms, ssm = client(srv, "secretsmanager"), client(srv, "kms"), client(srv, "ssm")
    values = [b"sm-canary-value-7f3a", b"sm-canary-value-second-91c2", b"ssm-canary-8d1e",
              b"kms-canary-plaintext-55aa"]
    a = sm.create_secret(Name="audit/a", SecretString=values[0].decode())["ARN"]
    b = sm.create_secret(Name="audit/b", SecretString=values[1].decode())["ARN"]
    sm.get_secret_value(SecretId="audit/a")
    # Debian's botocore predates BatchGetSecretValue: a signed raw call.
    batch = raw_call(srv.endpoint, "BatchGetSecretValue", {"SecretIdList": ["audit/a", "audit/b"]},
                     akid=ROOT_AKID, secret=ROOT_SECRET)
    assert batch.status_code == 200 and len(batch.json()["SecretValues"]) == 2, batch.text
    pw = sm.get_random_password(PasswordLength=40)["RandomPassword"]
    key = kms.create_key()["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId=key, Plaintext=values[3])["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    dk = kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    ssm.put_parameter(Name="/audit/p", Value=values[2].decode(), Type="SecureString")
    ssm.get_parameter(Name="/audit/p", WithDecryption=True)
    ssm.get_parameters_by_path(Path="/audit", WithDecryption=True)

    recs = records(srv.data_dir)
    by_name = {}
    for r in recs:
        by_name.setdefault(r["eventName"], []).append(r)
    for name, source in [("CreateSecret", "secretsmanager"), ("GetSecretValue", "secretsmanager"),
                         ("BatchGetSecretValue", "secretsmanager"), ("CreateKey", "kms"),
                         ("Encrypt", "kms"), ("Decrypt", "kms"), ("GenerateDataKey", "kms"),
                         ("PutParameter", "ssm"), ("GetParameter", "ssm"),
                         ("GetParametersByPath", "ssm"), ("GetRandomPassword", "secretsmanager")]:
        assert name in by_name, (name, sorted(by_name))
        r = by_name[name][-1]
        assert r["eventSource"] == f"{source}.amazonaws.com"
        assert r["userIdentity"]["type"] == "Root"
        assert r["userIdentity"]["arn"] == ROOT_ARN
        assert r["userIdentity"]["accessKeyId"] == ROOT_AKID
        assert r["eventType"] == "AwsApiCall" and r["eventCategory"] == "Management"
        assert r["awsRegion"] == "us-east-1" and r["recipientAccountId"] == "123456789012"
        assert r["requestID"] and len(r["eventID"]) == 36
    # Resources are what the handlers touched: every item of a batch, the key a ciphertext names.
    batch_res = {x["ARN"] for x in by_name["BatchGetSecretValue"][-1]["resources"]}
    assert batch_res == {a, b}
    assert {x["ARN"] for x in by_name["Decrypt"][-1]["resources"]} == {key}
    assert by_name["GetSecretValue"][-1]["readOnly"] is True
    assert by_name["CreateSecret"][-1]["readOnly"] is False
    assert by_name["CreateSecret"][-1]["responseElements"]["ARN"] in (a, b)
    assert by_name["GetParametersByPath"][-1]["resources"][0]["ARN"].endswith("parameter/audit/p")
    # No stored value, plaintext, password or data key anywhere in the audit files.
    blob_all = audit_bytes(srv.data_dir)
    needles = values + [base64.b64encode(v) for v in values] + [
        pw.encode(), base64.b64encode(dk["Plaintext"]), base64.b64encode(blob)]
    for n in needles:
        assert n not in blob_all, n


def test_denied_and_failed_calls_are_recorded(srv):
    bad = client(srv, "secretsmanager", secret="wrong-secret-key")
    with pytest.raises(ClientError):
        bad.list_secrets()
    with pytest.raises(ClientError) as e:
        client(srv, "secretsmanager").get_secret_value(SecretId="audit/nope")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    recs = records(srv.data_dir)
    denied = [r for r in recs if r["eventName"] == "ListSecrets" and r.get("errorCode")]
    assert denied and denied[-1]["errorCode"] in ("InvalidSignatureException",
                                                   "SignatureDoesNotMatch")
    assert denied[-1]["userIdentity"]["accessKeyId"] == ROOT_AKID
    failed = [r for r in recs if r["eventName"] == "GetSecretValue" and
              r.get("errorCode") == "ResourceNotFoundException"]
    assert failed and failed[-1]["requestParameters"]["secretId"] == "audit/nope"


def test_a_refused_credential_is_quoted_neither_in_the_answer_nor_in_the_trail(srv):
    # An HTTP target's header and query-string values carry bearer tokens and API keys; STS's
    # web identity token and SAML assertion are credentials. A length violation names the
    # member without its value ("Value at '...'", as AWS words a sensitive member), and
    # nothing of the value reaches the record, its LookupEvents copy or the write-ahead log.
    ev, sts = client(srv, "events"), client(srv, "sts")
    ev.put_rule(Name="audit-leak", EventPattern=json.dumps({"source": ["aws.kms"]}))
    target = {"Id": "t1", "Arn": "arn:aws:events:us-east-1:123456789012:api-destination/x/abc",
              "RoleArn": "arn:aws:iam::123456789012:role/r"}
    for http in ({"HeaderParameters": {"Authorization": "Bearer LEAKHDR" + "x" * 600}},
                 {"QueryStringParameters": {"api_key": "LEAKQS" + "y" * 600}}):
        with pytest.raises(ClientError) as e:
            ev.put_targets(Rule="audit-leak", Targets=[dict(target, HttpParameters=http)])
        assert e.value.response["Error"]["Code"] == "ValidationException"
        msg = e.value.response["Error"]["Message"]
        assert "LEAK" not in msg and "Value at 'targets.1.member.httpParameters." in msg, msg
    role = "arn:aws:iam::123456789012:role/audit-leak"
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="s1",
                                          WebIdentityToken="LEAKWIT" + "w" * 20001)
    assert "LEAK" not in e.value.response["Error"]["Message"]
    assert "Value at 'webIdentityToken'" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_saml(RoleArn=role, PrincipalArn=role,
                                  SAMLAssertion="LEAKSAML" + "s" * 100001)
    assert "LEAK" not in e.value.response["Error"]["Message"]
    recs = [r for r in records(srv.data_dir) if r["eventName"] in
            ("PutTargets", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")]
    # STS, a query-protocol service, spells its code ValidationError.
    assert [r["errorCode"] for r in recs] == ["ValidationException"] * 2 + ["ValidationError"] * 2
    assert b"LEAK" not in audit_bytes(srv.data_dir)
    assert not any(b"LEAK" in f.read_bytes() for f in (srv.data_dir / "audit").glob("*.wal"))
    found = client(srv, "cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutTargets"}])
    assert found["Events"] and not any("LEAK" in x["CloudTrailEvent"] for x in found["Events"])


def test_requests_refused_before_they_run_are_recorded(tmp_path):
    """Issue 11: every call, allowed or denied, succeeded or failed. A throttled call (the
    worker queue full; CloudTrail records ThrottlingException too), a POST naming no
    operation and a body over the limit are refused before any stage runs, and recorded with
    the access key and region the request claims."""
    import threading
    import requests
    s = ArcanaServer(tmp_path / "r", tmp_path / "r-logs", dev=True,
                     args=["--audit-node", NODE, "--workers", "1", "--max-queued-requests", "1"])
    s.start()
    try:
        sm = boto3.client("secretsmanager", endpoint_url=s.endpoint, region_name="eu-west-1",
                          aws_access_key_id="AKIACLAIMED", aws_secret_access_key="x",
                          config=Config(retries={"max_attempts": 0}))

        def slow():
            requests.post(s.endpoint + "/_arcana/dev/fault?action=sleep&ms=1500", timeout=30)

        threads = [threading.Thread(target=slow) for _ in range(2)]
        for t in threads:  # the worker takes the first, the queue slot the second
            t.start()
            time.sleep(0.3)
        with pytest.raises(ClientError) as e:
            sm.get_secret_value(SecretId="x")
        assert e.value.response["Error"]["Code"] == "ThrottlingException"
        for t in threads:
            t.join(10)
        assert requests.post(s.endpoint + "/", data="{}", timeout=5).status_code == 400
        assert requests.post(s.endpoint + "/", data=b"x" * (1 << 20 | 1), headers={
            "X-Amz-Target": "secretsmanager.ListSecrets"}, timeout=5).status_code == 413
        time.sleep(0.3)
        recs = records(s.data_dir)
    finally:
        s.stop()
    throttled = [r for r in recs if r.get("errorCode") == "ThrottlingException"]
    assert len(throttled) == 1, recs
    t = throttled[0]
    assert t["eventName"] == "GetSecretValue" and t["eventSource"] == "secretsmanager.amazonaws.com"
    assert t["userIdentity"]["accessKeyId"] == "AKIACLAIMED" and t["awsRegion"] == "eu-west-1"
    assert t["errorMessage"] == "Rate exceeded" and t["requestParameters"] is None
    no_target = [r for r in recs if r.get("errorMessage") == "Missing X-Amz-Target header"]
    assert len(no_target) == 1 and no_target[0]["eventName"] == "Unknown", recs
    too_large = [r for r in recs if r.get("errorCode") == "RequestEntityTooLargeException"]
    assert len(too_large) == 1, [(r["eventName"], r.get("errorCode")) for r in recs]
    assert cli(s.data_dir, "audit", "verify").returncode == 0


def test_lookup_events_through_boto3_and_the_cli(srv):
    sm = client(srv, "secretsmanager")
    sm.create_secret(Name="audit/lookup", SecretString="lookup-value")
    ct = client(srv, "cloudtrail")
    got = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName",
                                              "AttributeValue": "audit/lookup"}])
    events = got["Events"]
    assert [e["EventName"] for e in events] == ["CreateSecret"]
    ev = events[0]
    assert ev["EventSource"] == "secretsmanager.amazonaws.com"
    assert ev["Username"] == "root" and ev["AccessKeyId"] == ROOT_AKID
    assert ev["Resources"][0]["ResourceType"] == "AWS::SecretsManager::Secret"
    assert json.loads(ev["CloudTrailEvent"])["eventID"] == ev["EventId"]
    # Pagination, newest first, and an EventId lookup.
    page1 = ct.lookup_events(MaxResults=1, LookupAttributes=[
        {"AttributeKey": "EventSource", "AttributeValue": "secretsmanager.amazonaws.com"}])
    page2 = ct.lookup_events(MaxResults=1, NextToken=page1["NextToken"], LookupAttributes=[
        {"AttributeKey": "EventSource", "AttributeValue": "secretsmanager.amazonaws.com"}])
    assert page1["Events"][0]["EventTime"] >= page2["Events"][0]["EventTime"]
    assert page1["Events"][0]["EventId"] != page2["Events"][0]["EventId"]
    # The token goes with the parameters of its request (the model's InvalidNextTokenException:
    # "a token that was previously used in a request with different parameters"); the page
    # size may change.
    same = ct.lookup_events(MaxResults=2, NextToken=page1["NextToken"], LookupAttributes=[
        {"AttributeKey": "EventSource", "AttributeValue": "secretsmanager.amazonaws.com"}])
    assert same["Events"][0]["EventId"] == page2["Events"][0]["EventId"]
    for other in ({"LookupAttributes": [{"AttributeKey": "EventSource",
                                         "AttributeValue": "kms.amazonaws.com"}]},
                  {"LookupAttributes": [{"AttributeKey": "EventSource",
                                         "AttributeValue": "secretsmanager.amazonaws.com"}],
                   "StartTime": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},
                  {}):
        with pytest.raises(ClientError) as e:
            ct.lookup_events(MaxResults=1, NextToken=page1["NextToken"], **other)
        assert e.value.response["Error"]["Code"] == "InvalidNextTokenException", other
    one = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventId",
                                              "AttributeValue": ev["EventId"]}])
    assert [e["EventId"] for e in one["Events"]] == [ev["EventId"]]
    # Two attributes: AWS filters by the first and ignores the rest, without an error.
    first_only = ct.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventId", "AttributeValue": ev["EventId"]},
        {"AttributeKey": "EventName", "AttributeValue": "NoSuchEventName"}])
    assert [e["EventId"] for e in first_only["Events"]] == [ev["EventId"]]
    with pytest.raises(ClientError) as e:
        ct.lookup_events(NextToken="not-a-token")
    assert e.value.response["Error"]["Code"] == "InvalidNextTokenException"
    with pytest.raises(ClientError) as e:  # the API reference's error for start after end
        ct.lookup_events(StartTime=datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc),
                         EndTime=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    assert e.value.response["Error"]["Code"] == "InvalidTimeRangeException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    env = {"PATH": "/usr/bin:/bin", "HOME": str(srv.data_dir), "AWS_ACCESS_KEY_ID": ROOT_AKID,
           "AWS_SECRET_ACCESS_KEY": ROOT_SECRET, "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    p = run_aws(["--endpoint-url", srv.endpoint, "--region", "us-east-1", "--output", "json",
                 "cloudtrail", "lookup-events", "--lookup-attributes",
                 "AttributeKey=EventName,AttributeValue=CreateSecret"], env, srv.data_dir)
    assert p.returncode == 0, p.stderr
    names = {e["EventName"] for e in json.loads(p.stdout)["Events"]}
    assert names == {"CreateSecret"}


def test_lookup_attribute_value_and_time_bounds_as_the_api_reference_gives_them(srv):
    """LookupAttribute.AttributeValue: 1-2000 characters in the model (botocore 1.43's
    LookupAttributeValue), refused in its validation wording; within them, '_', ' ', ',' and
    newlines count as two towards the 2000 (the API reference's LookupAttribute), and a value
    over that is a lookup attribute that is not valid (InvalidLookupAttributesException, the
    model's error for it). A StartTime or EndTime outside the possible values is
    InvalidTimeRangeException, as the model documents that error."""
    ct = client(srv, "cloudtrail")

    def lookup(value):
        return ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                   "AttributeValue": value}])

    for value, shown in (("x" * 2001, "x" * 2001), ("", "")):
        with pytest.raises(ClientError) as e:
            lookup(value)
        bound = "less than or equal to 2000" if value else "greater than or equal to 1"
        assert e.value.response["Error"] == {
            "Code": "ValidationException",
            "Message": f"1 validation error detected: Value '{shown}' at "
                       "'lookupAttributes.1.member.attributeValue' failed to satisfy "
                       f"constraint: Member must have length {bound}"}
    assert lookup("é" * 2000)["Events"] == []  # characters, not bytes
    assert lookup("_" * 1000)["Events"] == []  # 2000 as counted
    for value in ("_" * 1001, "a b,c" * 334, "\n" * 1001):
        with pytest.raises(ClientError) as e:
            lookup(value)
        assert e.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # Beyond what a datetime can say: a raw request.
    for member in ("StartTime", "EndTime"):
        r = raw_call(srv.endpoint, None, {member: 1e14}, akid=ROOT_AKID, secret=ROOT_SECRET,
                     service="cloudtrail",
                     target="com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")
        assert r.status_code == 400 and error_code(r) == "InvalidTimeRangeException", r.text


@pytest.mark.sqlite_only("the audit sink writes local files whatever the store; one pass is enough")
def test_fail_closed_refuses_calls_when_records_cannot_be_made_durable(tmp_path):
    data = tmp_path / "full"
    (data / "audit").mkdir(parents=True)
    (data / "audit" / f"{NODE}.000001.jsonl").symlink_to("/dev/full")  # a full disk
    s = start(tmp_path, "full")
    try:
        sm = client(s, "secretsmanager")
        for _ in range(2):  # the first is refused after it ran; the next before it runs
            with pytest.raises(ClientError) as e:
                sm.list_secrets()
            assert e.value.response["Error"]["Code"] == "ServiceUnavailableException"
            assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    finally:
        s.stop()
    s = start(tmp_path, "full", "--audit-file", "fail-open")
    try:
        assert "SecretList" in client(s, "secretsmanager").list_secrets()  # served, loss logged
    finally:
        s.stop()


def _operator(s, op, body="{}"):
    import requests
    token = (s.data_dir / "operator.token").read_text().strip()
    return requests.post(f"{s.endpoint}/_arcana/operator/{op}", data=body, timeout=30,
                         headers={"X-Arcana-Operator-Token": token})


def _seal_status(s):
    import requests
    return requests.get(f"{s.endpoint}/_arcana/seal-status", timeout=10).json()


@pytest.mark.sqlite_only("the audit sink writes local files whatever the store; one pass is enough")
def test_operator_actions_are_fail_closed_but_seal_still_seals(tmp_path):
    """Operator actions follow the API's rule: an action the trail cannot record is refused
    (503) before it runs. Seal is the exception: it seals, and its answer says it is
    unrecorded."""
    data = tmp_path / "full"
    (data / "audit").mkdir(parents=True)
    (data / "audit" / f"{NODE}.000001.jsonl").symlink_to("/dev/full")  # a full disk
    s = start(tmp_path, "full")
    try:
        root_before = _seal_status(s)["root_key_id"]
        r = _operator(s, "rotate-root")
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "ServiceUnavailableException"
        assert _seal_status(s)["root_key_id"] == root_before  # no rotation ran
        r = _operator(s, "seal")
        assert r.status_code == 200, r.text
        assert r.json()["sealed"] is True and "audit trail" in r.json()["audit_warning"]
        r = _operator(s, "unseal")  # within the second the failed record refuses calls
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "ServiceUnavailableException"
        assert _seal_status(s)["sealed"] is True  # refused before it ran
    finally:
        s.stop()


@pytest.mark.sqlite_only("the audit sink writes local files whatever the store; one pass is enough")
def test_root_rotation_is_on_record_before_it_runs(tmp_path):
    s = start(tmp_path, "rot")
    try:
        r = _operator(s, "rotate-root")
        assert r.status_code == 200, r.text
    finally:
        s.stop()
    ops = [r for r in records(s.data_dir) if r["eventSource"] == "arcana.operator"]
    assert [r["eventName"] for r in ops] == ["RotateRoot", "RotateRoot"]
    assert ops[0]["serviceEventDetails"] == {"phase": "started"}
    assert "additionalEventData" not in ops[0]  # the rewrap's changes: the final record's
    assert "serviceEventDetails" not in ops[1] and "errorCode" not in ops[1]


@pytest.mark.sqlite_only("tampering edits local audit files; the store only holds the public key")
def test_verify_catches_each_kind_of_tampering(tmp_path):
    s = start(tmp_path, "t")
    sm = client(s, "secretsmanager")
    for i in range(4):
        sm.create_secret(Name=f"t/{i}", SecretString=f"v{i}")
    # An operator action is recorded too (seal + unseal with the operator token).
    token = (s.data_dir / "operator.token").read_text().strip()
    import requests
    for op in ("seal", "unseal"):
        r = requests.post(f"{s.endpoint}/_arcana/operator/{op}", data="{}",
                          headers={"X-Arcana-Operator-Token": token}, timeout=10)
        assert r.status_code == 200, r.text
    s.stop()  # the closing digest covers every record
    data = s.data_dir
    recs = records(data)
    assert [r["eventName"] for r in recs if r["eventSource"] == "arcana.operator"] == \
        ["Seal", "Unseal"]
    assert all(r["eventType"] == "AwsServiceEvent" for r in recs
               if r["eventSource"] == "arcana.operator")

    # An offline CLI action is recorded in the CLI's own file set, signed too.
    cli(data, "access-key", "create", check=0)
    ok = cli(data, "audit", "verify", check=0)
    assert f"node {NODE}: OK" in ok.stdout
    assert "node cli-" in ok.stdout and "1 signed digests" in ok.stdout, ok.stdout
    assert ["CreateAccessKey"] == [
        json.loads(l)["eventName"] for f in (data / "audit").glob("cli-*.0*.jsonl")
        for l in f.read_text().splitlines()]
    # The files (a PostgreSQL store's index is test_audit_changes' cluster case).
    files = ["audit", "--audit-dir", str(data / "audit")]
    search = cli(data, *files, "search", "--event-name", "CreateSecret", "--resource", "t/2",
                 check=0)
    assert [json.loads(l)["eventName"] for l in search.stdout.splitlines()] == ["CreateSecret"]
    tail = cli(data, *files, "tail", "-n", "3", check=0)  # newest last; ties of one second
    names = [json.loads(l)["eventName"] for l in tail.stdout.splitlines()]  # order by node
    assert len(names) == 3 and {"Seal", "Unseal"} <= set(names), names

    rec_file = data / "audit" / f"{NODE}.000001.jsonl"
    dig_file = data / "audit" / f"{NODE}.digests.jsonl"
    original, digests = rec_file.read_text().splitlines(), dig_file.read_text().splitlines()

    def expect_failure(lines, dlines, words):
        rec_file.write_text("\n".join(lines) + "\n")
        dig_file.write_text("\n".join(dlines) + "\n")
        p = cli(data, "audit", "verify")
        assert p.returncode != 0, p.stdout
        assert words in p.stdout, p.stdout

    altered = list(original)
    i = next(i for i, l in enumerate(altered) if '"t/1"' in l)  # after the start's record
    altered[i] = altered[i].replace('"t/1"', '"t/X"')
    expect_failure(altered, digests, "altered")
    expect_failure(original[:2] + original[3:], digests, "missing (removed)")
    swapped = list(original)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    expect_failure(swapped, digests, "missing (removed)")
    expect_failure(original[:3] + [original[1]] + original[3:], digests, "reordered or inserted")
    expect_failure(original[:-1], digests, "records removed")
    # A second run adds digests; dropping the first one is a gap.
    rec_file.write_text("\n".join(original) + "\n")
    dig_file.write_text("\n".join(digests) + "\n")
    s = start(tmp_path, "t")
    client(s, "secretsmanager").list_secrets()
    s.stop()
    digests = dig_file.read_text().splitlines()
    assert len(digests) >= 2
    original = rec_file.read_text().splitlines()
    expect_failure(original, digests[1:], "digest gap")


@pytest.mark.sqlite_only("a job's record is written by the node that ran it, whatever the store")
def test_background_job_actions_are_recorded_as_service_events(srv):
    import datetime as dt
    # Two seconds ahead: the format drops the fraction, so this is at least one second ahead
    # when the server reads it (one second ahead could be in the past by then).
    when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")
    policy = '[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"%s"}}]' % when
    client(srv, "ssm").put_parameter(Name="/audit/expiring", Value="expiring-value",
                                     Type="String", Tier="Advanced", Policies=policy)
    deadline = time.monotonic() + 15  # ssm.expiry runs every 10 s
    found = []
    while time.monotonic() < deadline and not found:
        found = [r for r in records(srv.data_dir) if r["eventName"] == "DeleteParameter"]
        time.sleep(0.5)
    assert found, "no DeleteParameter service event within 15 s"
    r = found[-1]
    assert r["eventType"] == "AwsServiceEvent" and r["eventSource"] == "ssm.amazonaws.com"
    assert r["userIdentity"]["type"] == "AWSService"
    assert r["resources"][0]["ARN"].endswith("parameter/audit/expiring")


@pytest.mark.sqlite_only("the HTTP sink does not depend on the store; one pass is enough")
def test_http_sink_receives_batches_and_fail_closed_refuses_when_it_cannot(tmp_path):
    import http.server
    import threading

    received = []
    silent = threading.Event()  # set: accept, read, never answer
    release = threading.Event()

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if silent.is_set():
                release.wait(120)
                return
            received.append((self.path, json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{collector.server_address[1]}/audit/in"
    s = start(tmp_path, "http", "--audit-http-url", url, "--audit-http-mode", "fail-closed")
    try:
        sm = client(s, "secretsmanager")
        sm.create_secret(Name="http/a", SecretString="http-sink-canary-31")
        # Fail-closed: delivered before the answer, as a JSON array of records.
        events = [e for path, batch in received for e in batch if path == "/audit/in"]
        assert any(e["eventName"] == "CreateSecret" for e in events), events
        assert all(b"http-sink-canary-31" not in json.dumps(batch).encode()
                   for _, batch in received)
        # An endpoint that stops answering costs a bounded wait (5 s per attempt, 10 s per
        # batch), then the call is refused, and the next one at once.
        silent.set()
        began = time.monotonic()
        with pytest.raises(ClientError) as e:
            sm.list_secrets()
        assert e.value.response["Error"]["Code"] == "ServiceUnavailableException"
        assert time.monotonic() - began < 20
        began = time.monotonic()
        with pytest.raises(ClientError) as e:
            sm.list_secrets()
        assert e.value.response["Error"]["Code"] == "ServiceUnavailableException"
        assert time.monotonic() - began < 2
        release.set()
        silent.clear()
        collector.shutdown()
        collector.server_close()
        with pytest.raises(ClientError) as e:
            sm.list_secrets()
        assert e.value.response["Error"]["Code"] == "ServiceUnavailableException"
    finally:
        release.set()
        s.stop()


def test_records_a_crash_took_from_the_file_come_back_from_the_write_ahead_log(tmp_path):
    """Each group of records is made durable in <node>.wal before the calls are answered; the
    JSON-lines file is synced later. Lines lost from the file (a machine crash before that
    sync) are reported by `arcana audit verify` and appended back when the node starts."""
    s = start(tmp_path, "data")
    sm = client(s, "secretsmanager")
    sm.create_secret(Name="wal/1", SecretString="v-" + os.urandom(8).hex())
    for _ in range(3):
        sm.get_secret_value(SecretId="wal/1")
    s.kill9()
    data = s.data_dir
    rec_file = data / "audit" / f"{NODE}.000001.jsonl"
    assert (data / "audit" / f"{NODE}.wal").stat().st_size == 4 << 20
    written = rec_file.read_text().splitlines()
    assert [json.loads(l)["eventName"] for l in written[-3:]] == ["GetSecretValue"] * 3
    rec_file.write_text("\n".join(written[:-3]) + "\n")  # what the page cache had not written
    p = cli(data, "audit", "verify")
    assert p.returncode == 1, p.stdout
    first_lost = json.loads(written[-3])["arcanaSequence"]
    assert (f"FAILED node {NODE}: its write-ahead log holds records {first_lost} to "
            f"{first_lost + 2} that its files lack") in p.stdout, p.stdout
    s.start()
    client(s, "secretsmanager").list_secrets()
    s.stop()
    now = rec_file.read_text().splitlines()
    assert now[:len(written)] == written  # restored byte for byte, in order, before new ones
    assert json.loads(now[-1])["eventName"] == "ListSecrets"
    p = cli(data, "audit", "verify")
    assert p.returncode == 0 and f"node {NODE}: OK" in p.stdout, p.stdout


def rechain(lines: list[str]) -> list[str]:
    """What anyone who can write the files can do: recompute the unkeyed hash chain."""
    import re
    out, prev = [], "0" * 64
    for line in lines:
        line = re.sub(r'"arcanaPreviousHash":"[0-9a-f]{64}"', f'"arcanaPreviousHash":"{prev}"',
                      line)
        out.append(line)
        prev = hashlib.sha256(line.encode()).hexdigest()
    return out


def test_verify_fails_when_digests_or_a_whole_node_are_missing(tmp_path):
    """The store remembers each node's newest digest: removing the digest file or its newest
    lines (to rewrite the records they signed) fails, and so does a node the store never
    knew. Unsigned newest records are compared with the write-ahead log's copies."""
    s = start(tmp_path, "d")
    sm = client(s, "secretsmanager")
    sm.create_secret(Name="prod/db", SecretString="v-" + os.urandom(8).hex())
    sm.get_secret_value(SecretId="prod/db")
    s.stop()
    s.start()  # a second run: a second digest
    client(s, "secretsmanager").get_secret_value(SecretId="prod/db")
    s.stop()
    data = s.data_dir
    rec_file = data / "audit" / f"{NODE}.000001.jsonl"
    dig_file = data / "audit" / f"{NODE}.digests.jsonl"
    lines, digests = rec_file.read_text().splitlines(), dig_file.read_text().splitlines()
    assert len(digests) == 2
    cli(data, "audit", "verify", check=0)
    forged = rechain([l.replace('"eventName":"GetSecretValue"', '"eventName":"ListSecrets"')
                      for l in lines])

    def verify_after(record_lines, digest_lines, words):
        rec_file.write_text("\n".join(record_lines) + "\n")
        if digest_lines is None:
            dig_file.unlink()
        else:
            dig_file.write_text("".join(d + "\n" for d in digest_lines))
        p = cli(data, "audit", "verify")
        assert p.returncode == 1 and words in p.stdout, p.stdout

    verify_after(forged, None, f"FAILED node {NODE}: the store records its digest 2")
    signed_by_first = json.loads(digests[0])["lastSequence"]
    forged_tail = rechain([
        l if json.loads(l)["arcanaSequence"] <= signed_by_first
        else l.replace('"eventName":"GetSecretValue"', '"eventName":"ListSecrets"')
        for l in lines])
    assert forged_tail != lines
    verify_after(forged_tail, digests[:1], "but its digest file ends at digest 1")
    rec_file.write_text("\n".join(lines) + "\n")
    dig_file.write_text("\n".join(digests) + "\n")
    cli(data, "audit", "verify", check=0)

    # A node this store never knew, self-chained, no digest: forged.
    ghost = rechain([l for l in lines if '"GetSecretValue"' in l][:1])
    (data / "audit" / "ghost.000001.jsonl").write_text(ghost[0].replace(
        '"arcanaSequence":' + str(json.loads(ghost[0])["arcanaSequence"]),
        '"arcanaSequence":1') + "\n")
    p = cli(data, "audit", "verify")
    assert p.returncode == 1 and "FAILED node ghost: 1 records, but the store has never known" \
        in p.stdout, p.stdout
    (data / "audit" / "ghost.000001.jsonl").unlink()

    # Killed before its next digest: the newest records are unsigned, but the write-ahead log
    # still holds them as they were written.
    s.start()
    client(s, "secretsmanager").describe_secret(SecretId="prod/db")
    s.kill9()
    now = rec_file.read_text().splitlines()
    assert json.loads(now[-1])["eventName"] == "DescribeSecret"
    rec_file.write_text("\n".join(now[:-1] + [now[-1].replace(
        '"eventName":"DescribeSecret"', '"eventName":"ListSecrets"')]) + "\n")
    p = cli(data, "audit", "verify")
    assert p.returncode == 1 and "is not the record its write-ahead log holds (altered)" \
        in p.stdout, p.stdout

    # A record forged after the newest one (unsigned, chained on): the log never held it.
    forged_after = now + rechain(now + [now[-1].replace(
        '"arcanaSequence":' + str(len(now)), '"arcanaSequence":' + str(len(now) + 1)).replace(
        '"eventName":"DescribeSecret"', '"eventName":"DeleteSecret"')])[-1:]
    rec_file.write_text("\n".join(forged_after) + "\n")
    p = cli(data, "audit", "verify")
    assert p.returncode == 1 and f"(sequence {len(now) + 1}) is newer than the newest record " \
        f"its write-ahead log holds ({len(now)})" in p.stdout, p.stdout
    rec_file.write_text("\n".join(now) + "\n")
    assert cli(data, "audit", "verify").returncode == 0


@pytest.mark.sqlite_only("removes the digest key from the SQLite store's meta table")
def test_verify_fails_when_the_digest_key_is_removed_with_the_digests(tmp_path):
    """The digest key is published with the first signature: a store that records a node's
    digests but holds no key had it removed, so that rewritten records and removed digests
    pass as 'no digest yet'."""
    import sqlite3
    s = start(tmp_path, "k")
    client(s, "secretsmanager").create_secret(Name="k/a", SecretString="v")
    s.stop()
    data = s.data_dir
    rec_file = data / "audit" / f"{NODE}.000001.jsonl"
    lines = rec_file.read_text().splitlines()
    rec_file.write_text("\n".join(rechain(
        [l.replace('"eventName":"CreateSecret"', '"eventName":"ListSecrets"') for l in lines]))
        + "\n")
    (data / "audit" / f"{NODE}.digests.jsonl").unlink()
    (data / "audit" / f"{NODE}.wal").unlink()
    with sqlite3.connect(data / "arcana.db") as db:
        assert db.execute("DELETE FROM meta WHERE key = 'audit.digest_public_key'").rowcount == 1
    p = cli(data, "audit", "verify")
    assert p.returncode == 1 and f"FAILED node {NODE}: the store records its digest 1" in p.stdout \
        and "holds no digest key" in p.stdout, p.stdout


def test_text_cut_or_sent_as_invalid_utf8_stays_a_readable_record(tmp_path):
    """Strings are cut at 1024 bytes on a character boundary and bytes that are not UTF-8
    (a raw User-Agent) become U+FFFD: the record verifies, LookupEvents finds it and the node
    restarts after a kill with it as its last record."""
    import socket
    s = start(tmp_path, "u")
    sm = client(s, "secretsmanager")
    sm.create_secret(Name="utf8/cut", SecretString="x", Description="a" * 1023 + "é" + "b" * 10)
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.ListSecrets\r\n"
                 b"Content-Type: application/x-amz-json-1.1\r\nUser-Agent: curl\xff\xc3\r\n"
                 b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
    assert sock.recv(4096).startswith(b"HTTP/1.1 ")
    sock.close()
    s.kill9()
    raw = (s.data_dir / "audit" / f"{NODE}.000001.jsonl").read_bytes()
    raw.decode("utf-8")  # every byte written is UTF-8
    recs = records(s.data_dir)
    created = next(r for r in recs if r["eventName"] == "CreateSecret")
    assert created["requestParameters"]["description"] == "a" * 1023
    assert any(r["userAgent"] == "curl\ufffd\ufffd" for r in recs)
    s.start()  # the last record is readable: the node resumes its chain
    try:
        ct = client(s, "cloudtrail")
        got = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                  "AttributeValue": "CreateSecret"}])
        assert [e["EventName"] for e in got["Events"]] == ["CreateSecret"]
    finally:
        s.stop()
    p = cli(s.data_dir, "audit", "verify")
    assert p.returncode == 0 and f"node {NODE}: OK" in p.stdout, p.stdout


def test_lookup_events_is_authorized_like_every_other_call(srv):
    iam = client(srv, "iam")
    iam.create_user(UserName="ct-nobody")
    key = iam.create_access_key(UserName="ct-nobody")["AccessKey"]
    ct = client(srv, "cloudtrail", key["AccessKeyId"], key["SecretAccessKey"])
    deadline = time.time() + 10
    while True:  # a new key is usable once the server's identity cache has it
        try:
            ct.lookup_events(MaxResults=1)
            pytest.fail("a user without a policy read the audit trail")
        except ClientError as e:
            if e.response["Error"]["Code"] != "AccessDeniedException" and time.time() < deadline:
                time.sleep(0.2)
                continue
            assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
            assert "is not authorized to perform: cloudtrail:LookupEvents" in \
                e.response["Error"]["Message"], e.response
            break
    iam.put_user_policy(UserName="ct-nobody", PolicyName="read-trail", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]}))
    assert ct.lookup_events(MaxResults=1)["Events"]


def test_offline_iam_and_function_commands_record_themselves(tmp_path):
    """`arcana iam create-user` (user, inline policy, access key) and `arcana functions
    create|delete` are operator actions like `access-key create`: each leaves a record in the
    CLI's file set, claiming the store changes it made, and verify agrees with the store."""
    s = start(tmp_path, "o")
    client(s, "secretsmanager").list_secrets()
    s.stop()
    data = s.data_dir
    policy = tmp_path / "admin.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    made = cli(data, "iam", "create-user", "mallory", "--policy-file", str(policy), check=0)
    key_id = made.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0]
    cli(data, "functions", "create", "evil", "--exec", "/bin/true", check=0)
    cli(data, "functions", "delete", "evil", check=0)
    recs = [json.loads(l) for f in sorted((data / "audit").glob("cli-*.0*.jsonl"))
            for l in f.read_text().splitlines()]
    assert [r["eventName"] for r in recs] == ["CreateUser", "CreateFunction", "DeleteFunction"]
    user = recs[0]
    assert user["eventSource"] == "arcana.operator"
    assert user["requestParameters"] == {"UserName": "mallory", "PolicyName": "arcana-cli",
                                         "AccessKeyId": key_id}
    assert {r["ARN"] for r in user["resources"]} == \
        {"arn:aws:iam::123456789012:user/mallory", key_id}
    assert len(user["additionalEventData"]["changeSequence"]) >= 3
    assert "SecretAccessKey" not in json.dumps(user)
    fn_arn = "arn:aws:lambda:us-east-1:123456789012:function:evil"
    assert [r["ARN"] for r in recs[1]["resources"]] == [fn_arn]
    assert recs[2]["requestParameters"] == {"FunctionName": "evil"}
    p = cli(data, "audit", "verify", check=0)
    assert "store changes: OK" in p.stdout, p.stdout


def test_lookup_events_reads_only_nodes_the_store_knows(tmp_path):
    """A file set dropped into audit/ under a node name the store never knew is not this
    store's trail (verify reports it as forged): LookupEvents does not answer its records."""
    s = start(tmp_path, "ghost-lookup")
    sm = client(s, "secretsmanager")
    sm.create_secret(Name="audit/ghost", SecretString="v-" + os.urandom(8).hex())
    s.stop()
    audit_dir = s.data_dir / "audit"
    real = [json.loads(l) for l in (audit_dir / f"{NODE}.000001.jsonl").read_text().splitlines()]
    created = next(r for r in real if r["eventName"] == "CreateSecret")
    forged = dict(created, eventName="DeleteSecret", eventID="11111111-2222-3333-4444-555555555555",
                  arcanaSequence=1, arcanaPreviousHash="0" * 64)
    (audit_dir / "ghost.000001.jsonl").write_text(json.dumps(forged, separators=(",", ":")) + "\n")
    s.start()
    ct = client(s, "cloudtrail")
    got = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName",
                                              "AttributeValue": "audit/ghost"}])
    assert [e["EventName"] for e in got["Events"]] == ["CreateSecret"]
    got = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventId",
                                              "AttributeValue": forged["eventID"]}])
    assert got["Events"] == []
    s.stop()


def test_retention_removes_old_files_behind_a_signed_digest_and_verify_still_passes(tmp_path):
    """--audit-retention-days: record files last written longer ago than that go (never the
    open one), after a signed retention digest names the last record removed; verify passes
    and says so, and removing a kept file is still caught. On a PostgreSQL store the files
    stay until the store's index has their records (LookupEvents keeps answering them)."""
    args = ("--audit-max-file-mb", "1", "--audit-retention-days", "1")
    s = start(tmp_path, "r", *args)
    sm = client(s, "secretsmanager")
    arn = sm.create_secret(Name="ret/1", SecretString="v-" + os.urandom(8).hex())["ARN"]
    long_id = "ret/" + "x" * 500  # each refusal's record carries the id: about 1.5 KB
    from concurrent.futures import ThreadPoolExecutor

    def miss(_):
        c = client(s, "secretsmanager")
        for _ in range(150):
            with pytest.raises(ClientError):
                c.describe_secret(SecretId=long_id)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(miss, range(8)))
    s.stop()
    audit_dir = s.data_dir / "audit"
    files = sorted(audit_dir.glob(f"{NODE}.0*.jsonl"))
    assert len(files) >= 2, files
    two_days_ago = time.time() - 2 * 86400
    for f in files[:-1]:
        os.utime(f, (two_days_ago, two_days_ago))
    s.start()
    deadline = time.time() + 30
    while files[0].exists() and time.time() < deadline:
        time.sleep(0.2)
    assert not any(f.exists() for f in files[:-1]), sorted(audit_dir.glob(f"{NODE}.0*.jsonl"))
    sm = client(s, "secretsmanager")
    sm.get_secret_value(SecretId="ret/1")
    found = client(s, "cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": arn}])["Events"]
    assert [e["EventName"] for e in found][:1] == ["GetSecretValue"]
    s.stop()
    digests = [json.loads(l) for l in (audit_dir / f"{NODE}.digests.jsonl").read_text().splitlines()]
    retention = [d for d in digests if "prunedThroughSequence" in d]
    assert len(retention) == 1
    kept = sorted(audit_dir.glob(f"{NODE}.0*.jsonl"))
    first_kept = json.loads(kept[0].read_text().splitlines()[0])
    assert first_kept["arcanaSequence"] == retention[0]["prunedThroughSequence"] + 1
    assert first_kept["arcanaPreviousHash"] == retention[0]["prunedThroughHash"]
    p = cli(s.data_dir, "audit", "verify")
    assert p.returncode == 0, p.stdout + p.stderr
    assert (f"node {NODE}: OK" in p.stdout and
            f"(records 1..{retention[0]['prunedThroughSequence']} removed by retention)"
            in p.stdout), p.stdout
    # What retention did not vouch for is still a removal.
    lines = kept[0].read_text().splitlines()
    kept[0].write_text("\n".join(lines[1:]) + "\n")
    p = cli(s.data_dir, "audit", "verify")
    assert p.returncode == 1 and "missing (removed)" in p.stdout, p.stdout


@pytest.mark.sqlite_only("a SQLite store's LookupEvents reads the files; PostgreSQL's index "
                         "drops records after 90 days by itself")
def test_lookup_events_answers_the_last_90_days_only(tmp_path):
    """'You can look up events that occurred in a Region within the last 90 days' (LookupEvents,
    API reference): the files keep older records (audit search reads them), answers do not."""
    import re
    s = start(tmp_path, "l")
    client(s, "secretsmanager").list_secrets()
    s.stop()
    rec_file = s.data_dir / "audit" / f"{NODE}.000001.jsonl"
    lines = rec_file.read_text().splitlines()
    template, seq = lines[-1], json.loads(lines[-1])["arcanaSequence"]
    now = datetime.datetime.now(datetime.timezone.utc)
    for days, name in ((100, "OldListSecrets100"), (80, "OldListSecrets80")):
        t = (now - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        seq += 1
        line = re.sub(r'"eventTime":"[^"]*"', f'"eventTime":"{t}"', template)
        line = line.replace('"eventName":"ListSecrets"', f'"eventName":"{name}"')
        lines.append(re.sub(r'"arcanaSequence":\d+', f'"arcanaSequence":{seq}', line))
    rec_file.write_text("\n".join(rechain(lines)) + "\n")
    s.start()
    ct = client(s, "cloudtrail")

    def names(**kw):
        return [e["EventName"] for e in ct.lookup_events(**kw)["Events"]]
    old = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    for name, found in (("OldListSecrets100", []), ("OldListSecrets80", ["OldListSecrets80"])):
        assert names(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}],
                     StartTime=old) == found
    s.stop()
    search = cli(s.data_dir, "audit", "--audit-dir", str(s.data_dir / "audit"), "search",
                 "--event-name", "OldListSecrets100", check=0)
    assert [json.loads(l)["eventName"] for l in search.stdout.splitlines()] == ["OldListSecrets100"]
