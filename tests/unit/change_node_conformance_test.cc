// Backend conformance of the node a change names (storage/change_log.h, Change::node), which
// a node restarted after a crash needs to claim only its own unrecorded changes
// (audit/unrecorded_changes.h): on PostgreSQL, whose store several nodes share, every row
// names the node that committed it (StoreLocation::node), ReadChanges and the writer's
// CommittedChanges collector give it back, and rows from before the column (a store an older
// build migrated) name none; SQLite's rows name no node (one node owns the store).
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "conformance_stores.h"
#include "storage/committed_changes.h"
#include "storage/stores.h"

namespace arcana::storage::change_node_conformance {
namespace {

class ChangeNodeConformance : public testing::StoresCase {
 protected:
  // The store opened as the node `node` (SQLite: reopened; the name is not kept).
  std::unique_ptr<Stores> OpenAs(const std::string& node) {
    StoreLocation loc;
    if (IsSqlite()) {
      loc.kind = StoreLocation::Kind::kSqlite;
      loc.sqlite_dir = where_;
    } else {
      loc.kind = StoreLocation::Kind::kPostgres;
      loc.pg_url = where_;
    }
    loc.node = node;
    auto s = OpenStores(loc);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static void PutKey(Stores& s, const std::string& id) {
    AccessKeyRecord k;
    k.access_key_id = id;
    k.sealed_secret = "sealed";
    k.account_id = "111122223333";
    k.principal_arn = "arn:aws:iam::111122223333:root";
    k.created_ms = 1;
    Status st = s.access_keys().PutAccessKey(k);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  static std::vector<Change> ChangesAfter(Stores& s, int64_t seq) {
    std::vector<Change> all;
    for (;;) {
      auto page = s.changes().ReadChanges(seq, 100);
      EXPECT_TRUE(page.ok()) << page.status().message();
      if (!page.ok() || page->empty()) return all;
      seq = page->back().seq;
      all.insert(all.end(), page->begin(), page->end());
    }
  }
};

TEST_P(ChangeNodeConformance, EachChangeNamesTheNodeThatCommittedIt) {
  stores_.reset();  // SQLite: one opening at a time
  auto na = OpenAs("na");
  ASSERT_NE(na, nullptr);
  const int64_t head = na->changes().Head().value();
  CommittedChanges committed;
  {
    CommittedChanges::Scope scope(&committed);
    PutKey(*na, "AKIANODEA000000000001");
  }
  if (IsSqlite()) {
    EXPECT_FALSE(na->changes().NamesNodes());
    auto cs = ChangesAfter(*na, head);
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].node, "");
    return;
  }
  EXPECT_TRUE(na->changes().NamesNodes());
  auto nb = OpenAs("nb");  // a second node on the same database
  ASSERT_NE(nb, nullptr);
  PutKey(*nb, "AKIANODEB000000000001");
  PutKey(*na, "AKIANODEA000000000002");
  auto cli = OpenAs("");  // the arcana CLI names no node
  ASSERT_NE(cli, nullptr);
  PutKey(*cli, "AKIANODEC000000000001");
  // Each node reads every node's changes, each naming its own node.
  for (Stores* reader : {na.get(), nb.get()}) {
    auto cs = ChangesAfter(*reader, head);
    ASSERT_EQ(cs.size(), 4u);
    EXPECT_EQ(cs[0].resource, "AKIANODEA000000000001");
    EXPECT_EQ(cs[0].node, "na");
    EXPECT_EQ(cs[1].node, "nb");
    EXPECT_EQ(cs[2].node, "na");
    EXPECT_EQ(cs[3].node, "");
  }
  ASSERT_EQ(committed.items().size(), 1u);
  EXPECT_EQ(committed.items()[0].node, "na");
}

// A store an older build migrated (changes at version 1, rows without the column) gains it at
// the next start; its rows name no node, so no node claims them after a crash. (PostgreSQL
// only: SQLite's rows name no node.)
class ChangeNodeUpgrade : public ChangeNodeConformance {};

TEST_P(ChangeNodeUpgrade, RowsFromBeforeTheColumnNameNoNode) {
  stores_.reset();
  {
    auto na = OpenAs("na");
    ASSERT_NE(na, nullptr);
    PutKey(*na, "AKIAOLDROW0000000001");
  }
  {
    pqxx::connection c(where_);
    pqxx::work t(c);
    t.exec("ALTER TABLE changes DROP COLUMN node");
    t.exec("UPDATE arcana_schema_versions SET version = 1 WHERE component = 'changes'");
    t.commit();
  }
  auto na = OpenAs("na");
  ASSERT_NE(na, nullptr);
  PutKey(*na, "AKIANEWROW0000000001");
  auto cs = ChangesAfter(*na, 0);
  ASSERT_GE(cs.size(), 2u);
  EXPECT_EQ(cs[cs.size() - 2].resource, "AKIAOLDROW0000000001");
  EXPECT_EQ(cs[cs.size() - 2].node, "");
  EXPECT_EQ(cs.back().resource, "AKIANEWROW0000000001");
  EXPECT_EQ(cs.back().node, "na");
}

INSTANTIATE_TEST_SUITE_P(Backends, ChangeNodeConformance, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<const char*>& i) {
                           return std::string(i.param);
                         });
INSTANTIATE_TEST_SUITE_P(Backends, ChangeNodeUpgrade, ::testing::Values("postgresql"),
                         [](const ::testing::TestParamInfo<const char*>& i) {
                           return std::string(i.param);
                         });

}  // namespace
}  // namespace arcana::storage::change_node_conformance
