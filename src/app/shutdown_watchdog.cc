#include "app/shutdown_watchdog.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <future>
#include <memory>

namespace arcana::app {

void FlushLogsBounded(std::chrono::milliseconds limit) {
  auto flushed = std::make_shared<std::promise<void>>();
  std::future<void> done = flushed->get_future();
  std::thread([flushed] {
    spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
    flushed->set_value();
  }).detach();
  done.wait_for(limit);
}

void ShutdownWatchdog::Arm(std::chrono::seconds limit) {
  std::lock_guard<std::mutex> l(mu_);
  if (armed_) return;
  armed_ = true;
  thread_ = std::thread([this, limit] {
    std::unique_lock<std::mutex> lk(mu_);
    if (cv_.wait_for(lk, limit, [this] { return done_; })) return;
    lk.unlock();
    spdlog::error("shutdown did not finish within {} s: exiting now", limit.count());
    FlushLogsBounded(std::chrono::seconds(1));
    std::_Exit(1);
  });
}

ShutdownWatchdog::~ShutdownWatchdog() {
  {
    std::lock_guard<std::mutex> l(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace arcana::app
