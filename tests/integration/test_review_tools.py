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
    os.chmod(app, 0o600)
    os.symlink("../victim.txt", repo / "app.env.arcana-migrate.tmp")
    name = "rv" + uuid.uuid4().hex[:8]
    r = arcana(["migrate", "--apply", "--yes", "--repo", name, "--endpoint-url",
                server.endpoint, "."], repo, env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert victim.read_text() == "precious\n"
    st = os.lstat(app)
    assert stat.S_ISREG(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600  # the original's mode is kept
    text = app.read_text()
    assert SLACK not in text and "{{resolve:secretsmanager:" in text
    # No temporary file is left behind.
    assert sorted(p.name for p in repo.iterdir()) == ["app.env", "app.env.arcana-migrate.tmp"]
