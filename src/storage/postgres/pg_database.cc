#include "storage/postgres/pg_database.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <chrono>

#include "storage/committed_changes.h"
#include "storage/no_wait.h"

namespace arcana::storage::pg {

namespace {

// Migrations run under this advisory lock (any constant unique to Arcana will do).
constexpr int64_t kMigrationLock = 0x41524341'4e410001;  // "ARCANA" + 1

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// SQLSTATEs meaning the connection (or the server behind it) is gone: class 08 (connection
// exception), 57P01..57P03 (admin/crash shutdown, cannot connect now).
bool IsConnectionFailure(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

std::string OneLine(const char* what) {
  std::string s(what);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s;
}

// libpq takes connection options in the URI's query; add defaults the caller did not set.
std::string WithDefaults(std::string url, int connect_timeout_s) {
  auto add = [&](const std::string& key, const std::string& value) {
    if (url.find(key + "=") != std::string::npos) return;
    const bool uri = url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
    if (uri) {
      url += url.find('?') == std::string::npos ? "?" : "&";
    } else {
      url += " ";
    }
    url += key + "=" + value;
  };
  add("connect_timeout", std::to_string(connect_timeout_s));
  add("application_name", "arcanad");
  return url;
}

// Appends the transaction's change rows and queues the wake-up, in one statement: the head
// row is locked from here to the end of COMMIT only (see pg_database.h).
constexpr const char* kAppendChanges = R"sql(
WITH h AS (UPDATE change_head SET seq = seq + $1::bigint RETURNING seq),
ins AS (
  INSERT INTO changes (seq, at_ms, account, region, service, resource, kind, node)
  SELECT h.seq - $1::bigint + t.o, $2::bigint, t.a, t.r, t.s, t.res, t.k, $8::text
  FROM h, unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       WITH ORDINALITY AS t(a, r, s, res, k, o))
SELECT seq, pg_notify('arcana_changes', seq::text) FROM h
)sql";

}  // namespace

Param Param::Bytes(const std::string& bytes) {
  std::string hex;
  hex.reserve(2 + bytes.size() * 2);
  hex += "\\x";
  for (unsigned char c : bytes) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return Param(std::move(hex));
}

Param Param::TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return Param(std::move(out));
}

std::string Text(const pqxx::field& f) {
  return f.is_null() ? std::string() : std::string(f.c_str(), f.size());
}

std::string Bytes(const pqxx::field& f) {
  if (f.is_null()) return std::string();
  const char* p = f.c_str();
  const size_t n = f.size();
  if (n < 2 || p[0] != '\\' || p[1] != 'x') {
    // Not the hex form (bytea_output = escape): let libpq's unescaping handle it.
    pqxx::binarystring b(f);
    return b.str();
  }
  std::string out;
  out.reserve((n - 2) / 2);
  for (size_t i = 2; i + 1 < n; i += 2) {
    out += static_cast<char>((HexValue(p[i]) << 4) | HexValue(p[i + 1]));
  }
  return out;
}

int64_t Int(const pqxx::field& f) { return f.is_null() ? 0 : f.as<int64_t>(); }

std::optional<int64_t> OptInt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

// One pooled connection and the names of the statements prepared on it.
struct PooledConn {
  std::unique_ptr<pqxx::connection> c;
  std::unordered_map<std::string, std::string> prepared;  // SQL -> statement name
  bool fresh = false;  // opened for the call holding it (not taken from the idle list)
};

pqxx::result Tx::Exec(const std::string& sql, const Params& params) {
  static std::atomic<uint64_t> next_name{0};
  auto it = conn_.prepared.find(sql);
  if (it == conn_.prepared.end()) {
    std::string name = "arcana_" + std::to_string(next_name.fetch_add(1));
    conn_.c->prepare(name, sql);
    it = conn_.prepared.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.value() ? p.value()->c_str() : nullptr);
  return t_.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(values));
}

struct Database::Pool {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<PooledConn>> idle;
  size_t open = 0;  // idle + in use
};

namespace {
// Set while this thread runs the migrations: they may rightly take longer than any call.
thread_local bool t_migrating = false;
}  // namespace

Database::Database(std::string conninfo, const Options& options)
    : conninfo_(std::move(conninfo)), options_(options), pool_(std::make_unique<Pool>()) {
  if (options_.pool_size == 0) options_.pool_size = 1;
  if (options_.query_timeout_ms > 0) {
    watchdog_ = std::make_unique<QueryWatchdog>(std::chrono::milliseconds(options_.query_timeout_ms));
  }
}

QueryWatchdog::Guard Database::Watch(pqxx::connection& c) const {
  if (watchdog_ == nullptr || t_migrating) return QueryWatchdog::Guard::None();
  return watchdog_->Arm(c.sock());
}

void Database::NoteOutcome(const Status& result, bool broken) {
  if (result.ok()) {
    if (unreachable_at_ms_.load(std::memory_order_relaxed) != 0) {
      unreachable_at_ms_.store(0, std::memory_order_relaxed);
    }
  } else if (broken || result.code() == ErrorCode::kServiceUnavailable) {
    unreachable_at_ms_.store(NowMs(), std::memory_order_relaxed);
  }
}

bool Database::reachable() const {
  const int64_t at = unreachable_at_ms_.load(std::memory_order_relaxed);
  return at == 0 || NowMs() - at > kUnreachableHoldMs;
}

Database::~Database() = default;

Status Database::TimedOut(const char* what) const {
  return Unavailable(std::string(what) + ": no answer within " +
                     std::to_string(options_.query_timeout_ms) + " ms (the connection was closed)");
}

Status Database::Unavailable(const std::string& detail) {
  // libpq's text names the database host, port and user: for the operator's log, never for
  // a client (this status reaches the wire as a 503).
  spdlog::warn("store unavailable: {}", detail);
  return Status(ErrorCode::kServiceUnavailable,
                "The service is temporarily unavailable (its store cannot be reached). "
                "Please try again later.");
}

std::unique_ptr<pqxx::connection> Database::Connect() const {
  auto c = std::make_unique<pqxx::connection>(conninfo_);
  auto deadline = Watch(*c);
  // A write is acknowledged only once durable (store_types.h): never with the server's
  // synchronous_commit = off. Stronger settings (remote_write, remote_apply) are kept.
  pqxx::nontransaction t(*c);
  if (t.exec("SHOW synchronous_commit")[0][0].as<std::string>() == "off") {
    t.exec("SET synchronous_commit TO on");
  }
  return c;
}

std::unique_ptr<pqxx::connection> Database::ConnectUnpooled() const { return Connect(); }

Result<std::unique_ptr<Database>> Database::Open(const std::string& url, const Options& options,
                                                 const std::vector<Migrations>& schema) {
  std::unique_ptr<Database> db(new Database(WithDefaults(url, options.connect_timeout_s), options));
  t_migrating = true;
  Status migrated = db->Migrate(schema);
  t_migrating = false;
  ARCANA_RETURN_IF_ERROR(migrated);
  return db;
}

Status Database::Migrate(const std::vector<Migrations>& schema) {
  return Write("migrate", [&](Tx& tx) -> Status {
    // Nodes starting together wait here; the first applies the steps, the others then find
    // nothing pending. The lock ends with the transaction.
    tx.Exec("SELECT pg_advisory_xact_lock($1)", {kMigrationLock});
    tx.Exec(
        "CREATE TABLE IF NOT EXISTS arcana_schema_versions ("
        "component TEXT COLLATE \"C\" PRIMARY KEY, version INTEGER NOT NULL)");
    for (const auto& m : schema) {
      auto r = tx.Exec("SELECT version FROM arcana_schema_versions WHERE component = $1",
                       {m.component});
      int64_t have = r.empty() ? 0 : Int(r[0][0]);
      if (have > static_cast<int64_t>(m.steps.size())) {
        return Status(ErrorCode::kInternalServiceError,
                      "the store's schema of " + m.component + " is version " +
                          std::to_string(have) + ", newer than this build knows (" +
                          std::to_string(m.steps.size()) +
                          "): upgrade this arcanad or arcana CLI to the store's version");
      }
      for (size_t i = static_cast<size_t>(have); i < m.steps.size(); ++i) {
        // Plain (unprepared, multi-statement) execution of one migration step.
        tx.t_.exec(m.steps[i]);
      }
      if (static_cast<size_t>(have) != m.steps.size()) {
        tx.Exec(
            "INSERT INTO arcana_schema_versions (component, version) VALUES ($1, $2) "
            "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
            {m.component, static_cast<int64_t>(m.steps.size())});
      }
    }
    return Status::Ok();
  });
}

namespace {

// Set while this thread runs a batch: a write function that called Write again would wait
// for its own batch forever, so that is refused instead.
thread_local bool t_committing = false;

// The status of the exception being handled (call only inside a catch block). *broken is
// set when the connection can no longer be used.
Status MapError(const std::string& what, pqxx::connection& c, bool* broken) {
  try {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    *broken = true;
    return Database::Unavailable(std::string("the outcome of a commit is unknown: ") +
                                 OneLine(e.what()));
  } catch (const pqxx::broken_connection& e) {
    *broken = true;
    return Database::Unavailable(OneLine(e.what()));
  } catch (const pqxx::transaction_rollback& e) {
    // serialization_failure, deadlock_detected: another writer won; the caller retries.
    return Status(ErrorCode::kWriteConflict, what + ": " + OneLine(e.what()));
  } catch (const pqxx::sql_error& e) {
    if (IsConnectionFailure(e.sqlstate())) {
      *broken = true;
      return Database::Unavailable(OneLine(e.what()));
    }
    return Status(ErrorCode::kInternalServiceError, what + ": " + OneLine(e.what()));
  } catch (const std::exception& e) {
    // A usage or conversion error: the connection's state is unknown, do not reuse it.
    *broken = !c.is_open();
    return Status(ErrorCode::kInternalServiceError, what + ": " + OneLine(e.what()));
  }
}

// The change rows of a batch's kept writes (in batch order), appended in one statement
// before COMMIT, each naming `node`; numbers them (seq, at_ms, node) in place.
void AppendChanges(Tx& tx, const std::vector<std::vector<Change>*>& changes,
                   const std::string& node);

}  // namespace

std::unique_ptr<PooledConn> Database::Acquire(bool fresh_only, Status* error) {
  if (Status refused = NoWaitScope::Check(); !refused.ok()) {  // every round trip starts here
    *error = std::move(refused);
    return nullptr;
  }
  std::unique_ptr<PooledConn> conn;
  {
    std::unique_lock<std::mutex> l(pool_->mu);
    const bool ready =
        pool_->cv.wait_for(l, std::chrono::milliseconds(options_.acquire_timeout_ms), [&] {
          return (!fresh_only && !pool_->idle.empty()) || pool_->open < options_.pool_size;
        });
    if (!ready) {
      *error = Unavailable("no free connection (all in use)");
      return nullptr;
    }
    if (!fresh_only && !pool_->idle.empty()) {
      conn = std::move(pool_->idle.back());
      pool_->idle.pop_back();
      return conn;
    }
    ++pool_->open;
  }
  try {
    conn = std::make_unique<PooledConn>();
    conn->c = Connect();
    conn->fresh = true;
    return conn;
  } catch (const std::exception& e) {
    {
      std::lock_guard<std::mutex> l(pool_->mu);
      --pool_->open;
    }
    pool_->cv.notify_one();
    *error = Unavailable(OneLine(e.what()));
    NoteOutcome(*error, true);
    return nullptr;
  }
}

void Database::Release(std::unique_ptr<PooledConn> conn, bool broken) {
  if (!broken && !conn->c->is_open()) broken = true;
  conn->fresh = false;
  {
    std::lock_guard<std::mutex> l(pool_->mu);
    if (broken) {
      --pool_->open;
    } else {
      pool_->idle.push_back(std::move(conn));
    }
  }
  pool_->cv.notify_one();
}

Status Database::Read(const char* what, const std::function<Status(Tx&)>& fn) {
  for (int attempt = 0;; ++attempt) {
    // A retry takes a fresh connection: the other idle ones may be just as dead.
    Status error;
    auto conn = Acquire(attempt > 0, &error);
    if (!conn) return error;
    const bool reused = !conn->fresh;
    Status result;
    bool broken = false;
    bool timed_out = false;
    {
      auto deadline = Watch(*conn->c);
      try {
        pqxx::nontransaction t(*conn->c);
        Tx tx(*conn, t);
        result = fn(tx);
      } catch (...) {
        result = MapError(what, *conn->c, &broken);
      }
      // The socket was shut down past the deadline: the connection is done for, but an
      // answer read just before stands (only a call that failed failed for want of time).
      if (deadline.fired()) {
        broken = true;
        timed_out = !result.ok();
      }
    }
    if (timed_out) result = TimedOut(what);
    if (!broken && !conn->c->is_open()) broken = true;
    Release(std::move(conn), broken);
    NoteOutcome(result, broken);
    // A pooled connection found dead (e.g. the server restarted since it was last used):
    // run the call once more on a fresh connection. Not after a deadline: the server is
    // not answering, and another wait would double the caller's.
    if (broken && reused && attempt == 0 && !timed_out) continue;
    return result;
  }
}

struct Database::Request {
  const char* what;
  const std::function<Status(Tx&)>* fn;
  Status status;
  bool done = false;
  // This write's change rows once its fn returned OK; numbered at commit. Reported to the
  // caller's CommittedChanges collector (committed_changes.h) by Write, on its own thread.
  std::vector<Change> changes;
  // Each waiter sleeps on its own condition, so finishing a batch wakes exactly the writes
  // it completed plus the next leader, not every thread waiting in Write.
  std::condition_variable cv;
};

Status Database::Write(const char* what, const std::function<Status(Tx&)>& fn) {
  ARCANA_RETURN_IF_ERROR(NoWaitScope::Check());  // a write waits for its group commit
  if (t_committing) {
    return Status(ErrorCode::kInternalServiceError,
                  std::string(what) + ": storage error: a write function called Database::Write");
  }
  Request r{what, &fn, Status::Ok(), false, {}, {}};
  std::unique_lock<std::mutex> l(queue_mu_);
  pending_.push_back(&r);
  // Leader-based group commit: whoever finds no batch running takes the pending writes (its
  // own among them unless more than kMaxBatch are ahead of it) and commits them as one
  // batch; the others wait meanwhile and queue up for the next batch, whose leader the
  // finishing one wakes.
  while (!r.done) {
    if (committing_) {
      r.cv.wait(l);
      continue;
    }
    committing_ = true;
    const size_t n = std::min(pending_.size(), kMaxBatch);
    std::vector<Request*> batch(pending_.begin(), pending_.begin() + static_cast<long>(n));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(n));
    l.unlock();
    t_committing = true;
    CommitBatch(batch);
    t_committing = false;
    l.lock();
    committing_ = false;
    for (Request* q : batch) {
      q->done = true;
      if (q != &r) q->cv.notify_one();
    }
    if (!pending_.empty()) pending_.front()->cv.notify_one();
  }
  l.unlock();
  if (r.status.ok() && !r.changes.empty()) {
    if (CommittedChanges* collector = CommittedChanges::Current()) {
      for (auto& ch : r.changes) collector->Add(std::move(ch));
    }
  }
  return r.status;
}

void Database::CommitBatch(const std::vector<Request*>& batch) {
  const std::string batch_what =
      batch.size() == 1 ? std::string(batch[0]->what)
                        : "group commit of " + std::to_string(batch.size()) + " writes";
  for (int attempt = 0;; ++attempt) {
    for (Request* q : batch) {
      q->status = Status::Ok();
      q->changes.clear();
    }
    // A retry takes a fresh connection: the other idle ones may be just as dead.
    Status error;
    auto conn = Acquire(attempt > 0, &error);
    if (!conn) {
      for (Request* q : batch) q->status = error;
      return;
    }
    const bool reused = !conn->fresh;
    Status batch_error;
    bool broken = false;
    bool sent_commit = false;
    bool timed_out = false;
    auto deadline = std::make_optional(Watch(*conn->c));
    try {
      pqxx::work t(*conn->c);
      std::vector<std::vector<Change>*> changes;
      // Each write in its own savepoint: a failed one is undone alone. A kept write's
      // RELEASE goes out with the next write's SAVEPOINT (the last one's with COMMIT, which
      // releases it), one round trip fewer per write.
      bool release_pending = false;
      for (Request* q : batch) {
        t.exec(release_pending ? "RELEASE SAVEPOINT arcana_write; SAVEPOINT arcana_write"
                               : "SAVEPOINT arcana_write");
        release_pending = false;
        Tx tx(*conn, t);
        Status s;
        try {
          s = (*q->fn)(tx);
          release_pending = s.ok();
        } catch (...) {
          bool lost = false;
          s = MapError(q->what, *conn->c, &lost);
          if (lost) throw;  // the connection is gone: the whole batch with it
        }
        if (s.ok()) {
          if (!tx.changes_.empty()) {
            q->changes = std::move(tx.changes_);
            changes.push_back(&q->changes);
          }
        } else {
          t.exec("ROLLBACK TO SAVEPOINT arcana_write; RELEASE SAVEPOINT arcana_write");
        }
        q->status = s;
      }
      if (!changes.empty()) {
        Tx tx(*conn, t);
        AppendChanges(tx, changes, options_.node);
      }
      sent_commit = true;
      t.commit();
    } catch (...) {
      batch_error = MapError(batch_what, *conn->c, &broken);
    }
    // As in Read: a COMMIT whose answer arrived just before the deadline stands.
    if (deadline->fired()) {
      broken = true;
      timed_out = !batch_error.ok();
    }
    deadline.reset();
    if (timed_out) {
      // Past the deadline the COMMIT, if sent, may or may not have been applied.
      batch_error = sent_commit ? Unavailable("the outcome of a commit is unknown: no answer "
                                              "within the query deadline")
                                : TimedOut(batch_what.c_str());
    }
    Release(std::move(conn), broken);
    NoteOutcome(batch_error, broken);
    // A pooled connection found dead (e.g. the server restarted since it was last used):
    // nothing of this batch was applied, so run it once more on a fresh connection.
    if (broken && reused && !sent_commit && attempt == 0 && !timed_out) continue;
    if (!batch_error.ok()) {
      // Nothing of the batch is kept (or, in doubt, known): every write not already failed
      // alone fails with the batch.
      for (Request* q : batch) {
        if (q->status.ok()) q->status = batch_error;
        q->changes.clear();
      }
    }
    return;
  }
}

namespace {

void AppendChanges(Tx& tx, const std::vector<std::vector<Change>*>& changes,
                   const std::string& node) {
  std::vector<std::string> a, r, s, res, k;
  for (const auto* write : changes) {
    for (const auto& c : *write) {
      a.push_back(c.account);
      r.push_back(c.region);
      s.push_back(c.service);
      res.push_back(c.resource);
      k.push_back(c.kind);
    }
  }
  const auto n = static_cast<int64_t>(a.size());
  const int64_t at_ms = NowMs();
  auto head = tx.Exec(kAppendChanges, {n, at_ms, Param::TextArray(a), Param::TextArray(r),
                                       Param::TextArray(s), Param::TextArray(res),
                                       Param::TextArray(k), node});
  // The statement numbered the rows head - n + 1 .. head in the order given.
  int64_t seq = Int(head.at(0).at(0)) - n;
  for (auto* write : changes) {
    for (auto& c : *write) {
      c.seq = ++seq;
      c.at_ms = at_ms;
      c.node = node;
    }
  }
}

}  // namespace

}  // namespace arcana::storage::pg
