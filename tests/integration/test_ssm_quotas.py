"""Parameter Store's parameter quotas per account and region (10,000 Standard, 100,000
Advanced on AWS; lowered here with arcanad's --ssm-*-parameters-quota options so that a test
need not create 10,000 parameters).

A create beyond its tier's quota is ParameterLimitExceeded. Intelligent-Tiering, asked for
or as the account's default-parameter-tier setting, creates an Advanced parameter once the
Standard ones are at their quota: PutParameter's Tier documentation lists "More than 10,000
parameters already exist in your AWS account in the current AWS Region" among the reasons
Intelligent-Tiering chooses Advanced.
"""

from __future__ import annotations

import pytest

from conftest import ArcanaServer, raises_code
from ssm_helpers import pname, ssm_client_for

STANDARD, ADVANCED = 3, 2
TIER_SETTING = "/ssm/parameter-store/default-parameter-tier"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("ssm-quotas")
    s = ArcanaServer(base / "data", base / "logs", dev=True,
                     args=["--ssm-standard-parameters-quota", str(STANDARD),
                           "--ssm-advanced-parameters-quota", str(ADVANCED)])
    s.start()
    yield s
    s.stop()


@pytest.fixture
def c(server):
    server.reset()
    return ssm_client_for(server.endpoint)


def test_intelligent_tiering_creates_advanced_once_standard_is_full(c):
    standard = [pname() for _ in range(STANDARD)]
    for n in standard:
        assert c.put_parameter(Name=n, Value="v", Type="String")["Tier"] == "Standard"
    with raises_code("ParameterLimitExceeded"):
        c.put_parameter(Name=pname(), Value="v", Type="String")
    with raises_code("ParameterLimitExceeded"):
        c.put_parameter(Name=pname(), Value="v", Type="String", Tier="Standard")
    # An existing Standard parameter keeps its place: overwriting it stays Standard.
    r = c.put_parameter(Name=standard[0], Value="w", Overwrite=True, Tier="Intelligent-Tiering")
    assert r["Tier"] == "Standard"
    n = pname()
    assert c.put_parameter(Name=n, Value="v", Type="String",
                           Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    assert c.get_parameter(Name=n)["Parameter"]["Value"] == "v"
    # The account's default tier setting Intelligent-Tiering, no Tier in the request.
    c.update_service_setting(SettingId=TIER_SETTING, SettingValue="Intelligent-Tiering")
    assert c.put_parameter(Name=pname(), Value="v", Type="String")["Tier"] == "Advanced"
    # Advanced full too: nothing is left to create.
    with raises_code("ParameterLimitExceeded"):
        c.put_parameter(Name=pname(), Value="v", Type="String", Tier="Intelligent-Tiering")
    with raises_code("ParameterLimitExceeded"):
        c.put_parameter(Name=pname(), Value="v", Type="String")
    # A Standard place freed: Intelligent-Tiering chooses Standard again.
    c.delete_parameter(Name=standard[1])
    assert c.put_parameter(Name=pname(), Value="v", Type="String")["Tier"] == "Standard"
