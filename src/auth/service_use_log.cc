#include "auth/service_use_log.h"

#include <algorithm>

namespace arcana::auth {

namespace {
// Uses of one action closer together than this from the same region are one use: an
// identity that calls GetSecretValue thousands of times a second rewrites its entry about
// once a second.
constexpr int64_t kResolutionMs = 1000;
}  // namespace

std::string_view ServiceUseEntity(const Principal& p) {
  switch (p.type) {
    case Principal::Type::kUser:
    case Principal::Type::kFederated:  // GetSessionToken: acts as the user
      return p.user_id;
    case Principal::Type::kAssumedRole: {
      // aws:userid of a role session: ROLEID:SESSION.
      std::string_view id = p.user_id;
      return id.substr(0, id.find(':'));
    }
    default:
      return {};
  }
}

ServiceUseLog::ServiceUseLog(storage::IdentityStore& store, std::chrono::milliseconds period)
    : uses_([&store](const std::vector<storage::ServiceUse>& uses) {
              return store.RecordServiceUses(uses);
            },
            &KeepLater, period, "IAM last accessed information") {}

ServiceUseLog::~ServiceUseLog() { Stop(); }

void ServiceUseLog::MapKeyOf(std::string& into, std::string_view account, std::string_view entity,
                             std::string_view service, std::string_view action) {
  into.assign(account).append(1, '\0').append(entity).append(1, '\0').append(service);
  into.append(1, '\0').append(action);
}

void ServiceUseLog::KeepLater(UseMap& into, storage::ServiceUse use) {
  std::string k;
  MapKeyOf(k, use.account, use.entity_id, use.service, use.action);
  auto [it, inserted] = into.try_emplace(std::move(k));
  if (inserted || it->second.when_ms < use.when_ms) it->second = std::move(use);
}

void ServiceUseLog::Note(const Principal& p, std::string_view service, std::string_view action,
                         std::string_view region, int64_t now_ms) {
  const std::string_view entity = ServiceUseEntity(p);
  if (entity.empty()) return;
  // The probe keeps its capacity from call to call: a repeated use allocates nothing.
  thread_local std::string probe;
  MapKeyOf(probe, p.account, entity, service, action);
  uses_.Update([&](UseMap& pending) {
    auto it = pending.find(probe);
    if (it == pending.end()) {
      pending.emplace(probe, storage::ServiceUse{p.account, std::string(entity),
                                                 std::string(service), std::string(action),
                                                 now_ms, std::string(region)});
      return;
    }
    storage::ServiceUse& u = it->second;
    if (now_ms < u.when_ms) return;
    if (now_ms - u.when_ms < kResolutionMs && u.region == region) return;
    u.when_ms = now_ms;
    if (u.region != region) u.region.assign(region);
  });
}

std::vector<storage::ServiceUse> ServiceUseLog::Pending(
    const std::string& account, const std::vector<std::string>& entity_ids) const {
  std::vector<storage::ServiceUse> out;
  // A scan: the maps hold only the uses since the last flush, and reports are rare.
  uses_.Read([&](const UseMap& in_flight, const UseMap& pending) {
    for (const UseMap* m : {&in_flight, &pending}) {
      for (const auto& [k, u] : *m) {
        if (u.account == account &&
            std::find(entity_ids.begin(), entity_ids.end(), u.entity_id) != entity_ids.end()) {
          out.push_back(u);
        }
      }
    }
  });
  return out;
}

Status ServiceUseLog::Flush() { return uses_.Flush(); }
void ServiceUseLog::Start() { uses_.Start(); }
void ServiceUseLog::Stop() { uses_.Stop(); }

}  // namespace arcana::auth
