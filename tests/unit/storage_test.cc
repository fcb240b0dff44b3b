// The SQLite store (every component of the seam) and the secret metadata codec: round trips,
// atomic commits, revisions and conflicts, change rows, paging, counts, jobs, migrations,
// group commit.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "storage/secret_codec.h"
#include "domain/kms/rules.h"
#include "domain/ssm/names.h"
#include "storage/kms_codec.h"
#include "storage/parameter_codec.h"
#include "storage/sqlite/change_log.h"
#include "storage/sqlite/kms_store.h"
#include "storage/sqlite/parameter_store.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/secret_store.h"
#include "storage/sqlite/sqlite_stores.h"

// Writes below leave the optional `change` kind out of their aggregates (the store's default).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace arcana::storage {
namespace {

domain::sm::Secret Sample(const std::string& name) {
  domain::sm::Secret s;
  s.arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name + "-AbCdEf";
  s.name = name;
  s.account = "123456789012";
  s.region = "us-east-1";
  s.description = "d\"q";
  s.has_description = true;
  s.tags = {{"k", "v"}, {"k2", ""}};
  s.tagged = true;
  s.created_ms = 1700000000123;
  s.deleted_ms = 1700000999000;
  s.rotation.enabled = true;
  s.rotation.lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
  s.rotation.schedule_expression = "rate(10 days)";
  s.rotation.rules_set = true;
  s.resource_policy = "{}";
  s.replicas = {{"eu-west-1", "", "InSync", "ok"}};
  domain::sm::SecretVersion v;
  v.version_id = "11111111-1111-1111-1111-111111111111";
  v.stages = {"AWSCURRENT", "x"};
  v.created_ms = 5;
  v.has_value = true;
  v.binary = true;
  v.value_digest = "abc";
  s.versions.push_back(v);
  return s;
}

TEST(StorageCodec, RoundTripsEveryField) {
  auto s = Sample("a/b");
  auto back = DecodeSecretMetadata(EncodeSecretMetadata(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(EncodeSecretMetadata(*back), EncodeSecretMetadata(s));
  EXPECT_EQ(back->description, "d\"q");
  EXPECT_EQ(back->versions[0].stages.size(), 2u);
  EXPECT_TRUE(*back->rotation.enabled);
  EXPECT_FALSE(DecodeSecretMetadata("not json").ok());
  // A managed external secret's rotation (its role and the partner's metadata, in order).
  s.rotation.lambda_arn.clear();
  s.rotation.external_role_arn = "arn:aws:iam::123456789012:role/rotation";
  s.rotation.external_metadata = {{"daysToExpiry", "30"}, {"adminSecretArn", "arn:x\"y"}};
  back = DecodeSecretMetadata(EncodeSecretMetadata(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->rotation.external_role_arn, s.rotation.external_role_arn);
  ASSERT_EQ(back->rotation.external_metadata.size(), 2u);
  EXPECT_EQ(back->rotation.external_metadata[1].value, "arn:x\"y");
  EXPECT_EQ(EncodeSecretMetadata(*back), EncodeSecretMetadata(s));
}

// Tags once set and all removed stay "tagged" (Describe answers Tags: []); metadata written
// before the flag existed counts a secret with tags as tagged.
TEST(StorageCodec, TaggedFlag) {
  auto s = Sample("t");
  s.tags.clear();
  auto back = DecodeSecretMetadata(EncodeSecretMetadata(s));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->tagged);
  s.tagged = false;
  back = DecodeSecretMetadata(EncodeSecretMetadata(s));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->tagged);
  back = DecodeSecretMetadata(R"({"arn":"a","name":"n","tags":[["k","v"]],"created":1})");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->tagged);
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("arcana-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    stores_.reset();
    auto st = sqlite::OpenSqliteStores((dir_ / "db").string());
    ASSERT_TRUE(st.ok()) << st.status().message();
    stores_ = std::move(st).value();
  }
  SecretStore& secrets() { return stores_->secrets(); }
  std::vector<Change> AllChanges() {
    auto c = stores_->changes().ReadChanges(0, kMaxListLimit);
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : std::vector<Change>{};
  }
  std::filesystem::path dir_;
  std::unique_ptr<Stores> stores_;
  const Scope scope_{"123456789012", "us-east-1"};
};

TEST_F(SqliteStoreTest, CommitAndLookupByArnAndName) {
  auto s = Sample("app/db");
  ASSERT_TRUE(secrets().Commit({{s, {{s.versions[0].version_id, "sealed-bytes"}}, {}}}, {}).ok());
  auto by_arn = secrets().GetSecretByArn(s.arn);
  ASSERT_TRUE(by_arn.ok() && by_arn->has_value());
  EXPECT_EQ((*by_arn)->revision, 1);
  auto by_name = secrets().GetSecretByName(scope_, "app/db");
  ASSERT_TRUE(by_name.ok() && by_name->has_value());
  EXPECT_EQ((*by_name)->arn, s.arn);
  auto other_region = secrets().GetSecretByName({"123456789012", "eu-west-1"}, "app/db");
  ASSERT_TRUE(other_region.ok());
  EXPECT_FALSE(other_region->has_value());
  auto value = secrets().GetSealedValue(s.arn, s.versions[0].version_id);
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(**value, "sealed-bytes");
  auto due = secrets().ListSecretsDeletedBefore(1700000999000, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->size(), 1u);
  EXPECT_TRUE(secrets().ListSecretsDeletedBefore(1700000998999, 10)->empty());
}

TEST_F(SqliteStoreTest, DeleteRemovesSecretAndValues) {
  auto s = Sample("gone");
  ASSERT_TRUE(secrets().Commit({{s, {{"v", "x"}}, {}}}, {}).ok());
  // A delete at a revision that is not the stored one is a conflict and deletes nothing.
  EXPECT_EQ(secrets().Commit({}, {{s.arn, 7, "DeleteSecret"}}).code(), ErrorCode::kWriteConflict);
  EXPECT_TRUE(secrets().GetSecretByArn(s.arn)->has_value());
  ASSERT_TRUE(secrets().Commit({}, {{s.arn, 1, "DeleteSecret"}}).ok());
  EXPECT_FALSE(secrets().GetSecretByArn(s.arn)->has_value());
  EXPECT_FALSE(secrets().GetSealedValue(s.arn, "v")->has_value());
}

TEST_F(SqliteStoreTest, DuplicateNameInScopeFailsWholeCommit) {
  auto a = Sample("dup");
  auto b = Sample("dup");
  b.arn += "x";
  auto c = Sample("other");
  ASSERT_TRUE(secrets().Commit({{a, {}, {}}}, {}).ok());
  EXPECT_EQ(secrets().Commit({{c, {}, {}}, {b, {}, {}}}, {}).code(), ErrorCode::kWriteConflict);
  EXPECT_FALSE(secrets().GetSecretByArn(c.arn)->has_value());  // rolled back together
}

TEST_F(SqliteStoreTest, SecretRevisionsAreCheckedAndBumped) {
  auto s = Sample("rev");
  ASSERT_TRUE(secrets().Commit({{s, {{"v1", "one"}}, {}}}, {}).ok());
  // Creating again (revision 0) conflicts.
  EXPECT_EQ(secrets().Commit({{s, {}, {}}}, {}).code(), ErrorCode::kWriteConflict);
  auto read = **secrets().GetSecretByArn(s.arn);
  ASSERT_EQ(read.revision, 1);
  read.description = "second";
  ASSERT_TRUE(secrets().Commit({{read, {{"v2", "two"}}, {}}}, {}).ok());
  EXPECT_EQ((*secrets().GetSecretByArn(s.arn))->revision, 2);
  // A writer that read revision 1 loses, with everything of its commit: the other secret it
  // creates in the same commit and its value are not applied either.
  auto stale = read;
  stale.description = "lost";
  auto other = Sample("rev-other");
  EXPECT_EQ(secrets().Commit({{other, {}, {}}, {stale, {{"v3", "three"}}, {}}}, {}).code(),
            ErrorCode::kWriteConflict);
  auto now = **secrets().GetSecretByArn(s.arn);
  EXPECT_EQ(now.description, "second");
  EXPECT_EQ(now.revision, 2);
  EXPECT_FALSE(secrets().GetSealedValue(s.arn, "v3")->has_value());
  EXPECT_FALSE(secrets().GetSecretByArn(other.arn)->has_value());
}

TEST_F(SqliteStoreTest, ReopenKeepsDataSchemaAndHead) {
  auto s = Sample("persist");
  ASSERT_TRUE(secrets().Commit({{s, {}, {}}}, {}).ok());
  ASSERT_TRUE(stores_->meta().PutMeta("k", "v").ok());
  const int64_t head = *stores_->changes().Head();
  EXPECT_GT(head, 0);
  Reopen();
  EXPECT_TRUE(secrets().GetSecretByArn(s.arn)->has_value());
  EXPECT_EQ(**stores_->meta().GetMeta("k"), "v");
  EXPECT_EQ(*stores_->changes().Head(), head);
}

TEST_F(SqliteStoreTest, MetaPutIfAbsentKeepsTheFirstValue) {
  EXPECT_EQ(*stores_->meta().PutMetaIfAbsent("init", "a"), "a");
  EXPECT_EQ(*stores_->meta().PutMetaIfAbsent("init", "b"), "a");
  EXPECT_EQ(**stores_->meta().GetMeta("init"), "a");
  EXPECT_EQ(*stores_->changes().Head(), 0);  // meta writes append no changes
}

TEST_F(SqliteStoreTest, AccessKeysCrudAndPaging) {
  AccessKeyRecord k{"AKIATEST", "sealed", "123456789012", "arn:aws:iam::123456789012:root", 1};
  ASSERT_TRUE(stores_->access_keys().PutAccessKey(k).ok());
  EXPECT_EQ(stores_->access_keys().PutAccessKey(k).code(), ErrorCode::kResourceExists);
  EXPECT_EQ((*stores_->access_keys().GetAccessKey("AKIATEST"))->sealed_secret, "sealed");
  for (const char* id : {"AKIAC", "AKIAA", "AKIAB"}) {
    ASSERT_TRUE(stores_->access_keys().PutAccessKey({id, "s", "123456789012", "p", 2}).ok());
  }
  auto p1 = *stores_->access_keys().ListAccessKeys("", 2);
  ASSERT_EQ(p1.size(), 2u);
  EXPECT_EQ(p1[0].access_key_id, "AKIAA");
  EXPECT_EQ(p1[1].access_key_id, "AKIAB");
  auto p2 = *stores_->access_keys().ListAccessKeys(p1.back().access_key_id, 2);
  ASSERT_EQ(p2.size(), 2u);
  EXPECT_EQ(p2[0].access_key_id, "AKIAC");
  EXPECT_EQ(p2[1].access_key_id, "AKIATEST");
  EXPECT_TRUE(stores_->access_keys().ListAccessKeys("AKIATEST", 2)->empty());
  ASSERT_TRUE(stores_->access_keys().DeleteAccessKey("AKIATEST").ok());
  EXPECT_EQ(stores_->access_keys().DeleteAccessKey("AKIATEST").code(),
            ErrorCode::kResourceNotFound);
  auto changes = AllChanges();
  ASSERT_EQ(changes.size(), 5u);
  EXPECT_EQ(changes.back().service, "arcana");
  EXPECT_EQ(changes.back().resource, "AKIATEST");
  EXPECT_EQ(changes.back().kind, "DeleteAccessKey");
}

TEST_F(SqliteStoreTest, EveryWriteAppendsItsChangesInCommitOrder) {
  auto s = Sample("changes");
  ASSERT_TRUE(secrets().Commit({{s, {{"v", "x"}}, {}, "CreateSecret"}}, {}).ok());
  auto read = **secrets().GetSecretByArn(s.arn);
  ASSERT_TRUE(secrets().Commit({{read, {}, {}, "UpdateSecretVersionStage"}}, {}).ok());
  // A failed write appends nothing.
  EXPECT_FALSE(secrets().Commit({{read, {}, {}, "Lost"}}, {}).ok());
  ASSERT_TRUE(secrets().Commit({}, {{s.arn, 0, "PurgeSecret"}}).ok());

  domain::ssm::Parameter p;
  p.account = scope_.account;
  p.region = scope_.region;
  p.key = p.name = "/app/x";
  domain::ssm::ParameterVersion pv;
  pv.version = 1;
  pv.type = "String";
  pv.tier = "Standard";
  p.versions = {pv};
  ASSERT_TRUE(stores_->parameters().CommitParameter({p, {{1, "val"}}, {}, "PutParameter"}).ok());
  ASSERT_TRUE(stores_->parameters()
                  .DeleteParameters(scope_, {{"/app/x", 0}}, "DeleteParameters")
                  .ok());

  domain::kms::Key k;
  k.account = scope_.account;
  k.region = scope_.region;
  k.key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  k.arn = domain::kms::KeyArn(k.region, k.account, k.key_id);
  ASSERT_TRUE(stores_->kms().PutKmsKey(k, {}, "CreateKey").ok());
  domain::kms::Alias a{scope_.account, scope_.region, "alias/app", k.key_id, 1, 1};
  ASSERT_TRUE(stores_->kms().PutKmsAlias(a, true, 50).ok());
  ASSERT_TRUE(stores_->meta().PutMeta("not-a-change", "x").ok());

  auto changes = AllChanges();
  ASSERT_EQ(changes.size(), 7u);
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(changes[i].account, scope_.account);
    EXPECT_GT(changes[i].at_ms, 0);
  }
  EXPECT_EQ(changes[0].service, "secretsmanager");
  EXPECT_EQ(changes[0].resource, s.arn);
  EXPECT_EQ(changes[0].kind, "CreateSecret");
  EXPECT_EQ(changes[1].kind, "UpdateSecretVersionStage");
  EXPECT_EQ(changes[2].kind, "PurgeSecret");
  EXPECT_EQ(changes[3].service, "ssm");
  EXPECT_EQ(changes[3].resource, domain::ssm::ParameterArn(scope_.region, scope_.account, "/app/x"));
  EXPECT_EQ(changes[3].kind, "PutParameter");
  EXPECT_EQ(changes[4].kind, "DeleteParameters");
  EXPECT_EQ(changes[5].service, "kms");
  EXPECT_EQ(changes[5].resource, k.arn);
  EXPECT_EQ(changes[5].kind, "CreateKey");
  EXPECT_EQ(changes[6].resource, domain::kms::AliasArn(a.region, a.account, a.name));
  EXPECT_EQ(changes[6].kind, "CreateAlias");
  EXPECT_EQ(*stores_->changes().Head(), 7);
  // Reads continue strictly after a seq, bounded by the limit.
  auto tail = *stores_->changes().ReadChanges(5, 1);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].seq, 6);
}

TEST_F(SqliteStoreTest, WaitForChangeWakesOnCommit) {
  const int64_t head = *stores_->changes().Head();
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto s = Sample("wake");
    EXPECT_TRUE(secrets().Commit({{s, {}, {}}}, {}).ok());
  });
  auto t0 = std::chrono::steady_clock::now();
  stores_->changes().WaitForChange(head, std::chrono::seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  writer.join();
  EXPECT_GT(*stores_->changes().Head(), head);
  // Already past: returns at once.
  t0 = std::chrono::steady_clock::now();
  stores_->changes().WaitForChange(head, std::chrono::seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(SqliteStoreTest, TrimKeepsTheNewestChangeAndSeqNeverGoesBack) {
  for (int i = 0; i < 5; ++i) {
    auto s = Sample("trim" + std::to_string(i));
    ASSERT_TRUE(secrets().Commit({{s, {}, {}}}, {}).ok());
  }
  const int64_t far_future = int64_t{1} << 62;
  EXPECT_EQ(*stores_->changes().TrimChanges(far_future), 4u);
  auto left = AllChanges();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].seq, 5);
  EXPECT_EQ(*stores_->changes().TrimChanges(far_future), 0u);
  Reopen();
  EXPECT_EQ(*stores_->changes().Head(), 5);
  auto s = Sample("after-trim");
  ASSERT_TRUE(secrets().Commit({{s, {}, {}}}, {}).ok());
  EXPECT_EQ(*stores_->changes().Head(), 6);
}

// Paging every ListSecrets order, both directions, matches a full sort by (key, ARN).
TEST_F(SqliteStoreTest, ListSecretsPagesEveryOrderBothWays) {
  std::vector<domain::sm::Secret> all;
  for (int i = 0; i < 23; ++i) {
    auto s = Sample("page-" + std::string(1, static_cast<char>('a' + (i * 7) % 23)));
    s.created_ms = 1000 + (i % 5);  // ties broken by ARN
    if (i % 3) s.last_changed_ms = 5000 - i;
    if (i % 4 == 0) s.last_accessed_ms = 7000 + (i % 2);
    s.deleted_ms.reset();
    if (i == 4) s.deleted_ms = 50;      // past its date: never listed
    if (i == 5) s.deleted_ms = 10'000;  // scheduled: listed with include_deleted only
    ASSERT_TRUE(secrets().Commit({{s, {}, {}}}, {}).ok());
    all.push_back(s);
  }
  auto other = Sample("elsewhere");
  other.region = "eu-west-1";
  other.arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:elsewhere-AbCdEf";
  other.deleted_ms.reset();
  ASSERT_TRUE(secrets().Commit({{other, {}, {}}}, {}).ok());

  for (auto order : {SecretOrder::kCreated, SecretOrder::kName, SecretOrder::kLastChanged,
                     SecretOrder::kLastAccessed}) {
    for (bool desc : {false, true}) {
      for (bool include_deleted : {false, true}) {
        std::vector<domain::sm::Secret> want;
        for (const auto& s : all) {
          if (s.deleted_ms && (!include_deleted || *s.deleted_ms <= 100)) continue;
          want.push_back(s);
        }
        auto less = [&](const domain::sm::Secret& a, const domain::sm::Secret& b) {
          auto pa = SecretStore::PositionOf(a, order), pb = SecretStore::PositionOf(b, order);
          auto ka = std::tie(pa.number, pa.name, pa.arn), kb = std::tie(pb.number, pb.name, pb.arn);
          return desc ? kb < ka : ka < kb;
        };
        std::sort(want.begin(), want.end(), less);
        SecretQuery q;
        q.order = order;
        q.descending = desc;
        q.include_deleted = include_deleted;
        q.now_ms = 100;
        q.limit = 4;
        std::vector<std::string> got;
        for (int pages = 0; pages < 20; ++pages) {
          auto page = secrets().ListSecrets(scope_, q);
          ASSERT_TRUE(page.ok());
          ASSERT_LE(page->size(), 4u);
          for (const auto& s : *page) got.push_back(s.arn);
          if (page->size() < q.limit) break;
          q.after = SecretStore::PositionOf(page->back(), order);
        }
        std::vector<std::string> want_arns;
        for (const auto& s : want) want_arns.push_back(s.arn);
        EXPECT_EQ(got, want_arns) << "order " << static_cast<int>(order) << " desc " << desc
                                  << " deleted " << include_deleted;
      }
    }
  }
}

domain::ssm::Parameter Param(const std::string& name, const std::string& tier,
                             std::optional<int64_t> expires = std::nullopt) {
  domain::ssm::Parameter p;
  p.account = "123456789012";
  p.region = "us-east-1";
  p.key = domain::ssm::NameKey(name);
  p.name = name;
  domain::ssm::ParameterVersion v;
  v.version = 1;
  v.type = "String";
  v.tier = tier;
  v.expires_ms = expires;
  p.versions = {v};
  return p;
}

TEST_F(SqliteStoreTest, ParametersRevisionsCountsPagingAndExpiry) {
  auto& ps = stores_->parameters();
  ASSERT_TRUE(ps.CommitParameter({Param("/a/1", "Standard"), {{1, "x"}}, {}}).ok());
  ASSERT_TRUE(ps.CommitParameter({Param("/a/2", "Advanced", 500), {{1, "x"}}, {}}).ok());
  ASSERT_TRUE(ps.CommitParameter({Param("/a/3", "Standard", 100), {{1, "x"}}, {}}).ok());
  ASSERT_TRUE(ps.CommitParameter({Param("/b/1", "Standard"), {{1, "x"}}, {}}).ok());
  ASSERT_TRUE(ps.CommitParameter({Param("top", "Standard"), {{1, "x"}}, {}}).ok());
  EXPECT_EQ(ps.CommitParameter({Param("/a/1", "Standard"), {}, {}}).code(),
            ErrorCode::kWriteConflict);  // create of an existing one
  auto counts = *ps.CountParameters(scope_);
  EXPECT_EQ(counts.standard, 4);
  EXPECT_EQ(counts.advanced, 1);
  EXPECT_EQ(ps.CountParameters({"999999999999", "us-east-1"})->standard, 0);

  // A tier change moves the count; a stale revision conflicts.
  auto p = **ps.GetParameter(scope_, "/a/1");
  ASSERT_EQ(p.revision, 1);
  p.Latest().tier = "Advanced";
  ASSERT_TRUE(ps.CommitParameter({p, {}, {}}).ok());
  EXPECT_EQ(ps.CommitParameter({p, {}, {}}).code(), ErrorCode::kWriteConflict);
  counts = *ps.CountParameters(scope_);
  EXPECT_EQ(counts.standard, 3);
  EXPECT_EQ(counts.advanced, 2);

  // Prefix paging, in key order, after a key.
  auto page = *ps.ListParameters(scope_, "/a/", "", 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].key, "/a/1");
  EXPECT_EQ(page[0].revision, 2);
  EXPECT_EQ(page[1].key, "/a/2");
  page = *ps.ListParameters(scope_, "/a/", "/a/2", 2);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].key, "/a/3");
  EXPECT_EQ(ps.ListParameters(scope_, "", "", 100)->size(), 5u);

  auto expired = *ps.ListParametersExpiredBefore(600, 1);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].key, "/a/3");  // earliest first
  EXPECT_EQ(ps.ListParametersExpiredBefore(600, 10)->size(), 2u);

  // Deletes skip absent keys and keys at another revision.
  auto gone = *ps.DeleteParameters(scope_, {{"/a/2", 1}, {"/a/1", 1}, {"/nope", 0}}, "Test");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], "/a/2");
  counts = *ps.CountParameters(scope_);
  EXPECT_EQ(counts.standard, 3);
  EXPECT_EQ(counts.advanced, 1);
  ASSERT_TRUE(ps.WipeParameters().ok());
  counts = *ps.CountParameters(scope_);
  EXPECT_EQ(counts.standard + counts.advanced, 0);
}

domain::kms::Key KmsKey(const std::string& id) {
  domain::kms::Key k;
  k.account = "123456789012";
  k.region = "us-east-1";
  k.key_id = id;
  k.arn = domain::kms::KeyArn(k.region, k.account, k.key_id);
  return k;
}

TEST_F(SqliteStoreTest, KmsRevisionsAndPagedLists) {
  auto& kms = stores_->kms();
  for (const char* id : {"k3", "k1", "k2"}) ASSERT_TRUE(kms.PutKmsKey(KmsKey(id), {}, "CreateKey").ok());
  EXPECT_EQ(kms.PutKmsKey(KmsKey("k1"), {}, "CreateKey").code(), ErrorCode::kAlreadyExists);
  auto k1 = **kms.GetKmsKey(scope_, "k1");
  EXPECT_EQ(k1.revision, 1);
  k1.description = "d";
  ASSERT_TRUE(kms.PutKmsKey(k1, {}, "UpdateKeyDescription").ok());
  EXPECT_EQ(kms.PutKmsKey(k1, {}, "UpdateKeyDescription").code(), ErrorCode::kWriteConflict);
  EXPECT_EQ((*kms.GetKmsKey(scope_, "k1"))->revision, 2);

  auto keys = *kms.ListKmsKeys(scope_, "", 2);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key_id, "k1");
  EXPECT_EQ(keys[1].key_id, "k2");
  keys = *kms.ListKmsKeys(scope_, "k2", 2);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_id, "k3");

  for (const char* name : {"alias/c", "alias/a", "alias/b"}) {
    ASSERT_TRUE(kms.PutKmsAlias({scope_.account, scope_.region, name,
                                 std::string(name) == "alias/b" ? "k2" : "k1", 1, 1},
                                true, 50)
                    .ok());
  }
  auto aliases = *kms.ListKmsAliases(scope_, "", "alias/a", 10);
  ASSERT_EQ(aliases.size(), 2u);
  EXPECT_EQ(aliases[0].name, "alias/b");
  aliases = *kms.ListKmsAliases(scope_, "k1", "", 10);
  ASSERT_EQ(aliases.size(), 2u);
  EXPECT_EQ(aliases[0].name, "alias/a");
  EXPECT_EQ(aliases[1].name, "alias/c");

  for (const char* gid : {"g2", "g1", "g3"}) {
    domain::kms::Grant g;
    g.account = scope_.account;
    g.region = scope_.region;
    g.key_id = "k1";
    g.grant_id = gid;
    g.retiring_principal = std::string(gid) == "g2" ? "" : "arn:p";
    ASSERT_TRUE(kms.CreateKmsGrant(g, /*key_revision=*/2, 10).ok());  // k1 is at 2
  }
  auto grants = *kms.ListKmsGrants(scope_, "k1", "g1", 1);
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].grant_id, "g2");
  grants = *kms.ListKmsGrantsByRetiringPrincipal(scope_.region, "arn:p", "", 10);
  ASSERT_EQ(grants.size(), 2u);
  EXPECT_EQ(grants[0].grant_id, "g1");
  EXPECT_EQ(grants[1].grant_id, "g3");

  // Delete at a stale revision conflicts; at the stored one it takes aliases and grants.
  EXPECT_EQ(kms.DeleteKmsKey(scope_, "k1", 1).code(), ErrorCode::kWriteConflict);
  ASSERT_TRUE(kms.DeleteKmsKey(scope_, "k1", 2).ok());
  EXPECT_FALSE(kms.GetKmsKey(scope_, "k1")->has_value());
  EXPECT_EQ(kms.ListKmsAliases(scope_, "", "", 10)->size(), 1u);
  EXPECT_TRUE(kms.ListKmsGrants(scope_, "k1", "", 10)->empty());
  auto changes = AllChanges();
  int alias_deletes = 0;
  for (const auto& c : changes) alias_deletes += c.kind == "DeleteAlias";
  EXPECT_EQ(alias_deletes, 2);
  EXPECT_EQ(changes.back().kind, "DeleteKey");
  EXPECT_EQ(changes.back().resource, KmsKey("k1").arn);
}

TEST_F(SqliteStoreTest, KmsKeysDueAreBounded) {
  auto& kms = stores_->kms();
  for (int i = 0; i < 5; ++i) {
    auto k = KmsKey("due" + std::to_string(i));
    k.key_state = domain::kms::kStatePendingDeletion;
    k.deletion_ms = 100 + i;
    ASSERT_TRUE(kms.PutKmsKey(k, {}, "CreateKey").ok());
  }
  EXPECT_EQ(kms.ListKmsKeysDue(1000, 3)->size(), 3u);
  EXPECT_EQ(kms.ListKmsKeysDue(1000, 10)->size(), 5u);
  EXPECT_EQ(kms.ListKmsKeysDue(102, 10)->size(), 3u);
}

TEST_F(SqliteStoreTest, JobsClaimRenewCompleteCancel) {
  auto& jobs = stores_->jobs();
  ASSERT_TRUE(jobs.ScheduleJob("purge", 100, "p1", false).ok());
  ASSERT_TRUE(jobs.ScheduleJob("purge", 999, "p2", false).ok());  // kept: registered already
  EXPECT_EQ((*jobs.GetJob("purge"))->due_ms, 100);
  ASSERT_TRUE(jobs.ScheduleJob("later", 500, "l", false).ok());
  EXPECT_EQ(**jobs.NextDueMs(), 100);

  EXPECT_TRUE(jobs.ClaimDueJobs("node-a", 50, 1000, 10)->empty());  // not due yet
  auto claimed = *jobs.ClaimDueJobs("node-a", 100, 1000, 10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].name, "purge");
  EXPECT_EQ(claimed[0].payload, "p1");
  EXPECT_EQ(claimed[0].attempts, 1);
  // Held: nobody else gets it until the lease expires.
  EXPECT_TRUE(jobs.ClaimDueJobs("node-b", 200, 1000, 10)->empty());
  EXPECT_TRUE(*jobs.RenewJobLease("purge", "node-a", 2000));
  EXPECT_FALSE(*jobs.RenewJobLease("purge", "node-b", 3000));
  auto other = *jobs.ClaimDueJobs("node-b", 1500, 1000, 10);  // lease of "later": until 2500
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].name, "later");
  // Lease expired: another node takes over, and the first one can no longer complete.
  auto taken = *jobs.ClaimDueJobs("node-c", 2000, 1000, 10);
  auto purge = std::find_if(taken.begin(), taken.end(),
                            [](const storage::Job& j) { return j.name == "purge"; });
  ASSERT_NE(purge, taken.end());
  EXPECT_EQ(jobs.CompleteJob(claimed[0], "node-a", 5000, std::nullopt).code(),
            ErrorCode::kWriteConflict);
  ASSERT_TRUE(jobs.CompleteJob(*purge, "node-c", 5000, std::nullopt).ok());
  auto j = **jobs.GetJob("purge");
  EXPECT_EQ(j.due_ms, 5000);
  EXPECT_EQ(j.attempts, 0);
  auto both = *jobs.ClaimDueJobs("node-d", 5000, 10, 10);
  ASSERT_EQ(both.size(), 2u);  // purge and "later"
  const storage::Job& later = both[0].name == "later" ? both[0] : both[1];
  ASSERT_TRUE(jobs.CompleteJob(later, "node-d", std::nullopt, std::nullopt).ok());
  EXPECT_FALSE(jobs.GetJob("later")->has_value());
  ASSERT_TRUE(jobs.ScheduleJob("purge", 42, "p3", true).ok());  // replace_due
  EXPECT_EQ((*jobs.GetJob("purge"))->payload, "p3");
  ASSERT_TRUE(jobs.CancelJob("purge").ok());
  EXPECT_FALSE(jobs.GetJob("purge")->has_value());
  EXPECT_FALSE(jobs.NextDueMs()->has_value());
}

// Exactly one of several concurrent claimers gets each due run.
TEST_F(SqliteStoreTest, ConcurrentClaimsNeverShareARun) {
  auto& jobs = stores_->jobs();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(jobs.ScheduleJob("j" + std::to_string(i), 1, "", false).ok());
  std::atomic<int> total{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round) {
        auto got = jobs.ClaimDueJobs("node-" + std::to_string(t), 10, 100000, 3);
        if (got.ok()) total += static_cast<int>(got->size());
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(total.load(), 20);
}

// Group commit: concurrent writes all land, each with its change row; a write that
// conflicts fails alone while the others of its batch commit.
TEST_F(SqliteStoreTest, ConcurrentCommitsAllLandAndAConflictFailsAlone) {
  auto base = Sample("contended");
  base.deleted_ms.reset();
  ASSERT_TRUE(secrets().Commit({{base, {}, {}}}, {}).ok());
  auto read = **secrets().GetSecretByArn(base.arn);
  const int64_t head0 = *stores_->changes().Head();
  constexpr int kThreads = 16;
  std::atomic<int> ok{0}, conflicts{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      // Every thread updates the same secret from the same revision: exactly one wins.
      auto mine = read;
      mine.description = "writer " + std::to_string(t);
      Status st = secrets().Commit({{mine, {}, {}}}, {});
      if (st.code() == ErrorCode::kWriteConflict) ++conflicts;
      // And creates its own secret, which always lands.
      auto own = Sample("own-" + std::to_string(t));
      own.deleted_ms.reset();
      if (secrets().Commit({{own, {{"v", "x"}}, {}}}, {}).ok()) ++ok;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ((*secrets().GetSecretByArn(base.arn))->revision, 2);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_TRUE(secrets().GetSealedValue(Sample("own-" + std::to_string(t)).arn, "v")->has_value());
  }
  EXPECT_EQ(*stores_->changes().Head(), head0 + kThreads + 1);
  // The head survives a reopen (every acknowledged change is durable).
  Reopen();
  EXPECT_EQ(*stores_->changes().Head(), head0 + kThreads + 1);
}

// The committer batches what queues while a commit runs: here, everything queued behind a
// write held open. Each write runs in its own savepoint: the failing one leaves no trace.
TEST(SqliteGroupCommit, OneBatchKeepsTheGoodWritesAndDropsTheFailedOne) {
  auto dir = std::filesystem::temp_directory_path() /
             ("arcana-group-commit-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto db = sqlite::Database::Open((dir / "db").string(),
                                     {sqlite::SqliteSecretStore::Schema(),
                                      sqlite::SqliteChangeLog::Schema()});
    ASSERT_TRUE(db.ok()) << db.status().message();
    sqlite::SqliteSecretStore secrets(**db);
    std::mutex mu;
    std::condition_variable cv;
    bool holding = false, release = false;
    std::thread holder([&] {
      EXPECT_TRUE((*db)->Write([&](sqlite::WriteTxn&) {
                          std::unique_lock<std::mutex> l(mu);
                          holding = true;
                          cv.notify_all();
                          cv.wait(l, [&] { return release; });
                          return Status::Ok();
                        }).ok());
    });
    {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return holding; });
    }
    constexpr int kWriters = 8;
    std::atomic<int> ok{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < kWriters; ++t) {
      ts.emplace_back([&, t] {
        auto s = Sample("batched-" + std::to_string(t));
        if (secrets.Commit({{s, {}, {}}}, {}).ok()) ++ok;
      });
    }
    Status failed;
    std::thread bad([&] {
      failed = (*db)->Write([&](sqlite::WriteTxn& txn) -> Status {
        auto s = Sample("never");
        ARCANA_RETURN_IF_ERROR(txn.AddChange(s.account, s.region, "secretsmanager", s.arn, "X"));
        ARCANA_RETURN_IF_ERROR(txn.conn().Exec(
            "INSERT INTO secrets (arn, account, region, name, meta) VALUES "
            "('never', 'a', 'r', 'never', '{}')"));
        return Status(ErrorCode::kWriteConflict, "lost");
      });
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let them all queue
    {
      std::lock_guard<std::mutex> l(mu);
      release = true;
      cv.notify_all();
    }
    holder.join();
    for (auto& t : ts) t.join();
    bad.join();
    EXPECT_EQ(ok.load(), kWriters);
    EXPECT_EQ(failed.code(), ErrorCode::kWriteConflict);
    EXPECT_FALSE(secrets.GetSecretByArn("never")->has_value());
    EXPECT_EQ((*db)->head(), kWriters);  // the failed write's change row was rolled back
  }
  std::filesystem::remove_all(dir);
}

// A data dir written before issue 9 (first migrations only) opens with every row at
// revision 1, the ListSecrets sort columns filled from the metadata, and parameter counts.
TEST_F(SqliteStoreTest, MigratesAStoreWrittenBeforeRevisions) {
  stores_.reset();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  const std::string path = (dir_ / "db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql.substr(0, 80);
    sqlite3_free(err);
  };
  auto quote = [](const std::string& v) {
    std::string out = "'";
    for (char ch : v) out += ch == '\'' ? std::string("''") : std::string(1, ch);
    return out + "'";
  };
  exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)");
  for (auto m : {sqlite::SqliteSecretStore::Schema(), sqlite::SqliteKmsStore::Schema(),
                 sqlite::SqliteParameterStore::Schema()}) {
    exec(m.steps[0]);
    exec(std::string("INSERT INTO meta VALUES ('schema:") + m.component + "', '1')");
  }
  auto s = Sample("old");
  s.last_changed_ms = 1700000000500;
  s.last_accessed_ms = 1700000000000;
  exec("INSERT INTO secrets (arn, account, region, name, deleted_ms, meta) VALUES (" +
       quote(s.arn) + ", " + quote(s.account) + ", " + quote(s.region) + ", " + quote(s.name) +
       ", NULL, " + quote(EncodeSecretMetadata(s)) + ")");
  auto p = Param("/old/p", "Advanced");
  exec("INSERT INTO ssm_parameters (account, region, key, tier, expires_ms, meta) VALUES (" +
       quote(p.account) + ", " + quote(p.region) + ", " + quote(p.key) + ", 'Advanced', NULL, " +
       quote(EncodeParameterMetadata(p)) + ")");
  auto k = KmsKey("old-key");
  exec("INSERT INTO kms_keys (account, region, key_id, meta) VALUES (" + quote(k.account) +
       ", " + quote(k.region) + ", " + quote(k.key_id) + ", " + quote(EncodeKmsKey(k)) + ")");
  sqlite3_close(db);

  Reopen();
  auto got = **secrets().GetSecretByArn(s.arn);
  EXPECT_EQ(got.revision, 1);
  SecretQuery q;
  q.order = SecretOrder::kLastChanged;
  q.after = SecretPosition{1700000000499, "", ""};
  auto page = *secrets().ListSecrets(scope_, q);
  ASSERT_EQ(page.size(), 1u);  // sorted by the migrated changed_ms column
  q.after = SecretPosition{1700000000500, "", s.arn};
  EXPECT_TRUE(secrets().ListSecrets(scope_, q)->empty());
  EXPECT_EQ((*stores_->parameters().GetParameter(scope_, "/old/p"))->revision, 1);
  EXPECT_EQ(stores_->parameters().CountParameters(scope_)->advanced, 1);
  EXPECT_EQ((*stores_->kms().GetKmsKey(scope_, "old-key"))->revision, 1);
  EXPECT_EQ(*stores_->changes().Head(), 0);
  // And the migrated rows take part in revision checks.
  got.description = "new";
  ASSERT_TRUE(secrets().Commit({{got, {}, {}}}, {}).ok());
  EXPECT_EQ((*secrets().GetSecretByArn(s.arn))->revision, 2);
}

// OpenStores puts this node's caches in front of the backend: a read after a write sees it.
TEST_F(SqliteStoreTest, OpenStoresServesFreshReadsThroughItsCaches) {
  stores_.reset();
  auto opened = OpenStores({StoreLocation::Kind::kSqlite, dir_.string(), ""});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto& st = **opened;
  EXPECT_STREQ(st.backend(), "sqlite");
  auto s = Sample("cached");
  ASSERT_TRUE(st.secrets().Commit({{s, {{"v", "one"}}, {}}}, {}).ok());
  EXPECT_EQ(**st.secrets().GetSealedValue(s.arn, "v"), "one");
  auto read = **st.secrets().GetSecretByArn(s.arn);
  EXPECT_EQ((*st.secrets().GetSecretByArn(s.arn))->description, read.description);  // cached
  read.description = "changed";
  ASSERT_TRUE(st.secrets().Commit({{read, {{"v", "two"}}, {}}}, {}).ok());
  EXPECT_EQ((*st.secrets().GetSecretByArn(s.arn))->description, "changed");
  EXPECT_EQ(**st.secrets().GetSealedValue(s.arn, "v"), "two");
}

// A write function that writes again through the Database would wait for its own batch:
// refused with an error instead of a deadlock.
TEST(SqliteGroupCommit, NestedWriteIsRefused) {
  auto dir = std::filesystem::temp_directory_path() /
             ("arcana-nested-write-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto db = sqlite::Database::Open((dir / "db").string(), {sqlite::SqliteChangeLog::Schema()});
    ASSERT_TRUE(db.ok());
    Status inner;
    Status outer = (*db)->Write([&](sqlite::WriteTxn&) {
      inner = (*db)->Write([](sqlite::WriteTxn&) { return Status::Ok(); });
      return inner;
    });
    EXPECT_EQ(inner.code(), ErrorCode::kInternalServiceError);
    EXPECT_FALSE(outer.ok());
    EXPECT_TRUE((*db)->Write([](sqlite::WriteTxn&) { return Status::Ok(); }).ok());
  }
  std::filesystem::remove_all(dir);
}

TEST(StoreLocation, ParsesAndRedacts) {
  auto s = ParseStoreLocation("sqlite:/var/lib/arcana");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, StoreLocation::Kind::kSqlite);
  EXPECT_EQ(s->sqlite_dir, "/var/lib/arcana");
  auto pg = ParseStoreLocation("postgresql://arcana:s3cr@t@db.example:5432/arcana");
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ(pg->kind, StoreLocation::Kind::kPostgres);
  EXPECT_EQ(Redacted(*pg), "postgresql://arcana:***@db.example:5432/arcana");
  auto q = ParseStoreLocation("postgres://db/arcana?user=a&password=hunter2&sslmode=require");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(Redacted(*q), "postgres://db/arcana?user=a&password=***&sslmode=require");
  for (const char* bad : {"", "sqlite:", "/var/lib/arcana", "mysql://x", "postgresql:/x"}) {
    auto r = ParseStoreLocation(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidParameter);
  }
  // A PostgreSQL store nobody serves: unavailable (503), never a crash or a hang.
  StoreLocation where;
  where.kind = StoreLocation::Kind::kPostgres;
  where.pg_url = "postgresql://arcana@127.0.0.1:1/arcana";
  EXPECT_EQ(OpenStores(where).status().code(), ErrorCode::kServiceUnavailable);
}

}  // namespace
}  // namespace arcana::storage
