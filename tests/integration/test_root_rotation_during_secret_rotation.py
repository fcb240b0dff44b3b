"""rotate-root while a secret rotation's step runs long (its function waits, as one changing a
database password over the network does): the rotation job does not hold the root key while
its function runs, so rotate-root completes at once instead of waiting for the job (and, past
its 60 s wait, rolling back); the secret rotation then completes, its values readable under
the new root, also after a restart that knows only the new key.

The function is test_rotation.py's HTTP rotation function (AWS's template shape), its
setSecret step held on an Event."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config

from conftest import ROOT_AKID, ROOT_SECRET, ArcanaServer, cli_store_args
from test_rotation import ARCANA_CLI, REGION, RotationFunction, stages, wait_current


@pytest.fixture
def srv(tmp_path):
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    s = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=False, env=env,
                     args=["--rotation-retry-seconds", "1"]).start()
    fn = RotationFunction()
    # A failing set-up step (the CLI missing or refusing) must still stop the server: pytest
    # runs no teardown for a fixture that raised, and the arcanad was left running for good.
    try:
        out = subprocess.run([str(ARCANA_CLI), *cli_store_args(s.data_dir), "functions", "create",
                              "slow-db", "--url", fn.url, "--timeout", "30"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        yield s, fn, out.stdout.strip()
    finally:
        for e in fn.hold.values():
            e.set()
        fn.close()
        s.stop()


def sm_client(s: ArcanaServer):
    return boto3.client("secretsmanager", endpoint_url=s.endpoint, region_name=REGION,
                        aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                        config=Config(retries={"max_attempts": 1}))


def rotate_root(s: ArcanaServer) -> requests.Response:
    token = (s.data_dir / "operator.token").read_text().strip()
    return requests.post(f"{s.endpoint}/_arcana/operator/rotate-root", data=b"{}", timeout=90,
                         headers={"X-Arcana-Operator-Token": token})


def seal_status(s: ArcanaServer) -> dict:
    return requests.get(s.endpoint + "/_arcana/seal-status", timeout=5).json()


def test_rotate_root_completes_while_a_rotation_step_runs(srv):
    s, fn, lambda_arn = srv
    sm = sm_client(s)
    name = "db/" + uuid.uuid4().hex[:8]
    v1 = sm.create_secret(Name=name, SecretString="v1")["VersionId"]
    release = threading.Event()
    fn.hold["setSecret"] = release  # the function waits on its database
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotationLambdaARN=lambda_arn)
    deadline = time.monotonic() + 10
    while "setSecret" not in fn.steps_for(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fn.steps_for(token) == ["createSecret", "setSecret"]
    old_id = seal_status(s)["root_key_id"]

    started = time.monotonic()
    r = rotate_root(s)
    took = time.monotonic() - started
    assert r.status_code == 200, r.text
    assert "warning" not in r.json(), r.text
    # It did not wait for the job: the step is still waiting on its database.
    assert not release.is_set()
    assert took < 5, f"rotate-root waited {took:.1f} s for the rotation job"
    assert fn.steps_for(token) == ["createSecret", "setSecret"]
    assert "AWSPENDING" in stages(sm, name)[token]
    new_id = seal_status(s)["root_key_id"]
    assert new_id != old_id

    # The database answers: the rotation completes under the new root.
    release.set()
    wait_current(sm, name, token)
    assert fn.steps_for(token) == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    password = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"]
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    assert stages(sm, name)[v1] == ["AWSPREVIOUS"]

    # Only the new key exists now (the key file): a restart opens everything with it.
    s.stop()
    s.start()
    assert seal_status(s)["root_key_id"] == new_id
    sm = sm_client(s)
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"] == password
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
