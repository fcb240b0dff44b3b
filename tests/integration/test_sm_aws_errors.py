"""Secrets Manager errors and response shapes exactly as AWS sends them (issue 8, "AWS parity").

Sources: recorded AWS responses (botocore-parsed and raw bodies), the API reference and the
user guide ("Find secrets"). Each test pins one difference the server had from AWS.
"""

import re
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import arn_pattern, error_code, raises_code, token

INVALID_NAME_MSG = ("Invalid name. Must be a valid name containing alphanumeric characters, "
                    "or any of the following: -/_+=.@!")
NO_TOKEN_MSG = "You must provide a ClientRequestToken value. We recommend a UUID-type value."


# --------------------------------------------------------------------------- error bodies

# The last two: LocalStack's AWS-recorded test_invalid_secret_name[ Inv Name] and
# [ Inv *?!]Name\\-] (ex_log_1 .. ex_log_10 of its snapshot).
@pytest.mark.parametrize("bad", ["Inv Name", " Inv*Name? ", " Inv Name", " Inv *?!]Name\\-"])
def test_invalid_name_is_validation_exception_everywhere(sm, uniq, bad):
    """A bad name in Name or in a (non-ARN) SecretId: ValidationException, and no top-level
    Message member in the parsed error (ValidationException is not an SM-modelled shape)."""
    c = sm()
    calls = [
        lambda: c.create_secret(Name=bad, SecretString="v"),
        lambda: c.delete_secret(SecretId=bad, ForceDeleteWithoutRecovery=True),
        lambda: c.describe_secret(SecretId=bad),
        lambda: c.get_secret_value(SecretId=bad),
        lambda: c.list_secret_version_ids(SecretId=bad, IncludeDeprecated=True),
        lambda: c.put_secret_value(SecretId=bad, SecretString="v"),
        lambda: c.tag_resource(SecretId=bad, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: c.untag_resource(SecretId=bad, TagKeys=["k"]),
        lambda: c.update_secret(SecretId=bad, Description="d"),
        lambda: c.validate_resource_policy(SecretId=bad, ResourcePolicy="{}"),
    ]
    for i, call in enumerate(calls):
        with pytest.raises(ClientError) as ei:
            call()
        r = ei.value.response
        assert r["Error"]["Code"] == "ValidationException", (i, r)
        assert r["Error"]["Message"] == INVALID_NAME_MSG, (i, r)
        assert "Message" not in r, (i, r)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert c.list_secrets()["SecretList"] == []


def test_error_body_members_as_aws_sends_them(sm, raw, uniq):
    """SM-modelled exceptions: {"__type", "Message"}; ValidationException: {"__type", "message"}."""
    sm()
    r = raw("GetSecretValue", {"SecretId": uniq("missing")})
    assert r.status_code == 400
    assert r.json() == {"__type": "ResourceNotFoundException",
                        "Message": "Secrets Manager can't find the specified secret."}
    r = raw("DescribeSecret", {"SecretId": "Inv Name"})
    assert r.status_code == 400
    assert r.json() == {"__type": "ValidationException", "message": INVALID_NAME_MSG}


# --------------------------------------------------------------------------- model constraints

# A request the model refuses is the Coral framework's ValidationException, as every AWS JSON
# service answers it (not an SM-modelled error: SDKs show it as the generic service error).
# Sources: aws-sdk-js-v3#1215 (com.amazon.AWSMimirService#ValidationException from
# GetSecretValue) and aws-sdk-kotlin#1469 (its message); a list of strings quoted whole,
# jenkinsci/aws-secrets-manager-credentials-provider-plugin#235; the filter keys in AWS's own
# order, moto's test_with_invalid_filter_key (recorded before primary-region and
# owning-service existed: those two follow).
FILTER_KEYS = "[all, name, tag-key, description, tag-value, primary-region, owning-service]"


@pytest.mark.parametrize("op,body,message", [
    ("GetSecretValue", {},
     "Value null at 'secretId' failed to satisfy constraint: Member must not be null"),
    ("GetRandomPassword", {"PasswordLength": 5000},
     "Value '5000' at 'passwordLength' failed to satisfy constraint: Member must have value "
     "less than or equal to 4096"),
    ("GetRandomPassword", {"PasswordLength": 0},
     "Value '0' at 'passwordLength' failed to satisfy constraint: Member must have value "
     "greater than or equal to 1"),
    ("ListSecrets", {"Filters": [{"Key": "invalid", "Values": ["foo"]}]},
     "Value 'invalid' at 'filters.1.member.key' failed to satisfy constraint: Member must "
     "satisfy enum value set: " + FILTER_KEYS),
    ("ListSecrets", {"Filters": [{"Key": "name", "Values": [f"s{i}" for i in range(11)]}]},
     "Value '[s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10]' at 'filters.1.member.values' "
     "failed to satisfy constraint: Member must have length less than or equal to 10"),
    ("ListSecrets", {"Filters": [{"Key": "name", "Values": ["ok", "bad#value"]}]},
     "Value '[ok, bad#value]' at 'filters.1.member.values' failed to satisfy constraint: "
     "Member must satisfy constraint: [Member must have length less than or equal to 512, "
     "Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$]"),
    ("BatchGetSecretValue", {"SecretIdList": [f"s{i}" for i in range(21)]},
     "Value '[" + ", ".join(f"s{i}" for i in range(21)) + "]' at 'secretIdList' failed to "
     "satisfy constraint: Member must have length less than or equal to 20"),
    ("CreateSecret", {"Name": "n" * 513},
     "Value '" + "n" * 513 + "' at 'name' failed to satisfy constraint: Member must have "
     "length less than or equal to 512"),
])
def test_model_constraint_violation_is_validation_exception(sm, raw, op, body, message):
    sm()
    r = raw(op, body)
    assert r.status_code == 400, r.text
    assert r.json() == {"__type": "ValidationException",
                        "message": "1 validation error detected: " + message}


# --------------------------------------------------------------------------- ClientRequestToken

@pytest.mark.parametrize("op,code", [
    ("CreateSecret", "InvalidRequestException"),
    ("UpdateSecret", "InvalidRequestException"),
    ("PutSecretValue", "InvalidRequestException"),
    ("RotateSecret", "InvalidParameterException"),
])
def test_raw_request_without_token_refused_before_lookup(sm, raw, uniq, op, code):
    """A raw request (no SDK to fill the token) that would create a version must carry
    ClientRequestToken; AWS refuses it before looking the secret up (the secret does not
    exist here, yet the answer is not ResourceNotFoundException)."""
    sm()
    name = uniq()
    body = {"SecretString": "thisisthesecret", "Description": "My secret string"}
    body["Name" if op == "CreateSecret" else "SecretId"] = name
    r = raw(op, body)
    assert r.status_code == 400, r.text
    assert r.json() == {"__type": code, "Message": NO_TOKEN_MSG}
    assert sm().list_secrets()["SecretList"] == []


def test_put_secret_value_without_a_value_is_invalid_request(sm, raw, uniq):
    """PutSecretValue with neither SecretString nor SecretBinary: InvalidRequestException in
    AWS's words (moto's test_put_secret_binary_requires_either_string_or_binary; recorded in
    Terraform configurations), answered before the secret is looked up."""
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v1")
    want = {"__type": "InvalidRequestException",
            "Message": "You must provide either SecretString or SecretBinary."}
    for sid in (name, uniq("missing")):
        r = raw("PutSecretValue", {"SecretId": sid, "ClientRequestToken": token()})
        assert r.status_code == 400, r.text
        assert r.json() == want
    with raises_code("InvalidRequestException"):
        c.put_secret_value(SecretId=name)
    assert [v["VersionStages"] for v in c.list_secret_version_ids(SecretId=name)["Versions"]] \
        == [["AWSCURRENT"]]


def test_raw_token_checked_before_the_secret_is_read(sm, raw, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v1")
    for op in ("PutSecretValue", "UpdateSecret"):
        r = raw(op, {"SecretId": name, "SecretString": "v2"})
        assert r.status_code == 400, r.text
        assert error_code(r) == "InvalidRequestException"
        assert r.json()["Message"] == NO_TOKEN_MSG
    assert c.get_secret_value(SecretId=name)["SecretString"] == "v1"
    # Tokens name new versions only: metadata-only UpdateSecret and a value-less
    # CreateSecret need none.
    r = raw("UpdateSecret", {"SecretId": name, "Description": "d"})
    assert r.status_code == 200, r.text
    assert "VersionId" not in r.json()
    r = raw("CreateSecret", {"Name": uniq("novalue")})
    assert r.status_code == 200, r.text


def test_reused_token_with_other_value_names_token_and_arn(sm, uniq):
    c = sm()
    name = uniq()
    t1 = token()
    arn = c.create_secret(Name=name, SecretString="v1", ClientRequestToken=t1)["ARN"]
    want = (f"You can't use ClientRequestToken {t1} because that value is already in use for "
            f"a version of secret {arn}.")
    attempts = [
        lambda: c.put_secret_value(SecretId=name, SecretString="other", ClientRequestToken=t1),
        lambda: c.update_secret(SecretId=name, SecretString="other", ClientRequestToken=t1),
        lambda: c.create_secret(Name=name, SecretString="other", ClientRequestToken=t1),
    ]
    for i, call in enumerate(attempts):
        with raises_code("ResourceExistsException") as ei:
            call()
        assert ei.value.response["Error"]["Message"] == want, i
    # the same token with the same value is still an idempotent retry
    assert c.put_secret_value(SecretId=name, SecretString="v1",
                              ClientRequestToken=t1)["VersionId"] == t1
    assert c.get_secret_value(SecretId=name)["SecretString"] == "v1"


# --------------------------------------------------------------------------- staging labels

def test_moving_current_without_remove_from(sm, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = c.put_secret_value(SecretId=name, SecretString="two", VersionStages=["AWSPENDING"])["VersionId"]
    with raises_code("InvalidParameterException") as ei:
        c.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2)
    assert ei.value.response["Error"]["Message"] == (
        "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently "
        f"attached to version {v1}, so you must explicitly reference that version in "
        "RemoveFromVersionId.")


def test_update_version_stage_naming_no_version(sm, uniq):
    """Neither RemoveFromVersionId nor MoveToVersionId: an attached label stays (the model:
    "If the label is attached and you either do not specify this parameter, or the version ID
    does not match, then the operation fails"), refused in AWS's words for a missing
    RemoveFromVersionId; a label attached nowhere is a no-op."""
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = c.put_secret_value(SecretId=name, SecretString="two", VersionStages=["CUSTOM"])["VersionId"]
    for stage, holder in (("CUSTOM", v2), ("AWSCURRENT", v1)):
        with raises_code("InvalidParameterException") as ei:
            c.update_secret_version_stage(SecretId=name, VersionStage=stage)
        assert ei.value.response["Error"]["Message"] == (
            f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is "
            f"currently attached to version {holder}, so you must explicitly reference that "
            "version in RemoveFromVersionId.")
    c.update_secret_version_stage(SecretId=name, VersionStage="NOWHERE")
    assert c.describe_secret(SecretId=name)["VersionIdsToStages"] == {
        v1: ["AWSCURRENT"], v2: ["CUSTOM"]}


# --------------------------------------------------------------------------- empty members

def test_empty_members_absent_in_describe_and_list(sm, raw, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, Description="")  # no value, empty description, never tagged
    d = raw("DescribeSecret", {"SecretId": name}).json()
    for member in ("VersionIdsToStages", "Description", "Tags"):
        assert member not in d, (member, d)
    (entry,) = raw("ListSecrets", {}).json()["SecretList"]
    for member in ("SecretVersionsToStages", "Description", "Tags"):
        assert member not in entry, (member, entry)


def test_tags_empty_list_once_all_removed(sm, raw, uniq):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="v")
    assert "Tags" not in raw("DescribeSecret", {"SecretId": name}).json()
    c.tag_resource(SecretId=name, Tags=[{"Key": "k", "Value": "v"}])
    c.untag_resource(SecretId=name, TagKeys=["k"])
    assert raw("DescribeSecret", {"SecretId": name}).json()["Tags"] == []
    (entry,) = raw("ListSecrets", {}).json()["SecretList"]
    assert entry["Tags"] == []
    # it survives a restart (persisted), as a secret's tags do
    sm.server.restart()
    assert raw("DescribeSecret", {"SecretId": name}).json()["Tags"] == []


def test_deprecated_versions_carry_no_version_stages(sm, raw, uniq):
    c = sm()
    name = uniq()
    v1 = c.create_secret(Name=name, SecretString="1")["VersionId"]
    c.put_secret_value(SecretId=name, SecretString="2")
    c.put_secret_value(SecretId=name, SecretString="3")  # v1 is now unlabelled
    body = raw("ListSecretVersionIds", {"SecretId": name, "IncludeDeprecated": True}).json()
    by_id = {v["VersionId"]: v for v in body["Versions"]}
    assert "VersionStages" not in by_id[v1], by_id[v1]
    assert all(v.get("VersionStages") for k, v in by_id.items() if k != v1)
    g = raw("GetSecretValue", {"SecretId": name, "VersionId": v1}).json()
    assert g["SecretString"] == "1"
    assert "VersionStages" not in g


# --------------------------------------------------------------------------- delete

def test_force_delete_of_missing_secret_answers_name_and_arn(sm, uniq):
    c = sm()
    name = uniq("gone")
    r = c.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert r["Name"] == name
    assert re.match(arn_pattern(name), r["ARN"]), r["ARN"]
    assert r["DeletionDate"]
    arn = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-Ab12Cd"
    r = c.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert r["ARN"] == arn
    assert r["Name"] == name


# --------------------------------------------------------------------------- ListSecrets filters

def names_for(c, key, value):
    out = c.list_secrets(Filters=[{"Key": key, "Values": [value]}])["SecretList"]
    return sorted(s["Name"] for s in out)


def test_all_filter_splits_words_as_aws(sm):
    """AWS-observed: names split at / _ + = . @ - and at case changes; values match word
    prefixes case-insensitively; a separator alone matches nothing."""
    c = sm()
    u = uuid.uuid4().hex[:6]
    seps = ["/", "_", "+", "=", ".", "@", "-"]
    special = sorted(f"prod{s}AppBeta{s}{u}" for s in seps)
    full_upper = f"uat/COMPANY/{u}"
    partial_upper = f"uat/COMPANYthings/{u}"
    for n in special + [full_upper, partial_upper]:
        c.create_secret(Name=n, SecretString="s")
    assert names_for(c, "all", "AppBeta") == special
    assert names_for(c, "all", "Beta") == special
    assert names_for(c, "all", "+") == []
    assert names_for(c, "all", "/") == []
    assert names_for(c, "all", "company") == [full_upper]
    assert names_for(c, "all", "things") == []
    assert names_for(c, "all", "Ythings") == [partial_upper]
    assert names_for(c, "all", "N") == []
    assert names_for(c, "all", "pany") == []


def test_description_filter_matches_words(sm):
    c = sm()
    for n, d in [("foo", "one two"), ("bar", "one and two"), ("baz", "one"), ("qux", "two"),
                 ("none", "unrelated"), ("dash", "-leading dash")]:
        c.create_secret(Name=n, SecretString="s", Description=d)
    assert names_for(c, "description", "one two") == ["bar", "foo"]
    assert names_for(c, "description", "o t") == ["bar", "foo"]
    assert names_for(c, "description", "t") == ["bar", "foo", "qux"]
    assert names_for(c, "description", "lead") == ["dash"]
    # a separator alone is no word: it matches nothing, not descriptions starting with it
    assert names_for(c, "description", "-") == []
