"""The Debian aws CLI (v2) as tests drive it: a clean environment (no user config, no pager,
no retries) and one call per run, answering (rc, parsed JSON stdout or text, stderr)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")


def run_cli(endpoint: str, tmp_path, akid: str, secret: str, *args, region="us-east-1",
            extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """One `aws --endpoint-url E --region R --output json *args` run with this key pair,
    isolated from the user's configuration."""
    if not AWS:
        pytest.fail("aws CLI not installed (/usr/bin/aws)", pytrace=False)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": akid,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "LC_ALL": "C.UTF-8",
        **(extra_env or {}),
    }
    return subprocess.run([AWS, "--endpoint-url", endpoint, "--region", region, "--output", "json",
                           *args], env=env, capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)


def cli_runner(endpoint: str, tmp_path, akid: str, secret: str, prefix: tuple = (),
               extra_env: dict | None = None):
    """run(*args, region=, expect_ok=) runs `aws ... *prefix *args` (run_cli) and answers
    (rc, parsed JSON stdout or text, stderr); expect_ok asserts rc 0."""

    def run(*args, region="us-east-1", expect_ok=True):
        p = run_cli(endpoint, tmp_path, akid, secret, *prefix, *args, region=region,
                    extra_env=extra_env)
        if expect_ok:
            assert p.returncode == 0, f"{' '.join([*prefix, *args])} -> rc {p.returncode}\n{p.stderr}"
        out = p.stdout
        try:
            out = json.loads(p.stdout) if p.stdout.strip() else None
        except ValueError:
            pass
        return p.returncode, out, p.stderr

    run.tmp = tmp_path
    return run
