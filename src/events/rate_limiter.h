// Sends per second to one destination, on this node: an API destination's
// InvocationRateLimitPerSecond. A token bucket per key holding up to `rate` tokens, refilled
// at `rate` per second, that may go into debt: each call takes a token and answers how long
// until that token exists (0: at once), and the caller sends at that time without asking
// again. So a burst of `rate` goes out at once and a backlog after it is spread 1/rate
// seconds apart, instead of being retried in waves. Keys idle for a minute are forgotten
// once more than kMaxKeys are held.
// Per node: N nodes delivering to one destination may together send N times its rate.
// Thread-safety: Reserve from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace arcana::events {

class RateLimiter {
 public:
  static constexpr size_t kMaxKeys = 10000;
  // Milliseconds from now_ms until the token reserved for one send under `key` at
  // `rate_per_second` (less than 1 is taken as 1) exists; 0: now.
  int64_t Reserve(const std::string& key, int64_t rate_per_second, int64_t now_ms);

 private:
  struct Bucket {
    double tokens = 0;  // negative: reserved ahead of their refill
    double last_ms = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace arcana::events
