"""KMS fixtures for the integration tests (the shared conftest.py belongs to another engineer).

Import them into a test module:  from kms_fixtures import kms, kms_raw, kms_fresh  # noqa: F401

  kms        factory: kms(region="us-east-1") -> boto3 KMS client on the shared dev server,
             with all state wiped first (secrets too); kms.server is the ArcanaServer;
             kms.sm(region) gives a Secrets Manager client on the same server.
  kms_raw    raw(op, body, region=...) -> requests.Response, a signed TrentService.<op> call
             (for members Debian's botocore does not model: RotationPeriodInDays, DryRun, ...).
  kms_fresh  a dev server of its own (own data dir) for restart tests; .client("kms"|...).
"""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from conftest import ArcanaServer, DEV_AKID, DEV_SECRET, raw_call


def kms_client(endpoint: str, region: str = "us-east-1", service: str = "kms"):
    cfg = Config(retries={"max_attempts": 0}, connect_timeout=5, read_timeout=60)
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=DEV_AKID, aws_secret_access_key=DEV_SECRET, config=cfg)


def kms_raw_call(endpoint: str, op: str, body: dict, region: str = "us-east-1"):
    return raw_call(endpoint, None, body, region=region, target="TrentService." + op, service="kms")


@pytest.fixture
def kms(dev_server):
    if dev_server.proc.poll() is not None:
        dev_server.start()
    dev_server.reset()
    cache = {}

    def factory(region: str = "us-east-1"):
        if ("kms", region) not in cache:
            cache[("kms", region)] = kms_client(dev_server.endpoint, region)
        return cache[("kms", region)]

    def sm(region: str = "us-east-1"):
        if ("sm", region) not in cache:
            cache[("sm", region)] = kms_client(dev_server.endpoint, region, "secretsmanager")
        return cache[("sm", region)]

    factory.server = dev_server
    factory.sm = sm
    return factory


@pytest.fixture
def kms_raw(dev_server):
    def call(op, body=None, region="us-east-1"):
        return kms_raw_call(dev_server.endpoint, op, {} if body is None else body, region)
    return call


@pytest.fixture
def kms_fresh(tmp_path):
    srv = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=True)
    srv.start()
    srv.kms = lambda region="us-east-1": kms_client(srv.endpoint, region)
    srv.sm = lambda region="us-east-1": kms_client(srv.endpoint, region, "secretsmanager")
    yield srv
    srv.stop()
