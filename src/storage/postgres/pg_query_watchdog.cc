#include "storage/postgres/pg_query_watchdog.h"

#include <sys/socket.h>

#include <algorithm>

namespace arcana::storage::pg {

QueryWatchdog::QueryWatchdog(std::chrono::milliseconds limit)
    : limit_(limit), thread_([this] { Run(); }) {}

QueryWatchdog::~QueryWatchdog() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

QueryWatchdog::Guard QueryWatchdog::Arm(int fd) {
  if (fd < 0) return Guard(nullptr, 0);
  std::lock_guard<std::mutex> l(mu_);
  const uint64_t id = next_id_++;
  armed_.emplace(id, Armed{fd, std::chrono::steady_clock::now() + limit_});
  return Guard(this, id);
}

QueryWatchdog::Guard::~Guard() {
  if (w_ == nullptr) return;
  std::lock_guard<std::mutex> l(w_->mu_);
  w_->armed_.erase(id_);
}

bool QueryWatchdog::Guard::fired() const {
  if (w_ == nullptr) return false;
  std::lock_guard<std::mutex> l(w_->mu_);
  auto it = w_->armed_.find(id_);
  return it != w_->armed_.end() && it->second.fired;
}

void QueryWatchdog::Run() {
  // Checked a few times a second: a deadline is kept to within a fraction of the limit.
  const auto tick = std::clamp(limit_ / 8, std::chrono::milliseconds(50),
                               std::chrono::milliseconds(500));
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    cv_.wait_for(l, tick, [this] { return stop_; });
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, a] : armed_) {
      if (a.fired || now < a.deadline) continue;
      // Under mu_: the guard (disarmed before its connection closes) cannot go meanwhile,
      // so fd is still this connection's socket.
      ::shutdown(a.fd, SHUT_RDWR);
      a.fired = true;
    }
  }
}

}  // namespace arcana::storage::pg
