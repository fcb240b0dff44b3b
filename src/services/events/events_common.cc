#include "services/events/events_common.h"

#include "auth/authorizer.h"
#include "crypto/base64.h"
#include "domain/events/rule_tags.h"
#include "services/common/request_tags.h"

namespace arcana::services::events {

namespace ev = domain::events;

storage::Scope ScopeOf(const CallContext& ctx) { return {ctx.account, ctx.region}; }

Status RuleNotFound(const std::string& name, const std::string& bus) {
  return Status(ErrorCode::kEventsResourceNotFound,
                "Rule " + name + " does not exist on EventBus " + bus + ".");
}

Status BusNotFound(const std::string& bus) {
  return Status(ErrorCode::kEventsResourceNotFound, "Event bus " + bus + " does not exist.");
}

Status MapStoreError(const Status& s, const std::string& rule, const std::string& bus) {
  switch (s.code()) {
    case ErrorCode::kResourceNotFound: return RuleNotFound(rule, bus);
    case ErrorCode::kLimitExceeded:
      return Status(ErrorCode::kEventsLimitExceeded,
                    "The requested resource exceeds the maximum number allowed.");
    case ErrorCode::kPreconditionNotMet:
      return Status(ErrorCode::kValidation, "Rule can't be deleted since it has targets.");
    default: return s;
  }
}

std::string BusArnOf(const CallContext& ctx, const std::string& bus) {
  return "arn:aws:events:" + ctx.region + ":" + ctx.account + ":event-bus/" + bus;
}

std::string DefaultBusArn(const CallContext& ctx) { return BusArnOf(ctx, kDefaultBus); }

BusRef BusRefOf(std::string_view value, const CallContext& ctx) {
  BusRef ref{"aws", ctx.region, ctx.account, std::string(value), ""};
  // arn:<partition>:events:<region>:<account>:event-bus/<name>: a name has no ':', so a value
  // with one that the pattern matches is such an ARN.
  if (value.find(':') != std::string_view::npos && EventBusNameOrArnMatches(value)) {
    std::string_view parts[6];
    size_t start = 0;
    for (int i = 0; i < 5; ++i) {
      const size_t colon = value.find(':', start);
      parts[i] = value.substr(start, colon - start);
      start = colon + 1;
    }
    parts[5] = value.substr(start);
    ref.partition = std::string(parts[1]);
    ref.region = std::string(parts[3]);
    ref.account = std::string(parts[4]);
    ref.name = std::string(parts[5].substr(std::string_view("event-bus/").size()));
    ref.arn = std::string(value);
    return ref;
  }
  ref.arn = BusArnOf(ctx, ref.name);
  return ref;
}

Status CheckBusExists(storage::EventRuleStore& store, const CallContext& ctx,
                      const std::string& bus) {
  if (bus == kDefaultBus) return Status::Ok();
  ARCANA_ASSIGN_OR_RETURN(auto found, store.GetBus({ctx.account, ctx.region}, bus));
  if (!found) return BusNotFound(bus);
  return Status::Ok();
}

Status Allow(const CallContext& ctx, const std::string& resource) {
  auth::AccessRequest req;
  req.action = ctx.action;
  req.resource_arn = resource;
  return auth::Check(ctx, req);
}

Status AllowTagging(const CallContext& ctx, const std::string& action, const std::string& resource,
                    const json::Input& in) {
  auth::AccessRequest req;
  req.action = action;
  req.resource_arn = resource;
  AddRequestTagKeys(in,
                    action == "events:UntagResource" ? TagChange::kRemoves : TagChange::kSets,
                    "Tags", "Key", "Value", &req.keys);
  return auth::Check(ctx, req);
}

// The Tags member of PutRule and TagResource, checked. The model validator has checked the
// lengths of keys and values.
Result<std::vector<storage::EventTagRecord>> TagsOf(const json::Input& in) {
  std::vector<storage::EventTagRecord> tags;
  const rapidjson::Value* list = in.Get("Tags");
  if (list == nullptr || !list->IsArray()) return tags;
  std::vector<std::string_view> keys;
  for (const auto& t : list->GetArray()) {
    json::Input tag(t);
    tags.push_back({tag.Str("Key").value_or(""), tag.Str("Value").value_or("")});
  }
  for (const auto& t : tags) keys.push_back(t.key);
  ARCANA_RETURN_IF_ERROR(ev::CheckTagKeysWritable(keys));
  ARCANA_RETURN_IF_ERROR(ev::CheckTagCount(tags.size()));
  return tags;
}

std::string EncodeToken(const std::string& last) { return crypto::Base64Encode("v1:" + last); }

Result<std::string> DecodeToken(const json::Input& in) {
  auto token = in.Str("NextToken");
  if (!token) return std::string();
  auto raw = crypto::Base64Decode(*token);
  if (!raw || raw->rfind("v1:", 0) != 0) {
    return Status(ErrorCode::kValidation, "The NextToken provided is invalid.");
  }
  return raw->substr(3);
}

std::string EmptyObject() { return "{}"; }

}  // namespace arcana::services::events
