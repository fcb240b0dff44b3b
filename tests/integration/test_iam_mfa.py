"""IAM virtual MFA devices and STS with MFA through boto3: Create/DeleteVirtualMFADevice,
Enable/Deactivate/ResyncMFADevice, ListVirtualMFADevices, ListMFADevices, GetMFADevice (a signed
Query call: botocore 1.29 predates it), Tag/Untag/ListMFADeviceTags, DeleteUser and
GetAccountSummary, GetSessionToken and AssumeRole with SerialNumber and TokenCode, the
aws:MultiFactorAuthPresent / aws:MultiFactorAuthAge condition keys, the seed kept out of the
audit trail.

The evidence for each AWS answer, named in each test:
- "recorded": LocalStack's AWS-validated tests/aws/services/iam/test_iam_mfa.py and its
  .snapshot.json (AWS, 17/24-02-2026): the create answer, serials, EntityAlreadyExists and
  NoSuchEntity texts, list shapes, "Invalid Marker.", Enable's (previous, current step) codes;
- "observed": AWS's answers quoted in public issues: DeleteUser's DeleteConflict
  (ansible#27247), STS's AccessDenied texts (aws-mfa#21, aws-cli#2279/#6325, sgviz#9),
  InvalidAuthenticationCode's text, a 64-character seed;
- "API reference": DeleteVirtualMFADevice's DeleteConflict, GetMFADevice, the condition keys
  (IAM User Guide), GetSessionToken's IAM rule, GetAccountSummary's example.
Where no AWS text was found, only the error code is asserted.

Codes are RFC 6238 TOTP (HMAC-SHA-1, 30 s, 6 digits) computed here; a device hands out codes for
strictly increasing time steps only (AWS refuses a code used once), so a use right after the
enabling waits for the next step: the devices the STS tests and the resync use are enabled when
the module starts, and the other tests run during the wait. The session's non-dev server
(auth_server); every test names its entities uniquely; run on each store (ARCANA_TEST_STORE)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import struct
import time
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET, wait_for
from test_iam import client, code_of, name
from test_iam_oidc_providers import err
from test_root_of_trust import AKID as ROT_AKID, SECRET as ROT_SECRET
from test_root_of_trust import servers  # noqa: F401 (a fixture)
from test_sts import creds_client, iam  # noqa: F401 (iam: a fixture)
from test_sts_access_key_info import new_user

STEP = 30
SEEDS: list[bytes] = []  # every seed the module was given, for the audit check at its end
NOT_VALID = "Authentication code for device is not valid."  # observed
WRONG_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
NOT_ASSOCIATED = ("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify "
                  "your MFA serial number is valid and associated with this user.")
BOTH_NEEDED = ("MultiFactorAuthentication failed, must provide both MFA serial number and one "
               "time pass code.")
IN_USE_DELETE_USER = "Cannot delete entity, must delete MFA device first."
BAD_PATH = ("The specified value for path is invalid. It must begin and end with / and contain "
            "only alphanumeric characters and/or / characters.")


def no_device(serial: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"MFA Device with serial number {serial} does not exist.", 404)


def no_user(user: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"The user with name {user} cannot be found.", 404)


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", condition: dict | None = None) -> dict:
    s = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {**s, "Condition": condition} if condition else s


MFA_PRESENT = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def totp(seed_b32: bytes, step: int) -> str:
    """RFC 6238 / RFC 4226: the 6-digit code of a base32 seed at a 30-second step."""
    key = base64.b32decode(seed_b32 + b"=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def now_step(margin: float = 2.0) -> int:
    """The current step, after waiting out its last `margin` seconds (a code made now is still
    current when the server checks it)."""
    left = STEP - time.time() % STEP
    if left < margin:
        time.sleep(left + 0.1)
    return int(time.time() // STEP)


class Device:
    """A virtual MFA device and the authenticator app holding its seed."""

    def __init__(self, iam, path: str | None = None, tags: list | None = None):
        self.name = name("mfa")
        kw = {"Path": path} if path else {}
        if tags:
            kw["Tags"] = tags
        self.created = iam.create_virtual_mfa_device(VirtualMFADeviceName=self.name,
                                                     **kw)["VirtualMFADevice"]
        self.serial, self.seed = self.created["SerialNumber"], self.created["Base32StringSeed"]
        SEEDS.append(self.seed)
        self.last: int | None = None  # the last step whose code was used

    def codes(self, n: int = 1, ahead: int = 1) -> list[str]:
        """n consecutive codes, all later than any used before, ending at the current step or
        at most `ahead` steps after it, as a device whose clock runs a little fast shows them
        (a sign-in code and Enable's codes are accepted one step ahead of the server's time,
        Resync's a day either way): a test waits for a new step only when even that is not
        enough (the code after the enabling's, say, needs no wait)."""
        step = now_step()
        end = step if self.last is None else max(step, self.last + n)
        if end > step + ahead:
            time.sleep(max(0.0, (end - ahead) * STEP - time.time()) + 0.2)
            step = now_step()
            end = max(step, self.last + n)
        self.last = end
        return [totp(self.seed, s) for s in range(end - n + 1, end + 1)]

    def wrong_code(self) -> str:
        near = {totp(self.seed, s) for s in range(now_step() - 10, now_step() + 11)}
        return next(c for c in (f"{i:06d}" for i in itertools.count()) if c not in near)

    def enable(self, iam, user: str) -> None:
        # recorded: AWS accepted the previous step's code and the current one.
        self.enable_codes = self.codes(2)
        iam.enable_mfa_device(UserName=user, SerialNumber=self.serial,
                              AuthenticationCode1=self.enable_codes[0],
                              AuthenticationCode2=self.enable_codes[1])


def iam_query(endpoint: str, action: str, **params) -> tuple[int, ET.Element]:
    """An IAM action as a signed Query call by the root, for members newer than the suite's
    botocore: (HTTP status, the answer's XML root)."""
    data = urlencode({"Action": action, "Version": "2010-05-08", **params})
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    req = AWSRequest(method="POST", url=endpoint + "/", data=data, headers=headers)
    SigV4Auth(Credentials(ROOT_AKID, ROOT_SECRET), "iam", "us-east-1").add_auth(req)
    r = requests.post(endpoint + "/", data=data, headers=dict(req.headers), timeout=10)
    return r.status_code, ET.fromstring(r.content)


def get_mfa_device(endpoint: str, **params) -> tuple[int, dict]:
    """GetMFADevice: (HTTP status, {element: text} of the answer, flattened: the result's
    members or the error's Code and Message)."""
    status, root = iam_query(endpoint, "GetMFADevice", **params)
    return status, {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root.iter()}


def listed(iam, **kw) -> dict:
    """ListVirtualMFADevices, every page, as {serial: entry}."""
    out, page = {}, iam.list_virtual_mfa_devices(**kw)
    while True:
        out.update({d["SerialNumber"]: d for d in page["VirtualMFADevices"]})
        if not page["IsTruncated"]:
            return out
        page = iam.list_virtual_mfa_devices(**kw, Marker=page["Marker"])


@pytest.fixture(scope="module")
def mfa_users(iam):
    """Users with an access key and an enabled virtual MFA device each, for the STS tests and
    the resync, enabled together as the module starts: their first codes need a later step
    than their enabling's, and a step passes while the other tests run."""
    out = {}
    for what in ("session", "assume", "resync", "guessed"):
        u, key = new_user(iam)
        dev = Device(iam)
        dev.enable(iam, u)
        out[what] = SimpleNamespace(user=u, key=key, device=dev)
    return out


def test_totp_matches_rfc6238_test_vectors():
    seed = base64.b32encode(b"12345678901234567890")  # RFC 6238 appendix B, SHA-1
    assert [totp(seed, t // STEP) for t in (59, 1111111109, 1234567890)] == \
        ["287082", "081804", "005924"]


@pytest.mark.usefixtures("mfa_users")  # the STS devices are enabled first: see mfa_users
def test_create_answers_serial_seed_and_qr_code(iam):
    """recorded: the answer is {SerialNumber, Base32StringSeed, QRCodePNG}; the serial is
    arn:aws:iam::ACCOUNT:mfa + path + name, a double slash kept; a duplicate is
    EntityAlreadyExists "MFA device already exists."; a path not beginning and ending with /
    is ValidationError. observed: the seed is 64 base32 characters (40 bytes)."""
    d = Device(iam)
    assert set(d.created) == {"SerialNumber", "Base32StringSeed", "QRCodePNG"}
    assert d.serial == f"arn:aws:iam::{ACCOUNT}:mfa/{d.name}"
    assert isinstance(d.seed, bytes) and len(d.seed) == 64
    assert set(d.seed.decode()) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert len(base64.b32decode(d.seed)) == 40
    assert d.created["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    assert Device(iam).seed != d.seed
    for path, arn_path in (("/", ""), ("/team/", "team/"), ("/test//double/", "test//double/")):
        p = Device(iam, path=path)
        assert p.serial == f"arn:aws:iam::{ACCOUNT}:mfa/{arn_path}{p.name}"
    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=d.name)
    assert err(e) == ("EntityAlreadyExists", "MFA device already exists.", 409)
    for bad in ("invalid-path/", "/invalid-path"):
        with pytest.raises(ClientError) as e:
            iam.create_virtual_mfa_device(VirtualMFADeviceName=name("mfa"), Path=bad)
        assert err(e) == ("ValidationError", BAD_PATH, 400)


def test_enable_list_get_deactivate_delete(iam, auth_server):
    """recorded: an unassigned device is listed as {SerialNumber} alone, an assigned one with
    EnableDate and its User; ListMFADevices {UserName, SerialNumber, EnableDate}; a device in use
    cannot be enabled again ("MFA Device is already in use."); deactivated, it is listed
    unassigned again, not deleted. observed: DeleteUser's DeleteConflict text. API reference:
    an assigned device cannot be deleted (DeleteConflict; no AWS text found), GetMFADevice."""
    u, other = name("mfa-user"), name("mfa-user")
    user = iam.create_user(UserName=u)["User"]
    iam.create_user(UserName=other)
    d = Device(iam)
    assert listed(iam, AssignmentStatus="Unassigned")[d.serial] == {"SerialNumber": d.serial}
    assert iam.list_mfa_devices(UserName=u)["MFADevices"] == []
    d.enable(iam, u)

    entry = listed(iam, AssignmentStatus="Assigned")[d.serial]
    assert set(entry) == {"SerialNumber", "EnableDate", "User"}
    assert {k: entry["User"][k] for k in ("Path", "UserName", "UserId", "Arn")} == \
        {k: user[k] for k in ("Path", "UserName", "UserId", "Arn")}
    assert "CreateDate" in entry["User"] and entry["EnableDate"].year >= 2024
    assert d.serial not in listed(iam, AssignmentStatus="Unassigned")
    assert listed(iam)[d.serial] == entry  # no AssignmentStatus: Any
    devices = iam.list_mfa_devices(UserName=u)
    assert devices["IsTruncated"] is False
    assert devices["MFADevices"] == [
        {"UserName": u, "SerialNumber": d.serial, "EnableDate": entry["EnableDate"]}]
    status, got = get_mfa_device(auth_server.endpoint, SerialNumber=d.serial, UserName=u)
    assert status == 200 and (got["UserName"], got["SerialNumber"]) == (u, d.serial)
    assert got["EnableDate"].startswith(str(entry["EnableDate"].year))

    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName=other, SerialNumber=d.serial,
                              AuthenticationCode1=d.enable_codes[0],
                              AuthenticationCode2=d.enable_codes[1])
    assert err(e) == ("EntityAlreadyExists", "MFA Device is already in use.", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=d.serial)
    assert code_of(e.value) == ("DeleteConflict", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert err(e) == ("DeleteConflict", IN_USE_DELETE_USER, 409)

    iam.deactivate_mfa_device(UserName=u, SerialNumber=d.serial)
    assert listed(iam, AssignmentStatus="Unassigned")[d.serial] == {"SerialNumber": d.serial}
    assert iam.list_mfa_devices(UserName=u)["MFADevices"] == []
    with pytest.raises(ClientError) as e:  # deactivated is not deleted: the name is still taken
        iam.create_virtual_mfa_device(VirtualMFADeviceName=d.name)
    assert code_of(e.value) == ("EntityAlreadyExists", 409)
    iam.delete_user(UserName=u)  # an unassigned device does not hold its former user
    iam.delete_virtual_mfa_device(SerialNumber=d.serial)
    assert d.serial not in listed(iam)
    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=d.serial)
    assert err(e) == no_device(d.serial)
    status, got = get_mfa_device(auth_server.endpoint, SerialNumber=d.serial)
    assert (status, got.get("Code")) == (404, "NoSuchEntity")


def test_refusals_of_enable_deactivate_and_delete(iam):
    """recorded: an unknown user is NoSuchEntity before any code is looked at; Deactivate's and
    Delete's unknown device texts. observed: wrong codes are InvalidAuthenticationCode 403
    "Authentication code for device is not valid." (an unknown device on Enable: code only)."""
    u, missing_user = name("mfa-user"), name("nobody")
    iam.create_user(UserName=u)
    d = Device(iam)
    missing = f"arn:aws:iam::{ACCOUNT}:mfa/{name('missing')}"
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName=missing_user, SerialNumber=d.serial,
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
    assert err(e) == no_user(missing_user)
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName=u, SerialNumber=missing,
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
    assert code_of(e.value) == ("NoSuchEntity", 404)
    wrong, step = d.wrong_code(), now_step()
    swapped = (totp(d.seed, step), totp(d.seed, step - 1))  # right codes, in the wrong order
    for code1, code2 in ((wrong, wrong), swapped):
        with pytest.raises(ClientError) as e:
            iam.enable_mfa_device(UserName=u, SerialNumber=d.serial,
                                  AuthenticationCode1=code1, AuthenticationCode2=code2)
        assert err(e) == ("InvalidAuthenticationCode", NOT_VALID, 403)
    assert d.serial in listed(iam, AssignmentStatus="Unassigned")
    assert iam.list_mfa_devices(UserName=u)["MFADevices"] == []
    for call, want in (
            (lambda: iam.deactivate_mfa_device(UserName=missing_user, SerialNumber=d.serial),
             no_user(missing_user)),
            (lambda: iam.deactivate_mfa_device(UserName=u, SerialNumber=missing),
             no_device(missing)),
            (lambda: iam.delete_virtual_mfa_device(SerialNumber=missing), no_device(missing))):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == want


def test_tags_and_list_pages(iam):
    """API reference: ListMFADeviceTags answers the device's tags, Tag/Untag change them,
    listing answers no tags; recorded: MaxItems=1 pages with IsTruncated and a Marker, a bad
    Marker is ValidationError "Invalid Marker."; an unknown device's tags: NoSuchEntity (code)."""
    tagged = Device(iam, tags=[{"Key": "team", "Value": "blue"}])
    assert iam.list_mfa_device_tags(SerialNumber=tagged.serial)["Tags"] == \
        [{"Key": "team", "Value": "blue"}]
    iam.tag_mfa_device(SerialNumber=tagged.serial, Tags=[{"Key": "env", "Value": "prod"},
                                                         {"Key": "team", "Value": "red"}])
    iam.untag_mfa_device(SerialNumber=tagged.serial, TagKeys=["env"])
    assert iam.list_mfa_device_tags(SerialNumber=tagged.serial)["Tags"] == \
        [{"Key": "team", "Value": "red"}]
    with pytest.raises(ClientError) as e:
        iam.list_mfa_device_tags(SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/{name('missing')}")
    assert code_of(e.value) == ("NoSuchEntity", 404)

    mine = {tagged.serial} | {Device(iam).serial for _ in range(3)}
    page = iam.list_virtual_mfa_devices(MaxItems=1)
    assert page["IsTruncated"] is True and page["Marker"] and len(page["VirtualMFADevices"]) == 1
    seen = [d["SerialNumber"] for d in page["VirtualMFADevices"]]
    while page["IsTruncated"]:
        page = iam.list_virtual_mfa_devices(MaxItems=1, Marker=page["Marker"])
        seen += [d["SerialNumber"] for d in page["VirtualMFADevices"]]
    assert len(seen) == len(set(seen)) and mine <= set(seen)
    assert listed(iam, AssignmentStatus="Unassigned")[tagged.serial] == \
        {"SerialNumber": tagged.serial}
    with pytest.raises(ClientError) as e:
        iam.list_virtual_mfa_devices(Marker="not-a-marker")
    assert err(e) == ("ValidationError", "Invalid Marker.", 400)


def test_account_summary_counts_devices_and_those_in_use(iam):
    """API reference (GetAccountSummary's example: MFADevices 6, MFADevicesInUse 3): every
    device counts in MFADevices, an assigned one in MFADevicesInUse too."""
    def summary():
        m = iam.get_account_summary()["SummaryMap"]
        return m["MFADevices"], m["MFADevicesInUse"]

    devices, in_use = summary()
    u = name("mfa-user")
    iam.create_user(UserName=u)
    d = Device(iam)
    assert summary() == (devices + 1, in_use)
    d.enable(iam, u)
    assert summary() == (devices + 1, in_use + 1)
    iam.deactivate_mfa_device(UserName=u, SerialNumber=d.serial)
    assert summary() == (devices + 1, in_use)
    iam.delete_virtual_mfa_device(SerialNumber=d.serial)
    assert summary() == (devices, in_use)


def test_get_session_token_with_mfa(iam, auth_server, mfa_users):
    """API reference (condition keys): aws:MultiFactorAuthPresent is absent with long-term keys,
    false in sessions without MFA, true with it; aws:MultiFactorAuthAge only with MFA.
    GetSessionToken: its credentials call IAM only with MFA (without: InvalidClientTokenId, as
    observed in aws-vault#15). observed: the AccessDenied texts of a wrong or reused code, of a
    serial not the caller's, of a code without a serial. ListMFADevices without UserName lists
    the caller's devices (API reference)."""
    s = mfa_users["session"]
    iam.put_user_policy(UserName=s.user, PolicyName="mfa", PolicyDocument=policy(
        allow("secretsmanager:GetSecretValue", condition=MFA_PRESENT),
        allow("secretsmanager:DescribeSecret",
              condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
        allow("secretsmanager:ListSecrets",
              condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
        allow(["iam:GetUser", "iam:ListMFADevices"])))
    secret = name("mfa-secret")
    client(auth_server.endpoint, "secretsmanager").create_secret(Name=secret, SecretString="v1")

    def as_(creds, service="secretsmanager"):
        return creds_client(auth_server, service, creds)

    def denied(call, code="AccessDeniedException"):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e.value)[0] == code

    own = as_(s.key, "iam").list_mfa_devices()["MFADevices"]
    assert [(m["UserName"], m["SerialNumber"]) for m in own] == [(s.user, s.device.serial)]
    for call in (lambda: as_(s.key).get_secret_value(SecretId=secret),
                 lambda: as_(s.key).describe_secret(SecretId=secret),
                 lambda: as_(s.key).list_secrets()):  # the key is absent: "false" is no match
        denied(call)
    user_sts = as_(s.key, "sts")
    plain = user_sts.get_session_token(DurationSeconds=900)["Credentials"]
    as_(plain).list_secrets()  # aws:MultiFactorAuthPresent is "false"
    denied(lambda: as_(plain).get_secret_value(SecretId=secret))
    denied(lambda: as_(plain).describe_secret(SecretId=secret))
    denied(lambda: as_(plain, "iam").get_user(), "InvalidClientTokenId")

    serial = s.device.serial
    for kw, message in (
            ({"SerialNumber": serial, "TokenCode": s.device.wrong_code()}, WRONG_CODE),
            ({"SerialNumber": mfa_users["assume"].device.serial, "TokenCode": "123456"},
             NOT_ASSOCIATED),
            ({"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/{name('none')}",
              "TokenCode": "123456"}, NOT_ASSOCIATED),
            ({"TokenCode": "123456"}, BOTH_NEEDED)):
        with pytest.raises(ClientError) as e:
            user_sts.get_session_token(**kw)
        assert err(e) == ("AccessDenied", message, 403), kw

    code = s.device.codes(1)[0]  # a step later than the enabling's
    mfa = user_sts.get_session_token(SerialNumber=serial, TokenCode=code,
                                      DurationSeconds=900)["Credentials"]
    assert as_(mfa).get_secret_value(SecretId=secret)["SecretString"] == "v1"
    assert as_(mfa).describe_secret(SecretId=secret)["Name"] == secret
    denied(lambda: as_(mfa).list_secrets())  # aws:MultiFactorAuthPresent is "true" now
    assert as_(mfa, "iam").get_user()["User"]["UserName"] == s.user
    with pytest.raises(ClientError) as e:  # the same code again: refused
        user_sts.get_session_token(SerialNumber=serial, TokenCode=code)
    assert err(e) == ("AccessDenied", WRONG_CODE, 403)


def test_assume_role_whose_trust_requires_mfa(iam, auth_server, mfa_users):
    """A trust policy with Bool aws:MultiFactorAuthPresent true admits AssumeRole with
    SerialNumber and TokenCode only; the role session carries MFA (the role's own MFA-only
    policy allows it); a wrong or reused code is the observed AccessDenied text."""
    a = mfa_users["assume"]
    r = name("mfa-role")
    arn = iam.create_role(RoleName=r, AssumeRolePolicyDocument=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole", "Condition": MFA_PRESENT}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=r, PolicyName="read", PolicyDocument=policy(
        allow("secretsmanager:GetSecretValue", condition=MFA_PRESENT)))
    iam.put_user_policy(UserName=a.user, PolicyName="assume",
                        PolicyDocument=policy(allow("sts:AssumeRole", arn)))
    secret = name("mfa-secret")
    client(auth_server.endpoint, "secretsmanager").create_secret(Name=secret, SecretString="v2")
    user_sts = creds_client(auth_server, "sts", a.key)
    with pytest.raises(ClientError) as e:
        user_sts.assume_role(RoleArn=arn, RoleSessionName="no-mfa")
    assert code_of(e.value) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        user_sts.assume_role(RoleArn=arn, RoleSessionName="wrong", SerialNumber=a.device.serial,
                             TokenCode=a.device.wrong_code())
    assert err(e) == ("AccessDenied", WRONG_CODE, 403)

    code = a.device.codes(1)[0]
    out = user_sts.assume_role(RoleArn=arn, RoleSessionName="mfa", SerialNumber=a.device.serial,
                               TokenCode=code)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{r}/mfa"
    role_sm = creds_client(auth_server, "secretsmanager", out["Credentials"])
    assert role_sm.get_secret_value(SecretId=secret)["SecretString"] == "v2"
    with pytest.raises(ClientError) as e:
        user_sts.assume_role(RoleArn=arn, RoleSessionName="again", SerialNumber=a.device.serial,
                             TokenCode=code)
    assert err(e) == ("AccessDenied", WRONG_CODE, 403)


def test_wrong_codes_are_bounded_per_step(auth_server, mfa_users):
    """Arcana's bound on guessing (domain/iam/mfa.h; AWS throttles MFA attempts too, by rules
    it does not publish): after 5 wrong codes in a row for a device, even its right code is
    refused for the rest of the 30-second step (longer after each further run of 5), so keys
    alone cannot find a code by trying them all."""
    g = mfa_users["guessed"]
    user_sts = creds_client(auth_server, "sts", g.key)
    now_step(margin=12)  # the wrong codes and the right one fall in one step
    right = g.device.codes(1)[0]
    for _ in range(5):
        with pytest.raises(ClientError) as e:
            user_sts.get_session_token(SerialNumber=g.device.serial, TokenCode=g.device.wrong_code())
        assert err(e) == ("AccessDenied", WRONG_CODE, 403)
    with pytest.raises(ClientError) as e:
        user_sts.get_session_token(SerialNumber=g.device.serial, TokenCode=right)
    assert err(e) == ("AccessDenied", WRONG_CODE, 403)


def test_resync(iam, mfa_users):
    """API reference: ResyncMFADevice takes two consecutive codes (InvalidAuthenticationCode
    403 otherwise, NoSuchEntity for an unknown user; no AWS texts recorded: codes only)."""
    r = mfa_users["resync"]
    wrong = r.device.wrong_code()
    with pytest.raises(ClientError) as e:
        iam.resync_mfa_device(UserName=r.user, SerialNumber=r.device.serial,
                              AuthenticationCode1=wrong, AuthenticationCode2=wrong)
    assert code_of(e.value) == ("InvalidAuthenticationCode", 403)
    with pytest.raises(ClientError) as e:
        iam.resync_mfa_device(UserName=name("nobody"), SerialNumber=r.device.serial,
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
    assert code_of(e.value) == ("NoSuchEntity", 404)
    c1, c2 = r.device.codes(2, ahead=2)  # both later than the enabling's
    iam.resync_mfa_device(UserName=r.user, SerialNumber=r.device.serial,
                          AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert [m["SerialNumber"] for m in iam.list_mfa_devices(UserName=r.user)["MFADevices"]] == \
        [r.device.serial]


def test_seed_is_never_in_the_audit_trail_or_the_log(iam, auth_server):
    """The seed is a secret (API reference: "treat it like any other secret access
    information"): no audit record and no log line of this module's calls holds any seed, as
    text or base64 (how the XML answer carries it), nor the QR code that encodes it."""
    d = Device(iam)
    request_id = iam.list_mfa_device_tags(SerialNumber=d.serial)["ResponseMetadata"]["RequestId"]
    audit = auth_server.data_dir / "audit"

    def trail() -> bytes:
        return b"".join(f.read_bytes() for f in audit.glob("**/*.jsonl"))

    wait_for(lambda: request_id.encode() in trail(), what="the call's audit record")
    blobs = {"audit trail": trail(),
             "server log": b"".join(f.read_bytes() for f in auth_server.log_files)}
    qr = base64.b64encode(d.created["QRCodePNG"])[:60]
    for where, blob in blobs.items():
        for seed in SEEDS:
            assert seed not in blob and base64.b64encode(seed) not in blob, where
        assert qr not in blob, where


def test_seed_survives_a_root_rotation(servers):
    """A device's seed is sealed under the root key, bound to its serial number, like a user's
    access key secret: `arcana operator rotate-root` re-seals it with them, so its codes still
    authenticate after the rotation and a restart on the new key alone."""
    server = servers().start()
    own_iam = client(server.endpoint, "iam", ROT_AKID, ROT_SECRET)
    user, key = new_user(own_iam)
    device = Device(own_iam)
    device.enable(own_iam, user)
    server.cli("operator", "rotate-root")
    server.restart()
    sts = client(server.endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    creds = sts.get_session_token(SerialNumber=device.serial,
                                  TokenCode=device.codes()[0])["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
