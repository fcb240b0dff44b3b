"""PutSecretValue, UpdateSecret, UpdateSecretVersionStage, ListSecretVersionIds: versions and labels."""

import time

from conftest import assert_arn, assert_utc_datetime, raises_code, token


def stages(c, name):
    return c.describe_secret(SecretId=name).get("VersionIdsToStages", {})


def norm(m):
    return {k: sorted(v) for k, v in m.items()}


# --------------------------------------------------------------------------- PutSecretValue

def test_put_secret_value_shape_and_label_moves(sm, uniq):
    c = sm()
    name = uniq()
    arn = c.create_secret(Name=name, SecretString="one")["ARN"]
    v1 = stages(c, name)
    (v1,) = v1.keys()
    t2 = token()
    p = c.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t2)
    assert p["ARN"] == arn
    assert p["Name"] == name
    assert p["VersionId"] == t2
    assert p["VersionStages"] == ["AWSCURRENT"]
    assert norm(stages(c, name)) == {v1: ["AWSPREVIOUS"], t2: ["AWSCURRENT"]}

    t3 = token()
    c.put_secret_value(SecretId=arn, SecretString="three", ClientRequestToken=t3)
    # v1 lost its last label: deprecated, hidden from VersionIdsToStages
    assert norm(stages(c, name)) == {t2: ["AWSPREVIOUS"], t3: ["AWSCURRENT"]}
    assert c.get_secret_value(SecretId=name)["SecretString"] == "three"
    assert c.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "two"


def test_put_binary_value(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="text")
    c.put_secret_value(SecretId=name, SecretBinary=b"\x00\x01binary\xfe")
    g = c.get_secret_value(SecretId=name)
    assert g["SecretBinary"] == b"\x00\x01binary\xfe"
    assert "SecretString" not in g


def test_put_both_string_and_binary_rejected(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="one")
    with raises_code("InvalidParameterException"):
        c.put_secret_value(SecretId=name, SecretString="a", SecretBinary=b"b")
    assert len(stages(c, name)) == 1


def test_put_idempotent_same_token_same_value(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="one")
    t = token()
    a = c.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t)
    before = stages(c, name)
    b = c.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t)
    assert a["VersionId"] == b["VersionId"] == t
    assert stages(c, name) == before
    ids = [v["VersionId"] for v in c.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]]
    assert len(ids) == 2


def test_put_same_token_different_value_exists(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="one")
    t = token()
    c.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t)
    with raises_code("ResourceExistsException"):
        c.put_secret_value(SecretId=name, SecretString="changed", ClientRequestToken=t)
    assert c.get_secret_value(SecretId=name, VersionId=t)["SecretString"] == "two"


def test_put_unknown_secret_not_found(sm, uniq):
    with raises_code("ResourceNotFoundException"):
        sm().put_secret_value(SecretId=uniq("missing"), SecretString="x")


def test_put_with_custom_stage_does_not_move_awscurrent(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    t2 = token()
    p = c.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t2,
                           VersionStages=["blue"])
    assert p["VersionStages"] == ["blue"]
    assert norm(stages(c, name)) == {v1: ["AWSCURRENT"], t2: ["blue"]}
    assert c.get_secret_value(SecretId=name)["SecretString"] == "one"
    assert c.get_secret_value(SecretId=name, VersionStage="blue")["SecretString"] == "two"

    # a label given in VersionStages is removed from whichever version held it
    t3 = token()
    c.put_secret_value(SecretId=name, SecretString="three", ClientRequestToken=t3,
                       VersionStages=["blue", "green"])
    assert norm(stages(c, name)) == {v1: ["AWSCURRENT"], t3: ["blue", "green"]}


def test_put_awspending_then_read_it(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    t = token()
    c.put_secret_value(SecretId=name, SecretString="pending", ClientRequestToken=t,
                       VersionStages=["AWSPENDING"])
    g = c.get_secret_value(SecretId=name, VersionStage="AWSPENDING")
    assert (g["VersionId"], g["SecretString"]) == (t, "pending")
    assert norm(stages(c, name)) == {v1: ["AWSCURRENT"], t: ["AWSPENDING"]}


def test_put_explicit_awscurrent_moves_awsprevious(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    t = token()
    c.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t,
                       VersionStages=["AWSCURRENT", "extra"])
    assert norm(stages(c, name)) == {v1: ["AWSPREVIOUS"], t: ["AWSCURRENT", "extra"]}


def test_put_keeps_client_token_verbatim(sm, uniq):
    # External Secrets Operator creates 00000000-0000-0000-0000-000000000001 and increments it
    c = sm()
    name = uniq()
    t1 = "00000000-0000-0000-0000-000000000001"
    t2 = "00000000-0000-0000-0000-000000000002"
    assert c.create_secret(Name=name, SecretString="a", ClientRequestToken=t1)["VersionId"] == t1
    assert c.put_secret_value(SecretId=name, SecretString="b", ClientRequestToken=t2)["VersionId"] == t2
    t3 = "A" * 64  # any 32-64 chars
    assert c.put_secret_value(SecretId=name, SecretString="c", ClientRequestToken=t3)["VersionId"] == t3
    assert c.get_secret_value(SecretId=name, VersionId=t1)["SecretString"] == "a"


def test_put_changes_last_changed_date(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="one")
    before = c.describe_secret(SecretId=name)["LastChangedDate"]
    time.sleep(1.1)
    c.put_secret_value(SecretId=name, SecretString="two")
    after = c.describe_secret(SecretId=name)["LastChangedDate"]
    assert after > before


# --------------------------------------------------------------------------- UpdateSecret

def test_update_secret_new_value_moves_labels(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    t = token()
    u = c.update_secret(SecretId=name, SecretString="two", ClientRequestToken=t)
    assert u["Name"] == name
    assert_arn(u["ARN"], name)
    assert u["VersionId"] == t
    assert norm(stages(c, name)) == {v1: ["AWSPREVIOUS"], t: ["AWSCURRENT"]}
    assert c.get_secret_value(SecretId=name)["SecretString"] == "two"


def test_update_secret_binary_value(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="one")
    c.update_secret(SecretId=name, SecretBinary=b"\xde\xad\xbe\xef")
    assert c.get_secret_value(SecretId=name)["SecretBinary"] == b"\xde\xad\xbe\xef"


def test_update_secret_description_only_creates_no_version(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one", Description="old")["VersionId"]
    # boto3 fills ClientRequestToken with a fresh UUID: the server must ignore it here
    u = c.update_secret(SecretId=name, Description="new")
    assert "VersionId" not in u
    d = c.describe_secret(SecretId=name)
    assert d["Description"] == "new"
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    versions = c.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert [v["VersionId"] for v in versions] == [v1]


def test_update_secret_both_values_rejected(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="one")
    with raises_code("InvalidParameterException"):
        c.update_secret(SecretId=name, SecretString="a", SecretBinary=b"b")
    assert c.get_secret_value(SecretId=name)["SecretString"] == "one"


def test_update_secret_reused_token_different_value_exists(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    with raises_code("ResourceExistsException"):
        c.update_secret(SecretId=name, SecretString="different", ClientRequestToken=v1)
    assert c.get_secret_value(SecretId=name)["SecretString"] == "one"


def test_update_secret_unknown_not_found(sm, uniq):
    with raises_code("ResourceNotFoundException"):
        sm().update_secret(SecretId=uniq("missing"), Description="x")


# --------------------------------------------------------------------------- UpdateSecretVersionStage

def three_versions(c, name):
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = c.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    v3 = c.put_secret_value(SecretId=name, SecretString="three")["VersionId"]
    return v1, v2, v3


def test_move_awscurrent_requires_remove_from_version_id(sm, uniq):
    c = sm()
    name = uniq()
    v1, v2, v3 = three_versions(c, name)
    before = stages(c, name)
    with raises_code("InvalidParameterException"):
        c.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v1)
    assert stages(c, name) == before
    # RemoveFromVersionId naming the wrong version is rejected too
    with raises_code("InvalidParameterException"):
        c.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT",
                                      MoveToVersionId=v1, RemoveFromVersionId=v2)
    assert stages(c, name) == before


def test_move_awscurrent_moves_awsprevious(sm, uniq):
    c = sm()
    name = uniq()
    v1, v2, v3 = three_versions(c, name)
    r = c.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT",
                                      MoveToVersionId=v1, RemoveFromVersionId=v3)
    assert r["Name"] == name
    assert_arn(r["ARN"], name)
    assert norm(stages(c, name)) == {v1: ["AWSCURRENT"], v3: ["AWSPREVIOUS"]}
    assert c.get_secret_value(SecretId=name)["SecretString"] == "one"
    # v2 lost AWSPREVIOUS: deprecated, so hidden without IncludeDeprecated
    listed = {v["VersionId"] for v in c.list_secret_version_ids(SecretId=name)["Versions"]}
    assert listed == {v1, v3}


def test_custom_label_add_move_and_detach(sm, uniq):
    c = sm()
    name = uniq()
    v1, v2, v3 = three_versions(c, name)
    c.update_secret_version_stage(SecretId=name, VersionStage="canary", MoveToVersionId=v1)
    assert norm(stages(c, name)) == {v1: ["canary"], v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    assert c.get_secret_value(SecretId=name, VersionStage="canary")["SecretString"] == "one"
    # moving an attached custom label needs RemoveFromVersionId as well
    with raises_code("InvalidParameterException"):
        c.update_secret_version_stage(SecretId=name, VersionStage="canary", MoveToVersionId=v3)
    c.update_secret_version_stage(SecretId=name, VersionStage="canary", MoveToVersionId=v3,
                                  RemoveFromVersionId=v1)
    assert norm(stages(c, name)) == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT", "canary"]}
    # only RemoveFromVersionId: detaches the label
    c.update_secret_version_stage(SecretId=name, VersionStage="canary", RemoveFromVersionId=v3)
    assert norm(stages(c, name)) == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    with raises_code("ResourceNotFoundException"):
        c.get_secret_value(SecretId=name, VersionStage="canary")


def test_version_stage_unknown_version_not_found(sm, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="one")
    # spec 2.3 says RNF for an unknown version id; moto (the spec's [behaviour] source) answers
    # IPE "Not a valid version" for this operation: either is a 400 client error.
    with raises_code("ResourceNotFoundException", "InvalidParameterException"):
        c.update_secret_version_stage(SecretId=name, VersionStage="x", MoveToVersionId=token())
    with raises_code("ResourceNotFoundException"):
        c.update_secret_version_stage(SecretId=uniq("missing"), VersionStage="x",
                                      MoveToVersionId=token())


def test_label_limit_per_secret(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    # AWSCURRENT + 19 custom labels = 20 labels on the secret: allowed
    for i in range(19):
        c.update_secret_version_stage(SecretId=name, VersionStage=f"l{i}", MoveToVersionId=v1)
    assert len(stages(c, name)[v1]) == 20
    with raises_code("LimitExceededException"):
        c.update_secret_version_stage(SecretId=name, VersionStage="one-too-many", MoveToVersionId=v1)
    # The quota counts labels across all versions (AWS: "staging labels attached across all
    # versions of a secret"), not one version's: spread over two versions, 20 is the limit too.
    with raises_code("LimitExceededException"):
        c.put_secret_value(SecretId=name, SecretString="two", VersionStages=["on-another"])
    v2 = c.put_secret_value(SecretId=name, SecretString="two", VersionStages=["l0"])["VersionId"]
    assert stages(c, name)[v2] == ["l0"]  # moving a label adds none
    with raises_code("LimitExceededException"):
        c.update_secret_version_stage(SecretId=name, VersionStage="one-too-many", MoveToVersionId=v2)
    c.update_secret_version_stage(SecretId=name, VersionStage="l1", RemoveFromVersionId=v1)
    c.update_secret_version_stage(SecretId=name, VersionStage="now-fits", MoveToVersionId=v2)


# --------------------------------------------------------------------------- ListSecretVersionIds

def test_list_secret_version_ids_shape_and_deprecated(sm, uniq):
    c = sm()
    name = uniq()
    v1, v2, v3 = three_versions(c, name)
    r = c.list_secret_version_ids(SecretId=name)
    assert r["Name"] == name
    assert_arn(r["ARN"], name)
    assert "NextToken" not in r
    got = {v["VersionId"]: sorted(v["VersionStages"]) for v in r["Versions"]}
    assert got == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    for v in r["Versions"]:
        assert_utc_datetime(v["CreatedDate"])

    r = c.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)
    got = {v["VersionId"]: sorted(v.get("VersionStages", [])) for v in r["Versions"]}
    assert got == {v1: [], v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    # deprecated versions stay readable by VersionId
    assert c.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "one"


def test_list_secret_version_ids_pagination(sm, uniq):
    c = sm()
    name = uniq()
    ids = list(three_versions(c, name))
    for i in range(3):
        ids.append(c.put_secret_value(SecretId=name, SecretString=f"v{i}")["VersionId"])
    seen, pages, kw = [], 0, {}
    while True:
        r = c.list_secret_version_ids(SecretId=name, IncludeDeprecated=True, MaxResults=2, **kw)
        assert len(r["Versions"]) <= 2
        seen += [v["VersionId"] for v in r["Versions"]]
        pages += 1
        assert pages < 20, "pagination does not terminate"
        if "NextToken" not in r:
            break
        kw = {"NextToken": r["NextToken"]}
    assert sorted(seen) == sorted(ids)
    assert pages >= 3


def test_list_secret_version_ids_bad_token(sm, uniq):
    c = sm()
    name = uniq()
    three_versions(c, name)
    with raises_code("InvalidNextTokenException"):
        c.list_secret_version_ids(SecretId=name, NextToken="not-a-token-the-server-issued")


def test_list_secret_version_ids_unknown_secret(sm, uniq):
    with raises_code("ResourceNotFoundException"):
        sm().list_secret_version_ids(SecretId=uniq("missing"))
