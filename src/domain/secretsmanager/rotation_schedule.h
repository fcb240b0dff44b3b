// A secret's rotation schedule as stored (RotationConfig): NextRotationDate and the window a
// scheduled run waits for, counted from the previous rotation (rotation_rules.h computes the
// windows). No I/O.
#pragma once

#include <cstdint>

#include "domain/secretsmanager/rotation_rules.h"
#include "domain/secretsmanager/secret.h"

namespace arcana::domain::sm {

// The stored rules as RotationRulesType.
RotationRules RulesOf(const RotationConfig& rot);

// next_rotation_ms / next_window_start_ms: the next window counted from the last successful
// rotation run, or from now_ms when the secret never rotated; cleared when the rules have no
// schedule.
void ScheduleFromPreviousRotation(RotationConfig& rot, int64_t now_ms);

// The same counted from now_ms whatever the previous rotation (an abandoned run: "not at the
// date that is already past").
void ScheduleFromNow(RotationConfig& rot, int64_t now_ms);

}  // namespace arcana::domain::sm
