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

namespace arcana::cli {

class StoreCommands {
 public:
  StoreCommands(CLI::App& app, const std::string& data_dir, const std::string& store_url);
  // The exit code when a store command was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  int Copy();

  CLI::App* app_ = nullptr;
  CLI::App* store_ = nullptr;
  CLI::App* copy_ = nullptr;
  const std::string& data_dir_;
  const std::string& store_url_;
  std::string from_;
  std::string to_;
};

}  // namespace arcana::cli
