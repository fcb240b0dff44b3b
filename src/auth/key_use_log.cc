#include "auth/key_use_log.h"

#include <vector>

namespace arcana::auth {

namespace {
// Uses closer together than this on the same service and region are one use: a key that
// signs thousands of requests a second updates its entry about once a second.
constexpr int64_t kResolutionMs = 1000;
}  // namespace

KeyUseLog::KeyUseLog(storage::IdentityStore& store, std::chrono::milliseconds period)
    : uses_([&store](const std::vector<storage::AccessKeyUse>& uses) {
              return store.RecordAccessKeyUses(uses);
            },
            &Merge, period, "access key last-used dates") {}

KeyUseLog::~KeyUseLog() { Stop(); }

void KeyUseLog::Merge(UseMap& into, storage::AccessKeyUse use) {
  auto [it, inserted] = into.try_emplace(use.access_key_id);
  if (inserted || it->second.when_ms < use.when_ms) it->second = std::move(use);
}

void KeyUseLog::Note(std::string_view access_key_id, int64_t now_ms, std::string_view service,
                     std::string_view region) {
  uses_.Update([&](UseMap& pending) {
    auto it = pending.find(std::string(access_key_id));
    if (it != pending.end()) {
      storage::AccessKeyUse& u = it->second;
      if (now_ms < u.when_ms) return;
      if (now_ms - u.when_ms < kResolutionMs && u.service == service && u.region == region) return;
      u.when_ms = now_ms;
      if (u.service != service) u.service.assign(service);
      if (u.region != region) u.region.assign(region);
      return;
    }
    pending.emplace(std::string(access_key_id),
                    storage::AccessKeyUse{std::string(access_key_id), now_ms,
                                          std::string(service), std::string(region)});
  });
}

std::optional<storage::AccessKeyUse> KeyUseLog::Pending(const std::string& access_key_id) const {
  return uses_.Read([&](const UseMap& in_flight,
                        const UseMap& pending) -> std::optional<storage::AccessKeyUse> {
    auto it = pending.find(access_key_id);
    if (it != pending.end()) return it->second;
    auto flying = in_flight.find(access_key_id);
    if (flying != in_flight.end()) return flying->second;
    return std::nullopt;
  });
}

Status KeyUseLog::Flush() { return uses_.Flush(); }
void KeyUseLog::Start() { uses_.Start(); }
void KeyUseLog::Stop() { uses_.Stop(); }

}  // namespace arcana::auth
