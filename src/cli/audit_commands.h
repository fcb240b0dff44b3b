// `arcana audit ...`: offline reads of a node's audit files (audit/chain.h).
//   verify   checks every node's chain and signed digests (audit/trail_verify.h) under the
//            store's digest key; exit 0 when intact, 1 naming the first bad record otherwise
//   tail     the newest records (-n), then new ones as they come (--follow)
//   search   records matching filters (event name, resource, user, access key, source,
//            time range), newest first
// The files are read from --audit-dir (default <data-dir>/audit); the key from the store
// (--store, default sqlite:<data-dir>), or --public-key HEX when the store is out of reach.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "audit/trail_query.h"

namespace arcana::cli {

class AuditCommands {
 public:
  AuditCommands(CLI::App& app, const std::string& data_dir, const std::string& store_url);
  // The exit code when an audit command was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  int Verify();
  int Tail();
  int Search();
  std::string Dir() const;

  const std::string& data_dir_;
  const std::string& store_url_;
  CLI::App* audit_ = nullptr;
  CLI::App* verify_ = nullptr;
  CLI::App* tail_ = nullptr;
  CLI::App* search_ = nullptr;
  std::string dir_;
  std::string public_key_hex_;
  int count_ = 20;
  bool follow_ = false;
  std::string since_, until_;
  audit::TrailQuery q_;
};

}  // namespace arcana::cli
