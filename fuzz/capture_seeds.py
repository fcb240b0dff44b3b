"""pytest plugin: records every request boto3 sends during an integration-test run and writes
seed inputs for the fuzzers (fuzz/corpus/<target>/). Re-run to refresh the seeds:

    ARCANAD=build/arcanad ARCANA_SEED_DIR=fuzz/corpus /usr/bin/python3 -m pytest -q \
        -p no:cacheprovider -p capture_seeds --rootdir=. tests/integration/test_sm_create_read.py ...
    (with PYTHONPATH=fuzz)

Seeds are small on purpose: at most PER_OP requests per operation, bodies up to 4 KiB.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from pathlib import Path

import botocore.endpoint

PER_OP = 3
MAX_BODY = 4096
_seen: dict[str, int] = defaultdict(int)
_orig_send = botocore.endpoint.Endpoint._send


def _write(target: str, data: bytes, stem: str) -> None:
    out = Path(os.environ.get("ARCANA_SEED_DIR", "fuzz/corpus")) / target
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}-{hashlib.sha1(data).hexdigest()[:12]}").write_bytes(data)


def _record(request) -> None:
    headers = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
    target = headers.get("X-Amz-Target", "")
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    if not target or len(body) > MAX_BODY or _seen[target] >= PER_OP:
        return
    _seen[target] += 1
    stem = target.replace(".", "_")
    path = "/" + request.url.split("://", 1)[1].split("/", 1)[1] if "/" in request.url.split("://", 1)[1] else "/"
    host = request.url.split("://", 1)[1].split("/", 1)[0]
    # model_input: "<X-Amz-Target>\n<body>"
    _write("model_input", target.encode() + b"\n" + body, stem)
    # sigv4: the AWS test-suite text form of the signed request
    lines = [f"POST {path} HTTP/1.1", f"Host:{host}"] + [f"{k}:{v}" for k, v in headers.items()]
    _write("sigv4", ("\n".join(lines) + "\n\n").encode() + body, stem)
    # http_request: the bytes on the wire
    wire = [f"POST {path} HTTP/1.1", f"Host: {host}"] + [f"{k}: {v}" for k, v in headers.items()]
    if "Content-Length" not in headers:
        wire.append(f"Content-Length: {len(body)}")
    _write("http_request", ("\r\n".join(wire) + "\r\n\r\n").encode() + body, stem)


def _send(self, request):
    try:
        _record(request)
    except Exception:  # noqa: BLE001 - recording must never break a test
        pass
    return _orig_send(self, request)


botocore.endpoint.Endpoint._send = _send
