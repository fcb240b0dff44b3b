// A minimal ChangeFollower (change_follower.h), enough for the stores to link and be
// correct: one Sync at a time (the others wait for it, then find the head applied), pages
// of ReadChanges applied in order, and a reset when the gap is too large or was trimmed.
#include "storage/change_follower.h"

#include <algorithm>
#include <atomic>

namespace arcana::storage {

namespace {
constexpr size_t kPage = 1000;
constexpr size_t kMaxPages = 10;  // beyond this many changes behind, reset instead
}  // namespace

struct ChangeFollower::State {
  explicit State(ChangeLog& l) : log(l) {}
  ChangeLog& log;
  std::mutex sync_mu;  // one Sync applies at a time
  std::vector<Subscriber> subscribers;
  std::atomic<int64_t> applied{0};
  std::atomic<bool> started{false};
};

ChangeFollower::ChangeFollower(ChangeLog& log) : state_(std::make_unique<State>(log)) {}
ChangeFollower::~ChangeFollower() = default;

void ChangeFollower::Subscribe(Subscriber s) {
  std::lock_guard<std::mutex> l(state_->sync_mu);
  state_->subscribers.push_back(std::move(s));
}

int64_t ChangeFollower::applied() const { return state_->applied.load(std::memory_order_acquire); }

Result<int64_t> ChangeFollower::Sync() {
  State& s = *state_;
  ARCANA_ASSIGN_OR_RETURN(int64_t head, s.log.Head());
  if (s.started.load(std::memory_order_acquire) && head <= s.applied.load(std::memory_order_acquire)) return s.applied.load();
  std::lock_guard<std::mutex> l(s.sync_mu);
  int64_t applied = s.applied.load(std::memory_order_acquire);
  auto reset = [&] {
    for (auto& sub : s.subscribers)
      if (sub.on_reset) sub.on_reset();
    s.applied.store(head, std::memory_order_release);
    s.started.store(true, std::memory_order_release);
    return head;
  };
  if (!s.started) return reset();  // nothing cached yet from before this point
  if (head <= applied) return applied;  // another Sync applied it meanwhile
  std::vector<Change> pending;
  int64_t after = applied;
  for (size_t page = 0; after < head; ++page) {
    if (page == kMaxPages) return reset();
    ARCANA_ASSIGN_OR_RETURN(auto batch, s.log.ReadChanges(after, kPage));
    if (batch.empty()) break;
    // A first change past after+1 may mean the rows in between were trimmed: reset.
    if (pending.empty() && batch.front().seq != after + 1) return reset();
    for (auto& c : batch) {
      after = c.seq;
      pending.push_back(std::move(c));
    }
  }
  for (const auto& c : pending) {
    for (auto& sub : s.subscribers)
      if (sub.on_change) sub.on_change(c);
  }
  const int64_t reached = std::max(after, applied);
  s.applied.store(std::max(reached, head), std::memory_order_release);
  return s.applied.load();
}

}  // namespace arcana::storage
