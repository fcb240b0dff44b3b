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

void EventBus::Publish(Event event) { Enqueue({"", std::move(event)}); }

void EventBus::Enqueue(Item item) {
  std::lock_guard<std::mutex> l(mu_);
  if (stopping_ || queue_.size() >= kMaxQueued) {
    if (++dropped_ % 1000 == 1) spdlog::warn("events: queue full, {} event(s) dropped", dropped_);
    return;
  }
  queue_.push_back(std::move(item));
  ++enqueued_;
  // The router waits only on an empty queue: wake it on that transition alone, so a busy
  // server does not pay a futex wake-up per call.
  if (queue_.size() == 1) cv_.notify_one();
}

size_t EventBus::queued() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.size();
}

uint64_t EventBus::enqueued() const {
  std::lock_guard<std::mutex> l(mu_);
  return enqueued_;
}

bool EventBus::WaitDurable(uint64_t ticket, std::chrono::steady_clock::time_point deadline) {
  {
    std::unique_lock<std::mutex> l(mu_);
    if (!routed_cv_.wait_until(l, deadline, [&] { return routed_ >= ticket; })) return false;
  }
  // Every delivery those items made was submitted by now (routing submits synchronously).
  return deliverer_->WaitSettled(deliverer_->submitted(), deadline);
}

uint64_t EventBus::dropped() const {
  std::lock_guard<std::mutex> l(mu_);
  return dropped_;
}

void EventBus::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued was routed
    Item item = std::move(queue_.front());
    queue_.pop_front();
    l.unlock();
    if (item.event) {
      Route(*item.event);
    } else {
      rapidjson::Document record;
      if (json::ParseBounded(item.record, &record).ok() && record.IsObject()) {
        Route(RecordEvent(record, fallback_account_));
        int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
        for (const Event& e : detector_->Observe(record, now)) Route(e);
      }
    }
    l.lock();
    ++routed_;
    routed_cv_.notify_all();
  }
}

void EventBus::Route(const Event& e) {
  if (e.account.empty() || e.region.empty()) return;  // no bus it could belong to
  auto rules = rules_->RulesOf(e.account, e.region);
  if (!rules.ok()) {
    spdlog::warn("events: an event was not routed (rules unreadable: {})", rules.status().message());
    return;
  }
  if ((*rules)->empty()) return;
  rapidjson::Document doc;
  if (Status parsed = json::ParseBounded(e.json, &doc); !parsed.ok()) {
    spdlog::warn("events: event {} was not routed: {}", e.id, parsed.message());
    return;
  }
  const std::string ingestion_time = IsoUtcSeconds(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  for (const CompiledRule& rule : **rules) {
    if (!rule.archive.empty()) {
      // An archive keeps the events of its bus it matches (all without a pattern), as an
      // ENABLED rule would match them; never a replayed or a scheduled rule's event.
      if (e.replayed || !e.rule_arn.empty() || rule.bus != e.bus) continue;
      if (e.read_only_management) continue;
      if (rule.pattern && !rule.pattern->Matches(doc)) continue;
      Archive(e, doc, rule);
      continue;
    }
    if (!e.rule_arn.empty()) {
      // A scheduled rule's event: for that rule alone, whatever its pattern.
      if (rule.arn != e.rule_arn) continue;
    } else {
      if (rule.bus != e.bus) continue;  // a rule sees the events of its own bus only
      // A replay to some rules of the bus (its FilterArns) reaches those alone.
      if (!e.replay_rules.empty() && std::find(e.replay_rules.begin(), e.replay_rules.end(),
                                               rule.arn) == e.replay_rules.end()) {
        continue;
      }
      // As EventBridge: an ENABLED rule matches every event except read-only management
      // events delivered through CloudTrail (Get*, List*, Describe*, ... calls' records).
      if (e.read_only_management && !rule.all_management_events) continue;
      if (!rule.pattern || !rule.pattern->Matches(doc)) continue;
    }
    const domain::events::MatchContext match{rule.arn, rule.name, ingestion_time};
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
