"""SSM Parameter Store: PutParameter / GetParameter(s) / Delete / tags, and their error paths."""

import json
import re

import pytest
from conftest import raises_code, assert_utc_datetime, raw_call
from ssm_helpers import pname, ssm  # noqa: F401

ACCOUNT = "123456789012"


def test_put_get_string_shape(ssm):
    c = ssm()
    n = pname()
    r = c.put_parameter(Name=n, Value="v1", Type="String", Description="d")
    assert r["Version"] == 1 and r["Tier"] == "Standard"
    p = c.get_parameter(Name=n)["Parameter"]
    assert p["Name"] == n and p["Type"] == "String" and p["Value"] == "v1"
    assert p["Version"] == 1 and p["DataType"] == "text"
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{n}"
    assert_utc_datetime(p["LastModifiedDate"])
    assert "Selector" not in p


def test_overwrite_versions_and_kept_fields(ssm):
    c = ssm()
    n = pname()
    c.put_parameter(Name=n, Value="1", Type="String", Description="desc", AllowedPattern=r"^\d+$")
    with raises_code("ParameterAlreadyExists"):
        c.put_parameter(Name=n, Value="2", Type="String")
    assert c.put_parameter(Name=n, Value="2", Overwrite=True)["Version"] == 2
    meta = c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [n]}])["Parameters"][0]
    assert meta["Description"] == "desc" and meta["AllowedPattern"] == r"^\d+$"
    assert meta["Version"] == 2
    with raises_code("ParameterPatternMismatchException"):
        c.put_parameter(Name=n, Value="abc", Overwrite=True)
    assert c.get_parameter(Name=n)["Parameter"]["Value"] == "2"


def test_type_required_on_create_and_other_validation(ssm):
    c = ssm()
    with raises_code("ValidationException"):
        c.put_parameter(Name=pname(), Value="x")
    with raises_code("ValidationException"):
        c.put_parameter(Name=pname(), Value="", Type="String")
    with raises_code("ValidationException") as ei:
        c.put_parameter(Name=pname(), Value="x", Type="Bogus")
    assert "validation error" in str(ei.value)
    n = pname()
    with raises_code("ValidationException"):
        c.put_parameter(Name=n, Value="x", Type="String", Overwrite=True,
                        Tags=[{"Key": "a", "Value": "b"}])
    with raises_code("InvalidAllowedPatternException"):
        c.put_parameter(Name=pname(), Value="x", Type="String", AllowedPattern="([a-z")
    # A KeyId on a String parameter is accepted and ignored, as on AWS
    # (test_ssm_moto_findings.py::test_key_id_on_a_plain_string_is_accepted_and_ignored).
    assert c.put_parameter(Name=pname(), Value="x", Type="String",
                           KeyId="alias/aws/ssm")["Version"] == 1


@pytest.mark.parametrize("name,code", [
    ("has space/x", "ValidationException"),
    ("a/b", "ValidationException"),
    ("/a$b", "ValidationException"),
    ("awsname", "ValidationException"),
    ("/SSM/x", "ValidationException"),
    ("/aws/x", "AccessDeniedException"),
    ("/" + "/".join(f"l{i}" for i in range(16)), "HierarchyLevelLimitExceededException"),
    ("/" + "a" * 1000, "ValidationException"),
])
def test_name_rules(ssm, name, code):
    with raises_code(code):
        ssm().put_parameter(Name=name, Value="x", Type="String")


def test_reserved_aws_names_answer_access_denied_as_aws(ssm):
    """AWS's AccessDeniedException for a name in the namespace it keeps for itself names the
    parameter without its leading slash (PutParameter "/aws/test" -> "No access to reserved
    parameter name: aws/test.", aws-cloudformation/cfn-lint#4089; "/awssec/lab01/vpc_id" ->
    "...: awssec/lab01/vpc_id.", a Terraform apply). GetParameter and DeleteParameter of a
    root-level "aws..." name answer the same, not ParameterNotFound (DeleteParameter
    "aws-cdk-playground", awslabs/aws-deployment-framework#119; GetParameter
    "awslimitschecker", aws-solutions/quota-monitor-for-aws#30). AWS's public "/aws/..."
    namespace is still read as before (ParameterNotFound for a name it does not hold here)."""
    c = ssm()

    def denied(call):
        with raises_code("AccessDeniedException") as ei:
            call()
        e = ei.value.response
        assert e["ResponseMetadata"]["HTTPStatusCode"] == 400
        return e["Error"]["Message"]

    for name in ("/aws/test", "/awssec/lab01/vpc_id", "/AWS/x/y"):
        assert denied(lambda: c.put_parameter(Name=name, Value="x", Type="String")) == \
            f"No access to reserved parameter name: {name[1:]}."
    for name in ("aws-cdk-playground", "/awslimitschecker", "AWSthing"):
        bare = name.lstrip("/")
        assert denied(lambda: c.delete_parameter(Name=name)) == \
            f"No access to reserved parameter name: {bare}."
        assert denied(lambda: c.get_parameter(Name=name)) == \
            f"No access to reserved parameter name: {bare}."
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name="/aws/service/no-such/parameter")
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name="awning")  # "aws" is the prefix, not "aw"
    r = c.get_parameters(Names=["aws-cdk-playground"])
    assert r["Parameters"] == [] and r["InvalidParameters"] == ["aws-cdk-playground"]


def test_root_slash_equivalence_and_trimming(ssm):
    c = ssm()
    c.put_parameter(Name="rootparam", Value="x", Type="String")
    assert c.get_parameter(Name="/rootparam")["Parameter"]["Value"] == "x"
    with raises_code("ParameterAlreadyExists"):
        c.put_parameter(Name="/rootparam", Value="y", Type="String")
    c.put_parameter(Name="  spaced  ", Value="s", Type="String")
    assert c.get_parameter(Name="spaced")["Parameter"]["Name"] == "spaced"


def test_string_list_and_secure_string(ssm):
    c = ssm()
    n1, n2 = pname("list"), pname("sec")
    c.put_parameter(Name=n1, Value="a,b,c", Type="StringList")
    assert c.get_parameter(Name=n1)["Parameter"]["Value"] == "a,b,c"
    c.put_parameter(Name=n2, Value="hunter2", Type="SecureString")
    enc = c.get_parameter(Name=n2)["Parameter"]
    assert enc["Type"] == "SecureString" and enc["Value"] != "hunter2"
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", enc["Value"])
    assert c.get_parameter(Name=n2, WithDecryption=True)["Parameter"]["Value"] == "hunter2"
    meta = c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [n2]}])["Parameters"][0]
    assert meta["KeyId"] == "alias/aws/ssm"
    # WithDecryption is ignored for String
    assert c.get_parameter(Name=n1, WithDecryption=True)["Parameter"]["Value"] == "a,b,c"


def test_secure_string_bad_key_id(ssm):
    c = ssm()
    with raises_code("InvalidKeyId", "ValidationException"):
        c.put_parameter(Name=pname(), Value="x", Type="SecureString", KeyId="bad key!")
    with raises_code("InvalidKeyId"):
        c.put_parameter(Name=pname(), Value="x", Type="SecureString",
                        KeyId="alias/does-not-exist-" + "x" * 8)


def test_hierarchy_type_change_refused(ssm):
    c = ssm()
    n = pname()
    c.put_parameter(Name=n, Value="x", Type="String")
    with raises_code("HierarchyTypeMismatchException"):
        c.put_parameter(Name=n, Value="x", Type="SecureString", Overwrite=True)


def test_tiers_and_sizes(ssm):
    c = ssm()
    n = pname()
    c.put_parameter(Name=n, Value="x" * 4096, Type="String")
    with raises_code("ValidationException"):
        c.put_parameter(Name=pname(), Value="x" * 4097, Type="String")
    r = c.put_parameter(Name=pname(), Value="x" * 4097, Type="String", Tier="Intelligent-Tiering")
    assert r["Tier"] == "Advanced"
    r = c.put_parameter(Name=pname(), Value="x", Type="String", Tier="Intelligent-Tiering")
    assert r["Tier"] == "Standard"
    adv = pname()
    assert c.put_parameter(Name=adv, Value="x" * 8192, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    with raises_code("ValidationException"):
        c.put_parameter(Name=pname(), Value="x" * 8193, Type="String", Tier="Advanced")
    with raises_code("ValidationException"):
        c.put_parameter(Name=adv, Value="y", Tier="Standard", Overwrite=True)
    assert c.put_parameter(Name=adv, Value="y", Overwrite=True)["Tier"] == "Advanced"


NESTED = 'Parameter value can\'t nest another parameter. Do not use "{{}}" in the value.'


@pytest.mark.parametrize("value", ["{{}}", "{{ssm:other}}", "x={{resolve:ssm:/a/b}}",
                                   "{{range .Networks}}{{.IPAddress}}{{end}}"])
@pytest.mark.parametrize("type_", ["String", "SecureString", "StringList"])
def test_value_nesting_a_parameter_refused(ssm, value, type_):
    """PutParameter's Value (botocore): "Parameters can't be referenced or nested in the values
    of other parameters. You can't include {{}} or {{ssm:parameter-name}} in a parameter
    value." AWS answers ValidationException with the text the AWS CDK quotes (and projects
    storing Go templates or {{PLACEHOLDER}} tokens met live); nothing is created."""
    c = ssm()
    n = pname()
    r = raw_call(ssm.server.endpoint, None, {"Name": n, "Value": value, "Type": type_},
                 target="AmazonSSM.PutParameter", service="ssm")
    assert r.status_code == 400
    assert r.json()["__type"] == "ValidationException"
    assert r.json()["message"] == NESTED
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=n)
    c.put_parameter(Name=n, Value="plain", Type=type_)
    with raises_code("ValidationException"):  # an overwrite too
        c.put_parameter(Name=n, Value=value, Overwrite=True)
    assert c.get_parameter(Name=n, WithDecryption=True)["Parameter"]["Value"] == "plain"


def test_braces_that_nest_nothing_are_values(ssm):
    c = ssm()
    for value in ("{{", "}}", "}}{{", "{x}", "{ {x} }", "{{x}", "${x}", '{"a":{"b":1}}'):
        n = pname()
        c.put_parameter(Name=n, Value=value, Type="String")
        assert c.get_parameter(Name=n)["Parameter"]["Value"] == value


def test_describe_parameters_pages_at_10_by_default(ssm):
    """AWS answers DescribeParameters without MaxResults 10 at a time with a NextToken
    (google/go-cloud#3135: "With more than 10 entries ... first 10 entries due to
    pagination"; moto's test_describe_parameters_paging)."""
    c = ssm()
    names = sorted(pname() for _ in range(11))
    for n in names:
        c.put_parameter(Name=n, Value="v", Type="String")
    first = c.describe_parameters()
    assert len(first["Parameters"]) == 10 and first["NextToken"]
    rest = c.describe_parameters(NextToken=first["NextToken"])
    assert len(rest["Parameters"]) == 1 and "NextToken" not in rest
    assert sorted(p["Name"] for p in first["Parameters"] + rest["Parameters"]) == names
    assert len(c.describe_parameters(MaxResults=50)["Parameters"]) == 11


def test_data_types(ssm):
    c = ssm()
    n = pname()
    c.put_parameter(Name=n, Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert c.get_parameter(Name=n)["Parameter"]["DataType"] == "aws:ec2:image"
    # AWS validates an AMI id after answering (PutParameter's DataType): success with the
    # version it would have made, and then the parameter is neither created nor updated.
    bad = pname()
    r = c.put_parameter(Name=bad, Value="not-an-ami", Type="String", DataType="aws:ec2:image")
    assert (r["Version"], r["Tier"]) == (1, "Standard")
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=bad)
    r = c.put_parameter(Name=n, Value="ami-nope", Type="String", Overwrite=True)
    assert r["Version"] == 2
    got = c.get_parameter(Name=n)["Parameter"]
    assert (got["Value"], got["Version"]) == ("ami-0123456789abcdef0", 1)
    assert c.put_parameter(Name=n, Value="ami-01234567", Type="String", Overwrite=True)["Version"] == 2
    assert c.get_parameter(Name=n)["Parameter"]["Value"] == "ami-01234567"
    # Not changed to or from aws:ec2:image (AWS's user guide, "Parameter data types").
    with raises_code("ValidationException"):
        c.put_parameter(Name=n, Value="x", Type="String", DataType="text", Overwrite=True)
    t = pname()
    c.put_parameter(Name=t, Value="ami-0123456789abcdef0", Type="String")
    with raises_code("ValidationException"):
        c.put_parameter(Name=t, Value="ami-0123456789abcdef0", Type="String",
                        DataType="aws:ec2:image", Overwrite=True)
    with raises_code("ValidationException"):
        c.put_parameter(Name=pname(), Value="ami-01234567", Type="SecureString",
                        DataType="aws:ec2:image")
    with raises_code("ValidationException"):
        c.put_parameter(Name=pname(), Value="x", Type="String", DataType="Text")


EXP = '{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"%s"}}'


def test_policies(ssm):
    c = ssm()
    n = pname()
    pol = json.dumps([
        json.loads(EXP % "2099-01-01T00:00:00.000Z"),
        {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "15", "Unit": "Days"}},
        {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "20", "Unit": "Days"}},
    ])
    assert c.put_parameter(Name=n, Value="x", Type="String", Tier="Advanced", Policies=pol)["Tier"] == "Advanced"
    meta = c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [n]}])["Parameters"][0]
    assert sorted(p["PolicyType"] for p in meta["Policies"]) == [
        "Expiration", "ExpirationNotification", "NoChangeNotification"]
    assert all(p["PolicyStatus"] == "Pending" and json.loads(p["PolicyText"]) for p in meta["Policies"])
    with raises_code("ValidationException"):  # policies need the advanced tier
        c.put_parameter(Name=pname(), Value="x", Type="String", Tier="Standard",
                        Policies="[" + EXP % "2099-01-01T00:00:00Z" + "]")
    assert c.put_parameter(Name=pname(), Value="x", Type="String", Tier="Intelligent-Tiering",
                           Policies="[" + EXP % "2099-01-01T00:00:00Z" + "]")["Tier"] == "Advanced"
    with raises_code("InvalidPolicyTypeException"):
        c.put_parameter(Name=pname(), Value="x", Type="String", Tier="Advanced",
                        Policies='[{"Type":"Nope","Version":"1.0","Attributes":{}}]')
    with raises_code("InvalidPolicyAttributeException"):
        c.put_parameter(Name=pname(), Value="x", Type="String", Tier="Advanced",
                        Policies="[" + EXP % "yesterday" + "]")
    with raises_code("IncompatiblePolicyException"):
        c.put_parameter(Name=pname(), Value="x", Type="String", Tier="Advanced",
                        Policies="[" + EXP % "2099-01-01T00:00:00Z" + "," + EXP % "2098-01-01T00:00:00Z" + "]")
    with raises_code("PoliciesLimitExceededException"):
        c.put_parameter(Name=pname(), Value="x", Type="String", Tier="Advanced",
                        Policies="[" + ",".join([EXP % "2099-01-01T00:00:00Z"] * 11) + "]")


def test_expiration_deletes_parameter(ssm):
    import datetime as dt
    import time
    c = ssm()
    n = pname()
    when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    c.put_parameter(Name=n, Value="x", Type="String", Tier="Advanced", Policies="[" + EXP % when + "]")
    assert c.get_parameter(Name=n)["Parameter"]["Value"] == "x"
    time.sleep(3)
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=n)
    assert c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [n]}])["Parameters"] == []
    c.put_parameter(Name=n, Value="new", Type="String")  # the name is free again
    assert c.get_parameter(Name=n)["Parameter"]["Version"] == 1


def test_selectors(ssm):
    c = ssm()
    n = pname()
    for v in ("a", "b", "c"):
        c.put_parameter(Name=n, Value=v, Type="String", Overwrite=True)
    c.label_parameter_version(Name=n, ParameterVersion=1, Labels=["old"])
    p = c.get_parameter(Name=n + ":2")["Parameter"]
    assert p["Value"] == "b" and p["Selector"] == ":2" and p["Name"] == n and p["Version"] == 2
    p = c.get_parameter(Name=n + ":old")["Parameter"]
    assert p["Value"] == "a" and p["Selector"] == ":old"
    arn = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{n}"
    assert c.get_parameter(Name=arn)["Parameter"]["Value"] == "c"
    assert c.get_parameter(Name=arn + ":1")["Parameter"]["Value"] == "a"
    with raises_code("ParameterVersionNotFound"):
        c.get_parameter(Name=n + ":9")
    with raises_code("ParameterVersionNotFound"):
        c.get_parameter(Name=n + ":nolabel")
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=pname())
    with raises_code("ParameterNotFound"):  # another region's ARN names nothing here
        c.get_parameter(Name=f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter{n}")


def test_get_parameters(ssm):
    c = ssm()
    a, b = pname("b"), pname("a")
    c.put_parameter(Name=a, Value="1", Type="String")
    c.put_parameter(Name=b, Value="2", Type="SecureString")
    missing = pname("zzz")
    r = c.get_parameters(Names=[a, b, missing, a + ":7"], WithDecryption=True)
    assert [p["Name"] for p in r["Parameters"]] == sorted([a, b])
    assert {p["Name"]: p["Value"] for p in r["Parameters"]} == {a: "1", b: "2"}
    assert sorted(r["InvalidParameters"]) == sorted([missing, a + ":7"])
    r = c.get_parameters(Names=[b])
    assert r["Parameters"][0]["Value"] != "2"
    with raises_code("ValidationException"):
        c.get_parameters(Names=[pname(str(i)) for i in range(11)])


def test_delete_parameter_and_parameters(ssm):
    c = ssm()
    n = pname()
    c.put_parameter(Name=n, Value="x", Type="String")
    assert c.delete_parameter(Name=n)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with raises_code("ParameterNotFound"):
        c.delete_parameter(Name=n)
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=n)
    names = [pname(str(i)) for i in range(3)]
    for x in names:
        c.put_parameter(Name=x, Value="x", Type="String")
    r = c.delete_parameters(Names=names + ["/nope/x"])
    assert sorted(r["DeletedParameters"]) == sorted(names)
    assert r["InvalidParameters"] == ["/nope/x"]
    assert c.get_parameters(Names=names)["Parameters"] == []


def test_tags(ssm):
    c = ssm()
    n = pname()
    c.put_parameter(Name=n, Value="x", Type="String", Tags=[{"Key": "env", "Value": "dev"}])
    lt = lambda: {t["Key"]: t["Value"] for t in c.list_tags_for_resource(ResourceType="Parameter", ResourceId=n)["TagList"]}
    assert lt() == {"env": "dev"}
    c.add_tags_to_resource(ResourceType="Parameter", ResourceId=n,
                           Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}])
    assert lt() == {"env": "prod", "team": "core"}
    c.remove_tags_from_resource(ResourceType="Parameter", ResourceId=n, TagKeys=["team", "absent"])
    assert lt() == {"env": "prod"}
    # tags survive an overwrite
    c.put_parameter(Name=n, Value="y", Overwrite=True)
    assert lt() == {"env": "prod"}
    with raises_code("InvalidResourceId"):
        c.list_tags_for_resource(ResourceType="Parameter", ResourceId=pname())
    with raises_code("InvalidResourceType"):
        c.list_tags_for_resource(ResourceType="Document", ResourceId=n)
    with raises_code("TooManyTagsError"):
        c.add_tags_to_resource(ResourceType="Parameter", ResourceId=n,
                               Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])


def test_unsupported_ssm_operation(ssm):
    c = ssm()
    with raises_code("UnknownOperationException") as ei:
        c.list_commands()
    assert "not supported" in str(ei.value)


def test_error_wire_shape(ssm):
    srv = ssm.server
    r = raw_call(srv.endpoint, None, {"Name": "/does/not/exist"}, target="AmazonSSM.GetParameter",
                 service="ssm")
    assert r.status_code == 400
    body = r.json()
    assert body["__type"] == "ParameterNotFound"
    assert r.headers["X-Amzn-ErrorType"] == "ParameterNotFound"
    # AWS answers a missing GetParameter without message text (recorded: Error.Message "").
    assert body.get("message", "") == "" and body.get("Message", "") == ""
    n = "/wire/shape"
    raw_call(srv.endpoint, None, {"Name": n, "Value": "v", "Type": "String"},
             target="AmazonSSM.PutParameter", service="ssm")
    r = raw_call(srv.endpoint, None, {"Name": n, "Value": "v", "Type": "String"},
                 target="AmazonSSM.PutParameter", service="ssm")
    body = r.json()
    assert body["__type"] == "ParameterAlreadyExists"
    assert "message" in body and "Message" in body
    r = raw_call(srv.endpoint, None, {"Name": 5}, target="AmazonSSM.GetParameter", service="ssm")
    assert r.json()["__type"] == "SerializationException"


def test_secure_string_under_customer_key_disable_enable(ssm):
    import boto3
    from conftest import DEV_AKID, DEV_SECRET
    c = ssm()
    kms = boto3.client("kms", endpoint_url=ssm.server.endpoint, region_name="us-east-1",
                       aws_access_key_id=DEV_AKID, aws_secret_access_key=DEV_SECRET)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    n = pname()
    c.put_parameter(Name=n, Value="under-cmk", Type="SecureString", KeyId=key_id)
    meta = c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [n]}])["Parameters"][0]
    assert meta["KeyId"] == key_id
    kms.disable_key(KeyId=key_id)
    with raises_code("InvalidKeyId"):
        c.get_parameter(Name=n, WithDecryption=True)
    assert c.get_parameter(Name=n)["Parameter"]["Type"] == "SecureString"  # ciphertext still readable
    with raises_code("InvalidKeyId"):
        c.put_parameter(Name=pname(), Value="x", Type="SecureString", KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    assert c.get_parameter(Name=n, WithDecryption=True)["Parameter"]["Value"] == "under-cmk"
