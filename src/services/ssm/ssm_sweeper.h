// Enforces parameter Expiration policies in the background: every `period` it deletes the
// parameters whose expiration passed (reads also delete them lazily). Owns one thread,
// stopped and joined by the destructor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "services/ssm/ssm_service.h"

namespace arcana::services::ssm {

class ExpirySweeper {
 public:
  explicit ExpirySweeper(SsmService& ssm, std::chrono::milliseconds period = std::chrono::seconds(10));
  ~ExpirySweeper();
  ExpirySweeper(const ExpirySweeper&) = delete;
  ExpirySweeper& operator=(const ExpirySweeper&) = delete;

 private:
  void Loop();
  SsmService& ssm_;
  std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace arcana::services::ssm
