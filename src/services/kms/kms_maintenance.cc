#include "services/kms/kms_maintenance.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace arcana::services::kms {

KmsMaintenance::KmsMaintenance(KmsService& kms) : kms_(kms), thread_([this] { Loop(); }) {}

KmsMaintenance::~KmsMaintenance() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void KmsMaintenance::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  do {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    l.unlock();
    Status st = kms_.Maintain(now);
    if (!st.ok()) spdlog::warn("kms maintenance failed: {}", st.message());
    l.lock();
  } while (!cv_.wait_for(l, std::chrono::seconds(60), [this] { return stop_; }));
}

}  // namespace arcana::services::kms
