#include "cli/store_commands.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/audit_commands.h"
#include "common/dir_lock.h"
#include "crypto/root_key.h"
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

StoreCommands::StoreCommands(CLI::App& app, const std::string& data_dir,
                             const std::string& store_url)
    : app_(&app), data_dir_(data_dir), store_url_(store_url) {
  store_ = app.add_subcommand("store", "move a SQLite store to PostgreSQL");
  store_->require_subcommand(1);
  copy_ = store_->add_subcommand(
      "copy", "copy a SQLite store (its arcanad stopped) into a new, empty PostgreSQL database");
  copy_->add_option("--from", from_,
                    "the SQLite store: sqlite:DIR (default: --store, else sqlite:<data-dir>)");
  copy_->add_option("--to", to_, "the PostgreSQL store: postgresql://user:pass@host:port/db")
      ->required();
}

std::optional<int> StoreCommands::Run() {
  if (!store_->parsed()) return std::nullopt;
  return Copy();
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
  const char* account = std::getenv("ARCANA_ACCOUNT_ID");
  crypto::RootKey sealed;
  // The node's data dir when given, else the SQLite store's dir (a one-node store's data dir
  // unless `--store sqlite:DIR` put it apart).
  const std::string audit_dir =
      (app_->get_option("--data-dir")->count() > 0 ? data_dir_ : from->sqlite_dir) + "/audit";
  auto stores = storage::OpenStores(*from);
  Status rec = stores.ok() ? RecordCliAction(audit_dir, action,
                                             account != nullptr ? account : "123456789012",
                                             sealed, **stores)
                           : stores.status();
  if (!rec.ok()) {
    std::cerr << "arcana store: the store was copied but the copy is not recorded in the audit "
                 "trail: "
              << rec.message() << "\n";
  }
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
