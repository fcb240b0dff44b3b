// The root key holder's sealed state and rotation (crypto/root_key.h) and the root of trust
// (seal/seal_manager.h) over a real SQLite store.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "auth/access_keys.h"
#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/root_key.h"
#include "crypto/shamir.h"
#include "seal/keyfile.h"
#include "seal/seal_manager.h"
#include "storage/sqlite_store.h"

namespace arcana {
namespace {

using crypto::RootKey;

TEST(RootKeyHolder, SealedRefusesWithServiceUnavailable) {
  RootKey root;
  EXPECT_TRUE(root.sealed());
  EXPECT_EQ(root.id(), "");
  EXPECT_EQ(root.Seal("x", "a").status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_EQ(root.Open("x", "a").status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_EQ(root.DeriveKey("p").status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_FALSE(root.TryHold().has_value());

  std::string key = crypto::RandomBytes(32);
  root.Install(key);
  EXPECT_FALSE(root.sealed());
  EXPECT_EQ(root.id(), RootKey::IdOf(key));
  auto blob = root.Seal("secret", "aad");
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(*root.Open(*blob, "aad"), "secret");
  EXPECT_FALSE(root.Open(*blob, "other").ok());
  EXPECT_TRUE(root.TryHold().has_value());

  root.Wipe();
  EXPECT_TRUE(root.sealed());
  EXPECT_EQ(root.Open(*blob, "aad").status().code(), ErrorCode::kServiceUnavailable);
  root.Install(key);
  EXPECT_EQ(*root.Open(*blob, "aad"), "secret");
}

TEST(RootKeyHolder, BlobsNameTheirRootKey) {
  std::string key = crypto::RandomBytes(32);
  RootKey root = RootKey::FromBytes(key);
  auto blob = root.Seal("v", "a");
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(static_cast<unsigned char>((*blob)[0]), 0xA7);
  EXPECT_EQ(crypto::HexEncode(blob->substr(3, 8)), root.id());
  EXPECT_TRUE(root.IsCurrent(*blob));
  // A flipped bit anywhere fails.
  for (size_t i = 0; i < blob->size(); ++i) {
    std::string t = *blob;
    t[i] ^= 0x04;
    EXPECT_FALSE(root.Open(t, "a").ok()) << i;
  }
}

TEST(RootKeyHolder, LegacyUntaggedBlobsStillOpen) {
  std::string key = crypto::RandomBytes(32);
  auto legacy = crypto::AeadSeal(key, "old", "aad");  // the format before tagging
  ASSERT_TRUE(legacy.ok());
  RootKey root = RootKey::FromBytes(key);
  EXPECT_EQ(*root.Open(*legacy, "aad"), "old");
  EXPECT_FALSE(root.IsCurrent(*legacy));
}

TEST(RootKeyHolder, RotationKeepsOldBlobsOpenUntilFinished) {
  RootKey root = RootKey::FromBytes(crypto::RandomBytes(32));
  auto derived = root.DeriveKey("p");
  auto old_blob = *root.Seal("one", "a");
  std::string old_id = root.id();
  std::string k2 = crypto::RandomBytes(32);
  ASSERT_TRUE(root.BeginRotation(k2).ok());
  EXPECT_EQ(root.id(), RootKey::IdOf(k2));
  EXPECT_NE(root.id(), old_id);
  auto new_blob = *root.Seal("two", "a");
  EXPECT_TRUE(root.IsCurrent(new_blob));
  EXPECT_FALSE(root.IsCurrent(old_blob));
  EXPECT_EQ(*root.Open(old_blob, "a"), "one");
  EXPECT_EQ(*root.Open(new_blob, "a"), "two");
  root.FinishRotation();
  EXPECT_FALSE(root.Open(old_blob, "a").ok());
  EXPECT_EQ(*root.Open(new_blob, "a"), "two");
  EXPECT_EQ(*root.DeriveKey("p"), *derived);  // derived keys survive rotation
}

TEST(RootKeyHolder, RotationWaitsForOlderHolds) {
  RootKey root = RootKey::FromBytes(crypto::RandomBytes(32));
  auto hold = root.TryHold();
  ASSERT_TRUE(hold.has_value());
  ASSERT_TRUE(root.BeginRotation(crypto::RandomBytes(32)).ok());
  auto newer = root.TryHold();  // started after the swap: not waited for
  EXPECT_FALSE(root.WaitForOlderHolds(std::chrono::milliseconds(50)));
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hold.reset();
  });
  EXPECT_TRUE(root.WaitForOlderHolds(std::chrono::seconds(5)));
  t.join();
}

TEST(RootKeyHolder, DerivedKeyIsLazyAndUnusableWhileSealed) {
  RootKey root;
  crypto::DerivedKey dk(root, "purpose");
  std::string while_sealed = dk.get();
  EXPECT_EQ(while_sealed.size(), 32u);
  root.Install(crypto::RandomBytes(32));
  EXPECT_EQ(dk.get(), *root.DeriveKey("purpose"));
  EXPECT_NE(dk.get(), while_sealed);
}

class SealManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("arcana-seal-test-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = storage::SqliteStore::Open(dir_.string() + "/arcana.db");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
  }
  std::unique_ptr<seal::SealManager> Manager(RootKey& root, const std::string& type = "") {
    seal::SealOptions o;
    o.type = type;
    o.data_dir = dir_.string();
    return std::make_unique<seal::SealManager>(o, *store_, *store_, store_.get(), root);
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::SqliteStore> store_;
};

TEST_F(SealManagerTest, KeyFileIsCreatedOnceAndReused) {
  RootKey root;
  ASSERT_TRUE(Manager(root)->Start().ok());
  EXPECT_FALSE(root.sealed());
  std::string id = root.id();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "root.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(auth::CreateAccessKey(*store_, root, "123456789012", std::string("AKIAKEYFILE0001"),
                                    std::string("secret-secret"))
                  .ok());
  RootKey again;
  ASSERT_TRUE(Manager(again)->Start().ok());
  EXPECT_EQ(again.id(), id);
  auto rec = store_->GetAccessKey("AKIAKEYFILE0001");
  EXPECT_EQ(*auth::OpenAccessKeySecret(again, **rec), "secret-secret");
  // The store remembers its strategy.
  RootKey other;
  EXPECT_FALSE(Manager(other, "shamir")->Start().ok());
}

TEST_F(SealManagerTest, ShamirStartsSealedAndUnsealsWithAnyThreeShares) {
  RootKey init_root;
  auto shares = seal::SealManager::InitShamir(*store_, *store_, init_root, 5, 3);
  ASSERT_TRUE(shares.ok()) << shares.status().message();
  ASSERT_EQ(shares->size(), 5u);
  ASSERT_TRUE(auth::CreateAccessKey(*store_, init_root, "123456789012",
                                    std::string("AKIASHAMIR000001"), std::string("s3cret-value"))
                  .ok());
  ASSERT_TRUE(store_->PutMeta("initialized", "1").ok());
  const std::string id = init_root.id();
  EXPECT_FALSE(seal::SealManager::InitShamir(*store_, *store_, init_root, 5, 3).ok());

  RootKey root;
  auto m = Manager(root);
  ASSERT_TRUE(m->Start().ok());
  EXPECT_TRUE(root.sealed());
  EXPECT_EQ(m->status().threshold, 3);
  EXPECT_EQ(m->status().shares, 5);

  // Shares of another split are well-formed but wrong: detected, progress reset.
  auto foreign = crypto::ShamirSplit(crypto::RandomBytes(32), 5, 3);
  auto f0 = m->Unseal(crypto::EncodeShare((*foreign)[0]));
  ASSERT_TRUE(f0.ok());
  ASSERT_TRUE(m->Unseal(crypto::EncodeShare((*foreign)[1]), f0->nonce).ok());
  auto bad = m->Unseal(crypto::EncodeShare((*foreign)[2]), f0->nonce);
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(root.sealed());
  EXPECT_EQ(m->status().progress, 0);
  EXPECT_FALSE(m->Unseal("arcs1-garbage").ok());
  EXPECT_EQ(m->status().progress, 0);

  auto s1 = m->Unseal((*shares)[4]);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1->status.progress, 1);
  ASSERT_EQ(s1->nonce.size(), 32u);
  EXPECT_NE(s1->nonce, f0->nonce);
  EXPECT_FALSE(m->Unseal((*shares)[4], s1->nonce).ok());  // the same share twice
  ASSERT_TRUE(m->Unseal((*shares)[0], s1->nonce).ok());
  auto s3 = m->Unseal((*shares)[2], s1->nonce);
  ASSERT_TRUE(s3.ok()) << s3.status().message();
  EXPECT_FALSE(s3->status.sealed);
  EXPECT_EQ(root.id(), id);
  auto rec = store_->GetAccessKey("AKIASHAMIR000001");
  EXPECT_EQ(*auth::OpenAccessKeySecret(root, **rec), "s3cret-value");

  ASSERT_TRUE(m->Seal().ok());
  EXPECT_TRUE(root.sealed());
  EXPECT_EQ(auth::OpenAccessKeySecret(root, **rec).status().code(), ErrorCode::kServiceUnavailable);
}

TEST_F(SealManagerTest, RotateRootRewrapsEverythingAndRetiresTheOldKey) {
  RootKey root;
  auto m = Manager(root);
  ASSERT_TRUE(m->Start().ok());
  std::string old_key = *seal::keyfile::Read((dir_ / "root.key").string());
  ASSERT_TRUE(auth::CreateAccessKey(*store_, root, "123456789012", std::string("AKIAROTATE000001"),
                                    std::string("rotate-me-please"))
                  .ok());
  auto digest = root.DeriveKey("secretsmanager:value-digest");
  auto rep = m->RotateRoot();
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  EXPECT_NE(rep->new_root_key_id, rep->old_root_key_id);
  EXPECT_GE(rep->rewrapped, 2u);  // the access key and the derivation secret
  EXPECT_EQ(root.id(), rep->new_root_key_id);
  EXPECT_FALSE(seal::keyfile::Exists((dir_ / "root.key.new").string()));
  std::string new_key = *seal::keyfile::Read((dir_ / "root.key").string());
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(RootKey::IdOf(new_key), rep->new_root_key_id);

  auto rec = store_->GetAccessKey("AKIAROTATE000001");
  EXPECT_TRUE(root.IsCurrent((*rec)->sealed_secret));
  EXPECT_EQ(*auth::OpenAccessKeySecret(root, **rec), "rotate-me-please");
  RootKey old_root = RootKey::FromBytes(old_key);
  EXPECT_FALSE(auth::OpenAccessKeySecret(old_root, **rec).ok());
  EXPECT_EQ(*root.DeriveKey("secretsmanager:value-digest"), *digest);

  // A restart unseals with the new key file and derives the same keys.
  RootKey again;
  ASSERT_TRUE(Manager(again)->Start().ok());
  EXPECT_EQ(again.id(), rep->new_root_key_id);
  EXPECT_EQ(*again.DeriveKey("secretsmanager:value-digest"), *digest);
}

// Shamir progress is bound to the nonce its first share returned: a share without it, or with
// another one, is refused and changes nothing; a reset (authenticated by the caller) drops it.
TEST_F(SealManagerTest, ShamirProgressIsBoundToItsNonce) {
  RootKey init_root;
  auto shares = seal::SealManager::InitShamir(*store_, *store_, init_root, 5, 3);
  ASSERT_TRUE(shares.ok());
  RootKey root;
  auto m = Manager(root);
  ASSERT_TRUE(m->Start().ok());
  // A nonce that names no attempt is refused: nothing starts.
  EXPECT_EQ(m->Unseal((*shares)[0], "0123456789abcdef0123456789abcdef").status().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(m->status().progress, 0);

  auto first = m->Unseal((*shares)[0]);
  ASSERT_TRUE(first.ok());
  const std::string nonce = first->nonce;
  // An intruder's share without the nonce, or with a wrong one, or garbage: refused, progress
  // intact, and the nonce still works afterwards.
  auto foreign = crypto::ShamirSplit(crypto::RandomBytes(32), 5, 3);
  EXPECT_EQ(m->Unseal(crypto::EncodeShare((*foreign)[1])).status().code(), ErrorCode::kConflict);
  EXPECT_EQ(m->Unseal(crypto::EncodeShare((*foreign)[1]), "f" + nonce.substr(1)).status().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(m->Unseal("arcs1-garbage", "nope").status().code(), ErrorCode::kConflict);
  EXPECT_EQ(m->status().progress, 1);
  auto second = m->Unseal((*shares)[1], nonce);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->status.progress, 2);
  EXPECT_EQ(second->nonce, nonce);

  // Reset drops the attempt; its nonce then names nothing.
  m->ResetProgress();
  EXPECT_EQ(m->status().progress, 0);
  EXPECT_EQ(m->Unseal((*shares)[2], nonce).status().code(), ErrorCode::kConflict);
  auto again = m->Unseal((*shares)[2]);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->nonce, nonce);
  ASSERT_TRUE(m->Unseal((*shares)[3], again->nonce).ok());
  auto done = m->Unseal((*shares)[4], again->nonce);
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_FALSE(root.sealed());
  EXPECT_EQ(done->nonce, "");
}

TEST_F(SealManagerTest, StalledShamirAttemptExpires) {
  RootKey init_root;
  auto shares = seal::SealManager::InitShamir(*store_, *store_, init_root, 5, 3);
  ASSERT_TRUE(shares.ok());
  RootKey root;
  seal::SealOptions o;
  o.data_dir = dir_.string();
  o.attempt_ttl = std::chrono::seconds(0);
  seal::SealManager m(o, *store_, *store_, store_.get(), root);
  ASSERT_TRUE(m.Start().ok());
  auto first = m.Unseal((*shares)[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(m.status().progress, 0);  // expired at once
  auto fresh = m.Unseal((*shares)[1]);  // no nonce needed: a new attempt
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->nonce, first->nonce);
}

// rotate-root on a Shamir store never hands out shares without a quorum of the current ones.
TEST_F(SealManagerTest, ShamirRotationNeedsAQuorumOfCurrentShares) {
  RootKey init_root;
  auto shares = seal::SealManager::InitShamir(*store_, *store_, init_root, 5, 3);
  ASSERT_TRUE(shares.ok());
  ASSERT_TRUE(store_->PutMeta("initialized", "1").ok());
  RootKey root;
  auto m = Manager(root);
  ASSERT_TRUE(m->Start().ok());
  auto u = m->Unseal((*shares)[0]);
  ASSERT_TRUE(m->Unseal((*shares)[1], u->nonce).ok());
  ASSERT_TRUE(m->Unseal((*shares)[2], u->nonce).ok());
  ASSERT_FALSE(root.sealed());
  const std::string old_id = root.id();

  EXPECT_EQ(m->RotateRoot().status().code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(m->RekeySubmit((*shares)[0], "").status().code(), ErrorCode::kConflict);
  auto init = m->RekeyInit();
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->threshold, 3);
  EXPECT_EQ(m->RekeySubmit((*shares)[0], "bad").status().code(), ErrorCode::kConflict);

  // A quorum of foreign shares: refused at the threshold, nothing rotated.
  auto foreign = crypto::ShamirSplit(crypto::RandomBytes(32), 5, 3);
  for (int i = 0; i < 2; ++i) {
    auto r = m->RekeySubmit(crypto::EncodeShare((*foreign)[i]), init->nonce);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->second.has_value());
    EXPECT_EQ(r->first.progress, i + 1);
  }
  EXPECT_EQ(m->RekeySubmit(crypto::EncodeShare((*foreign)[2]), init->nonce).status().code(),
            ErrorCode::kInvalidParameter);
  EXPECT_EQ(root.id(), old_id);
  // The attempt was dropped with it.
  EXPECT_EQ(m->RekeySubmit((*shares)[0], init->nonce).status().code(), ErrorCode::kConflict);

  auto again = m->RekeyInit();
  ASSERT_TRUE(again.ok());
  ASSERT_FALSE(m->RekeySubmit((*shares)[3], again->nonce)->second.has_value());
  ASSERT_FALSE(m->RekeySubmit((*shares)[4], again->nonce)->second.has_value());
  auto last = m->RekeySubmit((*shares)[1], again->nonce);
  ASSERT_TRUE(last.ok()) << last.status().message();
  ASSERT_TRUE(last->second.has_value());
  EXPECT_EQ(last->second->shares.size(), 5u);
  EXPECT_NE(root.id(), old_id);

  // The new shares unseal; the old ones no longer do.
  ASSERT_TRUE(m->Seal().ok());
  auto o1 = m->Unseal((*shares)[0]);
  ASSERT_TRUE(m->Unseal((*shares)[1], o1->nonce).ok());
  EXPECT_FALSE(m->Unseal((*shares)[2], o1->nonce).ok());
  auto n1 = m->Unseal(last->second->shares[0]);
  ASSERT_TRUE(m->Unseal(last->second->shares[2], n1->nonce).ok());
  ASSERT_TRUE(m->Unseal(last->second->shares[4], n1->nonce).ok());
  EXPECT_FALSE(root.sealed());
}

TEST_F(SealManagerTest, InterruptedRotationRollsBackAtNextUnseal) {
  RootKey root;
  ASSERT_TRUE(Manager(root)->Start().ok());
  ASSERT_TRUE(auth::CreateAccessKey(*store_, root, "123456789012", std::string("AKIACRASH0000001"),
                                    std::string("crash-test-value"))
                  .ok());
  const std::string committed = root.id();
  // Simulate a crash after step 1-3: pending recorded, a blob rewrapped to the new key.
  std::string k2 = crypto::RandomBytes(32);
  ASSERT_TRUE(store_->PutMeta("root.pending", *root.Seal(k2, "arcana:root-pending")).ok());
  ASSERT_TRUE(seal::keyfile::Write((dir_ / "root.key.new").string(), k2).ok());
  ASSERT_TRUE(root.BeginRotation(k2).ok());
  ASSERT_TRUE(auth::CreateAccessKey(*store_, root, "123456789012", std::string("AKIACRASH0000002"),
                                    std::string("written-under-k2"))
                  .ok());
  RootKey after;
  ASSERT_TRUE(Manager(after)->Start().ok());
  EXPECT_EQ(after.id(), committed);
  EXPECT_FALSE(seal::keyfile::Exists((dir_ / "root.key.new").string()));
  EXPECT_FALSE(store_->GetMeta("root.pending")->has_value());
  auto r2 = store_->GetAccessKey("AKIACRASH0000002");
  EXPECT_TRUE(after.IsCurrent((*r2)->sealed_secret));
  EXPECT_EQ(*auth::OpenAccessKeySecret(after, **r2), "written-under-k2");
  auto r1 = store_->GetAccessKey("AKIACRASH0000001");
  EXPECT_EQ(*auth::OpenAccessKeySecret(after, **r1), "crash-test-value");
}

TEST_F(SealManagerTest, LegacyKeyFileDataDirKeepsWorking) {
  // A data dir from before seal/: key file + initialized marker, no root.* metadata.
  std::string key = crypto::RandomBytes(32);
  ASSERT_TRUE(seal::keyfile::Write((dir_ / "root.key").string(), key).ok());
  RootKey legacy = RootKey::FromBytes(key);
  auto legacy_digest = crypto::HmacSha256(key, "arcana:secretsmanager:value-digest");
  ASSERT_TRUE(store_->PutMeta("initialized", "1").ok());
  RootKey root;
  ASSERT_TRUE(Manager(root)->Start().ok());
  EXPECT_EQ(root.id(), legacy.id());
  EXPECT_EQ(*root.DeriveKey("secretsmanager:value-digest"), legacy_digest);
  EXPECT_EQ(**store_->GetMeta("root.seal"), "keyfile");
}

}  // namespace
}  // namespace arcana
