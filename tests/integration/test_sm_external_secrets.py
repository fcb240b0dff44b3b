"""Managed external secrets (Secrets Manager user guide, "Managed external secrets"): secrets
of Type GitLabAccessToken and JenkinsApiToken rotated with no Lambda function. RotateSecret
takes ExternalSecretRotationRoleArn (a role of the secret's account that trusts
secretsmanager.amazonaws.com; the rotation runs as that role) and ExternalSecretRotationMetadata
(the partner pages' adminSecretArn, and GitLab's daysToExpiry); DescribeSecret and ListSecrets
answer both. The rotations call the partners' token APIs; here a fake GitLab (which revokes a
token as it rotates it, as GitLab does) and a fake Jenkins (tokens generated and revoked by
UUID, Basic auth, a CSRF crumb required on POSTs), both over HTTPS with their CA given to
arcanad as ARCANA_CA_CERT.

The rotations run on one store pass only (they talk to the fake GitLab; the store plays no
part); the refusals and the stored configuration run on both."""

from __future__ import annotations

import base64
import datetime
import json
import re
import shutil
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ROOT_AKID, ROOT_SECRET, ArcanaServer, wait_for
from oidc_issuer import self_signed_tls, serve_https
from test_rotation import stages, wait_current

MODELS = Path(__file__).resolve().parents[2] / "models"

REGION = "us-east-1"
ACCOUNT = "123456789012"
SM_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "secretsmanager.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}
ROTATION_ACTIONS = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]


class FakePartner:
    """A partner's JSON API over HTTPS: every GET or POST (its path, headers and form body) is
    answered by handle(), under self.lock, as (status, JSON object)."""

    def __init__(self, tls):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.serve("GET")

            def do_POST(self):
                self.serve("POST")

            def serve(self, method):
                n = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(n).decode())
                with partner.lock:
                    status, obj = partner.handle(method, urlsplit(self.path).path, self.headers, form)
                out = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.httpd = serve_https(Handler, tls)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"

    def handle(self, method, path, headers, form) -> tuple[int, dict]:
        raise NotImplementedError

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeGitLab(FakePartner):
    """GitLab's access-token API, as much as rotation uses: POST .../rotate (self, or by id
    with another active token acting) revokes the old token and answers a new one; GET
    /personal_access_tokens/self answers the token's id and state. Unknown or revoked tokens
    get 401, as GitLab answers them."""

    def __init__(self, tls):
        super().__init__(tls)
        self.tokens: dict[str, dict] = {}  # value -> {"id", "active", "scope"}
        self.next_id = 100

    def issue(self, scope="personal") -> tuple[str, int]:
        with self.lock:
            self.next_id += 1
            value = f"glpat-{uuid.uuid4().hex[:20]}"
            self.tokens[value] = {"id": self.next_id, "active": True, "scope": scope}
            return value, self.next_id

    def active(self, value: str) -> bool:
        with self.lock:
            return self.tokens.get(value, {}).get("active", False)

    def handle(self, method, path, headers, form):
        acting = headers.get("PRIVATE-TOKEN", "")
        self.requests.append({"method": method, "path": path, "acting": acting, "form": form})
        me = self.tokens.get(acting)
        if not me or not me["active"]:
            return 401, {"message": "401 Unauthorized"}
        if method == "GET" and path == "/api/v4/personal_access_tokens/self":
            return 200, {"id": me["id"], "active": True, "revoked": False}
        m = re.fullmatch(r"/api/v4/(?:(projects|groups)/(\w+)/access_tokens|personal_access_tokens)"
                         r"/(self|\d+)/rotate", path)
        if method != "POST" or not m:
            return 404, {"message": "404 Not Found"}
        scope = f"{m.group(1)}/{m.group(2)}" if m.group(1) else "personal"
        if m.group(3) == "self":
            target = acting
        else:
            target = next((v for v, t in self.tokens.items() if t["id"] == int(m.group(3))), None)
            if target is None or not self.tokens[target]["active"]:
                return 404, {"message": "404 Not Found"}
        if self.tokens[target]["scope"] != scope:
            return 404, {"message": "404 Not Found"}
        self.tokens[target]["active"] = False
        self.next_id += 1
        value = f"glpat-{uuid.uuid4().hex[:20]}"
        self.tokens[value] = {"id": self.next_id, "active": True, "scope": scope}
        return 200, {"id": self.next_id, "token": value, "active": True,
                     "expires_at": (form.get("expires_at") or [None])[0]}


class FakeJenkins(FakePartner):
    """Jenkins's API-token endpoints, as much as rotation uses: Basic auth with a user's API
    token (401 otherwise); GET /me/api/json; GET /crumbIssuer/api/json; POST
    /user/U/descriptorByName/jenkins.security.ApiTokenProperty/{generateNewToken,revoke}, which
    need the crumb header and the user himself or the admin acting."""

    CRUMB = "crumb-5f1e"

    def __init__(self, tls):
        super().__init__(tls)
        self.tokens: dict[str, dict] = {}  # value -> {"user", "uuid"}

    def issue(self, user) -> tuple[str, str]:
        with self.lock:
            value, token_uuid = uuid.uuid4().hex + "11", str(uuid.uuid4())
            self.tokens[value] = {"user": user, "uuid": token_uuid}
            return value, token_uuid

    def valid(self, value: str) -> bool:
        with self.lock:
            return value in self.tokens

    def handle(self, method, path, headers, form):
        auth = headers.get("Authorization", "")
        user, _, token = (base64.b64decode(auth[6:]).decode().partition(":")
                          if auth.startswith("Basic ") else ("", "", ""))
        crumb = headers.get("Jenkins-Crumb")
        self.requests.append({"method": method, "path": path, "user": user, "token": token,
                              "form": form, "crumb": crumb})
        me = self.tokens.get(token)
        if not me or me["user"] != user:
            return 401, {"message": "Unauthorized"}
        if method == "GET" and path == "/me/api/json":
            return 200, {"_class": "hudson.model.User", "id": user, "fullName": user}
        if method == "GET" and path == "/crumbIssuer/api/json":
            return 200, {"crumb": self.CRUMB, "crumbRequestField": "Jenkins-Crumb"}
        m = re.fullmatch(r"/user/(\w+)/descriptorByName/jenkins\.security\.ApiTokenProperty/"
                         r"(generateNewToken|revoke)", path)
        if method != "POST" or not m:
            return 404, {"message": "Not Found"}
        if crumb != self.CRUMB:
            return 403, {"message": "No valid crumb was included in the request"}
        target = m.group(1)
        if user not in (target, "admin"):
            return 403, {"message": "Forbidden"}
        if m.group(2) == "generateNewToken":
            value, token_uuid = uuid.uuid4().hex + "22", str(uuid.uuid4())
            self.tokens[value] = {"user": target, "uuid": token_uuid}
            return 200, {"status": "ok", "data": {"tokenName": form["newTokenName"][0],
                                                  "tokenUuid": token_uuid, "tokenValue": value}}
        gone = [v for v, t in self.tokens.items()
                if t["user"] == target and t["uuid"] == form["tokenUuid"][0]]
        for v in gone:
            del self.tokens[v]
        return 200, {"status": "ok"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("external-secrets")
    cert, key, _ = self_signed_tls(tmp)
    gitlab = FakeGitLab((cert, key))
    jenkins = FakeJenkins((cert, key))
    srv = ArcanaServer(tmp / "data", tmp / "logs", dev=False,
                       env={"ARCANA_ROOT_ACCESS_KEY_ID": ROOT_AKID,
                            "ARCANA_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
                            "ARCANA_CA_CERT": str(cert)},
                       args=["--rotation-retry-seconds", "1"]).start()
    # Debian's botocore 1.29 predates Type and the ExternalSecretRotation* members: the
    # clients use the embedded models (botocore 1.43).
    models = tmp / "models" / "secretsmanager" / "2017-10-17"
    models.mkdir(parents=True)
    shutil.copy(MODELS / "secretsmanager.json", models / "service-2.json")
    bs = botocore.session.get_session()
    bs.set_config_variable("data_path", str(tmp / "models"))
    kw = dict(endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=ROOT_AKID,
              aws_secret_access_key=ROOT_SECRET, config=Config(retries={"max_attempts": 1}))
    sm = boto3.Session(botocore_session=bs).client("secretsmanager", **kw)
    iam = boto3.client("iam", **kw)
    yield srv, sm, iam, gitlab, jenkins
    srv.stop()
    gitlab.stop()
    jenkins.stop()


def rotation_role(iam, actions=ROTATION_ACTIONS, trust=SM_TRUST) -> str:
    name = "mes-" + uuid.uuid4().hex[:8]
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="rotation", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    return arn


def gitlab_secret(sm, gitlab, **fields) -> tuple[str, dict]:
    scope = ("projects/" + str(fields["projectId"]) if "projectId" in fields
             else "groups/" + str(fields["groupId"]) if "groupId" in fields else "personal")
    token, token_id = gitlab.issue(scope)
    value = {"token": token, "tokenId": str(token_id), "gitlabUrl": gitlab.url, **fields}
    name = "mes/" + uuid.uuid4().hex[:10]
    sm.create_secret(Name=name, SecretString=json.dumps(value), Type="GitLabAccessToken")
    return name, value


def current(sm, name) -> dict:
    return json.loads(sm.get_secret_value(SecretId=name)["SecretString"])


def error(fn, **kw) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def function_logs(srv) -> str:
    return "".join(p.read_text() for p in (srv.data_dir / "functions").glob("*.log"))


def rotate(srv, sm, name, **kw) -> str:
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, **kw)
    try:
        wait_current(sm, name, token, timeout=40)
    except AssertionError as e:
        raise AssertionError(f"{e}\nfunction logs:\n{function_logs(srv)[-4000:]}") from None
    return token


@pytest.mark.sqlite_only("the rotation talks to a fake GitLab, not to the store: one pass")
def test_a_personal_access_token_rotates_itself_as_the_secrets_role(env):
    srv, sm, iam, gitlab, _ = env
    role = rotation_role(iam)
    name, v1 = gitlab_secret(sm, gitlab)
    metadata = [{"Key": "daysToExpiry", "Value": "30"}]
    rotate(srv, sm, name, ExternalSecretRotationRoleArn=role,
           ExternalSecretRotationMetadata=metadata, RotationRules={"AutomaticallyAfterDays": 30})

    v2 = current(sm, name)
    assert v2["token"] != v1["token"] and v2["tokenId"] != v1["tokenId"]
    assert v2["gitlabUrl"] == v1["gitlabUrl"]
    assert isinstance(v2["tokenId"], str)  # the type the secret had
    assert gitlab.active(v2["token"]) and not gitlab.active(v1["token"])
    rotations = [r for r in gitlab.requests if r["path"].endswith("/rotate")]
    assert [r["path"] for r in rotations] == ["/api/v4/personal_access_tokens/self/rotate"]
    assert rotations[0]["acting"] == v1["token"]
    expires = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=30)
    assert rotations[0]["form"]["expires_at"] == [expires.isoformat()]
    # testSecret asked GitLab about the new token.
    assert any(r["method"] == "GET" and r["acting"] == v2["token"] for r in gitlab.requests)

    # The run records itself once finishSecret has moved AWSCURRENT.
    wait_for(lambda: "LastRotatedDate" in sm.describe_secret(SecretId=name), timeout=10,
             what="LastRotatedDate")
    d = sm.describe_secret(SecretId=name)
    assert d["Type"] == "GitLabAccessToken"
    assert d["RotationEnabled"] is True
    assert d["ExternalSecretRotationRoleArn"] == role
    assert d["ExternalSecretRotationMetadata"] == metadata
    assert "RotationLambdaARN" not in d
    assert "NextRotationDate" in d
    assert sorted(sum(d["VersionIdsToStages"].values(), [])) == ["AWSCURRENT", "AWSPREVIOUS"]
    listed = [s for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
              if s["Name"] == name][0]
    assert listed["ExternalSecretRotationRoleArn"] == role
    assert listed["ExternalSecretRotationMetadata"] == metadata

    # A second rotation takes the stored role and metadata: no members needed.
    rotate(srv, sm, name)
    v3 = current(sm, name)
    assert gitlab.active(v3["token"]) and not gitlab.active(v2["token"])
    logs = function_logs(srv)
    for t in (v1["token"], v2["token"], v3["token"]):
        assert t not in logs


@pytest.mark.sqlite_only("the rotation talks to a fake GitLab, not to the store: one pass")
def test_an_admin_secret_rotates_a_project_access_token(env):
    srv, sm, iam, gitlab, _ = env
    role = rotation_role(iam)
    admin, admin_value = gitlab_secret(sm, gitlab)
    admin_arn = sm.describe_secret(SecretId=admin)["ARN"]
    name, v1 = gitlab_secret(sm, gitlab, projectId="7")
    before = len(gitlab.requests)
    rotate(srv, sm, name, ExternalSecretRotationRoleArn=role,
           ExternalSecretRotationMetadata=[{"Key": "adminSecretArn", "Value": admin_arn}])
    v2 = current(sm, name)
    assert v2["projectId"] == "7" and gitlab.active(v2["token"]) and not gitlab.active(v1["token"])
    rotations = [r for r in gitlab.requests[before:] if r["path"].endswith("/rotate")]
    assert [r["path"] for r in rotations] == [f"/api/v4/projects/7/access_tokens/{v1['tokenId']}/rotate"]
    assert rotations[0]["acting"] == admin_value["token"] and "expires_at" not in rotations[0]["form"]
    assert gitlab.active(admin_value["token"])  # the admin's own token is not rotated


@pytest.mark.sqlite_only("the rotation talks to a fake GitLab, not to the store: one pass")
def test_the_rotation_has_only_the_roles_permissions(env):
    """Without GetSecretValue on the admin secret the role cannot read it: createSecret fails
    before GitLab is called, AWSCURRENT stays and GitLab still has the old token."""
    srv, sm, iam, gitlab, _ = env
    name, v1 = gitlab_secret(sm, gitlab, groupId="12")
    admin, _ = gitlab_secret(sm, gitlab)
    admin_arn = sm.describe_secret(SecretId=admin)["ARN"]
    name_arn = sm.describe_secret(SecretId=name)["ARN"]
    role = rotation_role(iam)
    iam.put_role_policy(RoleName=role.rsplit("/", 1)[1], PolicyName="rotation",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": ROTATION_ACTIONS, "Resource": name_arn}]}))
    before = len(gitlab.requests)
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, ExternalSecretRotationRoleArn=role,
                     ExternalSecretRotationMetadata=[{"Key": "adminSecretArn", "Value": admin_arn}])
    wait_for(lambda: "AccessDenied" in function_logs(srv) and admin_arn in function_logs(srv),
             timeout=30, what="createSecret to be refused the admin secret")
    assert not [r for r in gitlab.requests[before:] if r["path"].endswith("/rotate")]
    assert current(sm, name) == v1 and gitlab.active(v1["token"])
    assert "AWSPENDING" in stages(sm, name).get(token, [])
    sm.cancel_rotate_secret(SecretId=name)


@pytest.mark.sqlite_only("the rotation talks to a fake GitLab, not to the store: one pass")
def test_a_token_gitlab_refuses_fails_the_rotation_and_keeps_the_current_value(env):
    srv, sm, iam, gitlab, _ = env
    role = rotation_role(iam)
    name, v1 = gitlab_secret(sm, gitlab)
    with gitlab.lock:
        gitlab.tokens[v1["token"]]["active"] = False  # revoked behind Arcana's back
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId=name, ClientRequestToken=token, ExternalSecretRotationRoleArn=role)
    wait_for(lambda: "GitLab answered 401" in function_logs(srv), timeout=30,
             what="the rotation to fail on GitLab's 401")
    assert current(sm, name) == v1
    assert "AWSPENDING" in stages(sm, name).get(token, [])
    sm.cancel_rotate_secret(SecretId=name)


def test_refusals_change_nothing(env):
    srv, sm, iam, gitlab, _ = env
    role = rotation_role(iam)
    name, _ = gitlab_secret(sm, gitlab)
    token = str(uuid.uuid4())
    rot = lambda **kw: sm.rotate_secret(SecretId=name, ClientRequestToken=token, **kw)  # noqa: E731

    code, msg = error(rot)
    assert (code, msg) == ("InvalidParameterException",
                           "ExternalSecretRotationRoleArn is required to rotate a managed external secret.")
    code, msg = error(rot, ExternalSecretRotationRoleArn=role,
                      RotationLambdaARN=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f")
    assert code == "InvalidParameterException" and "RotationLambdaARN" in msg
    for bad, words in ((["Key", "colour", "blue"], "colour"),
                       (["Key", "daysToExpiry", "366"], "daysToExpiry"),
                       (["Key", "daysToExpiry", "ten"], "daysToExpiry"),
                       (["Key", "adminSecretArn", "not-an-arn"], "adminSecretArn")):
        code, msg = error(rot, ExternalSecretRotationRoleArn=role,
                          ExternalSecretRotationMetadata=[{"Key": bad[1], "Value": bad[2]}])
        assert code == "InvalidParameterException" and words in msg, (bad, msg)
    code, msg = error(rot, ExternalSecretRotationRoleArn=role, ExternalSecretRotationMetadata=[
        {"Key": "daysToExpiry", "Value": "3"}, {"Key": "daysToExpiry", "Value": "4"}])
    assert code == "InvalidParameterException" and "more than once" in msg
    # A role Secrets Manager cannot assume: not trusting it, or absent.
    lambda_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    for bad_role in (rotation_role(iam, trust=lambda_trust),
                     f"arn:aws:iam::{ACCOUNT}:role/no-such-role-here"):
        code, msg = error(rot, ExternalSecretRotationRoleArn=bad_role)
        assert code == "InvalidParameterException" and bad_role in msg, msg
    # A secret of no partner type Arcana rotates.
    plain = "mes/" + uuid.uuid4().hex[:10]
    sm.create_secret(Name=plain, SecretString="x")
    code, msg = error(sm.rotate_secret, SecretId=plain, ClientRequestToken=token,
                      ExternalSecretRotationRoleArn=role)
    assert code == "InvalidRequestException" and "GitLabAccessToken" in msg
    for n in (name, plain):
        d = sm.describe_secret(SecretId=n)
        assert "RotationEnabled" not in d and "ExternalSecretRotationRoleArn" not in d
        assert sorted(sum(d["VersionIdsToStages"].values(), [])) == ["AWSCURRENT"]


def test_the_configuration_is_stored_without_rotating_now(env):
    """RotateImmediately=false runs testSecret only (GitLab is asked about the current token,
    nothing is rotated), and the role and metadata are kept on the secret."""
    srv, sm, iam, gitlab, _ = env
    role = rotation_role(iam)
    name, v1 = gitlab_secret(sm, gitlab)
    metadata = [{"Key": "daysToExpiry", "Value": "90"}]
    sm.rotate_secret(SecretId=name, ClientRequestToken=str(uuid.uuid4()), RotateImmediately=False,
                     ExternalSecretRotationRoleArn=role, ExternalSecretRotationMetadata=metadata,
                     RotationRules={"ScheduleExpression": "rate(10 days)"})
    d = sm.describe_secret(SecretId=name)
    assert d["ExternalSecretRotationRoleArn"] == role and d["ExternalSecretRotationMetadata"] == metadata
    assert d["RotationRules"]["ScheduleExpression"] == "rate(10 days)"
    # CancelRotateSecret turns rotation off and keeps the configuration, as for a function.
    sm.cancel_rotate_secret(SecretId=name)
    d = sm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is False and d["ExternalSecretRotationRoleArn"] == role
    assert current(sm, name) == v1 and gitlab.active(v1["token"])
    assert not [r for r in gitlab.requests if r["acting"] == v1["token"] and r["path"].endswith("/rotate")]


def jenkins_secret(sm, jenkins, user) -> tuple[str, dict]:
    token, token_uuid = jenkins.issue(user)
    value = {"apiToken": token, "tokenUuid": token_uuid, "username": user,
             "jenkinsUrl": jenkins.url}
    name = "mes/" + uuid.uuid4().hex[:10]
    sm.create_secret(Name=name, SecretString=json.dumps(value), Type="JenkinsApiToken")
    return name, value


@pytest.mark.sqlite_only("the rotation talks to a fake Jenkins, not to the store: one pass")
def test_a_jenkins_api_token_rotates_itself_and_the_old_one_is_revoked_once_replaced(env):
    srv, sm, iam, _, jenkins = env
    role = rotation_role(iam)
    name, v1 = jenkins_secret(sm, jenkins, "alice")
    rotate(srv, sm, name, ExternalSecretRotationRoleArn=role)
    v2 = current(sm, name)
    assert v2["username"] == "alice" and v2["jenkinsUrl"] == jenkins.url
    assert v2["apiToken"] != v1["apiToken"] and v2["tokenUuid"] != v1["tokenUuid"]
    # finishSecret revokes the old token after the new one is AWSCURRENT, so a moment later.
    wait_for(lambda: not jenkins.valid(v1["apiToken"]), timeout=20, what="the old token revoked")
    assert jenkins.valid(v2["apiToken"])
    mine = [r for r in jenkins.requests if r["user"] == "alice"]
    generate = [r for r in mine if r["path"].endswith("/generateNewToken")]
    revoke = [r for r in mine if r["path"].endswith("/revoke")]
    assert len(generate) == 1 and generate[0]["token"] == v1["apiToken"]
    assert generate[0]["crumb"] == FakeJenkins.CRUMB
    assert len(revoke) == 1 and revoke[0]["form"]["tokenUuid"] == [v1["tokenUuid"]]
    assert revoke[0]["token"] == v2["apiToken"]
    # The new token was tested before it became current, and the old one revoked after.
    assert mine.index(revoke[0]) > max(i for i, r in enumerate(mine)
                                       if r["token"] == v2["apiToken"] and r["path"] == "/me/api/json")
    d = sm.describe_secret(SecretId=name)
    assert d["ExternalSecretRotationRoleArn"] == role and "RotationLambdaARN" not in d
    logs = function_logs(srv)
    assert v1["apiToken"] not in logs and v2["apiToken"] not in logs


@pytest.mark.sqlite_only("the rotation talks to a fake Jenkins, not to the store: one pass")
def test_a_jenkins_admin_rotates_another_users_token(env):
    srv, sm, iam, _, jenkins = env
    role = rotation_role(iam)
    admin, admin_value = jenkins_secret(sm, jenkins, "admin")
    admin_arn = sm.describe_secret(SecretId=admin)["ARN"]
    name, v1 = jenkins_secret(sm, jenkins, "bob")
    code, msg = error(sm.rotate_secret, SecretId=name, ClientRequestToken=str(uuid.uuid4()),
                      ExternalSecretRotationRoleArn=role,
                      ExternalSecretRotationMetadata=[{"Key": "daysToExpiry", "Value": "3"}])
    assert code == "InvalidParameterException" and "adminSecretArn" in msg
    rotate(srv, sm, name, ExternalSecretRotationRoleArn=role,
           ExternalSecretRotationMetadata=[{"Key": "adminSecretArn", "Value": admin_arn}])
    v2 = current(sm, name)
    wait_for(lambda: not jenkins.valid(v1["apiToken"]), timeout=20, what="bob's old token revoked")
    assert v2["username"] == "bob" and jenkins.valid(v2["apiToken"])
    acting = {r["user"] for r in jenkins.requests if r["method"] == "POST" and "/user/bob/" in r["path"]}
    assert acting == {"admin"}
    assert jenkins.valid(admin_value["apiToken"])
