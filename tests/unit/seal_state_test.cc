// The root key holder's sealed state and rotation (crypto/root_key.h) and the root of trust
// (seal/seal_manager.h) over a real SQLite store.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "auth/access_keys.h"
#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/root_key.h"
#include "crypto/secure_memory.h"
#include "crypto/shamir.h"
#include "seal/keyfile.h"
#include "domain/kms/rules.h"
#include "seal/seal_manager.h"
#include "services/kms/key_ring.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana {
namespace {

using crypto::RootKey;

// The root-sealed part of a stored access-key secret (after the "AKv2" format marker).
std::string WrappedPart(const std::string& sealed_secret) {
  return sealed_secret.starts_with("AKv2") ? sealed_secret.substr(4) : sealed_secret;
}

// Runs SQL on a data dir's database behind the store's back (an attacker with write access
// to arcana.db, or a botched restore).
void Tamper(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.string().c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

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
  std::string while_sealed(dk.get());
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
    auto s = storage::sqlite::OpenSqliteStores(dir_.string() + "/arcana.db");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
  }
  std::unique_ptr<seal::SealManager> Manager(RootKey& root, const std::string& type = "") {
    seal::SealOptions o;
    o.type = type;
    o.data_dir = dir_.string();
    return std::make_unique<seal::SealManager>(o, store_->meta(), store_->root(), root);
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> store_;
};

TEST_F(SealManagerTest, KeyFileIsCreatedOnceAndReused) {
  RootKey root;
  ASSERT_TRUE(Manager(root)->Start().ok());
  EXPECT_FALSE(root.sealed());
  std::string id = root.id();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "root.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), root, "123456789012", std::string("AKIAKEYFILE0001"),
                                    std::string("secret-secret"))
                  .ok());
  RootKey again;
  ASSERT_TRUE(Manager(again)->Start().ok());
  EXPECT_EQ(again.id(), id);
  auto rec = store_->access_keys().GetAccessKey("AKIAKEYFILE0001");
  EXPECT_EQ(*auth::OpenAccessKeySecret(again, **rec), "secret-secret");
  // The store remembers its strategy.
  RootKey other;
  EXPECT_FALSE(Manager(other, "shamir")->Start().ok());
}

TEST_F(SealManagerTest, ShamirStartsSealedAndUnsealsWithAnyThreeShares) {
  RootKey init_root;
  auto shares = seal::SealManager::InitShamir(store_->meta(), store_->root(), init_root, 5, 3);
  ASSERT_TRUE(shares.ok()) << shares.status().message();
  ASSERT_EQ(shares->size(), 5u);
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), init_root, "123456789012",
                                    std::string("AKIASHAMIR000001"), std::string("s3cret-value"))
                  .ok());
  ASSERT_TRUE(store_->meta().PutMeta("initialized", "1").ok());
  const std::string id = init_root.id();
  EXPECT_FALSE(seal::SealManager::InitShamir(store_->meta(), store_->root(), init_root, 5, 3).ok());

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
  auto rec = store_->access_keys().GetAccessKey("AKIASHAMIR000001");
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
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), root, "123456789012", std::string("AKIAROTATE000001"),
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

  auto rec = store_->access_keys().GetAccessKey("AKIAROTATE000001");
  EXPECT_TRUE(root.IsCurrent(WrappedPart((*rec)->sealed_secret)));
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
  auto shares = seal::SealManager::InitShamir(store_->meta(), store_->root(), init_root, 5, 3);
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
  // (A wrong nonce: the right one with its first character changed, never to itself.)
  const std::string wrong = (nonce[0] == 'f' ? "e" : "f") + nonce.substr(1);
  EXPECT_EQ(m->Unseal(crypto::EncodeShare((*foreign)[1]), wrong).status().code(),
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
  auto shares = seal::SealManager::InitShamir(store_->meta(), store_->root(), init_root, 5, 3);
  ASSERT_TRUE(shares.ok());
  RootKey root;
  seal::SealOptions o;
  o.data_dir = dir_.string();
  o.attempt_ttl = std::chrono::seconds(0);
  seal::SealManager m(o, store_->meta(), store_->root(), root);
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
  auto shares = seal::SealManager::InitShamir(store_->meta(), store_->root(), init_root, 5, 3);
  ASSERT_TRUE(shares.ok());
  ASSERT_TRUE(store_->meta().PutMeta("initialized", "1").ok());
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
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), root, "123456789012", std::string("AKIACRASH0000001"),
                                    std::string("crash-test-value"))
                  .ok());
  const std::string committed = root.id();
  // Simulate a crash after step 1-3: pending recorded, a blob rewrapped to the new key.
  std::string k2 = crypto::RandomBytes(32);
  ASSERT_TRUE(store_->meta().PutMeta("root.pending", *root.Seal(k2, "arcana:root-pending")).ok());
  ASSERT_TRUE(seal::keyfile::Write((dir_ / "root.key.new").string(), k2).ok());
  ASSERT_TRUE(root.BeginRotation(k2).ok());
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), root, "123456789012", std::string("AKIACRASH0000002"),
                                    std::string("written-under-k2"))
                  .ok());
  RootKey after;
  ASSERT_TRUE(Manager(after)->Start().ok());
  EXPECT_EQ(after.id(), committed);
  EXPECT_FALSE(seal::keyfile::Exists((dir_ / "root.key.new").string()));
  EXPECT_FALSE(store_->meta().GetMeta("root.pending")->has_value());
  auto r2 = store_->access_keys().GetAccessKey("AKIACRASH0000002");
  EXPECT_TRUE(after.IsCurrent(WrappedPart((*r2)->sealed_secret)));
  EXPECT_EQ(*auth::OpenAccessKeySecret(after, **r2), "written-under-k2");
  auto r1 = store_->access_keys().GetAccessKey("AKIACRASH0000001");
  EXPECT_EQ(*auth::OpenAccessKeySecret(after, **r1), "crash-test-value");
}

TEST_F(SealManagerTest, LegacyKeyFileDataDirKeepsWorking) {
  // A data dir from before seal/: key file + initialized marker, no root.* metadata.
  std::string key = crypto::RandomBytes(32);
  ASSERT_TRUE(seal::keyfile::Write((dir_ / "root.key").string(), key).ok());
  RootKey legacy = RootKey::FromBytes(key);
  auto legacy_digest = crypto::HmacSha256(key, "arcana:secretsmanager:value-digest");
  ASSERT_TRUE(store_->meta().PutMeta("initialized", "1").ok());
  RootKey root;
  ASSERT_TRUE(Manager(root)->Start().ok());
  EXPECT_EQ(root.id(), legacy.id());
  EXPECT_EQ(*root.DeriveKey("secretsmanager:value-digest"), legacy_digest);
  EXPECT_EQ(**store_->meta().GetMeta("root.seal"), "keyfile");
}

// --- defect 6: access-key secrets are bound to key id, account and principal ---

TEST_F(SealManagerTest, AccessKeySecretIsBoundToAccountAndPrincipal) {
  RootKey root;
  ASSERT_TRUE(Manager(root)->Start().ok());
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), root, "111122223333", std::string("AKIABIND00000001"),
                                    std::string("bound-secret-1"))
                  .ok());
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), root, "444455556666", std::string("AKIABIND00000002"),
                                    std::string("bound-secret-2"))
                  .ok());
  auto rec = **store_->access_keys().GetAccessKey("AKIABIND00000001");
  EXPECT_EQ(*auth::OpenAccessKeySecret(root, rec), "bound-secret-1");
  auto moved = rec;
  moved.principal_arn = "arn:aws:iam::111122223333:user/mallory";
  EXPECT_FALSE(auth::OpenAccessKeySecret(root, moved).ok());
  moved = rec;
  moved.account_id = "444455556666";
  EXPECT_FALSE(auth::OpenAccessKeySecret(root, moved).ok());
  moved = rec;
  moved.access_key_id = "AKIABIND00000002";
  EXPECT_FALSE(auth::OpenAccessKeySecret(root, moved).ok());
  // Dropping the format marker does not select the weaker legacy binding.
  moved = rec;
  moved.sealed_secret = WrappedPart(rec.sealed_secret);
  EXPECT_FALSE(auth::OpenAccessKeySecret(root, moved).ok());

  // In the database: key 1's secret row re-pointed at the other account's principal.
  Tamper(dir_ / "arcana.db",
         "UPDATE access_keys SET account = '444455556666', "
         "principal = 'arn:aws:iam::444455556666:root' WHERE id = 'AKIABIND00000001'");
  auto tampered = store_->access_keys().GetAccessKey("AKIABIND00000001");
  ASSERT_TRUE(tampered.ok() && tampered->has_value());
  EXPECT_EQ((*tampered)->principal_arn, "arn:aws:iam::444455556666:root");
  EXPECT_FALSE(auth::OpenAccessKeySecret(root, **tampered).ok());
  // Key 2's sealed secret copied onto key 1's row (with key 2's owner): fails too.
  Tamper(dir_ / "arcana.db",
         "UPDATE access_keys SET sealed = (SELECT sealed FROM access_keys WHERE id = "
         "'AKIABIND00000002') WHERE id = 'AKIABIND00000001'");
  EXPECT_FALSE(auth::OpenAccessKeySecret(root, **store_->access_keys().GetAccessKey("AKIABIND00000001")).ok());
}

TEST_F(SealManagerTest, LegacyAccessKeyRowsStillOpenAndMigrateOnRotation) {
  RootKey root;
  auto m = Manager(root);
  ASSERT_TRUE(m->Start().ok());
  // A row as earlier releases wrote it: AAD = "arcana:access-key:" + id, no marker.
  storage::AccessKeyRecord legacy;
  legacy.access_key_id = "AKIALEGACY000001";
  legacy.account_id = "123456789012";
  legacy.principal_arn = "arn:aws:iam::123456789012:root";
  legacy.sealed_secret = *root.Seal("legacy-secret", "arcana:access-key:AKIALEGACY000001");
  legacy.created_ms = 1;
  ASSERT_TRUE(store_->access_keys().PutAccessKey(legacy).ok());
  EXPECT_EQ(*auth::OpenAccessKeySecret(root, **store_->access_keys().GetAccessKey("AKIALEGACY000001")),
            "legacy-secret");
  ASSERT_TRUE(m->RotateRoot().ok());
  auto migrated = **store_->access_keys().GetAccessKey("AKIALEGACY000001");
  EXPECT_TRUE(migrated.sealed_secret.starts_with("AKv2"));
  EXPECT_EQ(*auth::OpenAccessKeySecret(root, migrated), "legacy-secret");
  migrated.principal_arn = "arn:aws:iam::123456789012:user/other";
  EXPECT_FALSE(auth::OpenAccessKeySecret(root, migrated).ok());
}

// --- defect 7: root rotation never strands key material ---

// A KmsStore that forwards to the real store, and can stop a writer inside PutKmsKey (after
// it sealed its new material, before it commits) until the test lets it go.
class PausingKmsStore : public storage::KmsStore {
 public:
  explicit PausingKmsStore(storage::KmsStore& s) : s_(s) {}
  void PauseNextMaterialWrite() {
    std::lock_guard<std::mutex> l(mu_);
    pause_ = true;
  }
  void WaitUntilPaused() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return paused_; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    pause_ = false;
    cv_.notify_all();
  }

  using Key = domain::kms::Key;
  Result<std::optional<Key>> GetKmsKey(const storage::Scope& sc, const std::string& id) override {
    return s_.GetKmsKey(sc, id);
  }
  Result<std::vector<Key>> ListKmsKeys(const storage::Scope& sc, const std::string& after,
                                       size_t limit) override {
    return s_.ListKmsKeys(sc, after, limit);
  }
  Result<std::vector<Key>> ListKmsKeysDue(int64_t now, size_t limit) override {
    return s_.ListKmsKeysDue(now, limit);
  }
  Status PutKmsKey(const Key& key, const std::vector<storage::KeyMaterialRecord>& ms,
                   const std::string& change) override {
    if (!ms.empty()) {
      std::unique_lock<std::mutex> l(mu_);
      if (pause_) {
        paused_ = true;
        cv_.notify_all();
        cv_.wait(l, [&] { return !pause_; });
      }
    }
    return s_.PutKmsKey(key, ms, change);
  }
  Status CreateKmsKeyWithAlias(const Key& k, const std::vector<storage::KeyMaterialRecord>& ms,
                               const domain::kms::Alias& a) override {
    return s_.CreateKmsKeyWithAlias(k, ms, a);
  }
  Status WriteKmsKeys(const std::vector<storage::KmsKeyWrite>& w,
                      const std::string& change) override {
    return s_.WriteKmsKeys(w, change);
  }
  Result<std::vector<domain::kms::Key>> ListKmsKeyRegions(const std::string& a,
                                                          const std::string& id) override {
    return s_.ListKmsKeyRegions(a, id);
  }
  Result<std::optional<storage::KeyMaterialRecord>> GetKeyMaterial(const std::string& k,
                                                                   const std::string& m) override {
    return s_.GetKeyMaterial(k, m);
  }
  Status DeleteKmsKey(const storage::Scope& sc, const std::string& id, int64_t rev) override {
    return s_.DeleteKmsKey(sc, id, rev);
  }
  Result<std::optional<domain::kms::Alias>> GetKmsAlias(const storage::Scope& sc,
                                                        const std::string& n) override {
    return s_.GetKmsAlias(sc, n);
  }
  Result<std::vector<domain::kms::Alias>> ListKmsAliases(const storage::Scope& sc,
                                                         const std::string& k,
                                                         const std::string& after,
                                                         size_t limit) override {
    return s_.ListKmsAliases(sc, k, after, limit);
  }
  Status PutKmsAlias(const domain::kms::Alias& a, bool create, size_t max) override {
    return s_.PutKmsAlias(a, create, max);
  }
  Status DeleteKmsAlias(const storage::Scope& sc, const std::string& n) override {
    return s_.DeleteKmsAlias(sc, n);
  }
  Result<domain::kms::Grant> CreateKmsGrant(const domain::kms::Grant& g, int64_t revision,
                                            size_t max) override {
    return s_.CreateKmsGrant(g, revision, max);
  }
  Result<std::vector<domain::kms::Grant>> ListKmsGrants(const storage::Scope& sc,
                                                        const std::string& k,
                                                        const std::string& after,
                                                        size_t limit) override {
    return s_.ListKmsGrants(sc, k, after, limit);
  }
  Result<std::vector<domain::kms::Grant>> ListKmsGrantsByRetiringPrincipal(
      const std::string& region, const std::string& p, const std::string& after,
      size_t limit) override {
    return s_.ListKmsGrantsByRetiringPrincipal(region, p, after, limit);
  }
  Status DeleteKmsGrant(const storage::Scope& sc, const std::string& k,
                        const std::string& g) override {
    return s_.DeleteKmsGrant(sc, k, g);
  }
  Result<std::vector<storage::KeyMaterialRecord>> ListKeyMaterials() override {
    return s_.ListKeyMaterials();
  }
  Status RewrapKeyMaterials(
      const std::function<Result<std::string>(const storage::KeyMaterialRecord&)>& f) override {
    return s_.RewrapKeyMaterials(f);
  }
  Status WipeKms() override { return s_.WipeKms(); }

 private:
  storage::KmsStore& s_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pause_ = false;
  bool paused_ = false;
};

domain::kms::Key SymmetricKey() {
  domain::kms::Key k;
  k.account = "123456789012";
  k.region = "us-east-1";
  k.key_id = domain::kms::NewKeyId(false);
  k.arn = domain::kms::KeyArn(k.region, k.account, k.key_id);
  k.created_ms = 1000;
  k.key_spec = "SYMMETRIC_DEFAULT";
  k.key_usage = "ENCRYPT_DECRYPT";
  k.key_state = "Enabled";
  k.rotation_enabled = true;
  k.rotation_period_days = 90;
  k.rotation_base_ms = 1000;
  return k;
}

// Automatic KMS key rotation (maintenance thread, no request) seals a new material under
// root key K1 and is slow to commit; meanwhile an operator rotates the root to K2. The root
// rotation must wait for it (RootKey::Hold): otherwise it rewraps, forgets K1, and the new
// material - committed afterwards under K1 - can never be opened again.
TEST_F(SealManagerTest, BackgroundKmsRotationDuringRootRotationIsNotStranded) {
  RootKey root;
  auto m = Manager(root);
  ASSERT_TRUE(m->Start().ok());
  PausingKmsStore kms(store_->kms());
  services::kms::KeyRing ring(kms, root);
  domain::kms::Key key = SymmetricKey();
  ASSERT_TRUE(ring.CreateKey(key, 1000).ok());

  kms.PauseNextMaterialWrite();
  Status rotated;
  std::thread background([&] { rotated = ring.Rotate(key, "AUTOMATIC", 2000); });
  kms.WaitUntilPaused();  // sealed under K1, not committed
  auto root_rotation = std::async(std::launch::async, [&] { return m->RotateRoot(); });
  // The root rotation may not finish while the background writer is between Seal and commit.
  const bool finished_early =
      root_rotation.wait_for(std::chrono::milliseconds(400)) == std::future_status::ready;
  kms.Release();
  background.join();
  auto rep = root_rotation.get();
  ASSERT_TRUE(rotated.ok()) << rotated.message();
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  EXPECT_FALSE(finished_early) << "root rotation did not wait for the background writer";
  ASSERT_EQ(key.materials.size(), 2u);

  // Restart: only the new root key exists. Every material must open.
  RootKey again;
  ASSERT_TRUE(Manager(again)->Start().ok());
  EXPECT_EQ(again.id(), rep->new_root_key_id);
  services::kms::KeyRing fresh(store_->kms(), again);
  for (const auto& mat : key.materials) {
    auto material = fresh.Material(key, mat.id);
    EXPECT_TRUE(material.ok()) << "material " << mat.id << ": " << material.status().message();
  }
  auto blob = fresh.Encrypt(key, {}, "after restart");
  ASSERT_TRUE(blob.ok()) << blob.status().message();
  auto plain = fresh.Decrypt({key.account, key.region}, *blob, {}, 3000);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->plaintext, "after restart");
}

// A RootOfTrustStore that lets a writer which took no hold (another process: the offline
// `arcana access-key create`) commit a blob sealed under the OLD root key right after the
// rotation's commit transaction.
class LateWriterRootStore : public storage::RootOfTrustStore {
 public:
  LateWriterRootStore(storage::RootOfTrustStore& s, std::function<void()> late)
      : s_(s), late_(std::move(late)) {}
  Result<size_t> RewrapRootBlobs(const std::vector<std::string>& meta_keys, const RewrapFn& fn,
                                 const std::vector<std::pair<std::string, std::string>>& puts,
                                 const std::vector<std::string>& deletes) override {
    auto r = s_.RewrapRootBlobs(meta_keys, fn, puts, deletes);
    if (r.ok() && !puts.empty() && late_) std::exchange(late_, nullptr)();
    return r;
  }
  Status UpdateMeta(const std::vector<std::pair<std::string, std::string>>& puts,
                    const std::vector<std::string>& deletes) override {
    return s_.UpdateMeta(puts, deletes);
  }

 private:
  storage::RootOfTrustStore& s_;
  std::function<void()> late_;
};

TEST_F(SealManagerTest, RotationRescansAndRewrapsBlobsWrittenUnderTheOldKey) {
  RootKey root;
  ASSERT_TRUE(Manager(root)->Start().ok());
  RootKey old_holder = RootKey::FromBytes(*seal::keyfile::Read((dir_ / "root.key").string()));
  LateWriterRootStore rot(store_->root(), [&] {
    ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), old_holder, "123456789012",
                                      std::string("AKIALATEWRITER01"), std::string("late-secret"))
                    .ok());
  });
  seal::SealOptions o;
  o.data_dir = dir_.string();
  seal::SealManager m(o, store_->meta(), rot, root);
  ASSERT_TRUE(m.Start().ok());
  auto rep = m.RotateRoot();
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  EXPECT_FALSE(store_->meta().GetMeta("root.pending")->has_value());
  auto late = **store_->access_keys().GetAccessKey("AKIALATEWRITER01");
  EXPECT_TRUE(root.IsCurrent(WrappedPart(late.sealed_secret)));
  RootKey again;
  ASSERT_TRUE(Manager(again)->Start().ok());
  auto opened = auth::OpenAccessKeySecret(again, late);
  ASSERT_TRUE(opened.ok()) << "stranded under the forgotten root key";
  EXPECT_EQ(*opened, "late-secret");
}

// A crash after the rotation's commit but before its verification pass: root.pending then
// names the OLD key (sealed under the new one) and the next unseal moves stragglers.
TEST_F(SealManagerTest, RotationInterruptedAfterCommitCompletesAtNextUnseal) {
  RootKey root;
  ASSERT_TRUE(Manager(root)->Start().ok());
  std::string k1 = *seal::keyfile::Read((dir_ / "root.key").string());
  RootKey old_holder = RootKey::FromBytes(k1);
  std::string k2 = crypto::RandomBytes(32);
  ASSERT_TRUE(root.BeginRotation(k2).ok());
  // Committed state as step 4 leaves it (new check value, key file, root.pending = K1 under K2).
  RootKey fresh = RootKey::FromBytes(k2);
  ASSERT_TRUE(store_->meta().PutMeta("root.check", *fresh.Seal("arcana root key verification value v1",
                                                        "arcana:root-check"))
                  .ok());
  ASSERT_TRUE(store_->meta().PutMeta("root.pending", *root.SealPrevious("arcana:root-pending")).ok());
  auto derive = root.DerivationSecret();
  ASSERT_TRUE(store_->meta().PutMeta("root.derive", *fresh.Seal(*derive, "arcana:root-derive")).ok());
  ASSERT_TRUE(seal::keyfile::Write((dir_ / "root.key.new").string(), k2).ok());
  // A straggler under K1.
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), old_holder, "123456789012",
                                    std::string("AKIASTRAGGLER001"), std::string("straggler"))
                  .ok());
  RootKey after;
  ASSERT_TRUE(Manager(after)->Start().ok());
  EXPECT_EQ(after.id(), RootKey::IdOf(k2));
  EXPECT_FALSE(store_->meta().GetMeta("root.pending")->has_value());
  auto rec = **store_->access_keys().GetAccessKey("AKIASTRAGGLER001");
  EXPECT_EQ(*auth::OpenAccessKeySecret(after, rec), "straggler");
  EXPECT_TRUE(after.IsCurrent(WrappedPart(rec.sealed_secret)));
}

// --- defect 8: secrets in memory ---

std::string LiveLease() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return "othernode " + std::to_string(ms + 60000);
}

TEST_F(SealManagerTest, AnotherNodesRotationUnderItsLeaseIsLeftToIt) {
  RootKey root;
  ASSERT_TRUE(Manager(root)->Start().ok());
  const std::string committed = root.id();
  // Another node is between steps 2 and 4: its new key file and root.pending exist, and its
  // lease is live. It already sealed a blob under its new key.
  std::string k2 = crypto::RandomBytes(32);
  ASSERT_TRUE(store_->meta().PutMeta("root.rotating", LiveLease()).ok());
  ASSERT_TRUE(store_->meta().PutMeta("root.pending", *root.Seal(k2, "arcana:root-pending")).ok());
  ASSERT_TRUE(seal::keyfile::Write((dir_ / "root.key.new").string(), k2).ok());
  RootKey other_node = RootKey::FromBytes(k2);
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), other_node, "123456789012",
                                    std::string("AKIALEASE0000001"), std::string("under-k2"))
                  .ok());
  RootKey starting;  // this node starts (or unseals) meanwhile
  auto m = Manager(starting);
  ASSERT_TRUE(m->Start().ok());
  EXPECT_EQ(starting.id(), committed);
  EXPECT_TRUE(seal::keyfile::Exists((dir_ / "root.key.new").string()));  // not deleted
  EXPECT_TRUE(store_->meta().GetMeta("root.pending")->has_value());      // not rolled back
  auto rec = store_->access_keys().GetAccessKey("AKIALEASE0000001");
  EXPECT_EQ(*auth::OpenAccessKeySecret(starting, **rec), "under-k2");
  // Nor does it start a rotation of its own.
  auto r = m->RotateRoot();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConflict);
}

TEST_F(SealManagerTest, ExpiredLeaseOfACrashedRotationIsCompletedByTheNextRotation) {
  RootKey root;
  auto m = Manager(root);
  ASSERT_TRUE(m->Start().ok());
  std::string k2 = crypto::RandomBytes(32);
  ASSERT_TRUE(store_->meta().PutMeta("root.rotating", "crashed 1").ok());
  ASSERT_TRUE(store_->meta().PutMeta("root.pending", *root.Seal(k2, "arcana:root-pending")).ok());
  RootKey crashed = RootKey::FromBytes(k2);
  ASSERT_TRUE(auth::CreateAccessKey(store_->access_keys(), crashed, "123456789012",
                                    std::string("AKIALEASE0000002"), std::string("under-k2"))
                  .ok());
  auto r = m->RotateRoot();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(store_->meta().GetMeta("root.rotating")->has_value());
  EXPECT_FALSE(store_->meta().GetMeta("root.pending")->has_value());
  auto rec = store_->access_keys().GetAccessKey("AKIALEASE0000002");
  EXPECT_TRUE(root.IsCurrent(WrappedPart((*rec)->sealed_secret)));
  EXPECT_EQ(*auth::OpenAccessKeySecret(root, **rec), "under-k2");
}

// Two nodes on one store: b must never seal under a root key a rotates away.
TEST_F(SealManagerTest, NodeBehindARotationAdoptsASharedKeyFileOrSealsItself) {
  auto node = [&](RootKey& root, const std::string& key_file) {
    seal::SealOptions o;
    o.data_dir = dir_.string();
    o.root_key_file = key_file;
    o.shared_store = true;
    o.straggler_grace = std::chrono::milliseconds(0);
    return std::make_unique<seal::SealManager>(o, store_->meta(), store_->root(), root);
  };
  const std::string shared = (dir_ / "root.key").string();
  const std::string own_copy = (dir_ / "b-own.key").string();
  RootKey a_root, b_root, c_root;
  auto a = node(a_root, shared);
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(seal::keyfile::Write(own_copy, *seal::keyfile::Read(shared)).ok());
  auto b = node(b_root, shared);    // the same key file path
  auto c = node(c_root, own_copy);  // its own copy
  ASSERT_TRUE(b->Start().ok());
  ASSERT_TRUE(c->Start().ok());
  ASSERT_TRUE(a->RotateRoot().ok());
  // b seals under the store's new root (adopted from the shared file) ...
  auto sealed = b_root.Seal("x", "aad");
  ASSERT_TRUE(sealed.ok()) << sealed.status().message();
  EXPECT_EQ(b_root.id(), a_root.id());
  EXPECT_TRUE(a_root.Open(*sealed, "aad").ok());
  // ... c cannot reach it: it refuses and seals itself.
  auto refused = c_root.Seal("x", "aad");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_TRUE(c_root.sealed());
  // Given the new key file, it unseals.
  ASSERT_TRUE(seal::keyfile::Write(own_copy, *seal::keyfile::Read(shared)).ok());
  ASSERT_TRUE(c->Unseal("").ok());
  EXPECT_EQ(c_root.id(), a_root.id());
}

TEST_F(SealManagerTest, RotationThatCannotWaitOutAJobRollsBackAndCanBeRetried) {
  RootKey root;
  seal::SealOptions o;
  o.data_dir = dir_.string();
  o.older_holds_wait = std::chrono::milliseconds(200);
  seal::SealManager m(o, store_->meta(), store_->root(), root);
  ASSERT_TRUE(m.Start().ok());
  const std::string id = root.id();
  auto job = root.TryHold();  // a long job (a secret rotation step) under the old key
  ASSERT_TRUE(job.has_value());
  auto r = m.RotateRoot();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nothing changed"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(root.id(), id);
  // The job may have sealed under the abandoned key while it was current: that key stays
  // recoverable (root.pending, under the lease) until a retry completes the rollback.
  EXPECT_TRUE(store_->meta().GetMeta("root.pending")->has_value());
  EXPECT_TRUE(store_->meta().GetMeta("root.rotating")->has_value());
  EXPECT_FALSE(seal::keyfile::Exists((dir_ / "root.key.new").string()));
  auto still = m.RotateRoot();  // the job is still running: the retry must not forget the key
  ASSERT_FALSE(still.ok());
  EXPECT_NE(still.status().message().find("still running"), std::string::npos)
      << still.status().message();
  job.reset();  // the job ends: a retry rotates, no restart needed
  auto again = m.RotateRoot();
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_NE(root.id(), id);
  EXPECT_FALSE(store_->meta().GetMeta("root.pending")->has_value());
  EXPECT_FALSE(store_->meta().GetMeta("root.rotating")->has_value());
}

// A job that held the key before a rotation that could not wait it out seals during the
// rotation's window (under the new key, current then) and commits after the rollback: what
// it wrote must still open once the rotation is retried, and after a restart.
TEST_F(SealManagerTest, JobOlderThanARolledBackRotationDoesNotStrandItsWrite) {
  RootKey root;
  seal::SealOptions o;
  o.data_dir = dir_.string();
  o.older_holds_wait = std::chrono::milliseconds(300);
  seal::SealManager m(o, store_->meta(), store_->root(), root);
  ASSERT_TRUE(m.Start().ok());
  const std::string old_id = root.id();
  auto job = root.TryHold();
  ASSERT_TRUE(job.has_value());
  storage::AccessKeyRecord rec;
  rec.access_key_id = "AKIASTRAGGLER001";
  rec.account_id = "123456789012";
  rec.principal_arn = "arn:aws:iam::123456789012:root";
  rec.created_ms = 1;
  std::thread sealer([&] {
    // Inside the rotation's wait: the new key is current.
    for (int i = 0; i < 100 && root.id() == old_id; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    rec.sealed_secret = *root.Seal("straggler-secret", "arcana:access-key:AKIASTRAGGLER001");
  });
  auto r = m.RotateRoot();
  sealer.join();
  ASSERT_FALSE(r.ok());
  ASSERT_FALSE(root.IsCurrent(rec.sealed_secret)) << "the job did not seal during the window";
  ASSERT_TRUE(store_->access_keys().PutAccessKey(rec).ok());  // the job commits late
  job.reset();
  auto again = m.RotateRoot();
  ASSERT_TRUE(again.ok()) << again.status().message();
  auto moved = **store_->access_keys().GetAccessKey("AKIASTRAGGLER001");
  EXPECT_TRUE(root.IsCurrent(WrappedPart(moved.sealed_secret)));
  RootKey restarted;
  ASSERT_TRUE(Manager(restarted)->Start().ok());
  auto opened = auth::OpenAccessKeySecret(restarted, moved);
  ASSERT_TRUE(opened.ok()) << "stranded under the abandoned root key";
  EXPECT_EQ(*opened, "straggler-secret");
}

TEST(RootKeyHolder, DerivedKeyIsWipedWhenTheRootIs) {
  RootKey root;
  root.Install(crypto::RandomBytes(32), crypto::RandomBytes(32));
  crypto::DerivedKey dk(root, "secretsmanager:value-digest");
  const std::string expected = *root.DeriveKey("secretsmanager:value-digest");
  std::string_view v = dk.get();
  ASSERT_EQ(v, expected);
  root.Wipe();  // operator seal
  EXPECT_EQ(std::string(v.data(), v.size()), std::string(32, '\0'));  // wiped in place
  EXPECT_NE(dk.get(), expected);  // the sealed stand-in
  root.Install(crypto::RandomBytes(32), std::string());  // another store's root: other key
  EXPECT_EQ(dk.get(), *root.DeriveKey("secretsmanager:value-digest"));
  EXPECT_EQ(dk.get().data(), v.data());  // re-derived in place
}

TEST(SecureMemory, SecretStringsComeFromTheLockedHeapAndCoreDumpsAreOff) {
  ASSERT_TRUE(crypto::InitSecureHeap());
  crypto::SecretString s(std::string(48, 'k'));
  EXPECT_TRUE(CRYPTO_secure_allocated(s.data()));
  crypto::SecretString copy = s;
  EXPECT_EQ(copy.view(), s.view());
  std::string plain = "plain";
  crypto::SecretString taken = crypto::SecretString::Take(plain);
  EXPECT_TRUE(plain.empty());
  EXPECT_EQ(taken.view(), "plain");
  ASSERT_TRUE(crypto::HardenProcess());
  struct rlimit rl {};
  ASSERT_EQ(getrlimit(RLIMIT_CORE, &rl), 0);
  EXPECT_EQ(rl.rlim_cur, 0u);
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

}  // namespace
}  // namespace arcana
