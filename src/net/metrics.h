// Request counters and a latency histogram, exposed as Prometheus text on GET /metrics.
// Label values are bounded and escaped: the pipeline passes only known operation names
// (a service's model operations) and error types from the fixed AWS error table, never raw
// request input; as a second line of defence Record() folds any operation beyond
// kMaxOperations distinct labels into "unknown", so no input can grow the series set
// without bound. Every label value is escaped per the Prometheus text format.
// Thread-safety: Record() is called from every worker and I/O thread; it takes one short lock.
// CountInlineAttempt() takes none.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace arcana::net {

// A Prometheus text-format label value: backslash, double quote and newline escaped.
std::string EscapeLabelValue(std::string_view value);

class Metrics {
 public:
  // Distinct operation labels kept (the three services' models hold a few hundred).
  static constexpr size_t kMaxOperations = 1024;

  // operation: e.g. "secretsmanager.GetSecretValue" or "unknown"; error_code: an AWS error
  // type from services/common/aws_error, "" on success.
  void Record(const std::string& operation, const std::string& error_code, double seconds);
  // One read tried on an I/O thread (net/pipeline.h TryHandleInline): answered there, or
  // handed to a worker because it needed the database. Lock-free: an I/O thread calls it.
  void CountInlineAttempt(bool answered) {
    (answered ? inline_answered_ : inline_handed_over_).fetch_add(1, std::memory_order_relaxed);
  }
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
  std::map<std::string, Histogram> latency_;  // one entry per operation label
  std::atomic<uint64_t> inline_answered_{0};
  std::atomic<uint64_t> inline_handed_over_{0};
};

}  // namespace arcana::net
