"""The Lambda API subset (issue 12): CreateFunction / GetFunction / ListFunctions / Invoke /
DeleteFunction over REST-JSON, through unmodified boto3 and the aws CLI, against a server with
signature checks on. Functions are Python handlers zipped in the test; one of them rotates a
real secret as its RotationLambdaARN."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_cli import cli_runner
from conftest import (ACCOUNT, ARCANAD, ROOT_AKID, ROOT_SECRET, ArcanaServer, cli_store_args,
                      free_port, raises_code, store_url, wait_for)
from test_rotation import LAMBDA_PY as ROTATION_PY

ARCANA_CLI = ARCANAD.parent / "arcana"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-exec"

HANDLER_PY = '''
import json, os

def lambda_handler(event, context):
    print("hello-log from", context.function_name)
    if event.get("fail"):
        raise ValueError("boom: " + event["fail"])
    if event.get("sleep"):
        import time
        time.sleep(event["sleep"])
    if event.get("touch"):
        open(event["touch"], "w").write("ran")
    return {"echo": event, "greeting": os.environ.get("GREETING"),
            "name": context.function_name, "memory": context.memory_limit_in_mb,
            "has_credentials": "AWS_ACCESS_KEY_ID" in os.environ}
'''


def make_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def client(endpoint, service, **kw):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=kw.get("akid", ROOT_AKID),
                        aws_secret_access_key=kw.get("secret", ROOT_SECRET),
                        config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = tmp_path_factory.mktemp("lambda")
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    s = ArcanaServer(root / "data", root / "logs", dev=False, env=env,
                     args=["--rotation-retry-seconds", "1"]).start()
    # ROLE, the functions' execution role: a rotation runs the function as that role, which
    # must exist and trust Lambda (as in AWS).
    iam = client(s.endpoint, "iam")
    iam.create_role(RoleName=ROLE.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=ROLE.rsplit("/", 1)[1], PolicyName="rotation",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}))
    yield s
    s.stop()


@pytest.fixture
def lam(srv):
    return client(srv.endpoint, "lambda")


@pytest.fixture
def fn_dir():
    """A folder functions made through the Lambda API may write in (markers, gates): run by a
    root arcanad they run as its --function-user (nobody), which cannot reach pytest's
    tmp_path (the test user's alone, 0700)."""
    d = Path(tempfile.mkdtemp(prefix="arcana-fn-"))
    d.chmod(0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def create(lam, name, files=None, **kw):
    args = dict(FunctionName=name, Runtime="python3.11", Role=ROLE,
                Handler="lambda_function.lambda_handler",
                Code={"ZipFile": make_zip(files or {"lambda_function.py": HANDLER_PY})})
    args.update(kw)
    return lam.create_function(**args)


def allow_secrets_manager(lam, name, **kw):
    """The statement AWS's rotation setup adds (its user guide: "aws lambda add-permission
    --function-name ARN --principal secretsmanager.amazonaws.com --action lambda:InvokeFunction
    --statement-id SecretsManagerAccess"): without it Secrets Manager does not invoke the
    function, of the secret's account or another."""
    lam.add_permission(FunctionName=name, StatementId="SecretsManagerAccess",
                       Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com",
                       **kw)


def test_create_get_invoke_delete(srv, lam, fn_dir):
    name = "fn-" + uuid.uuid4().hex[:8]
    package = make_zip({"lambda_function.py": HANDLER_PY})
    cfg = lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                              Handler="lambda_function.lambda_handler", Code={"ZipFile": package},
                              Timeout=20, MemorySize=256, Description="echo",
                              Environment={"Variables": {"GREETING": "hi"}})
    assert cfg["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert cfg["FunctionName"] == name and cfg["FunctionArn"] == arn(name)
    assert cfg["CodeSha256"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert cfg["CodeSize"] == len(package)
    assert (cfg["Runtime"], cfg["Role"], cfg["Handler"]) == ("python3.11", ROLE,
                                                             "lambda_function.lambda_handler")
    assert (cfg["Timeout"], cfg["MemorySize"], cfg["Description"]) == (20, 256, "echo")
    # As AWS answers CreateFunction (test_events_lambda_aws_recorded.py): Pending, then Active.
    assert (cfg["Version"], cfg["State"], cfg["PackageType"]) == ("$LATEST", "Pending", "Zip")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", cfg["LastModified"])
    assert cfg["Environment"] == {"Variables": {"GREETING": "hi"}}

    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["CodeSha256"] == cfg["CodeSha256"]
    assert got["Code"]["RepositoryType"] == "S3"
    assert lam.get_function(FunctionName=arn(name))["Configuration"]["FunctionName"] == name

    r = lam.invoke(FunctionName=name, Payload=json.dumps({"a": 1}).encode(), LogType="Tail")
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert r["ExecutedVersion"] == "$LATEST"
    out = json.loads(r["Payload"].read())
    assert out == {"echo": {"a": 1}, "greeting": "hi", "name": name, "memory": 256,
                   "has_credentials": True}  # its execution role's (below)
    assert f"hello-log from {name}" in base64.b64decode(r["LogResult"]).decode()

    r = lam.invoke(FunctionName=name, Payload=json.dumps({"fail": "x"}).encode())
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    err = json.loads(r["Payload"].read())
    assert err["errorMessage"] == "boom: x" and err["errorType"] == "ValueError"

    assert lam.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    marker = fn_dir / "event-ran"
    r = lam.invoke(FunctionName=name, InvocationType="Event",
                   Payload=json.dumps({"touch": str(marker)}).encode())
    assert r["StatusCode"] == 202
    assert r["Payload"].read() == b""  # Lambda's 202 has an empty body (not "{}")
    wait_for(marker.exists, timeout=15, what="the Event invocation to run")

    d = lam.delete_function(FunctionName=name)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    with raises_code("ResourceNotFoundException") as ei:
        lam.get_function(FunctionName=name)
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert ei.value.response["Error"]["Message"] == f"Function not found: {arn(name)}"
    with raises_code("ResourceNotFoundException"):
        lam.invoke(FunctionName=name)
    with raises_code("ResourceNotFoundException"):
        lam.delete_function(FunctionName=name)

    # Audited as lambda.amazonaws.com, without the package or the payload.
    records = [json.loads(line) for f in sorted((srv.data_dir / "audit").glob("*.jsonl"))
               if ".digests." not in f.name for line in f.read_text().splitlines()]
    mine = [e for e in records if e.get("eventSource") == "lambda.amazonaws.com"
            and any(r.get("ARN") == arn(name) for r in e.get("resources", []))]
    assert {"CreateFunction", "GetFunction", "Invoke", "DeleteFunction"} <= {e["eventName"] for e in mine}
    text = json.dumps(mine)
    assert base64.b64encode(package).decode()[:40] not in text and "boom" not in text


def test_function_errors_are_the_python_runtimes_documents(srv, lam):
    """Error documents as Lambda's Python runtime (awslambdaric's bootstrap) writes them: all of
    errorMessage, errorType, requestId (the Invoke's request id; "" when the module could not
    be loaded) and stackTrace (the function's own frames), and its Runtime.* error types."""
    def invoke(files, handler="lambda_function.lambda_handler", event=None):
        name = "rt-" + uuid.uuid4().hex[:8]
        create(lam, name, files=files, Handler=handler, Timeout=10)
        try:
            r = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
            assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", r
            return json.loads(r["Payload"].read()), r["ResponseMetadata"]["RequestId"]
        finally:
            lam.delete_function(FunctionName=name)

    raiser = "def lambda_handler(event, context):\n    helper(event)\n\n" \
             "def helper(event):\n    raise KeyError('missing-key')\n"
    doc, rid = invoke({"lambda_function.py": raiser})
    assert list(doc) == ["errorMessage", "errorType", "requestId", "stackTrace"], doc
    assert (doc["errorMessage"], doc["errorType"]) == ("'missing-key'", "KeyError")
    assert doc["requestId"] == rid and rid
    assert len(doc["stackTrace"]) == 2, doc  # the handler's frame and helper's, not the runner's
    assert 'lambda_function.py", line 2, in lambda_handler' in doc["stackTrace"][0]
    assert "raise KeyError('missing-key')" in doc["stackTrace"][1]

    doc, _ = invoke({"lambda_function.py": "import no_such_module_here\n"})
    assert doc == {"errorMessage": "Unable to import module 'lambda_function': "
                                   "No module named 'no_such_module_here'",
                   "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}
    doc, _ = invoke({"other.py": "x = 1\n"})
    assert doc["errorType"] == "Runtime.ImportModuleError"
    assert doc["errorMessage"] == "Unable to import module 'lambda_function': " \
                                  "No module named 'lambda_function'"

    doc, _ = invoke({"lambda_function.py": "def lambda_handler(event, context)\n    return 1\n"})
    assert doc["errorType"] == "Runtime.UserCodeSyntaxError", doc
    assert doc["errorMessage"].startswith("Syntax error in module 'lambda_function': ")
    assert doc["requestId"] == "" and len(doc["stackTrace"]) == 1
    assert "Line 1" in doc["stackTrace"][0]

    doc, rid = invoke({"lambda_function.py": "def other(event, context):\n    return 1\n"})
    assert doc == {"errorMessage": "Handler 'lambda_handler' missing on module 'lambda_function'",
                   "errorType": "Runtime.HandlerNotFound", "requestId": rid, "stackTrace": []}

    doc, rid = invoke({"lambda_function.py": "def lambda_handler(event, context):\n"
                                             "    return {1, 2}\n"})
    assert doc["errorType"] == "Runtime.MarshalError" and doc["requestId"] == rid
    assert doc["errorMessage"] == "Unable to marshal response: Object of type set is not JSON " \
                                  "serializable"

    doc, rid = invoke({"lambda_function.py": "import sys\ndef lambda_handler(event, context):\n"
                                             "    sys.exit(3)\n"})
    assert doc == {"errorType": "Runtime.ExitError",
                   "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: exit status 3"}

    # The handler's context carries the same request id.
    name = "rt-" + uuid.uuid4().hex[:8]
    create(lam, name, files={"lambda_function.py": "def lambda_handler(event, context):\n"
                                                  "    return context.aws_request_id\n"})
    r = lam.invoke(FunctionName=name)
    assert json.loads(r["Payload"].read()) == r["ResponseMetadata"]["RequestId"]
    lam.delete_function(FunctionName=name)


def test_another_account_invokes_a_function_its_policy_shares(srv, lam):
    """Lambda's cross-account permissions: account B invokes account A's function by its ARN
    when the function's policy (AddPermission with B's account id) allows it, and is refused
    (AccessDeniedException) otherwise, as for a function that does not exist: no probing.
    B's own namespace never holds A's function."""
    account_b = "210987654321"
    p = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir),
                        "--root-key-file", str(srv.data_dir / "root.key"),
                        "access-key", "create", "--account-id", account_b],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    b = client(srv.endpoint, "lambda", akid=p.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0],
               secret=p.stdout.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0])
    name = "shared-" + uuid.uuid4().hex[:8]
    create(lam, name, files={"lambda_function.py": "def lambda_handler(event, context):\n"
                                                  "    return {'ran-for': event.get('who')}\n"})
    payload = json.dumps({"who": "b"}).encode()

    def refused(function_name):
        with pytest.raises(ClientError) as e:
            b.invoke(FunctionName=function_name, Payload=payload)
        return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]

    assert refused(arn(name)) == ("AccessDeniedException", 403)
    assert refused(arn("no-such-" + name)) == ("AccessDeniedException", 403)
    assert refused(name) == ("ResourceNotFoundException", 404)  # B's own namespace
    lam.add_permission(FunctionName=name, StatementId="account-b",
                       Action="lambda:InvokeFunction", Principal=account_b)
    r = b.invoke(FunctionName=arn(name), Payload=payload)
    assert r["StatusCode"] == 200 and "FunctionError" not in r, r
    assert json.loads(r["Payload"].read()) == {"ran-for": "b"}
    # Only Invoke crosses: B cannot read or change A's function.
    with pytest.raises(ClientError) as e:
        b.get_function(FunctionName=arn(name))
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    lam.remove_permission(FunctionName=name, StatementId="account-b")
    assert refused(arn(name)) == ("AccessDeniedException", 403)
    lam.delete_function(FunctionName=name)


def test_errors_are_lambdas(srv, lam):
    name = "dup-" + uuid.uuid4().hex[:8]
    create(lam, name, Timeout=1)
    with raises_code("ResourceConflictException") as ei:
        create(lam, name)
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert ei.value.response["Error"]["Message"] == f"Function already exist: {name}"
    bad = [
        dict(Code={"ZipFile": b"not a zip at all"}),
        dict(files={"../evil.py": "x = 1"}),
        dict(files={"/abs.py": "x = 1"}),
        dict(Runtime="nodejs20.x"),
        dict(Handler="no_dot"),
        dict(Environment={"Variables": {"AWS_REGION": "x"}}),
    ]
    for kw in bad:
        with raises_code("InvalidParameterValueException") as ei:
            create(lam, "bad-" + uuid.uuid4().hex[:8], **kw)
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, kw
    # A handler past its Timeout is stopped: Lambda's timeout error.
    r = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 5}).encode())
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read()) == {"errorMessage": "Task timed out after 1.00 seconds",
                                               "errorType": "Sandbox.Timedout"}
    with raises_code("ValidationException"):
        create(lam, "bad-" + uuid.uuid4().hex[:8], Role="not-a-role")
    with raises_code("ResourceNotFoundException"):
        lam.get_function(FunctionName=name, Qualifier="7")
    with raises_code("ResourceNotFoundException"):
        lam.get_function(FunctionName=f"arn:aws:lambda:{REGION}:999999999999:function:{name}")
    lam.delete_function(FunctionName=name)


def test_list_functions_pages_and_shows_cli_functions(srv, lam):
    prefix = "ls" + uuid.uuid4().hex[:6]
    for i in range(3):
        create(lam, f"{prefix}-{i}")
    out = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir), "functions", "create",
                          f"{prefix}-url", "--url", "http://127.0.0.1:9/rotate"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    seen, marker, pages = [], None, 0
    while True:
        kw = {"MaxItems": 2, **({"Marker": marker} if marker else {})}
        page = lam.list_functions(**kw)
        assert len(page["Functions"]) <= 2
        seen += page["Functions"]
        pages += 1
        marker = page.get("NextMarker")
        if not marker:
            break
    mine = {f["FunctionName"]: f for f in seen if f["FunctionName"].startswith(prefix)}
    assert sorted(mine) == [f"{prefix}-0", f"{prefix}-1", f"{prefix}-2", f"{prefix}-url"]
    assert pages >= 2
    url_fn = mine[f"{prefix}-url"]
    assert url_fn["Runtime"] == "provided" and url_fn["FunctionArn"] == arn(f"{prefix}-url")
    assert "127.0.0.1:9" not in json.dumps(url_fn)  # the target is never shown
    assert lam.get_function(FunctionName=f"{prefix}-url")["Configuration"]["CodeSize"] == 0
    # It has no Lambda attributes or package to update: refused, unchanged, its URL unshown.
    for update in (lambda: lam.update_function_configuration(FunctionName=f"{prefix}-url",
                                                             Timeout=9),
                   lambda: lam.update_function_code(FunctionName=f"{prefix}-url",
                                                    ZipFile=make_zip({"a.py": "x = 1"}))):
        with raises_code("InvalidParameterValueException") as ei:
            update()
        assert "arcana functions create" in ei.value.response["Error"]["Message"]
        assert "127.0.0.1:9" not in ei.value.response["Error"]["Message"]
    assert lam.get_function_configuration(FunctionName=f"{prefix}-url")["Runtime"] == "provided"
    for name in mine:
        lam.delete_function(FunctionName=name)


def test_reserved_environment_variables_are_refused_in_lambdas_words(lam):
    """Lambda's own runtime variables are reserved: InvalidParameterValueException "Lambda was
    unable to configure your environment variables because the environment variables you have
    provided contains reserved keys that are currently not supported for modification.
    Reserved keys used in this request: AWS_REGION, AWS_ACCESS_KEY" (AWS's answer as
    CloudFormation and Terraform users quote it; the keys as given). Another AWS_* name, which
    AWS takes, Arcana still refuses (it sets AWS_ENDPOINT_URL itself), in its own words."""
    with raises_code("InvalidParameterValueException") as ei:
        create(lam, "env-" + uuid.uuid4().hex[:8], Environment={"Variables": {
            "GREETING": "hi", "AWS_REGION": "x", "AWS_ACCESS_KEY": "y"}})
    assert ei.value.response["Error"]["Message"] == (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        "for modification. Reserved keys used in this request: AWS_REGION, AWS_ACCESS_KEY")
    with raises_code("InvalidParameterValueException") as ei:
        create(lam, "env-" + uuid.uuid4().hex[:8],
               Environment={"Variables": {"AWS_ENDPOINT_URL": "http://elsewhere"}})
    assert "Reserved keys" not in ei.value.response["Error"]["Message"]


def test_list_functions_answers_at_most_50_per_page(lam):
    """The API reference on ListFunctions' MaxItems: "ListFunctions returns a maximum of 50
    items in each response, even if you set the number higher" (the model allows 10000): a
    larger MaxItems still pages by 50, with a NextMarker that carries on after the 50th."""
    prefix = "cap" + uuid.uuid4().hex[:6]
    names = [f"{prefix}-{i:02d}" for i in range(51)]
    package = make_zip({"lambda_function.py": HANDLER_PY})
    for n in names:
        create(lam, n, Code={"ZipFile": package})
    try:
        page = lam.list_functions(MaxItems=1000)
        assert len(page["Functions"]) == 50 and page["NextMarker"]
        seen = [f["FunctionName"] for f in page["Functions"]]
        marker = page["NextMarker"]
        while marker:
            page = lam.list_functions(MaxItems=1000, Marker=marker)
            assert len(page["Functions"]) <= 50
            seen += [f["FunctionName"] for f in page["Functions"]]
            marker = page.get("NextMarker")
        assert sorted(n for n in seen if n.startswith(prefix)) == names
    finally:
        for n in names:
            lam.delete_function(FunctionName=n)


CALLER_PY = '''
import os, boto3

def lambda_handler(event, context):
    sts = boto3.client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    sm = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    try:
        value = sm.get_secret_value(SecretId=event["secret"])["SecretString"]
    except sm.exceptions.ClientError as e:
        value = e.response["Error"]["Code"]
    answer = {"arn": sts.get_caller_identity()["Arn"], "value": value}
    if event.get("touch"):
        open(event["touch"], "w").write(answer["arn"])
    return answer
'''


def test_invoke_runs_the_function_as_its_execution_role(srv, lam, fn_dir):
    """As Lambda: an invoked function has credentials of a session of its execution role,
    named after the function, allowed what that role allows and nothing more; a role that no
    longer trusts Lambda refuses the invocation. A function registered with the CLI declares
    no role and gets no credentials."""
    iam = client(srv.endpoint, "iam")
    role = "reader-" + uuid.uuid4().hex[:6]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    sm = client(srv.endpoint, "secretsmanager")
    allowed = sm.create_secret(Name="fn-allowed-" + role, SecretString="role-may-read")["ARN"]
    denied = sm.create_secret(Name="fn-denied-" + role, SecretString="role-may-not")["ARN"]
    iam.put_role_policy(RoleName=role, PolicyName="one", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
            "secretsmanager:GetSecretValue", "sts:GetCallerIdentity"], "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": denied}]}))
    name = "caller-" + uuid.uuid4().hex[:8]
    create(lam, name, files={"lambda_function.py": CALLER_PY}, Timeout=30,
           Role=f"arn:aws:iam::{ACCOUNT}:role/{role}")

    def invoke(secret):
        r = lam.invoke(FunctionName=name, Payload=json.dumps({"secret": secret}).encode())
        assert "FunctionError" not in r, r["Payload"].read()
        return json.loads(r["Payload"].read())

    assert invoke(allowed) == {
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name}", "value": "role-may-read"}
    assert invoke(denied)["value"] == "AccessDeniedException"
    # An Event invocation's credentials are made when it leaves the queue, and work.
    marker = fn_dir / ("event-" + name)
    r = lam.invoke(FunctionName=name, InvocationType="Event",
                   Payload=json.dumps({"secret": allowed, "touch": str(marker)}).encode())
    assert r["StatusCode"] == 202
    wait_for(marker.exists, timeout=30, what="the queued invocation to run")
    wait_for(lambda: marker.read_text() != "", timeout=5, what="the marker's text")
    assert marker.read_text() == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name}"
    # The role stops trusting Lambda: the function is not run.
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert e.value.response["Error"]["Message"] == (
        "The role defined for the function cannot be assumed by Lambda.")
    lam.delete_function(FunctionName=name)

    # A CLI-registered Python function: no role, no credentials.
    folder = srv.data_dir.parent / ("cli-fn-" + role)
    folder.mkdir()
    (folder / "lambda_function.py").write_text(HANDLER_PY)
    cli_name = "clifn-" + uuid.uuid4().hex[:6]
    out = subprocess.run([str(ARCANA_CLI), *cli_store_args(srv.data_dir), "functions", "create",
                          cli_name, "--python", str(folder), "--handler",
                          "lambda_function.lambda_handler"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    r = lam.invoke(FunctionName=cli_name, Payload=b"{}")
    assert json.loads(r["Payload"].read())["has_credentials"] is False
    lam.delete_function(FunctionName=cli_name)


@pytest.mark.sqlite_only("the CLI's wire shapes do not depend on the store: one pass")
def test_aws_cli_lists_and_invokes(srv, lam, tmp_path):
    name = "cli-" + uuid.uuid4().hex[:8]
    create(lam, name)
    run = cli_runner(srv.endpoint, tmp_path, ROOT_AKID, ROOT_SECRET, prefix=("lambda",))
    _, listed, _ = run("list-functions")
    assert name in [f["FunctionName"] for f in listed["Functions"]]
    out_file = tmp_path / "out.json"
    _, meta, _ = run("invoke", "--function-name", name, "--cli-binary-format",
                     "raw-in-base64-out", "--payload", '{"k": "v"}', str(out_file))
    assert meta["StatusCode"] == 200 and "FunctionError" not in meta
    assert json.loads(out_file.read_text())["echo"] == {"k": "v"}
    # The CLI's waiters poll GetFunctionConfiguration: they end at the first answer.
    run("wait", "function-active", "--function-name", name)
    _, updated, _ = run("update-function-configuration", "--function-name", name,
                        "--timeout", "9")
    assert updated["Timeout"] == 9
    run("wait", "function-updated", "--function-name", name)
    lam.delete_function(FunctionName=name)


SNOOP_PY = '''
import os

def lambda_handler(event, context):
    got = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups()}
    for path in event["read"]:
        try:
            with open(path, "rb") as f:
                f.read(1)
            got[path] = "read"
        except OSError as e:
            got[path] = type(e).__name__
    for path in event["list"]:
        try:
            os.listdir(path)
            got[path] = "listed"
        except OSError as e:
            got[path] = type(e).__name__
    try:
        with open("added.py", "w") as f:
            f.write("# changes its own code")
        got["write"] = "written"
    except OSError as e:
        got["write"] = type(e).__name__
    with open("lambda_function.py") as f:
        got["own"] = f.read().split("\\n")[1]
    from pkg import helper  # a folder of the package
    got["nested"] = helper.VALUE
    return got
'''


def test_a_function_runs_as_the_function_user_away_from_the_data_dir(srv):
    """Regression: a function made through the Lambda API ran as arcanad's own user, so any
    principal allowed lambda:CreateFunction and iam:PassRole read the root key and the operator
    token (or ran `arcana --data-dir` to make itself root keys). A root arcanad runs it as
    --function-user (nobody, no other group): it reads its own code but cannot change it, nor
    read or list anything else of the data dir."""
    if os.geteuid() != 0:
        pytest.skip("arcanad runs as the test's user, not root: it cannot switch users")
    import pwd
    nobody = pwd.getpwnam("nobody")
    iam = client(srv.endpoint, "iam")
    user = "fn-dev-" + uuid.uuid4().hex[:6]
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction",
                                           "lambda:DeleteFunction"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    dev = client(srv.endpoint, "lambda", akid=key["AccessKeyId"], secret=key["SecretAccessKey"])
    name = "snoop-" + uuid.uuid4().hex[:8]
    create(dev, name, files={"lambda_function.py": SNOOP_PY, "pkg/helper.py": "VALUE = 1\n"})
    data = srv.data_dir
    secret_files = [data / "root.key", data / "operator.token", data / "arcana.db"]
    secret_files = [p for p in secret_files if p.exists()]
    assert data / "root.key" in secret_files
    folders = [data, data / "functions", data / "functions" / "code"]
    r = dev.invoke(FunctionName=name, Payload=json.dumps({
        "read": [str(p) for p in secret_files], "list": [str(p) for p in folders]}).encode())
    assert "FunctionError" not in r
    got = json.loads(r["Payload"].read())
    # A user id of its own (--function-uids' default range), in the function user's group.
    assert FUNCTION_UIDS[0] <= got["uid"] <= FUNCTION_UIDS[1]
    assert (got["gid"], got["groups"]) == (nobody.pw_gid, [])
    assert {p: got[str(p)] for p in secret_files + folders} == {
        p: "PermissionError" for p in secret_files + folders}
    assert got["write"] == "PermissionError"
    assert (got["own"], got["nested"]) == ("import os", 1)
    dev.delete_function(FunctionName=name)


FUNCTION_UIDS = (1879048192, 1879113727)  # arcanad's default --function-uids

NEIGHBOUR_PY = '''
import os, time

def lambda_handler(event, context):
    if event.get("wait"):  # the run another one looks for: its role's keys in its environment
        open(event["started"], "w").close()
        time.sleep(event["wait"])
        return {"uid": os.getuid()}
    got = {"uid": os.getuid(), "seen": 0, "environ": [], "fd": [], "signal": []}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if event["marker"].encode() not in f.read():
                    continue
        except OSError:
            continue
        if int(pid) == os.getpid():
            continue
        got["seen"] += 1
        for what, path in (("environ", f"/proc/{pid}/environ"), ("fd", f"/proc/{pid}/fd/3")):
            try:
                with open(path, "rb") as f:
                    f.read(1)
                got[what].append("read")
            except OSError as e:
                got[what].append(type(e).__name__)
        try:
            os.kill(int(pid), 0)
            got["signal"].append("sent")
        except OSError as e:
            got["signal"].append(type(e).__name__)
    return got
'''

LEAVER_PY = '''
import os, subprocess

def lambda_handler(event, context):
    # A process in a session of its own (out of reach of the run's process group), holding
    # the run's output pipe, and a file in /tmp: both must end with the run.
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    with open(event["file"], "w") as f:
        f.write("left behind")
    return {"uid": os.getuid(), "pid": child.pid}
'''


def test_runs_of_functions_cannot_reach_each_other(srv, fn_dir):
    """Regression: every function made through the Lambda API ran as one user (nobody), so one
    principal's function read another's environment (its execution role's credentials) and its
    answer file through /proc while it ran, and could signal it. Each run now has a user id of
    its own: a run sees the other's process but reads neither its environ nor its fd 3."""
    if os.geteuid() != 0:
        pytest.skip("only a root arcanad switches users")
    import threading
    lam = client(srv.endpoint, "lambda")
    name = "neighbour-" + uuid.uuid4().hex[:8]
    create(lam, name, files={"lambda_function.py": NEIGHBOUR_PY}, Timeout=30)
    started = fn_dir / "started"
    waiting = {}

    def run_waiting():
        r = lam.invoke(FunctionName=name, Payload=json.dumps(
            {"wait": 4, "started": str(started)}).encode())
        waiting.update(json.loads(r["Payload"].read()))
    t = threading.Thread(target=run_waiting)
    t.start()
    try:
        wait_for(started.exists, timeout=20, what="the first run to start")
        # The shim's command line holds the function's ARN: that is how the other run finds it.
        r = lam.invoke(FunctionName=name, Payload=json.dumps({"marker": arn(name)}).encode())
        got = json.loads(r["Payload"].read())
    finally:
        t.join(timeout=60)
    assert got["seen"] == 1, got
    assert (got["environ"], got["fd"], got["signal"]) == (
        ["PermissionError"], ["PermissionError"], ["PermissionError"]), got
    assert got["uid"] != waiting["uid"]
    for uid in (got["uid"], waiting["uid"]):
        assert FUNCTION_UIDS[0] <= uid <= FUNCTION_UIDS[1]
    lam.delete_function(FunctionName=name)


def test_what_a_run_leaves_behind_ends_with_it(srv, fn_dir):
    """Regression: a function could leave a process behind (a new session escaped the
    timeout's kill) that watched every later run, and a file in /tmp the next run of that user
    read; the run also lasted until its timeout while that process held its output pipe. The
    run now ends when its handler returns, and every process and /tmp file of its user id
    goes with it."""
    if os.geteuid() != 0:
        pytest.skip("only a root arcanad switches users")
    import time
    lam = client(srv.endpoint, "lambda")
    name = "leaver-" + uuid.uuid4().hex[:8]
    create(lam, name, files={"lambda_function.py": LEAVER_PY}, Timeout=30)
    left = Path("/tmp") / ("arcana-left-" + uuid.uuid4().hex[:8])
    began = time.monotonic()
    r = lam.invoke(FunctionName=name, Payload=json.dumps({"file": str(left)}).encode())
    took = time.monotonic() - began
    assert "FunctionError" not in r
    got = json.loads(r["Payload"].read())
    assert took < 15, f"the run waited for what it left running ({took:.1f} s)"

    def gone():
        try:
            with open(f"/proc/{got['pid']}/status") as f:
                status = f.read()
        except FileNotFoundError:
            return True
        # Killed, not yet reaped by its new parent, or the pid already taken by another user.
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        return uid != got["uid"] or re.search(r"^State:\s+Z", status, re.M) is not None
    wait_for(gone, timeout=10, what="the process the run left behind to end")
    assert not left.exists()
    lam.delete_function(FunctionName=name)


def test_function_uids_are_checked_at_the_start(tmp_path):
    """--function-uids takes FIRST-LAST or none; anything else refuses the start."""
    for bad, why in (("5-x", "two decimal numbers joined by '-'"),
                     ("70000-60000", "FIRST must be at least 1 and at most LAST"),
                     ("60000-70000", "65534 (nobody) and 65535 are not function ids")):
        out = subprocess.run([str(ARCANAD), "--listen", "127.0.0.1:0", "--data-dir",
                              str(tmp_path / "data"), "--function-uids", bad],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode != 0
        assert f"--function-uids: '{bad}' is not a range of user ids FIRST-LAST or none: {why}" \
            in out.stdout + out.stderr


def test_an_unknown_function_user_refuses_the_start(tmp_path):
    """A root arcanad whose --function-user does not exist does not start (rather than run
    functions as itself)."""
    if os.geteuid() != 0:
        pytest.skip("only a root arcanad switches users")
    out = subprocess.run([str(ARCANAD), "--listen", "127.0.0.1:0", "--data-dir",
                          str(tmp_path / "data"), "--function-user", "no-such-user-arcana"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "--function-user: no such user: no-such-user-arcana" in out.stdout + out.stderr


@pytest.mark.sqlite_only("who runs a function does not depend on the store: one pass")
def test_a_non_root_arcanad_runs_functions_as_itself_and_says_so(fn_dir):
    """An arcanad that is not root cannot switch users: it says at its start that functions
    made through the Lambda API run as itself, and runs them so (their package folder is its
    own, 0700)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to start arcanad as another user (setpriv)")
    import pwd
    import requests
    nobody = pwd.getpwnam("nobody")
    data, port = fn_dir / "data", free_port()
    log_path = fn_dir / "arcanad.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
             str(ARCANAD), "--listen", f"127.0.0.1:{port}", "--data-dir", str(data)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID,
                 "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET})
    try:
        endpoint = f"http://127.0.0.1:{port}"

        def healthy():
            try:
                return requests.get(endpoint + "/_arcana/health", timeout=1).status_code == 200
            except requests.RequestException:
                return proc.poll() is not None
        wait_for(healthy, timeout=20, what="the non-root arcanad to start")
        assert proc.poll() is None, log_path.read_text()
        assert ("arcanad does not run as root: functions made through the Lambda API run as "
                "arcanad's own user") in log_path.read_text()
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}
        client(endpoint, "iam").create_role(RoleName="lambda-exec",
                                            AssumeRolePolicyDocument=json.dumps(trust))
        lam = client(endpoint, "lambda")
        create(lam, "as-arcanad", files={"lambda_function.py": SNOOP_PY,
                                         "pkg/helper.py": "VALUE = 1\n"})
        r = lam.invoke(FunctionName="as-arcanad", Payload=b'{"read": [], "list": []}')
        got = json.loads(r["Payload"].read())
        assert (got["uid"], got["own"], got["nested"]) == (nobody.pw_uid, "import os", 1)
        [folder] = (data / "functions" / "code").iterdir()
        assert (folder.stat().st_mode & 0o777, folder.stat().st_uid) == (0o700, nobody.pw_uid)
        assert data.stat().st_mode & 0o777 == 0o700
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_invoke_needs_lambda_invoke_function(srv, lam):
    name = "authz-" + uuid.uuid4().hex[:8]
    create(lam, name)
    iam = client(srv.endpoint, "iam")
    user = "lambda-reader-" + uuid.uuid4().hex[:6]
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["lambda:GetFunction", "lambda:ListFunctions"],
             "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    reader = client(srv.endpoint, "lambda", akid=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert reader.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
    with raises_code("AccessDeniedException") as ei:
        reader.invoke(FunctionName=name)
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "lambda:InvokeFunction" in ei.value.response["Error"]["Message"]
    with raises_code("AccessDeniedException"):
        reader.delete_function(FunctionName=name)
    lam.delete_function(FunctionName=name)


def test_function_made_with_create_function_rotates_a_secret(srv, lam):
    name = "rot-" + uuid.uuid4().hex[:8]
    fn_arn = create(lam, name, files={"lambda_function.py": ROTATION_PY}, Timeout=30)["FunctionArn"]
    allow_secrets_manager(lam, name)
    sm = client(srv.endpoint, "secretsmanager")
    secret = "lam/" + uuid.uuid4().hex[:8]
    sm.create_secret(Name=secret, SecretString=json.dumps({"username": "app", "password": "old"}))
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=secret, ClientRequestToken=token, RotationLambdaARN=fn_arn)
    wait_for(lambda: "AWSCURRENT" in sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
             .get(token, []), timeout=30, what="the rotation to finish")
    value = json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])
    assert value["username"] == "app" and value["password"] != "old"
    lam.delete_function(FunctionName=name)


CANNOT_INVOKE = ("Secrets Manager cannot invoke the specified Lambda function. Ensure that the "
                 "function policy grants access to the principal secretsmanager.amazonaws.com.")

# A rotation function (test_rotation.LAMBDA_PY) behind a gate the test opens and closes with
# files in GATE_DIR: each call is recorded in "calls"; "hold" makes the call wait; "fail" makes
# it fail (after the wait).
GATE_PY = """
import os, time
import lambda_function

def handler(event, context):
    d = os.environ["GATE_DIR"]
    with open(os.path.join(d, "calls"), "a") as f:
        f.write(event["Step"] + "\\n")
    try:  # each run is a user id of its own: the next ones append too
        os.chmod(os.path.join(d, "calls"), 0o666)
    except OSError:
        pass
    while os.path.exists(os.path.join(d, "hold")):
        time.sleep(0.05)
    if os.path.exists(os.path.join(d, "fail")):
        raise RuntimeError("failing on purpose")
    return lambda_function.lambda_handler(event, context)
"""


def test_same_account_function_rotates_only_when_its_policy_lets_secrets_manager(
        srv, lam, fn_dir):
    """As AWS ("The role policy for the function must grant the Secrets Manager service
    principal secretsmanager.amazonaws.com permission to invoke the function
    (lambda:InvokeFunction)", Secrets Manager user guide, Troubleshoot rotation), for a function
    of the secret's own account too: without that statement RotateSecret is
    AccessDeniedException (HTTP 400) with AWS's text and changes nothing; a statement whose
    SourceAccount is another account's does not do; one for this account and secret does, and
    the rotation runs. Removed later (RemovePermission), the next run (here the retry of a run
    that failed) is refused before the function is invoked."""
    name = "gated-" + uuid.uuid4().hex[:8]
    gate = fn_dir / "gate"
    gate.mkdir()
    gate.chmod(0o777)
    calls = gate / "calls"
    create(lam, name, files={"lambda_function.py": ROTATION_PY, "gate.py": GATE_PY},
           Handler="gate.handler", Timeout=30, Environment={"Variables": {"GATE_DIR": str(gate)}})
    fn_arn = arn(name)
    sm = client(srv.endpoint, "secretsmanager")
    secret = "lam/" + uuid.uuid4().hex[:8]
    secret_arn = sm.create_secret(Name=secret, SecretString=json.dumps(
        {"username": "app", "password": "old"}))["ARN"]
    v1 = sm.describe_secret(SecretId=secret)["VersionIdsToStages"].popitem()[0]

    def refused():
        with pytest.raises(ClientError) as ei:
            sm.rotate_secret(SecretId=secret, ClientRequestToken=str(uuid.uuid4()),
                             RotationLambdaARN=fn_arn, RotationRules={"AutomaticallyAfterDays": 1})
        r = ei.value.response
        assert r["Error"]["Code"] == "AccessDeniedException"
        assert r["Error"]["Message"] == CANNOT_INVOKE
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
        d = sm.describe_secret(SecretId=secret)
        for k in ("RotationEnabled", "RotationRules", "RotationLambdaARN"):
            assert k not in d, k
        assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
        assert not calls.exists()  # never invoked

    refused()  # no policy at all
    lam.add_permission(FunctionName=name, StatementId="other-account",
                       Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com",
                       SourceAccount="999999999999")
    refused()  # a policy for another account's secrets
    lam.remove_permission(FunctionName=name, StatementId="other-account")
    allow_secrets_manager(lam, name, SourceAccount=ACCOUNT, SourceArn=secret_arn)

    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=secret, ClientRequestToken=token, RotationLambdaARN=fn_arn)
    wait_for(lambda: sm.describe_secret(SecretId=secret)["VersionIdsToStages"].get(token)
             == ["AWSCURRENT"], timeout=30, what="the rotation to finish")
    assert calls.read_text().split() == ["createSecret", "setSecret", "testSecret",
                                         "finishSecret"]

    # The next run waits in the function, which then fails; meanwhile the permission goes, so
    # its retry is refused.
    calls.unlink()
    (gate / "hold").touch()
    (gate / "fail").touch()
    token2 = str(uuid.uuid4())
    sm.rotate_secret(SecretId=secret, ClientRequestToken=token2)
    wait_for(calls.exists, timeout=30, what="the function to be invoked")
    lam.remove_permission(FunctionName=name, StatementId="SecretsManagerAccess")
    (gate / "hold").unlink()
    wait_for(lambda: f"function {name} of account {ACCOUNT} does not let Secrets Manager invoke "
             f"it for {secret_arn}" in srv.log_tail(400000), timeout=30,
             what="the retry to be refused")
    assert calls.read_text().split() == ["createSecret"]  # the failed run's only
    assert sm.describe_secret(SecretId=secret)["VersionIdsToStages"][token] == ["AWSCURRENT"]
    sm.cancel_rotate_secret(SecretId=secret)
    lam.delete_function(FunctionName=name)


@pytest.mark.postgresql_only("several nodes need a shared PostgreSQL store")
def test_a_function_created_on_one_node_runs_on_another(srv, lam, tmp_path):
    env = {"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID, "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
    node2 = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=False, env=env,
                         store=store_url(srv.data_dir),
                         root_key_file=srv.data_dir / "root.key").start()
    try:
        name = "nodes-" + uuid.uuid4().hex[:8]
        v1 = make_zip({"lambda_function.py": HANDLER_PY + f"# {name}\n"})
        create(lam, name, Code={"ZipFile": v1})
        r = client(node2.endpoint, "lambda").invoke(FunctionName=name, Payload=b'{"n": 2}')
        assert json.loads(r["Payload"].read())["echo"] == {"n": 2}
        old = hashlib.sha256(v1).hexdigest()
        assert old in code_folders(tmp_path / "data")  # unpacked on node 2
        # Code and configuration updated on one node are what the other runs next.
        v2 = make_zip({"lambda_function.py": (
            "import os\ndef lambda_handler(event, context):\n"
            "    return {'v': 2, 'g': os.environ.get('GREETING')}\n")})
        lam.update_function_code(FunctionName=name, ZipFile=v2)
        lam.update_function_configuration(FunctionName=name,
                                          Environment={"Variables": {"GREETING": "n2"}})
        r = client(node2.endpoint, "lambda").invoke(FunctionName=name, Payload=b"{}")
        assert json.loads(r["Payload"].read()) == {"v": 2, "g": "n2"}
        # Node 2 learnt of the update when it unpacked the new package: the old one is gone
        # from its disk too.
        assert code_folders(tmp_path / "data") == {hashlib.sha256(v2).hexdigest()}
        lam.delete_function(FunctionName=name)
    finally:
        node2.stop()


def test_create_function_needs_iam_pass_role_on_the_role(srv, lam):
    """As Lambda: the caller passes the function its role, so it needs iam:PassRole on that
    role (for lambda.amazonaws.com); another account's role is refused even with iam:PassRole
    on "*"."""
    iam = client(srv.endpoint, "iam")
    user = "lambda-maker-" + uuid.uuid4().hex[:6]
    iam.create_user(UserName=user)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}]}
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    maker = client(srv.endpoint, "lambda", akid=key["AccessKeyId"], secret=key["SecretAccessKey"])
    name = "passrole-" + uuid.uuid4().hex[:8]
    with raises_code("AccessDeniedException") as ei:
        create(maker, name)
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "iam:PassRole" in ei.value.response["Error"]["Message"]
    assert ROLE in ei.value.response["Error"]["Message"]
    with raises_code("ResourceNotFoundException"):
        lam.get_function(FunctionName=name)  # nothing was created
    # Allowed only when passed to Lambda.
    policy["Statement"].append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE,
                                "Condition": {"StringEquals": {
                                    "iam:PassedToService": "ec2.amazonaws.com"}}})
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    with raises_code("AccessDeniedException"):
        create(maker, name)
    policy["Statement"][1]["Condition"]["StringEquals"]["iam:PassedToService"] = \
        "lambda.amazonaws.com"
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    assert create(maker, name)["FunctionName"] == name
    lam.delete_function(FunctionName=name)
    # Another account's role: not passable, whatever the caller's own policy says (the root's
    # too), in AWS's words (403 "Cross-account pass role is not allowed.", as Lambda's users
    # report it); Arcana answered the policy engine's "not authorized to perform: iam:PassRole".
    policy["Statement"][1] = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    for caller in (maker, lam):
        with raises_code("AccessDeniedException") as ei:
            create(caller, name, Role="arn:aws:iam::999999999999:role/elsewhere")
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert ei.value.response["Error"]["Message"] == "Cross-account pass role is not allowed."


def test_create_function_refuses_a_role_lambda_cannot_assume(srv, lam):
    """As Lambda: the Role must exist and trust lambda.amazonaws.com (sts:AssumeRole), else
    CreateFunction is InvalidParameterValueException 400 "The role defined for the function
    cannot be assumed by Lambda." (AWS's words, as boto3 users and moto's IAM-backed check
    report them) and nothing is created; Arcana created the function whatever the role."""
    iam = client(srv.endpoint, "iam")
    u = uuid.uuid4().hex[:8]

    def role(role_name, service, **kw):
        return iam.create_role(RoleName=role_name, **kw, AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": service}}]}))["Role"]["Arn"]

    refused = [
        f"arn:aws:iam::{ACCOUNT}:role/no-such-role-{u}",  # unknown
        role(f"ec2-only-{u}", "ec2.amazonaws.com"),  # trusts another service only
        f"arn:aws:iam::{ACCOUNT}:role/elsewhere/{ROLE.rsplit('/', 1)[1]}",  # another path
    ]
    for i, role_arn in enumerate(refused):
        name = f"norole-{i}-{u}"
        with raises_code("InvalidParameterValueException") as ei:
            create(lam, name, Role=role_arn)
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, role_arn
        assert ei.value.response["Error"]["Message"] == \
            "The role defined for the function cannot be assumed by Lambda.", role_arn
        with raises_code("ResourceNotFoundException"):
            lam.get_function(FunctionName=name)  # nothing was created
    # A role trusting Lambda, under a path: created, answered back as given.
    good = role(f"lambda-ok-{u}", "lambda.amazonaws.com", Path="/service-role/")
    assert good == f"arn:aws:iam::{ACCOUNT}:role/service-role/lambda-ok-{u}"
    name = f"withrole-{u}"
    assert create(lam, name, Role=good)["Role"] == good
    assert lam.get_function(FunctionName=name)["Configuration"]["Role"] == good
    lam.delete_function(FunctionName=name)


def test_an_operation_this_server_does_not_serve_is_named_in_lambdas_error_shape(lam):
    """A Lambda call Arcana does not serve (GetFunctionConcurrency, ListLayers) is answered
    as that operation, UnknownOperationException naming it, not as an unknown path; an
    operation sharing its path with another (GetLayerVersionByArn and ListLayers, told apart
    by a fixed query) does not shadow it."""
    calls = {
        "GetFunctionConcurrency": lambda: lam.get_function_concurrency(FunctionName="f"),
        "ListLayers": lambda: lam.list_layers(),
    }
    for op, call in calls.items():
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"] == {
            "Code": "UnknownOperationException",
            "Message": f"Operation {op} is not supported by this server."}
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert lam.list_functions()["Functions"] is not None  # served routes still win


def lambda_error(e):
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_permissions_build_the_function_policy_as_lambda_does(lam):
    """AddPermission / GetPolicy / RemovePermission as Lambda answers them (statement shapes as
    Lambda writes them: a service principal, an account id as its root ARN, SourceArn and
    SourceAccount as conditions; the error messages of LocalStack's AWS-validated permission
    tests): the policy goes with its last statement. GetPolicy of a function without a policy
    is "The resource you requested does not exist." (AWS's EventBridge troubleshooting guide
    quotes it; RemovePermission's is "No policy is associated with the given resource."), and a
    policy qualified $LATEST is refused in AWS's words (terraform-aws-modules/lambda's FAQ)."""
    name = "perm-" + uuid.uuid4().hex[:8]
    create(lam, name)
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName=name)
    assert lambda_error(e) == ("ResourceNotFoundException",
                               "The resource you requested does not exist.", 404)
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName=name, StatementId="none-yet")
    assert lambda_error(e) == ("ResourceNotFoundException",
                               "No policy is associated with the given resource.", 404)
    for kw in ({"FunctionName": name, "Qualifier": "$LATEST"},
               {"FunctionName": arn(name) + ":$LATEST"}):
        with pytest.raises(ClientError) as e:
            lam.add_permission(StatementId="latest", Action="lambda:InvokeFunction",
                               Principal="secretsmanager.amazonaws.com", **kw)
        assert lambda_error(e) == ("InvalidParameterValueException",
                                   "We currently do not support adding policies for $LATEST.",
                                   400)
    added = lam.add_permission(FunctionName=name, StatementId="secrets-manager",
                               Action="lambda:InvokeFunction",
                               Principal="secretsmanager.amazonaws.com")
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert json.loads(added["Statement"]) == {
        "Sid": "secrets-manager", "Effect": "Allow",
        "Principal": {"Service": "secretsmanager.amazonaws.com"},
        "Action": "lambda:InvokeFunction", "Resource": arn(name)}
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="secrets-manager",
                           Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
    assert lambda_error(e) == (
        "ResourceConflictException", "The statement id (secrets-manager) provided already "
        "exists. Please provide a new statement id, or remove the existing statement.", 409)
    lam.add_permission(FunctionName=name, StatementId="other-account",
                       Action="lambda:InvokeFunction", Principal="111122223333",
                       SourceArn="arn:aws:events:us-east-1:111122223333:rule/r",
                       SourceAccount="111122223333")
    got = lam.get_policy(FunctionName=name)
    policy = json.loads(got["Policy"])
    assert (policy["Version"], policy["Id"]) == ("2012-10-17", "default")
    assert [s["Sid"] for s in policy["Statement"]] == ["secrets-manager", "other-account"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert policy["Statement"][1]["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": "111122223333"},
        "ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/r"}}
    # TestLambdaPermissions::test_lambda_permission_revisions: both operations' words.
    stale = ("PreconditionFailedException", "The Revision Id provided does not match the latest "
             "Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
             412)
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName=name, StatementId="other-account", RevisionId="x")
    assert lambda_error(e) == stale
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="stale", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", RevisionId="x")
    assert lambda_error(e) == stale
    # TestLambdaPermissions::test_add_lambda_permission_fields (add_permission_optional_fields):
    # the conditions in AWS's order, which clients comparing policy text see.
    optional = lam.add_permission(
        FunctionName=name, StatementId="urlPermission", Action="lambda:InvokeFunctionUrl",
        Principal="*", SourceArn="arn:aws:s3:::bucket", SourceAccount="111122223333",
        PrincipalOrgID="o-1234567890", FunctionUrlAuthType="NONE")["Statement"]
    assert optional == json.dumps({
        "Sid": "urlPermission", "Effect": "Allow", "Principal": "*",
        "Action": "lambda:InvokeFunctionUrl", "Resource": arn(name),
        "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE",
                                       "aws:PrincipalOrgID": "o-1234567890",
                                       "AWS:SourceAccount": "111122223333"},
                      "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"}}},
        separators=(",", ":"))
    lam.remove_permission(FunctionName=name, StatementId="urlPermission")
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName=name, StatementId="nope")
    assert lambda_error(e) == ("ResourceNotFoundException",
                               "Statement nope is not found in resource policy.", 404)
    lam.remove_permission(FunctionName=name, StatementId="secrets-manager",
                          RevisionId=got["RevisionId"])
    assert [s["Sid"] for s in json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]] \
        == ["other-account"]
    lam.remove_permission(FunctionName=name, StatementId="other-account")
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName=name)
    assert lambda_error(e) == ("ResourceNotFoundException",
                               "The resource you requested does not exist.", 404)
    lam.delete_function(FunctionName=name)


def raw_answers(lam) -> list:
    """The JSON bodies lam receives from now on, as sent: this botocore's Lambda model predates
    LoggingConfig, so its parsed answers drop it."""
    bodies = []
    lam.meta.events.register("after-call.lambda", lambda http_response, **_: bodies.append(
        json.loads(http_response.content or b"{}")))
    return bodies


UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_configurations_carry_the_functions_revision_id(lam):
    """AWS answers RevisionId in every function configuration (LocalStack's AWS-validated
    TestLambdaFunction::test_function_lifecycle): a UUID that changes when the function leaves
    Pending after CreateFunction (create_response <uuid:1>, get_function_response <uuid:2>) and
    with its configuration, code or policy; GetPolicy answers the same one, and it is what
    AddPermission / RemovePermission take as their precondition ("Call the GetFunction/GetAlias
    API to retrieve the latest Revision Id")."""
    name = "rev-" + uuid.uuid4().hex[:8]
    created = create(lam, name)["RevisionId"]
    assert UUID_RE.match(created)
    got = lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    assert UUID_RE.match(got) and got != created
    listed = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    assert listed[name]["RevisionId"] == got
    other = "rev-" + uuid.uuid4().hex[:8]
    create(lam, other)
    assert lam.get_function(FunctionName=other)["Configuration"]["RevisionId"] != got
    stale = ("PreconditionFailedException", "The Revision Id provided does not match the latest "
             "Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
             412)
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="s1", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", RevisionId=created)
    assert lambda_error(e) == stale
    lam.add_permission(FunctionName=name, StatementId="s1", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", RevisionId=got)
    after = lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    assert after != got and lam.get_policy(FunctionName=name)["RevisionId"] == after
    listed = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    assert listed[name]["RevisionId"] == after
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName=name, StatementId="s1", RevisionId=got)
    assert lambda_error(e) == stale
    lam.remove_permission(FunctionName=name, StatementId="s1", RevisionId=after)
    for n in (name, other):
        lam.delete_function(FunctionName=n)


def test_configurations_carry_the_logging_config(lam):
    """AWS answers LoggingConfig {"LogFormat":"Text","LogGroup":"/aws/lambda/NAME"} in every
    configuration of a function created without one (LocalStack's AWS-validated
    TestLambdaFunction::test_function_lifecycle; the API reference's LoggingConfig names that
    default group); one CreateFunction gives is kept and answered back."""
    bodies = raw_answers(lam)
    name = "log-" + uuid.uuid4().hex[:8]
    create(lam, name)
    lam.get_function(FunctionName=name)
    lam.list_functions()
    default = {"LogFormat": "Text", "LogGroup": "/aws/lambda/" + name}
    assert bodies[0]["LoggingConfig"] == default
    assert bodies[1]["Configuration"]["LoggingConfig"] == default
    assert [f["LoggingConfig"] for f in bodies[2]["Functions"] if f["FunctionName"] == name] \
        == [default]
    given = {"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "WARN",
             "LogGroup": "/custom/group-1"}

    def add_logging_config(params, **_):  # the member this botocore's model does not have
        body = json.loads(params["body"])
        body["LoggingConfig"] = add_logging_config.value
        params["body"] = json.dumps(body).encode()
    add_logging_config.value = given
    lam.meta.events.register("before-call.lambda.CreateFunction", add_logging_config)
    custom = "log-" + uuid.uuid4().hex[:8]
    create(lam, custom)
    assert bodies[-1]["LoggingConfig"] == given
    lam.get_function(FunctionName=custom)
    assert bodies[-1]["Configuration"]["LoggingConfig"] == given
    add_logging_config.value = {"LogGroup": "bad group"}
    with pytest.raises(ClientError) as e:
        create(lam, "log-" + uuid.uuid4().hex[:8])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    for n in (name, custom):
        lam.delete_function(FunctionName=n)


def test_function_policy_lets_a_principal_invoke_without_an_identity_policy(srv, lam):
    """The function's policy is a resource policy of lambda:InvokeFunction: an IAM user with no
    policy of its own may invoke the function once the policy names it, and not before."""
    name = "perm-" + uuid.uuid4().hex[:8]
    create(lam, name)
    iam = client(srv.endpoint, "iam")
    user = "invoker-" + uuid.uuid4().hex[:8]
    user_arn = iam.create_user(UserName=user)["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = client(srv.endpoint, "lambda", akid=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        as_user.invoke(FunctionName=name, Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    lam.add_permission(FunctionName=name, StatementId="user", Action="lambda:InvokeFunction",
                       Principal=user_arn)
    out = as_user.invoke(FunctionName=name, Payload=b"{}")
    assert out["StatusCode"] == 200
    with pytest.raises(ClientError) as e:  # the policy grants invoking, nothing else
        as_user.get_function(FunctionName=name)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    lam.delete_function(FunctionName=name)
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=user)


STALE_REVISION = ("PreconditionFailedException", "The Revision Id provided does not match the "
                  "latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest "
                  "Revision Id", 412)


def test_get_function_configuration_and_the_waiters_that_read_it(lam):
    """GetFunctionConfiguration answers the FunctionConfiguration GetFunction answers under
    "Configuration" (Active, LastUpdateStatus Successful): boto3's function_active and
    function_updated waiters (and `aws lambda wait function-active`) poll it; Arcana answered
    UnknownOperationException, so they failed at once."""
    name = "cfg-" + uuid.uuid4().hex[:8]
    create(lam, name, Environment={"Variables": {"GREETING": "hi"}})
    cfg = lam.get_function_configuration(FunctionName=name)
    cfg.pop("ResponseMetadata")
    assert cfg == lam.get_function(FunctionName=name)["Configuration"]
    assert (cfg["State"], cfg["LastUpdateStatus"]) == ("Active", "Successful")
    assert lam.get_function_configuration(FunctionName=arn(name), Qualifier="$LATEST")[
        "RevisionId"] == cfg["RevisionId"]
    fast = {"Delay": 1, "MaxAttempts": 3}
    lam.get_waiter("function_active").wait(FunctionName=name, WaiterConfig=fast)
    lam.get_waiter("function_updated").wait(FunctionName=name, WaiterConfig=fast)
    with pytest.raises(ClientError) as e:
        lam.get_function_configuration(FunctionName=name, Qualifier="7")
    assert lambda_error(e) == ("ResourceNotFoundException",
                               f"Function not found: {arn(name)}:7", 404)
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.get_function_configuration(FunctionName=name)
    assert lambda_error(e) == ("ResourceNotFoundException", f"Function not found: {arn(name)}",
                               404)


def test_update_function_configuration_is_what_the_next_invoke_runs(lam):
    """UpdateFunctionConfiguration (200) changes only the members given, answers the new
    configuration as AWS does (Active, LastUpdateStatus InProgress) and the next Invoke has it;
    the RevisionId changes, and the one from before is refused as the precondition (412 in
    AWS's words, TestLambdaFunction::test_function_revisions_basic)."""
    name = "upd-" + uuid.uuid4().hex[:8]
    create(lam, name, Timeout=10, Environment={"Variables": {"GREETING": "hi"}})
    before = lam.get_function_configuration(FunctionName=name)
    out = lam.update_function_configuration(
        FunctionName=name, RevisionId=before["RevisionId"], Description="new words",
        MemorySize=512, Environment={"Variables": {"GREETING": "bye", "OTHER": "x"}})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (out["State"], out["LastUpdateStatus"], out["LastUpdateStatusReasonCode"]) == \
        ("Active", "InProgress", "Creating")
    assert out["Environment"] == {"Variables": {"GREETING": "bye", "OTHER": "x"}}
    assert (out["Description"], out["MemorySize"], out["Timeout"]) == ("new words", 512, 10)
    assert out["CodeSha256"] == before["CodeSha256"] and out["Handler"] == before["Handler"]
    assert out["RevisionId"] != before["RevisionId"]
    lam.get_waiter("function_updated").wait(FunctionName=name,
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    after = lam.get_function_configuration(FunctionName=name)
    assert after["LastUpdateStatus"] == "Successful"
    assert after["RevisionId"] not in (before["RevisionId"], out["RevisionId"])
    assert after["LastModified"] >= before["LastModified"]
    assert (after["Description"], after["MemorySize"]) == ("new words", 512)
    r = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert (r["greeting"], r["memory"]) == ("bye", 512)

    with pytest.raises(ClientError) as e:  # the RevisionId from before the update
        lam.update_function_configuration(FunctionName=name, RevisionId=before["RevisionId"],
                                          Timeout=5)
    assert lambda_error(e) == STALE_REVISION
    # The same values again still make a new revision: the earlier one stays stale.
    again = lam.update_function_configuration(FunctionName=name, RevisionId=after["RevisionId"],
                                              Description="new words")
    assert again["RevisionId"] != out["RevisionId"]
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, RevisionId=after["RevisionId"],
                                          Description="new words")
    assert lambda_error(e) == STALE_REVISION
    # Environment {} clears the variables; members refused as CreateFunction refuses them.
    cleared = lam.update_function_configuration(FunctionName=name, Environment={})
    assert "Environment" not in cleared
    assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())[
        "greeting"] is None
    for kw in (dict(Runtime="nodejs20.x"), dict(Handler="no_dot"), dict(Timeout=901),
               dict(Environment={"Variables": {"AWS_REGION": "x"}}),
               dict(Role=f"arn:aws:iam::{ACCOUNT}:role/no-such-role-{name}")):
        with raises_code("InvalidParameterValueException", "ValidationException") as ei:
            lam.update_function_configuration(FunctionName=name, **kw)
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, kw
    assert lam.get_function_configuration(FunctionName=name)["Timeout"] == 10  # unchanged
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Timeout=5)
    assert lambda_error(e) == ("ResourceNotFoundException", f"Function not found: {arn(name)}",
                               404)


def test_update_function_code_is_what_the_next_invoke_runs(lam):
    """UpdateFunctionCode with ZipFile replaces the package every node runs from the next
    Invoke on (CodeSha256, CodeSize and the RevisionId change); a stale RevisionId is 412; no
    code source is AWS's "Please provide a source for function code."; S3 / image sources and
    Publish are refused as CreateFunction refuses what Arcana does not serve."""
    name = "code-" + uuid.uuid4().hex[:8]
    create(lam, name)
    before = lam.get_function_configuration(FunctionName=name)
    v2 = make_zip({"lambda_function.py":
                   "def lambda_handler(event, context):\n    return {'version': 2}\n"})
    out = lam.update_function_code(FunctionName=name, ZipFile=v2,
                                   RevisionId=before["RevisionId"], Publish=False)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert out["CodeSha256"] == base64.b64encode(hashlib.sha256(v2).digest()).decode()
    assert out["CodeSize"] == len(v2) and out["RevisionId"] != before["RevisionId"]
    assert out["LastUpdateStatus"] == "InProgress"
    lam.get_waiter("function_updated").wait(FunctionName=name,
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == \
        {"version": 2}
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName=name, ZipFile=v2, RevisionId=before["RevisionId"])
    assert lambda_error(e) == STALE_REVISION
    # DryRun checks and changes nothing.
    dry = lam.update_function_code(FunctionName=name, ZipFile=make_zip(
        {"lambda_function.py": HANDLER_PY}), DryRun=True)
    assert (dry["CodeSha256"], dry["RevisionId"]) == (
        out["CodeSha256"], lam.get_function_configuration(FunctionName=name)["RevisionId"])
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName=name)
    assert lambda_error(e) == ("InvalidParameterValueException",
                               "Please provide a source for function code.", 400)
    for kw in (dict(S3Bucket="bucket", S3Key="k"), dict(ImageUri="x"), dict(ZipFile=v2, Publish=True),
               dict(ZipFile=b"not a zip")):
        with raises_code("InvalidParameterValueException") as ei:
            lam.update_function_code(FunctionName=name, **kw)
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, kw
    assert lam.get_function_configuration(FunctionName=name)["CodeSha256"] == out["CodeSha256"]
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName=name, ZipFile=v2)
    assert lambda_error(e) == ("ResourceNotFoundException", f"Function not found: {arn(name)}",
                               404)


def code_folders(data_dir) -> set[str]:
    """The package folders (hex SHA-256) unpacked under a node's data folder."""
    root = data_dir / "functions" / "code"
    return {p.name for p in root.iterdir() if not p.name.startswith(".")} if root.exists() \
        else set()


def test_update_function_code_removes_the_old_unpacked_package(srv, lam):
    """Each node unpacks a package into functions/code/<hex SHA-256>/. That is a cache of what
    the store's functions run: the folder of a replaced package goes (it stayed for ever, so
    every UpdateFunctionCode grew the disk), and the new one is what runs."""
    name = "gc-" + uuid.uuid4().hex[:8]
    v1 = make_zip({"lambda_function.py": HANDLER_PY + f"# {name} v1\n"})
    create(lam, name, Code={"ZipFile": v1})
    lam.invoke(FunctionName=name, Payload=b"{}")
    old = hashlib.sha256(v1).hexdigest()
    assert old in code_folders(srv.data_dir)
    v2 = make_zip({"lambda_function.py":
                   f"def lambda_handler(event, context):\n    return {{'v': 2, 'n': '{name}'}}\n"})
    lam.update_function_code(FunctionName=name, ZipFile=v2)
    assert old not in code_folders(srv.data_dir)
    assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == \
        {"v": 2, "n": name}
    new = hashlib.sha256(v2).hexdigest()
    assert new in code_folders(srv.data_dir) and old not in code_folders(srv.data_dir)
    lam.delete_function(FunctionName=name)
    assert new not in code_folders(srv.data_dir)


def test_a_start_removes_what_an_interrupted_unpack_left(srv):
    """A node unpacks a package into a .unpack-* folder and renames it into place: an arcanad
    killed in between left that folder for ever (every later unpack makes a new one). The
    next start removes it (and a sweep's .remove-* leftover, and a Python function's answer
    file) before any invocation, while a package folder a function still uses stays and runs."""
    lam = client(srv.endpoint, "lambda")
    name = "restart-" + uuid.uuid4().hex[:8]
    package = make_zip({"lambda_function.py": HANDLER_PY + f"# {name}\n"})
    create(lam, name, Code={"ZipFile": package})
    lam.invoke(FunctionName=name, Payload=b"{}")
    digest = hashlib.sha256(package).hexdigest()
    code = srv.data_dir / "functions" / "code"
    assert (code / digest).is_dir()
    # A package folder made for arcanad alone (before functions ran as --function-user, or by a
    # non-root arcanad) goes too: the function user could not read it. Unpacked again.
    other = "restart-other-" + uuid.uuid4().hex[:8]
    other_package = make_zip({"lambda_function.py": HANDLER_PY + f"# {other}\n"})
    create(lam, other, Code={"ZipFile": other_package})
    lam.invoke(FunctionName=other, Payload=b"{}")
    other_folder = code / hashlib.sha256(other_package).hexdigest()
    srv.stop()
    if os.geteuid() == 0:
        other_folder.chmod(0o700)
    leftovers = [code / ".unpack-xyz", code / ".remove-abc"]
    for d in leftovers:
        (d / "lambda_function.py").parent.mkdir()
        (d / "lambda_function.py").write_text("# half written")
    # A Python function's answer file, left by an arcanad killed while the function ran.
    answer = srv.data_dir / "functions" / ".result-AbC123"
    answer.write_text('R{"password": "returned-by-a-killed-run"}')
    srv.start()
    assert [d for d in leftovers if d.exists()] == []
    assert not answer.exists()
    assert (code / digest / "lambda_function.py").is_file()
    assert other_folder.exists() == (os.geteuid() != 0)
    lam = client(srv.endpoint, "lambda")
    for fn in (name, other):
        r = lam.invoke(FunctionName=fn, Payload=json.dumps({"a": 1}).encode())
        assert json.loads(r["Payload"].read())["echo"] == {"a": 1}
        lam.delete_function(FunctionName=fn)


def test_a_package_two_functions_run_stays_until_neither_does(srv, lam):
    """Two functions with the same package share its folder: deleting one keeps it for the
    other, which still runs; deleting both removes it."""
    tag = uuid.uuid4().hex[:8]
    package = make_zip({"lambda_function.py": HANDLER_PY + f"# shared {tag}\n"})
    digest = hashlib.sha256(package).hexdigest()
    a, b = "share-a-" + tag, "share-b-" + tag
    create(lam, a, Code={"ZipFile": package})
    create(lam, b, Code={"ZipFile": package})
    for fn in (a, b):
        assert json.loads(lam.invoke(FunctionName=fn, Payload=b'{"k": 1}')["Payload"].read())[
            "name"] == fn
    lam.delete_function(FunctionName=a)
    assert digest in code_folders(srv.data_dir)
    r = lam.invoke(FunctionName=b, Payload=b'{"k": 2}')
    assert "FunctionError" not in r and json.loads(r["Payload"].read())["echo"] == {"k": 2}
    lam.delete_function(FunctionName=b)
    assert digest not in code_folders(srv.data_dir)


def test_an_invoke_of_the_old_code_finishes_while_the_code_is_updated(srv, lam, fn_dir):
    """An Invoke running the old package when UpdateFunctionCode is served keeps its folder
    (its handler reads a file of the package after the update) and answers the old code's
    result; an Invoke after the update runs the new code; the old folder goes once the
    invocation using it has ended."""
    import threading
    name = "inflight-" + uuid.uuid4().hex[:8]
    v1 = make_zip({"lambda_function.py": (
        "import time\n"
        "def lambda_handler(event, context):\n"
        "    open(event['started'], 'w').write('1')\n"
        "    time.sleep(event['sleep'])\n"
        "    return {'v': 1, 'data': open('data.txt').read()}\n"),
        "data.txt": "old-" + name})
    old = hashlib.sha256(v1).hexdigest()
    create(lam, name, Code={"ZipFile": v1})
    started = fn_dir / "started"
    answers = []

    def run():
        r = client(srv.endpoint, "lambda").invoke(FunctionName=name, Payload=json.dumps(
            {"started": str(started), "sleep": 1.2}).encode())
        answers.append((r.get("FunctionError"), json.loads(r["Payload"].read())))

    t = threading.Thread(target=run)
    t.start()
    try:
        wait_for(started.exists, timeout=15, what="the old code to start")
        v2 = make_zip({"lambda_function.py":
                       "def lambda_handler(event, context):\n    return {'v': 2}\n"})
        lam.update_function_code(FunctionName=name, ZipFile=v2)
        assert old in code_folders(srv.data_dir)  # still running
        assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == \
            {"v": 2}
    finally:
        t.join(timeout=30)
    assert answers == [(None, {"v": 1, "data": "old-" + name})]
    assert old not in code_folders(srv.data_dir)
    assert hashlib.sha256(v2).hexdigest() in code_folders(srv.data_dir)
    lam.delete_function(FunctionName=name)


def test_concurrent_updates_are_not_lost(srv):
    """Updates are read-check-write at what was read (the store's optimistic concurrency): two
    callers changing different members at the same moment both keep their change, as on
    Lambda; a last-writer-wins row write loses one of them."""
    import threading
    name = "race-" + uuid.uuid4().hex[:8]
    create(client(srv.endpoint, "lambda"), name)
    callers = [client(srv.endpoint, "lambda") for _ in range(4)]
    for round_ in range(15):
        barrier = threading.Barrier(len(callers))
        errors = []
        changes = [dict(Description=f"d{round_}"), dict(Timeout=10 + round_),
                   dict(MemorySize=256 + round_), dict(Environment={"Variables": {
                       "ROUND": str(round_)}})]

        def run(c, change):
            try:
                barrier.wait()
                c.update_function_configuration(FunctionName=name, **change)
            except Exception as e:  # reported below
                errors.append(e)

        workers = [threading.Thread(target=run, args=a) for a in zip(callers, changes)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        assert not errors, errors
        cfg = callers[0].get_function_configuration(FunctionName=name)
        assert (cfg["Description"], cfg["Timeout"], cfg["MemorySize"], cfg["Environment"]) == \
            (f"d{round_}", 10 + round_, 256 + round_, {"Variables": {"ROUND": str(round_)}}), \
            round_
    callers[0].delete_function(FunctionName=name)


def test_updates_need_their_permissions(srv, lam):
    """Authorized as lambda:UpdateFunctionConfiguration / lambda:UpdateFunctionCode /
    lambda:GetFunctionConfiguration on the function's ARN; a new Role also takes iam:PassRole
    on it, exactly as CreateFunction."""
    name = "updauthz-" + uuid.uuid4().hex[:8]
    create(lam, name)
    iam = client(srv.endpoint, "iam")
    user = "lambda-updater-" + uuid.uuid4().hex[:6]
    iam.create_user(UserName=user)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": arn(name)}]}
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = client(srv.endpoint, "lambda", akid=key["AccessKeyId"],
                     secret=key["SecretAccessKey"])
    calls = {
        "lambda:GetFunctionConfiguration": lambda: as_user.get_function_configuration(
            FunctionName=name),
        "lambda:UpdateFunctionConfiguration": lambda: as_user.update_function_configuration(
            FunctionName=name, Timeout=7),
        "lambda:UpdateFunctionCode": lambda: as_user.update_function_code(
            FunctionName=name, ZipFile=make_zip({"lambda_function.py": HANDLER_PY})),
    }
    for action, call in calls.items():
        with raises_code("AccessDeniedException") as ei:
            call()
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert action in ei.value.response["Error"]["Message"]
    policy["Statement"].append({"Effect": "Allow", "Action": list(calls), "Resource": arn(name)})
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    for call in calls.values():
        call()
    with raises_code("AccessDeniedException") as ei:  # no iam:PassRole
        as_user.update_function_configuration(FunctionName=name, Role=ROLE)
    assert "iam:PassRole" in ei.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name,
                                          Role="arn:aws:iam::999999999999:role/elsewhere")
    assert lambda_error(e) == ("AccessDeniedException", "Cross-account pass role is not allowed.",
                               403)
    lam.delete_function(FunctionName=name)
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=user, PolicyName="p")
    iam.delete_user(UserName=user)


def test_environment_values_are_never_audited(srv, lam):
    """An audit record keeps a function's variable names, never their values, whatever the
    names: a variable named like a member the record keeps (Name, Description, Role) was
    copied with its value, in CreateFunction's and UpdateFunctionConfiguration's request and
    answer alike."""
    name = "audenv-" + uuid.uuid4().hex[:8]
    secret1, secret2 = "s3cr3t-" + uuid.uuid4().hex, "s3cr3t-" + uuid.uuid4().hex
    create(lam, name, Environment={"Variables": {"Name": secret1, "Description": secret1}})
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {
        "Name": secret2, "Role": secret2, "PLAIN": secret2}})
    lam.get_function_configuration(FunctionName=name)
    records = [json.loads(line) for f in sorted((srv.data_dir / "audit").glob("*.jsonl"))
               if ".digests." not in f.name for line in f.read_text().splitlines()]
    mine = [e for e in records if e.get("eventSource") == "lambda.amazonaws.com"
            and any(r.get("ARN") == arn(name) for r in e.get("resources", []))]
    assert {"CreateFunction", "UpdateFunctionConfiguration", "GetFunctionConfiguration"} <= \
        {e["eventName"] for e in mine}
    text = json.dumps(mine)
    assert secret1 not in text and secret2 not in text
    lam.delete_function(FunctionName=name)


def test_update_function_configuration_handler_runtime_and_logging_config(srv, lam):
    """Handler is what the next Invoke calls; Runtime and LoggingConfig (a member this
    botocore's model does not have, sent raw) are kept and answered back, the LoggingConfig
    members given replacing the function's."""
    name = "updh-" + uuid.uuid4().hex[:8]
    create(lam, name, files={"lambda_function.py": HANDLER_PY + (
        "\ndef other(event, context):\n    return 'other'\n")})
    bodies = raw_answers(lam)

    def add_logging_config(params, **_):
        body = json.loads(params["body"])
        body["LoggingConfig"] = {"LogFormat": "JSON", "LogGroup": "/custom/upd"}
        params["body"] = json.dumps(body).encode()
    lam.meta.events.register("before-call.lambda.UpdateFunctionConfiguration",
                             add_logging_config)
    out = lam.update_function_configuration(FunctionName=name, Handler="lambda_function.other",
                                            Runtime="python3.12")
    assert (out["Handler"], out["Runtime"]) == ("lambda_function.other", "python3.12")
    assert bodies[-1]["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/custom/upd"}
    lam.get_function_configuration(FunctionName=name)
    assert bodies[-1]["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/custom/upd"}
    fresh = client(srv.endpoint, "lambda")  # lam's raw_answers hook reads the payload stream
    assert json.loads(fresh.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == \
        "other"
    fresh.delete_function(FunctionName=name)


GATED_PY = '''
import os, time

def lambda_handler(event, context):
    open(os.path.join(event["dir"], "started-" + context.aws_request_id), "w").close()
    deadline = time.time() + 8
    while not os.path.exists(os.path.join(event["dir"], "go")) and time.time() < deadline:
        time.sleep(0.05)
    return "done"
'''


def test_synchronous_invokes_are_bounded_and_leave_the_other_calls_served(srv, lam, fn_dir):
    """A synchronous Invoke holds a request worker while its function runs (up to 15 minutes):
    unbounded, 40 of them stalled every call of every account, and a function calling Arcana
    back found no worker. An account runs at most 4 at once on a node (8 for all accounts);
    beyond, Lambda's answer to its concurrency limit, TooManyRequestsException 429, and the
    other calls are served meanwhile."""
    import threading
    import time
    name = "gated-" + uuid.uuid4().hex[:6]
    create(lam, name, files={"lambda_function.py": GATED_PY}, Timeout=10)
    payload = json.dumps({"dir": str(fn_dir)}).encode()
    results = []

    def run():
        r = client(srv.endpoint, "lambda").invoke(FunctionName=name, Payload=payload)
        results.append((r["StatusCode"], r.get("FunctionError"), r["Payload"].read()))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(list(fn_dir.glob("started-*"))) == 4, timeout=20,
                 what="four invocations to run")
        with pytest.raises(ClientError) as e:
            lam.invoke(FunctionName=name, Payload=payload)
        err = e.value.response
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert err["Error"]["Code"] == "TooManyRequestsException"
        assert err["Error"]["Message"] == "Rate Exceeded."
        assert err["Reason"] == "ConcurrentInvocationLimitExceeded"
        assert err["ResponseMetadata"]["HTTPHeaders"].get("retry-after") == "1"  # retryAfterSeconds
        assert len(list(fn_dir.glob("started-*"))) == 4  # the refused one never ran
        t0 = time.time()
        lam.list_functions(MaxItems=1)
        client(srv.endpoint, "secretsmanager").list_secrets(MaxResults=1)
        assert time.time() - t0 < 2
    finally:
        (fn_dir / "go").touch()
        for t in threads:
            t.join(30)
    assert results == [(200, None, b'"done"')] * 4
    # The slots were given back.
    assert lam.invoke(FunctionName=name, Payload=payload)["StatusCode"] == 200
    lam.delete_function(FunctionName=name)


def test_add_permission_refuses_what_lambda_refuses(srv, lam):
    """A policy past Lambda's 20 KB quota is PolicyLengthExceededException: accepted, one past
    the policy engine's bound (128 KiB) locked everyone out of Invoke, the account root too,
    with a misleading AccessDenied. A principal Lambda cannot write ("bob") and a SourceArn
    that is no ARN are refused as Lambda refuses them."""
    name = "policy-limits-" + uuid.uuid4().hex[:6]
    create(lam, name)
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="big", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::" + "b" * 25000)
    err = e.value.response
    assert err["Error"]["Code"] == "PolicyLengthExceededException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert re.fullmatch(r"The final policy size \(\d+\) is bigger than the limit \(20480\)\.",
                        err["Error"]["Message"]), err["Error"]["Message"]
    with raises_code("ResourceNotFoundException"):  # nothing was added
        lam.get_policy(FunctionName=name)
    # Statements that fit are added until the next one would not.
    for i in range(200):
        try:
            lam.add_permission(FunctionName=name, StatementId=f"s{i}",
                               Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                               SourceArn="arn:aws:s3:::" + "c" * 400)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "PolicyLengthExceededException"
            break
    else:
        pytest.fail("the policy grew past 20 KB")
    assert len(lam.get_policy(FunctionName=name)["Policy"]) <= 20480
    assert lam.invoke(FunctionName=name)["StatusCode"] == 200  # still evaluable

    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="bob", Action="lambda:InvokeFunction",
                           Principal="bob")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert e.value.response["Error"]["Message"] == \
        "The provided principal was invalid. Please check the principal and try again."
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="notarn",
                           Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                           SourceArn="not-an-arn")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "Value 'not-an-arn' at 'sourceArn' failed to satisfy constraint: Member must " \
           "satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):" in \
        e.value.response["Error"]["Message"]
    lam.delete_function(FunctionName=name)


def test_packages_no_unpack_could_make_are_refused_at_create_and_update(srv, lam, tmp_path):
    """An encrypted entry, a name both a file and a folder, a "." entry or a file name twice
    were accepted and made every Invoke a 500 ServiceException (the unpack failed); Lambda
    refuses them when they are uploaded."""
    import warnings
    handler = {"lambda_function.py": HANDLER_PY}

    def zip_of(entries):
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile's "Duplicate name"
            with zipfile.ZipFile(buf, "w") as z:
                for n, t in entries:
                    z.writestr(n, t)
        return buf.getvalue()

    (tmp_path / "lambda_function.py").write_text(HANDLER_PY)
    subprocess.run(["zip", "-q", "-P", "pw", "enc.zip", "lambda_function.py"], cwd=tmp_path,
                   check=True)
    bad = {
        "encrypted": (tmp_path / "enc.zip").read_bytes(),
        "file-and-folder": zip_of([*handler.items(), ("a", "x"), ("a/b.py", "y")]),
        "folder-then-file": zip_of([*handler.items(), ("a/b.py", "y"), ("a", "x")]),
        "dot": zip_of([*handler.items(), (".", "x")]),
        "twice": zip_of([*handler.items(), *handler.items()]),
    }
    name = "pkg-" + uuid.uuid4().hex[:6]
    create(lam, name)
    message = "Could not unzip uploaded file. Please check your file, then try to upload again."
    for label, code in bad.items():
        with pytest.raises(ClientError) as e:
            lam.create_function(FunctionName=name + "-" + label, Runtime="python3.11", Role=ROLE,
                                Handler="lambda_function.lambda_handler", Code={"ZipFile": code})
        assert e.value.response["Error"]["Code"] == "InvalidParameterValueException", label
        assert e.value.response["Error"]["Message"] == message, label
        with pytest.raises(ClientError) as e:
            lam.update_function_code(FunctionName=name, ZipFile=code)
        assert e.value.response["Error"]["Code"] == "InvalidParameterValueException", label
    assert lam.invoke(FunctionName=name)["StatusCode"] == 200
    lam.delete_function(FunctionName=name)


def test_a_function_gets_its_memory_size_and_lambdas_bounds(srv, lam):
    """A function made through the Lambda API (any principal allowed lambda:CreateFunction
    makes one) is bounded as on Lambda: its MemorySize caps what it allocates (Python's
    MemoryError beyond; room is left for the interpreter and 64 threads' stacks, which Lambda
    does not count until used), and it gets Lambda's 1,024 descriptors, /tmp's 512 MB as its
    largest file and no core dumps; it cannot take the host's memory."""
    handler = ("import resource, threading\n"
               "def lambda_handler(event, context):\n"
               "    lim = {n: resource.getrlimit(getattr(resource, n))[0]\n"
               "           for n in ('RLIMIT_NOFILE', 'RLIMIT_FSIZE', 'RLIMIT_CORE')}\n"
               "    gate = threading.Event()\n"
               "    threads = [threading.Thread(target=gate.wait) for _ in range(40)]\n"
               "    for t in threads:\n"
               "        t.start()\n"
               "    gate.set()\n"
               "    for t in threads:\n"
               "        t.join()\n"
               "    try:\n"
               "        block = bytearray(event['mb'] << 20)\n"
               "        allocated = len(block) >> 20\n"
               "    except MemoryError:\n"
               "        allocated = 0\n"
               "    return {'allocated_mb': allocated, 'limits': lim, 'threads': len(threads)}\n")
    results = {}
    for memory, mb in ((128, 800), (1024, 512)):
        name = f"mem-{memory}-" + uuid.uuid4().hex[:6]
        create(lam, name, files={"lambda_function.py": handler}, MemorySize=memory, Timeout=20)
        try:
            r = lam.invoke(FunctionName=name, Payload=json.dumps({"mb": mb}).encode())
            assert "FunctionError" not in r, (r, r["Payload"].read())
            results[memory] = json.loads(r["Payload"].read())
        finally:
            lam.delete_function(FunctionName=name)
    assert results[128]["allocated_mb"] == 0, results  # 800 MB past a 128 MB function's bound
    assert results[1024]["allocated_mb"] == 512, results
    assert results[128]["threads"] == 40, results
    assert results[128]["limits"] == {"RLIMIT_NOFILE": 1024, "RLIMIT_FSIZE": 512 << 20,
                                      "RLIMIT_CORE": 0}, results
