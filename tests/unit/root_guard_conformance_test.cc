// The root guard of both backends (storage/root_guard.h), the SAME cases on SQLite and on
// PostgreSQL: a write that stores a blob sealed under the root key commits only while that
// key is the store's root, decided inside the write's transaction, so a writer that sealed
// under the old key just before a rotation committed (another node; the offline CLI beside
// arcanad) cannot leave a blob under a key nobody keeps.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "common/root_blob.h"
#include "crypto/base64.h"
#include "conformance_stores.h"
#include "domain/kms/rules.h"
#include "pg_test_cluster.h"
#include "storage/stores.h"

namespace arcana::storage::root_guard_conformance {
namespace {

// A blob as RootKey::Seal frames it, under the root key whose 8-byte id is id8.
std::string SealedUnder(const std::string& id8, const std::string& body = "ciphertext-and-tag") {
  return std::string(root_blob::kMagic) + id8 + body;
}

const std::string kOld = "OLDKEY01";
const std::string kNew = "NEWKEY02";

class RootGuard : public testing::StoresCase {
 protected:
  void SetUp() override {
    StoresCase::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(stores_->meta().PutMeta(root_blob::kCheckMeta, SealedUnder(kOld)).ok());
  }

  Status PutKey(const std::string& id, const std::string& sealed) {
    return stores_->access_keys().PutAccessKey({id, sealed, "111122223333", "p", 1});
  }
  bool HasKey(const std::string& id) {
    auto k = stores_->access_keys().GetAccessKey(id);
    EXPECT_TRUE(k.ok()) << k.status().message();
    return k.ok() && k->has_value();
  }
};

TEST_P(RootGuard, OnlyBlobsUnderTheStoresRootAreWritten) {
  EXPECT_TRUE(PutKey("AKIAUNDERROOT", SealedUnder(kOld)).ok());
  EXPECT_TRUE(HasKey("AKIAUNDERROOT"));

  Status st = PutKey("AKIAUNDEROTHER", SealedUnder(kNew));
  EXPECT_EQ(st.code(), ErrorCode::kServiceUnavailable) << st.message();
  EXPECT_FALSE(HasKey("AKIAUNDEROTHER"));

  // A bare AEAD blob (before blobs named their key) cannot be told apart: written.
  EXPECT_TRUE(PutKey("AKIALEGACY", "no-header-here-at-all").ok());

  StsSession s;
  s.access_key_id = "ASIAUNDEROTHER";
  s.account = "111122223333";
  s.sealed = SealedUnder(kNew);
  s.expires_ms = 4102444800000;
  s.doc = "{}";
  EXPECT_EQ(stores_->identities().PutSession(s).code(), ErrorCode::kServiceUnavailable);
  auto got = stores_->identities().GetSession("ASIAUNDEROTHER");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());

  // A KMS key whose material is under another key: nothing of the write is kept.
  domain::kms::Key key;
  key.account = "111122223333";
  key.region = "us-east-1";
  key.key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  key.arn = domain::kms::KeyArn(key.region, key.account, key.key_id);
  key.key_usage = "ENCRYPT_DECRYPT";
  key.key_spec = "SYMMETRIC_DEFAULT";
  key.materials.push_back({"m1", 1000, ""});
  const Scope scope{key.account, key.region};
  st = stores_->kms().PutKmsKey(
      key, {{key.key_id, "m1", KeyMaterialAad(key.arn, "m1"), SealedUnder(kNew)}}, "CreateKey");
  EXPECT_EQ(st.code(), ErrorCode::kServiceUnavailable) << st.message();
  auto k = stores_->kms().GetKmsKey(scope, key.key_id);
  ASSERT_TRUE(k.ok());
  EXPECT_FALSE(k->has_value());
  EXPECT_TRUE(stores_->kms()
                  .PutKmsKey(key, {{key.key_id, "m1", KeyMaterialAad(key.arn, "m1"),
                                    SealedUnder(kOld)}},
                             "CreateKey")
                  .ok());
}

// An EventBridge connection's credentials (base64 text of a root-sealed blob), created and
// updated.
TEST_P(RootGuard, ConnectionCredentialsOnlyUnderTheStoresRoot) {
  const Scope scope{"111122223333", "us-east-1"};
  EventConnectionRecord c = testing::EventConnectionRow(kEventConnectionKind, "conn", "1234");
  c.sealed = crypto::Base64Encode(SealedUnder(kNew));
  EXPECT_EQ(stores_->event_connections().CreateEventConnection(scope, c).code(),
            ErrorCode::kServiceUnavailable);
  EXPECT_FALSE(stores_->event_connections().GetEventConnection(scope, c.kind, c.name)->has_value());
  c.sealed = crypto::Base64Encode(SealedUnder(kOld));
  ASSERT_TRUE(stores_->event_connections().CreateEventConnection(scope, c).ok());
  EventConnectionRecord updated = c;
  updated.modified_ms = 2;
  updated.sealed = crypto::Base64Encode(SealedUnder(kNew, "other"));
  EXPECT_EQ(stores_->event_connections().UpdateEventConnection(scope, updated, c, "UpdateConnection")
                .code(),
            ErrorCode::kServiceUnavailable);
  EXPECT_EQ(stores_->event_connections().GetEventConnection(scope, c.kind, c.name)->value().sealed,
            c.sealed);
}

TEST_P(RootGuard, WhileARotationIsUncommittedEitherKeyIsWritten) {
  // The rotating node seals under the new key, the others under the old; its commit rewraps
  // whatever is under the old one.
  ASSERT_TRUE(stores_->meta().PutMeta(root_blob::kRotatingMeta, "holder 4102444800000").ok());
  EXPECT_TRUE(PutKey("AKIAOLDDURING", SealedUnder(kOld)).ok());
  EXPECT_TRUE(PutKey("AKIANEWDURING", SealedUnder(kNew)).ok());
  // Committed: root.check names the new key, and the old one is on its way out.
  ASSERT_TRUE(stores_->meta().PutMeta(root_blob::kCheckMeta, SealedUnder(kNew)).ok());
  ASSERT_TRUE(stores_->meta()
                  .PutMeta(root_blob::kRotatingMeta,
                           "holder 4102444800000" + std::string(root_blob::kCommittedMark))
                  .ok());
  EXPECT_EQ(PutKey("AKIAOLDAFTER", SealedUnder(kOld)).code(), ErrorCode::kServiceUnavailable);
  EXPECT_FALSE(HasKey("AKIAOLDAFTER"));
  EXPECT_TRUE(PutKey("AKIANEWAFTER", SealedUnder(kNew)).ok());
}

// The race the guard is for: a write sealed under the old key reaches the store while the
// rotation's commit (the rewrap transaction, which locks the tables of root-sealed blobs)
// runs. It waits for that commit and is then refused: it is not left under the old key.
TEST_P(RootGuard, AWriteRacingTheRotationsCommitIsRefusedNotStranded) {
  ASSERT_TRUE(PutKey("AKIAEXISTING", SealedUnder(kOld)).ok());
  std::promise<void> locked;
  std::atomic<bool> signalled{false};
  auto rotation = std::async(std::launch::async, [&] {
    return stores_->root().RewrapRootBlobs(
        {},
        [&](const RootWrappedBlob& b) -> Result<std::optional<std::string>> {
          if (!signalled.exchange(true)) {
            locked.set_value();
            // The racing write is now waiting for this transaction's table locks.
            std::this_thread::sleep_for(std::chrono::milliseconds(700));
          }
          if (root_blob::KeyIdOf(b.blob) != kOld) return std::optional<std::string>();
          return std::optional<std::string>(SealedUnder(kNew));
        },
        {{root_blob::kCheckMeta, SealedUnder(kNew)},
         {root_blob::kRotatingMeta,
          "holder 4102444800000" + std::string(root_blob::kCommittedMark)}},
        {});
  });
  locked.get_future().wait();
  Status racing = PutKey("AKIARACING", SealedUnder(kOld));
  auto rewrapped = rotation.get();
  ASSERT_TRUE(rewrapped.ok()) << rewrapped.status().message();
  EXPECT_EQ(racing.code(), ErrorCode::kServiceUnavailable) << racing.message();
  EXPECT_FALSE(HasKey("AKIARACING"));
  auto existing = stores_->access_keys().GetAccessKey("AKIAEXISTING");
  ASSERT_TRUE(existing.ok() && existing->has_value());
  EXPECT_EQ(root_blob::KeyIdOf((*existing)->sealed_secret), kNew);
}

INSTANTIATE_TEST_SUITE_P(Backends, RootGuard, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace arcana::storage::root_guard_conformance
