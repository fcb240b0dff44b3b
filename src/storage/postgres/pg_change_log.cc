#include "storage/postgres/pg_change_log.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace arcana::storage::pg {

namespace {

const char* const kChangesV1 = R"sql(
CREATE TABLE change_head (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL
);
INSERT INTO change_head (id, seq) VALUES (1, 0);
CREATE TABLE changes (
  seq      BIGINT PRIMARY KEY,
  at_ms    BIGINT NOT NULL,
  account  TEXT NOT NULL,
  region   TEXT NOT NULL,
  service  TEXT NOT NULL,
  resource TEXT NOT NULL,
  kind     TEXT NOT NULL
);
CREATE INDEX changes_by_time ON changes (at_ms);
)sql";

// The node that committed each change (Change::node): "" for the rows before it, which no
// node then claims as its own after a crash.
const char* const kChangesV2 = "ALTER TABLE changes ADD COLUMN node TEXT NOT NULL DEFAULT '';";

using Clock = std::chrono::steady_clock;

// Records the highest sequence number NOTIFYed on the channel.
class Receiver : public pqxx::notification_receiver {
 public:
  explicit Receiver(pqxx::connection& c) : pqxx::notification_receiver(c, kChangeChannel) {}
  void operator()(const std::string& payload, int) override {
    try {
      max_seq = std::max(max_seq, static_cast<int64_t>(std::stoll(payload)));
    } catch (const std::exception&) {
      // Not ours (someone else NOTIFYing on the channel): a wake-up all the same.
      ++max_seq;
    }
  }
  int64_t max_seq = 0;
};

}  // namespace

struct PgChangeLog::Listener {
  std::mutex mu;
  std::condition_variable cv;
  bool pumping = false;  // one waiter reads the connection at a time
  int64_t seen = 0;      // a lower bound of the head: the highest seq known committed
  // Touched only by the pumping waiter.
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Receiver> receiver;

  void Drop() {
    receiver.reset();  // before its connection
    conn.reset();
  }
};

PgChangeLog::PgChangeLog(Database& db) : db_(db), listener_(std::make_unique<Listener>()) {}

PgChangeLog::~PgChangeLog() {
  if (listener_) listener_->Drop();
}

Migrations PgChangeLog::Schema() { return {"changes", {kChangesV1, kChangesV2}}; }

Result<int64_t> PgChangeLog::Head() {
  int64_t head = 0;
  ARCANA_RETURN_IF_ERROR(db_.Read("read change head", [&](Tx& tx) {
    auto r = tx.Exec("SELECT seq FROM change_head");
    if (!r.empty()) head = Int(r[0][0]);
    return Status::Ok();
  }));
  return head;
}

Result<std::vector<Change>> PgChangeLog::ReadChanges(int64_t after_seq, size_t limit) {
  std::vector<Change> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read changes", [&](Tx& tx) {
    for (const auto& row : tx.Exec(
             "SELECT seq, at_ms, account, region, service, resource, kind, node FROM changes "
             "WHERE seq > $1 ORDER BY seq LIMIT $2",
             {after_seq, std::min(limit, kMaxListLimit)})) {
      out.push_back({Int(row[0]), Int(row[1]), Text(row[2]), Text(row[3]), Text(row[4]),
                     Text(row[5]), Text(row[6]), Text(row[7])});
    }
    return Status::Ok();
  }));
  return out;
}

void PgChangeLog::WaitForChange(int64_t after_seq, std::chrono::milliseconds timeout) {
  Listener& l = *listener_;
  const auto deadline = Clock::now() + timeout;
  std::unique_lock<std::mutex> lock(l.mu);
  while (l.seen <= after_seq && Clock::now() < deadline) {
    if (l.pumping) {
      l.cv.wait_until(lock, deadline);
      continue;
    }
    l.pumping = true;
    lock.unlock();
    int64_t got = -1;
    try {
      if (!l.conn) {
        l.conn = db_.ConnectUnpooled();
        l.receiver = std::make_unique<Receiver>(*l.conn);  // LISTEN
        // Commits before the LISTEN took effect were not notified: start from the head.
        pqxx::nontransaction t(*l.conn);
        auto r = t.exec("SELECT seq FROM change_head");
        if (!r.empty()) l.receiver->max_seq = std::max(l.receiver->max_seq, Int(r[0][0]));
      }
      if (l.receiver->max_seq <= after_seq) {
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
            deadline - Clock::now());
        if (left.count() > 0) {
          l.conn->await_notification(static_cast<long>(left.count() / 1000000),
                                     static_cast<long>(left.count() % 1000000));
        }
      }
      got = l.receiver->max_seq;
    } catch (const std::exception&) {
      // The database is unreachable: reconnect on a later call; meanwhile do not spin.
      l.Drop();
      std::this_thread::sleep_until(std::min(deadline, Clock::now() + std::chrono::milliseconds(200)));
    }
    lock.lock();
    l.pumping = false;
    l.seen = std::max(l.seen, got);
    l.cv.notify_all();
  }
}

Result<size_t> PgChangeLog::TrimChanges(int64_t before_ms) {
  size_t n = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write("trim changes", [&](Tx& tx) {
    // A prefix of the sequence, up to the newest change committed before before_ms: at_ms
    // is each writer's own clock, not monotonic in seq across nodes, and deleting by it
    // alone could leave a hole that a reader behind it would skip unnoticed. The newest
    // change (seq = head) always stays.
    auto r = tx.Exec(
        "DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes WHERE at_ms < $1) "
        "AND seq < (SELECT seq FROM change_head)",
        {before_ms});
    n = r.affected_rows();
    return Status::Ok();
  }));
  return n;
}

}  // namespace arcana::storage::pg
