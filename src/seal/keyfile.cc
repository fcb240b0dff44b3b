#include "seal/keyfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/sync_dir.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace arcana::seal::keyfile {
namespace {

Status Err(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kInternalFailure, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string PathIn(const std::string& data_dir) { return data_dir + "/root.key"; }
std::string NewPathIn(const std::string& data_dir) { return data_dir + "/root.key.new"; }
std::string NewPathFor(const std::string& path) { return path + ".new"; }

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::string> Read(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err("cannot open root key file", path);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
    ::close(fd);
    return Status(ErrorCode::kInternalFailure,
                  "root key file " + path + " is readable by group or others; chmod 600 it");
  }
  std::string key(64, '\0');
  ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != 32) {
    crypto::SecureWipe(key);
    return Status(ErrorCode::kInternalFailure, "root key file " + path + " is not 32 bytes");
  }
  key.resize(32);
  return key;
}

Status Write(const std::string& path, std::string_view key) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Err("cannot create root key file", path);
  bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Status(ErrorCode::kInternalFailure, "cannot write root key file " + path);
  }
  SyncDirectoryOf(path);
  return Status::Ok();
}

Result<std::string> CreateIfAbsent(const std::string& path) {
  if (Exists(path)) return Read(path);
  std::string key = crypto::RandomBytes(32);
  const std::string tmp = path + ".tmp-" + crypto::HexEncode(crypto::RandomBytes(8));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    crypto::SecureWipe(key);
    return Err("cannot create root key file", path);
  }
  bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    crypto::SecureWipe(key);
    return Status(ErrorCode::kInternalFailure, "cannot write root key file " + path);
  }
  // link() never replaces: exactly one creator's file becomes `path`.
  const bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked) {
    SyncDirectoryOf(path);
    return key;
  }
  crypto::SecureWipe(key);
  if (link_errno != EEXIST) {
    errno = link_errno;
    return Err("cannot create root key file", path);
  }
  return Read(path);  // another node (or process) created it first
}

Status Promote(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Err("cannot rename root key file", from);
  SyncDirectoryOf(to);
  return Status::Ok();
}

void Remove(const std::string& path) {
  ::unlink(path.c_str());
  SyncDirectoryOf(path);
}

}  // namespace arcana::seal::keyfile
