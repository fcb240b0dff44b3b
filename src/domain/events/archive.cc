#include "domain/events/archive.h"

#include <rapidjson/document.h>

#include "common/json.h"

namespace arcana::domain::events {
namespace {

Status NotOurs(const char* what) {
  return Status(ErrorCode::kInternalServiceError, std::string("stored ") + what + " is unreadable");
}

}  // namespace

std::string EncodeArchive(const Archive& a) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "name", a.name);
  json::KV(w, "arn", a.arn);
  json::KV(w, "source", a.source_arn);
  json::KV(w, "bus", a.bus);
  json::KV(w, "description", a.description);
  json::KV(w, "pattern", a.event_pattern);
  w.Key("retentionDays");
  w.Int64(a.retention_days);
  json::KV(w, "state", a.state);
  w.Key("created");
  w.Int64(a.created_ms);
  w.EndObject();
  return json::Finish(buf);
}

Result<Archive> DecodeArchive(const std::string& document) {
  rapidjson::Document d;
  if (!json::ParseBounded(document, &d).ok() || !d.IsObject()) return NotOurs("archive");
  Archive a;
  a.name = json::StrField(d, "name");
  a.arn = json::StrField(d, "arn");
  a.source_arn = json::StrField(d, "source");
  a.bus = json::StrField(d, "bus");
  a.description = json::StrField(d, "description");
  a.event_pattern = json::StrField(d, "pattern");
  a.retention_days = json::IntField(d, "retentionDays");
  a.state = json::StrField(d, "state");
  a.created_ms = json::IntField(d, "created");
  if (a.name.empty() || a.arn.empty()) return NotOurs("archive");
  return a;
}

std::string EncodeReplay(const Replay& r) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "name", r.name);
  json::KV(w, "arn", r.arn);
  json::KV(w, "description", r.description);
  json::KV(w, "state", r.state);
  json::KV(w, "stateReason", r.state_reason);
  json::KV(w, "source", r.source_arn);
  json::KV(w, "archive", r.archive);
  json::KV(w, "destination", r.destination_arn);
  json::KV(w, "destinationBus", r.destination_bus);
  w.Key("filterArns");
  json::WriteStringList(w, r.filter_arns);
  w.Key("eventStart");
  w.Int64(r.event_start_ms);
  w.Key("eventEnd");
  w.Int64(r.event_end_ms);
  if (r.last_replayed_ms) {
    w.Key("lastReplayed");
    w.Int64(*r.last_replayed_ms);
  }
  w.Key("replayStart");
  w.Int64(r.replay_start_ms);
  if (r.replay_end_ms) {
    w.Key("replayEnd");
    w.Int64(*r.replay_end_ms);
  }
  w.Key("progress");
  w.Int64(r.progress_seq);
  w.EndObject();
  return json::Finish(buf);
}

Result<Replay> DecodeReplay(const std::string& document) {
  rapidjson::Document d;
  if (!json::ParseBounded(document, &d).ok() || !d.IsObject()) return NotOurs("replay");
  Replay r;
  r.name = json::StrField(d, "name");
  r.arn = json::StrField(d, "arn");
  r.description = json::StrField(d, "description");
  r.state = json::StrField(d, "state");
  r.state_reason = json::StrField(d, "stateReason");
  r.source_arn = json::StrField(d, "source");
  r.archive = json::StrField(d, "archive");
  r.destination_arn = json::StrField(d, "destination");
  r.destination_bus = json::StrField(d, "destinationBus");
  if (auto it = d.FindMember("filterArns"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& v : it->value.GetArray()) {
      if (v.IsString()) r.filter_arns.emplace_back(v.GetString(), v.GetStringLength());
    }
  }
  r.event_start_ms = json::IntField(d, "eventStart");
  r.event_end_ms = json::IntField(d, "eventEnd");
  r.last_replayed_ms = json::OptIntField(d, "lastReplayed");
  r.replay_start_ms = json::IntField(d, "replayStart");
  r.replay_end_ms = json::OptIntField(d, "replayEnd");
  r.progress_seq = json::IntField(d, "progress");
  if (r.name.empty() || r.arn.empty()) return NotOurs("replay");
  return r;
}

bool ReplayEnded(const Replay& r) {
  return r.state == "COMPLETED" || r.state == "CANCELLED" || r.state == "FAILED";
}

std::optional<std::string> ReplayedEventJson(const std::string& event_json,
                                             const std::string& replay) {
  rapidjson::Document d;
  if (!json::ParseBounded(event_json, &d).ok() || !d.IsObject()) return std::nullopt;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  bool written = false;
  for (const auto& m : d.GetObject()) {
    if (std::string_view(m.name.GetString(), m.name.GetStringLength()) == "replay-name") continue;
    m.name.Accept(w);
    m.value.Accept(w);
    if (!written && std::string_view(m.name.GetString(), m.name.GetStringLength()) == "region") {
      json::KV(w, "replay-name", replay);
      written = true;
    }
  }
  if (!written) json::KV(w, "replay-name", replay);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::domain::events
