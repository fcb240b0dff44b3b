"""A user's SSH public keys and signing certificates through boto3: Upload/Get/List/Update/
DeleteSSHPublicKey, Upload/List/Update/DeleteSigningCertificate, DeleteUser's refusals, and the
credential report's certificate columns.

The expected answers, by source:
- recorded: LocalStack's AWS-validated test_iam_ssh_public_keys and
  test_iam_signing_certificates snapshots (2026): the members of each answer (a listed key
  without body or fingerprint; a listed certificate with its body), the key id (APKA + 16),
  the fingerprint (MD5 of the key blob in colon hex, as `ssh-keygen -E md5` prints it),
  "The Public Key with id X cannot be found.", "The Certificate with id X cannot be found.",
  "Certificate BODY is malformed.", "Cannot exceed quota for CertificatesPerUser: 2";
- the API reference: ssh-rsa keys of 2048 bits or more; Encoding PEM answers the PEM key;
  an expired certificate is MalformedCertificate; five keys per user.
Where AWS's words were not found, only the error code is asserted. Runs on each store."""

from __future__ import annotations

import base64
import csv
import datetime
import hashlib
import io

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from test_iam import code_of, name
from test_iam_oidc_providers import err
from test_sts import iam  # noqa: F401 (a fixture)


def ssh_key(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()


def md5_fingerprint(body: str) -> str:
    digest = hashlib.md5(base64.b64decode(body.split()[1])).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def certificate(days: int = 30) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name("cert"))])
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(days=1) if days > 0 else now - datetime.timedelta(days=10)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_ssh_public_keys(iam):
    u = name("ssh")
    iam.create_user(UserName=u)
    body = ssh_key()
    up = iam.upload_ssh_public_key(UserName=u, SSHPublicKeyBody=body)["SSHPublicKey"]
    assert set(up) == {"UserName", "SSHPublicKeyId", "Fingerprint", "SSHPublicKeyBody", "Status",
                       "UploadDate"}
    assert up["SSHPublicKeyId"].startswith("APKA") and len(up["SSHPublicKeyId"]) == 20
    assert up["Fingerprint"] == md5_fingerprint(body) and up["Status"] == "Active"
    assert up["SSHPublicKeyBody"].split()[:2] == body.split()[:2]
    kid = up["SSHPublicKeyId"]
    pem = iam.get_ssh_public_key(UserName=u, SSHPublicKeyId=kid, Encoding="PEM")["SSHPublicKey"]
    assert pem["SSHPublicKeyBody"].startswith("-----BEGIN PUBLIC KEY-----")
    assert pem["Fingerprint"] == up["Fingerprint"]
    listed = iam.list_ssh_public_keys(UserName=u)
    assert listed["IsTruncated"] is False
    assert [set(k) for k in listed["SSHPublicKeys"]] == [
        {"UserName", "SSHPublicKeyId", "Status", "UploadDate"}]
    iam.update_ssh_public_key(UserName=u, SSHPublicKeyId=kid, Status="Inactive")
    got = iam.get_ssh_public_key(UserName=u, SSHPublicKeyId=kid, Encoding="SSH")["SSHPublicKey"]
    assert got["Status"] == "Inactive"

    for bad, code in ((body, "DuplicateSSHPublicKey"), ("not a key", "UnrecognizedPublicKeyEncoding"),
                      (ssh_key(1024), "InvalidPublicKey")):
        with pytest.raises(ClientError) as e:
            iam.upload_ssh_public_key(UserName=u, SSHPublicKeyBody=bad)
        assert code_of(e.value) == (code, 400)
    for _ in range(4):
        iam.upload_ssh_public_key(UserName=u, SSHPublicKeyBody=ssh_key())
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName=u, SSHPublicKeyBody=ssh_key())
    assert code_of(e.value) == ("LimitExceeded", 409)

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert code_of(e.value) == ("DeleteConflict", 409)
    for k in iam.list_ssh_public_keys(UserName=u)["SSHPublicKeys"]:
        iam.delete_ssh_public_key(UserName=u, SSHPublicKeyId=k["SSHPublicKeyId"])
    for call in (lambda: iam.get_ssh_public_key(UserName=u, SSHPublicKeyId=kid, Encoding="SSH"),
                 lambda: iam.delete_ssh_public_key(UserName=u, SSHPublicKeyId=kid),
                 lambda: iam.update_ssh_public_key(UserName=u, SSHPublicKeyId=kid,
                                                   Status="Active")):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity", f"The Public Key with id {kid} cannot be found.", 404)
    iam.delete_user(UserName=u)


def test_signing_certificates(iam):
    u = name("cert")
    iam.create_user(UserName=u)
    body = certificate()
    up = iam.upload_signing_certificate(UserName=u, CertificateBody=body)["Certificate"]
    assert set(up) == {"UserName", "CertificateId", "CertificateBody", "Status", "UploadDate"}
    assert up["CertificateBody"] == body and up["Status"] == "Active"
    cid = up["CertificateId"]
    listed = iam.list_signing_certificates(UserName=u)["Certificates"]
    assert [(c["CertificateId"], c["CertificateBody"]) for c in listed] == [(cid, body)]
    iam.update_signing_certificate(UserName=u, CertificateId=cid, Status="Inactive")
    assert iam.list_signing_certificates(UserName=u)["Certificates"][0]["Status"] == "Inactive"

    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=u, CertificateBody="not a certificate")
    assert err(e) == ("MalformedCertificate", "Certificate not a certificate is malformed.", 400)
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=u, CertificateBody=certificate(days=-1))
    assert code_of(e.value) == ("MalformedCertificate", 400)
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=u, CertificateBody=body)
    assert code_of(e.value) == ("DuplicateCertificate", 409)
    iam.upload_signing_certificate(UserName=u, CertificateBody=certificate())
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=u, CertificateBody=certificate())
    assert err(e) == ("LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2", 409)

    # The credential report has them, if it was made after (a report lives four hours).
    iam.generate_credential_report()
    rows = {r["user"]: r for r in csv.DictReader(io.StringIO(
        iam.get_credential_report()["Content"].decode()))}
    if u in rows:
        assert (rows[u]["cert_1_active"], rows[u]["cert_2_active"]) == ("false", "true")

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert code_of(e.value) == ("DeleteConflict", 409)
    for c in iam.list_signing_certificates(UserName=u)["Certificates"]:
        iam.delete_signing_certificate(UserName=u, CertificateId=c["CertificateId"])
    with pytest.raises(ClientError) as e:
        iam.delete_signing_certificate(UserName=u, CertificateId=cid)
    assert err(e) == ("NoSuchEntity", f"The Certificate with id {cid} cannot be found.", 404)
    missing = name("nobody")
    with pytest.raises(ClientError) as e:
        iam.list_signing_certificates(UserName=missing)
    assert err(e) == ("NoSuchEntity", f"The user with name {missing} cannot be found.", 404)
    iam.delete_user(UserName=u)
