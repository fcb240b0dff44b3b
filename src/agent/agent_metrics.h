// arcana-agent's Prometheus metrics (GET /metrics): cache hits, misses, refreshes,
// invalidations, stale answers, upstream errors, SSRF refusals, and a latency histogram of
// the requests it answers. Names carry no request input, so the series set is fixed.
// Thread-safety: counters are atomics; the histogram takes one short lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace arcana::agent {

class AgentMetrics {
 public:
  std::atomic<uint64_t> hits{0};           // answered from the cache
  std::atomic<uint64_t> misses{0};         // not cached: fetched upstream
  std::atomic<uint64_t> refreshes{0};      // cached but expired, or refreshNow: fetched again
  std::atomic<uint64_t> invalidations{0};  // entries dropped by the change stream
  std::atomic<uint64_t> stale_served{0};   // stale-on-error answers
  std::atomic<uint64_t> upstream_errors{0};  // upstream unreachable or timed out
  std::atomic<uint64_t> upstream_error_replies{0};  // upstream answered an AWS error
  std::atomic<uint64_t> refused{0};        // SSRF token missing/wrong, X-Forwarded-For

  void ObserveLatency(double seconds);
  // `gauges` appends gauge lines (cache size, stream state) rendered by the caller.
  std::string RenderPrometheus(const std::string& gauges) const;

 private:
  static constexpr double kBuckets[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                        0.005,   0.01,   0.025,   0.05,   0.1,   0.25, 1.0};
  static constexpr size_t kNumBuckets = sizeof(kBuckets) / sizeof(kBuckets[0]);
  mutable std::mutex mu_;
  uint64_t buckets_[kNumBuckets] = {};
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace arcana::agent
