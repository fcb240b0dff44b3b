"""Fixtures and helpers for the SSM Parameter Store integration tests (test_ssm_*.py).

conftest.py belongs to another engineer; these fixtures are imported by the SSM test modules:
    from ssm_helpers import ssm, ssm_client_for  # noqa: F401  (pytest fixtures)

  ssm        factory: ssm(region="us-east-1") -> boto3 SSM client against the shared dev server,
             state wiped first (like conftest's `sm`)
"""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.config import Config

from conftest import DEV_AKID, DEV_SECRET


def ssm_client_for(endpoint: str, region: str = "us-east-1", retries: int = 0):
    cfg = Config(retries={"max_attempts": retries}, connect_timeout=5, read_timeout=30)
    return boto3.client("ssm", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=DEV_AKID, aws_secret_access_key=DEV_SECRET, config=cfg)


@pytest.fixture
def ssm(dev_server):
    if dev_server.proc.poll() is not None:
        dev_server.start()
    dev_server.reset()
    cache = {}

    def factory(region: str = "us-east-1"):
        if region not in cache:
            cache[region] = ssm_client_for(dev_server.endpoint, region)
        return cache[region]

    factory.server = dev_server
    return factory


def pname(suffix: str = "p") -> str:
    """A unique hierarchical parameter name."""
    return f"/it{uuid.uuid4().hex[:8]}/{suffix}"
