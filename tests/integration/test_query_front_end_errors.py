"""The errors IAM and STS's front end answers before any operation runs, as AWS words them:
an unsigned request is MissingAuthenticationToken "Request is missing Authentication Token"
(403; the JSON services say "Missing Authentication Token"), and an Action the service does
not have, or one asked for with another API Version than the service's (or none), is
InvalidAction "Could not find operation X for version V" (400), naming the Version the request
gave (NO_VERSION_SPECIFIED when it gave none)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ROOT_AKID, ROOT_SECRET, error_code

FORM = "application/x-www-form-urlencoded; charset=utf-8"


def xml_error(r) -> tuple[str, str]:
    root = ET.fromstring(r.text)
    ns = {"": root.tag[1:].split("}")[0]} if root.tag.startswith("{") else {}
    err = root.find("Error", ns)
    return err.findtext("Code", namespaces=ns), err.findtext("Message", namespaces=ns)


def query(srv, service: str, body: str, sign: bool = True) -> requests.Response:
    url = srv.endpoint + "/"
    req = AWSRequest(method="POST", url=url, data=body.encode(), headers={"Content-Type": FORM})
    if sign:
        SigV4Auth(Credentials(ROOT_AKID, ROOT_SECRET), service, "us-east-1").add_auth(req)
    return requests.post(url, data=body.encode(), headers=dict(req.headers.items()), timeout=10)


@pytest.mark.parametrize("service,body", [
    ("sts", "Action=GetCallerIdentity&Version=2011-06-15"),
    ("iam", "Action=ListUsers&Version=2010-05-08"),
])
def test_an_unsigned_query_call_is_missing_its_token_as_aws_words_it(auth_server, service, body):
    r = query(auth_server, service, body, sign=False)
    assert r.status_code == 403, r.text
    assert xml_error(r) == ("MissingAuthenticationToken", "Request is missing Authentication Token")


def test_an_unsigned_json_call_keeps_the_json_services_wording(auth_server):
    r = requests.post(auth_server.endpoint + "/", data=b"{}", timeout=10, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.ListSecrets"})
    assert r.status_code == 403 and error_code(r) == "MissingAuthenticationTokenException", r.text
    assert r.json()["message"] == "Missing Authentication Token"


@pytest.mark.parametrize("service,body,message", [
    ("sts", "Action=NoSuchAction&Version=2011-06-15",
     "Could not find operation NoSuchAction for version 2011-06-15"),
    ("iam", "Action=NoSuchAction&Version=2010-05-08",
     "Could not find operation NoSuchAction for version 2010-05-08"),
    ("sts", "Action=NoSuchAction", "Could not find operation NoSuchAction for version NO_VERSION_SPECIFIED"),
    ("sts", "Action=&Version=2011-06-15", "Could not find operation  for version 2011-06-15"),
    # An operation exists only in its service's API version: another Version, or none, is
    # answered as for an unknown Action.
    ("iam", "Action=ListUsers&Version=2011-06-15",
     "Could not find operation ListUsers for version 2011-06-15"),
    ("sts", "Action=GetCallerIdentity&Version=2010-05-08",
     "Could not find operation GetCallerIdentity for version 2010-05-08"),
    ("sts", "Action=GetCallerIdentity", "Could not find operation GetCallerIdentity for version "
     "NO_VERSION_SPECIFIED"),
])
def test_an_unknown_action_names_the_version(auth_server, service, body, message):
    r = query(auth_server, service, body)
    assert r.status_code == 400, r.text
    assert xml_error(r) == ("InvalidAction", message)
