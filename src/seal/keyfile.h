// The key-file root of trust (the dev/embedded default, what `make serve` uses): the root
// key lives in a file (--root-key-file; default <data-dir>/root.key), 32 raw bytes, mode 0600
// (refused if group/other can read it). Every node of a cluster uses the same file; the
// first node creates it when absent (CreateIfAbsent: several nodes starting at once on a
// shared path agree on one key). Rotation writes <file>.new first and renames it over the
// file only once the store has committed the new root, so a crash at any point leaves a
// recoverable pair.
// Thread-safety: plain file operations; callers serialise rotations.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::seal::keyfile {

std::string PathIn(const std::string& data_dir);     // <dir>/root.key
std::string NewPathIn(const std::string& data_dir);  // <dir>/root.key.new
std::string NewPathFor(const std::string& path);     // <path>.new

bool Exists(const std::string& path);
// Errors: kInternalFailure (missing, wrong size, too permissive).
Result<std::string> Read(const std::string& path);
// Creates path (0600, replacing a stale one), writes key, fsyncs file and directory.
Status Write(const std::string& path, std::string_view key);
// The key in path, creating it with 32 random bytes when absent. Atomic: the key is written
// to a private temporary file (O_EXCL, 0600, fsync'd) and linked into place, which fails if
// another process created path first; then that process's key is read. So concurrent
// creators all return the same key, and no reader ever sees a partial file.
// Errors: kInternalFailure (the directory is missing or unwritable, or Read's errors).
Result<std::string> CreateIfAbsent(const std::string& path);
// Atomically renames from over to (rename + directory fsync).
Status Promote(const std::string& from, const std::string& to);
void Remove(const std::string& path);

}  // namespace arcana::seal::keyfile
