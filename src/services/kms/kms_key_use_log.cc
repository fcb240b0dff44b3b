#include "services/kms/kms_key_use_log.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace arcana::services::kms {

KmsKeyUseLog::KmsKeyUseLog(storage::KmsKeyUsageStore& store, std::chrono::milliseconds period)
    : store_(store), flusher_(period, [this] {
        if (Status st = Flush(); !st.ok()) {
          spdlog::warn("KMS key last uses not recorded yet: {}", st.message());
        }
      }) {}

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
  std::lock_guard<std::mutex> l(mu_);
  auto it = pending_.find(probe);
  if (it == pending_.end()) {
    pending_.emplace(probe, storage::KmsKeyUse{account, region, key_id, now_ms,
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
}

std::optional<storage::KmsKeyUse> KmsKeyUseLog::Pending(const storage::Scope& scope,
                                                        const std::string& key_id) const {
  std::string k;
  MapKeyOf(k, scope.account, scope.region, key_id);
  std::lock_guard<std::mutex> l(mu_);
  auto noted = pending_.find(k);
  auto flying = in_flight_.find(k);
  if (flying == in_flight_.end()) {
    if (noted == pending_.end()) return std::nullopt;
    return noted->second;
  }
  if (noted == pending_.end() || noted->second.when_ms < flying->second.when_ms) {
    return flying->second;
  }
  return noted->second;
}

Result<storage::KmsKeyUsage> KmsKeyUseLog::Read(const storage::Scope& scope,
                                                const std::string& key_id) {
  ARCANA_ASSIGN_OR_RETURN(storage::KmsKeyUsage usage, store_.GetKmsKeyUsage(scope, key_id));
  auto mine = Pending(scope, key_id);
  if (mine && (!usage.last || usage.last->when_ms <= mine->when_ms)) usage.last = std::move(mine);
  return usage;
}

Status KmsKeyUseLog::Flush() {
  std::lock_guard<std::mutex> one_at_a_time(flush_mu_);
  std::vector<storage::KmsKeyUse> uses;
  {
    std::lock_guard<std::mutex> l(mu_);
    in_flight_.swap(pending_);
    uses.reserve(in_flight_.size());
    for (const auto& [k, use] : in_flight_) uses.push_back(use);
  }
  if (uses.empty()) return Status::Ok();
  Status st = store_.RecordKmsKeyUses(uses);
  std::lock_guard<std::mutex> l(mu_);
  if (!st.ok()) {
    for (auto& use : uses) KeepLater(pending_, std::move(use));
  }
  in_flight_.clear();
  return st;
}

void KmsKeyUseLog::Start() { flusher_.Start(); }

void KmsKeyUseLog::Stop() {
  flusher_.Stop();
  if (Status st = Flush(); !st.ok()) {
    spdlog::warn("KMS key last uses lost at shutdown: {}", st.message());
  }
}

}  // namespace arcana::services::kms
