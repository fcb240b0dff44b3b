"""The Debian aws CLI (v2) as tests drive it: a clean environment (no user config, no pager,
no retries) and one call per run, answering (rc, parsed JSON stdout or text, stderr).

Each call is a process of its own running /usr/bin/aws's entry point with exactly the given
environment and working directory, forked from a fork server (aws_cli_forkserver.py) that has
imported the CLI once: the same argument parsing, signing and output formatting as a
`subprocess.run` of /usr/bin/aws, without paying the CLI's start-up (importing awscli and its
own botocore: 1-2 s of CPU on these 2 cores) for each of the suite's hundreds of calls, which
kept CI's run near its time limit. ARCANA_AWS_CLI=subprocess runs /usr/bin/aws itself per call,
to check that the two agree."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
import threading

import pytest

AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")
FORK_SERVER = os.environ.get("ARCANA_AWS_CLI", "fork-server") != "subprocess"
_PYTHON = "/usr/bin/python3"  # /usr/bin/aws's interpreter, whose awscli package it imports
_lock = threading.Lock()  # one request at a time on the fork server's pipe


def cli_env(tmp_path, akid: str, secret: str, extra_env: dict | None = None) -> dict:
    """The whole environment of one CLI run: this key pair, no user configuration."""
    return {
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


class _ForkServer:
    """aws_cli_forkserver.py, started on first use and kept for the test process."""

    def __init__(self):
        self._proc: subprocess.Popen | None = None

    def run(self, argv: list[str], env: dict, cwd) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="aws-cli-") as d:
            out, err = os.path.join(d, "out"), os.path.join(d, "err")
            req = json.dumps({"argv": argv, "env": env, "cwd": str(cwd), "out": out, "err": err})
            with _lock:
                if self._proc is None or self._proc.poll() is not None:
                    self._proc = subprocess.Popen(
                        [_PYTHON, os.path.join(os.path.dirname(__file__), "aws_cli_forkserver.py")],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"})
                    atexit.register(_stop, self._proc)
                self._proc.stdin.write(req + "\n")
                self._proc.stdin.flush()
                line = self._proc.stdout.readline()
            if not line:
                pytest.fail("the aws CLI fork server exited", pytrace=False)
            answer = json.loads(line)
            if answer.get("timeout"):
                raise subprocess.TimeoutExpired([AWS, *argv], 60)
            return subprocess.CompletedProcess([AWS, *argv], answer["rc"], _read(out), _read(err))


def _stop(proc: subprocess.Popen) -> None:
    # End of input lets the server remove its own temporary directory; killed if it hangs.
    try:
        proc.stdin.close()
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()


def _read(path: str) -> str:
    # Text as subprocess.run(text=True) reads it: UTF-8 (LC_ALL=C.UTF-8), universal newlines.
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


_fork_server = _ForkServer()


def run_aws(argv: list[str], env: dict, cwd) -> subprocess.CompletedProcess:
    """`aws *argv` with exactly env as its environment, in cwd; text stdout/stderr."""
    if not AWS:
        pytest.fail("aws CLI not installed (/usr/bin/aws)", pytrace=False)
    if FORK_SERVER:
        return _fork_server.run(list(argv), env, cwd)
    return subprocess.run([AWS, *argv], env=env, capture_output=True, text=True, timeout=60,
                          cwd=cwd)


def run_cli(endpoint: str, tmp_path, akid: str, secret: str, *args, region="us-east-1",
            extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """One `aws --endpoint-url E --region R --output json *args` run with this key pair,
    isolated from the user's configuration."""
    return run_aws(["--endpoint-url", endpoint, "--region", region, "--output", "json", *args],
                   cli_env(tmp_path, akid, secret, extra_env), tmp_path)


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
