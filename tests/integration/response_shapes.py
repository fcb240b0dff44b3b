"""Every answer boto3 parses in this suite, checked against the operation's model.

boto3 parses leniently: a member the model does not name is dropped, a string where the model
says timestamp or long is handed through, an enum value AWS never sends is accepted. So a
misspelt member (`CreationDate` for `CreatedDate`), an ISO date where the JSON protocol sends
epoch seconds, or a made-up enum value would pass every assertion that does not look at that
one field, while a stricter client (the JS SDK's deserializers, Go's, a recorded-answer
comparison) trips over it. This module wraps botocore's endpoint and walks the raw body
of every successful JSON answer (JSON 1.0/1.1 and REST-JSON) against the operation's output
shape in the server's own models (models/, newer than the suite's boto3), recording each
disagreement:

- a member the shape does not have (REST-JSON members bound to headers or the status code are
  not in the body and are skipped);
- a value of the wrong JSON type for its shape (string, boolean, integer, float, timestamp as
  a number, blob as a base64 string, list, map, structure);
- a string outside its shape's enum;
- an error the operation declares, answered with another HTTP status than the model's.

Query-protocol answers (IAM, STS: XML) are walked the same way (check_query). Installed by
conftest.py for the whole suite; a test whose answers disagree fails (the autouse fixture
there).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from pathlib import Path
from xml.etree import ElementTree

from botocore import endpoint, model

_lock = threading.Lock()
_found: list[str] = []
_installed = False


# Values AWS is recorded answering although the model's enum lacks them.
_AWS_ANSWERS_OUTSIDE_THE_ENUM = {
    # UpdateFunctionConfiguration / UpdateFunctionCode while the update is in progress:
    # LastUpdateStatus InProgress, reason "The function is being created.", code Creating
    # (LocalStack's AWS-validated snapshots of test_lambda_api.py's update tests).
    "LastUpdateStatusReasonCode": ("Creating",),
    # GetAccountSummary's SummaryMap holds keys the enum lacks (the AWS CLI's example output
    # of get-account-summary; LocalStack's AWS-validated test_iam_account_summary).
    "summaryKeyType": ("Roles", "RolesQuota", "InstanceProfiles", "InstanceProfilesQuota",
                       "Providers", "RolePolicySizeQuota", "AssumeRolePolicySizeQuota",
                       "AccountPasswordPresent"),
    # A user's or role's PermissionsBoundary: AWS answers "Policy" (the AWS CLI's example
    # output of get-user; users' get-role outputs), the model says PermissionsBoundaryPolicy.
    "PermissionsBoundaryAttachmentType": ("Policy",),
    # The simulator names policies given as text "IAM Policy" and a ResourcePolicy
    # "Resource Policy" (users' recorded simulate-custom-policy outputs).
    "PolicySourceType": ("IAM Policy", "Resource Policy"),
}


# JSON value kinds by Python type; bool before int (a bool is an int in Python).
_KINDS = ((bool, "boolean"), (int, "integer"), (float, "float"), (str, "string"),
          (list, "list"), (dict, "object"))


def _kind(v) -> str:
    for python_type, kind in _KINDS:
        if isinstance(v, python_type):
            return kind
    return type(v).__name__


def _walk_members(value: dict, members, owner: str, path: str, out: list[str]) -> None:
    for name, v in value.items():
        m = members.get(name)
        if m is None:
            out.append(f"{path}.{name}: member not in {owner}")
            continue
        _walk(v, m, f"{path}.{name}", out)


def _walk(value, shape, path: str, out: list[str]) -> None:
    t = shape.type_name
    if value is None:
        out.append(f"{path}: null where the model has a {t} ({shape.name})")
        return
    k = _kind(value)
    if t == "structure":
        if k != "object":
            out.append(f"{path}: {k} where the model has structure {shape.name}")
            return
        if shape.metadata.get("document"):
            return
        if shape.metadata.get("union") and len(value) != 1:
            out.append(f"{path}: union {shape.name} with {len(value)} members set")
        _walk_members(value, shape.members, shape.name, path, out)
    elif t == "list":
        if k != "list":
            out.append(f"{path}: {k} where the model has list {shape.name}")
            return
        for i, v in enumerate(value):
            _walk(v, shape.member, f"{path}[{i}]", out)
    elif t == "map":
        if k != "object":
            out.append(f"{path}: {k} where the model has map {shape.name}")
            return
        for key, v in value.items():
            _walk(key, shape.key, f"{path}{{key}}", out)
            _walk(v, shape.value, f"{path}[{key!r}]", out)
    elif t == "string":
        if k != "string":
            out.append(f"{path}: {k} where the model has string {shape.name}")
        elif (shape.enum and value not in shape.enum and
              value not in _AWS_ANSWERS_OUTSIDE_THE_ENUM.get(shape.name, ())):
            out.append(f"{path}: {value!r} is not in enum {shape.name}")
    elif t == "boolean":
        if k != "boolean":
            out.append(f"{path}: {k} where the model has boolean {shape.name}")
    elif t in ("integer", "long"):
        if k != "integer":
            out.append(f"{path}: {k} where the model has {t} {shape.name}")
    elif t in ("float", "double"):
        if k not in ("integer", "float"):
            out.append(f"{path}: {k} where the model has {t} {shape.name}")
    elif t == "timestamp":
        # JSON protocols send epoch seconds unless the shape says otherwise.
        fmt = shape.serialization.get("timestampFormat")
        if fmt in ("iso8601", "rfc822"):
            if k != "string":
                out.append(f"{path}: {k} where the model has a {fmt} timestamp {shape.name}")
        elif k not in ("integer", "float"):
            out.append(f"{path}: {k} where the model has an epoch-seconds timestamp {shape.name}")
    elif t == "blob":
        if k != "string":
            out.append(f"{path}: {k} where the model has blob {shape.name}")
        else:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                out.append(f"{path}: not base64 where the model has blob {shape.name}")


def _body_members(shape):
    """The members of a REST-JSON output shape that travel in the body."""
    payload = shape.serialization.get("payload")
    if payload:
        return None  # the body is one member's (a blob or a structure): not walked here
    return {n: m for n, m in shape.members.items() if not m.serialization.get("location")}


def check(body: bytes, shape, protocol: str, operation: str) -> list[str]:
    if shape is None or not isinstance(body, (bytes, str)) or not body:
        return []  # no output, or a streamed one
    members = _body_members(shape) if protocol == "rest-json" else None
    if protocol == "rest-json" and members is None:
        return []
    try:
        doc = json.loads(body)
    except ValueError:
        return [f"{operation}: the answer is not JSON"]
    out: list[str] = []
    if protocol == "rest-json":
        if not isinstance(doc, dict):
            return [f"{operation}: {_kind(doc)} body where the model has structure"]
        _walk_members(doc, members, f"{shape.name}'s body", operation, out)
        return out
    _walk(doc, shape, operation, out)
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _walk_xml(elem, shape, path: str, out: list[str]) -> None:
    """The query protocol's XML form of _walk: members by (location)name, lists of <member>,
    maps of <entry><key/><value/></entry>, scalars as text."""
    t = shape.type_name
    children = list(elem)
    if t == "structure":
        by_name = {m.serialization.get("name", n): m for n, m in shape.members.items()}
        for child in children:
            name = _local(child.tag)
            m = by_name.get(name)
            if m is None:
                out.append(f"{path}.{name}: member not in {shape.name}")
                continue
            _walk_xml(child, m, f"{path}.{name}", out)
        return
    if t == "list":
        item = shape.member.serialization.get("name", "member")
        for i, child in enumerate(children):
            if _local(child.tag) != item:
                out.append(f"{path}[{i}]: <{_local(child.tag)}> where list {shape.name} has <{item}>")
                continue
            _walk_xml(child, shape.member, f"{path}[{i}]", out)
        return
    if t == "map":
        for child in children:
            parts = {_local(c.tag): c for c in child}
            if _local(child.tag) != "entry" or set(parts) != {"key", "value"}:
                out.append(f"{path}: map {shape.name} holds <{_local(child.tag)}> that is not "
                           "an <entry> of <key> and <value>")
                continue
            key = parts["key"].text or ""
            _walk_xml(parts["key"], shape.key, f"{path}{{key}}", out)
            _walk_xml(parts["value"], shape.value, f"{path}[{key!r}]", out)
        return
    if children:
        out.append(f"{path}: elements where the model has {t} {shape.name}")
        return
    text = elem.text or ""
    if t == "string":
        if (shape.enum and text not in shape.enum and
                text not in _AWS_ANSWERS_OUTSIDE_THE_ENUM.get(shape.name, ())):
            out.append(f"{path}: {text!r} is not in enum {shape.name}")
    elif t == "boolean":
        if text not in ("true", "false"):
            out.append(f"{path}: {text!r} where the model has boolean {shape.name}")
    elif t in ("integer", "long"):
        if not re.fullmatch(r"-?[0-9]+", text):
            out.append(f"{path}: {text!r} where the model has {t} {shape.name}")
    elif t in ("float", "double"):
        try:
            float(text)
        except ValueError:
            out.append(f"{path}: {text!r} where the model has {t} {shape.name}")
    elif t == "timestamp":
        # The query protocol's timestamps are ISO 8601 (UTC, 'Z').
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z",
                            text):
            out.append(f"{path}: {text!r} where the model has an ISO 8601 timestamp "
                       f"{shape.name}")
    elif t == "blob":
        try:
            base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            out.append(f"{path}: not base64 where the model has blob {shape.name}")


def check_query(body: bytes, shape, operation: str) -> list[str]:
    """A query-protocol (IAM, STS) answer: <OpResponse><OpResult>...</OpResult>
    <ResponseMetadata/></OpResponse>."""
    if shape is None or not isinstance(body, (bytes, str)) or not body:
        return []
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return [f"{operation}: the answer is not XML"]
    wrapper = shape.serialization.get("resultWrapper", f"{operation}Result")
    if _local(root.tag) != f"{operation}Response":
        return [f"{operation}: the answer's root is <{_local(root.tag)}>"]
    result = [c for c in root if _local(c.tag) == wrapper]
    others = [_local(c.tag) for c in root if _local(c.tag) not in (wrapper, "ResponseMetadata")]
    out = [f"{operation}: <{o}> beside the result" for o in others]
    if len(result) != 1:
        return out + [f"{operation}: {len(result)} <{wrapper}> elements"]
    _walk_xml(result[0], shape, operation, out)
    return out


_MODELS = Path(__file__).resolve().parents[2] / "models"
_service_models: dict[str, model.ServiceModel | None] = {}


def _operation(service: str, operation: str):
    """The operation's model in the server's own models (models/), or None."""
    if service not in _service_models:
        path = _MODELS / f"{service}.json"
        _service_models[service] = (model.ServiceModel(json.loads(path.read_text()), service)
                                    if path.exists() else None)
    sm = _service_models[service]
    if sm is None or operation not in sm.operation_names:
        return None
    return sm.operation_model(operation)


def check_error(op, status: int, code: str) -> list[str]:
    """An error answer: when the operation declares the error, its HTTP status must be the
    one the model gives it (httpStatusCode; else 500 for a fault, 400 for a client error).
    Errors the operation does not declare (common errors, AWS's undeclared answers) are not
    judged here."""
    for shape in op.error_shapes:
        err = shape.metadata.get("error", {})
        if err.get("code", shape.name) != code:
            continue
        want = err.get("httpStatusCode") or (500 if shape._shape_model.get("fault") else 400)
        if status != want:
            return [f"{op.name}: error {code} answered with HTTP {status}; the model says {want}"]
        return []
    return []


def _output_shape(service: str, operation: str):
    """The output shape and protocol as the server's own models have them: the suite's boto3
    is Debian's 1.29, whose models predate members AWS answers today."""
    op = _operation(service, operation)
    if op is None:
        return None, None
    return op.output_shape, op.service_model.protocol


def install() -> None:
    """Wraps botocore's endpoint once per process: each successful, unstreamed answer is
    checked after the client parsed it."""
    global _installed
    if _installed:
        return
    _installed = True
    original = endpoint.Endpoint._do_get_response

    def _do_get_response(self, request, operation_model, context):
        result = original(self, request, operation_model, context)
        response = result[0]
        if response is None or operation_model.has_streaming_output:
            return result
        http_response = response[0]
        service = operation_model.service_model.endpoint_prefix
        if not 200 <= http_response.status_code < 300:
            code = (response[1].get("Error") or {}).get("Code")
            op = _operation(service, operation_model.name)
            if code and op is not None:
                problems = check_error(op, http_response.status_code, code)
                if problems:
                    with _lock:
                        _found.extend(problems)
            return result
        shape, protocol = _output_shape(service, operation_model.name)
        problems = []
        if protocol in ("json", "rest-json"):
            problems = check(http_response.content, shape, protocol, operation_model.name)
        elif protocol == "query":
            problems = check_query(http_response.content, shape, operation_model.name)
        if problems:
            with _lock:
                _found.extend(problems)
        return result

    endpoint.Endpoint._do_get_response = _do_get_response


def take() -> list[str]:
    """The disagreements recorded since the last call, and forgets them."""
    with _lock:
        out = list(_found)
        _found.clear()
    return out
