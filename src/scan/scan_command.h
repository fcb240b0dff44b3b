// `arcana scan [PATH...]`: the CLI front of scanner.h. Registers its options on the CLI app;
// Run() does the work when the subcommand was given.
// Exit status: 0 clean, 1 secrets found (a CI gate), 2 error.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace arcana::scan {

class ScanCommand {
 public:
  explicit ScanCommand(CLI::App& app);
  // The exit code when `scan` was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  CLI::App* cmd_ = nullptr;
  std::vector<std::string> paths_;
  bool git_ = false;
  std::string branch_, since_, rules_, baseline_, format_ = "table", output_;
  bool no_gitignore_ = false;
  uint64_t max_file_mib_ = 10;
  unsigned threads_ = 0;
};

}  // namespace arcana::scan
