"""ListUserTags / ListRoleTags (Marker/MaxItems paging), UpdateRole and UpdateRoleDescription
through boto3 against a non-dev server: answers, NoSuchEntity for a missing entity, the model's
MaxSessionDuration range, authorization as iam:ACTION on the entity, and the audit record."""

from __future__ import annotations

import json
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
import boto3

from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET
from test_iam import TRUST_ACCOUNT, client, code_of, iam, name  # noqa: F401 (fixture)


TAGS = [{"Key": f"k{i}", "Value": f"v{i}"} for i in (3, 1, 4, 0, 2)]  # not in key order


def pages(call, **kw):
    """Every page of a tag listing, following Marker while IsTruncated."""
    out = []
    marker = None
    while True:
        page = call(**kw, **({"Marker": marker} if marker else {}))
        out.append(page)
        if not page["IsTruncated"]:
            assert "Marker" not in page
            return out
        marker = page["Marker"]
        assert len(out) < 20


@pytest.mark.parametrize("kind", ["user", "role"])
def test_list_tags_pages_in_the_order_given(iam, kind):
    n = name(kind[0])
    if kind == "user":
        iam.create_user(UserName=n, Tags=TAGS)
        call, member = iam.list_user_tags, "UserName"
    else:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST_ACCOUNT, Tags=TAGS)
        call, member = iam.list_role_tags, "RoleName"
    everything = call(**{member: n})
    assert everything["Tags"] == TAGS and everything["IsTruncated"] is False
    assert "Marker" not in everything
    got = pages(call, **{member: n, "MaxItems": 2})
    assert [p["Tags"] for p in got] == [TAGS[0:2], TAGS[2:4], TAGS[4:5]]
    assert [p["IsTruncated"] for p in got] == [True, True, False]
    exact = pages(call, **{member: n, "MaxItems": 5})
    assert len(exact) == 1 and exact[0]["Tags"] == TAGS
    # Tags added later come after, a replaced value keeps its place, removed keys are gone.
    tag = iam.tag_user if kind == "user" else iam.tag_role
    untag = iam.untag_user if kind == "user" else iam.untag_role
    tag(**{member: n, "Tags": [{"Key": "k1", "Value": "new"}, {"Key": "z", "Value": "last"}]})
    untag(**{member: n, "TagKeys": ["k4"]})
    want = [TAGS[0], {"Key": "k1", "Value": "new"}, TAGS[3], TAGS[4], {"Key": "z", "Value": "last"}]
    assert [t for p in pages(call, **{member: n, "MaxItems": 3}) for t in p["Tags"]] == want
    untag(**{member: n, "TagKeys": [t["Key"] for t in want]})
    empty = call(**{member: n})
    assert empty["Tags"] == [] and empty["IsTruncated"] is False and "Marker" not in empty


def test_list_tags_pages_over_keys_outside_latin1(iam):
    """Markers stay within the model's markerType ([\\u0020-\\u00FF]+) whatever the tag keys
    are: the next request that sends one back is accepted."""
    n = name()
    tags = [{"Key": "チーム", "Value": "a"}, {"Key": "Ωmega", "Value": "b"}, {"Key": "x", "Value": "c"}]
    iam.create_user(UserName=n, Tags=tags)
    got = pages(iam.list_user_tags, UserName=n, MaxItems=1)
    assert [p["Tags"] for p in got] == [[t] for t in tags]
    assert all(0x20 <= ord(c) <= 0xFF for p in got[:-1] for c in p["Marker"])


def test_list_user_tags_paginator(iam):
    n = name()
    iam.create_user(UserName=n, Tags=TAGS)
    paginator = iam.get_paginator("list_user_tags")
    got = [t for p in paginator.paginate(UserName=n, PaginationConfig={"PageSize": 2})
           for t in p["Tags"]]
    assert got == TAGS


def test_list_tags_of_a_missing_entity_is_no_such_entity(iam):
    n = name("gone")
    with pytest.raises(ClientError) as e:
        iam.list_user_tags(UserName=n)
    assert code_of(e.value) == ("NoSuchEntity", 404)
    assert e.value.response["Error"]["Message"] == f"The user with name {n} cannot be found."
    with pytest.raises(ClientError) as e:
        iam.list_role_tags(RoleName=n)
    assert code_of(e.value) == ("NoSuchEntity", 404)
    assert e.value.response["Error"]["Message"] == f"The role with name {n} cannot be found."


def test_update_role_sets_what_is_given(iam, auth_server):
    n = name("r")
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST_ACCOUNT, Description="first")
    assert iam.update_role(RoleName=n, Description="second", MaxSessionDuration=7200)[
        "ResponseMetadata"]["HTTPStatusCode"] == 200
    role = iam.get_role(RoleName=n)["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("second", 7200)
    iam.update_role(RoleName=n, MaxSessionDuration=43200)  # no Description: kept
    role = iam.get_role(RoleName=n)["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("second", 43200)
    iam.update_role(RoleName=n, Description="third")  # no MaxSessionDuration: kept
    role = iam.get_role(RoleName=n)["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("third", 43200)
    # STS holds sessions to the updated maximum.
    sts = client(auth_server.endpoint, "sts")
    arn = f"arn:aws:iam::{ACCOUNT}:role/{n}"
    iam.update_role(RoleName=n, MaxSessionDuration=3600)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="sess", DurationSeconds=7200)
    assert code_of(e.value) == ("ValidationError", 400)
    iam.update_role(RoleName=n, MaxSessionDuration=7200)
    assert sts.assume_role(RoleArn=arn, RoleSessionName="sess", DurationSeconds=7200)["Credentials"]


def test_update_role_max_session_duration_range(iam, auth_server):
    n = name("r")
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    with pytest.raises(ClientError) as e:
        iam.update_role(RoleName=n, MaxSessionDuration=43201)
    assert code_of(e.value) == ("ValidationError", 400)
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy "
        "constraint: Member must have value less than or equal to 43200")
    # botocore refuses a value under its min itself; the server is asked without that check.
    raw = boto3.client("iam", endpoint_url=auth_server.endpoint, region_name="us-east-1",
                       aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                       config=Config(retries={"max_attempts": 0}, parameter_validation=False))
    with pytest.raises(ClientError) as e:
        raw.update_role(RoleName=n, MaxSessionDuration=3599)
    assert code_of(e.value) == ("ValidationError", 400)
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '3599' at 'maxSessionDuration' failed to satisfy "
        "constraint: Member must have value greater than or equal to 3600")
    assert iam.get_role(RoleName=n)["Role"]["MaxSessionDuration"] == 3600  # unchanged


def test_update_role_description_answers_the_role(iam):
    n = name("r")
    created = iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST_ACCOUNT,
                              Path="/svc/", MaxSessionDuration=7200)["Role"]
    role = iam.update_role_description(RoleName=n, Description="runs the builds")["Role"]
    # AWS answers the role without MaxSessionDuration and RoleLastUsed (GetRole has both).
    assert role == {**created, "Description": "runs the builds"}
    got = iam.get_role(RoleName=n)["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("runs the builds", 7200)


def test_update_role_of_a_missing_role_is_no_such_entity(iam):
    n = name("gone")
    for call in (lambda: iam.update_role(RoleName=n, MaxSessionDuration=7200),
                 lambda: iam.update_role_description(RoleName=n, Description="d")):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e.value) == ("NoSuchEntity", 404)
        assert e.value.response["Error"]["Message"] == f"The role with name {n} cannot be found."


def test_authorized_as_iam_actions_on_the_entity(iam, auth_server):
    n = name()
    iam.create_user(UserName=n, Tags=TAGS)
    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT, Tags=TAGS)
    key = iam.create_access_key(UserName=n)["AccessKey"]
    mine = client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{r}"
    calls = {
        "ListUserTags": lambda: mine.list_user_tags(UserName=n),
        "ListRoleTags": lambda: mine.list_role_tags(RoleName=r),
        "UpdateRole": lambda: mine.update_role(RoleName=r, MaxSessionDuration=7200),
        "UpdateRoleDescription": lambda: mine.update_role_description(RoleName=r, Description="x"),
    }
    for action, call in calls.items():
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e.value) == ("AccessDenied", 403)
        assert f"is not authorized to perform: iam:{action}" in e.value.response["Error"]["Message"]
    iam.put_user_policy(UserName=n, PolicyName="tags", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListUserTags",
             "Resource": f"arn:aws:iam::{ACCOUNT}:user/{n}"},
            {"Effect": "Allow", "Action": ["iam:ListRoleTags", "iam:UpdateRole",
                                           "iam:UpdateRoleDescription"],
             "Resource": role_arn}]}))
    assert mine.list_user_tags(UserName=n)["Tags"] == TAGS
    assert mine.list_role_tags(RoleName=r)["Tags"] == TAGS
    mine.update_role(RoleName=r, MaxSessionDuration=7200)
    assert mine.update_role_description(RoleName=r, Description="x")["Role"]["Description"] == "x"
    with pytest.raises(ClientError) as e:  # another role: not in the policy
        mine.update_role(RoleName=name("other"), MaxSessionDuration=7200)
    assert code_of(e.value) == ("AccessDenied", 403)


def test_audited_like_other_iam_calls(iam, auth_server):
    """The audit trail records them as it records every call (parameters redacted as for any
    IAM call); UpdateRole is a write that names its change, ListRoleTags is read-only."""
    r = name("r")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    ids = {
        "UpdateRole": iam.update_role(RoleName=r, Description="audited", MaxSessionDuration=7200),
        "UpdateRoleDescription": iam.update_role_description(RoleName=r, Description="again"),
        "ListRoleTags": iam.list_role_tags(RoleName=r),
    }
    ids = {op: out["ResponseMetadata"]["RequestId"] for op, out in ids.items()}

    def records():
        out = {}
        for f in (auth_server.data_dir / "audit").glob("*.jsonl"):
            if ".digests." in f.name:
                continue
            for line in f.read_text().splitlines():
                rec = json.loads(line)
                out[rec.get("requestID")] = rec
        return out

    deadline = time.time() + 10
    while not set(ids.values()) <= set(got := records()) and time.time() < deadline:
        time.sleep(0.2)
    for op, request_id in ids.items():
        rec = got[request_id]
        assert rec["eventName"] == op and rec["eventSource"] == "iam.amazonaws.com"
        assert rec["readOnly"] is (op == "ListRoleTags")
        assert "errorCode" not in rec
    for op in ("UpdateRole", "UpdateRoleDescription"):
        assert got[ids[op]]["additionalEventData"]["changes"] == [
            {"kind": op, "resource": f"{ACCOUNT}:role/{r}"}]
