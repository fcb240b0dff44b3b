// KmsDataKeyProvider's cache of unwrapped data keys (kms_data_key_provider.h) over a real
// store: a value read again is served from the cache, but only while its KMS key may still be
// used (disabled or past its deletion date: refused at once, as without the cache); the cache
// is bounded, wiped by Forget() (seal, dev reset), and never serves while sealed.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <vector>

#include "crypto/envelope.h"
#include "crypto/random.h"
#include "domain/kms/rules.h"
#include "services/kms/key_ring.h"
#include "services/kms/kms_data_key_provider.h"
#include "storage/stores.h"

namespace arcana::services::kms {
namespace {

namespace dk = domain::kms;

class DataKeyCacheProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kms-dkc-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::OpenStores({storage::StoreLocation::Kind::kSqlite, dir_.string(), ""});
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(s).value();
    ring_ = std::make_unique<KeyRing>(stores_->kms(), root_);
  }
  void TearDown() override {
    ring_.reset();
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<KmsDataKeyProvider> Provider(size_t capacity = DataKeyCache::kDefaultCapacity) {
    return std::make_unique<KmsDataKeyProvider>(*ring_, root_, [this] { return now_ms_; },
                                                capacity);
  }
  Key NewKey() {
    Key k;
    k.account = scope_.account;
    k.region = scope_.region;
    k.key_id = dk::NewKeyId(false);
    k.arn = dk::KeyArn(k.region, k.account, k.key_id);
    k.created_ms = 1000;
    k.key_spec = "SYMMETRIC_DEFAULT";
    k.key_usage = "ENCRYPT_DECRYPT";
    k.policy = dk::DefaultKeyPolicy(k.account);
    EXPECT_TRUE(ring_->CreateKey(k, 1000).ok());
    return k;
  }
  // Changes the stored key as a KMS operation would (at the revision read).
  void Update(const std::string& key_id, const std::function<void(Key&)>& change) {
    auto k = stores_->kms().GetKmsKey({scope_.account, scope_.region}, key_id);
    ASSERT_TRUE(k.ok() && k->has_value());
    change(**k);
    ASSERT_TRUE(stores_->kms().PutKmsKey(**k, {}, "Test").ok());
  }
  crypto::KeyScope scope_{"123456789012", "us-east-1", "alias/aws/secretsmanager"};
  crypto::EncryptionContext ctx_{{"SecretARN", "arn:s"}, {"SecretVersionId", "v1"}};
  crypto::RootKey root_ = crypto::RootKey::FromBytes(std::string(32, '\x42'));
  int64_t now_ms_ = 5000;
  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> stores_;
  std::unique_ptr<KeyRing> ring_;
};

TEST_F(DataKeyCacheProviderTest, ReadsAreServedFromTheCacheUnderTheirExactContext) {
  auto p = Provider();
  Key key = NewKey();
  auto sealed = crypto::SealValue(*p, scope_, key.arn, ctx_, "top secret");
  ASSERT_TRUE(sealed.ok()) << sealed.status().message();
  EXPECT_EQ(p->cached(), 1u);  // the generated data key, for the first read
  for (int i = 0; i < 3; ++i) {
    auto opened = crypto::OpenValue(*p, scope_, ctx_, *sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    EXPECT_EQ(*opened, "top secret");
  }
  EXPECT_EQ(p->cached(), 1u);
  // Another context never matches the cached entry (and does not open).
  EXPECT_FALSE(crypto::OpenValue(*p, scope_, {{"SecretARN", "arn:other"}}, *sealed).ok());
  // A fresh provider (another node) caches on its first read.
  auto q = Provider();
  ASSERT_TRUE(crypto::OpenValue(*q, scope_, ctx_, *sealed).ok());
  EXPECT_EQ(q->cached(), 1u);
}

TEST_F(DataKeyCacheProviderTest, ADisabledKeyIsRefusedAtOnceDespiteTheCache) {
  auto p = Provider();
  Key key = NewKey();
  auto sealed = crypto::SealValue(*p, scope_, key.arn, ctx_, "v");
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE(crypto::OpenValue(*p, scope_, ctx_, *sealed).ok());
  Update(key.key_id, [](Key& k) { k.key_state = dk::kStateDisabled; });
  auto refused = crypto::OpenValue(*p, scope_, ctx_, *sealed);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kDecryptionFailure);
  EXPECT_NE(refused.status().message().find("disabled"), std::string::npos);
  EXPECT_EQ(p->cached(), 0u);  // the entry was dropped
  Update(key.key_id, [](Key& k) { k.key_state = dk::kStateEnabled; });
  ASSERT_TRUE(crypto::OpenValue(*p, scope_, ctx_, *sealed).ok());
}

TEST_F(DataKeyCacheProviderTest, AKeyPastItsDeletionDateIsRefused) {
  auto p = Provider();
  Key key = NewKey();
  auto sealed = crypto::SealValue(*p, scope_, key.arn, ctx_, "v");
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE(crypto::OpenValue(*p, scope_, ctx_, *sealed).ok());
  Update(key.key_id, [this](Key& k) {
    k.key_state = dk::kStatePendingDeletion;
    k.deletion_ms = now_ms_ + 1000;
  });
  EXPECT_FALSE(crypto::OpenValue(*p, scope_, ctx_, *sealed).ok());  // pending deletion
  now_ms_ += 2000;
  EXPECT_FALSE(crypto::OpenValue(*p, scope_, ctx_, *sealed).ok());  // gone
}

TEST_F(DataKeyCacheProviderTest, ForgetWipesAndTheNextReadUnwrapsAgain) {
  auto p = Provider();
  Key key = NewKey();
  auto sealed = crypto::SealValue(*p, scope_, key.arn, ctx_, "v");
  ASSERT_TRUE(sealed.ok());
  p->Forget();
  EXPECT_EQ(p->cached(), 0u);
  auto opened = crypto::OpenValue(*p, scope_, ctx_, *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "v");
  EXPECT_EQ(p->cached(), 1u);
}

TEST_F(DataKeyCacheProviderTest, NothingIsServedWhileSealed) {
  auto p = Provider();
  Key key = NewKey();
  auto sealed = crypto::SealValue(*p, scope_, key.arn, ctx_, "v");
  ASSERT_TRUE(sealed.ok());
  std::string key_bytes(32, '\x42');
  root_.Wipe();  // sealed; the seal listener's Forget() may not have run yet
  auto r = crypto::OpenValue(*p, scope_, ctx_, *sealed);
  ASSERT_FALSE(r.ok());
  root_.Install(key_bytes);
  EXPECT_TRUE(crypto::OpenValue(*p, scope_, ctx_, *sealed).ok());
}

TEST_F(DataKeyCacheProviderTest, TheCacheIsBounded) {
  auto p = Provider(/*capacity=*/2);
  Key key = NewKey();
  std::vector<std::string> values;
  for (int i = 0; i < 5; ++i) {
    crypto::EncryptionContext ctx{{"SecretARN", "arn:s"}, {"SecretVersionId", std::to_string(i)}};
    auto sealed = crypto::SealValue(*p, scope_, key.arn, ctx, "v" + std::to_string(i));
    ASSERT_TRUE(sealed.ok());
    values.push_back(*sealed);
    EXPECT_LE(p->cached(), 2u);
  }
  for (int i = 0; i < 5; ++i) {  // evicted entries unwrap again
    crypto::EncryptionContext ctx{{"SecretARN", "arn:s"}, {"SecretVersionId", std::to_string(i)}};
    auto opened = crypto::OpenValue(*p, scope_, ctx, values[i]);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, "v" + std::to_string(i));
  }
  EXPECT_EQ(p->cached(), 2u);
}

}  // namespace
}  // namespace arcana::services::kms
