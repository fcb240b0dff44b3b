#include "services/secretsmanager/secrets_manager.h"

#include <spdlog/spdlog.h>

#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "domain/secretsmanager/names.h"

namespace arcana::services::sm {

namespace names = domain::sm;

SecretsManagerService::SecretsManagerService(storage::SecretStore& store, crypto::DataKeyProvider& keys,
                                             const crypto::RootKey& root)
    : store_(store),
      keys_(keys),
      digest_key_(root, "secretsmanager:value-digest"),
      page_key_(root, "secretsmanager:page-token"),
      validator_("secretsmanager", ErrorCode::kInvalidParameter) {
  using S = SecretsManagerService;
  handlers_ = {
      {"CreateSecret", &S::CreateSecret},
      {"PutSecretValue", &S::PutSecretValue},
      {"UpdateSecret", &S::UpdateSecret},
      {"UpdateSecretVersionStage", &S::UpdateSecretVersionStage},
      {"DeleteSecret", &S::DeleteSecret},
      {"RestoreSecret", &S::RestoreSecret},
      {"TagResource", &S::TagResource},
      {"UntagResource", &S::UntagResource},
      {"GetSecretValue", &S::GetSecretValue},
      {"BatchGetSecretValue", &S::BatchGetSecretValue},
      {"DescribeSecret", &S::DescribeSecret},
      {"ListSecrets", &S::ListSecrets},
      {"ListSecretVersionIds", &S::ListSecretVersionIds},
      {"GetRandomPassword", &S::GetRandomPassword},
      {"PutResourcePolicy", &S::PutResourcePolicy},
      {"GetResourcePolicy", &S::GetResourcePolicy},
      {"DeleteResourcePolicy", &S::DeleteResourcePolicy},
      {"ValidateResourcePolicy", &S::ValidateResourcePolicy},
      {"ReplicateSecretToRegions", &S::ReplicateSecretToRegions},
      {"RemoveRegionsFromReplication", &S::RemoveRegionsFromReplication},
      {"StopReplicationToReplica", &S::StopReplicationToReplica},
      {"RotateSecret", &S::RotateSecret},
      {"CancelRotateSecret", &S::CancelRotateSecret},
  };
}

Result<std::string> SecretsManagerService::Call(std::string_view operation,
                                                const rapidjson::Value& input,
                                                const CallContext& ctx) {
  auto it = handlers_.find(std::string(operation));
  if (it == handlers_.end()) {
    return Status(ErrorCode::kUnknownOperation,
                  "Operation " + std::string(operation) + " is not supported.");
  }
  In in(input);
  return (this->*(it->second))(in, ctx);
}

crypto::KeyScope KeyScopeOf(const Secret& s) {
  return {s.account, s.region, "alias/aws/secretsmanager"};
}

namespace {
Status NotFound() {
  return Status(ErrorCode::kResourceNotFound, "Secrets Manager can't find the specified secret.");
}
}  // namespace

Result<SecretsManagerService::Loaded> SecretsManagerService::Load(const CallContext& ctx,
                                                                  const std::string& secret_id) {
  ARCANA_RETURN_IF_ERROR(names::ValidateSecretId(secret_id));
  storage::Scope scope{ctx.account, ctx.region};
  std::optional<Secret> found;
  if (names::IsArn(secret_id)) {
    auto parts = names::ParseSecretArn(secret_id);
    // An ARN of another account or region names nothing here.
    if (!parts || parts->account != ctx.account || parts->region != ctx.region) return NotFound();
    ARCANA_ASSIGN_OR_RETURN(found, store_.GetSecretByArn(secret_id));
    if (!found) {
      // Partial ARN: the ARN without the random -XXXXXX suffix.
      ARCANA_ASSIGN_OR_RETURN(found, store_.GetSecretByName(scope, parts->name_with_suffix));
      if (found && names::MatchSecretId(secret_id, found->arn, found->name) ==
                       names::IdMatch::kNone) {
        found.reset();
      }
    }
  } else {
    ARCANA_ASSIGN_OR_RETURN(found, store_.GetSecretByName(scope, secret_id));
  }
  if (!found) return NotFound();
  // A secret whose recovery window has ended is gone, even before the sweeper runs.
  if (found->deleted_ms && *found->deleted_ms <= ctx.now_ms) return NotFound();
  Loaded l;
  l.self = std::move(*found);
  if (l.self.IsReplica()) {
    ARCANA_ASSIGN_OR_RETURN(auto primary, store_.GetSecretByArn(l.self.primary_arn));
    if (!primary) {
      return Status(ErrorCode::kInternalServiceError, "replica's primary secret is missing");
    }
    l.primary = std::move(*primary);
    l.replica = true;
  }
  return l;
}

Result<Secret> SecretsManagerService::LoadWritable(const CallContext& ctx,
                                                   const std::string& secret_id) {
  ARCANA_ASSIGN_OR_RETURN(Loaded l, Load(ctx, secret_id));
  if (l.replica) {
    return Status(ErrorCode::kInvalidRequest,
                  "Operation is not permitted on a replica secret. Make changes to the primary "
                  "secret in " + l.self.primary_region + ", or promote this replica with "
                  "StopReplicationToReplica.");
  }
  if (l.self.deleted_ms) {
    return Status(ErrorCode::kInvalidRequest,
                  "You can't perform this operation on the secret because it was marked for "
                  "deletion.");
  }
  return std::move(l.self);
}

Result<std::string> SecretsManagerService::SealVersion(const Secret& s,
                                                       const std::string& kms_key_id,
                                                       const std::string& version_id,
                                                       std::string_view plaintext) {
  crypto::EncryptionContext ctx{{"SecretARN", s.arn}, {"SecretVersionId", version_id}};
  return crypto::SealValue(keys_, KeyScopeOf(s), kms_key_id, ctx, plaintext);
}

Result<std::string> SecretsManagerService::OpenVersion(const Secret& s, const SecretVersion& v) {
  ARCANA_ASSIGN_OR_RETURN(auto sealed, store_.GetSealedValue(s.arn, v.version_id));
  if (!sealed) {
    return Status(ErrorCode::kInternalServiceError, "stored value of a version is missing");
  }
  crypto::EncryptionContext ctx{{"SecretARN", s.arn}, {"SecretVersionId", v.version_id}};
  return crypto::OpenValue(keys_, KeyScopeOf(s), ctx, *sealed);
}

std::string SecretsManagerService::ValueDigest(bool binary, std::string_view value) const {
  std::string data(binary ? "B" : "S");
  data.append(value);
  std::string mac = crypto::HexEncode(crypto::HmacSha256(digest_key_, data));
  crypto::SecureWipe(data);
  return mac;
}

Status SecretsManagerService::Commit(const char* change, std::vector<storage::SecretWrite> writes,
                                     std::vector<std::string> deleted) {
  for (auto& w : writes)
    if (w.change.empty()) w.change = change;
  std::vector<storage::SecretDelete> deletes;
  for (auto& arn : deleted) deletes.push_back({std::move(arn), 0, change});
  return store_.Commit(writes, deletes);
}

void SecretsManagerService::TouchAccessed(const Secret& s, const std::string& version_id,
                                          int64_t now_ms) {
  const int64_t day = now_ms - now_ms % (24LL * 3600 * 1000);
  const SecretVersion* v = s.FindVersion(version_id);
  if (s.last_accessed_ms == day && (v == nullptr || v->last_accessed_ms == day)) return;
  // A best-effort metadata write, at most once a day per version: never fail a read for it.
  std::lock_guard<std::mutex> l(write_mu_);
  auto fresh = store_.GetSecretByArn(s.arn);
  if (!fresh.ok() || !fresh->has_value()) return;
  Secret& f = **fresh;
  f.last_accessed_ms = day;
  if (SecretVersion* fv = f.FindVersion(version_id)) fv->last_accessed_ms = day;
  storage::SecretWrite w{std::move(f), {}, {}, "GetSecretValue"};
  Status st = store_.Commit({w}, {});
  if (!st.ok()) spdlog::warn("could not record LastAccessedDate: {}", st.message());
}

Result<std::optional<SecretsManagerService::NewValue>> SecretsManagerService::ReadValue(
    const In& in) {
  auto str = in.Str("SecretString");
  auto bin = in.Str("SecretBinary");
  if (str && bin) {
    return Status(ErrorCode::kInvalidParameter,
                  "You can't specify both a binary secret value and a string secret value in the "
                  "same secret.");
  }
  if (!str && !bin) return std::optional<NewValue>();
  NewValue v;
  if (str) {
    v.bytes = std::move(*str);
  } else {
    auto decoded = crypto::Base64Decode(*bin);
    if (!decoded) return Status(ErrorCode::kSerialization, "SecretBinary is not valid base64");
    v.binary = true;
    v.bytes = std::move(*decoded);
  }
  if (v.bytes.size() > 65536) {
    crypto::SecureWipe(v.bytes);
    return Status(ErrorCode::kInvalidParameter,
                  "The secret value exceeds the maximum size of 65536 bytes.");
  }
  if (v.bytes.empty()) {
    return Status(ErrorCode::kInvalidParameter, "The secret value must not be empty.");
  }
  return std::optional<NewValue>(std::move(v));
}

Status SecretsManagerService::PurgeExpired(int64_t now_ms) {
  // A page at a time: the store never hands out a whole account.
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto arns,
                            store_.ListSecretsDeletedBefore(now_ms, storage::kMaxListLimit));
    if (arns.empty()) return Status::Ok();
    std::lock_guard<std::mutex> l(write_mu_);
    spdlog::info("purging {} secret(s) whose recovery window ended", arns.size());
    const bool last_page = arns.size() < storage::kMaxListLimit;
    ARCANA_RETURN_IF_ERROR(Commit("PurgeSecret", {}, std::move(arns)));
    if (last_page) return Status::Ok();
  }
}

}  // namespace arcana::services::sm
