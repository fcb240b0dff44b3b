"""arcana-agent against the real AWS Secrets Manager Agent (aws/aws-secretsmanager-agent), where
the two differed; what each test pins, and the file of the real agent it comes from:

- The answer to /secretsmanager/get and <path_prefix>ID is the agent's own serialization of the
  SDK's GetSecretValueOutput, not the wire body: CreatedDate is a JSON *string* of the epoch
  seconds (serde_with TimestampSecondsWithFrac<String>, Rust's shortest f64 text), ARN, Name
  and VersionId are null when absent, and members the SDK does not model are dropped
  (aws_secretsmanager_caching/src/output/get_secret_value_output.rs; the agent's own tests in
  aws_secretsmanager_agent/src/main.rs expect "CreatedDate": "1569534789.046").
- versionId= / versionStage= given empty are sent upstream as given (Some("")), not dropped
  (aws_secretsmanager_agent/src/parse.rs, aws_secretsmanager_caching/src/lib.rs
  refresh_secret_value: set_version_id(version_id.map(String::from))).
- Upstream failures (aws_secretsmanager_agent/src/cache_manager.rs svc_err): a Secrets
  Manager error without a message is 500 InternalFailure, the code is read as the SDK reads it
  (namespace and trailing URL cut, "Message" too), and a 200 the SDK cannot read is 502
  ConnectionError "Response Error" (nothing cached). A 5xx or unreadable answer is transient
  (aws_secretsmanager_caching/src/error.rs): the expired cached value is served instead.
- The Lambda extension's SECRETS_MANAGER_TIMEOUT_MILLIS and SSM_PARAMETER_STORE_TIMEOUT_MILLIS
  (its documented environment variables) bound each service's upstream call.
- A refused configuration file names the problem in the agent's words
  (aws_secretsmanager_agent/src/constants.rs, config.rs; an unknown key, an unparsable or a
  missing file as serde, the toml crate and the config crate word them).
- http_port = "0" is accepted (the range check refuses only 1..1023) and the bound address
  is printed on stdout, "Agent/<version> listening on http://127.0.0.1:PORT" (config.rs
  parse_num with neg_range 1..1024, main.rs report, tests/resources/configs/
  config_file_anyport.toml); numbers are read as Rust's str::parse reads them (no blanks);
  bools as the config crate reads them ("false", "no", 0 too).
- Command-line errors: "Unknown option X" / "Argument expected" and status 1 (main.rs init).
- A missing SSRF token stops the agent with "Could not read SSRF token variable(s) [...]:
  <cause>" on stderr and status 1, a refused file with status 1 too (main.rs init, err_exit).
- A request beyond max_conn concurrent ones is 429 "Connection limit exceeded", before the
  token is checked; /ping has two more (server.rs validate_max_conn).
- /start_serving, like /ping, needs no token; outside the agent's Lambda mode it is 404
  "Not found" (aws_secretsmanager_agent/src/server.rs validate_token / get_result).

One arcanad (non-dev) and one agent for the module; the upstream-shape tests use a small fake
Secrets Manager that records what the agent asks. Backend-independent.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import ROOT_AKID, ROOT_SECRET, make_client, raw_call
from test_agent import AGENT, TOKEN, Agent, agent, send_json, server  # noqa: F401  (module fixtures, reused)

SM_TARGET = "secretsmanager."


@pytest.fixture(scope="module")
def sm(server):
    return make_client(server.endpoint, akid=ROOT_AKID, secret=ROOT_SECRET)


def rust_f64_text(x: float) -> str:
    """Rust's `f64::to_string`: the shortest text that reads back as x, never an exponent
    for these magnitudes, and no ".0" on a whole number."""
    r = repr(float(x))
    return r[:-2] if r.endswith(".0") else r


def wire_get_secret_value(server, **body) -> dict:
    r = raw_call(server.endpoint, "GetSecretValue", body, akid=ROOT_AKID, secret=ROOT_SECRET)
    assert r.status_code == 200, r.text
    return r.json()


def test_secret_answer_is_the_agents_serialization(agent, server, sm):
    n = f"conf/{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=n, SecretString="conformance-value")
    wire = wire_get_secret_value(server, SecretId=n)
    for path in (f"/secretsmanager/get?secretId={n}", f"/v1/{n}"):
        r = agent.get(path)
        assert r.status_code == 200, r.text
        body = json.loads(r.text)
        assert list(body) == ["ARN", "Name", "VersionId", "SecretString", "VersionStages",
                              "CreatedDate"]
        assert isinstance(body["CreatedDate"], str)
        assert body["CreatedDate"] == rust_f64_text(wire["CreatedDate"])
        assert float(body["CreatedDate"]) == wire["CreatedDate"]
        for k in ("ARN", "Name", "VersionId", "SecretString", "VersionStages"):
            assert body[k] == wire[k]
    # A cached answer has the same shape.
    assert json.loads(agent.get(f"/v1/{n}").text) == body

    b = f"conf/{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=b, SecretBinary=b"\x00\x01conformance")
    body = json.loads(agent.get(f"/v1/{b}").text)
    assert list(body) == ["ARN", "Name", "VersionId", "SecretBinary", "VersionStages",
                          "CreatedDate"]
    assert body["SecretBinary"] == wire_get_secret_value(server, SecretId=b)["SecretBinary"]
    assert isinstance(body["CreatedDate"], str)


class RecordingUpstream:
    """A Secrets Manager that records each GetSecretValue body and answers `self.answer`
    (the change stream answers "nothing changed")."""

    def __init__(self):
        outer = self
        self.requests: list[dict] = []
        self.answer: dict | str = {}
        self.status = 200
        self.delay: dict[str, float] = {}  # X-Amz-Target -> seconds to wait before answering
        self.stream = None  # the change stream's answer when set: a callable given the handler

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, doc, status: int = 200):
                send_json(self, status, doc)

            def do_GET(self):
                if outer.stream is not None:
                    return outer.stream(self)
                self.reply({"Next": 0, "Head": 0, "Changes": []})

            def do_POST(self):
                doc = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                outer.requests.append(doc)
                time.sleep(outer.delay.get(self.headers.get("X-Amz-Target", ""), 0))
                self.reply(outer.answer, outer.status)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recorded(tmp_path, request):
    upstream = RecordingUpstream()
    a = Agent(tmp_path / "recorded-agent", upstream.endpoint, "ttl_seconds = 0\n",
              wait_stream=False, extra_env=getattr(request, "param", None))
    try:
        yield upstream, a
    finally:
        a.stop()
        upstream.close()


def test_empty_version_parameters_are_sent_upstream_as_given(recorded):
    upstream, a = recorded
    upstream.answer = {"ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:e-AbCdEf",
                       "Name": "e", "VersionId": "v", "SecretString": "x",
                       "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.5}
    assert a.get("/secretsmanager/get?secretId=e&versionId=").status_code == 200
    assert a.get("/v1/e?versionStage=").status_code == 200
    assert a.get("/v1/e").status_code == 200
    assert upstream.requests == [{"SecretId": "e", "VersionId": ""},
                                 {"SecretId": "e", "VersionStage": ""},
                                 {"SecretId": "e"}]


def test_created_date_text_and_absent_members_as_the_agent_writes_them(recorded):
    upstream, a = recorded
    # A whole second is Rust's "1700000000" (no ".0"); members the SDK does not model are
    # dropped; ARN, Name and VersionId are null when absent, the others left out.
    upstream.answer = {"Name": "w", "SecretString": "x", "CreatedDate": 1700000000,
                       "Extra": {"not": "modelled"}}
    r = a.get("/v1/w")
    assert r.status_code == 200, r.text
    assert json.loads(r.text) == {"ARN": None, "Name": "w", "VersionId": None,
                                  "SecretString": "x", "CreatedDate": "1700000000"}
    assert list(json.loads(r.text)) == ["ARN", "Name", "VersionId", "SecretString",
                                        "CreatedDate"]
    upstream.answer = {"ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:w-AbCdEf",
                       "Name": "w", "VersionId": "v", "SecretString": "x",
                       "VersionStages": ["AWSCURRENT"], "CreatedDate": 1569534789.046}
    assert json.loads(a.get("/v1/w").text)["CreatedDate"] == "1569534789.046"


AWS_MESSAGES = {
    'http_port = "1023"': "The HTTP port specified in the configuration file isn't valid. "
                          "The HTTP port must be in the range 1024 to 65535.",
    "ttl_seconds = 3601": "The TTL in seconds specified in the configuration file isn't "
                          "valid. The TTL in seconds must be in the range 0 to 3600.",
    'ttl_seconds = "-1"': "The TTL in seconds specified in the configuration file isn't "
                          "valid. The TTL in seconds must be in the range 0 to 3600.",
    "cache_size = 0": "The cache size specified in the configuration file isn't valid. The "
                      "cache size must be in the range 1 to 1000.",
    'max_conn = "1001"': "The maximum number of connections specified in the configuration "
                         "file isn't valid. The maximum number of connections must be in "
                         "the range 1 to 1000.",
    'log_level = "information"': "The log level specified in the configuration file isn't "
                                 "valid. The log level must be DEBUG, INFO, WARN, ERROR, or "
                                 "NONE.",
    "ssrf_headers = []": "The list of SSRF headers in the configuration file can't be empty.",
    "ssrf_env_variables = []": "The list of SSRF environment variables in the configuration "
                               "file can't be empty.",
    'path_prefix = "v1"': "The path prefix specified in the configuration file must begin "
                          "with /.",
}


def test_refused_configuration_uses_the_agents_messages(tmp_path):
    env = agent_env()
    for i, (line, message) in enumerate(AWS_MESSAGES.items()):
        cfg = tmp_path / f"bad{i}.toml"
        cfg.write_text(line + "\nlog_to_file = false\n")
        p = subprocess.run([str(AGENT), "--config", str(cfg)], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=20,
                           stdin=subprocess.DEVNULL)
        assert p.returncode != 0, line
        assert message in p.stderr, (line, p.stderr)


def test_start_serving_needs_no_token_and_is_not_found(agent):
    for token in (None, TOKEN, "wrong"):
        r = agent.get("/start_serving", token=token)
        assert (r.status_code, r.text) == (404, "Not found")
    r = requests.post(agent.url + "/start_serving", timeout=5)
    assert (r.status_code, r.text) == (405, "Not allowed")


def agent_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_TOKEN": TOKEN, "AWS_ACCESS_KEY_ID": ROOT_AKID,
                "AWS_SECRET_ACCESS_KEY": ROOT_SECRET, "AWS_REGION": "us-east-1"})
    return env


def test_port_zero_picks_a_port_printed_at_start(server, tmp_path):
    """config_file_anyport.toml of the AWS agent's tests: http_port = "0" (its range check
    only refuses 1..1023), and the agent prints "Agent/<v> listening on http://ADDR:PORT" on
    stdout. Its bools are read by the config crate, which takes "false" too."""
    cfg = tmp_path / "anyport.toml"
    cfg.write_text('http_port = "0"\nmax_conn = 1\nlog_to_file = "false"\n'
                   'validate_credentials = "no"\ninvalidation = false\n')
    env = agent_env()
    env["AWS_ENDPOINT_URL"] = server.endpoint
    p = subprocess.Popen([str(AGENT), "--config", str(cfg)], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, text=True)
    try:
        line = p.stdout.readline()
        assert line.startswith("Agent/") and " listening on http://127.0.0.1:" in line, line
        port = int(line.rsplit(":", 1)[1])
        assert port > 0
        assert requests.get(f"http://127.0.0.1:{port}/ping", timeout=5).text == "healthy"
        assert not (tmp_path / "logs").exists()  # log_to_file = "false" was read as false
    finally:
        p.terminate()
        p.wait(timeout=15)


def test_numbers_are_read_as_rust_parses_them(tmp_path):
    """parse_num in config.rs: str::parse refuses surrounding blanks."""
    for i, line in enumerate(['http_port = " 2773"', 'ttl_seconds = " 5"']):
        cfg = tmp_path / f"blank{i}.toml"
        cfg.write_text(line + "\nlog_to_file = false\n")
        p = subprocess.run([str(AGENT), "--config", str(cfg)], cwd=tmp_path, env=agent_env(),
                           capture_output=True, text=True, timeout=20,
                           stdin=subprocess.DEVNULL)
        assert p.returncode != 0 and "isn't valid" in p.stderr, (line, p.stderr)
    cfg = tmp_path / "low.toml"
    cfg.write_text("http_port = 80\nlog_to_file = false\n")
    p = subprocess.run([str(AGENT), "--config", str(cfg)], cwd=tmp_path, env=agent_env(),
                       capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode != 0 and AWS_MESSAGES['http_port = "1023"'] in p.stderr


def test_missing_ssrf_token_is_refused_in_the_agents_words(tmp_path):
    """main.rs init: "Could not read SSRF token variable(s) [..]: <cause>" on stderr (also
    when logs go to a file), exit status 1; the cause of a missing token file is the OS's."""
    cfg = tmp_path / "agent.toml"
    cfg.write_text('ssrf_env_variables = ["CONF_TOKEN_A", "CONF_TOKEN_B"]\n')
    env = agent_env()
    p = subprocess.run([str(AGENT), "--config", str(cfg)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode == 1
    assert ('Could not read SSRF token variable(s) ["CONF_TOKEN_A", "CONF_TOKEN_B"]: '
            "environment variable not found") in p.stderr, p.stderr
    env["CONF_TOKEN_B"] = "file://" + str(tmp_path / "no-such-token-file")
    p = subprocess.run([str(AGENT), "--config", str(cfg)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode == 1
    assert ('Could not read SSRF token variable(s) ["CONF_TOKEN_A", "CONF_TOKEN_B"]: '
            "No such file or directory (os error 2)") in p.stderr, p.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("cache_size = 1001\n")
    p = subprocess.run([str(AGENT), "--config", str(bad)], cwd=tmp_path, env=agent_env(),
                       capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and AWS_MESSAGES["cache_size = 0"] in p.stderr


def test_upstream_failures_are_answered_as_the_agent_answers_them(recorded):
    """cache_manager.rs svc_err: a Secrets Manager error without a message is 500
    InternalFailure; the code is the SDK's (namespace and trailing URL cut); a 200 the SDK
    cannot read is 502 ConnectionError "Response Error"."""
    upstream, a = recorded
    upstream.status, upstream.answer = 400, {"__type": "ResourceNotFoundException"}
    r = a.get("/v1/gone")
    assert (r.status_code, r.text) == (500, '{"__type":"InternalFailure"}')
    upstream.answer = {"__type": "com.amazonaws.secretsmanager#ResourceNotFoundException:"
                                 "http://internal.amazon.com/coral/",
                       "Message": "Secrets Manager can't find the specified secret."}
    r = a.get("/v1/gone")
    assert (r.status_code, r.text) == (
        400, '{"__type":"ResourceNotFoundException", '
             '"message":"Secrets Manager can\'t find the specified secret."}')
    upstream.status, upstream.answer = 200, "<html>a proxy's page</html>"
    r = a.get("/v1/gone")
    assert (r.status_code, r.text) == (
        502, '{"__type":"ConnectionError", "message":"Response Error"}')


@pytest.mark.parametrize("recorded", [{"SECRETS_MANAGER_TIMEOUT_MILLIS": "300",
                                       "SSM_PARAMETER_STORE_TIMEOUT_MILLIS": "0"}],
                         indirect=True)
def test_lambda_extension_timeout_variables(recorded):
    """The Lambda extension's SECRETS_MANAGER_TIMEOUT_MILLIS / SSM_PARAMETER_STORE_TIMEOUT_MILLIS
    (0 = none of its own: the agent's upstream timeout, 2 s here): a Secrets Manager call
    slower than 300 ms is the agent's 504 TimeoutError, a parameter's 1 s call is answered."""
    upstream, a = recorded
    upstream.answer = {"ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:t-AbCdEf",
                       "Name": "t", "VersionId": "v", "SecretString": "x",
                       "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.5,
                       "Parameter": {"Name": "p", "Value": "x"}}
    upstream.delay = {"secretsmanager.GetSecretValue": 1.0, "AmazonSSM.GetParameter": 1.0}
    started = time.monotonic()
    r = a.get("/v1/t")
    assert (r.status_code, r.text) == (504, '{"__type":"TimeoutError", "message":"Timeout"}')
    assert time.monotonic() - started < 0.9
    r = a.get("/systemsmanager/parameters/get?name=p")
    assert r.status_code == 200, r.text


def test_a_5xx_answer_serves_the_cached_value(tmp_path):
    """aws_secretsmanager_caching/src/error.rs is_transient_error: a 5xx answer (and one that
    cannot be read) is transient, so with ignore_transient_errors (the default) the expired
    cached value is served; a 4xx is not; refreshNow never serves the cache."""
    upstream = RecordingUpstream()
    a = Agent(tmp_path / "stale-agent", upstream.endpoint,
              "ttl_seconds = 1\ninvalidation = false\n", wait_stream=False)
    try:
        upstream.answer = {"ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:c-AbCdEf",
                           "Name": "c", "VersionId": "v", "SecretString": "cached",
                           "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.5}
        first = a.get("/v1/c")
        assert first.status_code == 200
        time.sleep(1.1)
        upstream.status = 503
        upstream.answer = {"__type": "ServiceUnavailableException", "message": "busy"}
        r = a.get("/v1/c")
        assert r.status_code == 200 and r.text == first.text
        assert r.headers["X-Arcana-Stale"] == "true"
        upstream.status, upstream.answer = 200, "not json"
        r = a.get("/v1/c")
        assert r.status_code == 200 and r.text == first.text
        upstream.status = 503
        upstream.answer = {"__type": "ServiceUnavailableException", "message": "busy"}
        r = a.get("/v1/c?refreshNow=true")
        assert (r.status_code, r.json()["__type"]) == (503, "ServiceUnavailableException")
        upstream.status = 400
        upstream.answer = {"__type": "AccessDeniedException", "message": "denied"}
        r = a.get("/v1/c")
        assert (r.status_code, r.json()["__type"]) == (400, "AccessDeniedException")
    finally:
        a.stop()
        upstream.close()


def test_unknown_key_unparsable_and_missing_files_in_the_agents_words(tmp_path):
    """config.rs: serde's deny_unknown_fields ("unknown field `k`, expected one of ..."), the
    toml crate's "TOML parse error", the config crate's 'configuration file "F" not found'."""
    cases = {"no_such_key = 1\n": "unknown field `no_such_key`, expected one of `log_level`, "
                                  "`http_address`, `log_to_file`, `http_port`",
             "http_port = = 2\n": "TOML parse error at line 1"}
    for i, (text, message) in enumerate(cases.items()):
        cfg = tmp_path / f"c{i}.toml"
        cfg.write_text(text)
        p = subprocess.run([str(AGENT), "--config", str(cfg)], cwd=tmp_path, env=agent_env(),
                           capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
        assert p.returncode == 1 and message in p.stderr, (text, p.stderr)
    missing = tmp_path / "missing.toml"
    p = subprocess.run([str(AGENT), "--config", str(missing)], cwd=tmp_path, env=agent_env(),
                       capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and f'configuration file "{missing}" not found' in p.stderr


def test_command_line_errors_in_the_agents_words(tmp_path):
    """main.rs init: "Unknown option X" / "Argument expected", then the usage; status 1."""
    for args, message in ((["-failure"], "Unknown option -failure"),
                          (["--config"], "Argument expected")):
        p = subprocess.run([str(AGENT), *args], cwd=tmp_path, env=agent_env(),
                           capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
        assert p.returncode == 1 and message in p.stderr, (args, p.stderr)


def test_requests_over_max_conn_are_answered_429(tmp_path):
    """server.rs validate_max_conn, checked before the token: a request beyond max_conn
    concurrent ones is 429 "Connection limit exceeded"; /ping has two more."""
    upstream = RecordingUpstream()
    upstream.answer = {"ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:m-AbCdEf",
                       "Name": "m", "VersionId": "v", "SecretString": "x",
                       "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.5}
    upstream.delay = {"secretsmanager.GetSecretValue": 1.5}
    a = Agent(tmp_path / "maxconn-agent", upstream.endpoint,
              "max_conn = 1\nttl_seconds = 0\n", wait_stream=False)
    try:
        slow = threading.Thread(target=lambda: a.get("/v1/m"))
        slow.start()
        deadline = time.monotonic() + 5
        while not upstream.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        assert upstream.requests, "the first request never reached the upstream"
        r = a.get("/v1/m")
        assert (r.status_code, r.text) == (429, "Connection limit exceeded")
        r = a.get("/v1/m", token="wrong")
        assert (r.status_code, r.text) == (429, "Connection limit exceeded")
        assert requests.get(a.url + "/ping", timeout=5).text == "healthy"
        slow.join(timeout=10)
        assert a.get("/v1/m").status_code == 200
    finally:
        a.stop()
        upstream.close()


def test_a_5xx_answer_does_not_serve_a_value_the_stream_has_dropped(tmp_path):
    """With check_freshness, a cached value is answered only after a fence read of the change
    stream: that holds for the stale answer to a 5xx as for a hit. The stream's long poll
    here holds a change back (as its delivery time would); a fence read (wait=0) hands it
    over, so the value the upstream changed is not served: the 5xx is answered."""
    upstream = RecordingUpstream()
    arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:f-AbCdEf"
    changed = threading.Event()
    stop = threading.Event()

    def stream(handler):
        from urllib.parse import parse_qs, urlparse
        q = parse_qs(urlparse(handler.path).query)
        if q.get("wait", ["0"])[0] != "0":
            stop.wait(2)  # a held long poll: nothing delivered while it is held
            return handler.reply({"Next": 0, "Head": 0, "Changes": []})
        if changed.is_set():
            return handler.reply({"Next": 1, "Head": 1, "Changes": [
                {"Seq": 1, "Service": "secretsmanager", "Resource": arn}]})
        return handler.reply({"Next": 0, "Head": 0, "Changes": []})

    upstream.stream = stream
    a = Agent(tmp_path / "fence-agent", upstream.endpoint,
              "ttl_seconds = 1\nchange_wait_seconds = 1\n", wait_stream=False)
    try:
        upstream.answer = {"ARN": arn, "Name": "f", "VersionId": "v", "SecretString": "old",
                           "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.5}
        deadline = time.monotonic() + 10
        while a.get("/v1/f").headers.get("X-Arcana-Cache") != "hit":
            assert time.monotonic() < deadline, "the value was never cached"
            time.sleep(0.1)
        time.sleep(1.1)  # expired
        changed.set()
        upstream.status = 503
        upstream.answer = {"__type": "ServiceUnavailableException", "message": "busy"}
        r = a.get("/v1/f")
        assert (r.status_code, r.json()["__type"]) == (503, "ServiceUnavailableException"), r.text
        assert "old" not in r.text
    finally:
        stop.set()
        a.stop()
        upstream.close()
