// A background thread that calls KmsService::Maintain once a minute: purges keys whose
// deletion window ended (lookups already treat them as gone) and performs due automatic
// rotations. Stops (and joins) on destruction.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "services/kms/kms_service.h"

namespace arcana::services::kms {

class KmsMaintenance {
 public:
  explicit KmsMaintenance(KmsService& kms);
  ~KmsMaintenance();

 private:
  void Loop();
  KmsService& kms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace arcana::services::kms
