"""Parameter Store authorization sees a parameter's tags under Systems Manager's own key,
ssm:resourceTag/K ("a tag key-value pair assigned to the Systems Manager resource", Service
Authorization Reference), as well as aws:ResourceTag/K; against a non-dev server with real IAM
users (review finding on SSM authorization)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from test_access_control import Admin, admin, allow, deny, doc, uniq  # noqa: F401
from test_iam import code_of


@pytest.mark.parametrize("key", ["ssm:resourceTag/team", "aws:ResourceTag/team"])
def test_resource_tag_keys_of_a_parameter(admin, key):
    blue, red = "/" + uniq("blue"), "/" + uniq("red")
    admin.ssm.put_parameter(Name=blue, Value="v", Type="String",
                            Tags=[{"Key": "team", "Value": "blue"}])
    admin.ssm.put_parameter(Name=red, Value="v", Type="String",
                            Tags=[{"Key": "team", "Value": "red"}])
    _, creds = admin.user(doc(allow("ssm:GetParameter",
                                    Condition={"StringEquals": {key: "blue"}})))
    ssm = admin.as_keys("ssm", creds)
    assert ssm.get_parameter(Name=blue)["Parameter"]["Value"] == "v"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=red)
    assert code_of(e.value) == ("AccessDeniedException", 400), e.value.response
    # A Deny on the key applies too.
    _, creds = admin.user(doc(allow("ssm:GetParameter"),
                              deny("ssm:GetParameter", Condition={"StringEquals": {key: "red"}})))
    ssm = admin.as_keys("ssm", creds)
    ssm.get_parameter(Name=blue)
    with pytest.raises(ClientError):
        ssm.get_parameter(Name=red)
