#include "events/event_bus.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/civil_time.h"
#include "common/iso8601.h"
#include "common/json.h"
#include "domain/events/input_transform.h"

namespace arcana::events {

EventBus::EventBus(std::unique_ptr<RuleCache> rules, std::unique_ptr<Detector> detector,
                   std::unique_ptr<Deliverer> deliverer, std::string fallback_account)
    : rules_(std::move(rules)),
      detector_(std::move(detector)),
      deliverer_(std::move(deliverer)),
      fallback_account_(std::move(fallback_account)),
      thread_([this] { Run(); }) {}

EventBus::~EventBus() { Close(); }

bool EventBus::Wants(const audit::AuditEvent& event) {
  if (IsAccessDenied(event.error_code)) return true;
  const std::string& account =
      event.recipient_account.empty() ? fallback_account_ : event.recipient_account;
  if (account.empty() || event.region.empty()) return false;  // Route would drop it
  return Listens(account, event.region);
}

bool EventBus::Listens(const std::string& account, const std::string& region) {
  auto rules = rules_->RulesOf(account, region);
  return !rules.ok() || !(*rules)->empty();
}

Status EventBus::Write(std::string_view record_json) {
  Enqueue({std::string(record_json), std::nullopt});
  return Status::Ok();
}

uint64_t EventBus::Publish(Event event) { return Enqueue({"", std::move(event)}); }

uint64_t EventBus::Enqueue(Item item) {
  std::lock_guard<std::mutex> l(mu_);
  // An event's account is known here; a record's only once parsed (Admit counts it then).
  Held* held = nullptr;
  if (item.event && !stopping_) {
    auto [h, added] = held_.try_emplace(item.event->account);
    // Nothing of the account held: all of its events so far are routed.
    if (added) h->second.routed = enqueued_;
    held = &h->second;
  }
  if (stopping_ || queued_ >= kMaxQueued || (held != nullptr && held->n >= kMaxQueuedPerAccount)) {
    if (held != nullptr && held->n == 0) held_.erase(item.event->account);
    if (++dropped_ % 1000 == 1) spdlog::warn("events: queue full, {} event(s) dropped", dropped_);
    return 0;
  }
  if (held != nullptr) ++held->n;
  item.seq = ++enqueued_;
  const uint64_t ticket = item.seq;
  ++queued_;
  queue_.push_back(std::move(item));
  // The router waits only when it has nothing to do: wake it on that transition alone, so a
  // busy server does not pay a futex wake-up per call.
  if (queue_.size() == 1) cv_.notify_one();
  return ticket;
}

size_t EventBus::queued() const {
  std::lock_guard<std::mutex> l(mu_);
  return queued_;
}

size_t EventBus::queued(const std::string& account) const {
  std::lock_guard<std::mutex> l(mu_);
  auto h = held_.find(account);
  return h == held_.end() ? 0 : h->second.n;
}

bool EventBus::WaitDurable(const std::string& account, uint64_t ticket,
                           std::chrono::steady_clock::time_point deadline) {
  {
    std::unique_lock<std::mutex> l(mu_);
    // The account's own lane alone: another account's backlog is not waited for.
    if (!routed_cv_.wait_until(l, deadline, [&] {
          auto h = held_.find(account);
          return h == held_.end() || h->second.routed >= ticket;
        })) {
      return false;
    }
  }
  // Every delivery those events made was submitted by now (routing submits synchronously).
  return deliverer_->WaitSettled(deliverer_->submitted(), deadline);
}

uint64_t EventBus::dropped() const {
  std::lock_guard<std::mutex> l(mu_);
  return dropped_;
}

void EventBus::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    // turns_ is the routing thread's own: read here under mu_ only because the wait is.
    cv_.wait(l, [this] { return stopping_ || !queue_.empty() || !turns_.empty(); });
    if (queue_.empty() && turns_.empty()) return;  // stopping, and everything queued was routed
    std::deque<Item> intake;
    intake.swap(queue_);
    l.unlock();
    for (Item& item : intake) Admit(std::move(item));
    if (!turns_.empty()) Turn();
    l.lock();
  }
}

void EventBus::Admit(Item item) {
  if (item.event) {
    AddWork(std::move(*item.event), item.seq);  // held_ counted it in Enqueue
    return;
  }
  std::vector<Event> events;
  rapidjson::Document record;
  if (json::ParseBounded(item.record, &record).ok() && record.IsObject()) {
    events.push_back(RecordEvent(record, fallback_account_));
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    for (Event& e : detector_->Observe(record, now)) events.push_back(std::move(e));
  }
  if (events.empty()) {
    Done(item.seq, "", false);
    return;
  }
  parts_[item.seq] = events.size();
  for (Event& e : events) {
    {
      std::lock_guard<std::mutex> l(mu_);
      auto [h, added] = held_.try_emplace(e.account);
      // Nothing of the account held: all of its events before this record are routed.
      if (added) h->second.routed = item.seq - 1;
      if (h->second.n >= kMaxQueuedPerAccount) {
        if (++dropped_ % 1000 == 1) {
          spdlog::warn("events: queue full, {} event(s) dropped", dropped_);
        }
      } else {
        ++h->second.n;
        AddWork(std::move(e), item.seq);
        continue;
      }
    }
    Done(item.seq, "", false);
  }
}

void EventBus::AddWork(Event e, uint64_t seq) {
  auto [lane, added] = lanes_.try_emplace(e.account);
  if (lane->second.empty()) turns_.push_back(e.account);
  Work w;
  w.event = std::move(e);
  w.seq = seq;
  lane->second.push_back(std::move(w));
}

void EventBus::Turn() {
  const std::string account = std::move(turns_.front());
  turns_.pop_front();
  std::deque<Work>& lane = lanes_[account];
  const auto deadline = std::chrono::steady_clock::now() + kSlice;
  for (;;) {
    if (!Step(lane.front(), deadline)) break;  // the turn is over, the event not yet
    const uint64_t seq = lane.front().seq;
    lane.pop_front();
    Done(seq, account, true);
    if (lane.empty()) {
      lanes_.erase(account);
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  turns_.push_back(account);
}

void EventBus::Release(const std::string& account, uint64_t seq) {
  auto h = held_.find(account);
  if (h == held_.end()) return;
  // A lane routes in queue order: this event's ticket is its account's watermark now.
  h->second.routed = std::max(h->second.routed, seq);
  if (--h->second.n == 0) held_.erase(h);
  routed_cv_.notify_all();
}

void EventBus::Done(uint64_t seq, const std::string& account, bool held) {
  if (auto part = parts_.find(seq); part != parts_.end()) {
    if (--part->second > 0) {
      if (!held) return;
      std::lock_guard<std::mutex> l(mu_);
      Release(account, seq);
      return;
    }
    parts_.erase(part);
  }
  std::lock_guard<std::mutex> l(mu_);
  if (held) Release(account, seq);
  --queued_;
}

bool EventBus::Step(Work& w, std::chrono::steady_clock::time_point deadline) {
  const Event& e = w.event;
  if (!w.started) {
    w.started = true;
    if (e.account.empty() || e.region.empty()) return true;  // no bus it could belong to
    auto rules = rules_->RulesOf(e.account, e.region);
    if (!rules.ok()) {
      spdlog::warn("events: an event was not routed (rules unreadable: {})",
                   rules.status().message());
      return true;
    }
    if ((*rules)->empty()) return true;
    w.doc = std::make_unique<rapidjson::Document>();
    if (Status parsed = json::ParseBounded(e.json, w.doc.get()); !parsed.ok()) {
      spdlog::warn("events: event {} was not routed: {}", e.id, parsed.message());
      return true;
    }
    w.rules = std::move(*rules);
    w.ingestion_time = IsoUtcSeconds(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  }
  if (!w.rules) return true;
  while (w.next < w.rules->size()) {
    RouteTo(w, (*w.rules)[w.next++]);
    if (w.next < w.rules->size() && std::chrono::steady_clock::now() >= deadline) return false;
  }
  return true;
}

void EventBus::RouteTo(const Work& w, const CompiledRule& rule) {
  const Event& e = w.event;
  const rapidjson::Document& doc = *w.doc;
  if (!rule.archive.empty()) {
    // An archive keeps the events of its bus it matches (all without a pattern), as an
    // ENABLED rule would match them; never a replayed or a scheduled rule's event.
    if (e.replayed || !e.rule_arn.empty() || rule.bus != e.bus) return;
    if (e.read_only_management) return;
    if (rule.pattern && !rule.pattern->Matches(doc)) return;
    Archive(e, doc, rule);
    return;
  }
  if (!e.rule_arn.empty()) {
    // A scheduled rule's event: for that rule alone, whatever its pattern.
    if (rule.arn != e.rule_arn) return;
  } else {
    if (rule.bus != e.bus) return;  // a rule sees the events of its own bus only
    // A replay to some rules of the bus (its FilterArns) reaches those alone.
    if (!e.replay_rules.empty() && std::find(e.replay_rules.begin(), e.replay_rules.end(),
                                             rule.arn) == e.replay_rules.end()) {
      return;
    }
    // As EventBridge: an ENABLED rule matches every event except read-only management
    // events delivered through CloudTrail (Get*, List*, Describe*, ... calls' records).
    if (e.read_only_management && !rule.all_management_events) return;
    if (!rule.pattern || !rule.pattern->Matches(doc)) return;
  }
  const domain::events::MatchContext match{rule.arn, rule.name, w.ingestion_time};
  for (const auto& target : rule.targets) {
    if (auto to = domain::events::ParseBusTargetArn(target.url)) {
      Forward(e, to->name);
      continue;
    }
    bool too_large = false;
    auto body = domain::events::TargetBody(target, doc, e.json, match, &too_large);
    if (too_large) {
      // Its InputTransformer would make more of the event than an event may be: the
      // delivery fails (dead-lettered), it does not grow without bound.
      deliverer_->Fail(rule.arn, target, e.json,
                       "input transformer output over " +
                           std::to_string(domain::events::kMaxTargetBodyBytes) + " bytes");
      continue;
    }
    if (!body) {
      // As EventBridge: an InputPath that selects nothing, or a template that is no JSON
      // once filled, sends that target nothing.
      spdlog::info("events: event {} sends target {} of rule {} nothing (its InputPath or "
                   "InputTransformer makes no body of it)",
                   e.id, target.id, rule.name);
      continue;
    }
    deliverer_->Submit(rule.arn, target, *body);
  }
}

void EventBus::Archive(const Event& e, const rapidjson::Document& doc, const CompiledRule& archive) {
  if (archives_ == nullptr) return;
  // Kept by the event's own time (what a replay's EventStartTime and EventEndTime select).
  int64_t time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  if (auto t = ParseIso8601Ms(json::StrField(doc, "time"))) time_ms = *t;
  const int64_t expires_ms =
      archive.archive_retention_ms > 0 ? time_ms + archive.archive_retention_ms : 0;
  Status s = archives_->ArchiveEvent({e.account, e.region}, archive.archive, time_ms, expires_ms,
                                     e.json);
  if (!s.ok()) {
    spdlog::warn("events: event {} was not kept in archive {}: {}", e.id, archive.arn,
                 s.message());
  }
}

void EventBus::Forward(const Event& e, const std::string& bus) {
  // Rules may forward onto each other's buses in a cycle (AWS warns of such loops and bills
  // them); here a chain ends after kMaxForwards, so no cycle runs for ever.
  if (e.forwards >= kMaxForwards) {
    spdlog::warn("events: event {} not forwarded to bus {}: it was forwarded {} times already",
                 e.id, bus, e.forwards);
    return;
  }
  Event copy = e;
  copy.bus = bus;
  copy.rule_arn.clear();  // a scheduled event, once on another bus, is matched as any other
  copy.replay_rules.clear();  // a replay's FilterArns are rules of its own bus
  ++copy.forwards;
  Publish(std::move(copy));
}

void EventBus::Close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  deliverer_->Stop();
}

}  // namespace arcana::events
