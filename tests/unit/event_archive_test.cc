// Archives and replays as stored (domain/events/archive.h): the documents round-trip, and a
// replayed event carries "replay-name" after "region", as AWS's replayed events do.
#include "domain/events/archive.h"

#include <gtest/gtest.h>

namespace arcana::domain::events {
namespace {

TEST(EventArchive, DocumentsRoundTrip) {
  Archive a{"a1", "arn:aws:events:us-east-1:1:archive/a1", "arn:aws:events:us-east-1:1:event-bus/b",
            "b", "desc", R"({"source":["x"]})", 3, "ENABLED", 42};
  auto back = DecodeArchive(EncodeArchive(a));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "a1");
  EXPECT_EQ(back->bus, "b");
  EXPECT_EQ(back->event_pattern, a.event_pattern);
  EXPECT_EQ(back->retention_days, 3);
  EXPECT_EQ(back->created_ms, 42);

  Replay r;
  r.name = "r1";
  r.arn = "arn:aws:events:us-east-1:1:replay/r1";
  r.state = "RUNNING";
  r.filter_arns = {"arn:aws:events:us-east-1:1:rule/b/x"};
  r.event_start_ms = 1;
  r.event_end_ms = 2;
  r.last_replayed_ms = 5;
  r.progress_seq = 9;
  auto rb = DecodeReplay(EncodeReplay(r));
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rb->filter_arns, r.filter_arns);
  EXPECT_EQ(rb->last_replayed_ms, 5);
  EXPECT_FALSE(rb->replay_end_ms.has_value());
  EXPECT_EQ(rb->progress_seq, 9);
  EXPECT_FALSE(ReplayEnded(*rb));
  rb->state = "CANCELLED";
  EXPECT_TRUE(ReplayEnded(*rb));

  EXPECT_FALSE(DecodeArchive("{}").ok());
  EXPECT_FALSE(DecodeReplay("not json").ok());
}

// A review: RetentionDays had no upper bound and days * 86,400,000 overflowed int64. The
// product saturates at the model's 32-bit maximum, so a value stored before the bound (or
// any) never wraps; 0 (and below) is "for ever".
TEST(EventArchive, RetentionInMillisecondsSaturates) {
  EXPECT_EQ(RetentionMs(0), 0);
  EXPECT_EQ(RetentionMs(-5), 0);
  EXPECT_EQ(RetentionMs(1), 86'400'000);
  const int64_t max_ms = kMaxRetentionDays * int64_t{86'400'000};
  EXPECT_EQ(RetentionMs(kMaxRetentionDays), max_ms);
  EXPECT_EQ(RetentionMs(int64_t{1} << 40), max_ms);  // wrapped negative before
  EXPECT_EQ(RetentionMs(INT64_MAX), max_ms);
  EXPECT_GT(max_ms, 0);
  EXPECT_LT(max_ms, INT64_MAX - 253'402'300'800'000);  // + any event time (to 9999) fits
}

TEST(EventArchive, AReplayedEventNamesItsReplayAfterTheRegion) {
  EXPECT_EQ(ReplayedEventJson(R"({"version":"0","id":"e","region":"us-east-1","resources":[],"detail":{}})",
                              "r1"),
            R"({"version":"0","id":"e","region":"us-east-1","replay-name":"r1","resources":[],"detail":{}})");
  // A replay-name already there (a replayed event archived elsewhere) is replaced.
  EXPECT_EQ(ReplayedEventJson(R"({"region":"x","replay-name":"old"})", "new"),
            R"({"region":"x","replay-name":"new"})");
  EXPECT_EQ(ReplayedEventJson(R"({"id":"e"})", "r"), R"({"id":"e","replay-name":"r"})");
  EXPECT_FALSE(ReplayedEventJson("[1]", "r").has_value());
}

}  // namespace
}  // namespace arcana::domain::events
