#include "audit/trail_query.h"

#include <sys/stat.h>

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <ctime>
#include <tuple>

#include "audit/lookup_keys.h"
#include "audit/trail_reader.h"
#include "common/json.h"

namespace arcana::audit {
namespace {

std::string Str(const rapidjson::Value& o, const char* k) {
  if (!o.IsObject()) return "";
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool ResourceMatches(const rapidjson::Value& rec, const TrailQuery& q) {
  auto it = rec.FindMember("resources");
  if (it == rec.MemberEnd() || !it->value.IsArray()) return false;
  for (const auto& r : it->value.GetArray()) {
    if (!q.resource_type.empty() && Str(r, "type") != q.resource_type) continue;
    if (q.resource_name.empty()) return true;
    const auto keys = ResourceNameKeys(Str(r, "ARN"));
    if (std::binary_search(keys.begin(), keys.end(), q.resource_name)) return true;
  }
  return false;
}

}  // namespace

bool RecordMatches(const rapidjson::Value& rec, const TrailQuery& q, int64_t t) {
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

namespace {

// A value the record's JSON text holds verbatim when the record matches it: printable ASCII
// without '"' or '\\' (the writer escapes neither '/' nor anything else such a value has).
bool Verbatim(const std::string& v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

// The values a matching record's line must contain (a cheap test before parsing it). The
// username is not among them: "root" and a service's name are derived, not written.
std::vector<std::string> NeededSubstrings(const TrailQuery& q) {
  std::vector<std::string> out;
  for (const std::string* v : {&q.event_id, &q.event_name, &q.event_source, &q.resource_name,
                               &q.access_key_id, &q.account, &q.region}) {
    if (Verbatim(*v)) out.push_back(*v);
  }
  return out;
}

// The latest eventTime of each record file read whole, by path, while the file keeps the size
// and modification time it had when that read began (a file appended to since is read again;
// the rotated files never change). It lets a search skip the older files of a node without
// reading them. Process-wide: the files are this node's, read by every search of its dir.
class LatestTimes {
 public:
  struct Stamp {
    int64_t size = -1;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  static Stamp StampOf(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return {};
    return {static_cast<int64_t>(st.st_size),
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  }
  // -1: not known for the file as it is now.
  int64_t Get(const std::string& path, const Stamp& now) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = known_.find(path);
    return it != known_.end() && it->second.first == now ? it->second.second : -1;
  }
  void Put(const std::string& path, const Stamp& stamp, int64_t latest_ms) {
    if (stamp.size < 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (known_.size() >= kMaxFiles) known_.clear();  // far more files than any trail keeps
    known_[path] = {stamp, latest_ms};
  }

 private:
  static constexpr size_t kMaxFiles = 100000;
  std::mutex mu_;
  std::map<std::string, std::pair<Stamp, int64_t>> known_;
};

LatestTimes& KnownLatestTimes() {
  static LatestTimes* times = new LatestTimes();  // never destroyed: used until exit
  return *times;
}

// For each of a node's record files (oldest first), the latest eventTime known of it and of
// every older file, -1 once one of them is not known; *stamps: each file's stamp now, taken
// before it is read.
std::vector<int64_t> LatestThrough(const std::vector<std::string>& files,
                                   std::vector<LatestTimes::Stamp>* stamps) {
  stamps->resize(files.size());
  std::vector<int64_t> latest(files.size());
  int64_t running = -1;
  bool unknown = false;
  for (size_t i = 0; i < files.size(); ++i) {
    (*stamps)[i] = LatestTimes::StampOf(files[i]);
    const int64_t t = KnownLatestTimes().Get(files[i], (*stamps)[i]);
    unknown = unknown || t < 0;
    running = std::max(running, t);
    latest[i] = unknown ? -1 : running;
  }
  return latest;
}

// A record line's eventTime without parsing the line (-1 when it has none).
int64_t EventTimeOf(std::string_view line) {
  constexpr std::string_view kKey = "\"eventTime\":\"";
  const size_t at = line.find(kKey);
  if (at == std::string_view::npos || at + kKey.size() + 20 > line.size()) return -1;
  return ParseIsoTime(line.substr(at + kKey.size(), 20));
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
  const std::vector<std::string> needed = NeededSubstrings(q);
  // Whether records no later than `latest_ms` can still make the page: not once limit + 1
  // matches later than it are held (`all` keeps at least the limit + 1 newest matches of the
  // files read, each file being read whole).
  auto may_still_match = [&](int64_t latest_ms) {
    if (latest_ms < 0) return true;
    if (latest_ms < q.start_ms) return false;
    if (all.size() <= limit) return true;
    int64_t least = std::numeric_limits<int64_t>::max();
    for (const auto& m : all) least = std::min(least, m.time_ms);
    return least <= latest_ms;
  };
  for (const auto& n : nodes) {
    if (q.include_node && !q.include_node(n.node)) continue;
    // Newest file first, so that a page of recent records is found without reading the
    // older files: a file, and every older one, is skipped once none of their records (none
    // later than the latest eventTime among them, known from an earlier search) can make
    // the page.
    std::vector<LatestTimes::Stamp> stamps;
    const std::vector<int64_t> latest = LatestThrough(n.record_files, &stamps);
    for (size_t i = n.record_files.size(); i-- > 0;) {
      if (!may_still_match(latest[i])) break;
      int64_t file_latest = std::numeric_limits<int64_t>::min();
      ARCANA_RETURN_IF_ERROR(ForEachLine({n.record_files[i]}, [&](std::string_view line,
                                                                  const std::string&, size_t) {
        file_latest = std::max(file_latest, EventTimeOf(line));
        for (const auto& v : needed) {
          if (line.find(v) == std::string_view::npos) return true;
        }
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
        if (!RecordMatches(doc, q, t)) return true;
        all.push_back(TrailMatch{std::string(line), n.node, seq, t});
        if (all.size() >= 2 * (limit + 1) + 64) trim();
        return true;
      }));
      KnownLatestTimes().Put(n.record_files[i], stamps[i], file_latest);
    }
  }
  std::sort(all.begin(), all.end(), newer);
  if (all.size() > limit) {
    *more = true;
    all.resize(limit);
  }
  return all;
}

}  // namespace arcana::audit
