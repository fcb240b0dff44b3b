#include "services/ssm/ssm_sweeper.h"

#include <spdlog/spdlog.h>

namespace arcana::services::ssm {

ExpirySweeper::ExpirySweeper(SsmService& ssm, std::chrono::milliseconds period)
    : ssm_(ssm), period_(period), thread_([this] { Loop(); }) {}

ExpirySweeper::~ExpirySweeper() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ExpirySweeper::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!cv_.wait_for(l, period_, [this] { return stop_; })) {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    l.unlock();
    Status st = ssm_.PurgeExpired(now);
    if (!st.ok()) spdlog::warn("parameter expiry sweep failed: {}", st.message());
    l.lock();
  }
}

}  // namespace arcana::services::ssm
