#include "audit/write_ahead_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
// The implementation compiled in (header-only): the state can then live on the stack.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/sync_dir.h"
#include "crypto/hash.h"  // only to read frames written before version 2

namespace arcana::audit {
namespace {

constexpr char kMagic[4] = {'A', 'W', 'L', '2'};
// Frames of version 1 (a SHA-256 digest) are still read: a log left by a crash before an
// upgrade is recovered by the new version.
constexpr char kMagicV1[4] = {'A', 'W', 'L', '1'};
constexpr size_t kHeaderFields = 24;  // magic, payload bytes, first sequence, count, reserved
constexpr size_t kV1HeaderBytes = kHeaderFields + 32;
static_assert(kWalFrameHeaderBytes == kHeaderFields + 16);

// XXH3-128 of the header fields and the payload: it detects a torn or stale frame (the
// chain hash in each line, not this, is what makes the records tamper-evident), at a small
// fraction of SHA-256's cost per byte.
std::string FrameDigest(std::string_view fields, std::string_view payload) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  XXH3_128bits_update(&state, fields.data(), fields.size());
  XXH3_128bits_update(&state, payload.data(), payload.size());
  XXH128_canonical_t out;
  XXH128_canonicalFromHash(&out, XXH3_128bits_digest(&state));
  return std::string(reinterpret_cast<const char*>(out.digest), sizeof(out.digest));
}

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

// The frame's header and its payload, written where the frame goes without first copying
// them into one buffer.
bool PwriteFrame(int fd, std::string_view header, std::string_view payload, uint64_t at) {
  iovec iov[2] = {{const_cast<char*>(header.data()), header.size()},
                  {const_cast<char*>(payload.data()), payload.size()}};
  const ssize_t n = ::pwritev(fd, iov, 2, static_cast<off_t>(at));
  if (n < 0 && errno != EINTR) return false;
  // A short write (or an interrupted one): the rest one piece at a time.
  size_t done = n < 0 ? 0 : static_cast<size_t>(n);
  if (done < header.size()) {
    if (!PwriteAll(fd, header.substr(done), at + done)) return false;
    done = header.size();
  }
  return PwriteAll(fd, payload.substr(done - header.size()), at + done);
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

Status WriteAheadLog::Empty() {
  end_ = 0;
  if (PwriteAll(fd_, std::string_view("\0\0\0\0", 4), 0) && ::fdatasync(fd_) == 0) {
    return Status::Ok();
  }
  return Status(ErrorCode::kServiceUnavailable,
                "write-ahead log " + path_ + ": " + std::strerror(errno));
}

Status WriteAheadLog::Append(uint64_t first_sequence, uint32_t count, std::string_view payload) {
  std::string header(kMagic, sizeof(kMagic));
  header.reserve(kWalFrameHeaderBytes);
  PutLe(header, payload.size(), 4);
  PutLe(header, first_sequence, 8);
  PutLe(header, count, 4);
  PutLe(header, 0, 4);
  header += FrameDigest(header, payload);
  if (PwriteFrame(fd_, header, payload, end_) && ::fdatasync(fd_) == 0) {
    end_ += header.size() + payload.size();
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
  std::string header(kV1HeaderBytes, '\0');
  while (at + kWalFrameHeaderBytes <= size) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kV1HeaderBytes, size - at));
    ssize_t n = ::pread(fd, header.data(), want, static_cast<off_t>(at));
    if (n < 0) return SysError("cannot read", path, errno);
    if (static_cast<size_t>(n) < kWalFrameHeaderBytes) break;
    const bool v1 = std::memcmp(header.data(), kMagicV1, 4) == 0;
    if (!v1 && std::memcmp(header.data(), kMagic, 4) != 0) break;
    const size_t header_bytes = v1 ? kV1HeaderBytes : kWalFrameHeaderBytes;
    if (static_cast<size_t>(n) < header_bytes) break;
    Frame f;
    const uint64_t bytes = GetLe(header, 4, 4);
    f.first_sequence = GetLe(header, 8, 8);
    f.count = static_cast<uint32_t>(GetLe(header, 16, 4));
    if (at + header_bytes + bytes > size) break;
    if (!frames.empty() &&
        f.first_sequence != frames.back().first_sequence + frames.back().count) {
      break;  // a frame of the previous lap
    }
    f.payload.resize(bytes);
    n = ::pread(fd, f.payload.data(), bytes, static_cast<off_t>(at + header_bytes));
    if (n < 0) return SysError("cannot read", path, errno);
    if (static_cast<uint64_t>(n) != bytes) break;
    const std::string_view fields(header.data(), kHeaderFields);
    const std::string_view digest(header.data() + kHeaderFields, header_bytes - kHeaderFields);
    const std::string expected = v1 ? crypto::Sha256(std::string(fields) + f.payload)
                                    : FrameDigest(fields, f.payload);
    if (expected != digest) break;  // torn
    at += header_bytes + bytes;
    frames.push_back(std::move(f));
  }
  return frames;
}

}  // namespace arcana::audit
