// What the EventBridge service's operation files (events_service.cc, events_bus_ops.cc)
// share: names of buses and their errors, authorization, tags, tokens and pages. Internal to
// services/events.
// Thread-safety: pure functions (CheckBusExists reads the store).
#pragma once

#include <string>
#include <type_traits>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "services/common/service.h"
#include "storage/event_rule_store.h"

namespace arcana::services::events {

inline constexpr const char* kDefaultBus = "default";
inline constexpr int kDefaultListLimit = 100;

storage::Scope ScopeOf(const CallContext& ctx);

// Recorded on AWS for the default bus and a custom one (by its name): "Rule R does not exist
// on EventBus B.".
Status RuleNotFound(const std::string& name, const std::string& bus);

// Recorded on AWS (DescribeEventBus, PutPermission, TagResource, CreateArchive): the bus by
// its name, even when the call gave its ARN.
Status BusNotFound(const std::string& bus);

// Store errors of a rule write, as AWS words them (rule: its name; bus: its bus's name).
Status MapStoreError(const Status& s, const std::string& rule,
                     const std::string& bus = kDefaultBus);

// A bus an EventBusName or DescribeEventBus's Name names (the validator has matched it
// against EventBusNameOrArn): a name in the caller's account and region, or a bus ARN taken
// apart.
struct BusRef {
  std::string partition;
  std::string region;
  std::string account;
  std::string name;
  std::string arn;  // what the call is authorized on
};
BusRef BusRefOf(std::string_view value, const CallContext& ctx);

// arn:aws:events:<region>:<account>:event-bus/<bus> of the caller's account and region.
std::string BusArnOf(const CallContext& ctx, const std::string& bus);
std::string DefaultBusArn(const CallContext& ctx);

// BusNotFound unless bus is the default bus or a custom bus of the caller's account and
// region. Asked after the call is authorized, so a caller learns of buses only what it may.
Status CheckBusExists(storage::EventRuleStore& store, const CallContext& ctx,
                      const std::string& bus);

// The call's own action on resource, by the policy engine.
Status Allow(const CallContext& ctx, const std::string& resource);

// The check of a call that sets or removes tags (action: its own, or events:TagResource for
// PutRule's and CreateEventBus's Tags): aws:RequestTag/<key> and aws:TagKeys carry the
// request's tags, so a policy can bound which tags a caller may set.
Status AllowTagging(const CallContext& ctx, const std::string& action, const std::string& resource,
                    const json::Input& in);

// The Tags member of PutRule, CreateEventBus and TagResource, checked (reserved keys, count).
// The model validator has checked the lengths of keys and values.
Result<std::vector<storage::EventTagRecord>> TagsOf(const json::Input& in);

// NextToken of a name-ordered list: base64("v1:" + the last name of the page); "" when the
// request has none. Errors: ValidationException "The NextToken provided is invalid.".
std::string EncodeToken(const std::string& last);
Result<std::string> DecodeToken(const json::Input& in);

std::string EmptyObject();

// A JSON object whose members fill(w) writes, as text: most operations' answer. fill returns
// nothing: a body that can fail (ARCANA_RETURN_IF_ERROR, ...) writes its object itself, since
// a lambda returning a Status on one path would fall off its end on the other.
template <class Fill>
std::string ObjectJson(Fill&& fill) {
  static_assert(std::is_void_v<std::invoke_result_t<Fill&, json::Writer&>>,
                "ObjectJson's fill must return void");
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  fill(w);
  w.EndObject();
  return json::Finish(buf);
}

// A page read with limit + 1 rows: keeps limit, and says whether there is more.
template <typename T>
bool TrimPage(std::vector<T>& page, size_t limit) {
  if (page.size() <= limit) return false;
  page.resize(limit);
  return true;
}

}  // namespace arcana::services::events
