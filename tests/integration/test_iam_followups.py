"""IAM follow-ups of the AWS-recorded sweep (test_iam_sts_aws_recorded_sweep.py): answers
checked against AWS's documentation, each test naming its source.

ListAccessKeys without a UserName: "the user name is determined implicitly based on the Amazon
Web Services access key ID used to sign the request ... you can use this operation to manage
Amazon Web Services account root user credentials even if the Amazon Web Services account has
no associated users" (IAM API reference, ListAccessKeys; botocore's iam service-2.json).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ROOT_AKID
from test_iam import name
from test_sts import creds_client, iam, sts  # noqa: F401 (iam, sts: fixtures)

ALLOW_OWN_KEYS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:ListAccessKeys"], "Resource": "*"}]})


def err(e: pytest.ExceptionInfo) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_root_lists_its_own_access_keys(iam):
    """Signed with the root's long-term key and no UserName, ListAccessKeys lists the root's
    keys (not a ValidationError): no UserName (the root is no IAM user), Active, a CreateDate;
    no IAM user's key is among them."""
    u = name("keys")
    iam.create_user(UserName=u)
    user_key = iam.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"]
    listed = iam.list_access_keys()
    assert listed["IsTruncated"] is False
    keys = listed["AccessKeyMetadata"]
    ids = [k["AccessKeyId"] for k in keys]
    assert ROOT_AKID in ids
    assert user_key not in ids
    for k in keys:
        assert sorted(k) == ["AccessKeyId", "CreateDate", "Status"]
        assert k["Status"] == "Active"
    # With a UserName the root lists that user's keys, as before.
    named = iam.list_access_keys(UserName=u)["AccessKeyMetadata"]
    assert [(k["UserName"], k["AccessKeyId"]) for k in named] == [(u, user_key)]


def test_user_and_role_session_without_user_name(iam, sts, auth_server):
    """An IAM user's own keys without a UserName; a role session has no user to default to:
    "If a temporary access key is used, then UserName is required" (ListAccessKeys)."""
    u = name("self")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="keys", PolicyDocument=ALLOW_OWN_KEYS)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    own = creds_client(auth_server, "iam", key).list_access_keys()["AccessKeyMetadata"]
    assert [(k["UserName"], k["AccessKeyId"]) for k in own] == [(u, key["AccessKeyId"])]
    assert ROOT_AKID not in [k["AccessKeyId"] for k in own]

    r = name("role")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName=r, PolicyName="keys", PolicyDocument=ALLOW_OWN_KEYS)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{r}",
                            RoleSessionName="s1")["Credentials"]
    with pytest.raises(ClientError) as e:
        creds_client(auth_server, "iam", creds).list_access_keys()
    assert err(e) == ("ValidationError",
                      "Must specify userName when calling with non-User credentials", 400)


def test_update_group_path_keeps_the_groups_name_whatever_case_it_is_asked_in(iam):
    # GroupName is matched case-insensitively; a path change alone renamed the group to the
    # case the request wrote (and its members' lists with it).
    g, u = name("Grp"), name()
    iam.create_group(GroupName=g)
    iam.create_user(UserName=u)
    iam.add_user_to_group(GroupName=g, UserName=u)
    iam.update_group(GroupName=g.lower(), NewPath="/moved/")
    got = iam.get_group(GroupName=g)["Group"]
    assert got["GroupName"] == g and got["Path"] == "/moved/"
    assert got["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/moved/{g}"
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=u)["Groups"]] == [g]
    iam.remove_user_from_group(GroupName=g, UserName=u)
    iam.delete_user(UserName=u)
    iam.delete_group(GroupName=g)


def test_a_name_in_another_case_is_authorized_on_the_entitys_own_arn(iam, auth_server):
    # IAM finds a user or group whatever the case its name is written in; the call was
    # authorized on the ARN built from the request's spelling, so a Deny naming the entity's
    # ARN was evaded by writing its name in lower case (UpdateGroup, DeleteGroup, ...).
    g, a = name("Grp"), name()
    iam.create_group(GroupName=g)
    iam.create_user(UserName=a)
    iam.put_user_policy(UserName=a, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": f"arn:aws:iam::{ACCOUNT}:group/{g}"}]}))
    key = iam.create_access_key(UserName=a)["AccessKey"]
    as_a = creds_client(auth_server, "iam", key)
    for call in (lambda n: as_a.update_group(GroupName=n, NewPath="/x/"),
                 lambda n: as_a.get_group(GroupName=n),
                 lambda n: as_a.delete_group(GroupName=n)):
        for spelled in (g, g.lower(), g.upper()):
            with pytest.raises(ClientError) as e:
                call(spelled)
            assert err(e)[0] == "AccessDenied" and err(e)[2] == 403, spelled
    assert iam.get_group(GroupName=g)["Group"]["Path"] == "/"
    iam.delete_access_key(UserName=a, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=a, PolicyName="p")
    iam.delete_user(UserName=a)
    iam.delete_group(GroupName=g)


def test_group_membership_is_authorized_on_the_group(iam, auth_server):
    # AddUserToGroup and RemoveUserFromGroup act on the group (IAM's Service Authorization
    # Reference: resource type group; AWS's example policy "allows managing a group's
    # membership" names the group's ARN). They were authorized on the user, so a user allowed
    # to add users to one group could add itself to any group, and a Deny of a group's ARN did
    # not hold.
    team, admins, a = name("team"), name("admins"), name()
    for g in (team, admins):
        iam.create_group(GroupName=g)
    iam.create_user(UserName=a)
    iam.put_user_policy(UserName=a, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["iam:AddUserToGroup", "iam:RemoveUserFromGroup"],
            "Resource": f"arn:aws:iam::{ACCOUNT}:group/{team}"}]}))
    key = iam.create_access_key(UserName=a)["AccessKey"]
    as_a = creds_client(auth_server, "iam", key)
    as_a.add_user_to_group(GroupName=team, UserName=a)
    with pytest.raises(ClientError) as e:
        as_a.add_user_to_group(GroupName=admins, UserName=a)
    assert err(e)[0] == "AccessDenied" and err(e)[2] == 403
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=a)["Groups"]] == [team]
    iam.add_user_to_group(GroupName=admins, UserName=a)
    with pytest.raises(ClientError) as e:
        as_a.remove_user_from_group(GroupName=admins, UserName=a)
    assert err(e)[0] == "AccessDenied" and err(e)[2] == 403
    as_a.remove_user_from_group(GroupName=team, UserName=a)
    iam.remove_user_from_group(GroupName=admins, UserName=a)
    iam.delete_access_key(UserName=a, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=a, PolicyName="p")
    iam.delete_user(UserName=a)
    for g in (team, admins):
        iam.delete_group(GroupName=g)


@pytest.mark.parametrize("service,ns", [("iam", "https://iam.amazonaws.com/doc/2010-05-08/"),
                                        ("sts", "https://sts.amazonaws.com/doc/2011-06-15/")])
def test_a_query_request_without_an_action_is_refused_in_its_services_xml(auth_server, service,
                                                                          ns):
    # The service is not known from the Action: the credential scope names it. The refusal
    # was a JSON 1.1 body, which an IAM or STS client (XML) cannot read.
    import requests
    from conftest import ROOT_SECRET, sigv4_headers
    host = auth_server.endpoint.split("://", 1)[1]
    for body in (b"Version=2010-05-08", b"Action=ListUsers&bad=%zz"):
        headers = sigv4_headers(host, body, None, "us-east-1", ROOT_AKID, ROOT_SECRET,
                                service=service,
                                extra_headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = requests.post(auth_server.endpoint + "/", data=body, headers=headers, timeout=30)
        assert r.status_code == 400, r.text
        assert r.headers["Content-Type"] == "text/xml", r.text
        assert r.text.startswith(f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type>'), r.text


# --------------------------------------------------------------------------- PathPrefix

BAD_PATH_PREFIX = ("The specified value for pathPrefix is invalid. It must begin with the / "
                   "character and contain only alphanumeric characters and/or / characters.")
LONG_PATH_PREFIX = ("1 validation error detected: Value at 'pathPrefix' failed to satisfy "
                    "constraint: Member must have length less than or equal to 512")


def path_prefix_lists(iam, u, r, g, arn):
    """Each List call with a PathPrefix, by the model's shape of its PathPrefix."""
    return {
        "pathPrefixType": [lambda p: iam.list_users(PathPrefix=p),
                           lambda p: iam.list_roles(PathPrefix=p),
                           lambda p: iam.list_groups(PathPrefix=p)],
        "policyPathType": [lambda p: iam.list_policies(PathPrefix=p),
                           lambda p: iam.list_attached_user_policies(UserName=u, PathPrefix=p),
                           lambda p: iam.list_attached_role_policies(RoleName=r, PathPrefix=p),
                           lambda p: iam.list_attached_group_policies(GroupName=g, PathPrefix=p)],
        "pathType": [lambda p: iam.list_entities_for_policy(PolicyArn=arn, PathPrefix=p)],
    }


def test_list_path_prefix_outside_its_pattern_is_validation_error_in_iams_words(iam):
    """PathPrefix must match the model's pattern of its shape (botocore does not check
    patterns): pathPrefixType \\u002F[\\u0021-\\u007F]*, policyPathType
    ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/, pathType (\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F). AWS
    answers a mismatch with ValidationError 400 in IAM's own words, whichever List call:
    ListPolicies --path-prefix '/foo' (aws/aws-cli issue 5860, "a server-side error"),
    ListUsers/ListRoles 'invalid' and '/invalid\\n' (versitygw's IAM tests of AWS's text), and
    a prefix over 512 characters is the length constraint, its value not quoted (mulgadc/
    spinifex's IAM gateway tests: "the messages are the ones AWS returned"). Before, every
    one of these listed (an empty or unmatched page) and the length violation quoted the
    value."""
    u, r, g = name("pp"), name("pp"), name("pp")
    iam.create_user(UserName=u)
    iam.create_group(GroupName=g)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    arn = iam.create_policy(PolicyName=name("pp"), PolicyDocument=ALLOW_OWN_KEYS)["Policy"]["Arn"]
    lists = path_prefix_lists(iam, u, r, g, arn)
    bad = {
        "pathPrefixType": ["invalid", "/invalid\n", "/bad path/", "/caf\u00e9"],
        "policyPathType": ["/foo", "foo/", "/a//b/", "/bad path/", "/a~b/"],
        "pathType": ["/foo", "foo/", "//", "/bad path/"],
    }
    good = {
        "pathPrefixType": ["/", "/team", "/~!/", "/" + "a" * 511],
        "policyPathType": ["/", "/team/", "/a.b,c+d@e=f_g-h/x/"],
        "pathType": ["/", "/team/", "/a~b/"],
    }
    for shape, calls in lists.items():
        for call in calls:
            for p in bad[shape]:
                with pytest.raises(ClientError) as e:
                    call(p)
                assert err(e) == ("ValidationError", BAD_PATH_PREFIX, 400), (shape, p)
            for p in good[shape]:
                call(p)  # listed, whatever it finds
            with pytest.raises(ClientError) as e:
                call("/" + "a" * 511 + "/")
            assert err(e) == ("ValidationError", LONG_PATH_PREFIX, 400), shape
    # The filter itself still works.
    team = "/" + name("team").replace("/", "-")
    iam.create_user(UserName=name("pp"), Path=team + "/x/")
    assert [x["Path"] for x in iam.list_users(PathPrefix=team)["Users"]] == [team + "/x/"]


def test_path_length_violation_does_not_quote_the_path(iam):
    """Path and NewPath share ListEntitiesForPolicy's PathPrefix shape (pathType, at most 512):
    IAM words their length violations without the value too ("Value at 'path' ...",
    "Value at 'newPath' ...", as IAM emulators that copy AWS's text answer CreateUser and
    UpdateUser)."""
    long_path = "/" + "a" * 511 + "/"
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=name("pl"), Path=long_path)
    assert err(e) == ("ValidationError", "1 validation error detected: Value at 'path' failed "
                      "to satisfy constraint: Member must have length less than or equal to 512",
                      400)
    u = name("pl")
    iam.create_user(UserName=u)
    with pytest.raises(ClientError) as e:
        iam.update_user(UserName=u, NewPath=long_path)
    assert err(e) == ("ValidationError", "1 validation error detected: Value at 'newPath' failed "
                      "to satisfy constraint: Member must have length less than or equal to 512",
                      400)
