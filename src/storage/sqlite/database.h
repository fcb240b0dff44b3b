// The embedded (SQLite) backend's shared plumbing: one database file in WAL mode with
// synchronous=FULL, pooled read connections with cached prepared statements, per-component
// numbered schema migrations, the change-sequence head, and the one write path every
// component uses (group commit).
//
// Writes: every component hands its write to Database::Write as a function run inside a
// transaction. Concurrent writes are batched (group commit): one committer takes every
// pending write, runs them in ONE transaction, each inside its own SAVEPOINT (a write that
// fails, e.g. kWriteConflict, is rolled back to its savepoint and fails alone; the others
// are kept), then COMMITs once (one fsync for the whole batch) and only then completes the
// callers. A write is acknowledged only after the COMMIT that contains it returned, so an
// acknowledged write survives kill -9 and power loss.
//
// Change sequence: a write appends its Change rows through WriteTxn::AddChange (or with SQL
// into `changes`, then WriteTxn::MarkChanged). After the COMMIT, head() moves to the
// highest committed seq and WaitForChange callers wake.
// A write whose caller has a CommittedChanges collector (committed_changes.h) gets its own
// rows back, numbered: the committer reads the rows above the transaction's previous
// highest seq right after that write's function returned.
//
// Other processes: one arcanad serves the database (the data dir's lock, app/server_app.cc),
// but the offline `arcana` commands (access-key create|delete, iam create-user, functions
// create|delete) open it beside a running arcanad and commit through a Database of their own.
// SQLite serialises the writers of every process (BEGIN IMMEDIATE), so:
//   - each batch reads the real MAX(seq) after BEGIN IMMEDIATE (a rowid lookup, under the
//     write lock): the rows above it are the batch's own, never another process's;
//   - another process's commits move head() only when noticed: HeadSince(since) checks
//     `PRAGMA data_version` on a connection of its own (a look at the WAL index in shared
//     memory under a read lock taken and dropped without waiting: two fcntl calls, microseconds;
//     no query) and reads MAX(seq) only when the database changed. One check serves every
//     caller whose `since` is no later than its start (the change follower passes the
//     request's start less 1 ms: at most one check a millisecond, shared by every request
//     that began before it or less than 1 ms after). It never waits for a writer, so the HTTP server's I/O
//     threads may make it under a NoWaitScope (no_wait.h); should the WAL index be busy
//     (recovery after a crashed process) it refuses there, and elsewhere retries.
//   - WaitForChange also checks every kOtherWritersPoll, so another process's commit wakes a
//     waiter within that time.
//
// Checkpoints: the writer connection never checkpoints (SQLite's default would copy the WAL
// into the database, with two fsyncs, inside whichever commit crosses 1000 WAL pages, and
// every write waiting for that batch would wait too). A checkpointer thread with its own
// connection runs PASSIVE checkpoints instead, woken once the WAL holds kCheckpointPages;
// PASSIVE never blocks the writer or readers. Should it fall behind, so that the WAL reaches
// kCheckpointPages * 16, the committer checkpoints itself, which bounds the WAL's size.
//
// Migrations: each component keeps its own numbered list; applied versions are recorded in
// the `meta` table as "schema:<component>". Never edit a shipped migration: append one.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "storage/change_log.h"

namespace arcana::storage::sqlite {

// The error of the last failed call on db: kServiceUnavailable when it may pass later (busy,
// locked, I/O error, disk full), kInternalServiceError otherwise.
Status DbError(sqlite3* db, const char* what);
// kWriteConflict with a message naming what lost the race.
Status Conflict(const std::string& what);

// One connection and its prepared statements. Used by one thread at a time.
class Conn {
 public:
  explicit Conn(sqlite3* db) : db_(db) {}
  ~Conn();
  sqlite3* db() { return db_; }
  // A reset, cached statement for sql (a string with static storage: keyed by address);
  // nullptr on error.
  sqlite3_stmt* Prepare(const char* sql);
  Status Exec(const char* sql);
  // One statement through the Prepare cache: for the transaction control the write path runs
  // several times per batch (sqlite3_exec would parse it again each time).
  Status ExecCached(const char* sql);

 private:
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;
};

void BindText(sqlite3_stmt* st, int i, const std::string& s);
void BindBlob(sqlite3_stmt* st, int i, const std::string& s);
void BindOptInt(sqlite3_stmt* st, int i, const std::optional<int64_t>& v);
std::string ColText(sqlite3_stmt* st, int i);
// A `changes` row read as "SELECT seq, at_ms, account, region, service, resource, kind".
Change ChangeRow(sqlite3_stmt* st);
// Runs a statement that returns no row (or ignores its rows); `what` names it in errors.
Status Step(Conn& c, sqlite3_stmt* st, const char* what);

class Pool;

// Borrows a pooled connection for the duration of one call.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Conn> c) : pool_(pool), c_(std::move(c)) {}
  Lease(Lease&&) = default;
  ~Lease();
  Conn* operator->() { return c_.get(); }
  Conn& operator*() { return *c_; }

 private:
  Pool* pool_;
  std::unique_ptr<Conn> c_;
};

class Pool {
 public:
  explicit Pool(std::string path) : path_(std::move(path)) {}
  Result<Lease> Acquire();
  void Release(std::unique_ptr<Conn> c);
  Result<std::unique_ptr<Conn>> Open();

 private:
  std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> free_;
};

struct Migrations {
  const char* component;           // "secrets", "kms", "ssm", "changes", "jobs"
  const char* const* steps;        // steps[i] takes the component from version i to i+1
  size_t count;
};

// Applies the pending steps of every component in one exclusive transaction.
Status Migrate(Conn& c, const std::vector<Migrations>& components);

// One write's view of the transaction it runs in (see Database::Write).
class WriteTxn {
 public:
  WriteTxn(Conn& c, int64_t now_ms) : c_(c), now_ms_(now_ms) {}
  Conn& conn() { return c_; }
  // The commit time recorded in Change rows (this node's clock).
  int64_t now_ms() const { return now_ms_; }
  // Appends one Change row (change_log.h) in this transaction.
  Status AddChange(const std::string& account, const std::string& region, const char* service,
                   const std::string& resource, const std::string& kind);
  // For writes that inserted into `changes` with their own SQL.
  void MarkChanged() { changed_ = true; }
  bool changed() const { return changed_; }

 private:
  Conn& c_;
  int64_t now_ms_;
  bool changed_ = false;
};

class Database {
 public:
  // Opens (creating if needed) the database at path and applies every pending migration.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const std::vector<Migrations>& migrations);
  ~Database();

  // A pooled connection for reads (or ARCANA_LEASE).
  Pool* pool() { return &pool_; }

  // Runs fn inside a write transaction shared with the other writes pending now (group
  // commit, see above). fn's error rolls back fn's own work only (its SAVEPOINT) and is
  // returned; otherwise returns once the COMMIT holding fn's work is durable. fn must not
  // call Write (it would wait for itself) and must use txn.conn() for every statement.
  using WriteFn = std::function<Status(WriteTxn&)>;
  Status Write(const WriteFn& fn);

  // The highest change seq this process knows committed (0 when none): its own commits and
  // those of other processes noticed so far (see Other processes above).
  int64_t head() const { return head_.load(std::memory_order_acquire); }
  // The highest committed change seq, every process's commits before `since` (a steady-clock
  // time) included: reuses a check that began at or after since, else checks now. Errors:
  // kServiceUnavailable (the database is unreadable), kWouldBlock under a NoWaitScope when
  // the WAL index is busy.
  Result<int64_t> HeadSince(std::chrono::steady_clock::time_point since);
  // Rows up to seq were read as committed (by any process): head() becomes at least seq.
  void RaiseHead(int64_t seq);
  // Blocks until head() > after_seq or the timeout passes; another process's commit wakes it
  // within kOtherWritersPoll.
  void WaitForChange(int64_t after_seq, std::chrono::milliseconds timeout);

  static constexpr std::chrono::milliseconds kOtherWritersPoll{100};

 private:
  struct Request;
  Database(std::string path, std::unique_ptr<Conn> writer, std::unique_ptr<Conn> watch,
           int64_t head);
  // Runs one batch in one transaction and completes every request in it.
  void CommitBatch(std::vector<Request*>& batch);

  // One look for other processes' commits (watch_mu_ held): raises head_ when the database
  // changed since the last look. Returns the SQLite result code (SQLITE_BUSY: retry later).
  int CheckOtherWriters();

  // sqlite3_wal_hook on the writer: after each commit, with the WAL's size in pages.
  static int OnWalCommit(void* self, sqlite3* db, const char* schema, int pages);
  void CheckpointLoop(std::unique_ptr<Conn> conn);

  static constexpr int kCheckpointPages = 1000;

  Pool pool_;
  std::unique_ptr<Conn> writer_;  // used only by the committer of the moment

  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool stopping_ = false;
  std::thread checkpointer_;

  std::mutex queue_mu_;  // guards pending_, committing_ and every Request's done flag
  std::deque<Request*> pending_;
  bool committing_ = false;

  std::atomic<int64_t> head_{0};
  std::mutex head_mu_;
  std::condition_variable head_cv_;

  // Other processes' commits (HeadSince). watch_mu_ is never held while waiting.
  std::mutex watch_mu_;
  std::unique_ptr<Conn> watch_;    // no busy timeout: never sleeps
  int64_t watch_version_ = -1;     // its data_version at the last look (-1: none yet)
  // When the newest completed look began (steady-clock ns); written under watch_mu_.
  std::atomic<int64_t> looked_since_ns_{std::numeric_limits<int64_t>::min()};
};

}  // namespace arcana::storage::sqlite

// `ARCANA_LEASE(c, pool)` binds `c` to a pooled connection or returns its error.
#define ARCANA_LEASE(name, pool)                      \
  auto name##_res = (pool)->Acquire();                \
  if (!name##_res.ok()) return name##_res.status();   \
  ::arcana::storage::sqlite::Lease name = std::move(name##_res).value()
