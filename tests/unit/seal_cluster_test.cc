// The root of trust with several nodes on one store (seal/seal_manager.h): nodes that start
// together on a new store agree on one root key; a node whose key file holds another key
// refuses to start, naming both key ids; --root-key-file puts the key where it is told; and
// the root access key of a new store is created once (app/root_identity.h).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/root_identity.h"
#include "crypto/random.h"
#include "crypto/root_key.h"
#include "seal/keyfile.h"
#include "seal/seal_manager.h"
#include "storage/stores.h"

namespace arcana {
namespace {

class SealClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-seal-cluster-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_ / "store");
    auto s = storage::OpenStores({storage::StoreLocation::Kind::kSqlite, (dir_ / "store").string(), ""});
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(s).value();
  }
  void TearDown() override {
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A node: its own data dir, and the root key file given (or <its data dir>/root.key).
  std::unique_ptr<seal::SealManager> Node(crypto::RootKey& root, const std::string& node,
                                          const std::string& key_file = "") {
    std::filesystem::create_directories(dir_ / node);
    seal::SealOptions o;
    o.data_dir = (dir_ / node).string();
    o.root_key_file = key_file;
    return std::make_unique<seal::SealManager>(o, stores_->meta(), stores_->root(), root);
  }
  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> stores_;
};

TEST_F(SealClusterTest, RootKeyFileGoesWhereItIsTold) {
  const std::string shared = (dir_ / "shared-root.key").string();
  crypto::RootKey a;
  ASSERT_TRUE(Node(a, "a", shared)->Start().ok());
  struct stat st {};
  ASSERT_EQ(::stat(shared.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "a" / "root.key"));  // not in the data dir
  crypto::RootKey b;
  ASSERT_TRUE(Node(b, "b", shared)->Start().ok());
  EXPECT_EQ(a.id(), b.id());
}

TEST_F(SealClusterTest, ANodeWithAnotherKeyFileRefusesToStartNamingBothKeys) {
  crypto::RootKey a;
  ASSERT_TRUE(Node(a, "a")->Start().ok());  // initialises the store with a/root.key
  crypto::RootKey b;
  // No key file at all: an initialised store never gets a new one.
  Status missing = Node(b, "b")->Start();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("does not exist"), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find(a.id()), std::string::npos) << missing.message();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "b" / "root.key"));
  // Another key in the file.
  ASSERT_TRUE(seal::keyfile::CreateIfAbsent((dir_ / "b" / "root.key").string()).ok());
  Status st = Node(b, "b")->Start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter);
  auto other = seal::keyfile::Read((dir_ / "b" / "root.key").string());
  ASSERT_TRUE(other.ok());
  EXPECT_NE(st.message().find((dir_ / "b" / "root.key").string()), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find(crypto::RootKey::IdOf(*other)), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(a.id()), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("same key file"), std::string::npos) << st.message();
  EXPECT_TRUE(b.sealed());
  // The refusal changed nothing: the first node's key still starts.
  crypto::RootKey again;
  ASSERT_TRUE(Node(again, "a")->Start().ok());
  EXPECT_EQ(again.id(), a.id());
}

TEST_F(SealClusterTest, NodesStartingTogetherOnANewStoreAgreeOnOneRootKey) {
  const std::string shared = (dir_ / "root.key").string();
  constexpr int kNodes = 6;
  std::vector<crypto::RootKey> roots(kNodes);
  std::vector<std::unique_ptr<seal::SealManager>> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back(Node(roots[i], "n" + std::to_string(i), shared));
  std::vector<Status> results(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) threads.emplace_back([&, i] { results[i] = nodes[i]->Start(); });
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].message();
    ids.insert(roots[i].id());
  }
  EXPECT_EQ(ids.size(), 1u);
  // They derive the same keys (one derivation secret was kept).
  auto d0 = roots[0].DeriveKey("test");
  for (int i = 1; i < kNodes; ++i) EXPECT_EQ(*roots[i].DeriveKey("test"), *d0);
}

TEST_F(SealClusterTest, NodesWithDifferentKeyFilesRacingOnANewStoreAdmitOnlyOneKey) {
  constexpr int kNodes = 6;
  std::vector<crypto::RootKey> roots(kNodes);
  std::vector<std::unique_ptr<seal::SealManager>> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back(Node(roots[i], "n" + std::to_string(i)));
  std::vector<Status> results(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) threads.emplace_back([&, i] { results[i] = nodes[i]->Start(); });
  for (auto& t : threads) t.join();
  int started = 0;
  for (int i = 0; i < kNodes; ++i) {
    if (results[i].ok()) {
      ++started;
    } else {
      EXPECT_NE(results[i].message().find("same key file"), std::string::npos)
          << results[i].message();
    }
  }
  EXPECT_EQ(started, 1);
}

TEST_F(SealClusterTest, TheRootAccessKeyOfANewStoreIsCreatedOnce) {
  crypto::RootKey root;
  ASSERT_TRUE(Node(root, "a")->Start().ok());
  constexpr int kNodes = 6;
  std::vector<Result<app::RootIdentityResult>> results(kNodes, Status(ErrorCode::kInternalFailure, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      results[i] = app::EnsureRootIdentity(stores_->meta(), stores_->access_keys(), root,
                                           "123456789012", std::nullopt, std::nullopt);
    });
  }
  for (auto& t : threads) t.join();
  int winners = 0;
  std::string winner_id;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().message();
    if (r->initialised_here) {
      ++winners;
      ASSERT_TRUE(r->key.has_value());
      winner_id = r->key->access_key_id;
    }
  }
  EXPECT_EQ(winners, 1);
  auto keys = stores_->access_keys().ListAccessKeys("", 100);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);  // the losers deleted the keys nobody was shown
  EXPECT_EQ((*keys)[0].access_key_id, winner_id);
  auto marker = stores_->meta().GetMeta(app::kInitializedMeta);
  ASSERT_TRUE(marker.ok() && marker->has_value());
  EXPECT_EQ(**marker, winner_id);
  // Later starts change nothing.
  auto later = app::EnsureRootIdentity(stores_->meta(), stores_->access_keys(), root,
                                       "123456789012", std::nullopt, std::nullopt);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->initialised_here);
}

TEST_F(SealClusterTest, NodesGivenTheSameRootPairShareIt) {
  crypto::RootKey root;
  ASSERT_TRUE(Node(root, "a")->Start().ok());
  const std::string id = "AKIACLUSTER00001", secret = "cluster-secret-0001";
  constexpr int kNodes = 4;
  std::vector<Result<app::RootIdentityResult>> results(kNodes, Status(ErrorCode::kInternalFailure, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      results[i] = app::EnsureRootIdentity(stores_->meta(), stores_->access_keys(), root,
                                           "123456789012", id, secret);
    });
  }
  for (auto& t : threads) t.join();
  for (auto& r : results) ASSERT_TRUE(r.ok()) << r.status().message();
  auto rec = stores_->access_keys().GetAccessKey(id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ(*auth::OpenAccessKeySecret(root, **rec), secret);
  auto keys = stores_->access_keys().ListAccessKeys("", 100);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 1u);
}

}  // namespace
}  // namespace arcana
