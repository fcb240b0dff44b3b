// The PostgreSQL ChangeLog (change_log.h): table changes (one row per change) and the
// single-row change_head, bumped by every committing transaction that carries changes as its
// last statement (pg_database.h), so Head() is one single-row read and numbers follow commit
// order with no gap that fills in later. WaitForChange listens on a dedicated connection
// (LISTEN arcana_changes; every such commit NOTIFYs its new head); it is only a wake-up.
// Each row names the node that committed it (column node, Database::Options::node).
// Thread-safety: as every store component (store_types.h); concurrent waiters share the one
// listening connection (one of them reads it, the others wait for what it saw).
#pragma once

#include <memory>

#include "storage/change_log.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

class PgChangeLog : public ChangeLog {
 public:
  explicit PgChangeLog(Database& db);
  ~PgChangeLog() override;
  static Migrations Schema();

  Result<int64_t> Head() override;
  bool NamesNodes() const override { return true; }
  Result<std::vector<Change>> ReadChanges(int64_t after_seq, size_t limit) override;
  void WaitForChange(int64_t after_seq, std::chrono::milliseconds timeout) override;
  Result<size_t> TrimChanges(int64_t before_ms) override;

 private:
  struct Listener;
  Database& db_;
  std::unique_ptr<Listener> listener_;
};

}  // namespace arcana::storage::pg
