#include "events/delivery.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "audit/audit_event.h"
#include "cli/operator_client.h"
#include "common/json.h"

namespace arcana::events {
namespace {
constexpr int kMaxRetries = 8;
constexpr auto kMaxBackoff = std::chrono::seconds(5);

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Status HttpPost(const std::string& url, const std::string& body) {
  size_t scheme = url.find("://");
  std::string rest = url.substr(scheme + 3);
  size_t slash = rest.find_first_of("/?");
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (path[0] == '?') path = "/" + path;
  ARCANA_ASSIGN_OR_RETURN(auto ep, cli::ParseEndpoint(url.substr(0, scheme + 3) +
                                                      rest.substr(0, slash)));
  auto reply = cli::SendRequest(ep, "POST", path, body, [](auth::SignableRequest& r) {
    r.headers.push_back({"Content-Type", "application/json"});
  });
  if (!reply.ok()) return reply.status();
  if (reply->status < 200 || reply->status >= 300) {
    return Status(ErrorCode::kServiceUnavailable, "HTTP " + std::to_string(reply->status));
  }
  return Status::Ok();
}

Deliverer::Deliverer(Options options) : options_(std::move(options)) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { Run(); });
}

Deliverer::~Deliverer() { Stop(); }

void Deliverer::Submit(const std::string& rule_arn, const domain::events::HttpTarget& target,
                       std::string body) {
  auto now = std::chrono::steady_clock::now();
  Delivery d{now, now, rule_arn, target, std::move(body), 0};
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!stopping_ && queue_.size() + in_flight_ < options_.max_pending) {
      queue_.push(std::move(d));
      cv_.notify_one();
      return;
    }
  }
  DeadLetter(d, "queue full");
}

void Deliverer::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (stopping_) return;
    if (queue_.empty()) {
      cv_.wait(l);
      continue;
    }
    if (queue_.top().due > std::chrono::steady_clock::now()) {
      cv_.wait_until(l, queue_.top().due);
      continue;
    }
    Delivery d = queue_.top();
    queue_.pop();
    ++in_flight_;
    l.unlock();
    Status s = options_.post(d.target.url, d.body);
    ++d.attempts;
    int retries = std::clamp(d.target.max_retry_attempts.value_or(kDefaultRetries), 0, kMaxRetries);
    auto backoff = std::min<std::chrono::milliseconds>(
        options_.first_backoff * (1 << std::min(d.attempts - 1, 10)), kMaxBackoff);
    auto now = std::chrono::steady_clock::now();
    bool too_old = d.target.max_event_age_seconds &&
                   now + backoff - d.first > std::chrono::seconds(*d.target.max_event_age_seconds);
    if (!s.ok() && (d.attempts > retries || too_old)) DeadLetter(d, s.message());
    l.lock();
    --in_flight_;
    if (!s.ok() && d.attempts <= retries && !too_old) {
      d.due = now + backoff;
      queue_.push(std::move(d));
      cv_.notify_one();
    }
  }
}

void Deliverer::Stop() {
  std::vector<Delivery> left;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    stopping_ = true;
    while (!queue_.empty()) {
      left.push_back(queue_.top());
      queue_.pop();
    }
    cv_.notify_all();
  }
  for (auto& t : threads_) t.join();
  for (const auto& d : left) DeadLetter(d, "shutdown");
}

uint64_t Deliverer::dead_lettered() const {
  std::lock_guard<std::mutex> l(mu_);
  return dead_lettered_;
}

void Deliverer::DeadLetter(const Delivery& d, const std::string& error) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++dead_lettered_;
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "time", audit::IsoTime(NowMs()));
  json::KV(w, "rule", d.rule_arn);
  json::KV(w, "targetId", d.target.id);
  json::KV(w, "url", d.target.url);
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
  std::string line = json::Finish(buf) + "\n";
  std::lock_guard<std::mutex> l(file_mu_);
  std::error_code ec;
  std::filesystem::create_directories(options_.dead_letter_dir, ec);
  ::chmod(options_.dead_letter_dir.c_str(), 0700);
  std::string path = options_.dead_letter_dir + "/dead-letter.jsonl";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    spdlog::error("events: lost an undeliverable event for {} (cannot write {})", d.target.url, path);
  } else {
    spdlog::warn("events: delivery to {} failed after {} attempt(s) ({}); dead-lettered", d.target.url,
                 d.attempts, error);
  }
  if (fd >= 0) ::close(fd);
}

}  // namespace arcana::events
