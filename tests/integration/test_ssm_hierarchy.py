"""SSM Parameter Store: GetParametersByPath and DescribeParameters walks with pagination and
filters, GetParameterHistory, LabelParameterVersion / UnlabelParameterVersion, the 100-version
window."""

import uuid

from conftest import raises_code
from ssm_helpers import ssm  # noqa: F401


def tree(c, base):
    names = [f"{base}/a", f"{base}/b", f"{base}/sub/c", f"{base}/sub/d", f"{base}/sub/deep/e"]
    for i, n in enumerate(names):
        c.put_parameter(Name=n, Value=f"v{i}", Type="SecureString" if n.endswith("d") else "String")
    for i in range(12):
        c.put_parameter(Name=f"{base}/many/p{i:02d}", Value=str(i), Type="String")
    return names


def walk(fn, key="Parameters", **kw):
    out, token, pages = [], None, 0
    while True:
        r = fn(**kw, **({"NextToken": token} if token else {}))
        out += r[key]
        pages += 1
        token = r.get("NextToken")
        if not token:
            return out, pages


def test_by_path_one_level_and_recursive(ssm):
    c = ssm()
    base = "/h" + uuid.uuid4().hex[:6]
    tree(c, base)
    one = c.get_parameters_by_path(Path=base)["Parameters"]
    assert sorted(p["Name"] for p in one) == [f"{base}/a", f"{base}/b"]
    one_slash = c.get_parameters_by_path(Path=base + "/")["Parameters"]
    assert [p["Name"] for p in one_slash] == [p["Name"] for p in one]
    rec, pages = walk(c.get_parameters_by_path, Path=base, Recursive=True, MaxResults=4)
    assert len(rec) == 17 and pages == 5
    assert len({p["Name"] for p in rec}) == 17
    sub = c.get_parameters_by_path(Path=base + "/sub", Recursive=True, WithDecryption=True)["Parameters"]
    assert {p["Name"]: p["Value"] for p in sub} == {
        f"{base}/sub/c": "v2", f"{base}/sub/d": "v3", f"{base}/sub/deep/e": "v4"}
    enc = c.get_parameters_by_path(Path=base + "/sub")["Parameters"]
    assert {p["Name"]: p["Value"] == "v3" for p in enc}[f"{base}/sub/d"] is False
    # the path itself is not returned
    assert c.get_parameters_by_path(Path=f"{base}/a")["Parameters"] == []


def test_by_path_paginator_and_filters(ssm):
    c = ssm()
    base = "/h" + uuid.uuid4().hex[:6]
    tree(c, base)
    pages = list(c.get_paginator("get_parameters_by_path").paginate(
        Path=base + "/many", PaginationConfig={"PageSize": 5}))
    assert [len(p["Parameters"]) for p in pages] == [5, 5, 2]
    r = c.get_parameters_by_path(Path=base, Recursive=True,
                                 ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
    assert [p["Name"] for p in r["Parameters"]] == [f"{base}/sub/d"]
    r = c.get_parameters_by_path(Path=base, Recursive=True,
                                 ParameterFilters=[{"Key": "KeyId", "Values": ["alias/aws/ssm"]}])
    assert [p["Name"] for p in r["Parameters"]] == [f"{base}/sub/d"]
    c.put_parameter(Name=f"{base}/a", Value="a2", Type="String", Overwrite=True)
    c.label_parameter_version(Name=f"{base}/a", ParameterVersion=1, Labels=["stable"])
    r = c.get_parameters_by_path(Path=base, ParameterFilters=[{"Key": "Label", "Values": ["stable"]}])
    assert [(p["Name"], p["Version"], p["Value"]) for p in r["Parameters"]] == [(f"{base}/a", 1, "v0")]
    with raises_code("InvalidFilterKey"):
        c.get_parameters_by_path(Path=base, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    with raises_code("InvalidFilterOption"):
        c.get_parameters_by_path(Path=base, ParameterFilters=[{"Key": "Label", "Option": "BeginsWith", "Values": ["x"]}])
    with raises_code("InvalidFilterValue"):
        c.get_parameters_by_path(Path=base, ParameterFilters=[{"Key": "Type", "Values": ["Nope"]}])
    with raises_code("ValidationException"):
        c.get_parameters_by_path(Path="no-slash")
    with raises_code("ValidationException"):
        c.get_parameters_by_path(Path=base, MaxResults=11)


def test_next_token_is_opaque_and_checked(ssm):
    c = ssm()
    base = "/h" + uuid.uuid4().hex[:6]
    tree(c, base)
    tok = c.get_parameters_by_path(Path=base, Recursive=True, MaxResults=2)["NextToken"]
    # One character changed, the first: a token's last characters may carry padding bits
    # only, and a replacement equal to the original would change nothing (this test once
    # "tampered" with a token that already ended in the replacement's bits).
    tampered = ("B" if tok[0] != "B" else "C") + tok[1:]
    with raises_code("InvalidNextToken"):
        c.get_parameters_by_path(Path=base, Recursive=True, MaxResults=2, NextToken=tampered)
    with raises_code("InvalidNextToken"):  # minted for another path
        c.get_parameters_by_path(Path=base + "/sub", Recursive=True, NextToken=tok)
    with raises_code("InvalidNextToken"):
        c.describe_parameters(NextToken=tok)


def test_describe_parameters_filters_and_paging(ssm):
    c = ssm()
    base = "/h" + uuid.uuid4().hex[:6]
    names = tree(c, base)
    c.put_parameter(Name=base + "/adv", Value="x", Type="String", Tier="Advanced",
                    Tags=[{"Key": "env", "Value": "prod"}])
    c.put_parameter(Name=base + "/ami", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    allp, pages = walk(c.describe_parameters, MaxResults=7)
    assert len(allp) == 19 and pages == 3
    assert all("Value" not in p for p in allp)
    d = lambda f: sorted(p["Name"] for p in c.describe_parameters(
        ParameterFilters=f, MaxResults=50)["Parameters"])
    assert d([{"Key": "Path", "Values": [base]}]) == sorted([f"{base}/a", f"{base}/b", f"{base}/adv", f"{base}/ami"])
    assert len(d([{"Key": "Path", "Option": "Recursive", "Values": [base]}])) == 19
    assert d([{"Key": "Name", "Option": "BeginsWith", "Values": [base + "/sub"]}]) == sorted(names[2:])
    assert d([{"Key": "Name", "Option": "Contains", "Values": ["deep"]}]) == [f"{base}/sub/deep/e"]
    assert d([{"Key": "Name", "Values": [f"{base}/b"]}]) == [f"{base}/b"]
    assert d([{"Key": "Type", "Values": ["SecureString"]}]) == [f"{base}/sub/d"]
    assert d([{"Key": "KeyId", "Values": ["alias/aws/ssm"]}]) == [f"{base}/sub/d"]
    assert d([{"Key": "Tier", "Values": ["Advanced"]}]) == [f"{base}/adv"]
    assert d([{"Key": "DataType", "Values": ["aws:ec2:image"]}]) == [f"{base}/ami"]
    assert d([{"Key": "tag:env", "Values": ["prod"]}]) == [f"{base}/adv"]
    assert d([{"Key": "tag:env"}]) == [f"{base}/adv"]
    legacy = c.describe_parameters(Filters=[{"Key": "Name", "Values": [base + "/sub/"]}],
                                   MaxResults=50)["Parameters"]
    assert sorted(p["Name"] for p in legacy) == sorted(names[2:])
    with raises_code("InvalidFilterKey"):
        c.describe_parameters(ParameterFilters=[{"Key": "Label", "Values": ["x"]}])
    with raises_code("InvalidFilterOption"):
        c.describe_parameters(ParameterFilters=[{"Key": "Type", "Option": "Contains", "Values": ["String"]}])
    with raises_code("ValidationException"):
        c.describe_parameters(ParameterFilters=[{"Key": "Bogus", "Values": ["x"]}])
    with raises_code("ValidationException"):
        c.describe_parameters(Filters=[{"Key": "Name", "Values": ["x"]}],
                              ParameterFilters=[{"Key": "Type", "Values": ["String"]}])
    pages = list(c.get_paginator("describe_parameters").paginate(PaginationConfig={"PageSize": 10}))
    assert sum(len(p["Parameters"]) for p in pages) == 19


def test_history_and_labels(ssm):
    c = ssm()
    n = "/h" + uuid.uuid4().hex[:6] + "/hist"
    c.put_parameter(Name=n, Value="s1", Type="SecureString", Description="first")
    for i in range(2, 6):
        c.put_parameter(Name=n, Value=f"s{i}", Overwrite=True)
    r = c.label_parameter_version(Name=n, ParameterVersion=2, Labels=["prod", "1bad", "awsx"])
    assert r["ParameterVersion"] == 2 and sorted(r["InvalidLabels"]) == ["1bad", "awsx"]
    assert c.label_parameter_version(Name=n, Labels=["latest"])["ParameterVersion"] == 5
    hist, pages = walk(c.get_parameter_history, Name=n, WithDecryption=True, MaxResults=2)
    assert pages == 3
    assert [h["Version"] for h in hist] == [1, 2, 3, 4, 5]
    assert [h["Value"] for h in hist] == ["s1", "s2", "s3", "s4", "s5"]
    assert hist[1]["Labels"] == ["prod"] and hist[4]["Labels"] == ["latest"] and hist[0]["Labels"] == []
    assert all(h["Description"] == "first" and h["KeyId"] == "alias/aws/ssm" for h in hist)
    enc = c.get_parameter_history(Name=n)["Parameters"]
    assert all(h["Value"] != f"s{i+1}" for i, h in enumerate(enc))
    # moving a label
    c.label_parameter_version(Name=n, ParameterVersion=4, Labels=["prod"])
    hist = c.get_parameter_history(Name=n)["Parameters"]
    assert hist[1]["Labels"] == [] and hist[3]["Labels"] == ["prod"]
    assert c.get_parameter(Name=n + ":prod", WithDecryption=True)["Parameter"]["Value"] == "s4"
    # unlabel
    r = c.unlabel_parameter_version(Name=n, ParameterVersion=4, Labels=["prod", "nothere"])
    assert r["RemovedLabels"] == ["prod"] and r["InvalidLabels"] == ["nothere"]
    with raises_code("ParameterVersionNotFound"):
        c.unlabel_parameter_version(Name=n, ParameterVersion=99, Labels=["x"])
    # limits and errors
    c.label_parameter_version(Name=n, ParameterVersion=3, Labels=[f"l{i}" for i in range(10)])
    with raises_code("ParameterVersionLabelLimitExceeded"):
        c.label_parameter_version(Name=n, ParameterVersion=3, Labels=["eleven"])
    with raises_code("ParameterVersionNotFound"):
        c.label_parameter_version(Name=n, ParameterVersion=42, Labels=["x"])
    with raises_code("ParameterNotFound"):
        c.label_parameter_version(Name=n + "nope", Labels=["x"])
    with raises_code("ParameterNotFound"):
        c.get_parameter_history(Name=n + "nope")


def test_hundred_version_window(ssm):
    c = ssm()
    n = "/h" + uuid.uuid4().hex[:6] + "/many"
    c.put_parameter(Name=n, Value="v1", Type="String")
    for i in range(2, 101):
        c.put_parameter(Name=n, Value=f"v{i}", Overwrite=True)
    assert c.put_parameter(Name=n, Value="v101", Overwrite=True)["Version"] == 101
    hist, _ = walk(c.get_parameter_history, Name=n)
    assert len(hist) == 100 and hist[0]["Version"] == 2 and hist[-1]["Version"] == 101
    with raises_code("ParameterVersionNotFound"):
        c.get_parameter(Name=n + ":1")
    c.label_parameter_version(Name=n, ParameterVersion=2, Labels=["pinned"])
    with raises_code("ParameterMaxVersionLimitExceeded"):
        c.put_parameter(Name=n, Value="v102", Overwrite=True)
    assert c.get_parameter(Name=n)["Parameter"]["Version"] == 101
    c.unlabel_parameter_version(Name=n, ParameterVersion=2, Labels=["pinned"])
    assert c.put_parameter(Name=n, Value="v102", Overwrite=True)["Version"] == 102
