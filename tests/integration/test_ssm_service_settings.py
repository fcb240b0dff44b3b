"""SSM service settings: GetServiceSetting / UpdateServiceSetting / ResetServiceSetting for
Parameter Store's two settings, by ARN and by bare id, through boto3 (and the aws CLI once);
the default parameter tier taking effect on PutParameter without a Tier (Advanced,
Intelligent-Tiering); per-region scope; persistence across a restart and across nodes on one
PostgreSQL store; refusals (unknown id, a documented id outside Parameter Store, another
region's ARN, a bad value) and authorization (an IAM user without permission is denied).

Message texts: ServiceSettingNotFound is AWS's documented description of the error (API
reference / botocore model); the invalid-value ValidationException text is Arcana's (AWS
documents no wording for it)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from aws_cli import run_cli
from conftest import ACCOUNT, DEV_AKID, DEV_SECRET, raises_code
from ssm_helpers import pname, ssm, ssm_client_for  # noqa: F401
from test_iam import client as iam_client

REGION = "us-east-1"
TIER_ID = "/ssm/parameter-store/default-parameter-tier"
THROUGHPUT_ID = "/ssm/parameter-store/high-throughput-enabled"
NOT_FOUND = ("The specified service setting wasn't found. Either the service name or the "
             "setting hasn't been provisioned by the AWS service team.")
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"


def arn_of(setting_id: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:ssm:{region}:{account}:servicesetting{setting_id}"


def setting(c, setting_id: str) -> dict:
    return c.get_service_setting(SettingId=setting_id)["ServiceSetting"]


def error_of(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def assert_default(s: dict, setting_id: str, value: str, region: str = REGION) -> None:
    assert s["SettingId"] == setting_id
    assert s["SettingValue"] == value
    assert s["Status"] == "Default"
    assert s["LastModifiedUser"] == "System"
    assert s["ARN"] == arn_of(setting_id, region)


def recent(t: dt.datetime) -> bool:
    return abs((dt.datetime.now(dt.timezone.utc) - t).total_seconds()) < 120


def tier_of(c, name: str) -> str:
    meta = c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
    return meta["Parameters"][0]["Tier"]


# --------------------------------------------------------------------------- get / update / reset

def test_defaults_by_id_and_by_arn(ssm):
    c = ssm()
    for sid, default in ((TIER_ID, "Standard"), (THROUGHPUT_ID, "false")):
        for spelled in (sid, arn_of(sid)):
            s = setting(c, spelled)
            assert_default(s, sid, default)
            assert "LastModifiedDate" not in s  # never modified: nothing to date


def test_default_tier_update_by_arn_get_by_id_reset_by_id(ssm):
    c = ssm()
    r = c.update_service_setting(SettingId=arn_of(TIER_ID), SettingValue="Advanced")
    assert set(r) == {"ResponseMetadata"}  # UpdateServiceSettingResult has no members
    s = setting(c, TIER_ID)
    assert s["SettingId"] == TIER_ID and s["SettingValue"] == "Advanced"
    assert s["Status"] == "Customized"
    assert s["LastModifiedUser"] == ROOT_ARN
    assert s["ARN"] == arn_of(TIER_ID) and recent(s["LastModifiedDate"])
    assert setting(c, arn_of(TIER_ID)) == s

    back = c.reset_service_setting(SettingId=TIER_ID)["ServiceSetting"]
    assert_default(back, TIER_ID, "Standard")
    assert recent(back["LastModifiedDate"])
    assert setting(c, arn_of(TIER_ID)) == back


def test_high_throughput_update_by_id_reset_by_arn(ssm):
    c = ssm()
    c.update_service_setting(SettingId=THROUGHPUT_ID, SettingValue="true")
    s = setting(c, arn_of(THROUGHPUT_ID))
    assert (s["SettingValue"], s["Status"], s["LastModifiedUser"]) == ("true", "Customized",
                                                                        ROOT_ARN)
    # The tier setting is a setting of its own.
    assert setting(c, TIER_ID)["SettingValue"] == "Standard"
    c.update_service_setting(SettingId=arn_of(THROUGHPUT_ID), SettingValue="false")
    assert setting(c, THROUGHPUT_ID)["Status"] == "Customized"  # chosen, even if the default
    back = c.reset_service_setting(SettingId=arn_of(THROUGHPUT_ID))["ServiceSetting"]
    assert_default(back, THROUGHPUT_ID, "false")


def test_settings_are_per_region(ssm):
    east, west = ssm("us-east-1"), ssm("eu-west-1")
    east.update_service_setting(SettingId=TIER_ID, SettingValue="Intelligent-Tiering")
    assert setting(east, TIER_ID)["SettingValue"] == "Intelligent-Tiering"
    assert_default(setting(west, TIER_ID), TIER_ID, "Standard", region="eu-west-1")
    n = pname()
    assert west.put_parameter(Name=n, Value="x" * 5000, Type="String",
                              Tier="Advanced")["Tier"] == "Advanced"
    with raises_code("ValidationException"):  # eu-west-1's default is still Standard
        west.put_parameter(Name=pname(), Value="x" * 5000, Type="String")
    # An ARN of another region is not this region's setting.
    code, status, message = error_of(
        lambda: east.get_service_setting(SettingId=arn_of(TIER_ID, "eu-west-1")))
    assert (code, status, message) == ("ServiceSettingNotFound", 400, NOT_FOUND)


# --------------------------------------------------------------------------- the default tier

def test_put_parameter_without_tier_uses_the_advanced_default(ssm):
    c = ssm()
    standard = pname("standard")
    c.put_parameter(Name=standard, Value="v", Type="String")
    advanced_before = pname("advanced-before")
    c.put_parameter(Name=advanced_before, Value="v", Type="String", Tier="Advanced")
    c.update_service_setting(SettingId=arn_of(TIER_ID), SettingValue="Advanced")

    n = pname("new")
    assert c.put_parameter(Name=n, Value="v", Type="SecureString")["Tier"] == "Advanced"
    assert tier_of(c, n) == "Advanced"
    assert c.get_parameter(Name=n, WithDecryption=True)["Parameter"]["Value"] == "v"
    # A Tier in the request still wins.
    explicit = pname("explicit")
    assert c.put_parameter(Name=explicit, Value="v", Type="String",
                           Tier="Standard")["Tier"] == "Standard"
    assert tier_of(c, explicit) == "Standard"
    # An update without a Tier takes the default too (Parameter Store's docs: "If no tier is
    # specified, the default tier setting determines which tier is used").
    r = c.put_parameter(Name=standard, Value="v2", Overwrite=True)
    assert (r["Version"], r["Tier"]) == (2, "Advanced")
    assert tier_of(c, standard) == "Advanced"

    c.reset_service_setting(SettingId=TIER_ID)
    later = pname("later")
    assert c.put_parameter(Name=later, Value="v", Type="String")["Tier"] == "Standard"
    # Back at Standard, an Advanced parameter overwritten without a Tier stays Advanced.
    assert c.put_parameter(Name=advanced_before, Value="v2", Overwrite=True)["Tier"] == "Advanced"


def test_put_parameter_without_tier_uses_the_intelligent_tiering_default(ssm):
    c = ssm()
    c.update_service_setting(SettingId=TIER_ID, SettingValue="Intelligent-Tiering")
    small, large, with_policy = pname("small"), pname("large"), pname("policy")
    assert c.put_parameter(Name=small, Value="v", Type="String")["Tier"] == "Standard"
    assert c.put_parameter(Name=large, Value="x" * 5000, Type="String")["Tier"] == "Advanced"
    policy = json.dumps([{"Type": "Expiration", "Version": "1.0",
                          "Attributes": {"Timestamp": "2099-01-01T00:00:00.000Z"}}])
    assert c.put_parameter(Name=with_policy, Value="v", Type="String",
                           Policies=policy)["Tier"] == "Advanced"
    assert [tier_of(c, n) for n in (small, large, with_policy)] == [
        "Standard", "Advanced", "Advanced"]
    # A small value later grown past 4 KB is upgraded, without the caller naming a tier.
    assert c.put_parameter(Name=small, Value="y" * 4097, Overwrite=True)["Tier"] == "Advanced"


def test_setting_survives_a_restart(fresh_dev_server):
    c = ssm_client_for(fresh_dev_server.endpoint)
    c.update_service_setting(SettingId=TIER_ID, SettingValue="Advanced")
    fresh_dev_server.restart()
    c = ssm_client_for(fresh_dev_server.endpoint)
    s = setting(c, TIER_ID)
    assert (s["SettingValue"], s["Status"]) == ("Advanced", "Customized")
    assert c.put_parameter(Name=pname(), Value="v", Type="String")["Tier"] == "Advanced"


def test_dev_reset_restores_the_defaults(ssm):
    c = ssm()
    c.update_service_setting(SettingId=TIER_ID, SettingValue="Advanced")
    ssm.server.reset()
    assert_default(setting(c, TIER_ID), TIER_ID, "Standard")


# --------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("setting_id", [
    "/ssm/parameter-store/no-such-setting",
    "ssm/parameter-store/default-parameter-tier",
    arn_of("/ssm/parameter-store/no-such-setting"),
    arn_of(TIER_ID, account="999999999999"),
])
def test_unknown_setting_id_is_service_setting_not_found(ssm, setting_id):
    c = ssm()
    for call in (lambda: c.get_service_setting(SettingId=setting_id),
                 lambda: c.update_service_setting(SettingId=setting_id, SettingValue="true"),
                 lambda: c.reset_service_setting(SettingId=setting_id)):
        assert error_of(call) == ("ServiceSettingNotFound", 400, NOT_FOUND)


def test_documented_settings_outside_parameter_store_are_refused_saying_so(ssm):
    c = ssm()
    code, status, message = error_of(
        lambda: c.get_service_setting(SettingId="/ssm/documents/console/public-sharing-permission"))
    assert (code, status) == ("ServiceSettingNotFound", 400)
    assert message == (NOT_FOUND + " This server serves only the Parameter Store settings "
                       f"{TIER_ID} and {THROUGHPUT_ID}.")


def test_bad_values_are_validation_errors_and_change_nothing(ssm):
    c = ssm()
    code, status, message = error_of(
        lambda: c.update_service_setting(SettingId=TIER_ID, SettingValue="Premium"))
    assert (code, status) == ("ValidationException", 400)
    assert message == (f"The value Premium is not valid for the service setting {TIER_ID}. "
                       "Valid values: Standard, Advanced or Intelligent-Tiering.")
    code, status, message = error_of(
        lambda: c.update_service_setting(SettingId=arn_of(THROUGHPUT_ID), SettingValue="TRUE"))
    assert (code, status) == ("ValidationException", 400)
    assert message == (f"The value TRUE is not valid for the service setting {THROUGHPUT_ID}. "
                       "Valid values: true or false.")
    assert setting(c, TIER_ID)["Status"] == "Default"
    assert setting(c, THROUGHPUT_ID)["Status"] == "Default"


# --------------------------------------------------------------------------- authorization

def test_iam_user_needs_the_actions_on_the_setting_arn(ssm):
    c = ssm()
    endpoint = ssm.server.endpoint
    iam = iam_client(endpoint, "iam", DEV_AKID, DEV_SECRET)
    name = f"settings-{uuid.uuid4().hex[:8]}"
    user_arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user = iam_client(endpoint, "ssm", key["AccessKeyId"], key["SecretAccessKey"])

    for op, call in (
            ("GetServiceSetting", lambda: user.get_service_setting(SettingId=TIER_ID)),
            ("UpdateServiceSetting", lambda: user.update_service_setting(
                SettingId=arn_of(TIER_ID), SettingValue="Advanced")),
            ("ResetServiceSetting", lambda: user.reset_service_setting(SettingId=TIER_ID))):
        code, _, message = error_of(call)
        assert code == "AccessDeniedException"
        assert message == (f"User: {user_arn} is not authorized to perform: ssm:{op} on "
                           f"resource: {arn_of(TIER_ID)} because no identity-based policy "
                           f"allows the ssm:{op} action")
    assert setting(c, TIER_ID)["Status"] == "Default"

    # Read-only on every setting, update on the tier setting only (the policy AWS's
    # Parameter Store guide gives for this setting).
    iam.put_user_policy(UserName=name, PolicyName="tier", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetServiceSetting", "Resource": "*"},
            {"Effect": "Allow", "Action": "ssm:UpdateServiceSetting",
             "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:servicesetting/ssm/parameter-store/"
                         "default-parameter-tier"}]}))
    user.update_service_setting(SettingId=TIER_ID, SettingValue="Advanced")
    s = setting(user, THROUGHPUT_ID)
    assert s["SettingValue"] == "false"
    mine = setting(user, TIER_ID)
    assert (mine["SettingValue"], mine["LastModifiedUser"]) == ("Advanced", user_arn)
    assert error_of(lambda: user.update_service_setting(
        SettingId=THROUGHPUT_ID, SettingValue="true"))[0] == "AccessDeniedException"
    assert error_of(lambda: user.reset_service_setting(
        SettingId=TIER_ID))[0] == "AccessDeniedException"


# --------------------------------------------------------------------------- aws CLI

def test_aws_cli_get_service_setting(ssm, tmp_path):
    c = ssm()
    c.update_service_setting(SettingId=THROUGHPUT_ID, SettingValue="true")
    p = run_cli(ssm.server.endpoint, tmp_path, DEV_AKID, DEV_SECRET, "ssm", "get-service-setting",
                "--setting-id", arn_of(THROUGHPUT_ID))
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)["ServiceSetting"]
    assert s["SettingId"] == THROUGHPUT_ID and s["SettingValue"] == "true"
    assert s["Status"] == "Customized" and s["ARN"] == arn_of(THROUGHPUT_ID)
    assert s["LastModifiedUser"] == ROOT_ARN and "LastModifiedDate" in s


# --------------------------------------------------------------------------- several nodes

@pytest.mark.postgresql_only("several nodes need a shared PostgreSQL store")
def test_default_tier_set_through_one_node_applies_on_another(tmp_path):
    import test_cluster
    import pg_cluster
    cluster = test_cluster.Cluster(pg_cluster.session_cluster(), tmp_path)
    try:
        a, b = cluster.start(2)
        ca, cb = test_cluster.client(a, "ssm"), test_cluster.client(b, "ssm")
        ca.update_service_setting(SettingId=TIER_ID, SettingValue="Advanced")
        assert setting(cb, TIER_ID)["SettingValue"] == "Advanced"
        n = pname()
        assert cb.put_parameter(Name=n, Value="v", Type="String")["Tier"] == "Advanced"
        cb.reset_service_setting(SettingId=arn_of(TIER_ID))
        assert ca.put_parameter(Name=pname(), Value="v", Type="String")["Tier"] == "Standard"
        assert setting(ca, TIER_ID)["Status"] == "Default"
    finally:
        cluster.stop_all()


# --------------------------------------------------------------------------- audit

def test_audit_record_names_the_setting(ssm):
    c = ssm()
    c.update_service_setting(SettingId=TIER_ID, SettingValue="Intelligent-Tiering")
    ct = iam_client(ssm.server.endpoint, "cloudtrail", DEV_AKID, DEV_SECRET)
    ev = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                             "AttributeValue": "UpdateServiceSetting"}],
                          MaxResults=1)["Events"][0]
    assert ev["EventSource"] == "ssm.amazonaws.com"
    assert ev["Resources"] == [{"ResourceType": "AWS::SSM::ServiceSetting",
                                "ResourceName": arn_of(TIER_ID)}]
    record = json.loads(ev["CloudTrailEvent"])
    assert record["requestParameters"] == {"settingId": TIER_ID,
                                           "settingValue": "Intelligent-Tiering"}
    assert record["readOnly"] is False
