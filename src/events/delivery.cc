#include "events/delivery.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "audit/audit_event.h"
#include "common/json.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "net/http_client.h"

namespace arcana::events {
namespace {
constexpr int kMaxRetries = 8;
constexpr auto kMaxBackoff = std::chrono::seconds(5);
// One attempt (connect, TLS, request, answer) gets this long; the answer's body at most
// this much (it is only read to keep the connection protocol whole).
constexpr auto kDeliveryTimeout = std::chrono::seconds(5);
constexpr size_t kMaxResponseBytes = 64 * 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Status HttpPost(const std::string& url, const std::string& body) {
  net::ClientRequest req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.content_type = "application/json";
  req.user_agent = "arcana-events";
  req.timeout = kDeliveryTimeout;
  req.max_response_bytes = kMaxResponseBytes;  // only read to keep the protocol whole
  if (const char* ca = std::getenv("ARCANA_CA_CERT"); ca != nullptr) req.ca_file = ca;
  ARCANA_ASSIGN_OR_RETURN(auto res, net::HttpExchange(req));
  if (res.status < 200 || res.status >= 300) {
    return Status(ErrorCode::kServiceUnavailable, "HTTP " + std::to_string(res.status));
  }
  return Status::Ok();
}

namespace {

constexpr size_t kMaxBatch = 1000;

// (account, region) of "arn:aws:events:<region>:<account>:rule/<name>".
void ScopeOfRule(const std::string& arn, std::string* account, std::string* region) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string::npos) return;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  *region = parts[3];
  *account = parts[4];
}

}  // namespace

Deliverer::Deliverer(Options options)
    : options_(std::move(options)),
      owner_(options_.node + ":" + crypto::HexEncode(crypto::RandomBytes(8))) {
  persister_ = std::thread([this] { Persist(); });
  for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { Run(); });
}

Deliverer::~Deliverer() { Stop(); }

storage::EventDelivery Deliverer::NewDelivery(const std::string& rule_arn,
                                              const domain::events::HttpTarget& target,
                                              std::string body) const {
  storage::EventDelivery d;
  const int64_t now = NowMs();
  d.id = storage::NewDeliveryId(now);
  ScopeOfRule(rule_arn, &d.account, &d.region);
  d.rule_arn = rule_arn;
  d.target_id = target.id;
  d.url = target.url;
  d.body = std::move(body);
  d.created_ms = now;
  d.next_attempt_ms = now;
  return d;
}

void Deliverer::Submit(const std::string& rule_arn, const domain::events::HttpTarget& target,
                       std::string body) {
  storage::EventDelivery d = NewDelivery(rule_arn, target, std::move(body));
  d.max_retries = std::clamp(target.max_retry_attempts.value_or(kDefaultRetries), 0, kMaxRetries);
  if (target.max_event_age_seconds) d.max_age_ms = int64_t{*target.max_event_age_seconds} * 1000;
  {
    std::lock_guard<std::mutex> l(mu_);
    ++submitted_;
    if (!stopping_ && unsaved_.size() < options_.max_unsaved) {
      unsaved_.push_back(std::move(d));
      if (unsaved_.size() == 1) persist_cv_.notify_one();
      return;
    }
  }
  DeadLetterFile(d, "queue full");
  Settle(1);
}

uint64_t Deliverer::submitted() const {
  std::lock_guard<std::mutex> l(mu_);
  return submitted_;
}

void Deliverer::Settle(size_t n) {
  std::lock_guard<std::mutex> l(mu_);
  settled_ += n;
  settled_cv_.notify_all();
}

bool Deliverer::WaitSettled(uint64_t upto, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> l(mu_);
  return settled_cv_.wait_until(l, deadline, [&] { return settled_ >= upto; });
}

void Deliverer::Fail(const std::string& rule_arn, const domain::events::HttpTarget& target,
                     std::string event, const std::string& error) {
  DeadLetterFile(NewDelivery(rule_arn, target, std::move(event)), error);
}

void Deliverer::Persist() {
  // This node's previous process (killed, or stopped without releasing) is gone: its leases
  // are freed now rather than at their expiry. Before this node inserts or claims anything,
  // so none of its own is freed.
  auto released = options_.store->ReleaseDeliveries(options_.node + ":");
  if (!released.ok()) {
    spdlog::warn("events: cannot free the deliveries of this node's previous start: {}",
                 released.status().message());
  } else if (*released > 0) {
    spdlog::info("events: {} pending deliveries of this node's previous start resumed", *released);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    recovered_ = true;
  }
  ClaimDue();
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    persist_cv_.wait(l, [this] { return stopping_ || !unsaved_.empty(); });
    if (unsaved_.empty()) return;  // stopping, and everything is stored
    std::vector<storage::EventDelivery> batch;
    if (unsaved_.size() <= kMaxBatch) {
      batch.swap(unsaved_);
    } else {
      batch.assign(std::make_move_iterator(unsaved_.begin()),
                   std::make_move_iterator(unsaved_.begin() + kMaxBatch));
      unsaved_.erase(unsaved_.begin(), unsaved_.begin() + kMaxBatch);
    }
    // Leased to this node when it has room to attempt them (and is not stopping); otherwise
    // stored free, for ClaimDue here or on another node.
    const bool mine = !stopping_ && queue_.size() + in_flight_ + batch.size() <= options_.max_in_memory;
    const bool stopping = stopping_;
    // Marked as held before they are stored leased to this node, so a claim of this node
    // made meanwhile does not queue them as well.
    if (mine) {
      for (const auto& d : batch) held_ids_.insert(d.id);
    }
    l.unlock();
    const int64_t now = NowMs();
    const int64_t lease_until = now + options_.lease.count();
    auto added = options_.store->AddDeliveries(batch, mine ? owner_ : "", lease_until,
                                               options_.max_pending);
    if (!added.ok()) {
      if (stopping) {
        for (const auto& d : batch) DeadLetterFile(d, "store unavailable at shutdown");
        Settle(batch.size());
        l.lock();
        continue;
      }
      spdlog::warn("events: {} matched deliveries not stored yet ({}); retrying in 1 s",
                   batch.size(), added.status().message());
      l.lock();
      if (mine) {
        for (const auto& d : batch) held_ids_.erase(d.id);
      }
      unsaved_.insert(unsaved_.begin(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
      persist_cv_.wait_for(l, std::chrono::seconds(1), [this] { return stopping_; });
      continue;
    }
    if (*added < batch.size()) {
      uint64_t total;
      {
        std::lock_guard<std::mutex> bl(mu_);
        total = backlog_full_ += batch.size() - *added;
      }
      spdlog::warn("events: {} pending deliveries in the store (the cap): {} new deliveries "
                   "dead-lettered at once ({} so far); is a target down?",
                   options_.max_pending, batch.size() - *added, total);
      for (size_t i = *added; i < batch.size(); ++i) DeadLetterFile(batch[i], "backlog full");
    }
    Settle(batch.size());
    l.lock();
    if (mine) {
      for (size_t i = *added; i < batch.size(); ++i) held_ids_.erase(batch[i].id);
      for (size_t i = 0; i < *added; ++i) queue_.push(Held{std::move(batch[i]), lease_until, now});
      cv_.notify_all();
    }
  }
}

size_t Deliverer::ClaimDue() {
  size_t room;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_ || !recovered_) return 0;
    const size_t held = queue_.size() + in_flight_;
    room = held < options_.max_in_memory ? options_.max_in_memory - held : 0;
  }
  if (room == 0) return 0;
  const int64_t now = NowMs();
  auto claimed = options_.store->ClaimDueDeliveries(owner_, now, options_.lease.count(),
                                                    std::min(room, kMaxBatch));
  if (!claimed.ok()) {
    spdlog::warn("events: cannot claim due deliveries: {}", claimed.status().message());
    return 0;
  }
  std::lock_guard<std::mutex> l(mu_);
  size_t queued = 0;
  for (auto& row : *claimed) {
    // A row this node already has queued or in flight (its stored lease ran out while it
    // waited here): the claim only extended that lease; a second copy would be sent twice.
    if (!held_ids_.insert(row.id).second) continue;
    const int64_t due = std::max(row.next_attempt_ms, now);
    queue_.push(Held{std::move(row), now + options_.lease.count(), due});
    ++queued;
  }
  cv_.notify_all();
  return queued;
}

void Deliverer::Push(Held d) {
  std::lock_guard<std::mutex> l(mu_);
  queue_.push(std::move(d));
  cv_.notify_one();
}

void Deliverer::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (stopping_) return;
    if (queue_.empty()) {
      cv_.wait(l);
      continue;
    }
    const int64_t now = NowMs();
    if (queue_.top().due_ms > now) {
      cv_.wait_for(l, std::chrono::milliseconds(queue_.top().due_ms - now));
      continue;
    }
    Held d = queue_.top();
    queue_.pop();
    ++in_flight_;
    l.unlock();
    const std::string id = d.row.id;
    const bool requeued = Attempt(std::move(d));
    l.lock();
    if (!requeued) held_ids_.erase(id);
    --in_flight_;
  }
}

bool Deliverer::Attempt(Held d) {
  storage::EventDeliveryStore& store = *options_.store;
  const int64_t lease_ms = options_.lease.count();
  int64_t now = NowMs();
  // Ownership is confirmed right before every send, by a conditional update (owner = this
  // node's), not only when the lease is near its end: a row's lease may have run out while it
  // waited in this queue, and another node may have claimed (and sent) it since. The renewal
  // also gives the attempt a whole lease, which outlasts an attempt (kDeliveryTimeout).
  {
    auto held = store.RenewDeliveryLease(d.row.id, owner_, now + lease_ms);
    if (!held.ok()) {
      d.due_ms = now + 1000;  // the store is unreachable: no attempt without a lease
      Push(std::move(d));
      return true;
    }
    if (!*held) return false;  // another node holds it now (and delivers it), or it is gone
    d.lease_until_ms = now + lease_ms;
  }
  int64_t wait_ms = 0;
  Status s = Send(d, &wait_ms);
  if (wait_ms > 0) {
    d.due_ms = NowMs() + wait_ms;  // its turn (the lease is confirmed again then)
    Push(std::move(d));
    return true;
  }
  now = NowMs();
  storage::DeliveryOutcome o;
  o.id = d.row.id;
  o.attempts = ++d.row.attempts;
  if (!s.ok()) {
    const int64_t backoff =
        std::min<int64_t>(options_.first_backoff.count() * (int64_t{1} << std::min(d.row.attempts - 1, 10)),
                          std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff).count());
    const bool too_old = d.row.max_age_ms && now + backoff - d.row.created_ms > *d.row.max_age_ms;
    o.error = s.message().substr(0, 512);
    if (d.row.attempts > d.row.max_retries || too_old) {
      o.kind = storage::DeliveryOutcome::Kind::kDead;
      o.at_ms = now;
    } else {
      o.kind = storage::DeliveryOutcome::Kind::kRetry;
      o.at_ms = now + backoff;
      o.lease_until_ms = o.at_ms + lease_ms;
    }
  }
  auto applied = store.RecordOutcomes(owner_, {o});
  if (!applied.ok()) {
    // A delivered row stays leased until its lease expires and is then delivered again (at
    // least once); a retry goes on from memory; a dead letter is still written to the file.
    // Named by rule and target id, never by URL: a target URL may carry a token in its path
    // or query, which the log must not hold.
    spdlog::warn("events: the outcome of a delivery to target {} of rule {} was not recorded: {}",
                 d.row.target_id, d.row.rule_arn, applied.status().message());
  } else if (!(*applied)[0]) {
    spdlog::info("events: delivery {} is held by another node now", d.row.id);
    return false;
  }
  switch (o.kind) {
    case storage::DeliveryOutcome::Kind::kDelivered:
      return false;
    case storage::DeliveryOutcome::Kind::kRetry:
      d.row.next_attempt_ms = o.at_ms;
      d.row.last_error = o.error;
      d.due_ms = o.at_ms;
      if (applied.ok()) d.lease_until_ms = o.lease_until_ms;
      Push(std::move(d));
      return true;
    case storage::DeliveryOutcome::Kind::kDead:
      DeadLetterFile(d.row, o.error);
      return false;
  }
  return false;
}

void Deliverer::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
    persist_cv_.notify_all();
  }
  if (persister_.joinable()) persister_.join();  // stores what was not stored yet
  for (auto& t : threads_) t.join();             // attempts in flight end (at most 5 s)
  // What this node still held goes back to the pool at once: another node (or this one's
  // next start) continues it.
  auto released = options_.store->ReleaseDeliveries(owner_);
  if (!released.ok()) {
    spdlog::warn("events: this node's deliveries were not handed back ({}); another node "
                 "takes them when their leases expire", released.status().message());
  }
}

uint64_t Deliverer::dead_lettered() const {
  std::lock_guard<std::mutex> l(mu_);
  return dead_lettered_;
}

std::string DeadLetterJson(const storage::EventDelivery& d, int64_t time_ms,
                           const std::string& error, bool with_id) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  if (with_id) json::KV(w, "id", d.id);
  json::KV(w, "time", audit::IsoTime(time_ms));
  json::KV(w, "rule", d.rule_arn);
  json::KV(w, "targetId", d.target_id);
  json::KV(w, "url", d.url);
  w.Key("attempts");
  w.Int(d.attempts);
  json::KV(w, "error", error.substr(0, 512));
  w.Key("event");
  rapidjson::Document body;
  if (json::ParseBounded(d.body, &body).ok()) {
    body.Accept(w);
  } else {
    json::WriteStr(w, d.body);
  }
  w.EndObject();
  return json::Finish(buf);
}

void Deliverer::DeadLetterFile(const storage::EventDelivery& d, const std::string& error) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++dead_lettered_;
  }
  std::string line = DeadLetterJson(d, NowMs(), error, false) + "\n";
  std::lock_guard<std::mutex> l(file_mu_);
  std::error_code ec;
  std::filesystem::create_directories(options_.dead_letter_dir, ec);
  ::chmod(options_.dead_letter_dir.c_str(), 0700);
  std::string path = options_.dead_letter_dir + "/dead-letter.jsonl";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    // The rule and target id, not the URL (it may carry a token); the URL is in the file.
    spdlog::error("events: lost an undeliverable event for target {} of rule {} (cannot write "
                  "{})", d.target_id, d.rule_arn, path);
  } else {
    spdlog::warn("events: delivery to target {} of rule {} failed after {} attempt(s) ({}); "
                 "dead-lettered", d.target_id, d.rule_arn, d.attempts, error);
  }
  if (fd >= 0) ::close(fd);
}

void Deliverer::SetLambdaInvoker(InvokeFn invoke) {
  std::unique_lock lock(invoke_mu_);
  invoke_ = std::move(invoke);
}

void Deliverer::SetApiDestinationResolver(ApiDestinationFn resolve) {
  std::unique_lock lock(invoke_mu_);
  resolve_ = std::move(resolve);
}

Status Deliverer::Send(Held& held, int64_t* wait_ms) {
  const storage::EventDelivery& d = held.row;
  if (domain::events::IsApiDestinationArn(d.url)) {
    std::shared_lock lock(invoke_mu_);
    if (!resolve_) {
      return Status(ErrorCode::kServiceUnavailable, "no API destination service on this node");
    }
    ARCANA_ASSIGN_OR_RETURN(domain::events::ApiDestinationCall call, resolve_(d));
    lock.unlock();
    if (!held.turn_reserved) {
      // The request is made again at the turn (the destination and credentials as they are
      // then), not kept while it waits.
      *wait_ms = rate_limits_.Reserve(d.url, call.rate_limit_per_second, NowMs());
      if (*wait_ms > 0) {
        held.turn_reserved = true;
        return Status::Ok();
      }
    }
    held.turn_reserved = false;  // a retry after this attempt takes a turn again
    ARCANA_ASSIGN_OR_RETURN(OutgoingAnswer answer, options_.send(call.request));
    if ((answer.status == 401 || answer.status == 407) && call.forget_token) {
      // As EventBridge: an OAuth endpoint refusing the token makes it fetch a new one, and
      // the request is sent again with it (once: a refusal of the new token is a failure).
      call.forget_token();
      std::shared_lock again(invoke_mu_);
      if (!resolve_) return Status(ErrorCode::kServiceUnavailable, "no API destination service");
      ARCANA_ASSIGN_OR_RETURN(call, resolve_(d));
      again.unlock();
      ARCANA_ASSIGN_OR_RETURN(answer, options_.send(call.request));
    }
    if (answer.status < 200 || answer.status >= 300) {
      return Status(ErrorCode::kServiceUnavailable, "HTTP " + std::to_string(answer.status));
    }
    return Status::Ok();
  }
  if (!domain::events::IsLambdaFunctionArn(d.url)) return options_.post(d.url, d.body);
  std::shared_lock lock(invoke_mu_);
  if (!invoke_) return Status(ErrorCode::kServiceUnavailable, "no Lambda service on this node");
  return invoke_(d);
}

}  // namespace arcana::events
