"""ListSecrets: entry shape, filters, sort order, pagination, IncludePlannedDeletion, SortBy."""

import time

import pytest

from conftest import assert_utc_datetime, raises_code


def names_of(resp):
    return [s["Name"] for s in resp["SecretList"]]


def list_all(c, **kw):
    out, pages, token = [], 0, None
    while True:
        args = dict(kw)
        if token:
            args["NextToken"] = token
        r = c.list_secrets(**args)
        out += r["SecretList"]
        pages += 1
        assert pages < 100, "pagination does not terminate"
        token = r.get("NextToken")
        if not token:
            return out, pages


def pfx_filter(uniq):
    return {"Key": "name", "Values": [uniq.prefix]}


@pytest.fixture
def catalog(sm, uniq):
    """Five secrets under a unique prefix, with descriptions and tags to filter on."""
    c = sm()
    specs = [
        ("prod/db", "Primary database credentials", [("env", "production"), ("team", "payments")]),
        ("prod/api-key", "Third party API key", [("env", "production"), ("Owner", "alice")]),
        ("staging/db", "Staging database credentials", [("env", "staging"), ("team", "payments")]),
        ("Prod/legacy", "legacy CREDS for mainframe", [("environment", "prod")]),
        ("dev/cache", "cache token", []),
    ]
    for n, desc, tags in specs:
        c.create_secret(Name=uniq(n), SecretString="v", Description=desc,
                        Tags=[{"Key": k, "Value": v} for k, v in tags])
    return c


def test_list_entry_shape(sm, uniq):
    c = sm()
    name = uniq("shape")
    cr = c.create_secret(Name=name, SecretString="v", Description="d",
                         Tags=[{"Key": "k", "Value": "v"}])
    c.get_secret_value(SecretId=name)
    (e,) = c.list_secrets(Filters=[pfx_filter(uniq)])["SecretList"]
    assert e["ARN"] == cr["ARN"]
    assert e["Name"] == name
    assert e["Description"] == "d"
    assert e["Tags"] == [{"Key": "k", "Value": "v"}]
    assert e["SecretVersionsToStages"] == {cr["VersionId"]: ["AWSCURRENT"]}
    assert "VersionIdsToStages" not in e
    assert "ReplicationStatus" not in e
    assert_utc_datetime(e["CreatedDate"])
    assert_utc_datetime(e["LastChangedDate"])
    assert_utc_datetime(e["LastAccessedDate"])
    assert "DeletedDate" not in e


def test_list_all_after_reset(sm, uniq):
    c = sm()
    assert c.list_secrets()["SecretList"] == []  # the fixture reset the server
    made = {uniq(f"s{i}") for i in range(3)}
    for n in made:
        c.create_secret(Name=n, SecretString="v")
    got, _ = list_all(c)
    assert {s["Name"] for s in got} == made


def test_filter_name_prefix_case_sensitive(catalog, uniq):
    r = catalog.list_secrets(Filters=[{"Key": "name", "Values": [uniq("prod/")]}])
    assert sorted(names_of(r)) == sorted([uniq("prod/db"), uniq("prod/api-key")])
    r = catalog.list_secrets(Filters=[{"Key": "name", "Values": [uniq("Prod")]}])
    assert names_of(r) == [uniq("Prod/legacy")]
    # prefix, not substring
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "name", "Values": ["db"]}])
    assert names_of(r) == []


def test_filter_values_are_ored(catalog, uniq):
    r = catalog.list_secrets(Filters=[{"Key": "name", "Values": [uniq("staging"), uniq("dev")]}])
    assert sorted(names_of(r)) == sorted([uniq("staging/db"), uniq("dev/cache")])


def test_filters_are_anded(catalog, uniq):
    r = catalog.list_secrets(Filters=[
        pfx_filter(uniq),
        {"Key": "tag-key", "Values": ["team"]},
        {"Key": "tag-value", "Values": ["staging"]},
    ])
    assert names_of(r) == [uniq("staging/db")]


def test_filter_description_case_insensitive(catalog, uniq):
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "description", "Values": ["primary"]}])
    assert names_of(r) == [uniq("prod/db")]
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "description", "Values": ["LEGACY"]}])
    assert names_of(r) == [uniq("Prod/legacy")]


def test_filter_tag_key_prefix_case_sensitive(catalog, uniq):
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "tag-key", "Values": ["env"]}])
    # prefix: "env" matches "env" and "environment"
    assert sorted(names_of(r)) == sorted(
        [uniq("prod/db"), uniq("prod/api-key"), uniq("staging/db"), uniq("Prod/legacy")])
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "tag-key", "Values": ["owner"]}])
    assert names_of(r) == []
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "tag-key", "Values": ["Own"]}])
    assert names_of(r) == [uniq("prod/api-key")]


def test_filter_tag_value_prefix(catalog, uniq):
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "tag-value", "Values": ["prod"]}])
    assert sorted(names_of(r)) == sorted([uniq("prod/db"), uniq("prod/api-key"), uniq("Prod/legacy")])
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "tag-value", "Values": ["Prod"]}])
    assert names_of(r) == []


def test_filter_all(catalog, uniq):
    # "all" searches name, description, tag keys and tag values, case-insensitively
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "all", "Values": ["mainframe"]}])
    assert names_of(r) == [uniq("Prod/legacy")]
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "all", "Values": ["ALICE"]}])
    assert names_of(r) == [uniq("prod/api-key")]
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "all", "Values": ["payments"]}])
    assert sorted(names_of(r)) == sorted([uniq("prod/db"), uniq("staging/db")])
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "all", "Values": ["cache"]}])
    assert names_of(r) == [uniq("dev/cache")]


def test_filter_negation(catalog, uniq):
    r = catalog.list_secrets(Filters=[pfx_filter(uniq), {"Key": "name", "Values": ["!" + uniq("prod")]}])
    assert sorted(names_of(r)) == sorted(
        [uniq("staging/db"), uniq("Prod/legacy"), uniq("dev/cache")])
    r = catalog.list_secrets(Filters=[pfx_filter(uniq),
                                      {"Key": "description", "Values": ["!staging"]}])
    assert sorted(names_of(r)) == sorted(
        [uniq("prod/db"), uniq("prod/api-key"), uniq("Prod/legacy"), uniq("dev/cache")])


def test_filter_invalid_key_rejected(sm):
    with raises_code("ValidationException"):
        sm().list_secrets(Filters=[{"Key": "colour", "Values": ["x"]}])


def test_sort_order_by_created_date(sm, uniq):
    c = sm()
    made = []
    for i in range(3):
        n = uniq(f"sorted{i}")
        c.create_secret(Name=n, SecretString="v")
        made.append(n)
        time.sleep(1.05)  # distinct creation seconds
    asc = names_of(c.list_secrets(Filters=[pfx_filter(uniq)], SortOrder="asc"))
    desc = names_of(c.list_secrets(Filters=[pfx_filter(uniq)], SortOrder="desc"))
    assert asc == made
    assert desc == list(reversed(made))


def test_sort_by_name_new_member(raw, sm, uniq):
    # SortBy is newer than Debian's botocore: send it raw
    c = sm()
    for n in ["b", "c", "a"]:
        c.create_secret(Name=uniq(n), SecretString="v")
    body = {"Filters": [pfx_filter(uniq)], "SortBy": "name", "SortOrder": "asc"}
    r = raw("ListSecrets", body)
    assert r.status_code == 200, r.text
    assert [s["Name"] for s in r.json()["SecretList"]] == [uniq("a"), uniq("b"), uniq("c")]
    r = raw("ListSecrets", dict(body, SortOrder="desc"))
    assert [s["Name"] for s in r.json()["SecretList"]] == [uniq("c"), uniq("b"), uniq("a")]


def test_pagination_max_results_and_next_token(sm, uniq):
    c = sm()
    made = {uniq(f"page{i:02d}") for i in range(7)}
    for n in sorted(made):
        c.create_secret(Name=n, SecretString="v")
    seen, pages = [], 0
    token = None
    while True:
        kw = {"Filters": [pfx_filter(uniq)], "MaxResults": 3}
        if token:
            kw["NextToken"] = token
        r = c.list_secrets(**kw)
        assert len(r["SecretList"]) <= 3
        seen += names_of(r)
        pages += 1
        assert pages < 20
        token = r.get("NextToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) == 7, seen
    assert set(seen) == made
    assert pages >= 3


def test_pagination_without_filters(sm, uniq):
    c = sm()
    made = {uniq(f"p{i}") for i in range(5)}
    for n in made:
        c.create_secret(Name=n, SecretString="v")
    got, pages = list_all(c, MaxResults=2)
    assert len(got) == 5 and {s["Name"] for s in got} == made
    assert pages >= 3


def test_boto3_paginator(sm, uniq):
    c = sm()
    made = {uniq(f"p{i}") for i in range(5)}
    for n in made:
        c.create_secret(Name=n, SecretString="v")
    pg = c.get_paginator("list_secrets")
    seen = []
    for page in pg.paginate(Filters=[pfx_filter(uniq)], PaginationConfig={"PageSize": 2}):
        seen += names_of(page)
    assert sorted(seen) == sorted(made)


def test_tampered_next_token_rejected(sm, uniq):
    c = sm()
    for i in range(4):
        c.create_secret(Name=uniq(f"t{i}"), SecretString="v")
    r = c.list_secrets(MaxResults=2)
    tok = r.get("NextToken")
    assert tok, f"4 secrets, MaxResults=2: a NextToken must come back: {r}"
    flipped = tok[:-2] + ("A" if tok[-2] != "A" else "B") + tok[-1]
    with raises_code("InvalidNextTokenException"):
        c.list_secrets(MaxResults=2, NextToken=flipped)
    with raises_code("InvalidNextTokenException"):
        c.list_secrets(MaxResults=2, NextToken="bm90LWEtcmVhbC10b2tlbg==")
    with raises_code("InvalidNextTokenException"):
        c.list_secrets(MaxResults=2, NextToken=tok + "x")


def test_max_results_over_100_rejected(raw):
    r = raw("ListSecrets", {"MaxResults": 101})
    assert r.status_code == 400, r.text


def test_include_planned_deletion(raw, sm, uniq):
    # IncludePlannedDeletion is newer than Debian's botocore: send it raw
    c = sm()
    live, gone = uniq("live"), uniq("gone")
    c.create_secret(Name=live, SecretString="v")
    c.create_secret(Name=gone, SecretString="v")
    c.delete_secret(SecretId=gone, RecoveryWindowInDays=7)
    body = {"Filters": [pfx_filter(uniq)]}
    r = raw("ListSecrets", body)
    assert r.status_code == 200, r.text
    assert [s["Name"] for s in r.json()["SecretList"]] == [live]
    r = raw("ListSecrets", dict(body, IncludePlannedDeletion=True))
    assert r.status_code == 200, r.text
    entries = {s["Name"]: s for s in r.json()["SecretList"]}
    assert set(entries) == {live, gone}
    assert isinstance(entries[gone]["DeletedDate"], (int, float))
    assert "DeletedDate" not in entries[live]
    r = raw("ListSecrets", dict(body, IncludePlannedDeletion=False))
    assert [s["Name"] for s in r.json()["SecretList"]] == [live]


def test_filter_value_bad_characters_rejected(sm):
    with raises_code("ValidationException"):
        sm().list_secrets(Filters=[{"Key": "name", "Values": ["bad#value"]}])


def test_too_many_filter_values_rejected(sm):
    with raises_code("ValidationException"):
        sm().list_secrets(Filters=[{"Key": "name", "Values": [f"v{i}" for i in range(11)]}])


def test_too_many_filters_rejected(sm):
    with raises_code("ValidationException"):
        sm().list_secrets(Filters=[{"Key": "name", "Values": [f"v{i}"]} for i in range(11)])
