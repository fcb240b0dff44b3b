#include "seal/operator_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace arcana::seal {
namespace {

Status Err(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kInternalFailure, what + " " + path + ": " + std::strerror(errno));
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  std::string out = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  crypto::SecureWipe(s);
  return out;
}

Status CheckLength(const std::string& token, const std::string& from) {
  if (token.size() < kMinOperatorTokenLength) {
    return Status(ErrorCode::kInvalidParameter,
                  "the operator token from " + from + " is shorter than " +
                      std::to_string(kMinOperatorTokenLength) + " characters");
  }
  return Status::Ok();
}

}  // namespace

std::string OperatorTokenPathIn(const std::string& data_dir) {
  return data_dir + "/operator.token";
}

Result<std::string> ReadOperatorTokenFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err("cannot open operator token file", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return Status(ErrorCode::kInternalFailure,
                  "operator token file " + path + " is readable by group or others; chmod 600 it");
  }
  std::string buf(4096, '\0');
  ssize_t n = ::read(fd, buf.data(), buf.size());
  ::close(fd);
  if (n < 0) {
    crypto::SecureWipe(buf);
    return Err("cannot read operator token file", path);
  }
  buf.resize(static_cast<size_t>(n));
  return Trim(std::move(buf));
}

Result<std::string> LoadOperatorToken(const std::string& env_token, const std::string& file,
                                      const std::string& data_dir) {
  if (!env_token.empty()) {
    std::string t = Trim(env_token);
    ARCANA_RETURN_IF_ERROR(CheckLength(t, "ARCANA_OPERATOR_TOKEN"));
    return t;
  }
  if (!file.empty()) {
    ARCANA_ASSIGN_OR_RETURN(std::string t, ReadOperatorTokenFile(file));
    ARCANA_RETURN_IF_ERROR(CheckLength(t, file));
    return t;
  }
  const std::string path = OperatorTokenPathIn(data_dir);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string token = crypto::HexEncode(crypto::RandomBytes(32));
    std::string line = token + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
              ::fsync(fd) == 0;
    ::close(fd);
    crypto::SecureWipe(line);
    if (!ok) {
      ::unlink(path.c_str());
      crypto::SecureWipe(token);
      return Err("cannot write operator token file", path);
    }
    return token;
  }
  if (errno != EEXIST) return Err("cannot create operator token file", path);
  ARCANA_ASSIGN_OR_RETURN(std::string t, ReadOperatorTokenFile(path));
  ARCANA_RETURN_IF_ERROR(CheckLength(t, path));
  return t;
}

}  // namespace arcana::seal
