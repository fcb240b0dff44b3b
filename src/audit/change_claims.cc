#include "audit/change_claims.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "audit/trail_query.h"
#include "common/arn.h"
#include "common/json.h"

namespace arcana::audit {
namespace {

const char* ResourceType(const storage::Change& c) {
  const std::string& service = c.service;
  if (service == "secretsmanager") return kSecretType;
  if (service == "kms") return kKmsKeyType;
  if (service == "ssm") return kParameterType;
  // EventBridge changes name a rule (arn:...:rule/[BUS/]NAME) or an event bus
  // (arn:...:event-bus/NAME: its creation, update, deletion or tags).
  if (service == "events") {
    auto arn = SplitArn(c.resource);
    return arn && arn->resource.starts_with("event-bus/") ? "AWS::Events::EventBus"
                                                          : "AWS::Events::Rule";
  }
  if (service == "iam" || service == "arcana") return "AWS::IAM::AccessKey";
  return "Arcana::Resource";
}

// Adds c to e's claims, and its resource to e's resources (once, up to their limit).
void AddClaim(AuditEvent& e, const storage::Change& c) {
  const bool listed = std::any_of(e.resources.begin(), e.resources.end(),
                                  [&](const Resource& r) { return r.arn == c.resource; });
  if (!listed && e.resources.size() < TouchedResources::kMax) {
    e.resources.push_back(Resource{ResourceType(c), c.resource, c.account});
  }
  e.changes.push_back(c);
}

std::string Describe(const storage::Change& c) {
  return "change " + std::to_string(c.seq) + " (" + c.kind + ", " + c.resource + ")";
}

}  // namespace

void ClaimThreadChanges(AuditEvent& e) {
  storage::CommittedChanges* c = storage::CommittedChanges::Current();
  if (c == nullptr || c->empty()) return;
  storage::CommittedChanges taken = c->Take();
  e.changes = taken.items();
  e.changes_truncated = taken.truncated();
}

std::vector<AuditEvent> UnclaimedChangeEvents(const std::string& job,
                                              const storage::CommittedChanges& changes,
                                              int64_t now_ms) {
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Key, size_t> index;
  std::vector<AuditEvent> out;
  rapidjson::StringBuffer details;
  {
    json::Writer w(details);
    w.StartObject();
    json::KV(w, "job", job);
    w.EndObject();
  }
  for (const auto& c : changes.items()) {
    Key k{c.kind, c.account, c.region, c.service};
    auto [it, fresh] = index.emplace(k, out.size());
    if (fresh) {
      std::string source = c.service == "arcana" ? std::string("arcana.internal")
                                                 : c.service + ".amazonaws.com";
      out.push_back(ServiceEvent(std::move(source), c.kind, c.account, c.region, now_ms));
      out.back().service_event_details.assign(details.GetString(), details.GetSize());
    }
    AddClaim(out[it->second], c);
  }
  if (changes.truncated() && !out.empty()) out.back().changes_truncated = true;
  return out;
}

std::vector<AuditEvent> RecoveredChangeEvents(const std::string& node,
                                              const std::vector<storage::Change>& changes,
                                              int64_t after, int64_t head, int64_t now_ms) {
  rapidjson::StringBuffer details;
  {
    json::Writer w(details);
    w.StartObject();
    json::KV(w, "node", node);
    json::KV(w, "reason", "crash");
    w.Key("changesAfter");
    w.Int64(after);
    w.Key("storeHeadAtStart");
    w.Int64(head);
    w.EndObject();
  }
  std::map<std::pair<std::string, std::string>, size_t> open;  // (account, region) -> event
  std::vector<AuditEvent> out;
  for (const auto& c : changes) {
    auto it = open.find({c.account, c.region});
    if (it == open.end() || out[it->second].changes.size() >= storage::CommittedChanges::kMax) {
      out.push_back(ServiceEvent("arcana.internal", "RecoverUnrecordedChanges", c.account,
                                 c.region, now_ms));
      out.back().service_event_details.assign(details.GetString(), details.GetSize());
      it = open.insert_or_assign({c.account, c.region}, out.size() - 1).first;
    }
    AddClaim(out[it->second], c);
  }
  return out;
}

bool ParseRecordClaims(std::string_view line, std::string where, RecordClaims* out) {
  rapidjson::Document d;
  if (!json::ParseBounded(line, &d).ok() || !d.IsObject()) return false;
  auto t = d.FindMember("eventTime");
  if (t == d.MemberEnd() || !t->value.IsString()) return false;
  *out = RecordClaims{};
  out->time_ms = ParseIsoTime(t->value.GetString());
  std::string name, id;
  if (auto n = d.FindMember("eventName"); n != d.MemberEnd() && n->value.IsString())
    name = n->value.GetString();
  if (auto n = d.FindMember("eventID"); n != d.MemberEnd() && n->value.IsString())
    id = n->value.GetString();
  out->where = std::move(where) + " (" + name + ", eventID " + id + ")";
  auto a = d.FindMember("additionalEventData");
  if (a == d.MemberEnd() || !a->value.IsObject()) return true;
  auto seqs = a->value.FindMember("changeSequence");
  auto described = a->value.FindMember("changes");
  if (seqs == a->value.MemberEnd() || !seqs->value.IsArray()) return true;
  const rapidjson::Value* desc =
      described != a->value.MemberEnd() && described->value.IsArray() ? &described->value
                                                                      : nullptr;
  for (rapidjson::SizeType i = 0; i < seqs->value.Size(); ++i) {
    storage::Change c;
    if (seqs->value[i].IsInt64()) c.seq = seqs->value[i].GetInt64();
    if (desc != nullptr && i < desc->Size() && (*desc)[i].IsObject()) {
      const auto& o = (*desc)[i];
      if (auto k = o.FindMember("kind"); k != o.MemberEnd() && k->value.IsString())
        c.kind = k->value.GetString();
      if (auto r = o.FindMember("resource"); r != o.MemberEnd() && r->value.IsString())
        c.resource = r->value.GetString();
    }
    out->claims.push_back(std::move(c));
  }
  if (auto tr = a->value.FindMember("changeSequenceTruncated");
      tr != a->value.MemberEnd() && tr->value.IsBool()) {
    out->truncated = tr->value.GetBool();
  }
  return true;
}

CrossCheckResult CrossCheck(const std::vector<RecordClaims>& records,
                            const std::vector<storage::Change>& changes, bool complete,
                            int64_t span_floor_ms, int64_t head_seq) {
  CrossCheckResult res;
  std::unordered_map<int64_t, const storage::Change*> by_seq;
  by_seq.reserve(changes.size());
  for (const auto& c : changes) by_seq.emplace(c.seq, &c);
  const int64_t oldest = changes.empty() ? 0 : changes.front().seq;
  // A restore from a backup (storage/store_backup.h) took back the changes numbered between
  // the retained change before it and its own: (from, to) open intervals.
  std::vector<std::pair<int64_t, int64_t>> undone;
  for (size_t i = 0; i < changes.size(); ++i) {
    if (changes[i].IsStoreRestore()) {
      undone.emplace_back(i == 0 ? oldest - 1 : changes[i - 1].seq, changes[i].seq);
    }
  }
  auto undone_by_restore = [&](int64_t seq) {
    return std::any_of(undone.begin(), undone.end(),
                       [seq](const auto& gap) { return gap.first < seq && seq < gap.second; });
  };
  std::unordered_map<int64_t, const RecordClaims*> claimed_by;
  int64_t span_from = INT64_MAX, span_to = INT64_MIN;
  for (const auto& r : records) {
    if (r.time_ms >= 0) {
      span_from = std::min(span_from, r.time_ms);
      span_to = std::max(span_to, r.time_ms);
    }
    for (const auto& claim : r.claims) {
      auto [it, first] = claimed_by.emplace(claim.seq, &r);
      if (!first) {
        res.problems.push_back("change " + std::to_string(claim.seq) + " is claimed by two records: " +
                               it->second->where + " and " + r.where);
        continue;
      }
      auto found = by_seq.find(claim.seq);
      if (found == by_seq.end()) {
        if (claim.seq < oldest) {
          ++res.claims_trimmed;  // older than the retained log (change_log.h, TrimChanges)
          continue;
        }
        if (undone_by_restore(claim.seq)) {
          ++res.claims_undone;
          continue;
        }
        res.problems.push_back("record " + r.where + " claims " + Describe(claim) +
                               ", which the store's change log does not hold");
        continue;
      }
      const storage::Change& c = *found->second;
      if (c.kind != claim.kind || c.resource != claim.resource) {
        res.problems.push_back("record " + r.where + " claims " + Describe(claim) +
                               " but the store's is " + Describe(c));
        continue;
      }
      ++res.claims_checked;
    }
  }
  if (!complete || span_to == INT64_MIN) return res;  // no record: no span
  span_from = std::max(span_from, span_floor_ms);
  if (head_seq < 0 && span_from > span_to) return res;
  // eventTime has second precision: the span runs to the end of the newest record's second.
  const int64_t to = span_to + 999;
  for (const auto& c : changes) {
    if (c.at_ms < span_from) continue;
    if (head_seq >= 0 ? c.seq > head_seq : c.at_ms > to) continue;
    ++res.changes_checked;
    if (claimed_by.count(c.seq) == 0) res.problems.push_back(Describe(c) + " has no audit record");
  }
  return res;
}

}  // namespace arcana::audit
