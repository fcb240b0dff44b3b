#include "services/secretsmanager/secrets_manager.h"

#include <spdlog/spdlog.h>

#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "domain/secretsmanager/filters.h"
#include "domain/secretsmanager/names.h"
#include "services/common/write_retry.h"
#include "auth/authorizer.h"
#include "services/secretsmanager/sm_access.h"

namespace arcana::services::sm {

namespace names = domain::sm;

SecretsManagerService::SecretsManagerService(storage::SecretStore& store, crypto::DataKeyProvider& keys,
                                             const crypto::RootKey& root)
    : store_(store),
      keys_(keys),
      digest_key_(root, "secretsmanager:value-digest"),
      page_key_(root, "secretsmanager:page-token"),
      rotation_token_key_(root, "secretsmanager:rotation-token"),
      // A model constraint violation is the Coral framework's ValidationException (AWS's
      // "1 validation error detected: Value null at 'secretId' ..."; not an SM-modelled
      // error). AWS quotes a list of strings whole, "Value '[a, b, ...]' at
      // 'filters.1.member.values'" (jenkinsci/aws-secrets-manager-credentials-provider-plugin
      // #235), and lists the filter keys in its own order, recorded by moto as [all, name,
      // tag-key, description, tag-value] before primary-region and owning-service existed:
      // those two follow, where AWS puts them unknown. A filter value's pattern is checked
      // with the request's other constraints.
      validator_("secretsmanager", ErrorCode::kValidation, ModelValidator::Patterns::kIgnored,
                 {{"FilterNameStringType",
                   {"all", "name", "tag-key", "description", "tag-value", "primary-region",
                    "owning-service"}}},
                 ModelValidator::ListValues::kCoral, {},
                 {{"FilterValueStringType", names::MatchesFilterValuePattern}}) {
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

bool SecretsManagerService::MayAnswerInline(std::string_view operation) const {
  return operation == "GetSecretValue" || operation == "DescribeSecret" ||
         operation == "BatchGetSecretValue";
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
  if (ctx.authorizer == nullptr) return (this->*(it->second))(in, ctx);
  // The checks of this call see its action (also when another service calls in-process,
  // e.g. a Parameter Store reference reading a secret) and the keys its request carries.
  CallContext c = ctx;
  c.action = "secretsmanager:" + std::string(operation);
  c.request_keys = std::make_shared<const auth::policy::ContextKeys>(SmRequestKeys(operation, in, ctx.region, ctx.account));
  // Operations on no particular secret are authorized on "*"; the others once the secret
  // is resolved (Load, AuthorizeCreate).
  if (operation == "ListSecrets" || operation == "GetRandomPassword" ||
      operation == "BatchGetSecretValue" ||
      (operation == "ValidateResourcePolicy" && !in.Has("SecretId"))) {
    auth::AccessRequest req;
    req.action = c.action;
    req.resource_arn = "*";
    req.keys = *c.request_keys;
    ARCANA_RETURN_IF_ERROR(auth::Check(c, req));
    // BatchGetSecretValue by Filters lists secrets: it also needs ListSecrets (as AWS says).
    if (operation == "BatchGetSecretValue" && in.Has("Filters")) {
      req.action = "secretsmanager:ListSecrets";
      ARCANA_RETURN_IF_ERROR(auth::Check(c, req));
    }
  }
  return (this->*(it->second))(in, c);
}

crypto::KeyScope KeyScopeOf(const Secret& s, const crypto::KeyUseAuthorizer* caller) {
  return {s.account, s.region, "alias/aws/secretsmanager", caller};
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
    // An ARN of another region names nothing here. Another account's secret is reachable
    // by its full ARN only, and only if its resource policy lets the caller in (AWS's
    // cross-account access; AuthorizeSecret decides with the secret's account as owner).
    if (!parts || parts->region != ctx.region) {
      ARCANA_RETURN_IF_ERROR(AuthorizeMissing(ctx, secret_id));
      return NotFound();
    }
    ARCANA_ASSIGN_OR_RETURN(found, store_.GetSecretByArn(secret_id));
    if (!found && parts->account == ctx.account) {
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
  if (!found || (found->deleted_ms && *found->deleted_ms <= ctx.now_ms)) {
    // A secret whose recovery window has ended is gone, even before the sweeper runs.
    ARCANA_RETURN_IF_ERROR(AuthorizeMissing(ctx, secret_id));
    return NotFound();
  }
  Loaded l;
  l.self = std::move(*found);
  ctx.Touch(audit::kSecretType, l.self.arn);
  if (l.self.IsReplica()) {
    ARCANA_ASSIGN_OR_RETURN(auto primary, store_.GetSecretByArn(l.self.primary_arn));
    if (!primary) {
      return Status(ErrorCode::kInternalServiceError, "replica's primary secret is missing");
    }
    l.primary = std::move(*primary);
    l.replica = true;
  }
  ARCANA_RETURN_IF_ERROR(AuthorizeSecret(ctx, l, secret_id));
  return l;
}

Status SecretsManagerService::NotOnReplica() {
  return Status(ErrorCode::kInvalidParameter,
                "Operation not permitted on a replica secret. Call must be made in primary "
                "secret's region.");
}

Status SecretsManagerService::CommitCreation(std::vector<storage::SecretWrite> writes,
                                             std::vector<storage::SecretDelete> deletes) {
  Status committed = Commit(std::move(writes), std::move(deletes), "CreateSecret");
  if (committed.code() == ErrorCode::kResourceExists ||
      committed.code() == ErrorCode::kAlreadyExists) {
    return Status(ErrorCode::kWriteConflict, committed.message());
  }
  return committed;
}

Status SecretsManagerService::RefuseManaged(const Secret& s) {
  if (s.owning_service.empty()) return Status::Ok();
  return Status(ErrorCode::kInvalidRequest,
                "You can't modify a secret that is managed by " + s.owning_service + ".");
}

Result<Secret> SecretsManagerService::LoadWritable(const CallContext& ctx,
                                                   const std::string& secret_id) {
  ARCANA_ASSIGN_OR_RETURN(Loaded l, Load(ctx, secret_id));
  if (l.replica) return NotOnReplica();
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
                                                       std::string_view plaintext,
                                                       const crypto::KeyUseAuthorizer* caller) {
  crypto::EncryptionContext ctx{{"SecretARN", s.arn}, {"SecretVersionId", version_id}};
  return crypto::SealValue(keys_, KeyScopeOf(s, caller), kms_key_id, ctx, plaintext);
}

Result<std::string> SecretsManagerService::OpenVersion(const Secret& s, const SecretVersion& v,
                                                       const crypto::KeyUseAuthorizer* caller) {
  ARCANA_ASSIGN_OR_RETURN(auto sealed, store_.GetSealedValue(s.arn, v.version_id));
  if (!sealed) {
    return Status(ErrorCode::kInternalServiceError, "stored value of a version is missing");
  }
  crypto::EncryptionContext ctx{{"SecretARN", s.arn}, {"SecretVersionId", v.version_id}};
  return crypto::OpenValue(keys_, KeyScopeOf(s, caller), ctx, *sealed);
}

std::string SecretsManagerService::ValueDigest(bool binary, std::string_view value) const {
  std::string data(binary ? "B" : "S");
  data.append(value);
  std::string mac = crypto::HexEncode(crypto::HmacSha256(digest_key_, data));
  crypto::SecureWipe(data);
  return mac;
}

Status SecretsManagerService::Commit(std::vector<storage::SecretWrite> writes,
                                     std::vector<storage::SecretDelete> deletes,
                                     const std::string& change) {
  for (auto& w : writes) {
    if (w.change.empty()) w.change = change;
  }
  for (auto& d : deletes) {
    if (d.change.empty()) d.change = change;
  }
  return store_.Commit(writes, deletes);
}

void SecretsManagerService::TouchAccessed(const Loaded& l, const std::string& version_id,
                                          int64_t now_ms) {
  const int64_t day = now_ms - now_ms % (24LL * 3600 * 1000);
  // l.self is the row of the region read: a replica's own row holds no versions, so a
  // replica read records the date on that row alone and never writes its primary.
  const Secret& s = l.self;
  const SecretVersion* v = s.FindVersion(version_id);
  if (s.last_accessed_ms == day && (v == nullptr || v->last_accessed_ms == day)) return;
  // Best effort, at most once a day per version (per replica): one write at the revision the
  // read saw (so it never carries a value change: arcana-agent keeps its cache on a change of
  // this kind, agent/change_subscriber.h kAccessRecordKind), no re-read and no retry.
  // A conflict means another writer just changed the secret; the next read records the
  // access instead.
  Secret f = s;
  f.last_accessed_ms = day;
  if (SecretVersion* fv = f.FindVersion(version_id)) fv->last_accessed_ms = day;
  Status st = RetryOnConflict(
      [&] { return Commit({storage::SecretWrite{f, {}, {}, "RecordAccess"}}, {}, "RecordAccess"); },
      BestEffortPolicy());
  if (st.code() == ErrorCode::kWriteConflict) {
    spdlog::debug("LastAccessedDate not recorded: the secret changed concurrently");
  } else if (!st.ok()) {
    spdlog::warn("could not record LastAccessedDate: {}", st.message());
  }
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

Status SecretsManagerService::PurgeExpired(int64_t now_ms, size_t max_secrets,
                                          const ServiceActionFn& report) {
  constexpr size_t kBatch = 100;
  size_t purged = 0, examined = 0;
  Status first_error;
  while (examined < max_secrets) {
    ARCANA_ASSIGN_OR_RETURN(auto arns, store_.ListSecretsDeletedBefore(now_ms, kBatch));
    size_t purged_before = purged;
    for (const auto& arn : arns) {
      ++examined;
      // Re-read and delete at the revision read: a RestoreSecret (or any change) that
      // commits first makes this a conflict, and the re-read then sees the secret restored.
      Status st = RetryOnConflict([&]() -> Status {
        ARCANA_ASSIGN_OR_RETURN(auto s, store_.GetSecretByArn(arn));
        if (!s || !s->deleted_ms || *s->deleted_ms > now_ms) return Status::Ok();
        ARCANA_RETURN_IF_ERROR(
            store_.Commit({}, {storage::SecretDelete{arn, s->revision, "PurgeSecret"}}));
        ++purged;
        if (report) report({"DeleteSecret", audit::kSecretType, arn, s->account, s->region});
        return Status::Ok();
      });
      if (!st.ok()) {
        spdlog::warn("could not purge a secret whose recovery window ended: {}", st.message());
        if (first_error.ok()) first_error = st;
      }
    }
    // A short batch is the last one; a batch that purged nothing would only repeat itself.
    if (arns.size() < kBatch || purged == purged_before) break;
  }
  if (purged > 0) spdlog::info("purged {} secret(s) whose recovery window ended", purged);
  return first_error;
}

}  // namespace arcana::services::sm
