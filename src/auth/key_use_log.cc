#include "auth/key_use_log.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace arcana::auth {

namespace {
// Uses closer together than this on the same service and region are one use: a key that
// signs thousands of requests a second updates its entry about once a second.
constexpr int64_t kResolutionMs = 1000;
}  // namespace

KeyUseLog::KeyUseLog(storage::IdentityStore& store, std::chrono::milliseconds period)
    : store_(store), flusher_(period, [this] {
        if (Status st = Flush(); !st.ok()) {
          spdlog::warn("access key last-used dates not recorded yet: {}", st.message());
        }
      }) {}

KeyUseLog::~KeyUseLog() { Stop(); }

void KeyUseLog::Merge(std::unordered_map<std::string, storage::AccessKeyUse>& into,
                      storage::AccessKeyUse use) {
  auto [it, inserted] = into.try_emplace(use.access_key_id);
  if (inserted || it->second.when_ms < use.when_ms) it->second = std::move(use);
}

void KeyUseLog::Note(std::string_view access_key_id, int64_t now_ms, std::string_view service,
                     std::string_view region) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = pending_.find(std::string(access_key_id));
  if (it != pending_.end()) {
    storage::AccessKeyUse& u = it->second;
    if (now_ms < u.when_ms) return;
    if (now_ms - u.when_ms < kResolutionMs && u.service == service && u.region == region) return;
    u.when_ms = now_ms;
    if (u.service != service) u.service.assign(service);
    if (u.region != region) u.region.assign(region);
    return;
  }
  pending_.emplace(std::string(access_key_id),
                   storage::AccessKeyUse{std::string(access_key_id), now_ms,
                                         std::string(service), std::string(region)});
}

std::optional<storage::AccessKeyUse> KeyUseLog::Pending(const std::string& access_key_id) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = pending_.find(access_key_id);
  if (it != pending_.end()) return it->second;
  auto flying = in_flight_.find(access_key_id);
  if (flying != in_flight_.end()) return flying->second;
  return std::nullopt;
}

Status KeyUseLog::Flush() {
  std::lock_guard<std::mutex> one_at_a_time(flush_mu_);
  std::vector<storage::AccessKeyUse> uses;
  {
    std::lock_guard<std::mutex> l(mu_);
    in_flight_.swap(pending_);
    uses.reserve(in_flight_.size());
    for (const auto& [id, use] : in_flight_) uses.push_back(use);
  }
  if (uses.empty()) return Status::Ok();
  Status st = store_.RecordAccessKeyUses(uses);
  std::lock_guard<std::mutex> l(mu_);
  if (!st.ok()) {
    for (auto& use : uses) Merge(pending_, std::move(use));
  }
  in_flight_.clear();
  return st;
}

void KeyUseLog::Start() { flusher_.Start(); }

void KeyUseLog::Stop() {
  flusher_.Stop();
  if (Status st = Flush(); !st.ok()) {
    spdlog::warn("access key last-used dates lost at shutdown: {}", st.message());
  }
}

}  // namespace arcana::auth
