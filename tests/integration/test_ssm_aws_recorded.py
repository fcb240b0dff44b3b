"""SSM Parameter Store answers compared with responses recorded against real AWS.

Each test replays one scenario of LocalStack's AWS-validated snapshot tests
(localstack/localstack tests/aws/services/ssm/, and the CloudFormation SSM resource tests whose
snapshots record the SSM calls) and asserts what AWS answered: error codes, exact messages,
HTTP status, which members a response has and their formats.
"""

import json
import re
import uuid

from conftest import raises_code, assert_utc_datetime
from ssm_helpers import ssm  # noqa: F401

ACCOUNT = "123456789012"
REF = "/aws/reference/secretsmanager/"
BAD_NAME = ('Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a '
            "path, it can consist of sub-paths divided by slash symbol; each sub-path can be "
            "formed as a mix of letters, numbers and the following 3 symbols .-_")
# The members AWS answered for a GetParameter of a String parameter (recorded snapshot keys).
GET_MEMBERS = {"ARN", "DataType", "LastModifiedDate", "Name", "Type", "Value", "Version"}


def short_uid() -> str:
    return uuid.uuid4().hex[:8]


def error_of(ei):
    return ei.value.response["Error"], ei.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_parameter_not_found_has_no_message(ssm):
    """resources/test_ssm.py::test_parameter_defaults (ssm_parameter, ssm_parameter_not_found):
    GetParameter of a parameter that was deleted answers ParameterNotFound, HTTP 400, with
    Error.Message "" (no text, no parameter name)."""
    c = ssm()
    name = f"CFN-CustomParameter-{short_uid()}"
    c.put_parameter(Name=name, Value=f"custom-{short_uid()}", Type="String")
    got = c.get_parameter(Name=name)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    p = got["Parameter"]
    assert set(p) == GET_MEMBERS
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{name}"
    assert p["DataType"] == "text" and p["Type"] == "String" and p["Version"] == 1
    c.delete_parameter(Name=name)
    with raises_code("ParameterNotFound") as ei:
        c.get_parameter(Name=name)
    assert error_of(ei) == ({"Code": "ParameterNotFound", "Message": ""}, 400)
    # Never created, hierarchical, with a selector, or by ARN: the same bare error.
    for missing in (f"/nope-{short_uid()}/x", f"nope-{short_uid()}:1",
                    f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/nope-{short_uid()}"):
        with raises_code("ParameterNotFound") as ei:
            c.get_parameter(Name=missing)
        assert error_of(ei) == ({"Code": "ParameterNotFound", "Message": ""}, 400)


def test_delete_missing_parameter_has_no_message(ssm):
    """resource_providers/test_parameter.py::TestBasicCRD::test_black_box (deleted-resource:
    "An error occurred (ParameterNotFound) when calling the GetParameter operation: ", i.e. no
    message). DeleteParameter of a missing parameter answers the same way on AWS (its
    tracebacks read "... when calling the DeleteParameter operation:" with nothing after)."""
    c = ssm()
    name = f"/prefix-{short_uid()}/gone"
    c.put_parameter(Name=name, Value="v", Type="String")
    c.delete_parameter(Name=name)
    with raises_code("ParameterNotFound") as ei:
        c.delete_parameter(Name=name)
    assert error_of(ei) == ({"Code": "ParameterNotFound", "Message": ""}, 400)
    assert str(ei.value) == ("An error occurred (ParameterNotFound) when calling the "
                             "DeleteParameter operation: ")
    with raises_code("ParameterNotFound") as ei:
        c.get_parameter(Name=name)
    assert str(ei.value) == ("An error occurred (ParameterNotFound) when calling the "
                             "GetParameter operation: ")


def test_get_parameter_by_arn(ssm):
    """test_ssm.py::TestSSM::test_get_parameter_by_arn: GetParameter by the ARN of a root-level
    parameter answers the name as created, its ARN, DataType text, Type, Value, Version 1."""
    c = ssm()
    name = f"param-{short_uid()}"
    c.put_parameter(Name=name, Value="test", Type="String")
    by_name = c.get_parameter(Name=name)["Parameter"]
    by_arn = c.get_parameter(Name=by_name["ARN"])["Parameter"]
    assert set(by_arn) == GET_MEMBERS
    assert by_arn["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{name}"
    assert by_arn["Name"] == name
    assert (by_arn["DataType"], by_arn["Type"], by_arn["Value"], by_arn["Version"]) == (
        "text", "String", "test", 1)
    assert_utc_datetime(by_arn["LastModifiedDate"])


def test_put_and_get_via_arn(ssm):
    """test_ssm.py::TestSSM::test_put_and_get_via_arn (get-by-name, get-by-arn): a hierarchical
    name's ARN is "...:parameter" + the name; both reads answer the same members."""
    c = ssm()
    name = f"/foo/bar-{short_uid()}"
    c.put_parameter(Name=name, Value="myvalue", Type="String")
    by_name = c.get_parameter(Name=name)["Parameter"]
    by_arn = c.get_parameter(Name=by_name["ARN"])["Parameter"]
    for p in (by_name, by_arn):
        assert set(p) == GET_MEMBERS
        assert p["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}"
        assert (p["Name"], p["Value"], p["Version"], p["DataType"]) == (name, "myvalue", 1, "text")


def test_put_parameters_leading_slash(ssm):
    """test_ssm.py::TestSSM::test_put_parameters: a root-level parameter is read as `name` and
    as `/name`, each answering the name in the form asked for."""
    c = ssm()
    name = f"param-{short_uid()}"
    c.put_parameter(Name=name, Description="test", Value="123", Type="String")
    for asked in (name, f"/{name}"):
        p = c.get_parameter(Name=asked)["Parameter"]
        assert (p["Name"], p["Value"]) == (asked, "123")
        ps = c.get_parameters(Names=[asked])["Parameters"]
        assert [(x["Name"], x["Value"]) for x in ps] == [(asked, "123")]


def test_hierarchical_parameter_malformed_lookups(ssm):
    """test_ssm.py::TestSSM::test_hierarchical_parameter[/<param>//b//c] and [<param>/b/c]:
    GetParameter of a malformed path answers ValidationException "...sub-paths divided by slash
    symbol..."."""
    c = ssm()
    a = short_uid()
    c.put_parameter(Name=f"/{a}/b/c", Value="123", Type="String")
    assert c.get_parameter(Name=f"/{a}/b/c")["Parameter"]["Value"] == "123"
    for bad in (f"/{a}//b//c", f"{a}/b/c"):
        with raises_code("ValidationException") as ei:
            c.get_parameter(Name=bad)
        assert error_of(ei) == ({"Code": "ValidationException", "Message": BAD_NAME}, 400)


def test_get_secret_parameter_and_inexistent_secret(sm, ssm):
    """test_ssm.py::TestSSM::test_get_secret_parameter and test_get_inexistent_secret: a
    reference answers the secret with a SourceResult whose members AWS names in lower camel
    case except "ARN" (the test reads source["name"] and source["ARN"]); the bare secret name is
    no parameter; a missing secret answers ParameterNotFound "Secret ...<reference>... not
    found."."""
    s, c = sm(), ssm()
    secret = f"test_secret-{short_uid()}"
    s.create_secret(Name=secret, SecretString="my_secret",
                    Description="testing creation of secrets")
    p = c.get_parameter(Name=REF + secret, WithDecryption=True)["Parameter"]
    assert p["Name"] == REF + secret and p["Value"] == "my_secret"
    source = json.loads(p["SourceResult"])
    assert source["name"] == secret and ":secretsmanager:" in source["ARN"]
    assert "Name" not in source and source["secretString"] == "my_secret"
    assert source["versionStages"] == ["AWSCURRENT"] and "versionId" in source
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=secret, WithDecryption=True)
    invalid = REF + "inexistent"
    with raises_code("ParameterNotFound") as ei:
        c.get_parameter(Name=invalid, WithDecryption=True)
    assert re.search(f"Secret .*{invalid.lstrip('/')}.* not found.", str(ei.value))


def test_get_parameters_and_secrets(sm, ssm):
    """test_ssm.py::TestSSM::test_get_parameters_and_secrets: one GetParameters call answers a
    parameter and a secret reference, and lists the missing parameter and secret as
    InvalidParameters."""
    s, c = sm(), ssm()
    param = f"param-{short_uid()}"
    secret = f"test_secret_param_{short_uid()}"
    c.put_parameter(Name=param, Description="test", Value="123", Type="String")
    s.create_secret(Name=secret, SecretString="my_secret")
    r = c.get_parameters(Names=[param, REF + secret, "inexistent_param",
                                REF + "inexistent_secret"], WithDecryption=True)
    assert sorted(p["Name"] for p in r["Parameters"]) == sorted([param, REF + secret])
    assert sorted(r["InvalidParameters"]) == sorted(["inexistent_param",
                                                     REF + "inexistent_secret"])


def test_get_parameters_by_path_and_filter_by_labels(ssm):
    """test_ssm.py::TestSSM::test_get_parameters_by_path_and_filter_by_labels: a Label filter
    selects the labelled parameter under the path."""
    c = ssm()
    prefix = f"/prefix-{short_uid()}"
    path = f"{prefix}/path"
    v = c.put_parameter(Name=path, Value="value", Type="String")["Version"]
    c.label_parameter_version(Name=path, ParameterVersion=v, Labels=["latest"])
    ps = c.get_parameters_by_path(
        Path=prefix, ParameterFilters=[{"Key": "Label", "Values": ["latest"]}])["Parameters"]
    assert len(ps) == 1
    assert (ps[0]["Name"], ps[0]["Type"], ps[0]["Value"]) == (path, "String", "value")
    assert ps[0]["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{path}"


def test_describe_parameters(ssm):
    """test_ssm.py::TestSSM::test_describe_parameters: the answer has a Parameters list."""
    r = ssm().describe_parameters()
    assert isinstance(r["Parameters"], list)


def test_update_parameter_value_as_cloudformation_does(ssm):
    """resources/test_ssm.py::test_update_ssm_parameters (AWS-validated 2025-04-11): a stack
    update of an AWS::SSM::Parameter's Value overwrites the parameter in place (same
    name), and GetParameter then answers the new value. Replayed with the call CloudFormation
    makes: PutParameter with Overwrite."""
    c = ssm()
    name = f"CFN-CustomParameter-{short_uid()}"
    assert c.put_parameter(Name=name, Value=f"custom-{short_uid()}", Type="String")["Version"] == 1
    new_value = f"new-custom-{short_uid()}"
    assert c.put_parameter(Name=name, Value=new_value, Type="String",
                           Overwrite=True)["Version"] == 2
    p = c.get_parameter(Name=name)["Parameter"]
    assert set(p) == GET_MEMBERS
    assert (p["Name"], p["Value"], p["Version"]) == (name, new_value, 2)


def test_update_parameter_tag_as_cloudformation_does(ssm):
    """resources/test_ssm.py::test_update_ssm_parameter_tag (AWS-validated 2025-04-11): the
    tags a parameter is created with are listed by ListTagsForResource(ResourceType
    "Parameter", ResourceId = the parameter's name as created, no leading slash); a tag update
    replaces the value of the same key. Replayed with the calls CloudFormation makes
    (PutParameter with Tags, then AddTagsToResource: AWS refuses Tags together with
    Overwrite)."""
    c = ssm()
    name = f"CFN-CustomParameter-{short_uid()}"
    tag_value = f"tag-{short_uid()}"
    c.put_parameter(Name=name, Value=f"custom-{short_uid()}", Type="String",
                    Tags=[{"Key": "A", "Value": tag_value}])

    def tags():
        got = c.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        return {t["Key"]: t["Value"] for t in got}

    assert tags() == {"A": tag_value}
    new_tag_value = f"tag-{short_uid()}"
    c.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                           Tags=[{"Key": "A", "Value": new_tag_value}])
    assert tags() == {"A": new_tag_value}
    # The parameter itself is unchanged by a tag update.
    assert c.get_parameter(Name=name)["Parameter"]["Version"] == 1
