// KMS's side of authorization: the context keys a request carries (kms:EncryptionContext:K,
// kms:EncryptionContextKeys, kms:EncryptionAlgorithm, kms:SigningAlgorithm, kms:MacAlgorithm,
// kms:MessageType, kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal,
// kms:GrantConstraintType, kms:GrantIsForAWSResource, kms:DataKeyPairSpec,
// kms:BypassPolicyLockoutSafetyCheck, kms:ReplicaRegion, kms:PrimaryRegion,
// kms:ExpirationModel, kms:ValidTo, kms:WrappingAlgorithm, kms:WrappingKeySpec,
// kms:KeyAgreementAlgorithm, kms:ScheduleKeyDeletionPendingWindowInDays,
// kms:RotationPeriodInDays; ReEncrypt adds kms:ReEncryptOnSameKey; aws:RequestTag/K and
// aws:TagKeys) and those that describe the KMS key the operation creates
// or uses (kms:KeySpec, kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion, kms:MultiRegionKeyType;
// KmsService::AuthorizeKey adds kms:RequestAlias and kms:ResourceAliases).
#pragma once

#include <functional>
#include <string_view>

#include "auth/authorizer.h"
#include "auth/policy/request_context.h"
#include "common/json.h"
#include "common/status.h"
#include "domain/iam/trust_principals.h"
#include "domain/kms/key.h"
#include "storage/kms_store.h"

namespace arcana::services::kms {

// Which end of a ReEncrypt a set of request keys describes: its kms:ReEncryptTo check
// (DestinationEncryptionContext, DestinationEncryptionAlgorithm) or its kms:ReEncryptFrom
// check on the source key (SourceEncryptionContext, SourceEncryptionAlgorithm: that check
// authorizes decrypting the source ciphertext, so a grant's EncryptionContextSubset/Equals
// constraint and key-policy conditions must see the source context, not the destination one
// the caller picks freely). Other operations have one end.
enum class ReEncryptEnd { kDestination, kSource };

// The request keys of `operation` (the KMS API name: "Encrypt", "ReEncrypt", ...), each read
// only from a member that operation has in the KMS API model: kms:EncryptionContext:K and
// kms:EncryptionContextKeys from EncryptionContext (Encrypt, Decrypt, GenerateDataKey*,
// GenerateDataKeyPair*) or ReEncrypt's Source/DestinationEncryptionContext; kms:EncryptionAlgorithm
// from EncryptionAlgorithm (Encrypt, Decrypt) or ReEncrypt's Source/DestinationEncryptionAlgorithm.
// A member the operation does not take is ignored by its handler, so it must not feed
// authorization either: an Encrypt with a DestinationEncryptionContext uses no context, and a
// policy requiring kms:EncryptionContext:tenant must not see one.
auth::policy::ContextKeys KmsRequestKeys(std::string_view operation, const json::Input& in,
                                         ReEncryptEnd end = ReEncryptEnd::kDestination);

// The keys an operation's request has even without the parameter: its default
// (kms:ScheduleKeyDeletionPendingWindowInDays 30 for ScheduleKeyDeletion,
// kms:RotationPeriodInDays 365 for EnableKeyRotation), and kms:GrantIsForAWSResource "false"
// for CreateGrant, ListGrants and RevokeGrant (no AWS service calls them here).
void AddOperationDefaultKeys(std::string_view operation, const json::Input& in,
                             auth::policy::ContextKeys* keys);

// The keys that describe `key` ("the value of the <X> property of the KMS key that is created
// by or used in the operation", developer guide, AWS KMS condition keys): kms:KeySpec,
// kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion ("true"/"false"), kms:MultiRegionKeyType
// (PRIMARY or REPLICA, multi-Region keys only), and the deprecated kms:CustomerMasterKeySpec
// and kms:CustomerMasterKeyUsage, which "work the same way". They replace what the request
// said (GenerateDataKey's KeySpec is the data key's, not the KMS key's).
void AddKeyPropertyKeys(const domain::kms::Key& key, auth::policy::ContextKeys* keys);
// The same keys as (name, value) pairs, for a check made outside KMS (crypto::KeyUse).
std::vector<std::pair<std::string, std::string>> KeyPropertyKeys(const domain::kms::Key& key);

// CreateKey's: the same keys for the key the request creates, with each parameter's default
// when it is absent ("This type of condition works even when the parameter doesn't appear in
// the request"): KeySpec (or CustomerMasterKeySpec) SYMMETRIC_DEFAULT, KeyUsage
// ENCRYPT_DECRYPT, Origin AWS_KMS, MultiRegion false.
void AddCreateKeyPropertyKeys(const json::Input& in, auth::policy::ContextKeys* keys);

// Whether the IAM user or role a principal ARN names exists (IAM's own lookup, given by the
// server: services/iam/named_principals.h).
using PrincipalExists = std::function<Result<bool>(const domain::iam::NamedPrincipal&)>;

// A key policy a caller gives (CreateKey, PutKeyPolicy, ReplicateKey) as it may be stored:
// domain::kms::ValidateKeyPolicy's size and shape rules (principals included), then the
// policy engine's grammar, then - when `exists` is set - each user and role ARN among its
// "AWS" principals must name an existing identity, as AWS answers one that does not with
// MalformedPolicyDocumentException "Policy contains a statement with one or more invalid
// principals." (as IAM refuses such a trust policy: IamService::BindTrustPolicy).
// What is stored is what the authorizer enforces: a document the engine cannot compile
// would lose its Deny statements, so it is MalformedPolicyDocumentException here, as AWS
// refuses it (Secrets Manager and Parameter Store check their resource policies alike).
Status CheckStorableKeyPolicy(std::string_view policy, const PrincipalExists& exists);

// A grant as the policy engine reads it.
auth::policy::KmsGrantView GrantView(const domain::kms::Grant& g);

// `key`'s grants from the store, a page at a time (auth::DecideKmsKeyAccess reads them all
// when the policies leave a request undecided). Holds `store` by reference.
auth::KmsGrantPage GrantPagesOf(storage::KmsStore& store, const domain::kms::Key& key);

}  // namespace arcana::services::kms
