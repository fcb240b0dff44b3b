// The staging-label rules of Secrets Manager, as pure functions over a Secret:
// where a new version's labels come from, how AWSCURRENT's move drags AWSPREVIOUS along,
// UpdateSecretVersionStage's RemoveFromVersionId rule, and pruning of deprecated versions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "domain/secretsmanager/secret.h"

namespace arcana::domain::sm {

inline constexpr size_t kMaxVersions = 100;
inline constexpr size_t kMaxLabelsPerSecret = 20;
inline constexpr int64_t kVersionMinAgeMs = 24LL * 3600 * 1000;

// Attaches `stages` to the version `version_id` (already in s.versions), detaching each
// from whichever version held it. When AWSCURRENT moves, AWSPREVIOUS moves to the version
// AWSCURRENT left. Fails with kLimitExceeded over 20 labels attached across all versions of
// the secret (AWS's quota).
Status AttachStages(Secret& s, const std::string& version_id,
                    const std::vector<std::string>& stages);

// AttachStages for a version given a value by PutSecretValue / UpdateSecret. When it takes
// AWSCURRENT, the version that held AWSCURRENT also loses AWSPENDING if it carried it (the
// label a finished rotation leaves there): AWS leaves that version with AWSPREVIOUS alone
// (recorded: [AWSCURRENT, AWSPENDING] becomes [AWSPREVIOUS] after a PutSecretValue).
Status AttachStagesToNewValue(Secret& s, const std::string& version_id,
                              const std::vector<std::string>& stages);

// A manual new version (PutSecretValue / UpdateSecret creating a version other than the
// rotation's own, which fills its empty AWSPENDING version) abandons a rotation in progress:
// "When you manually create a new version of a secret, you send a message signalling the
// abandonment of the current ongoing rotation in favor of the new secret version. As a
// result, Secrets Manager removes the AWSPENDING label to allow future rotations to succeed"
// (AWS user guide, RotationAbandoned). Call it before the new version is added: AWSPENDING
// leaves the version holding it (an empty placeholder goes altogether). Returns the id of the
// abandoned rotation's version; "" when no rotation was in progress (AWSPENDING absent, or
// left on the current version by a finished rotation, which loses it as well).
std::string AbandonRotation(Secret& s);

// UpdateSecretVersionStage. Errors: kInvalidParameter (unknown versions, label attached
// elsewhere without naming it in remove_from, also when neither version is named),
// kLimitExceeded. Neither version named and the label attached nowhere: Ok, no change.
Status MoveStage(Secret& s, const std::string& stage, const std::string& remove_from,
                 const std::string& move_to);

// Drops deprecated (unlabelled) versions, oldest first, while more than kMaxVersions
// remain, never those younger than 24 h. Returns the dropped version ids.
std::vector<std::string> PruneVersions(Secret& s, int64_t now_ms);

// kLimitExceeded when adding one more version would exceed the quota even after pruning.
Status CheckVersionQuota(const Secret& s, int64_t now_ms);

}  // namespace arcana::domain::sm
