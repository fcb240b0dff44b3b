"""rotate-root while a synchronous Lambda Invoke runs a long function: the call gives its
root-key hold back while the function runs (it seals nothing, and the function's calls back
take holds of their own), so rotate-root completes at once instead of waiting for the call
(and, past its 60 s wait, rolling back), and the Invoke then answers the function's result.
A server sealed while the function runs answers the call as a sealed server does.

The function is an exec function that waits for a file the test writes (a function changing a
database password waits the same way on the network)."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from conftest import ROOT_AKID, ROOT_SECRET, ArcanaServer, cli_store_args
from test_rotation import ARCANA_CLI, REGION


@pytest.fixture
def srv(tmp_path):
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    s = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=False, env=env).start()
    started, release = tmp_path / "started", tmp_path / "release"
    script = tmp_path / "waits.sh"
    # Bounded wait (20 s), so a failed test never leaves the function running long.
    script.write_text("#!/bin/sh\ncat >/dev/null\n"
                      f"touch '{started}'\n"
                      "i=0\n"
                      f"while [ ! -f '{release}' ] && [ $i -lt 400 ]; do\n"
                      "  sleep 0.05; i=$((i+1))\n"
                      "done\n"
                      "exit 0\n")
    script.chmod(0o755)
    out = subprocess.run([str(ARCANA_CLI), *cli_store_args(s.data_dir), "functions", "create",
                          "waits", "--exec", str(script), "--timeout", "60"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    yield s, started, release
    release.touch()
    s.stop()


def aws(s: ArcanaServer, service: str):
    return boto3.client(service, endpoint_url=s.endpoint, region_name=REGION,
                        aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                        config=Config(retries={"max_attempts": 1}, read_timeout=60))


def operator(s: ArcanaServer, op: str) -> requests.Response:
    token = (s.data_dir / "operator.token").read_text().strip()
    return requests.post(f"{s.endpoint}/_arcana/operator/{op}", data=b"{}", timeout=90,
                         headers={"X-Arcana-Operator-Token": token})


def seal_status(s: ArcanaServer) -> dict:
    return requests.get(s.endpoint + "/_arcana/seal-status", timeout=5).json()


def invoke_in_background(s: ArcanaServer, started: Path):
    """Starts a synchronous Invoke of the waiting function; returns once it runs."""
    answer: dict = {}

    def call():
        try:
            answer["ok"] = aws(s, "lambda").invoke(FunctionName="waits")
        except Exception as e:  # noqa: BLE001  (the test reads it)
            answer["error"] = e

    t = threading.Thread(target=call)
    t.start()
    deadline = time.monotonic() + 10
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert started.exists(), "the function did not start"
    return t, answer


def test_rotate_root_completes_while_an_invoke_runs(srv):
    s, started, release = srv
    sm = aws(s, "secretsmanager")
    name = "inv/" + uuid.uuid4().hex[:8]
    sm.create_secret(Name=name, SecretString="before")
    old_id = seal_status(s)["root_key_id"]
    t, answer = invoke_in_background(s, started)

    began = time.monotonic()
    r = operator(s, "rotate-root")
    took = time.monotonic() - began
    assert r.status_code == 200, r.text
    assert "warning" not in r.json(), r.text
    # It did not wait for the call: the function is still waiting.
    assert took < 5, f"rotate-root waited {took:.1f} s for the Invoke"
    assert t.is_alive() and not release.exists()
    new_id = seal_status(s)["root_key_id"]
    assert new_id != old_id

    release.touch()
    t.join(30)
    assert not t.is_alive()
    assert "error" not in answer, answer.get("error")
    assert answer["ok"]["StatusCode"] == 200 and "FunctionError" not in answer["ok"]
    # Under the new root: what was sealed before opens, what is sealed now too, and after a
    # restart that knows only the new key.
    sm.put_secret_value(SecretId=name, SecretString="after")
    s.stop()
    s.start()
    assert seal_status(s)["root_key_id"] == new_id
    sm = aws(s, "secretsmanager")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "after"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == \
        "before"


def test_invoke_of_a_server_sealed_while_the_function_runs_is_refused(srv):
    s, started, release = srv
    t, answer = invoke_in_background(s, started)
    r = operator(s, "seal")
    assert r.status_code == 200 and r.json()["sealed"] is True, r.text
    release.touch()
    t.join(30)
    assert not t.is_alive()
    e = answer.get("error")
    assert e is not None and getattr(e, "response", None), answer
    assert e.response["Error"]["Code"] == "ServiceException"
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert "sealed" in e.response["Error"]["Message"]
    # Unsealed (the key file), the server serves again.
    r = operator(s, "unseal")
    assert r.status_code == 200 and r.json()["sealed"] is False, r.text
    assert aws(s, "lambda").invoke(FunctionName="waits")["StatusCode"] == 200
