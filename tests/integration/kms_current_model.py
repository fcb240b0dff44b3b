"""KMS clients that know the current API (Debian's botocore 1.29 and aws CLI 2.9 predate
DeriveSharedSecret, RotateKeyOnDemand, ImportType, KeyMaterialId, ...): both load Arcana's
embedded model (models/kms.json, botocore 1.43's) through botocore's data path.

Import the fixtures into a test module:  from kms_current_model import kmsc, aws_kms  # noqa: F401

  kmsc(region="us-east-1")  boto3 KMS client on the shared dev server (state wiped first)
  aws_kms(*args, region=..., expect_ok=True) -> (rc, parsed JSON stdout, stderr): the aws CLI
  aws_kms.tmp               a scratch directory for fileb:// files
"""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.config import Config

from conftest import DEV_AKID, DEV_SECRET

from aws_cli import cli_runner
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
    """aws_kms("create-key", ...): the aws CLI's kms commands with the current KMS model."""
    return cli_runner(dev_server.endpoint, tmp_path, DEV_AKID, DEV_SECRET, prefix=("kms",),
                      extra_env={"AWS_DATA_PATH": kms_model_path})
