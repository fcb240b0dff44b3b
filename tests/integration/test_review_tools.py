"""Review findings in the tools around the server: `arcana scan`, `arcana migrate`, the
operator CLI and the Lambda API subset. Each test pins one hostile input or wire detail that
was wrong: planted values are assembled at run time so no token-shaped literal sits here.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import ARCANAD, ROOT_AKID, ROOT_SECRET

CLI = Path(os.environ.get("ARCANA_CLI", ARCANAD.parent / "arcana"))

SLACK = "xo" + "xb-123456789012-" + "abcdefghijABCDEFGHIJ1234"


def arcana(args, cwd, env=None, timeout=60, **kw):
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd)}
    return subprocess.run([str(CLI), *args], cwd=cwd, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, **kw)


# --------------------------------------------------------------------------- arcana scan

def test_scan_hostile_gitignore_does_not_hang(tmp_path):
    # A .gitignore line with many stars against a long file name: the backtracking glob tried
    # every split at every star (exponential) and held the scan for minutes on ONE name.
    (tmp_path / ".gitignore").write_text("*a*a*a*a*a*a*a*a*a*a*a*a*b\n**/x*x*x*x*x*x*x*x*y\n")
    (tmp_path / ("a" * 120)).write_text("nothing here\n")
    deep = tmp_path / ("x" * 60) / ("x" * 60)
    deep.mkdir(parents=True)
    (deep / ("x" * 100)).write_text("nothing here\n")
    (tmp_path / "app.env").write_text(f"SLACK_TOKEN={SLACK}\n")
    t0 = time.monotonic()
    r = arcana(["scan", "--format", "json", "."], tmp_path, timeout=30)
    assert time.monotonic() - t0 < 10
    assert r.returncode == 1, r.stderr
    assert {f["file"] for f in json.loads(r.stdout)} == {"app.env"}
    assert SLACK not in r.stdout


def test_scan_gitignore_semantics_kept(tmp_path):
    # The memoised matcher answers as the old one did on ordinary patterns.
    (tmp_path / ".gitignore").write_text("*.log\n/build/\n**/gen/*.env\ndocs/**\n!keep.log\n")
    for rel in ["a.log", "keep.log", "build/x.env", "src/gen/y.env", "src/gen/sub/z.env",
                "docs/a/b.env", "ok.env"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"SLACK_TOKEN={SLACK}\n")
    r = arcana(["scan", "--format", "json", "."], tmp_path)
    assert r.returncode == 1, r.stderr
    assert {f["file"] for f in json.loads(r.stdout)} == {"keep.log", "src/gen/sub/z.env",
                                                         "ok.env"}


def test_scan_many_findings_in_one_file_is_not_quadratic(tmp_path):
    # Each generic finding was compared with every other finding of its file (to give way to
    # a specific rule on the same bytes): 3 MB of alternating generic / Slack lines took 20 s.
    lines = []
    for i in range(40000):
        lines.append(f'password = "Zr9mQ4vKp2xL7wT{i:05d}"')
        lines.append(SLACK[:-5] + f"{i:05d}")
    lines.append(f'token = "{SLACK}"')  # a generic match over a specific one: only the specific
    (tmp_path / "big.txt").write_text("\n".join(lines) + "\n")
    # Quadratic was 20 s here; linear is ~3 s (Release) and ~21 s under ASan+UBSan (`make
    # test-sanitize` exports ASAN_OPTIONS), whose bound scales accordingly.
    bound = 80 if "ASAN_OPTIONS" in os.environ else 10
    t0 = time.monotonic()
    r = arcana(["scan", "--format", "json", "big.txt"], tmp_path, timeout=2 * bound)
    assert time.monotonic() - t0 < bound
    assert r.returncode == 1, r.stderr
    found = json.loads(r.stdout)
    counts = {}
    for f in found:
        counts[f["rule_id"]] = counts.get(f["rule_id"], 0) + 1
    assert counts == {"generic-secret-assignment": 40000, "slack-token": 40001}
    assert found[-1]["rule_id"] == "slack-token" and found[-1]["line"] == 80001


def test_scan_named_paths_are_not_silently_clean(tmp_path):
    (tmp_path / "app.env").write_text(f"SLACK_TOKEN={SLACK}\n")
    os.symlink("app.env", tmp_path / "link.env")
    # A named file that is a link was skipped (O_NOFOLLOW): "no secrets found", exit 0. It is
    # followed like a named directory; links met inside a tree are still skipped.
    r = arcana(["scan", "--format", "json", "link.env"], tmp_path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert [f["file"] for f in json.loads(r.stdout)] == ["link.env"]
    sub = tmp_path / "tree"
    sub.mkdir()
    os.symlink("../app.env", sub / "inner.env")
    r = arcana(["scan", "tree"], tmp_path)
    assert r.returncode == 0, r.stdout
    # A FIFO held the scan in open(2) forever; a device was "clean".
    os.mkfifo(tmp_path / "fifo")
    for named in ["fifo", "/dev/zero"]:
        r = arcana(["scan", named], tmp_path, timeout=20)
        assert r.returncode == 2, (named, r.stderr)
        assert "not a regular file" in r.stderr
    # --max-file-size in MiB was shifted into bytes unchecked: 2**44 wrapped to 0, every file
    # was skipped and the scan passed.
    r = arcana(["scan", "--max-file-size", str(2 ** 44), "app.env"], tmp_path)
    assert r.returncode == 2, r.stdout
    # --threads sized per-thread state up front: 4000000000 aborted (std::bad_alloc, 134).
    r = arcana(["scan", "--threads", "4000000000", "app.env"], tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert arcana(["scan", "--threads", "2", "app.env"], tmp_path).returncode == 1
    # Files the scan skipped are said to be skipped.
    (tmp_path / "bin.dat").write_bytes(b"\x00" + SLACK.encode())
    r = arcana(["scan", "bin.dat"], tmp_path)
    assert r.returncode == 0 and "1 file not scanned" in r.stderr


def test_scan_table_does_not_pass_terminal_escapes_through(tmp_path):
    # The table (for a terminal) printed file names and matches raw: a scanned repository
    # could retitle or clear the operator's terminal. Control bytes are shown as \xNN.
    name = "\x1b]0;pwned\x07x.env"
    (tmp_path / name).write_text(
        "DB=postgres://ad\x1b[2Jmin:Zr9mQ4vKp2xL7wT@db.example.com/app\n")
    r = arcana(["scan", "."], tmp_path)
    assert r.returncode == 1, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "\\x1b]0;pwned\\x07x.env:1:" in r.stdout and "ad\\x1b[2Jmin" in r.stdout
    assert "Zr9mQ4vKp2xL7wT" not in r.stdout
    j = arcana(["scan", "--format", "json", "."], tmp_path)  # JSON escapes them itself
    assert [f["file"] for f in json.loads(j.stdout)] == [name]


def test_scan_reports_mask_other_findings_inside_a_match(tmp_path):
    # Each finding's match was redacted of its own value only: a Slack token in a database
    # URL's query reached the JSON and SARIF reports whole, as part of the URL's match.
    pw = "Zr9mQ4vKp2xL7wT"
    (tmp_path / "a.env").write_text(
        f"DB=postgres://app:{pw}@db.example.com/app?x={SLACK}\n")
    for fmt in ["json", "sarif", "table"]:
        r = arcana(["scan", "--format", fmt, "a.env"], tmp_path)
        assert r.returncode == 1, r.stderr
        assert pw not in r.stdout, fmt
        assert SLACK[:12] not in r.stdout, fmt
    found = json.loads(arcana(["scan", "--format", "json", "a.env"], tmp_path).stdout)
    assert {f["rule_id"]: f["match"] for f in found} == {
        "connection-string-password": "postgres://app:Z*****T@db.example.com/app?x=*****",
        "slack-token": SLACK[0] + "*****" + SLACK[-1]}


def test_scan_json_and_sarif_stay_utf8_for_latin1_names_and_lines(tmp_path):
    # Bytes of a Latin-1 file name or line went into the reports raw: the whole JSON / SARIF
    # document was then invalid UTF-8 (json.loads and SARIF uploads refuse it).
    (tmp_path / b"caf\xe9.env".decode("utf-8", "surrogateescape")).write_bytes(
        f"SLACK={SLACK}\n".encode() + b"DB=postgres://app:Zr9mQ4vKp2xL7wT@s\xe9rveur/db\n")
    out = subprocess.run([str(CLI), "scan", "--format", "json", "."], cwd=tmp_path,
                         capture_output=True, timeout=60)
    assert out.returncode == 1, out.stderr
    found = json.loads(out.stdout.decode("utf-8"))
    assert {f["file"] for f in found} == {"caf\ufffd.env"}
    sarif = subprocess.run([str(CLI), "scan", "--format", "sarif", "."], cwd=tmp_path,
                           capture_output=True, timeout=60)
    doc = json.loads(sarif.stdout.decode("utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in doc["runs"][0]["results"]}
    assert uris == {"caf%E9.env"}


def test_scan_since_out_of_range_is_a_usage_error(tmp_path):
    # A 20-digit --since went to std::stoll, whose out_of_range escaped: abort (134), core.
    git = ["git", "-c", "user.name=a", "-c", "user.email=a@example.com"]
    subprocess.run(git + ["init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(git + ["commit", "-q", "--allow-empty", "-m", "x"], cwd=tmp_path, check=True)
    r = arcana(["scan", "--git", "--since", "99999999999999999999", "."], tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "--since" in r.stderr
    ok = arcana(["scan", "--git", "--since", "0", "."], tmp_path)
    assert ok.returncode == 0, ok.stderr


# --------------------------------------------------------------------------- arcana migrate

@pytest.fixture
def migrate_env(tmp_path, auth_server):
    return {
        "AWS_ACCESS_KEY_ID": ROOT_AKID,
        "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "HOME": str(tmp_path),
    }, auth_server


def test_migrate_apply_does_not_follow_a_planted_temp_link(tmp_path, migrate_env):
    # The rewrite went through the fixed name FILE.arcana-migrate.tmp, opened following links:
    # a repository shipping that name as a symlink made --apply overwrite its target (here a
    # file outside the tree) and left FILE a link to it.
    env, server = migrate_env
    repo = tmp_path / "repo"
    repo.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    app = repo / "app.env"
    app.write_text(f"APP=demo\nSLACK_TOKEN={SLACK}\n")
    # Not 0600: the temporary file is created 0600 (mkstemp), so only another mode shows that
    # the original's is copied.
    os.chmod(app, 0o640)
    os.symlink("../victim.txt", repo / "app.env.arcana-migrate.tmp")
    name = "rv" + uuid.uuid4().hex[:8]
    r = arcana(["migrate", "--apply", "--yes", "--repo", name, "--endpoint-url",
                server.endpoint, "."], repo, env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert victim.read_text() == "precious\n"
    st = os.lstat(app)
    assert stat.S_ISREG(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o640  # the original's mode is kept
    text = app.read_text()
    assert SLACK not in text and "{{resolve:secretsmanager:" in text
    # No temporary file is left behind.
    assert sorted(p.name for p in repo.iterdir()) == ["app.env", "app.env.arcana-migrate.tmp"]

    # A file named through a link (scan follows a named link) is not rewritten: replacing the
    # link would leave the value in its target while reporting the file rewritten.
    (repo / "real.env").write_text(f"SLACK_TOKEN={SLACK}\n")
    os.symlink("real.env", repo / "link.env")
    r = arcana(["migrate", "--apply", "--yes", "--repo", name, "--endpoint-url",
                server.endpoint, "link.env"], repo, env)
    assert r.returncode == 2 and "is a symbolic link" in r.stderr, r.stdout + r.stderr
    assert os.path.islink(repo / "link.env")
    assert SLACK in (repo / "real.env").read_text()


# --------------------------------------------------------------------------- Lambda API

LAMBDA_ROLE = "arn:aws:iam::123456789012:role/lambda-exec"


def lambda_client(server, validate=True):
    """A Lambda client of the account root; LAMBDA_ROLE exists (created if absent) and trusts
    lambda.amazonaws.com, as Lambda requires of a function's role."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
    kw = dict(endpoint_url=server.endpoint, region_name="us-east-1",
              aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET)
    try:
        boto3.client("iam", **kw).create_role(
            RoleName=LAMBDA_ROLE.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    except ClientError as e:
        if e.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    return boto3.client("lambda", **kw, config=Config(retries={"max_attempts": 1},
                                                      parameter_validation=validate))


def small_zip() -> bytes:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lambda_function.py", "def lambda_handler(event, context):\n    return 1\n")
    return buf.getvalue()


def lambda_error(call):
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_lambda_oversized_package_is_request_entity_too_large(auth_server):
    # AWS: RequestEntityTooLargeException 413 "Request must be smaller than N bytes for the
    # CreateFunction operation" (the SDKs' and LocalStack's AWS-checked reports); we answered
    # the message under RequestTooLargeException.
    lam = lambda_client(auth_server)
    package = os.urandom(720 * 1024)  # past the package bound, under the 1 MiB body limit
    code, msg, status = lambda_error(lambda: lam.create_function(
        FunctionName="big-" + uuid.uuid4().hex[:8], Runtime="python3.11", Role=LAMBDA_ROLE,
        Handler="lambda_function.lambda_handler", Code={"ZipFile": package}))
    assert (code, status) == ("RequestEntityTooLargeException", 413)
    assert msg.startswith("Request must be smaller than ") and msg.endswith(
        " bytes for the CreateFunction operation")


def test_lambda_add_permission_checks_the_models_patterns(auth_server):
    # AddPermission's members have patterns Lambda enforces (ValidationException, the model's
    # pattern quoted); we stored any Action, Sid or Principal in the function's policy.
    lam = lambda_client(auth_server, validate=False)
    name = "perm-" + uuid.uuid4().hex[:8]
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=LAMBDA_ROLE,
                        Handler="lambda_function.lambda_handler", Code={"ZipFile": small_zip()})
    base = dict(FunctionName=name, StatementId="ok", Action="lambda:InvokeFunction",
                Principal="events.amazonaws.com")
    bad = [
        ("Action", "s3:GetObject", "action", "(lambda:[*]|lambda:[a-zA-Z]+|[*])"),
        ("Action", "lambda:", "action", "(lambda:[*]|lambda:[a-zA-Z]+|[*])"),
        ("StatementId", "has space", "statementId", "([a-zA-Z0-9-_]+)"),
        ("Principal", "a b", "principal", "[^\\s]+"),
        ("SourceAccount", "12345", "sourceAccount", "\\d{12}"),
        ("PrincipalOrgID", "o-UPPERCASE12", "principalOrgID", "o-[a-z0-9]{10,32}"),
        ("EventSourceToken", "tok en", "eventSourceToken", "[a-zA-Z0-9._\\-]+"),
    ]
    for member, value, wire, pattern in bad:
        code, msg, status = lambda_error(
            lambda: lam.add_permission(**{**base, member: value}))
        assert (code, status) == ("ValidationException", 400), (member, msg)
        assert msg == (f"1 validation error detected: Value '{value}' at '{wire}' failed to "
                       f"satisfy constraint: Member must satisfy regular expression pattern: "
                       f"{pattern}"), member
    code, _, _ = lambda_error(lambda: lam.get_policy(FunctionName=name))
    assert code == "ResourceNotFoundException"  # nothing was stored
    for action in ["*", "lambda:*", "lambda:InvokeFunction"]:
        sid = "s" + uuid.uuid4().hex[:6]
        lam.add_permission(**{**base, "StatementId": sid, "Action": action},
                           SourceAccount="123456789012", PrincipalOrgID="o-abcdefghij")
    code, msg, _ = lambda_error(lambda: lam.remove_permission(FunctionName=name,
                                                              StatementId="bad:sid"))
    assert code == "ValidationException" and "([a-zA-Z0-9-_.]+)" in msg
    lam.delete_function(FunctionName=name)


GITLAB = "gl" + "pat-" + "Mq8Xv2Lm4Np6Rt9Wy1Ab"


def test_migrate_diff_redacts_findings_left_out_of_the_selection(tmp_path):
    # The dry run's diff redacted only the values being migrated: a finding left out by
    # --select (or declined at the prompt) on a context line was printed in plaintext.
    (tmp_path / "app.env").write_text(f"SLACK_TOKEN={SLACK}\nGITLAB_TOKEN={GITLAB}\n")
    scan = arcana(["scan", "--format", "json", "app.env"], tmp_path)
    assert scan.returncode == 1, scan.stderr
    report = json.loads(scan.stdout)
    assert {f["rule_id"] for f in report} == {"slack-token", "gitlab-token"}
    (tmp_path / "sel.json").write_text(json.dumps([f for f in report
                                                   if f["rule_id"] == "slack-token"]))
    for sel in ["--select", "--report"]:
        dry = arcana(["migrate", sel, "sel.json", "--repo", "r", "app.env"], tmp_path)
        assert dry.returncode == 0, dry.stderr
        assert "+SLACK_TOKEN={{resolve:secretsmanager:r/app.env/SLACK_TOKEN}}" in dry.stdout
        assert " GITLAB_TOKEN=" in dry.stdout  # the context line is there, redacted
        for v in (SLACK, GITLAB):
            assert v not in dry.stdout and v not in dry.stderr
    # Source code is not edited: its line is printed with the snippets, and was redacted of
    # the migrated value only.
    (tmp_path / "app.py").write_text(f'cfg = {{"slack": "{SLACK}", "gl": "{GITLAB}"}}\n')
    scan = arcana(["scan", "--format", "json", "app.py"], tmp_path)
    (tmp_path / "sel.json").write_text(json.dumps([f for f in json.loads(scan.stdout)
                                                   if f["rule_id"] == "slack-token"]))
    dry = arcana(["migrate", "--select", "sel.json", "--repo", "r", "app.py"], tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "source code is not edited" in dry.stdout and '"gl": "' in dry.stdout
    for v in (SLACK, GITLAB):
        assert v not in dry.stdout and v not in dry.stderr


def test_migrate_output_does_not_pass_terminal_escapes_through(tmp_path):
    # The dry run printed the repository's file names, diff lines and source lines raw: an
    # ESC sequence in a name or a line retitled or cleared the operator's terminal (scan's
    # table report escapes them; migrate printed them as they were).
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "x\x1b]0;owned\x07.env").write_text(f"A=\x1b[2J\nSLACK_TOKEN={SLACK}\nB=\x1b[5m\n")
    (repo / "app\x1b[1m.py").write_text(f'cfg = {{"slack": "{SLACK}"}}  # \x1b[2J\n')
    dry = arcana(["migrate", "--repo", "r", "."], repo)
    assert dry.returncode == 0, dry.stderr
    assert "SLACK_TOKEN" in dry.stdout and "source code is not edited" in dry.stdout
    for out in (dry.stdout, dry.stderr):
        assert "\x1b" not in out and "\x07" not in out, out
    assert "\\x1b]0;owned\\x07.env" in dry.stdout and " A=\\x1b[2J" in dry.stdout
    assert SLACK not in dry.stdout


# --------------------------------------------------------------------------- arcana operator

def _non_loopback_ipv4():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route's address
        addr = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if addr.startswith("127.") else addr


def test_operator_never_sends_the_token_or_a_share_over_plain_remote_http(tmp_path):
    # The server takes the token and shares only over TLS or from loopback, yet the CLI sent
    # them to any http:// endpoint first: X-Arcana-Operator-Token crossed the network in clear.
    import socket
    import threading
    addr = _non_loopback_ipv4()
    if addr is None:
        pytest.skip("no non-loopback IPv4 address")
    srv = socket.socket()
    srv.bind((addr, 0))
    srv.listen(4)
    srv.settimeout(0.2)
    received = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            c.settimeout(2)
            try:
                received.append(c.recv(65536))
                c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}")
            except OSError:
                pass
            c.close()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        endpoint = f"http://{addr}:{srv.getsockname()[1]}"
        token = "op-token-" + uuid.uuid4().hex
        for sub in (["seal"], ["rotate-root"], ["unseal", "--reset"]):
            r = arcana(["operator", "--endpoint", endpoint, "--timeout", "5", *sub], tmp_path,
                        {"ARCANA_OPERATOR_TOKEN": token}, timeout=30)
            assert r.returncode == 1, (sub, r.stderr)
            assert "refusing to send the operator token over plain http" in r.stderr, sub
        share = "arcs1-" + uuid.uuid4().hex
        r = arcana(["operator", "--endpoint", endpoint, "--timeout", "5", "rotate-root",
                    "--nonce", "n1", share], tmp_path, timeout=30)
        assert r.returncode == 1 and "refusing to send an unseal share" in r.stderr, r.stderr
        # The public status call still goes out (no credential in it).
        arcana(["operator", "--endpoint", endpoint, "--timeout", "5", "status"], tmp_path,
               {"ARCANA_OPERATOR_TOKEN": token}, timeout=30)
    finally:
        stop.set()
        t.join()
        srv.close()
    sent = b"".join(received)
    assert token.encode() not in sent and b"arcs1-" not in sent
    assert b"GET /_arcana/seal-status" in sent
