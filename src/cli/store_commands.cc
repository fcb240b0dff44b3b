#include "cli/store_commands.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "audit/audit_event.h"
#include "cli/audit_commands.h"
#include "common/clock.h"
#include "common/dir_lock.h"
#include "crypto/root_key.h"
#include "storage/committed_changes.h"
#include "storage/store_backup.h"
#include "storage/store_copy.h"
#include "storage/stores.h"

namespace arcana::cli {

namespace {

int StoreCommandFailed(const std::string& message) {
  std::cerr << "arcana store: " << message << "\n";
  return 1;
}

// Opens (so migrates) and closes a store.
Status MigrateStore(const storage::StoreLocation& where) {
  ARCANA_ASSIGN_OR_RETURN(auto stores, storage::OpenStores(where));
  stores.reset();
  return Status::Ok();
}

}  // namespace

std::string StoreCommands::AuditDirOf(const std::string& sqlite_dir) const {
  // The node's data dir when given, else the SQLite store's dir (a one-node store's data dir
  // unless `--store sqlite:DIR` put it apart).
  return (app_->get_option("--data-dir")->count() > 0 ? data_dir_ : sqlite_dir) + "/audit";
}

void StoreCommands::Record(const storage::StoreLocation& store, const std::string& audit_dir,
                           const CliAction& action, const storage::Change* claimed) const {
  const char* account = std::getenv("ARCANA_ACCOUNT_ID");
  crypto::RootKey sealed;  // an operator record needs no unsealed root
  storage::CommittedChanges changes;
  storage::CommittedChanges::Scope scope(&changes);
  if (claimed != nullptr) changes.Add(*claimed);
  auto stores = storage::OpenStores(store);
  Status rec = stores.ok() ? RecordCliAction(audit_dir, action,
                                             account != nullptr ? account : "123456789012",
                                             sealed, **stores)
                           : stores.status();
  if (!rec.ok()) {
    std::cerr << "arcana store: the " << action.event_name
              << " happened but is not recorded in the audit trail: " << rec.message() << "\n";
  }
}

Result<storage::StoreLocation> StoreCommands::SqliteStore() const {
  const std::string where = !store_url_.empty() ? store_url_ : "sqlite:" + data_dir_;
  ARCANA_ASSIGN_OR_RETURN(auto loc, storage::ParseStoreLocation(where));
  if (loc.kind != storage::StoreLocation::Kind::kSqlite) {
    return Status(ErrorCode::kInvalidParameter,
                  "this is a SQLite store's command; a PostgreSQL store is backed up and restored "
                  "with PostgreSQL's own tools (pg_dump / pg_restore, or base backups with WAL "
                  "archiving) while its nodes keep serving");
  }
  return loc;
}

StoreCommands::StoreCommands(CLI::App& app, const std::string& data_dir,
                             const std::string& store_url)
    : app_(&app), data_dir_(data_dir), store_url_(store_url) {
  store_ = app.add_subcommand("store", "back up or restore a SQLite store, or move it to PostgreSQL");
  store_->require_subcommand(1);
  copy_ = store_->add_subcommand(
      "copy", "copy a SQLite store (its arcanad stopped) into a new, empty PostgreSQL database");
  copy_->add_option("--from", from_,
                    "the SQLite store: sqlite:DIR (default: --store, else sqlite:<data-dir>)");
  copy_->add_option("--to", to_, "the PostgreSQL store: postgresql://user:pass@host:port/db")
      ->required();
  backup_ = store_->add_subcommand(
      "backup", "write a consistent copy of a SQLite store to a new file (arcanad may be serving)");
  backup_->add_option("--to", backup_to_, "the backup file to create (never overwritten)")->required();
  restore_ = store_->add_subcommand(
      "restore", "replace a SQLite store (its arcanad stopped) with a backup of it");
  restore_->add_option("--from", restore_from_, "a file made by `arcana store backup`")->required();
  inspect_ = store_->add_subcommand(
      "inspect", "check a backup (or a store's arcana.db) and print what it holds, changing nothing");
  inspect_->add_option("file", inspect_file_, "the backup file")->required();
}

std::optional<int> StoreCommands::Run() {
  if (!store_->parsed()) return std::nullopt;
  if (backup_->parsed()) return Backup();
  if (restore_->parsed()) return Restore();
  if (inspect_->parsed()) return Inspect();
  return Copy();
}

int StoreCommands::Backup() {
  auto store = SqliteStore();
  if (!store.ok()) return StoreCommandFailed(store.status().message());
  auto report = storage::BackupSqliteStore(store->sqlite_dir + "/arcana.db", backup_to_);
  if (!report.ok()) return StoreCommandFailed(report.status().message());
  CliAction action;
  action.event_name = "BackupStore";
  action.parameters = {{"Store", storage::Redacted(*store)}, {"To", backup_to_},
                       {"ChangeSequence", std::to_string(report->head)}};
  Record(*store, AuditDirOf(store->sqlite_dir), action, nullptr);
  std::cout << "backed up " << store->sqlite_dir << "/arcana.db (" << report->bytes
            << " bytes, changes up to " << report->head << ") to " << backup_to_
            << ".\nIt holds sealed values only: restoring it needs this store's root of trust "
               "(its key file, Shamir shares or PKCS#11 token), which is not in the backup. "
               "Keep the two apart. The audit files (audit/) are not in it either.\n";
  return 0;
}

int StoreCommands::Restore() {
  auto store = SqliteStore();
  if (!store.ok()) return StoreCommandFailed(store.status().message());
  std::error_code ec;
  if (!std::filesystem::is_regular_file(restore_from_, ec)) {
    return StoreCommandFailed("there is no backup file at " + restore_from_);
  }
  const std::string& dir = store->sqlite_dir;
  if (!std::filesystem::is_directory(dir, ec)) {
    // A new data dir (a restore onto another machine): made as arcanad makes it.
    std::filesystem::create_directories(dir, ec);
    if (ec) return StoreCommandFailed("cannot create " + dir + ": " + ec.message());
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  // Held until the process ends, so no arcanad opens the store while it is replaced.
  if (!LockDirForThisProcess(dir)) {
    return StoreCommandFailed("the store " + dir +
                              " is in use by a running arcanad (arcanad.lock): stop it first");
  }
  auto report = storage::RestoreSqliteStore(dir, restore_from_, SystemClock::Instance().NowMs());
  if (!report.ok()) return StoreCommandFailed(report.status().message());
  CliAction action;
  action.event_name = "RestoreStore";
  action.parameters = {{"Store", storage::Redacted(*store)}, {"From", restore_from_},
                       {"BackupChangeSequence", std::to_string(report->backup_head)},
                       {"ReplacedChangeSequence", std::to_string(report->replaced_head)}};
  if (!report->kept_as.empty()) action.parameters.emplace_back("KeptAs", report->kept_as);
  Record(*store, AuditDirOf(dir), action, &report->restore_change);
  std::cout << "restored " << dir << "/arcana.db from " << restore_from_ << " (changes up to "
            << report->backup_head << "; the restore is change " << report->restore_change.seq
            << ").\n";
  if (!report->kept_as.empty()) {
    std::cout << "The replaced store is kept as " << report->kept_as
              << " (restore that file to undo this).\n";
  }
  std::cout << "Start arcanad on it with the root of trust the backup was taken under. "
               "Caching agents drop what they cached when they next read the change stream.\n";
  return 0;
}

int StoreCommands::Inspect() {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(inspect_file_, ec)) {
    return StoreCommandFailed("there is no file at " + inspect_file_);
  }
  auto summary = storage::InspectSqliteBackup(inspect_file_);
  if (!summary.ok()) return StoreCommandFailed(summary.status().message());
  std::cout << "file\t" << inspect_file_ << "\nintegrity\tok\n"
            << "root of trust\t" << (summary->root_seal.empty() ? "(never unsealed)" : summary->root_seal)
            << (summary->root_key_id.empty() ? "" : ", root key " + summary->root_key_id) << "\n"
            << "root rotation\t"
            << (summary->rotating ? "in progress (a restore refuses this backup)" : "none") << "\n"
            << "change sequence\t" << summary->head;
  if (summary->newest_change_ms > 0) {
    std::cout << " (newest change " << audit::IsoTime(summary->newest_change_ms) << ")";
  }
  std::cout << "\n";
  for (const auto& [table, rows] : summary->rows) std::cout << table << "\t" << rows << "\n";
  return 0;
}

int StoreCommands::Copy() {
  const std::string from_url =
      !from_.empty() ? from_ : !store_url_.empty() ? store_url_ : "sqlite:" + data_dir_;
  auto from = storage::ParseStoreLocation(from_url);
  if (!from.ok()) return StoreCommandFailed(from.status().message());
  if (from->kind != storage::StoreLocation::Kind::kSqlite) {
    return StoreCommandFailed("--from must be a SQLite store (sqlite:DIR)");
  }
  auto to = storage::ParseStoreLocation(to_);
  if (!to.ok()) return StoreCommandFailed(to.status().message());
  if (to->kind != storage::StoreLocation::Kind::kPostgres) {
    return StoreCommandFailed("--to must be a PostgreSQL store (postgresql://...)");
  }
  const std::string db = from->sqlite_dir + "/arcana.db";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db, ec)) return StoreCommandFailed("there is no store at " + db);
  // Held until the process ends, so no arcanad writes the store while it is copied.
  if (!LockDirForThisProcess(from->sqlite_dir)) {
    return StoreCommandFailed("the store " + from->sqlite_dir +
                " is in use by a running arcanad (arcanad.lock): stop it first");
  }
  if (Status st = MigrateStore(*from); !st.ok()) return StoreCommandFailed(st.message());
  if (Status st = MigrateStore(*to); !st.ok()) return StoreCommandFailed(st.message());
  auto report = storage::CopySqliteToPostgres(db, to->pg_url);
  if (!report.ok()) return StoreCommandFailed(report.status().message());
  int64_t total = 0;
  for (const auto& [table, rows] : report->rows) {
    std::cout << table << "\t" << rows << "\n";
    total += rows;
  }
  // The copy takes every sealed value elsewhere: the old node's trail records it (an operator
  // record, as for the other offline actions; it needs no unsealed root).
  CliAction action;
  action.event_name = "CopyStore";
  action.parameters = {{"From", storage::Redacted(*from)}, {"To", storage::Redacted(*to)},
                       {"Rows", std::to_string(total)}};
  Record(*from, AuditDirOf(from->sqlite_dir), action, nullptr);
  std::cout << "copied " << total << " rows from " << db << " to " << storage::Redacted(*to)
            << ".\nStart each node with --store on that database and this store's root of "
               "trust (the key file: --root-key-file "
            << from->sqlite_dir
            << "/root.key unless it was elsewhere; or the same Shamir shares or PKCS#11 "
               "token), each with its own --data-dir. The audit files stay in the old data "
               "dir.\n";
  return 0;
}

}  // namespace arcana::cli
