// KMS's side of authorization: the context keys a request carries (kms:EncryptionContext:K,
// kms:EncryptionContextKeys, kms:KeySpec, kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion,
// kms:EncryptionAlgorithm, kms:SigningAlgorithm, kms:MacAlgorithm, kms:MessageType,
// kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal, kms:DataKeyPairSpec,
// kms:BypassPolicyLockoutSafetyCheck; aws:RequestTag/K and aws:TagKeys).
#pragma once

#include <string_view>

#include "auth/policy/request_context.h"
#include "common/json.h"
#include "common/status.h"

namespace arcana::services::kms {

auth::policy::ContextKeys KmsRequestKeys(const json::Input& in);

// A key policy a caller gives (CreateKey, PutKeyPolicy, ReplicateKey) as it may be stored:
// domain::kms::ValidateKeyPolicy's size and shape rules, then the policy engine's grammar.
// What is stored is what the authorizer enforces: a document the engine cannot compile
// would lose its Deny statements, so it is MalformedPolicyDocumentException here, as AWS
// refuses it (Secrets Manager and Parameter Store check their resource policies alike).
Status CheckStorableKeyPolicy(std::string_view policy);

}  // namespace arcana::services::kms
