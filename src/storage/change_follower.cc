#include "storage/change_follower.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>

#include "storage/no_wait.h"

namespace arcana::storage {
namespace {

// Steady-clock nanoseconds: only compared with each other, never shown.
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kNoScope = std::numeric_limits<int64_t>::min();
// How far back a look for another process's commits (the arcana CLI beside arcanad on SQLite)
// may have begun and still serve a request. One look costs two fcntl calls and a mutex every
// request contends on (~8 % of arcanad's CPU under a GetSecretValue load, bench/README), so
// looks are shared within this window: a CLI commit reaches requests beginning more than 1 ms
// after it returned, far below how soon a script can send its next request (a process start).
// This node's own commits are always seen at once (its head is in memory).
constexpr int64_t kOtherProcessGraceNs = 1'000'000;
// The start of the request this thread is serving (FreshnessScope), or kNoScope.
thread_local int64_t t_request_start_ns = kNoScope;

// Changes read per ReadChanges call, and the widest gap worth reading change by change:
// beyond it every cache is dropped instead (cheaper than applying thousands of erasures).
constexpr size_t kBatch = 1000;
constexpr int64_t kMaxGap = 20000;

// v = max(v, to), atomically.
void RaiseTo(std::atomic<int64_t>& v, int64_t to) {
  int64_t cur = v.load(std::memory_order_relaxed);
  while (cur < to && !v.compare_exchange_weak(cur, to, std::memory_order_acq_rel)) {
  }
}

}  // namespace

ChangeFollower::FreshnessScope::FreshnessScope() : saved_(t_request_start_ns) {
  t_request_start_ns = NowNs();
}
ChangeFollower::FreshnessScope::~FreshnessScope() { t_request_start_ns = saved_; }

struct ChangeFollower::State {
  explicit State(ChangeLog& l) : log(l) {}
  ChangeLog& log;
  std::vector<Subscriber> subs;
  std::mutex sync_mu;  // one Sync applies at a time
  std::atomic<int64_t> applied{0};
  // Set (under sync_mu) once the first Sync has reset the subscribers: until then they may
  // hold entries from before this follower existed, so the first Sync never replays.
  std::atomic<bool> started{false};
  // When the newest completed Sync read Head() (steady ns): it covers every write
  // acknowledged before that moment.
  std::atomic<int64_t> covered_since_ns{kNoScope};
  // Local head only: the highest Head() any Sync has read. A local head is published after
  // its COMMIT, so `applied` (from the rows read) may run ahead of a head read a moment ago;
  // only a head below one read earlier means the store went backwards.
  std::atomic<int64_t> highest_head{0};

  void ResetAll(int64_t head) {
    for (auto& s : subs) s.on_reset();
    applied.store(head, std::memory_order_release);
  }

  // Applies the changes after `applied` up to at least head. Caller holds sync_mu.
  // went_back: the store's head is below one seen before (wiped and recreated).
  Status CatchUp(int64_t head, bool went_back) {
    int64_t at = applied.load(std::memory_order_acquire);
    if (!started.load(std::memory_order_acquire) || went_back || head - at > kMaxGap) {
      // First sync (caches are empty or predate this follower), a store that went backwards,
      // or too far behind: start over from the head.
      ResetAll(head);
      started.store(true, std::memory_order_release);
      return Status::Ok();
    }
    while (at < head) {  // head <= at: already applied (by a Sync that read a newer head)
      auto batch = log.ReadChanges(at, kBatch);
      if (!batch.ok()) return batch.status();
      if (batch->empty()) {
        // Changes we never saw were trimmed (or the store was replaced): drop everything.
        ResetAll(head);
        return Status::Ok();
      }
      for (const Change& c : *batch) {
        if (c.seq != at + 1) {
          // A hole, anywhere in the batch: retention trims by each writer's commit clock
          // (at_ms), which is not monotonic in seq, so it can delete a change between two
          // it keeps. Skipping it would leave what it touched cached: drop everything. The
          // rows read were committed before this reset, so it covers them too.
          ResetAll(std::max(head, batch->back().seq));
          return Status::Ok();
        }
        for (auto& s : subs) s.on_change(c);
        at = c.seq;
      }
      applied.store(at, std::memory_order_release);
    }
    return Status::Ok();
  }
};

ChangeFollower::ChangeFollower(ChangeLog& log) : state_(std::make_unique<State>(log)) {}
ChangeFollower::~ChangeFollower() = default;

void ChangeFollower::Subscribe(Subscriber s) {
  std::lock_guard<std::mutex> l(state_->sync_mu);
  state_->subs.push_back(std::move(s));
}

int64_t ChangeFollower::applied() const {
  return state_->applied.load(std::memory_order_acquire);
}

Result<int64_t> ChangeFollower::Sync() {
  State& st = *state_;
  if (st.log.HeadIsLocal()) {
    // One node serves the store: its head is a counter in memory, cheaper than sharing. Other
    // processes' commits (the arcana CLI beside arcanad) are looked for at most once per
    // request: HeadSince reuses a look that began after the request did, or up to
    // kOtherProcessGraceNs before.
    // Read before the head: every head read earlier is at most ours unless the store went back.
    const int64_t seen = st.highest_head.load(std::memory_order_acquire);
    const int64_t since_ns =
        (t_request_start_ns != kNoScope ? t_request_start_ns : NowNs()) - kOtherProcessGraceNs;
    auto head = st.log.HeadSince(std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::nanoseconds(since_ns))));
    if (!head.ok()) return head.status();
    const bool went_back = *head < seen;
    if (!went_back) RaiseTo(st.highest_head, *head);
    // applied is published only after its changes reached every subscriber, so applied >=
    // head means the caches are exact as of this head. It is often above it: a concurrent
    // Sync read changes committed after this head was read (or before it was published).
    if (st.started.load(std::memory_order_acquire) && !went_back &&
        *head <= st.applied.load(std::memory_order_acquire)) {
      return st.applied.load(std::memory_order_acquire);
    }
    // Catching up reads the changes from the database, and another thread may be doing it.
    ARCANA_RETURN_IF_ERROR(NoWaitScope::Check());
    std::lock_guard<std::mutex> l(st.sync_mu);
    ARCANA_RETURN_IF_ERROR(st.CatchUp(*head, went_back));
    if (went_back) st.highest_head.store(*head, std::memory_order_release);
    return st.applied.load(std::memory_order_acquire);
  }
  const int64_t floor = t_request_start_ns != kNoScope ? t_request_start_ns : NowNs();
  if (st.covered_since_ns.load(std::memory_order_acquire) >= floor) return applied();
  ARCANA_RETURN_IF_ERROR(NoWaitScope::Check());  // the head is a round trip away
  std::lock_guard<std::mutex> l(st.sync_mu);
  // Another Sync may have run while this one waited; if it began after our floor, it covers us.
  if (st.covered_since_ns.load(std::memory_order_acquire) >= floor) return applied();
  const int64_t began = NowNs();
  auto head = st.log.Head();
  if (!head.ok()) return head.status();
  // Read under sync_mu after every earlier catch-up, and a shared head commits with its
  // rows: a head below what was applied is a store that went backwards.
  const bool went_back = *head < st.applied.load(std::memory_order_acquire);
  ARCANA_RETURN_IF_ERROR(st.CatchUp(*head, went_back));
  st.covered_since_ns.store(began, std::memory_order_release);
  return st.applied.load(std::memory_order_acquire);
}

}  // namespace arcana::storage
