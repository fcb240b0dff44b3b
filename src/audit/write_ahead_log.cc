#include "audit/write_ahead_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/sync_dir.h"
#include "crypto/hash.h"

namespace arcana::audit {
namespace {

constexpr char kMagic[4] = {'A', 'W', 'L', '1'};
constexpr size_t kHeaderFields = 24;  // magic, payload bytes, first sequence, count, reserved

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

Status SysError(const std::string& what, const std::string& path, int err) {
  return Status(ErrorCode::kInternalFailure, what + " " + path + ": " + std::strerror(err));
}

bool PwriteAll(int fd, std::string_view data, uint64_t at) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
  return true;
}

// Zeros from `from` up to `to`, written (not fallocated: unwritten extents would need a
// metadata update when first overwritten, which is the cost this file exists to avoid).
bool ZeroFill(int fd, uint64_t from, uint64_t to) {
  const std::string zeros(1 << 20, '\0');
  while (from < to) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), to - from));
    if (!PwriteAll(fd, std::string_view(zeros.data(), n), from)) return false;
    from += n;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<WriteAheadLog>> WriteAheadLog::Open(const std::string& path,
                                                           uint64_t size) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return SysError("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(ErrorCode::kInternalFailure, path + " is not a regular file");
  }
  const uint64_t have = static_cast<uint64_t>(st.st_size);
  if (have < size) {
    // New, or cut short by a crash while it was being created: what it holds is kept.
    if (!ZeroFill(fd, have, size) || ::fsync(fd) != 0) {
      int e = errno;
      ::close(fd);
      return SysError("cannot preallocate", path, e);
    }
    if (have == 0) SyncDirectoryOf(path);
  }
  return std::unique_ptr<WriteAheadLog>(new WriteAheadLog(path, fd, std::max(have, size)));
}

WriteAheadLog::~WriteAheadLog() {
  if (fd_ >= 0) ::close(fd_);
}

bool WriteAheadLog::Fits(size_t payload_bytes) const {
  return end_ + kWalFrameHeaderBytes + payload_bytes <= size_;
}

bool WriteAheadLog::FitsEmpty(size_t payload_bytes) const {
  return kWalFrameHeaderBytes + payload_bytes <= size_;
}

void WriteAheadLog::Rewind() { end_ = 0; }

Status WriteAheadLog::Append(uint64_t first_sequence, uint32_t count, std::string_view payload) {
  std::string frame(kMagic, sizeof(kMagic));
  frame.reserve(kWalFrameHeaderBytes + payload.size());
  PutLe(frame, payload.size(), 4);
  PutLe(frame, first_sequence, 8);
  PutLe(frame, count, 4);
  PutLe(frame, 0, 4);
  std::string signed_part = frame;
  signed_part.append(payload);
  frame += crypto::Sha256(signed_part);
  frame.append(payload);
  if (PwriteAll(fd_, frame, end_) && ::fdatasync(fd_) == 0) {
    end_ += frame.size();
    return Status::Ok();
  }
  const int err = errno;
  // A frame left whole on disk by a failed sync would come back at recovery as records
  // that were refused: its magic goes.
  (void)PwriteAll(fd_, std::string_view("\0\0\0\0", 4), end_);
  (void)::fdatasync(fd_);
  return Status(ErrorCode::kServiceUnavailable,
                "write-ahead log " + path_ + ": " + std::strerror(err));
}

Result<std::vector<WriteAheadLog::Frame>> WriteAheadLog::Frames() const {
  return ParseFrames(fd_, size_, path_);
}

Result<std::vector<WriteAheadLog::Frame>> WriteAheadLog::ReadFrames(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::vector<Frame>{};
    return SysError("cannot open", path, errno);
  }
  struct stat st {};
  auto frames = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
                    ? ParseFrames(fd, static_cast<uint64_t>(st.st_size), path)
                    : Result<std::vector<Frame>>(std::vector<Frame>{});
  ::close(fd);
  return frames;
}

Result<std::vector<WriteAheadLog::Frame>> WriteAheadLog::ParseFrames(int fd, uint64_t size,
                                                                     const std::string& path) {
  std::vector<Frame> frames;
  uint64_t at = 0;
  std::string header(kWalFrameHeaderBytes, '\0');
  while (at + kWalFrameHeaderBytes <= size) {
    ssize_t n = ::pread(fd, header.data(), header.size(), static_cast<off_t>(at));
    if (n < 0) return SysError("cannot read", path, errno);
    if (static_cast<size_t>(n) != header.size() || std::memcmp(header.data(), kMagic, 4) != 0) {
      break;
    }
    Frame f;
    const uint64_t bytes = GetLe(header, 4, 4);
    f.first_sequence = GetLe(header, 8, 8);
    f.count = static_cast<uint32_t>(GetLe(header, 16, 4));
    if (at + kWalFrameHeaderBytes + bytes > size) break;
    if (!frames.empty() &&
        f.first_sequence != frames.back().first_sequence + frames.back().count) {
      break;  // a frame of the previous lap
    }
    f.payload.resize(bytes);
    n = ::pread(fd, f.payload.data(), bytes, static_cast<off_t>(at + kWalFrameHeaderBytes));
    if (n < 0) return SysError("cannot read", path, errno);
    if (static_cast<uint64_t>(n) != bytes) break;
    std::string signed_part = header.substr(0, kHeaderFields) + f.payload;
    if (crypto::Sha256(signed_part) != header.substr(kHeaderFields, 32)) break;  // torn
    at += kWalFrameHeaderBytes + bytes;
    frames.push_back(std::move(f));
  }
  return frames;
}

}  // namespace arcana::audit
