"""A SAML 2.0 identity provider for the tests, as Okta, Entra ID or ADFS would be for AWS: an
RSA key and self-signed certificate (python3-cryptography), the IdP's metadata document
(what CreateSAMLProvider uploads), and signed SAML responses (python3-xmlsec over lxml: XML
signatures with exclusive canonicalization and RSA-SHA256, as those IdPs sign), base64-encoded
as AssumeRoleWithSAML takes them. Everything an assertion holds can be changed per call, so
the tests can build the bad ones too."""

from __future__ import annotations

import base64
import datetime
import uuid

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
SIGNIN = "https://signin.aws.amazon.com/saml"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def _iso(t: datetime.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class SamlIdp:
    def __init__(self, entity_id: str = "http://idp.example.test/saml", bits: int = 2048):
        self.entity_id = entity_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.test")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=365))
                     .sign(self.key, hashes.SHA256()))
        self.key_pem = self.key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def metadata(self) -> str:
        """The IdP's metadata as IdPs export it: entityID, one signing certificate, SSO URLs
        (over 1,000 characters, the model's minimum)."""
        der = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'entityID="{self.entity_id}">'
            '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>'
            f"{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
            "</md:NameIDFormat>"
            f"<md:NameIDFormat>{PERSISTENT}</md:NameIDFormat>"
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            'Location="http://idp.example.test/sso/saml"/>'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            'Location="http://idp.example.test/sso/saml"/>'
            "</md:IDPSSODescriptor></md:EntityDescriptor>")

    def response_xml(self, roles: list[str], session_name: str | None = "alice@example.test",
                     subject: str = "alice@example.test", name_format: str = PERSISTENT,
                     issuer: str | None = None, recipient: str = SIGNIN,
                     audience: str = SIGNIN, lifetime_s: int = 300, issued_ago_s: int = 0,
                     attributes: dict[str, list[str]] | None = None) -> etree._Element:
        now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
            seconds=issued_ago_s)
        until = now + datetime.timedelta(seconds=lifetime_s)
        issuer = issuer or self.entity_id
        attrs = {ATTR + "Role": roles}
        if session_name is not None:
            attrs[ATTR + "RoleSessionName"] = [session_name]
        attrs.update(attributes or {})
        attr_xml = "".join(
            f'<saml:Attribute Name="{n}">' +
            "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in vs) +
            "</saml:Attribute>" for n, vs in attrs.items())
        rid, aid = "_" + uuid.uuid4().hex, "_" + uuid.uuid4().hex
        xml = (
            f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{rid}" Version="2.0" '
            f'IssueInstant="{_iso(now)}" Destination="{recipient}">'
            f"<saml:Issuer>{issuer}</saml:Issuer>"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            "</samlp:Status>"
            f'<saml:Assertion ID="{aid}" Version="2.0" IssueInstant="{_iso(now)}">'
            f"<saml:Issuer>{issuer}</saml:Issuer>"
            f'<saml:Subject><saml:NameID Format="{name_format}">{subject}</saml:NameID>'
            '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData NotOnOrAfter="{_iso(until)}" Recipient="{recipient}"/>'
            "</saml:SubjectConfirmation></saml:Subject>"
            f'<saml:Conditions NotBefore="{_iso(now)}" NotOnOrAfter="{_iso(until)}">'
            f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience>"
            "</saml:AudienceRestriction></saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{_iso(now)}" SessionIndex="{aid}">'
            "<saml:AuthnContext><saml:AuthnContextClassRef>"
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
            f"<saml:AttributeStatement>{attr_xml}</saml:AttributeStatement>"
            "</saml:Assertion></samlp:Response>")
        return etree.fromstring(xml.encode())

    def sign(self, element: etree._Element, key_pem: bytes | None = None) -> None:
        """An enveloped signature of `element` (the Response or its Assertion), placed after
        its Issuer as SAML requires."""
        sig = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N,
                                     xmlsec.Transform.RSA_SHA256, ns="ds")
        element.insert(1, sig)
        ref = xmlsec.template.add_reference(sig, xmlsec.Transform.SHA256,
                                            uri="#" + element.get("ID"))
        xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
        xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
        xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
        ctx = xmlsec.SignatureContext()
        key = xmlsec.Key.from_memory(key_pem or self.key_pem, xmlsec.KeyFormat.PEM)
        key.load_cert_from_memory(self.cert_pem, xmlsec.KeyFormat.PEM)
        ctx.key = key
        ctx.register_id(element, "ID")
        ctx.sign(sig)

    @staticmethod
    def assertion_of(response: etree._Element) -> etree._Element:
        return response.find(f"{{{SAML}}}Assertion")

    @staticmethod
    def encode(response: etree._Element) -> str:
        return base64.b64encode(etree.tostring(response)).decode()

    @staticmethod
    def encrypt_assertion(response: etree._Element, sp_public_pem: bytes) -> None:
        """The response's Assertion replaced by an EncryptedAssertion for the service provider
        (AES-256-CBC content, the key wrapped with RSA-OAEP in the EncryptedData's KeyInfo), as
        an IdP configured to encrypt for AWS sends it."""
        assertion = response.find(f"{{{SAML}}}Assertion")
        template = xmlsec.template.encrypted_data_create(
            response, xmlsec.Transform.AES256, type=xmlsec.EncryptionType.ELEMENT, ns="xenc")
        xmlsec.template.encrypted_data_ensure_cipher_value(template)
        key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="dsig")
        wrapped = xmlsec.template.add_encrypted_key(key_info, xmlsec.Transform.RSA_OAEP)
        xmlsec.template.encrypted_data_ensure_cipher_value(wrapped)
        manager = xmlsec.KeysManager()
        manager.add_key(xmlsec.Key.from_memory(sp_public_pem, xmlsec.KeyFormat.PEM, None))
        ctx = xmlsec.EncryptionContext(manager)
        ctx.key = xmlsec.Key.generate(xmlsec.KeyData.AES, 256, xmlsec.KeyDataType.SESSION)
        data = ctx.encrypt_xml(template, assertion)
        holder = etree.Element(f"{{{SAML}}}EncryptedAssertion")
        data.addprevious(holder)
        holder.append(data)

    def signed(self, roles: list[str], sign: str = "assertion", encrypt_for: bytes | None = None,
               **kw) -> str:
        """A base64 response with its assertion ("assertion"), the response ("response") or
        both signed; the (signed) assertion encrypted for `encrypt_for` (a PEM public key)."""
        r = self.response_xml(roles, **kw)
        if sign in ("assertion", "both"):
            self.sign(self.assertion_of(r))
        if encrypt_for is not None:
            self.encrypt_assertion(r, encrypt_for)
        if sign in ("response", "both"):
            self.sign(r)
        return self.encode(r)
