// KMS's side of authorization: the context keys a request carries (kms:EncryptionContext:K,
// kms:EncryptionContextKeys, kms:KeySpec, kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion,
// kms:EncryptionAlgorithm, kms:SigningAlgorithm, kms:MacAlgorithm, kms:MessageType,
// kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal, kms:DataKeyPairSpec,
// kms:BypassPolicyLockoutSafetyCheck; aws:RequestTag/K and aws:TagKeys).
#pragma once

#include <string_view>

#include "auth/authorizer.h"
#include "auth/policy/request_context.h"
#include "common/json.h"
#include "common/status.h"
#include "domain/kms/key.h"
#include "storage/kms_store.h"

namespace arcana::services::kms {

// ec_member: the request member whose encryption context becomes kms:EncryptionContext:K
// and kms:EncryptionContextKeys; by default EncryptionContext, or ReEncrypt's
// DestinationEncryptionContext (its kms:ReEncryptTo check). ReEncrypt's kms:ReEncryptFrom
// check on the source key passes "SourceEncryptionContext": that authorization is for the
// decryption of the source ciphertext, whose context is the source one (a grant's
// EncryptionContextSubset/Equals constraint and key-policy conditions must see it, not the
// destination context the caller picks freely).
auth::policy::ContextKeys KmsRequestKeys(const json::Input& in, const char* ec_member = nullptr);

// A key policy a caller gives (CreateKey, PutKeyPolicy, ReplicateKey) as it may be stored:
// domain::kms::ValidateKeyPolicy's size and shape rules, then the policy engine's grammar.
// What is stored is what the authorizer enforces: a document the engine cannot compile
// would lose its Deny statements, so it is MalformedPolicyDocumentException here, as AWS
// refuses it (Secrets Manager and Parameter Store check their resource policies alike).
Status CheckStorableKeyPolicy(std::string_view policy);

// A grant as the policy engine reads it.
auth::policy::KmsGrantView GrantView(const domain::kms::Grant& g);

// `key`'s grants from the store, a page at a time (auth::DecideKmsKeyAccess reads them all
// when the policies leave a request undecided). Holds `store` by reference.
auth::KmsGrantPage GrantPagesOf(storage::KmsStore& store, const domain::kms::Key& key);

}  // namespace arcana::services::kms
