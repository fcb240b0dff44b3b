#include "storage/sqlite/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "storage/committed_changes.h"
#include "storage/no_wait.h"

namespace arcana::storage::sqlite {

namespace {
// The database file is locked by another process past the busy timeout, or the disk failed
// or filled up: the request may succeed later (store_types.h: kServiceUnavailable).
ErrorCode CodeOf(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
      return ErrorCode::kServiceUnavailable;
    default:
      return ErrorCode::kInternalServiceError;
  }
}
}  // namespace

Status DbError(sqlite3* db, const char* what) {
  return Status(CodeOf(sqlite3_errcode(db)),
                std::string("storage error (") + what + "): " + sqlite3_errmsg(db));
}

Status Conflict(const std::string& what) {
  return Status(ErrorCode::kWriteConflict, what + " was changed concurrently; retry");
}

Conn::~Conn() {
  for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
  sqlite3_close_v2(db_);
}

sqlite3_stmt* Conn::Prepare(const char* sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
    return nullptr;
  stmts_[sql] = st;
  return st;
}

Status Conn::ExecCached(const char* sql) {
  sqlite3_stmt* st = Prepare(sql);
  Status s = Step(*this, st, sql);
  if (s.ok()) sqlite3_reset(st);
  return s;
}

Status Conn::Exec(const char* sql) {
  char* err = nullptr;
  if (int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Status(CodeOf(rc), "storage error: " + msg);
  }
  return Status::Ok();
}

void BindText(sqlite3_stmt* st, int i, const std::string& s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}
void BindBlob(sqlite3_stmt* st, int i, const std::string& s) {
  sqlite3_bind_blob(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}
void BindOptInt(sqlite3_stmt* st, int i, const std::optional<int64_t>& v) {
  if (v) {
    sqlite3_bind_int64(st, i, *v);
  } else {
    sqlite3_bind_null(st, i);
  }
}
std::string ColText(sqlite3_stmt* st, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(st, i));
  int n = sqlite3_column_bytes(st, i);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

Status Step(Conn& c, sqlite3_stmt* st, const char* what) {
  if (st == nullptr) return DbError(c.db(), "prepare");
  int rc = sqlite3_step(st);
  while (rc == SQLITE_ROW) rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) {
    Status s = DbError(c.db(), what);
    sqlite3_reset(st);
    return s;
  }
  return Status::Ok();
}

Change ChangeRow(sqlite3_stmt* st) {
  Change ch;
  ch.seq = sqlite3_column_int64(st, 0);
  ch.at_ms = sqlite3_column_int64(st, 1);
  ch.account = ColText(st, 2);
  ch.region = ColText(st, 3);
  ch.service = ColText(st, 4);
  ch.resource = ColText(st, 5);
  ch.kind = ColText(st, 6);
  return ch;
}

Lease::~Lease() {
  if (c_) pool_->Release(std::move(c_));
}

namespace {

// The database holds sealed values but also every secret's name, tags and policies and IAM
// entities: readable by its owner only, like the rest of the data dir.
// SQLite would create it (and so its -wal and -shm files, which take the database's mode)
// with the umask's 0644; a file made that way by an older version is narrowed too.
// Never by opening an existing database and closing that descriptor: closing any descriptor
// of a file drops every POSIX lock this process holds on it, i.e. the locks of the SQLite
// connections already open on it. A new file is made with O_EXCL (no connection can have it
// open yet); an existing one is narrowed by path.
void OwnerOnly(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
    ::chmod(path.c_str(), st.st_mode & 0700);
  }
}

}  // namespace

Result<std::unique_ptr<Conn>> Pool::Open() {
  OwnerOnly(path_);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Status(CodeOf(rc), "cannot open database " + path_ + ": " + msg);
  }
  sqlite3_busy_timeout(db, 10000);
  auto c = std::make_unique<Conn>(db);
  // WAL + FULL: every commit fsyncs the WAL before it returns, so an acknowledged
  // write survives kill -9 and power loss. Checkpoints: see database.h. temp_store=MEMORY
  // keeps the statement journal each write's SAVEPOINT needs in memory: on disk it was a
  // temporary file created and unlinked for every write of a batch.
  ARCANA_RETURN_IF_ERROR(c->Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
      "PRAGMA temp_store=MEMORY;"));
  return c;
}

Result<Lease> Pool::Acquire() {
  ARCANA_RETURN_IF_ERROR(NoWaitScope::Check());  // every read starts here
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!free_.empty()) {
      auto c = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  ARCANA_ASSIGN_OR_RETURN(auto c, Open());
  return Lease(this, std::move(c));
}

void Pool::Release(std::unique_ptr<Conn> c) {
  std::lock_guard<std::mutex> l(mu_);
  if (free_.size() < 16) free_.push_back(std::move(c));
}

Status Migrate(Conn& c, const std::vector<Migrations>& components) {
  ARCANA_RETURN_IF_ERROR(c.Exec("BEGIN EXCLUSIVE"));
  auto fail = [&](Status s) {
    (void)c.Exec("ROLLBACK");
    return s;
  };
  Status s = c.Exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)");
  if (!s.ok()) return fail(s);
  for (const auto& m : components) {
    std::string key = std::string("schema:") + m.component;
    sqlite3_stmt* st = c.Prepare("SELECT value FROM meta WHERE key = ?");
    if (!st) return fail(DbError(c.db(), "prepare"));
    BindText(st, 1, key);
    size_t version = 0;
    bool readable = true;
    if (sqlite3_step(st) == SQLITE_ROW) {
      // A restored backup is outside input: its version is a number or the store is refused.
      const std::string text = ColText(st, 0);
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
      readable = ec == std::errc() && end == text.data() + text.size() && !text.empty();
    }
    sqlite3_reset(st);
    if (!readable) {
      return fail(Status(ErrorCode::kInvalidRequest, std::string("the store's schema version of ") +
                                                         m.component + " is not a number"));
    }
    if (version > m.count) {
      return fail(Status(ErrorCode::kInternalServiceError,
                         std::string("schema of ") + m.component + " is version " +
                             std::to_string(version) + ", newer than this build supports (" +
                             std::to_string(m.count) +
                             "): upgrade this arcanad or arcana CLI to the store's version"));
    }
    for (size_t v = version; v < m.count; ++v) {
      s = c.Exec(m.steps[v]);
      if (!s.ok()) return fail(s);
    }
    if (version != m.count) {
      sqlite3_stmt* up = c.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
      if (!up) return fail(DbError(c.db(), "prepare"));
      BindText(up, 1, key);
      BindText(up, 2, std::to_string(m.count));
      if (sqlite3_step(up) != SQLITE_DONE) return fail(DbError(c.db(), "record schema"));
    }
  }
  return c.Exec("COMMIT");
}

Status WriteTxn::AddChange(const std::string& account, const std::string& region,
                           const char* service, const std::string& resource,
                           const std::string& kind) {
  sqlite3_stmt* st = c_.Prepare(
      "INSERT INTO changes (at_ms, account, region, service, resource, kind) "
      "VALUES (?,?,?,?,?,?)");
  if (!st) return DbError(c_.db(), "prepare");
  sqlite3_bind_int64(st, 1, now_ms_);
  BindText(st, 2, account);
  BindText(st, 3, region);
  sqlite3_bind_text(st, 4, service, -1, SQLITE_STATIC);
  BindText(st, 5, resource);
  BindText(st, 6, kind);
  ARCANA_RETURN_IF_ERROR(Step(c_, st, "append change"));
  changed_ = true;
  return Status::Ok();
}

namespace {
Result<int64_t> MaxSeq(Conn& c) {
  sqlite3_stmt* st = c.Prepare("SELECT COALESCE(MAX(seq), 0) FROM changes");
  if (!st) return DbError(c.db(), "prepare");
  if (sqlite3_step(st) != SQLITE_ROW) return DbError(c.db(), "read change head");
  int64_t head = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return head;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The rows with seq > after (in this transaction: those of the one write just run, see
// CommitBatch), appended to *out.
Status RowsAfter(Conn& c, int64_t after, std::vector<Change>* out) {
  sqlite3_stmt* st = c.Prepare(
      "SELECT seq, at_ms, account, region, service, resource, kind FROM changes "
      "WHERE seq > ? ORDER BY seq");
  if (!st) return DbError(c.db(), "prepare");
  sqlite3_bind_int64(st, 1, after);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out->push_back(ChangeRow(st));
  if (rc != SQLITE_DONE) {
    Status s = DbError(c.db(), "read appended changes");
    sqlite3_reset(st);
    return s;
  }
  return Status::Ok();
}
}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const std::vector<Migrations>& migrations) {
  Pool opener(path);
  ARCANA_ASSIGN_OR_RETURN(auto writer, opener.Open());
  ARCANA_RETURN_IF_ERROR(Migrate(*writer, migrations));
  ARCANA_ASSIGN_OR_RETURN(int64_t head, MaxSeq(*writer));
  ARCANA_ASSIGN_OR_RETURN(auto checkpoint_conn, opener.Open());
  ARCANA_ASSIGN_OR_RETURN(auto watch, opener.Open());
  sqlite3_busy_timeout(watch->db(), 0);  // HeadSince retries without holding watch_mu_
  auto db = std::unique_ptr<Database>(
      new Database(path, std::move(writer), std::move(watch), head));
  // Replaces SQLite's automatic checkpoints on the writer (database.h, Checkpoints).
  sqlite3_wal_hook(db->writer_->db(), &Database::OnWalCommit, db.get());
  db->checkpointer_ = std::thread(&Database::CheckpointLoop, db.get(), std::move(checkpoint_conn));
  return db;
}

Database::Database(std::string path, std::unique_ptr<Conn> writer, std::unique_ptr<Conn> watch,
                   int64_t head)
    : pool_(std::move(path)), writer_(std::move(writer)), head_(head), watch_(std::move(watch)) {}

Database::~Database() {
  {
    std::lock_guard<std::mutex> l(checkpoint_mu_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

int Database::OnWalCommit(void* self, sqlite3* db, const char* schema, int pages) {
  auto* d = static_cast<Database*>(self);
  if (pages >= kCheckpointPages * 16) {
    // The checkpointer fell far behind: bound the WAL here, in the committer.
    (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= kCheckpointPages) {
    {
      std::lock_guard<std::mutex> l(d->checkpoint_mu_);
      d->checkpoint_wanted_ = true;
    }
    d->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void Database::CheckpointLoop(std::unique_ptr<Conn> conn) {
  std::unique_lock<std::mutex> l(checkpoint_mu_);
  while (true) {
    checkpoint_cv_.wait(l, [&] { return checkpoint_wanted_ || stopping_; });
    if (stopping_) return;
    checkpoint_wanted_ = false;
    l.unlock();
    // Errors (busy, I/O) leave the WAL as it is; the next commit past the mark asks again.
    (void)sqlite3_wal_checkpoint_v2(conn->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                    nullptr);
    l.lock();
  }
}

struct Database::Request {
  const WriteFn* fn;
  Status status;
  bool done = false;
  // The caller's thread has a CommittedChanges collector: the committer numbers this
  // write's own change rows into `committed` (reported by Write once the batch committed).
  bool collect = false;
  std::vector<Change> committed;
  // Each waiter sleeps on its own condition, so finishing a batch wakes exactly the writes
  // it completed plus the next leader, not every thread waiting in Write.
  std::condition_variable cv;
};

namespace {
// Set while this thread runs a batch: a write function that called Write again would wait
// for its own batch forever, so that is refused instead.
thread_local bool t_committing = false;
}  // namespace

Status Database::Write(const WriteFn& fn) {
  ARCANA_RETURN_IF_ERROR(NoWaitScope::Check());  // a write waits for its group commit
  if (t_committing) {
    return Status(ErrorCode::kInternalServiceError,
                  "storage error: a write function called Database::Write");
  }
  CommittedChanges* collector = CommittedChanges::Current();
  Request r{&fn, Status::Ok(), false, collector != nullptr, {}, {}};
  std::unique_lock<std::mutex> l(queue_mu_);
  pending_.push_back(&r);
  // Leader-based group commit: whoever finds no commit running takes every pending
  // request (its own included) and commits them as one batch; the others wait meanwhile
  // and queue up for the next batch, whose leader the finishing one wakes.
  while (!r.done) {
    if (committing_) {
      r.cv.wait(l);
      continue;
    }
    committing_ = true;
    std::vector<Request*> batch(pending_.begin(), pending_.end());
    pending_.clear();
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
  if (collector != nullptr && r.status.ok()) {
    for (auto& ch : r.committed) collector->Add(std::move(ch));
  }
  return r.status;
}

void Database::CommitBatch(std::vector<Request*>& batch) {
  Conn& c = *writer_;
  auto fail_all = [&](const Status& s) {
    for (Request* q : batch) q->status = s;
  };
  if (Status s = c.ExecCached("BEGIN IMMEDIATE"); !s.ok()) return fail_all(s);
  const int64_t now_ms = NowMs();
  // The highest seq so far in this transaction, read from the table, not head_: another
  // process (the arcana CLI beside arcanad) may have committed since this one's last commit.
  // BEGIN IMMEDIATE holds the write lock of every process until COMMIT, so the rows a write
  // appends are exactly those numbered above it.
  auto begun_at = MaxSeq(c);
  if (!begun_at.ok()) {
    (void)c.Exec("ROLLBACK");
    return fail_all(begun_at.status());
  }
  int64_t last_seq = *begun_at;
  for (Request* q : batch) {
    q->committed.clear();
    const int64_t seq_before = last_seq;
    // Each write in its own savepoint: a failed one is undone alone.
    Status s = c.ExecCached("SAVEPOINT w");
    if (s.ok()) {
      WriteTxn own(c, now_ms);
      s = (*q->fn)(own);
      if (s.ok() && own.changed()) {
        if (q->collect) {
          s = RowsAfter(c, last_seq, &q->committed);
          if (s.ok() && !q->committed.empty()) last_seq = q->committed.back().seq;
        } else {
          auto h = MaxSeq(c);
          if (h.ok()) last_seq = *h; else s = h.status();
        }
      }
      if (s.ok()) {
        s = c.ExecCached("RELEASE w");
        if (s.ok()) {
          q->status = Status::Ok();
          continue;
        }
      }
      q->committed.clear();
      last_seq = seq_before;  // its rows (and their numbers) are rolled back with it
      q->status = s;
      (void)c.ExecCached("ROLLBACK TO w");
      (void)c.ExecCached("RELEASE w");
    } else {
      q->status = s;
    }
    if (sqlite3_get_autocommit(c.db())) {
      // SQLite rolled the whole transaction back (I/O error, disk full, ...): nothing of
      // this batch is kept, so every write of it fails.
      Status lost(q->status.code() == ErrorCode::kServiceUnavailable
                      ? ErrorCode::kServiceUnavailable
                      : ErrorCode::kInternalServiceError,
                  "storage error: transaction aborted (" + q->status.message() + ")");
      for (Request* o : batch)
        if (o != q) o->status = lost;
      return;
    }
  }
  const int64_t new_head = last_seq;
  if (Status s = c.ExecCached("COMMIT"); !s.ok()) {
    (void)c.Exec("ROLLBACK");
    for (Request* q : batch)
      if (q->status.ok()) q->status = s;
    return;
  }
  // Also when this batch changed nothing: another process's rows read at BEGIN are committed.
  RaiseHead(new_head);
}

void Database::RaiseHead(int64_t seq) {
  {
    std::lock_guard<std::mutex> l(head_mu_);
    if (seq <= head_.load(std::memory_order_relaxed)) return;
    head_.store(seq, std::memory_order_release);
  }
  head_cv_.notify_all();
}

int Database::CheckOtherWriters() {
  Conn& c = *watch_;
  sqlite3_stmt* st = c.Prepare("PRAGMA data_version");
  if (!st) return sqlite3_errcode(c.db());
  int rc = sqlite3_step(st);
  const int64_t version = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return rc;
  // Unchanged since the last look: no connection committed meanwhile, of any process.
  if (version == watch_version_) return SQLITE_OK;
  // Changed, by this process's writer or by another process: the head is MAX(seq) now (a
  // commit after the version was read is in it too, and changes the version again).
  st = c.Prepare("SELECT COALESCE(MAX(seq), 0) FROM changes");
  if (!st) return sqlite3_errcode(c.db());
  rc = sqlite3_step(st);
  const int64_t max_seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return rc;
  watch_version_ = version;
  RaiseHead(max_seq);
  return SQLITE_OK;
}

Result<int64_t> Database::HeadSince(std::chrono::steady_clock::time_point since) {
  const int64_t since_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(since.time_since_epoch()).count();
  // The WAL index is busy only while a process recovers it (after another one crashed): a
  // short while. 10 s as a reader's busy timeout (Pool::Open).
  constexpr int kBusyRetries = 10000;
  for (int busy = 0;; ++busy) {
    if (looked_since_ns_.load(std::memory_order_acquire) >= since_ns) return head();
    {
      std::lock_guard<std::mutex> l(watch_mu_);
      // A look that began after `since` may have completed while this one waited for it.
      if (looked_since_ns_.load(std::memory_order_acquire) >= since_ns) return head();
      const int64_t began = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count();
      const int rc = CheckOtherWriters();
      if (rc == SQLITE_OK) {
        looked_since_ns_.store(began, std::memory_order_release);
        return head();
      }
      if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
        return DbError(watch_->db(), "check for other processes' commits");
      }
    }
    // Busy: wait without holding watch_mu_ (an I/O thread may be waiting for it), and not at
    // all on a thread that must not wait.
    ARCANA_RETURN_IF_ERROR(NoWaitScope::Check());
    if (busy >= kBusyRetries) {
      return Status(ErrorCode::kServiceUnavailable,
                    "storage error (check for other processes' commits): database is busy");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Database::WaitForChange(int64_t after_seq, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    // Another process's commit moves no head_ by itself: look for one every slice. A failed
    // look only delays the wake-up (callers re-read the head).
    (void)HeadSince(now);
    if (head() > after_seq || now >= deadline) return;
    std::unique_lock<std::mutex> l(head_mu_);
    head_cv_.wait_until(l, std::min(deadline, now + kOtherWritersPoll),
                        [&] { return head_.load(std::memory_order_acquire) > after_seq; });
  }
}

}  // namespace arcana::storage::sqlite
