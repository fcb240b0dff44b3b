"""arcana-agent (src/agent): the AWS Secrets Manager Agent / Lambda extension interface in
front of a real, SigV4-verifying arcanad, and arcanad's change stream (GET /_arcana/changes)
that keeps the agent's cache exact.

One arcanad (non-dev: the agent's signatures are really verified) and two agents per module:
`agent` checks freshness on every cached read (the default), `push_agent` trusts the pushed
changes alone. Backend-independent except the change stream, so it runs on both stores.
The stream-loss test restarts arcanad: only the log check may follow it.
"""

from __future__ import annotations

import json
import os
import secrets as pysecrets
import signal
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from conftest import (ACCOUNT, ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer, cli_store_args,
                      free_port, make_client, store_url, wait_for)

# Next to the arcanad under test (build/, or build-asan/ for make test-sanitize).
AGENT = Path(os.environ.get("ARCANA_AGENT", ARCANAD.parent / "arcana-agent"))
TOKEN = "ssrf-" + uuid.uuid4().hex
MAX_STALE = 4
# Every plaintext value this module stores: none may appear in any log.
PLAINTEXTS: list[str] = []


def new_value(tag: str) -> str:
    v = f"pw-{tag}-{pysecrets.token_hex(12)}"
    PLAINTEXTS.append(v)
    return v


class Agent:
    def __init__(self, workdir: Path, endpoint: str, extra_toml: str = "",
                 wait_stream: bool = True, extra_env: dict | None = None):
        self.port = free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "agent.toml"
        self.config.write_text(
            f'http_port = {self.port}\nlog_level = "DEBUG"\nlog_to_file = false\n'
            f"max_stale_seconds = {MAX_STALE}\nupstream_timeout_millis = 2000\n" + extra_toml)
        self.log_path = workdir / "agent.stderr.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_TOKEN": TOKEN,
            "AWS_ACCESS_KEY_ID": ROOT_AKID,
            "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        })
        env.update(extra_env or {})
        if not AGENT.exists():
            pytest.fail(f"{AGENT} does not exist: build it (cmake --build build --target arcana-agent)",
                        pytrace=False)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([str(AGENT), "--config", str(self.config)], cwd=workdir,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env)
        wait_for(lambda: self.ping(), timeout=10, what="arcana-agent /ping")
        if wait_stream:
            wait_for(lambda: self.health()["invalidation"] == "stream", timeout=10,
                     what="agent's change stream connected")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ping(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"agent exited: {self.log_path.read_text()[-2000:]}")
        try:
            return requests.get(self.url + "/ping", timeout=1).text == "healthy"
        except requests.RequestException:
            return False

    def get(self, path: str, token: str | None = TOKEN, header: str = "X-Aws-Parameters-Secrets-Token",
            **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if token is not None:
            headers[header] = token
        return requests.get(self.url + path, headers=headers, timeout=10, **kw)

    def secret(self, secret_id: str, **params) -> requests.Response:
        q = urllib.parse.urlencode({"secretId": secret_id, **params})
        return self.get("/secretsmanager/get?" + q)

    def health(self) -> dict:
        return requests.get(self.url + "/health", timeout=5).json()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)


def send_json(handler, status: int, doc) -> None:
    """A fake upstream's answer: doc (a dict, or text as is) as an AWS JSON 1.1 body."""
    body = (doc if isinstance(doc, str) else json.dumps(doc)).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/x-amz-json-1.1")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("agent-arcanad")
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    srv = ArcanaServer(d / "data", d / "logs", dev=False, env=env)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def agent(server, tmp_path_factory):
    a = Agent(tmp_path_factory.mktemp("agent"), server.endpoint)
    yield a
    assert a.stop() == 0


@pytest.fixture(scope="module")
def push_agent(server, tmp_path_factory):
    a = Agent(tmp_path_factory.mktemp("push-agent"), server.endpoint, "check_freshness = false\n")
    yield a
    a.stop()


@pytest.fixture(scope="module")
def sm(server):
    return make_client(server.endpoint, akid=ROOT_AKID, secret=ROOT_SECRET)


@pytest.fixture(scope="module")
def ssm(server):
    return boto3.client("ssm", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                        config=Config(retries={"max_attempts": 0}))


def cached(agent: Agent, secret_id: str) -> None:
    """Reads until the agent answers from its cache: a read after a write may be a miss,
    since the write's own change (arriving just after) drops what was fetched."""
    wait_for(lambda: agent.secret(secret_id).headers["X-Arcana-Cache"] == "hit", timeout=5,
             interval=0.02, what="a cache hit")


def name(tag: str) -> str:
    return f"agent-it/{tag}-{uuid.uuid4().hex[:6]}"


def signed_get(endpoint: str, path: str, secret: str = ROOT_SECRET,
               akid: str = ROOT_AKID) -> requests.Response:
    req = AWSRequest(method="GET", url=endpoint + path)
    SigV4Auth(Credentials(akid, secret), "secretsmanager", "us-east-1").add_auth(req)
    return requests.get(endpoint + path, headers=dict(req.headers), timeout=30)


# ------------------------------------------------------------------ compatibility

def test_secrets_manager_endpoints_answer_get_secret_value(agent, sm):
    n = name("compat")
    value = new_value("compat")
    created = sm.create_secret(Name=n, SecretString=value)
    direct = sm.get_secret_value(SecretId=n)
    r = agent.secret(n)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["SecretString"] == value
    assert body["ARN"] == created["ARN"] and body["Name"] == n
    assert body["VersionId"] == direct["VersionId"] and body["VersionStages"] == ["AWSCURRENT"]
    assert r.headers["X-Arcana-Cache"] == "miss"
    cached(agent, n)
    assert agent.secret(n).json() == body
    # By ARN, by stage, by version id, and the path form.
    assert agent.secret(created["ARN"]).json()["SecretString"] == value
    assert agent.secret(n, versionStage="AWSCURRENT").json()["VersionId"] == direct["VersionId"]
    assert agent.secret(n, versionId=direct["VersionId"]).json()["SecretString"] == value
    by_path = agent.get("/v1/" + n)
    assert by_path.status_code == 200 and by_path.json()["SecretString"] == value
    assert agent.get("/v1/" + n + "?refreshNow=true").headers["X-Arcana-Cache"] == "refresh"


def test_the_first_fetch_is_kept_despite_the_reads_access_record(agent, sm, server):
    """The first GetSecretValue of a secret each day records LastAccessedDate, a change on the
    stream; it changes nothing the agent serves, so the fetched value stays cached."""
    n = name("first-fetch")
    value = new_value("first-fetch")
    sm.create_secret(Name=n, SecretString=value)
    # A miss fetches without a stream read first: the create's own change, applied after the
    # fetch, would drop the entry (a wasted fetch, never a stale one). Let it land first.
    head = signed_get(server.endpoint, "/_arcana/changes").json()["Head"]
    wait_for(lambda: agent.health()["stream"]["applied_seq"] >= head, timeout=5, interval=0.02,
             what="the create's change applied")
    first = agent.secret(n)
    assert first.headers["X-Arcana-Cache"] == "miss"
    # The next read fences: it applies every change committed before it, the access record
    # of the fetch above included, before answering.
    second = agent.secret(n)
    assert second.headers["X-Arcana-Cache"] == "hit", second.headers
    assert second.json() == first.json()
    assert "LastAccessedDate" in sm.describe_secret(SecretId=n)
    # A real change still drops it.
    sm.put_secret_value(SecretId=n, SecretString=value + "-2")
    assert agent.secret(n).json()["SecretString"] == value + "-2"


def test_errors_are_passed_through_as_the_aws_agent_does(agent):
    r = agent.secret("agent-it/does-not-exist")
    assert r.status_code == 400
    assert r.json()["__type"] == "ResourceNotFoundException"
    assert r.json()["message"]
    r = agent.get("/secretsmanager/get?secretId=x&bogus=1")
    assert (r.status_code, r.text) == (400, "unknown parameter: bogus")
    r = agent.get("/secretsmanager/get")
    assert (r.status_code, r.text) == (400, "missing parameter secretId")
    assert agent.get("/nowhere").status_code == 404
    # An escape that is no UTF-8 is decoded lossily (U+FFFD), as the AWS agent's form parser
    # does: the upstream answers the id, not a SerializationException about the agent's JSON.
    r = agent.get("/secretsmanager/get?secretId=%FF")
    assert r.status_code == 400 and r.json()["__type"] in (
        "ResourceNotFoundException", "ValidationException"), r.text


def test_ssrf_token_header_is_required(agent, sm):
    n = name("ssrf")
    sm.create_secret(Name=n, SecretString=new_value("ssrf"))
    r = agent.get("/secretsmanager/get?secretId=" + n, token=None)
    assert (r.status_code, r.text) == (403, "Bad Token")
    r = agent.get("/secretsmanager/get?secretId=" + n, token="wrong-" + TOKEN)
    assert (r.status_code, r.text) == (403, "Bad Token")
    assert agent.get("/v1/" + n, token=None).status_code == 403
    assert agent.get("/v1/" + n, header="X-Vault-Token").status_code == 200
    r = agent.get("/v1/" + n, headers={"X-Forwarded-For": "203.0.113.9"})
    assert (r.status_code, r.text) == (400, "Forwarded")
    r = requests.post(agent.url + "/v1/" + n, headers={"X-Aws-Parameters-Secrets-Token": TOKEN},
                      timeout=5)
    assert (r.status_code, r.text) == (405, "Not allowed")
    assert requests.get(agent.url + "/ping", timeout=5).text == "healthy"
    metrics = requests.get(agent.url + "/metrics", timeout=5).text
    assert "arcana_agent_refused_total" in metrics


def raw_get(agent: Agent, target: str, header_lines: list[str]) -> tuple[int, str]:
    """One GET with the header lines exactly as given (requests would merge or drop some)."""
    import socket
    with socket.create_connection(("127.0.0.1", agent.port), timeout=10) as s:
        head = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{agent.port}",
                f"X-Aws-Parameters-Secrets-Token: {TOKEN}", *header_lines, "Connection: close"]
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status_line, _, rest = data.decode(errors="replace").partition("\r\n")
    return int(status_line.split()[1]), rest.split("\r\n\r\n", 1)[1]


def test_x_forwarded_for_is_refused_on_presence(agent, sm):
    """As the AWS agent (headers.contains_key): an empty X-Forwarded-For, or an empty one
    before a proxy's own, is still a forwarded request."""
    n = name("xff")
    sm.create_secret(Name=n, SecretString=new_value("xff"))
    assert raw_get(agent, "/v1/" + n, [])[0] == 200
    assert raw_get(agent, "/v1/" + n, ["X-Forwarded-For:"]) == (400, "Forwarded")
    assert raw_get(agent, "/v1/" + n, ["x-forwarded-for: "]) == (400, "Forwarded")
    assert raw_get(agent, "/v1/" + n,
                   ["X-Forwarded-For:", "X-Forwarded-For: 203.0.113.9"]) == (400, "Forwarded")


def test_path_prefix_alone_is_a_missing_secret_id(agent):
    r = agent.get("/v1/")
    assert (r.status_code, r.text) == (400, "missing secret ID")
    r = agent.get("/v1/?versionStage=AWSCURRENT")
    assert (r.status_code, r.text) == (400, "missing secret ID")


def test_parameter_store_endpoint(agent, ssm):
    pname = "/" + name("param")
    value = new_value("param")
    ssm.put_parameter(Name=pname, Value=value, Type="SecureString")
    q = urllib.parse.quote(pname, safe="")
    r = agent.get(f"/systemsmanager/parameters/get?name={q}&withDecryption=true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["Parameter"]["Value"] == value and body["Parameter"]["Name"] == pname
    assert body["ResultMetadata"] == {}
    enc = agent.get(f"/systemsmanager/parameters/get?name={q}").json()
    assert enc["Parameter"]["Value"] != value  # SecureString without decryption: ciphertext
    assert agent.get(f"/systemsmanager/parameters/get?name={q}&version=1&withDecryption=true"
                     ).json()["Parameter"]["Version"] == 1
    r = agent.get("/systemsmanager/parameters/get?name=%2Fagent-it%2Fmissing")
    assert r.status_code == 400 and r.json()["__type"] == "ParameterNotFound"


# ------------------------------------------------------------------ never stale

def test_put_secret_value_is_read_at_once(agent, sm):
    n = name("put")
    sm.create_secret(Name=n, SecretString=new_value("put-old"))
    cached(agent, n)
    for i in range(3):
        value = new_value(f"put-{i}")
        sm.put_secret_value(SecretId=n, SecretString=value)
        r = agent.secret(n)
        assert r.json()["SecretString"] == value, "the agent served the old value after a write"


def test_rotation_finish_is_read_at_once(agent, sm):
    """finishSecret of a rotation: AWSCURRENT moves to the AWSPENDING version."""
    n = name("rotate")
    old_value, new = new_value("rot-old"), new_value("rot-new")
    old = sm.create_secret(Name=n, SecretString=old_value)["VersionId"]
    cached(agent, n)
    assert agent.secret(n).json()["SecretString"] == old_value
    assert agent.secret(n, versionStage="AWSCURRENT").json()["SecretString"] == old_value
    pending = str(uuid.uuid4())
    sm.put_secret_value(SecretId=n, ClientRequestToken=pending, SecretString=new,
                        VersionStages=["AWSPENDING"])
    assert agent.secret(n).json()["SecretString"] == old_value  # still current
    sm.update_secret_version_stage(SecretId=n, VersionStage="AWSCURRENT",
                                   MoveToVersionId=pending, RemoveFromVersionId=old)
    assert agent.secret(n).json()["SecretString"] == new
    assert agent.secret(n, versionStage="AWSCURRENT").json()["SecretString"] == new
    assert agent.secret(n, versionStage="AWSPREVIOUS").json()["SecretString"] == old_value
    sm.delete_secret(SecretId=n, ForceDeleteWithoutRecovery=True)
    assert agent.secret(n).status_code == 400


def test_write_to_the_primary_is_read_at_once_in_a_replica_region(server, sm, tmp_path):
    """An agent of a replica's region caches the replica's answer (the replica's ARN); the
    write to the primary is one change naming the primary's ARN, and still drops it."""
    west = make_client(server.endpoint, region="us-west-2", akid=ROOT_AKID, secret=ROOT_SECRET)
    n = name("replica")
    old = new_value("replica-old")
    primary_arn = sm.create_secret(Name=n, SecretString=old,
                                   AddReplicaRegions=[{"Region": "us-west-2"}])["ARN"]
    wait_for(lambda: west.get_secret_value(SecretId=n)["SecretString"] == old, timeout=10,
             what="the replica")
    for extra in ("", "check_freshness = false\n"):
        a = Agent(tmp_path / f"west-agent{len(extra)}", server.endpoint,
                  'region = "us-west-2"\n' + extra)
        try:
            cached(a, n)
            body = a.secret(n).json()
            assert body["ARN"] != primary_arn and ":us-west-2:" in body["ARN"]
            value = new_value("replica-new")
            sm.put_secret_value(SecretId=n, SecretString=value)
            if extra:  # push alone: within the stream's delivery time
                wait_for(lambda: a.secret(n).json()["SecretString"] == value, timeout=3,
                         interval=0.02, what="pushed invalidation of the replica's entry")
            else:
                r = a.secret(n)
                assert r.json()["SecretString"] == value, "stale replica value served"
        finally:
            a.stop()


def test_push_alone_invalidates_long_before_the_ttl(push_agent, sm, ssm):
    """Without the per-read check the pushed change still drops the entry (TTL is 300 s)."""
    n = name("push")
    sm.create_secret(Name=n, SecretString=new_value("push-old"))
    cached(push_agent, n)
    value = new_value("push-new")
    sm.put_secret_value(SecretId=n, SecretString=value)
    wait_for(lambda: push_agent.secret(n).json()["SecretString"] == value, timeout=3,
             interval=0.02, what="pushed invalidation")
    pname = "/" + name("push-param")
    ssm.put_parameter(Name=pname, Value="v1", Type="String")
    q = urllib.parse.quote(pname, safe="")
    assert push_agent.get(f"/systemsmanager/parameters/get?name={q}").json()["Parameter"]["Value"] == "v1"
    ssm.put_parameter(Name=pname, Value="v2", Type="String", Overwrite=True)
    wait_for(lambda: push_agent.get(f"/systemsmanager/parameters/get?name={q}")
             .json()["Parameter"]["Value"] == "v2", timeout=3, interval=0.02,
             what="pushed parameter invalidation")
    # The served values above are the proof; the counter only shows the push path ran. It
    # counts the entries each change dropped, not the changes: a change that arrives after
    # its entry was already refetched, or a resync that clears several entries at once, adds
    # less than one per change, so only "at least one" holds whatever the timing.
    metrics = requests.get(push_agent.url + "/metrics", timeout=5).text
    line = next(l for l in metrics.splitlines() if l.startswith("arcana_agent_invalidations_total"))
    assert int(line.split()[1]) >= 1


@pytest.mark.postgresql_only("a second arcanad node needs a store shared by two servers")
def test_write_through_another_node_is_read_at_once(agent, server, sm, tmp_path):
    other = ArcanaServer(tmp_path / "node2", tmp_path / "node2-logs", dev=False,
                         env={"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID,
                              "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET},
                         store=store_url(server.data_dir),
                         root_key_file=server.data_dir / "root.key")
    other.start()
    try:
        via_other = make_client(other.endpoint, akid=ROOT_AKID, secret=ROOT_SECRET)
        n = name("node2")
        sm.create_secret(Name=n, SecretString=new_value("node-old"))
        cached(agent, n)
        for i in range(3):
            value = new_value(f"node2-{i}")
            via_other.put_secret_value(SecretId=n, SecretString=value)
            assert agent.secret(n).json()["SecretString"] == value
    finally:
        other.stop()


def test_without_invalidation_the_ttl_alone_applies(server, sm, tmp_path):
    """invalidation = false: the AWS agent's behaviour (a cached value lives its TTL)."""
    a = Agent(tmp_path / "ttl-agent", server.endpoint,
              "invalidation = false\nttl_seconds = 2\n", wait_stream=False)
    try:
        h = a.health()
        assert h["invalidation"] == "ttl" and h["stream"]["enabled"] is False
        n = name("ttl")
        old, new = new_value("ttl-old"), new_value("ttl-new")
        sm.create_secret(Name=n, SecretString=old)
        assert a.secret(n).json()["SecretString"] == old
        sm.put_secret_value(SecretId=n, SecretString=new)
        r = a.secret(n)
        assert r.headers["X-Arcana-Cache"] == "hit" and r.json()["SecretString"] == old
        time.sleep(2.1)
        r = a.secret(n)
        assert r.headers["X-Arcana-Cache"] == "refresh" and r.json()["SecretString"] == new
    finally:
        a.stop()


def test_parameters_have_their_own_ttl(server, sm, ssm, tmp_path):
    """The extension's SSM_PARAMETER_STORE_TTL=0: parameters are always read fresh while
    secrets stay cached (TTL only, so the stream does not hide the difference)."""
    a = Agent(tmp_path / "ssm-ttl-agent", server.endpoint, "invalidation = false\n",
              wait_stream=False, extra_env={"SSM_PARAMETER_STORE_TTL": "0"})
    try:
        h = a.health()
        assert (h["ttl_seconds"], h["ssm_ttl_seconds"]) == (300, 0)
        pname = "/" + name("ssm-ttl")
        ssm.put_parameter(Name=pname, Value="v1", Type="String")
        q = urllib.parse.quote(pname, safe="")
        r = a.get(f"/systemsmanager/parameters/get?name={q}")
        assert r.json()["Parameter"]["Value"] == "v1"
        ssm.put_parameter(Name=pname, Value="v2", Type="String", Overwrite=True)
        r = a.get(f"/systemsmanager/parameters/get?name={q}")
        assert r.json()["Parameter"]["Value"] == "v2" and r.headers["X-Arcana-Cache"] == "miss"
        n = name("ssm-ttl-secret")
        old = new_value("ssm-ttl-old")
        sm.create_secret(Name=n, SecretString=old)
        assert a.secret(n).json()["SecretString"] == old
        sm.put_secret_value(SecretId=n, SecretString=new_value("ssm-ttl-new"))
        r = a.secret(n)  # SECRETS_MANAGER_TTL unset: the secret keeps its 300 s
        assert r.headers["X-Arcana-Cache"] == "hit" and r.json()["SecretString"] == old
    finally:
        a.stop()


# ------------------------------------------------------------------ the change stream itself

def test_change_stream_is_signed_resumable_and_names_resources(server, sm):
    r = requests.get(server.endpoint + "/_arcana/changes", timeout=5)
    assert r.status_code in (400, 403) and "MissingAuthenticationToken" in r.text
    r = signed_get(server.endpoint, "/_arcana/changes", secret="wrong")
    assert r.status_code in (400, 403) and "Exception" in r.text
    head = signed_get(server.endpoint, "/_arcana/changes").json()
    assert head["Changes"] == [] and head["Next"] == head["Head"] and head["Reset"] is False
    n = name("stream")
    arn = sm.create_secret(Name=n, SecretString=new_value("stream"))["ARN"]
    got = signed_get(server.endpoint, f"/_arcana/changes?after={head['Next']}&wait=5").json()
    mine = [c for c in got["Changes"] if c["Resource"] == arn]
    assert mine and mine[0]["Service"] == "secretsmanager" and mine[0]["Kind"]
    assert all(c["Seq"] > head["Next"] for c in got["Changes"])
    assert "SecretString" not in json.dumps(got)
    started = time.monotonic()
    idle = signed_get(server.endpoint, f"/_arcana/changes?after={got['Next']}&wait=1")
    assert idle.json()["Changes"] == []
    # Held for the wait, unless the agents' long-polls hold every slot (then: Retry-After).
    assert time.monotonic() - started >= 0.9 or idle.headers.get("Retry-After") == "1"
    future = signed_get(server.endpoint, f"/_arcana/changes?after={got['Head'] + 1000}").json()
    assert future["Reset"] is True
    bad = signed_get(server.endpoint, "/_arcana/changes?after=1&wait=999")
    assert bad.status_code == 400 and "ValidationException" in bad.text


def test_change_stream_shows_only_what_the_callers_policies_let_it_read(server, sm, ssm):
    """A user allowed GetSecretValue on one secret and GetParameter on one parameter sees
    those changes only: the others' names and timing stay hidden."""
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                       config=Config(retries={"max_attempts": 0}))
    user = "agent-reader-" + uuid.uuid4().hex[:6]
    iam.create_user(UserName=user)
    mine, other = name("visible"), name("hidden")
    mine_arn = sm.create_secret(Name=mine, SecretString=new_value("v"))["ARN"]
    other_arn = sm.create_secret(Name=other, SecretString=new_value("h"))["ARN"]
    tagged = name("tagged")
    tagged_arn = sm.create_secret(Name=tagged, SecretString=new_value("t"),
                                  Tags=[{"Key": "team", "Value": "blue"}])["ARN"]
    p_mine, p_other = f"/agent-it/{uuid.uuid4().hex[:6]}/a", f"/agent-it/{uuid.uuid4().hex[:6]}/b"
    iam.put_user_policy(UserName=user, PolicyName="read-one", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": mine_arn},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}},
            {"Effect": "Allow", "Action": "ssm:GetParameter",
             "Resource": "arn:aws:ssm:us-east-1:*:parameter" + p_mine},
        ]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    akid, secret = key["AccessKeyId"], key["SecretAccessKey"]
    head = signed_get(server.endpoint, "/_arcana/changes", secret=secret, akid=akid).json()
    for sid in (mine, other, tagged):
        sm.put_secret_value(SecretId=sid, SecretString=new_value("w"))
    ssm.put_parameter(Name=p_mine, Value="x", Type="String")
    ssm.put_parameter(Name=p_other, Value="y", Type="String")
    seen, at = [], head["Next"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        got = signed_get(server.endpoint, f"/_arcana/changes?after={at}&wait=1",
                         secret=secret, akid=akid).json()
        seen += [c["Resource"] for c in got["Changes"]]
        at = got["Next"]
        if at >= signed_get(server.endpoint, "/_arcana/changes").json()["Head"]:
            break
    assert mine_arn in seen and tagged_arn in seen
    assert any(r.endswith("parameter" + p_mine) for r in seen)
    assert other_arn not in seen
    assert not any(r.endswith("parameter" + p_other) for r in seen)
    # The account root still sees everything.
    root = signed_get(server.endpoint, f"/_arcana/changes?after={head['Next']}").json()
    assert other_arn in [c["Resource"] for c in root["Changes"]]


def test_change_stream_shows_changes_the_caller_reads_in_another_form(server, sm):
    """A change is recorded once, under the primary's ARN and region, with no request values;
    a caller that reads the secret only in a replica's region (its policy names that region's
    ARNs, or denies other regions through aws:RequestedRegion) or only with the request values
    it sends (secretsmanager:SecretId as the name, secretsmanager:VersionStage AWSCURRENT) must
    still see it, or its agent serves the old value until the TTL (review finding)."""
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                       config=Config(retries={"max_attempts": 0}))
    west = make_client(server.endpoint, region="us-west-2", akid=ROOT_AKID, secret=ROOT_SECRET)
    replicated, by_name, by_stage, hidden = (name("in-west"), name("by-name"), name("by-stage"),
                                             name("hidden"))
    arns = {}
    arns[replicated] = sm.create_secret(Name=replicated, SecretString=new_value("r"),
                                        AddReplicaRegions=[{"Region": "us-west-2"}])["ARN"]
    for n in (by_name, by_stage, hidden):
        arns[n] = sm.create_secret(Name=n, SecretString=new_value("v"))["ARN"]
    wait_for(lambda: west.get_secret_value(SecretId=replicated)["SecretString"], timeout=10,
             what="the replica")
    policies = {
        "west-arns": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                       "Resource": f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:*"}],
        "west-only": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                       "Resource": arns[replicated].replace(":us-east-1:", ":*:")},
                      {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {
                          "StringNotEquals": {"aws:RequestedRegion": "us-west-2"}}}],
        "by-name": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                     "Resource": "*", "Condition": {
                         "StringEquals": {"secretsmanager:SecretId": by_name}}}],
        "by-stage": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                      "Resource": arns[by_stage], "Condition": {
                          "StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}}}],
    }
    expect = {"west-arns": replicated, "west-only": replicated, "by-name": by_name,
              "by-stage": by_stage}
    keys = {}
    for label, statements in policies.items():
        user = f"agent-{label}-" + uuid.uuid4().hex[:6]
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
        k = iam.create_access_key(UserName=user)["AccessKey"]
        keys[label] = (k["AccessKeyId"], k["SecretAccessKey"])
    head = signed_get(server.endpoint, "/_arcana/changes").json()["Head"]
    for n in (replicated, by_name, by_stage, hidden):
        sm.put_secret_value(SecretId=n, SecretString=new_value("w"))
    for label, (akid, secret) in keys.items():
        seen = stream_changes(server.endpoint, akid, secret, head)
        assert arns[expect[label]] in seen, (label, seen)
        assert arns[hidden] not in seen, (label, seen)


ACCOUNT_B = "210987654321"
ACCOUNT_B = "210987654321"


def stream_changes(endpoint: str, akid: str, secret: str, after: int) -> list[str]:
    """The resources of every change after `after` the caller may see, up to the head now."""
    head = signed_get(endpoint, "/_arcana/changes").json()["Head"]
    seen, at = [], after
    deadline = time.monotonic() + 10
    while at < head and time.monotonic() < deadline:
        got = signed_get(endpoint, f"/_arcana/changes?after={at}", secret=secret,
                         akid=akid).json()
        seen += [c["Resource"] for c in got["Changes"]]
        at = got["Next"]
    return seen


def test_another_accounts_secret_and_shared_parameter_are_never_stale(server, sm, ssm,
                                                                        tmp_path):
    """An agent of account B reads account A's secret and shared parameter by ARN (their
    resource policies let B); A's writes reach B's stream and drop B's entries. A change of
    A's that B may not read (no resource policy, or a secret gone) stays hidden."""
    p = subprocess.run([str(ARCANAD.parent / "arcana"), *cli_store_args(server.data_dir),
                        "--root-key-file", str(server.data_dir / "root.key"),
                        "access-key", "create", "--account-id", ACCOUNT_B],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    b_akid = p.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0]
    b_secret = p.stdout.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0]
    b_root = f"arn:aws:iam::{ACCOUNT_B}:root"
    kms = boto3.client("kms", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET)
    key = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": b_root},
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}]}))["KeyMetadata"]["Arn"]
    shared, hidden, gone = name("xacct"), name("xacct-hidden"), name("xacct-gone")
    old = new_value("xacct-old")
    arn = sm.create_secret(Name=shared, SecretString=old, KmsKeyId=key)["ARN"]
    allow_b = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": b_root},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(allow_b))
    hidden_arn = sm.create_secret(Name=hidden, SecretString=new_value("xacct-h"))["ARN"]
    gone_arn = sm.create_secret(Name=gone, SecretString=new_value("xacct-g"), KmsKeyId=key)["ARN"]
    sm.put_resource_policy(SecretId=gone_arn, ResourcePolicy=json.dumps(allow_b))
    pname = "/" + name("xacct-param")
    ssm.put_parameter(Name=pname, Value="v1", Type="String", Tier="Advanced")
    parn = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{pname}"
    ssm.put_resource_policy(ResourceArn=parn, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": b_root},
             "Action": "ssm:GetParameter", "Resource": parn}]}))

    a = Agent(tmp_path / "b-agent", server.endpoint,
              extra_env={"AWS_ACCESS_KEY_ID": b_akid, "AWS_SECRET_ACCESS_KEY": b_secret})
    try:
        cached(a, arn)
        assert a.secret(arn).json()["SecretString"] == old
        q = urllib.parse.quote(parn, safe="")
        wait_for(lambda: a.get(f"/systemsmanager/parameters/get?name={q}")
                 .headers.get("X-Arcana-Cache") == "hit", timeout=5, interval=0.02,
                 what="a cached shared parameter")
        head = signed_get(server.endpoint, "/_arcana/changes", secret=b_secret,
                          akid=b_akid).json()["Next"]
        for i in range(2):
            value = new_value(f"xacct-{i}")
            sm.put_secret_value(SecretId=arn, SecretString=value)
            r = a.secret(arn)
            assert r.json()["SecretString"] == value, "another account's secret served stale"
        ssm.put_parameter(Name=pname, Value="v2", Type="String", Overwrite=True)
        r = a.get(f"/systemsmanager/parameters/get?name={q}")
        assert r.json()["Parameter"]["Value"] == "v2", "a shared parameter served stale"
        sm.put_secret_value(SecretId=hidden_arn, SecretString=new_value("xacct-h2"))
        sm.put_secret_value(SecretId=gone_arn, SecretString=new_value("xacct-g2"))
        sm.delete_secret(SecretId=gone_arn, ForceDeleteWithoutRecovery=True)
        seen = stream_changes(server.endpoint, b_akid, b_secret, head)
        assert arn in seen and parn in seen
        # No resource policy for B: hidden. Gone: no policy left to let B see it, even though
        # B's root could read a secret of that ARN if it were B's own.
        assert hidden_arn not in seen and gone_arn not in seen
    finally:
        a.stop()


@pytest.mark.sqlite_only("the https transport to the upstream does not depend on the store")
def test_https_upstream_is_verified(tmp_path):
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    port = free_port()
    env = {**os.environ, "ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID,
           "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    with open(tmp_path / "arcanad.log", "ab") as log:
        proc = subprocess.Popen([str(ARCANAD), "--listen", f"127.0.0.1:{port}",
                                 "--data-dir", str(tmp_path / "data"), "--tls-cert", str(cert),
                                 "--tls-key", str(key)],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"https://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(url + "/_arcana/health", timeout=1,
                                      verify=str(cert)).status_code == 200,
                 timeout=20, interval=0.05, what="arcanad over TLS")
        sm = boto3.client("secretsmanager", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                          verify=str(cert))
        n = name("tls")
        value = new_value("tls")
        sm.create_secret(Name=n, SecretString=value)
        trusted = Agent(tmp_path / "trusting", url, f'ca_file = "{cert}"\n')
        try:
            assert trusted.secret(n).json()["SecretString"] == value
            assert trusted.health()["stream"]["connected"] is True
        finally:
            trusted.stop()
        # Without the CA the certificate is refused: the agent never talks to that server.
        untrusting = Agent(tmp_path / "untrusting", url, wait_stream=False)
        try:
            r = untrusting.secret(n)
            assert r.status_code == 502 and r.json()["__type"] == "ConnectionError"
            assert untrusting.health()["invalidation"] == "ttl"
        finally:
            untrusting.stop()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


class ErringStreamUpstream:
    """A stand-in for arcanad: GetSecretValue answers one value; the change stream answers
    until `failing` is set, then the given error answer."""

    def __init__(self, status: int, error: dict):
        import http.server
        import threading
        outer = self
        self.failing = False
        self.value = new_value("erring")

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status: int, doc: dict):
                send_json(self, status, doc)

            def do_GET(self):
                if outer.failing:
                    return self.reply(status, error)
                self.reply(200, {"Next": 0, "Head": 0, "Changes": []})

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.reply(200, {"ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:t-AbCdEf",
                                 "Name": "t", "VersionId": "v1", "SecretString": outer.value,
                                 "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.0})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("status,error", [
    # arcanad's answer when its queue is full or a stop drops a queued request
    (400, {"__type": "ThrottlingException", "message": "Rate exceeded"}),
    # credentials refused: a key rotated in the credentials file before the agent re-read it,
    # an expired session token (namespaced as some frontends answer it)
    (403, {"__type": "UnrecognizedClientException",
           "message": "The security token included in the request is invalid."}),
    (400, {"__type": "com.amazon.coral.service#ExpiredTokenException",
           "message": "The security token included in the request is expired"}),
], ids=["throttled", "unrecognized-key", "expired-token"])
def test_a_throttled_or_refused_stream_is_an_outage_not_a_missing_endpoint(tmp_path, status,
                                                                          error):
    """Such an answer from the stream is transient: reads go on being fenced (and, the fence
    failing, are fetched again), never served from the cache unverified."""
    upstream = ErringStreamUpstream(status, error)
    a = Agent(tmp_path / "erring", upstream.endpoint)
    try:
        assert a.secret("t").json()["SecretString"] == upstream.value
        assert a.secret("t").headers["X-Arcana-Cache"] == "hit"
        upstream.failing = True
        r = a.secret("t")
        assert r.status_code == 200 and r.json()["SecretString"] == upstream.value
        assert r.headers["X-Arcana-Cache"] == "refresh"
        h = a.health()
        assert h["stream"]["connected"] is False
        assert f"HTTP {status}" in h["stream"]["last_error"]
        assert h["invalidation"] == "ttl"
        assert a.secret("t").headers["X-Arcana-Cache"] == "refresh"
    finally:
        a.stop()
        upstream.close()


def test_a_stream_endpoint_the_upstream_lacks_leaves_the_ttl_in_force(tmp_path):
    """Any other 4xx (AWS itself has no such endpoint) is "no stream": cached reads are
    answered on the TTL alone, without a read of the stream each."""
    upstream = ErringStreamUpstream(404, {"__type": "UnknownOperationException"})
    upstream.failing = True
    a = Agent(tmp_path / "no-stream", upstream.endpoint, wait_stream=False)
    try:
        wait_for(lambda: "HTTP 404" in a.health()["stream"]["last_error"], timeout=10,
                 what="the stream's first read")
        assert a.secret("t").json()["SecretString"] == upstream.value
        assert a.secret("t").headers["X-Arcana-Cache"] == "hit"
        assert a.health()["invalidation"] == "ttl"
    finally:
        a.stop()
        upstream.close()


def test_an_upstream_answer_with_an_endless_chunk_line_is_cut_off(tmp_path):
    """Beast buffers a chunk-size line until its CRLF with no limit of its own: the agent's
    read buffer is bounded, so an upstream (or whatever answers at its address) sending one
    without end costs a bounded amount of memory and the caller a 502."""
    import socketserver
    import threading
    sent = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(65536)
            total = 0
            try:
                self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1"
                                     b"\r\nTransfer-Encoding: chunked\r\n\r\n1")
                flood = b";a=b" * 16384
                while total < 64 * 1024 * 1024:
                    self.request.sendall(flood)
                    total += len(flood)
            except OSError:
                pass
            sent.append(total)

    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    a = Agent(tmp_path / "flooded", f"http://127.0.0.1:{srv.server_address[1]}",
              "invalidation = false\n", wait_stream=False)
    try:
        r = a.secret("t")
        assert r.status_code == 502, r.text
        wait_for(lambda: len(sent) >= 1, timeout=10, what="the flood to stop")
        # Loopback socket buffers hold a few MB more than the agent read: far from 64 MiB.
        assert min(sent) < 32 * 1024 * 1024, f"the agent took {sent} bytes of one chunk line"
        rss = next(int(line.split()[1]) for line in
                   Path(f"/proc/{a.proc.pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS:"))
        assert rss < 96 * 1024, f"agent RSS {rss} KiB"
    finally:
        a.stop()
        srv.shutdown()
        srv.server_close()


# ------------------------------------------------------------------ outage (must stay last)

def test_stream_loss_falls_back_to_ttl_and_serves_stale_on_error(agent, server, sm):
    n = name("outage")
    value = new_value("outage")
    sm.create_secret(Name=n, SecretString=value)
    cached(agent, n)
    port = server.port
    # The entry's age counts from its fetch (hits do not renew it): fetch it now.
    assert agent.secret(n, refreshNow="true").headers["X-Arcana-Cache"] == "refresh"
    fetched = time.monotonic()
    server.stop()
    try:
        r = agent.secret(n)
        assert r.status_code == 200 and r.json()["SecretString"] == value
        assert r.headers["X-Arcana-Stale"] == "true" and r.headers["X-Arcana-Cache"] == "stale"
        assert time.monotonic() - fetched < MAX_STALE, "the outage began too late to check"
        assert agent.secret("agent-it/never-cached").status_code == 502
        wait_for(lambda: agent.health()["invalidation"] == "ttl", timeout=10,
                 what="health reporting the TTL fallback")
        h = agent.health()
        assert h["stream"]["connected"] is False and h["stream"]["last_error"]
        time.sleep(max(0.0, MAX_STALE + 0.5 - (time.monotonic() - fetched)))
        r = agent.secret(n)  # past max staleness: the upstream error is the answer
        assert r.status_code == 502 and r.json()["__type"] == "ConnectionError"
    finally:
        server.start(port=port)
    wait_for(lambda: agent.health()["invalidation"] == "stream", timeout=20,
             what="change stream reconnected")
    assert agent.secret(n).json()["SecretString"] == value


def test_no_plaintext_in_logs(agent, push_agent, server):
    assert PLAINTEXTS
    logs = [agent.log_path, push_agent.log_path, *server.log_files]
    for path in logs:
        text = Path(path).read_text(errors="replace")
        for v in PLAINTEXTS:
            assert v not in text, f"plaintext value found in {path}"
        assert TOKEN not in text and ROOT_SECRET not in text
    # The agent did log (at DEBUG, one line per request), just never a value.
    assert "GET /secretsmanager/get -> 200" in agent.log_path.read_text()



@pytest.mark.sqlite_only("replaces one node's SQLite data dir by another store's; the stream "
                         "logic is the same on PostgreSQL")
def test_a_store_replaced_by_another_is_never_served_stale(tmp_path):
    """The agent follows a store's change numbers; a node started on another store (a new data
    dir or database) numbers its changes afresh, and its head may already be past the point
    the agent had read to: the stream's "Store" tells the agent to drop everything. The same
    secret's value in the new store is answered, never the old store's from the cache."""
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}

    def node(name):
        return ArcanaServer(tmp_path / name, tmp_path / (name + "-logs"), dev=False, env=env,
                            store=f"sqlite:{tmp_path / name}")

    def sm_of(srv):
        return boto3.client("secretsmanager", endpoint_url=srv.endpoint, region_name="us-east-1",
                            aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                            config=Config(retries={"max_attempts": 1}))
    # The other store first: the secret early in its sequence, then many other changes.
    b = node("b").start()
    newer = new_value("replaced-new")
    sm_of(b).create_secret(Name="agent-it/replaced", SecretString=newer)
    for i in range(30):
        sm_of(b).create_secret(Name=f"agent-it/pad-{i}", SecretString="x")
    b.stop()
    a = node("a").start()
    port = a.port
    for i in range(5):
        sm_of(a).create_secret(Name=f"agent-it/a-{i}", SecretString="x")
    older = new_value("replaced-old")
    sm_of(a).create_secret(Name="agent-it/replaced", SecretString=older)
    agent = Agent(tmp_path / "agent", a.endpoint)
    try:
        assert agent.secret("agent-it/replaced").json()["SecretString"] == older
        cached(agent, "agent-it/replaced")
        a.stop()
        b.start(port=port)  # the same endpoint, another store
        wait_for(lambda: agent.health()["invalidation"] == "stream", timeout=20,
                 what="change stream reconnected")
        r = agent.secret("agent-it/replaced")
        assert r.status_code == 200 and r.json()["SecretString"] == newer, r.headers
    finally:
        agent.stop()
        b.stop()
