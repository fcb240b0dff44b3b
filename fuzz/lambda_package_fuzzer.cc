// Fuzzes Lambda deployment packages (rotation/function_package.h): the zip a CreateFunction or
// UpdateFunctionCode body carries, checked (CheckPackage) and, when accepted, unpacked
// (MaterialisePackage) into a scratch folder as a node does on first use.
// Input: the zip's bytes, as a caller sends them (after base64).
// Invariants checked: an accepted package declares at most kMaxEntries entries and
// kMaxUnzippedBytes; its unpacked folder holds only regular files and folders, at most
// kMaxEntries of them and kMaxUnzippedBytes in all (whatever the archive claims); nothing is
// written beside that folder, and no temporary folder is left behind.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "crypto/hash.h"
#include "rotation/function_package.h"

namespace fs = std::filesystem;

namespace {

const std::string& ScratchRoot() {
  static const std::string root = [] {
    std::string tmpl = (fs::temp_directory_path() / "arcana-zip-fuzz-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    return tmpl;
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace arcana::rotation;
  const std::string zip(reinterpret_cast<const char*>(data), size);
  auto info = CheckPackage(zip);
  if (!info.ok()) return 0;
  if (info->entries <= 0 || info->entries > kMaxEntries) __builtin_trap();
  if (info->unzipped_bytes > kMaxUnzippedBytes) __builtin_trap();

  const std::string sha = arcana::crypto::Sha256Hex(zip);
  auto dir = MaterialisePackage(ScratchRoot(), sha, zip);
  if (dir.ok()) {
    const fs::path root(*dir);
    int64_t entries = 0;
    uint64_t bytes = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto st = it->symlink_status(ec);
      if (ec) break;
      if (fs::is_symlink(st)) __builtin_trap();  // a link could point anywhere
      if (!fs::is_regular_file(st) && !fs::is_directory(st)) __builtin_trap();
      if (fs::is_regular_file(st)) bytes += fs::file_size(it->path(), ec);
      ++entries;
    }
    if (entries > kMaxEntries || bytes > kMaxUnzippedBytes) __builtin_trap();
  }
  // Whatever the outcome, the scratch root holds the package's folder or nothing: an entry
  // written beside it ("../x" from the temporary unpack folder) or a temporary folder left
  // behind would show here.
  std::error_code lec;
  for (fs::directory_iterator it(ScratchRoot(), lec), end; !lec && it != end; it.increment(lec)) {
    if (it->path().filename() != sha) __builtin_trap();
  }
  std::error_code ec;
  fs::remove_all(fs::path(ScratchRoot()) / sha, ec);
  return 0;
}
