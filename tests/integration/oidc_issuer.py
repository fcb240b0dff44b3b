"""A local OpenID Connect issuer for the web identity tests: an HTTPS server on loopback with
a self-signed certificate for 127.0.0.1 (trusted by Arcana only through a provider's
thumbprint, as IAM trusts a private CA), serving the discovery document and a JWK Set of an
RSA and a P-256 key, and signing ID tokens (RS256 / ES256) with them. Counts the requests it
serves, so tests can see the key cache at work."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
import ipaddress


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def self_signed_tls(directory: Path) -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1 (and its key) in `directory`: (cert.pem,
    key.pem, SHA-1 thumbprint of the certificate's DER)."""
    tls_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "arcana test server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(tls_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(tls_key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(tls_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert_path, key_path, hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def serve_https(handler: type[BaseHTTPRequestHandler], tls: tuple[Path, Path]) -> ThreadingHTTPServer:
    """A threaded HTTPS server on a free loopback port with the (certificate, key) pair tls,
    serving from a daemon thread; its URL is https://127.0.0.1:<server_address[1]>."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*tls)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _int_bytes(n: int, length: int | None = None) -> bytes:
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


class OidcIssuer:
    def __init__(self):
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        self.requests: list[str] = []
        cert_path, key_path, self.thumbprint = self_signed_tls(
            Path(tempfile.mkdtemp(prefix="oidc-issuer-")))
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                issuer.requests.append(self.path)
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks",
                            "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
                elif self.path == "/jwks":
                    body = issuer.jwks()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = serve_https(Handler, (cert_path, key_path))
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.provider_url = f"127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def jwks(self) -> dict:
        rn = self.rsa_key.public_key().public_numbers()
        en = self.ec_key.public_key().public_numbers()
        return {"keys": [
            {"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256",
             "n": b64u(_int_bytes(rn.n)), "e": b64u(_int_bytes(rn.e))},
            {"kty": "EC", "kid": "ec-1", "use": "sig", "crv": "P-256",
             "x": b64u(_int_bytes(en.x, 32)), "y": b64u(_int_bytes(en.y, 32))},
        ]}

    def token(self, sub="repo:acme/app:ref:refs/heads/main", aud="sts.amazonaws.com",
              alg="RS256", kid=None, lifetime=300, iss=None, extra=None, key=None) -> str:
        now = int(time.time())
        claims = {"iss": iss or self.url, "sub": sub, "aud": aud, "iat": now, "nbf": now - 5,
                  "exp": now + lifetime}
        claims.update(extra or {})
        header = {"alg": alg, "typ": "JWT", "kid": kid or ("ec-1" if alg == "ES256" else "rsa-1")}
        signing_input = (b64u(json.dumps(header).encode()) + "." +
                         b64u(json.dumps(claims).encode())).encode()
        if alg == "RS256":
            sig = (key or self.rsa_key).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "ES256":
            der = (key or self.ec_key).sign(signing_input, ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            sig = _int_bytes(r, 32) + _int_bytes(s, 32)
        else:
            sig = b""
        return signing_input.decode() + "." + b64u(sig)
