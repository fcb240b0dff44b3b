"""IAM request validation and list filters as AWS answers them:

- every call checks the names it is given against the model's patterns before looking anything
  up (GetUser "bad name" is ValidationError, not NoSuchEntity), in IAM's own sentence ("The
  specified value for userName is invalid. It must contain only alphanumeric characters and/or
  the following: +=,.@_-", as AWS answered AttachUserPolicy, GetUser, CreateRole and
  DeleteGroupPolicy); other patterns (SAML provider names, service namespaces, a role's
  description, a service-linked role's suffix) in the model wording;
- CreateServiceLinkedRole refuses a CustomSuffix that would make the role's name longer than a
  role name may be (no call could ever name that role again);
- a managed policy's Path is policyPathType, ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/;
- a statement's Sid is ASCII letters and digits ("Statement IDs (SID) must be alpha-numeric.
  ..."), in identity and trust policies;
- ListPolicies' PolicyUsageFilter lists the policies used as boundaries or as permissions
  policies.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import name
from test_sts import iam  # noqa: F401 (fixture)

DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def err(call) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def bad_name(member: str) -> tuple[str, str, int]:
    return ("ValidationError", f"The specified value for {member} is invalid. It must contain "
            "only alphanumeric characters and/or the following: +=,.@_-", 400)


def pattern_error(member: str, pattern: str) -> tuple[str, str, int]:
    return ("ValidationError", f"1 validation error detected: Value at '{member}' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: {pattern}", 400)


# ------------------------------------------------------------------------------ names

def test_every_call_checks_the_names_it_is_given(iam):
    user = name("u")
    iam.create_user(UserName=user)
    role = name("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    calls = {
        "userName": [lambda: iam.get_user(UserName="bad name"),
                     lambda: iam.delete_user(UserName="bad name"),
                     lambda: iam.list_access_keys(UserName="bad name"),
                     lambda: iam.get_login_profile(UserName="x/../y"),
                     lambda: iam.create_user(UserName="<&>")],
        "roleName": [lambda: iam.get_role(RoleName="bad name"),
                     lambda: iam.delete_role(RoleName="a*b")],
        "groupName": [lambda: iam.get_group(GroupName="bad name")],
        "policyName": [lambda: iam.delete_role_policy(RoleName=role, PolicyName="bad name"),
                       lambda: iam.get_user_policy(UserName=user, PolicyName="a:b")],
        "serverCertificateName": [
            lambda: iam.delete_server_certificate(ServerCertificateName="bad name")],
        "instanceProfileName": [
            lambda: iam.get_instance_profile(InstanceProfileName="bad name")],
        "newUserName": [lambda: iam.update_user(UserName=user, NewUserName="bad name")],
    }
    for member, members_calls in calls.items():
        for call in members_calls:
            assert err(call) == bad_name(member)
    # A name too long is the model's length violation (answered before the sentence).
    assert err(lambda: iam.get_user(UserName=" " * 129)) == (
        "ValidationError", "1 validation error detected: Value '" + " " * 129 + "' at 'userName' "
        "failed to satisfy constraint: Member must have length less than or equal to 128", 400)
    # Names of the pattern's characters are looked up as before.
    assert err(lambda: iam.get_user(UserName="a+b=c,d.e@f_g-h"))[0] == "NoSuchEntity"
    assert iam.get_user(UserName=user)["User"]["UserName"] == user
    # An access key id is letters and digits.
    assert err(lambda: iam.update_access_key(UserName=user, AccessKeyId="AKIA!!!!!!!!!!!!!!!!",
                                             Status="Active")) == (
        "ValidationError", "The specified value for accessKeyId is invalid. It must contain only "
        "alphanumeric characters.", 400)
    iam.delete_role(RoleName=role)
    iam.delete_user(UserName=user)


def test_other_patterns_in_the_model_wording(iam):
    assert err(lambda: iam.create_saml_provider(Name="bad name",
                                                SAMLMetadataDocument="x" * 1000)) == \
        pattern_error("name", r"[\w._-]+")
    role = name("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    # A description is printable text of any script, no control characters.
    assert err(lambda: iam.update_role(RoleName=role, Description="\x01x")) == \
        pattern_error("description", r"[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*")
    assert err(lambda: iam.update_role_description(RoleName=role, Description="a\x07")) == \
        pattern_error("description", r"[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*")
    iam.update_role(RoleName=role, Description="Rôle für €uros: 100% <ok> ~ «fine»")
    assert iam.get_role(RoleName=role)["Role"]["Description"] == \
        "Rôle für €uros: 100% <ok> ~ «fine»"
    arn = iam.get_role(RoleName=role)["Role"]["Arn"]
    code, message, status = err(lambda: iam.list_policies_granting_service_access(
        Arn=arn, ServiceNamespaces=["s3!"]))
    assert (code, status) == ("ValidationError", 400)
    assert "at 'serviceNamespaces'" in message and r"pattern: [\w-]*" in message, message
    iam.delete_role(RoleName=role)


def test_service_linked_role_suffix_is_a_role_name_part(iam):
    service = "autoscaling.amazonaws.com"  # AWSServiceRoleForAutoScaling_SUFFIX
    for suffix in ("bad suffix", "x/../y", "<&>"):
        assert err(lambda: iam.create_service_linked_role(
            AWSServiceName=service, CustomSuffix=suffix)) == \
            pattern_error("customSuffix", r"[\w+=,.@-]+")
    # 28 + 1 + 36 characters: one more than a role name may have. Nothing is made.
    long = "s" * 36
    assert err(lambda: iam.create_service_linked_role(
        AWSServiceName=service, CustomSuffix=long)) == (
        "ValidationError", "1 validation error detected: Value 'AWSServiceRoleForAutoScaling_" +
        long + "' at 'roleName' failed to satisfy constraint: Member must have length less "
        "than or equal to 64", 400)
    roles = iam.list_roles(PathPrefix=f"/aws-service-role/{service}/")["Roles"]
    assert all(not r["RoleName"].endswith(long) for r in roles)
    # 64 exactly: made, and its own calls can name it.
    fits = name("s") + "f" * 23  # 12 + 23 = 35 characters
    made = iam.create_service_linked_role(AWSServiceName=service,
                                          CustomSuffix=fits)["Role"]["RoleName"]
    assert len(made) == 64
    assert iam.get_role(RoleName=made)["Role"]["RoleName"] == made
    iam.delete_service_linked_role(RoleName=made)


# ------------------------------------------------------------------------ policy paths

def test_policy_path_is_policy_path_type(iam):
    path_error = ("ValidationError", "The specified value for path is invalid. It must begin and "
                  "end with / and contain only alphanumeric characters and/or / characters.", 400)
    for path in ("/a*b/", "/x:y/", "/a//b/", "//", "/a b/"):
        assert err(lambda: iam.create_policy(PolicyName=name("p"), PolicyDocument=DOC,
                                             Path=path)) == path_error, path
    path = "/" + name("pp") + "/a.b,c+d@e=f_g-h/"
    arn = iam.create_policy(PolicyName=name("p"), PolicyDocument=DOC, Path=path)["Policy"]["Arn"]
    # Every path a policy has is one ListPolicies can filter on.
    assert [p["Arn"] for p in iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]] == \
        [arn]
    iam.delete_policy(PolicyArn=arn)


# ------------------------------------------------------------------------------- Sids

def sid_doc(*sids: str, trust: bool = False) -> str:
    statement = ({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                  "Action": "sts:AssumeRole"} if trust else
                 {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"})
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [dict(statement, Sid=s) for s in sids]})


SID_ERROR = ("MalformedPolicyDocument", "Statement IDs (SID) must be alpha-numeric. Check that "
             "your input satisfies the regular expression [0-9A-Za-z]*", 400)


def test_sids_are_letters_and_digits(iam):
    user = name("u")
    iam.create_user(UserName=user)
    arn = iam.create_policy(PolicyName=name("p"), PolicyDocument=sid_doc("Ok1", ""))["Policy"][
        "Arn"]
    for sid in ("a-b", "a b", "a_b", "a.b", "é"):
        assert err(lambda: iam.create_policy(PolicyName=name("p"),
                                             PolicyDocument=sid_doc(sid))) == SID_ERROR, sid
    # Checked before uniqueness: the same bad Sid twice is refused for its characters.
    assert err(lambda: iam.put_user_policy(UserName=user, PolicyName="p",
                                           PolicyDocument=sid_doc("a-b", "a-b"))) == SID_ERROR
    assert err(lambda: iam.create_policy_version(PolicyArn=arn,
                                                 PolicyDocument=sid_doc("x_1"))) == SID_ERROR
    # A role's trust policy too.
    assert err(lambda: iam.create_role(RoleName=name("r"),
                                       AssumeRolePolicyDocument=sid_doc("trust_me", trust=True))) \
        == SID_ERROR
    role = name("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=sid_doc("TrustMe", trust=True))
    assert err(lambda: iam.update_assume_role_policy(
        RoleName=role, PolicyDocument=sid_doc("a b", trust=True))) == SID_ERROR
    assert err(lambda: iam.put_role_policy(RoleName=role, PolicyName="p",
                                           PolicyDocument=sid_doc("a:b"))) == SID_ERROR
    iam.delete_role(RoleName=role)
    iam.delete_policy(PolicyArn=arn)
    iam.delete_user(UserName=user)


# -------------------------------------------------------------------- ListPolicies filter

def test_list_policies_policy_usage_filter(iam):
    path = "/" + name("usage") + "/"
    arns = {}
    for kind in ("attached", "boundary", "both", "unused"):
        arns[kind] = iam.create_policy(PolicyName=name(kind), PolicyDocument=DOC,
                                       Path=path)["Policy"]["Arn"]
    user, role = name("u"), name("r")
    iam.create_user(UserName=user, PermissionsBoundary=arns["boundary"])
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST,
                    PermissionsBoundary=arns["both"])
    iam.attach_user_policy(UserName=user, PolicyArn=arns["attached"])
    iam.attach_role_policy(RoleName=role, PolicyArn=arns["both"])

    def listed(**kw) -> set[str]:
        found = iam.list_policies(Scope="Local", PathPrefix=path, **kw)["Policies"]
        return {p["Arn"] for p in found}

    assert listed() == set(arns.values())
    assert listed(OnlyAttached=True) == {arns["attached"], arns["both"]}
    for only in (True, False):
        assert listed(OnlyAttached=only, PolicyUsageFilter="PermissionsBoundary") == \
            {arns["boundary"], arns["both"]}, only
        assert listed(OnlyAttached=only, PolicyUsageFilter="PermissionsPolicy") == \
            {arns["attached"], arns["both"]}, only
    # Paged the same way: one at a time, the filter applied on every page.
    first = iam.list_policies(Scope="Local", PathPrefix=path, MaxItems=1,
                              PolicyUsageFilter="PermissionsBoundary")
    assert first["IsTruncated"] and len(first["Policies"]) == 1
    rest = iam.list_policies(Scope="Local", PathPrefix=path, Marker=first["Marker"],
                             PolicyUsageFilter="PermissionsBoundary")
    assert {p["Arn"] for p in first["Policies"] + rest["Policies"]} == \
        {arns["boundary"], arns["both"]}
    iam.detach_user_policy(UserName=user, PolicyArn=arns["attached"])
    iam.detach_role_policy(RoleName=role, PolicyArn=arns["both"])
    iam.delete_user_permissions_boundary(UserName=user)
    iam.delete_role_permissions_boundary(RoleName=role)
    assert listed(PolicyUsageFilter="PermissionsBoundary") == set()
    iam.delete_user(UserName=user)
    iam.delete_role(RoleName=role)
    for arn in arns.values():
        iam.delete_policy(PolicyArn=arn)
