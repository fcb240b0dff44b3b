// An API destination's rate limit on this node (events/rate_limiter.h): a burst of `rate`
// at once, the rest spread 1/rate seconds apart, and the bucket full again after a pause.
#include "events/rate_limiter.h"

#include <gtest/gtest.h>

namespace arcana::events {
namespace {

TEST(RateLimiter, ABurstOfTheRateThenOneTurnPerInterval) {
  RateLimiter limits;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limits.Reserve("d", 4, 1000), 0) << i;
  // The backlog after the burst: 250 ms apart, each reserved once.
  EXPECT_EQ(limits.Reserve("d", 4, 1000), 250);
  EXPECT_EQ(limits.Reserve("d", 4, 1000), 500);
  EXPECT_EQ(limits.Reserve("d", 4, 1000), 750);
  // Another destination has its own bucket.
  EXPECT_EQ(limits.Reserve("other", 4, 1000), 0);
  // Time passing pays the debt back before new tokens count.
  EXPECT_EQ(limits.Reserve("d", 4, 1500), 500);
  // Idle long enough: a full burst again, never more than the rate.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limits.Reserve("d", 4, 60000), 0) << i;
  EXPECT_GT(limits.Reserve("d", 4, 60000), 0);
}

TEST(RateLimiter, ARateBelowOneIsOne) {
  RateLimiter limits;
  EXPECT_EQ(limits.Reserve("d", 0, 0), 0);
  EXPECT_EQ(limits.Reserve("d", 0, 0), 1000);
  EXPECT_EQ(limits.Reserve("d", -5, 0), 2000);
}

TEST(RateLimiter, IdleKeysAreForgottenBeyondTheBound) {
  RateLimiter limits;
  for (size_t i = 0; i < RateLimiter::kMaxKeys; ++i) {
    limits.Reserve("k" + std::to_string(i), 1, 0);
  }
  // A minute later a new key makes room; a forgotten key starts full again.
  EXPECT_EQ(limits.Reserve("new", 1, 120000), 0);
  EXPECT_EQ(limits.Reserve("k0", 1, 120000), 0);
}

}  // namespace
}  // namespace arcana::events
