// Records naming the store changes they describe (storage/committed_changes.h,
// audit/change_claims.h): the collector, the record's additionalEventData, the records of
// unclaimed job changes, and verify's cross-check in both directions.
#include <gtest/gtest.h>

#include <rapidjson/document.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "audit/audit_event.h"
#include "audit/chain.h"
#include "audit/change_claims.h"
#include "audit/unrecorded_changes.h"
#include "storage/committed_changes.h"

namespace arcana::audit {
namespace {

using storage::Change;
using storage::CommittedChanges;

Change C(int64_t seq, std::string kind, std::string resource, int64_t at_ms = 10'000) {
  Change c;
  c.seq = seq;
  c.at_ms = at_ms;
  c.account = "123456789012";
  c.region = "us-east-1";
  c.service = "secretsmanager";
  c.resource = std::move(resource);
  c.kind = std::move(kind);
  return c;
}

TEST(CommittedChanges, CollectsOnlyInsideItsScopeTakesAndTruncates) {
  EXPECT_EQ(CommittedChanges::Current(), nullptr);
  CommittedChanges c;
  {
    CommittedChanges::Scope s(&c);
    EXPECT_EQ(CommittedChanges::Current(), &c);
    CommittedChanges::Current()->Add(C(1, "PutSecretValue", "arn:a"));
  }
  EXPECT_EQ(CommittedChanges::Current(), nullptr);
  ASSERT_EQ(c.items().size(), 1u);
  CommittedChanges taken = c.Take();
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(taken.items()[0].seq, 1);
  for (size_t i = 0; i < CommittedChanges::kMax + 5; ++i) c.Add(C(static_cast<int64_t>(i), "k", "r"));
  EXPECT_EQ(c.items().size(), CommittedChanges::kMax);
  EXPECT_TRUE(c.truncated());
}

TEST(CommittedChanges, RecordCarriesThemAsAdditionalEventDataOnlyWhenSomethingChanged) {
  AuditEvent e = ServiceEvent("secretsmanager.amazonaws.com", "DeleteSecret", "123456789012",
                              "us-east-1", 1'000);
  EXPECT_EQ(EventJson(e).find("additionalEventData"), std::string::npos);
  CommittedChanges c;
  c.Add(C(1234, "PurgeSecret", "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf"));
  c.Add(C(1235, "PurgeSecret", "arn:b"));
  {
    CommittedChanges::Scope s(&c);
    ClaimThreadChanges(e);
    EXPECT_TRUE(CommittedChanges::Current()->empty());  // claimed: the next report starts afresh
  }
  const std::string line = EventJson(e);
  rapidjson::Document d;
  d.Parse(line.c_str());
  ASSERT_FALSE(d.HasParseError()) << line;
  const auto& a = d["additionalEventData"];
  ASSERT_TRUE(a.IsObject());
  ASSERT_EQ(a["changeSequence"].Size(), 2u);
  EXPECT_EQ(a["changeSequence"][0].GetInt64(), 1234);
  EXPECT_EQ(a["changeSequence"][1].GetInt64(), 1235);
  EXPECT_STREQ(a["changes"][1]["kind"].GetString(), "PurgeSecret");
  EXPECT_STREQ(a["changes"][1]["resource"].GetString(), "arn:b");
  EXPECT_FALSE(a.HasMember("changeSequenceTruncated"));
  RecordClaims r;
  ASSERT_TRUE(ParseRecordClaims(line, "n1.000001.jsonl:7", &r));
  ASSERT_EQ(r.claims.size(), 2u);
  EXPECT_EQ(r.claims[0].seq, 1234);
  EXPECT_EQ(r.claims[1].resource, "arn:b");
  EXPECT_EQ(r.time_ms, 1'000 / 1000 * 1000);
  EXPECT_NE(r.where.find("n1.000001.jsonl:7 (DeleteSecret, eventID "), std::string::npos);
}

TEST(CommittedChanges, UnclaimedJobChangesGetOneRecordPerKind) {
  CommittedChanges c;
  c.Add(C(5, "PostponeRotation", "arn:a"));
  c.Add(C(6, "ScheduleKeyDeletion", "arn:k"));
  c.Add(C(7, "PostponeRotation", "arn:b"));
  auto events = UnclaimedChangeEvents("rotation:arn:a", c, 9'000);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event_name, "PostponeRotation");
  EXPECT_EQ(events[0].event_source, "secretsmanager.amazonaws.com");
  EXPECT_EQ(events[0].type, AuditEvent::Type::kServiceEvent);
  ASSERT_EQ(events[0].changes.size(), 2u);
  EXPECT_EQ(events[0].changes[1].seq, 7);
  ASSERT_EQ(events[0].resources.size(), 2u);
  EXPECT_EQ(events[0].resources[1].arn, "arn:b");
  EXPECT_NE(events[0].service_event_details.find("rotation:arn:a"), std::string::npos);
  EXPECT_EQ(events[1].changes[0].seq, 6);
}

TEST(CommittedChanges, UnclaimedEventBridgeChangesNameARuleOrAnEventBus) {
  CommittedChanges c;
  Change bus = C(8, "TagResource", "arn:aws:events:us-east-1:123456789012:event-bus/default");
  Change rule = C(9, "TagResource", "arn:aws:events:us-east-1:123456789012:rule/r1");
  bus.service = rule.service = "events";
  c.Add(bus);
  c.Add(rule);
  auto events = UnclaimedChangeEvents("job", c, 9'000);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].resources.size(), 2u);
  EXPECT_EQ(events[0].resources[0].type, "AWS::Events::EventBus");
  EXPECT_EQ(events[0].resources[1].type, "AWS::Events::Rule");
}

RecordClaims Rec(std::string where, int64_t time_ms, std::vector<Change> claims) {
  RecordClaims r;
  r.where = std::move(where);
  r.time_ms = time_ms;
  r.claims = std::move(claims);
  return r;
}

TEST(CrossCheck, AgreeingTrailAndStorePass) {
  std::vector<Change> log = {C(3, "CreateSecret", "arn:a", 10'200), C(4, "PutSecretValue", "arn:a", 11'100)};
  std::vector<RecordClaims> recs = {Rec("f:1", 10'000, {C(3, "CreateSecret", "arn:a")}),
                                    Rec("f:2", 11'000, {C(4, "PutSecretValue", "arn:a")}),
                                    Rec("", 12'000, {})};
  auto r = CrossCheck(recs, log, /*complete=*/true);
  EXPECT_TRUE(r.problems.empty()) << r.problems[0];
  EXPECT_EQ(r.claims_checked, 2u);
  EXPECT_EQ(r.changes_checked, 2u);
}

TEST(CrossCheck, RecordClaimingTheWrongChangeFailsNamingBoth) {
  std::vector<Change> log = {C(3, "CreateSecret", "arn:a"), C(4, "DeleteSecret", "arn:b")};
  std::vector<RecordClaims> recs = {Rec("n1.000001.jsonl:5 (PutSecretValue, eventID e1)", 10'000,
                                        {C(3, "CreateSecret", "arn:a"), C(4, "PutSecretValue", "arn:a")})};
  auto r = CrossCheck(recs, log, false);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0],
            "record n1.000001.jsonl:5 (PutSecretValue, eventID e1) claims change 4 "
            "(PutSecretValue, arn:a) but the store's is change 4 (DeleteSecret, arn:b)");
}

TEST(CrossCheck, ClaimOfAnAbsentChangeFailsUnlessTrimmedAndDoubleClaimsFail) {
  std::vector<Change> log = {C(10, "CreateSecret", "arn:a"), C(12, "CreateSecret", "arn:c")};
  std::vector<RecordClaims> recs = {Rec("r1", 10'000, {C(9, "CreateSecret", "arn:old")}),  // trimmed
                                    Rec("r2", 10'000, {C(11, "CreateSecret", "arn:b")}),  // never was
                                    Rec("r3", 10'000, {C(10, "CreateSecret", "arn:a")}),
                                    Rec("r4", 10'000, {C(10, "CreateSecret", "arn:a")}),
                                    Rec("r5", 10'000, {C(12, "CreateSecret", "arn:c")})};
  auto r = CrossCheck(recs, log, true);
  EXPECT_EQ(r.claims_trimmed, 1u);
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0], "record r2 claims change 11 (CreateSecret, arn:b), which the store's "
                           "change log does not hold");
  EXPECT_EQ(r.problems[1], "change 10 is claimed by two records: r3 and r4");
}

TEST(CrossCheck, ChangeWithoutRecordFailsOnlyWhenCompleteAndInsideTheSpan) {
  std::vector<Change> log = {C(1, "CreateAccessKey", "AKIA", 5'000),  // before the trail
                             C(2, "CreateSecret", "arn:a", 10'100),
                             C(3, "PutSecretValue", "arn:a", 10'500),  // no record
                             C(4, "PutSecretValue", "arn:a", 20'000)};  // after the trail
  std::vector<RecordClaims> recs = {Rec("r1", 10'000, {C(2, "CreateSecret", "arn:a")}),
                                    Rec("", 11'000, {})};
  auto partial = CrossCheck(recs, log, false);
  EXPECT_TRUE(partial.problems.empty());
  auto full = CrossCheck(recs, log, true);
  ASSERT_EQ(full.problems.size(), 1u);
  EXPECT_EQ(full.problems[0], "change 3 (PutSecretValue, arn:a) has no audit record");
  EXPECT_EQ(full.changes_checked, 2u);
}

TEST(CrossCheck, GivenTheStoresHeadTheSpanRunsToItNotJustToTheNewestRecord) {
  // A node whose files were all removed took the records of the newest changes with it:
  // they are newer than every record left. Changes after the head read before the records
  // (committed meanwhile, their records maybe not on disk yet) are not required.
  std::vector<Change> log = {C(2, "CreateSecret", "arn:a", 10'100),
                             C(3, "PutSecretValue", "arn:a", 20'000),   // its record removed
                             C(4, "PutSecretValue", "arn:a", 30'000),   // its record removed
                             C(5, "PutSecretValue", "arn:a", 40'000)};  // after the head
  std::vector<RecordClaims> recs = {Rec("r1", 10'000, {C(2, "CreateSecret", "arn:a")})};
  auto to_record = CrossCheck(recs, log, true);
  EXPECT_TRUE(to_record.problems.empty());
  auto to_head = CrossCheck(recs, log, true, INT64_MIN, /*head_seq=*/4);
  ASSERT_EQ(to_head.problems.size(), 2u);
  EXPECT_EQ(to_head.problems[0], "change 3 (PutSecretValue, arn:a) has no audit record");
  EXPECT_EQ(to_head.problems[1], "change 4 (PutSecretValue, arn:a) has no audit record");
  EXPECT_EQ(to_head.changes_checked, 3u);
  // Only with every node's records; and a trail without a record has no span.
  EXPECT_TRUE(CrossCheck(recs, log, false, INT64_MIN, 4).problems.empty());
  EXPECT_TRUE(CrossCheck({}, log, true, INT64_MIN, 4).problems.empty());
  // Retention's floor still starts the span.
  auto floored = CrossCheck(recs, log, true, 25'000, 4);
  ASSERT_EQ(floored.problems.size(), 1u);
  EXPECT_EQ(floored.problems[0], "change 4 (PutSecretValue, arn:a) has no audit record");
}

TEST(CrossCheck, TheSpanStartsNoEarlierThanTheFloorRetentionSets) {
  // Another node's files start at 10'000, but this node's records before 15'000 were
  // removed by retention: change 3's record may have gone with them.
  std::vector<Change> log = {C(2, "CreateSecret", "arn:a", 10'100),
                             C(3, "PutSecretValue", "arn:a", 12'000),  // record removed
                             C(4, "PutSecretValue", "arn:a", 16'000)};  // no record
  std::vector<RecordClaims> recs = {Rec("r1", 10'000, {C(2, "CreateSecret", "arn:a")}),
                                    Rec("", 20'000, {})};
  auto r = CrossCheck(recs, log, true, 15'000);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0], "change 4 (PutSecretValue, arn:a) has no audit record");
  EXPECT_EQ(r.changes_checked, 1u);
}

TEST(CrossCheck, ClaimsOfChangesARestoreTookBackAreCountedNotFailed) {
  // The backup held changes up to 11; the replaced store had gone to 14; the restore is 15.
  Change restore = C(15, Change::kRestoreKind, Change::kStoreResource, 30'000);
  restore.service = "arcana";
  ASSERT_TRUE(restore.IsStoreRestore());
  std::vector<Change> log = {C(11, "CreateSecret", "arn:a", 10'000), restore,
                             C(16, "PutSecretValue", "arn:a", 31'000)};
  std::vector<RecordClaims> recs = {Rec("r1", 10'000, {C(11, "CreateSecret", "arn:a")}),
                                    Rec("r2", 20'000, {C(12, "PutSecretValue", "arn:a"),
                                                       C(14, "DeleteSecret", "arn:a")}),
                                    Rec("r3", 30'000, {C(15, Change::kRestoreKind, Change::kStoreResource)}),
                                    Rec("r4", 31'000, {C(16, "PutSecretValue", "arn:a")}),
                                    // After the restore's change: no restore took it back.
                                    Rec("r5", 31'000, {C(17, "PutSecretValue", "arn:a")})};
  auto r = CrossCheck(recs, log, true);
  EXPECT_EQ(r.claims_undone, 2u);
  EXPECT_EQ(r.claims_checked, 3u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0], "record r5 claims change 17 (PutSecretValue, arn:a), which the store's "
                           "change log does not hold");
}

// ---------------------------------------------------------------- what a crash left

class FixedLog : public storage::ChangeLog {
 public:
  explicit FixedLog(std::vector<Change> all, bool names_nodes = false)
      : all_(std::move(all)), names_nodes_(names_nodes) {}
  bool NamesNodes() const override { return names_nodes_; }
  Result<int64_t> Head() override { return all_.empty() ? 0 : all_.back().seq; }
  Result<std::vector<Change>> ReadChanges(int64_t after, size_t limit) override {
    std::vector<Change> out;
    for (const auto& c : all_) {
      if (c.seq > after && out.size() < limit) out.push_back(c);
    }
    return out;
  }
  void WaitForChange(int64_t, std::chrono::milliseconds) override {}
  Result<size_t> TrimChanges(int64_t) override { return size_t{0}; }

 private:
  std::vector<Change> all_;
  bool names_nodes_ = false;
};

TEST(UnrecordedChanges, TheTailsUnclaimedChangesUpToTheHeadMinusOtherSetsClaims) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("arcana-unrecorded-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto record = [](std::vector<int64_t> seqs) {
    AuditEvent e = ServiceEvent("arcana.internal", "X", "123456789012", "us-east-1", 1'000);
    for (int64_t s : seqs) e.changes.push_back(C(s, "PutSecretValue", "arn:" + std::to_string(s)));
    return EventJson(e) + "\n";
  };
  {
    // n1 claims 1..20 but 14 (its record lost in a crash), 18's record before 17's, and reads
    // between that claim nothing.
    std::ofstream n1(dir / RecordFileName("n1", 1));
    for (int64_t s : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 18, 17, 19, 20}) {
      n1 << record({s}) << record({});
    }
    n1 << "{\"torn";  // a crash mid-write: not a record
    // An operator CLI's set claimed 22, and 3 long ago.
    std::ofstream cli(dir / RecordFileName("cli-h", 1));
    cli << record({3}) << record({22});
  }
  std::vector<Change> all;
  for (int64_t s = 1; s <= 24; ++s) all.push_back(C(s, "PutSecretValue", "arn:" + std::to_string(s)));
  FixedLog log(all);
  auto found = FindUnrecordedChanges(dir.string(), "n1", log, /*head=*/23);
  ASSERT_TRUE(found.ok()) << found.status().message();
  // The older half of n1's 19 claiming records claims up to 10: looked at 11..23.
  EXPECT_EQ(found->after, 10);
  EXPECT_EQ(found->head, 23);
  std::vector<int64_t> seqs;
  for (const auto& c : found->changes) seqs.push_back(c.seq);
  EXPECT_EQ(seqs, (std::vector<int64_t>{14, 21, 23}));  // 24: committed after this start

  auto events = RecoveredChangeEvents("n1", found->changes, found->after, found->head, 5'000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event_name, "RecoverUnrecordedChanges");
  EXPECT_EQ(events[0].type, AuditEvent::Type::kServiceEvent);
  EXPECT_EQ(events[0].changes.size(), 3u);
  EXPECT_EQ(events[0].resources.size(), 3u);
  EXPECT_EQ(events[0].service_event_details,
            R"({"node":"n1","reason":"crash","changesAfter":10,"storeHeadAtStart":23})");

  // A node whose tail claims nothing has nothing to bound: none claimed.
  auto none = FindUnrecordedChanges(dir.string(), "n2", log, 23);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->no_claims);
  EXPECT_TRUE(none->changes.empty());
  fs::remove_all(dir);
}

// A store several nodes share (PostgreSQL): rows name their node, and a restarted node claims
// only its own. n2's changes are in n2's own dir (not this one), some with their records still
// on their way: claiming them would claim them twice.
TEST(UnrecordedChanges, OnAStoreWhoseRowsNameTheirNodeOnlyTheNodesOwnAreLookedAt) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("arcana-unrecorded-own-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto node_of = [](int64_t s) { return s % 2 == 1 ? "n1" : "n2"; };  // n1: odd, n2: even
  {
    // n1 recorded its changes 1..21 but 17 and 21 (lost in a crash), and its 23.
    std::ofstream n1(dir / RecordFileName("n1", 1));
    for (int64_t s : {1, 3, 5, 7, 9, 11, 13, 15, 19, 23}) {
      AuditEvent e = ServiceEvent("arcana.internal", "X", "123456789012", "us-east-1", 1'000);
      e.changes.push_back(C(s, "PutSecretValue", "arn:" + std::to_string(s)));
      n1 << EventJson(e) << "\n";
    }
  }
  std::vector<Change> all;
  for (int64_t s = 1; s <= 26; ++s) {
    all.push_back(C(s, "PutSecretValue", "arn:" + std::to_string(s)));
    all.back().node = node_of(s);
  }
  all[24].node = "";  // 25: the arcana CLI's (or a row from before the column): no node's
  auto seqs_of = [](const UnrecordedChanges& u) {
    std::vector<int64_t> seqs;
    for (const auto& c : u.changes) seqs.push_back(c.seq);
    return seqs;
  };
  FixedLog shared(all, /*names_nodes=*/true);
  auto found = FindUnrecordedChanges(dir.string(), "n1", shared, /*head=*/26);
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->after, 9);  // the older half of n1's 10 claiming records: up to 9
  EXPECT_EQ(seqs_of(*found), (std::vector<int64_t>{17, 21}));
  for (const auto& c : found->changes) EXPECT_EQ(c.node, "n1");

  // The same rows on a log that names no node (a store one node owns): every unclaimed one.
  FixedLog local(all);
  auto every = FindUnrecordedChanges(dir.string(), "n1", local, 26);
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(seqs_of(*every), (std::vector<int64_t>{10, 12, 14, 16, 17, 18, 20, 21, 22, 24, 25, 26}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace arcana::audit
