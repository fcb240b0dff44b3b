// The SQLite ChangeLog (storage/change_log.h): table `changes`, appended by every
// component's writes in their own transactions (WriteTxn::AddChange). seq is an
// AUTOINCREMENT key, so a trimmed maximum is never handed out again; SQLite serialises
// writers (of every process), so seq order is commit order. The head is the Database's,
// kept in memory: moved after each durable COMMIT of this process, and after a look at the
// database finds that another process (the arcana CLI beside arcanad) committed (database.h,
// Other processes).
#pragma once

#include "storage/change_log.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteChangeLog : public ChangeLog {
 public:
  explicit SqliteChangeLog(Database& db) : db_(db) {}
  static Migrations Schema();

  Result<int64_t> Head() override { return db_.HeadSince(std::chrono::steady_clock::now()); }
  Result<int64_t> HeadSince(std::chrono::steady_clock::time_point since) override {
    return db_.HeadSince(since);
  }
  bool HeadIsLocal() const override { return true; }
  Result<std::vector<Change>> ReadChanges(int64_t after_seq, size_t limit) override;
  void WaitForChange(int64_t after_seq, std::chrono::milliseconds timeout) override {
    db_.WaitForChange(after_seq, timeout);
  }
  Result<size_t> TrimChanges(int64_t before_ms) override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
