"""IAM login profiles through boto3: Create/Get/Update/DeleteLoginProfile and ChangePassword,
held to the account password policy (or AWS's default rules without one), DeleteUser's
refusal of a user with a profile, the password in the credential report, and no password in
the audit trail.

The expected answers, by source:
- recorded: LocalStack's AWS-validated IAM user snapshots (2026): the LoginProfile members
  {UserName, CreateDate, PasswordResetRequired}, "Login Profile for user X already exists.",
  "Login Profile for User X cannot be found."; AWS's answers quoted in public repositories:
  DeleteUser's "Cannot delete entity, must delete login profile first.", the policy's
  "Password should have a minimum length of 32" and, without a policy, "Password should have
  a minimum length of 8" and "Password should meet 1 more of the following requirements: ...".
- the API references: ChangePassword by the root is InvalidUserType; AllowUsersToChangePassword
  lets users change their own password whatever their policies say.
Where AWS's words were not found (a reused password, a wrong old password) only the error code
is asserted. Runs on each store (ARCANA_TEST_STORE)."""

from __future__ import annotations

import csv
import io

import pytest
from botocore.exceptions import ClientError

from test_iam import client, code_of, name
from test_iam_oidc_providers import err
from test_sts import iam  # noqa: F401 (a fixture)
from test_sts_access_key_info import new_user

GOOD = "Str0ng!Passw0rd"


@pytest.fixture
def no_policy(iam):
    """The account without a password policy during the test (AWS's default rules), and the
    policy it had put back after it."""
    try:
        before = iam.get_account_password_policy()["PasswordPolicy"]
    except ClientError:
        before = None
    if before is not None:
        iam.delete_account_password_policy()
    yield
    try:
        iam.delete_account_password_policy()
    except ClientError:
        pass
    if before is not None:
        keep = {k: v for k, v in before.items() if k not in ("ExpirePasswords",)}
        iam.update_account_password_policy(**keep)


def test_profile_lifecycle(iam, no_policy):
    u = name("lp")
    iam.create_user(UserName=u)
    with pytest.raises(ClientError) as e:
        iam.get_login_profile(UserName=u)
    assert err(e) == ("NoSuchEntity", f"Login Profile for User {u} cannot be found.", 404)
    created = iam.create_login_profile(UserName=u, Password=GOOD)["LoginProfile"]
    assert set(created) == {"UserName", "CreateDate", "PasswordResetRequired"}
    assert (created["UserName"], created["PasswordResetRequired"]) == (u, False)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=u, Password=GOOD)
    assert err(e) == ("EntityAlreadyExists", f"Login Profile for user {u} already exists.", 409)
    iam.update_login_profile(UserName=u, PasswordResetRequired=True)
    got = iam.get_login_profile(UserName=u)["LoginProfile"]
    assert got["PasswordResetRequired"] is True and got["CreateDate"] == created["CreateDate"]
    iam.update_login_profile(UserName=u, Password="An0ther!Passw0rd")
    assert iam.get_login_profile(UserName=u)["LoginProfile"]["PasswordResetRequired"] is True

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert err(e) == ("DeleteConflict", "Cannot delete entity, must delete login profile first.",
                      409)
    iam.delete_login_profile(UserName=u)
    for call in (lambda: iam.delete_login_profile(UserName=u),
                 lambda: iam.update_login_profile(UserName=u, PasswordResetRequired=False)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity", f"Login Profile for User {u} cannot be found.", 404)
    iam.delete_user(UserName=u)
    missing = name("nobody")
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=missing, Password=GOOD)
    assert err(e) == ("NoSuchEntity", f"The user with name {missing} cannot be found.", 404)


def test_default_rules_and_the_account_policy(iam, no_policy):
    u = name("lp")
    iam.create_user(UserName=u)
    for password, message in (
            ("Ab1!", "Password should have a minimum length of 8"),
            ("abcdefgh12", "Password should meet 1 more of the following requirements: Password "
                           "should have at least one uppercase letter, Password should have at "
                           "least one symbol")):
        with pytest.raises(ClientError) as e:
            iam.create_login_profile(UserName=u, Password=password)
        assert err(e) == ("PasswordPolicyViolation", message, 400)
    iam.update_account_password_policy(MinimumPasswordLength=32, RequireSymbols=True,
                                       RequireNumbers=True, RequireUppercaseCharacters=True,
                                       RequireLowercaseCharacters=True,
                                       PasswordReusePrevention=2, MaxPasswordAge=90)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=u, Password=GOOD)
    assert err(e) == ("PasswordPolicyViolation", "Password should have a minimum length of 32",
                      400)
    long_good = "Aa1!" * 8
    iam.create_login_profile(UserName=u, Password=long_good)
    # PasswordReusePrevention 2: the current password and the one before cannot come back.
    iam.update_login_profile(UserName=u, Password="Bb2@" * 8)
    for reused in (long_good, "Bb2@" * 8):
        with pytest.raises(ClientError) as e:
            iam.update_login_profile(UserName=u, Password=reused)
        assert code_of(e.value) == ("PasswordPolicyViolation", 400)
    iam.update_login_profile(UserName=u, Password="Cc3#" * 8)

    # The credential report shows the password, set now, and due in 90 days.
    iam.generate_credential_report()
    rows = {r["user"]: r for r in csv.DictReader(io.StringIO(
        iam.get_credential_report()["Content"].decode()))}
    if u in rows:  # a report younger than four hours may predate the user
        r = rows[u]
        assert (r["password_enabled"], r["password_last_used"]) == ("true", "no_information")
        assert r["password_next_rotation"] != "N/A"


def test_change_password(iam, auth_server, no_policy):
    u, key = new_user(iam)
    iam.create_login_profile(UserName=u, Password=GOOD, PasswordResetRequired=True)
    own = client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    # Without a policy allowing it (none, and no AllowUsersToChangePassword): denied.
    with pytest.raises(ClientError) as e:
        own.change_password(OldPassword=GOOD, NewPassword="N3w!Password")
    assert code_of(e.value) == ("AccessDenied", 403)
    iam.update_account_password_policy(AllowUsersToChangePassword=True, MinimumPasswordLength=8)
    with pytest.raises(ClientError) as e:  # the wrong old password
        own.change_password(OldPassword="Wr0ng!Password", NewPassword="N3w!Password")
    assert code_of(e.value) == ("AccessDenied", 403)
    own.change_password(OldPassword=GOOD, NewPassword="N3w!Password")
    assert iam.get_login_profile(UserName=u)["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as e:  # the old one no longer works
        own.change_password(OldPassword=GOOD, NewPassword="Other!Passw0rd")
    assert code_of(e.value) == ("AccessDenied", 403)
    own.get_account_password_policy()  # granted by AllowUsersToChangePassword too
    with pytest.raises(ClientError) as e:  # the root is no IAM user
        iam.change_password(OldPassword=GOOD, NewPassword="N3w!Password")
    assert code_of(e.value) == ("InvalidUserType", 400)


def test_passwords_never_reach_the_audit_trail(iam, auth_server, no_policy):
    from conftest import wait_for
    u = name("lp")
    iam.create_user(UserName=u)
    secret = "Aud1t!Secret" + name("pw")[-8:]
    request_id = iam.create_login_profile(UserName=u, Password=secret)["ResponseMetadata"][
        "RequestId"]
    audit = auth_server.data_dir / "audit"

    def trail() -> bytes:
        return b"".join(f.read_bytes() for f in audit.glob("**/*.jsonl"))

    wait_for(lambda: request_id.encode() in trail(), what="the call's audit record")
    assert secret.encode() not in trail()
    assert not any(secret.encode() in f.read_bytes() for f in auth_server.log_files)
