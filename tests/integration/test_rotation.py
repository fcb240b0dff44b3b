"""Rotation that really runs (issue 12): RotateSecret drives AWS's four-step protocol
(createSecret, setSecret, testSecret, finishSecret) against a rotation function registered with
`arcana functions create`, here an HTTP function written in this file (a small http.server in a
thread) that behaves like AWS's rotation templates: it builds its boto3 client from the
environment Arcana hands it (short-lived session credentials scoped to the secret, region,
SECRETS_MANAGER_ENDPOINT).

One server for the module (signature checks on, so the scoped credentials are really enforced),
retries after 1 s."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer, cli_store_args, free_port,
                      raises_code, raw_call, store_url, wait_for)
from test_events import Receiver

ARCANA_CLI = ARCANAD.parent / "arcana"
REGION = "us-east-1"


class RotationFunction:
    """An HTTP rotation function in the shape of AWS's templates. `fail` maps a step to how many
    more times it fails; `hold` maps a step to an Event it waits for first (at most 10 s). `calls` records
    (step, token) in order; `seen` the last environment; `probe` what a call outside the
    secret's scope answered."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []
        self.events: list[dict] = []
        self.use_rotation_token = False  # createSecret's PutSecretValue passes RotationToken
        self.fail: dict[str, int] = {}
        self.hold: dict[str, threading.Event] = {}
        self.seen: dict = {}
        self.probe: str | None = None
        self.other_secret: str | None = None
        self.lock = threading.Lock()
        fn = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # keep the test output quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                env = json.loads(self.headers["X-Arcana-Environment"])
                code, answer = fn.handle(json.loads(body), env)
                out = answer.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.http = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/invoke"

    def steps_for(self, token: str) -> list[str]:
        with self.lock:
            return [s for s, t in self.calls if t == token]

    def handle(self, event: dict, env: dict) -> tuple[int, str]:
        step, arn, token = event["Step"], event["SecretId"], event["ClientRequestToken"]
        with self.lock:
            self.calls.append((step, token))
            self.events.append(dict(event))
            self.seen = dict(env)
        if step in self.hold:
            self.hold[step].wait(10)
        with self.lock:
            if self.fail.get(step, 0) > 0:
                self.fail[step] -= 1
                return 500, f"{step} failed on purpose"
        sm = boto3.client("secretsmanager", endpoint_url=env["SECRETS_MANAGER_ENDPOINT"],
                          region_name=env["AWS_REGION"],
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                          aws_session_token=env["AWS_SESSION_TOKEN"],
                          config=Config(retries={"max_attempts": 1}))
        # The template's guard.
        meta = sm.describe_secret(SecretId=arn)
        if not meta.get("RotationEnabled"):
            return 400, "rotation is not enabled"
        stages = meta["VersionIdsToStages"]
        if token not in stages:
            return 400, "no such version"
        if "AWSCURRENT" in stages[token]:
            return 200, "already current"
        if "AWSPENDING" not in stages[token]:
            return 400, "not pending"
        if step == "createSecret":
            sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
            try:
                sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ResourceNotFoundException"
                pw = sm.get_random_password(ExcludeCharacters="/@\"'\\")["RandomPassword"]
                if self.use_rotation_token:  # newer than Debian's botocore: a raw request
                    r = raw_call(env["SECRETS_MANAGER_ENDPOINT"], "PutSecretValue",
                                 {"SecretId": arn, "ClientRequestToken": token,
                                  "SecretString": json.dumps({"password": pw}),
                                  "VersionStages": ["AWSPENDING"],
                                  "RotationToken": event["RotationToken"]},
                                 region=env["AWS_REGION"], akid=env["AWS_ACCESS_KEY_ID"],
                                 secret=env["AWS_SECRET_ACCESS_KEY"],
                                 extra_headers={"X-Amz-Security-Token": env["AWS_SESSION_TOKEN"]})
                    if r.status_code != 200:
                        return 500, "PutSecretValue: " + r.text
                else:
                    sm.put_secret_value(SecretId=arn, ClientRequestToken=token,
                                        SecretString=json.dumps({"password": pw}),
                                        VersionStages=["AWSPENDING"])
            # Scoped credentials: another secret is out of reach.
            if self.other_secret:
                try:
                    sm.get_secret_value(SecretId=self.other_secret)
                    self.probe = "allowed"
                except ClientError as e:
                    self.probe = e.response["Error"]["Code"]
            # Output goes to the function's log: echo what must never land there.
            return 200, "created; key " + env["AWS_SECRET_ACCESS_KEY"]
        if step in ("setSecret", "testSecret"):
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            return 200, step + " ok"
        if step == "finishSecret":
            current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
            sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                           MoveToVersionId=token, RemoveFromVersionId=current)
            return 200, "finished"
        return 400, "unknown step"

    def close(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture(scope="module")
def rot(tmp_path_factory):
    root = tmp_path_factory.mktemp("rotation")
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    srv = ArcanaServer(root / "data", root / "logs", dev=False, env=env,
                       args=["--rotation-retry-seconds", "1"])
    srv.start()
    fn = RotationFunction()
    name = "http-rotator"
    out = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir), "functions", "create",
                          name, "--url", fn.url, "--timeout", "10", "--env", "STAGE=test"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    arn = out.stdout.strip()
    assert arn == f"arn:aws:lambda:{REGION}:123456789012:function:{name}"
    listed = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir), "functions", "list"],
                            capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0 and arn in listed.stdout, listed.stderr
    sm = boto3.client("secretsmanager", endpoint_url=srv.endpoint, region_name=REGION,
                      aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                      config=Config(retries={"max_attempts": 1}))
    yield srv, sm, fn, arn
    fn.close()
    srv.stop()


def stages(sm, name) -> dict:
    return sm.describe_secret(SecretId=name).get("VersionIdsToStages", {})


def new_secret(sm, value="v1") -> tuple[str, str]:
    name = "rot/" + uuid.uuid4().hex[:10]
    v1 = sm.create_secret(Name=name, SecretString=value)["VersionId"]
    return name, v1


def wait_current(sm, name, token, timeout=15):
    wait_for(lambda: "AWSCURRENT" in stages(sm, name).get(token, []), timeout=timeout,
             what=f"{token} to become AWSCURRENT")


def rotation_events_of(srv, name) -> list[str]:
    """The Rotation* service events the audit trail holds for secret `name`, in order."""
    events = [json.loads(line) for f in sorted((srv.data_dir / "audit").glob("*.jsonl"))
              if ".digests." not in f.name for line in f.read_text().splitlines()]
    return [e["eventName"] for e in events
            if any(r.get("ARN", "").startswith(f"arn:aws:secretsmanager:{REGION}:123456789012:secret:{name}-")
                   for r in e.get("resources", []))
            and e["eventName"].startswith("Rotation")]


def test_rotate_runs_the_four_steps_with_scoped_credentials(rot):
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    other, _ = new_secret(sm, "not yours")
    fn.other_secret = other
    token = str(uuid.uuid4())
    r = sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn,
                         RotationRules={"AutomaticallyAfterDays": 30})
    assert r["VersionId"] == token  # answered once started, as AWS does
    wait_current(sm, name, token)
    assert fn.steps_for(token) == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    st = stages(sm, name)
    assert st[v1] == ["AWSPREVIOUS"]
    assert "AWSCURRENT" in st[token]
    new_value = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"]
    assert len(new_value) == 32
    # Recorded once the run saw finishSecret's result.
    d = wait_for(lambda: (lambda d: "LastRotatedDate" in d and d)(sm.describe_secret(SecretId=name)),
                 what="LastRotatedDate")
    assert d["RotationEnabled"] is True
    last = d["LastRotatedDate"].timestamp()
    assert abs(last - time.time()) < 60
    # NextRotationDate is newer than Debian's botocore: read it from the raw response.
    body = raw_call(srv.endpoint, "DescribeSecret", {"SecretId": name}, akid=ROOT_AKID,
                    secret=ROOT_SECRET).json()
    assert 29 * 86400 < body["NextRotationDate"] - time.time() < 32 * 86400
    env = fn.seen
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and env["AWS_SESSION_TOKEN"]
    assert env["SECRETS_MANAGER_ENDPOINT"] == env["AWS_ENDPOINT_URL"] == srv.endpoint
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["STAGE"] == "test"  # registered with --env
    assert fn.probe == "AccessDeniedException"
    # The session may do nothing outside the rotation role's actions on that secret.
    scoped = boto3.client("secretsmanager", endpoint_url=srv.endpoint, region_name=REGION,
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                          aws_session_token=env["AWS_SESSION_TOKEN"],
                          config=Config(retries={"max_attempts": 1}))
    with raises_code("AccessDeniedException"):
        scoped.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    # The function's log has its output, never the credentials Arcana sent.
    logs = list((srv.data_dir / "functions").glob("*-http-rotator.log"))
    assert len(logs) == 1
    text = logs[0].read_text()
    assert "step=finishSecret ok" in text and "created; key ***" in text
    assert env["AWS_SECRET_ACCESS_KEY"] not in text and env["AWS_SESSION_TOKEN"] not in text
    assert new_value not in srv.log_tail(100000)


def test_failing_step_keeps_current_and_is_retried_with_the_same_token(rot):
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    token = str(uuid.uuid4())
    fn.fail["setSecret"] = 1000  # until released below
    try:
        sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
        wait_for(lambda: fn.steps_for(token)[:2] == ["createSecret", "setSecret"], what="setSecret")
        # Failed: AWSCURRENT untouched, the pending version kept for the retry; a new rotation
        # meanwhile is refused.
        st = stages(sm, name)
        assert st[v1] == ["AWSCURRENT"] and st[token] == ["AWSPENDING"]
        with raises_code("InvalidRequestException"):
            sm.rotate_secret(SecretId=name, ClientRequestToken=str(uuid.uuid4()))
    finally:
        fn.fail.clear()
    wait_current(sm, name, token)
    # Retried (1 s, then 2 s, ... apart) with the same token until setSecret passed.
    steps = fn.steps_for(token)
    failures = (len(steps) - 4) // 2
    assert failures >= 1
    assert steps == ["createSecret", "setSecret"] * failures + ["createSecret", "setSecret",
                                                                  "testSecret", "finishSecret"]
    assert stages(sm, name)[v1] == ["AWSPREVIOUS"]

    def rotation_events() -> list[str]:
        return rotation_events_of(srv, name)
    # finishSecret moves AWSCURRENT before the function returns; the runner records
    # RotationSucceeded only after that, so the record may trail what wait_current saw (the
    # ASan+UBSan PostgreSQL pass read the audit in that gap: [Started, Failed]).
    wait_for(lambda: "RotationSucceeded" in rotation_events(), what="RotationSucceeded in the audit")
    mine = rotation_events()
    assert mine == ["RotationStarted"] + ["RotationFailed"] * failures + ["RotationSucceeded"], mine


def test_manual_value_abandons_a_failing_rotation(rot):
    """AWS (RotationAbandoned): a manual new version abandons the rotation in progress and
    AWSPENDING leaves its version "to allow future rotations to succeed". The failed run's
    retries must not take that stale version over and make it AWSCURRENT, replacing the
    manual value with one built from the old current value."""
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    token = str(uuid.uuid4())
    fn.fail["setSecret"] = 1000  # until released below
    try:
        sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn,
                         RotationRules={"AutomaticallyAfterDays": 30})
        wait_for(lambda: fn.steps_for(token)[:2] == ["createSecret", "setSecret"], what="setSecret")
        wait_for(lambda: "RotationFailed" in rotation_events_of(srv, name), what="RotationFailed")
        assert stages(sm, name)[token] == ["AWSPENDING"]
        manual = sm.put_secret_value(SecretId=name, SecretString="manual",
                                     ClientRequestToken=str(uuid.uuid4()))["VersionId"]
        st = stages(sm, name)
        assert st[manual] == ["AWSCURRENT"] and st[v1] == ["AWSPREVIOUS"]
        assert "AWSPENDING" not in json.dumps(st), st
    finally:
        fn.fail.clear()
    ran = len(fn.steps_for(token))
    time.sleep(3.5)  # past the retries (1 s, then 2 s) the failed run had
    assert fn.steps_for(token)[ran:] == [], "the abandoned rotation ran again"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "manual"
    assert "AWSPENDING" not in json.dumps(stages(sm, name))
    events = rotation_events_of(srv, name)
    assert events[-1] == "RotationAbandoned" and events.count("RotationAbandoned") == 1, events
    # Not "A previous rotation isn't complete": a new rotation starts from the manual value.
    token2 = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token2)
    wait_current(sm, name, token2)
    assert stages(sm, name)[manual] == ["AWSPREVIOUS"]


def test_manual_value_during_a_step_stops_the_rotation(rot):
    """UpdateSecret with a new value while a step runs: no further step, the manual value
    stays AWSCURRENT, and the step's failure (its guard sees the version is no longer pending)
    is a stop, not a RotationFailed."""
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    token = str(uuid.uuid4())
    fn.hold["setSecret"] = threading.Event()
    try:
        sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
        wait_for(lambda: "setSecret" in fn.steps_for(token), what="setSecret")
        manual = sm.update_secret(SecretId=name, SecretString="manual",
                                  ClientRequestToken=str(uuid.uuid4()))["VersionId"]
    finally:
        fn.hold.pop("setSecret").set()
    wait_for(lambda: "RotationAbandoned" in rotation_events_of(srv, name), what="RotationAbandoned")
    time.sleep(1.5)
    assert fn.steps_for(token) == ["createSecret", "setSecret"]
    st = stages(sm, name)
    assert st[manual] == ["AWSCURRENT"] and "AWSPENDING" not in json.dumps(st), st
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "manual"
    assert rotation_events_of(srv, name) == ["RotationStarted", "RotationAbandoned"]


def test_rotation_functions_own_put_does_not_abandon_it(rot):
    """The function's PutSecretValue with the run's token and VersionStages=[AWSPENDING] fills
    the placeholder: the rotation goes on (no RotationAbandoned)."""
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
    wait_current(sm, name, token)
    wait_for(lambda: "RotationSucceeded" in rotation_events_of(srv, name), what="RotationSucceeded")
    assert rotation_events_of(srv, name) == ["RotationStarted", "RotationSucceeded"]


def test_event_carries_a_rotation_token_put_secret_value_checks(rot):
    """AWS's event is {"Step","SecretId","ClientRequestToken","RotationToken"}; the function
    passes RotationToken to PutSecretValue. A RotationToken for the pending version that is
    not the rotation's is refused; the token never reaches a log."""
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    token = str(uuid.uuid4())
    fn.use_rotation_token = True
    fn.hold["setSecret"] = threading.Event()
    try:
        sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
        wait_for(lambda: "setSecret" in fn.steps_for(token), what="setSecret")
        with fn.lock:
            mine = [e for e in fn.events if e["ClientRequestToken"] == token]
        assert set(mine[0]) == {"Step", "SecretId", "ClientRequestToken", "RotationToken"}
        rotation_token = mine[0]["RotationToken"]
        assert 36 <= len(rotation_token) <= 256 and rotation_token.isalnum()
        assert all(e["RotationToken"] == rotation_token for e in mine)

        def put(rt):
            return raw_call(srv.endpoint, "PutSecretValue",
                            {"SecretId": name, "ClientRequestToken": token, "SecretString": "x",
                             "VersionStages": ["AWSPENDING"], "RotationToken": rt},
                            akid=ROOT_AKID, secret=ROOT_SECRET)
        bad = put(str(uuid.uuid4()))
        assert bad.status_code == 400 and bad.json()["__type"] == "InvalidParameterException", bad.text
        # The right token passes the check (then: that version already holds another value).
        good = put(rotation_token)
        assert good.json()["__type"] == "ResourceExistsException", good.text
    finally:
        fn.hold.pop("setSecret").set()
        fn.use_rotation_token = False
    wait_current(sm, name, token)
    assert rotation_token not in srv.log_tail(100000)
    logs = list((srv.data_dir / "functions").glob("*-http-rotator.log"))
    assert all(rotation_token not in f.read_text() for f in logs)


def test_pending_retry_resumes_after_restore(rot):
    """A retry that comes due while the secret is scheduled for deletion waits; RestoreSecret
    brings the secret back with its rotation, and the pending rotation (which RotateSecret
    promises "will be reattempted") runs with its token."""
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    token = str(uuid.uuid4())
    fn.fail["setSecret"] = 1000  # until released below
    try:
        sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn,
                         RotationRules={"AutomaticallyAfterDays": 30})
        wait_for(lambda: fn.steps_for(token)[:2] == ["createSecret", "setSecret"], what="setSecret")
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
        time.sleep(0.5)  # a step under way when the delete landed ends
        ran = len(fn.steps_for(token))
        time.sleep(4)  # the retries (1 s, then 2 s) come due while the secret is deleted
        assert len(fn.steps_for(token)) == ran  # nothing runs on a deleted secret
    finally:
        fn.fail.clear()
    sm.restore_secret(SecretId=name)
    assert stages(sm, name)[token] == ["AWSPENDING"]
    wait_current(sm, name, token)
    assert fn.steps_for(token)[-4:] == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    assert stages(sm, name)[v1] == ["AWSPREVIOUS"]
    d = sm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is True and "DeletedDate" not in d


def test_rotation_outcomes_reach_an_http_event_target(rot):
    """Issue 11's alert: a rule on the rotation detections delivers "Secret Rotation Failed"
    (with the failing step) and then "Secret Rotation Succeeded" to an HTTP target."""
    srv, sm, fn, lambda_arn = rot
    receiver = Receiver()
    try:
        ev = boto3.client("events", endpoint_url=srv.endpoint, region_name=REGION,
                          aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                          config=Config(retries={"max_attempts": 1}))
        name, v1 = new_secret(sm)
        secret_arn = sm.describe_secret(SecretId=name)["ARN"]
        ev.put_rule(Name="rotation-outcomes", EventPattern=json.dumps({
            "source": ["arcana.detections"],
            "detail-type": ["Secret Rotation Failed", "Secret Rotation Succeeded"],
            "detail": {"secretArn": [secret_arn]}}))
        ev.put_targets(Rule="rotation-outcomes", Targets=[{"Id": "hook", "Arn": receiver.url}])
        token = str(uuid.uuid4())
        fn.fail["testSecret"] = 1
        sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
        wait_current(sm, name, token)
        wait_for(lambda: any(b["detail-type"] == "Secret Rotation Succeeded"
                             for b in receiver.bodies), timeout=10, what="the success event")
        kinds = [b["detail-type"] for b in receiver.bodies]
        assert kinds[0] == "Secret Rotation Failed" and kinds[-1] == "Secret Rotation Succeeded"
        failed = receiver.bodies[0]
        assert failed["detail"]["step"] == "testSecret"
        assert failed["detail"]["versionId"] == token and failed["resources"] == [secret_arn]
        ev.remove_targets(Rule="rotation-outcomes", Ids=["hook"])
        ev.delete_rule(Name="rotation-outcomes")
    finally:
        fn.fail.clear()
        receiver.stop()


def test_concurrent_rotate_secret_runs_once(rot):
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    fn.hold["setSecret"] = threading.Event()  # the winner's run waits while the others race
    tokens = [str(uuid.uuid4()) for _ in range(4)]
    results: dict[str, str] = {}

    def call(t):
        try:
            sm.rotate_secret(SecretId=name, ClientRequestToken=t, RotationLambdaARN=lambda_arn)
            results[t] = "ok"
        except ClientError as e:
            results[t] = e.response["Error"]["Code"]

    threads = [threading.Thread(target=call, args=(t,)) for t in tokens]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    fn.hold.pop("setSecret").set()
    winners = [t for t in tokens if results[t] == "ok"]
    assert len(winners) == 1, results
    assert sorted(v for v in results.values() if v != "ok") == ["InvalidRequestException"] * 3
    wait_current(sm, name, winners[0])
    assert fn.steps_for(winners[0]) == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    for t in tokens:
        if t != winners[0]:
            assert fn.steps_for(t) == []


def test_rotate_immediately_false_runs_only_test_secret(rot):
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    token = str(uuid.uuid4())
    r = sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn,
                         RotationRules={"ScheduleExpression": "rate(10 days)"},
                         RotateImmediately=False)
    assert "VersionId" not in r
    wait_for(lambda: fn.steps_for(token) == ["testSecret"], what="testSecret")
    # The placeholder it tested is removed again; nothing else changed.
    wait_for(lambda: stages(sm, name) == {v1: ["AWSCURRENT"]}, what="placeholder removed")
    d = sm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is True and "LastRotatedDate" not in d
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v1"


def test_last_rotated_date_is_not_described_once_rotation_is_disabled(rot):
    """DescribeSecret: "If the secret isn't configured for rotation or rotation has been
    disabled, Secrets Manager returns null"; ListSecrets: "null if the secret has never
    rotated", so it keeps the date. Enabling rotation again shows it again."""
    srv, sm, fn, lambda_arn = rot
    name, _ = new_secret(sm)
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
    wait_current(sm, name, token)
    last = wait_for(lambda: sm.describe_secret(SecretId=name).get("LastRotatedDate"),
                    what="LastRotatedDate")
    sm.cancel_rotate_secret(SecretId=name)
    d = sm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is False and "LastRotatedDate" not in d, d
    (listed,) = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    assert listed["LastRotatedDate"] == last
    sm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn, RotateImmediately=False)
    assert sm.describe_secret(SecretId=name)["LastRotatedDate"] == last


def test_cancel_rotate_secret_stops_the_run(rot):
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    token = str(uuid.uuid4())
    log_file = next((srv.data_dir / "functions").glob("*-http-rotator.log"))
    setsecret_before = log_file.read_text().count("step=setSecret ")
    fn.hold["setSecret"] = threading.Event()
    try:
        sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
        wait_for(lambda: "setSecret" in fn.steps_for(token), what="setSecret")
        r = sm.cancel_rotate_secret(SecretId=name)
        assert r["VersionId"] == token  # the partly rotated version
    finally:
        fn.hold.pop("setSecret").set()
    # setSecret ends (its guard now sees rotation disabled; the log line is written after it
    # returned); no further step may start.
    log_file = next((srv.data_dir / "functions").glob("*-http-rotator.log"))
    wait_for(lambda: log_file.read_text().count("step=setSecret ") >= 1 + setsecret_before,
             what="setSecret to end")
    time.sleep(0.3)
    assert fn.steps_for(token) == ["createSecret", "setSecret"]
    st = stages(sm, name)
    assert st[v1] == ["AWSCURRENT"] and st[token] == ["AWSPENDING"]  # as AWS: the caller cleans up
    assert sm.describe_secret(SecretId=name)["RotationEnabled"] is False


def test_rotate_with_an_unregistered_function_changes_nothing(rot):
    srv, sm, fn, lambda_arn = rot
    name, v1 = new_secret(sm)
    with raises_code("AccessDeniedException"):  # AWS's answer for a function it cannot invoke
        sm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn + "-missing")
    d = sm.describe_secret(SecretId=name)
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    assert d.get("RotationEnabled") in (None, False)


LAMBDA_PY = '''
import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    metadata = client.describe_secret(SecretId=arn)
    if not metadata["RotationEnabled"]:
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata["VersionIdsToStages"]
    if "AWSCURRENT" in versions[token]:
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError("not pending")
    assert context.get_remaining_time_in_millis() > 0
    if step == "createSecret":
        current = json.loads(client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
        current["password"] = client.get_random_password(ExcludeCharacters="/@\\"'\\\\")["RandomPassword"]
        client.put_secret_value(SecretId=arn, ClientRequestToken=token,
                                SecretString=json.dumps(current), VersionStages=["AWSPENDING"])
        logger.info("createSecret: Successfully put secret for ARN %s and version %s." % (arn, token))
    elif step == "finishSecret":
        current_version = next(v for v, s in versions.items() if "AWSCURRENT" in s)
        client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                           MoveToVersionId=token, RemoveFromVersionId=current_version)
        logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s." % (token, arn))
'''


def test_python_runtime_function_rotates_unchanged(rot, tmp_path):
    srv, sm, fn, _ = rot
    folder = tmp_path / "py-rotator"
    folder.mkdir()
    (folder / "lambda_function.py").write_text(LAMBDA_PY)
    out = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir), "functions", "create",
                          "py-rotator", "--python", str(folder),
                          "--handler", "lambda_function.lambda_handler"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    name, v1 = new_secret(sm, json.dumps({"username": "app", "password": "old"}))
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=out.stdout.strip())
    wait_current(sm, name, token, timeout=30)
    value = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert value["username"] == "app" and value["password"] != "old"
    log_file = srv.data_dir / "functions" / f"123456789012-{REGION}-py-rotator.log"
    # Written when the step's process has exited (just after AWSCURRENT moved).
    log = wait_for(lambda: "step=finishSecret ok" in log_file.read_text() and log_file.read_text(),
                   what="finishSecret in the function's log")
    assert "finishSecret: Successfully set AWSCURRENT stage" in log
    assert value["password"] not in log


@pytest.mark.postgresql_only("several nodes need a shared PostgreSQL store")
def test_two_nodes_run_each_rotation_once(rot, tmp_path):
    srv, sm, fn, lambda_arn = rot
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    node2 = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=False, env=env,
                         store=store_url(srv.data_dir), root_key_file=srv.data_dir / "root.key",
                         args=["--rotation-retry-seconds", "1"]).start()
    try:
        sm2 = boto3.client("secretsmanager", endpoint_url=node2.endpoint, region_name=REGION,
                           aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                           config=Config(retries={"max_attempts": 1}))
        runs = []
        for i in range(6):
            name, _ = new_secret(sm)
            token = str(uuid.uuid4())
            (sm if i % 2 else sm2).rotate_secret(SecretId=name, ClientRequestToken=token,
                                                 RotationLambdaARN=lambda_arn)
            runs.append((name, token))
        for name, token in runs:
            wait_current(sm2, name, token)
            assert fn.steps_for(token) == ["createSecret", "setSecret", "testSecret",
                                           "finishSecret"]
    finally:
        node2.stop()


@pytest.mark.sqlite_only("the rotator talks to its own PostgreSQL, not to the store: one pass")
def test_builtin_postgresql_single_user_rotator_changes_the_password(rot):
    import psycopg2
    import pg_cluster

    srv, sm, fn, _ = rot
    cluster = pg_cluster.session_cluster()
    user = "app_" + uuid.uuid4().hex[:8]
    cluster.psql(f"CREATE ROLE {user} LOGIN PASSWORD 'initial-Pw-1'")
    out = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir), "functions", "create",
                          "pg-single-user", "--builtin", "postgresql-single-user",
                          "--timeout", "20"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    secret = {"engine": "postgres", "host": "127.0.0.1", "port": cluster.port, "username": user,
              "password": "initial-Pw-1", "dbname": "postgres"}
    name, v1 = new_secret(sm, json.dumps(secret))
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=out.stdout.strip())
    wait_current(sm, name, token, timeout=40)
    new = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert new["password"] != "initial-Pw-1" and new["username"] == user
    connect = dict(host="127.0.0.1", port=cluster.port, user=user, dbname="postgres",
                   connect_timeout=5)
    psycopg2.connect(password=new["password"], **connect).close()  # the new password works
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(password="initial-Pw-1", **connect)  # the old one no longer does
    log = (srv.data_dir / "functions" / f"123456789012-{REGION}-pg-single-user.log").read_text()
    assert new["password"] not in log and "initial-Pw-1" not in log


MULTI_USER_PY = '''
import json
import os

import boto3


def lambda_handler(event, context):
    """AWS's alternating-users template in outline: the secret's JSON names its master secret
    ("masterarn"), which the function reads with its execution role's credentials."""
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    endpoint = os.environ["SECRETS_MANAGER_ENDPOINT"]
    client = boto3.client("secretsmanager", endpoint_url=endpoint)
    versions = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if "AWSCURRENT" in versions[token]:
        return
    if step == "createSecret":
        current = json.loads(client.get_secret_value(SecretId=arn,
                                                     VersionStage="AWSCURRENT")["SecretString"])
        master = json.loads(client.get_secret_value(SecretId=current["masterarn"])["SecretString"])
        try:
            client.get_secret_value(SecretId=current["unrelated"])
            probe = "allowed"
        except client.exceptions.ClientError as e:
            probe = e.response["Error"]["Code"]
        current["password"] = client.get_random_password(ExcludeCharacters="/@\\"'\\\\")["RandomPassword"]
        current["set_by"] = master["username"]
        current["unrelated_probe"] = probe
        current["caller"] = boto3.client("sts", endpoint_url=endpoint).get_caller_identity()["Arn"]
        client.put_secret_value(SecretId=arn, ClientRequestToken=token,
                                SecretString=json.dumps(current), VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        old = next(v for v, s in versions.items() if "AWSCURRENT" in s)
        client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                           MoveToVersionId=token, RemoveFromVersionId=old)
'''


def test_function_made_through_lambda_api_runs_as_its_execution_role(rot):
    """As Lambda: a function made with CreateFunction runs as the Role it declared, so an
    alternating-users rotation reads the master secret its role is allowed (Arcana ran it as a
    session scoped to the rotated secret, whose read of the master was AccessDenied: the
    rotation failed). It gets no more than the role allows (an unrelated secret stays out of
    reach), and a role Lambda cannot assume (no trust in lambda.amazonaws.com) is not run."""
    import io
    import zipfile
    srv, sm, _, _ = rot
    u = uuid.uuid4().hex[:8]
    kw = dict(endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=ROOT_AKID,
              aws_secret_access_key=ROOT_SECRET, config=Config(retries={"max_attempts": 1}))
    iam, lam = boto3.client("iam", **kw), boto3.client("lambda", **kw)
    master_arn = sm.create_secret(Name=f"rot/master-{u}", SecretString=json.dumps(
        {"username": "master", "password": "m"}))["ARN"]
    unrelated = sm.create_secret(Name=f"rot/unrelated-{u}", SecretString="x")["ARN"]
    name, v1 = new_secret(sm, json.dumps({"username": "app", "password": "old",
                                          "masterarn": master_arn, "unrelated": unrelated}))
    secret_arn = sm.describe_secret(SecretId=name)["ARN"]

    def role(role_name, service):
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": service}}]}
        arn = iam.create_role(RoleName=role_name,
                              AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=role_name, PolicyName="rotation", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Resource": secret_arn,
                 "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                            "secretsmanager:PutSecretValue",
                            "secretsmanager:UpdateSecretVersionStage"]},
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                 "Resource": master_arn},
                {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword",
                 "Resource": "*"}]}))
        return arn

    def function(fn_name, role_arn):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("lambda_function.py", MULTI_USER_PY)
        fn_arn = lam.create_function(FunctionName=fn_name, Runtime="python3.11", Role=role_arn,
                                     Handler="lambda_function.lambda_handler", Timeout=30,
                                     Code={"ZipFile": buf.getvalue()})["FunctionArn"]
        # As a real AWS user must: Secrets Manager invokes it only when its policy says so.
        lam.add_permission(FunctionName=fn_name, StatementId="SecretsManagerAccess",
                           Action="lambda:InvokeFunction",
                           Principal="secretsmanager.amazonaws.com")
        return fn_arn

    role_name, fn_name = f"rotation-exec-{u}", f"multi-user-{u}"
    fn_arn = function(fn_name, role(role_name, "lambda.amazonaws.com"))
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=fn_arn)
    wait_current(sm, name, token, timeout=30)
    value = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert value["set_by"] == "master" and value["password"] != "old"
    assert value["unrelated_probe"] == "AccessDeniedException"
    assert value["caller"] == f"arn:aws:sts::123456789012:assumed-role/{role_name}/{fn_name}"

    # A role that trusts another service only: the function is not run, AWSCURRENT stays.
    # CreateFunction refuses such a role (test_lambda_api.py), so the trust is changed after.
    ec2_fn = function(f"ec2-role-{u}", role(f"ec2-exec-{u}", "lambda.amazonaws.com"))
    iam.update_assume_role_policy(RoleName=f"ec2-exec-{u}", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    name2, v2 = new_secret(sm, json.dumps({"username": "app", "password": "old",
                                           "masterarn": master_arn, "unrelated": unrelated}))
    sm.rotate_secret(SecretId=name2, ClientRequestToken=str(uuid.uuid4()),
                     RotationLambdaARN=ec2_fn)
    wait_for(lambda: f"ec2-exec-{u} cannot be assumed by Lambda" in srv.log_tail(200000),
             what="the rotation to fail on the role")
    assert stages(sm, name2)[v2] == ["AWSCURRENT"]
    assert not (srv.data_dir / "functions" / f"123456789012-{REGION}-ec2-role-{u}.log").exists()


def test_another_accounts_function_is_not_run_as_its_execution_role(rot):
    """A secret's rotation may name a function of another account, but Secrets Manager invokes
    it only when the function's policy lets secretsmanager.amazonaws.com invoke it (as in AWS:
    "Ensure that the function policy grants access to the principal
    secretsmanager.amazonaws.com."). Otherwise any account could run another account's function
    as that account's execution role on a secret it wrote: here an alternating-users rotator
    whose role reads its own account's master secret, which the rotated secret's JSON names."""
    import io
    import zipfile
    srv, sm, _, _ = rot
    u = uuid.uuid4().hex[:8]
    other = "210987654321"
    p = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir), "--root-key-file",
                        str(srv.data_dir / "root.key"), "access-key", "create", "--account-id",
                        other], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    b_kw = dict(endpoint_url=srv.endpoint, region_name=REGION,
                aws_access_key_id=p.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0],
                aws_secret_access_key=p.stdout.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0],
                config=Config(retries={"max_attempts": 1}))
    kw = dict(endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=ROOT_AKID,
              aws_secret_access_key=ROOT_SECRET, config=Config(retries={"max_attempts": 1}))
    iam, lam = boto3.client("iam", **kw), boto3.client("lambda", **kw)
    master_arn = sm.create_secret(Name=f"rot/xmaster-{u}", SecretString=json.dumps(
        {"username": "master", "password": "m"}))["ARN"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "lambda.amazonaws.com"}}]}
    role_arn = iam.create_role(RoleName=f"xrot-{u}",
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=f"xrot-{u}", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*",
                                                 "Resource": "*"}]}))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lambda_function.py", MULTI_USER_PY)
    fn_name = f"xacct-{u}"
    fn_arn = lam.create_function(FunctionName=fn_name, Runtime="python3.11", Role=role_arn,
                                 Handler="lambda_function.lambda_handler", Timeout=30,
                                 Code={"ZipFile": buf.getvalue()})["FunctionArn"]

    b_sm = boto3.client("secretsmanager", **b_kw)
    b_arn = b_sm.create_secret(Name=f"rot/xb-{u}", SecretString=json.dumps(
        {"username": "app", "password": "old", "masterarn": master_arn,
         "unrelated": master_arn}))["ARN"]
    b_sm.put_resource_policy(SecretId=b_arn, ResourcePolicy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                 "Action": "secretsmanager:*", "Resource": "*"}]}))
    with pytest.raises(ClientError) as e:
        b_sm.rotate_secret(SecretId=b_arn, ClientRequestToken=str(uuid.uuid4()),
                           RotationLambdaARN=fn_arn)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "function policy grants access to the principal secretsmanager.amazonaws.com" in \
        e.value.response["Error"]["Message"]
    value = json.loads(b_sm.get_secret_value(SecretId=b_arn)["SecretString"])
    assert "set_by" not in value and value["password"] == "old"
    assert not (srv.data_dir / "functions" / f"123456789012-{REGION}-{fn_name}.log").exists()

    # The function's owner lets Secrets Manager invoke it for the other account's secret.
    lam.add_permission(FunctionName=fn_name, StatementId="sm", Action="lambda:InvokeFunction",
                       Principal="secretsmanager.amazonaws.com", SourceAccount=other)
    b_sm.rotate_secret(SecretId=b_arn, ClientRequestToken=str(uuid.uuid4()),
                       RotationLambdaARN=fn_arn)
    log = srv.data_dir / "functions" / f"123456789012-{REGION}-{fn_name}.log"
    wait_for(log.exists, what="the function to run")
    # Its run fails (the secret is under aws/secretsmanager, closed to other accounts) and is
    # retried; each retry checks the policy again, which no longer lets it in.
    lam.remove_permission(FunctionName=fn_name, StatementId="sm")
    wait_for(lambda: f"function {fn_name} of account 123456789012 does not let Secrets Manager"
             in srv.log_tail(200000), timeout=30, what="a retry to refuse the function")
    b_sm.cancel_rotate_secret(SecretId=b_arn)


def test_another_account_cannot_rotate_with_a_cli_function(rot):
    """A function of `arcana functions create` runs as arcanad's user with the variables its
    operator gave it (a database admin password): it serves the secrets of its own account.
    Another account naming it for a secret of its own making was run with those variables
    (nothing was asked of a function that declares no role); now, as for a function of the
    Lambda API, only the function's policy could let Secrets Manager invoke it for that
    secret, and this one has none."""
    srv, sm, fn, lambda_arn = rot
    other = "210987654322"
    p = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir), "--root-key-file",
                        str(srv.data_dir / "root.key"), "access-key", "create", "--account-id",
                        other], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    b_sm = boto3.client("secretsmanager", endpoint_url=srv.endpoint, region_name=REGION,
                        aws_access_key_id=p.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0],
                        aws_secret_access_key=p.stdout.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0],
                        config=Config(retries={"max_attempts": 1}))
    b_arn = b_sm.create_secret(Name="rot/xcli-" + uuid.uuid4().hex[:8],
                               SecretString=json.dumps({"host": "attacker.example"}))["ARN"]
    token = str(uuid.uuid4())
    with pytest.raises(ClientError) as e:
        b_sm.rotate_secret(SecretId=b_arn, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "secretsmanager.amazonaws.com" in e.value.response["Error"]["Message"]
    assert b_sm.describe_secret(SecretId=b_arn).get("RotationEnabled") in (None, False)
    time.sleep(1)
    assert fn.steps_for(token) == []
    # Its own account's secrets still need no grant.
    name, _ = new_secret(sm)
    own = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=own, RotationLambdaARN=lambda_arn)
    wait_current(sm, name, own)
