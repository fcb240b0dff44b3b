// Backend conformance: the SAME cases against every backend of the storage seam
// (storage/stores.h): SQLite in a temp dir, PostgreSQL on a throwaway cluster this program
// starts itself (pg_test_cluster.h), one fresh database per test. Each case checks what the
// component headers promise: revisions and kWriteConflict (nothing of a losing write is
// applied), one change row per resource in commit order, keyset paging in every order and
// direction, O(1) counts, leased jobs, the root rewrap's all-or-nothing, and (PostgreSQL)
// a second node on the same database.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <sqlite3.h>
#include <sstream>
#include <set>
#include <thread>

#include "domain/kms/rules.h"
#include "domain/ssm/names.h"
#include "conformance_stores.h"
#include "pg_test_cluster.h"
#include "storage/change_follower.h"
#include "storage/committed_changes.h"
#include "storage/identity_codec.h"
#include "storage/no_wait.h"
#include "storage/parameter_codec.h"
#include "storage/postgres/pg_stores.h"
#include "storage/secret_codec.h"
#include "storage/stores.h"

namespace arcana::storage {
namespace {

namespace sm = domain::sm;
namespace ssm = domain::ssm;
namespace kms = domain::kms;

const Scope kScope{"111122223333", "us-east-1"};
const Scope kOther{"444455556666", "us-east-1"};

constexpr const char* kSqlite = "sqlite";
constexpr const char* kPostgres = "postgresql";

// ---------- backends ----------

// A new empty store location for the backend: a temp dir, or a new database's URL.
class StoreConformance : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto where = testing::NewStoreLocation(GetParam());
    ASSERT_TRUE(where.ok()) << where.status().message();
    where_ = *where;
    auto s = testing::OpenStoresAt(GetParam(), where_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(*s);
  }
  void TearDown() override {
    stores_.reset();
    if (IsSqlite() && !where_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(where_, ec);
    }
  }
  bool IsSqlite() const { return std::string(GetParam()) == kSqlite; }
  // Another node on the same store (PostgreSQL: any number; SQLite has one node per store).
  std::unique_ptr<Stores> SecondNode() {
    auto s = testing::OpenStoresAt(GetParam(), where_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }

  SecretStore& secrets() { return stores_->secrets(); }
  ParameterStore& params() { return stores_->parameters(); }
  KmsStore& kmss() { return stores_->kms(); }
  // CreateGrant's write on a grant's key as stored now (its revision), under AWS's limit.
  Status CreateGrant(const domain::kms::Grant& g, KmsStore* store = nullptr) {
    KmsStore& kms = store ? *store : kmss();
    auto key = kms.GetKmsKey({g.account, g.region}, g.key_id);
    if (!key.ok()) return key.status();
    if (!key->has_value()) return Status(ErrorCode::kKmsNotFound, "no key " + g.key_id);
    return kms.CreateKmsGrant(g, (*key)->revision, domain::kms::kMaxGrantsPerKey).status();
  }
  ChangeLog& changes() { return stores_->changes(); }
  JobStore& jobs() { return stores_->jobs(); }

  int64_t Head() {
    auto h = changes().Head();
    EXPECT_TRUE(h.ok()) << h.status().message();
    return h.ok() ? *h : -1;
  }
  std::vector<Change> ChangesAfter(int64_t seq) {
    std::vector<Change> all;
    for (;;) {
      auto page = changes().ReadChanges(seq, 100);
      EXPECT_TRUE(page.ok()) << page.status().message();
      if (!page.ok() || page->empty()) return all;
      seq = page->back().seq;
      all.insert(all.end(), page->begin(), page->end());
    }
  }

  std::string where_;
  std::unique_ptr<Stores> stores_;
};

#define ASSERT_OK(expr)                                  \
  do {                                                   \
    const ::arcana::Status _s = (expr);                  \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.message(); \
  } while (0)
#define EXPECT_CODE(expr, code_)                                             \
  do {                                                                       \
    const ::arcana::Status _s = (expr);                                      \
    EXPECT_EQ(_s.code(), code_) << #expr << ": " << _s.message();            \
  } while (0)

// ---------- builders ----------

sm::Secret MakeSecret(const std::string& name, int64_t created_ms, const Scope& scope = kScope) {
  sm::Secret s;
  s.account = scope.account;
  s.region = scope.region;
  s.name = name;
  s.arn = "arn:aws:secretsmanager:" + scope.region + ":" + scope.account + ":secret:" + name +
          "-AbCdEf";
  s.created_ms = created_ms;
  s.description = "about " + name;
  s.has_description = true;
  sm::SecretVersion v;
  v.version_id = "v1-" + name;
  v.stages = {sm::kCurrent};
  v.created_ms = created_ms;
  v.has_value = true;
  s.versions.push_back(v);
  return s;
}

SecretWrite Write(const sm::Secret& s, const std::string& value, const std::string& change) {
  SecretWrite w;
  w.secret = s;
  w.new_values.push_back({s.versions.back().version_id, value});
  w.change = change;
  return w;
}

Status CreateSecret(SecretStore& st, const sm::Secret& s, const std::string& value = "sealed") {
  return st.Commit({Write(s, value, "CreateSecret")}, {});
}

ssm::Parameter MakeParam(const std::string& name, const std::string& tier = ssm::kStandard,
                         const Scope& scope = kScope) {
  ssm::Parameter p;
  p.account = scope.account;
  p.region = scope.region;
  p.name = name;
  p.key = ssm::NameKey(name);
  ssm::ParameterVersion v;
  v.version = 1;
  v.type = ssm::kString;
  v.tier = tier;
  v.modified_ms = 1000;
  p.versions.push_back(v);
  return p;
}

ParameterWrite PWrite(const ssm::Parameter& p, const std::string& value,
                      const std::string& change = "PutParameter") {
  ParameterWrite w;
  w.parameter = p;
  w.new_values.push_back({p.versions.back().version, value});
  w.change = change;
  return w;
}

kms::Key MakeKey(const std::string& id, const Scope& scope = kScope) {
  kms::Key k;
  k.account = scope.account;
  k.region = scope.region;
  k.key_id = id;
  k.arn = kms::KeyArn(scope.region, scope.account, id);
  k.created_ms = 1000;
  k.key_usage = "ENCRYPT_DECRYPT";
  k.key_spec = "SYMMETRIC_DEFAULT";
  k.materials.push_back({"m1-" + id, 1000, ""});
  return k;
}

KeyMaterialRecord Material(const std::string& key_id, const std::string& material_id,
                           const std::string& wrapped) {
  return {key_id, material_id, KeyMaterialAad("arn:" + key_id, material_id), wrapped};
}

// Every byte value, so BLOB/BYTEA round trips are exact.
std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}

// ---------- secrets ----------

TEST_P(StoreConformance, SecretCreateReadsBackWithRevisionValuesAndOneChange) {
  const int64_t head = Head();
  auto s = MakeSecret("db/password", 5000);
  ASSERT_OK(CreateSecret(secrets(), s, AllBytes()));

  auto by_arn = secrets().GetSecretByArn(s.arn);
  ASSERT_TRUE(by_arn.ok() && by_arn->has_value()) << by_arn.status().message();
  EXPECT_EQ((*by_arn)->revision, 1);
  EXPECT_EQ((*by_arn)->name, "db/password");
  EXPECT_EQ((*by_arn)->description, "about db/password");
  ASSERT_EQ((*by_arn)->versions.size(), 1u);
  EXPECT_EQ((*by_arn)->versions[0].version_id, "v1-db/password");

  auto by_name = secrets().GetSecretByName(kScope, "db/password");
  ASSERT_TRUE(by_name.ok() && by_name->has_value());
  EXPECT_EQ((*by_name)->arn, s.arn);
  EXPECT_FALSE(secrets().GetSecretByName(kOther, "db/password")->has_value());
  EXPECT_FALSE(secrets().GetSecretByArn(s.arn + "x")->has_value());

  auto v = secrets().GetSealedValue(s.arn, "v1-db/password");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(**v, AllBytes());
  EXPECT_FALSE(secrets().GetSealedValue(s.arn, "nope")->has_value());

  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].seq, head + 1);
  EXPECT_EQ(Head(), head + 1);
  EXPECT_EQ(cs[0].service, "secretsmanager");
  EXPECT_EQ(cs[0].resource, s.arn);
  EXPECT_EQ(cs[0].kind, "CreateSecret");
  EXPECT_EQ(cs[0].account, kScope.account);
  EXPECT_EQ(cs[0].region, kScope.region);
  EXPECT_GT(cs[0].at_ms, 0);
}

// What an I/O thread may do (storage/no_wait.h): under a NoWaitScope every call that would
// reach the database is refused with kWouldBlock and marks the scope, writes included (and
// nothing of a refused write is applied); a read the node's caches hold is served. SQLite's
// freshness check is a counter in memory, so a warm cache answers under the scope until a
// commit moves the head; PostgreSQL's is a round trip, so every cached read is refused too.
TEST_P(StoreConformance, NoWaitScopeRefusesWhatWouldReachTheDatabaseAndAppliesNothing) {
  auto s = MakeSecret("inline/db", 5000);
  ASSERT_OK(CreateSecret(secrets(), s, "sealed-1"));
  ASSERT_TRUE(secrets().GetSecretByName(kScope, "inline/db").ok());  // warms the caches
  ASSERT_TRUE(secrets().GetSealedValue(s.arn, "v1-inline/db").ok());
  const int64_t head = Head();
  {
    NoWaitScope scope;
    auto cached = secrets().GetSecretByName(kScope, "inline/db");
    auto value = secrets().GetSealedValue(s.arn, "v1-inline/db");
    if (IsSqlite()) {
      ASSERT_TRUE(cached.ok() && cached->has_value()) << cached.status().message();
      ASSERT_TRUE(value.ok() && value->has_value()) << value.status().message();
      EXPECT_EQ(**value, "sealed-1");
      EXPECT_FALSE(scope.refused());
    } else {
      EXPECT_CODE(cached.status(), ErrorCode::kWouldBlock);
      EXPECT_TRUE(scope.refused());
    }
  }
  {
    NoWaitScope scope;  // a name no cache holds: the database would be asked
    EXPECT_CODE(secrets().GetSecretByName(kScope, "inline/other").status(), ErrorCode::kWouldBlock);
    EXPECT_TRUE(scope.refused());
  }
  {
    NoWaitScope scope;  // a write: refused before it queues for a commit
    auto next = s;
    next.revision = 1;
    next.description = "changed";
    EXPECT_CODE(secrets().Commit({Write(next, "sealed-2", "UpdateSecret")}, {}),
                ErrorCode::kWouldBlock);
    EXPECT_CODE(params().CommitParameter(PWrite(MakeParam("/inline/p"), "v")),
                ErrorCode::kWouldBlock);
    EXPECT_TRUE(scope.refused());
  }
  EXPECT_EQ(Head(), head);  // nothing committed
  auto after = secrets().GetSecretByName(kScope, "inline/db");
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->description, "about inline/db");
  EXPECT_FALSE(params().GetParameter(kScope, ssm::NameKey("/inline/p"))->has_value());

  // A commit moves the head: the caches must catch up, which reads the database.
  auto next = **after;
  next.description = "changed";
  ASSERT_OK(secrets().Commit({SecretWrite{next, {}, {}, "UpdateSecret"}}, {}));
  {
    NoWaitScope scope;
    EXPECT_CODE(secrets().GetSecretByName(kScope, "inline/db").status(), ErrorCode::kWouldBlock);
    EXPECT_TRUE(scope.refused());
  }
  auto caught_up = secrets().GetSecretByName(kScope, "inline/db");  // outside: catches up
  ASSERT_TRUE(caught_up.ok() && caught_up->has_value());
  EXPECT_EQ((*caught_up)->description, "changed");
  if (IsSqlite()) {
    NoWaitScope scope;
    auto again = secrets().GetSecretByName(kScope, "inline/db");
    ASSERT_TRUE(again.ok() && again->has_value());
    EXPECT_EQ((*again)->description, "changed");
    EXPECT_FALSE(scope.refused());
  }
}

TEST_P(StoreConformance, SecretUpdateBumpsRevisionAddsAndPrunesValues) {
  auto s = MakeSecret("app", 1000);
  ASSERT_OK(CreateSecret(secrets(), s, "one"));
  auto read = *secrets().GetSecretByArn(s.arn).value();
  sm::SecretVersion v2;
  v2.version_id = "v2";
  v2.stages = {sm::kCurrent};
  v2.has_value = true;
  read.versions[0].stages = {sm::kPrevious};
  read.versions.push_back(v2);
  read.last_changed_ms = 2000;
  SecretWrite w = Write(read, "two", "PutSecretValue");
  ASSERT_OK(secrets().Commit({w}, {}));

  auto after = *secrets().GetSecretByArn(s.arn).value();
  EXPECT_EQ(after.revision, 2);
  ASSERT_EQ(after.versions.size(), 2u);
  EXPECT_EQ(*secrets().GetSealedValue(s.arn, "v2").value(), "two");
  EXPECT_EQ(*secrets().GetSealedValue(s.arn, "v1-app").value(), "one");

  // Prune v1 at revision 2.
  after.versions.erase(after.versions.begin());
  SecretWrite prune;
  prune.secret = after;
  prune.removed_versions = {"v1-app"};
  prune.change = "UpdateSecretVersionStage";
  ASSERT_OK(secrets().Commit({prune}, {}));
  EXPECT_FALSE(secrets().GetSealedValue(s.arn, "v1-app")->has_value());
  EXPECT_EQ(*secrets().GetSealedValue(s.arn, "v2").value(), "two");
  EXPECT_EQ(secrets().GetSecretByArn(s.arn).value()->revision, 3);
}

TEST_P(StoreConformance, SecretCreateOfAnExistingSecretConflicts) {
  auto s = MakeSecret("dup", 1000);
  ASSERT_OK(CreateSecret(secrets(), s));
  const int64_t head = Head();
  EXPECT_CODE(CreateSecret(secrets(), s, "other"), ErrorCode::kWriteConflict);
  // Same name in the scope under another ARN: also exists.
  auto same_name = s;
  same_name.arn += "2";
  EXPECT_CODE(CreateSecret(secrets(), same_name), ErrorCode::kWriteConflict);
  EXPECT_EQ(*secrets().GetSealedValue(s.arn, "v1-dup").value(), "sealed");
  EXPECT_FALSE(secrets().GetSecretByArn(same_name.arn)->has_value());
  EXPECT_EQ(Head(), head);
}

TEST_P(StoreConformance, SecretRevisionConflictAppliesNothingOfTheLosingCommit) {
  auto s = MakeSecret("race", 1000);
  ASSERT_OK(CreateSecret(secrets(), s, "v1"));
  // Two writers read revision 1.
  auto a = *secrets().GetSecretByArn(s.arn).value();
  auto b = a;
  a.description = "writer A";
  ASSERT_OK(secrets().Commit({Write(a, "a-value", "UpdateSecret")}, {}));
  const int64_t head = Head();

  // B's commit also creates another secret and deletes a third: all or nothing.
  auto other = MakeSecret("created-by-b", 1000);
  auto victim = MakeSecret("deleted-by-b", 1000);
  ASSERT_OK(CreateSecret(secrets(), victim));
  const int64_t head2 = Head();
  EXPECT_EQ(head2, head + 1);
  b.description = "writer B";
  b.versions[0].version_id = "b-version";
  EXPECT_CODE(secrets().Commit({Write(other, "x", "CreateSecret"), Write(b, "b-value", "UpdateSecret")},
                               {{victim.arn, 0, "DeleteSecret"}}),
              ErrorCode::kWriteConflict);

  auto now = *secrets().GetSecretByArn(s.arn).value();
  EXPECT_EQ(now.description, "writer A");
  EXPECT_EQ(now.revision, 2);
  EXPECT_FALSE(secrets().GetSealedValue(s.arn, "b-version")->has_value());
  EXPECT_FALSE(secrets().GetSecretByArn(other.arn)->has_value());
  EXPECT_TRUE(secrets().GetSecretByArn(victim.arn)->has_value());
  EXPECT_EQ(Head(), head2);
}

TEST_P(StoreConformance, SecretConcurrentWritersAtOneRevisionExactlyOneWins) {
  auto s = MakeSecret("contended", 1000);
  ASSERT_OK(CreateSecret(secrets(), s));
  auto read = *secrets().GetSecretByArn(s.arn).value();
  constexpr int kWriters = 6;
  std::atomic<int> ok{0}, conflict{0}, other{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kWriters; ++i) {
    ts.emplace_back([&, i] {
      auto mine = read;
      mine.description = "w" + std::to_string(i);
      Status st = secrets().Commit({Write(mine, "v", "UpdateSecret")}, {});
      (st.ok() ? ok : st.code() == ErrorCode::kWriteConflict ? conflict : other)++;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), kWriters - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(secrets().GetSecretByArn(s.arn).value()->revision, 2);
}

TEST_P(StoreConformance, ConcurrentCreatesOfOneNameOneWinsOthersConflict) {
  auto node2 = IsSqlite() ? nullptr : SecondNode();
  constexpr int kCreators = 6;
  std::atomic<int> ok{0}, conflict{0}, other{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kCreators; ++i) {
    ts.emplace_back([&, i] {
      auto s = MakeSecret("same-name", 1000 + i);
      s.arn += std::to_string(i);  // each creator picks its own ARN suffix, as AWS does
      SecretStore& st = (node2 && i % 2) ? node2->secrets() : secrets();
      Status r = CreateSecret(st, s, "v" + std::to_string(i));
      (r.ok() ? ok : r.code() == ErrorCode::kWriteConflict ? conflict : other)++;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), kCreators - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(secrets().ListSecrets(kScope, {}).value().size(), 1u);
}

TEST_P(StoreConformance, SecretDeleteChecksRevisionAndRemovesValues) {
  auto s = MakeSecret("gone", 1000);
  ASSERT_OK(CreateSecret(secrets(), s));
  const int64_t head = Head();
  EXPECT_CODE(secrets().Commit({}, {{s.arn, 7, "DeleteSecret"}}), ErrorCode::kWriteConflict);
  EXPECT_TRUE(secrets().GetSecretByArn(s.arn)->has_value());
  EXPECT_EQ(Head(), head);
  ASSERT_OK(secrets().Commit({}, {{s.arn, 1, "PurgeSecret"}}));
  EXPECT_FALSE(secrets().GetSecretByArn(s.arn)->has_value());
  EXPECT_FALSE(secrets().GetSealedValue(s.arn, "v1-gone")->has_value());
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].kind, "PurgeSecret");
  EXPECT_EQ(cs[0].resource, s.arn);
  // Whatever is stored (revision 0) of an absent secret: nothing to do, not an error.
  ASSERT_OK(secrets().Commit({}, {{s.arn, 0, "DeleteSecret"}}));
}

// The documented sort key of a secret in an order (secret_store.h).
SecretPosition Pos(const sm::Secret& s, SecretOrder order) {
  SecretPosition p;
  p.arn = s.arn;
  switch (order) {
    case SecretOrder::kCreated: p.number = s.created_ms; break;
    case SecretOrder::kName: p.name = s.name; break;
    case SecretOrder::kLastChanged: p.number = s.last_changed_ms.value_or(0); break;
    case SecretOrder::kLastAccessed: p.number = s.last_accessed_ms.value_or(0); break;
  }
  return p;
}

bool Before(const SecretPosition& a, const SecretPosition& b, SecretOrder order) {
  if (order == SecretOrder::kName) {
    if (a.name != b.name) return a.name < b.name;
  } else if (a.number != b.number) {
    return a.number < b.number;
  }
  return a.arn < b.arn;
}

TEST_P(StoreConformance, ListSecretsPagesEveryOrderBothDirectionsWithTies) {
  std::vector<sm::Secret> all;
  for (int i = 0; i < 23; ++i) {
    // Ties: three secrets share each created time, some share change/access times, some
    // have none (key 0); names in bytewise order differ from creation order.
    std::string name = std::string(1, "BaCbAc"[i % 6]) + "-" + std::to_string(100 - i);
    auto s = MakeSecret(name, 1000 + i / 3);
    if (i % 4 != 0) s.last_changed_ms = 5000 + i % 5;
    if (i % 3 != 0) s.last_accessed_ms = 86400000 * (i % 2);
    ASSERT_OK(CreateSecret(secrets(), s));
    all.push_back(s);
  }
  ASSERT_OK(CreateSecret(secrets(), MakeSecret("elsewhere", 1000, kOther)));

  for (auto order : {SecretOrder::kCreated, SecretOrder::kName, SecretOrder::kLastChanged,
                     SecretOrder::kLastAccessed}) {
    for (bool desc : {false, true}) {
      auto want = all;
      std::sort(want.begin(), want.end(), [&](const sm::Secret& a, const sm::Secret& b) {
        return desc ? Before(Pos(b, order), Pos(a, order), order)
                    : Before(Pos(a, order), Pos(b, order), order);
      });
      SecretQuery q;
      q.order = order;
      q.descending = desc;
      q.limit = 4;
      std::vector<std::string> got;
      for (int page = 0; page < 20; ++page) {
        auto r = secrets().ListSecrets(kScope, q);
        ASSERT_TRUE(r.ok()) << r.status().message();
        ASSERT_LE(r->size(), 4u);
        for (const auto& s : *r) got.push_back(s.arn);
        if (r->size() < 4) break;
        q.after = Pos(r->back(), order);
      }
      std::vector<std::string> want_arns;
      for (const auto& s : want) want_arns.push_back(s.arn);
      EXPECT_EQ(got, want_arns) << "order " << static_cast<int>(order) << " desc " << desc;
    }
  }
}

TEST_P(StoreConformance, ListSecretsHidesScheduledDeletionsUnlessAskedAndNeverPastDue) {
  auto live = MakeSecret("live", 1000);
  auto pending = MakeSecret("pending", 1001);
  pending.deleted_ms = 50000;
  auto overdue = MakeSecret("overdue", 1002);
  overdue.deleted_ms = 10000;
  for (const auto& s : {live, pending, overdue}) ASSERT_OK(CreateSecret(secrets(), s));

  SecretQuery q;
  auto names = [&](const SecretQuery& q) {
    std::vector<std::string> out;
    for (const auto& s : secrets().ListSecrets(kScope, q).value()) out.push_back(s.name);
    return out;
  };
  EXPECT_EQ(names(q), std::vector<std::string>({"live"}));
  q.include_deleted = true;
  q.now_ms = 20000;
  EXPECT_EQ(names(q), std::vector<std::string>({"live", "pending"}));

  auto due = secrets().ListSecretsDeletedBefore(20000, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, std::vector<std::string>({overdue.arn}));
  auto due_all = secrets().ListSecretsDeletedBefore(60000, 10);
  EXPECT_EQ(due_all->size(), 2u);
  EXPECT_EQ(secrets().ListSecretsDeletedBefore(60000, 1)->size(), 1u);
}

// ---------- committed changes (committed_changes.h) ----------
// Concurrent writers share group-commit batches; each must get back exactly the rows its own
// write appended, numbered as the change log holds them, and a failed write nothing.
TEST_P(StoreConformance, EachWriteReportsItsOwnCommittedChangesUnderGroupCommit) {
  const int64_t head = Head();
  auto contended = MakeSecret("shared", 1000);
  ASSERT_OK(CreateSecret(secrets(), contended));
  const auto read = *secrets().GetSecretByArn(contended.arn).value();
  constexpr int kWriters = 12;
  std::vector<CommittedChanges> got(kWriters);
  std::vector<Status> conflicting(kWriters);
  std::atomic<int> ready{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kWriters; ++i) {
    ts.emplace_back([&, i] {
      CommittedChanges::Scope collect(&got[i]);
      ready++;
      while (ready.load() < kWriters) std::this_thread::yield();  // arrive together: batches
      auto a = MakeSecret("w" + std::to_string(i) + "a", 1000);
      auto b = MakeSecret("w" + std::to_string(i) + "b", 1000);
      EXPECT_TRUE(secrets().Commit({Write(a, "v", "CreateSecret"), Write(b, "v", "CreateSecret")}, {}).ok());
      (void)secrets().GetSecretByArn(a.arn);  // a read reports nothing
      auto mine = read;  // at most one of these wins; the losers report nothing
      mine.description = "w" + std::to_string(i);
      conflicting[i] = secrets().Commit({Write(mine, "v", "UpdateSecret")}, {});
    });
  }
  for (auto& t : ts) t.join();
  std::map<int64_t, Change> claimed;
  int winners = 0;
  for (int i = 0; i < kWriters; ++i) {
    const auto& items = got[i].items();
    const size_t want = conflicting[i].ok() ? 3u : 2u;
    winners += conflicting[i].ok() ? 1 : 0;
    ASSERT_EQ(items.size(), want) << "writer " << i;
    EXPECT_EQ(items[0].resource, MakeSecret("w" + std::to_string(i) + "a", 1).arn);
    EXPECT_EQ(items[1].resource, MakeSecret("w" + std::to_string(i) + "b", 1).arn);
    EXPECT_EQ(items[1].seq, items[0].seq + 1);  // one write's rows are numbered together
    if (want == 3) {
      EXPECT_EQ(items[2].resource, contended.arn);
      EXPECT_EQ(items[2].kind, "UpdateSecret");
    }
    for (const auto& c : items) {
      EXPECT_GT(c.at_ms, 0);
      EXPECT_TRUE(claimed.emplace(c.seq, c).second) << "seq " << c.seq << " reported twice";
    }
  }
  EXPECT_EQ(winners, 1);
  // Exactly the log's rows since the contended secret's creation, as the log holds them.
  auto log = ChangesAfter(head + 1);
  ASSERT_EQ(log.size(), claimed.size());
  for (const auto& c : log) {
    auto it = claimed.find(c.seq);
    ASSERT_NE(it, claimed.end()) << "change " << c.seq << " reported to no writer";
    EXPECT_EQ(it->second.kind, c.kind);
    EXPECT_EQ(it->second.resource, c.resource);
    EXPECT_EQ(it->second.account, c.account);
    EXPECT_EQ(it->second.at_ms, c.at_ms);
  }
}

// Rows appended by SQL of the store's own (a wipe) are reported too; scopes nest.
TEST_P(StoreConformance, CommittedChangesCoverBulkAppendsAndNestedScopes) {
  CommittedChanges outer, inner;
  CommittedChanges::Scope o(&outer);
  ASSERT_OK(CreateSecret(secrets(), MakeSecret("a", 1)));
  {
    CommittedChanges::Scope i(&inner);
    ASSERT_OK(CreateSecret(secrets(), MakeSecret("b", 2, kOther)));
    ASSERT_OK(secrets().WipeSecrets());
  }
  ASSERT_EQ(outer.items().size(), 1u);
  EXPECT_EQ(outer.items()[0].kind, "CreateSecret");
  ASSERT_EQ(inner.items().size(), 3u);  // b's creation, then one row per secret wiped
  EXPECT_NE(inner.items()[1].kind, "CreateSecret");  // the backend's wipe kind
  EXPECT_EQ(inner.items()[2].kind, inner.items()[1].kind);
  EXPECT_EQ(inner.items()[2].seq, Head());
  EXPECT_EQ(CommittedChanges::Current(), &outer);
}

TEST_P(StoreConformance, WipeSecretsDropsEverySecret) {
  ASSERT_OK(CreateSecret(secrets(), MakeSecret("a", 1)));
  ASSERT_OK(CreateSecret(secrets(), MakeSecret("b", 2, kOther)));
  ASSERT_OK(secrets().WipeSecrets());
  EXPECT_TRUE(secrets().ListSecrets(kScope, {}).value().empty());
  EXPECT_TRUE(secrets().ListSecrets(kOther, {}).value().empty());
  EXPECT_FALSE(secrets().GetSecretByName(kScope, "a")->has_value());
}

// ---------- parameters ----------

TEST_P(StoreConformance, ParameterCreateReadValuesAndChange) {
  const int64_t head = Head();
  auto p = MakeParam("/app/db/url");
  ASSERT_OK(params().CommitParameter(PWrite(p, AllBytes())));
  auto got = params().GetParameter(kScope, p.key);
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().message();
  EXPECT_EQ((*got)->revision, 1);
  EXPECT_EQ((*got)->name, "/app/db/url");
  EXPECT_EQ(*params().GetParameterValue(kScope, p.key, 1).value(), AllBytes());
  EXPECT_FALSE(params().GetParameterValue(kScope, p.key, 2)->has_value());
  EXPECT_FALSE(params().GetParameter(kOther, p.key)->has_value());

  // Version 2 at revision 1.
  auto next = **got;
  auto v2 = next.versions[0];
  v2.version = 2;
  next.versions.push_back(v2);
  ASSERT_OK(params().CommitParameter(PWrite(next, "two")));
  auto values = params().GetParameterValues(kScope, p.key);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->size(), 2u);
  EXPECT_EQ(values->at(2), "two");
  EXPECT_EQ(params().GetParameter(kScope, p.key).value()->revision, 2);

  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].service, "ssm");
  EXPECT_EQ(cs[0].resource, ssm::ParameterArn(kScope.region, kScope.account, p.name));
  EXPECT_EQ(cs[0].kind, "PutParameter");
  EXPECT_EQ(cs[1].seq, cs[0].seq + 1);
}

// The node's parameter cache (cached_parameter_store.h) in front of both backends: a read
// after a commit, through this node or (PostgreSQL) another one, sees the commit, metadata and
// values alike; a root-level name is one entry whichever way it is spelled.
TEST_P(StoreConformance, CachedParameterReadsSeeEveryCommitOnEitherNode) {
  std::unique_ptr<Stores> node2 = IsSqlite() ? nullptr : SecondNode();
  Stores& writer = node2 ? *node2 : *stores_;
  for (const std::string name : {"/cache/db/url", "/rootlevel"}) {
    auto p = MakeParam(name);
    ASSERT_OK(params().CommitParameter(PWrite(p, "one")));
    auto got = params().GetParameter(kScope, p.key);  // cached from here on
    ASSERT_TRUE(got.ok() && got->has_value()) << got.status().message();
    ASSERT_EQ(*params().GetParameterValue(kScope, p.key, 1).value(), "one");

    auto next = **writer.parameters().GetParameter(kScope, p.key);
    auto v2 = next.versions[0];
    v2.version = 2;
    next.versions.push_back(v2);
    ASSERT_OK(writer.parameters().CommitParameter(PWrite(next, "two")));
    auto again = params().GetParameter(kScope, p.key);
    ASSERT_TRUE(again.ok() && again->has_value()) << name;
    EXPECT_EQ((*again)->revision, 2) << name;
    EXPECT_EQ((*again)->versions.size(), 2u) << name;
    EXPECT_EQ(*params().GetParameterValue(kScope, p.key, 2).value(), "two") << name;
    EXPECT_EQ(*params().GetParameterValue(kScope, p.key, 1).value(), "one") << name;

    auto deleted = writer.parameters().DeleteParameters(kScope, {{p.key, 0}}, "DeleteParameters");
    ASSERT_TRUE(deleted.ok() && deleted->size() == 1u) << name;
    EXPECT_FALSE(params().GetParameter(kScope, p.key)->has_value()) << name;
    EXPECT_FALSE(params().GetParameterValue(kScope, p.key, 1)->has_value()) << name;
  }
}

TEST_P(StoreConformance, ParameterRevisionConflictAppliesNothing) {
  auto p = MakeParam("/race");
  ASSERT_OK(params().CommitParameter(PWrite(p, "one")));
  auto read = *params().GetParameter(kScope, p.key).value();
  auto a = read, b = read;
  a.versions[0].description = "A";
  ASSERT_OK(params().CommitParameter(PWrite(a, "a")));
  const int64_t head = Head();
  b.versions[0].description = "B";
  auto bw = PWrite(b, "b");
  bw.new_values.push_back({7, "seven"});
  EXPECT_CODE(params().CommitParameter(bw), ErrorCode::kWriteConflict);
  EXPECT_EQ(params().GetParameter(kScope, p.key).value()->versions[0].description, "A");
  EXPECT_FALSE(params().GetParameterValue(kScope, p.key, 7)->has_value());
  EXPECT_EQ(Head(), head);
  // A second create of an existing parameter conflicts.
  EXPECT_CODE(params().CommitParameter(PWrite(p, "again")), ErrorCode::kWriteConflict);
}

// A parameter's resource policies (ResourcePolicyWrite): committed at the parameter's
// revision (a stale one applies nothing), read back with the parameter in the order added,
// seen by this node's cache after a write on any node (the change row), kept by metadata
// commits, and gone with the parameter.
TEST_P(StoreConformance, ParameterResourcePoliciesFollowRevisionsCachesAndDeletion) {
  std::unique_ptr<Stores> node2 = IsSqlite() ? nullptr : SecondNode();
  Stores& writer = node2 ? *node2 : *stores_;
  auto p = MakeParam("/shared/param", ssm::kAdvanced);
  ASSERT_OK(params().CommitParameter(PWrite(p, "one")));
  auto got = params().GetParameter(kScope, p.key);  // cached from here on
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().message();
  EXPECT_TRUE((*got)->resource_policies.empty());
  const int64_t head = Head();

  ResourcePolicyWrite w;
  w.scope = kScope;
  w.key = p.key;
  w.expected_revision = 1;
  w.put = ssm::ResourcePolicy{"id1", "h1", R"({"a":1})"};
  w.change = "PutResourcePolicy";
  ASSERT_OK(writer.parameters().CommitResourcePolicy(w));
  EXPECT_CODE(writer.parameters().CommitResourcePolicy(w), ErrorCode::kWriteConflict);
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].kind, "PutResourcePolicy");
  EXPECT_EQ(cs[0].resource, ssm::ParameterArn(kScope.region, kScope.account, p.name));
  auto one = params().GetParameter(kScope, p.key);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->revision, 2);
  ASSERT_EQ((*one)->resource_policies.size(), 1u);
  EXPECT_EQ((*one)->resource_policies[0].id, "id1");
  EXPECT_EQ((*one)->resource_policies[0].hash, "h1");
  EXPECT_EQ((*one)->resource_policies[0].policy, R"({"a":1})");

  // A second policy, then the first replaced in place.
  w.expected_revision = 2;
  w.put = ssm::ResourcePolicy{"id2", "h2", R"({"b":2})"};
  ASSERT_OK(writer.parameters().CommitResourcePolicy(w));
  w.expected_revision = 3;
  w.put = ssm::ResourcePolicy{"id1", "h1b", R"({"a":3})"};
  ASSERT_OK(writer.parameters().CommitResourcePolicy(w));
  auto two = params().GetParameter(kScope, p.key);
  ASSERT_TRUE(two.ok() && two->has_value());
  ASSERT_EQ((*two)->resource_policies.size(), 2u);
  EXPECT_EQ((*two)->resource_policies[0].id, "id1");
  EXPECT_EQ((*two)->resource_policies[0].hash, "h1b");
  EXPECT_EQ((*two)->resource_policies[0].policy, R"({"a":3})");
  EXPECT_EQ((*two)->resource_policies[1].id, "id2");

  // A metadata commit (a new version) keeps them; a removal drops one.
  auto next = **two;
  auto v2 = next.versions[0];
  v2.version = 2;
  next.versions.push_back(v2);
  ASSERT_OK(params().CommitParameter(PWrite(next, "two")));
  w.expected_revision = 5;
  w.put.reset();
  w.remove_id = "id1";
  w.change = "DeleteResourcePolicy";
  ASSERT_OK(writer.parameters().CommitResourcePolicy(w));
  auto left = params().GetParameter(kScope, p.key);
  ASSERT_TRUE(left.ok() && left->has_value());
  ASSERT_EQ((*left)->resource_policies.size(), 1u);
  EXPECT_EQ((*left)->resource_policies[0].id, "id2");
  EXPECT_EQ((*left)->versions.size(), 2u);

  // Deleted with the parameter: one created again under the name has none.
  auto deleted = writer.parameters().DeleteParameters(kScope, {{p.key, 0}}, "DeleteParameters");
  ASSERT_TRUE(deleted.ok() && deleted->size() == 1u);
  ASSERT_OK(params().CommitParameter(PWrite(p, "again")));
  auto fresh = params().GetParameter(kScope, p.key);
  ASSERT_TRUE(fresh.ok() && fresh->has_value());
  EXPECT_TRUE((*fresh)->resource_policies.empty());
  // Nor can a policy be committed to a parameter that is gone.
  ASSERT_TRUE(writer.parameters().DeleteParameters(kScope, {{p.key, 0}}, "DeleteParameters").ok());
  w.expected_revision = 1;
  w.put = ssm::ResourcePolicy{"id3", "h3", "{}"};
  w.remove_id.clear();
  EXPECT_CODE(writer.parameters().CommitResourcePolicy(w), ErrorCode::kWriteConflict);
}

TEST_P(StoreConformance, ListParametersIsBytewiseByPrefixAndPages) {
  // Bytewise order: '-' (0x2d) < '/' (0x2f) < 'A' (0x41) < '_' (0x5f) < 'a' (0x61); a
  // locale collation would order these differently.
  const std::vector<std::string> names = {"/a/x",  "/a/B",  "/a-b", "/a/_z", "/a/b/c",
                                          "/ab",   "/a/a",  "/b",   "/A/a",  "/a/b"};
  for (const auto& n : names) ASSERT_OK(params().CommitParameter(PWrite(MakeParam(n), "v")));
  ASSERT_OK(params().CommitParameter(PWrite(MakeParam("/a/other-scope", ssm::kStandard, kOther), "v")));

  auto keys = [&](const std::string& prefix, size_t limit) {
    std::vector<std::string> out;
    std::string after;
    for (int i = 0; i < 20; ++i) {
      auto r = params().ListParameters(kScope, prefix, after, limit);
      EXPECT_TRUE(r.ok()) << r.status().message();
      if (!r.ok()) break;
      EXPECT_LE(r->size(), limit);
      for (const auto& p : *r) out.push_back(p.key);
      if (r->size() < limit) break;
      after = r->back().key;
    }
    return out;
  };
  std::vector<std::string> want_all;
  for (const auto& n : names) want_all.push_back(ssm::NameKey(n));
  std::sort(want_all.begin(), want_all.end());
  EXPECT_EQ(keys("", 3), want_all);
  EXPECT_EQ(keys("", 1000), want_all);
  std::vector<std::string> want_a;
  for (const auto& k : want_all)
    if (k.rfind(ssm::NameKey("/a/x").substr(0, ssm::NameKey("/a/x").size() - 1), 0) == 0)
      want_a.push_back(k);
  const std::string prefix = ssm::NameKey("/a/x").substr(0, ssm::NameKey("/a/x").size() - 1);
  EXPECT_EQ(keys(prefix, 2), want_a);
  EXPECT_EQ(want_a.size(), 6u);  // /a/B /a/_z /a/a /a/b /a/b/c /a/x
  EXPECT_TRUE(keys("/zzz", 5).empty());
  // after_key before the prefix range starts at the prefix.
  auto r = params().ListParameters(kScope, prefix, "/", 100);
  EXPECT_EQ(r->size(), 6u);
}

// A create given a quota counts its tier in the commit: past it, kParameterLimitExceeded
// with nothing applied (no parameter, no count, no change row). Updates are not counted.
TEST_P(StoreConformance, CommitParameterKeepsTheCreateQuota) {
  auto create = [&](const std::string& name, const std::string& tier, int64_t quota) {
    auto w = PWrite(MakeParam(name, tier), "v");
    w.create_quota = quota;
    return params().CommitParameter(w);
  };
  ASSERT_OK(create("/s0", ssm::kStandard, 2));
  ASSERT_OK(create("/s1", ssm::kStandard, 2));
  ASSERT_OK(create("/a0", ssm::kAdvanced, 1));
  const int64_t head = Head();
  EXPECT_CODE(create("/s2", ssm::kStandard, 2), ErrorCode::kParameterLimitExceeded);
  EXPECT_CODE(create("/a1", ssm::kAdvanced, 1), ErrorCode::kParameterLimitExceeded);
  EXPECT_FALSE(params().GetParameter(kScope, ssm::NameKey("/s2"))->has_value());
  EXPECT_EQ(Head(), head);
  auto counts = params().CountParameters(kScope).value();
  EXPECT_EQ(counts.standard, 2);
  EXPECT_EQ(counts.advanced, 1);
  ASSERT_OK(create("/a1", ssm::kAdvanced, 2));  // each tier has its own count
  // An update of an existing parameter takes no new place.
  auto p = *params().GetParameter(kScope, ssm::NameKey("/s0")).value();
  auto v2 = p.versions[0];
  v2.version = 2;
  p.versions.push_back(v2);
  auto w = PWrite(p, "v2");
  w.create_quota = 0;
  ASSERT_OK(params().CommitParameter(w));
  // The quota is per scope.
  auto o = PWrite(MakeParam("/s0", ssm::kStandard, kOther), "v");
  o.create_quota = 1;
  ASSERT_OK(params().CommitParameter(o));
}

// Concurrent creates of different names (PostgreSQL: through two nodes) never pass the quota.
TEST_P(StoreConformance, ConcurrentCreatesKeepTheParameterQuota) {
  auto node2 = IsSqlite() ? nullptr : SecondNode();
  constexpr int kCallers = 10;
  for (const char* tier : {ssm::kStandard, ssm::kAdvanced}) {
    std::atomic<int> ok{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < kCallers; ++i) {
      ts.emplace_back([&, i] {
        auto w = PWrite(MakeParam(std::string("/") + tier + "/" + std::to_string(i), tier), "v");
        w.create_quota = 4;
        ParameterStore& st = (node2 && i % 2) ? node2->parameters() : params();
        Status r = st.CommitParameter(w);
        if (r.ok()) {
          ++ok;
        } else {
          EXPECT_EQ(r.code(), ErrorCode::kParameterLimitExceeded) << r.message();
        }
      });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(ok.load(), 4) << tier;
  }
  auto counts = params().CountParameters(kScope).value();
  EXPECT_EQ(counts.standard, 4);
  EXPECT_EQ(counts.advanced, 4);
  EXPECT_EQ(params().ListParameters(kScope, "", "", 100)->size(), 8u);
}

TEST_P(StoreConformance, CountParametersFollowsCreatesTierChangesAndDeletes) {
  auto counts = [&](const Scope& s) { return params().CountParameters(s).value(); };
  EXPECT_EQ(counts(kScope).standard, 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(params().CommitParameter(PWrite(MakeParam("/s" + std::to_string(i)), "v")));
  }
  ASSERT_OK(params().CommitParameter(PWrite(MakeParam("/adv", ssm::kAdvanced), "v")));
  ASSERT_OK(params().CommitParameter(PWrite(MakeParam("/o", ssm::kStandard, kOther), "v")));
  EXPECT_EQ(counts(kScope).standard, 3);
  EXPECT_EQ(counts(kScope).advanced, 1);
  EXPECT_EQ(counts(kOther).standard, 1);

  // /s0 becomes Advanced.
  auto p = *params().GetParameter(kScope, ssm::NameKey("/s0")).value();
  auto v2 = p.versions[0];
  v2.version = 2;
  v2.tier = ssm::kAdvanced;
  p.versions.push_back(v2);
  ASSERT_OK(params().CommitParameter(PWrite(p, "v2")));
  EXPECT_EQ(counts(kScope).standard, 2);
  EXPECT_EQ(counts(kScope).advanced, 2);

  // A conflicting write changes no count.
  auto stale = p;
  stale.versions.back().tier = ssm::kStandard;
  EXPECT_CODE(params().CommitParameter(PWrite(stale, "x")), ErrorCode::kWriteConflict);
  EXPECT_EQ(counts(kScope).advanced, 2);

  auto del = params().DeleteParameters(kScope, {{ssm::NameKey("/s0"), 0}, {ssm::NameKey("/s1"), 0}},
                                       "DeleteParameters");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(counts(kScope).standard, 1);
  EXPECT_EQ(counts(kScope).advanced, 1);
  ASSERT_OK(params().WipeParameters());
  EXPECT_EQ(counts(kScope).standard, 0);
  EXPECT_EQ(counts(kScope).advanced, 0);
  EXPECT_EQ(counts(kOther).standard, 0);
}

TEST_P(StoreConformance, DeleteParametersSkipsAbsentAndStaleAndRecordsChanges) {
  for (const char* n : {"/d1", "/d2", "/d3"}) {
    ASSERT_OK(params().CommitParameter(PWrite(MakeParam(n), "v")));
  }
  const int64_t head = Head();
  auto deleted = params().DeleteParameters(
      kScope,
      {{ssm::NameKey("/d1"), 1}, {ssm::NameKey("/d2"), 5}, {ssm::NameKey("/absent"), 0},
       {ssm::NameKey("/d3"), 0}},
      "DeleteParameters");
  ASSERT_TRUE(deleted.ok()) << deleted.status().message();
  EXPECT_EQ(*deleted, std::vector<std::string>({ssm::NameKey("/d1"), ssm::NameKey("/d3")}));
  EXPECT_TRUE(params().GetParameter(kScope, ssm::NameKey("/d2"))->has_value());
  EXPECT_FALSE(params().GetParameter(kScope, ssm::NameKey("/d1"))->has_value());
  EXPECT_TRUE(params().GetParameterValues(kScope, ssm::NameKey("/d1"))->empty());
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].kind, "DeleteParameters");
  EXPECT_EQ(cs[0].resource, ssm::ParameterArn(kScope.region, kScope.account, "/d1"));
  EXPECT_EQ(cs[1].resource, ssm::ParameterArn(kScope.region, kScope.account, "/d3"));
}

TEST_P(StoreConformance, ListParametersExpiredBeforeUsesTheLatestExpiration) {
  auto e1 = MakeParam("/exp1");
  e1.versions[0].expires_ms = 10000;
  auto e2 = MakeParam("/exp2", ssm::kAdvanced, kOther);
  e2.versions[0].expires_ms = 30000;
  ASSERT_OK(params().CommitParameter(PWrite(e1, "v")));
  ASSERT_OK(params().CommitParameter(PWrite(e2, "v")));
  ASSERT_OK(params().CommitParameter(PWrite(MakeParam("/never"), "v")));
  auto r = params().ListParametersExpiredBefore(20000, 10);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].key, e1.key);
  EXPECT_EQ((*r)[0].scope.account, kScope.account);
  EXPECT_EQ(params().ListParametersExpiredBefore(40000, 10)->size(), 2u);
  EXPECT_EQ(params().ListParametersExpiredBefore(40000, 1)->size(), 1u);
}

TEST_P(StoreConformance, SsmServiceSettingsArePerScopeSeenByEveryNodeAndWiped) {
  std::unique_ptr<Stores> node2 = IsSqlite() ? nullptr : SecondNode();
  Stores& other = node2 ? *node2 : *stores_;
  const std::string tier = ssm::kDefaultParameterTierSetting;
  EXPECT_FALSE(params().GetServiceSetting(kScope, tier)->has_value());

  ssm::ServiceSettingState s{tier, "Advanced", ssm::kSettingCustomized, 1234,
                             "arn:aws:iam::111122223333:user/ops"};
  ASSERT_OK(params().PutServiceSetting(kScope, s));
  auto seen = other.parameters().GetServiceSetting(kScope, tier);
  ASSERT_TRUE(seen.ok() && seen->has_value()) << seen.status().message();
  EXPECT_EQ((*seen)->value, "Advanced");
  EXPECT_EQ((*seen)->status, ssm::kSettingCustomized);
  EXPECT_EQ((*seen)->modified_ms, 1234);
  EXPECT_EQ((*seen)->modified_user, s.modified_user);
  EXPECT_FALSE(params().GetServiceSetting(kOther, tier)->has_value());
  EXPECT_FALSE(params().GetServiceSetting({kScope.account, "eu-west-1"}, tier)->has_value());
  EXPECT_FALSE(params().GetServiceSetting(kScope, ssm::kHighThroughputSetting)->has_value());

  // The last write wins, whichever node wrote it.
  s.value = "Intelligent-Tiering";
  ASSERT_OK(other.parameters().PutServiceSetting(kScope, s));
  EXPECT_EQ((*params().GetServiceSetting(kScope, tier))->value, "Intelligent-Tiering");

  // A dev-mode reset drops the settings with the parameters, and nothing else of meta.
  ASSERT_OK(stores_->meta().PutMeta("conformance.keep", "1"));
  ASSERT_OK(params().PutServiceSetting(kOther, s));
  ASSERT_OK(params().WipeParameters());
  EXPECT_FALSE(params().GetServiceSetting(kScope, tier)->has_value());
  EXPECT_FALSE(other.parameters().GetServiceSetting(kOther, tier)->has_value());
  EXPECT_EQ(stores_->meta().GetMeta("conformance.keep")->value_or(""), "1");
}

// ---------- KMS ----------

TEST_P(StoreConformance, KmsKeyCreateUpdateConflictListAndMaterials) {
  const int64_t head = Head();
  auto k = MakeKey("key-b");
  ASSERT_OK(kmss().PutKmsKey(k, {Material("key-b", "m1-key-b", AllBytes())}, "CreateKey"));
  EXPECT_CODE(kmss().PutKmsKey(k, {}, "CreateKey"), ErrorCode::kAlreadyExists);
  auto got = kmss().GetKmsKey(kScope, "key-b");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->revision, 1);
  auto m = kmss().GetKeyMaterial("key-b", "m1-key-b");
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->wrapped, AllBytes());
  EXPECT_EQ((*m)->aad, KeyMaterialAad("arn:key-b", "m1-key-b"));
  EXPECT_FALSE(kmss().GetKeyMaterial("key-b", "m2")->has_value());

  auto a = **got, b = **got;
  a.description = "A";
  a.materials.push_back({"m2", 2000, "ON_DEMAND"});
  ASSERT_OK(kmss().PutKmsKey(a, {Material("key-b", "m2", "w2")}, "RotateKeyOnDemand"));
  b.description = "B";
  EXPECT_CODE(kmss().PutKmsKey(b, {Material("key-b", "m3", "w3")}, "UpdateKeyDescription"),
              ErrorCode::kWriteConflict);
  EXPECT_FALSE(kmss().GetKeyMaterial("key-b", "m3")->has_value());
  auto now = *kmss().GetKmsKey(kScope, "key-b").value();
  EXPECT_EQ(now.description, "A");
  EXPECT_EQ(now.revision, 2);

  for (const char* id : {"key-a", "key-c", "key-d"}) {
    ASSERT_OK(kmss().PutKmsKey(MakeKey(id), {}, "CreateKey"));
  }
  ASSERT_OK(kmss().PutKmsKey(MakeKey("key-other", kOther), {}, "CreateKey"));
  std::vector<std::string> ids;
  std::string after;
  for (int i = 0; i < 5; ++i) {
    auto page = kmss().ListKmsKeys(kScope, after, 3);
    ASSERT_TRUE(page.ok());
    for (const auto& key : *page) ids.push_back(key.key_id);
    if (page->size() < 3) break;
    after = page->back().key_id;
  }
  EXPECT_EQ(ids, std::vector<std::string>({"key-a", "key-b", "key-c", "key-d"}));

  auto cs = ChangesAfter(head);
  ASSERT_GE(cs.size(), 2u);
  EXPECT_EQ(cs[0].service, "kms");
  EXPECT_EQ(cs[0].resource, k.arn);
  EXPECT_EQ(cs[0].kind, "CreateKey");
  EXPECT_EQ(cs[1].kind, "RotateKeyOnDemand");
}

TEST_P(StoreConformance, KmsKeysDueForDeletionOrRotation) {
  auto del = MakeKey("del");
  del.key_state = kms::kStatePendingDeletion;
  del.deletion_ms = 10000;
  auto rot = MakeKey("rot");
  rot.rotation_enabled = true;
  rot.rotation_base_ms = 0;
  rot.rotation_period_days = 90;
  auto idle = MakeKey("idle");
  for (const auto& k : {del, rot, idle}) ASSERT_OK(kmss().PutKmsKey(k, {}, "CreateKey"));
  auto ids = [&](int64_t now) {
    std::set<std::string> out;
    for (const auto& k : kmss().ListKmsKeysDue(now, 100).value()) out.insert(k.key_id);
    return out;
  };
  EXPECT_TRUE(ids(5000).empty());
  EXPECT_EQ(ids(20000), std::set<std::string>({"del"}));
  EXPECT_EQ(ids(int64_t{90} * 86400000), std::set<std::string>({"del", "rot"}));
  EXPECT_EQ(kmss().ListKmsKeysDue(int64_t{90} * 86400000, 1)->size(), 1u);
}

TEST_P(StoreConformance, WriteKmsKeysIsOneTransactionOverRegionsAndMaterials) {
  const Scope west{kScope.account, "eu-west-1"};
  auto primary = MakeKey("mrk-1");
  primary.multi_region = true;
  primary.primary_region = kScope.region;
  ASSERT_OK(kmss().PutKmsKey(primary, {Material("mrk-1", "m1-mrk-1", "w1")}, "CreateKey"));
  primary.revision = 1;
  auto replica = MakeKey("mrk-1", west);
  replica.multi_region = true;
  replica.primary_region = kScope.region;
  const int64_t head = Head();
  // Create the replica and re-write the primary (at its revision) together; the material
  // row is replaced in place.
  ASSERT_OK(kmss().WriteKmsKeys({{replica, {Material("mrk-1", "m1-mrk-1", "w1b")}, {}},
                                 {primary, {}, {}}},
                                "ReplicateKey"));
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].region, "eu-west-1");
  EXPECT_EQ(cs[0].kind, "ReplicateKey");
  EXPECT_EQ(cs[1].resource, primary.arn);
  EXPECT_EQ(kmss().GetKeyMaterial("mrk-1", "m1-mrk-1").value()->wrapped, "w1b");
  auto related = kmss().ListKmsKeyRegions(kScope.account, "mrk-1");
  ASSERT_TRUE(related.ok());
  ASSERT_EQ(related->size(), 2u);
  EXPECT_EQ((*related)[0].region, "eu-west-1");  // ordered by region
  EXPECT_EQ((*related)[1].region, kScope.region);
  EXPECT_EQ((*related)[1].revision, 2);
  EXPECT_TRUE(kmss().ListKmsKeyRegions(kOther.account, "mrk-1")->empty());

  // A stale revision anywhere applies nothing: not the other key, not its materials.
  auto stale = primary;  // revision 1, stored 2
  auto fresh_replica = (*related)[0];
  fresh_replica.description = "changed";
  EXPECT_CODE(kmss().WriteKmsKeys({{fresh_replica, {Material("mrk-1", "m2", "w2")}, {}},
                                   {stale, {}, {}}},
                                  "RotateKeyOnDemand"),
              ErrorCode::kWriteConflict);
  EXPECT_EQ(kmss().GetKmsKey(west, "mrk-1").value()->description, "");
  EXPECT_FALSE(kmss().GetKeyMaterial("mrk-1", "m2")->has_value());

  // Dropping a material row (deleted imported material); absent ids are ignored.
  ASSERT_OK(kmss().WriteKmsKeys({{fresh_replica, {}, {"m1-mrk-1", "absent"}}}, "Delete"));
  EXPECT_FALSE(kmss().GetKeyMaterial("mrk-1", "m1-mrk-1")->has_value());
  ASSERT_OK(kmss().WriteKmsKeys(
      {{*kmss().GetKmsKey(west, "mrk-1").value(), {Material("mrk-1", "m1-mrk-1", "w3")}, {}}},
      "ImportKeyMaterial"));
  EXPECT_EQ(kmss().GetKeyMaterial("mrk-1", "m1-mrk-1").value()->wrapped, "w3");
}

TEST_P(StoreConformance, DeleteKmsKeyKeepsMaterialsAnotherRegionStillHolds) {
  const Scope west{kScope.account, "eu-west-1"};
  auto primary = MakeKey("mrk-2");
  auto replica = MakeKey("mrk-2", west);
  ASSERT_OK(kmss().WriteKmsKeys({{primary, {Material("mrk-2", "m1-mrk-2", "w")}, {}},
                                 {replica, {}, {}}},
                                "CreateKey"));
  ASSERT_OK(kmss().DeleteKmsKey(west, "mrk-2", 0));
  EXPECT_FALSE(kmss().GetKmsKey(west, "mrk-2")->has_value());
  EXPECT_TRUE(kmss().GetKeyMaterial("mrk-2", "m1-mrk-2")->has_value());
  ASSERT_OK(kmss().DeleteKmsKey(kScope, "mrk-2", 0));
  EXPECT_FALSE(kmss().GetKeyMaterial("mrk-2", "m1-mrk-2")->has_value());
}

TEST_P(StoreConformance, KmsKeysDueForImportedMaterialExpiry) {
  auto k = MakeKey("ext");
  k.origin = kms::kOriginExternal;
  k.materials[0].imported = true;
  k.materials[0].valid_to_ms = 50000;
  k.materials[0].description = "from the HSM";
  ASSERT_OK(kmss().PutKmsKey(k, {}, "CreateKey"));
  auto due = [&](int64_t now) { return kmss().ListKmsKeysDue(now, 100).value().size(); };
  EXPECT_EQ(due(40000), 0u);
  auto listed = kmss().ListKmsKeysDue(60000, 100).value();
  ASSERT_EQ(listed.size(), 1u);
  // The material fields round-trip through the stored metadata.
  EXPECT_TRUE(listed[0].materials[0].imported);
  EXPECT_EQ(listed[0].materials[0].valid_to_ms, 50000);
  EXPECT_EQ(listed[0].materials[0].description, "from the HSM");
  EXPECT_EQ(listed[0].origin, kms::kOriginExternal);
}

TEST_P(StoreConformance, KmsAliasesCreateUpdateListDelete) {
  ASSERT_OK(kmss().PutKmsKey(MakeKey("k1"), {}, "CreateKey"));
  ASSERT_OK(kmss().PutKmsKey(MakeKey("k2"), {}, "CreateKey"));
  const int64_t head = Head();
  kms::Alias a{kScope.account, kScope.region, "alias/b", "k1", 1, 1};
  ASSERT_OK(kmss().PutKmsAlias(a, true, 50));
  EXPECT_CODE(kmss().PutKmsAlias(a, true, 50), ErrorCode::kAlreadyExists);
  for (const char* n : {"alias/a", "alias/c", "alias/d"}) {
    ASSERT_OK(kmss().PutKmsAlias({kScope.account, kScope.region, n, "k2", 1, 1}, true, 50));
  }
  a.target_key_id = "k2";
  a.updated_ms = 5;
  ASSERT_OK(kmss().PutKmsAlias(a, false, 50));
  auto got = kmss().GetKmsAlias(kScope, "alias/b");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->target_key_id, "k2");
  EXPECT_EQ((*got)->updated_ms, 5);
  EXPECT_CODE(kmss().PutKmsAlias({kScope.account, kScope.region, "alias/none", "k1", 1, 1}, false, 50),
              ErrorCode::kKmsNotFound);

  std::vector<std::string> names;
  std::string after;
  for (int i = 0; i < 5; ++i) {
    auto page = kmss().ListKmsAliases(kScope, "", after, 2);
    ASSERT_TRUE(page.ok());
    for (const auto& x : *page) names.push_back(x.name);
    if (page->size() < 2) break;
    after = page->back().name;
  }
  EXPECT_EQ(names, std::vector<std::string>({"alias/a", "alias/b", "alias/c", "alias/d"}));
  EXPECT_TRUE(kmss().ListKmsAliases(kScope, "k1", "", 10)->empty());
  EXPECT_EQ(kmss().ListKmsAliases(kScope, "k2", "alias/b", 10)->size(), 2u);

  ASSERT_OK(kmss().DeleteKmsAlias(kScope, "alias/a"));
  EXPECT_CODE(kmss().DeleteKmsAlias(kScope, "alias/a"), ErrorCode::kKmsNotFound);
  EXPECT_FALSE(kmss().GetKmsAlias(kScope, "alias/a")->has_value());

  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 6u);  // 4 creates, 1 update, 1 delete
  for (const auto& c : cs) EXPECT_EQ(c.service, "kms");
  EXPECT_EQ(cs[0].resource, kms::AliasArn(kScope.region, kScope.account, "alias/b"));
  EXPECT_EQ(cs[5].resource, kms::AliasArn(kScope.region, kScope.account, "alias/a"));
}

TEST_P(StoreConformance, CreateKmsKeyWithAliasIsAllOrNothing) {
  kms::Alias alias{kScope.account, kScope.region, "alias/aws/ssm", "managed", 1, 1};
  ASSERT_OK(kmss().CreateKmsKeyWithAlias(MakeKey("managed"), {Material("managed", "m", "w")},
                                         alias));
  EXPECT_TRUE(kmss().GetKmsKey(kScope, "managed")->has_value());
  EXPECT_EQ(kmss().GetKmsAlias(kScope, "alias/aws/ssm").value()->target_key_id, "managed");
  const int64_t head = Head();
  alias.target_key_id = "managed2";
  EXPECT_CODE(kmss().CreateKmsKeyWithAlias(MakeKey("managed2"), {Material("managed2", "m", "w")},
                                           alias),
              ErrorCode::kAlreadyExists);
  EXPECT_FALSE(kmss().GetKmsKey(kScope, "managed2")->has_value());
  EXPECT_FALSE(kmss().GetKeyMaterial("managed2", "m")->has_value());
  EXPECT_EQ(Head(), head);
}

kms::Grant MakeGrant(const std::string& key_id, const std::string& id,
                     const std::string& retiring) {
  kms::Grant g;
  g.account = kScope.account;
  g.region = kScope.region;
  g.key_id = key_id;
  g.grant_id = id;
  g.grantee_principal = "arn:aws:iam::111122223333:role/x";
  g.retiring_principal = retiring;
  g.operations = {"Decrypt"};
  g.created_ms = 1;
  return g;
}

TEST_P(StoreConformance, KmsGrantsListByKeyAndRetiringPrincipalAndDelete) {
  const Scope eu{kScope.account, "eu-west-1"};
  for (const auto& k : {MakeKey("gk"), MakeKey("other"), MakeKey("theirs", kOther), MakeKey("gk", eu)}) {
    ASSERT_OK(kmss().PutKmsKey(k, {}, "CreateKey"));
  }
  for (const char* id : {"g3", "g1", "g2", "g4"}) {
    ASSERT_OK(CreateGrant(MakeGrant("gk", id, std::string(id) < "g3" ? "ret-a" : "ret-b")));
  }
  ASSERT_OK(CreateGrant(MakeGrant("other", "g0", "ret-a")));
  // A key of another account in the same region, and one of this account in another region.
  kms::Grant elsewhere = MakeGrant("theirs", "g15", "ret-a");
  elsewhere.account = kOther.account;
  ASSERT_OK(CreateGrant(elsewhere));
  kms::Grant other_region = MakeGrant("gk", "g16", "ret-a");
  other_region.region = eu.region;
  ASSERT_OK(CreateGrant(other_region));
  std::vector<std::string> ids;
  std::string after;
  for (int i = 0; i < 5; ++i) {
    auto page = kmss().ListKmsGrants(kScope, "gk", after, 3);
    ASSERT_TRUE(page.ok());
    for (const auto& g : *page) ids.push_back(g.grant_id);
    if (page->size() < 3) break;
    after = page->back().grant_id;
  }
  EXPECT_EQ(ids, std::vector<std::string>({"g1", "g2", "g3", "g4"}));
  std::vector<std::string> by_ret;
  // Every account's keys of the region (ListRetirableGrants), in grant id order.
  for (const auto& g :
       kmss().ListKmsGrantsByRetiringPrincipal(kScope.region, "ret-a", "", 10).value()) {
    by_ret.push_back(g.grant_id);
  }
  EXPECT_EQ(by_ret, std::vector<std::string>({"g0", "g1", "g15", "g2"}));
  EXPECT_EQ(kmss().ListKmsGrantsByRetiringPrincipal(kScope.region, "ret-a", "g1", 10)->size(),
            2u);
  EXPECT_EQ(kmss().ListKmsGrantsByRetiringPrincipal("eu-west-1", "ret-a", "", 10)->size(), 1u);
  auto one = kmss().ListKmsGrants(kScope, "gk", "", 1);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].operations, std::vector<std::string>({"Decrypt"}));

  ASSERT_OK(kmss().DeleteKmsGrant(kScope, "gk", "g2"));
  EXPECT_CODE(kmss().DeleteKmsGrant(kScope, "gk", "g2"), ErrorCode::kKmsNotFound);
  EXPECT_EQ(kmss().ListKmsGrants(kScope, "gk", "", 10)->size(), 3u);
}

TEST_P(StoreConformance, CreateKmsGrantFindsTheSameNamedGrantChecksTheKeyAndTheLimit) {
  auto k = MakeKey("nk");
  ASSERT_OK(kmss().PutKmsKey(k, {}, "CreateKey"));
  auto named = MakeGrant("nk", "g-first", "r");
  named.name = "retry-me";
  named.grant_token = "token-first";
  named.issuing_account = "arn:aws:iam::111122223333:root";
  auto first = kmss().CreateKmsGrant(named, 1, 10);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->grant_id, "g-first");

  // The same request again, with a new id: the first grant, nothing written.
  const int64_t head = Head();
  auto again = named;
  again.grant_id = "g-again";
  again.grant_token = "token-again";
  auto same = kmss().CreateKmsGrant(again, 1, 10);
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(same->grant_id, "g-first");
  EXPECT_EQ(same->grant_token, "token-first");
  EXPECT_EQ(Head(), head);
  // Another Name, other operations, another issuing account, no Name: new grants.
  auto other_name = again;
  other_name.name = "retry-me-not";
  other_name.grant_id = "g-name";
  auto other_ops = again;
  other_ops.operations = {"Encrypt"};
  other_ops.grant_id = "g-ops";
  auto other_issuer = again;
  other_issuer.issuing_account = "arn:aws:iam::444455556666:root";
  other_issuer.grant_id = "g-issuer";
  auto unnamed = again;
  unnamed.name.clear();
  unnamed.grant_id = "g-unnamed";
  for (const auto& g : {other_name, other_ops, other_issuer, unnamed}) {
    auto r = kmss().CreateKmsGrant(g, 1, 10);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->grant_id, g.grant_id);
  }
  EXPECT_EQ(kmss().ListKmsGrants(kScope, "nk", "", 20)->size(), 5u);

  // The limit counts the key's grants in the write; the same named grant is still found.
  auto over = unnamed;
  over.grant_id = "g-over";
  EXPECT_CODE(kmss().CreateKmsGrant(over, 1, 5).status(), ErrorCode::kKmsLimitExceeded);
  auto at_limit = kmss().CreateKmsGrant(again, 1, 5);
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().message();
  EXPECT_EQ(at_limit->grant_id, "g-first");

  // A key that moved on since it was read (a deletion scheduled), or is gone: nothing written.
  auto pending = **kmss().GetKmsKey(kScope, "nk");
  pending.key_state = kms::kStatePendingDeletion;
  ASSERT_OK(kmss().PutKmsKey(pending, {}, "ScheduleKeyDeletion"));
  EXPECT_CODE(kmss().CreateKmsGrant(over, 1, 10).status(), ErrorCode::kWriteConflict);
  auto missing = over;
  missing.key_id = "no-such-key";
  EXPECT_CODE(kmss().CreateKmsGrant(missing, 1, 10).status(), ErrorCode::kWriteConflict);
  EXPECT_EQ(kmss().ListKmsGrants(kScope, "nk", "", 20)->size(), 5u);
  EXPECT_TRUE(kmss().ListKmsGrants(kScope, "no-such-key", "", 20)->empty());
}

// A retried CreateGrant sent through every node at once (PostgreSQL: two nodes) makes one grant,
// and concurrent creates never pass the per-key limit.
TEST_P(StoreConformance, ConcurrentCreateKmsGrantsOfOneNameMakeOneGrantAndKeepTheLimit) {
  auto node2 = IsSqlite() ? nullptr : SecondNode();
  ASSERT_OK(kmss().PutKmsKey(MakeKey("ck"), {}, "CreateKey"));
  constexpr int kCallers = 6;
  auto race = [&](bool named, size_t max_grants, std::set<std::string>* ids, int* limited) {
    std::mutex mu;
    std::vector<std::thread> ts;
    for (int i = 0; i < kCallers; ++i) {
      ts.emplace_back([&, i] {
        auto g = MakeGrant("ck", std::string(named ? "n" : "u") + std::to_string(i), "r");
        g.name = named ? "once" : "";
        KmsStore& st = (node2 && i % 2) ? node2->kms() : kmss();
        auto r = st.CreateKmsGrant(g, 1, max_grants);
        std::lock_guard<std::mutex> l(mu);
        if (r.ok()) {
          ids->insert(r->grant_id);
        } else {
          EXPECT_EQ(r.status().code(), ErrorCode::kKmsLimitExceeded) << r.status().message();
          ++*limited;
        }
      });
    }
    for (auto& t : ts) t.join();
  };
  std::set<std::string> ids;
  int limited = 0;
  race(/*named=*/true, 100, &ids, &limited);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(limited, 0);
  EXPECT_EQ(kmss().ListKmsGrants(kScope, "ck", "", 20)->size(), 1u);

  ids.clear();
  race(/*named=*/false, 4, &ids, &limited);  // 1 held: 3 more fit
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(limited, kCallers - 3);
  EXPECT_EQ(kmss().ListKmsGrants(kScope, "ck", "", 20)->size(), 4u);
}

// PutKmsAlias counts the target key's aliases in its write: a create or an update beyond
// max_per_key is kKmsLimitExceeded with nothing written; an update that keeps the alias's key
// adds nothing and is not refused; a target key that is gone is kKmsNotFound.
TEST_P(StoreConformance, PutKmsAliasKeepsThePerKeyLimit) {
  ASSERT_OK(kmss().PutKmsKey(MakeKey("full"), {}, "CreateKey"));
  ASSERT_OK(kmss().PutKmsKey(MakeKey("other"), {}, "CreateKey"));
  auto alias = [](const std::string& name, const std::string& key) {
    return kms::Alias{kScope.account, kScope.region, name, key, 1, 1};
  };
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(kmss().PutKmsAlias(alias("alias/f" + std::to_string(i), "full"), true, 3));
  }
  ASSERT_OK(kmss().PutKmsAlias(alias("alias/o", "other"), true, 3));
  const int64_t head = Head();
  EXPECT_CODE(kmss().PutKmsAlias(alias("alias/f3", "full"), true, 3),
              ErrorCode::kKmsLimitExceeded);
  EXPECT_CODE(kmss().PutKmsAlias(alias("alias/o", "full"), false, 3),
              ErrorCode::kKmsLimitExceeded);
  EXPECT_FALSE(kmss().GetKmsAlias(kScope, "alias/f3")->has_value());
  EXPECT_EQ((*kmss().GetKmsAlias(kScope, "alias/o"))->target_key_id, "other");
  EXPECT_EQ(Head(), head);  // no change row either
  auto same = alias("alias/f0", "full");
  same.updated_ms = 7;
  ASSERT_OK(kmss().PutKmsAlias(same, false, 3));  // its own key: nothing added
  EXPECT_EQ((*kmss().GetKmsAlias(kScope, "alias/f0"))->updated_ms, 7);
  ASSERT_OK(kmss().PutKmsAlias(alias("alias/o", "full"), false, 4));  // room under 4
  EXPECT_EQ(kmss().ListKmsAliases(kScope, "full", "", 10)->size(), 4u);
  EXPECT_CODE(kmss().PutKmsAlias(alias("alias/gone", "no-such-key"), true, 3),
              ErrorCode::kKmsNotFound);
  EXPECT_CODE(kmss().PutKmsAlias(alias("alias/o", "no-such-key"), false, 3),
              ErrorCode::kKmsNotFound);
  EXPECT_FALSE(kmss().GetKmsAlias(kScope, "alias/gone")->has_value());
}

// Concurrent alias creates and moves onto one key (PostgreSQL: through two nodes) never pass
// the per-key limit: the count is made after taking the key's row.
TEST_P(StoreConformance, ConcurrentPutKmsAliasesKeepThePerKeyLimit) {
  auto node2 = IsSqlite() ? nullptr : SecondNode();
  ASSERT_OK(kmss().PutKmsKey(MakeKey("ak"), {}, "CreateKey"));
  ASSERT_OK(kmss().PutKmsKey(MakeKey("src"), {}, "CreateKey"));
  constexpr int kCallers = 8;
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_OK(kmss().PutKmsAlias({kScope.account, kScope.region, "alias/m" + std::to_string(i),
                                  "src", 1, 1},
                                 true, 50));
  }
  auto race = [&](bool create, size_t max) {
    std::atomic<int> ok{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < kCallers; ++i) {
      ts.emplace_back([&, i] {
        kms::Alias a{kScope.account, kScope.region,
                     (create ? "alias/c" : "alias/m") + std::to_string(i), "ak", 2, 2};
        KmsStore& st = (node2 && i % 2) ? node2->kms() : kmss();
        Status r = st.PutKmsAlias(a, create, max);
        if (r.ok()) {
          ++ok;
        } else {
          EXPECT_EQ(r.code(), ErrorCode::kKmsLimitExceeded) << r.message();
        }
      });
    }
    for (auto& t : ts) t.join();
    return ok.load();
  };
  EXPECT_EQ(race(/*create=*/true, 3), 3);
  EXPECT_EQ(kmss().ListKmsAliases(kScope, "ak", "", 20)->size(), 3u);
  EXPECT_EQ(race(/*create=*/false, 5), 2);
  EXPECT_EQ(kmss().ListKmsAliases(kScope, "ak", "", 20)->size(), 5u);
  EXPECT_EQ(kmss().ListKmsAliases(kScope, "src", "", 20)->size(), kCallers - 2u);
}

TEST_P(StoreConformance, DeleteKmsKeyChecksRevisionAndTakesAliasesGrantsMaterials) {
  auto k = MakeKey("doomed");
  ASSERT_OK(kmss().PutKmsKey(k, {Material("doomed", "m1", "w")}, "CreateKey"));
  ASSERT_OK(kmss().PutKmsAlias({kScope.account, kScope.region, "alias/doomed", "doomed", 1, 1}, true, 50));
  ASSERT_OK(CreateGrant(MakeGrant("doomed", "g", "r")));
  EXPECT_CODE(kmss().DeleteKmsKey(kScope, "doomed", 9), ErrorCode::kWriteConflict);
  EXPECT_TRUE(kmss().GetKmsKey(kScope, "doomed")->has_value());
  const int64_t head = Head();
  ASSERT_OK(kmss().DeleteKmsKey(kScope, "doomed", 1));
  EXPECT_FALSE(kmss().GetKmsKey(kScope, "doomed")->has_value());
  EXPECT_FALSE(kmss().GetKmsAlias(kScope, "alias/doomed")->has_value());
  EXPECT_TRUE(kmss().ListKmsGrants(kScope, "doomed", "", 10)->empty());
  EXPECT_FALSE(kmss().GetKeyMaterial("doomed", "m1")->has_value());
  std::set<std::string> resources;
  for (const auto& c : ChangesAfter(head)) resources.insert(c.resource);
  EXPECT_TRUE(resources.count(k.arn));
  EXPECT_TRUE(resources.count(kms::AliasArn(kScope.region, kScope.account, "alias/doomed")));
}

TEST_P(StoreConformance, RewrapKeyMaterialsIsOneTransaction) {
  ASSERT_OK(kmss().PutKmsKey(MakeKey("r1"), {Material("r1", "a", "old-a"), Material("r1", "b", "old-b")},
                             "CreateKey"));
  ASSERT_OK(kmss().PutKmsKey(MakeKey("r2"), {Material("r2", "a", "old-c")}, "CreateKey"));
  // An error part-way changes nothing.
  int calls = 0;
  EXPECT_CODE(kmss().RewrapKeyMaterials([&](const KeyMaterialRecord& m) -> Result<std::string> {
    if (++calls == 2) return Status(ErrorCode::kKmsInternal, "boom");
    return "new-" + m.wrapped;
  }),
              ErrorCode::kKmsInternal);
  for (const auto& m : kmss().ListKeyMaterials().value()) EXPECT_EQ(m.wrapped.rfind("old-", 0), 0u);
  ASSERT_OK(kmss().RewrapKeyMaterials(
      [](const KeyMaterialRecord& m) -> Result<std::string> { return "new-" + m.wrapped; }));
  auto all = kmss().ListKeyMaterials();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  for (const auto& m : *all) EXPECT_EQ(m.wrapped.rfind("new-old-", 0), 0u) << m.wrapped;
}

TEST_P(StoreConformance, WipeKmsDropsKeysAliasesGrantsMaterials) {
  ASSERT_OK(kmss().PutKmsKey(MakeKey("w"), {Material("w", "m", "x")}, "CreateKey"));
  ASSERT_OK(kmss().PutKmsAlias({kScope.account, kScope.region, "alias/w", "w", 1, 1}, true, 50));
  ASSERT_OK(CreateGrant(MakeGrant("w", "g", "r")));
  ASSERT_OK(kmss().WipeKms());
  EXPECT_TRUE(kmss().ListKmsKeys(kScope, "", 10)->empty());
  EXPECT_TRUE(kmss().ListKmsAliases(kScope, "", "", 10)->empty());
  EXPECT_TRUE(kmss().ListKmsGrants(kScope, "w", "", 10)->empty());
  EXPECT_TRUE(kmss().ListKeyMaterials()->empty());
}

// ---------- access keys, meta, root of trust ----------

TEST_P(StoreConformance, AccessKeysPutGetListDeleteWithChanges) {
  auto& ak = stores_->access_keys();
  const int64_t head = Head();
  for (const char* id : {"AKIDC", "AKIDA", "AKIDB"}) {
    ASSERT_OK(ak.PutAccessKey({id, AllBytes(), kScope.account, "arn:aws:iam::1:user/u", 7}));
  }
  EXPECT_CODE(ak.PutAccessKey({"AKIDA", "x", kScope.account, "p", 8}), ErrorCode::kResourceExists);
  auto got = ak.GetAccessKey("AKIDA");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->sealed_secret, AllBytes());
  EXPECT_EQ((*got)->created_ms, 7);
  EXPECT_EQ((*got)->principal_arn, "arn:aws:iam::1:user/u");
  auto page1 = ak.ListAccessKeys("", 2);
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[0].access_key_id, "AKIDA");
  auto page2 = ak.ListAccessKeys((*page1)[1].access_key_id, 2);
  ASSERT_EQ(page2->size(), 1u);
  EXPECT_EQ((*page2)[0].access_key_id, "AKIDC");
  ASSERT_OK(ak.DeleteAccessKey("AKIDB"));
  EXPECT_CODE(ak.DeleteAccessKey("AKIDB"), ErrorCode::kResourceNotFound);
  EXPECT_FALSE(ak.GetAccessKey("AKIDB")->has_value());
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 4u);
  for (const auto& c : cs) EXPECT_EQ(c.service, "arcana");
  EXPECT_EQ(cs[3].resource, "AKIDB");
}

// ---------- IAM identities ----------

namespace {
IamEntity Entity(const std::string& kind, const std::string& name, const std::string& path = "/") {
  return {"111122223333", kind, name, "ID" + name, path, R"({"tags":[]})", 5, 0};
}
}  // namespace

TEST_P(StoreConformance, IamEntitiesCreateCaseInsensitiveUpdateDeleteWithChanges) {
  auto& ids = stores_->identities();
  const int64_t head = Head();
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", "Alice")}}, "CreateUser"));
  EXPECT_CODE(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", "ALICE")}}, "CreateUser"),
              ErrorCode::kResourceExists);
  auto got = ids.GetEntity("111122223333", "user", "alice");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->name, "Alice");
  EXPECT_EQ((*got)->revision, 1);
  EXPECT_EQ((*got)->doc, R"({"tags":[]})");
  EXPECT_FALSE(ids.GetEntity("999999999999", "user", "Alice")->has_value());  // per account
  EXPECT_FALSE(ids.GetEntity("111122223333", "role", "Alice")->has_value());  // per kind
  IamEntity e = **got;
  e.doc = R"({"tags":[["a","b"]]})";
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, e}}, "TagUser"));
  // A write at the old revision, or a delete at it, conflicts and applies nothing.
  EXPECT_CODE(ids.WriteEntities({{EntityWrite::Op::kPut, e}}, "TagUser"), ErrorCode::kWriteConflict);
  EXPECT_CODE(ids.WriteEntities({{EntityWrite::Op::kDelete, e}}, "DeleteUser"),
              ErrorCode::kWriteConflict);
  e.revision = 2;
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kDelete, e}}, "DeleteUser"));
  EXPECT_FALSE(ids.GetEntity("111122223333", "user", "Alice")->has_value());
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 3u);
  for (const auto& c : cs) EXPECT_EQ(c.service, "iam");
  EXPECT_EQ(cs[0].resource, "111122223333:user/Alice");
  EXPECT_EQ(cs[2].kind, "DeleteUser");
}

TEST_P(StoreConformance, IamCreateUnderQuotaCountsTheAccountsEntitiesOfItsKind) {
  auto& ids = stores_->identities();
  const EntityQuota two{2, "UsersPerAccount"};
  auto create = [&](const std::string& account, const std::string& kind, const std::string& n) {
    IamEntity e = Entity(kind, n);
    e.account = account;
    return ids.WriteEntities({{EntityWrite::Op::kPut, e, two}}, "CreateUser");
  };
  ASSERT_OK(create("111122223333", "user", "a"));
  ASSERT_OK(create("111122223333", "user", "b"));
  const int64_t head = Head();
  Status over = create("111122223333", "user", "c");
  EXPECT_CODE(over, ErrorCode::kLimitExceeded);
  EXPECT_EQ(over.message(), "Cannot exceed quota for UsersPerAccount: 2");
  EXPECT_FALSE(ids.GetEntity("111122223333", "user", "c")->has_value());
  EXPECT_EQ(Head(), head);  // nothing written
  // A name already taken is that, quota or not.
  EXPECT_CODE(create("111122223333", "user", "A"), ErrorCode::kResourceExists);
  // Per account and per kind; a create without a quota (a rename's new row) is not counted.
  ASSERT_OK(create("999999999999", "user", "c"));
  ASSERT_OK(create("111122223333", "group", "c"));
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", "renamed")}}, "UpdateUser"));
  // A delete frees a slot.
  auto b = ids.GetEntity("111122223333", "user", "b").value();
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kDelete, *b}}, "DeleteUser"));
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kDelete, *ids.GetEntity("111122223333", "user",
                                                                          "renamed").value()}},
                              "DeleteUser"));
  ASSERT_OK(create("111122223333", "user", "c"));
}

TEST_P(StoreConformance, IamConcurrentCreatesUnderQuotaNeverExceedIt) {
  auto node2 = IsSqlite() ? nullptr : SecondNode();
  constexpr int kCreators = 12;
  constexpr int64_t kQuota = 5;
  std::atomic<int> ok{0}, limited{0}, other{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kCreators; ++i) {
    ts.emplace_back([&, i] {
      IdentityStore& st = (node2 && i % 2) ? node2->identities() : stores_->identities();
      for (;;) {
        Status r = st.WriteEntities(
            {{EntityWrite::Op::kPut, Entity("role", "r" + std::to_string(i)),
              EntityQuota{kQuota, "RolesPerAccount"}}},
            "CreateRole");
        if (r.code() == ErrorCode::kWriteConflict) continue;  // a deadlock victim: again
        (r.ok() ? ok : r.code() == ErrorCode::kLimitExceeded ? limited : other)++;
        return;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), kQuota);
  EXPECT_EQ(limited.load(), kCreators - kQuota);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(stores_->identities().CountEntities("111122223333", {"role"})->by_kind["role"],
            kQuota);
}

TEST_P(StoreConformance, IamWriteOfSeveralEntitiesIsAllOrNothing) {
  auto& ids = stores_->identities();
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", "u")},
                               {EntityWrite::Op::kPut, Entity("policy", "p")}},
                              "Setup"));
  auto u = *ids.GetEntity("111122223333", "user", "u").value();
  auto p = *ids.GetEntity("111122223333", "policy", "p").value();
  u.doc = R"({"attached":["p"]})";
  IamEntity stale = p;
  stale.revision = 7;  // the policy moved on: the user's half must not be applied either
  EXPECT_CODE(ids.WriteEntities({{EntityWrite::Op::kPut, u}, {EntityWrite::Op::kPut, stale}},
                                "AttachUserPolicy"),
              ErrorCode::kWriteConflict);
  EXPECT_EQ(ids.GetEntity("111122223333", "user", "u").value()->revision, 1);
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, u}, {EntityWrite::Op::kPut, p}},
                              "AttachUserPolicy"));
  EXPECT_EQ(ids.GetEntity("111122223333", "user", "u").value()->doc, R"({"attached":["p"]})");
  EXPECT_EQ(ids.GetEntity("111122223333", "policy", "p").value()->revision, 2);
}

// IAM keeps an account's counts of AWS managed policy uses (storage/identity_codec.h) as
// entities named by the policy's ARN, made once together with a marker row: a batch of
// creates in which one name is taken (another request made the counts first) applies
// nothing, and an ARN (':' and '/') is a name like any other.
TEST_P(StoreConformance, IamAwsPolicyUsesRowsAreCreatedTogetherOrNotAtAll) {
  auto& ids = stores_->identities();
  const std::string arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaRole";
  AwsPolicyUses counted{"111122223333", kAwsPolicyUsesCounted, 0, 0, 5, 0};
  AwsPolicyUses uses{"111122223333", arn, 3, 1, 5, 0};
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, ToEntity(counted)}}, "Count"));
  EXPECT_CODE(ids.WriteEntities({{EntityWrite::Op::kPut, ToEntity(uses)},
                                 {EntityWrite::Op::kPut, ToEntity(counted)}},
                                "Count"),
              ErrorCode::kResourceExists);
  EXPECT_FALSE(ids.GetEntity("111122223333", kAwsPolicyUsesKind, arn)->has_value());
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, ToEntity(uses)}}, "AttachRolePolicy"));
  auto got = ids.GetEntity("111122223333", kAwsPolicyUsesKind, arn);
  ASSERT_TRUE(got.ok() && got->has_value());
  auto back = AwsPolicyUsesFromEntity(**got);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->arn, arn);
  EXPECT_EQ(back->attached, 3);
  EXPECT_EQ(back->bounding, 1);
  EXPECT_EQ(back->revision, 1);
  auto all = ids.ListEntities("111122223333", kAwsPolicyUsesKind, "/", "", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  // Kept apart from the account's identities.
  EXPECT_EQ(ids.ListEntities("111122223333", "policy", "/", "", 100)->size(), 0u);
}

TEST_P(StoreConformance, IamListEntitiesByPathPrefixPagesByName) {
  auto& ids = stores_->identities();
  for (const char* n : {"d", "B", "a", "C"}) {
    ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", n, "/eng/")}}, "c"));
  }
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", "e", "/ops/")}}, "c"));
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("role", "r", "/eng/")}}, "c"));
  auto page1 = ids.ListEntities("111122223333", "user", "/eng/", "", 3);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->size(), 3u);
  EXPECT_EQ((*page1)[0].name, "a");
  EXPECT_EQ((*page1)[1].name, "B");
  EXPECT_EQ((*page1)[2].name, "C");
  auto page2 = ids.ListEntities("111122223333", "user", "/eng/", "C", 3);
  ASSERT_EQ(page2->size(), 1u);
  EXPECT_EQ((*page2)[0].name, "d");
  EXPECT_EQ(ids.ListEntities("111122223333", "user", "/", "", 100)->size(), 5u);
}

// GetAccountSummary's counts come from the store: per kind asked (0 for a kind with none),
// only the account's, and the sum of its managed policies' attachment counts as their
// documents (identity_codec.cc) hold them; rows of other kinds (the AWS managed policy
// counts) are not counted.
TEST_P(StoreConformance, IamCountEntitiesCountsPerKindAndSumsPolicyAttachments) {
  auto& ids = stores_->identities();
  for (const char* n : {"a", "B", "c"}) {
    ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", n)}}, "CreateUser"));
  }
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("role", "r")}}, "CreateRole"));
  IamEntity other = Entity("user", "elsewhere");
  other.account = "999999999999";
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, other}}, "CreateUser"));
  for (auto [n, attachments] : {std::pair{"p1", 3}, std::pair{"p2", 0}, std::pair{"p3", 4}}) {
    domain::iam::ManagedPolicy p;
    p.account = "111122223333";
    p.name = n;
    p.id = std::string("ANPA") + n;
    p.path = "/";
    p.attachment_count = attachments;
    p.boundary_count = 7;  // not an attachment
    ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, ToEntity(p)}}, "CreatePolicy"));
  }
  AwsPolicyUses counted{"111122223333", kAwsPolicyUsesCounted, 0, 0, 5, 0};
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, ToEntity(counted)}}, "Count"));
  auto c = ids.CountEntities("111122223333", {"user", "group", "role", "policy"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->by_kind, (std::map<std::string, int64_t>{
                            {"user", 3}, {"group", 0}, {"role", 1}, {"policy", 3}}));
  EXPECT_EQ(c->policy_attachments, 7);
  // Without "policy" asked, nothing is summed; an account with nothing counts 0.
  auto users = ids.CountEntities("999999999999", {"user", "policy"});
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->by_kind, (std::map<std::string, int64_t>{{"user", 1}, {"policy", 0}}));
  EXPECT_EQ(users->policy_attachments, 0);
  auto none = ids.CountEntities("111122223333", {"user"});
  EXPECT_EQ(none->policy_attachments, 0);
  // A delete is counted at once.
  auto a = *ids.GetEntity("111122223333", "user", "a").value();
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kDelete, a}}, "DeleteUser"));
  EXPECT_EQ(ids.CountEntities("111122223333", {"user"})->by_kind["user"], 2);
}

// ListEntitiesForPolicy reads a policy's uses (storage/identity_codec.h): rows whose kind is
// kPolicyAttachedKind / kPolicyBoundsKind + the policy's ARN, named "group/NAME", "role/NAME",
// "user/NAME" with the identity's path. The store must list them by kind exactly (a policy
// whose ARN extends another's is another kind), in name_key order (groups, roles, users, each
// by name case-insensitively), by the identity's path, paged after a name; renaming is a delete
// and a create in one write; CountEntities does not count them.
TEST_P(StoreConformance, IamPolicyUseRowsListByPolicyInNameOrderByPathAndPage) {
  auto& ids = stores_->identities();
  const std::string arn = "arn:aws:iam::111122223333:policy/team/p";
  const std::string attached = std::string(kPolicyAttachedKind) + arn;
  const std::string longer = std::string(kPolicyAttachedKind) + arn + "2";
  auto use = [](const std::string& kind, const std::string& who, const std::string& path) {
    return IamEntity{"111122223333", kind, who, "ID" + who, path, "{}", 5, 0};
  };
  std::vector<EntityWrite> writes;
  for (auto [who, path] : {std::pair{"user/bob", "/eng/"}, std::pair{"role/Runner", "/"},
                           std::pair{"user/Alice", "/ops/"}, std::pair{"group/devs", "/eng/"},
                           std::pair{"group/Admins", "/"}}) {
    writes.push_back({EntityWrite::Op::kPut, use(attached, who, path)});
  }
  writes.push_back({EntityWrite::Op::kPut, use(longer, "user/carol", "/")});
  writes.push_back({EntityWrite::Op::kPut, use(std::string(kPolicyBoundsKind) + arn, "user/bob",
                                               "/eng/")});
  writes.push_back({EntityWrite::Op::kPut,
                    IamEntity{"111122223333", kPolicyUsesIndexedKind, kPolicyUsesIndexed, "", "/",
                              "{}", 5, 0}});
  ASSERT_OK(ids.WriteEntities(writes, "IndexPolicyUses"));
  auto names = [](const Result<std::vector<IamEntity>>& rows) {
    std::vector<std::string> out;
    for (const auto& e : *rows) out.push_back(e.name);
    return out;
  };
  auto all = ids.ListEntities("111122223333", attached, "/", "", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(names(all), (std::vector<std::string>{"group/Admins", "group/devs", "role/Runner",
                                                  "user/Alice", "user/bob"}));
  EXPECT_EQ((*all)[4].id, "IDuser/bob");
  EXPECT_EQ((*all)[4].path, "/eng/");
  EXPECT_EQ(names(ids.ListEntities("111122223333", attached, "/eng/", "", 100)),
            (std::vector<std::string>{"group/devs", "user/bob"}));
  // Paged after a name (its name_key: "GROUP/DEVS" is "group/devs"), at most `limit`.
  EXPECT_EQ(names(ids.ListEntities("111122223333", attached, "/", "GROUP/DEVS", 2)),
            (std::vector<std::string>{"role/Runner", "user/Alice"}));
  EXPECT_EQ(names(ids.ListEntities("111122223333", attached, "/", "user/", 100)),
            (std::vector<std::string>{"user/Alice", "user/bob"}));
  EXPECT_EQ(names(ids.ListEntities("111122223333", longer, "/", "", 100)),
            (std::vector<std::string>{"user/carol"}));
  // A rename: the old row deleted and the new created in one write (a taken name: neither).
  auto bob = *ids.GetEntity("111122223333", attached, "USER/BOB").value();
  IamEntity robert = use(attached, "user/robert", "/eng/");
  IamEntity taken = use(attached, "user/alice", "/eng/");
  EXPECT_CODE(ids.WriteEntities({{EntityWrite::Op::kDelete, bob}, {EntityWrite::Op::kPut, taken}},
                                "UpdateUser"),
              ErrorCode::kResourceExists);
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kDelete, bob}, {EntityWrite::Op::kPut, robert}},
                              "UpdateUser"));
  EXPECT_EQ(names(ids.ListEntities("111122223333", attached, "/eng/", "", 100)),
            (std::vector<std::string>{"group/devs", "user/robert"}));
  auto counts = ids.CountEntities("111122223333", {"user", "group", "role", "policy"});
  ASSERT_TRUE(counts.ok());
  for (const auto& [kind, n] : counts->by_kind) EXPECT_EQ(n, 0) << kind;
}

TEST_P(StoreConformance, IamUserKeysLimitStatusAndDeleteConflict) {
  auto& ids = stores_->identities();
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", "u")}}, "CreateUser"));
  UserAccessKey k{"AKIAONE", "111122223333", "u", AllBytes(), "Active", 9, 0};
  EXPECT_CODE(ids.PutUserAccessKey({"AKIAX", "111122223333", "nobody", "s", "Active", 1, 0}, 2),
              ErrorCode::kResourceNotFound);
  const int64_t head = Head();
  ASSERT_OK(ids.PutUserAccessKey(k, 2));
  k.access_key_id = "AKIATWO";
  ASSERT_OK(ids.PutUserAccessKey(k, 2));
  k.access_key_id = "AKIATHREE";
  EXPECT_CODE(ids.PutUserAccessKey(k, 2), ErrorCode::kLimitExceeded);
  auto got = ids.GetUserAccessKey("AKIAONE");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->sealed_secret, AllBytes());
  EXPECT_EQ((*got)->user_name, "u");
  ASSERT_OK(ids.SetUserAccessKeyStatus("111122223333", "U", "AKIAONE", "Inactive"));
  EXPECT_EQ(ids.GetUserAccessKey("AKIAONE").value()->status, "Inactive");
  EXPECT_CODE(ids.SetUserAccessKeyStatus("111122223333", "other", "AKIAONE", "Active"),
              ErrorCode::kResourceNotFound);
  EXPECT_EQ(ids.ListUserAccessKeys("111122223333", "u")->size(), 2u);
  auto user = *ids.GetEntity("111122223333", "user", "u").value();
  EXPECT_CODE(ids.WriteEntities({{EntityWrite::Op::kDelete, user}}, "DeleteUser"),
              ErrorCode::kConflict);
  ASSERT_OK(ids.DeleteUserAccessKey("111122223333", "u", "AKIAONE"));
  ASSERT_OK(ids.DeleteUserAccessKey("111122223333", "u", "AKIATWO"));
  EXPECT_CODE(ids.DeleteUserAccessKey("111122223333", "u", "AKIATWO"),
              ErrorCode::kResourceNotFound);
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kDelete, user}}, "DeleteUser"));
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 6u);  // 2 creates, 1 status, 2 deletes (arcana), 1 user delete (iam)
  EXPECT_EQ(cs[0].service, "arcana");
  EXPECT_EQ(cs[0].resource, "AKIAONE");
  EXPECT_EQ(cs[5].service, "iam");
}

TEST_P(StoreConformance, AccessKeyUsesKeepTheLatestAndAppendNoChanges) {
  auto& ids = stores_->identities();
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", "u")}}, "CreateUser"));
  ASSERT_OK(ids.PutUserAccessKey({"AKIAUSED", "111122223333", "u", "s", "Active", 9}, 2));
  auto fresh = ids.GetUserAccessKey("AKIAUSED").value();
  EXPECT_EQ(fresh->last_used_ms, 0);
  EXPECT_EQ(fresh->last_used_service, "");
  const int64_t head = Head();
  // Two nodes flush in either order: the later use stays, with its service and region; a
  // key that no longer exists is skipped, not an error.
  ASSERT_OK(ids.RecordAccessKeyUses({{"AKIAUSED", 2000, "kms", "eu-west-1"},
                                     {"AKIAGONE", 2000, "kms", "eu-west-1"}}));
  ASSERT_OK(ids.RecordAccessKeyUses({{"AKIAUSED", 1000, "iam", "us-east-1"}}));
  auto used = ids.GetUserAccessKey("AKIAUSED").value();
  EXPECT_EQ(used->last_used_ms, 2000);
  EXPECT_EQ(used->last_used_service, "kms");
  EXPECT_EQ(used->last_used_region, "eu-west-1");
  ASSERT_OK(ids.RecordAccessKeyUses({{"AKIAUSED", 3000, "secretsmanager", "us-east-1"}}));
  auto listed = ids.ListUserAccessKeys("111122223333", "u").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].last_used_ms, 3000);
  EXPECT_EQ(listed[0].last_used_service, "secretsmanager");
  EXPECT_EQ(listed[0].last_used_region, "us-east-1");
  ASSERT_OK(ids.RecordAccessKeyUses({}));
  EXPECT_TRUE(ChangesAfter(head).empty());  // cached credentials stay cached
}

TEST_P(StoreConformance, RenameUserMovesItsKeysAndRowsTogetherOrNotAtAll) {
  auto& ids = stores_->identities();
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", "old")}}, "CreateUser"));
  ASSERT_OK(ids.WriteEntities({{EntityWrite::Op::kPut, Entity("user", "taken")}}, "CreateUser"));
  ASSERT_OK(ids.PutUserAccessKey({"AKIAMOVE", "111122223333", "old", "sealed-old", "Active", 1}, 2));
  auto user = *ids.GetEntity("111122223333", "user", "old").value();
  auto renamed = [&](const std::string& to) {
    IamEntity e = user;
    e.name = to;
    e.revision = 0;
    return std::vector<EntityWrite>{{EntityWrite::Op::kDelete, user}, {EntityWrite::Op::kPut, e}};
  };
  UserAccessKey moved{"AKIAMOVE", "111122223333", "new", "sealed-new", "Active", 1};
  // The new name is taken: nothing moves.
  EXPECT_CODE(ids.RenameUser("111122223333", "old", {moved}, renamed("taken")),
              ErrorCode::kResourceExists);
  EXPECT_EQ(ids.GetUserAccessKey("AKIAMOVE").value()->user_name, "old");
  // A key the rename did not re-seal (created meanwhile) would be left behind: a conflict.
  EXPECT_CODE(ids.RenameUser("111122223333", "old", {}, renamed("new")),
              ErrorCode::kWriteConflict);
  ASSERT_TRUE(ids.GetEntity("111122223333", "user", "old").value().has_value());
  const int64_t head = Head();
  ASSERT_OK(ids.RenameUser("111122223333", "old", {moved}, renamed("new")));
  EXPECT_FALSE(ids.GetEntity("111122223333", "user", "old").value().has_value());
  EXPECT_EQ(ids.GetEntity("111122223333", "user", "NEW").value()->id, user.id);
  auto key = *ids.GetUserAccessKey("AKIAMOVE").value();
  EXPECT_EQ(key.user_name, "new");
  EXPECT_EQ(key.sealed_secret, "sealed-new");
  EXPECT_EQ(ids.ListUserAccessKeys("111122223333", "new")->size(), 1u);
  EXPECT_TRUE(ids.ListUserAccessKeys("111122223333", "old")->empty());
  auto cs = ChangesAfter(head);  // the key (credential caches) and both user rows
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].service, "arcana");
  EXPECT_EQ(cs[0].resource, "AKIAMOVE");
  EXPECT_EQ(cs[1].service, "iam");
}

TEST_P(StoreConformance, StsSessionsPutGetAndExpire) {
  auto& ids = stores_->identities();
  ASSERT_OK(ids.PutSession({"ASIAONE", "111122223333", AllBytes(), 1000, 1, R"({"kind":"role"})"}));
  ASSERT_OK(ids.PutSession({"ASIATWO", "111122223333", "s", 5000, 1, "{}"}));
  EXPECT_CODE(ids.PutSession({"ASIAONE", "111122223333", "s", 1, 1, "{}"}),
              ErrorCode::kResourceExists);
  auto got = ids.GetSession("ASIAONE");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->sealed, AllBytes());
  EXPECT_EQ((*got)->expires_ms, 1000);
  EXPECT_EQ((*got)->doc, R"({"kind":"role"})");
  EXPECT_EQ(ids.DeleteExpiredSessions(2000, 10).value(), 1u);
  EXPECT_FALSE(ids.GetSession("ASIAONE")->has_value());
  EXPECT_TRUE(ids.GetSession("ASIATWO")->has_value());
}

TEST_P(StoreConformance, FunctionPolicyIsComparedAndSetAndGoesWithTheFunction) {
  auto& fns = stores_->functions();
  const Scope a{"111122223333", "us-east-1"};
  RotationFunction f{a.account, a.region, "fn", "url", "http://127.0.0.1:9/x", "", "{}", 3, 5};
  ASSERT_OK(fns.CreateFunction(f));
  EXPECT_EQ(fns.GetFunction(a, "fn").value()->policy, "");
  ASSERT_OK(fns.SetFunctionPolicy(a, "fn", "", R"({"Statement":[1]})"));
  EXPECT_EQ(fns.GetFunction(a, "fn").value()->policy, R"({"Statement":[1]})");
  // A writer that read the policy before that write loses: nothing changes.
  EXPECT_CODE(fns.SetFunctionPolicy(a, "fn", "", R"({"Statement":[2]})"),
              ErrorCode::kWriteConflict);
  EXPECT_EQ(fns.GetFunction(a, "fn").value()->policy, R"({"Statement":[1]})");
  ASSERT_OK(fns.SetFunctionPolicy(a, "fn", R"({"Statement":[1]})", ""));
  EXPECT_EQ(fns.GetFunction(a, "fn").value()->policy, "");
  EXPECT_CODE(fns.SetFunctionPolicy(a, "missing", "", "{}"), ErrorCode::kResourceNotFound);
  ASSERT_OK(fns.SetFunctionPolicy(a, "fn", "", "{}"));
  ASSERT_OK(fns.DeleteFunction(a, "fn"));
  ASSERT_OK(fns.CreateFunction(f));  // a new function of the same name starts without one
  EXPECT_EQ(fns.GetFunction(a, "fn").value()->policy, "");
}

// Lambda's UpdateFunctionConfiguration / UpdateFunctionCode: a compare-and-set of the
// function's row at what the writer read (its settings, creation and policy).
TEST_P(StoreConformance, FunctionUpdateIsComparedAndSet) {
  auto& fns = stores_->functions();
  const Scope a{"111122223333", "us-east-1"};
  RotationFunction f{a.account, a.region, "up", "zip", "ab12", "m.h", R"({"K":"V"})", 3, 5,
                     R"({"Runtime":"python3.11"})", "zip-1"};
  ASSERT_OK(fns.CreateFunction(f));
  RotationFunction u = f;
  u.target = "cd34";
  u.handler = "n.h";
  u.env_json = "{}";
  u.timeout_s = 9;
  u.lambda_json = R"({"Runtime":"python3.12"})";
  u.code = AllBytes();
  ASSERT_OK(fns.UpdateFunction(f, u));
  auto got = fns.GetFunction(a, "up");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->handler, "n.h");
  EXPECT_EQ((*got)->target, "cd34");
  EXPECT_EQ((*got)->env_json, "{}");
  EXPECT_EQ((*got)->timeout_s, 9);
  EXPECT_EQ((*got)->lambda_json, u.lambda_json);
  EXPECT_EQ((*got)->code, AllBytes());
  EXPECT_EQ((*got)->created_ms, 5);
  // A writer that read the row before that update loses: nothing changes.
  RotationFunction late = f;
  late.timeout_s = 20;
  EXPECT_CODE(fns.UpdateFunction(f, late), ErrorCode::kWriteConflict);
  EXPECT_EQ(fns.GetFunction(a, "up").value()->timeout_s, 9);
  // So does one that read it before a policy change.
  ASSERT_OK(fns.SetFunctionPolicy(a, "up", "", "{}"));
  EXPECT_CODE(fns.UpdateFunction(u, late), ErrorCode::kWriteConflict);
  u.policy = "{}";
  ASSERT_OK(fns.UpdateFunction(u, late));
  EXPECT_EQ(fns.GetFunction(a, "up").value()->timeout_s, 20);
  EXPECT_EQ(fns.GetFunction(a, "up").value()->policy, "{}");  // not the update's to change
  ASSERT_OK(fns.DeleteFunction(a, "up"));
  EXPECT_CODE(fns.UpdateFunction(late, u), ErrorCode::kResourceNotFound);
}

// Each node's cache of unpacked packages keeps what PackagesInUse answers: the digests that a
// zip function of any account and region has, whatever its other kinds' targets are.
TEST_P(StoreConformance, FunctionPackagesInUseSpanScopesAndOnlyZipFunctions) {
  auto& fns = stores_->functions();
  const Scope a{"111122223333", "us-east-1"}, b{"444455556666", "eu-west-1"};
  RotationFunction z1{a.account, a.region, "z1", "zip", "aa", "m.h", "{}", 3, 1, "{}", "zip"};
  RotationFunction z2{b.account, b.region, "z2", "zip", "bb", "m.h", "{}", 3, 1, "{}", "zip"};
  RotationFunction z3 = z2;
  z3.name = "z3";  // the same package as z2's
  RotationFunction other{a.account, a.region, "ex", "exec", "cc", "", "{}", 3, 1};
  for (const auto& f : {z1, z2, z3, other}) ASSERT_OK(fns.CreateFunction(f));
  auto sorted = [](Result<std::vector<std::string>> r) {
    EXPECT_TRUE(r.ok());
    std::vector<std::string> v = r.ok() ? *r : std::vector<std::string>{};
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(fns.PackagesInUse({"aa", "bb", "cc", "dd"})),
            (std::vector<std::string>{"aa", "bb"}));
  EXPECT_TRUE(sorted(fns.PackagesInUse({})).empty());
  ASSERT_OK(fns.DeleteFunction(b, "z2"));
  EXPECT_EQ(sorted(fns.PackagesInUse({"bb"})), (std::vector<std::string>{"bb"}));  // z3's
  RotationFunction z3b = z3;
  z3b.target = "ee";
  ASSERT_OK(fns.UpdateFunction(z3, z3b));
  EXPECT_EQ(sorted(fns.PackagesInUse({"aa", "bb", "ee"})),
            (std::vector<std::string>{"aa", "ee"}));
}

TEST_P(StoreConformance, RotationFunctionsCreateGetListDeletePerScope) {
  auto& fns = stores_->functions();
  const Scope a{"111122223333", "us-east-1"}, b{"111122223333", "eu-west-1"};
  RotationFunction f{a.account, a.region, "rot-b", "url", "http://127.0.0.1:9/x", "",
                     R"({"K":"V"})", 30, 5};
  ASSERT_OK(fns.CreateFunction(f));
  EXPECT_CODE(fns.CreateFunction(f), ErrorCode::kResourceExists);
  f.name = "rot-a";
  f.kind = "exec";
  f.target = "/bin/true";
  ASSERT_OK(fns.CreateFunction(f));
  f.region = b.region;  // the same name in another region is another function
  ASSERT_OK(fns.CreateFunction(f));
  auto got = fns.GetFunction(a, "rot-b");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->kind, "url");
  EXPECT_EQ((*got)->target, "http://127.0.0.1:9/x");
  EXPECT_EQ((*got)->env_json, R"({"K":"V"})");
  EXPECT_EQ((*got)->timeout_s, 30);
  EXPECT_EQ((*got)->created_ms, 5);
  EXPECT_EQ((*got)->lambda_json, "");
  EXPECT_EQ((*got)->code, "");
  EXPECT_FALSE(fns.GetFunction(a, "missing")->has_value());
  // A Lambda-API function: its attributes and its package (any bytes) round-trip; a list
  // leaves the package out.
  RotationFunction z{a.account, a.region, "rot-zip", "zip", "ab12", "m.h", "{}", 3, 6,
                     R"({"Runtime":"python3.11"})", AllBytes()};
  ASSERT_OK(fns.CreateFunction(z));
  got = fns.GetFunction(a, "rot-zip");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->lambda_json, z.lambda_json);
  EXPECT_EQ((*got)->code, AllBytes());
  auto listed = fns.ListFunctions(a, "rot-y", 10);
  ASSERT_TRUE(listed.ok() && listed->size() == 1u);
  EXPECT_EQ((*listed)[0].lambda_json, z.lambda_json);
  EXPECT_EQ((*listed)[0].code, "");
  ASSERT_OK(fns.DeleteFunction(a, "rot-zip"));
  auto page = fns.ListFunctions(a, "", 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].name, "rot-a");
  page = fns.ListFunctions(a, "rot-a", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].name, "rot-b");
  ASSERT_OK(fns.DeleteFunction(a, "rot-a"));
  EXPECT_CODE(fns.DeleteFunction(a, "rot-a"), ErrorCode::kResourceNotFound);
  EXPECT_TRUE(fns.GetFunction(b, "rot-a")->has_value());
  EXPECT_EQ(fns.ListFunctions(a, "", 10)->size(), 1u);
}

TEST_P(StoreConformance, MetaPutGetAndPutIfAbsentRace) {
  auto& meta = stores_->meta();
  EXPECT_FALSE(meta.GetMeta("k")->has_value());
  ASSERT_OK(meta.PutMeta("k", AllBytes()));
  EXPECT_EQ(*meta.GetMeta("k").value(), AllBytes());
  ASSERT_OK(meta.PutMeta("k", "v2"));
  EXPECT_EQ(*meta.GetMeta("k").value(), "v2");
  EXPECT_EQ(meta.PutMetaIfAbsent("k", "v3").value(), "v2");

  // Racers (threads, and on PostgreSQL a second node too) all see one winner's value.
  auto node2 = IsSqlite() ? nullptr : SecondNode();
  constexpr int kRacers = 8;
  std::vector<std::string> seen(kRacers);
  std::vector<std::thread> ts;
  for (int i = 0; i < kRacers; ++i) {
    ts.emplace_back([&, i] {
      MetaStore& m = (node2 && i % 2) ? node2->meta() : meta;
      auto r = m.PutMetaIfAbsent("init", "racer-" + std::to_string(i));
      seen[i] = r.ok() ? *r : "error: " + r.status().message();
    });
  }
  for (auto& t : ts) t.join();
  for (const auto& s : seen) EXPECT_EQ(s, seen[0]);
  EXPECT_EQ(seen[0].rfind("racer-", 0), 0u);
  EXPECT_EQ(*meta.GetMeta("init").value(), seen[0]);
}

TEST_P(StoreConformance, ListMetaAnswersTheKeysOfAPrefixInByteOrder) {
  auto& meta = stores_->meta();
  for (const char* k : {"audit.node.b", "audit.node.a_1", "audit.nodeX", "audit.node",
                        "audit.node.\x7f", "audit.o", "audit.node.A"}) {
    ASSERT_OK(meta.PutMeta(k, std::string("v-") + k));
  }
  ASSERT_OK(meta.PutMeta("audit.node.bin", AllBytes()));
  auto got = meta.ListMeta("audit.node.");
  ASSERT_OK(got.status());
  std::vector<std::string> keys;
  for (const auto& [k, v] : *got) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"audit.node.A", "audit.node.a_1", "audit.node.b",
                                            "audit.node.bin", "audit.node.\x7f"}));
  EXPECT_EQ((*got)[0].second, "v-audit.node.A");
  EXPECT_EQ((*got)[3].second, AllBytes());
  EXPECT_TRUE(meta.ListMeta("nothing.").value().empty());
}

TEST_P(StoreConformance, RewrapRootBlobsCoversEveryBlobInOneTransaction) {
  ASSERT_OK(stores_->access_keys().PutAccessKey({"AKID1", "ak-old", kScope.account, "p", 1}));
  ASSERT_OK(CreateSecret(secrets(), MakeSecret("s", 1), "sv-old"));
  ASSERT_OK(kmss().PutKmsKey(MakeKey("rk"), {Material("rk", "m", "km-old")}, "CreateKey"));
  ASSERT_OK(stores_->meta().PutMeta("root.check", "meta-old"));
  ASSERT_OK(stores_->meta().PutMeta("root.doomed", "x"));
  auto& root = stores_->root();

  // An error part-way: nothing changes, no change row.
  const int64_t head = Head();
  int calls = 0;
  auto failing = root.RewrapRootBlobs(
      {"root.check"},
      [&](const RootWrappedBlob& b) -> Result<std::optional<std::string>> {
        if (++calls == 3) return Status(ErrorCode::kInternalFailure, "boom");
        return std::optional<std::string>("new:" + b.blob);
      },
      {{"root.pending", "p"}}, {"root.doomed"});
  EXPECT_FALSE(failing.ok());
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(stores_->access_keys().GetAccessKey("AKID1").value()->sealed_secret, "ak-old");
  EXPECT_EQ(*secrets().GetSealedValue(MakeSecret("s", 1).arn, "v1-s").value(), "sv-old");
  EXPECT_EQ(kmss().GetKeyMaterial("rk", "m").value()->wrapped, "km-old");
  EXPECT_EQ(*stores_->meta().GetMeta("root.check").value(), "meta-old");
  EXPECT_FALSE(stores_->meta().GetMeta("root.pending")->has_value());
  EXPECT_TRUE(stores_->meta().GetMeta("root.doomed")->has_value());

  std::map<RootWrappedBlob::Kind, int> kinds;
  auto n = root.RewrapRootBlobs(
      {"root.check", "root.absent"},
      [&](const RootWrappedBlob& b) -> Result<std::optional<std::string>> {
        ++kinds[b.kind];
        if (b.kind == RootWrappedBlob::Kind::kKmsKeyMaterial) {
          EXPECT_EQ(b.aad, KeyMaterialAad("arn:rk", "m"));
        }
        if (b.kind == RootWrappedBlob::Kind::kAccessKeySecret) {
          EXPECT_EQ(b.account, kScope.account);
        }
        return std::optional<std::string>("new:" + b.blob);
      },
      {{"root.pending", "p"}}, {"root.doomed"});
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(kinds.size(), 4u);
  EXPECT_EQ(stores_->access_keys().GetAccessKey("AKID1").value()->sealed_secret, "new:ak-old");
  EXPECT_EQ(*secrets().GetSealedValue(MakeSecret("s", 1).arn, "v1-s").value(), "new:sv-old");
  EXPECT_EQ(kmss().GetKeyMaterial("rk", "m").value()->wrapped, "new:km-old");
  EXPECT_EQ(*stores_->meta().GetMeta("root.check").value(), "new:meta-old");
  EXPECT_EQ(*stores_->meta().GetMeta("root.pending").value(), "p");
  EXPECT_FALSE(stores_->meta().GetMeta("root.doomed")->has_value());
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_TRUE(cs[0].IsRootRewrap());
  EXPECT_EQ(cs[0].kind, "RewrapRootBlobs");

  // nullopt leaves a blob as it is.
  auto none = root.RewrapRootBlobs(
      {}, [](const RootWrappedBlob&) -> Result<std::optional<std::string>> {
        return std::optional<std::string>();
      },
      {}, {});
  EXPECT_EQ(none.value(), 0u);
  EXPECT_EQ(kmss().GetKeyMaterial("rk", "m").value()->wrapped, "new:km-old");

  ASSERT_OK(root.UpdateMeta({{"a", "1"}, {"b", "2"}}, {"root.pending"}));
  EXPECT_EQ(*stores_->meta().GetMeta("b").value(), "2");
  EXPECT_FALSE(stores_->meta().GetMeta("root.pending")->has_value());
}

// ---------- the change sequence ----------

TEST_P(StoreConformance, OneChangePerResourceInOneCommitAndNoValues) {
  const int64_t head = Head();
  const std::string secret_value = "TOP-SECRET-VALUE-1234";
  ASSERT_OK(secrets().Commit({Write(MakeSecret("x1", 1), secret_value, "CreateSecret"),
                              Write(MakeSecret("x2", 1), secret_value, "CreateSecret"),
                              Write(MakeSecret("x3", 1), secret_value, "CreateSecret")},
                             {}));
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 3u);
  std::set<std::string> resources;
  for (size_t i = 0; i < cs.size(); ++i) {
    EXPECT_EQ(cs[i].seq, head + 1 + static_cast<int64_t>(i));
    resources.insert(cs[i].resource);
    for (const auto* f : {&cs[i].account, &cs[i].region, &cs[i].service, &cs[i].resource,
                          &cs[i].kind}) {
      EXPECT_EQ(f->find(secret_value), std::string::npos);
    }
  }
  EXPECT_EQ(resources.size(), 3u);
  EXPECT_EQ(Head(), head + 3);
  // ReadChanges pages by seq and honours its limit.
  auto first = changes().ReadChanges(head, 2);
  ASSERT_EQ(first->size(), 2u);
  auto rest = changes().ReadChanges(first->back().seq, 2);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().seq, head + 3);
  EXPECT_TRUE(changes().ReadChanges(head + 3, 10)->empty());
}

// Concurrent writers while a reader checks the sequence's promise: whenever it reads Head(),
// every change up to that head is already readable and never fills in later.
TEST_P(StoreConformance, SequenceIsGaplessInCommitOrderUnderConcurrentWriters) {
  const int64_t start = Head();
  constexpr int kWriters = 4, kEach = 25;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread reader([&] {
    int64_t seen = start;
    while (!done.load()) {
      auto h = changes().Head();
      if (!h.ok()) {
        ++failures;
        continue;
      }
      auto cs = changes().ReadChanges(seen, 1000);
      if (!cs.ok()) {
        ++failures;
        continue;
      }
      int64_t expect = seen + 1;
      for (const auto& c : *cs) {
        if (c.seq != expect) ++failures;  // a gap: a later commit got a lower number
        expect = c.seq + 1;
      }
      // Everything up to the head read before ReadChanges is there.
      if (expect - 1 < *h) ++failures;
      seen = expect - 1;
    }
  });
  std::vector<std::thread> ws;
  for (int w = 0; w < kWriters; ++w) {
    ws.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        auto p = MakeParam("/w" + std::to_string(w) + "/" + std::to_string(i));
        if (!params().CommitParameter(PWrite(p, "v")).ok()) ++failures;
      }
    });
  }
  for (auto& t : ws) t.join();
  done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  auto cs = ChangesAfter(start);
  ASSERT_EQ(cs.size(), static_cast<size_t>(kWriters * kEach));
  for (size_t i = 0; i < cs.size(); ++i) EXPECT_EQ(cs[i].seq, start + 1 + static_cast<int64_t>(i));
  EXPECT_EQ(Head(), start + kWriters * kEach);
}

TEST_P(StoreConformance, TrimChangesKeepsTheNewestAndTheHead) {
  for (int i = 0; i < 5; ++i) ASSERT_OK(CreateSecret(secrets(), MakeSecret("t" + std::to_string(i), 1)));
  const int64_t head = Head();
  EXPECT_EQ(changes().TrimChanges(0).value(), 0u);  // nothing committed before 1970
  auto n = changes().TrimChanges(std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(Head(), head);
  auto left = changes().ReadChanges(0, 100);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().seq, head);
  ASSERT_OK(CreateSecret(secrets(), MakeSecret("after-trim", 1)));
  EXPECT_EQ(Head(), head + 1);
}

// at_ms is the committing node's clock (each node its own, or one stepped back), so it is not
// monotonic in seq: trimming must delete a prefix of the sequence, never a change between two
// it keeps (a follower behind it would skip that change unnoticed).
TEST_P(StoreConformance, TrimChangesDeletesAPrefixWhateverTheCommitClocks) {
  const int64_t start = Head();
  for (int i = 0; i < 4; ++i) ASSERT_OK(CreateSecret(secrets(), MakeSecret("c" + std::to_string(i), 1)));
  ASSERT_EQ(Head(), start + 4);
  // start+2 was committed by a node whose clock is behind the one that committed start+1.
  const std::pair<int64_t, int64_t> at_ms[] = {{start + 1, 3000}, {start + 2, 1000}, {start + 3, 5000}};
  if (IsSqlite()) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((where_ + "/arcana.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr),
              SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    for (const auto& [seq, at] : at_ms) {
      const std::string sql = "UPDATE changes SET at_ms = " + std::to_string(at) +
                              " WHERE seq = " + std::to_string(seq);
      EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    }
    sqlite3_close(db);
  } else {
    pqxx::connection c(where_);
    pqxx::work t(c);
    for (const auto& [seq, at] : at_ms) {
      t.exec_params("UPDATE changes SET at_ms = $1 WHERE seq = $2", at, seq);
    }
    t.commit();
  }
  ASSERT_TRUE(changes().TrimChanges(2000).ok());
  std::vector<int64_t> left;
  for (const auto& c : ChangesAfter(0)) left.push_back(c.seq);
  EXPECT_EQ(left, (std::vector<int64_t>{start + 3, start + 4}));  // not start+1, start+3, ...
  EXPECT_EQ(Head(), start + 4);
}

TEST_P(StoreConformance, WaitForChangeTimesOutAndWakesOnACommitElsewhere) {
  const int64_t head = Head();
  auto t0 = std::chrono::steady_clock::now();
  changes().WaitForChange(head, std::chrono::milliseconds(200));
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(waited, std::chrono::seconds(3));

  // The commit comes from another node on PostgreSQL (another connection, another Stores),
  // from another thread of this one on SQLite.
  std::unique_ptr<Stores> node2 = IsSqlite() ? nullptr : SecondNode();
  Stores& writer = node2 ? *node2 : *stores_;
  std::thread w([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(CreateSecret(writer.secrets(), MakeSecret("wake", 1)).ok());
  });
  t0 = std::chrono::steady_clock::now();
  int64_t now = head;
  while (now <= head && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20)) {
    changes().WaitForChange(head, std::chrono::seconds(20));
    now = Head();
  }
  waited = std::chrono::steady_clock::now() - t0;
  w.join();
  EXPECT_EQ(now, head + 1);
  EXPECT_LT(waited, std::chrono::seconds(5)) << "woke by the timeout, not by the commit";
  // Already past: returns at once.
  t0 = std::chrono::steady_clock::now();
  changes().WaitForChange(head, std::chrono::seconds(20));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

// On SQLite the second opening is what the arcana CLI beside a running arcanad is: another
// process's Database on the same file (sqlite/database.h, Other processes).
TEST_P(StoreConformance, ASecondNodesCommitsAreVisibleAndAdvanceTheHead) {
  auto node2 = SecondNode();
  ASSERT_NE(node2, nullptr);
  const int64_t head = Head();
  auto s = MakeSecret("from-node-2", 1);
  ASSERT_OK(CreateSecret(node2->secrets(), s, "v"));
  EXPECT_EQ(Head(), head + 1);
  EXPECT_TRUE(secrets().GetSecretByArn(s.arn)->has_value());
  auto synced = stores_->follower().Sync();
  ASSERT_TRUE(synced.ok()) << synced.status().message();
  EXPECT_EQ(*synced, head + 1);
  // And a write on node 1 at the revision node 2 created conflicts with node 2's update.
  auto on1 = *secrets().GetSecretByArn(s.arn).value();
  auto on2 = *node2->secrets().GetSecretByArn(s.arn).value();
  on2.description = "node 2";
  ASSERT_OK(node2->secrets().Commit({Write(on2, "v2", "UpdateSecret")}, {}));
  on1.description = "node 1";
  EXPECT_CODE(secrets().Commit({Write(on1, "v1", "UpdateSecret")}, {}), ErrorCode::kWriteConflict);
  EXPECT_EQ(secrets().GetSecretByArn(s.arn).value()->description, "node 2");
}

// A cached read in a request that began after another opening's commit (another node; on
// SQLite the arcana CLI beside arcanad: `access-key delete` must take effect at once) reads
// that commit, and an I/O thread's attempt (NoWaitScope) is refused rather than served stale.
TEST_P(StoreConformance, ASecondOpeningsCommitReachesTheCachesOfTheNextRequest) {
  auto node2 = SecondNode();
  ASSERT_NE(node2, nullptr);
  auto s = MakeSecret("beside", 1);
  ASSERT_OK(CreateSecret(secrets(), s, "v"));
  ASSERT_EQ(secrets().GetSecretByArn(s.arn).value()->description, "about beside");  // cached
  if (IsSqlite()) {
    NoWaitScope scope;  // a warm cache answers on an I/O thread
    ASSERT_TRUE(secrets().GetSecretByArn(s.arn).ok());
    EXPECT_FALSE(scope.refused());
  }
  auto on2 = *node2->secrets().GetSecretByArn(s.arn).value();
  on2.description = "from the second opening";
  ASSERT_OK(node2->secrets().Commit({SecretWrite{on2, {}, {}, "UpdateSecret"}}, {}));
  // On SQLite a look for another process's commits serves requests for 1 ms after it began
  // (change_follower.cc): the look made above may not see this commit, a request 2 ms on does.
  if (IsSqlite()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (IsSqlite()) {
    NoWaitScope scope;  // noticed there too: catching up reads the database, so refused
    EXPECT_CODE(secrets().GetSecretByArn(s.arn).status(), ErrorCode::kWouldBlock);
    EXPECT_TRUE(scope.refused());
  }
  {
    ChangeFollower::FreshnessScope request;
    auto got = secrets().GetSecretByArn(s.arn);
    ASSERT_TRUE(got.ok() && got->has_value()) << got.status().message();
    EXPECT_EQ((*got)->description, "from the second opening");
  }
  auto deleted = *node2->secrets().GetSecretByArn(s.arn).value();
  ASSERT_OK(node2->secrets().Commit({}, {{deleted.arn, deleted.revision, "PurgeSecret"}}));
  if (IsSqlite()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  {
    ChangeFollower::FreshnessScope request;
    auto got = secrets().GetSecretByArn(s.arn);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_FALSE(got->has_value()) << "a secret deleted by the second opening is still served";
  }
}

// Each write reports (and an audit record claims) only the rows its own transaction appended,
// also when another opening committed since this one last did: neither the other opening's
// rows nor a row claimed twice, whichever opening writes, concurrently or in turn.
TEST_P(StoreConformance, AWriteClaimsOnlyItsOwnChangesBesideASecondOpening) {
  auto node2 = SecondNode();
  ASSERT_NE(node2, nullptr);
  const int64_t start = Head();
  // In turn: each opening writes right after the other, its own head a commit behind.
  for (int i = 0; i < 3; ++i) {
    for (Stores* node : {stores_.get(), node2.get()}) {
      CommittedChanges mine;
      CommittedChanges::Scope collect(&mine);
      auto s = MakeSecret("turn" + std::to_string(i) + (node == node2.get() ? "b" : "a"), 1);
      ASSERT_OK(CreateSecret(node->secrets(), s));
      ASSERT_EQ(mine.items().size(), 1u) << "write " << s.name << " claims another's change";
      EXPECT_EQ(mine.items()[0].resource, s.arn);
    }
  }
  // Concurrently, from both openings.
  constexpr int kWriters = 3, kEach = 6;
  std::vector<CommittedChanges> got(2 * kWriters);
  std::vector<std::thread> ts;
  for (int w = 0; w < 2 * kWriters; ++w) {
    ts.emplace_back([&, w] {
      Stores& node = w % 2 == 0 ? *stores_ : *node2;
      CommittedChanges::Scope collect(&got[w]);
      for (int i = 0; i < kEach; ++i) {
        auto s = MakeSecret("c" + std::to_string(w) + "/" + std::to_string(i), 1);
        EXPECT_TRUE(CreateSecret(node.secrets(), s).ok());
      }
    });
  }
  for (auto& t : ts) t.join();
  std::map<int64_t, std::string> claimed;
  for (int w = 0; w < 2 * kWriters; ++w) {
    ASSERT_EQ(got[w].items().size(), static_cast<size_t>(kEach)) << "writer " << w;
    for (const auto& c : got[w].items()) {
      EXPECT_EQ(c.resource.find(":secret:c" + std::to_string(w) + "/"), c.resource.find(":secret:"))
          << "writer " << w << " claims " << c.resource;
      EXPECT_TRUE(claimed.emplace(c.seq, c.resource).second) << "seq " << c.seq << " claimed twice";
    }
  }
  auto log = ChangesAfter(start + 6);
  ASSERT_EQ(log.size(), claimed.size());
  for (const auto& c : log) EXPECT_EQ(claimed[c.seq], c.resource) << "seq " << c.seq;
  EXPECT_EQ(Head(), start + 6 + 2 * kWriters * kEach);
}

TEST_P(StoreConformance, WaitForChangeWakesOnASecondOpeningsCommit) {
  auto node2 = SecondNode();
  ASSERT_NE(node2, nullptr);
  const int64_t head = Head();
  std::thread w([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(CreateSecret(node2->secrets(), MakeSecret("wake-beside", 1)).ok());
  });
  const auto t0 = std::chrono::steady_clock::now();
  changes().WaitForChange(head, std::chrono::seconds(20));
  const auto waited = std::chrono::steady_clock::now() - t0;
  w.join();
  EXPECT_EQ(Head(), head + 1);
  EXPECT_LT(waited, std::chrono::seconds(5)) << "woke by the timeout, not by the commit";
}

// ---------- jobs ----------

// ---------- event rules ----------

EventRuleRecord MakeRule(const std::string& name, const Scope& scope = kScope) {
  return {name, "arn:aws:events:" + scope.region + ":" + scope.account + ":rule/" + name,
          R"({"source":["aws.kms"]})", "ENABLED", "d", 7};
}

TEST_P(StoreConformance, EventRulesPutGetListAndReplaceKeepingCreation) {
  EventRuleStore& rules = stores_->event_rules();
  const int64_t head = Head();
  ASSERT_OK(rules.PutRule(kScope, MakeRule("b-rule"), 10, {}));
  ASSERT_OK(rules.PutRule(kScope, MakeRule("a-rule"), 10, {}));
  ASSERT_OK(rules.PutRule(kOther, MakeRule("a-rule", kOther), 10, {}));
  EventRuleRecord changed = MakeRule("a-rule");
  changed.event_pattern = R"({"source":["aws.ssm"]})";
  changed.created_ms = 99;
  changed.state = "DISABLED";
  ASSERT_OK(rules.PutRule(kScope, changed, 10, {}));
  auto got = rules.GetRule(kScope, "a-rule");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->event_pattern, changed.event_pattern);
  EXPECT_EQ((*got)->state, "DISABLED");
  EXPECT_EQ((*got)->created_ms, 7);  // kept from the creation
  EXPECT_FALSE(rules.GetRule(kScope, "missing")->has_value());

  auto all = rules.ListRules(kScope, "", "", 100, false);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "a-rule");
  EXPECT_EQ(rules.ListRules(kScope, "b-", "", 100, false)->size(), 1u);
  EXPECT_EQ(rules.ListRules(kScope, "", "a-rule", 100, false)->front().name, "b-rule");
  EXPECT_EQ(rules.ListRules(kScope, "", "", 1, false)->size(), 1u);

  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 4u);
  EXPECT_EQ(cs[0].service, "events");
  EXPECT_EQ(cs[0].resource, MakeRule("b-rule").arn);
  EXPECT_EQ(cs[0].kind, "PutRule");
  EXPECT_EQ(cs[2].account, kOther.account);

  EXPECT_CODE(rules.PutRule(kScope, MakeRule("c-rule"), 2, {}), ErrorCode::kLimitExceeded);
  ASSERT_OK(rules.PutRule(kScope, MakeRule("b-rule"), 2, {}));  // a replacement is not a new rule
  ASSERT_OK(rules.SetRuleState(kScope, "b-rule", "DISABLED"));
  EXPECT_EQ(rules.GetRule(kScope, "b-rule")->value().state, "DISABLED");
  EXPECT_CODE(rules.SetRuleState(kScope, "nope", "ENABLED"), ErrorCode::kResourceNotFound);
  EXPECT_EQ(ChangesAfter(head).back().kind, "DisableRule");
}

// A rule's ScheduleExpression round-trips, and an update replaces it.
TEST_P(StoreConformance, EventRulesKeepTheirSchedule) {
  EventRuleStore& rules = stores_->event_rules();
  EventRuleRecord r = MakeRule("tick");
  r.event_pattern = "";
  r.schedule_expression = "rate(5 minutes)";
  ASSERT_OK(rules.PutRule(kScope, r, 10, {}));
  EXPECT_EQ(rules.GetRule(kScope, "tick")->value().schedule_expression, "rate(5 minutes)");
  EXPECT_EQ(rules.ListRules(kScope, "", "", 10, false)->front().schedule_expression,
            "rate(5 minutes)");
  r.schedule_expression = "";
  r.event_pattern = R"({"source":["a"]})";
  ASSERT_OK(rules.PutRule(kScope, r, 10, {}));
  EXPECT_EQ(rules.GetRule(kScope, "tick")->value().schedule_expression, "");
}

// A connection's row changes only from the row its writer read: its modification and its
// authorization times both (a credentials-only update moves the second alone); a
// destination needs its connection, which cannot go while a destination names it.
TEST_P(StoreConformance, EventConnectionsUpdateOnlyFromTheRowRead) {
  EventConnectionStore& store = stores_->event_connections();
  EventConnectionRecord c = testing::EventConnectionRow(kEventConnectionKind, "conn", "1234");
  c.authorized_ms = 1;
  ASSERT_OK(store.CreateEventConnection(kScope, c));
  EXPECT_EQ(store.CreateEventConnection(kScope, c).code(), ErrorCode::kResourceExists);
  EventConnectionRecord reauthorized = c;
  reauthorized.authorized_ms = 2;  // LastModifiedTime unchanged
  ASSERT_OK(store.UpdateEventConnection(kScope, reauthorized, c, "UpdateConnection"));
  EventConnectionRecord stale = c;
  stale.document = R"({"Description":"lost"})";
  EXPECT_EQ(store.UpdateEventConnection(kScope, stale, c, "UpdateConnection").code(),
            ErrorCode::kWriteConflict);
  auto got = store.GetEventConnection(kScope, c.kind, c.name);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->authorized_ms, 2);
  EXPECT_EQ((*got)->document, "{}");

  EventConnectionRecord d = testing::EventConnectionRow(kEventApiDestinationKind, "dest", "5678");
  d.connection = "missing";
  EXPECT_EQ(store.CreateEventConnection(kScope, d).code(), ErrorCode::kResourceNotFound);
  d.connection = "conn";
  ASSERT_OK(store.CreateEventConnection(kScope, d));
  EXPECT_EQ(store.DeleteEventConnection(kScope, kEventConnectionKind, "conn").code(),
            ErrorCode::kPreconditionNotMet);
  ASSERT_OK(store.DeleteEventConnection(kScope, kEventApiDestinationKind, "dest"));
  ASSERT_OK(store.DeleteEventConnection(kScope, kEventConnectionKind, "conn"));
}

// Archives and replays as documents; archived events by archive, time window and sequence;
// retention; an archive's events go with it.
TEST_P(StoreConformance, EventArchivesKeepEventsAndReplayDocuments) {
  EventRuleStore& rules = stores_->event_rules();
  const int64_t head = Head();
  const std::string arn = "arn:aws:events:us-east-1:111111111111:archive/a1";
  ASSERT_OK(rules.CreateEventDoc(kScope, kArchiveDoc, "a1", arn, R"({"v":1})", "CreateArchive"));
  EXPECT_CODE(rules.CreateEventDoc(kScope, kArchiveDoc, "a1", arn, "{}", "CreateArchive"),
              ErrorCode::kResourceExists);
  // The same name as another kind, or in another scope, is another document.
  ASSERT_OK(rules.CreateEventDoc(kScope, kReplayDoc, "a1", arn + "r", "{}", "StartReplay"));
  ASSERT_OK(rules.CreateEventDoc(kOther, kArchiveDoc, "a1", arn + "o", "{}", "CreateArchive"));
  ASSERT_OK(rules.CreateEventDoc(kScope, kArchiveDoc, "a2", arn + "2", "{}", "CreateArchive"));
  EXPECT_EQ(rules.GetEventDoc(kScope, kArchiveDoc, "a1")->value(), R"({"v":1})");
  ASSERT_OK(rules.UpdateEventDoc(kScope, kArchiveDoc, "a1", R"({"v":2})", "UpdateArchive"));
  EXPECT_EQ(rules.GetEventDoc(kScope, kArchiveDoc, "a1")->value(), R"({"v":2})");
  EXPECT_CODE(rules.UpdateEventDoc(kScope, kArchiveDoc, "nope", "{}", "UpdateArchive"),
              ErrorCode::kResourceNotFound);
  EXPECT_FALSE(rules.GetEventDoc(kScope, kArchiveDoc, "nope")->has_value());
  auto listed = rules.ListEventDocs(kScope, kArchiveDoc, "a", "", 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].first, "a1");
  EXPECT_EQ(rules.ListEventDocs(kScope, kArchiveDoc, "", "a1", 10)->front().first, "a2");
  EXPECT_EQ(rules.ListEventDocs(kScope, kArchiveDoc, "a2", "", 10)->size(), 1u);
  EXPECT_EQ(rules.ListEventDocs(kScope, kArchiveDoc, "", "", 1)->size(), 1u);
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 5u);
  EXPECT_EQ(cs[0].resource, arn);
  EXPECT_EQ(cs[0].kind, "CreateArchive");
  EXPECT_EQ(cs[4].kind, "UpdateArchive");

  // Events: kept only in an archive that exists; no change rows.
  ASSERT_OK(rules.ArchiveEvent(kScope, "a1", 1000, 0, R"({"n":1})"));
  ASSERT_OK(rules.ArchiveEvent(kScope, "a1", 2000, 5000, R"({"n":2})"));
  ASSERT_OK(rules.ArchiveEvent(kScope, "a1", 3000, 6000, R"({"n":3})"));
  ASSERT_OK(rules.ArchiveEvent(kScope, "missing", 1000, 0, R"({"n":4})"));
  ASSERT_OK(rules.ArchiveEvent(kOther, "a1", 1000, 0, R"({"n":5})"));
  EXPECT_EQ(ChangesAfter(head).size(), 5u);
  auto stats = rules.ArchiveStatsOf(kScope, "a1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->event_count, 3);
  EXPECT_EQ(stats->size_bytes, 21);
  EXPECT_EQ(rules.ArchiveStatsOf(kScope, "missing")->event_count, 0);
  auto window = rules.ListArchivedEvents(kScope, "a1", 1500, 3000, 0, 10);
  ASSERT_TRUE(window.ok());
  ASSERT_EQ(window->size(), 1u);
  EXPECT_EQ((*window)[0].json, R"({"n":2})");
  EXPECT_EQ((*window)[0].time_ms, 2000);
  auto all = rules.ListArchivedEvents(kScope, "a1", 0, 10'000, 0, 2);
  ASSERT_EQ(all->size(), 2u);
  auto rest = rules.ListArchivedEvents(kScope, "a1", 0, 10'000, all->back().seq, 2);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().json, R"({"n":3})");

  // Retention: trimmed once expired; a new retention re-dates what is kept.
  EXPECT_EQ(rules.TrimArchivedEvents(5000).value(), 1u);  // n=2
  EXPECT_EQ(rules.ArchiveStatsOf(kScope, "a1")->event_count, 2);
  ASSERT_OK(rules.SetArchiveRetention(kScope, "a1", 500));  // n=1 -> 1500, n=3 -> 3500
  EXPECT_EQ(rules.TrimArchivedEvents(2000).value(), 1u);
  ASSERT_OK(rules.SetArchiveRetention(kScope, "a1", 0));
  EXPECT_EQ(rules.TrimArchivedEvents(1'000'000).value(), 0u);
  EXPECT_EQ(rules.ArchiveStatsOf(kScope, "a1")->event_count, 1);

  // Deleting an archive deletes its events; another scope's stay.
  ASSERT_OK(rules.DeleteEventDoc(kScope, kArchiveDoc, "a1", "DeleteArchive"));
  EXPECT_CODE(rules.DeleteEventDoc(kScope, kArchiveDoc, "a1", "DeleteArchive"),
              ErrorCode::kResourceNotFound);
  EXPECT_EQ(ChangesAfter(head).back().kind, "DeleteArchive");
  ASSERT_OK(rules.CreateEventDoc(kScope, kArchiveDoc, "a1", arn, "{}", "CreateArchive"));
  EXPECT_EQ(rules.ArchiveStatsOf(kScope, "a1")->event_count, 0);
  EXPECT_EQ(rules.ArchiveStatsOf(kOther, "a1")->event_count, 1);
  EXPECT_TRUE(rules.GetEventDoc(kScope, kReplayDoc, "a1")->has_value());

  // A reset wipes them all.
  ASSERT_OK(rules.WipeEventRules());
  EXPECT_TRUE(rules.ListEventDocs(kScope, kArchiveDoc, "", "", 10)->empty());
  EXPECT_FALSE(rules.GetEventDoc(kScope, kReplayDoc, "a1")->has_value());
  EXPECT_EQ(rules.ArchiveStatsOf(kOther, "a1")->event_count, 0);
}

TEST_P(StoreConformance, EventTargetsUpsertLimitRemoveAndGuardTheRulesDeletion) {
  EventRuleStore& rules = stores_->event_rules();
  EXPECT_CODE(rules.PutTargets(kScope, "r", {{"t1", "{}"}}, 5), ErrorCode::kResourceNotFound);
  ASSERT_OK(rules.PutRule(kScope, MakeRule("r"), 10, {}));
  ASSERT_OK(rules.PutTargets(kScope, "r", {{"t2", R"({"v":1})"}, {"t1", "{}"}}, 5));
  ASSERT_OK(rules.PutTargets(kScope, "r", {{"t2", R"({"v":2})"}}, 2));  // replaced, still 2
  auto ts = rules.ListTargets(kScope, "r", "", 100);
  ASSERT_TRUE(ts.ok());
  ASSERT_EQ(ts->size(), 2u);
  EXPECT_EQ((*ts)[0].id, "t1");
  EXPECT_EQ((*ts)[1].document, R"({"v":2})");
  EXPECT_EQ(rules.ListTargets(kScope, "r", "t1", 100)->size(), 1u);
  EXPECT_TRUE(rules.ListTargets(kOther, "r", "", 100)->empty());

  const int64_t head = Head();
  EXPECT_CODE(rules.PutTargets(kScope, "r", {{"t3", "{}"}}, 2), ErrorCode::kLimitExceeded);
  EXPECT_EQ(rules.ListTargets(kScope, "r", "", 100)->size(), 2u);  // nothing applied
  EXPECT_EQ(Head(), head);
  EXPECT_CODE(rules.DeleteRule(kScope, "r"), ErrorCode::kPreconditionNotMet);
  ASSERT_OK(rules.RemoveTargets(kScope, "r", {"t1", "absent"}));
  EXPECT_CODE(rules.DeleteRule(kScope, "r"), ErrorCode::kPreconditionNotMet);
  ASSERT_OK(rules.RemoveTargets(kScope, "r", {"t2"}));
  ASSERT_OK(rules.DeleteRule(kScope, "r"));
  EXPECT_CODE(rules.DeleteRule(kScope, "r"), ErrorCode::kResourceNotFound);
  EXPECT_CODE(rules.RemoveTargets(kScope, "r", {"t1"}), ErrorCode::kResourceNotFound);
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[2].kind, "DeleteRule");

  ASSERT_OK(rules.PutRule(kScope, MakeRule("w"), 10, {}));
  ASSERT_OK(rules.PutTargets(kScope, "w", {{"t", "{}"}}, 5));
  ASSERT_OK(stores_->WipeResources());
  EXPECT_TRUE(rules.ListRules(kScope, "", "", 100, false)->empty());
  EXPECT_TRUE(rules.ListTargets(kScope, "w", "", 100)->empty());
  auto wiped = ChangesAfter(head);
  EXPECT_TRUE(std::any_of(wiped.begin(), wiped.end(), [](const Change& c) {
    return c.service == "events" && c.resource == MakeRule("w").arn && c.kind == "WipeResources";
  }));
}

TEST_P(StoreConformance, CustomEventBusesHoldTheirRulesAndTags) {
  EventRuleStore& rules = stores_->event_rules();
  const std::string arn = "arn:aws:events:" + kScope.region + ":" + kScope.account +
                          ":event-bus/orders";
  auto bus = [&](const std::string& name) {
    return EventBusRecord{name, "arn:aws:events:r:a:event-bus/" + name, "", 5, 5};
  };
  const int64_t head = Head();
  // A rule or tag of a bus that does not exist is refused in the write.
  EXPECT_CODE(rules.PutRule(kScope, MakeRule(RuleKey("orders", "r")), 10, {}),
              ErrorCode::kResourceNotFound);
  EXPECT_CODE(rules.TagBus(kScope, "orders", {{"k", "v"}}, 50), ErrorCode::kResourceNotFound);
  EXPECT_EQ(Head(), head);
  EventBusRecord orders = bus("orders");
  orders.arn = arn;
  orders.description = "d";
  ASSERT_OK(rules.CreateBus(kScope, orders, 3, {{"team", "a"}}));
  EXPECT_CODE(rules.CreateBus(kScope, orders, 3, {}), ErrorCode::kResourceExists);
  ASSERT_OK(rules.CreateBus(kScope, bus("audit"), 3, {}));
  ASSERT_OK(rules.CreateBus(kOther, bus("orders"), 3, {}));
  ASSERT_OK(rules.CreateBus(kScope, bus("zz"), 3, {}));
  EXPECT_CODE(rules.CreateBus(kScope, bus("more"), 3, {}), ErrorCode::kLimitExceeded);
  auto got = rules.GetBus(kScope, "orders");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->arn, arn);
  EXPECT_EQ((*got)->description, "d");
  EXPECT_FALSE(rules.GetBus(kScope, "default")->has_value());  // the default bus is no row
  auto listed = rules.ListBuses(kScope, "", "", 100);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].name, "audit");
  EXPECT_EQ(rules.ListBuses(kScope, "or", "", 100)->size(), 1u);
  EXPECT_EQ(rules.ListBuses(kScope, "", "audit", 1)->front().name, "orders");
  EXPECT_EQ(rules.ListBusTags(kScope, "orders")->size(), 1u);
  ASSERT_OK(rules.UpdateBus(kScope, "orders", "new", 9));
  EXPECT_EQ(rules.GetBus(kScope, "orders")->value().description, "new");
  EXPECT_EQ(rules.GetBus(kScope, "orders")->value().modified_ms, 9);
  EXPECT_CODE(rules.UpdateBus(kScope, "nope", "x", 9), ErrorCode::kResourceNotFound);

  // Rules of a bus: keyed "<bus>/<name>", counted per bus, listed apart from the default's.
  ASSERT_OK(rules.PutRule(kScope, MakeRule(RuleKey("orders", "r1")), 1, {}));
  ASSERT_OK(rules.PutRule(kScope, MakeRule("r1"), 1, {}));  // the default bus's own limit
  EXPECT_CODE(rules.PutRule(kScope, MakeRule(RuleKey("orders", "r2")), 1, {}),
              ErrorCode::kLimitExceeded);
  ASSERT_OK(rules.PutRule(kScope, MakeRule(RuleKey("audit", "r1")), 1, {}));
  auto defaults = rules.ListRules(kScope, "", "", 100, true);
  ASSERT_TRUE(defaults.ok());
  ASSERT_EQ(defaults->size(), 1u);
  EXPECT_EQ(defaults->front().name, "r1");
  auto of_orders = rules.ListRules(kScope, "orders/", "", 100, false);
  ASSERT_EQ(of_orders->size(), 1u);
  EXPECT_EQ(of_orders->front().name, "orders/r1");
  EXPECT_EQ(rules.ListRules(kScope, "", "", 100, false)->size(), 3u);
  EXPECT_EQ(SplitRuleKey("orders/r1").bus, "orders");
  EXPECT_EQ(SplitRuleKey("orders/r1").name, "r1");
  EXPECT_EQ(SplitRuleKey("r1").bus, kDefaultEventBus);

  // Policies: of the default bus and of custom ones; an edit reads what the last one wrote,
  // and one that fails writes nothing.
  auto set = [](std::string text) {
    return [text](const std::string&) -> Result<std::string> { return text; };
  };
  EXPECT_CODE(rules.EditBusPolicy(kScope, "nope", "PutPermission", set("p")),
              ErrorCode::kResourceNotFound);
  ASSERT_OK(rules.EditBusPolicy(kScope, "default", "PutPermission", set("d")));
  ASSERT_OK(rules.EditBusPolicy(kScope, "orders", "PutPermission", set("p1")));
  ASSERT_OK(rules.EditBusPolicy(kScope, "orders", "PutPermission",
                                [](const std::string& current) -> Result<std::string> {
                                  return current + "+p2";
                                }));
  EXPECT_CODE(rules.EditBusPolicy(kScope, "orders", "RemovePermission",
                                  [](const std::string&) -> Result<std::string> {
                                    return Status(ErrorCode::kEventsResourceNotFound, "no");
                                  }),
              ErrorCode::kEventsResourceNotFound);
  EXPECT_EQ(*rules.GetBusPolicy(kScope, "orders"), "p1+p2");
  EXPECT_EQ(rules.GetBus(kScope, "orders")->value().policy, "p1+p2");
  EXPECT_EQ(*rules.GetBusPolicy(kScope, "default"), "d");
  EXPECT_EQ(*rules.GetBusPolicy(kOther, "default"), "");
  ASSERT_OK(rules.EditBusPolicy(kScope, "default", "RemovePermission", set("")));
  EXPECT_EQ(*rules.GetBusPolicy(kScope, "default"), "");

  // A bus with rules stays; without, it goes with its tags and policy (a bus created again
  // has none).
  EXPECT_CODE(rules.DeleteBus(kScope, "orders"), ErrorCode::kPreconditionNotMet);
  ASSERT_OK(rules.DeleteRule(kScope, "orders/r1"));
  ASSERT_OK(rules.DeleteBus(kScope, "orders"));
  EXPECT_CODE(rules.DeleteBus(kScope, "orders"), ErrorCode::kResourceNotFound);
  EXPECT_FALSE(rules.GetBus(kScope, "orders")->has_value());
  EXPECT_TRUE(rules.GetBus(kOther, "orders")->has_value());
  ASSERT_OK(rules.CreateBus(kScope, orders, 3, {}));
  EXPECT_TRUE(rules.ListBusTags(kScope, "orders")->empty());
  EXPECT_EQ(*rules.GetBusPolicy(kScope, "orders"), "");
  auto cs = ChangesAfter(head);
  EXPECT_TRUE(std::any_of(cs.begin(), cs.end(), [&](const Change& c) {
    return c.resource == arn && c.kind == "DeleteEventBus";
  }));
  EXPECT_EQ(cs.front().kind, "CreateEventBus");
  EXPECT_EQ(cs.front().resource, arn);

  ASSERT_OK(stores_->WipeResources());
  EXPECT_TRUE(rules.ListBuses(kScope, "", "", 100)->empty());
  EXPECT_TRUE(rules.ListRules(kScope, "", "", 100, false)->empty());
}

TEST_P(StoreConformance, EventRuleTagsOnCreationUpsertLimitUntagAndGoWithTheRule) {
  EventRuleStore& rules = stores_->event_rules();
  using Tags = std::vector<EventTagRecord>;
  auto keys_values = [&](const Scope& scope, const std::string& rule) {
    std::vector<std::pair<std::string, std::string>> out;
    auto tags = rules.ListRuleTags(scope, rule);
    EXPECT_TRUE(tags.ok());
    if (tags.ok()) for (const auto& t : *tags) out.emplace_back(t.key, t.value);
    return out;
  };
  using KV = std::vector<std::pair<std::string, std::string>>;
  EXPECT_CODE(rules.ListRuleTags(kScope, "t").status(), ErrorCode::kResourceNotFound);
  EXPECT_CODE(rules.TagRule(kScope, "t", {{"k", "v"}}, 50), ErrorCode::kResourceNotFound);
  EXPECT_CODE(rules.UntagRule(kScope, "t", {"k"}), ErrorCode::kResourceNotFound);

  // Tags given on creation are stored (ordered by key); on a replacement they are ignored.
  ASSERT_OK(rules.PutRule(kScope, MakeRule("t"), 10, Tags{{"team", "a"}, {"env", "prod"}}));
  EXPECT_EQ(keys_values(kScope, "t"), (KV{{"env", "prod"}, {"team", "a"}}));
  ASSERT_OK(rules.PutRule(kScope, MakeRule("t"), 10, Tags{{"team", "b"}, {"new", "x"}}));
  EXPECT_EQ(keys_values(kScope, "t"), (KV{{"env", "prod"}, {"team", "a"}}));
  ASSERT_OK(rules.PutRule(kScope, MakeRule("plain"), 10, {}));
  EXPECT_TRUE(keys_values(kScope, "plain").empty());
  ASSERT_OK(rules.PutRule(kOther, MakeRule("t", kOther), 10, {}));
  EXPECT_TRUE(keys_values(kOther, "t").empty());  // scopes do not share tags

  const int64_t head = Head();
  // Keys are case sensitive; a key the rule has gets the new value.
  ASSERT_OK(rules.TagRule(kScope, "t", {{"team", "c"}, {"Env", "dev"}}, 3));
  EXPECT_EQ(keys_values(kScope, "t"), (KV{{"Env", "dev"}, {"env", "prod"}, {"team", "c"}}));
  EXPECT_CODE(rules.TagRule(kScope, "t", {{"one-more", ""}, {"team", "d"}}, 3),
              ErrorCode::kLimitExceeded);
  EXPECT_EQ(keys_values(kScope, "t"), (KV{{"Env", "dev"}, {"env", "prod"}, {"team", "c"}}));
  ASSERT_OK(rules.UntagRule(kScope, "t", {"env", "absent"}));
  EXPECT_EQ(keys_values(kScope, "t"), (KV{{"Env", "dev"}, {"team", "c"}}));
  ASSERT_OK(rules.TagRule(kScope, "t", {{"empty", ""}}, 3));
  EXPECT_EQ(keys_values(kScope, "t")[1], (std::pair<std::string, std::string>{"empty", ""}));
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 3u);  // the refused write left none
  EXPECT_EQ(cs[0].kind, "TagResource");
  EXPECT_EQ(cs[0].resource, MakeRule("t").arn);
  EXPECT_EQ(cs[1].kind, "UntagResource");

  // Deleted with the rule: the same name created again starts without tags.
  ASSERT_OK(rules.DeleteRule(kScope, "t"));
  EXPECT_CODE(rules.ListRuleTags(kScope, "t").status(), ErrorCode::kResourceNotFound);
  ASSERT_OK(rules.PutRule(kScope, MakeRule("t"), 10, {}));
  EXPECT_TRUE(keys_values(kScope, "t").empty());
  ASSERT_OK(rules.TagRule(kScope, "t", {{"k", "v"}}, 50));
  ASSERT_OK(stores_->WipeResources());
  ASSERT_OK(rules.PutRule(kScope, MakeRule("t"), 10, {}));
  EXPECT_TRUE(keys_values(kScope, "t").empty());
}

TEST_P(StoreConformance, EventBusTagsUpsertLimitUntagAndStayWithTheBus) {
  EventRuleStore& rules = stores_->event_rules();
  using KV = std::vector<std::pair<std::string, std::string>>;
  auto keys_values = [&](const Scope& scope, const std::string& bus) {
    KV out;
    auto tags = rules.ListBusTags(scope, bus);
    EXPECT_TRUE(tags.ok());
    if (tags.ok()) for (const auto& t : *tags) out.emplace_back(t.key, t.value);
    return out;
  };
  EXPECT_TRUE(keys_values(kScope, "default").empty());  // never tagged: none, no error
  const int64_t head = Head();
  ASSERT_OK(rules.TagBus(kScope, "default", {{"team", "a"}, {"env", "prod"}, {"team", "b"}}, 3));
  EXPECT_EQ(keys_values(kScope, "default"), (KV{{"env", "prod"}, {"team", "b"}}));
  EXPECT_TRUE(keys_values(kOther, "default").empty());  // scopes do not share tags
  EXPECT_CODE(rules.TagBus(kScope, "default", {{"x", ""}, {"y", ""}}, 3),
              ErrorCode::kLimitExceeded);
  EXPECT_EQ(keys_values(kScope, "default"), (KV{{"env", "prod"}, {"team", "b"}}));
  ASSERT_OK(rules.UntagBus(kScope, "default", {"env", "absent"}));
  EXPECT_EQ(keys_values(kScope, "default"), (KV{{"team", "b"}}));
  auto cs = ChangesAfter(head);
  ASSERT_EQ(cs.size(), 2u);  // the refused write left none
  EXPECT_EQ(cs[0].service, "events");
  EXPECT_EQ(cs[0].kind, "TagResource");
  EXPECT_EQ(cs[0].resource, "arn:aws:events:" + kScope.region + ":" + kScope.account +
                                ":event-bus/default");
  EXPECT_EQ(cs[1].kind, "UntagResource");

  // A bus's tags are not a rule's: a rule named like the bus has its own.
  ASSERT_OK(rules.PutRule(kScope, MakeRule("default"), 10, {}));
  EXPECT_TRUE(rules.ListRuleTags(kScope, "default")->empty());
  ASSERT_OK(stores_->WipeResources());
  EXPECT_TRUE(keys_values(kScope, "default").empty());
}

TEST_P(StoreConformance, ScheduleJobKeepsOrReplacesAndCancels) {
  ASSERT_OK(jobs().ScheduleJob("purge", 1000, "p1", false));
  ASSERT_OK(jobs().ScheduleJob("purge", 5000, "p2", false));
  auto j = jobs().GetJob("purge");
  ASSERT_TRUE(j.ok() && j->has_value());
  EXPECT_EQ((*j)->due_ms, 1000);
  EXPECT_EQ((*j)->payload, "p1");
  EXPECT_EQ((*j)->attempts, 0);
  ASSERT_OK(jobs().ScheduleJob("purge", 5000, "p2", true));
  EXPECT_EQ(jobs().GetJob("purge").value()->due_ms, 5000);
  EXPECT_EQ(jobs().GetJob("purge").value()->payload, "p2");
  ASSERT_OK(jobs().ScheduleJob("rotate", 3000, "", false));
  EXPECT_EQ(jobs().NextDueMs().value(), std::optional<int64_t>(3000));
  ASSERT_OK(jobs().CancelJob("rotate"));
  EXPECT_FALSE(jobs().GetJob("rotate")->has_value());
  EXPECT_EQ(jobs().NextDueMs().value(), std::optional<int64_t>(5000));
  // Held: claimable again (so due, for a sleeping scheduler) only when its lease expires.
  ASSERT_EQ(jobs().ClaimDueJobs("A", 6000, 4000, 10)->size(), 1u);
  EXPECT_EQ(jobs().NextDueMs().value(), std::optional<int64_t>(10000));
  ASSERT_OK(jobs().CancelJob("purge"));
  EXPECT_FALSE(jobs().NextDueMs().value().has_value());
}

TEST_P(StoreConformance, ClaimsAreExclusiveAcrossConcurrentClaimers) {
  constexpr int kJobs = 30;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_OK(jobs().ScheduleJob("job" + std::to_string(i), 1000 + i, "", false));
  }
  ASSERT_OK(jobs().ScheduleJob("later", 999999, "", false));
  auto node2 = IsSqlite() ? nullptr : SecondNode();
  std::mutex mu;
  std::map<std::string, int> claimed;
  std::atomic<int> errors{0};
  auto claimer = [&](JobStore& js, const std::string& owner) {
    for (;;) {
      auto r = js.ClaimDueJobs(owner, 5000, 60000, 4);
      if (!r.ok()) {
        ++errors;
        return;
      }
      if (r->empty()) return;
      for (size_t i = 1; i < r->size(); ++i) {
        if ((*r)[i].due_ms < (*r)[i - 1].due_ms) ++errors;  // earliest due first
      }
      std::lock_guard<std::mutex> l(mu);
      for (const auto& j : *r) {
        ++claimed[j.name];
        if (j.attempts != 1) ++errors;
      }
    }
  };
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) {
    JobStore& js = (node2 && i % 2) ? node2->jobs() : jobs();
    ts.emplace_back(claimer, std::ref(js), "owner-" + std::to_string(i));
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  for (const auto& [name, n] : claimed) EXPECT_EQ(n, 1) << name;
  EXPECT_FALSE(claimed.count("later"));
}

TEST_P(StoreConformance, LeaseExpiryRenewAndCompleteOnlyByTheHolder) {
  ASSERT_OK(jobs().ScheduleJob("j", 1000, "payload", false));
  EXPECT_TRUE(jobs().ClaimDueJobs("A", 999, 1000, 10)->empty());  // not due yet
  auto a = jobs().ClaimDueJobs("A", 2000, 1000, 10);  // lease until 3000
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].payload, "payload");
  EXPECT_TRUE(jobs().ClaimDueJobs("B", 2999, 1000, 10)->empty());
  EXPECT_TRUE(jobs().RenewJobLease("j", "A", 4000).value());
  EXPECT_TRUE(jobs().ClaimDueJobs("B", 3500, 1000, 10)->empty());
  EXPECT_FALSE(jobs().RenewJobLease("j", "B", 9000).value());
  EXPECT_CODE(jobs().CompleteJob((*a)[0], "B", 10000, std::nullopt), ErrorCode::kWriteConflict);

  auto b = jobs().ClaimDueJobs("B", 4000, 1000, 10);  // A's lease expired
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].attempts, 2);
  EXPECT_FALSE(jobs().RenewJobLease("j", "A", 9000).value());
  EXPECT_CODE(jobs().CompleteJob((*a)[0], "A", std::nullopt, std::nullopt),
              ErrorCode::kWriteConflict);
  EXPECT_TRUE(jobs().GetJob("j")->has_value());

  ASSERT_OK(jobs().CompleteJob((*b)[0], "B", 10000, std::nullopt));
  auto j = jobs().GetJob("j").value();
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->due_ms, 10000);
  EXPECT_EQ(j->attempts, 0);
  EXPECT_TRUE(jobs().ClaimDueJobs("C", 9999, 1000, 10)->empty());
  auto c = jobs().ClaimDueJobs("C", 10000, 1000, 10);  // free again once due
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].attempts, 1);
  ASSERT_OK(jobs().CompleteJob((*c)[0], "C", std::nullopt, std::nullopt));
  EXPECT_FALSE(jobs().GetJob("j")->has_value());

  // Cancelled while claimed: the holder's completion conflicts.
  ASSERT_OK(jobs().ScheduleJob("k", 1, "", false));
  auto d = jobs().ClaimDueJobs("D", 10, 100, 10);
  ASSERT_EQ(d->size(), 1u);
  ASSERT_OK(jobs().CancelJob("k"));
  EXPECT_CODE(jobs().CompleteJob((*d)[0], "D", 50, std::nullopt), ErrorCode::kWriteConflict);
}

// A reschedule made while a run is in progress (RotateSecret landing as the previous
// rotation ends) survives that run's completion, whatever the run asked for.
TEST_P(StoreConformance, CompletionKeepsARescheduleMadeDuringTheRun) {
  ASSERT_OK(jobs().ScheduleJob("r", 1000, "t1", true));
  for (bool delete_asked : {true, false}) {
    auto a = jobs().ClaimDueJobs("A", 1000, 60000, 10);
    ASSERT_EQ(a->size(), 1u);
    EXPECT_EQ((*a)[0].payload, "t1");
    ASSERT_OK(jobs().ScheduleJob("r", 1500, "t2", true));  // during A's run
    ASSERT_OK(jobs().CompleteJob((*a)[0], "A",
                                 delete_asked ? std::nullopt : std::optional<int64_t>(7000),
                                 std::optional<std::string>("from-run")));
    auto kept = jobs().GetJob("r").value();
    ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->due_ms, 1500);
    EXPECT_EQ(kept->payload, "t2");
    EXPECT_EQ(kept->attempts, 0);
    // The lease is free: the newer run is claimable at its due time, by anyone.
    auto b = jobs().ClaimDueJobs("B", 1500, 60000, 10);
    ASSERT_EQ(b->size(), 1u);
    EXPECT_EQ((*b)[0].payload, "t2");
    // Not rescheduled during B's run: B's completion applies, payload included.
    ASSERT_OK(jobs().CompleteJob((*b)[0], "B", 1000, std::optional<std::string>("t1")));
    auto next = jobs().GetJob("r").value();
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->due_ms, 1000);
    EXPECT_EQ(next->payload, "t1");
  }
  auto c = jobs().ClaimDueJobs("C", 1000, 60000, 10);
  ASSERT_EQ(c->size(), 1u);
  ASSERT_OK(jobs().CompleteJob((*c)[0], "C", std::nullopt, std::nullopt));
  EXPECT_FALSE(jobs().GetJob("r").value().has_value());
}

// ---------- event deliveries and denial counters ----------

EventDelivery MakeDelivery(int64_t created_ms, const std::string& target = "t") {
  EventDelivery d;
  d.id = NewDeliveryId(created_ms);
  d.account = kScope.account;
  d.region = kScope.region;
  d.rule_arn = "arn:aws:events:us-east-1:111122223333:rule/r";
  d.target_id = target;
  d.url = "http://127.0.0.1:9/hook";
  d.body = R"({"id":"e","detail":{"eventName":"DeleteSecret"}})";
  d.max_retries = 4;
  d.max_age_ms = 60000;
  d.created_ms = created_ms;
  d.next_attempt_ms = created_ms;
  return d;
}

TEST_P(StoreConformance, DeliveriesAreLeasedClaimedOnceAndRecorded) {
  EventDeliveryStore& ds = stores_->event_deliveries();
  const int64_t head = Head();
  EventDelivery mine = MakeDelivery(1000, "mine");
  EventDelivery free1 = MakeDelivery(1001, "free");
  ASSERT_EQ(ds.AddDeliveries({mine}, "node-a:1", 5000, 100).value(), 1u);
  ASSERT_EQ(ds.AddDeliveries({free1, mine}, "", 0, 100).value(), 2u);  // mine again: skipped
  EXPECT_EQ(Head(), head);  // no change rows: nothing is cached from these tables
  auto pending = ds.ListDeliveries(false, "", 100);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, mine.id);  // id order is creation order
  EXPECT_EQ((*pending)[0].body, mine.body);
  EXPECT_EQ((*pending)[0].max_age_ms, std::optional<int64_t>(60000));
  EXPECT_EQ((*pending)[0].max_retries, 4);
  EXPECT_EQ(ds.ListDeliveries(false, mine.id, 100)->size(), 1u);
  EXPECT_EQ(ds.CountPendingDeliveries(100).value(), 2u);
  EXPECT_EQ(ds.CountPendingDeliveries(1).value(), 1u);  // bounded count

  // The free row is claimable at once; the held one only when its lease expired.
  auto b = ds.ClaimDueDeliveries("node-b:1", 2000, 100000, 10);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].id, free1.id);
  EXPECT_TRUE(ds.ClaimDueDeliveries("node-c:1", 4999, 10000, 10)->empty());
  EXPECT_TRUE(ds.RenewDeliveryLease(mine.id, "node-a:1", 8000).value());
  EXPECT_FALSE(ds.RenewDeliveryLease(mine.id, "node-b:1", 9000).value());
  EXPECT_TRUE(ds.ClaimDueDeliveries("node-c:1", 7999, 10000, 10)->empty());

  // Outcomes apply only under the holder's lease.
  using Kind = DeliveryOutcome::Kind;
  auto applied = ds.RecordOutcomes(
      "node-a:1", {{mine.id, Kind::kRetry, 1, "connection refused", 8500, 20000},
                   {free1.id, Kind::kDelivered, 1, "", 0, 0}});
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, (std::vector<bool>{true, false}));  // free1 is node-b's
  auto row = ds.ListDeliveries(false, "", 100)->front();
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.last_error, "connection refused");
  EXPECT_EQ(row.next_attempt_ms, 8500);
  EXPECT_TRUE(ds.ClaimDueDeliveries("node-c:1", 19999, 10000, 10)->empty());  // still held
  EXPECT_EQ(ds.RecordOutcomes("node-b:1", {{free1.id, Kind::kDelivered, 1, "", 0, 0}})->front(), true);
  EXPECT_EQ(ds.ListDeliveries(false, "", 100)->size(), 1u);  // delivered: deleted

  // node-a died: its lease expires and node-c takes the row over; node-a's late outcome is
  // refused.
  auto c = ds.ClaimDueDeliveries("node-c:1", 20000, 10000, 10);
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].attempts, 1);
  EXPECT_FALSE(ds.RecordOutcomes("node-a:1", {{mine.id, Kind::kDelivered, 2, "", 0, 0}})->front());
  ASSERT_TRUE(ds.RecordOutcomes("node-c:1", {{mine.id, Kind::kDead, 5, "HTTP 503", 21000, 0}})->front());
  EXPECT_TRUE(ds.ListDeliveries(false, "", 100)->empty());
  auto dead = ds.ListDeliveries(true, "", 100);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_TRUE((*dead)[0].dead);
  EXPECT_EQ((*dead)[0].attempts, 5);
  EXPECT_EQ((*dead)[0].last_error, "HTTP 503");
  EXPECT_EQ((*dead)[0].finished_ms, 21000);
  EXPECT_TRUE(ds.ClaimDueDeliveries("node-d:1", 99999, 10000, 10)->empty());  // dead: never claimed
  EXPECT_EQ(ds.CountPendingDeliveries(100).value(), 0u);
}

TEST_P(StoreConformance, DeliveriesAreCappedReleasedByOwnerPrefixAndTrimmed) {
  EventDeliveryStore& ds = stores_->event_deliveries();
  std::vector<EventDelivery> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(MakeDelivery(100 + i));
  EXPECT_EQ(ds.AddDeliveries(batch, "node-a:old", 1'000'000, 3).value(), 3u);  // the cap
  EXPECT_EQ(ds.AddDeliveries({MakeDelivery(200)}, "", 0, 3).value(), 0u);
  ASSERT_EQ(ds.AddDeliveries({batch[3]}, "node-ab:1", 1'000'000, 4).value(), 1u);
  // node-a restarted: the rows of its previous process are free at once; node-ab's are not.
  EXPECT_EQ(ds.ReleaseDeliveries("node-a:").value(), 3u);
  auto claimed = ds.ClaimDueDeliveries("node-a:new", 1000, 500, 10);
  ASSERT_EQ(claimed->size(), 3u);
  EXPECT_EQ(ds.ReleaseDeliveries("node-a:new").value(), 3u);
  EXPECT_EQ(ds.ReleaseDeliveries("node-a:new").value(), 0u);

  using Kind = DeliveryOutcome::Kind;
  ASSERT_EQ(ds.ClaimDueDeliveries("x:1", 2000, 500, 10)->size(), 3u);
  ASSERT_OK(ds.RecordOutcomes("x:1", {{batch[0].id, Kind::kDead, 1, "e", 1000, 0},
                                      {batch[1].id, Kind::kDead, 1, "e", 5000, 0},
                                      {batch[2].id, Kind::kDead, 1, "e", 6000, 0}})
                .status());
  EXPECT_EQ(ds.TrimDeliveries(2000, 100).value(), 1u);  // finished before 2000
  EXPECT_EQ(ds.TrimDeliveries(0, 1).value(), 1u);       // only the newest dead row stays
  auto dead = ds.ListDeliveries(true, "", 100);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].id, batch[2].id);
  EXPECT_EQ(ds.CountPendingDeliveries(100).value(), 1u);  // pending rows are never trimmed
}

TEST_P(StoreConformance, DenialsAreCountedInWindowsAndABurstFiresOnce) {
  EventDeliveryStore& ds = stores_->event_deliveries();
  const std::string bob = "arn:aws:iam::111122223333:user/bob";
  const std::string eve = "arn:aws:iam::111122223333:user/eve";
  const int64_t t = 1'000'000;
  auto deny = [&](const std::string& who, int64_t at) {
    return ds.CountDenial(who, at, 60000, 10000, 5).value();
  };
  for (int i = 0; i < 4; ++i) EXPECT_EQ(deny(bob, t + i * 9000), 0);  // across buckets
  EXPECT_EQ(deny(eve, t + 36000), 0);  // another principal's do not count
  EXPECT_EQ(deny(bob, t + 40000), 5);  // the fifth within the window
  EXPECT_EQ(deny(bob, t + 40001), 0);  // the burst reset the count
  // Denials further apart than the window never add up.
  for (int i = 0; i < 12; ++i) EXPECT_EQ(deny(eve, t + 200000 + i * 20000), 0) << i;
  EXPECT_GT(ds.TrimDenials(t + 10'000'000).value(), 0u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(deny(eve, t + 20'000'000), 0);  // trimmed: from zero

  // Several threads (and, on PostgreSQL, two nodes) counting one principal's burst: it
  // fires exactly once.
  auto node2 = IsSqlite() ? nullptr : SecondNode();
  std::atomic<int> fired{0}, errors{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) {
    EventDeliveryStore& s = (node2 && i % 2) ? node2->event_deliveries() : ds;
    ts.emplace_back([&, &s = s] {
      for (int k = 0; k < 2; ++k) {
        auto r = s.CountDenial("arn:aws:iam::111122223333:user/mallory", 50'000'000, 60000, 10000, 8);
        if (!r.ok()) {
          ++errors;
        } else if (*r > 0) {
          ++fired;
        }
      }
    });
  }
  for (auto& th : ts) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(fired.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values(kSqlite, kPostgres),
                         [](const ::testing::TestParamInfo<const char*>& i) {
                           return std::string(i.param);
                         });

// ---------- PostgreSQL only ----------

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = testing::PgTestCluster::Shared();
    ASSERT_TRUE(c.ok()) << c.status().message();
    cluster_ = *c;
    auto url = cluster_->NewDatabase();
    ASSERT_TRUE(url.ok()) << url.status().message();
    url_ = *url;
  }
  testing::PgTestCluster* cluster_ = nullptr;
  std::string url_;
};

TEST_F(PgStoreTest, OpeningAnUnreachableDatabaseIsServiceUnavailable) {
  const std::string url = "postgresql://arcana:hunter2@127.0.0.1:1/none";
  auto s = OpenPgStores(url);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_EQ(s.status().message().find("hunter2"), std::string::npos) << s.status().message();
}

TEST_F(PgStoreTest, NodesStartingTogetherMigrateOnce) {
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&] {
      auto s = OpenPgStores(url_);
      if (s.ok() && (*s)->changes().Head().ok()) ++ok;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 4);
}

// Every List the services page through is served by an index in its order, without a sort,
// at a size where the planner would rather scan the table if no index fit: the plans the
// store's own statements run with (custom and generic) are read back from auto_explain.
TEST_F(PgStoreTest, ListsAreServedByIndexesWithoutSorting) {
  constexpr int kRows = 50000;
  {
    pqxx::connection c(url_);
    ASSERT_TRUE(OpenPgStores(url_).ok());  // the schema
    pqxx::work t(c);
    const std::string pmeta = EncodeParameterMetadata(MakeParam("/p"));
    const std::string smeta = EncodeSecretMetadata(MakeSecret("s", 1));
    t.exec_params(
        "INSERT INTO ssm_parameters (account, region, key, name, revision, tier, meta) "
        "SELECT $1, $2, '/p/' || lpad(i::text, 7, '0'), '/p/' || i, 1, 'Standard', $3 "
        "FROM generate_series(1, $4) i",
        kScope.account, kScope.region, pmeta, kRows);
    t.exec_params(
        "INSERT INTO secrets (arn, account, region, name, revision, created_ms, "
        "last_changed_ms, last_accessed_ms, deleted_ms, meta) "
        "SELECT 'arn:s:' || i, $1, $2, 'n' || i, 1, i % 1000, i % 77, i % 5, "
        "CASE WHEN i % 10 = 0 THEN i END, $3 FROM generate_series(1, $4) i",
        kScope.account, kScope.region, smeta, kRows);
    t.exec("ANALYZE");
    t.commit();
  }
  // A node whose sessions log every statement's plan.
  auto s = OpenPgStores(url_ +
                        "?options=-c%20session_preload_libraries%3Dauto_explain"
                        "%20-c%20auto_explain.log_min_duration%3D0");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto& stores = **s;
  for (int rep = 0; rep < 7; ++rep) {  // past the 5 custom plans, to the generic one
    auto p1 = stores.parameters().ListParameters(kScope, "/p/001234", "", 50);
    ASSERT_TRUE(p1.ok()) << p1.status().message();
    EXPECT_EQ(p1->size(), 10u);
    auto p2 = stores.parameters().ListParameters(kScope, "", "/p/0030000", 50);
    ASSERT_EQ(p2->size(), 50u);
    auto p3 = stores.parameters().ListParameters(kScope, "/p/", "/p/0040000", 50);
    ASSERT_EQ(p3->size(), 50u);
    for (auto order : {SecretOrder::kCreated, SecretOrder::kName, SecretOrder::kLastChanged,
                       SecretOrder::kLastAccessed}) {
      for (bool desc : {false, true}) {
        for (bool deleted : {false, true}) {
          SecretQuery q;
          q.order = order;
          q.descending = desc;
          q.include_deleted = deleted;
          q.now_ms = 1;
          q.limit = 50;
          // Mid-range keys of each order (created 0..999, changed 0..76, accessed 0..4).
          const int64_t mid = order == SecretOrder::kLastChanged    ? 38
                              : order == SecretOrder::kLastAccessed ? 2
                                                                    : 500;
          q.after = SecretPosition{mid, "n25000", "arn:s:25000"};
          auto r = stores.secrets().ListSecrets(kScope, q);
          ASSERT_TRUE(r.ok()) << r.status().message();
          EXPECT_EQ(r->size(), 50u);
        }
      }
    }
  }
  std::ifstream in(cluster_->log_path());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string log = ss.str();
  // Entries: "... plan:\n\tQuery Text: ...\n\t<plan lines>" up to the next log line.
  int checked = 0;
  for (size_t at = log.find("plan:"); at != std::string::npos; at = log.find("plan:", at + 5)) {
    size_t end = log.find("\n20", at);  // the next line with a timestamp
    const std::string entry = log.substr(at, end == std::string::npos ? end : end - at);
    const bool params_list = entry.find("FROM ssm_parameters WHERE account") != std::string::npos;
    const bool secrets_list = entry.find("FROM secrets WHERE account") != std::string::npos &&
                              entry.find("ORDER BY") != std::string::npos;
    if (!params_list && !secrets_list) continue;
    ++checked;
    EXPECT_EQ(entry.find("Seq Scan"), std::string::npos) << entry;
    EXPECT_EQ(entry.find("Sort  ("), std::string::npos) << entry;
    EXPECT_NE(entry.find("Index Scan"), std::string::npos) << entry;
  }
  EXPECT_GE(checked, 7 * (3 + 16));
}

// Stops and restarts the shared server (same port, same data): the other tests' stores are
// closed by then, and the ones after open new connections.
TEST_F(PgStoreTest, AnOutageIsServiceUnavailableAndRecoversWithoutReopening) {
  auto s = OpenStores({StoreLocation::Kind::kPostgres, "", url_});  // with the node's caches
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto& stores = **s;
  ASSERT_TRUE(CreateSecret(stores.secrets(), MakeSecret("before", 1)).ok());
  // Several pooled connections, all of which the outage breaks.
  {
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i) {
      ts.emplace_back([&] {
        for (int j = 0; j < 20; ++j) (void)stores.secrets().GetSecretByName(kScope, "before");
      });
    }
    for (auto& t : ts) t.join();
  }
  ASSERT_OK(cluster_->Stop());
  auto read = stores.secrets().GetSecretByName(kScope, "before");
  EXPECT_EQ(read.status().code(), ErrorCode::kServiceUnavailable) << read.status().message();
  EXPECT_EQ(stores.changes().Head().status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_EQ(CreateSecret(stores.secrets(), MakeSecret("during", 1)).code(),
            ErrorCode::kServiceUnavailable);
  // The change log's wait does not spin or throw while the database is down.
  stores.changes().WaitForChange(0, std::chrono::milliseconds(100));
  ASSERT_OK(cluster_->Start());
  // Every call succeeds once the server is back: each dead pooled connection is replaced.
  for (int i = 0; i < 6; ++i) {
    auto again = stores.secrets().GetSecretByName(kScope, "before");
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_TRUE(again->has_value());
  }
  ASSERT_OK(CreateSecret(stores.secrets(), MakeSecret("after", 1)));
}

// ---------- PostgreSQL group commit (pg_database.h) ----------

// One pg::Database (one node) with its secret store and change log, and a write held open
// so that what queues behind it is committed as one batch.
class PgGroupCommitTest : public PgStoreTest {
 protected:
  void SetUp() override {
    PgStoreTest::SetUp();
    if (HasFatalFailure()) return;
    auto db = pg::Database::Open(url_, pg::Database::Options{}, pg::Schema());
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(*db);
    secrets_ = std::make_unique<pg::PgSecretStore>(*db_);
    log_ = std::make_unique<pg::PgChangeLog>(*db_);
  }
  void TearDown() override {
    log_.reset();
    secrets_.reset();
    db_.reset();
  }

  // Starts a write that blocks until Release(): every write started meanwhile queues for
  // the next batch.
  void Hold() {
    holder_ = std::thread([this] {
      EXPECT_TRUE(db_->Write("hold", [&](pg::Tx&) {
                       std::unique_lock<std::mutex> l(mu_);
                       holding_ = true;
                       cv_.notify_all();
                       cv_.wait(l, [&] { return release_; });
                       return Status::Ok();
                     }).ok());
    });
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return holding_; });
  }
  void Release() {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let them all queue
    {
      std::lock_guard<std::mutex> l(mu_);
      release_ = true;
      cv_.notify_all();
    }
    holder_.join();
  }
  std::vector<Change> ChangesAfter(int64_t seq) {
    std::vector<Change> all;
    for (;;) {
      auto page = log_->ReadChanges(seq, 100);
      EXPECT_TRUE(page.ok()) << page.status().message();
      if (!page.ok() || page->empty()) return all;
      seq = page->back().seq;
      all.insert(all.end(), page->begin(), page->end());
    }
  }

  std::unique_ptr<pg::Database> db_;
  std::unique_ptr<pg::PgSecretStore> secrets_;
  std::unique_ptr<pg::PgChangeLog> log_;
  std::thread holder_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool holding_ = false, release_ = false;
};

// Everything queued behind a held write is committed as ONE transaction; each write runs
// in its own savepoint, so the ones that fail (an error status, a unique violation, a
// serialization failure) leave no row and no change row, and fail alone with their own
// error, while the others are kept.
TEST_F(PgGroupCommitTest, OneBatchKeepsTheGoodWritesAndDropsTheFailedOnes) {
  {
    pqxx::connection c(url_);
    pqxx::work t(c);
    t.exec(
        "CREATE FUNCTION arcana_test_conflict() RETURNS int LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'lost' USING ERRCODE = 'serialization_failure'; END $$");
    t.commit();
  }
  ASSERT_OK(CreateSecret(*secrets_, MakeSecret("taken", 1)));
  const int64_t start = *log_->Head();
  Hold();
  constexpr int kWriters = 8;
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kWriters; ++t) {
    ts.emplace_back([&, t] {
      if (CreateSecret(*secrets_, MakeSecret("batched-" + std::to_string(t), 1)).ok()) ++ok;
    });
  }
  auto bad_insert = [](const std::string& arn) {
    return [arn](pg::Tx& tx) -> Status {
      tx.AddChange({0, 0, "a", "r", "secretsmanager", arn, "X"});
      tx.Exec(
          "INSERT INTO secrets (arn, account, region, name, revision, created_ms, "
          "last_changed_ms, last_accessed_ms, meta) VALUES ($1, 'a', 'r', $1, 1, 1, 1, 1, '')",
          {arn});
      return Status::Ok();
    };
  };
  // Writes that report their (top-level) transaction: one batch, one transaction.
  std::mutex txids_mu;
  std::set<std::string> txids;
  constexpr int kProbes = 4;
  for (int t = 0; t < kProbes; ++t) {
    ts.emplace_back([&] {
      std::string txid;
      Status st = db_->Write("probe", [&](pg::Tx& tx) {
        txid = pg::Text(tx.Exec("SELECT txid_current()::text")[0][0]);
        return Status::Ok();
      });
      if (!st.ok()) return;
      ++ok;
      std::lock_guard<std::mutex> l(txids_mu);
      txids.insert(txid);
    });
  }
  Status refused, unique, conflict;
  std::thread bad1([&] {
    refused = db_->Write("bad", [&](pg::Tx& tx) -> Status {
      ARCANA_RETURN_IF_ERROR(bad_insert("never-1")(tx));
      return Status(ErrorCode::kWriteConflict, "lost");
    });
  });
  std::thread bad2([&] {
    unique = db_->Write("bad", [&](pg::Tx& tx) -> Status {
      ARCANA_RETURN_IF_ERROR(bad_insert("never-2")(tx));
      return bad_insert(MakeSecret("taken", 1).arn)(tx);  // a unique violation
    });
  });
  std::thread bad3([&] {
    conflict = db_->Write("bad", [&](pg::Tx& tx) -> Status {
      ARCANA_RETURN_IF_ERROR(bad_insert("never-3")(tx));
      tx.Exec("SELECT arcana_test_conflict()");
      return Status::Ok();
    });
  });
  Release();
  for (auto& t : ts) t.join();
  bad1.join();
  bad2.join();
  bad3.join();
  EXPECT_EQ(ok.load(), kWriters + kProbes);
  EXPECT_EQ(txids.size(), 1u);  // one batch, one commit
  EXPECT_EQ(refused.code(), ErrorCode::kWriteConflict) << refused.message();
  EXPECT_EQ(unique.code(), ErrorCode::kInternalServiceError) << unique.message();
  EXPECT_EQ(conflict.code(), ErrorCode::kWriteConflict) << conflict.message();
  for (const char* arn : {"never-1", "never-2", "never-3"}) {
    EXPECT_FALSE(secrets_->GetSecretByArn(arn)->has_value()) << arn;
  }
  auto cs = ChangesAfter(start);
  ASSERT_EQ(cs.size(), static_cast<size_t>(kWriters));  // the failed writes' rows rolled back
  std::set<std::string> resources;
  for (size_t i = 0; i < cs.size(); ++i) {
    EXPECT_EQ(cs[i].seq, start + 1 + static_cast<int64_t>(i));
    EXPECT_EQ(cs[i].resource.find("never"), std::string::npos);
    resources.insert(cs[i].resource);
  }
  EXPECT_EQ(resources.size(), static_cast<size_t>(kWriters));
  EXPECT_EQ(*log_->Head(), start + kWriters);
  // The node keeps writing after a batch with failures.
  ASSERT_OK(CreateSecret(*secrets_, MakeSecret("after", 1)));
}

// Many writers of one node and a second node at once: every write lands, the change rows
// are numbered without gaps, each writer's own changes in its order.
TEST_F(PgGroupCommitTest, ManyConcurrentWritersAllLandWithGapFreeOrderedChanges) {
  auto other = OpenPgStores(url_);
  ASSERT_TRUE(other.ok()) << other.status().message();
  const int64_t start = *log_->Head();
  constexpr int kThreads = 16, kEach = 20, kOtherEach = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto s = MakeSecret("many-" + std::to_string(t) + "-" + std::to_string(i), 1);
        if (!CreateSecret(*secrets_, s).ok()) ++failures;
      }
    });
  }
  ts.emplace_back([&] {
    for (int i = 0; i < kOtherEach; ++i) {
      auto s = MakeSecret("node2-" + std::to_string(i), 1);
      if (!CreateSecret((*other)->secrets(), s).ok()) ++failures;
    }
  });
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto cs = ChangesAfter(start);
  ASSERT_EQ(cs.size(), static_cast<size_t>(kThreads * kEach + kOtherEach));
  std::map<std::string, int64_t> seq_of;
  for (size_t i = 0; i < cs.size(); ++i) {
    EXPECT_EQ(cs[i].seq, start + 1 + static_cast<int64_t>(i));
    seq_of[cs[i].resource] = cs[i].seq;
  }
  EXPECT_EQ(seq_of.size(), cs.size());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 1; i < kEach; ++i) {
      const auto prev = MakeSecret("many-" + std::to_string(t) + "-" + std::to_string(i - 1), 1);
      const auto cur = MakeSecret("many-" + std::to_string(t) + "-" + std::to_string(i), 1);
      EXPECT_LT(seq_of[prev.arn], seq_of[cur.arn]);
    }
  }
  EXPECT_EQ(*log_->Head(), start + kThreads * kEach + kOtherEach);
}

// Concurrent updates of one secret at one revision, batched together or not: exactly one
// wins per revision, the others conflict and leave nothing.
TEST_F(PgGroupCommitTest, ConcurrentUpdatesOfOneSecretExactlyOneWinsPerRevision) {
  auto s = MakeSecret("contended", 1000);
  ASSERT_OK(CreateSecret(*secrets_, s));
  constexpr int kRounds = 4, kWriters = 6;
  for (int round = 0; round < kRounds; ++round) {
    auto read = *secrets_->GetSecretByArn(s.arn).value();
    ASSERT_EQ(read.revision, round + 1);
    const int64_t start = *log_->Head();
    const bool batched = round % 2 == 0;  // all in one batch, or racing freely
    if (batched) Hold();
    std::atomic<int> ok{0}, conflict{0}, other{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < kWriters; ++i) {
      ts.emplace_back([&, i] {
        auto mine = read;
        mine.description = "r" + std::to_string(round) + "w" + std::to_string(i);
        Status st = secrets_->Commit({Write(mine, "v", "UpdateSecret")}, {});
        (st.ok() ? ok : st.code() == ErrorCode::kWriteConflict ? conflict : other)++;
      });
    }
    if (batched) {
      Release();
      holding_ = release_ = false;
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(ok.load(), 1) << "round " << round;
    EXPECT_EQ(conflict.load(), kWriters - 1) << "round " << round;
    EXPECT_EQ(other.load(), 0) << "round " << round;
    EXPECT_EQ(ChangesAfter(start).size(), 1u) << "round " << round;
  }
  EXPECT_EQ(secrets_->GetSecretByArn(s.arn).value()->revision, kRounds + 1);
}

// A write function that writes again through the Database would wait for its own batch:
// refused with an error instead of a deadlock, and the node keeps writing.
TEST_F(PgGroupCommitTest, NestedWriteIsRefused) {
  Status inner;
  Status outer = db_->Write("outer", [&](pg::Tx&) {
    inner = db_->Write("inner", [](pg::Tx&) { return Status::Ok(); });
    return inner;
  });
  EXPECT_EQ(inner.code(), ErrorCode::kInternalServiceError);
  EXPECT_FALSE(outer.ok());
  EXPECT_TRUE(db_->Write("again", [](pg::Tx&) { return Status::Ok(); }).ok());
}

}  // namespace
}  // namespace arcana::storage
