#include "domain/secretsmanager/rotation_schedule.h"

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
  ScheduleFrom(rot, rot.last_rotated_ms.value_or(now_ms));
}

void ScheduleFromNow(RotationConfig& rot, int64_t now_ms) { ScheduleFrom(rot, now_ms); }

}  // namespace arcana::domain::sm
