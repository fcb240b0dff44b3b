// Deployment packages of functions made through the Lambda API (kind "zip"): a zip archive
// kept in the store (storage/function_store.h: RotationFunction::code) so that every node on
// the store can run it, unpacked lazily per node into <root>/<hex SHA-256 of the zip>/.
//
// Every archive is hostile input: CheckPackage refuses what is not a readable zip, more than
// kMaxEntries entries, more than kMaxUnzippedBytes unpacked, an entry name that is absolute,
// has a ".." segment, a backslash or a control character, and symbolic links; an empty zip
// is refused too ("Uploaded file must be a non-empty zip", as AWS says). So is what no unpack
// could make, in Lambda's words ("Could not unzip uploaded file. Please check your file, then
// try to upload again."): an encrypted entry, an empty or "." segment, a name both a file and
// a folder ("a" and "a/b.py"), a file name twice (each made every Invoke fail). Extraction
// checks the same again and counts the bytes actually inflated (not the sizes the archive
// claims). libzip does the reading and inflating.
// Thread-safety: free functions; Materialise may run concurrently on one root (and on
// several nodes sharing nothing): each unpacks into its own temporary folder and renames it
// into place, the first rename wins.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::rotation {

// The zip itself: what a CreateFunction request body can carry (base64 in JSON) under the
// server's 1 MiB body limit. AWS allows 50 MB; rotation functions are a few KB.
inline constexpr size_t kMaxPackageBytes = 700 * 1024;
inline constexpr int64_t kMaxEntries = 2000;
inline constexpr uint64_t kMaxUnzippedBytes = 64ull << 20;  // AWS: 250 MB

struct PackageInfo {
  int64_t entries = 0;
  uint64_t unzipped_bytes = 0;  // as the archive declares (extraction enforces it)
};

// kInvalidParameter with a message saying what is wrong (never the archive's bytes).
Result<PackageInfo> CheckPackage(const std::string& zip);

// Who reads an unpacked package: arcanad alone (reader_group unset: folders 0700, files 0600)
// or also the members of reader_group, the function user's group (function_invoker.h): every
// folder 0550 and file 0440, owned by arcanad's user and that group, so that the function
// reads its code and cannot change it, nor the code of another function unpacked here.
// The grant is made before the folder is renamed into place: a package folder's own mode and
// group say what it was made for.
//
// The folder holding the unpacked package whose hex SHA-256 is `sha256_hex`: made from `zip`
// on first use (after checking that the zip has that digest), reused after; *unpacked (when
// not null) says whether this call made it. Folders are removed by the invoker's sweep
// (rotation/function_invoker.h), which also skips the .unpack-* folders of unpacks under way.
// kInvalidParameter for a bad archive; kInternalFailure for file-system errors.
Result<std::string> MaterialisePackage(const std::string& root, const std::string& sha256_hex,
                                       const std::string& zip, bool* unpacked = nullptr,
                                       std::optional<gid_t> reader_group = std::nullopt);

// Removes from `root` what an arcanad killed while it worked there left: the temporary
// folders of unpacks (.unpack-*, MaterialisePackage) and of sweeps (.remove-*,
// FunctionInvoker::SweepPackages) under way when it died, which nothing else would ever
// remove; and the package folders not made for reader_group (an earlier start's function
// user, or none), which its function could not read or which another user could: they are
// unpacked again on first use. Only safe while no unpack or sweep of this root runs: at the
// node's start, before any invocation, relying on one arcanad process per data folder
// (arcanad.lock, taken by app/server_app.cc whatever the store; the invoker's in-use marks
// assume it too).
// Best effort: what cannot be removed stays.
void RemoveInterruptedWork(const std::string& root,
                           std::optional<gid_t> reader_group = std::nullopt);

// Whether `name` is a package folder's name (64 lowercase hex digits).
bool IsPackageFolderName(std::string_view name);

}  // namespace arcana::rotation
