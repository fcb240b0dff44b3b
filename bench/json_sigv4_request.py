#!/usr/bin/python3
"""SigV4-signed JSON 1.1 requests for any Arcana service (bench/parameter-store).

  json_sigv4_request.py call ENDPOINT SIGNING_NAME TARGET JSON_BODY
      sends one signed request (TARGET e.g. AmazonSSM.PutParameter), prints the body; exit 1 on non-200.
  json_sigv4_request.py wrk-lua ENDPOINT SIGNING_NAME TARGET JSON_BODY OUT.lua
      signs one request now and writes a wrk Lua script replaying it (+ bench/report.lua).

Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; region us-east-1; Debian's botocore.
"""
import json
import os
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed(endpoint, service, target, body):
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    req = AWSRequest(method="POST", url=endpoint.rstrip("/") + "/", data=body.encode(), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target,
        "Host": urlsplit(endpoint).netloc})
    SigV4Auth(creds, service, "us-east-1").add_auth(req)
    return dict(req.headers.items())


def main(argv):
    if len(argv) == 6 and argv[1] == "call":
        _, _, endpoint, service, target, body = argv
        req = urllib.request.Request(endpoint.rstrip("/") + "/", data=body.encode(),
                                     headers=signed(endpoint, service, target, body), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                sys.stdout.write(resp.read().decode())
                return 0
        except urllib.error.HTTPError as e:
            sys.stderr.write(f"{target}: HTTP {e.code}: {e.read().decode(errors='replace')}\n")
            return 1
    if len(argv) == 7 and argv[1] == "wrk-lua":
        _, _, endpoint, service, target, body, out = argv
        lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
        for k, v in signed(endpoint, service, target, body).items():
            lines.append(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}")
        with open(out, "w") as f:
            f.write("\n".join(lines) + "\n")
            with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.lua")) as tail:
                f.write(tail.read())
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
