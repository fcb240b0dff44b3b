// The SQLite store and the secret metadata codec: round trips, atomic commits, migrations.
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/secret_codec.h"
#include "storage/sqlite_store.h"

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
    auto st = SqliteStore::Open((dir_ / "db").string());
    ASSERT_TRUE(st.ok()) << st.status().message();
    store_ = std::move(st).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, CommitAndLookupByArnAndName) {
  auto s = Sample("app/db");
  ASSERT_TRUE(store_->Commit({{s, {{s.versions[0].version_id, "sealed-bytes"}}, {}}}, {}).ok());
  auto by_arn = store_->GetSecretByArn(s.arn);
  ASSERT_TRUE(by_arn.ok() && by_arn->has_value());
  auto by_name = store_->GetSecretByName({"123456789012", "us-east-1"}, "app/db");
  ASSERT_TRUE(by_name.ok() && by_name->has_value());
  EXPECT_EQ((*by_name)->arn, s.arn);
  auto other_region = store_->GetSecretByName({"123456789012", "eu-west-1"}, "app/db");
  ASSERT_TRUE(other_region.ok());
  EXPECT_FALSE(other_region->has_value());
  auto value = store_->GetSealedValue(s.arn, s.versions[0].version_id);
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(**value, "sealed-bytes");
  auto due = store_->ListSecretsDeletedBefore(1700000999000);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->size(), 1u);
}

TEST_F(SqliteStoreTest, DeleteRemovesSecretAndValues) {
  auto s = Sample("gone");
  ASSERT_TRUE(store_->Commit({{s, {{"v", "x"}}, {}}}, {}).ok());
  ASSERT_TRUE(store_->Commit({}, {s.arn}).ok());
  EXPECT_FALSE(store_->GetSecretByArn(s.arn)->has_value());
  EXPECT_FALSE(store_->GetSealedValue(s.arn, "v")->has_value());
}

TEST_F(SqliteStoreTest, DuplicateNameInScopeFailsWholeCommit) {
  auto a = Sample("dup");
  auto b = Sample("dup");
  b.arn += "x";
  auto c = Sample("other");
  ASSERT_TRUE(store_->Commit({{a, {}, {}}}, {}).ok());
  EXPECT_FALSE(store_->Commit({{c, {}, {}}, {b, {}, {}}}, {}).ok());
  EXPECT_FALSE(store_->GetSecretByArn(c.arn)->has_value());  // rolled back together
}

TEST_F(SqliteStoreTest, ReopenKeepsDataAndSchema) {
  auto s = Sample("persist");
  ASSERT_TRUE(store_->Commit({{s, {}, {}}}, {}).ok());
  ASSERT_TRUE(store_->PutMeta("k", "v").ok());
  store_.reset();
  auto again = SqliteStore::Open((dir_ / "db").string());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->GetSecretByArn(s.arn)->has_value());
  EXPECT_EQ(**(*again)->GetMeta("k"), "v");
}

TEST_F(SqliteStoreTest, AccessKeysCrud) {
  AccessKeyRecord k{"AKIATEST", "sealed", "123456789012", "arn:aws:iam::123456789012:root", 1};
  ASSERT_TRUE(store_->PutAccessKey(k).ok());
  EXPECT_EQ(store_->PutAccessKey(k).code(), ErrorCode::kResourceExists);
  EXPECT_EQ((*store_->GetAccessKey("AKIATEST"))->sealed_secret, "sealed");
  EXPECT_EQ(store_->ListAccessKeys()->size(), 1u);
  ASSERT_TRUE(store_->DeleteAccessKey("AKIATEST").ok());
  EXPECT_EQ(store_->DeleteAccessKey("AKIATEST").code(), ErrorCode::kResourceNotFound);
}

}  // namespace
}  // namespace arcana::storage
