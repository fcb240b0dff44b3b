// PostgreSQL plumbing shared by every component of the PostgreSQL store (pg_*_store.h): a
// bounded pool of connections, transactions that append their change rows (change_log.h) at
// commit, statement parameters, row readers, error mapping and per-component migrations.
//
// - Pool: at most `pool_size` connections, opened on demand. A connection that breaks is
//   discarded (a new one is opened on next use); a call whose pooled connection turns out
//   broken before its COMMIT was sent is retried once on a fresh connection (nothing of it
//   was applied), so a database restart costs no request once the database is back up.
// - Errors: a connection failure (refused, reset, server shutting down, in-doubt commit) is
//   kServiceUnavailable with a generic message (libpq's detail, which names the host, goes
//   to the log only); so is a use of a connection the server leaves unanswered past
//   Options::query_timeout_ms (pg_query_watchdog.h; the connection is closed, the call not
//   retried); the process keeps running and the request may be retried; serialization failures and deadlocks are kWriteConflict (the
//   service retries); anything else is kInternalServiceError.
// - Statements are prepared once per connection (keyed by their SQL text).
// - Durability: synchronous_commit is at least `on` in every session (raised when the server
//   says off); Write returns only after COMMIT has returned.
// - Group commit: concurrent writes of this node share one transaction. The writer that
//   finds no batch running becomes the leader: it takes the pending writes (at most
//   kMaxBatch, in arrival order), runs each in its own SAVEPOINT on one connection, then
//   appends every kept write's change rows (below) and COMMITs once (one disk flush for the
//   batch), and only then completes each caller with its own status. A write whose fn
//   returns an error or throws a statement error (unique violation, serialization failure,
//   deadlock, ...) is rolled back to its savepoint, its change rows dropped, and fails alone
//   (mapped as above); the batch's other writes are kept. A write sees the effects of the
//   writes before it in its batch (one transaction), as if they had committed just before
//   it. A connection failure, a failing change append or COMMIT fails every write of the
//   batch not already failed alone (or retries the whole batch, per the pool rule above,
//   re-running every write's fn); a commit whose outcome is unknown is kServiceUnavailable
//   for every write it held (those failed alone keep their own error: they were rolled
//   back either way).
// - Change sequence: Tx::AddChange collects Change rows; Write appends the batch's rows (in
//   batch order) as the LAST statement before COMMIT in one statement that bumps the
//   single-row head (UPDATE change_head SET seq = seq + n), inserts the rows with those
//   numbers and queues NOTIFY arcana_changes '<head>' (delivered at commit). The head's row
//   lock is held only from that statement to the end of COMMIT, so commits that carry
//   changes are numbered in commit order with no gap that fills in later.
//   The statement returns the new head, so each write's own rows get their numbers back
//   (head - n + 1 .. head, in batch order) and Write reports them to the caller's
//   CommittedChanges collector (committed_changes.h): no extra round trip. Every row names
//   this node (Options::node), so a node restarted after a crash can tell its own changes
//   from the other nodes' (audit/unrecorded_changes.h).
// Thread-safety: Database is safe from any thread; a Tx belongs to the call running it.
#pragma once

#include <pqxx/pqxx>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "storage/change_log.h"
#include "storage/postgres/pg_query_watchdog.h"
#include "storage/store_types.h"

namespace arcana::storage::pg {

// One statement parameter, sent as text (NULL when empty). Bytes() sends a BYTEA value in
// PostgreSQL's hex input form.
class Param {
 public:
  Param(const std::string& s) : v_(s) {}        // NOLINT: implicit by design
  Param(std::string&& s) : v_(std::move(s)) {}  // NOLINT
  Param(const char* s) : v_(std::string(s)) {}  // NOLINT
  Param(int64_t n) : v_(std::to_string(n)) {}   // NOLINT
  Param(int n) : v_(std::to_string(n)) {}       // NOLINT
  Param(size_t n) : v_(std::to_string(n)) {}    // NOLINT
  Param(std::nullopt_t) {}                      // NOLINT
  Param(const std::optional<int64_t>& n) {      // NOLINT
    if (n) v_ = std::to_string(*n);
  }
  Param(const std::optional<std::string>& s) : v_(s) {}  // NOLINT
  static Param Bytes(const std::string& bytes);
  // A text[] value (an array literal; every element quoted).
  static Param TextArray(const std::vector<std::string>& items);
  const std::optional<std::string>& value() const { return v_; }

 private:
  std::optional<std::string> v_;
};
using Params = std::vector<Param>;

// Column readers. Bytes decodes a BYTEA column (hex output form).
std::string Text(const pqxx::field& f);
std::string Bytes(const pqxx::field& f);
int64_t Int(const pqxx::field& f);
std::optional<int64_t> OptInt(const pqxx::field& f);

struct PooledConn;  // pg_database.cc

// Statements of one call, on one connection (for Database::Write: inside its batch's
// transaction, in the write's own savepoint).
// Exec throws pqxx exceptions; Database maps them to Status at the call boundary.
class Tx {
 public:
  pqxx::result Exec(const std::string& sql, const Params& params = {});
  // Appends a change row at commit (Write only). at_ms is set at commit.
  void AddChange(Change c) { changes_.push_back(std::move(c)); }

 private:
  friend class Database;
  Tx(PooledConn& conn, pqxx::transaction_base& t) : conn_(conn), t_(t) {}
  PooledConn& conn_;
  pqxx::transaction_base& t_;
  std::vector<Change> changes_;
};

// A component's schema: steps[i] takes it from version i to i+1. Never edit a shipped step;
// append one.
struct Migrations {
  std::string component;
  std::vector<std::string> steps;
};

class Database {
 public:
  struct Options {
    size_t pool_size = 16;
    int connect_timeout_s = 5;
    // How long a call waits for a free pooled connection before kServiceUnavailable.
    int acquire_timeout_ms = 10000;
    // How long one use of a connection (a read, a group commit up to its COMMIT) may wait
    // for the server before the call fails kServiceUnavailable (pg_query_watchdog.h); the
    // migrations at start have none. 0: no limit.
    int query_timeout_ms = 20000;
    // The name this node's change rows carry (Change::node; arcanad: its audit node name);
    // "" for the arcana CLI.
    std::string node;
  };

  // Opens the pool (connecting once to check the URL) and applies every pending migration of
  // `schema` in one transaction holding an advisory lock, so nodes starting together
  // migrate once.
  static Result<std::unique_ptr<Database>> Open(const std::string& url, const Options& options,
                                                const std::vector<Migrations>& schema);
  ~Database();

  // The most writes one group commit takes.
  static constexpr size_t kMaxBatch = 256;

  // Runs fn in a READ COMMITTED transaction shared with the other writes pending now (group
  // commit, see above), in its own savepoint. When fn returns OK, returns once the COMMIT
  // holding fn's work and change rows returned; otherwise fn's work is rolled back and its
  // status returned. fn must not call Write (it would wait for its own batch): such a call
  // is refused with kInternalServiceError. fn may run more than once (the retry rule), so
  // it must reset what it captures.
  Status Write(const char* what, const std::function<Status(Tx&)>& fn);
  // Runs fn without an explicit transaction (each statement is its own): reads of one
  // statement (no BEGIN/COMMIT round trips). Every write goes through Write.
  Status Read(const char* what, const std::function<Status(Tx&)>& fn);

  // A new connection outside the pool (the change log's LISTEN connection). Throws
  // pqxx::broken_connection when the database cannot be reached.
  std::unique_ptr<pqxx::connection> ConnectUnpooled() const;
  // The status a connection failure maps to.
  static Status Unavailable(const std::string& detail);
  // False for kUnreachableHoldMs after a call found the database unreachable (a connection
  // refused, broken or past its query deadline), unless a call succeeded since: what the
  // node's health reports. It turns true again on its own, so a health check that takes
  // the node out of service never keeps it out once the database is back.
  bool reachable() const;
  static constexpr int64_t kUnreachableHoldMs = 10000;

 private:
  struct Pool;
  struct Request;
  Database(std::string conninfo, const Options& options);
  std::unique_ptr<pqxx::connection> Connect() const;
  // Acquires a pooled connection (a fresh one when fresh_only); nullptr and *error when
  // none can be had.
  std::unique_ptr<PooledConn> Acquire(bool fresh_only, Status* error);
  // Returns conn to the pool, or drops it when broken.
  void Release(std::unique_ptr<PooledConn> conn, bool broken);
  // Runs one batch in one transaction and sets every request's status.
  void CommitBatch(const std::vector<Request*>& batch);
  Status Migrate(const std::vector<Migrations>& schema);

  // A deadline for this use of c (none while migrating, or without a watchdog).
  QueryWatchdog::Guard Watch(pqxx::connection& c) const;
  // The status of a call whose deadline passed (logged with what).
  Status TimedOut(const char* what) const;
  // Records what a call learnt of the database (see reachable()).
  void NoteOutcome(const Status& result, bool broken);

  std::string conninfo_;
  Options options_;
  std::unique_ptr<Pool> pool_;
  std::unique_ptr<QueryWatchdog> watchdog_;
  std::atomic<int64_t> unreachable_at_ms_{0};  // the last failure not followed by a success

  // Group commit: the writes waiting for a batch, and whether a leader is running one.
  std::mutex queue_mu_;
  std::deque<Request*> pending_;
  bool committing_ = false;
};

// The channel the change log's commits NOTIFY on.
inline constexpr const char* kChangeChannel = "arcana_changes";

}  // namespace arcana::storage::pg
