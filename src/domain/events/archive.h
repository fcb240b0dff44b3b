// EventBridge archives and replays as Arcana stores them (storage/event_rule_store.h: each a
// JSON document under its name in its account and region). An archive keeps the events of
// one event bus that match its pattern (every event of the bus without one) for its retention
// (0 days: for ever); a replay puts an archive's events of a time range back onto that bus,
// to all its rules or to the rules FilterArns names, each event with a "replay-name" member.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace arcana::domain::events {

// RetentionDays is the model's "integer", a 32-bit value: larger ones are refused (they were
// stored, and days * 86,400,000 overflowed int64: events expired at once or never).
inline constexpr int64_t kMaxRetentionDays = 2'147'483'647;

// A retention of `days` in milliseconds, saturating: days outside [0, kMaxRetentionDays]
// (a stored value from before the bound) count as 0 or kMaxRetentionDays, so the product,
// and an event's time plus it, stay far inside int64 (about 1.9e17 ms).
inline int64_t RetentionMs(int64_t days) {
  if (days <= 0) return 0;
  return (days > kMaxRetentionDays ? kMaxRetentionDays : days) * int64_t{86'400'000};
}

struct Archive {
  std::string name;
  std::string arn;         // arn:aws:events:<region>:<account>:archive/<name>
  std::string source_arn;  // the event bus's ARN
  std::string bus;         // the event bus's name
  std::string description;
  std::string event_pattern;  // "" when it keeps every event of the bus
  int64_t retention_days = 0;  // 0: kept for ever
  std::string state = "ENABLED";
  int64_t created_ms = 0;
};

struct Replay {
  std::string name;
  std::string arn;          // arn:aws:events:<region>:<account>:replay/<name>
  std::string description;
  std::string state;        // STARTING, RUNNING, CANCELLING, COMPLETED, CANCELLED, FAILED
  std::string state_reason;
  std::string source_arn;   // the archive's ARN
  std::string archive;      // the archive's name
  std::string destination_arn;  // the event bus's ARN (the archive's own bus)
  std::string destination_bus;  // its name
  std::vector<std::string> filter_arns;  // rules of that bus; empty: all of them
  int64_t event_start_ms = 0;
  int64_t event_end_ms = 0;
  std::optional<int64_t> last_replayed_ms;  // the time of the last event replayed
  int64_t replay_start_ms = 0;
  std::optional<int64_t> replay_end_ms;
  int64_t progress_seq = 0;  // the last archived event replayed (a resumed run goes on)
};

std::string EncodeArchive(const Archive& a);
// Errors: kInternalServiceError for a document EncodeArchive did not write.
Result<Archive> DecodeArchive(const std::string& document);
std::string EncodeReplay(const Replay& r);
Result<Replay> DecodeReplay(const std::string& document);

// A replay that has ended (COMPLETED, CANCELLED or FAILED): nothing more happens to it.
bool ReplayEnded(const Replay& r);

// The event as a replay sends it: its members as archived, with "replay-name": replay after
// "region" (as AWS's replayed events have it). nullopt when event_json is no JSON object.
std::optional<std::string> ReplayedEventJson(const std::string& event_json,
                                             const std::string& replay);

}  // namespace arcana::domain::events
