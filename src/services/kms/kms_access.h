// KMS's side of authorization: the context keys a request carries (kms:EncryptionContext:K,
// kms:EncryptionContextKeys, kms:KeySpec, kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion,
// kms:EncryptionAlgorithm, kms:SigningAlgorithm, kms:MacAlgorithm, kms:MessageType,
// kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal, kms:DataKeyPairSpec,
// kms:BypassPolicyLockoutSafetyCheck; aws:RequestTag/K and aws:TagKeys).
#pragma once

#include "auth/policy/request_context.h"
#include "common/json.h"

namespace arcana::services::kms {

auth::policy::ContextKeys KmsRequestKeys(const json::Input& in);

}  // namespace arcana::services::kms
