// A user's SSH public keys (UploadSSHPublicKey, ...) and X.509 signing certificates
// (UploadSigningCertificate, ...): credentials other services take on AWS (CodeCommit's SSH,
// SOAP-era signing), kept on the user (domain::iam::SshPublicKeyRecord,
// SigningCertificateRecord), listed, and counted by the credential report. Arcana serves
// neither SSH nor certificate-signed requests.
//
// The answers and refusals are AWS's as LocalStack's AWS-validated test_iam_ssh_public_keys
// and test_iam_signing_certificates recorded them (2026), or as the API reference documents
// them; where neither says, the source of a rule is named where it is applied.
#include <algorithm>
#include <string>
#include <vector>

#include "crypto/ssh_public_key.h"
#include "crypto/x509_certificate.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::SigningCertificateRecord;
using domain::iam::SshPublicKeyRecord;

namespace {

// The API reference's quotas: five SSH keys and two signing certificates per user (the
// certificates' refusal recorded; the keys' worded the same way).
constexpr size_t kMaxSshKeys = 5;
constexpr size_t kMaxCertificates = 2;
constexpr size_t kMinRsaBits = 2048;  // "The minimum bit-length of the public key is 2048 bits."

Status NoSuchKey(const std::string& id) {  // recorded
  return Status(ErrorCode::kResourceNotFound, "The Public Key with id " + id + " cannot be found.");
}

Status NoSuchCertificate(const std::string& id) {  // recorded
  return Status(ErrorCode::kResourceNotFound,
                "The Certificate with id " + id + " cannot be found.");
}

// Upload and Get with Encoding SSH (recorded members); PEM answers the key's PEM form.
void WriteSshKey(json::Writer& w, const std::string& user, const SshPublicKeyRecord& k,
                 bool pem = false) {
  w.StartObject();
  json::KV(w, "UserName", user);
  json::KV(w, "SSHPublicKeyId", k.id);
  json::KV(w, "Fingerprint", k.fingerprint);
  json::KV(w, "SSHPublicKeyBody", pem ? k.pem : k.body);
  json::KV(w, "Status", k.status);
  w.Key("UploadDate");
  json::WriteTimestamp(w, k.uploaded_ms);
  w.EndObject();
}

void WriteCertificate(json::Writer& w, const std::string& user,
                      const SigningCertificateRecord& c) {
  w.StartObject();
  json::KV(w, "UserName", user);
  json::KV(w, "CertificateId", c.id);
  json::KV(w, "CertificateBody", c.body);
  json::KV(w, "Status", c.status);
  w.Key("UploadDate");
  json::WriteTimestamp(w, c.uploaded_ms);
  w.EndObject();
}

template <class Record>
Record* Find(std::vector<Record>& list, const std::string& id) {
  auto it = std::find_if(list.begin(), list.end(), [&](const Record& r) { return r.id == id; });
  return it == list.end() ? nullptr : &*it;
}

}  // namespace

// ssh-rsa keys of at least 2048 bits, as the API reference says; another type, or a body that
// is no OpenSSH key, is UnrecognizedPublicKeyEncoding in the words an AWS answer was quoted
// with ("Invalid public key uploaded."); a short RSA key InvalidPublicKey; the user's own key
// again DuplicateSSHPublicKey (the model's description; AWS's words for these two were not
// recorded).
Result<std::string> IamService::UploadSSHPublicKey(const In& in, const CallContext& ctx) {
  auto parsed = crypto::ParseSshPublicKey(in.Str("SSHPublicKeyBody").value_or(""));
  if (!parsed || parsed->type != "ssh-rsa") {
    return Status(ErrorCode::kUnrecognizedPublicKeyEncoding, "Invalid public key uploaded.");
  }
  if (parsed->bits < kMinRsaBits) {
    return Status(ErrorCode::kInvalidPublicKey,
                  "The public key must be at least " + std::to_string(kMinRsaBits) + " bits.");
  }
  SshPublicKeyRecord key;
  key.id = domain::iam::NewUniqueId("APKA").substr(0, 20);
  key.body = parsed->body;
  key.fingerprint = parsed->fingerprint;
  key.pem = parsed->pem;
  key.uploaded_ms = ctx.now_ms;
  std::string user_name;
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", *in.Str("UserName"), "UploadSSHPublicKey",
                                [&](Identity& u) -> Status {
                                  user_name = u.name;
                                  for (const auto& k : u.ssh_keys) {
                                    if (k.fingerprint == key.fingerprint) {
                                      return Status(ErrorCode::kDuplicateSshPublicKey,
                                                    "The SSH public key is already associated "
                                                    "with the specified IAM user.");
                                    }
                                  }
                                  if (u.ssh_keys.size() >= kMaxSshKeys) {
                                    return Status(ErrorCode::kLimitExceeded,
                                                  "Cannot exceed quota for "
                                                  "SSHPublicKeysPerUser: 5");
                                  }
                                  u.ssh_keys.push_back(key);
                                  return Status::Ok();
                                }));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("SSHPublicKey");
  WriteSshKey(w, user_name, key);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::GetSSHPublicKey(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", *in.Str("UserName")));
  const std::string id = *in.Str("SSHPublicKeyId");
  const SshPublicKeyRecord* k = Find(u.ssh_keys, id);
  if (k == nullptr) return NoSuchKey(id);
  const std::string encoding = in.Str("Encoding").value_or("SSH");
  if (encoding != "SSH" && encoding != "PEM") {
    return Status(ErrorCode::kUnrecognizedPublicKeyEncoding,
                  "Encoding must be SSH or PEM: " + encoding);
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("SSHPublicKey");
  WriteSshKey(w, u.name, *k, encoding == "PEM");
  w.EndObject();
  return json::Finish(buf);
}

// Recorded: {UserName, SSHPublicKeyId, Status, UploadDate} per key, no body; without UserName
// the calling user's.
Result<std::string> IamService::ListSSHPublicKeys(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(std::string user, KeyUser(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", user));
  std::vector<std::string> ids;
  for (const auto& k : u.ssh_keys) ids.push_back(k.id);
  ARCANA_ASSIGN_OR_RETURN(Slice slice, SliceOf(PageOf(in), ids));
  return PagedListAnswer(slice, "SSHPublicKeys", [&](json::Writer& w, size_t i) {
    const auto& k = u.ssh_keys[i];
    w.StartObject();
    json::KV(w, "UserName", u.name);
    json::KV(w, "SSHPublicKeyId", k.id);
    json::KV(w, "Status", k.status);
    w.Key("UploadDate");
    json::WriteTimestamp(w, k.uploaded_ms);
    w.EndObject();
  });
}

Result<std::string> IamService::UpdateSSHPublicKey(const In& in, const CallContext& ctx) {
  const std::string id = *in.Str("SSHPublicKeyId");
  const std::string status = *in.Str("Status");
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", *in.Str("UserName"), "UpdateSSHPublicKey",
                                [&](Identity& u) -> Status {
                                  SshPublicKeyRecord* k = Find(u.ssh_keys, id);
                                  if (k == nullptr) return NoSuchKey(id);
                                  k->status = status;
                                  return Status::Ok();
                                }));
  return std::string("{}");
}

Result<std::string> IamService::DeleteSSHPublicKey(const In& in, const CallContext& ctx) {
  const std::string id = *in.Str("SSHPublicKeyId");
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", *in.Str("UserName"), "DeleteSSHPublicKey",
                                [&](Identity& u) -> Status {
                                  if (Find(u.ssh_keys, id) == nullptr) return NoSuchKey(id);
                                  std::erase_if(u.ssh_keys,
                                                [&](const auto& k) { return k.id == id; });
                                  return Status::Ok();
                                }));
  return std::string("{}");
}

// Recorded: a body that is no certificate is MalformedCertificate "Certificate BODY is
// malformed." (the body as given), a third one LimitExceeded "Cannot exceed quota for
// CertificatesPerUser: 2"; an expired one is MalformedCertificate too (the API reference:
// "malformed or expired"); the same certificate twice for the user DuplicateCertificate (the
// model's description: AWS checks the whole account, Arcana the user). Without UserName the
// calling user's.
Result<std::string> IamService::UploadSigningCertificate(const In& in, const CallContext& ctx) {
  const std::string body = in.Str("CertificateBody").value_or("");
  auto parsed = crypto::ParseX509Pem(body);
  if (!parsed || parsed->not_after_ms <= ctx.now_ms) {
    return Status(ErrorCode::kMalformedCertificate, "Certificate " + body + " is malformed.");
  }
  ARCANA_ASSIGN_OR_RETURN(std::string user, KeyUser(in, ctx));
  SigningCertificateRecord cert;
  cert.id = (domain::iam::NewUniqueId("") + domain::iam::NewUniqueId("")).substr(0, 32);
  cert.body = body;
  cert.uploaded_ms = ctx.now_ms;
  std::string user_name;
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", user, "UploadSigningCertificate",
                                [&](Identity& u) -> Status {
                                  user_name = u.name;
                                  for (const auto& c : u.certificates) {
                                    auto same = crypto::ParseX509Pem(c.body);
                                    if (same && same->der == parsed->der) {
                                      return Status(ErrorCode::kDuplicateCertificate,
                                                    "The same certificate is already "
                                                    "associated with an IAM user.");
                                    }
                                  }
                                  if (u.certificates.size() >= kMaxCertificates) {
                                    return Status(ErrorCode::kLimitExceeded,
                                                  "Cannot exceed quota for CertificatesPerUser: 2");
                                  }
                                  u.certificates.push_back(cert);
                                  return Status::Ok();
                                }));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Certificate");
  WriteCertificate(w, user_name, cert);
  w.EndObject();
  return json::Finish(buf);
}

// Recorded: each certificate with its body.
Result<std::string> IamService::ListSigningCertificates(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(std::string user, KeyUser(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", user));
  std::vector<std::string> ids;
  for (const auto& c : u.certificates) ids.push_back(c.id);
  ARCANA_ASSIGN_OR_RETURN(Slice slice, SliceOf(PageOf(in), ids));
  return PagedListAnswer(slice, "Certificates", [&](json::Writer& w, size_t i) {
    WriteCertificate(w, u.name, u.certificates[i]);
  });
}

Result<std::string> IamService::UpdateSigningCertificate(const In& in, const CallContext& ctx) {
  const std::string id = *in.Str("CertificateId");
  const std::string status = *in.Str("Status");
  ARCANA_ASSIGN_OR_RETURN(std::string user, KeyUser(in, ctx));
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", user, "UpdateSigningCertificate",
                                [&](Identity& u) -> Status {
                                  SigningCertificateRecord* c = Find(u.certificates, id);
                                  if (c == nullptr) return NoSuchCertificate(id);
                                  c->status = status;
                                  return Status::Ok();
                                }));
  return std::string("{}");
}

Result<std::string> IamService::DeleteSigningCertificate(const In& in, const CallContext& ctx) {
  const std::string id = *in.Str("CertificateId");
  ARCANA_ASSIGN_OR_RETURN(std::string user, KeyUser(in, ctx));
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", user, "DeleteSigningCertificate",
                                [&](Identity& u) -> Status {
                                  if (Find(u.certificates, id) == nullptr) {
                                    return NoSuchCertificate(id);
                                  }
                                  std::erase_if(u.certificates,
                                                [&](const auto& c) { return c.id == id; });
                                  return Status::Ok();
                                }));
  return std::string("{}");
}

}  // namespace arcana::services::iam
