#include "storage/postgres/pg_query_watchdog.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

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
  // A descriptor of our own for the same socket: libpq closes its fd when the connection
  // breaks, and the number may then be reused by another thread's file or socket while
  // this guard is still armed. Shutting down the duplicate can only ever reach this socket.
  fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Guard(nullptr, 0);  // out of descriptors: this call goes unwatched
  std::lock_guard<std::mutex> l(mu_);
  const uint64_t id = next_id_++;
  armed_.emplace(id, Armed{fd, std::chrono::steady_clock::now() + limit_});
  return Guard(this, id);
}

QueryWatchdog::Guard::~Guard() {
  if (w_ == nullptr) return;
  std::lock_guard<std::mutex> l(w_->mu_);
  auto it = w_->armed_.find(id_);
  if (it == w_->armed_.end()) return;
  ::close(it->second.fd);
  w_->armed_.erase(it);
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
      // Under mu_: the guard cannot close its duplicate meanwhile, so a.fd is still this
      // connection's socket.
      ::shutdown(a.fd, SHUT_RDWR);
      a.fired = true;
    }
  }
}

}  // namespace arcana::storage::pg
