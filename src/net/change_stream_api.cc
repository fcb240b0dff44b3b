#include "net/change_stream_api.h"

#include <algorithm>
#include <chrono>
#include <charconv>
#include <optional>
#include <string>

#include "auth/change_visibility.h"
#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/json.h"
#include "crypto/random.h"
#include "net/api_stages.h"
#include "net/query_string.h"
#include "storage/store_types.h"

namespace arcana::net {
namespace {

// A held request re-checks the stop flag this often (WaitForChange is only a wake-up).
constexpr std::chrono::milliseconds kWaitSlice{500};
// Batches scanned per request when none of their changes is visible to the caller: the
// answer then only advances Next, so one request never scans the whole log.
constexpr int kMaxBatchesPerRequest = 10;

struct StreamQuery {
  std::optional<int64_t> after;
  int wait_seconds = 0;
  size_t limit = storage::kMaxListLimit;
};

std::optional<int64_t> ParseInt(std::string_view s, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

Result<StreamQuery> ParseQuery(std::string_view target, int max_wait) {
  StreamQuery q;
  for (const auto& [name, value] : SplitQuery(target)) {
    if (name == "after") {
      q.after = ParseInt(value, 0, INT64_MAX);
      if (!q.after) return Status(ErrorCode::kValidation, "after must be a sequence number");
    } else if (name == "wait") {
      auto w = ParseInt(value, 0, max_wait);
      if (!w) {
        return Status(ErrorCode::kValidation,
                      "wait must be 0 to " + std::to_string(max_wait) + " seconds");
      }
      q.wait_seconds = static_cast<int>(*w);
    } else if (name == "limit") {
      auto l = ParseInt(value, 1, static_cast<int64_t>(storage::kMaxListLimit));
      if (!l) return Status(ErrorCode::kValidation, "limit must be 1 to 1000");
      q.limit = static_cast<size_t>(*l);
    } else {
      return Status(ErrorCode::kValidation, "unknown parameter");  // caller input: not echoed
    }
  }
  return q;
}

struct StreamAnswer {
  std::vector<storage::Change> changes;
  int64_t next = 0;
  int64_t head = 0;
  bool reset = false;
  std::string_view store;  // the store's id ("": not answered)
};

std::string Render(const StreamAnswer& a) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Changes");
  w.StartArray();
  for (const auto& c : a.changes) {
    w.StartObject();
    w.Key("Seq");
    w.Int64(c.seq);
    json::KV(w, "Service", c.service);
    json::KV(w, "Region", c.region);
    json::KV(w, "Resource", c.resource);
    json::KV(w, "Kind", c.kind);
    w.Key("Time");
    json::WriteTimestamp(w, c.at_ms);
    w.EndObject();
  }
  w.EndArray();
  w.Key("Next");
  w.Int64(a.next);
  w.Key("Head");
  w.Int64(a.head);
  w.Key("Reset");
  w.Bool(a.reset);
  if (!a.store.empty()) json::KV(w, "Store", a.store);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace

ChangeStreamApi::ChangeStreamApi(storage::ChangeLog& log, const auth::Authenticator& authn,
                                 const crypto::RootKey* root, ChangeStreamOptions opts)
    : log_(log), authn_(authn), root_(root), opts_(opts) {}

bool ChangeStreamApi::Handle(HttpRequest& req, HttpResponse& res) {
  if (req.Path() != kChangeStreamPath) return false;
  const std::string request_id = crypto::NewUuidV4();
  auto fail = [&](const Status& st) { ResponseEncoder::EncodeError(res, request_id, st); };
  if (req.method != "GET") {
    res.status = 405;
    res.Set("Allow", "GET");
    res.body = "Method Not Allowed";
    return true;
  }
  if (root_ != nullptr && root_->sealed()) {
    fail(Status(ErrorCode::kServiceUnavailable, "The server is sealed"));
    return true;
  }
  services::CallContext caller;
  if (Status st = authn_.Authenticate(req, "secretsmanager", caller); !st.ok()) {
    fail(st);
    return true;
  }
  caller.authorizer = opts_.authorizer;
  caller.source_ip = req.remote_address;
  caller.secure_transport = req.secure;
  auto query = ParseQuery(req.target, opts_.max_wait_seconds);
  if (!query.ok()) {
    fail(query.status());
    return true;
  }

  StreamAnswer answer;
  auto head = log_.Head();
  if (!head.ok()) {
    fail(head.status());
    return true;
  }
  answer.head = *head;
  answer.next = *head;
  answer.store = opts_.store_id;
  if (query->after && *query->after > *head) {
    answer.reset = true;  // the store went backwards: it was replaced
  } else if (query->after) {
    int64_t at = *query->after;
    // Holding a worker is bounded: beyond max_waiters a request answers at once.
    const bool may_wait = query->wait_seconds > 0 &&
                          waiters_.fetch_add(1) < opts_.max_waiters && !stopping_;
    struct Release {
      std::atomic<int>& n;
      bool held;
      ~Release() {
        if (held) n.fetch_sub(1);
      }
    } release{waiters_, query->wait_seconds > 0};
    if (query->wait_seconds > 0 && !may_wait) res.Set("Retry-After", "1");
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(may_wait ? query->wait_seconds : 0);
    int batches = 0;
    while (true) {
      // Decided at the time of reading: time conditions of policies, and a secret whose
      // recovery window has ended counts as gone.
      caller.now_ms = SystemClock::Instance().NowMs();
      auto batch = log_.ReadChanges(at, query->limit);
      if (!batch.ok()) {
        fail(batch.status());
        return true;
      }
      // Every row must follow the one before, not only the first: a hole anywhere (changes
      // trimmed, which retention does only to a prefix of the log, but a reader cannot tell)
      // means the caller cannot know what it missed.
      int64_t expected = at;
      const bool hole = std::any_of(batch->begin(), batch->end(),
                                    [&](const storage::Change& c) { return c.seq != ++expected; });
      if (hole) {
        auto now_head = log_.Head();
        answer.reset = true;
        answer.head = now_head.ok() ? *now_head : batch->back().seq;
        at = answer.head;
        break;
      }
      for (const auto& c : *batch) {
        // The store was restored from a backup (store_backup.h): anything may have changed.
        if (c.IsStoreRestore()) answer.reset = true;
        if (auth::ChangeVisibleTo(caller, c, opts_.may_read)) answer.changes.push_back(c);
        at = c.seq;
      }
      if (!answer.changes.empty() || answer.reset ||
          (!batch->empty() && ++batches >= kMaxBatchesPerRequest)) {
        break;
      }
      if (!batch->empty()) continue;  // all invisible: read on
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline || stopping_) break;
      log_.WaitForChange(at, std::min<std::chrono::milliseconds>(
                                 kWaitSlice, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 deadline - now)));
    }
    answer.next = at;
    if (at > answer.head) answer.head = at;
  }
  res.status = 200;
  res.Set("Content-Type", "application/json");
  res.Set("x-amzn-RequestId", request_id);
  res.body = Render(answer);
  return true;
}

}  // namespace arcana::net
