// The local file sink: the node's chained, digest-signed audit files (layout and formats in
// audit/chain.h) under <data-dir>/audit/. Records are committed in groups by one writer
// thread (audit/group_commit.h): every batch is appended to the record file with one
// write(2) and made durable before any of its callers returns, so a call's response leaves
// only after its record is on disk. Durable means framed into <node>.wal, a preallocated
// write-ahead log synced with one cheap fdatasync(2) per batch (audit/write_ahead_log.h);
// the record file itself is synced when the log wraps, at rotation and at close. Open
// appends to the newest record file what the log holds beyond it (records a power loss took
// from the page cache); until then `arcana audit verify` reports them as missing. A failed
// write is undone (the file is truncated back and the chain does not advance), so a refused
// record leaves no trace to break the chain.
// Rotation: a file that reaches max_file_bytes is synced, closed with a digest and the next
// number opened. Digests: every digest_interval, at rotation and at Close, covering the records
// since the last one (none written while sealed: the next one covers those records too).
// With a signer that has a head store (audit/node_head.h), Open registers the node in the
// store and each digest, once durable, is recorded there as the node's newest.
// Retention (opts.retention > 0): at the first tick and then hourly, the oldest record files
// last written longer ago than that (never the open one) are removed, oldest first, after a
// signed retention digest (chain.h) has made their removal part of the chain; none while
// sealed (no signature), none beyond what HoldRecordsFor's callback says is still needed
// (files held back for either reason are tried again every 2 s).
// One process per node file set: Open takes an exclusive lock on <node>.lock (a CLI that
// records operator actions waits for it; arcanad refuses to start on a locked set), writes
// "open by pid N" into it (synced) and empties it once Close made every record durable: a
// start that finds it non-empty follows a crash (interrupted()).
// After a process crash the files may hold records only in the page cache: Open syncs the
// record file (and the one before it, after a rotation) before the log is written over.
// Open first compares the log's copies of the records the files hold with those records:
// one edited while the node was down (unsigned, after the newest digest, and re-chained)
// would otherwise be signed by the next digest. On a difference Open fails, naming the record,
// and leaves files and log as they are for `arcana audit verify` to report.
// Thread-safety: Write/Healthy/Close from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audit/audit_sink.h"
#include "audit/chain.h"
#include "audit/digest_signer.h"
#include "audit/group_commit.h"
#include "audit/write_ahead_log.h"

namespace arcana::audit {

struct FileTrailOptions {
  std::string dir;                             // <data-dir>/audit (created 0700)
  std::string node;                            // ValidNodeName
  uint64_t max_file_bytes = uint64_t{64} << 20;  // rotate beyond this
  std::chrono::seconds digest_interval{300};
  bool fail_closed = true;
  bool wait_for_lock = false;  // CLI: wait for the node's lock instead of failing
  // Size of <node>.wal; 0: no log, every batch syncs the record file itself.
  uint64_t wal_bytes = uint64_t{4} << 20;
  std::function<int64_t()> now_ms;  // wall clock (tests inject one); null = system clock
  // Remove record files last written longer ago than this; 0: keep every file.
  std::chrono::seconds retention{0};
  // Told a record file's name each time it was synced at open, when the log wraps, at
  // rotation and at close (tests).
  std::function<void(const std::string& file)> record_file_synced;
};

class FileTrail final : public AuditSink, private GroupCommitWriter {
 public:
  // Resumes the node's chain from its newest file and digest (a torn last line from a crash
  // is cut off). signer may be null: no digests (tests). Errors: kInternalFailure naming
  // the file (cannot create, lock, read).
  static Result<std::unique_ptr<FileTrail>> Open(FileTrailOptions opts, DigestSigner* signer);
  ~FileTrail() override;

  std::string_view name() const override { return "file"; }
  bool fail_closed() const override { return opts_.fail_closed; }
  Status Write(std::string_view record_json) override;
  void WriteAsync(std::string_view record_json, std::function<void(Status)> done) override;
  bool Healthy() const override;
  void Close() override;
  // The last record sequence durable in the files (what a reader of them may rely on: bytes
  // after it may still be cut off by a failed write). From any thread.
  uint64_t durable_sequence() const { return durable_sequence_.load(std::memory_order_acquire); }
  using GroupCommitWriter::batches;
  // Whether the process that had these files open before did not close them (a crash,
  // kill -9): calls it ran may have committed store changes whose records it never wrote
  // (audit/unrecorded_changes.h).
  bool interrupted() const { return interrupted_; }
  // Retention keeps every record file holding a record beyond what needed_through() answers
  // (e.g. what the store's index has not taken yet: trail_indexer.h). From any thread.
  void HoldRecordsFor(std::function<uint64_t()> needed_through);

 private:
  FileTrail(FileTrailOptions opts, DigestSigner* signer);
  Status Resume();
  Status OpenFile(uint32_t number);
  Status CommitBatch(std::vector<std::string>& batch) override;
  void Tick() override;
  void Finish() override;
  // A digest of the records since the last one; with pruned_through, a retention digest
  // (written even when it covers no new record).
  Status WriteDigest(uint64_t pruned_through = 0, const std::string& pruned_hash = "");
  // Removes the record files retention no longer keeps (see above). False when some were
  // kept only because they could not be signed for yet or the index still needs them.
  Result<bool> ApplyRetention();
  Result<std::vector<uint32_t>> RecordFileNumbers() const;
  // Appends to the newest record file the log's records beyond last_sequence_, once the
  // log's copies of the records the files already hold were found to be those records.
  Status Recover();
  // Errors: kInternalFailure naming the first record (file, line, sequence) the files hold
  // otherwise than the log (edited while the node was down), or lack.
  Status CheckFramedRecords(const std::vector<WriteAheadLog::Frame>& frames);
  // Makes the record file durable: the log's frames so far are no longer needed.
  Status SyncRecordFile();
  // At open, when the log held frames the files already have: makes those files durable.
  Status SyncRecoveredFiles();
  Status SyncData(int fd, const std::string& file);
  // The lock file's open mark (see above).
  Status MarkOpen(const std::string& lock_path);
  void ClearOpenMark();
  int64_t Now() const;

  FileTrailOptions opts_;
  DigestSigner* signer_;
  int lock_fd_ = -1;
  // Writer-thread state (GroupCommitWriter runs CommitBatch/Tick/Finish there; Resume runs
  // before the thread starts).
  int fd_ = -1;
  std::unique_ptr<WriteAheadLog> wal_;  // null: wal_bytes = 0
  uint32_t file_number_ = 0;
  uint32_t last_record_file_ = 0;  // at open: the file holding the newest record (0: none)
  bool interrupted_ = false;
  uint64_t file_bytes_ = 0;
  uint64_t last_sequence_ = 0;
  std::string last_hash_;
  uint64_t digest_sequence_ = 0;
  uint64_t digested_upto_ = 0;  // last sequence covered by a digest
  std::string last_signature_;  // hex, of the newest digest
  int64_t last_digest_ms_ = 0;
  int64_t next_retention_ms_ = 0;  // when retention runs next (0: at the first tick)
  std::atomic<uint64_t> durable_sequence_{0};
  std::mutex hold_mu_;
  std::function<uint64_t()> hold_;  // HoldRecordsFor's callback (under hold_mu_)
};

}  // namespace arcana::audit
