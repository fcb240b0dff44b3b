// IAM server certificates: an X.509 certificate, its chain and its private key
// (domain::iam::ServerCertificate), uploaded for the services that terminate TLS with them on
// AWS (ELB, CloudFront) and managed by the tools that drive those (Terraform's
// aws_iam_server_certificate, CloudFormation, certbot plugins). Arcana terminates no TLS with
// them: they are checked as IAM checks them (crypto/server_certificate.h), kept, listed,
// renamed, tagged and deleted.
//
// A certificate is stored as an entity of kind "server-certificate" named by its name, its
// ServerCertificateId the entity's id (storage/identity_codec.h). Its private key is the
// entity's sealed secret (EntityWrite::sealed_secret: sealed under the root key, bound to the
// id, re-sealed by a root rotation, deleted with the entity): never in the document, never
// answered, and never in the audit trail (PrivateKey is not on audit/redaction.cc's
// allow-list) or the server's log.
//
// The answers and refusals are AWS's as LocalStack's AWS-validated
// test_iam_server_certificates.py recorded them (2026-02), or as real AWS answers quoted in
// users' reports (each cited where it is applied); what neither shows is marked as inferred.
#include <algorithm>
#include <string>
#include <vector>

#include "auth/authorizer.h"
#include "crypto/secure_memory.h"
#include "crypto/server_certificate.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::ServerCertificate;
using storage::EntityWrite;

namespace {

// Recorded (Get and Delete of a missing name, and after a delete); also quoted from AWS in
// users' reports. Update, Tag, Untag and ListServerCertificateTags of a missing name were
// not recorded: inferred to answer the same.
Status NoSuchServerCertificate(const std::string& name) {
  return Status(ErrorCode::kResourceNotFound,
                "The Server Certificate with name " + name + " cannot be found.");
}

// Recorded (Upload of a taken name; also hashicorp/terraform#10049). UpdateServerCertificate
// onto a taken name is inferred to answer the same, with the new name.
Status ServerCertificateExists(const std::string& name) {
  return Status(ErrorCode::kResourceExists,
                "The Server Certificate with name " + name + " already exists.");
}

// AWS's words for a body (or, by users' reports, a private key) that does not parse, quoted
// from real answers (openshift/openshift-ansible#11214 and others).
Status UnparsableServerCertificate() {
  return Status(ErrorCode::kMalformedCertificate,
                "Unable to parse certificate. Please ensure the certificate is in PEM format.");
}

// The checks of crypto::CheckServerCertificate, then the validity period, in AWS's words
// where they were quoted. `now_ms`: the request's time.
Status ServerCertificateRefusal(const crypto::ServerCertificateCheck& check, int64_t now_ms) {
  using Fault = crypto::ServerCertificateCheck::Fault;
  if (check.fault == Fault::kCertificate) return UnparsableServerCertificate();
  // The IAM User Guide: "You cannot upload a certificate before its validity period begins
  // (the certificate's NotBefore date) or after it expires (the certificate's NotAfter date)."
  // The expired text is AWS's (terraform-provider-aws PR #7049). The not-yet-valid one is
  // MalformedCertificate too (aws/aws-sdk-go#2586), its words not captured: inferred, the
  // expired text's mirror.
  if (check.not_after_ms <= now_ms) {
    return Status(ErrorCode::kMalformedCertificate,
                  "Certificate is no longer valid. The 'Not After' date restriction on the "
                  "certificate has passed.");
  }
  if (check.not_before_ms > now_ms) {
    return Status(ErrorCode::kMalformedCertificate,
                  "Certificate is not yet valid. The 'Not Before' date restriction on the "
                  "certificate has not been met.");
  }
  switch (check.fault) {
    case Fault::kNone:
      return Status::Ok();
    case Fault::kCertificate:
    case Fault::kPrivateKey:
      // Users report AWS answers the body's text for a key that is not a PEM RSA key (the
      // fix they give is `openssl rsa -in key -out key.pem`); no other words were found, so
      // an encrypted key or one of a type not taken is answered so too (inferred).
      return UnparsableServerCertificate();
    case Fault::kKeyMismatch:
      // The code is the model's; AWS's words were not found anywhere: the model's
      // description of the error (inferred).
      return Status(ErrorCode::kKeyPairMismatch,
                    "The public key certificate and the private key do not match.");
    case Fault::kChainUnparsable:
      // AWS's words for a chain that does not parse were not found: the body's (inferred).
      return UnparsableServerCertificate();
    case Fault::kChainOrder:
      // AWS's words (go-acme/lego#304, 2024 reports). The index: reports show -1 for a chain
      // that does not start with the body's issuer; that a later certificate is named by its
      // 0-based position is inferred (a report shows 1, its chain not quoted).
      return Status(ErrorCode::kMalformedCertificate,
                    "Unable to validate certificate chain. The certificate chain must start "
                    "with the immediate signing certificate, followed by any intermediaries in "
                    "order. The index within the chain of the invalid certificate is: " +
                        std::to_string(check.chain_index));
  }
  return UnparsableServerCertificate();
}

// Recorded: Path, ServerCertificateName, ServerCertificateId, Arn, UploadDate and Expiration,
// the same six in every answer (Upload, Get, each List entry). Expiration is the
// certificate's notAfter, in whole seconds (AWS answers "2018-04-26T23:59:59Z" for such a
// certificate, users' reports).
void WriteServerCertificateMetadata(json::Writer& w, const ServerCertificate& c) {
  w.StartObject();
  json::KV(w, "Path", c.path);
  json::KV(w, "ServerCertificateName", c.name);
  json::KV(w, "ServerCertificateId", c.id);
  json::KV(w, "Arn", c.Arn());
  w.Key("UploadDate");
  json::WriteTimestamp(w, c.uploaded_ms);
  w.Key("Expiration");
  json::WriteTimestamp(w, c.expires_ms);
  w.EndObject();
}

}  // namespace

Result<ServerCertificate> IamService::LoadServerCertificate(const CallContext& ctx,
                                                            const std::string& name) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, storage::kServerCertificateKind,
                                                   name));
  if (!e) return NoSuchServerCertificate(name);
  return storage::ServerCertificateFromEntity(*e);
}

// The body, chain and key are checked as IAM checks them (crypto::CheckServerCertificate;
// the refusals in ServerCertificateRefusal), the name, path and tags first. The body and
// chain are kept as OpenSSL writes them again: AWS answers them with carriage returns
// dropped ("dos2unix line-break translations", hashicorp/terraform#3837) and without the
// final newline (terraform-provider-aws's acceptance test compares GetServerCertificate's
// body with the uploaded PEM trimmed), which a PEM in lines of 64 as OpenSSL and Go write
// it answers as uploaded, and keeping only the
// certificates keeps a private key pasted into the body out of the document. Further
// certificates in the body go to the front of the chain, as AWS was seen to move them
// (hashicorp/terraform#3837). A taken name is EntityAlreadyExists, the 21st certificate
// LimitExceeded "Cannot exceed quota for ServerCertificatesPerAccount: 20" (AWS's words,
// remind101/empire#471), both in the store's write.
// Recorded: no Tags without tags; with tags, echoing them (the model's
// UploadServerCertificateResponse.Tags) is inferred, as CreateInstanceProfile answers them.
Result<std::string> IamService::UploadServerCertificate(const In& in, const CallContext& ctx) {
  ServerCertificate c;
  c.account = ctx.account;
  c.name = in.Str("ServerCertificateName").value_or("");
  ARCANA_RETURN_IF_ERROR(CheckName(c.name, "serverCertificateName"));
  c.path = in.Str("Path").value_or("/");  // recorded: no Path answers "/"
  ARCANA_RETURN_IF_ERROR(CheckPath(c.path));
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  c.tags = TagsOf(in.Get("Tags"));

  // The key as given (OpenSSL's PEM reader takes CRLF lines and text around the block), held
  // in wiped memory from here on and sealed as given.
  std::string key_text = in.Str("PrivateKey").value_or("");
  const crypto::SecretString key = crypto::SecretString::Take(key_text);
  const crypto::ServerCertificateCheck check = crypto::CheckServerCertificate(
      in.Str("CertificateBody").value_or(""), key.view(),
      in.Str("CertificateChain").value_or(""));
  ARCANA_RETURN_IF_ERROR(ServerCertificateRefusal(check, ctx.now_ms));
  c.body = check.body_pem;
  c.chain = check.chain_pem;
  c.expires_ms = check.not_after_ms;
  c.id = domain::iam::NewUniqueId("ASCA");  // AWS's: ASCA + 17 of [A-Z2-7]
  c.uploaded_ms = ctx.now_ms;

  EntityWrite write{EntityWrite::Op::kPut, storage::ToEntity(c),
                    storage::EntityQuota{domain::iam::kMaxServerCertificatesPerAccount,
                                         "ServerCertificatesPerAccount"}};
  ARCANA_ASSIGN_OR_RETURN(write.sealed_secret,
                          resolver_.SealEntitySecret(write.entity, key.view()));
  Status st = WriteEntities(ctx, {std::move(write)}, "UploadServerCertificate");
  if (st.code() == ErrorCode::kResourceExists) return ServerCertificateExists(c.name);
  ARCANA_RETURN_IF_ERROR(st);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("ServerCertificateMetadata");
  WriteServerCertificateMetadata(w, c);
  if (!c.tags.empty()) WriteTags(w, c.tags);
  w.EndObject();
  return json::Finish(buf);
}

// Recorded: {ServerCertificateMetadata, CertificateBody, CertificateChain (only when one was
// uploaded), Tags (always, [] when none)}. Never the private key.
Result<std::string> IamService::GetServerCertificate(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(ServerCertificate c,
                          LoadServerCertificate(ctx, *in.Str("ServerCertificateName")));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("ServerCertificate");
  w.StartObject();
  w.Key("ServerCertificateMetadata");
  WriteServerCertificateMetadata(w, c);
  json::KV(w, "CertificateBody", c.body);
  if (!c.chain.empty()) json::KV(w, "CertificateChain", c.chain);
  WriteTags(w, c.tags);
  w.EndObject();
  w.EndObject();
  return json::Finish(buf);
}

// Recorded: {ServerCertificateMetadataList (the six members, no tags), IsTruncated}, the
// Marker only when truncated; PathPrefix a prefix of the path. AWS's order was not recorded:
// by name, case-insensitively, as IAM's other lists are (inferred), paged by MaxItems and a
// Marker naming the page's last certificate, as ListInstanceProfiles pages.
Result<std::string> IamService::ListServerCertificates(const In& in, const CallContext& ctx) {
  const Page page = PageOf(in);
  ARCANA_ASSIGN_OR_RETURN(
      auto rows, store_.ListEntities(ctx.account, storage::kServerCertificateKind,
                                     in.Str("PathPrefix").value_or("/"), page.marker,
                                     page.max_items + 1));
  const bool truncated = rows.size() > page.max_items;
  if (truncated) rows.resize(page.max_items);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("ServerCertificateMetadataList");
  w.StartArray();
  for (const auto& e : rows) {
    ARCANA_ASSIGN_OR_RETURN(ServerCertificate c, storage::ServerCertificateFromEntity(e));
    WriteServerCertificateMetadata(w, c);
  }
  w.EndArray();
  WritePageEnd(w, Slice{0, 0, truncated, truncated ? rows.back().name : ""});
  w.EndObject();
  return json::Finish(buf);
}

// Renames and/or moves the certificate (NewServerCertificateName, NewPath); it keeps its id,
// body, chain, key and tags (terraform's acceptance test checks the id survives a rename on
// AWS, and the ARN follows the new path and name). The call is authorized on the new ARN too,
// as UpdateGroup's is (the API reference: the caller needs permission on both).
Result<std::string> IamService::UpdateServerCertificate(const In& in, const CallContext& ctx) {
  const std::string name = *in.Str("ServerCertificateName");
  ARCANA_ASSIGN_OR_RETURN(ServerCertificate current, LoadServerCertificate(ctx, name));
  auto new_path = in.Str("NewPath");
  if (new_path) ARCANA_RETURN_IF_ERROR(CheckPath(*new_path, "newPath"));
  auto new_name = in.Str("NewServerCertificateName");
  if (new_name) ARCANA_RETURN_IF_ERROR(CheckName(*new_name, "newServerCertificateName"));
  if (new_name || new_path) {
    ServerCertificate moved = current;
    moved.name = new_name.value_or(current.name);
    moved.path = new_path.value_or(current.path);
    auth::AccessRequest target;
    target.action = "iam:UpdateServerCertificate";
    target.resource_arn = moved.Arn();
    ARCANA_RETURN_IF_ERROR(auth::Check(ctx, target));
  }
  const std::string to = new_name.value_or(current.name);
  const bool same_key = storage::IamNameKey(name) == storage::IamNameKey(to);
  Status st = RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(ServerCertificate c, LoadServerCertificate(ctx, name));
    ServerCertificate renamed = c;
    renamed.name = to;
    if (new_path) renamed.path = *new_path;
    if (same_key) {
      return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(renamed)}},
                           "UpdateServerCertificate");
    }
    // A new name is a new row: the old one is deleted (which deletes the sealed key stored
    // under the id) and the new one created with that same sealed key, in one write. The key
    // is bound to the id, which does not change, so it is carried as it is, never opened.
    ARCANA_ASSIGN_OR_RETURN(auto sealed, store_.GetEntitySecret(c.id));
    std::vector<EntityWrite> writes;
    writes.push_back({EntityWrite::Op::kDelete, storage::ToEntity(c)});
    renamed.revision = 0;  // a create: refused when the new name is taken
    EntityWrite created{EntityWrite::Op::kPut, storage::ToEntity(renamed)};
    created.sealed_secret = std::move(sealed);
    writes.push_back(std::move(created));
    return WriteEntities(ctx, std::move(writes), "UpdateServerCertificate");
  });
  if (st.code() == ErrorCode::kResourceExists) return ServerCertificateExists(to);
  ARCANA_RETURN_IF_ERROR(st);
  return std::string("{}");
}

// Recorded: an empty answer, then NoSuchEntity for the name. The DeleteConflict AWS answers
// for a certificate a load balancer uses cannot arise: nothing here uses one. The store
// deletes the sealed key with the entity.
Result<std::string> IamService::DeleteServerCertificate(const In& in, const CallContext& ctx) {
  const std::string name = *in.Str("ServerCertificateName");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(ServerCertificate c, LoadServerCertificate(ctx, name));
    return WriteEntities(ctx, {{EntityWrite::Op::kDelete, storage::ToEntity(c)}},
                         "DeleteServerCertificate");
  }));
  return std::string("{}");
}

// As the other IAM tag calls: tags merged by key, at most 50 (the refusal worded as
// TagInstanceProfile's; AWS's words for this one not recorded).
Result<std::string> IamService::TagServerCertificate(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  const auto tags = TagsOf(in.Get("Tags"));
  ARCANA_RETURN_IF_ERROR(EditServerCertificate(
      ctx, *in.Str("ServerCertificateName"), "TagServerCertificate", [&](ServerCertificate& c) {
        domain::iam::MergeTags(c.tags, tags);
        if (c.tags.size() > kMaxTags) {
          return Status(ErrorCode::kLimitExceeded,
                        "Cannot exceed quota for TagsPerServerCertificate: 50");
        }
        return Status::Ok();
      }));
  return std::string("{}");
}

Result<std::string> IamService::UntagServerCertificate(const In& in, const CallContext& ctx) {
  const auto keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  ARCANA_RETURN_IF_ERROR(CheckTagKeys(keys));
  ARCANA_RETURN_IF_ERROR(EditServerCertificate(
      ctx, *in.Str("ServerCertificateName"), "UntagServerCertificate", [&](ServerCertificate& c) {
        domain::iam::RemoveTagKeys(c.tags, keys);
        return Status::Ok();
      }));
  return std::string("{}");
}

// The API reference: "The returned list of tags is sorted by tag key." Paged by position, as
// the other tag lists are.
Result<std::string> IamService::ListServerCertificateTags(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(ServerCertificate c,
                          LoadServerCertificate(ctx, *in.Str("ServerCertificateName")));
  domain::iam::Tags sorted = c.tags;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return TagListAnswer(sorted, in);
}

Status IamService::EditServerCertificate(const CallContext& ctx, const std::string& name,
                                         const char* op,
                                         const std::function<Status(ServerCertificate&)>& change) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(ServerCertificate c, LoadServerCertificate(ctx, name));
    ARCANA_RETURN_IF_ERROR(change(c));
    // The document only: the sealed key stays as it is (no sealed_secret).
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(c)}}, op);
  });
}

}  // namespace arcana::services::iam
