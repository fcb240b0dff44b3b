"""`Expect: 100-continue` (RFC 9110 section 10.1.1): a client that sends it holds its body back
until the server answers `100 Continue` or its own timer runs out (a second for curl), so a
server that never answers delays every such request. AWS answers 100 Continue; so does arcanad,
on HTTP/1.1 only, and it refuses a declared body over the 1 MiB limit at once, before the
client sends it.
"""

from __future__ import annotations

import json
import socket
import time
import uuid

from conftest import DEV_AKID, DEV_SECRET, sigv4_headers


def request_head(dev_server, body: bytes, version: str = "1.1",
                 content_length: int | None = None) -> bytes:
    host = dev_server.endpoint.split("://", 1)[1]
    headers = sigv4_headers(host, body, "secretsmanager.CreateSecret", "us-east-1", DEV_AKID,
                            DEV_SECRET, extra_headers={"Expect": "100-continue"})
    headers["Content-Length"] = str(len(body) if content_length is None else content_length)
    lines = [f"POST / HTTP/{version}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_some(s: socket.socket, timeout: float) -> bytes:
    s.settimeout(timeout)
    try:
        return s.recv(65536)
    except socket.timeout:
        return b""


def read_response(s: socket.socket) -> bytes:
    data = b""
    s.settimeout(10)
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        rest += s.recv(65536)
    return head + b"\r\n\r\n" + rest


def create_body(name: str) -> bytes:
    return json.dumps({"Name": name, "SecretString": "x" * 4000,
                       "ClientRequestToken": str(uuid.uuid4())}).encode()


def test_continue_is_sent_before_the_body(dev_server):
    body = create_body(f"expect/{uuid.uuid4().hex[:8]}")
    with socket.create_connection(("127.0.0.1", dev_server.port)) as s:
        started = time.monotonic()
        s.sendall(request_head(dev_server, body))
        interim = read_some(s, 5)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        assert time.monotonic() - started < 0.9
        s.sendall(body)
        final = read_response(s)
        assert final.startswith(b"HTTP/1.1 200 "), final[:200]
        # The connection serves the next request as usual.
        body2 = create_body(f"expect/{uuid.uuid4().hex[:8]}")
        s.sendall(request_head(dev_server, body2))
        assert read_some(s, 5) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(body2)
        assert read_response(s).startswith(b"HTTP/1.1 200 ")


def test_a_body_over_the_limit_is_refused_before_it_is_sent(dev_server):
    with socket.create_connection(("127.0.0.1", dev_server.port)) as s:
        s.sendall(request_head(dev_server, b"{}", content_length=2 * 1024 * 1024))
        answer = read_response(s)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert b"100 Continue" not in answer


def test_no_continue_for_http_1_0(dev_server):
    body = create_body(f"expect/{uuid.uuid4().hex[:8]}")
    with socket.create_connection(("127.0.0.1", dev_server.port)) as s:
        s.sendall(request_head(dev_server, body, version="1.0"))
        assert read_some(s, 0.5) == b""  # RFC 9110: never a 1xx to an HTTP/1.0 client
        s.sendall(body)
        assert read_response(s).startswith(b"HTTP/1.0 200 ")
