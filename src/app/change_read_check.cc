#include "app/change_read_check.h"

namespace arcana::app {
namespace {

// Whether the secret `arn` is still there: stored, its recovery window (if deleted) not over.
bool SecretStillThere(storage::SecretStore& secrets, const std::string& arn, int64_t now_ms) {
  auto found = secrets.GetSecretByArn(arn);
  if (!found.ok() || !found->has_value()) return false;
  const auto& deleted_ms = (*found)->deleted_ms;
  return !deleted_ms || *deleted_ms > now_ms;
}

}  // namespace

auth::ReadCheck ChangeReadCheck(services::sm::SecretsManagerService& secrets_manager,
                                services::ssm::SsmService& ssm, storage::SecretStore& secrets) {
  return [&secrets_manager, &ssm, &secrets](const services::CallContext& caller,
                                            const storage::Change& c) {
    if (c.service == "ssm") return ssm.MayReadValue(caller, c.region, c.resource);
    if (!secrets_manager.MayReadValue(caller, c.region, c.resource)) return false;
    if (c.account == caller.account) return true;
    // Another account's secret. MayReadValue decides one that is gone on its ARN alone with
    // the caller's own policies, as if it were the caller's (its account's root would pass):
    // that says nothing of what the owner allows, and would show another account's secret
    // names and deletions to anyone. So the answer counts only if the secret is still there
    // after it, which means it was there when decided, by its resource policy (a purged
    // secret's ARN never comes back: a new secret gets a new random suffix). The price: a
    // secret deleted without a recovery window is gone before its change is read, so another
    // account's agent keeps that entry until its TTL (README, "Caching agent").
    return SecretStillThere(secrets, c.resource, caller.now_ms);
  };
}

}  // namespace arcana::app
