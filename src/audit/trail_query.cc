#include "audit/trail_query.h"

#include <algorithm>
#include <ctime>
#include <tuple>

#include "audit/trail_reader.h"
#include "common/json.h"

namespace arcana::audit {
namespace {

std::string Str(const rapidjson::Value& o, const char* k) {
  if (!o.IsObject()) return "";
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool EndsWith(std::string_view s, std::string_view t) {
  return s.size() >= t.size() && s.substr(s.size() - t.size()) == t;
}

bool ResourceMatches(const rapidjson::Value& rec, const TrailQuery& q) {
  auto it = rec.FindMember("resources");
  if (it == rec.MemberEnd() || !it->value.IsArray()) return false;
  for (const auto& r : it->value.GetArray()) {
    std::string arn = Str(r, "ARN"), type = Str(r, "type");
    if (!q.resource_type.empty() && type != q.resource_type) continue;
    if (q.resource_name.empty()) return true;
    const std::string& v = q.resource_name;
    if (arn == v) return true;
    // A name: the ARN's last part (key/ID, parameter/NAME, secret:NAME-XXXXXX).
    if (EndsWith(arn, v) && arn.size() > v.size()) {
      char before = arn[arn.size() - v.size() - 1];
      if (before == '/' || before == ':' || v[0] == '/') return true;
    }
    if (arn.find(":secret:" + v + "-") != std::string::npos &&
        arn.size() == arn.find(":secret:" + v + "-") + 8 + v.size() + 7) {
      return true;
    }
  }
  return false;
}

bool Matches(const rapidjson::Value& rec, const TrailQuery& q, int64_t t) {
  if (t < q.start_ms || t > q.end_ms) return false;
  if (!q.event_id.empty() && Str(rec, "eventID") != q.event_id) return false;
  if (!q.event_name.empty() && Str(rec, "eventName") != q.event_name) return false;
  if (!q.event_source.empty() && Str(rec, "eventSource") != q.event_source) return false;
  if (!q.account.empty() && Str(rec, "recipientAccountId") != q.account) return false;
  if (!q.region.empty() && Str(rec, "awsRegion") != q.region) return false;
  if (!q.read_only.empty()) {
    auto it = rec.FindMember("readOnly");
    bool ro = it != rec.MemberEnd() && it->value.IsBool() && it->value.GetBool();
    if ((q.read_only == "true") != ro) return false;
  }
  if (!q.access_key_id.empty() || !q.username.empty()) {
    auto u = rec.FindMember("userIdentity");
    if (u == rec.MemberEnd()) return false;
    if (!q.access_key_id.empty() && Str(u->value, "accessKeyId") != q.access_key_id) return false;
    if (!q.username.empty() && UsernameOf(rec) != q.username) return false;
  }
  if ((!q.resource_name.empty() || !q.resource_type.empty()) && !ResourceMatches(rec, q)) {
    return false;
  }
  return true;
}

}  // namespace

int64_t ParseIsoTime(std::string_view s) {
  std::tm tm{};
  std::string z(s);
  if (z.size() != 20 || strptime(z.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) return -1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string UsernameOf(const rapidjson::Value& rec) {
  auto u = rec.FindMember("userIdentity");
  if (u == rec.MemberEnd() || !u->value.IsObject()) return "";
  std::string name = Str(u->value, "userName");
  if (!name.empty()) return name;
  std::string type = Str(u->value, "type");
  if (type == "Root") return "root";
  std::string arn = Str(u->value, "arn");
  auto slash = arn.rfind('/');
  if (slash != std::string::npos) return arn.substr(slash + 1);
  if (type == "AWSService") return Str(u->value, "invokedBy");
  return arn;
}

Result<std::vector<TrailMatch>> SearchTrail(const std::string& dir, const TrailQuery& q,
                                            size_t limit, bool* more) {
  *more = false;
  ARCANA_ASSIGN_OR_RETURN(auto nodes, ListNodes(dir));
  std::vector<TrailMatch> all;
  auto newer = [](const TrailMatch& a, const TrailMatch& b) {
    return std::tie(a.time_ms, a.node, a.sequence) > std::tie(b.time_ms, b.node, b.sequence);
  };
  // Memory stays bounded by the page: only the limit + 1 newest matches are kept.
  auto trim = [&] {
    std::nth_element(all.begin(), all.begin() + static_cast<long>(limit), all.end(), newer);
    all.resize(limit + 1);
  };
  for (const auto& n : nodes) {
    if (q.include_node && !q.include_node(n.node)) continue;
    ARCANA_RETURN_IF_ERROR(ForEachLine(n.record_files, [&](std::string_view line,
                                                           const std::string&, size_t) {
      rapidjson::Document doc;
      if (!json::ParseBounded(line, &doc).ok() || !doc.IsObject()) return true;
      int64_t t = ParseIsoTime(Str(doc, "eventTime"));
      uint64_t seq = doc.HasMember("arcanaSequence") && doc["arcanaSequence"].IsUint64()
                         ? doc["arcanaSequence"].GetUint64()
                         : 0;
      if (q.has_cursor &&
          std::make_tuple(t, n.node, seq) >= std::make_tuple(q.cursor_ms, q.cursor_node, q.cursor_seq)) {
        return true;
      }
      if (!Matches(doc, q, t)) return true;
      all.push_back(TrailMatch{std::string(line), n.node, seq, t});
      if (all.size() >= 2 * (limit + 1) + 64) trim();
      return true;
    }));
  }
  std::sort(all.begin(), all.end(), newer);
  if (all.size() > limit) {
    *more = true;
    all.resize(limit);
  }
  return all;
}

}  // namespace arcana::audit
