#include "rotation/function_package.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <filesystem>
#include <memory>
#include <set>
#include <vector>

#include "crypto/hash.h"

namespace arcana::rotation {

namespace {

Status Invalid(std::string msg) { return Status(ErrorCode::kInvalidParameter, std::move(msg)); }
// Lambda's words for a package it cannot unpack.
Status CannotUnzip() {
  return Invalid("Could not unzip uploaded file. Please check your file, then try to upload again.");
}
Status FsError(std::string msg) { return Status(ErrorCode::kInternalFailure, std::move(msg)); }

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

Result<ZipPtr> Open(const std::string& zip) {
  if (zip.size() > kMaxPackageBytes) {
    return Invalid("The deployment package is larger than Arcana's " +
                   std::to_string(kMaxPackageBytes / 1024) + " KiB limit.");
  }
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(zip.data(), zip.size(), 0, &err);
  if (src == nullptr) return FsError("cannot read the deployment package");
  zip_t* z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  zip_error_fini(&err);
  if (z == nullptr) {
    zip_source_free(src);
    return Invalid("Could not unzip uploaded file. Please check your file, then try to upload "
                   "again.");
  }
  return ZipPtr(z);
}

// A relative path of plain segments: no absolute path, "..", backslash or control character.
bool SafeName(std::string_view name) {
  if (name.empty() || name.size() > 1024 || name.front() == '/') return false;
  size_t start = 0;
  for (;;) {
    size_t slash = name.find('/', start);
    std::string_view seg = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (seg == "..") return false;
    for (unsigned char c : seg) {
      if (c < 0x20 || c == 0x7f || c == '\\') return false;
    }
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsSymlink(zip_t* z, zip_uint64_t i) {
  zip_uint8_t opsys = 0;
  zip_uint32_t attr = 0;
  if (zip_file_get_external_attributes(z, i, 0, &opsys, &attr) != 0) return false;
  return opsys == ZIP_OPSYS_UNIX && ((attr >> 16) & S_IFMT) == S_IFLNK;
}

// Checks every entry; calls visit(index, name, is_dir) for each.
template <typename Visit>
Result<PackageInfo> Walk(zip_t* z, Visit&& visit) {
  PackageInfo info;
  zip_int64_t n = zip_get_num_entries(z, 0);
  if (n < 0) return Invalid("Could not unzip uploaded file. Please check your file, then try to upload again.");
  if (n > kMaxEntries) {
    return Invalid("The deployment package has more than " + std::to_string(kMaxEntries) +
                   " entries.");
  }
  if (n == 0) return Invalid("Uploaded file must be a non-empty zip");
  info.entries = n;
  // What the entries make: a path cannot be both a file and a folder (entries "a" and
  // "a/b.py"), nor two files (a repeated name): no unpack could make both.
  std::set<std::string, std::less<>> files, folders;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t sb;
    zip_stat_init(&sb);
    if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &sb) != 0 ||
        !(sb.valid & ZIP_STAT_NAME) || !(sb.valid & ZIP_STAT_SIZE)) {
      return Invalid("Could not unzip uploaded file. Please check your file, then try to upload again.");
    }
    std::string_view name(sb.name);
    if (!SafeName(name)) {
      return Invalid("The deployment package has an entry with an unsafe name (absolute, "
                     "'..', backslash or control character).");
    }
    if (IsSymlink(z, static_cast<zip_uint64_t>(i))) {
      return Invalid("The deployment package has a symbolic link; Arcana refuses them.");
    }
    // An encrypted entry cannot be read without its password, which Lambda never has.
    if ((sb.valid & ZIP_STAT_ENCRYPTION_METHOD) && sb.encryption_method != ZIP_EM_NONE) {
      return CannotUnzip();
    }
    const bool is_dir = name.back() == '/';
    const std::string_view path = is_dir ? name.substr(0, name.size() - 1) : name;
    for (size_t start = 0;;) {  // every segment names something: no "", "." ("a//b", "./x")
      size_t slash = path.find('/', start);
      std::string_view seg = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
      if (seg.empty() || seg == ".") return CannotUnzip();
      if (slash == std::string_view::npos) break;
      if (files.contains(path.substr(0, slash))) return CannotUnzip();
      folders.emplace(path.substr(0, slash));
      start = slash + 1;
    }
    if (is_dir) {
      if (files.contains(path)) return CannotUnzip();
      folders.emplace(path);
    } else if (folders.contains(path) || !files.emplace(path).second) {
      return CannotUnzip();
    }
    info.unzipped_bytes += sb.size;
    if (info.unzipped_bytes > kMaxUnzippedBytes) {
      return Invalid("The deployment package unzips to more than " +
                     std::to_string(kMaxUnzippedBytes >> 20) + " MiB.");
    }
    ARCANA_RETURN_IF_ERROR(visit(static_cast<zip_uint64_t>(i), name, is_dir));
  }
  return info;
}

// Inflates entry i into path (a new file), counting the bytes against *budget.
Status ExtractEntry(zip_t* z, zip_uint64_t i, const std::string& path, uint64_t* budget) {
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> in(zip_fopen_index(z, i, 0), zip_fclose);
  if (!in) return Invalid("Could not unzip uploaded file. Please check your file, then try to upload again.");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return FsError("cannot write the unpacked deployment package");
  char buf[16384];
  Status st;
  for (;;) {
    zip_int64_t got = zip_fread(in.get(), buf, sizeof(buf));
    if (got < 0) {
      st = Invalid("Could not unzip uploaded file. Please check your file, then try to upload again.");
      break;
    }
    if (got == 0) break;
    if (static_cast<uint64_t>(got) > *budget) {
      st = Invalid("The deployment package unzips to more than " +
                   std::to_string(kMaxUnzippedBytes >> 20) + " MiB.");
      break;
    }
    *budget -= static_cast<uint64_t>(got);
    for (zip_int64_t off = 0; off < got;) {
      ssize_t w = ::write(fd, buf + off, static_cast<size_t>(got - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ::close(fd);
        return FsError("cannot write the unpacked deployment package");
      }
      off += w;
    }
  }
  ::close(fd);
  return st;
}

// Folder and file modes of a package folder made for reader_group (or for arcanad alone).
mode_t PackageFolderMode(const std::optional<gid_t>& reader_group) {
  return reader_group ? 0550 : 0700;
}

// Whether the package folder `dir` was made for reader_group: its own mode and group (set
// last, before the rename that put it in place).
bool PackageMadeFor(const std::string& dir, const std::optional<gid_t>& reader_group) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  if ((st.st_mode & 07777) != PackageFolderMode(reader_group)) return false;
  return !reader_group || st.st_gid == *reader_group;
}

// Gives reader_group read access to the unpacked tree `tmp` (not yet in place): every entry
// gets the group, folders 0550 and files 0440; `tmp` itself last.
Status GrantToReaders(const std::string& tmp, gid_t reader_group) {
  namespace fs = std::filesystem;
  auto grant = [reader_group](const std::string& path, bool dir) {
    return ::lchown(path.c_str(), static_cast<uid_t>(-1), reader_group) == 0 &&
           ::chmod(path.c_str(), dir ? 0550 : 0440) == 0;
  };
  std::error_code ec;
  for (fs::recursive_directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    // Only folders and regular files were made (symbolic links are refused).
    if (!grant(it->path().string(), it->is_directory(ec))) {
      return FsError("cannot unpack the deployment package");
    }
  }
  if (ec || !grant(tmp, true)) return FsError("cannot unpack the deployment package");
  return Status::Ok();
}

}  // namespace

Result<PackageInfo> CheckPackage(const std::string& zip) {
  ARCANA_ASSIGN_OR_RETURN(ZipPtr z, Open(zip));
  return Walk(z.get(), [](zip_uint64_t, std::string_view, bool) { return Status::Ok(); });
}

bool IsPackageFolderName(std::string_view name) {
  if (name.size() != 64) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void RemoveInterruptedWork(const std::string& root, std::optional<gid_t> reader_group) {
  namespace fs = std::filesystem;
  std::vector<std::string> leftovers;  // listed first: no removal while iterating
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".unpack-") || name.starts_with(".remove-") ||
        (IsPackageFolderName(name) && !PackageMadeFor(root + "/" + name, reader_group))) {
      leftovers.push_back(name);
    }
  }
  for (const auto& name : leftovers) {
    std::error_code ignored;
    fs::remove_all(root + "/" + name, ignored);  // a symbolic link itself, never its target
  }
}

Result<std::string> MaterialisePackage(const std::string& root, const std::string& sha256_hex,
                                       const std::string& zip, bool* unpacked,
                                       std::optional<gid_t> reader_group) {
  namespace fs = std::filesystem;
  if (unpacked != nullptr) *unpacked = false;
  const std::string dir = root + "/" + sha256_hex;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return dir;
  if (sha256_hex.size() != 64 || crypto::Sha256Hex(zip) != sha256_hex) {
    return FsError("the stored deployment package does not match its digest");
  }
  std::error_code ec;
  fs::create_directories(root, ec);
  ::chmod(root.c_str(), reader_group ? 0711 : 0700);  // the readers traverse it
  std::string tmpl = root + "/.unpack-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return FsError("cannot unpack the deployment package");
  const std::string tmp = tmpl;
  auto cleanup = [&tmp] {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
  };
  auto z = Open(zip);
  if (!z.ok()) {
    cleanup();
    return z.status();
  }
  uint64_t budget = kMaxUnzippedBytes;
  auto walked = Walk(z->get(), [&](zip_uint64_t i, std::string_view name, bool is_dir) -> Status {
    fs::path target = fs::path(tmp) / std::string(is_dir ? name.substr(0, name.size() - 1) : name);
    std::error_code e;
    fs::create_directories(is_dir ? target : target.parent_path(), e);
    if (e) return FsError("cannot unpack the deployment package");
    if (is_dir) return Status::Ok();
    return ExtractEntry(z->get(), i, target.string(), &budget);
  });
  if (!walked.ok()) {
    cleanup();
    return walked.status();
  }
  if (reader_group) {
    if (Status granted = GrantToReaders(tmp, *reader_group); !granted.ok()) {
      cleanup();
      return granted;
    }
  }
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    cleanup();  // another invocation (or node process) unpacked it first
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return FsError("cannot unpack the deployment package");
    }
  } else if (unpacked != nullptr) {
    *unpacked = true;
  }
  return dir;
}

}  // namespace arcana::rotation
