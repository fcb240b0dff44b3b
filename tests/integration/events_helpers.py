"""What the EventBridge test files share: an error's (status, code, message), an answer's body,
a signed call for what Debian's botocore does not model, a bus ARN."""

from __future__ import annotations

import pytest

from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET, raw_call

REGION = "us-east-1"


def error(e: pytest.ExceptionInfo) -> tuple[int, str, str]:
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def body(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


def events_call(endpoint: str, op: str, payload: dict):
    """A signed EventBridge call by the account root: (status, parsed body). Debian's botocore
    (1.29) lacks UpdateEventBus and drops DescribeEventBus's CreationTime, LastModifiedTime and
    Policy, so those are read this way."""
    r = raw_call(endpoint, None, payload, region=REGION, akid=ROOT_AKID, secret=ROOT_SECRET,
                 target=f"AWSEvents.{op}", service="events")
    return r.status_code, r.json()


def bus_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:events:{REGION}:{account}:event-bus/{name}"
