#include "domain/secretsmanager/rotation_schedule.h"

#include <algorithm>
#include <optional>

namespace arcana::domain::sm {
namespace {

void ScheduleFrom(RotationConfig& rot, int64_t from_ms) {
  auto w = NextRotationWindow(RulesOf(rot), from_ms / 1000);
  if (!w) {
    rot.next_rotation_ms.reset();
    rot.next_window_start_ms.reset();
    return;
  }
  rot.next_rotation_ms = w->end * 1000;
  rot.next_window_start_ms = w->start * 1000;
}

}  // namespace

RotationRules RulesOf(const RotationConfig& rot) {
  RotationRules rules;
  rules.automatically_after_days = rot.automatically_after_days;
  if (!rot.schedule_expression.empty()) rules.schedule_expression = rot.schedule_expression;
  if (!rot.duration.empty()) rules.duration = rot.duration;
  return rules;
}

void ScheduleFromPreviousRotation(RotationConfig& rot, int64_t now_ms) {
  // A cron schedule does not depend on the previous rotation: its next window after now.
  if (!CountsFromLastRotation(RulesOf(rot))) return ScheduleFrom(rot, now_ms);
  std::optional<int64_t> previous = rot.last_rotated_ms;
  if (rot.manually_rotated_ms) {
    previous = std::max(previous.value_or(*rot.manually_rotated_ms), *rot.manually_rotated_ms);
  }
  ScheduleFrom(rot, previous.value_or(now_ms));
  // A window already over (the previous rotation was longer ago than the new rules allow) is
  // no NextRotationDate: it would be in the past and rotate at once, outside any window.
  if (rot.next_rotation_ms && *rot.next_rotation_ms < now_ms) ScheduleFrom(rot, now_ms);
}

void ScheduleFromNow(RotationConfig& rot, int64_t now_ms) { ScheduleFrom(rot, now_ms); }

bool CountManualUpdate(RotationConfig& rot, int64_t now_ms) {
  if (!rot.enabled.value_or(false) || !CountsFromLastRotation(RulesOf(rot))) return false;
  rot.manually_rotated_ms = now_ms;
  const auto before = rot.next_window_start_ms;
  ScheduleFromPreviousRotation(rot, now_ms);
  return rot.next_window_start_ms != before;
}

}  // namespace arcana::domain::sm
