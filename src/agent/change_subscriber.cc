#include "agent/change_subscriber.h"

#include <spdlog/spdlog.h>

#include "agent/resource_tag.h"
#include "common/json.h"

namespace arcana::agent {

Result<int64_t> ApplyStreamAnswer(std::string_view body, ValueCache& cache, AgentMetrics& metrics,
                                  int64_t* head, std::string* store, bool* reset,
                                  int64_t applied) {
  rapidjson::Document doc;
  ARCANA_RETURN_IF_ERROR(json::ParseBounded(body, &doc, 8, size_t{8} << 20));
  if (!doc.IsObject() || !doc.HasMember("Next") || !doc["Next"].IsInt64() ||
      !doc.HasMember("Changes") || !doc["Changes"].IsArray()) {
    return Status(ErrorCode::kSerialization, "not a change-stream answer");
  }
  bool dropped = json::BoolField(doc, "Reset");
  if (store != nullptr) {
    // Another store answers (the node's data dir or database was replaced by a new one):
    // its numbers say nothing of what this cache missed.
    const std::string answered = json::StrField(doc, "Store");
    if (!answered.empty() && !store->empty() && answered != *store) dropped = true;
    if (!answered.empty()) *store = answered;
  }
  if (dropped) metrics.invalidations += cache.Clear();
  if (reset != nullptr) *reset = dropped;
  for (const auto& c : doc["Changes"].GetArray()) {
    if (!c.IsObject()) continue;
    if (!dropped && c.HasMember("Seq") && c["Seq"].IsInt64() && c["Seq"].GetInt64() <= applied) {
      continue;
    }
    // A read's record of its own date (LastAccessedDate, written by the first GetSecretValue
    // of a secret each day) changes no value, stage or version the agent serves: dropping the
    // entry for it would make the agent's first fetch of every secret a wasted one.
    if (json::StrField(c, "Kind") == kAccessRecordKind) continue;
    const std::string resource = json::StrField(c, "Resource");
    // By tag: a secret's change (named by its primary's ARN) reaches its replicas' entries.
    if (!resource.empty()) metrics.invalidations += cache.InvalidateResource(CacheTagOf(resource));
    if (json::StrField(c, "Service") == "secretsmanager") {
      metrics.invalidations += cache.InvalidateResource(kSecretReferenceTag);
    }
  }
  if (head != nullptr) {
    *head = doc.HasMember("Head") && doc["Head"].IsInt64() ? doc["Head"].GetInt64()
                                                           : doc["Next"].GetInt64();
  }
  return doc["Next"].GetInt64();
}

namespace {

// An AWS error answer's type without its namespace ("...#ThrottlingException" ->
// "ThrottlingException"); "" when the body is no such answer.
std::string ErrorTypeOf(const UpstreamReply& reply) {
  rapidjson::Document doc;
  if (!json::ParseBounded(reply.body, &doc, 8, size_t{64} << 10).ok() || !doc.IsObject()) {
    return "";
  }
  std::string type = json::StrField(doc, "__type");
  if (const auto hash = type.rfind('#'); hash != std::string::npos) type.erase(0, hash + 1);
  return type;
}

// AWS's JSON protocols answer throttling with HTTP 400 and this error type.
bool IsThrottling(const UpstreamReply& reply) {
  return reply.status == 400 && ErrorTypeOf(reply) == "ThrottlingException";
}

// The request's credentials were refused (a key just rotated in the credentials file, an
// expired session token, a clock that drifted): the upstream does serve the stream, these
// credentials cannot read it now. Reads with the same credentials fail the same way, so no
// cached value may stand in for them on the TTL alone.
bool IsCredentialRefusal(const UpstreamReply& reply) {
  if (reply.status != 400 && reply.status != 401 && reply.status != 403) return false;
  static constexpr std::string_view kTypes[] = {
      "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException",
      "ExpiredTokenException",       "SignatureDoesNotMatch",     "InvalidClientTokenId",
      "ExpiredToken"};
  const std::string type = ErrorTypeOf(reply);
  for (std::string_view t : kTypes) {
    if (type == t) return true;
  }
  return false;
}

}  // namespace

ChangeSubscriber::ChangeSubscriber(UpstreamClient& upstream, ValueCache& cache,
                                   AgentMetrics& metrics, int wait_seconds,
                                   std::chrono::milliseconds fence_timeout)
    : upstream_(upstream),
      cache_(cache),
      metrics_(metrics),
      wait_seconds_(wait_seconds),
      fence_timeout_(fence_timeout) {}

ChangeSubscriber::~ChangeSubscriber() { Stop(); }

void ChangeSubscriber::Start() { thread_ = std::thread([this] { Run(); }); }

void ChangeSubscriber::Stop() {
  {
    std::lock_guard<std::mutex> l(sleep_mu_);
    stop_ = true;
  }
  sleep_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status ChangeSubscriber::Poll(int wait, std::chrono::milliseconds timeout) {
  int64_t after;
  {
    std::lock_guard<std::mutex> l(mu_);
    after = applied_;
  }
  std::string path = "/_arcana/changes";
  if (after >= 0) path += "?after=" + std::to_string(after) + "&wait=" + std::to_string(wait);
  auto reply = upstream_.Get("secretsmanager", path, timeout);
  std::lock_guard<std::mutex> l(mu_);
  Status st;
  if (!reply.ok()) {
    st = reply.status();
  } else if (reply->status >= 500 || reply->status == 429 || IsThrottling(*reply) ||
             IsCredentialRefusal(*reply)) {
    // A server error (arcanad stopping, sealed, overloaded) is transient: not a TTL fallback
    // for reads, which may then serve stale. So is throttling, which AWS's protocols answer
    // with HTTP 400 (arcanad does when its queue is full or a stop drops queued requests),
    // and a refusal of the credentials: taking either for "no such endpoint" would stop the
    // fencing of reads for 30 s.
    const std::string type = ErrorTypeOf(*reply);
    st = Status(ErrorCode::kServiceUnavailable,
                "change stream answered HTTP " + std::to_string(reply->status) +
                    (type.empty() ? "" : " " + type));
  } else if (reply->status != 200) {
    st = Status(ErrorCode::kUnsupportedOperation,
                "change stream answered HTTP " + std::to_string(reply->status));
    unsupported_ = true;
  } else if (after < 0) {
    // First read: where the stream is now. Entries cached before it may have missed
    // changes, so they go.
    auto next = ApplyStreamAnswer(reply->body, cache_, metrics_, &head_, &store_);
    if (next.ok()) {
      metrics_.invalidations += cache_.Clear();
      applied_ = *next;
    }
    st = next.status();
  } else {
    bool reset = false;
    auto next = ApplyStreamAnswer(reply->body, cache_, metrics_, &head_, &store_, &reset, applied_);
    // Two reads may overlap (the stream and a fence): each applies what the other has not,
    // the later point kept.
    // After a reset the stream's numbering starts over: resume where it says (a number kept
    // from before would skip its changes up to there, or reset every read until then).
    if (next.ok()) applied_ = reset ? *next : std::max(applied_, *next);
    st = next.status();
  }
  if (st.ok()) {
    unsupported_ = false;
    if (!connected_) spdlog::info("change stream connected at sequence {}", applied_);
    connected_ = true;
    last_error_.clear();
    last_ok_ = std::chrono::steady_clock::now();
  } else {
    if (connected_) spdlog::warn("change stream lost ({}): falling back to the TTL", st.message());
    connected_ = false;
    last_error_ = st.message();
  }
  return st;
}

Status ChangeSubscriber::Fence() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (unsupported_) return Status(ErrorCode::kUnsupportedOperation, last_error_);
    // The stream thread's last read failed (the upstream unreachable or erring): a read of
    // our own would wait out the same timeout before the caller's upstream call waits out
    // another. The caller goes to the upstream (and serves stale if that fails too).
    if (!connected_ && applied_ >= 0) return Status(ErrorCode::kServiceUnavailable, last_error_);
  }
  std::unique_lock<std::mutex> l(fence_mu_);
  const uint64_t arrived_after = fences_started_;
  while (true) {
    // A fence that started after this request arrived has completed: it covers us.
    if (fence_completed_ > arrived_after) return fence_status_;
    if (!fence_in_flight_) break;
    fence_cv_.wait(l);
  }
  fence_in_flight_ = true;
  const uint64_t mine = ++fences_started_;
  l.unlock();
  // One answer holds at most 1000 changes: read until the head it reports is applied.
  constexpr int kMaxReads = 20;
  Status st;
  bool behind = true;
  for (int i = 0; i < kMaxReads && behind; ++i) {
    st = Poll(0, fence_timeout_);
    if (!st.ok()) break;
    std::lock_guard<std::mutex> g(mu_);
    behind = head_ > applied_;
  }
  if (st.ok() && behind) metrics_.invalidations += cache_.Clear();  // too far behind: start over
  l.lock();
  fence_in_flight_ = false;
  fence_completed_ = mine;
  fence_status_ = st;
  fence_cv_.notify_all();
  return st;
}

bool ChangeSubscriber::fencing() const {
  std::lock_guard<std::mutex> l(mu_);
  return !unsupported_;
}

ChangeSubscriber::Health ChangeSubscriber::health() const {
  std::lock_guard<std::mutex> l(mu_);
  Health h;
  h.connected = connected_;
  h.applied = applied_;
  h.last_error = last_error_;
  if (last_ok_ != std::chrono::steady_clock::time_point{}) {
    h.ms_since_ok = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - last_ok_)
                        .count();
  }
  return h;
}

void ChangeSubscriber::Run() {
  auto backoff = std::chrono::milliseconds(200);
  while (!stop_) {
    const Health h = health();
    const int64_t before = h.applied;
    const auto began = std::chrono::steady_clock::now();
    // Until a read succeeds, ask without waiting: the health turns "stream" as soon as the
    // upstream answers, not after a held request's full wait.
    const int wait = h.connected ? wait_seconds_ : 0;
    Status st = Poll(wait, std::chrono::seconds(wait + 10));
    if (st.ok()) {
      backoff = std::chrono::milliseconds(200);
      // arcanad answers at once, without holding the request, when too many are held already:
      // then ask again in a second rather than spin.
      if (wait > 0 && health().applied == before &&
          std::chrono::steady_clock::now() - began < std::chrono::milliseconds(100)) {
        std::unique_lock<std::mutex> l(sleep_mu_);
        sleep_cv_.wait_for(l, std::chrono::seconds(1), [this] { return stop_.load(); });
      }
      continue;
    }
    // Unreachable: retry soon (doubling to 2 s). An HTTP error (not arcanad, or refused):
    // the TTL is in force; ask again every 30 s.
    auto pause = st.code() == ErrorCode::kUnsupportedOperation ? std::chrono::milliseconds(30000)
                                                               : backoff;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    std::unique_lock<std::mutex> l(sleep_mu_);
    sleep_cv_.wait_for(l, pause, [this] { return stop_.load(); });
  }
}

}  // namespace arcana::agent
