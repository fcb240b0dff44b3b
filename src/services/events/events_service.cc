#include "services/events/events_service.h"

#include <charconv>
#include <cmath>

#include "auth/authorizer.h"
#include "auth/policy/policy.h"
#include "common/civil_time.h"
#include "common/json.h"
#include "common/pattern.h"
#include "crypto/base64.h"
#include "domain/events/connection.h"
#include "domain/events/event_pattern.h"
#include "domain/events/input_transform.h"
#include "domain/events/rule_tags.h"
#include "domain/events/schedule_expression.h"
#include "domain/events/schedule_times.h"
#include "domain/events/target.h"
#include "domain/rotation/function_spec.h"
#include "events/scheduled_rules.h"
#include "services/common/request_tags.h"
#include "services/events/events_common.h"

namespace arcana::services::events {
namespace {

namespace ev = domain::events;

// The bus a call's EventBusName names (absent: the default bus), by its name. A bus ARN of
// another region is refused as AWS refuses it, before anything is looked up (recorded:
// CloudFormation's PutRule of a rule whose EventBusName is the ARN of a bus in another region,
// "Cross-region API call is not allowed." ValidationException 400,
// aws-samples/amazon-eventbridge-resource-policy-samples#10); one of another account (or
// partition) is answered as a bus that does not exist (not confirmed on AWS).
Result<std::string> BusNameOf(const json::Input& in, const CallContext& ctx) {
  auto given = in.Str("EventBusName");
  if (!given) return std::string(kDefaultBus);
  const BusRef bus = BusRefOf(*given, ctx);
  if (bus.region != ctx.region) {
    return Status(ErrorCode::kValidation, "Cross-region API call is not allowed.");
  }
  if (bus.account != ctx.account || bus.partition != "aws") return BusNotFound(bus.name);
  return bus.name;
}

// The bus a PutEvents entry is put onto: its owner, name and ARN (an entry may name another
// account's bus by ARN: its policy decides, AuthorizePutEvents); nullopt for a bus of another
// region or partition, which no event reaches from here.
struct EntryBus {
  std::string account;
  std::string name;
  std::string arn;
};

std::optional<EntryBus> EntryBusOf(const json::Input& entry, const CallContext& ctx) {
  auto given = entry.Str("EventBusName");
  if (!given) return EntryBus{ctx.account, kDefaultBus, DefaultBusArn(ctx)};
  const BusRef ref = BusRefOf(*given, ctx);
  if (ref.region != ctx.region || ref.partition != "aws") return std::nullopt;
  return EntryBus{ref.account, ref.name, ref.arn};
}

// The policy of bus in its owner's account ("" when it has none), in one read; nullopt when
// the bus does not exist (the default bus always does).
Result<std::optional<std::string>> EntryBusPolicy(storage::EventRuleStore& store,
                                                  const CallContext& ctx, const EntryBus& bus) {
  const storage::Scope owner{bus.account, ctx.region};
  if (bus.name == kDefaultBus) {
    ARCANA_ASSIGN_OR_RETURN(std::string policy, store.GetBusPolicy(owner, bus.name));
    return std::optional<std::string>(std::move(policy));
  }
  ARCANA_ASSIGN_OR_RETURN(auto found, store.GetBus(owner, bus.name));
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(std::move(found->policy));
}

// PutEvents limits (EventBridge's): the entries of one request together at most 256 KiB,
// sized as AWS documents ("Calculating PutEvents event entry size": 14 bytes for a Time,
// then the UTF-8 bytes of Source, DetailType, Detail and each of Resources).
constexpr size_t kMaxPutEventsBytes = 256 * 1024;
// Event times as RFC 3339 can write them: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr double kMinEventSeconds = -62135596800.0;
constexpr double kMaxEventSeconds = 253402300799.0;

size_t EntriesSize(const rapidjson::Value& entries) {
  size_t total = 0;
  auto text = [](const rapidjson::Value& o, const char* k) -> size_t {
    auto it = o.FindMember(k);
    return it != o.MemberEnd() && it->value.IsString() ? it->value.GetStringLength() : 0;
  };
  for (const auto& e : entries.GetArray()) {
    if (!e.IsObject()) continue;
    if (e.HasMember("Time") && !e["Time"].IsNull()) total += 14;
    total += text(e, "Source") + text(e, "DetailType") + text(e, "Detail");
    if (auto r = e.FindMember("Resources"); r != e.MemberEnd() && r->value.IsArray()) {
      for (const auto& arn : r->value.GetArray()) {
        total += arn.IsString() ? arn.GetStringLength() : 0;
      }
    }
  }
  return total;
}

// TestEventPattern's Event must be a whole event: id, account, source, time, region and
// detail-type, since a pattern tested against less can match differently on the bus, where
// every event has them. The API reference lists resources as mandatory too, but AWS answers
// events without it (recorded: LocalStack's test_events_patterns.py templates, none of which
// has resources unless the pattern is about them), so it is not asked for.
bool HasEventEnvelope(const std::string& event) {
  rapidjson::Document doc;
  if (!json::ParseBounded(event, &doc).ok() || !doc.IsObject()) return false;
  for (const char* member : {"id", "account", "source", "time", "region", "detail-type"}) {
    if (!doc.HasMember(member)) return false;
  }
  return true;
}

// The resource a tagging call's ResourceARN names: a rule of one of the caller's buses, or a
// bus itself (AWS tags both; the default bus is every account's in every region, never
// created). A custom bus that does not exist is answered as AWS answers it (the bus by name);
// so are buses and rules of another region or account (not confirmed on AWS for those). A
// rule's existence is the store call's question.
struct TaggedResource {
  bool is_bus = false;
  std::string name;  // the rule's name, or the bus's
  std::string bus;   // the bus (of the rule)
  std::string arn;   // what the call is authorized on
};

Result<TaggedResource> TaggedResourceOf(const json::Input& in, const CallContext& ctx,
                                        storage::EventRuleStore& store) {
  ARCANA_ASSIGN_OR_RETURN(ev::TaggedResourceRef ref,
                          ev::ParseTaggedResourceArn(in.Str("ResourceARN").value_or("")));
  const bool here =
      ref.partition == "aws" && ref.region == ctx.region && ref.account == ctx.account;
  if (ref.kind == ev::TaggedResourceRef::Kind::kEventBus) {
    if (!here) return BusNotFound(ref.bus);
    if (ref.bus != kDefaultBus) {
      ARCANA_ASSIGN_OR_RETURN(auto found, store.GetBus({ctx.account, ctx.region}, ref.bus));
      if (!found) return BusNotFound(ref.bus);
    }
    return TaggedResource{true, ref.bus, ref.bus, BusArnOf(ctx, ref.bus)};
  }
  if (!here) return RuleNotFound(ref.name, ref.bus);
  return TaggedResource{false, ref.name, ref.bus,
                        RuleArn(ctx.account, ctx.region, ref.bus, ref.name)};
}

// Store errors of a tag write, as AWS words them.
Status MapTagStoreError(const Status& s, const TaggedResource& res) {
  if (s.code() == ErrorCode::kLimitExceeded) return ev::TooManyTags();
  if (res.is_bus && s.code() == ErrorCode::kResourceNotFound) return BusNotFound(res.name);
  return MapStoreError(s, res.name, res.bus);
}

void WriteRule(json::Writer& w, const storage::EventRuleRecord& r, const CallContext* describe) {
  const storage::RuleKeyParts key = storage::SplitRuleKey(r.name);
  w.StartObject();
  json::KV(w, "Name", key.name);
  json::KV(w, "Arn", r.arn);
  if (!r.event_pattern.empty()) json::KV(w, "EventPattern", r.event_pattern);
  if (!r.schedule_expression.empty()) json::KV(w, "ScheduleExpression", r.schedule_expression);
  json::KV(w, "State", r.state);
  if (!r.description.empty()) json::KV(w, "Description", r.description);
  if (!r.role_arn.empty()) json::KV(w, "RoleArn", r.role_arn);
  json::KV(w, "EventBusName", key.bus);
  if (describe != nullptr) json::KV(w, "CreatedBy", describe->account);
  w.EndObject();
}

// PutEvents' entry list as AWS quotes it when it has too many entries: its service's
// PutEventsRequestEntry objects as Java prints them, "[PutEventsRequestEntry(time=null,
// source=..., ...), ...]", a member absent as null, strings as sent (recorded: LocalStack's
// test_put_events_exceed_limit_ten_entries, aws.validated, test_events.snapshot.json). A Time
// prints as java.util.Date does, in UTC (the recording has none: not confirmed on AWS).
// Bounded: any caller reaches this before authorization, and each entry, `{}` on the wire,
// prints as ~180 bytes (a 1 MiB body of them would make a 60 MB message): past
// kMaxEntryListText the list is cut and ends in "...".
constexpr size_t kMaxEntryListText = 16 * 1024;
std::string EntryListText(const rapidjson::Value& entries) {
  auto str = [](const rapidjson::Value& o, const char* k) -> std::string {
    auto it = o.FindMember(k);
    if (it == o.MemberEnd() || !it->value.IsString()) return "null";
    return std::string(it->value.GetString(), it->value.GetStringLength());
  };
  auto time_text = [](const rapidjson::Value& o) -> std::string {
    auto it = o.FindMember("Time");
    if (it == o.MemberEnd() || !it->value.IsNumber()) return "null";
    const double secs = it->value.GetDouble();
    if (!std::isfinite(secs) || secs < kMinEventSeconds || secs > kMaxEventSeconds) return "null";
    return FormatUtc(static_cast<int64_t>(std::floor(secs)), "%a %b %d %H:%M:%S UTC %Y");
  };
  if (!entries.IsArray()) return "null";
  std::string out = "[";
  bool first = true;
  bool cut = false;
  for (const auto& e : entries.GetArray()) {
    if (out.size() >= kMaxEntryListText) {
      cut = true;
      break;
    }
    out += first ? "" : ", ";
    first = false;
    if (!e.IsObject()) {
      out += "null";
      continue;
    }
    std::string resources = "null";
    if (auto r = e.FindMember("Resources"); r != e.MemberEnd() && r->value.IsArray()) {
      resources = "[";
      bool f = true;
      for (const auto& a : r->value.GetArray()) {
        resources += f ? "" : ", ";
        f = false;
        resources += a.IsString() ? std::string(a.GetString(), a.GetStringLength()) : "null";
      }
      resources += "]";
    }
    out += "PutEventsRequestEntry(time=" + time_text(e) + ", source=" + str(e, "Source") +
           ", resources=" + resources + ", detailType=" + str(e, "DetailType") +
           ", detail=" + str(e, "Detail") + ", eventBusName=" + str(e, "EventBusName") +
           ", traceHeader=" + str(e, "TraceHeader") +
           ", kmsKeyIdentifier=null, internalMetadata=null)";
  }
  if (!cut && out.size() <= kMaxEntryListText) return out + "]";
  out.resize(kMaxEntryListText);
  return out + "...";
}

// One target of PutTargets, validated. Errors: ValidationException naming the problem.
Result<ev::HttpTarget> TargetOf(const rapidjson::Value& t, const CallContext& ctx) {
  static const char* const kUnsupported[] = {
      "KinesisParameters", "RunCommandParameters",
      "EcsParameters", "BatchParameters", "SqsParameters",
      "RedshiftDataParameters", "SageMakerPipelineParameters", "DeadLetterConfig",
      "AppSyncParameters"};
  json::Input in(t);
  ev::HttpTarget out;
  out.id = in.Str("Id").value_or("");
  out.url = in.Str("Arn").value_or("");
  if (!out.url.starts_with("arn:") && !out.url.starts_with("http://") &&
      !out.url.starts_with("https://")) {
    // Neither an ARN nor a URL: AWS's answer to a target Arn that is no ARN (moto's
    // put_targets and users' reports of AWS quote it so). The model bounds it to 1600.
    return Status(ErrorCode::kValidation, "Parameter " + out.url +
                                              " is not valid. Reason: Provided Arn is not in "
                                              "correct format.");
  }
  if (auto fn = domain::rotation::ParseLambdaArn(out.url)) {
    // A Lambda function of the rule's account and region (invoked through this node's Lambda
    // service; its policy must let events.amazonaws.com invoke it, checked at each delivery).
    if (fn->account != ctx.account || fn->region != ctx.region) {
      return Status(ErrorCode::kValidation,
                    "Parameter " + out.url.substr(0, 256) +
                        " is not valid. Reason: the Lambda function must be in the rule's "
                        "account and region.");
    }
  } else if (auto bus = ev::ParseBusTargetArn(out.url)) {
    // Another bus of the rule's account and region: the event is put onto it as it is (so
    // none of the Input members), whether or not the bus exists yet (AWS accepts the target
    // without looking: recorded, test_put_events_to_default_eventbus_for_custom_eventbus).
    if (bus->account != ctx.account || bus->region != ctx.region) {
      return Status(ErrorCode::kValidation,
                    "Parameter " + out.url.substr(0, 256) +
                        " is not valid. Reason: this server forwards events to event buses of "
                        "the rule's account and region only.");
    }
    for (const char* member : {"Input", "InputPath", "InputTransformer"}) {
      if (in.Has(member)) {
        return Status(ErrorCode::kValidation,
                      std::string("Parameter ") + member +
                          " is not supported for an event bus target by this server.");
      }
    }
  } else if (ev::IsApiDestinationArn(out.url)) {
    // An API destination of the rule's account and region, resolved at each delivery (AWS
    // accepts the target without looking it up: not confirmed); HttpParameters are its
    // static path, header and query string values.
    auto dest = ev::ParseEventsResourceArn(out.url, "api-destination");
    if (!dest || dest->account != ctx.account || dest->region != ctx.region) {
      return Status(ErrorCode::kValidation,
                    "Parameter " + out.url.substr(0, 256) +
                        " is not valid. Reason: the API destination must be in the rule's "
                        "account and region.");
    }
    if (const rapidjson::Value* params = in.Get("HttpParameters")) {
      out.http_parameters = ev::ParseTargetHttpParameters(*params);
    }
  } else if (ev::HasUrlUserinfo(out.url)) {
    // Refused, and not echoed (the message reaches audit records): the HTTP client never
    // sends to such a URL, so its deliveries would only fail; an API destination's
    // connection is the place for credentials.
    return Status(ErrorCode::kValidation,
                  "Parameter Arn is not valid. Reason: target " + out.id +
                      " has user information (user:password@) in its URL; give credentials "
                      "through a connection and an API destination instead.");
  } else if (!ev::IsHttpTargetUrl(out.url)) {
    return Status(ErrorCode::kValidation,
                  "Parameter " + out.url.substr(0, 256) +
                      " is not valid. Reason: this server delivers to HTTP(S) endpoints, "
                      "Lambda functions and event buses only; give the endpoint URL (http:// "
                      "or https://) or the function's or bus's ARN as the target Arn.");
  }
  if (in.Has("HttpParameters") && !ev::IsApiDestinationArn(out.url)) {
    // Served for API destinations only (above); elsewhere they would be silently dropped.
    return Status(ErrorCode::kValidation,
                  "Parameter HttpParameters is not supported by this server for this target.");
  }
  for (const char* member : kUnsupported) {
    if (in.Has(member)) {
      return Status(ErrorCode::kValidation,
                    std::string("Parameter ") + member + " is not supported by this server.");
    }
  }
  // What the target receives: at most one of the three (recorded on AWS, for InputPath with
  // InputTransformer: LocalStack's test_put_event_input_path_and_input_transformer).
  if (in.Has("Input") + in.Has("InputPath") + in.Has("InputTransformer") > 1) {
    return Status(ErrorCode::kValidation,
                  "Only one of Input, InputPath, or InputTransformer must be provided for "
                  "target " + out.id + ".");
  }
  if (auto input = in.Str("Input")) {
    rapidjson::Document d;
    if (Status parsed = json::ParseBounded(*input, &d); !parsed.ok()) {
      // AWS's words start so ("JSON syntax error in input for target <id>: " and its JSON
      // parser's report); the report here is RapidJSON's.
      return Status(ErrorCode::kValidation,
                    "JSON syntax error in input for target " + out.id + ": " + parsed.message());
    }
    out.input = *input;
  }
  out.input_path = in.Str("InputPath");
  if (const rapidjson::Value* transformer = in.Get("InputTransformer")) {
    // The model validator has checked InputTemplate's presence and length, and the map's
    // size, keys ([A-Za-z0-9_-]+, so no predefined name) and path lengths.
    json::Input it(*transformer);
    ev::InputTransformer parsed;
    parsed.input_template = it.Str("InputTemplate").value_or("");
    if (const rapidjson::Value* paths = it.Get("InputPathsMap"); paths && paths->IsObject()) {
      for (const auto& m : paths->GetObject()) {
        parsed.paths.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                                  m.value.IsString() ? m.value.GetString() : "");
      }
    }
    // Recorded on AWS: LocalStack's test_put_events_with_input_transformer_missing_keys.
    if (auto undefined = ev::UndefinedPlaceholder(parsed)) {
      return Status(ErrorCode::kValidation, "InputTemplate for target " + out.id +
                                                " contains invalid placeholder " + *undefined +
                                                ".");
    }
    out.input_transformer = std::move(parsed);
  }
  out.role_arn = in.Str("RoleArn").value_or("");
  if (const rapidjson::Value* retry = in.Get("RetryPolicy")) {
    json::Input r(*retry);
    // Kept as given (the model's 0-185) and answered so by ListTargetsByRule, as AWS does;
    // the deliverer retries at most 8 times whatever it says (events/delivery.h).
    if (auto n = r.Int("MaximumRetryAttempts")) out.max_retry_attempts = static_cast<int>(*n);
    if (auto n = r.Int("MaximumEventAgeInSeconds")) out.max_event_age_seconds = static_cast<int>(*n);
  }
  return out;
}

}  // namespace

bool EventBusNameOrArnMatches(std::string_view s) {
  // The model's pattern verbatim; RE2's \w is Java's ASCII [A-Za-z0-9_].
  static const auto kPattern =
      pattern::Compile(
          R"((arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+)",
          256)
          .pattern;
  return kPattern != nullptr && kPattern->FullMatch(s);
}

std::string DefaultBusCreatedMetaKey(const std::string& account, const std::string& region) {
  return "events.default-bus.created/" + account + "/" + region;
}

std::string RuleArn(const std::string& account, const std::string& region,
                    const std::string& bus, const std::string& name) {
  return "arn:aws:events:" + region + ":" + account + ":rule/" + storage::RuleKey(bus, name);
}

EventsService::EventsService(storage::EventRuleStore& rules, storage::MetaStore& meta)
    // Rule names and target ids are character-class patterns, bus names or ARNs one with an
    // optional ARN prefix; AWS refuses a violation of them before anything else, in its
    // validation-error wording. An HTTP target's header and query-string values carry API
    // keys and bearer tokens (the model does not mark them sensitive): a violation never
    // quotes them, as it quotes no sensitive value.
    : rules_(rules),
      meta_(meta),
      validator_("events", ErrorCode::kValidation, ModelValidator::Patterns::kCharacterClasses,
                 {}, ModelValidator::ListValues::kPaths, {"HeaderValue", "QueryStringValue"},
                 {{"EventBusNameOrArn", EventBusNameOrArnMatches},
                  {"ConnectionArn", ConnectionArnMatches}},
                 {{"PutEventsRequestEntryList", EntryListText}}) {}

Result<std::string> EventsService::Call(std::string_view op, const rapidjson::Value& input,
                                        const CallContext& ctx) {
  if (op == "PutRule") return PutRule(input, ctx);
  if (op == "DescribeRule") return DescribeRule(input, ctx);
  if (op == "ListRules") return ListRules(input, ctx);
  if (op == "DeleteRule") return DeleteRule(input, ctx);
  if (op == "EnableRule") return SetState(input, ctx, "ENABLED");
  if (op == "DisableRule") return SetState(input, ctx, "DISABLED");
  if (op == "PutTargets") return PutTargets(input, ctx);
  if (op == "ListTargetsByRule") return ListTargetsByRule(input, ctx);
  if (op == "ListRuleNamesByTarget") return ListRuleNamesByTarget(input, ctx);
  if (op == "RemoveTargets") return RemoveTargets(input, ctx);
  if (op == "TestEventPattern") return TestEventPattern(input, ctx);
  if (op == "PutEvents") return PutEvents(input, ctx);
  if (op == "TagResource") return TagResource(input, ctx);
  if (op == "UntagResource") return UntagResource(input, ctx);
  if (op == "ListTagsForResource") return ListTagsForResource(input, ctx);
  if (op == "DescribeEventBus") return DescribeEventBus(input, ctx);
  if (op == "ListEventBuses") return ListEventBuses(input, ctx);
  if (op == "CreateEventBus") return CreateEventBus(input, ctx);
  if (op == "UpdateEventBus") return UpdateEventBus(input, ctx);
  if (op == "DeleteEventBus") return DeleteEventBus(input, ctx);
  if (op == "CreateArchive") return CreateArchive(input, ctx);
  if (op == "DescribeArchive") return DescribeArchive(input, ctx);
  if (op == "ListArchives") return ListArchives(input, ctx);
  if (op == "UpdateArchive") return UpdateArchive(input, ctx);
  if (op == "DeleteArchive") return DeleteArchive(input, ctx);
  if (op == "StartReplay") return StartReplay(input, ctx);
  if (op == "DescribeReplay") return DescribeReplay(input, ctx);
  if (op == "ListReplays") return ListReplays(input, ctx);
  if (op == "CancelReplay") return CancelReplay(input, ctx);
  if (op == "PutPermission") return PutPermission(input, ctx);
  if (op == "RemovePermission") return RemovePermission(input, ctx);
  if (op == "CreateConnection") return CreateConnection(input, ctx);
  if (op == "DescribeConnection") return DescribeConnection(input, ctx);
  if (op == "ListConnections") return ListConnections(input, ctx);
  if (op == "UpdateConnection") return UpdateConnection(input, ctx);
  if (op == "DeleteConnection") return DeleteConnection(input, ctx);
  if (op == "DeauthorizeConnection") return DeauthorizeConnection(input, ctx);
  if (op == "CreateApiDestination") return CreateApiDestination(input, ctx);
  if (op == "DescribeApiDestination") return DescribeApiDestination(input, ctx);
  if (op == "ListApiDestinations") return ListApiDestinations(input, ctx);
  if (op == "UpdateApiDestination") return UpdateApiDestination(input, ctx);
  if (op == "DeleteApiDestination") return DeleteApiDestination(input, ctx);
  return Status(ErrorCode::kUnknownOperation,
                "Operation " + std::string(op) + " is not supported by this server.");
}

Result<std::string> EventsService::PutRule(const rapidjson::Value& input, const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(const std::string bus, BusNameOf(in, ctx));
  const std::string name = *in.Str("Name");
  storage::EventRuleRecord r;
  r.name = storage::RuleKey(bus, name);
  r.arn = RuleArn(ctx.account, ctx.region, bus, name);
  ARCANA_RETURN_IF_ERROR(Allow(ctx, r.arn));
  ARCANA_RETURN_IF_ERROR(CheckBusExists(rules_, ctx, bus));
  // AWS: assigning tags with PutRule takes events:TagResource as well as events:PutRule. An
  // update assigns none (AWS ignores Tags then), so it needs no events:TagResource; its Tags
  // are dropped here, so a rule deleted meanwhile is re-created untagged rather than tagged
  // without that permission.
  ARCANA_ASSIGN_OR_RETURN(std::vector<storage::EventTagRecord> tags, TagsOf(in));
  if (!tags.empty()) {
    ARCANA_ASSIGN_OR_RETURN(auto existing, rules_.GetRule(ScopeOf(ctx), r.name));
    if (existing) tags.clear();
  }
  if (!tags.empty()) ARCANA_RETURN_IF_ERROR(AllowTagging(ctx, "events:TagResource", r.arn, in));
  auto schedule = in.Str("ScheduleExpression");
  if (schedule) {
    // On a custom bus even an empty expression gets this answer (AWS, as users report it).
    if (bus != kDefaultBus) {
      return Status(ErrorCode::kValidation,
                    "ScheduleExpression is supported only on the default event bus.");
    }
    if (!ev::ParseScheduleExpression(*schedule)) {
      return Status(ErrorCode::kValidation, "Parameter ScheduleExpression is not valid.");
    }
    if (jobs_ == nullptr) {
      return Status(ErrorCode::kValidation,
                    "Parameter ScheduleExpression is not supported by this server.");
    }
    r.schedule_expression = *schedule;
  }
  auto pattern = in.Str("EventPattern");
  if (!pattern && !schedule) {
    return Status(ErrorCode::kValidation,
                  "Parameter(s) EventPattern or ScheduleExpression must be specified.");
  }
  if (pattern) {
    ARCANA_RETURN_IF_ERROR(ev::EventPattern::Parse(*pattern).status());
    r.event_pattern = *pattern;
  }
  r.state = in.Str("State").value_or("ENABLED");
  r.description = in.Str("Description").value_or("");
  // PutRule replaces the rule: a RoleArn left out is gone, as AWS documents for every field.
  r.role_arn = in.Str("RoleArn").value_or("");
  r.created_ms = ctx.now_ms;
  if (schedule) {
    // The job first (events/scheduled_rules.h): a crash before the rule's commit leaves a job
    // that ends at its first run, never a scheduled rule that never runs. An existing rule
    // keeps its creation time, which a rate counts from.
    ARCANA_ASSIGN_OR_RETURN(auto existing, rules_.GetRule(ScopeOf(ctx), r.name));
    const int64_t created = existing ? existing->created_ms : r.created_ms;
    auto next = ev::NextScheduledRunMs(*schedule, created, ctx.now_ms);
    if (next) {
      ARCANA_RETURN_IF_ERROR(jobs_->ScheduleJob(
          ::arcana::events::ScheduleJobName(ctx.account, ctx.region, r.name), *next, "", true));
    }
  }
  // The tags apply only if this creates the rule: AWS ignores them on an update.
  Status s = rules_.PutRule(ScopeOf(ctx), r, kMaxRulesPerBus, tags);
  // Not found: the bus was deleted since CheckBusExists saw it.
  if (s.code() == ErrorCode::kResourceNotFound) return BusNotFound(bus);
  if (!s.ok()) return MapStoreError(s, name, bus);
  if (schedule && wake_) wake_();
  return ObjectJson([&](json::Writer& w) {
    json::KV(w, "RuleArn", r.arn);
  });
}

Result<std::string> EventsService::DescribeRule(const rapidjson::Value& input,
                                                const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(const std::string bus, BusNameOf(in, ctx));
  std::string name = *in.Str("Name");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, RuleArn(ctx.account, ctx.region, bus, name)));
  ARCANA_RETURN_IF_ERROR(CheckBusExists(rules_, ctx, bus));
  ARCANA_ASSIGN_OR_RETURN(auto rule, rules_.GetRule(ScopeOf(ctx), storage::RuleKey(bus, name)));
  if (!rule) return RuleNotFound(name, bus);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteRule(w, *rule, &ctx);
  return json::Finish(buf);
}

Result<std::string> EventsService::ListRules(const rapidjson::Value& input,
                                             const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(const std::string bus, BusNameOf(in, ctx));
  ARCANA_RETURN_IF_ERROR(Allow(ctx, "*"));
  ARCANA_RETURN_IF_ERROR(CheckBusExists(rules_, ctx, bus));
  ARCANA_ASSIGN_OR_RETURN(std::string after, DecodeToken(in));
  size_t limit = static_cast<size_t>(in.Int("Limit").value_or(kDefaultListLimit));
  // Keys of the bus's rules: "<bus>/<name>" on a custom bus, the bare name on the default.
  const std::string prefix = storage::RuleKey(bus, in.Str("NamePrefix").value_or(""));
  ARCANA_ASSIGN_OR_RETURN(auto page,
                          rules_.ListRules(ScopeOf(ctx), prefix,
                                           after.empty() ? after : storage::RuleKey(bus, after),
                                           limit + 1, bus == kDefaultBus));
  bool more = TrimPage(page, limit);
  return ObjectJson([&](json::Writer& w) {
    w.Key("Rules");
    w.StartArray();
    for (const auto& r : page) WriteRule(w, r, nullptr);
    w.EndArray();
    if (more) json::KV(w, "NextToken", EncodeToken(storage::SplitRuleKey(page.back().name).name));
  });
}

Result<std::string> EventsService::DeleteRule(const rapidjson::Value& input,
                                              const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(const std::string bus, BusNameOf(in, ctx));
  std::string name = *in.Str("Name");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, RuleArn(ctx.account, ctx.region, bus, name)));
  ARCANA_RETURN_IF_ERROR(CheckBusExists(rules_, ctx, bus));
  Status s = rules_.DeleteRule(ScopeOf(ctx), storage::RuleKey(bus, name));
  // Deleting a rule that does not exist succeeds, as on AWS.
  if (!s.ok() && s.code() != ErrorCode::kResourceNotFound) return MapStoreError(s, name, bus);
  return EmptyObject();
}

Result<std::string> EventsService::SetState(const rapidjson::Value& input, const CallContext& ctx,
                                            const char* state) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(const std::string bus, BusNameOf(in, ctx));
  std::string name = *in.Str("Name");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, RuleArn(ctx.account, ctx.region, bus, name)));
  ARCANA_RETURN_IF_ERROR(CheckBusExists(rules_, ctx, bus));
  Status s = rules_.SetRuleState(ScopeOf(ctx), storage::RuleKey(bus, name), state);
  if (!s.ok()) return MapStoreError(s, name, bus);
  return EmptyObject();
}

Result<std::string> EventsService::PutTargets(const rapidjson::Value& input,
                                              const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(const std::string bus, BusNameOf(in, ctx));
  std::string rule = *in.Str("Rule");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, RuleArn(ctx.account, ctx.region, bus, rule)));
  ARCANA_RETURN_IF_ERROR(CheckBusExists(rules_, ctx, bus));
  std::vector<storage::EventTargetRecord> records;
  for (const auto& t : in.Get("Targets")->GetArray()) {
    ARCANA_ASSIGN_OR_RETURN(ev::HttpTarget target, TargetOf(t, ctx));
    records.push_back({target.id, ev::EncodeTarget(target)});
  }
  Status s =
      rules_.PutTargets(ScopeOf(ctx), storage::RuleKey(bus, rule), records, kMaxTargetsPerRule);
  if (!s.ok()) return MapStoreError(s, rule, bus);
  return std::string(R"({"FailedEntryCount":0,"FailedEntries":[]})");
}

Result<std::string> EventsService::ListTargetsByRule(const rapidjson::Value& input,
                                                     const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(const std::string bus, BusNameOf(in, ctx));
  std::string rule = *in.Str("Rule");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, RuleArn(ctx.account, ctx.region, bus, rule)));
  ARCANA_RETURN_IF_ERROR(CheckBusExists(rules_, ctx, bus));
  const std::string key = storage::RuleKey(bus, rule);
  ARCANA_ASSIGN_OR_RETURN(auto found, rules_.GetRule(ScopeOf(ctx), key));
  if (!found) return RuleNotFound(rule, bus);
  ARCANA_ASSIGN_OR_RETURN(std::string after, DecodeToken(in));
  size_t limit = static_cast<size_t>(in.Int("Limit").value_or(kDefaultListLimit));
  ARCANA_ASSIGN_OR_RETURN(auto page, rules_.ListTargets(ScopeOf(ctx), key, after, limit + 1));
  bool more = TrimPage(page, limit);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Targets");
  w.StartArray();
  for (const auto& rec : page) {
    ARCANA_ASSIGN_OR_RETURN(ev::HttpTarget t, ev::DecodeTarget(rec.document));
    std::string wire = ev::EncodeTarget(t);  // the API's Target shape
    w.RawValue(wire.data(), wire.size(), rapidjson::kObjectType);
  }
  w.EndArray();
  if (more) json::KV(w, "NextToken", EncodeToken(page.back().id));
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> EventsService::ListRuleNamesByTarget(const rapidjson::Value& input,
                                                         const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(const std::string bus, BusNameOf(in, ctx));
  ARCANA_RETURN_IF_ERROR(Allow(ctx, "*"));
  ARCANA_RETURN_IF_ERROR(CheckBusExists(rules_, ctx, bus));
  ARCANA_ASSIGN_OR_RETURN(std::string after_name, DecodeToken(in));
  std::string after = after_name.empty() ? after_name : storage::RuleKey(bus, after_name);
  const std::string prefix = storage::RuleKey(bus, "");
  const std::string target = *in.Str("TargetArn");
  const size_t limit = static_cast<size_t>(in.Int("Limit").value_or(kDefaultListLimit));
  // A bus holds at most kMaxRulesPerBus rules of kMaxTargetsPerRule targets: read as the rule
  // cache reads them, rule by rule in name order, until one more than a page has matched.
  std::vector<std::string> names;
  for (bool more = true; more && names.size() <= limit;) {
    ARCANA_ASSIGN_OR_RETURN(auto page, rules_.ListRules(ScopeOf(ctx), prefix, after,
                                                        storage::kMaxListLimit,
                                                        bus == kDefaultBus));
    more = page.size() == storage::kMaxListLimit;
    for (const auto& r : page) {
      after = r.name;
      ARCANA_ASSIGN_OR_RETURN(auto targets,
                              rules_.ListTargets(ScopeOf(ctx), r.name, "", kMaxTargetsPerRule));
      bool hit = false;
      for (const auto& rec : targets) {
        ARCANA_ASSIGN_OR_RETURN(ev::HttpTarget t, ev::DecodeTarget(rec.document));
        hit = hit || t.url == target;
      }
      if (hit) names.push_back(storage::SplitRuleKey(r.name).name);
      if (names.size() > limit) break;
    }
  }
  bool more = TrimPage(names, limit);
  return ObjectJson([&](json::Writer& w) {
    w.Key("RuleNames");  // present when empty too
    w.StartArray();
    for (const auto& n : names) w.String(n.data(), static_cast<rapidjson::SizeType>(n.size()));
    w.EndArray();
    if (more) json::KV(w, "NextToken", EncodeToken(names.back()));
  });
}

Result<std::string> EventsService::RemoveTargets(const rapidjson::Value& input,
                                                 const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(const std::string bus, BusNameOf(in, ctx));
  std::string rule = *in.Str("Rule");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, RuleArn(ctx.account, ctx.region, bus, rule)));
  ARCANA_RETURN_IF_ERROR(CheckBusExists(rules_, ctx, bus));
  Status s = rules_.RemoveTargets(ScopeOf(ctx), storage::RuleKey(bus, rule),
                                  in.StrList("Ids").value_or(std::vector<std::string>{}));
  if (!s.ok()) return MapStoreError(s, rule, bus);
  return std::string(R"({"FailedEntryCount":0,"FailedEntries":[]})");
}

Result<std::string> EventsService::TestEventPattern(const rapidjson::Value& input,
                                                    const CallContext& ctx) {
  json::Input in(input);
  ARCANA_RETURN_IF_ERROR(Allow(ctx, "*"));
  ARCANA_ASSIGN_OR_RETURN(auto pattern, ev::EventPattern::Parse(*in.Str("EventPattern")));
  auto matched = pattern.MatchesJson(*in.Str("Event"));
  if (!matched.ok() || !HasEventEnvelope(*in.Str("Event"))) {
    return Status(ErrorCode::kValidation, "Parameter Event is not valid.");
  }
  return std::string(*matched ? R"({"Result":true})" : R"({"Result":false})");
}

Result<std::string> EventsService::PutEvents(const rapidjson::Value& input,
                                             const CallContext& ctx) {
  json::Input in(input);
  const rapidjson::Value* entries = in.Get("Entries");
  if (entries == nullptr || !entries->IsArray()) {  // the model validator requires the list
    return Status(ErrorCode::kValidation, "Entries is a required list.");
  }
  ARCANA_ASSIGN_OR_RETURN(const std::vector<std::string> existing,
                          AuthorizePutEvents(*entries, ctx));
  if (EntriesSize(*entries) > kMaxPutEventsBytes) {
    return Status(ErrorCode::kValidation,
                  "Total size of the entries in the request is over the limit.");
  }
  return ObjectJson([&](json::Writer& w) {
    int64_t failed = 0;
    w.Key("Entries");
    w.StartArray();
    auto fail = [&](const char* code, const std::string& message) {
      ++failed;
      w.StartObject();
      json::KV(w, "ErrorCode", code);
      json::KV(w, "ErrorMessage", message);
      w.EndObject();
    };
    for (const auto& entry : entries->GetArray()) {
      json::Input e(entry);
      const std::string source = e.Str("Source").value_or("");
      const std::string detail_type = e.Str("DetailType").value_or("");
      const std::optional<std::string> detail = e.Str("Detail");
      if (source.empty()) {
        fail("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.");
        continue;
      }
      if (detail_type.empty()) {
        fail("InvalidArgument",
             "Parameter DetailType is not valid. Reason: DetailType is a required argument.");
        continue;
      }
      if (!detail || detail->empty()) {
        fail("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.");
        continue;
      }
      // aws.* is AWS's own services'; arcana.* is this server's (arcana.detections alerts,
      // arcana.operator actions): a caller's event of either would be indistinguishable from
      // the real ones at a target, so such sources are reserved as AWS reserves its own.
      if (source.starts_with("aws.") || source.starts_with("arcana.")) {
        fail("NotAuthorizedForSourceException", "Not authorized for the source.");
        continue;
      }
      // An entry for an event bus that does not exist is accepted and dropped, as AWS answers it
      // (an EventId, not a failed entry: recorded by LocalStack's
      // test_put_events_nonexistent_event_bus).
      const std::optional<EntryBus> bus = EntryBusOf(e, ctx);
      const bool exists =
          bus && std::find(existing.begin(), existing.end(), bus->arn) != existing.end();
      rapidjson::Document parsed;
      // One level below the bound: the bus nests Detail in the event's envelope and parses
      // that again to match it; a deeper one would be answered an EventId and never routed.
      if (!json::ParseBounded(*detail, &parsed, json::kMaxDepth - 1).ok() || !parsed.IsObject()) {
        fail("MalformedDetail", "Detail is malformed.");
        continue;
      }
      rapidjson::StringBuffer detail_buf;
      json::Writer dw(detail_buf);
      parsed.Accept(dw);  // re-serialized: the event carries well-formed JSON only
      int64_t time_ms = ctx.now_ms;
      if (const auto* t = e.Get("Time"); t != nullptr && t->IsNumber()) {
        // An RFC 3339 time (years 0001-9999) or none: checked before the conversion, which is
        // undefined for a double beyond int64.
        const double secs = t->GetDouble();
        if (!std::isfinite(secs) || secs < kMinEventSeconds || secs > kMaxEventSeconds) {
          fail("InvalidArgument",
               "Parameter Time is not valid. Reason: Time must be between 0001-01-01T00:00:00Z "
               "and 9999-12-31T23:59:59Z.");
          continue;
        }
        time_ms = static_cast<int64_t>(secs * 1000);
      }
      ::arcana::events::Event event = ::arcana::events::MakeEvent(
          source, detail_type, ctx.account, ctx.region, time_ms,
          e.StrList("Resources").value_or(std::vector<std::string>{}), json::Finish(detail_buf));
      w.StartObject();
      json::KV(w, "EventId", event.id);
      w.EndObject();
      if (bus_ != nullptr && exists) {
        // Routed among the rules of the bus's owner; the event names its sender's account.
        event.account = bus->account;
        event.bus = bus->name;
        bus_->Publish(std::move(event));
      }
    }
    w.EndArray();
    w.Key("FailedEntryCount");
    w.Int64(failed);
  });
}

Result<std::string> EventsService::TagResource(const rapidjson::Value& input,
                                               const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(TaggedResource res, TaggedResourceOf(in, ctx, rules_));
  ARCANA_RETURN_IF_ERROR(AllowTagging(ctx, ctx.action, res.arn, in));
  ARCANA_ASSIGN_OR_RETURN(std::vector<storage::EventTagRecord> tags, TagsOf(in));
  Status s = res.is_bus ? rules_.TagBus(ScopeOf(ctx), res.name, tags, ev::kMaxTagsPerRule)
                        : rules_.TagRule(ScopeOf(ctx), storage::RuleKey(res.bus, res.name), tags,
                                         ev::kMaxTagsPerRule);
  if (!s.ok()) return MapTagStoreError(s, res);
  return EmptyObject();
}

Result<std::string> EventsService::UntagResource(const rapidjson::Value& input,
                                                 const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(TaggedResource res, TaggedResourceOf(in, ctx, rules_));
  ARCANA_RETURN_IF_ERROR(AllowTagging(ctx, ctx.action, res.arn, in));
  std::vector<std::string> keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  // AWS's own tags can be neither set nor removed by a caller.
  ARCANA_RETURN_IF_ERROR(ev::CheckTagKeysWritable({keys.begin(), keys.end()}));
  Status s = res.is_bus ? rules_.UntagBus(ScopeOf(ctx), res.name, keys)
                        : rules_.UntagRule(ScopeOf(ctx), storage::RuleKey(res.bus, res.name), keys);
  if (!s.ok()) return MapTagStoreError(s, res);
  return EmptyObject();
}

Result<std::string> EventsService::ListTagsForResource(const rapidjson::Value& input,
                                                       const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(TaggedResource res, TaggedResourceOf(in, ctx, rules_));
  ARCANA_RETURN_IF_ERROR(Allow(ctx, res.arn));
  auto tags = res.is_bus ? rules_.ListBusTags(ScopeOf(ctx), res.name)
                         : rules_.ListRuleTags(ScopeOf(ctx), storage::RuleKey(res.bus, res.name));
  if (!tags.ok()) return MapTagStoreError(tags.status(), res);
  return ObjectJson([&](json::Writer& w) {
    w.Key("Tags");  // present when empty too, as AWS answers
    w.StartArray();
    for (const auto& t : *tags) {
      w.StartObject();
      json::KV(w, "Key", t.key);
      json::KV(w, "Value", t.value);
      w.EndObject();
    }
    w.EndArray();
  });
}

Result<std::vector<std::string>> EventsService::AuthorizePutEvents(
    const rapidjson::Value& entries, const CallContext& ctx) {
  // Each bus the entries name, once, in their order: events:PutEvents on its ARN, with its
  // policy (PutPermission) as the resource policy, so another account's caller needs it.
  std::vector<std::string> seen, existing;
  for (const auto& entry : entries.GetArray()) {
    if (!entry.IsObject()) continue;
    std::optional<EntryBus> bus = EntryBusOf(json::Input(entry), ctx);
    if (!bus || std::find(seen.begin(), seen.end(), bus->arn) != seen.end()) continue;
    seen.push_back(bus->arn);
    ARCANA_ASSIGN_OR_RETURN(std::optional<std::string> found, EntryBusPolicy(rules_, ctx, *bus));
    if (found) existing.push_back(bus->arn);
    const std::string policy = found.value_or("");
    auth::AccessRequest req;
    req.action = ctx.action;
    req.resource_arn = bus->arn;
    req.resource_account = bus->account;
    if (!policy.empty()) {
      req.resource_policy = &policy;
      req.resource_policy_id = bus->arn + "/resource-policy";
    }
    ARCANA_RETURN_IF_ERROR(auth::Check(ctx, req));
  }
  // No entry names a bus that can be reached: the call is still one on the default bus.
  if (seen.empty()) ARCANA_RETURN_IF_ERROR(Allow(ctx, DefaultBusArn(ctx)));
  return existing;
}

}  // namespace arcana::services::events
