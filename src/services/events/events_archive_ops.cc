// EventBridge archives and replays (events_service.h): CreateArchive, DescribeArchive,
// ListArchives, UpdateArchive, DeleteArchive, StartReplay, DescribeReplay, ListReplays,
// CancelReplay, in the shapes and words recorded on AWS (LocalStack's AWS-validated
// test_archive_and_replay snapshot; the ListArchives/ListReplays filter rule as moto words it).
// What an archive keeps is routed by events/event_bus.h; a replay runs as a leased job
// (events/replays.h).
#include <cmath>

#include "common/json.h"
#include "domain/events/archive.h"
#include "domain/events/event_pattern.h"
#include "domain/events/target.h"
#include "events/replays.h"
#include "services/events/events_common.h"
#include "services/events/events_service.h"

namespace arcana::services::events {
namespace {

namespace ev = domain::events;

// RetentionDays (absent: fallback), within the model's 32-bit "integer" (the model validator
// checks its min, 0; the type's range is checked here), answered in the validator's words.
Result<int64_t> RetentionDaysOf(const json::Input& in, int64_t fallback) {
  const rapidjson::Value* v = in.Get("RetentionDays");
  if (v == nullptr || v->IsNull()) return fallback;
  // A number past int64 (a uint64, or a double json::Input::Int would cast) is over too.
  if (!v->IsInt64() || v->GetInt64() > ev::kMaxRetentionDays) {
    const std::string shown = v->IsInt64()    ? std::to_string(v->GetInt64())
                              : v->IsUint64() ? std::to_string(v->GetUint64())
                                              : "";
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value " + (shown.empty() ? "" : "'" + shown + "' ") +
                      "at 'retentionDays' failed to satisfy constraint: Member must have "
                      "value less than or equal to " + std::to_string(ev::kMaxRetentionDays));
  }
  return v->GetInt64();
}

std::string EventsArnOf(const CallContext& ctx, const char* type, const std::string& name) {
  return "arn:aws:events:" + ctx.region + ":" + ctx.account + ":" + type + "/" + name;
}

Status ArchiveNotFound(const std::string& name) {
  return Status(ErrorCode::kEventsResourceNotFound, "Archive " + name + " does not exist.");
}

Status ReplayNotFound(const std::string& name) {
  return Status(ErrorCode::kEventsResourceNotFound, "Replay " + name + " does not exist.");
}

// The name of a bus an ARN member (EventSourceArn, Destination.Arn) names, when it is a bus
// of the caller's account and region; a bus elsewhere is one that does not exist here.
Result<std::string> BusNamedBy(const std::string& arn, const char* member) {
  auto bus = ev::ParseBusTargetArn(arn);
  if (!bus) {
    return Status(ErrorCode::kValidation, std::string("Parameter ") + member +
                                              " is not valid. Reason: Provided Arn is not in "
                                              "correct format.");
  }
  return bus->name;
}

Status CheckBusOfArn(storage::EventRuleStore& store, const CallContext& ctx,
                     const std::string& arn, const char* member, std::string* bus_name) {
  ARCANA_ASSIGN_OR_RETURN(*bus_name, BusNamedBy(arn, member));
  auto bus = ev::ParseBusTargetArn(arn);
  if (bus->account != ctx.account || bus->region != ctx.region) return BusNotFound(*bus_name);
  return CheckBusExists(store, ctx, *bus_name);
}

// A Timestamp member (epoch seconds) in ms; nullopt when absent or out of range.
std::optional<int64_t> TimestampMs(const json::Input& in, const char* member) {
  const rapidjson::Value* v = in.Get(member);
  if (v == nullptr || !v->IsNumber()) return std::nullopt;
  const double secs = v->GetDouble();
  if (!std::isfinite(secs) || secs < -62135596800.0 || secs > 253402300799.0) return std::nullopt;
  return static_cast<int64_t>(secs * 1000);
}

// "At most one filter": AWS's rule for ListArchives and ListReplays (as moto words it).
Status AtMostOneFilter(const json::Input& in, const char* op) {
  const int filters = in.Has("NamePrefix") + in.Has("EventSourceArn") + in.Has("State");
  if (filters <= 1) return Status::Ok();
  return Status(ErrorCode::kValidation, std::string("At most one filter is allowed for ") + op +
                                            ". Use either : State, EventSourceArn, or "
                                            "NamePrefix.");
}

void WriteArchiveHead(json::Writer& w, const ev::Archive& a) {
  json::KV(w, "ArchiveArn", a.arn);
  json::KV(w, "State", a.state);
  w.Key("CreationTime");
  json::WriteTimestamp(w, a.created_ms);
}

// The members ListArchives and DescribeArchive share.
void WriteArchiveCounts(json::Writer& w, const ev::Archive& a, const storage::ArchiveStats& s) {
  json::KV(w, "EventSourceArn", a.source_arn);
  json::KV(w, "State", a.state);
  w.Key("RetentionDays");
  w.Int64(a.retention_days);
  w.Key("SizeBytes");
  w.Int64(s.size_bytes);
  w.Key("EventCount");
  w.Int64(s.event_count);
  w.Key("CreationTime");
  json::WriteTimestamp(w, a.created_ms);
}

// The members ListReplays and DescribeReplay share.
void WriteReplayTimes(json::Writer& w, const ev::Replay& r, const std::string& state) {
  json::KV(w, "EventSourceArn", r.source_arn);
  json::KV(w, "State", state);
  if (!r.state_reason.empty()) json::KV(w, "StateReason", r.state_reason);
  w.Key("EventStartTime");
  json::WriteTimestamp(w, r.event_start_ms);
  w.Key("EventEndTime");
  json::WriteTimestamp(w, r.event_end_ms);
  if (r.last_replayed_ms) {
    w.Key("EventLastReplayedTime");
    json::WriteTimestamp(w, *r.last_replayed_ms);
  }
  w.Key("ReplayStartTime");
  json::WriteTimestamp(w, r.replay_start_ms);
  if (r.replay_end_ms) {
    w.Key("ReplayEndTime");
    json::WriteTimestamp(w, *r.replay_end_ms);
  }
}

}  // namespace

Result<ev::Archive> EventsService::ArchiveOf(const CallContext& ctx, const std::string& name) {
  ARCANA_ASSIGN_OR_RETURN(auto doc, rules_.GetEventDoc(ScopeOf(ctx), storage::kArchiveDoc, name));
  if (!doc) return ArchiveNotFound(name);
  return ev::DecodeArchive(*doc);
}

Result<std::string> EventsService::ReplayState(const CallContext& ctx, const ev::Replay& r) {
  if (ev::ReplayEnded(r)) return r.state;
  ARCANA_ASSIGN_OR_RETURN(auto cancel,
                          rules_.GetEventDoc(ScopeOf(ctx), storage::kReplayCancelDoc, r.name));
  return cancel ? std::string("CANCELLING") : r.state;
}

Result<std::optional<ev::Replay>> EventsService::ReplayOf(const CallContext& ctx,
                                                         const std::string& name,
                                                         std::string* state) {
  ARCANA_ASSIGN_OR_RETURN(auto doc, rules_.GetEventDoc(ScopeOf(ctx), storage::kReplayDoc, name));
  if (!doc) return std::optional<ev::Replay>();
  ARCANA_ASSIGN_OR_RETURN(ev::Replay r, ev::DecodeReplay(*doc));
  ARCANA_ASSIGN_OR_RETURN(*state, ReplayState(ctx, r));
  return std::optional<ev::Replay>(std::move(r));
}

Result<std::string> EventsService::CreateArchive(const rapidjson::Value& input,
                                                 const CallContext& ctx) {
  json::Input in(input);
  const std::string name = *in.Str("ArchiveName");
  ev::Archive a;
  a.name = name;
  a.arn = EventsArnOf(ctx, "archive", name);
  ARCANA_RETURN_IF_ERROR(Allow(ctx, a.arn));
  if (in.Has("KmsKeyIdentifier")) {
    return Status(ErrorCode::kValidation,
                  "Parameter KmsKeyIdentifier is not supported by this server.");
  }
  a.source_arn = *in.Str("EventSourceArn");
  ARCANA_RETURN_IF_ERROR(CheckBusOfArn(rules_, ctx, a.source_arn, "EventSourceArn", &a.bus));
  if (auto pattern = in.Str("EventPattern")) {
    ARCANA_RETURN_IF_ERROR(ev::EventPattern::Parse(*pattern).status());
    a.event_pattern = *pattern;
  }
  a.description = in.Str("Description").value_or("");
  ARCANA_ASSIGN_OR_RETURN(a.retention_days, RetentionDaysOf(in, 0));
  a.created_ms = ctx.now_ms;
  Status s = rules_.CreateEventDoc(ScopeOf(ctx), storage::kArchiveDoc, name, a.arn,
                                   ev::EncodeArchive(a), "CreateArchive");
  if (s.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kEventsResourceAlreadyExists, "Archive " + name + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(s);
  return ObjectJson([&](json::Writer& w) {
    WriteArchiveHead(w, a);
  });
}

Result<std::string> EventsService::DescribeArchive(const rapidjson::Value& input,
                                                   const CallContext& ctx) {
  json::Input in(input);
  const std::string name = *in.Str("ArchiveName");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, EventsArnOf(ctx, "archive", name)));
  ARCANA_ASSIGN_OR_RETURN(ev::Archive a, ArchiveOf(ctx, name));
  ARCANA_ASSIGN_OR_RETURN(auto stats, rules_.ArchiveStatsOf(ScopeOf(ctx), name));
  return ObjectJson([&](json::Writer& w) {
    json::KV(w, "ArchiveArn", a.arn);
    json::KV(w, "ArchiveName", a.name);
    if (!a.description.empty()) json::KV(w, "Description", a.description);
    if (!a.event_pattern.empty()) json::KV(w, "EventPattern", a.event_pattern);
    WriteArchiveCounts(w, a, stats);
  });
}

Result<std::string> EventsService::ListArchives(const rapidjson::Value& input,
                                                const CallContext& ctx) {
  json::Input in(input);
  ARCANA_RETURN_IF_ERROR(Allow(ctx, "*"));
  ARCANA_RETURN_IF_ERROR(AtMostOneFilter(in, "ListArchives"));
  const auto source = in.Str("EventSourceArn");
  if (source) {
    std::string bus;
    ARCANA_RETURN_IF_ERROR(CheckBusOfArn(rules_, ctx, *source, "EventSourceArn", &bus));
  }
  const auto state = in.Str("State");
  ARCANA_ASSIGN_OR_RETURN(std::string after, DecodeToken(in));
  const size_t limit = static_cast<size_t>(in.Int("Limit").value_or(kDefaultListLimit));
  const std::string prefix = in.Str("NamePrefix").value_or("");
  // Filters other than the prefix are applied to the pages read, until a page is full.
  std::vector<ev::Archive> out;
  bool more = false;
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto page, rules_.ListEventDocs(ScopeOf(ctx), storage::kArchiveDoc,
                                                            prefix, after, limit + 1));
    for (const auto& [name, document] : page) {
      after = name;
      ARCANA_ASSIGN_OR_RETURN(ev::Archive a, ev::DecodeArchive(document));
      if ((source && a.source_arn != *source) || (state && a.state != *state)) continue;
      if (out.size() == limit) {
        more = true;
        break;
      }
      out.push_back(std::move(a));
    }
    if (more || page.size() < limit + 1) break;
  }
  // The page's counts in one read.
  std::vector<std::string> names;
  for (const auto& a : out) names.push_back(a.name);
  ARCANA_ASSIGN_OR_RETURN(auto stats, rules_.ArchiveStatsOf(ScopeOf(ctx), names));
  return ObjectJson([&](json::Writer& w) {
    w.Key("Archives");
    w.StartArray();
    for (const auto& a : out) {
      w.StartObject();
      json::KV(w, "ArchiveName", a.name);
      auto it = stats.find(a.name);
      WriteArchiveCounts(w, a, it == stats.end() ? storage::ArchiveStats{} : it->second);
      w.EndObject();
    }
    w.EndArray();
    if (more) json::KV(w, "NextToken", EncodeToken(out.back().name));
  });
}

Result<std::string> EventsService::UpdateArchive(const rapidjson::Value& input,
                                                 const CallContext& ctx) {
  json::Input in(input);
  const std::string name = *in.Str("ArchiveName");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, EventsArnOf(ctx, "archive", name)));
  if (in.Has("KmsKeyIdentifier")) {
    return Status(ErrorCode::kValidation,
                  "Parameter KmsKeyIdentifier is not supported by this server.");
  }
  // (For an archive that does not exist AWS was recorded answering InternalException after
  // its retries, a fault of its own; this server answers as DescribeArchive does.)
  ARCANA_ASSIGN_OR_RETURN(ev::Archive a, ArchiveOf(ctx, name));
  if (auto pattern = in.Str("EventPattern")) {
    ARCANA_RETURN_IF_ERROR(ev::EventPattern::Parse(*pattern).status());
    a.event_pattern = *pattern;
  }
  if (auto description = in.Str("Description")) a.description = *description;
  ARCANA_ASSIGN_OR_RETURN(const int64_t retention, RetentionDaysOf(in, a.retention_days));
  const bool retention_changed = retention != a.retention_days;
  a.retention_days = retention;
  Status s = rules_.UpdateEventDoc(ScopeOf(ctx), storage::kArchiveDoc, name,
                                   ev::EncodeArchive(a), "UpdateArchive");
  if (s.code() == ErrorCode::kResourceNotFound) return ArchiveNotFound(name);  // deleted since
  ARCANA_RETURN_IF_ERROR(s);
  if (retention_changed) {
    ARCANA_RETURN_IF_ERROR(
        rules_.SetArchiveRetention(ScopeOf(ctx), name, ev::RetentionMs(retention)));
  }
  return ObjectJson([&](json::Writer& w) {
    WriteArchiveHead(w, a);
  });
}

Result<std::string> EventsService::DeleteArchive(const rapidjson::Value& input,
                                                 const CallContext& ctx) {
  json::Input in(input);
  const std::string name = *in.Str("ArchiveName");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, EventsArnOf(ctx, "archive", name)));
  Status s = rules_.DeleteEventDoc(ScopeOf(ctx), storage::kArchiveDoc, name, "DeleteArchive");
  if (s.code() == ErrorCode::kResourceNotFound) return ArchiveNotFound(name);
  ARCANA_RETURN_IF_ERROR(s);
  return EmptyObject();
}

Result<std::string> EventsService::StartReplay(const rapidjson::Value& input,
                                               const CallContext& ctx) {
  json::Input in(input);
  ev::Replay r;
  r.name = *in.Str("ReplayName");
  r.arn = EventsArnOf(ctx, "replay", r.name);
  r.source_arn = *in.Str("EventSourceArn");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, r.source_arn));
  if (jobs_ == nullptr) {
    return Status(ErrorCode::kValidation, "Replays are not supported by this server.");
  }
  // The archive: one of the caller's account and region, by its ARN.
  const std::string archive_prefix = EventsArnOf(ctx, "archive", "");
  r.archive = r.source_arn.starts_with(archive_prefix)
                  ? r.source_arn.substr(archive_prefix.size())
                  : r.source_arn.substr(r.source_arn.rfind('/') + 1);
  auto archive = ArchiveOf(ctx, r.archive);
  if (!r.source_arn.starts_with(archive_prefix) ||
      (!archive.ok() && archive.status().code() == ErrorCode::kEventsResourceNotFound)) {
    return Status(ErrorCode::kValidation, "Parameter EventSourceArn is not valid. Reason: Archive " +
                                              r.archive + " does not exist.");
  }
  ARCANA_RETURN_IF_ERROR(archive.status());
  auto start = TimestampMs(in, "EventStartTime");
  auto end = TimestampMs(in, "EventEndTime");
  if (!start || !end || *end <= *start) {
    return Status(ErrorCode::kValidation,
                  "Parameter EventEndTime is not valid. Reason: EventStartTime must be before "
                  "EventEndTime.");
  }
  r.event_start_ms = *start;
  r.event_end_ms = *end;
  const rapidjson::Value& destination = *in.Get("Destination");
  json::Input dest(destination);
  r.destination_arn = *dest.Str("Arn");
  ARCANA_RETURN_IF_ERROR(
      CheckBusOfArn(rules_, ctx, r.destination_arn, "Destination.Arn", &r.destination_bus));
  if (r.destination_bus != archive->bus) {
    return Status(ErrorCode::kValidation,
                  "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not "
                  "permitted.");
  }
  r.filter_arns = dest.StrList("FilterArns").value_or(std::vector<std::string>{});
  r.description = in.Str("Description").value_or("");
  r.state = "STARTING";
  r.replay_start_ms = ctx.now_ms;
  const storage::Scope scope = ScopeOf(ctx);
  const std::string job = ::arcana::events::ReplayJobName(ctx.account, ctx.region, r.name);
  // The job first, a little later (a crash before the replay's write leaves a job that finds
  // nothing and ends); then the replay; then the job due now.
  ARCANA_RETURN_IF_ERROR(jobs_->ScheduleJob(job, ctx.now_ms + 5000, "", true));
  Status s = rules_.CreateEventDoc(scope, storage::kReplayDoc, r.name, r.arn, ev::EncodeReplay(r),
                                   "StartReplay");
  if (s.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kEventsResourceAlreadyExists, "Replay " + r.name + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(s);
  ARCANA_RETURN_IF_ERROR(jobs_->ScheduleJob(job, ctx.now_ms, "", true));
  if (wake_) wake_();
  return ObjectJson([&](json::Writer& w) {
    json::KV(w, "ReplayArn", r.arn);
    json::KV(w, "State", r.state);
    w.Key("ReplayStartTime");
    json::WriteTimestamp(w, r.replay_start_ms);
  });
}

Result<std::string> EventsService::DescribeReplay(const rapidjson::Value& input,
                                                  const CallContext& ctx) {
  json::Input in(input);
  const std::string name = *in.Str("ReplayName");
  ARCANA_RETURN_IF_ERROR(Allow(ctx, EventsArnOf(ctx, "replay", name)));
  std::string state;
  ARCANA_ASSIGN_OR_RETURN(auto r, ReplayOf(ctx, name, &state));
  if (!r) return ReplayNotFound(name);
  return ObjectJson([&](json::Writer& w) {
    json::KV(w, "ReplayName", r->name);
    json::KV(w, "ReplayArn", r->arn);
    if (!r->description.empty()) json::KV(w, "Description", r->description);
    w.Key("Destination");
    w.StartObject();
    json::KV(w, "Arn", r->destination_arn);
    if (!r->filter_arns.empty()) {
      w.Key("FilterArns");
      json::WriteStringList(w, r->filter_arns);
    }
    w.EndObject();
    WriteReplayTimes(w, *r, state);
  });
}

Result<std::string> EventsService::ListReplays(const rapidjson::Value& input,
                                               const CallContext& ctx) {
  json::Input in(input);
  ARCANA_RETURN_IF_ERROR(Allow(ctx, "*"));
  ARCANA_RETURN_IF_ERROR(AtMostOneFilter(in, "ListReplays"));
  const auto source = in.Str("EventSourceArn");
  const auto state_filter = in.Str("State");
  ARCANA_ASSIGN_OR_RETURN(std::string after, DecodeToken(in));
  const size_t limit = static_cast<size_t>(in.Int("Limit").value_or(kDefaultListLimit));
  const std::string prefix = in.Str("NamePrefix").value_or("");
  std::vector<std::pair<ev::Replay, std::string>> out;  // with its state as answered
  bool more = false;
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto page, rules_.ListEventDocs(ScopeOf(ctx), storage::kReplayDoc,
                                                            prefix, after, limit + 1));
    for (const auto& [name, document] : page) {
      after = name;
      ARCANA_ASSIGN_OR_RETURN(ev::Replay r, ev::DecodeReplay(document));
      ARCANA_ASSIGN_OR_RETURN(std::string state, ReplayState(ctx, r));
      if ((source && r.source_arn != *source) || (state_filter && state != *state_filter)) {
        continue;
      }
      if (out.size() == limit) {
        more = true;
        break;
      }
      out.emplace_back(std::move(r), state);
    }
    if (more || page.size() < limit + 1) break;
  }
  return ObjectJson([&](json::Writer& w) {
    w.Key("Replays");
    w.StartArray();
    for (const auto& [r, state] : out) {
      w.StartObject();
      json::KV(w, "ReplayName", r.name);
      WriteReplayTimes(w, r, state);
      w.EndObject();
    }
    w.EndArray();
    if (more) json::KV(w, "NextToken", EncodeToken(out.back().first.name));
  });
}

Result<std::string> EventsService::CancelReplay(const rapidjson::Value& input,
                                                const CallContext& ctx) {
  json::Input in(input);
  const std::string name = *in.Str("ReplayName");
  const std::string arn = EventsArnOf(ctx, "replay", name);
  ARCANA_RETURN_IF_ERROR(Allow(ctx, arn));
  std::string state;
  ARCANA_ASSIGN_OR_RETURN(auto r, ReplayOf(ctx, name, &state));
  if (!r) return ReplayNotFound(name);
  if (state != "STARTING" && state != "RUNNING") {
    return Status(ErrorCode::kIllegalStatus,
                  "Replay " + name + " is not in a valid state for this operation.");
  }
  Status s = rules_.CreateEventDoc(ScopeOf(ctx), storage::kReplayCancelDoc, name, arn, "{}",
                                   "CancelReplay");
  if (!s.ok() && s.code() != ErrorCode::kResourceExists) return s;
  if (jobs_ != nullptr) {
    // Its runner stops after the page it is on; a replay not yet started is cancelled now.
    ARCANA_RETURN_IF_ERROR(jobs_->ScheduleJob(
        ::arcana::events::ReplayJobName(ctx.account, ctx.region, name), ctx.now_ms, "", true));
    if (wake_) wake_();
  }
  return ObjectJson([&](json::Writer& w) {
    json::KV(w, "ReplayArn", arn);
    json::KV(w, "State", "CANCELLING");
  });
}

}  // namespace arcana::services::events
