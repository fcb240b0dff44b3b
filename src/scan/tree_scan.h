// Scanning files and directory trees (and stdin) with an Engine on every core.
//
// One thread walks the trees (honouring .gitignore files unless told not to, as git does: for
// files the index does not track, a tracked file being scanned whatever the ignore rules say;
// never entering .git, never following a symlink: a link inside the tree is skipped and
// counted, so nothing outside it is read; a directory that cannot be listed is counted, and
// the walk goes on) and feeds a bounded queue; worker threads, each with its own engine scratch, read each
// file with read(2) into its own buffer (never mapped: a file truncated while mapped raises
// SIGBUS; memory stays bounded by the threads' buffers, each at most the size limit), skip
// binaries (a NUL byte in the first 8 KiB) and files over
// the size limit, and scan them. stdin ("-") is read in chunks cut at line ends.
// Thread-safety: ScanTree may run concurrently with readers of `progress`.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "scan/engine.h"

namespace arcana::scan {

struct ScanProgress {
  std::atomic<uint64_t> files{0};    // scanned
  std::atomic<uint64_t> bytes{0};    // scanned
  // Not scanned: binary, too large or unreadable files, symlinks met in a walk, and
  // directories that could not be listed (permission denied, a path too long).
  std::atomic<uint64_t> skipped{0};
  std::atomic<uint64_t> commits{0};  // --git
  // --git: commits at a shallow clone's boundary (their parents are not in the repository: the
  // history before them was not scanned).
  std::atomic<uint64_t> shallow{0};
  // .gitignore / info/exclude files over kMaxIgnoreFileBytes: not read, their patterns not
  // applied (so more is scanned, never less).
  std::atomic<uint64_t> ignore_files_unread{0};
};

// The largest .gitignore read (a 1 GB one was read whole: 2 GB of memory, then bad_alloc).
inline constexpr uint64_t kMaxIgnoreFileBytes = uint64_t{1} << 20;

struct TreeScanOptions {
  std::vector<std::string> paths;                // files, directories, "-" for stdin
  uint64_t max_file_bytes = uint64_t{10} << 20;  // larger files are skipped
  bool use_gitignore = true;
  unsigned threads = 0;                          // 0: one per core
};

// Findings are ordered by file, line, column and rule id; each file's path is the argument
// joined with the path below it ("." adds no prefix). Errors: kInvalidParameter for a path
// that does not exist.
Status ScanTree(const Engine& engine, const TreeScanOptions& opts, ScanProgress* progress,
                std::vector<Finding>* out);

// Reads at most `limit` bytes of fd into *buf (resized to what was read) and returns that
// count: less than limit when the file shrank meanwhile or a read failed. Never faults,
// whatever happens to the file while it is read.
size_t ReadUpTo(int fd, size_t limit, std::string* buf);

// Reads a file to be scanned: its first 8 KiB, and the rest up to `limit` bytes only when that
// head holds no NUL byte. A head with one is a binary file: *binary is set and only the head
// is read (and returned). Otherwise as ReadUpTo.
size_t ReadTextUpTo(int fd, size_t limit, std::string* buf, bool* binary);

// The ordering ScanTree and the history scan return.
void SortFindings(std::vector<Finding>* findings);

}  // namespace arcana::scan
