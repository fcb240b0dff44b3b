// Token buckets for the operator endpoints: one per source address and one for everyone,
// so neither a single client nor a crowd can hammer unseal, seal or rotate-root. A failed
// attempt (bad credentials, wrong share, wrong nonce) costs several tokens, so guessing
// backs off much sooner than an operator typing shares.
// Thread-safety: every method is thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace arcana::seal {

struct RateLimits {
  double per_source_burst = 40;   // tokens a source starts with (and can save up)
  double per_source_rate = 1;     // tokens per second a source earns back
  double global_burst = 200;
  double global_rate = 20;
  double failure_cost = 5;        // extra tokens a failed attempt takes
  size_t max_sources = 10000;     // tracked addresses; full buckets are forgotten first
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(RateLimits limits = {}) : limits_(limits) {}

  // Takes one token from source's bucket and the global one. False (nothing taken) when
  // either is empty; *retry_after_s then says when a token will be there again.
  bool Admit(std::string_view source, int* retry_after_s, Clock::time_point now = Clock::now());
  // Charges a failed attempt's extra cost to source, into debt down to minus its burst (so
  // failures keep costing more than successes once the burst is spent), and to the global
  // bucket down to empty.
  void Failed(std::string_view source, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  void Refill(Bucket& b, double burst, double rate, Clock::time_point now) const;
  Bucket& SourceBucket(std::string_view source, Clock::time_point now);

  RateLimits limits_;
  std::mutex mu_;
  Bucket global_{-1, {}};
  std::unordered_map<std::string, Bucket> sources_;
};

}  // namespace arcana::seal
