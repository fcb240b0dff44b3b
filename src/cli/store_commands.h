// `arcana store backup --to FILE`: a consistent copy of a one-node SQLite store (the --store
// given, else sqlite:<data-dir>) in one 0600 file, taken while arcanad serves; and `arcana
// store restore --from FILE`: puts such a file in place of the store, arcanad stopped
// (storage/store_backup.h says what each keeps and refuses). Both are recorded as operator
// events (BackupStore, RestoreStore; the restore's record claims its change), as below.
// `arcana store inspect FILE` prints what a backup holds (storage::InspectSqliteBackup),
// changing nothing; exit 1 when it is damaged or not an Arcana store.
// A PostgreSQL store is refused: pg_dump and PostgreSQL's base backups serve it.
//
// `arcana store copy --to postgresql://...`: moves a one-node SQLite store (--from sqlite:DIR,
// else the --store given, else sqlite:<data-dir>) into a new, empty PostgreSQL database, for a
// team that outgrows one machine (storage/store_copy.h says what is copied and what is not).
// Offline: the SQLite store's arcanad must be stopped (its arcanad.lock is taken for the
// copy, so a running node makes the command refuse). Both stores are first brought to this
// build's schema, as an arcanad starting on them would. Prints the rows copied per table and
// how to start the nodes; exit 0 on success, 1 when nothing was copied (with why). A copy is
// recorded as the operator event CopyStore (audit_commands.h's RecordCliAction; account
// ARCANA_ACCOUNT_ID, default 123456789012) in <data-dir>/audit when --data-dir is given,
// else in the SQLite store dir's audit/ (a one-node store's data dir).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "cli/audit_commands.h"
#include "common/status.h"
#include "storage/change_log.h"
#include "storage/stores.h"

namespace arcana::cli {

class StoreCommands {
 public:
  StoreCommands(CLI::App& app, const std::string& data_dir, const std::string& store_url);
  // The exit code when a store command was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  int Copy();
  int Backup();
  int Restore();
  int Inspect();
  // The store: --store, else sqlite:<data-dir>; kInvalidParameter for a PostgreSQL store.
  Result<storage::StoreLocation> SqliteStore() const;
  std::string AuditDirOf(const std::string& sqlite_dir) const;
  // Records action as an operator event (claiming `claimed` when given); a failure is
  // reported on stderr: the action already happened.
  void Record(const storage::StoreLocation& store, const std::string& audit_dir,
              const CliAction& action, const storage::Change* claimed) const;

  CLI::App* app_ = nullptr;
  CLI::App* store_ = nullptr;
  CLI::App* copy_ = nullptr;
  CLI::App* backup_ = nullptr;
  CLI::App* restore_ = nullptr;
  CLI::App* inspect_ = nullptr;
  const std::string& data_dir_;
  const std::string& store_url_;
  std::string from_;
  std::string to_;
  std::string backup_to_;
  std::string restore_from_;
  std::string inspect_file_;
};

}  // namespace arcana::cli
