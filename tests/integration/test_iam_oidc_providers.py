"""IAM OpenID Connect identity providers through boto3 and the aws CLI: CreateOpenIDConnectProvider,
GetOpenIDConnectProvider, ListOpenIDConnectProviders, DeleteOpenIDConnectProvider,
UpdateOpenIDConnectProviderThumbprint, Add/RemoveClientID..., Tag/Untag/ListOpenIDConnectProviderTags.

The evidence for each AWS answer, named in each test:
- "recorded": LocalStack's AWS-validated tests/aws/services/iam/test_iam_oidc.py and its
  .snapshot.json (the answers AWS gave, recorded 17/18-02-2026), and
  test_iam_account_summary.py's snapshot (Providers delta);
- "API reference": AWS's IAM API reference (ThumbprintList optional, idempotent client IDs);
- aws/aws-sam-cli#7432: a provider created on AWS from "https://host/" is named "host/";
- versitygw's IAM tests (integration/iam_oidc tests of their own server, which say what AWS
  answers where LocalStack recorded nothing): another scheme than https, a query, the second
  delete's message. These are the weakest evidence here, and said so where used.

One module-scoped non-dev server; every test names its providers uniquely."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_cli import run_cli
from conftest import ACCOUNT, ROOT_AKID, ROOT_SECRET, store_rows
from test_iam import client

A, B, C, D = ("a" * 40, "b" * 40, "c" * 40, "d" * 40)


@pytest.fixture(scope="module")
def iam(auth_server):
    c = client(auth_server.endpoint, "iam")
    c.endpoint = auth_server.endpoint
    c.data_dir = auth_server.data_dir
    return c


@pytest.fixture(scope="module")
def unvalidated(auth_server):
    """An IAM client without botocore's parameter validation: requests the model (botocore
    1.29's) refuses client-side, to see the server's own answer."""
    return boto3.client("iam", endpoint_url=auth_server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ROOT_AKID, aws_secret_access_key=ROOT_SECRET,
                        config=Config(retries={"max_attempts": 0}, parameter_validation=False))


def host(prefix="oidc"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}.example.com"


def arn_of(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:oidc-provider/{name}"


def err(e: ClientError) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def body(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


def not_found(arn: str) -> tuple[str, str, int]:
    # recorded: test_get_open_id_connect_provider_not_found
    return ("NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", 404)


def test_create_get_list_delete(iam):
    """recorded: test_create_open_id_connect_provider (answers the ARN only: no Tags member
    without tags; the ARN ends with the URL without https://, a path kept),
    test_get_open_id_connect_provider (Url without https://, ClientIDList, ThumbprintList,
    CreateDate, Tags [] when none), test_list_open_id_connect_providers ({Arn} of each, in name
    order), test_delete_open_id_connect_provider (an empty 200)."""
    h = host("oidc-basic")
    basic = iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A])
    assert body(basic) == {"OpenIDConnectProviderArn": arn_of(h)}
    assert basic["ResponseMetadata"]["HTTPStatusCode"] == 200
    hc = host("oidc-client")
    with_client = iam.create_open_id_connect_provider(Url=f"https://{hc}", ThumbprintList=[B],
                                                      ClientIDList=["my-client-id"])
    assert body(with_client) == {"OpenIDConnectProviderArn": arn_of(hc)}
    hp = host("oidc-path")
    with_path = iam.create_open_id_connect_provider(Url=f"https://{hp}/oidc", ThumbprintList=[A])
    assert body(with_path) == {"OpenIDConnectProviderArn": arn_of(f"{hp}/oidc")}

    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(hc))
    assert got["CreateDate"].year >= 2024
    assert {k: v for k, v in body(got).items() if k != "CreateDate"} == {
        "Url": hc, "ClientIDList": ["my-client-id"], "ThumbprintList": [B], "Tags": []}
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(f"{hp}/oidc"))
    assert got["Url"] == f"{hp}/oidc" and got["ClientIDList"] == []

    listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    mine = [a for a in listed if a in (arn_of(h), arn_of(hc), arn_of(f"{hp}/oidc"))]
    assert mine == sorted(mine) and len(mine) == 3
    assert listed == sorted(listed, key=str.lower)  # the whole list in name order

    r = iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
    assert body(r) == {} and r["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
    assert err(e) == not_found(arn_of(h))
    # Not idempotent, unlike the API reference says: LocalStack's validated test expects the
    # second delete to fail; the message is versitygw's (not recorded by LocalStack).
    with pytest.raises(ClientError) as e:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
    assert err(e) == ("NoSuchEntity", f"OpenId connect Provider {arn_of(h)} cannot be found.",
                      404)
    assert arn_of(h) not in [
        p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    for a in (arn_of(hc), arn_of(f"{hp}/oidc")):
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=a)


def test_create_refusals(iam):
    """recorded: test_create_open_id_connect_provider_invalid_url ("example.org": ValidationError
    "Invalid Open ID Connect Provider URL"), _duplicate_error (EntityAlreadyExists 409 naming the
    Url as given), _too_many_thumbprints (six: InvalidInput "... fewer than 5 entries."),
    _quota_error (101 client IDs: LimitExceeded 409). versitygw's: http:// is InvalidInput "...
    The URL must begin with https://.", a query or user info InvalidInput "Invalid Open ID
    Connect Provider URL.", "https://" with no host the recorded ValidationError."""
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="example.org", ThumbprintList=[A])
    assert err(e) == ("ValidationError", "Invalid Open ID Connect Provider URL", 400)
    assert e.value.response["Error"]["Type"] == "Sender"
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="https://", ThumbprintList=[A])
    assert err(e) == ("ValidationError", "Invalid Open ID Connect Provider URL", 400)
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=f"http://{host()}", ThumbprintList=[A])
    assert err(e) == ("InvalidInput", "Invalid Open ID Connect Provider URL. The URL must begin "
                      "with https://.", 400)
    for url in (f"https://{host()}?foo=1", f"https://{host()}#frag", f"https://u:p@{host()}"):
        with pytest.raises(ClientError) as e:
            iam.create_open_id_connect_provider(Url=url, ThumbprintList=[A])
        assert err(e) == ("InvalidInput", "Invalid Open ID Connect Provider URL.", 400), url

    url = f"https://{host('oidc-dup')}"
    arn = iam.create_open_id_connect_provider(Url=url, ThumbprintList=[A])[
        "OpenIDConnectProviderArn"]
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=url, ThumbprintList=[A])
    assert err(e) == ("EntityAlreadyExists", f"Provider with url {url} already exists.", 409)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)

    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=f"https://{host()}",
                                            ThumbprintList=[A, B, C, D, "e" * 40, "f" * 40])
    assert err(e) == ("InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400)
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=f"https://{host()}", ThumbprintList=[A],
                                            ClientIDList=[str(i) for i in range(101)])
    assert err(e) == ("LimitExceeded",
                      "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409)
    # The limits themselves are accepted.
    h = host()
    iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A, B, C, D, "e" * 40],
                                        ClientIDList=[str(i) for i in range(100)])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
    assert len(got["ThumbprintList"]) == 5 and len(got["ClientIDList"]) == 100
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))


def test_create_validation_errors(unvalidated):
    """recorded: test_create_open_id_connect_provider_validation_errors: a 256-character Url,
    a 41-character thumbprint and a 256-character client ID are three violations, the lists
    named as a whole with their element's constraints, no value quoted. AWS's order is its own
    (clientIDList, thumbprintList, url; LocalStack skips verifying the message): each part is
    asserted."""
    with pytest.raises(ClientError) as e:
        unvalidated.create_open_id_connect_provider(Url="b" * 256, ThumbprintList=["b" * 41],
                                                    ClientIDList=["b" * 256])
    code, msg, status = err(e)
    assert (code, status) == ("ValidationError", 400)
    assert msg.startswith("3 validation errors detected: ")
    for part in (
            "Value at 'clientIDList' failed to satisfy constraint: Member must satisfy "
            "constraint: [Member must have length less than or equal to 255, Member must have "
            "length greater than or equal to 1]",
            "Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy "
            "constraint: [Member must have length less than or equal to 40, Member must have "
            "length greater than or equal to 40]",
            "Value at 'url' failed to satisfy constraint: Member must have length less than or "
            "equal to 255"):
        assert part in msg
    assert len(msg.split("; ")) == 3 and "bbbb" not in msg


def test_thumbprints_are_optional(iam, unvalidated):
    """API reference (2024 on): ThumbprintList "is optional" (AWS then fetches the issuer's
    CA thumbprint; Arcana keeps none, trusting the issuer through the system's trust store
    only): no ThumbprintList and an empty one both create the provider, which answers
    ThumbprintList []. Thumbprints are not checked as hex (versitygw: AWS does not), only
    their length (the model's 40)."""
    h1, h2, h3 = host(), host(), host()
    unvalidated.create_open_id_connect_provider(Url=f"https://{h1}", ClientIDList=["app"])
    iam.create_open_id_connect_provider(Url=f"https://{h2}", ThumbprintList=[])
    for h in (h1, h2):
        got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
        assert got["ThumbprintList"] == []
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
    iam.create_open_id_connect_provider(Url=f"https://{h3}", ThumbprintList=["z" * 40])
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h3))
    with pytest.raises(ClientError) as e:
        unvalidated.create_open_id_connect_provider(Url=f"https://{host()}",
                                                    ThumbprintList=["a" * 39])
    assert err(e)[0] == "ValidationError" and "'thumbprintList'" in err(e)[1]


def test_url_is_kept_as_given(iam):
    """aws/aws-sam-cli#7432 (on AWS): "https://host/" names a provider "host/", not "host": a
    trailing slash is kept and is another provider than the one without it. A port and a path
    are kept too (the provider's `iss` names it so; AssumeRoleWithWebIdentity finds it by
    that). Names are matched exactly: an ARN spelled in other case names no provider."""
    h = host()
    plain = iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A])
    slash = iam.create_open_id_connect_provider(Url=f"https://{h}/", ThumbprintList=[A])
    assert plain["OpenIDConnectProviderArn"] == arn_of(h)
    assert slash["OpenIDConnectProviderArn"] == arn_of(f"{h}/")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(f"{h}/"))["Url"] == \
        f"{h}/"
    kc = f"{host('keycloak')}:8443/realms/demo"
    made = iam.create_open_id_connect_provider(Url=f"https://{kc}", ThumbprintList=[A])
    assert made["OpenIDConnectProviderArn"] == arn_of(kc)
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(kc))["Url"] == kc
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h.upper()))
    assert err(e) == not_found(arn_of(h.upper()))
    for name in (h, f"{h}/", kc):
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(name))


def test_update_thumbprint(iam):
    """recorded: test_update_open_id_connect_provider_thumbprint: the list is replaced (not
    merged), and Get then answers ClientIDList [] and Tags [] for a provider with none. Six
    thumbprints are refused as at Create."""
    h = host("oidc-update")
    iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[B])
    r = iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn_of(h),
                                                       ThumbprintList=[C, D])
    assert body(r) == {}
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
    assert {k: v for k, v in body(got).items() if k != "CreateDate"} == {
        "Url": h, "ClientIDList": [], "ThumbprintList": [C, D], "Tags": []}
    with pytest.raises(ClientError) as e:
        iam.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=arn_of(h), ThumbprintList=[A, B, C, D, "e" * 40, "f" * 40])
    assert err(e) == ("InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
    with pytest.raises(ClientError) as e:
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn_of(h),
                                                       ThumbprintList=[A])
    assert err(e) == not_found(arn_of(h))


def test_client_ids(iam):
    """API reference: Add of a client ID the provider has and Remove of one it has not are
    no-ops ("idempotent"; also terraform-provider-aws#37612's acceptance tests), so a provider's
    client IDs are a set: a ClientIDList naming one twice holds it once. A 101st is the quota
    Create refuses (recorded wording)."""
    h = host()
    arn = arn_of(h)
    iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A],
                                        ClientIDList=["sts.amazonaws.com", "app", "app"])
    ids = lambda: iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"]
    assert ids() == ["sts.amazonaws.com", "app"]
    assert body(iam.add_client_id_to_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="another")) == {}
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app")
    assert ids() == ["sts.amazonaws.com", "app", "another"]
    assert body(iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="app")) == {}
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                       ClientID="never-there")
    assert ids() == ["sts.amazonaws.com", "another"]
    for i in range(98):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                      ClientID=f"c{i}")
    assert len(ids()) == 100
    with pytest.raises(ClientError) as e:
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                      ClientID="one-too-many")
    assert err(e) == ("LimitExceeded",
                      "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409)
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="c0")
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    for call in (iam.add_client_id_to_open_id_connect_provider,
                 iam.remove_client_id_from_open_id_connect_provider):
        with pytest.raises(ClientError) as e:
            call(OpenIDConnectProviderArn=arn, ClientID="x")
        assert err(e) == not_found(arn)


def test_tags(iam):
    """recorded: test_tag_open_id_connect_provider and test_untag_... (Get's Tags in the order
    given, one removed), test_list_open_id_connect_provider_tags (IsTruncated false, the tags
    as given), _tags_max_items (ten tags in pages of 4, 4 and 2, no Marker after the last),
    test_open_id_connect_provider_tags_limit (a 51st tag: LimitExceeded 409 "The number of tags
    has reached the maximum limit."). The tags are checked as a user's or role's are (a request
    of more than 50, patterns, duplicate keys regardless of case)."""
    h = host("oidc-tag")
    arn = arn_of(h)
    iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A])
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[
        {"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]
    listed = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
    assert body(listed) == {"IsTruncated": False, "Tags": [
        {"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]}
    assert body(iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                   TagKeys=["k2"])) == {}
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "k1", "Value": "v1"}]
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["absent"])
    with pytest.raises(ClientError) as e:
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[
            {"Key": "dup", "Value": "1"}, {"Key": "DUP", "Value": "2"}])
    assert err(e) == ("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are "
                      "case insensitive.", 400)
    with pytest.raises(ClientError) as e:
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                         Tags=[{"Key": "a*b", "Value": "v"}])
    assert err(e)[0] == "ValidationError" and "'tags.1.member.key'" in err(e)[1]
    with pytest.raises(ClientError) as e:
        iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["a*b"])
    assert err(e)[0] == "ValidationError" and "Value at 'tagKeys'" in err(e)[1]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    for call, extra in ((iam.tag_open_id_connect_provider, {"Tags": [{"Key": "k", "Value": ""}]}),
                        (iam.untag_open_id_connect_provider, {"TagKeys": ["k"]}),
                        (iam.list_open_id_connect_provider_tags, {})):
        with pytest.raises(ClientError) as e:
            call(OpenIDConnectProviderArn=arn, **extra)
        assert err(e) == not_found(arn)

    h = host("oidc-tagsmax")
    arn = arn_of(h)
    tags = [{"Key": f"k{i:02d}", "Value": f"v{i}"} for i in range(10)]
    made = iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A], Tags=tags)
    assert made["Tags"] == tags
    page = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=4)
    assert page["Tags"] == tags[:4] and page["IsTruncated"]
    page = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=4,
                                                  Marker=page["Marker"])
    assert page["Tags"] == tags[4:8]
    page = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn,
                                                  Marker=page["Marker"])
    assert page["Tags"] == tags[8:] and not page["IsTruncated"] and "Marker" not in page
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[
        {"Key": f"more{i:02d}", "Value": ""} for i in range(40)])
    with pytest.raises(ClientError) as e:
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                         Tags=[{"Key": "string", "Value": "string"}])
    assert err(e) == ("LimitExceeded", "The number of tags has reached the maximum limit.", 409)
    # Replacing a tag's value adds none.
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                     Tags=[{"Key": "k00", "Value": "new"}])
    assert len(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Tags"]) == 50
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(
            Url=f"https://{host()}", ThumbprintList=[A],
            Tags=[{"Key": f"k{i}", "Value": ""} for i in range(51)])
    assert err(e) == ("ValidationError", "1 validation error detected: Value at 'tags' failed to "
                      "satisfy constraint: Member must have length less than or equal to 50", 400)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_provider_arns(iam, unvalidated):
    """An ARN that is no OIDC provider's is InvalidInput "ARN <arn> is not valid." (IAM's
    wording for a policy ARN it cannot parse; LocalStack recorded none for providers); one of
    another account names none of this account's providers (NoSuchEntity); one shorter than
    the model's 20 characters is the model's ValidationError."""
    for bad in (f"arn:aws:iam::{ACCOUNT}:user/somebody", f"arn:aws:iam::{ACCOUNT}:oidc-provider/",
                "not-an-arn-at-all-really"):
        with pytest.raises(ClientError) as e:
            iam.get_open_id_connect_provider(OpenIDConnectProviderArn=bad)
        assert err(e) == ("InvalidInput", f"ARN {bad} is not valid.", 400), bad
    h = host()
    iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A])
    other = f"arn:aws:iam::210987654321:oidc-provider/{h}"
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=other)
    assert err(e) == not_found(other)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
    with pytest.raises(ClientError) as e:
        unvalidated.get_open_id_connect_provider(OpenIDConnectProviderArn="arn:short")
    assert err(e) == ("ValidationError", "1 validation error detected: Value 'arn:short' at "
                      "'openIDConnectProviderArn' failed to satisfy constraint: Member must have "
                      "length greater than or equal to 20", 400)


def test_calls_are_authorized_on_the_provider_arn(iam, auth_server):
    """Each operation is iam:<Operation> on the provider's ARN (Create: the ARN its Url
    names; List: "*"), through the caller's policies like every IAM call."""
    user = f"u-{uuid.uuid4().hex[:10]}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    mine = client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    allowed, denied = host("allowed"), host("denied")
    with pytest.raises(ClientError) as e:
        mine.create_open_id_connect_provider(Url=f"https://{allowed}", ThumbprintList=[A])
    code, msg, status = err(e)
    assert (code, status) == ("AccessDenied", 403)
    assert f"is not authorized to perform: iam:CreateOpenIDConnectProvider on resource: " \
           f"{arn_of(allowed)}" in msg
    iam.put_user_policy(UserName=user, PolicyName="oidc", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:*OpenIDConnectProvider*",
             "Resource": f"arn:aws:iam::{ACCOUNT}:oidc-provider/allowed-*"},
            {"Effect": "Allow", "Action": "iam:ListOpenIDConnectProviders", "Resource": "*"}]}))
    mine.create_open_id_connect_provider(Url=f"https://{allowed}", ThumbprintList=[A])
    mine.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(allowed))
    mine.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(allowed),
                                      Tags=[{"Key": "k", "Value": "v"}])
    assert arn_of(allowed) in [p["Arn"] for p in
                               mine.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    with pytest.raises(ClientError) as e:
        mine.create_open_id_connect_provider(Url=f"https://{denied}", ThumbprintList=[A])
    assert err(e)[0] == "AccessDenied"
    iam.create_open_id_connect_provider(Url=f"https://{denied}", ThumbprintList=[A])
    for call, extra in ((mine.get_open_id_connect_provider, {}),
                        (mine.delete_open_id_connect_provider, {}),
                        (mine.add_client_id_to_open_id_connect_provider, {"ClientID": "x"}),
                        (mine.update_open_id_connect_provider_thumbprint,
                         {"ThumbprintList": [B]})):
        with pytest.raises(ClientError) as e:
            call(OpenIDConnectProviderArn=arn_of(denied), **extra)
        assert err(e)[0] == "AccessDenied"
        assert f"on resource: {arn_of(denied)}" in err(e)[1]
    mine.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(allowed))
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(denied))


def test_account_summary_counts_providers(iam):
    """recorded: test_iam_account_summary.py::test_get_account_summary_with_resources: one OIDC
    and one SAML provider add 2 to Providers, so each OIDC provider counts 1 (Arcana has no
    SAML providers)."""
    before = iam.get_account_summary()["SummaryMap"]["Providers"]
    h = host()
    iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A])
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == before + 1
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == before


def test_writes_append_change_rows(iam):
    """Every provider write appends its change row (service iam, ACCOUNT:oidc-provider/URL,
    kind = the operation), as every IAM write does; a no-op (an Add of a client ID it has)
    appends none."""
    h = host()
    arn = arn_of(h)

    def changes() -> list[str]:
        rows = store_rows(iam.data_dir)
        table = next(v for t, v in rows.items() if t.rsplit(".", 1)[-1] == "changes")
        return [r for r in table if f"{ACCOUNT}:oidc-provider/{h}" in r]

    iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A],
                                        ClientIDList=["app"])
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                   ThumbprintList=[B])
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                     Tags=[{"Key": "k", "Value": "v"}])
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    rows = changes()
    for op in ("CreateOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint",
               "TagOpenIDConnectProvider", "DeleteOpenIDConnectProvider"):
        assert sum(op in r for r in rows) == 1, (op, rows)
    assert not any("AddClientIDToOpenIDConnectProvider" in r for r in rows)


def test_aws_cli(iam, tmp_path):
    """`aws iam create-open-id-connect-provider` and friends, as the CLI sends and parses them."""
    def aws(*args):
        return run_cli(iam.endpoint, tmp_path, ROOT_AKID, ROOT_SECRET, "iam", *args)

    h = host("cli")
    p = aws("create-open-id-connect-provider", "--url", f"https://{h}",
            "--client-id-list", "sts.amazonaws.com", "--thumbprint-list", A,
            "--tags", "Key=team,Value=blue")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"OpenIDConnectProviderArn": arn_of(h),
                                    "Tags": [{"Key": "team", "Value": "blue"}]}
    p = aws("get-open-id-connect-provider", "--open-id-connect-provider-arn", arn_of(h))
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["Url"] == h and got["ClientIDList"] == ["sts.amazonaws.com"]
    assert got["ThumbprintList"] == [A] and got["Tags"] == [{"Key": "team", "Value": "blue"}]
    p = aws("create-open-id-connect-provider", "--url", f"https://{h}", "--thumbprint-list", A)
    assert p.returncode != 0 and "EntityAlreadyExists" in p.stderr, p.stderr
    p = aws("delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn_of(h))
    assert p.returncode == 0, p.stderr
    p = aws("get-open-id-connect-provider", "--open-id-connect-provider-arn", arn_of(h))
    assert p.returncode != 0 and "NoSuchEntity" in p.stderr, p.stderr


def test_the_101st_provider_of_an_account_is_limit_exceeded(iam):
    """AWS allows 100 OIDC providers per account: the next is LimitExceeded 409 "Cannot exceed
    quota for OpenIdConnectProvidersPerAccount: 100" (AWS's answer in terraform output quoted
    in users' deployment notes: "Error: creating IAM OIDC Provider: LimitExceeded: Cannot
    exceed quota for OpenIdConnectProvidersPerAccount: 100 status code: 409"), and nothing is
    created; a delete frees a slot. Before, a 101st was created."""
    held = iam.get_account_summary()["SummaryMap"]["Providers"]  # other tests' leftovers
    made = []
    try:
        for _ in range(100 - held):
            h = host("quota")
            iam.create_open_id_connect_provider(Url=f"https://{h}", ThumbprintList=[A])
            made.append(h)
        over = host("quota")
        with pytest.raises(ClientError) as e:
            iam.create_open_id_connect_provider(Url=f"https://{over}", ThumbprintList=[A])
        assert err(e) == ("LimitExceeded",
                          "Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100", 409)
        with pytest.raises(ClientError) as e:
            iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(over))
        assert err(e) == not_found(arn_of(over))
        assert iam.get_account_summary()["SummaryMap"]["Providers"] == 100
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(made.pop()))
        iam.create_open_id_connect_provider(Url=f"https://{over}", ThumbprintList=[A])
        made.append(over)
    finally:
        for h in made:
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn_of(h))
