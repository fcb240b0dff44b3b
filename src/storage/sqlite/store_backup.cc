#include "storage/store_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "common/root_blob.h"
#include "common/sync_dir.h"
#include "crypto/hash.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana::storage {

namespace {

using sqlite::Conn;

Status FileError(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kInternalServiceError, what + " " + path + ": " + std::strerror(errno));
}

bool Exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

// An existing database, opened without creating one (flags: SQLITE_OPEN_READONLY or
// SQLITE_OPEN_READWRITE). A backup file is as hostile as any input: defensive mode takes away
// the features that let SQL corrupt a file on purpose (writable_schema, direct page writes),
// and an untrusted schema may not call functions with side effects from its own definitions.
Result<std::unique_ptr<Conn>> OpenExisting(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Status(ErrorCode::kInvalidRequest, "cannot open " + path + " as a SQLite database: " + msg);
  }
  sqlite3_busy_timeout(db, 10000);
  return std::make_unique<Conn>(db);
}

// An empty 0600 file at path (VACUUM INTO writes into an empty file, keeping its mode).
Status CreatePrivateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return FileError("cannot create", path);
  ::close(fd);
  return Status::Ok();
}

Status SyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError("cannot open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return FileError("cannot sync", path);
  return Status::Ok();
}

// Gives `from` the name `to`, which must not exist (never replaced: a file made meanwhile
// stays). A hard link where the file system has them; else (FAT, many SMB and FUSE mounts,
// common backup targets) renameat2's RENAME_NOREPLACE.
Status MoveNoReplace(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return Status::Ok();
  if (errno == EEXIST) return FileError("cannot create", to);
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  return FileError("cannot create", to);
}

// Removes a staging file left by an interrupted run, with SQLite's companions.
void RemoveStaging(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

// A consistent copy of the database `c` reads, into the empty file at `to`.
Status VacuumInto(Conn& c, const std::string& to) {
  sqlite3_stmt* st = c.Prepare("VACUUM INTO ?1");
  if (st == nullptr) return sqlite::DbError(c.db(), "prepare VACUUM INTO");
  sqlite::BindText(st, 1, to);
  return sqlite::Step(c, st, "copy the store");
}

Result<std::optional<std::string>> Meta(Conn& c, const char* key) {
  sqlite3_stmt* st = c.Prepare("SELECT value FROM meta WHERE key = ?1");
  if (st == nullptr) return sqlite::DbError(c.db(), "read the store's meta");
  sqlite::BindText(st, 1, key);
  std::optional<std::string> v;
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    v.emplace(static_cast<const char*>(sqlite3_column_blob(st, 0)),
              static_cast<size_t>(sqlite3_column_bytes(st, 0)));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite::DbError(c.db(), "read the store's meta");
  return v;
}

Result<bool> HasTable(Conn& c, const char* table) {
  sqlite3_stmt* st = c.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  if (st == nullptr) return sqlite::DbError(c.db(), "read the schema");
  sqlite::BindText(st, 1, table);
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite::DbError(c.db(), "read the schema");
  return rc == SQLITE_ROW;
}

// The change sequence's head: the highest number ever given (AUTOINCREMENT's record), which
// retention never lowers, or the highest retained one.
Result<int64_t> ChangeHead(Conn& c) {
  ARCANA_ASSIGN_OR_RETURN(bool has_changes, HasTable(c, "changes"));
  if (!has_changes) return int64_t{0};
  sqlite3_stmt* st = c.Prepare(
      "SELECT MAX(COALESCE((SELECT MAX(seq) FROM sqlite_sequence WHERE name = 'changes'), 0), "
      "COALESCE((SELECT MAX(seq) FROM changes), 0))");
  if (st == nullptr) return sqlite::DbError(c.db(), "read the change head");
  if (sqlite3_step(st) != SQLITE_ROW) return sqlite::DbError(c.db(), "read the change head");
  const int64_t head = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  // A crafted file's head near the top of the range would wrap the next number (and leave
  // SQLite's AUTOINCREMENT nothing to give): no real store comes anywhere near it.
  if (head < 0 || head > (INT64_MAX >> 2)) {
    return Status(ErrorCode::kInvalidRequest,
                  "the change sequence's head " + std::to_string(head) + " is out of range");
  }
  return head;
}

// SQLite's full check: quick_check would pass an index that does not match its table, which
// VACUUM INTO copies as it is (a key then not found by its id in the restored store).
Status IntegrityCheck(Conn& c, const std::string& path) {
  sqlite3_stmt* st = c.Prepare("PRAGMA integrity_check");
  if (st == nullptr) {
    return Status(ErrorCode::kInvalidRequest,
                  path + " is not an Arcana store (SQLite: " + sqlite3_errmsg(c.db()) + ")");
  }
  const int rc = sqlite3_step(st);
  const std::string verdict = rc == SQLITE_ROW ? sqlite::ColText(st, 0) : sqlite3_errmsg(c.db());
  sqlite3_reset(st);
  if (verdict != "ok") {
    return Status(ErrorCode::kInvalidRequest, path + " is damaged (SQLite's check: " + verdict + ")");
  }
  return Status::Ok();
}

Status NoTriggersOrViews(Conn& c, const std::string& path);

// The file at path (open as c) passes SQLite's check and holds an Arcana store.
Status RequireArcanaStore(Conn& c, const std::string& path) {
  ARCANA_RETURN_IF_ERROR(IntegrityCheck(c, path));
  ARCANA_ASSIGN_OR_RETURN(bool has_meta, HasTable(c, "meta"));
  std::optional<std::string> schema;
  if (has_meta) {
    ARCANA_ASSIGN_OR_RETURN(schema, Meta(c, "schema:secrets"));
  }
  if (!schema) return Status(ErrorCode::kInvalidRequest, path + " is not an Arcana store");
  return NoTriggersOrViews(c, path);
}

// Arcana's migrations make tables and indexes only: a trigger or view in a file given to
// restore would run its own SQL when the restore writes the staged copy.
Status NoTriggersOrViews(Conn& c, const std::string& path) {
  sqlite3_stmt* st = c.Prepare("SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')");
  if (st == nullptr) return sqlite::DbError(c.db(), "read the schema");
  const bool foreign = sqlite3_step(st) == SQLITE_ROW;
  const std::string what = foreign ? sqlite::ColText(st, 0) + " " + sqlite::ColText(st, 1) : "";
  sqlite3_reset(st);
  if (foreign) {
    return Status(ErrorCode::kInvalidRequest,
                  path + " is not an Arcana store as Arcana writes one: it holds the " + what);
  }
  return Status::Ok();
}

Status NotRotating(Conn& c, const std::string& what) {
  ARCANA_ASSIGN_OR_RETURN(auto pending, Meta(c, "root.pending"));
  if (pending) {
    return Status(ErrorCode::kInvalidRequest,
                  what + " is in the middle of a root rotation (root.pending): let `arcana "
                         "operator rotate-root` (or the next unseal) finish it, then retry");
  }
  return Status::Ok();
}

// The backup and the store it replaces must be sealed under one root key: their root.check
// blobs name it (a legacy untagged blob: the blobs themselves must be equal).
Status SameRoot(const std::optional<std::string>& backup, const std::optional<std::string>& store) {
  if (!backup || !store) return Status::Ok();  // a store never unsealed yet: nothing to compare
  const std::string_view b = root_blob::KeyIdOf(*backup), s = root_blob::KeyIdOf(*store);
  const bool same = (b.empty() || s.empty()) ? *backup == *store : b == s;
  if (same) return Status::Ok();
  return Status(ErrorCode::kInvalidRequest,
                "the backup is sealed under root key " + (b.empty() ? "(untagged)" : crypto::HexEncode(b)) +
                    " and this store under " + (s.empty() ? "(untagged)" : crypto::HexEncode(s)) +
                    " (the root was rotated after the backup, or it is another store's): "
                    "restore it into a new data dir and start that with the root of trust the "
                    "backup was taken under");
}

std::string UtcStamp(int64_t now_ms) {
  const std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%S", &tm);
  char ms[8];
  std::snprintf(ms, sizeof(ms), ".%03dZ", static_cast<int>(now_ms % 1000));
  return std::string(buf) + ms;
}

// What the replaced store knew that the backup must not take back.
struct Carried {
  bool exists = false;  // there was a store to replace
  int64_t head = 0;
  std::optional<std::string> root_check;
  std::vector<std::pair<std::string, std::string>> audit_heads;  // audit.node.* (node_head.h)
};

Result<Carried> ReadReplaced(const std::string& db) {
  Carried out;
  if (!Exists(db)) return out;
  out.exists = true;
  ARCANA_ASSIGN_OR_RETURN(auto c, OpenExisting(db, SQLITE_OPEN_READWRITE));
  ARCANA_ASSIGN_OR_RETURN(bool has_meta, HasTable(*c, "meta"));
  if (has_meta) {
    ARCANA_ASSIGN_OR_RETURN(out.root_check, Meta(*c, root_blob::kCheckMeta));
    sqlite3_stmt* st = c->Prepare("SELECT key, value FROM meta WHERE key LIKE 'audit.node.%'");
    if (st == nullptr) return sqlite::DbError(c->db(), "read the store's audit heads");
    while (sqlite3_step(st) == SQLITE_ROW) {
      out.audit_heads.emplace_back(sqlite::ColText(st, 0),
                                   std::string(static_cast<const char*>(sqlite3_column_blob(st, 1)),
                                               static_cast<size_t>(sqlite3_column_bytes(st, 1))));
    }
    sqlite3_reset(st);
  }
  ARCANA_ASSIGN_OR_RETURN(out.head, ChangeHead(*c));
  // Every committed frame into the database file and no -wal left: the hard link kept below
  // is then the whole old store. A reader of the old file (`arcana store backup`, `store
  // inspect`, `audit verify` take no lock) can keep the checkpoint from finishing: then the
  // -wal still holds committed writes, and the restore must not remove it.
  int wal_frames = -1, checkpointed = -1;
  const int rc = sqlite3_wal_checkpoint_v2(c->db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                           &wal_frames, &checkpointed);
  if (rc != SQLITE_OK || wal_frames != checkpointed) {
    return Status(ErrorCode::kInvalidRequest,
                  "cannot fold " + db + "'s write-ahead log into it (" +
                      (rc == SQLITE_OK ? std::string("incomplete") : sqlite3_errstr(rc)) +
                      "): another process is reading the store; retry when it is done");
  }
  return out;
}

// In the staged copy, one transaction: the replaced store's audit heads, leases released,
// the change sequence continued after both heads, and the restore's own change.
Result<Change> Adopt(Conn& c, const Carried& replaced, int64_t backup_head, int64_t now_ms) {
  ARCANA_RETURN_IF_ERROR(c.Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Result<Change> {
    // The replaced store's memory of the audit chains is the truth (the files went on): the
    // backup's older entries go, also those of nodes the replaced store no longer knew.
    if (replaced.exists) {
      ARCANA_RETURN_IF_ERROR(c.Exec("DELETE FROM meta WHERE key LIKE 'audit.node.%'"));
    }
    for (const auto& [key, value] : replaced.audit_heads) {
      sqlite3_stmt* st = c.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
      if (st == nullptr) return sqlite::DbError(c.db(), "prepare");
      sqlite::BindText(st, 1, key);
      sqlite::BindBlob(st, 2, value);
      ARCANA_RETURN_IF_ERROR(sqlite::Step(c, st, "keep the audit heads"));
    }
    ARCANA_RETURN_IF_ERROR(c.Exec("UPDATE jobs SET owner = '', lease_until_ms = 0"));
    ARCANA_RETURN_IF_ERROR(c.Exec("UPDATE event_deliveries SET owner = '', lease_until_ms = 0"));
    Change ch;
    ch.seq = std::max(replaced.head, backup_head) + 1;
    ch.at_ms = now_ms;
    ch.service = "arcana";
    ch.resource = Change::kStoreResource;
    ch.kind = Change::kRestoreKind;
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO changes (seq, at_ms, account, region, service, resource, kind) "
        "VALUES (?1, ?2, '', '', ?3, ?4, ?5)");
    if (st == nullptr) return sqlite::DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, ch.seq);
    sqlite3_bind_int64(st, 2, ch.at_ms);
    sqlite::BindText(st, 3, ch.service);
    sqlite::BindText(st, 4, ch.resource);
    sqlite::BindText(st, 5, ch.kind);
    ARCANA_RETURN_IF_ERROR(sqlite::Step(c, st, "record the restore"));
    return ch;
  };
  auto ch = body();
  if (!ch.ok()) {
    (void)c.Exec("ROLLBACK");
    return ch.status();
  }
  ARCANA_RETURN_IF_ERROR(c.Exec("COMMIT"));
  return ch;
}

}  // namespace

Result<BackupReport> BackupSqliteStore(const std::string& db, const std::string& to) {
  if (Exists(to)) {
    return Status(ErrorCode::kInvalidRequest, to + " exists: a backup never overwrites a file");
  }
  if (!Exists(db)) return Status(ErrorCode::kInvalidRequest, "there is no store at " + db);
  const std::string staging = to + ".arcana-partial";
  RemoveStaging(staging);
  ARCANA_RETURN_IF_ERROR(CreatePrivateFile(staging));
  auto made = [&]() -> Result<BackupReport> {
    {
      // Read-write only so that SQLite may use the live -shm of a running arcanad; nothing
      // is written through this connection.
      ARCANA_ASSIGN_OR_RETURN(auto src, OpenExisting(db, SQLITE_OPEN_READWRITE));
      ARCANA_RETURN_IF_ERROR(VacuumInto(*src, staging));
    }
    BackupReport report;
    {
      ARCANA_ASSIGN_OR_RETURN(auto copy, OpenExisting(staging, SQLITE_OPEN_READONLY));
      ARCANA_RETURN_IF_ERROR(NotRotating(*copy, "the store"));
      ARCANA_ASSIGN_OR_RETURN(report.head, ChangeHead(*copy));
    }
    ARCANA_RETURN_IF_ERROR(SyncFile(staging));
    struct stat st{};
    if (::stat(staging.c_str(), &st) == 0) report.bytes = st.st_size;
    ARCANA_RETURN_IF_ERROR(MoveNoReplace(staging, to));
    SyncDirectoryOf(to);
    return report;
  }();
  RemoveStaging(staging);
  return made;
}

Result<BackupSummary> InspectSqliteBackup(const std::string& path) {
  ARCANA_ASSIGN_OR_RETURN(auto c, OpenExisting(path, SQLITE_OPEN_READONLY));
  ARCANA_RETURN_IF_ERROR(RequireArcanaStore(*c, path));
  BackupSummary out;
  ARCANA_ASSIGN_OR_RETURN(auto seal, Meta(*c, "root.seal"));
  out.root_seal = seal.value_or("");
  ARCANA_ASSIGN_OR_RETURN(auto check, Meta(*c, root_blob::kCheckMeta));
  if (check) out.root_key_id = crypto::HexEncode(root_blob::KeyIdOf(*check));
  ARCANA_ASSIGN_OR_RETURN(auto pending, Meta(*c, "root.pending"));
  out.rotating = pending.has_value();
  ARCANA_ASSIGN_OR_RETURN(out.head, ChangeHead(*c));
  sqlite3_stmt* newest = c->Prepare("SELECT COALESCE(MAX(at_ms), 0) FROM changes");
  if (newest != nullptr && sqlite3_step(newest) == SQLITE_ROW) {
    out.newest_change_ms = sqlite3_column_int64(newest, 0);
  }
  // The tables an operator recognises; a table an older schema lacks is left out.
  static constexpr const char* kTables[] = {
      "secrets", "secret_values", "ssm_parameters", "kms_keys", "kms_aliases", "iam_entities",
      "access_keys", "rotation_functions", "event_rules", "jobs"};
  for (const char* table : kTables) {
    ARCANA_ASSIGN_OR_RETURN(bool present, HasTable(*c, table));
    if (!present) continue;
    sqlite3_stmt* st = nullptr;
    const std::string sql = std::string("SELECT COUNT(*) FROM \"") + table + "\"";
    if (sqlite3_prepare_v2(c->db(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      sqlite3_finalize(st);
      return sqlite::DbError(c->db(), "count rows");
    }
    const int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    out.rows.emplace_back(table, n);
  }
  return out;
}

std::string BackupFileName(int64_t now_ms) { return "arcana-" + UtcStamp(now_ms) + ".db"; }

bool IsBackupFileName(std::string_view name) {
  constexpr std::string_view kPattern = "arcana-########T######.###Z.db";  // #: a digit
  if (name.size() != kPattern.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char p = kPattern[i], c = name[i];
    if (p == '#' ? !(c >= '0' && c <= '9') : c != p) return false;
  }
  return true;
}

Result<size_t> KeepNewestBackups(const std::string& dir, size_t keep, std::string_view just_made,
                                 int64_t now_ms) {
  constexpr std::string_view kPartial = ".arcana-partial";
  constexpr int64_t kStalePartialMs = 6 * 3600 * 1000;
  std::error_code ec;
  std::vector<std::string> names, stale;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (IsBackupFileName(name)) {
      if (name != just_made) names.push_back(name);
      continue;
    }
    // A backup killed part-way leaves its staging copy (a whole store) under a name no later
    // run reuses: gone once it is surely not being written.
    struct stat st{};
    if (name.ends_with(kPartial) && IsBackupFileName(name.substr(0, name.size() - kPartial.size())) &&
        ::stat((dir + "/" + name).c_str(), &st) == 0 &&
        static_cast<int64_t>(st.st_mtime) * 1000 < now_ms - kStalePartialMs) {
      stale.push_back(name);
    }
  }
  if (ec) return Status(ErrorCode::kInternalServiceError, "cannot list " + dir + ": " + ec.message());
  // Newest first by name (the UTC time); the backup just made always stays and counts, even
  // when a clock once ahead left names that sort after it.
  std::sort(names.rbegin(), names.rend());
  const size_t others = just_made.empty() ? keep : (keep > 0 ? keep - 1 : 0);
  size_t deleted = 0;
  for (size_t i = others; i < names.size(); ++i) stale.push_back(names[i]);
  for (const auto& name : stale) {
    if (::unlink((dir + "/" + name).c_str()) != 0 && errno != ENOENT) {
      return FileError("cannot delete", dir + "/" + name);
    }
    deleted += IsBackupFileName(name);
  }
  if (!stale.empty()) SyncDirectory(dir);
  return deleted;
}

Result<RestoreReport> RestoreSqliteStore(const std::string& dir, const std::string& from,
                                         int64_t now_ms) {
  RestoreReport report;
  ARCANA_ASSIGN_OR_RETURN(auto backup, OpenExisting(from, SQLITE_OPEN_READONLY));
  ARCANA_RETURN_IF_ERROR(RequireArcanaStore(*backup, from));
  ARCANA_RETURN_IF_ERROR(NotRotating(*backup, "the backup"));
  const std::string db = dir + "/arcana.db";
  const std::string staging = dir + "/arcana.db.restoring";
  RemoveStaging(staging);
  ARCANA_RETURN_IF_ERROR(CreatePrivateFile(staging));
  auto staged = [&]() -> Status {
    ARCANA_RETURN_IF_ERROR(VacuumInto(*backup, staging));
    backup.reset();  // closed before any connection to the store's files opens
    {
      // The copy is what gets restored: the checks above hold for it too, whatever
      // happened to `from` between them and the copy's read transaction.
      ARCANA_ASSIGN_OR_RETURN(auto copy, OpenExisting(staging, SQLITE_OPEN_READONLY));
      ARCANA_RETURN_IF_ERROR(RequireArcanaStore(*copy, from));
      ARCANA_RETURN_IF_ERROR(NotRotating(*copy, "the backup"));
    }
    // Brought to this build's schema as an arcanad starting on it would (a newer one is
    // refused there), then closed: no other connection is open when it is edited below.
    ARCANA_RETURN_IF_ERROR(sqlite::OpenSqliteStores(staging).status());
    ARCANA_ASSIGN_OR_RETURN(Carried replaced, ReadReplaced(db));
    ARCANA_ASSIGN_OR_RETURN(auto c, OpenExisting(staging, SQLITE_OPEN_READWRITE));
    ARCANA_ASSIGN_OR_RETURN(auto backup_root, Meta(*c, root_blob::kCheckMeta));
    ARCANA_RETURN_IF_ERROR(SameRoot(backup_root, replaced.root_check));
    ARCANA_ASSIGN_OR_RETURN(report.backup_head, ChangeHead(*c));
    report.replaced_head = replaced.head;
    ARCANA_ASSIGN_OR_RETURN(report.restore_change,
                            Adopt(*c, replaced, report.backup_head, now_ms));
    // One self-contained file: no -wal to carry along (arcanad turns WAL on again).
    ARCANA_RETURN_IF_ERROR(c->Exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE"));
    c.reset();
    return SyncFile(staging);
  }();
  if (!staged.ok()) {
    RemoveStaging(staging);
    return staged;
  }
  if (Exists(db)) {
    const std::string kept = db + ".before-restore-" + UtcStamp(now_ms);
    report.kept_as = kept;
    for (int n = 2; ::link(db.c_str(), report.kept_as.c_str()) != 0; ++n) {
      if (errno == EEXIST && n < 100) {  // two restores in one millisecond
        report.kept_as = kept + "-" + std::to_string(n);
        continue;
      }
      Status st = FileError("cannot keep the replaced store as", report.kept_as);
      RemoveStaging(staging);
      return st;
    }
  }
  // The old store's -shm describes a -wal that ReadReplaced emptied; the new file has none.
  ::unlink((db + "-wal").c_str());
  ::unlink((db + "-shm").c_str());
  if (::rename(staging.c_str(), db.c_str()) != 0) {
    Status st = FileError("cannot put the restored store in place at", db);
    RemoveStaging(staging);
    return st;
  }
  SyncDirectory(dir);
  return report;
}

}  // namespace arcana::storage
