// Request counters and a latency histogram, exposed as Prometheus text on GET /metrics.
// Thread-safety: Record() is called from every I/O thread; it takes one short lock.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace arcana::net {

class Metrics {
 public:
  // operation: e.g. "secretsmanager.GetSecretValue"; error_code: "" on success.
  void Record(const std::string& operation, const std::string& error_code, double seconds);
  std::string RenderPrometheus() const;

 private:
  static constexpr double kBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                        0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
  static constexpr size_t kNumBuckets = sizeof(kBuckets) / sizeof(kBuckets[0]);
  struct Histogram {
    uint64_t buckets[kNumBuckets] = {};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

}  // namespace arcana::net
