#include "storage/sqlite_db.h"

namespace arcana::storage::sqlite {

Status DbError(sqlite3* db, const char* what) {
  return Status(ErrorCode::kInternalServiceError,
                std::string("storage error (") + what + "): " + sqlite3_errmsg(db));
}

Conn::~Conn() {
  for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
  sqlite3_close_v2(db_);
}

sqlite3_stmt* Conn::Prepare(const char* sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
    return nullptr;
  stmts_[sql] = st;
  return st;
}

Status Conn::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return Status(ErrorCode::kInternalServiceError, "storage error: " + msg);
  }
  return Status::Ok();
}

void BindText(sqlite3_stmt* st, int i, const std::string& s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}
void BindBlob(sqlite3_stmt* st, int i, const std::string& s) {
  sqlite3_bind_blob(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}
std::string ColText(sqlite3_stmt* st, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(st, i));
  int n = sqlite3_column_bytes(st, i);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

Lease::~Lease() {
  if (c_) pool_->Release(std::move(c_));
}

namespace {
// Runs after each commit (WAL mode). Replaces SQLite's default hook, so it also does the
// default's job: a passive checkpoint once the WAL holds 1000 pages.
int AfterCommit(void* generation, sqlite3* db, const char* schema, int wal_pages) {
  static_cast<std::atomic<uint64_t>*>(generation)->fetch_add(1, std::memory_order_acq_rel);
  if (wal_pages >= 1000) {
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

Result<std::unique_ptr<Conn>> OpenConn(const std::string& path,
                                       std::atomic<uint64_t>* generation) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Status(ErrorCode::kInternalServiceError, "cannot open database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 10000);
  auto c = std::make_unique<Conn>(db);
  // WAL + FULL: every commit fsyncs the WAL before it returns, so an acknowledged
  // write survives kill -9 and power loss.
  ARCANA_RETURN_IF_ERROR(
      c->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  sqlite3_wal_hook(db, AfterCommit, generation);
  return c;
}
}  // namespace

Result<Lease> Pool::Acquire() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!free_.empty()) {
      auto c = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  ARCANA_ASSIGN_OR_RETURN(auto c, OpenConn(path_, &generation_));
  return Lease(this, std::move(c));
}

void Pool::Release(std::unique_ptr<Conn> c) {
  std::lock_guard<std::mutex> l(mu_);
  if (free_.size() < 16) free_.push_back(std::move(c));
}

Status Migrate(Conn& c, const std::vector<Migrations>& components) {
  ARCANA_RETURN_IF_ERROR(c.Exec("BEGIN EXCLUSIVE"));
  auto fail = [&](Status s) {
    (void)c.Exec("ROLLBACK");
    return s;
  };
  Status s = c.Exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)");
  if (!s.ok()) return fail(s);
  for (const auto& m : components) {
    std::string key = std::string("schema:") + m.component;
    sqlite3_stmt* st = c.Prepare("SELECT value FROM meta WHERE key = ?");
    if (!st) return fail(DbError(c.db(), "prepare"));
    BindText(st, 1, key);
    size_t version = 0;
    if (sqlite3_step(st) == SQLITE_ROW) version = std::stoul(ColText(st, 0));
    sqlite3_reset(st);
    if (version > m.count) {
      return fail(Status(ErrorCode::kInternalServiceError,
                         std::string("schema of ") + m.component + " is version " +
                             std::to_string(version) + ", newer than this arcanad supports (" +
                             std::to_string(m.count) + ")"));
    }
    for (size_t v = version; v < m.count; ++v) {
      s = c.Exec(m.steps[v]);
      if (!s.ok()) return fail(s);
    }
    if (version != m.count) {
      sqlite3_stmt* up = c.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
      if (!up) return fail(DbError(c.db(), "prepare"));
      BindText(up, 1, key);
      BindText(up, 2, std::to_string(m.count));
      if (sqlite3_step(up) != SQLITE_DONE) return fail(DbError(c.db(), "record schema"));
    }
  }
  return c.Exec("COMMIT");
}

}  // namespace arcana::storage::sqlite
