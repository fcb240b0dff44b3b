"""Issue 8, defects 1 and 3: hostile JSON never crashes the server, and the operator endpoints
(unseal, seal, rotate-root) need credentials, bind Shamir progress to a nonce, are
rate-limited, and never hand out new shares without a quorum of current ones.

Every test here fails on the code before the fix (a crash, a bypass or shares handed out).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from test_root_of_trust import (  # noqa: F401  (servers is a fixture)
    AKID, ARCANAD, SECRET, Server, _free_port, operator_init, servers)
from conftest import cli_store_args, store_args

DEEP = "[" * (200 * 1024)


def assert_healthy_within_1s(server: Server):
    deadline = time.monotonic() + 1.0
    while True:
        assert server.proc.poll() is None, "arcanad died:\n" + server.log.read_text()[-2000:]
        try:
            r = requests.get(server.endpoint + "/_arcana/health", timeout=1)
            assert r.status_code == 200, r.text
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def signed_post(server: Server, target: str, body: str, service: str = "secretsmanager"):
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body.encode(),
                     headers={"X-Amz-Target": target,
                              "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(AKID, SECRET), service, "us-east-1").add_auth(req)
    return requests.post(server.endpoint + "/", data=body.encode(), headers=dict(req.headers),
                         timeout=10)


def post(server: Server, op: str, body="{}", token: str | None = None, **kw):
    headers = {"X-Arcana-Operator-Token": token} if token else {}
    return requests.post(f"{server.endpoint}/_arcana/operator/{op}", data=body, headers=headers,
                         timeout=10, **kw)


def test_deeply_nested_json_to_unseal_and_api_leaves_server_healthy(servers):
    server = servers().start()
    # Operator endpoint (unauthenticated): a 200 KB body is over the operator cap.
    r = post(server, "unseal", DEEP)
    assert r.status_code in (400, 413), r.text
    assert_healthy_within_1s(server)
    # Under the cap but deeper than the nesting limit: a JSON error, not a deep parse.
    r = post(server, "unseal", "[" * 4000)
    assert r.status_code == 400 and r.json()["error"] == "SerializationException"
    assert_healthy_within_1s(server)

    # API: unsigned is refused before parsing; signed reaches the parser.
    r = requests.post(server.endpoint + "/", data=DEEP, timeout=10,
                      headers={"X-Amz-Target": "secretsmanager.ListSecrets",
                               "Content-Type": "application/x-amz-json-1.1"})
    assert r.status_code in (400, 403)
    assert_healthy_within_1s(server)
    for target, service in (("secretsmanager.CreateSecret", "secretsmanager"),
                            ("TrentService.CreateKey", "kms"),
                            ("AmazonSSM.PutParameter", "ssm")):
        r = signed_post(server, target, DEEP, service)
        assert r.status_code == 400, r.text
        assert r.json()["__type"].endswith("SerializationException"), r.text
        assert_healthy_within_1s(server)
    # Nesting inside a valid request, e.g. a document-typed member, is bounded the same way.
    nested = '{"Name":"deep","SecretString":"x","Tags":' + "[" * 100 + "]" * 100 + "}"
    r = signed_post(server, "secretsmanager.CreateSecret", nested)
    assert r.status_code == 400 and "SerializationException" in r.json()["__type"]
    assert server.sm().list_secrets()["SecretList"] == []  # nothing was written
    assert_healthy_within_1s(server)


def test_operator_body_is_capped(servers):
    server = servers().start()
    r = post(server, "seal", '{"pad":"' + "x" * 8192 + '"}', token=server.token)
    assert r.status_code == 413 and r.json()["error"] == "RequestEntityTooLarge"
    assert server.status()["sealed"] is False


def test_unauthenticated_unseal_of_a_sealed_keyfile_server_fails(servers):
    server = servers().start()
    assert post(server, "seal").status_code in (401, 403)
    assert post(server, "seal", token="not-the-operator-token-at-all").status_code == 403
    assert server.status()["sealed"] is False
    server.cli("operator", "seal", token=False)  # root SigV4
    assert server.status()["sealed"] is True

    # The reported bypass: {} (or an empty body) re-unsealed it.
    for body in ("{}", ""):
        r = post(server, "unseal", body)
        assert r.status_code == 401, r.text
        assert r.json()["error"] == "MissingAuthenticationTokenException"
    assert post(server, "unseal", token="not-the-operator-token-at-all").status_code == 403
    # SigV4 cannot be checked while sealed (access keys are sealed): refused, not trusted.
    req = AWSRequest(method="POST", url=server.endpoint + "/_arcana/operator/unseal", data=b"{}")
    SigV4Auth(Credentials(AKID, SECRET), "arcana", "us-east-1").add_auth(req)
    r = requests.post(server.endpoint + "/_arcana/operator/unseal", data=b"{}",
                      headers=dict(req.headers), timeout=5)
    assert r.status_code == 401
    assert server.status()["sealed"] is True
    assert server.health().status_code == 503

    # The operator (CLI, token from the data dir) unseals it.
    p = server.cli("operator", "unseal", creds=False, token=True)
    assert "Sealed:        false" in p.stdout
    assert server.health().status_code == 200
    # Reset of progress needs credentials too.
    assert post(server, "unseal", '{"reset":true}').status_code == 401


def test_shamir_nonce_mismatch_is_rejected_and_progress_survives(tmp_path, servers):
    shares = operator_init(tmp_path)
    server = servers().start()
    r = post(server, "unseal", f'{{"share":"{shares[0]}"}}')
    assert r.status_code == 200, r.text
    nonce = r.json()["nonce"]
    assert r.json()["progress"] == 1
    assert "nonce" not in server.status()  # never public

    # A stranger without the nonce (or with a wrong one) cannot add to, or reset, the attempt.
    r = post(server, "unseal", f'{{"share":"{shares[1]}"}}')
    assert r.status_code == 409 and r.json()["error"] == "NonceMismatch"
    r = post(server, "unseal", f'{{"share":"{shares[1]}","nonce":"{"0" * 32}"}}')
    assert r.status_code == 409
    assert post(server, "unseal", '{"reset":true}').status_code == 401
    assert server.status()["progress"] == 1

    r = post(server, "unseal", f'{{"share":"{shares[1]}","nonce":"{nonce}"}}')
    assert r.status_code == 200 and r.json()["progress"] == 2
    # The operator token resets it.
    r = post(server, "unseal", '{"reset":true}', token=server.token)
    assert r.status_code == 200 and r.json()["progress"] == 0
    r = post(server, "unseal", f'{{"share":"{shares[2]}","nonce":"{nonce}"}}')
    assert r.status_code == 409  # the old nonce names nothing now
    n2 = post(server, "unseal", f'{{"share":"{shares[2]}"}}').json()["nonce"]
    assert n2 != nonce
    post(server, "unseal", f'{{"share":"{shares[3]}","nonce":"{n2}"}}')
    r = post(server, "unseal", f'{{"share":"{shares[4]}","nonce":"{n2}"}}')
    assert r.status_code == 200 and r.json()["sealed"] is False


def test_operator_attempts_are_rate_limited(servers):
    server = servers().start()
    codes = [post(server, "seal", token="guess-guess-guess-guess").status_code for _ in range(20)]
    assert 429 in codes, codes
    assert codes.index(429) <= 10, codes
    limited = post(server, "seal", token="guess-guess-guess-guess")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"] == "TooManyRequests"
    assert server.status()["sealed"] is False
    assert_healthy_within_1s(server)


def test_rotate_root_never_returns_shares_without_a_quorum(tmp_path, servers):
    shares = operator_init(tmp_path)
    server = servers().start()
    n = post(server, "unseal", f'{{"share":"{shares[0]}"}}').json()["nonce"]
    for s in shares[1:3]:
        post(server, "unseal", f'{{"share":"{s}","nonce":"{n}"}}')
    assert server.status()["sealed"] is False
    old_id = server.status()["root_key_id"]

    # Unauthenticated: refused. Authenticated (token or root SigV4): only a nonce comes back.
    assert post(server, "rotate-root").status_code == 401
    req = AWSRequest(method="POST", url=server.endpoint + "/_arcana/operator/rotate-root",
                     data=b"{}")
    SigV4Auth(Credentials(AKID, SECRET), "arcana", "us-east-1").add_auth(req)
    r = requests.post(server.endpoint + "/_arcana/operator/rotate-root", data=b"{}",
                      headers=dict(req.headers), timeout=30)
    assert r.status_code == 200, r.text
    assert "shares" not in r.json() and "nonce" in r.json()
    r = post(server, "rotate-root", token=server.token)
    body = r.json()
    assert r.status_code == 200 and "shares" not in body and body["threshold"] == 3
    rn = body["nonce"]
    assert server.status()["root_key_id"] == old_id

    # Foreign shares at the threshold: refused, nothing rotated, no shares.
    foreign = operator_init(tmp_path, name="foreign")
    for s in foreign[:2]:
        r = post(server, "rotate-root", f'{{"share":"{s}","nonce":"{rn}"}}')
        assert r.status_code == 200 and "shares" not in r.json()
    r = post(server, "rotate-root", f'{{"share":"{foreign[2]}","nonce":"{rn}"}}')
    assert r.status_code == 400 and "shares" not in r.json()
    assert server.status()["root_key_id"] == old_id

    # A real quorum under a fresh nonce: the new shares, once.
    rn = post(server, "rotate-root", token=server.token).json()["nonce"]
    assert post(server, "rotate-root", f'{{"share":"{shares[3]}","nonce":"x"}}').status_code == 409
    for s in shares[3:5]:
        r = post(server, "rotate-root", f'{{"share":"{s}","nonce":"{rn}"}}')
        assert r.status_code == 200 and "shares" not in r.json()
    r = post(server, "rotate-root", f'{{"share":"{shares[0]}","nonce":"{rn}"}}')
    assert r.status_code == 200, r.text
    assert len(r.json()["shares"]) == 5
    assert server.status()["root_key_id"] != old_id
    # The attempt is over: replaying a share gets nothing.
    r = post(server, "rotate-root", f'{{"share":"{shares[1]}","nonce":"{rn}"}}')
    assert r.status_code == 409 and "shares" not in r.json()


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing interface
            addr = s.getsockname()[0]
            return None if addr.startswith("127.") else addr
    except OSError:
        return None


def test_shares_and_token_refused_over_plain_http_from_elsewhere(tmp_path):
    addr = _non_loopback_address()
    if addr is None:
        pytest.skip("no non-loopback address on this machine (unit tests cover the rule)")
    shares = operator_init(tmp_path)
    data = tmp_path / "data"
    port = _free_port()
    env = {**os.environ, "ARCANA_ROOT_ACCESS_KEY_ID": AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": SECRET}
    with open(tmp_path / "remote.log", "ab") as log:
        proc = subprocess.Popen([str(ARCANAD), "--listen", f"0.0.0.0:{port}",
                                 *store_args(data, root_key_file=False), "--insecure-http"],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        remote = f"http://{addr}:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(remote + "/_arcana/seal-status", timeout=1)
                break
            except requests.RequestException:
                assert proc.poll() is None and time.monotonic() < deadline, "no arcanad"
                time.sleep(0.05)
        token = (data / "operator.token").read_text().strip()
        r = requests.post(remote + "/_arcana/operator/unseal", timeout=5,
                          data=f'{{"share":"{shares[0]}"}}')
        assert r.status_code == 403 and r.json()["error"] == "InsecureTransport"
        r = requests.post(remote + "/_arcana/operator/unseal", data='{"reset":true}', timeout=5,
                          headers={"X-Arcana-Operator-Token": token})
        assert r.status_code == 403 and r.json()["error"] == "InsecureTransport"
        assert requests.get(remote + "/_arcana/seal-status", timeout=5).json()["progress"] == 0
        # From loopback the same share is taken.
        r = requests.post(f"http://127.0.0.1:{port}/_arcana/operator/unseal", timeout=5,
                          data=f'{{"share":"{shares[0]}"}}')
        assert r.status_code == 200 and r.json()["progress"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_cli_gives_up_on_a_server_that_accepts_and_never_answers(tmp_path):
    """`arcana operator` bounds the whole exchange (--timeout, default 120 s): a silent
    server made it hang forever (synchronous reads ignored the deadline)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel accepts; nobody ever reads or answers
    port = silent.getsockname()[1]
    try:
        for args in (["status"], ["seal"]):
            t0 = time.monotonic()
            p = subprocess.run([str(ARCANAD.parent / "arcana"), "operator", "--endpoint",
                                f"http://127.0.0.1:{port}", "--timeout", "1", *args],
                               capture_output=True, text=True, timeout=30,
                               env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                    "ARCANA_OPERATOR_TOKEN": "t" * 32})
            assert p.returncode != 0
            assert "no answer within 1 s" in p.stderr, p.stderr
            assert time.monotonic() - t0 < 10
    finally:
        silent.close()


@pytest.mark.parametrize("answer", ['{"shares":[1,2]}', '{"shares":["arcs1-x"]}', '{}'])
def test_cli_never_reports_a_rotation_the_answer_does_not_show(answer):
    """A 200 answer to rotate-root that is not a rotation report (no old and new key ids)
    made the CLI print "Root key rotated: " with nothing, and exit 0."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = answer.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        p = subprocess.run([str(ARCANAD.parent / "arcana"), "operator", "--endpoint",
                            f"http://127.0.0.1:{httpd.server_address[1]}", "rotate-root"],
                           capture_output=True, text=True, timeout=30,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                "ARCANA_OPERATOR_TOKEN": "t" * 32})
        assert p.returncode != 0, p.stdout
        assert "Root key rotated" not in p.stdout and "not a rotation report" in p.stderr
        assert "arcs1-x" not in p.stdout + p.stderr
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_cli_unseals_over_https_and_verifies_the_certificate(tmp_path):
    """Shares may leave the host only over TLS, so `arcana operator` speaks https:// and
    checks the server's certificate (ARCANA_CA_CERT here; the system CAs by default)."""
    shares = operator_init(tmp_path)
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    data = tmp_path / "data"
    port = _free_port()
    env = {**os.environ, "ARCANA_ROOT_ACCESS_KEY_ID": AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": SECRET}
    with open(tmp_path / "tls.log", "ab") as log:
        proc = subprocess.Popen([str(ARCANAD), "--listen", f"127.0.0.1:{port}",
                                 *store_args(data, root_key_file=False), "--tls-cert", str(cert),
                                 "--tls-key", str(key)],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(url + "/_arcana/seal-status", timeout=1, verify=str(cert))
                break
            except requests.RequestException:
                assert proc.poll() is None and time.monotonic() < deadline, "no arcanad"
                time.sleep(0.05)

        def cli(*args, ca: Path | None = cert, check=True):
            e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ARCANA_ENDPOINT": url}
            if ca is not None:
                e["ARCANA_CA_CERT"] = str(ca)
            p = subprocess.run([str(ARCANAD.parent / "arcana"), "--data-dir", str(data),
                                "operator", *args], capture_output=True, text=True, timeout=60,
                               env=e)
            assert not check or p.returncode == 0, p.stderr
            return p

        # An untrusted certificate: the CLI refuses to send the share.
        other = tmp_path / "other.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(tmp_path / "other.key"), "-out", str(other)],
                       check=True, capture_output=True)
        p = cli("unseal", shares[0], ca=other, check=False)
        assert p.returncode != 0 and "certificate verify failed" in p.stderr, p.stderr
        assert requests.get(url + "/_arcana/seal-status", verify=str(cert)).json()["progress"] == 0

        out = cli("unseal", shares[0]).stdout
        nonce = [ln.split(":", 1)[1].strip() for ln in out.splitlines()
                 if ln.startswith("Unseal nonce:")][0]
        cli("unseal", "--nonce", nonce, shares[1])
        out = cli("unseal", "--nonce", nonce, shares[2]).stdout
        assert "Sealed:        false" in out
        assert "Sealed:        false" in cli("status").stdout
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _signed_operator_post(server: Server, op: str, akid: str, secret: str):
    url = f"{server.endpoint}/_arcana/operator/{op}"
    req = AWSRequest(method="POST", url=url, data=b"{}")
    SigV4Auth(Credentials(akid, secret), "arcana", "us-east-1").add_auth(req)
    return requests.post(url, data=b"{}", headers=dict(req.headers), timeout=30)


def test_only_the_servers_own_account_root_operates_it(tmp_path, servers):
    # Every account has a root identity; only the one of --account-id seals or rotates.
    server = servers(args=["--account-id", "111111111111"]).start()
    server.stop()
    p = subprocess.run([str(ARCANAD.parent / "arcana"), *cli_store_args(server.data_dir),
                        "access-key", "create", "--account-id", "222222222222"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    other = dict(line.split("=", 1) for line in p.stdout.split() if line.startswith("AWS_"))
    other_akid, other_secret = other["AWS_ACCESS_KEY_ID"], other["AWS_SECRET_ACCESS_KEY"]
    server.start()
    old_id = server.status()["root_key_id"]
    for op in ("rotate-root", "seal"):
        r = _signed_operator_post(server, op, other_akid, other_secret)
        assert r.status_code == 403, (op, r.text)
        assert "this server's account" in r.json()["message"]
    assert server.status()["sealed"] is False
    assert server.status()["root_key_id"] == old_id
    # The other account's root still works in its own account (it is a valid identity).
    sm = boto3.client("secretsmanager", endpoint_url=server.endpoint, region_name="us-east-1",
                      aws_access_key_id=other_akid, aws_secret_access_key=other_secret)
    sm.create_secret(Name="other-account/secret", SecretString="x")
    # The server's own root does both.
    r = _signed_operator_post(server, "rotate-root", AKID, SECRET)
    assert r.status_code == 200, r.text
    assert server.status()["root_key_id"] != old_id
    assert _signed_operator_post(server, "seal", AKID, SECRET).status_code == 200
    assert server.status()["sealed"] is True
