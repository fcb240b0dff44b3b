"""IAM behaviour found different from AWS while replaying moto's IAM tests, fixed to what AWS
answers. The evidence is AWS's own recorded answers (LocalStack's AWS-validated snapshots of
tests/aws/services/iam/test_iam_policies.py: TestPolicyTags, TestPolicyDocumentValidity's
valid documents, TestListEntitiesForPolicy, test_policy_version_errors) and the botocore
model's patterns:

- TagPolicy, UntagPolicy and ListPolicyTags (were not implemented); ListPolicyTags lists the
  tags shortest key first, then in byte order; a missing policy is "Policy <arn> was not found.";
- ListEntitiesForPolicy (was not implemented);
- tag keys and values outside the models' tag patterns are refused, in AWS's words;
- a policy version id outside policyVersionIdType's pattern is ValidationError, not
  NoSuchEntity;
- policy documents AWS accepts are accepted: empty condition blocks (even of an unknown
  operator), condition keys without a vendor prefix, a key listing no values, a vendor with a
  dot.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import name
from test_sts import creds_client, iam, sts  # noqa: F401 (iam, sts: fixtures)

PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]"
DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def err(e: pytest.ExceptionInfo) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def body(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


def new_policy(iam, **kw) -> str:
    return iam.create_policy(PolicyName=name("policy"), PolicyDocument=DOC, **kw)["Policy"]["Arn"]


# ------------------------------------------------------------------------ policy tags

def test_policy_tag_lifecycle(iam):
    arn = new_policy(iam)
    assert body(iam.list_policy_tags(PolicyArn=arn)) == {"IsTruncated": False, "Tags": []}
    assert body(iam.tag_policy(PolicyArn=arn, Tags=[
        {"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "prod"}])) == {}
    # GetPolicy answers them in the order given, ListPolicyTags shortest key first.
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [
        {"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "prod"}]
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "blue"}]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "team", "Value": ""}, {"Key": "TEAM", "Value": "x"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "TEAM", "Value": "x"}, {"Key": "team", "Value": ""}]
    assert body(iam.untag_policy(PolicyArn=arn, TagKeys=["team", "absent"])) == {}
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "TEAM", "Value": "x"}]


def test_list_policy_tags_order_and_pages(iam):
    """AWS's recorded order: abc, b, z, a are listed a, b, z, abc."""
    given = [{"Key": k, "Value": v} for k, v in
             (("abc", "first"), ("b", "second"), ("z", "third"), ("a", "fourth"))]
    arn = new_policy(iam, Tags=given)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == given
    listed = [given[3], given[1], given[2], given[0]]
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == listed
    page = iam.list_policy_tags(PolicyArn=arn, MaxItems=3)
    assert page["Tags"] == listed[:3] and page["IsTruncated"] is True
    rest = iam.list_policy_tags(PolicyArn=arn, Marker=page["Marker"])
    assert body(rest) == {"IsTruncated": False, "Tags": listed[3:]}


def test_policy_tag_errors(iam):
    arn = new_policy(iam, Tags=[{"Key": "k", "Value": "v"}])
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{name('missing')}"
    for call in (lambda: iam.tag_policy(PolicyArn=missing, Tags=[{"Key": "a", "Value": "b"}]),
                 lambda: iam.untag_policy(PolicyArn=missing, TagKeys=["a"]),
                 lambda: iam.list_policy_tags(PolicyArn=missing)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity", f"Policy {missing} was not found.", 404)
    with pytest.raises(ClientError) as e:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": str(i), "Value": "v"} for i in range(51)])
    assert err(e) == ("ValidationError", "1 validation error detected: Value at 'tags' failed to "
                      "satisfy constraint: Member must have length less than or equal to 50", 400)
    with pytest.raises(ClientError) as e:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "0", "Value": ""}, {"Key": "0", "Value": ""}])
    assert err(e) == ("InvalidInput", "Duplicate tag keys found.", 400)
    with pytest.raises(ClientError) as e:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "NOWAY!", "Value": ""}])
    assert err(e) == ("ValidationError", "1 validation error detected: Value at "
                      "'tags.1.member.key' failed to satisfy constraint: Member must satisfy "
                      f"regular expression pattern: {PATTERN}+", 400)
    with pytest.raises(ClientError) as e:
        iam.untag_policy(PolicyArn=arn, TagKeys=["NOWAY!"])
    assert err(e) == ("ValidationError", "1 validation error detected: Value at 'tagKeys' failed "
                      "to satisfy constraint: Member must satisfy constraint: [Member must have "
                      "length less than or equal to 128, Member must have length greater than or "
                      "equal to 1, Member must satisfy regular expression pattern: "
                      f"{PATTERN}+, Member must not be null]", 400)
    # 49 more make 50 (allowed), one more is over the quota.
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": f"t{i}", "Value": "v"} for i in range(49)])
    with pytest.raises(ClientError) as e:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert err(e) == ("LimitExceeded", "Cannot exceed quota for TagsPerPolicy: 50", 409)
    assert len(iam.list_policy_tags(PolicyArn=arn)["Tags"]) == 50


def test_policy_tags_are_authorized_on_the_policy(iam, auth_server):
    """TagPolicy is iam:TagPolicy on the policy's ARN: a user allowed it on one policy only
    tags that one."""
    mine, other = new_policy(iam), new_policy(iam)
    u = name("user")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="tag", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iam:TagPolicy", "iam:ListPolicyTags"],
             "Resource": mine}]}))
    user_iam = creds_client(auth_server, "iam", iam.create_access_key(UserName=u)["AccessKey"])
    user_iam.tag_policy(PolicyArn=mine, Tags=[{"Key": "k", "Value": "v"}])
    assert user_iam.list_policy_tags(PolicyArn=mine)["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as e:
        user_iam.tag_policy(PolicyArn=other, Tags=[{"Key": "k", "Value": "v"}])
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert iam.list_policy_tags(PolicyArn=other)["Tags"] == []


# ------------------------------------------------------------------------ tag patterns

@pytest.mark.parametrize("where", ["user", "role", "policy"])
def test_tag_patterns_refused(iam, where):
    def create(tags):
        if where == "user":
            return iam.create_user(UserName=name("user"), Tags=tags)
        if where == "role":
            return iam.create_role(RoleName=name("role"), AssumeRolePolicyDocument=TRUST, Tags=tags)
        return iam.create_policy(PolicyName=name("policy"), PolicyDocument=DOC, Tags=tags)

    for tags, member, quant in (([{"Key": "NOWAY!", "Value": ""}], "tags.1.member.key", "+"),
                                ([{"Key": "ok", "Value": "v"}, {"Key": "k", "Value": "bad#value"}],
                                 "tags.2.member.value", "*")):
        with pytest.raises(ClientError) as e:
            create(tags)
        assert err(e) == ("ValidationError", f"1 validation error detected: Value at '{member}' "
                          "failed to satisfy constraint: Member must satisfy regular expression "
                          f"pattern: {PATTERN}{quant}", 400)
    # Letters, spaces and digits of any script are in the pattern, as are _.:/=+-@.
    ok = [{"Key": "Zürich Team_1.:/=+-@", "Value": "Straße 5@"}]
    assert create(ok)  # accepted


def test_tag_patterns_on_tag_and_untag(iam):
    r, u = name("role"), name("user")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName=u)
    for call in (lambda: iam.tag_role(RoleName=r, Tags=[{"Key": "a*b", "Value": "v"}]),
                 lambda: iam.tag_user(UserName=u, Tags=[{"Key": "a*b", "Value": "v"}])):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "ValidationError"
        assert "'tags.1.member.key'" in e.value.response["Error"]["Message"]
    for call in (lambda: iam.untag_role(RoleName=r, TagKeys=["a*b"]),
                 lambda: iam.untag_user(UserName=u, TagKeys=["ok", "a*b"])):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e)[0] == "ValidationError" and "Value at 'tagKeys'" in err(e)[1]


# ------------------------------------------------------------------------ policy versions

def test_policy_version_id_pattern(iam):
    """A VersionId outside v[1-9][0-9]*(\\.[A-Za-z0-9-]*)? is a validation error (AWS's
    recorded answer to SetDefaultPolicyVersion with "wrong_version_id"); a well-formed id that
    does not exist stays NoSuchEntity."""
    arn = new_policy(iam)
    msg = ("1 validation error detected: Value at 'versionId' failed to satisfy constraint: "
           r"Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")
    for bad in ("wrong_version_id", "v0", "v2-does-not-exist", "V1", "v"):
        for call in (lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId=bad),
                     lambda: iam.get_policy_version(PolicyArn=arn, VersionId=bad),
                     lambda: iam.delete_policy_version(PolicyArn=arn, VersionId=bad)):
            with pytest.raises(ClientError) as e:
                call()
            assert err(e) == ("ValidationError", msg, 400), bad
    for good in ("v9", "v12.x-1", "v3."):
        with pytest.raises(ClientError) as e:
            iam.get_policy_version(PolicyArn=arn, VersionId=good)
        assert err(e) == ("NoSuchEntity", f"Policy {arn} version {good} does not exist or is "
                          "not attachable.", 404)
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["VersionId"] == "v1"


# ------------------------------------------------------------------------ policy documents

def allow(**extra):
    st = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}
    st.update(extra)
    return {"Version": "2012-10-17", "Statement": st}


ACCEPTED = [
    allow(Condition={"DateGreaterThan": {}}),
    allow(Condition={"DateGreaterThan": {"a": []}}),
    allow(Condition={"a": {}}),
    allow(Condition={"x": {}, "y": {}}),
    allow(Condition={"DateGreaterThan": {"a": "01T"}}),
    allow(Condition={"StringEqualsIfExists": {"a": "asf"}}),
    allow(Condition={"ForAnyValue:StringEqualsIfExists": {"a": "asf"}}),
    allow(Condition={"DateLessThan": {"a": "-292275054"}}),
    allow(Action="s3.s:ListBucket"),
]


@pytest.mark.parametrize("doc", ACCEPTED, ids=[f"accepted-{i}" for i in range(len(ACCEPTED))])
def test_policy_documents_aws_accepts(iam, doc):
    arn = iam.create_policy(PolicyName=name("policy"), PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert got == doc


def test_conditions_aws_accepts_still_evaluate(iam, auth_server):
    """An ignored empty block grants as if absent; a key with no values matches nothing, so an
    Allow on it grants nothing; a key without a vendor prefix is absent from every request."""
    u = name("user")
    iam.create_user(UserName=u)

    def put(condition):
        iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
                 "Condition": condition}]}))

    user_iam = creds_client(auth_server, "iam", iam.create_access_key(UserName=u)["AccessKey"])
    for condition, allowed in (({"x": {}}, True), ({"StringEquals": {}}, True),
                               ({"StringEquals": {"aws:username": []}}, False),
                               ({"StringEquals": {"a": "1"}}, False),
                               ({"StringEqualsIfExists": {"a": "1"}}, True)):
        put(condition)
        try:
            user_iam.list_users(MaxItems=1)
            assert allowed, condition
        except ClientError as e:
            assert not allowed and e.response["Error"]["Code"] == "AccessDenied", condition


# ------------------------------------------------------------------------ ListEntitiesForPolicy

def test_list_entities_for_policy(iam):
    arn = new_policy(iam)
    empty = {"IsTruncated": False, "PolicyGroups": [], "PolicyRoles": [], "PolicyUsers": []}
    assert body(iam.list_entities_for_policy(PolicyArn=arn)) == empty
    u, g, r, b = name("user"), name("group"), name("role"), name("bounded")
    user = iam.create_user(UserName=u)["User"]
    group = iam.create_group(GroupName=g)["Group"]
    role = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)["Role"]
    bounded = iam.create_user(UserName=b, PermissionsBoundary=arn, Path="/bounded/")["User"]
    iam.attach_user_policy(UserName=u, PolicyArn=arn)
    iam.attach_group_policy(GroupName=g, PolicyArn=arn)
    iam.attach_role_policy(RoleName=r, PolicyArn=arn)
    pu = {"UserName": u, "UserId": user["UserId"]}
    pb = {"UserName": b, "UserId": bounded["UserId"]}
    pg = {"GroupName": g, "GroupId": group["GroupId"]}
    pr = {"RoleName": r, "RoleId": role["RoleId"]}
    got = body(iam.list_entities_for_policy(PolicyArn=arn))
    assert got["PolicyGroups"] == [pg] and got["PolicyRoles"] == [pr]
    assert sorted(got["PolicyUsers"], key=lambda x: x["UserName"]) == \
        sorted([pu, pb], key=lambda x: x["UserName"])
    assert body(iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")) == \
        {**empty, "PolicyRoles": [pr]}
    assert body(iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Group")) == \
        {**empty, "PolicyGroups": [pg]}
    assert body(iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User",
                                             PolicyUsageFilter="PermissionsPolicy")) == \
        {**empty, "PolicyUsers": [pu]}
    assert body(iam.list_entities_for_policy(PolicyArn=arn,
                                             PolicyUsageFilter="PermissionsBoundary")) == \
        {**empty, "PolicyUsers": [pb]}
    assert body(iam.list_entities_for_policy(PolicyArn=arn, PathPrefix="/bounded/")) == \
        {**empty, "PolicyUsers": [pb]}
    # AWS's recorded answer to EntityFilter LocalManagedPolicy: nothing.
    assert body(iam.list_entities_for_policy(PolicyArn=arn,
                                             EntityFilter="LocalManagedPolicy")) == empty
    first = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert first["IsTruncated"] is True
    rest = iam.list_entities_for_policy(PolicyArn=arn, Marker=first["Marker"])
    assert rest["IsTruncated"] is False
    seen = [x for page in (first, rest) for k in ("PolicyGroups", "PolicyRoles", "PolicyUsers")
            for x in page[k]]
    assert len(seen) == 4
    iam.detach_role_policy(RoleName=r, PolicyArn=arn)
    assert iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")["PolicyRoles"] == []
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{name('missing')}"
    with pytest.raises(ClientError) as e:
        iam.list_entities_for_policy(PolicyArn=missing)
    assert err(e) == ("NoSuchEntity",
                      f"Policy {missing} does not exist or is not attachable.", 404)


# ------------------------------------------------------------------------ GetUser of the root

def test_get_user_without_name_as_root(iam, sts, auth_server):
    """The root's long-term keys: GetUser without UserName answers the root (AWS: the account
    id as UserId, the root ARN, no UserName); a role session is still refused."""
    got = body(iam.get_user())
    assert got == {"User": {"UserId": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}}
    r = name("role")
    arn = iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": ACCOUNT}}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=r, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    with pytest.raises(ClientError) as e:
        creds_client(auth_server, "iam", creds).get_user()
    assert err(e) == ("ValidationError",
                      "Must specify userName when calling with non-User credentials", 400)
