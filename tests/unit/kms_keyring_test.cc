// KeyRing over a real SQLite store: key creation, rotation across materials (old
// ciphertexts still decrypt), state rules, no plaintext material on disk, and the
// Secrets Manager data-key provider (KMS path and legacy root-key blobs).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/random.h"
#include "domain/kms/rules.h"
#include "services/kms/key_ring.h"
#include "services/kms/kms_data_key_provider.h"
#include "services/kms/kms_service.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana::services::kms {
namespace {

namespace dk = domain::kms;

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kms-unit-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::sqlite::OpenSqliteStores((dir_ / "arcana.db").string());
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(*s);
    store_ = &stores_->kms();
    ring_ = std::make_unique<KeyRing>(*store_, root_);
  }
  void TearDown() override {
    ring_.reset();
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }
  Key NewKey(const std::string& spec = "SYMMETRIC_DEFAULT",
             const std::string& usage = "ENCRYPT_DECRYPT") {
    Key k;
    k.account = "123456789012";
    k.region = "us-east-1";
    k.key_id = dk::NewKeyId(false);
    k.arn = dk::KeyArn(k.region, k.account, k.key_id);
    k.created_ms = 1000;
    k.key_spec = spec;
    k.key_usage = usage;
    k.policy = dk::DefaultKeyPolicy(k.account);
    EXPECT_TRUE(ring_->CreateKey(k, 1000).ok());
    return k;
  }
  storage::Scope scope_{"123456789012", "us-east-1"};
  crypto::RootKey root_ = crypto::RootKey::FromBytes(std::string(32, '\x42'));
  std::filesystem::path dir_;
  // Writes k's metadata over the stored key (k.revision follows the store).
  Status Save(Key& k) {
    ARCANA_RETURN_IF_ERROR(store_->PutKmsKey(k, {}, "UpdateKey"));
    ++k.revision;
    return Status::Ok();
  }
  std::unique_ptr<storage::Stores> stores_;
  storage::KmsStore* store_ = nullptr;
  std::unique_ptr<KeyRing> ring_;
};

// A key purged through another node (straight through the store here, not this ring) leaves
// this ring's memory at its next freshness check: the plaintext material is not kept until
// restart (key_ring.h).
TEST_F(KeyRingTest, AKeyPurgedElsewhereLeavesThisRingsMemory) {
  ring_->FollowChanges(stores_->follower());
  Key k = NewKey();
  Key kept = NewKey();
  const std::string m = k.current_material()->id;
  ASSERT_TRUE(ring_->Material(k, m).ok());  // unwrapped and cached
  ASSERT_TRUE(ring_->Material(kept, kept.current_material()->id).ok());
  ASSERT_TRUE(store_->DeleteKmsKey(scope_, k.key_id, 0).ok());
  ASSERT_TRUE(stores_->follower().Sync().ok());
  EXPECT_FALSE(ring_->Material(k, m).ok());  // not served from memory: its row is gone
  EXPECT_TRUE(ring_->Material(kept, kept.current_material()->id).ok());
}

TEST_F(KeyRingTest, RotationKeepsOldCiphertextsDecryptable) {
  Key k = NewKey();
  crypto::EncryptionContext ctx{{"app", "x"}};
  auto c1 = ring_->Encrypt(k, ctx, "first");
  ASSERT_TRUE(c1.ok());
  std::string m1 = k.current_material()->id;
  ASSERT_TRUE(ring_->Rotate(k, "ON_DEMAND", 2000).ok());
  ASSERT_TRUE(ring_->Rotate(k, "AUTOMATIC", 3000).ok());
  ASSERT_EQ(k.materials.size(), 3u);
  EXPECT_NE(k.current_material()->id, m1);
  auto c3 = ring_->Encrypt(k, ctx, "third");
  ASSERT_TRUE(c3.ok());
  // Fresh ring (empty cache): everything comes from the store.
  ring_ = std::make_unique<KeyRing>(*store_, root_);
  auto d1 = ring_->Decrypt(scope_, *c1, ctx, 5000);
  ASSERT_TRUE(d1.ok()) << d1.status().message();
  EXPECT_EQ(d1->plaintext, "first");
  EXPECT_EQ(d1->material_id, m1);
  auto d3 = ring_->Decrypt(scope_, *c3, ctx, 5000);
  ASSERT_TRUE(d3.ok());
  EXPECT_EQ(d3->plaintext, "third");
  EXPECT_EQ(d3->material_id, k.current_material()->id);
  // Context mismatch.
  auto bad = ring_->Decrypt(scope_, *c1, {{"app", "y"}}, 5000);
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidCiphertext);
  // Another scope does not find the key.
  auto other = ring_->Decrypt({"123456789012", "eu-west-1"}, *c1, ctx, 5000);
  EXPECT_FALSE(other.ok());
}

// AWS (GetKeyRotationStatus): "while the KMS key is disabled, KMS does not rotate the key
// material. When you re-enable the KMS key, rotation resumes. If the key material ... hasn't
// been rotated in one year, KMS rotates it immediately".
TEST_F(KeyRingTest, AutomaticRotationSkipsDisabledKeysAndResumesOnEnable) {
  Key k = NewKey();
  auto reread = [&] { return **store_->GetKmsKey(scope_, k.key_id); };
  k = reread();
  k.rotation_enabled = true;
  k.rotation_period_days = 365;
  k.rotation_base_ms = 1000;
  k.key_state = dk::kStateDisabled;
  ASSERT_TRUE(Save(k).ok());
  const int64_t now = 1000 + 400LL * 86400000;  // more than a year later
  KmsService kms(*ring_);
  ASSERT_TRUE(kms.Maintain(now).ok());
  EXPECT_EQ(reread().materials.size(), 1u) << "a disabled key was rotated";
  k = reread();
  k.key_state = dk::kStateEnabled;
  ASSERT_TRUE(Save(k).ok());
  ASSERT_TRUE(kms.Maintain(now).ok());
  EXPECT_EQ(reread().materials.size(), 2u) << "a re-enabled key a year overdue was not rotated";
}

TEST_F(KeyRingTest, StatesAndTampering) {
  Key k = NewKey();
  auto c = ring_->Encrypt(k, {}, "v");
  ASSERT_TRUE(c.ok());
  k.key_state = dk::kStateDisabled;
  ASSERT_TRUE(Save(k).ok());
  EXPECT_EQ(ring_->Decrypt(scope_, *c, {}, 5000).status().code(), ErrorCode::kDisabled);
  k.key_state = dk::kStatePendingDeletion;
  k.deletion_ms = 10000;
  ASSERT_TRUE(Save(k).ok());
  EXPECT_EQ(ring_->Decrypt(scope_, *c, {}, 5000).status().code(), ErrorCode::kKmsInvalidState);
  // After the deletion date the key is gone.
  EXPECT_EQ(ring_->Resolve(scope_, k.key_id, 20000).status().code(), ErrorCode::kKmsNotFound);
  k.key_state = dk::kStateEnabled;
  k.deletion_ms.reset();
  ASSERT_TRUE(Save(k).ok());
  for (size_t i = 0; i < c->size(); ++i) {
    std::string t = *c;
    t[i] ^= 0x20;
    auto r = ring_->Decrypt(scope_, t, {}, 5000);
    ASSERT_FALSE(r.ok()) << i;
  }
}

TEST_F(KeyRingTest, ResolveByAliasAndArn) {
  Key k = NewKey();
  dk::Alias a{scope_.account, scope_.region, "alias/app", k.key_id, 1, 1};
  ASSERT_TRUE(store_->PutKmsAlias(a, true, 50).ok());
  EXPECT_EQ(ring_->Resolve(scope_, k.arn, 1)->key_id, k.key_id);
  EXPECT_EQ(ring_->Resolve(scope_, "alias/app", 1)->key_id, k.key_id);
  EXPECT_EQ(ring_->Resolve(scope_, "arn:aws:kms:us-east-1:123456789012:alias/app", 1)->key_id,
            k.key_id);
  EXPECT_EQ(ring_->Resolve(scope_, "alias/nope", 1).status().code(), ErrorCode::kKmsNotFound);
  EXPECT_EQ(ring_->Resolve(scope_, "arn:aws:kms:bad", 1).status().code(), ErrorCode::kInvalidArn);
  KeyRing::ResolveOptions no_alias;
  no_alias.allow_alias = false;
  EXPECT_EQ(ring_->Resolve(scope_, "alias/app", 1, no_alias).status().code(),
            ErrorCode::kInvalidArn);
  // AWS-managed keys appear on first use only when asked.
  EXPECT_FALSE(ring_->Resolve(scope_, "alias/aws/secretsmanager", 1).ok());
  KeyRing::ResolveOptions create;
  create.create_aws_managed = true;
  auto m = ring_->Resolve(scope_, "alias/aws/secretsmanager", 1, create);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->key_manager, "AWS");
  EXPECT_EQ(ring_->Resolve(scope_, "alias/aws/secretsmanager", 1)->key_id, m->key_id);
}

TEST_F(KeyRingTest, NoPlaintextMaterialOnDiskAndRewrap) {
  Key k = NewKey("HMAC_256", "GENERATE_VERIFY_MAC");
  auto material = ring_->Material(k, k.current_material()->id);
  ASSERT_TRUE(material.ok());
  auto records = store_->ListKeyMaterials();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().aad, storage::KeyMaterialAad(k.arn, k.current_material()->id));
  store_ = nullptr;
  stores_.reset();
  for (const char* f : {"arcana.db", "arcana.db-wal"}) {
    std::ifstream in(dir_ / f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str().find(*material), std::string::npos) << f;
  }
  auto s = storage::sqlite::OpenSqliteStores((dir_ / "arcana.db").string());
  ASSERT_TRUE(s.ok());
  stores_ = std::move(*s);
  store_ = &stores_->kms();
  // Rewrap under a new root: the materials still open with it.
  crypto::RootKey root2 = crypto::RootKey::FromBytes(std::string(32, '\x07'));
  ASSERT_TRUE(store_->RewrapKeyMaterials([&](const storage::KeyMaterialRecord& r) -> Result<std::string> {
                auto plain = root_.Open(r.wrapped, r.aad);
                if (!plain.ok()) return plain.status();
                return root2.Seal(*plain, r.aad);
              }).ok());
  KeyRing ring2(*store_, root2);
  auto again = ring2.Material(k, k.current_material()->id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *material);
}

// Runs one SQL statement on the data dir's database behind the store's back (an attacker
// with write access to arcana.db, or a botched restore).
void Tamper(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.string().c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

// Defect 6: the AAD of a wrapped material is recomputed from the key it is used for, not
// read from the row beside it. Swapping two keys' material rows (blob and recorded AAD)
// must make both keys unusable instead of letting key A encrypt under key B's material.
TEST_F(KeyRingTest, SwappedMaterialRowsDoNotOpen) {
  Key a = NewKey();
  Key b = NewKey();
  auto ca = ring_->Encrypt(a, {}, "for a");
  ASSERT_TRUE(ca.ok());
  const std::string ma = a.current_material()->id, mb = b.current_material()->id;
  Tamper(dir_ / "arcana.db",
         "CREATE TEMP TABLE t AS SELECT * FROM kms_key_materials;"
         "UPDATE kms_key_materials SET aad = (SELECT aad FROM t WHERE key_id = '" + b.key_id +
             "'), wrapped = (SELECT wrapped FROM t WHERE key_id = '" + b.key_id +
             "') WHERE key_id = '" + a.key_id + "';"
         "UPDATE kms_key_materials SET aad = (SELECT aad FROM t WHERE key_id = '" + a.key_id +
             "'), wrapped = (SELECT wrapped FROM t WHERE key_id = '" + a.key_id +
             "') WHERE key_id = '" + b.key_id + "';");
  KeyRing fresh(*store_, root_);  // nothing cached: materials come from the rows
  auto got_a = fresh.Material(a, ma);
  EXPECT_FALSE(got_a.ok());
  EXPECT_EQ(got_a.status().code(), ErrorCode::kKmsInternal);
  EXPECT_FALSE(fresh.Material(b, mb).ok());
  EXPECT_FALSE(fresh.Encrypt(a, {}, "x").ok());
  EXPECT_FALSE(fresh.Decrypt(scope_, *ca, {}, 5000).ok());
  // The message names the key, never material bytes.
  EXPECT_NE(got_a.status().message().find(a.arn), std::string::npos);
}

// The same inside one key: a material row moved to another material id of the key.
TEST_F(KeyRingTest, MaterialRowMovedToAnotherVersionDoesNotOpen) {
  Key k = NewKey();
  const std::string m1 = k.current_material()->id;
  ASSERT_TRUE(ring_->Rotate(k, "ON_DEMAND", 2000).ok());
  const std::string m2 = k.current_material()->id;
  ASSERT_NE(m1, m2);
  Tamper(dir_ / "arcana.db",
         "UPDATE kms_key_materials SET wrapped = (SELECT wrapped FROM kms_key_materials WHERE "
         "material_id = '" + m1 + "'), aad = (SELECT aad FROM kms_key_materials WHERE "
         "material_id = '" + m1 + "') WHERE material_id = '" + m2 + "'");
  KeyRing fresh(*store_, root_);
  EXPECT_TRUE(fresh.Material(k, m1).ok());
  EXPECT_FALSE(fresh.Material(k, m2).ok());
}

TEST_F(KeyRingTest, DataKeyProviderAndLegacyBlobs) {
  KmsDataKeyProvider provider(*ring_, root_, [] { return int64_t{5000}; });
  crypto::KeyScope scope{"123456789012", "us-east-1", "alias/aws/secretsmanager"};
  crypto::EncryptionContext ctx{{"SecretARN", "arn:s"}, {"SecretVersionId", "v1"}};
  auto sealed = crypto::SealValue(provider, scope, "", ctx, "top secret");
  ASSERT_TRUE(sealed.ok()) << sealed.status().message();
  auto opened = crypto::OpenValue(provider, scope, ctx, *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "top secret");
  // A value sealed before KMS (root-key-wrapped data key) still opens.
  crypto::RootKeyDataKeyProvider legacy(root_);
  auto old = crypto::SealValue(legacy, scope, "", ctx, "old value");
  ASSERT_TRUE(old.ok());
  auto old_opened = crypto::OpenValue(provider, scope, ctx, *old);
  ASSERT_TRUE(old_opened.ok()) << old_opened.status().message();
  EXPECT_EQ(*old_opened, "old value");
  // Disabled key: reads fail with DecryptionFailure, writes with EncryptionFailure;
  // enabling it again makes both work.
  auto key = ring_->Resolve({scope.account, scope.region}, "alias/aws/secretsmanager", 1);
  ASSERT_TRUE(key.ok());
  Key k = *key;
  Key custom = NewKey();
  auto sealed2 = crypto::SealValue(provider, scope, custom.arn, ctx, "custom");
  ASSERT_TRUE(sealed2.ok());
  custom.key_state = dk::kStateDisabled;
  ASSERT_TRUE(Save(custom).ok());
  auto r = crypto::OpenValue(provider, scope, ctx, *sealed2);
  EXPECT_EQ(r.status().code(), ErrorCode::kDecryptionFailure);
  EXPECT_NE(r.status().message().find("disabled"), std::string::npos);
  EXPECT_EQ(crypto::SealValue(provider, scope, custom.key_id, ctx, "x").status().code(),
            ErrorCode::kEncryptionFailure);
  custom.key_state = dk::kStateEnabled;
  ASSERT_TRUE(Save(custom).ok());
  EXPECT_TRUE(crypto::OpenValue(provider, scope, ctx, *sealed2).ok());
  // CheckKey: missing key -> ResourceNotFound.
  EXPECT_EQ(provider.CheckKey(scope, "alias/missing").code(), ErrorCode::kResourceNotFound);
  EXPECT_TRUE(provider.CheckKey(scope, custom.arn).ok());
}

// A value exactly as the first releases sealed it: root-key-wrapped data key and a body
// whose AAD is the context alone (the header was not authenticated then).
TEST_F(KeyRingTest, FirstReleaseValuesStayReadable) {
  KmsDataKeyProvider provider(*ring_, root_, [] { return int64_t{5000}; });
  crypto::KeyScope scope{"123456789012", "us-east-1", "alias/aws/secretsmanager"};
  crypto::EncryptionContext ctx{{"SecretARN", "arn:old"}, {"SecretVersionId", "v0"}};
  std::string data_key = crypto::RandomBytes(32);
  auto wrapped = root_.Seal(data_key, crypto::CanonicalContext(ctx));
  ASSERT_TRUE(wrapped.ok());
  auto body = crypto::AeadSeal(data_key, "released value", crypto::CanonicalContext(ctx));
  ASSERT_TRUE(body.ok());
  std::string blob(1, '\x01');
  blob += std::string("\0\0", 2);  // empty key id
  blob.push_back(static_cast<char>(wrapped->size() >> 8));
  blob.push_back(static_cast<char>(wrapped->size() & 0xff));
  blob += *wrapped + *body;
  auto opened = crypto::OpenValue(provider, scope, ctx, blob);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(*opened, "released value");
  EXPECT_FALSE(crypto::OpenValue(provider, scope, {{"SecretARN", "arn:other"}}, blob).ok());
}

}  // namespace
}  // namespace arcana::services::kms
