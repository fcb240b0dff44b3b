"""IAM server certificates through boto3: Upload/Get/List/Update/DeleteServerCertificate,
Tag/Untag/ListServerCertificateTags, the account quota and GetAccountSummary's count, the
refusals of bodies, keys and chains, authorization on the certificate's ARN, and the private
key never leaving the server (answers, audit trail, log, the store at rest).

The expected answers, by source:
- recorded: LocalStack's AWS-validated test_iam_server_certificates snapshots (2026-02): the
  six metadata members of Upload and List (no Tags without tags), Get's {ServerCertificateMetadata,
  CertificateBody, Tags (always), CertificateChain (only when uploaded)}, Path "/" by default,
  the ARN with the path, "The Server Certificate with name X cannot be found.", "The Server
  Certificate with name X already exists.";
- real AWS answers quoted in users' reports: "Cannot exceed quota for
  ServerCertificatesPerAccount: 20", "Unable to parse certificate. Please ensure the
  certificate is in PEM format.", the chain's "Unable to validate certificate chain. ... is: N",
  the expired "Certificate is no longer valid. ...", ids ASCA + 17 of [A-Z2-7], the body
  answered without carriage returns or the final newline.
Where AWS's words were not found (a key that does not match, a certificate not yet valid) only
the error code is asserted. Runs on each store (ARCANA_TEST_STORE)."""

from __future__ import annotations

import datetime
import json
import re
import sqlite3

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

import pg_cluster
from conftest import ACCOUNT, IS_PG, store_database, wait_for
from test_iam import client, code_of, name
from test_iam_oidc_providers import err
from test_sts import iam  # noqa: F401 (a fixture)
from test_sts_access_key_info import new_user

PARSE = "Unable to parse certificate. Please ensure the certificate is in PEM format."
CHAIN = ("Unable to validate certificate chain. The certificate chain must start with the "
         "immediate signing certificate, followed by any intermediaries in order. The index "
         "within the chain of the invalid certificate is: ")
EXPIRED = ("Certificate is no longer valid. The 'Not After' date restriction on the "
           "certificate has passed.")
META = {"Path", "ServerCertificateName", "ServerCertificateId", "Arn", "UploadDate", "Expiration"}
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def rsa_key(bits: int = 2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def key_pem(key, fmt=serialization.PrivateFormat.TraditionalOpenSSL, password=None) -> str:
    enc = (serialization.BestAvailableEncryption(password) if password
           else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, fmt, enc).decode()


def cert(key, issuer_key=None, issuer=None, *, cn=None, ca=False, start_days=-1, days=30):
    """A certificate of key's public key, signed by issuer_key (issuer: the issuer's
    certificate) or self-signed."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn or name("cn"))])
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.subject if issuer is not None else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW + datetime.timedelta(days=start_days))
               .not_valid_after(NOW + datetime.timedelta(days=days)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                        critical=True)
    return builder.sign(issuer_key or key, hashes.SHA256())


def expires(c) -> datetime.datetime:
    return c.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def pem(c) -> str:
    return c.public_bytes(serialization.Encoding.PEM).decode()


def self_signed(**kw) -> tuple[str, str, x509.Certificate]:
    """(body PEM, key PEM, certificate) of a new self-signed RSA certificate."""
    key = rsa_key()
    c = cert(key, **kw)
    return pem(c), key_pem(key), c


def pki():
    """A root CA, an intermediate it signs and a leaf the intermediate signs."""
    root_key, inter_key, leaf_key = rsa_key(), rsa_key(), rsa_key()
    root = cert(root_key, cn="root", ca=True, days=365)
    inter = cert(inter_key, root_key, root, cn="inter", ca=True, days=200)
    leaf = cert(leaf_key, inter_key, inter, cn="leaf")
    return root, inter, leaf, key_pem(leaf_key)


def upload(iam, n=None, **kw):
    if "CertificateBody" not in kw:
        body, key, _ = self_signed()
        kw.update(CertificateBody=body, PrivateKey=key)
    return iam.upload_server_certificate(ServerCertificateName=n or name("sc"), **kw)


def test_lifecycle_rename_and_delete(iam):
    n = name("sc")
    body, key, c = self_signed()
    up = iam.upload_server_certificate(ServerCertificateName=n, CertificateBody=body,
                                       PrivateKey=key)
    assert set(up) == {"ServerCertificateMetadata", "ResponseMetadata"}  # no Tags
    meta = up["ServerCertificateMetadata"]
    assert set(meta) == META
    assert re.fullmatch(r"ASCA[A-Z2-7]{17}", meta["ServerCertificateId"])
    assert meta["Path"] == "/" and meta["ServerCertificateName"] == n
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/{n}"
    assert meta["Expiration"] == expires(c)
    assert abs((meta["UploadDate"] - datetime.datetime.now(datetime.timezone.utc))
               .total_seconds()) < 120
    sid = meta["ServerCertificateId"]

    got = iam.get_server_certificate(ServerCertificateName=n)["ServerCertificate"]
    assert set(got) == {"ServerCertificateMetadata", "CertificateBody", "Tags"}
    assert got["Tags"] == [] and got["ServerCertificateMetadata"] == meta
    assert got["CertificateBody"] == body.strip()
    # A name is found whatever its case.
    assert iam.get_server_certificate(ServerCertificateName=n.upper())[
        "ServerCertificate"]["ServerCertificateMetadata"]["ServerCertificateId"] == sid
    listed = iam.list_server_certificates()
    assert listed["IsTruncated"] is False and "Marker" not in listed
    mine = [m for m in listed["ServerCertificateMetadataList"] if m["ServerCertificateName"] == n]
    assert mine == [meta]

    with pytest.raises(ClientError) as e:
        upload(iam, n)
    assert err(e) == ("EntityAlreadyExists",
                      f"The Server Certificate with name {n} already exists.", 409)

    # Renamed and moved: the same id, body and key; the ARN follows.
    n2 = name("sc2")
    iam.update_server_certificate(ServerCertificateName=n, NewServerCertificateName=n2,
                                  NewPath="/team/web/")
    with pytest.raises(ClientError) as e:
        iam.get_server_certificate(ServerCertificateName=n)
    assert err(e) == ("NoSuchEntity", f"The Server Certificate with name {n} cannot be found.",
                      404)
    moved = iam.get_server_certificate(ServerCertificateName=n2)["ServerCertificate"]
    m2 = moved["ServerCertificateMetadata"]
    assert (m2["ServerCertificateId"], m2["Path"], m2["ServerCertificateName"]) == (
        sid, "/team/web/", n2)
    assert m2["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/team/web/{n2}"
    assert moved["CertificateBody"] == body.strip()
    assert [m["ServerCertificateName"] for m in iam.list_server_certificates(
        PathPrefix="/team/web/")["ServerCertificateMetadataList"]] == [n2]
    assert iam.list_server_certificates(PathPrefix="/nowhere/")[
        "ServerCertificateMetadataList"] == []
    # The path alone, then a rename onto a taken name.
    iam.update_server_certificate(ServerCertificateName=n2, NewPath="/")
    assert iam.get_server_certificate(ServerCertificateName=n2)["ServerCertificate"][
        "ServerCertificateMetadata"]["Path"] == "/"
    other = name("sc3")
    upload(iam, other)
    with pytest.raises(ClientError) as e:
        iam.update_server_certificate(ServerCertificateName=n2, NewServerCertificateName=other)
    assert err(e) == ("EntityAlreadyExists",
                      f"The Server Certificate with name {other} already exists.", 409)

    iam.delete_server_certificate(ServerCertificateName=n2)
    iam.delete_server_certificate(ServerCertificateName=other)
    for call in (lambda: iam.get_server_certificate(ServerCertificateName=n2),
                 lambda: iam.delete_server_certificate(ServerCertificateName=n2),
                 lambda: iam.update_server_certificate(ServerCertificateName=n2, NewPath="/x/"),
                 lambda: iam.tag_server_certificate(ServerCertificateName=n2,
                                                    Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: iam.untag_server_certificate(ServerCertificateName=n2, TagKeys=["k"]),
                 lambda: iam.list_server_certificate_tags(ServerCertificateName=n2)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchEntity",
                          f"The Server Certificate with name {n2} cannot be found.", 404)


def test_body_answered_without_carriage_returns_or_final_newline(iam):
    body, key, _ = self_signed()
    n = name("sc")
    crlf = "\r\n".join(body.split("\n"))
    iam.upload_server_certificate(ServerCertificateName=n, CertificateBody="\n" + crlf + "\n",
                                  PrivateKey="\r\n".join(key.split("\n")), Path="/crlf/")
    got = iam.get_server_certificate(ServerCertificateName=n)["ServerCertificate"]
    assert got["CertificateBody"] == body.strip()
    # Text around the block is not kept, nor a key pasted after the certificate.
    n2 = name("sc")
    iam.upload_server_certificate(ServerCertificateName=n2,
                                  CertificateBody="subject=CN = x\n" + body + key, PrivateKey=key)
    got = iam.get_server_certificate(ServerCertificateName=n2)["ServerCertificate"]
    assert got["CertificateBody"] == body.strip() and "PRIVATE" not in json.dumps(got, default=str)
    iam.delete_server_certificate(ServerCertificateName=n)
    iam.delete_server_certificate(ServerCertificateName=n2)


def test_chain(iam):
    root, inter, leaf, key = pki()
    n = name("sc")
    iam.upload_server_certificate(ServerCertificateName=n, CertificateBody=pem(leaf),
                                  PrivateKey=key, CertificateChain=pem(inter) + pem(root))
    got = iam.get_server_certificate(ServerCertificateName=n)["ServerCertificate"]
    assert set(got) == {"ServerCertificateMetadata", "CertificateBody", "CertificateChain", "Tags"}
    assert got["CertificateChain"] == pem(inter) + pem(root).strip()
    assert got["ServerCertificateMetadata"]["Expiration"] == expires(leaf)
    # The intermediate alone is a chain too; the body's further certificates join the chain.
    n2 = name("sc")
    iam.upload_server_certificate(ServerCertificateName=n2, CertificateBody=pem(leaf),
                                  PrivateKey=key, CertificateChain=pem(inter))
    n3 = name("sc")
    iam.upload_server_certificate(ServerCertificateName=n3, CertificateBody=pem(leaf) + pem(inter),
                                  PrivateKey=key)
    got = iam.get_server_certificate(ServerCertificateName=n3)["ServerCertificate"]
    assert (got["CertificateBody"], got["CertificateChain"]) == (pem(leaf).strip(),
                                                                 pem(inter).strip())

    other_root = cert(rsa_key(), cn="other", ca=True)
    for chain, index in ((pem(root), -1),                           # not the leaf's issuer
                         (pem(root) + pem(inter), -1),              # out of order
                         (pem(inter) + pem(other_root), 1),         # the second is wrong
                         (pem(leaf) + pem(inter) + pem(root), -1)):  # the leaf again
        with pytest.raises(ClientError) as e:
            upload(iam, CertificateBody=pem(leaf), PrivateKey=key, CertificateChain=chain)
        assert err(e) == ("MalformedCertificate", CHAIN + str(index), 400)
    with pytest.raises(ClientError) as e:
        upload(iam, CertificateBody=pem(leaf), PrivateKey=key, CertificateChain="not a chain")
    assert err(e) == ("MalformedCertificate", PARSE, 400)
    for each in (n, n2, n3):
        iam.delete_server_certificate(ServerCertificateName=each)


def test_refused_bodies_and_keys(iam):
    body, key, _ = self_signed()
    broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
    for bad_body in ("file://cert.pem", broken, key):
        with pytest.raises(ClientError) as e:
            upload(iam, CertificateBody=bad_body, PrivateKey=key)
        assert err(e) == ("MalformedCertificate", PARSE, 400)

    expired_key = rsa_key()
    expired = pem(cert(expired_key, start_days=-30, days=-1))
    with pytest.raises(ClientError) as e:
        upload(iam, CertificateBody=expired, PrivateKey=key_pem(expired_key))
    assert err(e) == ("MalformedCertificate", EXPIRED, 400)
    future_key = rsa_key()
    future = pem(cert(future_key, start_days=2, days=30))
    with pytest.raises(ClientError) as e:
        upload(iam, CertificateBody=future, PrivateKey=key_pem(future_key))
    assert code_of(e.value) == ("MalformedCertificate", 400)

    with pytest.raises(ClientError) as e:
        upload(iam, CertificateBody=body, PrivateKey=key_pem(rsa_key()))
    assert code_of(e.value) == ("KeyPairMismatch", 400)

    rsa_priv = serialization.load_pem_private_key(key.encode(), None)
    ed = ed25519.Ed25519PrivateKey.generate()
    for bad_key in ("file://key.pem",
                    key_pem(rsa_priv, serialization.PrivateFormat.PKCS8, b"passphrase"),
                    key_pem(rsa_priv, serialization.PrivateFormat.TraditionalOpenSSL,
                            b"passphrase"),
                    key_pem(ed, serialization.PrivateFormat.PKCS8),
                    body):
        with pytest.raises(ClientError) as e:
            upload(iam, CertificateBody=body, PrivateKey=bad_key)
        assert err(e) == ("MalformedCertificate", PARSE, 400), bad_key[:40]

    # Taken: PKCS#8 RSA, RSA of 1024 and 4096 bits, EC P-256 and P-384 (SEC 1 and PKCS#8).
    taken = [(rsa_priv, body, serialization.PrivateFormat.PKCS8)]
    for k in (rsa_key(1024), rsa_key(4096), ec.generate_private_key(ec.SECP256R1())):
        taken.append((k, pem(cert(k)), serialization.PrivateFormat.TraditionalOpenSSL))
    p384 = ec.generate_private_key(ec.SECP384R1())
    taken.append((p384, pem(cert(p384)), serialization.PrivateFormat.PKCS8))
    for k, b, fmt in taken:
        n = name("sc")
        upload(iam, n, CertificateBody=b, PrivateKey=key_pem(k, fmt))
        iam.delete_server_certificate(ServerCertificateName=n)

    with pytest.raises(ClientError) as e:
        upload(iam, "bad name!")
    assert code_of(e.value) == ("ValidationError", 400)
    with pytest.raises(ClientError) as e:
        upload(iam, Path="no-slashes")
    assert code_of(e.value) == ("ValidationError", 400)


def test_tags(iam):
    n = name("sc")
    tags = [{"Key": "team", "Value": "web"}, {"Key": "env", "Value": "prod"}]
    up = upload(iam, n, Tags=tags)
    assert up["Tags"] == tags
    assert iam.get_server_certificate(ServerCertificateName=n)["ServerCertificate"]["Tags"] == tags
    iam.tag_server_certificate(ServerCertificateName=n,
                               Tags=[{"Key": "env", "Value": "dev"}, {"Key": "app", "Value": "a"}])
    listed = iam.list_server_certificate_tags(ServerCertificateName=n)
    assert listed["IsTruncated"] is False
    # Sorted by key, as the API reference says.
    assert listed["Tags"] == [{"Key": "app", "Value": "a"}, {"Key": "env", "Value": "dev"},
                              {"Key": "team", "Value": "web"}]
    page = iam.list_server_certificate_tags(ServerCertificateName=n, MaxItems=2)
    assert page["IsTruncated"] is True and [t["Key"] for t in page["Tags"]] == ["app", "env"]
    rest = iam.list_server_certificate_tags(ServerCertificateName=n, Marker=page["Marker"])
    assert [t["Key"] for t in rest["Tags"]] == ["team"] and rest["IsTruncated"] is False
    iam.untag_server_certificate(ServerCertificateName=n, TagKeys=["team", "absent"])
    assert [t["Key"] for t in iam.list_server_certificate_tags(ServerCertificateName=n)[
        "Tags"]] == ["app", "env"]
    # The list answers no tags.
    listed = [m for m in iam.list_server_certificates()["ServerCertificateMetadataList"]
              if m["ServerCertificateName"] == n]
    assert set(listed[0]) == META
    with pytest.raises(ClientError) as e:
        iam.tag_server_certificate(ServerCertificateName=n,
                                   Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    assert code_of(e.value) == ("LimitExceeded", 409)
    with pytest.raises(ClientError) as e:
        upload(iam, Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])
    assert code_of(e.value) == ("InvalidInput", 400)
    iam.delete_server_certificate(ServerCertificateName=n)


def test_list_pages(iam):
    path = f"/{name('page')}/"
    names = sorted(name("sc") for _ in range(3))
    for n in names:
        upload(iam, n, Path=path)
    seen, marker, pages = [], None, 0
    while True:
        kw = {"Marker": marker} if marker else {}
        page = iam.list_server_certificates(PathPrefix=path, MaxItems=1, **kw)
        pages += 1
        seen += [m["ServerCertificateName"] for m in page["ServerCertificateMetadataList"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert seen == names and pages == 3
    by_paginator = [m["ServerCertificateName"]
                    for p in iam.get_paginator("list_server_certificates").paginate(
                        PathPrefix=path, PaginationConfig={"PageSize": 2})
                    for m in p["ServerCertificateMetadataList"]]
    assert by_paginator == names
    for n in names:
        iam.delete_server_certificate(ServerCertificateName=n)


def test_quota_and_account_summary(iam):
    summary = lambda: iam.get_account_summary()["SummaryMap"]  # noqa: E731
    held = sum(len(p["ServerCertificateMetadataList"])
               for p in iam.get_paginator("list_server_certificates").paginate())
    s = summary()
    assert (s["ServerCertificates"], s["ServerCertificatesQuota"]) == (held, 20)
    made = []
    body, key, _ = self_signed()  # one certificate may be uploaded under many names
    try:
        for _ in range(20 - held):
            n = name("q")
            iam.upload_server_certificate(ServerCertificateName=n, CertificateBody=body,
                                          PrivateKey=key)
            made.append(n)
        assert summary()["ServerCertificates"] == 20
        with pytest.raises(ClientError) as e:
            iam.upload_server_certificate(ServerCertificateName=name("q"), CertificateBody=body,
                                          PrivateKey=key)
        assert err(e) == ("LimitExceeded",
                          "Cannot exceed quota for ServerCertificatesPerAccount: 20", 409)
        # A rename is no new certificate.
        iam.update_server_certificate(ServerCertificateName=made[0],
                                      NewServerCertificateName=made[0] + "-r")
        made[0] += "-r"
    finally:
        for n in made:
            iam.delete_server_certificate(ServerCertificateName=n)
    assert summary()["ServerCertificates"] == held


def test_authorized_on_the_certificate_arn(iam, auth_server):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:*ServerCertificate*"],
         "Resource": f"arn:aws:iam::{ACCOUNT}:server-certificate/allowed/*"},
        {"Effect": "Allow", "Action": "iam:ListServerCertificates", "Resource": "*"}]})
    _, key = new_user(iam, policy)
    own = client(auth_server.endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    mine, theirs = name("sc"), name("sc")
    wait_for(lambda: upload(own, mine, Path="/allowed/"), what="the user's policy")
    upload(iam, theirs, Path="/other/")
    own.get_server_certificate(ServerCertificateName=mine)
    own.list_server_certificates()
    for call in (lambda: own.get_server_certificate(ServerCertificateName=theirs),
                 lambda: own.delete_server_certificate(ServerCertificateName=theirs),
                 lambda: upload(own, name("sc"), Path="/other/"),
                 # Moving out of /allowed/ needs the new ARN too.
                 lambda: own.update_server_certificate(ServerCertificateName=mine,
                                                       NewPath="/other/")):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e.value) == ("AccessDenied", 403)
    own.delete_server_certificate(ServerCertificateName=mine)
    iam.delete_server_certificate(ServerCertificateName=theirs)


def store_bytes(auth_server) -> bytes:
    """What the store holds at rest: the SQLite files, or a dump of the PostgreSQL database."""
    if IS_PG:
        return pg_cluster.session_cluster().dump(store_database(auth_server.data_dir))
    return b"".join(p.read_bytes() for p in auth_server.data_dir.glob("arcana.db*"))


def store_query(auth_server, sql: str) -> str:
    if IS_PG:
        return pg_cluster.session_cluster().psql(sql, store_database(auth_server.data_dir))
    con = sqlite3.connect(str(auth_server.data_dir / "arcana.db"), timeout=10)
    try:
        return "\n".join("|".join(str(v) for v in row) for row in con.execute(sql))
    finally:
        con.close()


def test_private_key_never_leaves_the_server(iam, auth_server):
    body, key, _ = self_signed()
    # The key's base64 lines: none may appear anywhere (the first is its most telling part).
    secret_lines = [line for line in key.splitlines() if not line.startswith("-----")]
    n = name("sc")
    up = iam.upload_server_certificate(ServerCertificateName=n, CertificateBody=body,
                                       PrivateKey=key)
    sid = up["ServerCertificateMetadata"]["ServerCertificateId"]
    request_id = up["ResponseMetadata"]["RequestId"]
    got = iam.get_server_certificate(ServerCertificateName=n)
    answers = json.dumps([up, got], default=str)
    assert not any(line in answers for line in secret_lines)
    # A refused upload (the key with another body) is no leak either.
    with pytest.raises(ClientError) as e:
        upload(iam, CertificateBody=self_signed()[0], PrivateKey=key)
    assert code_of(e.value) == ("KeyPairMismatch", 400)
    assert not any(line in json.dumps(e.value.response, default=str) for line in secret_lines)

    # Kept sealed apart from the document, and carried through a rename.
    n2 = name("sc")
    iam.update_server_certificate(ServerCertificateName=n, NewServerCertificateName=n2)
    assert store_query(auth_server,
                       f"SELECT kind FROM iam_entity_secrets WHERE id = '{sid}'") == \
        "server-certificate"
    at_rest = store_bytes(auth_server)
    assert sid.encode() in at_rest
    assert not any(line.encode() in at_rest for line in secret_lines[:3])

    audit = auth_server.data_dir / "audit"

    def trail() -> bytes:
        return b"".join(f.read_bytes() for f in audit.glob("**/*.jsonl"))

    wait_for(lambda: request_id.encode() in trail(), what="the call's audit record")
    records = [json.loads(line) for line in trail().splitlines()
               if request_id.encode() in line]
    params = [r.get("requestParameters") or {} for r in records]
    assert any(p.get("serverCertificateName") == n for p in params), params
    logged = trail() + b"".join(f.read_bytes() for f in auth_server.log_files)
    assert not any(line.encode() in logged for line in secret_lines)

    iam.delete_server_certificate(ServerCertificateName=n2)
    assert store_query(auth_server,
                       f"SELECT COUNT(*) FROM iam_entity_secrets WHERE id = '{sid}'") == "0"
