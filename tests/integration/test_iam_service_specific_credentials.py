"""IAM service-specific credentials through boto3: Create/List/Reset/Update/
DeleteServiceSpecificCredential, the quota of two per user and service, DeleteUser's refusal
while one exists, the calling user's credentials without UserName, authorization on the
user's ARN, and the password never leaving the server but in Create's and Reset's answers
(audit trail, log, the store at rest), sealed so that it survives a root rotation.

The expected answers, by source:
- recorded: LocalStack's AWS-validated SSC tests (its provider built to pass them): the
  members of Create/Reset (ServiceSpecificCredential with ServicePassword) and of List (no
  password), ServiceUserName "<user>-at-<account>", ids ACCA + 17 of [A-Z2-7], a 60-character
  password ending in "=", "The user with name X cannot be found." before the service's
  "No such service X is supported for Service Specific Credentials" (NoSuchEntity),
  "No such credential X exists", the id's pattern refusal, an empty list for another
  supported service, and DeleteUser's "Cannot delete entity, must remove service specific
  credentials first.";
- the API reference and the AWS CLI's examples: Reset keeps the id, date and status; two
  credentials per user and service.
Inferred (asserted as Arcana answers them, marked where asserted): the quota's message, the
order of List, ServiceUserName kept across a rename of the user. Runs on each store
(ARCANA_TEST_STORE)."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, wait_for
from test_iam import client, code_of, name
from test_iam_oidc_providers import err
from test_iam_server_certificates import store_bytes, store_query
from test_root_of_trust import AKID as ROT_AKID, SECRET as ROT_SECRET
from test_root_of_trust import servers  # noqa: F401 (a fixture)
from test_sts import iam  # noqa: F401 (a fixture)
from test_sts_access_key_info import new_user

CC = "codecommit.amazonaws.com"
KS = "cassandra.amazonaws.com"
FULL = {"CreateDate", "ServiceName", "ServiceUserName", "ServicePassword",
        "ServiceSpecificCredentialId", "UserName", "Status"}
META = FULL - {"ServicePassword"}
PASSWORD = re.compile(r"[A-Za-z0-9+/]{59}=")


def no_service(s: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"No such service {s} is supported for Service Specific Credentials",
            404)


def no_credential(cid: str) -> tuple[str, str, int]:
    return "NoSuchEntity", f"No such credential {cid} exists", 404


def no_user(u: str) -> tuple[str, str, int]:
    return "NoSuchEntity", f"The user with name {u} cannot be found.", 404


def create(iam, user, service=CC) -> dict:
    return iam.create_service_specific_credential(UserName=user, ServiceName=service)[
        "ServiceSpecificCredential"]


def listed(iam, **kw) -> list[dict]:
    out = iam.list_service_specific_credentials(**kw)
    assert set(out) == {"ServiceSpecificCredentials", "ResponseMetadata"}
    return out["ServiceSpecificCredentials"]


def new_plain_user(iam) -> str:
    u = name("ssc")
    iam.create_user(UserName=u)
    return u


@pytest.mark.parametrize("service", [CC, KS])
def test_lifecycle(iam, service):
    u = new_plain_user(iam)
    c = create(iam, u, service)
    assert set(c) == FULL
    assert re.fullmatch(r"ACCA[A-Z2-7]{17}", c["ServiceSpecificCredentialId"])
    assert c["ServiceUserName"] == f"{u}-at-{ACCOUNT}"
    assert PASSWORD.fullmatch(c["ServicePassword"])
    assert c["UserName"] == u and c["ServiceName"] == service and c["Status"] == "Active"
    assert abs((c["CreateDate"] - datetime.datetime.now(datetime.timezone.utc))
               .total_seconds()) < 120
    cid = c["ServiceSpecificCredentialId"]
    meta = {k: v for k, v in c.items() if k != "ServicePassword"}

    assert listed(iam, UserName=u) == [meta]
    assert listed(iam, UserName=u, ServiceName=service) == [meta]
    other = KS if service == CC else CC
    assert listed(iam, UserName=u, ServiceName=other) == []  # recorded: another service

    # Inactive and back; the answer is empty.
    out = iam.update_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid,
                                                 Status="Inactive")
    assert set(out) == {"ResponseMetadata"}
    assert listed(iam, UserName=u)[0]["Status"] == "Inactive"

    # Reset: a new password, the rest unchanged (Status Inactive included).
    r = iam.reset_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid)
    assert set(r) == {"ServiceSpecificCredential", "ResponseMetadata"}
    r = r["ServiceSpecificCredential"]
    assert set(r) == FULL and PASSWORD.fullmatch(r["ServicePassword"])
    assert r["ServicePassword"] != c["ServicePassword"]
    assert {k: v for k, v in r.items() if k != "ServicePassword"} == {**meta,
                                                                      "Status": "Inactive"}
    iam.update_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid,
                                           Status="Active")
    assert listed(iam, UserName=u) == [meta]

    out = iam.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid)
    assert set(out) == {"ResponseMetadata"}
    assert listed(iam, UserName=u) == []
    for call in (iam.delete_service_specific_credential, iam.reset_service_specific_credential):
        with pytest.raises(ClientError) as e:
            call(UserName=u, ServiceSpecificCredentialId=cid)
        assert err(e) == no_credential(cid)
    iam.delete_user(UserName=u)


def test_refusals(iam):
    u = new_plain_user(iam)
    ghost = name("ghost")
    # The user first, even with an unsupported service (recorded).
    for service in (CC, "lambda.amazonaws.com"):
        with pytest.raises(ClientError) as e:
            create(iam, ghost, service)
        assert err(e) == no_user(ghost)
    with pytest.raises(ClientError) as e:
        listed(iam, UserName=ghost)
    assert err(e) == no_user(ghost)
    # Recorded: unsupported services, an existing one and made-up ones. Bedrock's API keys
    # are members the local model does not have: refused as well.
    for service in ("lambda.amazonaws.com", "nonexistentservice.amazonaws.com",
                    "o3on3n3onosneo", "bedrock.amazonaws.com"):
        with pytest.raises(ClientError) as e:
            create(iam, u, service)
        assert err(e) == no_service(service)
        with pytest.raises(ClientError) as e:
            listed(iam, UserName=u, ServiceName=service)
        assert err(e) == no_service(service)

    cid = create(iam, u)["ServiceSpecificCredentialId"]
    unknown = "ACCA" + "A" * 17  # well-formed, nobody's
    calls = {
        "reset": lambda user, i: iam.reset_service_specific_credential(
            UserName=user, ServiceSpecificCredentialId=i),
        "update": lambda user, i: iam.update_service_specific_credential(
            UserName=user, ServiceSpecificCredentialId=i, Status="Inactive"),
        "delete": lambda user, i: iam.delete_service_specific_credential(
            UserName=user, ServiceSpecificCredentialId=i),
    }
    other = new_plain_user(iam)
    for what, call in calls.items():
        with pytest.raises(ClientError) as e:
            call(u, unknown)
        assert err(e) == no_credential(unknown), what
        # Recorded: the id of a real credential with a user that does not exist.
        with pytest.raises(ClientError) as e:
            call(ghost, cid)
        assert err(e) == no_user(ghost), what
        # Another user's credential is no credential of this one.
        with pytest.raises(ClientError) as e:
            call(other, cid)
        assert err(e) == no_credential(cid), what
        # The id's case matters (ids are upper case).
        with pytest.raises(ClientError) as e:
            call(u, cid.lower())
        assert err(e) == no_credential(cid.lower()), what
        # Recorded: an id outside [\w]+.
        with pytest.raises(ClientError) as e:
            call(u, "not-a-valid-credential-id")
        assert err(e) == (
            "ValidationError",
            "1 validation error detected: Value at 'serviceSpecificCredentialId' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\w]+",
            400), what
    with pytest.raises(ClientError) as e:
        iam.update_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid,
                                               Status="Expired")
    assert code_of(e.value) == ("ValidationError", 400)
    assert listed(iam, UserName=u)[0]["Status"] == "Active"
    iam.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid)
    iam.delete_user(UserName=u)
    iam.delete_user(UserName=other)


def test_two_per_user_and_service(iam):
    u = new_plain_user(iam)
    made = [create(iam, u, CC), create(iam, u, CC)]
    with pytest.raises(ClientError) as e:
        create(iam, u, CC)
    # The code and status are the API reference's; the words are inferred.
    assert err(e) == ("LimitExceeded",
                      "Cannot exceed quota for ServiceSpecificCredentialsPerUser: 2", 409)
    # Per service: Keyspaces still takes two.
    made += [create(iam, u, KS), create(iam, u, KS)]
    with pytest.raises(ClientError) as e:
        create(iam, u, KS)
    assert code_of(e.value) == ("LimitExceeded", 409)
    # Per user: another user takes its own.
    other = new_plain_user(iam)
    create(iam, other, CC)
    # Listed in the order made (inferred); filtered by service.
    ids = [c["ServiceSpecificCredentialId"] for c in made]
    assert [c["ServiceSpecificCredentialId"] for c in listed(iam, UserName=u)] == ids
    assert [c["ServiceSpecificCredentialId"]
            for c in listed(iam, UserName=u, ServiceName=KS)] == ids[2:]
    # A deleted one frees its place.
    iam.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=ids[0])
    ids = ids[1:] + [create(iam, u, CC)["ServiceSpecificCredentialId"]]
    for cid in ids:
        iam.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid)
    iam.delete_user(UserName=u)


def test_delete_user_refused_while_one_exists(iam):
    u = new_plain_user(iam)
    cid = create(iam, u, KS)["ServiceSpecificCredentialId"]
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert err(e) == ("DeleteConflict",
                      "Cannot delete entity, must remove service specific credentials first.",
                      409)
    iam.update_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid,
                                           Status="Inactive")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert code_of(e.value) == ("DeleteConflict", 409)
    iam.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid)
    iam.delete_user(UserName=u)
    # A new user of the same name has none of the old one's.
    iam.create_user(UserName=u)
    assert listed(iam, UserName=u) == []
    iam.delete_user(UserName=u)


def test_credentials_follow_a_renamed_user(iam):
    u = new_plain_user(iam)
    c = create(iam, u)
    renamed = u + "-r"
    iam.update_user(UserName=u, NewUserName=renamed)
    got = listed(iam, UserName=renamed)
    assert [x["ServiceSpecificCredentialId"] for x in got] == [c["ServiceSpecificCredentialId"]]
    assert got[0]["UserName"] == renamed
    # Inferred: the service user name stays as made (a Git client configured with it).
    assert got[0]["ServiceUserName"] == f"{u}-at-{ACCOUNT}"
    with pytest.raises(ClientError) as e:
        listed(iam, UserName=u)
    assert err(e) == no_user(u)
    iam.delete_service_specific_credential(UserName=renamed,
                                           ServiceSpecificCredentialId=c["ServiceSpecificCredentialId"])
    iam.delete_user(UserName=renamed)


def test_calling_user_and_authorization(iam, auth_server):
    """Without UserName List, Reset, Update and Delete act on the calling user (the API
    reference), and are authorized on its ARN; with UserName on that user's ARN."""
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*ServiceSpecificCredential*",
         "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
    me, key = new_user(iam, policy)
    own = client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    c = wait_for(lambda: create(own, me), what="the user's policy")
    cid = c["ServiceSpecificCredentialId"]
    assert [x["ServiceSpecificCredentialId"] for x in listed(own)] == [cid]
    own.update_service_specific_credential(ServiceSpecificCredentialId=cid, Status="Inactive")
    r = own.reset_service_specific_credential(ServiceSpecificCredentialId=cid)[
        "ServiceSpecificCredential"]
    assert r["UserName"] == me and r["Status"] == "Inactive"

    other = new_plain_user(iam)
    theirs = create(iam, other)["ServiceSpecificCredentialId"]
    for call in (lambda: create(own, other),
                 lambda: listed(own, UserName=other),
                 lambda: own.reset_service_specific_credential(
                     UserName=other, ServiceSpecificCredentialId=theirs),
                 lambda: own.delete_service_specific_credential(
                     UserName=other, ServiceSpecificCredentialId=theirs)):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e.value) == ("AccessDenied", 403)
    # Without UserName, another user's id is no credential of the caller's.
    with pytest.raises(ClientError) as e:
        own.delete_service_specific_credential(ServiceSpecificCredentialId=theirs)
    assert err(e) == no_credential(theirs)
    # The account root has no user: it must name one (as ListSSHPublicKeys answers it).
    with pytest.raises(ClientError) as e:
        listed(iam)
    assert code_of(e.value) == ("ValidationError", 400)

    own.delete_service_specific_credential(ServiceSpecificCredentialId=cid)
    assert listed(own) == []
    iam.delete_service_specific_credential(UserName=other, ServiceSpecificCredentialId=theirs)
    iam.delete_user(UserName=other)


def test_password_never_leaves_the_server(iam, auth_server):
    u = new_plain_user(iam)
    made = iam.create_service_specific_credential(UserName=u, ServiceName=CC)
    c = made["ServiceSpecificCredential"]
    cid = c["ServiceSpecificCredentialId"]
    reset = iam.reset_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid)
    passwords = [c["ServicePassword"], reset["ServiceSpecificCredential"]["ServicePassword"]]
    request_ids = [made["ResponseMetadata"]["RequestId"],
                   reset["ResponseMetadata"]["RequestId"]]
    # Only Create and Reset answer it.
    assert not any(p in json.dumps(listed(iam, UserName=u), default=str) for p in passwords)

    # Kept sealed apart from the document.
    assert store_query(auth_server,
                       f"SELECT kind FROM iam_entity_secrets WHERE id = '{cid}'") == \
        "service-specific-credential"
    at_rest = store_bytes(auth_server)
    assert cid.encode() in at_rest
    assert not any(p.encode() in at_rest for p in passwords)

    audit = auth_server.data_dir / "audit"

    def trail() -> bytes:
        return b"".join(f.read_bytes() for f in audit.glob("**/*.jsonl"))

    wait_for(lambda: all(r.encode() in trail() for r in request_ids),
             what="the calls' audit records")
    records = [json.loads(line) for line in trail().splitlines()
               if any(r.encode() in line for r in request_ids)]
    params = [r.get("requestParameters") or {} for r in records]
    # The id, service and user name are metadata (audit/redaction.cc's allow-list).
    assert any(p.get("serviceSpecificCredentialId") == cid for p in params), params
    assert any(p.get("serviceName") == CC for p in params), params
    logged = trail() + b"".join(f.read_bytes() for f in auth_server.log_files)
    assert not any(p.encode() in logged for p in passwords)

    iam.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid)
    assert store_query(auth_server,
                       f"SELECT COUNT(*) FROM iam_entity_secrets WHERE id = '{cid}'") == "0"
    iam.delete_user(UserName=u)


def test_sealed_password_survives_a_root_rotation(servers):
    """The password is sealed under the root key, bound to the credential's id, like an MFA
    device's seed: `arcana operator rotate-root` re-seals it, and the credential is still
    listed, reset, updated and deleted after a restart on the new key alone."""
    server = servers().start()
    own_iam = client(server.endpoint, "iam", ROT_AKID, ROT_SECRET)
    u = new_plain_user(own_iam)
    c = create(own_iam, u, KS)
    cid = c["ServiceSpecificCredentialId"]

    def sealed() -> str:
        return store_query(server, f"SELECT sealed FROM iam_entity_secrets WHERE id = '{cid}'")

    before = sealed()
    assert before
    server.cli("operator", "rotate-root")
    server.restart()
    after = sealed()
    assert after and after != before  # re-sealed, not dropped
    assert [x["ServiceSpecificCredentialId"] for x in listed(own_iam, UserName=u)] == [cid]
    own_iam.update_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid,
                                               Status="Inactive")
    r = own_iam.reset_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid)
    assert r["ServiceSpecificCredential"]["ServicePassword"] != c["ServicePassword"]
    own_iam.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=cid)
    own_iam.delete_user(UserName=u)
