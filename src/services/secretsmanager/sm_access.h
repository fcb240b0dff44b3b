// Secrets Manager's side of authorization: the context keys a request carries
// (secretsmanager:Name, SecretId, VersionId, VersionStage, KmsKeyId, Description,
// BlockPublicPolicy, RecoveryWindowInDays, ForceDeleteWithoutRecovery, RotationLambdaARN,
// AddReplicaRegions, ForceOverwriteReplicaSecret; aws:RequestTag/K and aws:TagKeys).
#pragma once

#include "auth/policy/request_context.h"
#include "common/json.h"

namespace arcana::services::sm {

auth::policy::ContextKeys SmRequestKeys(const json::Input& in);

}  // namespace arcana::services::sm
