"""What the EventBridge test files share: an error's (status, code, message), an answer's body,
a signed call for what Debian's botocore does not model, a bus ARN, an HTTP target that keeps
what it receives."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


@contextmanager
def json_receiver():
    """A local HTTP target answering 200 to every POST: yields (its URL, the JSON bodies
    received so far, in order)."""
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0")))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", bodies
    finally:
        httpd.shutdown()
        httpd.server_close()
