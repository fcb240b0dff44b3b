// `arcana migrate [PATH...]`: scan (or take a scan report), store each kept finding's value in
// Arcana through the Secrets Manager API with the caller's credentials (sm_client.h), and
// replace it in the file with a reference (rewrite.h). A dry run by default: prints a unified
// diff (values redacted) and, for source code, the snippets to use instead; --apply stores and
// writes. Idempotent: a stored secret with the same value is left alone, and a rewritten file
// no longer holds the secret. Secrets also found in the repository's git history are tagged
// arcana:exposed=true: they must be rotated, not just moved. Never prints a value.
// Exit status: 0 done (or nothing to do), 2 error (standard output that cannot be written
// included: a dry run whose diff went nowhere is no dry run).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace arcana::migrate {

class MigrateCommand {
 public:
  explicit MigrateCommand(CLI::App& app);
  // The exit code when `migrate` was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  CLI::App* cmd_ = nullptr;
  std::vector<std::string> paths_;
  std::string report_, select_, rules_, name_template_ = "{repo}/{path}/{key}", repo_;
  std::string endpoint_url_, region_;
  bool apply_ = false, yes_ = false, no_gitignore_ = false;
};

}  // namespace arcana::migrate
