"""SSM Parameter Store hardening (issue 8): AllowedPattern runs in linear time outside the write
lock (defect 2), and names, root-level `/name` forms and references answer as AWS does."""

import threading
import time
import uuid

import pytest
from botocore.config import Config
from conftest import DEV_AKID, DEV_SECRET, raises_code
from ssm_helpers import pname, ssm  # noqa: F401

import boto3

REF = "/aws/reference/secretsmanager/"
BAD_NAME = ('Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a '
            "path, it can consist of sub-paths divided by slash symbol; each sub-path can be "
            "formed as a mix of letters, numbers and the following 3 symbols .-_")
BAD_SELECTOR = ("Invalid parameter name. Please use correct syntax for referencing a "
                "version/label  <name>:<version/label>")
MALFORMED = ["/a//b", "//lead", "no/leading/slash", "/trailing/", "{test}-test", "in side"]


def message(ei):
    return ei.value.response["Error"]["Message"]


def quick_client(endpoint):
    """A client that gives up after a few seconds, so a wedged server fails the test, not CI."""
    cfg = Config(retries={"max_attempts": 0}, connect_timeout=3, read_timeout=5)
    return boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=DEV_AKID, aws_secret_access_key=DEV_SECRET, config=cfg)


# --- defect 2: regular-expression denial of service ---------------------------------------

def test_catastrophic_allowed_pattern_does_not_block_other_writers(ssm):
    endpoint = ssm.server.endpoint
    evil, other = pname("evil"), pname("other")
    results = {}
    # boto3 clients are built here: building them in threads at once is not thread-safe.
    clients = {"evil": quick_client(endpoint), "other": quick_client(endpoint)}

    def put(key, **kw):
        t0 = time.monotonic()
        try:
            clients[key].put_parameter(**kw)
            results[key] = ("ok", time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001  (recorded and asserted below)
            code = getattr(e, "response", {}).get("Error", {}).get("Code", type(e).__name__)
            results[key] = (code, time.monotonic() - t0)

    t1 = threading.Thread(target=put, args=("evil",), kwargs=dict(
        Name=evil, Value="a" * 40, Type="String", AllowedPattern="(a*)*b"))
    t1.start()
    time.sleep(0.05)  # let the catastrophic match start first
    t2 = threading.Thread(target=put, args=("other",), kwargs=dict(
        Name=other, Value="v", Type="String"))
    t2.start()
    t1.join(15)
    t2.join(15)
    assert results["evil"][0] == "ParameterPatternMismatchException", results
    assert results["other"][0] == "ok", results
    assert results["evil"][1] < 1.0 and results["other"][1] < 1.0, results
    c = ssm()
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=evil)
    assert c.get_parameter(Name=other)["Parameter"]["Value"] == "v"


def test_catastrophic_stored_pattern_on_overwrite_is_fast(ssm):
    c = ssm()
    n = pname()
    c.put_parameter(Name=n, Value="ab", Type="String", AllowedPattern="(a*)*b")
    t0 = time.monotonic()
    with raises_code("ParameterPatternMismatchException") as ei:
        quick_client(ssm.server.endpoint).put_parameter(Name=n, Value="a" * 40, Overwrite=True)
    assert time.monotonic() - t0 < 1.0
    assert message(ei) == "Parameter value, cannot be validated against allowedPattern: (a*)*b"
    assert c.get_parameter(Name=n)["Parameter"]["Version"] == 1


@pytest.mark.parametrize("pattern,what", [
    (r"(a)\1", "backreferences"),
    (r"a(?=b)", "lookahead"),
    (r"(?<!x)a", "lookbehind"),
    (r"(?>a+)", "atomic groups"),
    (r"a*+", "possessive"),
])
def test_patterns_needing_backtracking_are_validation_errors(ssm, pattern, what):
    with raises_code("ValidationException") as ei:
        ssm().put_parameter(Name=pname(), Value="a", Type="String", AllowedPattern=pattern)
    assert what in message(ei) and "'allowedPattern'" in message(ei)


def test_allowed_pattern_dialect_and_limits(ssm):
    c = ssm()
    # Spellings RE2 writes differently are translated: \uXXXX, (?<name>), Java's \p{Alpha}.
    c.put_parameter(Name=pname(), Value="AB-7", Type="String",
                    AllowedPattern=r"^\u0041(?<rest>\p{Upper})-\d$")
    with raises_code("ParameterPatternMismatchException"):
        c.put_parameter(Name=pname(), Value="ab-7", Type="String",
                        AllowedPattern=r"^\u0041(?<rest>\p{Upper})-\d$")
    with raises_code("InvalidAllowedPatternException") as ei:
        c.put_parameter(Name=pname(), Value="x", Type="String", AllowedPattern="([a-z")
    assert message(ei) == "The allowed pattern ([a-z is not a valid regular expression."
    with raises_code("ValidationException"):  # the model's 1024-character limit
        c.put_parameter(Name=pname(), Value="a", Type="String", AllowedPattern="a" * 1025)
    n = pname()
    c.put_parameter(Name=n, Value="a" * 1024, Type="String", AllowedPattern="a" * 1024)
    assert c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [n]}])[
        "Parameters"][0]["AllowedPattern"] == "a" * 1024


# --- `name` and `/name` are one parameter, answered in the caller's form ------------------

def test_root_level_name_forms_are_one_parameter(ssm):
    c = ssm()
    bare = "rp" + uuid.uuid4().hex[:6]
    c.put_parameter(Name=bare, Value="v1", Type="String")
    with raises_code("ParameterAlreadyExists"):
        c.put_parameter(Name="/" + bare, Value="v2", Type="String")
    assert c.put_parameter(Name="/" + bare, Value="v2", Type="String", Overwrite=True)["Version"] == 2

    p = c.get_parameter(Name="/" + bare)["Parameter"]
    assert p["Name"] == "/" + bare and p["Value"] == "v2" and p["Version"] == 2
    assert p["ARN"].endswith(":parameter/" + bare)
    assert c.get_parameter(Name=bare)["Parameter"]["Name"] == bare
    assert c.get_parameter(Name="/" + bare + ":1")["Parameter"]["Name"] == "/" + bare

    r = c.get_parameters(Names=["/" + bare, bare])
    assert sorted(x["Name"] for x in r["Parameters"]) == sorted(["/" + bare, bare])
    assert r["InvalidParameters"] == []

    hist = c.get_parameter_history(Name="/" + bare)["Parameters"]
    assert [(h["Name"], h["Version"]) for h in hist] == [("/" + bare, 1), ("/" + bare, 2)]
    assert {h["Name"] for h in c.get_parameter_history(Name=bare)["Parameters"]} == {bare}

    described = c.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Contains", "Values": [bare]}])["Parameters"]
    assert len(described) == 1

    c.label_parameter_version(Name="/" + bare, ParameterVersion=1, Labels=["first"])
    assert c.get_parameter(Name=bare + ":first")["Parameter"]["Value"] == "v1"
    c.delete_parameter(Name="/" + bare)
    with raises_code("ParameterNotFound"):
        c.get_parameter(Name=bare)


def test_created_with_slash_read_without(ssm):
    c = ssm()
    slashed = "/rq" + uuid.uuid4().hex[:6]
    c.put_parameter(Name=slashed, Value="x", Type="SecureString")
    p = c.get_parameter(Name=slashed[1:], WithDecryption=True)["Parameter"]
    assert p["Name"] == slashed[1:] and p["Value"] == "x"
    assert c.get_parameter(Name=slashed, WithDecryption=True)["Parameter"]["Name"] == slashed


# --- malformed names are ValidationException, with AWS's text ----------------------------

@pytest.mark.parametrize("bad", MALFORMED)
def test_malformed_names_on_single_name_operations(ssm, bad):
    c = ssm()
    calls = [
        lambda: c.get_parameter(Name=bad),
        lambda: c.get_parameter_history(Name=bad),
        lambda: c.delete_parameter(Name=bad),
        lambda: c.label_parameter_version(Name=bad, Labels=["l"]),
        lambda: c.unlabel_parameter_version(Name=bad, ParameterVersion=1, Labels=["l"]),
    ]
    for call in calls:
        with raises_code("ValidationException") as ei:
            call()
        assert message(ei) == BAD_NAME


def test_malformed_names_on_batch_operations_are_listed(ssm):
    c = ssm()
    n = pname()
    c.put_parameter(Name=n, Value="x", Type="String")
    r = c.get_parameters(Names=[n] + MALFORMED[:4])
    assert [p["Name"] for p in r["Parameters"]] == [n]
    assert sorted(r["InvalidParameters"]) == sorted(MALFORMED[:4])
    r = c.delete_parameters(Names=[n] + MALFORMED[:4])
    assert r["DeletedParameters"] == [n]
    assert sorted(r["InvalidParameters"]) == sorted(MALFORMED[:4])


def test_malformed_names_on_put_and_by_path(ssm):
    c = ssm()
    with raises_code("ValidationException") as ei:
        c.put_parameter(Name="/a//b", Value="x", Type="String")
    assert message(ei) == BAD_NAME
    with raises_code("ValidationException") as ei:
        c.put_parameter(Name="/ssm/thing", Value="x", Type="String")
    assert message(ei) == BAD_NAME
    with raises_code("ValidationException") as ei:
        c.get_parameters_by_path(Path="/a//b")
    assert message(ei).startswith("The parameter doesn't meet the parameter name requirements.")


# --- /aws/reference/secretsmanager/ -------------------------------------------------------

def test_reference_errors_as_aws(sm, ssm):
    s, c = sm(), ssm()
    name = "ref" + uuid.uuid4().hex[:6]
    s.create_secret(Name=name, SecretString="x")
    missing = "nope-" + name
    with raises_code("ParameterNotFound") as ei:
        c.get_parameter(Name=REF + missing, WithDecryption=True)
    assert message(ei) == ("An error occurred (ParameterNotFound) when referencing Secrets "
                           f"Manager: Secret aws/reference/secretsmanager/{missing}null not found.")
    with raises_code("ParameterNotFound") as ei:
        c.get_parameter(Name=REF + name + ":NOSUCHSTAGE", WithDecryption=True)
    assert message(ei) == ("An error occurred (ParameterNotFound) when referencing Secrets "
                           f"Manager: Secret aws/reference/secretsmanager/{name}:NOSUCHSTAGE "
                           "not found.")
    for malformed in (name + ":AWSCURRENT:extra", name + ":"):
        for decrypt in (True, False):  # the selector is checked before WithDecryption
            with raises_code("ValidationException") as ei:
                c.get_parameter(Name=REF + malformed, WithDecryption=decrypt)
            assert message(ei) == BAD_SELECTOR
    r = c.get_parameters(Names=[REF + name, REF + missing, REF + name + ":a:b"],
                         WithDecryption=True)
    assert [p["Value"] for p in r["Parameters"]] == ["x"]
    assert sorted(r["InvalidParameters"]) == sorted([REF + missing, REF + name + ":a:b"])

    s.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    with raises_code("ValidationException") as ei:
        c.get_parameter(Name=REF + name, WithDecryption=True)
    assert message(ei) == "Invalid Request to Secrets Manager"
