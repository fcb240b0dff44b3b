// One `arcana scan` run as a library call (the CLI and `arcana migrate` share it): load the
// rules, build the engine, scan the trees or the git history, drop what the baseline holds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "scan/engine.h"
#include "scan/git_history.h"
#include "scan/tree_scan.h"

namespace arcana::scan {

struct ScanRequest {
  TreeScanOptions tree;       // paths, size limit, .gitignore, threads
  bool git = false;           // scan history instead of the tree (tree.paths[0] is the repo)
  GitScanOptions git_opts;    // branch, since (repo and limits are taken from `tree`)
  std::string rules_file;     // gitleaks TOML; empty: the built-in rules
  std::string baseline_file;  // findings to suppress; empty: none
};

struct ScanRun {
  std::unique_ptr<Engine> engine;
  std::vector<Finding> findings;
};

// Errors: those of LoadGitleaksFile, LoadBaseline, Engine::Create, ScanTree, ScanGitHistory.
Result<ScanRun> RunScan(const ScanRequest& req, ScanProgress* progress);

}  // namespace arcana::scan
