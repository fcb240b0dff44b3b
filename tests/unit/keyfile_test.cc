// The key-file root of trust's file (seal/keyfile.h): CreateIfAbsent makes a 0600 file of 32
// bytes once, and concurrent creators (several nodes starting at once on a shared path) all
// get the same key; an existing file is read, never replaced.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/random.h"
#include "seal/keyfile.h"

namespace arcana::seal {
namespace {

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-keyfile-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(KeyFileTest, CreatesA0600FileOnceAndReadsItAfterwards) {
  const std::string path = (dir_ / "custom-root.key").string();
  auto first = keyfile::CreateIfAbsent(path);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto again = keyfile::CreateIfAbsent(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  // No temporary file is left behind.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(KeyFileTest, ConcurrentCreatorsAgreeOnOneKey) {
  const std::string path = (dir_ / "root.key").string();
  constexpr int kNodes = 8;
  std::vector<std::string> keys(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      auto k = keyfile::CreateIfAbsent(path);
      ASSERT_TRUE(k.ok()) << k.status().message();
      keys[i] = *k;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 1u);
  auto on_disk = keyfile::Read(path);
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(*on_disk, keys[0]);
}

TEST_F(KeyFileTest, MissingDirectoryIsAClearError) {
  auto k = keyfile::CreateIfAbsent((dir_ / "no-such-dir" / "root.key").string());
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("cannot create root key file"), std::string::npos);
}

TEST_F(KeyFileTest, AGroupReadableFileIsRefused) {
  const std::string path = (dir_ / "root.key").string();
  ASSERT_TRUE(keyfile::CreateIfAbsent(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto k = keyfile::CreateIfAbsent(path);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("chmod 600"), std::string::npos);
}

}  // namespace
}  // namespace arcana::seal
