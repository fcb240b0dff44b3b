"""KMS clients that know the current API (Debian's botocore 1.29 and aws CLI 2.9 predate
DeriveSharedSecret, RotateKeyOnDemand, ImportType, KeyMaterialId, ...): both load Arcana's
embedded model (models/kms.json, botocore 1.43's) through botocore's data path.

Import the fixtures into a test module:  from kms_current_model import kmsc, aws_kms  # noqa: F401

  kmsc(region="us-east-1")  boto3 KMS client on the shared dev server (state wiped first)
  aws_kms(*args, region=..., expect_ok=True) -> (rc, parsed JSON stdout, stderr): the aws CLI
  aws_kms.tmp               a scratch directory for fileb:// files
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.config import Config

from conftest import DEV_AKID, DEV_SECRET

AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")
MODEL = Path(__file__).resolve().parents[2] / "models" / "kms.json"


@pytest.fixture(scope="session")
def kms_model_path(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("kms-model")
    target = root / "kms" / "2014-11-01"
    target.mkdir(parents=True)
    shutil.copy(MODEL, target / "service-2.json")
    return str(root)


@pytest.fixture
def kmsc(dev_server, kms_model_path):
    if dev_server.proc.poll() is not None:
        dev_server.start()
    dev_server.reset()
    bs = botocore.session.get_session()
    bs.set_config_variable("data_path", kms_model_path)
    session = boto3.Session(botocore_session=bs)
    cfg = Config(retries={"max_attempts": 0}, connect_timeout=5, read_timeout=60)
    cache = {}

    def factory(region: str = "us-east-1"):
        if region not in cache:
            cache[region] = session.client("kms", endpoint_url=dev_server.endpoint,
                                           region_name=region, aws_access_key_id=DEV_AKID,
                                           aws_secret_access_key=DEV_SECRET, config=cfg)
        return cache[region]

    factory.server = dev_server
    return factory


@pytest.fixture
def aws_kms(dev_server, kms_model_path, tmp_path):
    if not AWS:
        pytest.fail("aws CLI not installed (/usr/bin/aws)", pytrace=False)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": DEV_AKID,
        "AWS_SECRET_ACCESS_KEY": DEV_SECRET,
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_DATA_PATH": kms_model_path,
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "LC_ALL": "C.UTF-8",
    }

    def run(*args, region="us-east-1", expect_ok=True):
        cmd = [AWS, "--endpoint-url", dev_server.endpoint, "--region", region, "--output", "json",
               "kms", *args]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
        if expect_ok:
            assert p.returncode == 0, f"kms {' '.join(args)} -> rc {p.returncode}\n{p.stderr}"
        out = p.stdout
        try:
            out = json.loads(p.stdout) if p.stdout.strip() else None
        except ValueError:
            pass
        return p.returncode, out, p.stderr

    run.tmp = tmp_path
    return run
