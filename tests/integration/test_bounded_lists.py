"""Lists read the store a bounded page at a time (issue 9): walking more items than one store
page returns every match exactly once, in order; with filters the store cannot apply, a call
reads a bounded number of rows and may answer fewer than MaxResults items with a NextToken
(as AWS documents), never the whole account at once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from conftest import raises_code
from kms_fixtures import kms  # noqa: F401
from ssm_helpers import ssm  # noqa: F401

# More than one store page of the scans a filtered call makes (10 rows per result asked for,
# at least 100, at most 1000).
BULK = 230
NEEDLES = (5, 120, 225)


def walk(fn, key, token_in="NextToken", token_out="NextToken", **kw):
    pages, token = [], None
    while True:
        r = fn(**kw, **({token_in: token} if token else {}))
        pages.append(r)
        assert len(pages) < 200, "pagination does not terminate"
        token = r.get(token_out)
        if not token:
            return [item for p in pages for item in p[key]], pages


def parallel(fn, items):
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fn, items))


def test_list_secrets_sparse_filter_pages_through_the_whole_account(sm):
    c = sm()
    prefix = "bulk" + uuid.uuid4().hex[:6]
    names = [f"{prefix}/s{i:03d}" for i in range(BULK)]

    def make(i):  # noqa: E306
        c.create_secret(Name=names[i], SecretString="v",
                        Description="needle" if i in NEEDLES else "hay")

    parallel(make, range(BULK))
    got, pages = walk(c.list_secrets, "SecretList", MaxResults=2,
                      Filters=[{"Key": "description", "Values": ["needle"]}])
    assert sorted(s["Name"] for s in got) == [names[i] for i in NEEDLES]
    # Rows are scanned a bounded number at a time: some page holds fewer than MaxResults
    # results and still carries a NextToken.
    assert any(len(p["SecretList"]) < 2 and p.get("NextToken") for p in pages), pages
    # Without filters every page is full until the last.
    got, pages = walk(c.list_secrets, "SecretList", MaxResults=100)
    assert len(got) == BULK and sorted(s["Name"] for s in got) == names  # each exactly once
    assert [len(p["SecretList"]) for p in pages] == [100, 100, 30]


def test_list_secrets_sorted_pages_continue_in_order(raw, sm):
    c = sm()
    prefix = "srt" + uuid.uuid4().hex[:6]
    names = [f"{prefix}/{i:03d}" for i in range(BULK)]
    parallel(lambda n: c.create_secret(Name=n, SecretString="v"), names)
    for order, expected in (("asc", names), ("desc", list(reversed(names)))):
        seen, token = [], None
        while True:
            body = {"SortBy": "name", "SortOrder": order, "MaxResults": 7,
                    "Filters": [{"Key": "name", "Values": [prefix]}]}
            if token:
                body["NextToken"] = token
            r = raw("ListSecrets", body)
            assert r.status_code == 200, r.text
            seen += [s["Name"] for s in r.json()["SecretList"]]
            token = r.json().get("NextToken")
            if not token:
                break
        assert seen == expected
    # A token continues only the sort it came from.
    r = raw("ListSecrets", {"SortBy": "name", "MaxResults": 2})
    tok = r.json()["NextToken"]
    r = raw("ListSecrets", {"SortBy": "created-date", "MaxResults": 2, "NextToken": tok})
    assert r.status_code == 400 and "InvalidNextToken" in r.text


def test_batch_get_secret_value_sparse_filter_pages(raw, sm):
    # BatchGetSecretValue is newer than Debian's botocore: send it raw
    c = sm()
    prefix = "bg" + uuid.uuid4().hex[:6]
    parallel(lambda i: c.create_secret(Name=f"{prefix}/s{i:03d}", SecretString=f"value-{i}",
                                       Description="needle" if i in NEEDLES else "hay"),
             range(BULK))

    def call(**body):
        r = raw("BatchGetSecretValue", body)
        assert r.status_code == 200, r.text
        return r.json()

    got, pages = walk(call, "SecretValues", MaxResults=2,
                      Filters=[{"Key": "description", "Values": ["needle"]}])
    assert sorted(v["SecretString"] for v in got) == sorted(f"value-{i}" for i in NEEDLES)
    assert all(p["Errors"] == [] for p in pages)
    assert any(len(p["SecretValues"]) < 2 and p.get("NextToken") for p in pages)


def test_describe_parameters_sparse_filter_pages(ssm):
    c = ssm()
    base = "/bulk" + uuid.uuid4().hex[:6]
    names = [f"{base}/p{i:03d}" for i in range(BULK)]
    parallel(lambda i: c.put_parameter(Name=names[i], Value="v",
                                       Type="SecureString" if i in NEEDLES else "String"),
             range(BULK))
    got, pages = walk(c.describe_parameters, "Parameters", MaxResults=2,
                      ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
    assert [p["Name"] for p in got] == [names[i] for i in NEEDLES]
    assert any(len(p["Parameters"]) < 2 and p.get("NextToken") for p in pages)
    got, _ = walk(c.describe_parameters, "Parameters", MaxResults=50)
    assert [p["Name"] for p in got] == sorted(names)


def test_get_parameters_by_path_one_level_skips_a_deep_subtree_in_bounded_pages(ssm):
    c = ssm()
    base = "/lvl" + uuid.uuid4().hex[:6]
    # The direct children sort after a large subtree the one-level walk must pass over.
    deep = [f"{base}/a/deep{i:03d}" for i in range(BULK)]
    top = [f"{base}/b{i}" for i in range(3)]
    parallel(lambda n: c.put_parameter(Name=n, Value="v", Type="String"), deep + top)
    got, pages = walk(c.get_parameters_by_path, "Parameters", Path=base, MaxResults=2)
    assert [p["Name"] for p in got] == top
    assert len(pages) >= 3  # 230 rows passed over at most 100 per call, then 3 results
    got, _ = walk(c.get_parameters_by_path, "Parameters", Path=base, Recursive=True,
                  MaxResults=10)
    assert sorted(p["Name"] for p in got) == sorted(deep + top)


def test_list_aliases_pages_merge_the_predefined_aws_aliases(kms):
    c = kms()
    key = c.create_key()["KeyMetadata"]["KeyId"]
    other = c.create_key()["KeyMetadata"]["KeyId"]
    mine = [f"alias/b{uuid.uuid4().hex[:4]}-{i:02d}" for i in range(30)]
    for a in mine:
        c.create_alias(AliasName=a, TargetKeyId=key)
    c.create_alias(AliasName="alias/zz-other", TargetKeyId=other)
    got, pages = walk(c.list_aliases, "Aliases", token_in="Marker", token_out="NextMarker",
                      Limit=7)
    names = [a["AliasName"] for a in got]
    expected = sorted(mine + ["alias/zz-other", "alias/aws/secretsmanager", "alias/aws/ssm"])
    assert names == expected
    assert all(p["Truncated"] == bool(p.get("NextMarker")) for p in pages)
    got, _ = walk(c.list_aliases, "Aliases", token_in="Marker", token_out="NextMarker",
                  KeyId=key, Limit=4)
    assert sorted(a["AliasName"] for a in got) == sorted(mine)
    with raises_code("InvalidMarkerException"):
        c.list_aliases(Marker="not-a-marker")


def test_list_keys_and_grants_page_through_the_store(kms):
    c = kms()
    keys = [c.create_key()["KeyMetadata"]["KeyId"] for _ in range(25)]
    got, pages = walk(c.list_keys, "Keys", token_in="Marker", token_out="NextMarker", Limit=10)
    assert sorted(k["KeyId"] for k in got) == sorted(keys)
    assert len(got) == len({k["KeyId"] for k in got})
    assert len(pages) == 3
    grants = [c.create_grant(KeyId=keys[0], GranteePrincipal=f"arn:aws:iam::123456789012:role/r{i}",
                             Operations=["Decrypt"])["GrantId"] for i in range(12)]
    got, _ = walk(c.list_grants, "Grants", token_in="Marker", token_out="NextMarker",
                  KeyId=keys[0], Limit=5)
    assert sorted(g["GrantId"] for g in got) == sorted(grants)
    only = c.list_grants(KeyId=keys[0], GranteePrincipal="arn:aws:iam::123456789012:role/r3")
    assert [g["GrantId"] for g in only["Grants"]] == [grants[3]]
