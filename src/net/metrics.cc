#include "net/metrics.h"

#include <cstdio>

namespace arcana::net {

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

void Metrics::Record(const std::string& operation, const std::string& error_code,
                     double seconds) {
  std::lock_guard<std::mutex> l(mu_);
  auto h_it = latency_.find(operation);
  if (h_it == latency_.end()) {
    // Beyond the cap a new label is folded into "unknown" rather than kept.
    const std::string& label = latency_.size() < kMaxOperations ? operation : "unknown";
    h_it = latency_.try_emplace(label).first;
  }
  ++requests_[{h_it->first, error_code}];
  auto& h = h_it->second;
  for (size_t i = 0; i < kNumBuckets; ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::RenderPrometheus() const {
  std::lock_guard<std::mutex> l(mu_);
  std::string out;
  out += "# HELP arcana_requests_total Requests by operation and error code.\n";
  out += "# TYPE arcana_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += "arcana_requests_total{operation=\"" + EscapeLabelValue(key.first) + "\",code=\"" +
           (key.second.empty() ? "OK" : EscapeLabelValue(key.second)) + "\"} " +
           std::to_string(n) + "\n";
  }
  out += "# HELP arcana_request_duration_seconds Request latency by operation.\n";
  out += "# TYPE arcana_request_duration_seconds histogram\n";
  char buf[64];
  for (const auto& [raw_op, h] : latency_) {
    const std::string op = EscapeLabelValue(raw_op);
    for (size_t i = 0; i < kNumBuckets; ++i) {
      std::snprintf(buf, sizeof(buf), "%g", kBuckets[i]);
      out += "arcana_request_duration_seconds_bucket{operation=\"" + op + "\",le=\"" + buf +
             "\"} " + std::to_string(h.buckets[i]) + "\n";
    }
    out += "arcana_request_duration_seconds_bucket{operation=\"" + op + "\",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    std::snprintf(buf, sizeof(buf), "%.6f", h.sum);
    out += "arcana_request_duration_seconds_sum{operation=\"" + op + "\"} " + buf + "\n";
    out += "arcana_request_duration_seconds_count{operation=\"" + op + "\"} " +
           std::to_string(h.count) + "\n";
  }
  out += "# HELP arcana_inline_attempts_total API reads tried on an I/O thread from this node's "
         "caches, by outcome: answered there, or handed to a worker because they needed the "
         "database.\n";
  out += "# TYPE arcana_inline_attempts_total counter\n";
  out += "arcana_inline_attempts_total{outcome=\"answered\"} " +
         std::to_string(inline_answered_.load(std::memory_order_relaxed)) + "\n";
  out += "arcana_inline_attempts_total{outcome=\"handed_to_worker\"} " +
         std::to_string(inline_handed_over_.load(std::memory_order_relaxed)) + "\n";
  return out;
}

}  // namespace arcana::net
