#!/usr/bin/python3
"""SigV4-signed Secrets Manager requests for the GetSecretValue benchmark.

  sigv4_request.py call ENDPOINT OPERATION JSON_BODY
      sends one signed request, prints the response body; exit 1 on a non-200.
  sigv4_request.py wrk-lua ENDPOINT SECRET_ID OUT.lua
      signs one GetSecretValue request now and writes a wrk Lua script that replays
      it (the server allows 15 min of clock skew and has no replay protection).

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; region us-east-1.
Runs under Debian's /usr/bin/python3 (botocore from python3-botocore).
"""
import json
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
import os

REGION = "us-east-1"


def signed(endpoint: str, operation: str, body: str) -> dict:
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    req = AWSRequest(
        method="POST",
        url=endpoint.rstrip("/") + "/",
        data=body.encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"secretsmanager.{operation}",
            # Exactly what wrk sends: host:port.
            "Host": urlsplit(endpoint).netloc,
        },
    )
    SigV4Auth(creds, "secretsmanager", REGION).add_auth(req)
    return dict(req.headers.items())


def call(endpoint: str, operation: str, body: str) -> int:
    headers = signed(endpoint, operation, body)
    req = urllib.request.Request(endpoint.rstrip("/") + "/", data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            sys.stdout.write(resp.read().decode())
            return 0
    except urllib.error.HTTPError as e:
        sys.stderr.write(f"{operation}: HTTP {e.code}: {e.read().decode(errors='replace')}\n")
        return 1


def lua_str(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for ASCII


def wrk_lua(endpoint: str, secret_id: str, out: str) -> int:
    body = json.dumps({"SecretId": secret_id}, separators=(",", ":"))
    headers = signed(endpoint, "GetSecretValue", body)
    lines = ['wrk.method = "POST"', f"wrk.body = {lua_str(body)}"]
    for k, v in headers.items():
        lines.append(f"wrk.headers[{lua_str(k)}] = {lua_str(v)}")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.lua")) as tail:
            f.write(tail.read())
    return 0


def main(argv: list) -> int:
    if len(argv) == 5 and argv[1] == "call":
        return call(argv[2], argv[3], argv[4])
    if len(argv) == 5 and argv[1] == "wrk-lua":
        return wrk_lua(argv[2], argv[3], argv[4])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
