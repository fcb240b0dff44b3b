#include "crypto/root_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace arcana::crypto {

RootKey::RootKey(std::string key32) : key_(std::move(key32)) {
  id_ = HexEncode(HmacSha256(key_, "arcana:root-key-id")).substr(0, 16);
}
RootKey::RootKey(RootKey&&) noexcept = default;
RootKey& RootKey::operator=(RootKey&&) noexcept = default;
RootKey::~RootKey() { SecureWipe(key_); }

RootKey RootKey::FromBytes(std::string key32) { return RootKey(std::move(key32)); }

Result<RootKey> RootKey::LoadOrCreate(const std::string& path, bool create_if_missing) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create_if_missing) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Status(ErrorCode::kInternalFailure,
                    "cannot create root key file " + path + ": " + std::strerror(errno));
    }
    std::string key = RandomBytes(32);
    bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
              ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
      ::unlink(path.c_str());
      return Status(ErrorCode::kInternalFailure, "cannot write root key file " + path);
    }
    return RootKey(std::move(key));
  }
  if (fd < 0) {
    return Status(ErrorCode::kInternalFailure,
                  "cannot open root key file " + path + ": " + std::strerror(errno));
  }
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
    return Status(ErrorCode::kInternalFailure, "root key file " + path + " is not 32 bytes");
  }
  key.resize(32);
  return RootKey(std::move(key));
}

Result<std::string> RootKey::Seal(std::string_view plaintext, std::string_view aad) const {
  return AeadSeal(key_, plaintext, aad);
}

Result<std::string> RootKey::Open(std::string_view sealed, std::string_view aad) const {
  return AeadOpen(key_, sealed, aad);
}

std::string RootKey::DeriveKey(std::string_view purpose) const {
  return HmacSha256(key_, std::string("arcana:") + std::string(purpose));
}

}  // namespace arcana::crypto
