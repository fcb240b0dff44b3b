// `arcana scan --git`: every commit's added lines, through libgit2. Commits reachable from
// HEAD (or --branch) are listed first; worker threads, each with its own repository handle
// (libgit2 objects are not shared between threads), diff each commit against its first parent
// (the empty tree for a root commit) and scan the lines it adds, file by file, reporting the
// line number in the new file. A merge commit's added lines are those no parent had (added
// against every parent, as `git diff --cc` shows them: a conflict's resolution); the rest was
// added by the commits it merges. Binary deltas and new files over the size limit are skipped. In a
// shallow clone the walk stops at the commits .git/shallow lists (counted in
// progress->shallow: the history before them is not there to scan), each diffed against the
// empty tree; any other commit missing from the repository is an error.
// Thread-safety: as ScanTree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "scan/engine.h"
#include "scan/tree_scan.h"

namespace arcana::scan {

struct GitScanOptions {
  std::string repo = ".";  // any path inside the work tree, or a bare repository
  std::string branch;      // a revision (branch, tag, commit); empty: HEAD
  int64_t since = 0;       // only commits whose commit time is at or after (epoch seconds)
  uint64_t max_file_bytes = uint64_t{10} << 20;
  unsigned threads = 0;    // 0: one per core
};

// Findings carry commit, author, email and date (ISO 8601, UTC); file is the path in the
// repository. Errors: kInvalidParameter (not a repository, unknown revision), kInternalFailure
// (libgit2 failures, with its message).
Status ScanGitHistory(const Engine& engine, const GitScanOptions& opts, ScanProgress* progress,
                      std::vector<Finding>* out);

// "2024-01-31", "2024-01-31T12:00:00Z" or epoch seconds -> epoch seconds; nullopt otherwise.
std::optional<int64_t> ParseSince(const std::string& text);

}  // namespace arcana::scan
