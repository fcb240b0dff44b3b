#include "audit/file_trail.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "audit/node_head.h"
#include "audit/trail_reader.h"
#include "common/json.h"
#include "common/sync_dir.h"
#include "crypto/hash.h"

namespace arcana::audit {
namespace {

constexpr size_t kMaxPending = 1 << 16;
constexpr std::chrono::milliseconds kTick{1000};
constexpr std::chrono::milliseconds kBackoff{1000};
constexpr size_t kTailBytes = 1 << 20;  // a record or digest line is far smaller
constexpr int64_t kRetentionPeriodMs = 3600 * 1000;
constexpr int64_t kRetentionRetryMs = 2 * 1000;

Status Io(const std::string& what, const std::string& path, int err) {
  return Status(ErrorCode::kInternalFailure, what + " " + path + ": " + std::strerror(err));
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(ErrorCode::kServiceUnavailable, std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// The last complete line of the file at path ("" when none); with cut_torn, a torn tail
// after the last newline (a crash mid-write) is cut off the file first.
Result<std::string> LastLine(const std::string& path, bool cut_torn = true) {
  int fd = ::open(path.c_str(), (cut_torn ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return Io("cannot open", path, errno);
  }
  struct stat st {};
  ::fstat(fd, &st);
  if (!S_ISREG(st.st_mode) || st.st_size == 0) {  // e.g. a device: nothing to resume
    ::close(fd);
    return std::string();
  }
  off_t size = st.st_size;
  off_t from = size > static_cast<off_t>(kTailBytes) ? size - static_cast<off_t>(kTailBytes) : 0;
  std::string tail(static_cast<size_t>(size - from), '\0');
  ssize_t n = ::pread(fd, tail.data(), tail.size(), from);
  if (n != static_cast<ssize_t>(tail.size())) {
    ::close(fd);
    return Io("cannot read", path, errno);
  }
  size_t end = tail.rfind('\n');
  if (end == std::string::npos) {
    if (cut_torn && from == 0 && ::ftruncate(fd, 0) == 0) {
      spdlog::warn("audit: {} held only a torn line: cut", path);
    }
    ::close(fd);
    return std::string();
  }
  if (cut_torn && end + 1 != tail.size()) {
    spdlog::warn("audit: {} ends with a torn line (crash mid-write): cut", path);
    if (::ftruncate(fd, from + static_cast<off_t>(end) + 1) != 0) {
      int e = errno;
      ::close(fd);
      return Io("cannot truncate", path, e);
    }
  }
  ::close(fd);
  size_t start = tail.rfind('\n', end == 0 ? 0 : end - 1);
  start = (start == std::string::npos || end == 0) ? 0 : start + 1;
  return tail.substr(start, end - start);
}

}  // namespace

FileTrail::FileTrail(FileTrailOptions opts, DigestSigner* signer)
    : GroupCommitWriter(kMaxPending, kTick), opts_(std::move(opts)), signer_(signer) {}

Result<std::unique_ptr<FileTrail>> FileTrail::Open(FileTrailOptions opts, DigestSigner* signer) {
  if (!ValidNodeName(opts.node)) {
    return Status(ErrorCode::kInvalidParameter,
                  "audit node name must be 1-64 of [A-Za-z0-9_-]: " + opts.node);
  }
  std::unique_ptr<FileTrail> t(new FileTrail(std::move(opts), signer));
  ARCANA_RETURN_IF_ERROR(t->Resume());
  t->durable_sequence_.store(t->last_sequence_, std::memory_order_release);
  t->StartWriter();
  return t;
}

FileTrail::~FileTrail() {
  Close();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

int64_t FileTrail::Now() const {
  if (opts_.now_ms) return opts_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status FileTrail::Resume() {
  std::error_code ec;
  std::filesystem::create_directories(opts_.dir, ec);
  if (ec) return Status(ErrorCode::kInternalFailure, "cannot create " + opts_.dir + ": " + ec.message());
  ::chmod(opts_.dir.c_str(), 0700);
  std::string lock_path = opts_.dir + "/" + opts_.node + ".lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return Io("cannot open", lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | (opts_.wait_for_lock ? 0 : LOCK_NB)) != 0) {
    return Status(ErrorCode::kInternalFailure,
                  "audit files of node " + opts_.node + " in " + opts_.dir +
                      " are in use by another process (give each node its own --audit-node)");
  }
  ARCANA_RETURN_IF_ERROR(MarkOpen(lock_path));
  // The newest record file, and the newest record in any file (an empty newest file, e.g.
  // just rotated, continues the chain of the one before).
  ARCANA_ASSIGN_OR_RETURN(const std::vector<uint32_t> numbers, RecordFileNumbers());
  last_hash_ = std::string(kGenesisHash);
  for (auto it = numbers.rbegin(); it != numbers.rend(); ++it) {
    ARCANA_ASSIGN_OR_RETURN(std::string line,
                            LastLine(opts_.dir + "/" + RecordFileName(opts_.node, *it)));
    if (line.empty()) continue;
    auto link = ParseChainLink(line);
    if (!link) {
      return Status(ErrorCode::kInternalFailure,
                    "the last audit record of " + RecordFileName(opts_.node, *it) +
                        " is unreadable: run `arcana audit verify` and move the file aside");
    }
    last_sequence_ = link->sequence;
    last_hash_ = LineHash(line);
    last_record_file_ = *it;
    break;
  }
  ARCANA_ASSIGN_OR_RETURN(std::string digest_line,
                          LastLine(opts_.dir + "/" + DigestFileName(opts_.node)));
  if (!digest_line.empty()) {
    auto d = ParseDigest(digest_line);
    if (!d.ok()) {
      return Status(ErrorCode::kInternalFailure, "the last audit digest of node " + opts_.node +
                                                     " is unreadable: " + d.status().message());
    }
    digest_sequence_ = d->digest_sequence;
    digested_upto_ = d->last_sequence;
    last_signature_ = d->signature;
    last_digest_ms_ = d->end_ms;
    if (last_sequence_ == 0 && d->last_sequence > 0) {
      // No file holds a record: retention removed every one (the newest file was opened
      // empty at a rotation, whose digest, like retention's, covered every record).
      last_sequence_ = d->last_sequence;
      last_hash_ = d->last_hash;
    }
  }
  if (last_digest_ms_ == 0) last_digest_ms_ = Now();
  if (storage::MetaStore* heads = signer_ != nullptr ? signer_->head_store() : nullptr) {
    // From now on the store knows this node: verify refuses a file set it does not know.
    NodeHead h{digest_sequence_, digested_upto_, last_signature_, last_digest_ms_};
    if (Status reg = RegisterNode(*heads, opts_.node, h); !reg.ok()) {
      spdlog::warn("audit: cannot register node {} in the store: {}", opts_.node, reg.message());
    }
  }
  ARCANA_RETURN_IF_ERROR(OpenFile(numbers.empty() ? 1 : numbers.back()));
  if (opts_.wal_bytes == 0) return Status::Ok();
  ARCANA_ASSIGN_OR_RETURN(wal_, WriteAheadLog::Open(opts_.dir + "/" + opts_.node + ".wal",
                                                    opts_.wal_bytes));
  return Recover();
}

Status FileTrail::MarkOpen(const std::string& lock_path) {
  struct stat st {};
  if (::fstat(lock_fd_, &st) != 0) return Io("cannot stat", lock_path, errno);
  interrupted_ = st.st_size > 0;  // the last holder never reached ClearOpenMark
  const std::string mark = "open by pid " + std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) != 0 || ::pwrite(lock_fd_, mark.data(), mark.size(), 0) !=
                                            static_cast<ssize_t>(mark.size()) ||
      ::fdatasync(lock_fd_) != 0) {
    return Io("cannot write", lock_path, errno);
  }
  return Status::Ok();
}

void FileTrail::ClearOpenMark() {
  if (lock_fd_ < 0) return;
  if (::ftruncate(lock_fd_, 0) != 0 || ::fdatasync(lock_fd_) != 0) {
    spdlog::warn("audit: cannot clear the open mark of node {}: {} (its next start takes it "
                 "for a crash)", opts_.node, std::strerror(errno));
  }
}

Result<std::vector<uint32_t>> FileTrail::RecordFileNumbers() const {
  std::error_code ec;
  std::vector<uint32_t> numbers;
  for (const auto& entry : std::filesystem::directory_iterator(opts_.dir, ec)) {
    auto id = ParseRecordFileName(entry.path().filename().string());
    if (id && id->node == opts_.node) numbers.push_back(id->number);
  }
  if (ec) return Status(ErrorCode::kInternalFailure, "cannot list " + opts_.dir + ": " + ec.message());
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

Status FileTrail::CheckFramedRecords(const std::vector<WriteAheadLog::Frame>& frames) {
  if (frames.empty() || last_record_file_ == 0) return Status::Ok();
  const uint64_t oldest = frames.front().first_sequence;
  if (oldest > last_sequence_) return Status::Ok();  // the files hold none of them yet
  // The files' records from `oldest` on: the log holds the records of one file, the one
  // holding the newest record (or, read just in case, the one before it).
  struct Line {
    std::string hash;
    std::string where;  // file:line
  };
  std::map<uint64_t, Line> in_files;
  ARCANA_ASSIGN_OR_RETURN(const std::vector<uint32_t> numbers, RecordFileNumbers());
  int read = 0;
  for (auto it = numbers.rbegin(); it != numbers.rend() && read < 2; ++it) {
    if (*it > last_record_file_) continue;
    ++read;
    const std::string file = RecordFileName(opts_.node, *it);
    uint64_t first = 0;
    ARCANA_RETURN_IF_ERROR(ForEachLine({opts_.dir + "/" + file},
                                       [&](std::string_view line, const std::string&, size_t no) {
                                         const uint64_t seq = SequenceOf(line);
                                         if (first == 0) first = seq;
                                         if (seq >= oldest && seq <= last_sequence_) {
                                           in_files.try_emplace(seq, Line{LineHash(line),
                                               file + ":" + std::to_string(no)});
                                         }
                                         return true;
                                       }));
    if (first != 0 && first <= oldest) break;
  }
  const uint64_t from = in_files.empty() ? 0 : in_files.begin()->first;
  for (const auto& f : frames) {
    std::string_view rest = f.payload;
    for (uint64_t s = f.first_sequence; !rest.empty() && s <= last_sequence_; ++s) {
      const size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) break;
      const std::string_view framed = rest.substr(0, nl);
      rest.remove_prefix(nl + 1);
      if (s < from) continue;  // older than the files read: not compared
      auto it = in_files.find(s);
      if (it != in_files.end() && it->second.hash == LineHash(framed)) continue;
      // Records after the newest digest are signed by the next one: continuing the chain
      // from an edited record would sign the edit, and the first batch written would
      // overwrite the log's copies that show it. The node stops instead, the files and log
      // left as they are for `arcana audit verify` to report.
      const std::string what =
          it != in_files.end()
              ? it->second.where + " (sequence " + std::to_string(s) +
                    ") is not the record node " + opts_.node + "'s write-ahead log holds"
              : "record " + std::to_string(s) + " of node " + opts_.node +
                    " is in its write-ahead log but not in its record files";
      return Status(ErrorCode::kInternalFailure,
                    what + " (altered while the node was down), so the node will not sign over "
                    "it: run `arcana audit verify`, keep " + opts_.dir + " as it is for the "
                    "investigation, and start the node under another --audit-node");
    }
  }
  return Status::Ok();
}

Status FileTrail::Recover() {
  ARCANA_ASSIGN_OR_RETURN(auto frames, wal_->Frames());
  ARCANA_RETURN_IF_ERROR(CheckFramedRecords(frames));
  std::string out;
  uint64_t seq = last_sequence_;
  std::string hash = last_hash_;
  bool gap = false;
  for (const auto& f : frames) {
    if (gap) break;
    std::string_view rest = f.payload;
    for (uint64_t s = f.first_sequence; !rest.empty(); ++s) {
      const size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) break;
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl + 1);
      if (s <= seq) continue;  // the record file has it
      if (s != seq + 1) {
        // Cannot happen unless both files lost records: the new ones chain on from the
        // file's last record, and `arcana audit verify` reports the missing ones.
        spdlog::error("audit: records {} to {} of node {} are in neither {} nor its write-ahead "
                      "log; the chain resumes after {}",
                      seq + 1, s - 1, opts_.node, RecordFileName(opts_.node, file_number_), seq);
        gap = true;
        break;
      }
      out.append(line);
      out += '\n';
      hash = LineHash(line);
      seq = s;
    }
  }
  if (out.empty()) {
    // The files hold every framed record, but after a process crash maybe only in the page
    // cache: they must be durable before the next batch overwrites their frames (Append
    // starts at the log's beginning), or a power loss soon after takes acknowledged records.
    Status synced = frames.empty() ? Status::Ok() : SyncRecoveredFiles();
    if (synced.ok()) return synced;
    return Status(ErrorCode::kInternalFailure,
                  "cannot sync the audit records of node " + opts_.node + ": " + synced.message());
  }
  Status st = WriteAll(fd_, out);
  if (st.ok()) st = SyncData(fd_, RecordFileName(opts_.node, file_number_));
  const std::string file = RecordFileName(opts_.node, file_number_);
  if (!st.ok()) return Status(ErrorCode::kInternalFailure, "cannot recover audit records into " + file + ": " + st.message());
  spdlog::warn("audit: {} record(s) missing from {} (a machine crash) recovered from its write-ahead log",
               seq - last_sequence_, file);
  last_sequence_ = seq;
  last_hash_ = hash;
  file_bytes_ += out.size();
  return Status::Ok();
}

Status FileTrail::SyncData(int fd, const std::string& file) {
  // EINVAL: a special file (a device, a pipe), which has nothing to sync.
  if (::fdatasync(fd) != 0 && errno != EINVAL) {
    return Status(ErrorCode::kServiceUnavailable, std::strerror(errno));
  }
  if (opts_.record_file_synced) opts_.record_file_synced(file);
  return Status::Ok();
}

Status FileTrail::SyncRecordFile() {
  if (fd_ < 0) return Status::Ok();
  ARCANA_RETURN_IF_ERROR(SyncData(fd_, RecordFileName(opts_.node, file_number_)));
  if (wal_) wal_->Rewind();
  return Status::Ok();
}

Status FileTrail::SyncRecoveredFiles() {
  ARCANA_RETURN_IF_ERROR(SyncRecordFile());
  // The newest file may be empty (a crash right after a rotation): the frames then describe
  // the file before it, synced at that rotation; synced again all the same, cheaply.
  if (last_record_file_ != 0 && last_record_file_ != file_number_) {
    const std::string file = RecordFileName(opts_.node, last_record_file_);
    const std::string path = opts_.dir + "/" + file;
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return Io("cannot open", path, errno);
    Status st = SyncData(fd, file);
    ::close(fd);
    ARCANA_RETURN_IF_ERROR(st);
  }
  return Status::Ok();
}

Status FileTrail::OpenFile(uint32_t number) {
  std::string path = opts_.dir + "/" + RecordFileName(opts_.node, number);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Io("cannot open", path, errno);
  struct stat st {};
  ::fstat(fd, &st);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  file_number_ = number;
  file_bytes_ = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  SyncDirectory(opts_.dir);  // the new name is durable before any record in it is acknowledged
  return Status::Ok();
}

Status FileTrail::Write(std::string_view record_json) {
  return Submit(std::string(record_json), opts_.fail_closed);
}

void FileTrail::WriteAsync(std::string_view record_json, std::function<void(Status)> done) {
  if (!opts_.fail_closed) return done(Submit(std::string(record_json), false));
  SubmitAsync(std::string(record_json), std::move(done));
}

bool FileTrail::Healthy() const { return HealthyNow(kBackoff); }

Status FileTrail::CommitBatch(std::vector<std::string>& batch) {
  if (fd_ < 0) {
    Status reopened = OpenFile(file_number_ + 1);
    if (!reopened.ok()) return Status(ErrorCode::kServiceUnavailable, reopened.message());
  }
  std::string out;
  uint64_t seq = last_sequence_;
  std::string hash = last_hash_;
  for (const auto& rec : batch) {
    std::string line = ChainedLine(rec, ++seq, hash);
    hash = LineHash(line);
    out += line;
    out += '\n';
  }
  // Framed in the write-ahead log unless the batch is larger than the whole log.
  const bool framed = wal_ != nullptr && wal_->FitsEmpty(out.size());
  Status st;
  if (framed && !wal_->Fits(out.size())) st = SyncRecordFile();  // full: start it over
  if (st.ok()) st = WriteAll(fd_, out);
  if (st.ok() && framed) {
    st = wal_->Append(last_sequence_ + 1, static_cast<uint32_t>(batch.size()), out);
  } else if (st.ok() && ::fdatasync(fd_) != 0) {
    st = Status(ErrorCode::kServiceUnavailable, std::strerror(errno));
  } else if (st.ok() && wal_ != nullptr) {
    // Unframed: the log must not read as ending before these records (verify takes a file
    // record newer than the log's newest for an inserted one). They are durable already.
    if (Status emptied = wal_->Empty(); !emptied.ok()) {
      spdlog::error("audit: {}", emptied.message());
    }
  }
  if (!st.ok()) {
    // Undo the partial write: the chain on disk ends where it did.
    if (::ftruncate(fd_, static_cast<off_t>(file_bytes_)) != 0) {
      spdlog::error("audit: cannot cut a failed write from {}: {}",
                    RecordFileName(opts_.node, file_number_), std::strerror(errno));
    }
    spdlog::error("audit: cannot make {} record(s) durable in {}: {}", batch.size(), opts_.dir,
                  st.message());
    return Status(ErrorCode::kServiceUnavailable,
                  "The audit trail cannot record this call (" + st.message() +
                      "), so it was refused.");
  }
  last_sequence_ = seq;
  last_hash_ = hash;
  file_bytes_ += out.size();
  durable_sequence_.store(seq, std::memory_order_release);
  if (file_bytes_ >= opts_.max_file_bytes) {
    // The log's frames must not be needed for a file that is no longer the newest.
    if (Status synced = SyncRecordFile(); !synced.ok()) {
      spdlog::error("audit: rotation postponed: cannot sync {}: {}",
                    RecordFileName(opts_.node, file_number_), synced.message());
      return Status::Ok();
    }
    Status d = WriteDigest();
    if (!d.ok()) spdlog::warn("audit: digest at rotation: {}", d.message());
    ::close(fd_);
    fd_ = -1;
    Status next = OpenFile(file_number_ + 1);  // on failure the next batch tries again
    if (!next.ok()) {
      ++file_number_;
      spdlog::error("audit: rotation: {}", next.message());
    }
  }
  return Status::Ok();
}

void FileTrail::Tick() {
  if (Now() - last_digest_ms_ >= std::chrono::milliseconds(opts_.digest_interval).count()) {
    Status d = WriteDigest();
    if (!d.ok()) spdlog::warn("audit: periodic digest: {}", d.message());
  }
  if (opts_.retention.count() > 0 && Now() >= next_retention_ms_) {
    auto done = ApplyRetention();
    if (!done.ok()) spdlog::warn("audit: retention of node {}: {}", opts_.node, done.status().message());
    // Files kept only for want of a signature or of the index's copy are tried again soon.
    next_retention_ms_ = Now() + (done.ok() && !*done ? kRetentionRetryMs : kRetentionPeriodMs);
  }
}

void FileTrail::HoldRecordsFor(std::function<uint64_t()> needed_through) {
  std::lock_guard<std::mutex> l(hold_mu_);
  hold_ = std::move(needed_through);
}

Result<bool> FileTrail::ApplyRetention() {
  if (signer_ == nullptr) return true;  // no digest could vouch for a removal: none is due
  if (!signer_->PublicKey().ok()) return false;  // sealed: nothing can be signed for yet
  const int64_t cutoff_ms =
      Now() - std::chrono::duration_cast<std::chrono::milliseconds>(opts_.retention).count();
  uint64_t hold = UINT64_MAX;
  {
    std::lock_guard<std::mutex> l(hold_mu_);
    if (hold_) hold = hold_();
  }
  ARCANA_ASSIGN_OR_RETURN(const std::vector<uint32_t> numbers, RecordFileNumbers());
  // The oldest files, in order, up to the first one retention keeps: the chain stays whole.
  std::vector<std::string> doomed;
  uint64_t through = 0;  // the newest record they hold
  std::string through_hash;
  bool held = false;
  for (uint32_t n : numbers) {
    if (n >= file_number_) break;  // the open file, and any after it, stay
    const std::string path = opts_.dir + "/" + RecordFileName(opts_.node, n);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) break;
    const int64_t written_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 +
                               st.st_mtim.tv_nsec / 1000000;
    if (written_ms > cutoff_ms) break;
    ARCANA_ASSIGN_OR_RETURN(std::string line, LastLine(path, /*cut_torn=*/false));
    if (!line.empty()) {
      auto link = ParseChainLink(line);
      if (!link) break;  // unreadable: `arcana audit verify` names it; kept
      if (link->sequence > hold) {
        held = true;
        break;
      }
      through = link->sequence;
      through_hash = LineHash(line);
    }
    doomed.push_back(path);
  }
  if (doomed.empty()) return !held;
  if (through != 0) {
    const uint64_t before = digest_sequence_;
    ARCANA_RETURN_IF_ERROR(WriteDigest(through, through_hash));
    if (digest_sequence_ == before) return false;  // sealed: no signature yet
  }
  for (const auto& path : doomed) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      SyncDirectory(opts_.dir);
      return Io("cannot remove", path, errno);
    }
  }
  SyncDirectory(opts_.dir);
  spdlog::info("audit: retention removed {} record file(s) of node {} (records up to {})",
               doomed.size(), opts_.node, through);
  return !held;
}

void FileTrail::Finish() {
  Status d = WriteDigest();
  if (!d.ok()) spdlog::warn("audit: closing digest: {}", d.message());
  if (Status synced = SyncRecordFile(); !synced.ok()) {
    spdlog::error("audit: cannot sync {} at close (its write-ahead log keeps the records): {}",
                  RecordFileName(opts_.node, file_number_), synced.message());
  } else {
    ClearOpenMark();  // closed in order: every record handed over was written or refused
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status FileTrail::WriteDigest(uint64_t pruned_through, const std::string& pruned_hash) {
  if (signer_ == nullptr || (digested_upto_ == last_sequence_ && pruned_through == 0)) {
    return Status::Ok();
  }
  Digest d;
  d.digest_sequence = digest_sequence_ + 1;
  d.node = opts_.node;
  d.start_ms = last_digest_ms_;
  d.end_ms = std::max(Now(), last_digest_ms_);
  d.first_sequence = digested_upto_ + 1;
  d.last_sequence = last_sequence_;
  d.last_hash = last_hash_;
  d.previous_signature = last_signature_;
  d.pruned_through = pruned_through;
  d.pruned_hash = pruned_hash;
  auto pub = signer_->PublicKey();
  // Sealed: no digest until the root is back (the next one covers these records); that is
  // the documented state, not an error to log at every tick.
  if (!pub.ok()) {
    return pub.status().code() == ErrorCode::kServiceUnavailable ? Status::Ok() : pub.status();
  }
  d.public_key = crypto::HexEncode(*pub);
  ARCANA_ASSIGN_OR_RETURN(std::string sig, signer_->Sign(DigestMessage(d)));
  d.signature = crypto::HexEncode(sig);
  std::string path = opts_.dir + "/" + DigestFileName(opts_.node);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Io("cannot open", path, errno);
  struct stat st {};
  ::fstat(fd, &st);
  std::string line = DigestJson(d) + "\n";
  Status w = WriteAll(fd, line);
  if (w.ok() && ::fdatasync(fd) != 0) w = Status(ErrorCode::kServiceUnavailable, std::strerror(errno));
  if (!w.ok()) {
    if (S_ISREG(st.st_mode)) (void)::ftruncate(fd, st.st_size);
    ::close(fd);
    return Status(ErrorCode::kInternalFailure, "cannot write " + path + ": " + w.message());
  }
  ::close(fd);
  if (st.st_size == 0) SyncDirectory(opts_.dir);
  digest_sequence_ = d.digest_sequence;
  digested_upto_ = d.last_sequence;
  last_signature_ = d.signature;
  last_digest_ms_ = d.end_ms;
  if (storage::MetaStore* heads = signer_->head_store()) {
    // After the digest is durable: the store's head never names a digest the file lacks.
    NodeHead h{d.digest_sequence, d.last_sequence, d.signature, d.end_ms};
    if (Status pub = PublishNodeHead(*heads, opts_.node, h); !pub.ok()) {
      spdlog::warn("audit: cannot record digest {} of node {} in the store: {}", d.digest_sequence,
                   opts_.node, pub.message());
    }
  }
  return Status::Ok();
}

void FileTrail::Close() {
  StopWriter();  // commits what is pending, then Finish() writes the closing digest
}

}  // namespace arcana::audit
