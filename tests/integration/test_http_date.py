"""Every answer carries the server's clock in a Date header (RFC 9110 section 6.6.1), as every
AWS answer does, and the clients rely on it.

The AWS SDK for JavaScript v3 reads it to correct its clock: a request signed with a clock
that is off by more than SigV4's 15 minutes is refused ("Signature expired"), the SDK takes
the server's time from that answer's Date header and signs the retry with it. Without the
header such a client fails on every call. (botocore reads it too, for the retry TTL it sends
in amz-sdk-request.)
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import re
import shutil
import subprocess

import pytest
import requests

from conftest import REPO_ROOT, ROOT_AKID, ROOT_SECRET

IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$")
JS_DIR = REPO_ROOT / "tests" / "integration" / "js"


def assert_server_clock(resp: requests.Response) -> None:
    value = resp.headers.get("Date")
    assert value is not None, f"no Date header on a {resp.status_code} answer"
    assert IMF_FIXDATE.match(value), value
    server = email.utils.parsedate_to_datetime(value)
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - server).total_seconds()) < 5, (value, now)


def test_every_kind_of_answer_carries_the_date(dev_server, raw):
    base = dev_server.endpoint
    assert_server_clock(requests.get(f"{base}/_arcana/health", timeout=10))
    assert_server_clock(requests.get(f"{base}/no/such/path", timeout=10))  # 404
    ok = raw("ListSecrets", {})
    assert ok.status_code == 200
    assert_server_clock(ok)
    missing = raw("DescribeSecret", {"SecretId": "date-header/absent"})
    assert missing.status_code == 400
    assert_server_clock(missing)


def run_probe(endpoint: str, skew_ms: int, attempts: int) -> dict:
    env = dict(os.environ, ARCANA_ENDPOINT=endpoint, ARCANA_AKID=ROOT_AKID,
               ARCANA_SECRET=ROOT_SECRET, ARCANA_SKEW_MS=str(skew_ms),
               ARCANA_MAX_ATTEMPTS=str(attempts), NODE_NO_WARNINGS="1")
    out = subprocess.run(["node", str(JS_DIR / "clock_skew_probe.mjs")], cwd=JS_DIR, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(shutil.which("node") is None or
                    not (JS_DIR / "node_modules" / "@aws-sdk" / "client-secrets-manager").is_dir(),
                    reason="needs node and the JS SDK (tests/integration/run.sh installs them)")
def test_js_sdk_corrects_a_skewed_clock_from_the_date_header(auth_server):
    half_hour_ms = 30 * 60 * 1000
    # One attempt: refused as AWS refuses it, and the SDK has already taken the server's time.
    first = run_probe(auth_server.endpoint, -half_hour_ms, attempts=1)
    assert first["ok"] is False
    assert first["name"] == "InvalidSignatureException"
    assert first["message"].startswith("Signature expired: ")
    assert abs(first["offsetMs"]) < 60_000, first
    # With retries (the SDK's default): the retry is signed with the corrected clock.
    second = run_probe(auth_server.endpoint, -half_hour_ms, attempts=3)
    assert second["ok"] is True, second
    assert second["attempts"] == 2
    assert abs(second["offsetMs"]) < 60_000
