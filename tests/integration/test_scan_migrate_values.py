"""`arcana scan` / `arcana migrate`: whole values, URL lists, stdin chunks, merges, resuming and
Secrets Manager errors (scan/migrate review findings).

- migrate stores a value only when the finding is all of it, decoded as the format reads it
  (dotenv escapes, JSON escapes, .properties escapes); a finding that is only part of a value
  (a continued .properties line, an unquoted value holding ';') is left with a note, never
  partly rewritten;
- every password of a list of URLs is a finding and redacted, an empty user is a user;
- `scan -` finds a PEM key crossing a 1 MiB read as scanning the same bytes as a file does;
- `scan --git` reports lines a merge adds that no parent had (and migrate tags them exposed);
- migrating the rest of a file after a part takes the next free name, not the first value's;
- a value Arcana cannot read is reported as such, a throttled CreateSecret is retried;
- notes keep their lines; Terraform data sources are declared once per module.

Planted values are assembled at run time so no token-shaped literal sits in this file.
"""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import ARCANAD, ROOT_AKID, ROOT_SECRET, make_client

CLI = Path(os.environ.get("ARCANA_CLI", ARCANAD.parent / "arcana"))

pytestmark = pytest.mark.sqlite_only(
    "arcana scan/migrate talk only to the public Secrets Manager API; the store behind it is "
    "covered by the Secrets Manager tests on both backends")

GITLAB = "gl" + "pat-" + "Mq8Xv2Lm4Np6Rt9Wy1Ab"
GITLAB2 = "gl" + "pat-" + "Zt5Wq3Np8Kc1Vb7Rm2Dx"


def run(args, cwd, env=None, stdin=None, timeout=60):
    return subprocess.run([str(CLI), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          input=stdin, timeout=timeout)


def sm_env(home: Path) -> dict:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            "AWS_ACCESS_KEY_ID": ROOT_AKID, "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1"}


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com",
                    "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_migrate_stores_whole_decoded_values_and_never_a_part(tmp_path, auth_server):
    repo = "v" + uuid.uuid4().hex[:8]
    (tmp_path / "app.env").write_text('API_PASSWORD="Xk29vLqpR7\\"mzQ"\n')
    (tmp_path / "stack.json").write_text(
        '{"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {\n'
        '  "MasterUserPassword": "Kx8\\/vLq2\\\\Rz9m",\n'
        '  "ApiPassword": "Xk29vLqpR7mzQ\\"x"}}}}\n')
    partial = {
        "db.properties": "db.password=Xk29vLqpR7\\\n    mzQ\n",  # continued on the next line
        "semi.env": "API_PASSWORD=Hw4vTz8qN;Lq2Rp\nAPI_SECRET=Jb6vLq2Rz9(mQ)\n",
    }
    for name, text in partial.items():
        (tmp_path / name).write_text(text)
    env = sm_env(tmp_path)
    r = run(["migrate", "--apply", "--yes", "--repo", repo, "--endpoint-url",
             auth_server.endpoint, "."], tmp_path, env)
    assert r.returncode == 0, r.stdout + r.stderr
    for v in ("Xk29vLqpR7", "Kx8", "Hw4vTz8qN", "Jb6vLq2Rz9"):
        assert v not in r.stdout and v not in r.stderr
    sm = make_client(auth_server.endpoint, "us-east-1", ROOT_AKID, ROOT_SECRET)
    stored = {
        f"{repo}/app.env/API_PASSWORD": 'Xk29vLqpR7"mzQ',
        f"{repo}/stack.json/MasterUserPassword": "Kx8/vLq2\\Rz9m",
        f"{repo}/stack.json/ApiPassword": 'Xk29vLqpR7mzQ"x',
    }
    for name, value in stored.items():
        assert sm.get_secret_value(SecretId=name)["SecretString"] == value, name
    assert (tmp_path / "app.env").read_text() == \
        f'API_PASSWORD="{{{{resolve:secretsmanager:{repo}/app.env/API_PASSWORD}}}}"\n'
    stack = json.loads((tmp_path / "stack.json").read_text())  # still JSON
    props = stack["Resources"]["Db"]["Properties"]
    assert props["ApiPassword"] == f"{{{{resolve:secretsmanager:{repo}/stack.json/ApiPassword}}}}"
    # Parts of values: left as they are, a note each, nothing stored.
    for name, text in partial.items():
        assert (tmp_path / name).read_text() == text, name
    assert r.stdout.count("only part of the value") == 3, r.stdout
    listed = [s["Name"] for s in sm.list_secrets(MaxResults=100)["SecretList"]]
    assert not [n for n in listed if n.startswith(f"{repo}/db.properties") or
                n.startswith(f"{repo}/semi.env")], listed


def test_every_password_of_a_url_list_is_a_finding_and_redacted(tmp_path):
    p1, p2, p3, p4, p5 = "Hq83nZx1pL", "Qz7Yt3Rm8W", "Mq4vLx8Rz2", "Tp9wKc3Nd7", "Rz8vLq2Xk9"
    (tmp_path / "celery.env").write_text(
        f"CELERY_BROKER_URL=amqp://celery:{p1}@rabbit1:5672//;amqp://celery:{p2}@rabbit2:5672//\n"
        f"MONGO_URLS=mongodb://a:{p3}@h1:27017/db,mongodb://b:{p4}@h2:27017/db\n"
        f"REDIS_URL=redis://:{p5}@cache:6379/0\n")
    outputs = []
    for fmt in ("json", "sarif", "table"):
        r = run(["scan", "--format", fmt, "."], tmp_path)
        assert r.returncode == 1, r.stderr
        outputs.append(r.stdout + r.stderr)
        if fmt == "json":
            found = sorted((f["line"], f["rule_id"]) for f in json.loads(r.stdout))
            assert found == [(1, "connection-string-password")] * 2 + \
                [(2, "connection-string-password")] * 2 + [(3, "connection-string-password")]
    dry = run(["migrate", "--repo", "r", "."], tmp_path)
    assert dry.returncode == 0, dry.stderr
    outputs.append(dry.stdout + dry.stderr)
    for out in outputs:
        for p in (p1, p2, p3, p4, p5):
            assert p not in out, out


def pem_key(rng: random.Random) -> str:
    body = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(1190))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    kind = "RSA " + "PRIVATE KEY"
    return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----\n"


def test_scan_stdin_finds_a_key_across_a_chunk_boundary(tmp_path):
    rng = random.Random(4)
    key = pem_key(rng)
    filler = "".join(f"log line {i:07d} nothing to see here\n" for i in range(40000))
    # The key starts a few hundred bytes before the first 1 MiB read ends.
    head = filler[: (1 << 20) - 700]
    head = head[: head.rfind("\n") + 1]
    text = head + key + filler
    (tmp_path / "dump.txt").write_text(text)
    as_file = run(["scan", "--format", "json", "dump.txt"], tmp_path)
    assert as_file.returncode == 1, as_file.stderr
    from_stdin = run(["scan", "--format", "json", "-"], tmp_path, stdin=text)
    assert from_stdin.returncode == 1, (from_stdin.stdout, from_stdin.stderr)
    strip = lambda out: [(f["rule_id"], f["line"], f["end_line"]) for f in json.loads(out)]
    assert strip(from_stdin.stdout) == strip(as_file.stdout) == \
        [("private-key", head.count("\n") + 1, head.count("\n") + key.count("\n"))]


def test_scan_git_reports_what_a_merge_adds_and_migrate_tags_it_exposed(tmp_path, auth_server):
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    (r / "app.env").write_text("MODE=base\n")
    git(r, "add", ".")
    git(r, "commit", "-qm", "base")
    git(r, "checkout", "-qb", "feature")
    (r / "app.env").write_text("MODE=feature\n")
    git(r, "commit", "-qam", "feature")
    git(r, "checkout", "-q", "main")
    (r / "app.env").write_text("MODE=main\n")
    git(r, "commit", "-qam", "main")
    subprocess.run(["git", "merge", "-q", "feature"], cwd=r, capture_output=True)  # conflicts
    (r / "app.env").write_text(f"MODE=both\nGITLAB_TOKEN={GITLAB}\n")  # the resolution
    git(r, "commit", "-qam", "merge feature")
    merge = subprocess.run(["git", "rev-parse", "HEAD"], cwd=r, capture_output=True,
                           text=True, check=True).stdout.strip()
    s = run(["scan", "--git", "--format", "json", "."], r)
    assert s.returncode == 1, (s.stdout, s.stderr)
    assert [(f["rule_id"], f["commit"], f["line"]) for f in json.loads(s.stdout)] == \
        [("gitlab-token", merge, 2)]

    repo = "m" + uuid.uuid4().hex[:8]
    m = run(["migrate", "--apply", "--yes", "--repo", repo, "--endpoint-url",
             auth_server.endpoint, "."], r, sm_env(tmp_path))
    assert m.returncode == 0, m.stdout + m.stderr
    assert "in git history" in m.stdout
    sm = make_client(auth_server.endpoint, "us-east-1", ROOT_AKID, ROOT_SECRET)
    tags = {t["Key"]: t["Value"] for t in
            sm.describe_secret(SecretId=f"{repo}/app.env/GITLAB_TOKEN").get("Tags", [])}
    assert tags.get("arcana:exposed") == "true"


def test_migrating_the_rest_of_a_file_takes_the_next_free_name(tmp_path, auth_server):
    repo = "n" + uuid.uuid4().hex[:8]
    (tmp_path / "a.env").write_text(f"GITLAB_TOKEN={GITLAB}\nGITLAB_TOKEN={GITLAB2}\n")
    env = sm_env(tmp_path)
    report = run(["scan", "--format", "json", "a.env"], tmp_path)
    findings = json.loads(report.stdout)
    (tmp_path / "sel.json").write_text(json.dumps([f for f in findings if f["line"] == 2]))
    common = ["--repo", repo, "--endpoint-url", auth_server.endpoint]
    first = run(["migrate", "--apply", "--select", "sel.json", *common, "a.env"], tmp_path, env)
    assert first.returncode == 0, first.stdout + first.stderr
    rest = run(["migrate", "--apply", "--yes", *common, "a.env"], tmp_path, env)
    assert rest.returncode == 0, rest.stdout + rest.stderr
    again = run(["migrate", "--apply", "--yes", *common, "a.env"], tmp_path, env)
    assert "nothing to migrate" in again.stdout
    sm = make_client(auth_server.endpoint, "us-east-1", ROOT_AKID, ROOT_SECRET)
    base = f"{repo}/a.env/GITLAB_TOKEN"
    assert sm.get_secret_value(SecretId=base)["SecretString"] == GITLAB2
    assert sm.get_secret_value(SecretId=base + "-2")["SecretString"] == GITLAB
    assert (tmp_path / "a.env").read_text() == (
        f"GITLAB_TOKEN={{{{resolve:secretsmanager:{base}-2}}}}\n"
        f"GITLAB_TOKEN={{{{resolve:secretsmanager:{base}}}}}\n")


class FakeSecretsManager:
    """Answers CreateSecret / GetSecretValue from scripted replies, counting calls."""

    def __init__(self, replies):
        self.replies = replies  # op -> list of (status, body); the last one repeats
        self.calls = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                op = self.headers.get("X-Amz-Target", "").split(".")[-1]
                n = outer.calls.get(op, 0)
                outer.calls[op] = n + 1
                script = outer.replies.get(op, [(400, {"__type": "ResourceNotFoundException",
                                                       "message": "not found"})])
                status, body = script[min(n, len(script) - 1)]
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def migrate_token_against(tmp_path, answers: dict):
    """migrate --apply of one .env token against a fake Secrets Manager answering `answers`."""
    fake = FakeSecretsManager(answers)
    try:
        (tmp_path / "a.env").write_text(f"GITLAB_TOKEN={GITLAB}\n")
        r = run(["migrate", "--apply", "--yes", "--repo", "r", "--endpoint-url", fake.endpoint,
                 "a.env"], tmp_path, sm_env(tmp_path))
    finally:
        fake.close()
    return fake, r


def test_a_secret_whose_value_cannot_be_read_is_reported_as_such(tmp_path):
    fake, r = migrate_token_against(tmp_path, {
        "CreateSecret": [(400, {"__type": "ResourceExistsException", "message": "exists"})],
        "GetSecretValue": [(400, {"__type": "DecryptionFailure",
                                  "message": "the KMS key is disabled"})],
    })
    assert r.returncode == 2, r.stdout + r.stderr
    assert "DecryptionFailure" in r.stderr and "different value" not in r.stderr, r.stderr
    assert GITLAB in (tmp_path / "a.env").read_text()


def test_a_throttled_create_secret_is_retried(tmp_path):
    throttled = (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
    fake, r = migrate_token_against(tmp_path, {
        "CreateSecret": [throttled, throttled, (200, {"ARN": "arn", "Name": "r/a.env/GITLAB_TOKEN"})],
    })
    assert r.returncode == 0, r.stdout + r.stderr
    assert fake.calls["CreateSecret"] == 3
    assert "1 stored" in r.stdout
    assert GITLAB not in (tmp_path / "a.env").read_text()


def test_migrate_notes_keep_their_lines(tmp_path):
    (tmp_path / "app.py").write_text('import os\nAPI_KEY = "Zr9!mQ4vKp2xL7wQ"\n')
    r = run(["migrate", "--repo", "r", "app.py"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "\\x0a" not in r.stdout
    assert "\n    boto3:" in r.stdout and "Zr9!mQ4vKp2xL7wQ" not in r.stdout


def test_terraform_data_sources_are_declared_once_per_module(tmp_path):
    mod = tmp_path / "infra"
    mod.mkdir()
    (mod / "a.tf").write_text('resource "x" "a" {\n  password = "Zr9!mQ4vKp2xL7wT"\n}\n')
    (mod / "b.tf").write_text('resource "x" "b" {\n  password = "Zr9!mQ4vKp2xL7wT"\n}\n')
    # The same value under the same name: one data source for the module, in a.tf.
    r = run(["migrate", "--repo", "r", "--name-template", "{repo}/{key}", "infra"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count('+data "aws_secretsmanager_secret_version"') == 1, r.stdout
    # A previous run's data source in a.tf is the module's: b.tf declares none.
    (mod / "a.tf").write_text(
        'resource "x" "a" {\n  password = data.aws_secretsmanager_secret_version.arcana_r_password.secret_string\n}\n\n'
        'data "aws_secretsmanager_secret_version" "arcana_r_password" {\n  secret_id = "r/password"\n}\n')
    r = run(["migrate", "--repo", "r", "--name-template", "{repo}/{key}", "infra"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "+++ b/b.tf" in r.stdout
    assert '+data "aws_secretsmanager_secret_version"' not in r.stdout, r.stdout
    assert "data.aws_secretsmanager_secret_version.arcana_r_password.secret_string" in r.stdout


def test_a_subdirectory_scan_keeps_the_repositorys_ignore_rules(tmp_path):
    r = tmp_path / "repo"
    (r / "sub" / "logs").mkdir(parents=True)
    git(r, "init", "-q")
    (r / ".gitignore").write_text("*.log\n")
    (r / ".git" / "info" / "exclude").write_text("sub/local.env\n")
    (r / "sub" / "logs" / "debug.log").write_text(f"GITLAB_TOKEN={GITLAB}\n")
    (r / "sub" / "local.env").write_text(f"GITLAB_TOKEN={GITLAB2}\n")
    (r / "sub" / "app.env").write_text(f"GITLAB_TOKEN={GITLAB}\n")
    for cwd, arg, shown in ((r, ".", "sub/app.env"), (r, "sub", "sub/app.env"),
                            (r / "sub", ".", "app.env")):
        s = run(["scan", "--format", "json", arg], cwd)
        assert s.returncode == 1, (arg, s.stdout, s.stderr)
        assert [f["file"] for f in json.loads(s.stdout)] == [shown], (cwd, arg)
