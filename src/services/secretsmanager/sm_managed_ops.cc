// Secrets another service keeps in Secrets Manager for its callers (secrets_manager.h,
// "secrets another service keeps here"): created, given new values and deleted by their
// owner only. Each write is one commit with its own change row, as Secrets Manager's own
// operations write them (the owner's audit record claims them).
#include "crypto/random.h"
#include "domain/secretsmanager/names.h"
#include "domain/secretsmanager/versions.h"
#include "services/common/write_retry.h"
#include "services/secretsmanager/secrets_manager.h"

namespace arcana::services::sm {

namespace dsm = domain::sm;

namespace {

// AWS tags a managed secret with its owner; callers cannot set aws:-prefixed tags.
constexpr const char* kOwningServiceTag = "aws:secretsmanager:owningService";

Status ManagedNotFound() {
  return Status(ErrorCode::kResourceNotFound, "Secrets Manager can't find the specified secret.");
}

}  // namespace

Result<std::string> SecretsManagerService::CreateManagedSecret(
    const std::string& account, const std::string& region, const std::string& owning_service,
    const std::string& name, std::string_view value, int64_t now_ms) {
  if (name.empty() || name.size() > dsm::kMaxSecretNameLength) {
    return Status(ErrorCode::kInternalFailure, "a managed secret's name is out of range");
  }
  NewValue v;
  v.bytes.assign(value);
  const std::string token = crypto::NewUuidV4();
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(auto existing, store_.GetSecretByName({account, region}, name));
    if (existing) {
      return Status(ErrorCode::kResourceExists,
                    "The operation failed because the secret " + name + " already exists.");
    }
    Secret s;
    s.name = name;
    s.account = account;
    s.region = region;
    s.arn = dsm::MakeSecretArn(region, account, name, dsm::RandomArnSuffix(crypto::RandomUniform));
    s.owning_service = owning_service;
    s.tags.push_back({kOwningServiceTag, owning_service});
    s.tagged = true;
    s.created_ms = now_ms;
    s.last_changed_ms = now_ms;
    std::vector<storage::SecretWrite> writes(1);
    bool created = false;
    ARCANA_RETURN_IF_ERROR(
        AddVersion(s, writes[0], token, v, {dsm::kCurrent}, now_ms, &created).status());
    writes[0].secret = s;
    ARCANA_RETURN_IF_ERROR(CommitCreation(std::move(writes), {}));
    return s.arn;
  });
}

Status SecretsManagerService::PutManagedSecretValue(const std::string& arn,
                                                    std::string_view value, int64_t now_ms) {
  NewValue v;
  v.bytes.assign(value);
  const std::string token = crypto::NewUuidV4();
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto found, store_.GetSecretByArn(arn));
    if (!found || found->deleted_ms) return ManagedNotFound();
    Secret s = std::move(*found);
    std::vector<storage::SecretWrite> writes(1);
    bool created = false;
    ARCANA_RETURN_IF_ERROR(
        AddVersion(s, writes[0], token, v, {dsm::kCurrent}, now_ms, &created).status());
    s.last_changed_ms = now_ms;
    writes[0].secret = s;
    return Commit(std::move(writes), {}, "PutSecretValue");
  });
}

Status SecretsManagerService::DeleteManagedSecret(const std::string& arn, int recovery_days,
                                                  int64_t now_ms) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto found, store_.GetSecretByArn(arn));
    if (!found || (found->deleted_ms && recovery_days > 0)) return Status::Ok();
    if (recovery_days <= 0) {
      return Commit({}, {storage::SecretDelete{found->arn, found->revision, "DeleteSecret"}},
                    "DeleteSecret");
    }
    Secret s = std::move(*found);
    s.deleted_ms = now_ms + recovery_days * 24LL * 3600 * 1000;
    return Save(s, "DeleteSecret");
  });
}

}  // namespace arcana::services::sm
