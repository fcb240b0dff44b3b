// The key-file root of trust (the dev/embedded default, what `make serve` uses): the root
// key lives in <data-dir>/root.key, 32 raw bytes, mode 0600 (refused if group/other can
// read it). Rotation writes root.key.new first and renames it over root.key only once the
// store has committed the new root, so a crash at any point leaves a recoverable pair.
// Thread-safety: plain file operations; callers serialise rotations.
#pragma once

#include <string>

#include "common/status.h"

namespace arcana::seal::keyfile {

std::string PathIn(const std::string& data_dir);     // <dir>/root.key
std::string NewPathIn(const std::string& data_dir);  // <dir>/root.key.new

bool Exists(const std::string& path);
// Errors: kInternalFailure (missing, wrong size, too permissive).
Result<std::string> Read(const std::string& path);
// Creates path (0600, replacing a stale one), writes key, fsyncs file and directory.
Status Write(const std::string& path, const std::string& key);
// Atomically renames from over to (rename + directory fsync).
Status Promote(const std::string& from, const std::string& to);
void Remove(const std::string& path);

}  // namespace arcana::seal::keyfile
