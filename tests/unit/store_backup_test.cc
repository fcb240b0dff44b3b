#include "storage/store_backup.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace arcana::storage
