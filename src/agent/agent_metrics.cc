#include "agent/agent_metrics.h"

#include <cstdio>

namespace arcana::agent {

void AgentMetrics::ObserveLatency(double seconds) {
  std::lock_guard<std::mutex> l(mu_);
  for (size_t i = 0; i < kNumBuckets; ++i) {
    if (seconds <= kBuckets[i]) ++buckets_[i];
  }
  ++count_;
  sum_ += seconds;
}

std::string AgentMetrics::RenderPrometheus(const std::string& gauges) const {
  std::string out;
  auto counter = [&](const char* name, const char* help, const std::atomic<uint64_t>& v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" +
           name + " " + std::to_string(v.load()) + "\n";
  };
  counter("arcana_agent_cache_hits_total", "Requests answered from the cache.", hits);
  counter("arcana_agent_cache_misses_total", "Requests for values not cached.", misses);
  counter("arcana_agent_cache_refreshes_total",
          "Cached values fetched again (TTL expired or refreshNow).", refreshes);
  counter("arcana_agent_invalidations_total",
          "Cache entries dropped because the change stream named their resource.", invalidations);
  counter("arcana_agent_stale_served_total",
          "Cached values served past their freshness because the upstream was unreachable.",
          stale_served);
  counter("arcana_agent_upstream_errors_total",
          "Upstream requests that failed (unreachable, timed out).", upstream_errors);
  counter("arcana_agent_upstream_error_replies_total",
          "Upstream AWS error answers passed through.", upstream_error_replies);
  counter("arcana_agent_refused_total",
          "Requests refused for a missing or wrong SSRF token or a forwarding header.", refused);
  std::lock_guard<std::mutex> l(mu_);
  out += "# HELP arcana_agent_request_duration_seconds Time to answer a request.\n"
         "# TYPE arcana_agent_request_duration_seconds histogram\n";
  char num[64];
  for (size_t i = 0; i < kNumBuckets; ++i) {
    std::snprintf(num, sizeof(num), "%g", kBuckets[i]);
    out += std::string("arcana_agent_request_duration_seconds_bucket{le=\"") + num + "\"} " +
           std::to_string(buckets_[i]) + "\n";
  }
  out += "arcana_agent_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(count_) +
         "\n";
  std::snprintf(num, sizeof(num), "%.9g", sum_);
  out += std::string("arcana_agent_request_duration_seconds_sum ") + num + "\n";
  out += "arcana_agent_request_duration_seconds_count " + std::to_string(count_) + "\n";
  out += gauges;
  return out;
}

}  // namespace arcana::agent
