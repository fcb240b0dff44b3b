#include "events/replays.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "domain/events/archive.h"
#include "events/scheduled_rules.h"

namespace arcana::events {
namespace {

constexpr size_t kReplayPage = 100;
// How long a page's events may take to be routed and their deliveries stored before the
// run gives up for now (the next run publishes them again from the saved progress).
constexpr auto kDurableWait = std::chrono::seconds(60);

// The replay as stored (nullopt: none of that name).
Result<std::optional<domain::events::Replay>> LoadReplay(storage::EventRuleStore& store,
                                                         const storage::Scope& scope,
                                                         const std::string& name) {
  ARCANA_ASSIGN_OR_RETURN(auto doc, store.GetEventDoc(scope, storage::kReplayDoc, name));
  if (!doc) return std::optional<domain::events::Replay>();
  ARCANA_ASSIGN_OR_RETURN(auto replay, domain::events::DecodeReplay(*doc));
  return std::optional<domain::events::Replay>(std::move(replay));
}

// Saves this run's state of the replay; false (nothing written) when the stored one has
// moved on without it: ended, or further along. That is another node's run, which took the
// job over while this one was held up past its lease: this run stops rather than take an
// ended replay back to RUNNING (for ever: its job is gone) or its progress back.
Result<bool> SaveReplay(storage::EventRuleStore& store, const storage::Scope& scope,
                        const domain::events::Replay& r, const char* op) {
  ARCANA_ASSIGN_OR_RETURN(auto stored, LoadReplay(store, scope, r.name));
  if (!stored) return false;  // deleted meanwhile
  if (domain::events::ReplayEnded(*stored) || stored->progress_seq > r.progress_seq) return false;
  ARCANA_RETURN_IF_ERROR(store.UpdateEventDoc(scope, storage::kReplayDoc, r.name,
                                              domain::events::EncodeReplay(r), op));
  return true;
}

}  // namespace

std::string ReplayJobName(const std::string& account, const std::string& region,
                          const std::string& replay_name) {
  return std::string(kReplayJobPrefix) + account + ":" + region + ":" + replay_name;
}

Status RunReplay(jobs::JobRun& run, storage::EventRuleStore& store, EventBus& bus) {
  auto ref = ParseScopedJobName(kReplayJobPrefix, run.job.name);
  if (!ref) return Status::Ok();
  const storage::Scope& scope = ref->scope;
  ARCANA_ASSIGN_OR_RETURN(auto loaded, LoadReplay(store, scope, ref->name));
  if (!loaded || domain::events::ReplayEnded(*loaded)) return Status::Ok();
  domain::events::Replay r = std::move(*loaded);
  auto cancelled = [&]() -> Result<bool> {
    ARCANA_ASSIGN_OR_RETURN(auto doc, store.GetEventDoc(scope, storage::kReplayCancelDoc, r.name));
    return doc.has_value();
  };
  ARCANA_ASSIGN_OR_RETURN(bool cancel, cancelled());
  if (cancel) {
    r.state = "CANCELLED";
    r.replay_end_ms = run.now_ms;
    return SaveReplay(store, scope, r, "CancelReplay").status();
  }
  if (r.state != "RUNNING") {
    r.state = "RUNNING";
    ARCANA_ASSIGN_OR_RETURN(bool ours, SaveReplay(store, scope, r, "StartReplay"));
    if (!ours) return Status::Ok();
  }
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto page,
                            store.ListArchivedEvents(scope, r.archive, r.event_start_ms,
                                                     r.event_end_ms, r.progress_seq, kReplayPage));
    // Room for the page first: the bus drops what exceeds the account's share of its queue
    // (the account's API calls' events share it too), or the whole queue. Only the replay's
    // own account's share is looked at, so that other accounts' backlogs do not hold it up;
    // the whole queue only when it is about full (four accounts at their share).
    while (bus.queued(scope.account) > EventBus::kMaxQueuedPerAccount / 2 ||
           bus.queued() + kReplayPage > EventBus::kMaxQueued) {
      if (run.should_stop && run.should_stop()) {
        run.reschedule_at_ms = run.now_ms + 1000;  // the next run goes on from the progress
        return SaveReplay(store, scope, r, "StartReplay").status();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // The page's last ticket (0: none queued) and whether the bus dropped any of it: its
    // account's own drops alone, not another account's at its share.
    uint64_t ticket = 0;
    bool dropped = false;
    for (const auto& archived : page) {
      auto json = domain::events::ReplayedEventJson(archived.json, r.name);
      if (!json) continue;  // not an event: nothing to send
      Event e;
      e.account = scope.account;
      e.region = scope.region;
      e.json = std::move(*json);
      e.bus = r.destination_bus;
      e.replayed = true;
      e.replay_rules = r.filter_arns;
      if (uint64_t t = bus.Publish(std::move(e)); t != 0) {
        ticket = t;
      } else {
        dropped = true;
      }
      r.last_replayed_ms = archived.time_ms;
    }
    if (!page.empty()) r.progress_seq = page.back().seq;
    // The progress saved below must not run ahead of what a crash would keep: the page's
    // events routed and their deliveries stored, none of them dropped by a full queue.
    // Otherwise this run ends here and the next one sends the page again from the progress
    // saved before it (deliveries are at least once).
    // The wait is for the account's own lane, not for other accounts' events queued before.
    if (dropped ||
        !bus.WaitDurable(scope.account, ticket, std::chrono::steady_clock::now() + kDurableWait)) {
      spdlog::warn("events: replay {}: a page of events was not stored in time, or the queue "
                   "dropped some; it is sent again",
                   r.arn);
      run.reschedule_at_ms = run.now_ms + 1000;
      return Status::Ok();
    }
    // A cancellation is looked for after each page.
    ARCANA_ASSIGN_OR_RETURN(cancel, cancelled());
    if (cancel) {
      r.state = "CANCELLED";
      r.replay_end_ms = run.now_ms;
      return SaveReplay(store, scope, r, "CancelReplay").status();
    }
    if (page.size() < kReplayPage) break;
    ARCANA_ASSIGN_OR_RETURN(bool ours, SaveReplay(store, scope, r, "StartReplay"));
    if (!ours) return Status::Ok();
    if (run.should_stop && run.should_stop()) {
      run.reschedule_at_ms = run.now_ms + 1000;  // the next run goes on from the progress
      return Status::Ok();
    }
  }
  // A cancellation that came while the last page was published still wins; one that comes
  // after this look finds the replay COMPLETED (its events were all sent).
  ARCANA_ASSIGN_OR_RETURN(cancel, cancelled());
  r.state = cancel ? "CANCELLED" : "COMPLETED";
  r.replay_end_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  spdlog::info("events: replay {} {}", r.arn, cancel ? "cancelled" : "completed");
  return SaveReplay(store, scope, r, "StartReplay").status();
}

}  // namespace arcana::events
