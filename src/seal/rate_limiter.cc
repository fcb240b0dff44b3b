#include "seal/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace arcana::seal {

void RateLimiter::Refill(Bucket& b, double burst, double rate, Clock::time_point now) const {
  if (b.tokens < 0 && b.at == Clock::time_point{}) {  // never used: starts full
    b = Bucket{burst, now};
    return;
  }
  double secs = std::chrono::duration<double>(now - b.at).count();
  if (secs > 0) {
    b.tokens = std::min(burst, b.tokens + secs * rate);
    b.at = now;
  }
}

RateLimiter::Bucket& RateLimiter::SourceBucket(std::string_view source, Clock::time_point now) {
  auto it = sources_.find(std::string(source));
  if (it != sources_.end()) {
    Refill(it->second, limits_.per_source_burst, limits_.per_source_rate, now);
    return it->second;
  }
  if (sources_.size() >= limits_.max_sources) {
    // Forget sources whose bucket has refilled: they are indistinguishable from new ones.
    for (auto i = sources_.begin(); i != sources_.end();) {
      Refill(i->second, limits_.per_source_burst, limits_.per_source_rate, now);
      i = i->second.tokens >= limits_.per_source_burst ? sources_.erase(i) : std::next(i);
    }
    // Still full (a flood of distinct addresses): the global bucket is the limit that holds.
    if (sources_.size() >= limits_.max_sources) sources_.erase(sources_.begin());
  }
  return sources_.emplace(std::string(source), Bucket{limits_.per_source_burst, now})
      .first->second;
}

bool RateLimiter::Admit(std::string_view source, int* retry_after_s, Clock::time_point now) {
  std::lock_guard<std::mutex> l(mu_);
  Refill(global_, limits_.global_burst, limits_.global_rate, now);
  Bucket& b = SourceBucket(source, now);
  if (b.tokens >= 1 && global_.tokens >= 1) {
    b.tokens -= 1;
    global_.tokens -= 1;
    return true;
  }
  double wait = 0;
  if (b.tokens < 1) wait = std::max(wait, (1 - b.tokens) / limits_.per_source_rate);
  if (global_.tokens < 1) wait = std::max(wait, (1 - global_.tokens) / limits_.global_rate);
  if (retry_after_s != nullptr) *retry_after_s = std::max(1, static_cast<int>(std::ceil(wait)));
  return false;
}

void RateLimiter::Failed(std::string_view source, Clock::time_point now) {
  std::lock_guard<std::mutex> l(mu_);
  Refill(global_, limits_.global_burst, limits_.global_rate, now);
  Bucket& b = SourceBucket(source, now);
  // The source's bucket goes into debt (down to minus its burst): once the burst is spent,
  // every failure still costs its extra tokens, so a guesser waits failure_cost + 1 tokens'
  // refill per attempt rather than one. The shared bucket stops at empty, so failures from
  // many sources cannot lock the operator out for longer than its refill.
  b.tokens = std::max(-limits_.per_source_burst, b.tokens - limits_.failure_cost);
  global_.tokens = std::max(0.0, global_.tokens - limits_.failure_cost);
}

}  // namespace arcana::seal
