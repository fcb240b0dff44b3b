#include "seal/keyfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "crypto/aead.h"

namespace arcana::seal::keyfile {
namespace {

Status Err(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kInternalFailure, what + " " + path + ": " + std::strerror(errno));
}

void SyncDirOf(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string PathIn(const std::string& data_dir) { return data_dir + "/root.key"; }
std::string NewPathIn(const std::string& data_dir) { return data_dir + "/root.key.new"; }

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

Status Write(const std::string& path, const std::string& key) {
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
  SyncDirOf(path);
  return Status::Ok();
}

Status Promote(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Err("cannot rename root key file", from);
  SyncDirOf(to);
  return Status::Ok();
}

void Remove(const std::string& path) {
  ::unlink(path.c_str());
  SyncDirOf(path);
}

}  // namespace arcana::seal::keyfile
