#include "services/kms/kms_key_use_log.h"

#include <vector>

namespace arcana::services::kms {

KmsKeyUseLog::KmsKeyUseLog(storage::KmsKeyUsageStore& store, std::chrono::milliseconds period)
    : store_(store),
      uses_([&store](const std::vector<storage::KmsKeyUse>& uses) {
              return store.RecordKmsKeyUses(uses);
            },
            &KeepLater, period, "KMS key last uses") {}

KmsKeyUseLog::~KmsKeyUseLog() { Stop(); }

void KmsKeyUseLog::MapKeyOf(std::string& into, std::string_view account, std::string_view region,
                            std::string_view key_id) {
  into.assign(account).append(1, '/').append(region).append(1, '/').append(key_id);
}

void KmsKeyUseLog::KeepLater(UseMap& into, storage::KmsKeyUse use) {
  std::string k;
  MapKeyOf(k, use.account, use.region, use.key_id);
  auto [it, inserted] = into.try_emplace(std::move(k));
  if (inserted || it->second.when_ms < use.when_ms) it->second = std::move(use);
}

void KmsKeyUseLog::Note(const std::string& account, const std::string& region,
                        const std::string& key_id, int64_t now_ms, std::string_view operation,
                        std::string_view request_id, std::string_view event_id) {
  // The probe keeps its capacity from call to call: a hot key's use allocates nothing.
  thread_local std::string probe;
  MapKeyOf(probe, account, region, key_id);
  uses_.Update([&](UseMap& pending) {
    auto it = pending.find(probe);
    if (it == pending.end()) {
      pending.emplace(probe, storage::KmsKeyUse{account, region, key_id, now_ms,
                                                std::string(operation), std::string(request_id),
                                                std::string(event_id)});
      return;
    }
    storage::KmsKeyUse& u = it->second;
    if (now_ms < u.when_ms) return;
    u.when_ms = now_ms;
    u.operation.assign(operation);
    u.request_id.assign(request_id);
    u.event_id.assign(event_id);
  });
}

std::optional<storage::KmsKeyUse> KmsKeyUseLog::Pending(const storage::Scope& scope,
                                                        const std::string& key_id) const {
  std::string k;
  MapKeyOf(k, scope.account, scope.region, key_id);
  return uses_.Read([&](const UseMap& in_flight,
                        const UseMap& pending) -> std::optional<storage::KmsKeyUse> {
    auto noted = pending.find(k);
    auto flying = in_flight.find(k);
    if (flying == in_flight.end()) {
      if (noted == pending.end()) return std::nullopt;
      return noted->second;
    }
    if (noted == pending.end() || noted->second.when_ms < flying->second.when_ms) {
      return flying->second;
    }
    return noted->second;
  });
}

Result<storage::KmsKeyUsage> KmsKeyUseLog::Read(const storage::Scope& scope,
                                                const std::string& key_id) {
  ARCANA_ASSIGN_OR_RETURN(storage::KmsKeyUsage usage, store_.GetKmsKeyUsage(scope, key_id));
  auto mine = Pending(scope, key_id);
  if (mine && (!usage.last || usage.last->when_ms <= mine->when_ms)) usage.last = std::move(mine);
  return usage;
}

Status KmsKeyUseLog::Flush() { return uses_.Flush(); }
void KmsKeyUseLog::Start() { uses_.Start(); }
void KmsKeyUseLog::Stop() { uses_.Stop(); }

}  // namespace arcana::services::kms
