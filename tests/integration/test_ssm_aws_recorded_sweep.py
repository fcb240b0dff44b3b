"""SSM Parameter Store: a sweep of the scenarios not yet replayed by test_ssm_aws_recorded.py,
test_ssm_moto_findings.py, test_ssm_params.py and test_ssm_hierarchy.py, from LocalStack's
AWS-validated SSM tests (localstack/localstack tests/aws/services/ssm/: test_ssm.py and its
snapshots, all of whose recorded scenarios those files already cover) and from moto's
Parameter Store tests (getmoto/moto tests/test_ssm/test_ssm_boto3.py, whose error messages are
AWS's), checked against the botocore service model (the documented contract) where the two
could differ. Each test holds one place where Arcana answered otherwise, as AWS answers.
"""

import uuid

import pytest
from conftest import raises_code
from ssm_helpers import pname, ssm  # noqa: F401

COMMON_PATH = ('Filters for common parameters can\'t be prefixed with "aws" or "ssm" '
               "(case-insensitive). When using global parameters, please specify within a "
               "global namespace.")
FILTER_KEY = "tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType"
TAG_PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"


def error_of(ei):
    e = ei.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("values", [["/aws", "/ssm"], ["/ok", "/SSM/x"], ["/AwsLike"]])
def test_describe_path_filter_under_aws_or_ssm_is_refused(ssm, values):
    """test_ssm_boto3.py::test_describe_parameters_invalid_parameter_filters (Path ["/aws",
    "/ssm"]): a Path filter value prefixed with "/aws" or "/ssm", in any case, is refused with
    ValidationException "Filters for common parameters can't be prefixed with ..." (it
    answered an empty list). Checked before any value's syntax."""
    c = ssm()
    with raises_code("ValidationException") as ei:
        c.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": values}])
    assert error_of(ei) == ("ValidationException", COMMON_PATH, 400)
    with raises_code("ValidationException") as ei:
        c.describe_parameters(ParameterFilters=[
            {"Key": "Path", "Option": "Recursive", "Values": values + ["/bad//path"]}])
    assert error_of(ei)[1] == COMMON_PATH


def test_describe_path_filter_elsewhere_still_lists(ssm):
    """The refusal is for the reserved prefixes only: a path whose first level merely contains
    "aws" or "ssm" later, or "/" itself, is listed as before."""
    c = ssm()
    u = uuid.uuid4().hex[:6]
    c.put_parameter(Name=f"/x{u}aws/p", Value="v", Type="String")
    c.put_parameter(Name=f"rootssm{u}", Value="v", Type="String")
    got = c.describe_parameters(ParameterFilters=[
        {"Key": "Path", "Values": [f"/x{u}aws"]}])["Parameters"]
    assert [p["Name"] for p in got] == [f"/x{u}aws/p"]
    got = c.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": ["/"]}],
                                MaxResults=50)["Parameters"]
    assert f"rootssm{u}" in [p["Name"] for p in got]


def test_filter_key_pattern_is_counted_with_other_violations(ssm):
    """test_ssm_boto3.py::test_describe_parameters_invalid_parameter_filters ([{Name, Option
    "over 10 chars"}, {Key "key"}] -> "2 validation errors detected:"): AWS validates the
    filter key's model pattern with the request's other constraints and reports every
    violation; Arcana checked the key after the model and counted 1."""
    c = ssm()
    with raises_code("ValidationException") as ei:
        c.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "over 10 chars"},
                                                {"Key": "key"}])
    assert error_of(ei) == (
        "ValidationException",
        "2 validation errors detected: Value 'over 10 chars' at "
        "'parameterFilters.1.member.option' failed to satisfy constraint: Member must have "
        "length less than or equal to 10; Value 'key' at 'parameterFilters.2.member.key' failed "
        f"to satisfy constraint: Member must satisfy regular expression pattern: {FILTER_KEY}",
        400)
    # GetParametersByPath shares the filter shape.
    with raises_code("ValidationException") as ei:
        c.get_parameters_by_path(Path="/x", ParameterFilters=[
            {"Key": "bad"}, {"Key": "Type", "Option": "over 10 chars", "Values": ["String"]}])
    assert error_of(ei)[1].startswith("2 validation errors detected: Value 'bad' at "
                                      "'parameterFilters.1.member.key'")
    # A key one line terminator away from "tag:..." does not match `.+`.
    with raises_code("ValidationException") as ei:
        c.describe_parameters(ParameterFilters=[{"Key": "tag:a\nb", "Values": ["x"]}])
    assert error_of(ei)[1] == (
        "1 validation error detected: Value 'tag:a\nb' at 'parameterFilters.1.member.key' "
        f"failed to satisfy constraint: Member must satisfy regular expression pattern: "
        f"{FILTER_KEY}")


def test_tag_key_and_value_pattern(ssm):
    """The model's TagKey and TagValue pattern ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$ (botocore
    ssm service-2.json): a tag with a character outside it ("*", "!", "#") is a model violation
    of PutParameter, AddTagsToResource and RemoveTagsFromResource (Arcana stored it). Letters
    (also outside ASCII), digits, spaces and _.:/=+-@ are accepted."""
    c = ssm()
    bad = pname("tagbad")
    with raises_code("ValidationException") as ei:
        c.put_parameter(Name=bad, Value="v", Type="String",
                        Tags=[{"Key": "a*b", "Value": "v!"}])
    assert error_of(ei) == (
        "ValidationException",
        "2 validation errors detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {TAG_PATTERN}; Value 'v!' "
        "at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular "
        f"expression pattern: {TAG_PATTERN}", 400)
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=bad)
    n = pname("tagok")
    ok = {"Key": "a b_.:/=+-@Zé9", "Value": "Wert äöü 1/2"}
    c.put_parameter(Name=n, Value="v", Type="String", Tags=[ok])
    with raises_code("ValidationException") as ei:
        c.add_tags_to_resource(ResourceType="Parameter", ResourceId=n,
                               Tags=[{"Key": "k", "Value": "a#b"}])
    assert error_of(ei)[1] == (
        "1 validation error detected: Value 'a#b' at 'tags.1.member.value' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {TAG_PATTERN}")
    with raises_code("ValidationException") as ei:
        c.remove_tags_from_resource(ResourceType="Parameter", ResourceId=n, TagKeys=["a#b"])
    assert error_of(ei)[1] == (
        "1 validation error detected: Value '[a#b]' at 'tagKeys' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1, Member must satisfy regular "
        f"expression pattern: {TAG_PATTERN}]")
    got = c.list_tags_for_resource(ResourceType="Parameter", ResourceId=n)["TagList"]
    assert got == [ok]


# AWS's text for a malformed path: the quotes around aws and ssm carry a literal backslash, the
# ones around "/" do not (AWS's GetParametersByPath answers printed in aws/aws-sdk-js-v3#5928 and
# aws-samples/resource-autotagger#1 as JSON, in pahud/cdk-remote-stack#605 as the message).
BAD_PATH = ('The parameter doesn\'t meet the parameter name requirements. The parameter name '
            'must begin with a forward slash "/". It can\'t be prefixed with \\"aws\\" or '
            '\\"ssm\\" (case-insensitive). It must use only letters, numbers, or the following '
            "symbols: . (period), - (hyphen), _ (underscore). Special characters are not "
            'allowed. All sub-paths, if specified, must use the forward slash symbol "/". '
            "Valid example: /get/parameters2-/by1./path0_.")


@pytest.mark.parametrize("path", ["no-slash", "/auto-tag/john.doe@company.com/tag", "//", "/###"])
def test_malformed_path_message_is_aws_text(ssm, path):
    """GetParametersByPath of a malformed Path, and DescribeParameters' Path filter (moto's
    test_describe_parameters_invalid_path: "/###", "//", "test"), answer ValidationException
    with AWS's text, backslashes included (Arcana's had plain quotes around aws and ssm)."""
    c = ssm()
    with raises_code("ValidationException") as ei:
        c.get_parameters_by_path(Path=path)
    assert error_of(ei) == ("ValidationException", BAD_PATH, 400)
    with raises_code("ValidationException") as ei:
        c.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": [path]}])
    assert error_of(ei) == ("ValidationException", BAD_PATH, 400)


@pytest.mark.parametrize("policies", [
    '{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2099-06-27T19:11:55.437Z"}}',
    '["Expiration"]',
    "invalid json",
])
def test_policies_that_are_no_policy_list_are_echoed(ssm, policies):
    """Policies that are not a JSON array of policy objects answer ValidationException "Invalid
    policies input: <the input as given>." (AWS's answer to a single Expiration policy object,
    quoted in pytorch/test-infra#6858; moto's test_put_parameter_overwrite_preserves_metadata
    and test_put_parameter_with_invalid_policy pass '["Expiration"]' and "invalid json").
    Arcana explained instead ("the policies must be a JSON array of policy objects")."""
    c = ssm()
    n = pname("pol")
    with raises_code("ValidationException") as ei:
        c.put_parameter(Name=n, Value="v", Type="String", Tier="Advanced", Policies=policies)
    assert error_of(ei) == ("ValidationException", f"Invalid policies input: {policies}.", 400)
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=n)


KMS_SUFFIX = (r" \(Service: AWSKMS; Status Code: 400; Error Code: {code}; Request ID: "
              r"[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}; "
              r"Proxy: null\)")


def test_key_kms_refuses_is_invalid_key_id_in_kms_words(ssm):
    """A SecureString under a key KMS refuses answers InvalidKeyId with KMS's own error as
    Parameter Store's KMS client prints it (AWS's answers quoted in binxio/aws-ssm-copy#10: "Key
    'arn:...:key/<id>' does not exist (Service: AWSKMS; Status Code: 400; Error Code:
    NotFoundException; Request ID: ...; Proxy: null)"; cloudposse/docs#152: "Alias
    arn:...:alias/parameter_store_key is not found. (...)"; segmentio/chamber#355: "arn:...
    is pending deletion. (... KMSInvalidStateException ...)"; stelligent/mu#345, a read under
    a key pending deletion). Arcana worded its own ("The KMS key ... can't be found: ...",
    "Unable to encrypt the value with the KMS key ...")."""
    import re

    import boto3
    from conftest import DEV_AKID, DEV_SECRET
    c = ssm()
    kms = boto3.client("kms", endpoint_url=ssm.server.endpoint, region_name="us-east-1",
                       aws_access_key_id=DEV_AKID, aws_secret_access_key=DEV_SECRET)
    acct = "123456789012"

    def refused(code, text, **kw):
        with raises_code("InvalidKeyId") as ei:
            if "Name" in kw:
                c.get_parameter(WithDecryption=True, **kw)
            else:
                c.put_parameter(Name=pname("k"), Value="v", Type="SecureString", **kw)
        got = error_of(ei)
        assert got[0] == "InvalidKeyId" and got[2] == 400
        assert re.fullmatch(re.escape(text) + KMS_SUFFIX.format(code=code), got[1]), got[1]

    missing = "00000000-0000-0000-0000-000000000000"
    refused("NotFoundException",
            f"Key 'arn:aws:kms:us-east-1:{acct}:key/{missing}' does not exist", KeyId=missing)
    refused("NotFoundException",
            f"Alias arn:aws:kms:us-east-1:{acct}:alias/parameter_store_key is not found.",
            KeyId="alias/parameter_store_key")
    key = kms.create_key()["KeyMetadata"]
    n = pname("under")
    c.put_parameter(Name=n, Value="secret-v", Type="SecureString", KeyId=key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    refused("DisabledException", f"{key['Arn']} is disabled.", KeyId=key["KeyId"])
    refused("DisabledException", f"{key['Arn']} is disabled.", Name=n)
    kms.enable_key(KeyId=key["KeyId"])
    assert c.get_parameter(Name=n, WithDecryption=True)["Parameter"]["Value"] == "secret-v"
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    refused("KMSInvalidStateException", f"{key['Arn']} is pending deletion.",
            KeyId=key["KeyId"])
    refused("KMSInvalidStateException", f"{key['Arn']} is pending deletion.", Name=n)
    # Without decryption the ciphertext is still answered.
    assert c.get_parameter(Name=n)["Parameter"]["Type"] == "SecureString"


def test_invalid_resource_id_has_no_message(ssm):
    """The tagging operations on a parameter that does not exist answer InvalidResourceId,
    HTTP 400, with no message: the body is {"__type":"InvalidResourceId"} (recorded from AWS
    with vcrpy for ListTagsForResource in getmoto/moto#4360; aws/aws-cli#4419 prints "An error
    occurred (InvalidResourceId) when calling the ListTagsForResource operation:" and nothing
    after, for AddTagsToResource as well). Arcana added "The resource ID is not valid: no
    parameter ..."."""
    from conftest import raw_call
    c = ssm()
    gone = pname("special-not-there")
    calls = [
        ("ListTagsForResource", lambda: c.list_tags_for_resource(
            ResourceType="Parameter", ResourceId=gone)),
        ("AddTagsToResource", lambda: c.add_tags_to_resource(
            ResourceType="Parameter", ResourceId=gone, Tags=[{"Key": "k", "Value": "v"}])),
        ("RemoveTagsFromResource", lambda: c.remove_tags_from_resource(
            ResourceType="Parameter", ResourceId=gone, TagKeys=["k"])),
    ]
    for op, call in calls:
        with raises_code("InvalidResourceId") as ei:
            call()
        assert error_of(ei) == ("InvalidResourceId", "", 400)
        assert str(ei.value) == (
            f"An error occurred (InvalidResourceId) when calling the {op} operation: ")
    r = raw_call(ssm.server.endpoint, None, {"ResourceType": "Parameter", "ResourceId": gone},
                 target="AmazonSSM.ListTagsForResource", service="ssm")
    assert r.status_code == 400 and r.json() == {"__type": "InvalidResourceId"}
