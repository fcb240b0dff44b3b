"""STS and IAM policy simulation items where Arcana answered otherwise than AWS documents, or
than its own enforcement decides.

Role chaining with a source identity: "The value that is set cannot be changed during the role
session", and "If the user attempts to set a source identity that is different from the value
set when CriticalRole was assumed, the assume role request will be denied" (IAM User Guide,
Monitor and control actions taken with assumed roles, Role chaining and cross-account
requirements). Arcana kept the first value and answered 200, so the caller was told nothing.

AssumeRoleWithWebIdentity's source identity: "include the source identity in the
https://aws.amazon.com/source_identity namespace in the token" (IAM User Guide, Using source
identity with AssumeRoleWithWebIdentity), which needs sts:SetSourceIdentity in the role's
trust policy ("For roles that don't have this permission in the role trust policy, the
AssumeRole* operation will fail"); the answer carries SourceIdentity (the API reference).
Arcana ignored the claim: the session had no source identity, the trust policy was not asked.

SimulatePrincipalPolicy of a principal whose stored policy does not compile: see below.
"""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT
from test_iam import client, code_of, name
from test_sts import run_store_sql
from test_sts_source_identity import iam, trust as _trust  # noqa: F401
from test_sts_web_identity import anon_sts, assume, issuer, make_role, provider  # noqa: F401


def _session_client(auth_server, service, creds):
    return client(auth_server.endpoint, service, creds["AccessKeyId"], creds["SecretAccessKey"],
                  creds["SessionToken"])


def test_chained_assume_role_cannot_change_the_source_identity(iam, auth_server):
    sts = client(auth_server.endpoint, "sts")
    first_name = name("si-a")
    # Both trust policies allow setting any source identity, so only the change is refused.
    first = iam.create_role(RoleName=first_name, AssumeRolePolicyDocument=_trust(
        ["sts:AssumeRole", "sts:SetSourceIdentity"]))["Role"]["Arn"]
    second_name = name("si-b")
    second = iam.create_role(RoleName=second_name, AssumeRolePolicyDocument=_trust(
        ["sts:AssumeRole", "sts:SetSourceIdentity"]))["Role"]["Arn"]
    for role in (first_name, second_name):
        iam.put_role_policy(RoleName=role, PolicyName="chain", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                 "Resource": "*"}]}))
    out = sts.assume_role(RoleArn=first, RoleSessionName="s1", SourceIdentity="alice")
    assert out["SourceIdentity"] == "alice"
    chained = _session_client(auth_server, "sts", out["Credentials"])

    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=second, RoleSessionName="s2", SourceIdentity="mallory")
    assert code_of(e.value) == ("AccessDenied", 403)
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/{first_name}/s1"
    assert e.value.response["Error"]["Message"] == (
        f"User: {caller} is not authorized to perform: sts:SetSourceIdentity on resource: "
        f"{second}")
    # Refused whether or not the role exists (no probing for role names through it).
    missing = f"arn:aws:iam::{ACCOUNT}:role/{name('si-none')}"
    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=missing, RoleSessionName="s2", SourceIdentity="mallory")
    assert code_of(e.value) == ("AccessDenied", 403)
    assert "sts:SetSourceIdentity" in e.value.response["Error"]["Message"]

    # Values differing only in case are different source identities.
    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=second, RoleSessionName="s2", SourceIdentity="Alice")
    assert code_of(e.value) == ("AccessDenied", 403)

    # Repeating the same value, or leaving it out, keeps it.
    again = chained.assume_role(RoleArn=second, RoleSessionName="s2", SourceIdentity="alice")
    assert again["SourceIdentity"] == "alice"
    kept = chained.assume_role(RoleArn=second, RoleSessionName="s3")
    assert kept["SourceIdentity"] == "alice"
    # And the next link of the chain is held to it as well.
    third = _session_client(auth_server, "sts", kept["Credentials"])
    with pytest.raises(ClientError) as e:
        third.assume_role(RoleArn=first, RoleSessionName="s4", SourceIdentity="bob")
    assert code_of(e.value) == ("AccessDenied", 403)
    assert "sts:SetSourceIdentity" in e.value.response["Error"]["Message"]
    assert third.assume_role(RoleArn=first, RoleSessionName="s4")["SourceIdentity"] == "alice"


# SimulatePrincipalPolicy evaluates the principal's stored policies as the authorizer does on a
# real call (auth::PolicyAuthorizer::Decide). IAM refuses a document that does not compile
# before storing it, so one is written by an older version or edited in the store; the
# authorizer fails closed on it (an identity policy refuses everything, a boundary allows
# nothing), and the simulation answered MalformedPolicyDocument (400, an error its model does
# not list, blaming the request) instead of what the server decides.

def _doc(effect, action="*", cond=None):
    st = {"Effect": effect, "Action": action, "Resource": "*"}
    if cond:
        st["Condition"] = cond
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def _break(auth_server, kind, entity, marker):
    """Edits the entity's stored document in place: its StringNotEquals (on the condition key
    `marker`, unique to the caller's test) becomes an operator the engine does not know."""
    run_store_sql(auth_server, "UPDATE iam_entities SET doc = replace(doc, 'StringNotEquals', "
                               f"'StringNotEqualz') WHERE kind = '{kind}' AND name = '{entity}'")


def _decisions(iam, arn, actions, **kw):
    out = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=actions, **kw)
    return {r["EvalActionName"]: r for r in out["EvaluationResults"]}


def test_simulation_of_a_stored_identity_policy_that_does_not_compile(iam, auth_server):
    user = name("sim-u")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="allow", PolicyDocument=_doc("Allow"))
    marker = f"aws:PrincipalTag/{user}"
    iam.put_user_policy(UserName=user, PolicyName="deny", PolicyDocument=_doc(
        "Deny", "iam:ListRoles", {"StringNotEquals": {marker: "never"}}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    actions = ["iam:ListRoles", "iam:ListUsers"]
    got = _decisions(iam, arn, actions)
    assert [got[a]["EvalDecision"] for a in actions] == ["explicitDeny", "allowed"]
    as_user.list_users(MaxItems=1)

    _break(auth_server, "user", user, marker)
    # The server reads the store's change rows, not this edit: a write to the user makes it
    # read the user again.
    iam.tag_user(UserName=user, Tags=[{"Key": "k", "Value": "v"}])
    assert "StringNotEqualz" in json.dumps(
        iam.get_user_policy(UserName=user, PolicyName="deny")["PolicyDocument"])
    # The server refuses the user everything; the simulation says so, whatever else is given
    # (a resource policy naming the user, a further policy of the request allowing it).
    for action in ("list_users", "list_roles"):
        with pytest.raises(ClientError) as e:
            getattr(as_user, action)(MaxItems=1)
        assert code_of(e.value) == ("AccessDenied", 403)
    resource_allow = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "*", "Resource": "*"}]})
    for kw in ({}, {"ResourcePolicy": resource_allow}, {"PolicyInputList": [_doc("Allow")]}):
        got = _decisions(iam, arn, actions, **kw)
        assert [got[a]["EvalDecision"] for a in actions] == ["implicitDeny", "implicitDeny"], kw
        assert all(not got[a]["MatchedStatements"] for a in actions), kw
    # A document of the request that does not parse is still the request's fault.
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=actions,
                                      PolicyInputList=["{"])
    assert code_of(e.value) == ("MalformedPolicyDocument", 400)

    # A group's stored policy counts for its members, and for the group's own simulation.
    group = name("sim-g")
    garn = iam.create_group(GroupName=group)["Group"]["Arn"]
    gmarker = f"aws:PrincipalTag/{group}"
    iam.put_group_policy(GroupName=group, PolicyName="allow", PolicyDocument=_doc("Allow"))
    iam.put_group_policy(GroupName=group, PolicyName="deny", PolicyDocument=_doc(
        "Deny", "iam:ListRoles", {"StringNotEquals": {gmarker: "never"}}))
    member = name("sim-m")
    marn = iam.create_user(UserName=member)["User"]["Arn"]
    iam.add_user_to_group(GroupName=group, UserName=member)
    assert _decisions(iam, marn, ["iam:ListUsers"])["iam:ListUsers"]["EvalDecision"] == "allowed"
    _break(auth_server, "group", group, gmarker)
    iam.tag_user(UserName=member, Tags=[{"Key": "k", "Value": "v"}])
    iam.update_group(GroupName=group, NewPath="/")  # a write to the group: read again
    for who in (marn, garn):
        got = _decisions(iam, who, ["iam:ListUsers"])
        assert got["iam:ListUsers"]["EvalDecision"] == "implicitDeny", who


def test_simulation_of_a_stored_boundary_that_does_not_compile(iam, auth_server):
    user = name("sim-b")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="allow", PolicyDocument=_doc("Allow"))
    marker = f"aws:PrincipalTag/{user}"
    boundary_name = name("sim-bp")
    boundary = iam.create_policy(PolicyName=boundary_name, PolicyDocument=_doc(
        "Allow", "*", {"StringNotEquals": {marker: "never"}}))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=boundary)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    got = _decisions(iam, arn, ["iam:ListUsers"])["iam:ListUsers"]
    assert got["EvalDecision"] == "allowed"
    as_user.list_users(MaxItems=1)

    _break(auth_server, "policy", boundary_name, marker)
    iam.tag_policy(PolicyArn=boundary, Tags=[{"Key": "k", "Value": "v"}])  # read again
    with pytest.raises(ClientError) as e:
        as_user.list_users(MaxItems=1)
    assert code_of(e.value) == ("AccessDenied", 403)
    got = _decisions(iam, arn, ["iam:ListUsers"])["iam:ListUsers"]
    assert got["EvalDecision"] == "implicitDeny"
    assert got["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    # A boundary of the request replaces the stored one, as on AWS: then it decides.
    got = _decisions(iam, arn, ["iam:ListUsers"],
                     PermissionsBoundaryPolicyInputList=[_doc("Allow")])["iam:ListUsers"]
    assert got["EvalDecision"] == "allowed"


def test_web_identity_source_identity_claim(iam, anon_sts, issuer, provider, auth_server):
    token = issuer.token(extra={"https://aws.amazon.com/source_identity": "octocat"})
    plain = make_role(iam, provider, issuer.provider_url)
    with pytest.raises(ClientError) as e:
        assume(anon_sts, plain, token)
    assert code_of(e.value) == ("AccessDenied", 403)
    # Without the claim the same role is assumed (only setting it needs the permission).
    assert "SourceIdentity" not in assume(anon_sts, plain, issuer.token())

    only_octocat = make_role(iam, provider, issuer.provider_url,
                             extra_actions=["sts:SetSourceIdentity"])
    trust = json.loads(json.dumps(
        iam.get_role(RoleName=only_octocat["RoleName"])["Role"]["AssumeRolePolicyDocument"]))
    trust["Statement"][0]["Condition"]["StringEquals"]["sts:SourceIdentity"] = "octocat"
    iam.update_assume_role_policy(RoleName=only_octocat["RoleName"],
                                  PolicyDocument=json.dumps(trust))
    out = assume(anon_sts, only_octocat, token)
    assert out["SourceIdentity"] == "octocat"
    with pytest.raises(ClientError) as e:
        assume(anon_sts, only_octocat,
               issuer.token(extra={"https://aws.amazon.com/source_identity": "mallory"}))
    assert code_of(e.value) == ("AccessDenied", 403)

    # The session carries it: aws:SourceIdentity to a Deny of its own role's policy, and it
    # stays along a role chain, where a different one is refused.
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
         "Resource": "*"},
        {"Effect": "Deny", "Action": "secretsmanager:ListSecrets", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceIdentity": "octocat"}}}]}
    iam.put_role_policy(RoleName=only_octocat["RoleName"], PolicyName="deny",
                        PolicyDocument=json.dumps(policy))
    creds = assume(anon_sts, only_octocat, token)["Credentials"]
    with pytest.raises(ClientError) as e:
        _session_client(auth_server, "secretsmanager", creds).list_secrets()
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    target = iam.create_role(RoleName=name("wi-next"), AssumeRolePolicyDocument=_trust(
        ["sts:AssumeRole", "sts:SetSourceIdentity"]))["Role"]["Arn"]
    chained = _session_client(auth_server, "sts", creds)
    kept = chained.assume_role(RoleArn=target, RoleSessionName="next")
    assert kept["SourceIdentity"] == "octocat"
    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=target, RoleSessionName="next", SourceIdentity="other")
    assert code_of(e.value) == ("AccessDenied", 403)

    # A claim AssumeRole's SourceIdentity could not carry is the token's fault.
    # So is a claim that is present but no string (a number, an array, ""): read as absent, it
    # would skip the sts:SetSourceIdentity check of a role that does not allow it.
    for bad in (7, ["octocat"], ""):
        with pytest.raises(ClientError) as e:
            assume(anon_sts, plain,
                   issuer.token(extra={"https://aws.amazon.com/source_identity": bad}))
        assert code_of(e.value) == ("InvalidIdentityToken", 400), bad
    for bad in ("x", "a" * 65, "aws:octocat", "has space"):
        with pytest.raises(ClientError) as e:
            assume(anon_sts, only_octocat,
                   issuer.token(extra={"https://aws.amazon.com/source_identity": bad}))
        assert code_of(e.value) == ("InvalidIdentityToken", 400), bad
