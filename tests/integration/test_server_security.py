"""Listener security defaults: TLS, refusing plain HTTP off loopback, dev mode loopback-only,
configuration from env and TOML, the access-key CLI."""
import os
import subprocess
import time
from pathlib import Path

import boto3
import pytest
import requests
import urllib3
from botocore.config import Config

from conftest import (ARCANAD, IS_PG, REPO_ROOT, cli_store_args, free_port, plaintext_at_rest,
                      raises_code, store_args, store_database, store_rows)

ARCANA_CLI = ARCANAD.parent / "arcana"  # the CLI built beside the server under test


def run_arcanad(args, env=None, timeout=10):
    """Runs arcanad expecting it to exit by itself (a refused configuration)."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(ARCANAD), *args], capture_output=True, text=True, timeout=timeout,
                          env=e, stdin=subprocess.DEVNULL)


def wait_health(url, verify=True, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/_arcana/health", timeout=1, verify=verify).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} never became healthy")


@pytest.fixture
def spawn(tmp_path):
    procs = []

    def start(args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        log = open(tmp_path / f"arcanad-{len(procs)}.log", "wb")
        p = subprocess.Popen([str(ARCANAD), *args], stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=e)
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_plain_http_on_non_loopback_is_refused(tmp_path):
    r = run_arcanad(["--listen", f"0.0.0.0:{free_port()}", *store_args(tmp_path / "d")])
    assert r.returncode != 0
    assert "TLS" in (r.stderr + r.stdout) or "tls" in (r.stderr + r.stdout)


def test_dev_mode_is_loopback_only(tmp_path):
    r = run_arcanad(["--listen", f"0.0.0.0:{free_port()}", *store_args(tmp_path / "d"),
                     "--dev", "--insecure-http"])
    assert r.returncode != 0
    assert "loopback" in (r.stderr + r.stdout)


def test_one_server_per_data_dir(tmp_path, spawn):
    # Whatever the store: on PostgreSQL nodes share the store (test_cluster.py), each with its
    # own data dir (operator token, Lambda packages, audit files are one node's).
    port = free_port()
    spawn(["--listen", f"127.0.0.1:{port}", *store_args(tmp_path / "d"), "--dev"])
    wait_health(f"http://127.0.0.1:{port}")
    r = run_arcanad(["--listen", f"127.0.0.1:{free_port()}", *store_args(tmp_path / "d"),
                     "--dev"])
    assert r.returncode != 0
    assert "in use" in (r.stderr + r.stdout)


def test_dev_mode_banner_is_loud(tmp_path, spawn):
    port = free_port()
    spawn(["--listen", f"127.0.0.1:{port}", *store_args(tmp_path / "d"), "--dev"])
    wait_health(f"http://127.0.0.1:{port}")
    log = (tmp_path / "arcanad-0.log").read_text()
    assert "DEV MODE" in log


def test_tls_listener_serves_https(tmp_path, spawn):
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    port = free_port()
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": "AKIATLSTEST000000001",
           "ARCANA_ROOT_SECRET_ACCESS_KEY": "tls-test-secret-key-0123456789abcdef0123"}
    spawn(["--listen", f"127.0.0.1:{port}", *store_args(tmp_path / "d"),
           "--tls-cert", str(cert), "--tls-key", str(key)], env)
    url = f"https://127.0.0.1:{port}"
    wait_health(url, verify=str(cert))
    # Plain HTTP to the TLS port does not get an API answer.
    with pytest.raises(requests.RequestException):
        requests.get(f"http://127.0.0.1:{port}/_arcana/health", timeout=2)
    sm = boto3.client("secretsmanager", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id=env["ARCANA_ROOT_ACCESS_KEY_ID"],
                      aws_secret_access_key=env["ARCANA_ROOT_SECRET_ACCESS_KEY"],
                      verify=str(cert), config=Config(retries={"max_attempts": 1}))
    sm.create_secret(Name="tls/secret", SecretString="over-tls")
    assert sm.get_secret_value(SecretId="tls/secret")["SecretString"] == "over-tls"


def test_config_from_env_and_toml(tmp_path, spawn):
    port = free_port()
    toml = tmp_path / "arcana.toml"
    data = tmp_path / "toml-data"
    store = f'store = "{store_args(data)[1]}"\n' if IS_PG else ""
    toml.write_text(f'listen = "127.0.0.1:{free_port()}"\ndata_dir = "{data}"\n{store}'
                    f'dev = true\naccount_id = "111122223333"\n')
    # The env var overrides the file's listen; the file supplies the rest.
    spawn(["--config", str(toml)], {"ARCANA_LISTEN": f"127.0.0.1:{port}"})
    wait_health(f"http://127.0.0.1:{port}")
    if IS_PG:  # the store is the file's database; the data dir holds node-local files only
        assert not (data / "arcana.db").exists()
        assert store_rows(data), f"no tables in {store_database(data)}"
    else:
        assert (data / "arcana.db").exists()
    sm = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{port}",
                      region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    arn = sm.create_secret(Name="cfg", SecretString="v")["ARN"]
    assert arn.startswith("arn:aws:secretsmanager:eu-west-1:111122223333:secret:cfg-")


def test_access_key_cli_lifecycle(tmp_path, spawn):
    data = tmp_path / "d"
    port = free_port()
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": "AKIAROOT000000000001",
           "ARCANA_ROOT_SECRET_ACCESS_KEY": "root-secret-0123456789abcdef0123456789ab"}
    first = spawn(["--listen", f"127.0.0.1:{port}", *store_args(data)], env)
    url = f"http://127.0.0.1:{port}"
    wait_health(url)
    out = subprocess.run([str(ARCANA_CLI), *cli_store_args(data), "access-key", "create"],
                         capture_output=True, text=True, check=True).stdout
    creds = dict(line.split("=", 1) for line in out.strip().splitlines()
                 if line.startswith("AWS_"))
    akid, secret = creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"]
    listed = subprocess.run([str(ARCANA_CLI), *cli_store_args(data), "access-key", "list"],
                            capture_output=True, text=True, check=True).stdout
    assert akid in listed and "AKIAROOT000000000001" in listed
    assert secret not in listed
    sm = boto3.client("secretsmanager", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id=akid, aws_secret_access_key=secret,
                      config=Config(retries={"max_attempts": 1}))
    sm.list_secrets()
    subprocess.run([str(ARCANA_CLI), *cli_store_args(data), "access-key", "delete", akid],
                   check=True, capture_output=True)
    # A fresh server process has no cached credential: the deleted key is refused at once.
    # (A running server stops accepting it within its 30 s credential cache lifetime.)
    first.terminate()
    first.wait(10)
    port2 = free_port()
    spawn(["--listen", f"127.0.0.1:{port2}", *store_args(data)])
    wait_health(f"http://127.0.0.1:{port2}")
    sm2 = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{port2}",
                       region_name="us-east-1", aws_access_key_id=akid,
                       aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
    with raises_code("UnrecognizedClientException"):
        sm2.list_secrets()
    # The secret half is stored sealed: it is nowhere in the store.
    hits = plaintext_at_rest(data, [secret.encode()])
    assert not hits, hits


def test_audit_log_records_calls_without_values(tmp_path, spawn):
    """Every API call leaves one durable JSON line under <data-dir>/audit/, whatever the log
    level, naming operation and resource but never the value (tests/integration/test_audit.py
    covers the trail in depth)."""
    import json
    data = tmp_path / "d"
    port = free_port()
    spawn(["--listen", f"127.0.0.1:{port}", *store_args(data), "--dev",
           "--log-level", "error"])
    wait_health(f"http://127.0.0.1:{port}")
    sm = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{port}",
                      region_name="us-east-1", aws_access_key_id="AKIAAUDIT",
                      aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))
    sm.create_secret(Name="audited", SecretString="audit-canary-value-1234")
    sm.get_secret_value(SecretId="audited")
    with raises_code("ResourceNotFoundException"):
        sm.get_secret_value(SecretId="missing")
    # Durable before the answer: no waiting.
    files = sorted((data / "audit").glob("*.jsonl"))
    lines = [json.loads(l) for f in files if ".digests." not in f.name
             for l in f.read_text().splitlines()]
    ops = [(l["eventName"], (l["requestParameters"] or {}).get("secretId") or
            (l["requestParameters"] or {}).get("name"), l.get("errorCode")) for l in lines]
    assert ("CreateSecret", "audited", None) in ops
    assert ("GetSecretValue", "audited", None) in ops
    assert ("GetSecretValue", "missing", "ResourceNotFoundException") in ops
    # Every API call is the caller's (the store's own start-up changes are AwsServiceEvents).
    calls = [l for l in lines if l["eventType"] == "AwsApiCall"]
    assert len(calls) == 3
    assert all(l["userIdentity"]["accessKeyId"] == "AKIAAUDIT" and l["requestID"] for l in calls)
    for f in files:
        assert b"audit-canary-value-1234" not in f.read_bytes()
        assert oct(f.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("skew", ["0", "-5", "86400"])
def test_clock_skew_setting_is_validated(tmp_path, skew):
    # A zero or negative window rejects every request; a day-long one lets a captured
    # request be replayed for a day. Both are refused at startup with a clear message.
    r = run_arcanad(["--listen", "127.0.0.1:0", *store_args(tmp_path / "d"), "--dev",
                     "--max-skew-seconds", skew])
    assert r.returncode != 0
    assert "--max-skew-seconds must be between 1 and 3600" in (r.stderr + r.stdout)


@pytest.mark.sqlite_only("exercises the sqlite: form of --store; the PostgreSQL pass runs "
                         "every test with --store postgresql://...")
def test_store_sqlite_url_is_the_data_dir(tmp_path, spawn):
    """`--store sqlite:DIR` is `--data-dir DIR`: a secret written through one form is read
    through the other, from DIR/arcana.db."""
    data = tmp_path / "d"
    port = free_port()
    p = spawn(["--listen", f"127.0.0.1:{port}", "--store", f"sqlite:{data}", "--dev"])
    wait_health(f"http://127.0.0.1:{port}")
    sm = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{port}",
                      region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    sm.create_secret(Name="via-store-url", SecretString="v")
    p.terminate()
    assert p.wait(10) == 0
    assert (data / "arcana.db").exists()
    port = free_port()
    spawn(["--listen", f"127.0.0.1:{port}", "--data-dir", str(data), "--dev"])
    wait_health(f"http://127.0.0.1:{port}")
    sm = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{port}",
                      region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    assert sm.get_secret_value(SecretId="via-store-url")["SecretString"] == "v"


@pytest.mark.postgresql_only("ARCANA_STORE names a PostgreSQL database here")
def test_store_and_root_key_file_from_env(tmp_path, spawn):
    """ARCANA_STORE and ARCANA_ROOT_KEY_FILE configure what --store / --root-key-file do: the
    first node creates the key file (0600) where it is told, not in the data dir."""
    data, keyfile = tmp_path / "d", tmp_path / "shared" / "root.key"
    keyfile.parent.mkdir()
    url = store_args(data)[1]
    port = free_port()
    spawn(["--listen", f"127.0.0.1:{port}", "--data-dir", str(data), "--dev"],
          {"ARCANA_STORE": url, "ARCANA_ROOT_KEY_FILE": str(keyfile)})
    wait_health(f"http://127.0.0.1:{port}")
    sm = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{port}",
                      region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    sm.create_secret(Name="via-env", SecretString="v")
    assert keyfile.exists() and oct(keyfile.stat().st_mode & 0o777) == "0o600"
    assert not (data / "root.key").exists()
    assert not (data / "arcana.db").exists()
    assert any(rows for rows in store_rows(data).values()), "nothing written to the database"
    assert pg_password_not_logged(tmp_path), "the store URL's password is in the log"


def pg_password_not_logged(tmp_path) -> bool:
    """The store URL may be logged, but never with its password."""
    import pg_cluster
    password = pg_cluster.session_cluster().password
    return all(pg_cluster.url_quote(password) not in p.read_text(errors="replace")
               and password not in p.read_text(errors="replace")
               for p in tmp_path.glob("arcanad-*.log"))


def test_dual_stack_listener_sees_ipv4_clients_as_ipv4(tmp_path, spawn):
    """On `--listen [::]:PORT` (dual-stack) an IPv4 client's socket address is the v4-mapped
    ::ffff:127.0.0.1; aws:SourceIp and the audit record's sourceIPAddress must carry its IPv4
    form, or no IPv4 CIDR condition ever matches it and an IP-based Deny is bypassed."""
    import json
    data = tmp_path / "d"
    port = free_port()
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": "AKIADUALSTACK0000001",
           "ARCANA_ROOT_SECRET_ACCESS_KEY": "dual-stack-secret-key-0123456789abcdef01"}
    spawn(["--listen", f"[::]:{port}", "--insecure-http", *store_args(data)], env)
    url = f"http://127.0.0.1:{port}"  # an IPv4 client
    wait_health(url)

    def client(service, akid, secret):
        return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                            aws_access_key_id=akid, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 0}))

    iam = client("iam", env["ARCANA_ROOT_ACCESS_KEY_ID"], env["ARCANA_ROOT_SECRET_ACCESS_KEY"])
    iam.create_user(UserName="from-loopback")
    iam.put_user_policy(UserName="from-loopback", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}]}))
    key = iam.create_access_key(UserName="from-loopback")["AccessKey"]
    sm = client("secretsmanager", key["AccessKeyId"], key["SecretAccessKey"])
    with raises_code("AccessDeniedException"):
        sm.list_secrets()
    records = [json.loads(l) for f in sorted((data / "audit").glob("*.jsonl"))
               if ".digests." not in f.name for l in f.read_text().splitlines()]
    sources = {r.get("sourceIPAddress") for r in records if r["eventType"] == "AwsApiCall"}
    assert sources == {"127.0.0.1"}, sources
