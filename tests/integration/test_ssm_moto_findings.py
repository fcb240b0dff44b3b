"""SSM Parameter Store: the differences from AWS found by replaying moto's Parameter Store tests
(getmoto/moto tests/test_ssm/) against Arcana, each asserted the way AWS behaves. Where moto
and AWS disagree these tests hold AWS's behaviour; each docstring names the evidence.
"""

import uuid

from conftest import raises_code
from ssm_helpers import pname, ssm  # noqa: F401


def error_of(ei):
    e = ei.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def described(c, name):
    r = c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
    assert len(r["Parameters"]) == 1
    return r["Parameters"][0]


def test_secure_string_with_the_default_alias_named_on_a_fresh_account(ssm):
    """KeyId "alias/aws/ssm" names the AWS managed key, which exists in every account (AWS
    creates it on first use): a SecureString naming it on a fresh server is stored under it,
    the first write of the account included (it was InvalidKeyId "The KMS key  can't be
    found")."""
    c = ssm()
    n = pname("pwd")
    assert c.put_parameter(Name=n, Value="my_secret", Type="SecureString",
                           KeyId="alias/aws/ssm")["Version"] == 1
    assert c.get_parameter(Name=n, WithDecryption=True)["Parameter"]["Value"] == "my_secret"
    assert described(c, n)["KeyId"] == "alias/aws/ssm"
    ps = c.get_parameters_by_path(
        Path=n.rsplit("/", 1)[0],
        ParameterFilters=[{"Key": "KeyId", "Values": ["alias/aws/ssm"]}])["Parameters"]
    assert [p["Name"] for p in ps] == [n]


def test_key_id_on_a_plain_string_is_accepted_and_ignored(ssm):
    """AWS accepts a KeyId on a String or StringList parameter and keeps none: nothing is
    encrypted and DescribeParameters answers no KeyId for it (hashicorp/terraform-provider-aws
    #21095: a String parameter created with key_id succeeds, then every plan shows key_id
    drifting because AWS never returns it). The model's KeyId pattern still applies."""
    c = ssm()
    n = pname("plain")
    assert c.put_parameter(Name=n, Value="v", Type="String", KeyId="someKeyId")["Version"] == 1
    p = c.get_parameter(Name=n)["Parameter"]
    assert (p["Type"], p["Value"]) == ("String", "v")
    assert "KeyId" not in described(c, n)
    assert all("KeyId" not in h for h in c.get_parameter_history(Name=n)["Parameters"])
    # An overwrite that names a key (the type kept from the parameter) is the same.
    assert c.put_parameter(Name=n, Value="w", KeyId="alias/none", Overwrite=True)["Version"] == 2
    assert "KeyId" not in described(c, n)
    lst = pname("list")
    c.put_parameter(Name=lst, Value="a,b", Type="StringList", KeyId="k")
    assert "KeyId" not in described(c, lst)
    with raises_code("ValidationException") as ei:
        c.put_parameter(Name=pname(), Value="v", Type="String", KeyId="a key")
    assert "at 'keyId' failed to satisfy constraint" in error_of(ei)[1]


def test_empty_value_is_not_echoed(ssm):
    """An empty Value answers AWS's model-validation wording for a sensitive member: no value
    quoted, no closing period ("Value at 'value' failed to satisfy constraint: Member must have
    length greater than or equal to 1", as quoted from AWS failures in public code; moto adds
    "'' " and a period)."""
    c = ssm()
    with raises_code("ValidationException") as ei:
        c.put_parameter(Name=pname(), Value="", Type="SecureString")
    assert error_of(ei) == (
        "ValidationException",
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1", 400)


def test_invalid_type_lists_aws_enum_order(ssm):
    """A Type outside the enum lists the values in AWS's order, [SecureString, StringList,
    String] (the error AWS gave, quoted in aws/aws-cli#3116), not the model's."""
    c = ssm()
    with raises_code("ValidationException") as ei:
        c.put_parameter(Name=pname(), Value="v", Type="str")
    assert error_of(ei) == (
        "ValidationException",
        "1 validation error detected: Value 'str' at 'type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [SecureString, StringList, String]", 400)


def test_name_contains_reads_root_level_names_as_slash_rooted(ssm):
    """DescribeParameters' Name filter with Contains matches a root-level parameter as
    "/name", like Equals and BeginsWith do: "/tan" finds "tangram-..." and "/tangent-...", not
    "standby-..." (moto's test written to mimic AWS, getmoto/moto#3189)."""
    c = ssm()
    u = uuid.uuid4().hex[:6]
    names = [f"/tangent-{u}", f"tangram-{u}", f"standby-{u}", f"param-{u}"]
    for n in names:
        c.put_parameter(Name=n, Value="v", Type="String")

    def contains(value):
        r = c.describe_parameters(ParameterFilters=[
            {"Key": "Name", "Option": "Contains", "Values": [value]}], MaxResults=50)
        return sorted(p["Name"] for p in r["Parameters"] if u in p["Name"])

    assert contains("/tan") == sorted([f"/tangent-{u}", f"tangram-{u}"])
    assert contains(f"ram-{u}") == sorted([f"tangram-{u}", f"param-{u}"])
    assert contains(f"/param-{u}") == [f"param-{u}"]


def test_lists_of_strings_are_quoted_and_element_violations_folded(ssm):
    """Model violations of a list of strings name the list with its elements, and fold the
    elements' violations into one "Member must satisfy constraint: [...]" listing the element
    shape's constraints: AWS's JSON-service wording (moto records it for GetParameters' Names
    and LabelParameterVersion's Labels)."""
    c = ssm()
    names = [f"n{i}" for i in range(11)]
    with raises_code("ValidationException") as ei:
        c.get_parameters(Names=names)
    assert error_of(ei) == (
        "ValidationException",
        f"1 validation error detected: Value '[{', '.join(names)}]' at 'names' failed to "
        "satisfy constraint: Member must have length less than or equal to 10", 400)
    n = pname()
    c.put_parameter(Name=n, Value="v", Type="String")
    long_label = "a" * 101
    with raises_code("ValidationException") as ei:
        c.label_parameter_version(Name=n, ParameterVersion=1, Labels=[long_label])
    assert error_of(ei) == (
        "ValidationException",
        f"1 validation error detected: Value '[{long_label}]' at 'labels' failed to satisfy "
        "constraint: Member must satisfy constraint: [Member must have length less than or "
        "equal to 100, Member must have length greater than or equal to 1]", 400)
    with raises_code("ValidationException") as ei:
        c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["t" * 1025]}])
    assert (f"Value '[{'t' * 1025}]' at 'parameterFilters.1.member.values' failed to satisfy "
            "constraint: Member must satisfy constraint: [Member must have length less than or "
            "equal to 1024, Member must have length greater than or equal to 1]"
            ) in error_of(ei)[1]
