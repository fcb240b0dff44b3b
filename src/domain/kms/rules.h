// KMS domain rules: identifiers (key ids, ARNs, aliases), key-state checks with the
// errors AWS raises, key policies (default document, structural validation), tags and
// list markers. Pure functions; no storage, no crypto beyond random ids.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "domain/kms/key.h"

namespace arcana::domain::kms {

inline constexpr int kDefaultPendingWindowDays = 30;
inline constexpr int kMinPendingWindowDays = 7;
inline constexpr int kMaxPendingWindowDays = 30;
inline constexpr int kDefaultRotationPeriodDays = 365;
inline constexpr int kMaxOnDemandRotations = 25;
inline constexpr size_t kMaxTagsPerKey = 50;
inline constexpr size_t kMaxAliasesPerKey = 50;
inline constexpr size_t kMaxGrantsPerKey = 50000;
inline constexpr size_t kMaxKeyPolicyBytes = 32768;
inline constexpr const char* kDefaultPolicyName = "default";

std::string NewKeyId(bool multi_region);        // UUID v4 or "mrk-" + 32 hex
std::string NewMaterialId();                     // 64 hex
std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id);
std::string AliasArn(std::string_view region, std::string_view account, std::string_view alias);

// How a caller named a key: key id, key ARN, alias name or alias ARN.
struct KeyRef {
  enum Kind { kKeyId, kKeyArn, kAliasName, kAliasArn } kind = kKeyId;
  std::string value;    // key id, or alias name ("alias/...")
  std::string region;   // from an ARN; empty otherwise
  std::string account;  // from an ARN; empty otherwise
  bool is_alias() const { return kind == kAliasName || kind == kAliasArn; }
};
// kInvalidArn for a malformed KMS ARN; never fails for a plain id or alias name.
Result<KeyRef> ParseKeyRef(std::string_view text);

// A key id as AWS issues them: a UUID, or "mrk-" + 32 hex digits (multi-Region keys).
bool IsWellFormedKeyId(std::string_view id);

// How a request names a key, checked the way AWS checks it before any lookup
// (kKmsNotFound, HTTP 400, in AWS's words):
// - a key ARN of another region than the caller's: "Invalid arn <that region>";
// - a key id (bare or inside a key ARN) that is not a UUID or mrk- id: "Invalid keyId '<id>'";
// - an alias (name or ARN) where the operation takes key ids and key ARNs only (allow_alias
//   false): AliasNotSupported();
// - a malformed KMS ARN: kInvalidArn (as ParseKeyRef).
Result<KeyRef> ParseRequestKeyRef(std::string_view text, std::string_view caller_region,
                                  bool allow_alias);

// An alias given to an operation that takes key ids and key ARNs only (GetKeyPolicy,
// CreateGrant, DisableKey, ...): InvalidArnException "Key Aliases are not supported for this
// operation." (kInvalidArn), as AWS answers (its own words, quoted by users of GetKeyPolicy
// and CreateGrant and by Lambda's CreateGrant failure "KMS Exception: InvalidArnException").
Status AliasNotSupported();

// Whether `name` matches ^[a-zA-Z0-9:/_-]+$, the model's pattern of AliasNameType and
// GrantNameType.
bool MatchesNamePattern(std::string_view name);

// Alias name rules for CreateAlias / UpdateAlias / DeleteAlias: pattern
// ^[a-zA-Z0-9:/_-]+$ and the "alias/" prefix (kValidation, as AWS answers), and the
// reserved "alias/aws/" prefix (kInvalidAliasName) unless allow_aws_reserved.
Status ValidateAliasName(std::string_view name, bool allow_aws_reserved);
bool IsAwsReservedAlias(std::string_view name);  // "alias/aws/..."
// CreateAlias's name: ValidateAliasName, and no ':' though the pattern allows it: AWS
// answers kValidation "<name> contains invalid characters for an alias".
Status ValidateNewAliasName(std::string_view name);
// CreateAlias / UpdateAlias TargetKeyId: an alias name or alias ARN is kValidation
// "Aliases must refer to keys. Not aliases" (before any lookup).
Status CheckAliasTargetIsKey(std::string_view target_key_id);

// State checks, each with AWS's error and message.
// For data-plane operations: Disabled -> kDisabled, PendingDeletion -> kKmsInvalidState.
Status CheckUsable(const Key& key);
// For data-plane operations also: PendingImport ("<arn> is pending import.") and
// PendingReplicaDeletion -> kKmsInvalidState.
// For management operations that any non-pending key allows (kKmsInvalidState; also
// PendingReplicaDeletion).
Status CheckNotPendingDeletion(const Key& key);
// EnableKey / DisableKey: as CheckNotPendingDeletion, and PendingImport (kKmsInvalidState).
Status CheckNotPendingImport(const Key& key);
// Operations of imported key material need Origin EXTERNAL: kUnsupportedOperation
// "<arn> origin is AWS_KMS which is not valid for this operation." otherwise.
Status CheckOriginExternal(const Key& key);
// kUnsupportedOperation "<arn> origin is <origin> which is not valid for this operation.",
// AWS's answer to an operation the key's origin does not allow (GetParametersForImport of an
// AWS_KMS key; automatic rotation of an EXTERNAL key, as LocalStack's AWS recording of
// RotateKeyOnDemand of one before 2025-06).
Status OriginNotValid(const Key& key);

// Imported key material whose ValidTo passed is gone (AWS deletes it): evaluated lazily on
// every read, so every node agrees at once without waiting for the maintenance job, which
// then deletes the sealed bytes. Marks each expired material not imported and, when one
// associated with the key expired (not NEW_KEY_MATERIAL still pending rotation), puts the
// key in PendingImport (unless pending deletion). True if anything changed.
bool ApplyMaterialExpiry(Key& key, int64_t now_ms);
// Whether material permanently associated with the key (not NEW_KEY_MATERIAL pending its
// rotation) is not imported now (deleted or expired), or the key has no current material:
// such a key is PendingImport until that material is imported again.
bool MissingImportedMaterial(const Key& key);
// The next time the maintenance job must look at the key (stored in the indexed
// rotation_due_ms column of both stores): its automatic rotation (an Enabled key's only),
// the earliest expiry of
// its imported material, or at once for a primary waiting for its replicas' deletion.
std::optional<int64_t> NextMaintenanceMs(const Key& key);

// Multi-Region keys with imported material (AWS: "Importing key material into multi-Region
// keys"): every related key imports, expires and deletes its copy of a material on its own,
// but the store keeps ONE sealed row per (key id, material id) for all of them.
// Of `candidates` (material ids some write no longer holds), the ones no key of `related`
// (every related key as it is about to be stored) still holds imported: only their rows may
// be dropped. Order of `candidates` is kept, duplicates are removed.
std::vector<std::string> UnheldMaterials(const std::vector<Key>& related,
                                         const std::vector<std::string>& candidates);
// The first region of `related` whose key has not imported material `material_id` (missing or
// PENDING_IMPORT), or nullopt when all have: RotateKeyOnDemand of a multi-Region key waits
// for every replica, and ListKeyRotations shows PENDING_MULTI_REGION_IMPORT_AND_ROTATION.
std::optional<std::string> RegionLackingImport(const std::vector<Key>& related,
                                               const std::string& material_id);
// RotateKeyOnDemand of an imported key: the material pending rotation becomes current
// (RotationType ON_DEMAND, dated now_ms). False (nothing changed) when none is pending.
bool PromotePendingMaterial(Key& key, int64_t now_ms);
// Callers cannot change AWS-managed keys (kUnsupportedOperation).
Status CheckCustomerManaged(const Key& key, std::string_view what);
// kInvalidKeyUsage unless the key's usage is `usage`.
Status CheckKeyUsage(const Key& key, std::string_view usage, std::string_view operation);

// The policy AWS attaches when CreateKey gets none: the account root may do kms:*.
std::string DefaultKeyPolicy(std::string_view account);
// kKmsMalformedPolicyDocument unless the text is a JSON object with a valid Version (if
// present), a non-empty Statement (object or array of objects), each statement with
// Effect Allow|Deny, a Principal (or NotPrincipal) and an Action (or NotAction); each
// "AWS" principal of the form IsKeyPolicyAwsPrincipal takes (InvalidKeyPolicyPrincipals).
// Only the shape: services/kms/kms_access.h CheckStorableKeyPolicy adds the policy
// engine's grammar (the domain does not know the engine).
Status ValidateKeyPolicy(std::string_view policy);
// kKmsMalformedPolicyDocument with Arcana's wording for a malformed key policy and `why`.
Status MalformedKeyPolicy(std::string_view why);
// AWS's answer to a key policy naming a principal that is malformed or does not exist:
// kKmsMalformedPolicyDocument "Policy contains a statement with one or more invalid
// principals." (ValidateKeyPolicy; KmsService looks the users and roles up).
Status InvalidKeyPolicyPrincipals();
// Whether `p`, an "AWS" principal of a key policy, has a principal's form: "*", a 12-digit
// account id, a user's or role's unique id (AIDA.../AROA...), or an ARN (no wildcard) of an
// account root (arn:aws:iam::ACCOUNT:root), an IAM user or role (user/[PATH/]NAME,
// role/[PATH/]NAME), an STS assumed-role session (assumed-role/ROLE/SESSION) or federated
// user. ValidateKeyPolicy refuses any other with InvalidKeyPolicyPrincipals.
bool IsKeyPolicyAwsPrincipal(std::string_view p);

// Tags: keys 1-128 chars, values 0-256 chars, no "aws:" prefix in any letter case, at
// most 50 per key. Every break is kTag with AWS's message ("Too many tags" over 50).
Status ValidateTags(const std::map<std::string, std::string>& merged);
// "aws:", "AWS:", "Aws:"...: the prefix is reserved in every letter case.
bool IsReservedTagKey(std::string_view key);
// The tag keys of one request: kTag "Duplicate tag keys" when a key repeats.
Status CheckNoDuplicateTagKeys(const std::vector<std::string>& keys);

// Pagination markers: opaque, versioned; kInvalidMarker when a marker was not issued here.
std::string EncodeMarker(std::string_view position);
Result<std::string> DecodeMarker(std::string_view marker);

// A page of `items` (sorted by `sort_key`) after the position in `marker`.
template <typename T, typename KeyFn>
Result<std::vector<T>> Page(const std::vector<T>& items, KeyFn sort_key, std::optional<int64_t> limit,
                            const std::optional<std::string>& marker, int64_t default_limit,
                            std::string* next_marker) {
  std::string after;
  if (marker) {
    ARCANA_ASSIGN_OR_RETURN(after, DecodeMarker(*marker));
  }
  size_t n = static_cast<size_t>(limit.value_or(default_limit));
  std::vector<T> out;
  next_marker->clear();
  for (const auto& it : items) {
    if (marker && !(sort_key(it) > after)) continue;
    if (out.size() == n) {
      *next_marker = EncodeMarker(sort_key(out.back()));
      break;
    }
    out.push_back(it);
  }
  return out;
}

}  // namespace arcana::domain::kms
