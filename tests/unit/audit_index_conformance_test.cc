// The store's index of audit records (storage/audit_index_store.h) and the two ways of
// searching a trail: a SQLite store has no index (one node: its files are the whole trail);
// on PostgreSQL (a throwaway cluster, pg_test_cluster.h) the index keeps one copy per record,
// orders node names bytewise, pages by position, narrows by one attribute and trims by age;
// and records shipped from two nodes' files (audit/trail_indexer.h) are found by every
// query, page after page, exactly as the file search finds them (audit/trail_query.h).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "audit/audit_event.h"
#include "audit/file_trail.h"
#include "audit/lookup_keys.h"
#include "audit/trail_index_search.h"
#include "audit/trail_indexer.h"
#include "audit/trail_query.h"
#include "audit/trail_reader.h"
#include "conformance_stores.h"

namespace arcana::storage::audit_index_conformance {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1700000000000;  // the records' times: far older than the retention
// The shippers' clock: kT0, so the records are within the retention.
int64_t ShipperNow() { return kT0 + 3600 * 1000; }

class AuditIndexConformance : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arcana-audit-index-" + std::to_string(::getpid()) + "-" + GetParam() + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::string where = dir_.string();
    if (!IsSqlite()) {  // SQLite: the store beside the record files
      auto url = testing::NewStoreLocation(GetParam());
      ASSERT_TRUE(url.ok()) << url.status().message();
      where = *url;
    }
    auto s = testing::OpenStoresAt(GetParam(), where);
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(*s);
  }
  void TearDown() override {
    stores_.reset();
    fs::remove_all(dir_);
  }
  bool IsSqlite() const { return std::string(GetParam()) == "sqlite"; }

  static IndexedAuditRecord Row(const std::string& node, uint64_t seq, int64_t time_ms,
                                const std::string& name) {
    return IndexedAuditRecord{node, seq, time_ms, "111122223333", "us-east-1",
                              {{"EventName", name}, {"ReadOnly", "true"}},
                              "{\"n\":\"" + node + "\",\"s\":" + std::to_string(seq) + "}"};
  }
  std::vector<std::pair<std::string, uint64_t>> Positions(const AuditIndexQuery& q,
                                                          size_t limit) {
    auto rows = stores_->audit_index()->SearchAuditRecords(q, limit);
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    std::vector<std::pair<std::string, uint64_t>> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out.emplace_back(r.node, r.sequence);
    }
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Stores> stores_;
};

TEST_P(AuditIndexConformance, OnlyAStoreOfSeveralNodesHasOne) {
  EXPECT_EQ(stores_->audit_index() == nullptr, IsSqlite());
}

TEST_P(AuditIndexConformance, KeepsOneCopyOrdersBytewiseAndPagesByPosition) {
  if (IsSqlite()) GTEST_SKIP() << "no index: one node's files are its whole trail";
  AuditIndexStore& index = *stores_->audit_index();
  // Three records at one time from nodes whose names order differently bytewise and in a
  // language's collation ("B-1" < "a_2" < "b" bytewise), one later, one earlier.
  std::vector<IndexedAuditRecord> rows = {
      Row("a_2", 1, kT0, "GetSecretValue"), Row("B-1", 7, kT0, "GetSecretValue"),
      Row("b", 3, kT0, "PutSecretValue"),   Row("b", 4, kT0 + 1000, "GetSecretValue"),
      Row("b", 2, kT0 - 1000, "GetSecretValue")};
  ASSERT_TRUE(index.AddAuditRecords(rows).ok());
  ASSERT_TRUE(index.AddAuditRecords({rows[0], rows[3]}).ok());  // again: no second copy
  using P = std::vector<std::pair<std::string, uint64_t>>;
  AuditIndexQuery all;
  EXPECT_EQ(Positions(all, 10), (P{{"b", 4}, {"b", 3}, {"a_2", 1}, {"B-1", 7}, {"b", 2}}));
  AuditIndexQuery after = all;  // strictly after ("a_2", 1) at kT0 in the newest-first order
  after.has_cursor = true;
  after.cursor_ms = kT0;
  after.cursor_node = "a_2";
  after.cursor_seq = 1;
  EXPECT_EQ(Positions(after, 10), (P{{"B-1", 7}, {"b", 2}}));
  EXPECT_EQ(Positions(after, 1), (P{{"B-1", 7}}));
  AuditIndexQuery by_name = all;
  by_name.attribute = "EventName";
  by_name.value = "GetSecretValue";
  EXPECT_EQ(Positions(by_name, 10), (P{{"b", 4}, {"a_2", 1}, {"B-1", 7}, {"b", 2}}));
  by_name.has_cursor = true;
  by_name.cursor_ms = kT0;
  by_name.cursor_node = "a_2";
  by_name.cursor_seq = 1;
  EXPECT_EQ(Positions(by_name, 10), (P{{"B-1", 7}, {"b", 2}}));
  AuditIndexQuery window = all;
  window.start_ms = kT0;
  window.end_ms = kT0;
  EXPECT_EQ(Positions(window, 10), (P{{"b", 3}, {"a_2", 1}, {"B-1", 7}}));
  AuditIndexQuery elsewhere = all;
  elsewhere.region = "eu-west-1";
  EXPECT_TRUE(Positions(elsewhere, 10).empty());
  elsewhere = all;
  elsewhere.account = "111122223333";
  elsewhere.region = "us-east-1";
  EXPECT_EQ(Positions(elsewhere, 10).size(), 5u);
  auto last = index.LastAuditSequence("b");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 4u);
  EXPECT_EQ(*index.LastAuditSequence("nobody"), 0u);
  // Trim: the records before kT0 go, with their keys; the node's last sequence stays.
  auto more = index.TrimAuditRecords(kT0, 1000);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  EXPECT_EQ(Positions(all, 10), (P{{"b", 4}, {"b", 3}, {"a_2", 1}, {"B-1", 7}}));
  ASSERT_TRUE(index.TrimAuditRecords(kT0 + 2000, 1).ok());  // one row of each per call
  EXPECT_EQ(Positions(all, 10).size(), 3u);
  EXPECT_EQ(*index.LastAuditSequence("b"), 4u);
}

// What `arcana audit tail --follow` reads: the nodes and their positions, then each node's
// records after a position, in sequence order, a page at a time; trimmed records are gone
// while the node's position stays.
TEST_P(AuditIndexConformance, ListsNodesAndReadsANodesRecordsAfterAPosition) {
  if (IsSqlite()) GTEST_SKIP() << "no index: one node's files are its whole trail";
  AuditIndexStore& index = *stores_->audit_index();
  auto none = index.ListAuditNodes();
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(index.AddAuditRecords({Row("b", 1, kT0, "A"), Row("b", 2, kT0 + 5, "A"),
                                     Row("B-1", 9, kT0, "A"), Row("b", 3, kT0 - 5, "A"),
                                     Row("a_2", 4, kT0 + 1, "A")})
                  .ok());
  auto nodes = index.ListAuditNodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status().message();
  std::vector<std::pair<std::string, uint64_t>> listed;
  for (const auto& n : *nodes) listed.emplace_back(n.node, n.last_sequence);
  EXPECT_EQ(listed, (std::vector<std::pair<std::string, uint64_t>>{
                        {"B-1", 9}, {"a_2", 4}, {"b", 3}}));  // bytewise
  auto seqs = [&](const std::string& node, uint64_t after, size_t limit) {
    auto rows = index.ReadAuditRecordsAfter(node, after, limit);
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    std::vector<uint64_t> out;
    if (rows.ok()) {
      for (const auto& r : *rows) {
        EXPECT_EQ(r.node, node);
        out.push_back(r.sequence);
      }
    }
    return out;
  };
  using S = std::vector<uint64_t>;
  EXPECT_EQ(seqs("b", 0, 10), (S{1, 2, 3}));  // sequence order, not time order
  EXPECT_EQ(seqs("b", 1, 10), (S{2, 3}));
  EXPECT_EQ(seqs("b", 1, 1), (S{2}));
  EXPECT_EQ(seqs("b", 3, 10), S{});
  EXPECT_EQ(seqs("B-1", 0, 10), S{9});
  EXPECT_EQ(seqs("nobody", 0, 10), S{});
  auto row = index.ReadAuditRecordsAfter("a_2", 0, 10);
  ASSERT_TRUE(row.ok() && row->size() == 1);
  EXPECT_EQ((*row)[0].time_ms, kT0 + 1);
  EXPECT_EQ((*row)[0].line, Row("a_2", 4, kT0 + 1, "A").line);
  ASSERT_TRUE(index.TrimAuditRecords(kT0 + 1, 1000).ok());  // b/1, b/3, B-1/9 go
  EXPECT_EQ(seqs("b", 0, 10), S{2});
  EXPECT_EQ(seqs("B-1", 0, 10), S{});
  nodes = index.ListAuditNodes();
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ(nodes->size(), 3u);  // positions outlive the records
}

// Two nodes' record files, shipped into the index, searched both ways.
class AuditIndexAgreesWithFiles : public AuditIndexConformance {
 protected:
  static std::string Record(int i, const std::string& node) {
    audit::AuditEvent e;
    e.time_ms = kT0 + (i / 3) * 1000;  // three records a second: ties across nodes
    e.event_source = i % 4 == 0 ? "kms.amazonaws.com" : "secretsmanager.amazonaws.com";
    e.event_name = i % 2 ? "GetSecretValue" : "PutSecretValue";
    e.event_id = audit::NewEventId();
    e.region = i % 5 == 0 ? "eu-west-1" : "us-east-1";
    e.recipient_account = "111122223333";
    e.read_only = i % 2 == 1;
    e.identity.type = "IAMUser";
    e.identity.user_name = i % 3 == 0 ? "alice" : "bob";
    e.identity.arn = "arn:aws:iam::111122223333:user/" + e.identity.user_name;
    e.identity.access_key_id = i % 3 == 0 ? "AKIAALICE" : "AKIABOB";
    const std::string name = "app/" + node + "/s" + std::to_string(i % 4);
    e.resources.push_back({audit::kSecretType,
                           "arn:aws:secretsmanager:us-east-1:111122223333:secret:" + name + "-AbCdEf",
                           "111122223333"});
    if (i % 7 == 0) {  // a parameter whose ARN is longer than an index entry may hold
      e.resources.push_back({"AWS::SSM::Parameter",
                             "arn:aws:ssm:us-east-1:111122223333:parameter/" + std::string(600, 'p'),
                             "111122223333"});
    }
    return audit::EventJson(e);
  }
  std::unique_ptr<audit::FileTrail> OpenNode(const std::string& node) {
    audit::FileTrailOptions o;
    o.dir = dir_.string();
    o.node = node;
    o.max_file_bytes = 4000;  // several files per node
    auto t = audit::FileTrail::Open(o, nullptr);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? std::move(*t) : nullptr;
  }
  Status Ship(const std::string& node, uint64_t durable) {
    audit::TrailIndexer indexer(dir_.string(), node, *stores_->audit_index(),
                                [durable] { return durable; }, ShipperNow);
    return indexer.CatchUp();
  }
  // Every match of q, page after page of `page` records, as (node, sequence).
  std::vector<std::pair<std::string, uint64_t>> Pages(const audit::TrailQuery& q, size_t page,
                                                      bool indexed) {
    std::vector<std::pair<std::string, uint64_t>> out;
    audit::TrailQuery pq = q;
    for (bool more = true; more;) {
      auto got = indexed ? audit::SearchIndexedTrail(*stores_->audit_index(), pq, page, &more)
                         : audit::SearchTrail(dir_.string(), pq, page, &more);
      EXPECT_TRUE(got.ok()) << got.status().message();
      if (!got.ok() || got->empty()) break;
      for (const auto& m : *got) out.emplace_back(m.node, m.sequence);
      pq.has_cursor = true;
      pq.cursor_ms = got->back().time_ms;
      pq.cursor_node = got->back().node;
      pq.cursor_seq = got->back().sequence;
    }
    return out;
  }
};

TEST_P(AuditIndexAgreesWithFiles, EveryQueryFindsWhatTheFilesHold) {
  if (IsSqlite()) GTEST_SKIP() << "no index: one node's files are its whole trail";
  for (const std::string node : {"n1", "N-2"}) {
    auto t = OpenNode(node);
    ASSERT_NE(t, nullptr);
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(t->Write(Record(i, node)).ok());
    // Shipped up to what is durable: the first 20, then (a restarted shipper, from the
    // store's position) the rest; nothing twice.
    ASSERT_TRUE(Ship(node, 20).ok());
    EXPECT_EQ(*stores_->audit_index()->LastAuditSequence(node), 20u);
    ASSERT_TRUE(Ship(node, t->durable_sequence()).ok());
    EXPECT_EQ(*stores_->audit_index()->LastAuditSequence(node), 30u);
    t->Close();
  }
  ASSERT_GT(audit::ListNodes(dir_.string())->front().record_files.size(), 2u);
  std::vector<audit::TrailQuery> queries(1);
  auto with = [&](auto set) {
    audit::TrailQuery q;
    set(q);
    queries.push_back(q);
  };
  with([](auto& q) { q.event_name = "GetSecretValue"; });
  with([](auto& q) { q.event_source = "kms.amazonaws.com"; });
  with([](auto& q) { q.username = "alice"; });
  with([](auto& q) { q.access_key_id = "AKIABOB"; });
  with([](auto& q) { q.read_only = "true"; });
  with([](auto& q) { q.read_only = "no"; });
  with([](auto& q) { q.resource_type = "AWS::SSM::Parameter"; });
  with([](auto& q) { q.resource_name = "app/n1/s2"; });
  with([](auto& q) { q.resource_name = "s1-AbCdEf"; });
  with([](auto& q) { q.resource_name = "/N-2/s3-AbCdEf"; });
  with([](auto& q) { q.resource_name = std::string(600, 'p'); });
  with([](auto& q) {
    q.account = "111122223333";
    q.region = "us-east-1";
    q.event_name = "PutSecretValue";
  });
  with([](auto& q) {
    q.start_ms = kT0 + 2000;
    q.end_ms = kT0 + 6000;
    q.username = "bob";
  });
  with([](auto& q) {  // several filters at once (`arcana audit search`)
    q.event_name = "GetSecretValue";
    q.username = "bob";
    q.resource_type = "AWS::SecretsManager::Secret";
  });
  const size_t finding = queries.size();  // the queries before find records; these do not:
  with([](auto& q) { q.event_id = "no-such-event"; });
  // A name within the ARN's account and region part is not a resource name.
  with([](auto& q) { q.resource_name = "us-east-1:111122223333:secret:app/n1/s2-AbCdEf"; });
  for (size_t i = 0; i < queries.size(); ++i) {
    const auto expected = Pages(queries[i], 1000, /*indexed=*/false);
    EXPECT_EQ(expected.empty(), i >= finding) << "query " << i;
    for (size_t page : {1u, 4u, 50u}) {
      EXPECT_EQ(Pages(queries[i], page, /*indexed=*/true), expected)
          << "query " << i << ", pages of " << page;
    }
  }
  // A record found by its event id, either way.
  bool more = false;
  auto one = audit::SearchTrail(dir_.string(), audit::TrailQuery{}, 1, &more);
  ASSERT_TRUE(one.ok() && one->size() == 1u);
  rapidjson::Document doc;
  doc.Parse(one->front().line.c_str());
  audit::TrailQuery by_id;
  by_id.event_id = doc["eventID"].GetString();
  EXPECT_EQ(Pages(by_id, 5, true), Pages(by_id, 5, false));
  EXPECT_EQ(Pages(by_id, 5, true).size(), 1u);
}

TEST_P(AuditIndexAgreesWithFiles, RecordsOlderThanTheRetentionAreNotShipped) {
  if (IsSqlite()) GTEST_SKIP() << "no index: one node's files are its whole trail";
  auto t = OpenNode("n1");
  ASSERT_NE(t, nullptr);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(t->Write(Record(i, "n1")).ok());
  audit::TrailIndexer late(dir_.string(), "n1", *stores_->audit_index(),
                           [&] { return t->durable_sequence(); });  // today's clock
  ASSERT_TRUE(late.CatchUp().ok());
  EXPECT_TRUE(Pages(audit::TrailQuery{}, 10, true).empty());
  t->Close();
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditIndexConformance,
                         ::testing::Values("sqlite", "postgresql"));
INSTANTIATE_TEST_SUITE_P(Backends, AuditIndexAgreesWithFiles,
                         ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace arcana::storage::audit_index_conformance
