// A secret's rotation schedule as stored (RotationConfig): NextRotationDate and the window a
// scheduled run waits for, counted from the previous rotation (rotation_rules.h computes the
// windows). No I/O.
//
// The previous rotation, for AutomaticallyAfterDays and rate() schedules, is the later of the
// last successful rotation run (LastRotatedDate) and the last manual value update: AWS's
// RotationRulesType says "Secrets Manager calculates the next rotation date based on the
// previous rotation. Manually updating the secret value by calling PutSecretValue or
// UpdateSecret is considered a valid rotation." LastRotatedDate itself stays the run's: AWS
// documents it as "The last date and time that Secrets Manager rotated the secret"
// (DescribeSecret) and "The most recent date and time that the Secrets Manager rotation
// process was successfully completed" (SecretListEntry), so a manual update does not change it.
// A cron schedule does not depend on the previous rotation.
#pragma once

#include <cstdint>

#include "domain/secretsmanager/rotation_rules.h"
#include "domain/secretsmanager/secret.h"

namespace arcana::domain::sm {

// The stored rules as RotationRulesType.
RotationRules RulesOf(const RotationConfig& rot);

// next_rotation_ms / next_window_start_ms: the next window counted from the previous rotation
// (see above), or from now_ms when the secret never rotated, when that window is already over
// (never a NextRotationDate in the past) and for a cron schedule (its next window after
// now_ms); cleared when the rules have no schedule.
void ScheduleFromPreviousRotation(RotationConfig& rot, int64_t now_ms);

// The same counted from now_ms whatever the previous rotation (an abandoned run: "not at the
// date that is already past").
void ScheduleFromNow(RotationConfig& rot, int64_t now_ms);

// A PutSecretValue or UpdateSecret made a new value AWSCURRENT at now_ms (never the
// rotation's own filling of its AWSPENDING version): with rotation enabled and a schedule
// counted from the previous rotation, that update is the previous rotation from now on.
// True when the schedule moved (the scheduled run's due time must follow).
bool CountManualUpdate(RotationConfig& rot, int64_t now_ms);

}  // namespace arcana::domain::sm
