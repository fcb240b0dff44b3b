// Secrets Manager's side of authorization: the context keys a request carries
// (secretsmanager:Name, SecretId, VersionId, VersionStage, KmsKeyId, KmsKeyArn, Description,
// BlockPublicPolicy, RecoveryWindowInDays, ForceDeleteWithoutRecovery, RotationLambdaARN,
// RotateImmediately, ModifyRotationRules, AddReplicaRegions, ForceOverwriteReplicaSecret;
// aws:RequestTag/K and aws:TagKeys). The secret's own keys (secretsmanager:SecretPrimaryRegion,
// secretsmanager:resource/AllowRotationLambdaArn, its tags) are added where the secret is
// known (SecretsManagerService::AuthorizeSecret / AuthorizeCreate).
#pragma once

#include <string>
#include <string_view>

#include "auth/policy/request_context.h"
#include "common/json.h"

namespace arcana::services::sm {

// `operation` (e.g. "RotateSecret") decides the keys a request carries whether or not the
// member is present (RotateSecret: RotateImmediately defaults to true, ModifyRotationRules is
// whether RotationRules is given). KmsKeyArn is KmsKeyId as a key ARN when it names a key by
// ARN or id (region and account: the caller's); an alias is not resolved (no key then).
auth::policy::ContextKeys SmRequestKeys(std::string_view operation, const json::Input& in,
                                        const std::string& region, const std::string& account);

}  // namespace arcana::services::sm
