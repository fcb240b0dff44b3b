"""MaxItems/Marker paging of the IAM List operations over lists the service holds whole:
ListAttachedUserPolicies/GroupPolicies/RolePolicies, ListUserPolicies/RolePolicies/GroupPolicies
(inline policy names), ListGroupsForUser, ListAccessKeys (a user's keys, and the root's own)
and ListPolicyVersions. Each takes
MaxItems (the model's maxItemsType, 1-1000) and Marker; AWS documents that when IsTruncated is
true "Marker ... Use this value as the Marker parameter in a subsequent request to get the
next page": MaxItems=1 answers one item, IsTruncated and a Marker, and following the Markers
(by hand and through boto3's paginators) answers every item once, in the unpaged order. A
Marker no page answered is refused as GetAccountAuthorizationDetails refuses one. These
answered everything with IsTruncated false whatever MaxItems said."""

from __future__ import annotations

import json
import random
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import ARCANAD, cli_store_args
from test_iam import TRUST_ACCOUNT, client, code_of, iam, name  # noqa: F401 (fixture)

DOC = json.dumps({"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


def walk(call, list_key, max_items, **kw):
    """Every page from following Marker while IsTruncated, checking each page's shape."""
    pages, marker = [], None
    while True:
        page = call(MaxItems=max_items, **kw, **({"Marker": marker} if marker else {}))
        pages.append(page[list_key])
        assert len(page[list_key]) <= max_items
        if not page["IsTruncated"]:
            assert "Marker" not in page
            return pages
        assert len(page[list_key]) == max_items and page["Marker"]
        marker = page["Marker"]
        assert len(pages) < 50


def check_paging(iam, op, list_key, n_items, **kw):
    """The op's unpaged answer of n_items items against its pages of 1 and 2, and boto3's
    paginator with PageSize 1."""
    call = getattr(iam, op)
    whole = call(**kw)
    assert whole["IsTruncated"] is False and "Marker" not in whole
    items = whole[list_key]
    assert len(items) == n_items
    first = call(MaxItems=1, **kw)
    assert first[list_key] == items[:1]
    assert first["IsTruncated"] is True and first["Marker"]
    for size in (1, 2):
        pages = walk(call, list_key, size, **kw)
        assert [x for p in pages for x in p] == items
        assert len(pages) == -(-n_items // size)
    assert call(MaxItems=n_items, **kw)["IsTruncated"] is False
    got = [x for page in iam.get_paginator(op).paginate(PaginationConfig={"PageSize": 1}, **kw)
           for x in page[list_key]]
    assert got == items
    # A Marker that no page of this list answered.
    with pytest.raises(ClientError) as e:
        call(Marker="not-a-marker-of-this-list", **kw)
    assert code_of(e.value) == ("ValidationError", 400)
    assert e.value.response["Error"]["Message"] == "Invalid Marker: not-a-marker-of-this-list"
    return items


@pytest.fixture(scope="module")
def policies(iam):
    """Three customer managed policies and an AWS managed one."""
    arns = [iam.create_policy(PolicyName=name("pp"), Path="/paging/",
                              PolicyDocument=DOC)["Policy"]["Arn"] for _ in range(3)]
    return arns + ["arn:aws:iam::aws:policy/IAMReadOnlyAccess"]


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_attached_policies_page(iam, policies, kind):
    n = name(kind[0])
    K = kind.capitalize()
    if kind == "role":
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    else:
        getattr(iam, f"create_{kind}")(**{f"{K}Name": n})
    attach = getattr(iam, f"attach_{kind}_policy")
    for arn in reversed(policies):  # attached out of name order
        attach(**{f"{K}Name": n, "PolicyArn": arn})
    items = check_paging(iam, f"list_attached_{kind}_policies", "AttachedPolicies",
                         len(policies), **{f"{K}Name": n})
    assert [p["PolicyArn"] for p in items] == list(reversed(policies))
    # PathPrefix filters before paging.
    pages = walk(getattr(iam, f"list_attached_{kind}_policies"), "AttachedPolicies", 1,
                 **{f"{K}Name": n, "PathPrefix": "/paging/"})
    assert [p["PolicyArn"] for page in pages for p in page] == list(reversed(policies[:3]))
    for arn in policies:
        getattr(iam, f"detach_{kind}_policy")(**{f"{K}Name": n, "PolicyArn": arn})


def test_attached_policies_page_past_a_policy_with_a_long_path(iam):
    """A customer managed policy's Path may be 512 characters (policyPathType), so its ARN
    can exceed the 320 characters the model's markerType allows a Marker: a page ending on
    it must still answer a Marker the next request can send."""
    n = name("u")
    iam.create_user(UserName=n)
    path = "/" + "/".join(["p" * 60] * 6) + "/"  # 367 characters
    long_arn = iam.create_policy(PolicyName=name("lp"), Path=path,
                                 PolicyDocument=DOC)["Policy"]["Arn"]
    assert len(long_arn) > 320
    arns = [long_arn, "arn:aws:iam::aws:policy/IAMReadOnlyAccess"]
    for arn in arns:
        iam.attach_user_policy(UserName=n, PolicyArn=arn)
    first = iam.list_attached_user_policies(UserName=n, MaxItems=1)
    assert first["IsTruncated"] is True and len(first["Marker"]) <= 320
    pages = walk(iam.list_attached_user_policies, "AttachedPolicies", 1, UserName=n)
    assert [p["PolicyArn"] for page in pages for p in page] == arns
    for arn in arns:
        iam.detach_user_policy(UserName=n, PolicyArn=arn)
    iam.delete_policy(PolicyArn=long_arn)
    iam.delete_user(UserName=n)


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_inline_policy_names_page(iam, kind):
    n = name(kind[0])
    K = kind.capitalize()
    if kind == "role":
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    else:
        getattr(iam, f"create_{kind}")(**{f"{K}Name": n})
    names = ["zeta", "alpha", "mid", "beta", "omega"]
    for p in names:
        getattr(iam, f"put_{kind}_policy")(**{f"{K}Name": n, "PolicyName": p,
                                              "PolicyDocument": DOC})
    items = check_paging(iam, f"list_{kind}_policies", "PolicyNames", len(names),
                         **{f"{K}Name": n})
    assert items == sorted(names)


def test_groups_for_user_page(iam):
    user = name("u")
    iam.create_user(UserName=user)
    groups = [name("g") for _ in range(3)]
    for g in groups:
        iam.create_group(GroupName=g)
        iam.add_user_to_group(GroupName=g, UserName=user)
    items = check_paging(iam, "list_groups_for_user", "Groups", 3, UserName=user)
    assert sorted(g["GroupName"] for g in items) == sorted(groups)


def test_access_keys_page(iam):
    user = name("u")
    iam.create_user(UserName=user)
    made = [iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"] for _ in range(2)]
    items = check_paging(iam, "list_access_keys", "AccessKeyMetadata", 2, UserName=user)
    assert sorted(k["AccessKeyId"] for k in items) == sorted(made)
    for k in made:
        iam.delete_access_key(UserName=user, AccessKeyId=k)


def test_policy_versions_page(iam):
    arn = iam.create_policy(PolicyName=name("pv"), PolicyDocument=DOC)["Policy"]["Arn"]
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC)
    items = check_paging(iam, "list_policy_versions", "Versions", 4, PolicyArn=arn)
    assert [v["VersionId"] for v in items] == ["v4", "v3", "v2", "v1"]  # newest first


def test_invalid_marker_is_refused_as_authorization_details_refuses_it(iam):
    """The error the fixed operations answer is the one the existing paged operation that
    refuses a Marker answers."""
    with pytest.raises(ClientError) as e:
        iam.get_account_authorization_details(Marker="not-a-marker-of-this-list")
    assert code_of(e.value) == ("ValidationError", 400)
    assert e.value.response["Error"]["Message"] == "Invalid Marker: not-a-marker-of-this-list"


def test_root_access_keys_page(auth_server):
    """ListAccessKeys without a UserName, signed with a root key, pages the root's own keys
    alike. Two root keys of an account of their own, made offline as an operator would
    (`arcana access-key create --account-id`)."""
    account = str(random.randrange(10**11, 10**12))
    keys = []
    for _ in range(2):
        p = subprocess.run([str(ARCANAD.parent / "arcana"), *cli_store_args(auth_server.data_dir),
                            "--root-key-file", str(auth_server.data_dir / "root.key"),
                            "access-key", "create", "--account-id", account],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        keys.append((p.stdout.split("AWS_ACCESS_KEY_ID=")[1].split()[0],
                     p.stdout.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0]))
    root = client(auth_server.endpoint, "iam", akid=keys[0][0], secret=keys[0][1])
    items = check_paging(root, "list_access_keys", "AccessKeyMetadata", 2)
    assert sorted(k["AccessKeyId"] for k in items) == sorted(k for k, _ in keys)


def test_tag_lists_refuse_a_marker_no_page_answered(iam):
    """ListUserTags/ListRoleTags/ListPolicyTags/ListOpenIDConnectProviderTags page by position;
    a Marker that is no position of a tag after the first answered an empty last page
    (IsTruncated false), as if the list had ended there: refused as the lists above refuse
    one. Markers the pages answer still lead through every tag."""
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(3)]
    u, r = name("tu"), name("tr")
    iam.create_user(UserName=u, Tags=tags)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_ACCOUNT, Tags=tags)
    p = iam.create_policy(PolicyName=name("tp"), PolicyDocument=DOC, Tags=tags)["Policy"]["Arn"]
    o = iam.create_open_id_connect_provider(Url=f"https://{name('idp')}.example.com",
                                            ClientIDList=["c"], ThumbprintList=["a" * 40],
                                            Tags=tags)["OpenIDConnectProviderArn"]
    for call, kw in ((iam.list_user_tags, {"UserName": u}), (iam.list_role_tags, {"RoleName": r}),
                     (iam.list_policy_tags, {"PolicyArn": p}),
                     (iam.list_open_id_connect_provider_tags, {"OpenIDConnectProviderArn": o})):
        assert [t for page in walk(call, "Tags", 1, **kw) for t in page] == tags
        for bad in ("not-a-marker-of-this-list", "0", "3", "99"):
            with pytest.raises(ClientError) as e:
                call(Marker=bad, **kw)
            assert code_of(e.value) == ("ValidationError", 400)
            assert e.value.response["Error"]["Message"] == f"Invalid Marker: {bad}"
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=o)
