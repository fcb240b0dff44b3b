// The audit file sink's write-ahead log: a fixed-size file, zero-filled and synced when it is
// created, that each batch of record lines is framed into and made durable with one
// fdatasync(2). Overwriting blocks that are already allocated and written changes no file
// metadata, so that flush writes data only; syncing the appended JSON-lines file instead must
// also write its inode's growing size (an ext4 journal commit where there is a journal). The
// JSON-lines file then stays plain (no preallocated zeros for scripts to trip on) and is
// synced only when the log wraps, at file rotation and at close (file_trail.h).
//
// Frame: "AWL2", u32 payload bytes, u64 first sequence, u32 record count, u32 reserved,
// 16-byte XXH3-128 (canonical, big-endian) of the 24 header bytes before it and the payload,
// then the payload (the batch's chained lines, each ending in '\n'), all else little-endian.
// The digest only tells a torn or stale frame from a whole one; the records' own chain
// hashes make them tamper-evident. A frame that is torn or stale (left from the previous
// lap) fails its digest or does not continue the sequence of the one before it: Frames()
// stops there. Frames of version 1 ("AWL1": the same header with a 32-byte SHA-256 digest,
// written before 2026-12-05) are read too, so a log left by a crash survives an upgrade.
// Thread-safety: none; the trail's writer thread owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::audit {

inline constexpr size_t kWalFrameHeaderBytes = 24 + 16;  // a version-2 frame's header

class WriteAheadLog {
 public:
  // Opens path, creating it (size bytes of zeros, synced, its name synced in its directory)
  // when absent; a shorter file (a crash while creating it) is zero-filled up to size, a
  // longer one kept as it is. The next Append writes at the start: call Frames() first to
  // recover what it holds. Errors: kInternalFailure naming the file.
  static Result<std::unique_ptr<WriteAheadLog>> Open(const std::string& path, uint64_t size);
  ~WriteAheadLog();
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  // Whether a frame of payload_bytes fits after the last one written.
  bool Fits(size_t payload_bytes) const;
  // Whether such a frame fits in the log at all (after Rewind).
  bool FitsEmpty(size_t payload_bytes) const;
  // Writes one frame after the last and makes it durable. The caller checked Fits(). On
  // error the frame's header is zeroed (best effort) and the end does not move.
  // Errors: kServiceUnavailable with the system's reason.
  Status Append(uint64_t first_sequence, uint32_t count, std::string_view payload);
  // The next Append writes at the start again: the caller has made every record framed so
  // far durable elsewhere. Later frames of the previous lap stay, and are told apart by
  // their sequence numbers.
  void Rewind();
  // Rewind, and the log reads as holding no frame (its first frame's magic zeroed, synced):
  // after records were made durable without it (a batch larger than the log), so that its
  // older frames do not read as the node's newest records (`arcana audit verify`).
  // Errors: kServiceUnavailable with the system's reason.
  Status Empty();

  struct Frame {
    uint64_t first_sequence = 0;
    uint32_t count = 0;
    std::string payload;
  };
  // The frames from the start, in order, while each is intact and continues the sequence of
  // the one before. Errors: kInternalFailure (cannot read).
  Result<std::vector<Frame>> Frames() const;
  // The same, of the log at path, read only (`arcana audit verify`); none when it is absent.
  static Result<std::vector<Frame>> ReadFrames(const std::string& path);

 private:
  static Result<std::vector<Frame>> ParseFrames(int fd, uint64_t size, const std::string& path);
  WriteAheadLog(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}

  std::string path_;
  int fd_;
  uint64_t size_;
  uint64_t end_ = 0;  // where the next frame goes
};

}  // namespace arcana::audit
