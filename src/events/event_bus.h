// The event bus of one node: an audit sink (audit/audit_sink.h, always fail-open) that turns
// each audit record this node writes into an event (events/event_envelope.h), adds the
// built-in detections it raises (events/detections.h), matches every event against the
// enabled rules of its account, region and event bus (events/rule_cache.h; Arcana's own
// events go to the default bus, PutEvents' to the bus it names; a read-only call's event
// only against rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS) and hands each
// matching target a delivery (events/delivery.h: stored, then attempted here or by another
// node), or, for an event-bus target, queues the event again on that bus. A scheduled rule's
// event (Event::rule_arn, events/scheduled_rules.h) goes to that rule's targets alone. The
// bus's enabled archives keep the events they match in the store (ArchiveInto), on the
// routing thread; a replayed event (events/replays.h) is not kept again.
//
// Write only queues the record (at most kMaxQueued; beyond that records are dropped for
// events and counted, the audit trail itself is unaffected), so event routing never delays
// or fails an API call; one routing thread does the rest. When the store cannot be read the
// event is dropped with a warning (no rule set is known to route it).
// The routing thread is shared fairly among accounts (the account whose rules route the
// event): each account's events wait in a lane of their own, routed in order, and the lanes
// take turns of kSlice (a turn ends between two rules), so one account's costly events (large
// values against up to 300 rules of large patterns: seconds per event) delay another's by at
// most a turn and a rule, not by their whole backlog. An account holds at most
// kMaxQueuedPerAccount of the queued events; beyond that its events are dropped (counted),
// not the others'. Events of one account are routed in the order they were queued. A replay
// (events/replays.h) waits for its own account's events alone (WaitDurable's ticket, its
// account's share of the queue, Publish's answer for drops), so another account's backlog
// delays a replay no more than its live events. What is shared still: the whole queue
// (kMaxQueued, full only when four accounts are at their share) and the deliverer's store
// writes.
// Thread-safety: Write / Publish from any thread; Close once (idempotent).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "audit/audit_event.h"
#include "audit/audit_sink.h"
#include "events/delivery.h"
#include "events/detections.h"
#include "events/event_envelope.h"
#include "events/rule_cache.h"

namespace arcana::events {

class EventBus final : public audit::AuditSink {
 public:
  static constexpr size_t kMaxQueued = 10000;
  static constexpr size_t kMaxQueuedPerAccount = kMaxQueued / 4;
  static constexpr std::chrono::milliseconds kSlice{10};
  // An event forwarded by event-bus targets goes through at most this many buses after its
  // first.
  static constexpr int kMaxForwards = 4;

  // Owns its parts (the trail owns the bus, and may outlive the caller's scope).
  // fallback_account: the account of records that name none (unauthenticated calls).
  EventBus(std::unique_ptr<RuleCache> rules, std::unique_ptr<Detector> detector,
           std::unique_ptr<Deliverer> deliverer, std::string fallback_account);
  ~EventBus() override;

  std::string_view name() const override { return "events"; }
  bool fail_closed() const override { return false; }
  // A record can matter only when its account and region have an enabled rule (or the
  // rules cannot be read now: Run logs that), or when it is a denial (the denied-burst
  // detection counts them whatever the rules). Everything else is skipped before queueing.
  bool Wants(const audit::AuditEvent& event) override;
  Status Write(std::string_view record_json) override;
  bool Healthy() const override { return true; }
  // Routes what is queued, then stops the routing thread and the deliverer.
  void Close() override;

  // Publishes an event built elsewhere (RotationOutcomeEvent, ...): queued like a record.
  // Answers its ticket (its place in the queue, > 0) for WaitDurable, or 0 when it was
  // dropped (the queue, or its account's share of it, is full; or the bus is closing).
  uint64_t Publish(Event event);
  // Whether an event of this account and region could match anything now (the scope has
  // enabled rules or archives, or they cannot be read): a service publishing frequent events
  // (Parameter Store's changes) builds and queues them only then, as Wants does for records.
  bool Listens(const std::string& account, const std::string& region);
  // Where the events archives match are kept (set before the first event; without it, none
  // is kept).
  void ArchiveInto(storage::EventRuleStore* store) { archives_ = store; }
  // Events dropped because the queue was full.
  uint64_t dropped() const;
  // Records and events queued, not yet routed.
  size_t queued() const;
  // Events of this account queued or in its lane, not yet routed (a replay waits for room
  // in its account's share: events/replays.h).
  size_t queued(const std::string& account) const;
  // Until the events of `account` published up to `ticket` (Publish's answer) are routed
  // and the deliveries made so far stored (a replay saves its progress only then, so that a
  // crash cannot skip events); false at the deadline. Only that account's lane is waited
  // for (its events are routed in order), never other accounts' backlogs; the deliveries'
  // wait is for their store writes, not for their sending.
  bool WaitDurable(const std::string& account, uint64_t ticket,
                   std::chrono::steady_clock::time_point deadline);

 private:
  struct Item {
    std::string record;          // an audit record, or
    std::optional<Event> event;  // an event to route as is
    uint64_t seq = 0;            // its place in the queue (1, 2, ...)
  };
  // One event in its account's lane (routing thread only); its routing may take several turns.
  struct Work {
    Event event;
    uint64_t seq = 0;  // of the Item it came from
    bool started = false;
    std::shared_ptr<const RuleSet> rules;  // the account's rules when its routing started
    std::unique_ptr<rapidjson::Document> doc;
    std::string ingestion_time;
    size_t next = 0;  // the next rule to try
  };
  void Run();
  // An item into its account's lane (a record: its events, parsed and detected here).
  void Admit(Item item);
  void AddWork(Event e, uint64_t seq);
  // Routes the lane whose turn it is for at most kSlice (then it waits for its next turn).
  void Turn();
  // Routes w from its next rule until done (true) or past `deadline` (false).
  bool Step(Work& w, std::chrono::steady_clock::time_point deadline);
  void RouteTo(const Work& w, const CompiledRule& rule);
  // One event (of item seq) routed, or dropped, by the routing thread.
  void Done(uint64_t seq, const std::string& account, bool held);
  // A rule's event-bus target: the event is queued again, on that bus of its account and
  // region (same id and JSON), unless it has been forwarded kMaxForwards times.
  void Forward(const Event& e, const std::string& bus);
  // Keeps e in the archive (a CompiledRule with `archive` set); a store error is logged and
  // the event goes on to the rules (an archive is fail-open, like routing).
  void Archive(const Event& e, const rapidjson::Document& doc, const CompiledRule& archive);
  uint64_t Enqueue(Item item);  // its ticket, 0: dropped

  std::unique_ptr<RuleCache> rules_;
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<Deliverer> deliverer_;
  storage::EventRuleStore* archives_ = nullptr;
  std::string fallback_account_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // not yet in a lane
  bool stopping_ = false;
  uint64_t enqueued_ = 0;  // items queued
  size_t queued_ = 0;      // of them, not yet routed
  // Per account with events held (queued or in its lane, each counted until routed): how
  // many, and the watermark of its lane: every event of the account published with a ticket
  // up to `routed` is routed (a lane routes in queue order; an account holding nothing has
  // all of its events routed).
  struct Held {
    size_t n = 0;
    uint64_t routed = 0;
  };
  std::unordered_map<std::string, Held> held_;
  // Under mu_: one held event of account (of item seq) routed or dropped.
  void Release(const std::string& account, uint64_t seq);
  // Routing thread only: the lanes, the accounts in turn order, and the events left of each
  // record item (its event and its detections).
  std::unordered_map<std::string, std::deque<Work>> lanes_;
  std::deque<std::string> turns_;
  std::unordered_map<uint64_t, size_t> parts_;
  std::condition_variable routed_cv_;
  uint64_t dropped_ = 0;
  std::thread thread_;
};

}  // namespace arcana::events
