// A deadline on every round trip to PostgreSQL. A database that stops answering (a network
// partition, a stalled primary, a stopped server process) leaves libpq waiting in recv()
// until the kernel gives the connection up, about 15 minutes later; TCP keepalives and
// tcp_user_timeout see nothing wrong while the server's kernel still acknowledges, and a
// server-side statement_timeout needs a server that runs. Meanwhile every worker waiting on
// the store waits with it. The watchdog shuts down the socket of a connection still in use
// past its deadline: libpq then fails at once (a broken connection), the call answers
// ServiceUnavailable, and the pool drops the connection.
//
// Use: `auto g = watchdog.Arm(conn.sock());` before a connection's statements, destroyed
// (disarmed) before the connection is pooled again. The watchdog keeps a duplicate of the
// socket's descriptor until then, so it only ever shuts down that socket, even once libpq
// closed its own descriptor and the number went to another file. g.fired() tells whether the
// deadline passed (the call may still have completed just before).
// Thread-safety: Arm and the guards' destructors from any thread; one internal thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace arcana::storage::pg {

class QueryWatchdog {
 public:
  // limit: how long one use of a connection (a read, or a batch up to its COMMIT) may take.
  explicit QueryWatchdog(std::chrono::milliseconds limit);
  ~QueryWatchdog();
  QueryWatchdog(const QueryWatchdog&) = delete;
  QueryWatchdog& operator=(const QueryWatchdog&) = delete;

  class Guard {
   public:
    Guard(Guard&& o) noexcept : w_(o.w_), id_(o.id_) { o.w_ = nullptr; }
    Guard& operator=(Guard&&) = delete;
    ~Guard();
    // True once the watchdog shut the connection down (its deadline passed).
    bool fired() const;
    // A guard that watches nothing.
    static Guard None() { return Guard(nullptr, 0); }

   private:
    friend class QueryWatchdog;
    Guard(QueryWatchdog* w, uint64_t id) : w_(w), id_(id) {}
    QueryWatchdog* w_;
    uint64_t id_;
  };

  // Arms a deadline of `limit` from now for the connection whose socket is fd (fd < 0:
  // nothing to watch, the guard does nothing).
  Guard Arm(int fd);
  std::chrono::milliseconds limit() const { return limit_; }

 private:
  struct Armed {
    int fd;
    std::chrono::steady_clock::time_point deadline;
    bool fired = false;
  };
  void Run();

  const std::chrono::milliseconds limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Armed> armed_;  // guarded by mu_
  uint64_t next_id_ = 1;             // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::thread thread_;
};

}  // namespace arcana::storage::pg
