#include "events/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace arcana::events {

int64_t RateLimiter::Reserve(const std::string& key, int64_t rate_per_second, int64_t now_ms) {
  const double rate = static_cast<double>(std::max<int64_t>(rate_per_second, 1));
  const double now = static_cast<double>(now_ms);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxKeys) {
      // A bucket idle for a minute is full again: forgetting it changes nothing.
      std::erase_if(buckets_, [&](const auto& kv) { return kv.second.last_ms + 60000 < now; });
    }
    it = buckets_.emplace(key, Bucket{rate, now}).first;
  }
  Bucket& b = it->second;
  if (now > b.last_ms) {
    b.tokens = std::min(rate, b.tokens + (now - b.last_ms) * rate / 1000.0);
    b.last_ms = now;
  }
  b.tokens -= 1;
  if (b.tokens >= 0) return 0;
  return static_cast<int64_t>(std::ceil(-b.tokens * 1000.0 / rate));
}

}  // namespace arcana::events
