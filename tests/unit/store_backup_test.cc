#include "storage/store_backup.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

namespace arcana::storage {
namespace {

TEST(StoreBackupNames, AreTheUtcTimeAndSortAsTimesDo) {
  const int64_t t = 1'796'613'492'123;  // 2026-12-07T03:18:12.123Z
  EXPECT_EQ(BackupFileName(t), "arcana-20261207T031812.123Z.db");
  EXPECT_EQ(BackupFileName(t + 877), "arcana-20261207T031813.000Z.db");
  EXPECT_LT(BackupFileName(t), BackupFileName(t + 1));
  EXPECT_TRUE(IsBackupFileName(BackupFileName(t)));
  for (const char* other : {"arcana.db", "arcana-20261207T031812Z.db", "arcana-20261207T031812.123Z.db.arcana-partial",
                            "arcana-2026120xT031812.123Z.db", "notes.txt", ""}) {
    EXPECT_FALSE(IsBackupFileName(other)) << other;
  }
}

TEST(StoreBackupNames, KeepNewestDeletesOnlyOlderBackups) {
  const auto dir = std::filesystem::temp_directory_path() / ("keep-newest-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const int64_t t = 1'796'613'492'000;
  for (int i = 0; i < 5; ++i) std::ofstream(dir / BackupFileName(t + i * 1000)) << i;
  std::ofstream(dir / "notes.txt") << "kept";
  std::ofstream(dir / "arcana.db") << "kept";
  auto deleted = KeepNewestBackups(dir.string(), 2);
  ASSERT_TRUE(deleted.ok()) << deleted.status().message();
  EXPECT_EQ(*deleted, 3u);
  std::set<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir)) left.insert(e.path().filename().string());
  EXPECT_EQ(left, (std::set<std::string>{BackupFileName(t + 3000), BackupFileName(t + 4000),
                                         "notes.txt", "arcana.db"}));
  EXPECT_EQ(*KeepNewestBackups(dir.string(), 2), 0u);
  std::filesystem::remove_all(dir);
}

TEST(StoreBackupNames, TheBackupJustMadeStaysAndStaleStagingCopiesGo) {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / ("keep-made-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const int64_t now = 1'796'613'492'000;
  // A clock once ahead left a name that sorts after the backup just made.
  const std::string future = BackupFileName(now + int64_t{3650} * 86'400'000);
  const std::string made = BackupFileName(now), older = BackupFileName(now - 86'400'000);
  for (const auto& n : {future, made, older}) std::ofstream(dir / n) << n;
  // Staging copies: one killed long ago, one being written now.
  const std::string stale = BackupFileName(now - 2 * 86'400'000) + ".arcana-partial";
  const std::string fresh = BackupFileName(now - 1000) + ".arcana-partial";
  std::ofstream(dir / stale) << "x";
  std::ofstream(dir / fresh) << "x";
  const auto day_ago = fs::file_time_type::clock::now() - std::chrono::hours(24);
  fs::last_write_time(dir / stale, day_ago);
  // "now" for the check is the real clock: the fresh copy was just written.
  const int64_t real_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  auto deleted = KeepNewestBackups(dir.string(), 1, made, real_now);
  ASSERT_TRUE(deleted.ok()) << deleted.status().message();
  EXPECT_EQ(*deleted, 2u);  // future and older; the staging copy is not a backup
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) left.insert(e.path().filename().string());
  EXPECT_EQ(left, (std::set<std::string>{made, fresh}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace arcana::storage
