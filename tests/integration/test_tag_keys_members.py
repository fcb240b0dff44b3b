"""aws:TagKeys and aws:RequestTag/* come only from the tag member the operation has (policy
review): a TagResource carrying a stray "TagKeys" list (a member only UntagResource has) had
that list replace the aws:TagKeys of the tags it set, so a policy allowing only some tag keys
let any key be set. Secrets Manager, Parameter Store and EventBridge share the rule."""

from __future__ import annotations

from conftest import raw_call
from test_access_control import Admin, admin, allow, doc, uniq  # noqa: F401

ONLY_ENV = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}


def call(admin, creds, target: str, service: str, body: dict) -> tuple[int, dict]:
    r = raw_call(admin.endpoint, None, body, target=target, service=service,
                 akid=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    return r.status_code, (r.json() if r.content else {})


def test_a_stray_tag_keys_member_does_not_change_what_a_tagging_call_sets(admin):
    arn = admin.sm.create_secret(Name=uniq("tagkeys"), SecretString="v")["ARN"]
    pname = "/" + uniq("tagkeys")
    admin.ssm.put_parameter(Name=pname, Value="v", Type="String")
    _, creds = admin.user(doc(
        allow(["secretsmanager:TagResource", "secretsmanager:UntagResource",
               "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"], Condition=ONLY_ENV)))

    sm = "secretsmanager.TagResource"
    status, out = call(admin, creds, sm, "secretsmanager",
                       {"SecretId": arn, "Tags": [{"Key": "owner", "Value": "x"}],
                        "TagKeys": ["env"]})
    assert (status, out.get("__type")) == (400, "AccessDeniedException"), out
    status, out = call(admin, creds, sm, "secretsmanager",
                       {"SecretId": arn, "Tags": [{"Key": "env", "Value": "x"}]})
    assert status == 200, out
    # An untag is judged on the keys it removes, whatever tag list rides along.
    status, out = call(admin, creds, "secretsmanager.UntagResource", "secretsmanager",
                       {"SecretId": arn, "TagKeys": ["owner"],
                        "Tags": [{"Key": "env", "Value": "x"}]})
    assert (status, out.get("__type")) == (400, "AccessDeniedException"), out

    ssm = "AmazonSSM.AddTagsToResource"
    status, out = call(admin, creds, ssm, "ssm",
                       {"ResourceType": "Parameter", "ResourceId": pname,
                        "Tags": [{"Key": "owner", "Value": "x"}], "TagKeys": ["env"]})
    assert (status, out.get("__type")) == (400, "AccessDeniedException"), out
    status, out = call(admin, creds, ssm, "ssm",
                       {"ResourceType": "Parameter", "ResourceId": pname,
                        "Tags": [{"Key": "env", "Value": "x"}]})
    assert status == 200, out
