// Authorization of KMS calls (auth/authorizer.h): the key a call uses, its key policy and
// grants, and what the policy engine may read about the request. No policy logic here.
#include "services/kms/kms_access.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <string_view>

#include "auth/authorizer.h"
#include "auth/policy/policy.h"
#include "domain/kms/rules.h"
#include "services/common/request_tags.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace {

// A Unix time as a condition value: whole seconds as an integer, a fraction kept otherwise.
std::string UnixTimeText(double seconds) {
  if (seconds == std::floor(seconds) && std::fabs(seconds) < 1e15) {
    return std::to_string(static_cast<int64_t>(seconds));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  return buf;
}

bool OneOf(std::string_view operation, std::initializer_list<std::string_view> operations) {
  return std::find(operations.begin(), operations.end(), operation) != operations.end();
}

// The members an operation's encryption context and algorithm come from (KMS API model), or
// nullptr when it has none.
struct CryptoMembers {
  const char* context = nullptr;
  const char* algorithm = nullptr;
};

CryptoMembers CryptoMembersOf(std::string_view operation, ReEncryptEnd end) {
  if (operation == "Encrypt" || operation == "Decrypt") {
    return {"EncryptionContext", "EncryptionAlgorithm"};
  }
  // The data key operations take no algorithm: AuthorizeKey sets SYMMETRIC_DEFAULT.
  if (OneOf(operation, {"GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                        "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"})) {
    return {"EncryptionContext", nullptr};
  }
  if (operation == "ReEncrypt") {
    return end == ReEncryptEnd::kSource
               ? CryptoMembers{"SourceEncryptionContext", "SourceEncryptionAlgorithm"}
               : CryptoMembers{"DestinationEncryptionContext", "DestinationEncryptionAlgorithm"};
  }
  return {};
}

}  // namespace

auth::policy::ContextKeys KmsRequestKeys(std::string_view operation, const json::Input& in,
                                         ReEncryptEnd end) {
  auth::policy::ContextKeys keys;
  const CryptoMembers crypto = CryptoMembersOf(operation, end);
  if (crypto.context != nullptr) {
    if (const auto* ec = in.Get(crypto.context); ec != nullptr && ec->IsObject()) {
      std::vector<std::string> names;
      for (const auto& m : ec->GetObject()) {
        if (!m.value.IsString()) continue;
        std::string k = m.name.GetString();
        keys.Set("kms:EncryptionContext:" + k, m.value.GetString());
        names.push_back(std::move(k));
      }
      keys.SetList("kms:EncryptionContextKeys", std::move(names));
    }
  }
  if (crypto.algorithm != nullptr) {
    if (auto v = in.Str(crypto.algorithm)) keys.Set("kms:EncryptionAlgorithm", *v);
  }
  // KeySpec, KeyUsage, Origin and MultiRegion are not read here: kms:KeySpec and its kin
  // describe the KMS key (AddKeyPropertyKeys, AddCreateKeyPropertyKeys), and GenerateDataKey's
  // KeySpec names the data key. Each member is read only for the operations that have it.
  struct Member {
    const char* member;
    const char* key;
    std::initializer_list<std::string_view> operations;
  };
  const Member strings[] = {
      {"SigningAlgorithm", "kms:SigningAlgorithm", {"Sign", "Verify"}},
      {"MacAlgorithm", "kms:MacAlgorithm", {"GenerateMac", "VerifyMac"}},
      {"MessageType", "kms:MessageType", {"Sign", "Verify"}},
      {"GranteePrincipal", "kms:GranteePrincipal", {"CreateGrant", "ListGrants"}},
      {"RetiringPrincipal", "kms:RetiringPrincipal", {"CreateGrant", "ListRetirableGrants"}},
      {"GranteeServicePrincipal", "kms:GranteeServicePrincipal", {"CreateGrant", "ListGrants"}},
      {"RetiringServicePrincipal", "kms:RetiringServicePrincipal",
       {"CreateGrant", "ListRetirableGrants"}},
      {"KeyPairSpec", "kms:DataKeyPairSpec",
       {"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"}},
      {"ReplicaRegion", "kms:ReplicaRegion", {"ReplicateKey"}},
      {"PrimaryRegion", "kms:PrimaryRegion", {"UpdatePrimaryRegion"}},
      {"ExpirationModel", "kms:ExpirationModel", {"ImportKeyMaterial"}},
      {"WrappingAlgorithm", "kms:WrappingAlgorithm", {"GetParametersForImport"}},
      {"WrappingKeySpec", "kms:WrappingKeySpec", {"GetParametersForImport"}},
      {"KeyAgreementAlgorithm", "kms:KeyAgreementAlgorithm", {"DeriveSharedSecret"}},
  };
  for (const auto& m : strings) {
    if (!OneOf(operation, m.operations)) continue;
    if (auto v = in.Str(m.member)) keys.Set(m.key, *v);
  }
  if (OneOf(operation, {"CreateKey", "PutKeyPolicy", "ReplicateKey"})) {
    if (auto v = in.Bool("BypassPolicyLockoutSafetyCheck")) {
      keys.Set("kms:BypassPolicyLockoutSafetyCheck", *v ? "true" : "false");
    }
  }
  if (operation == "CreateGrant") {
    if (auto ops = in.StrList("Operations")) keys.SetList("kms:GrantOperations", std::move(*ops));
    if (const auto* c = in.Get("Constraints"); c != nullptr && c->IsObject()) {
      if (auto it = c->FindMember("SourceArn"); it != c->MemberEnd() && it->value.IsString()) {
        keys.Set("kms:GrantConstraintSourceArn", it->value.GetString());
      }
      // "The grant constraint can be one of two types: EncryptionContextEquals or
      // EncryptionContextSubset" (CreateGrant refuses both at once). The constraint's pairs
      // are the grant's, not this request's encryption context (CreateGrant has none).
      for (const char* type : {"EncryptionContextEquals", "EncryptionContextSubset"}) {
        if (auto it = c->FindMember(type); it != c->MemberEnd() && it->value.IsObject()) {
          keys.Set("kms:GrantConstraintType", type);
        }
      }
    }
  }
  // The numeric parameters, as numbers: ScheduleKeyDeletion's waiting period,
  // EnableKeyRotation's rotation period, ImportKeyMaterial's ValidTo in Unix time (the guide's
  // example compares it with NumericLessThanEquals "1546257599.0"; whole seconds also suit the
  // Date operators). AddOperationDefaultKeys adds the defaults of the first two.
  if (operation == "ScheduleKeyDeletion") {
    if (auto v = in.Int("PendingWindowInDays")) {
      keys.Set("kms:ScheduleKeyDeletionPendingWindowInDays", std::to_string(*v));
    }
  }
  if (operation == "EnableKeyRotation") {
    if (auto v = in.Int("RotationPeriodInDays")) {
      keys.Set("kms:RotationPeriodInDays", std::to_string(*v));
    }
  }
  if (operation == "ImportKeyMaterial") {
    if (auto v = in.Number("ValidTo")) keys.Set("kms:ValidTo", UnixTimeText(*v));
  }
  // Tags (CreateKey, ReplicateKey, TagResource) or TagKeys (UntagResource), only the one the
  // operation has.
  if (OneOf(operation, {"CreateKey", "ReplicateKey", "TagResource"})) {
    AddRequestTagKeys(in, TagChange::kSets, "Tags", "TagKey", "TagValue", &keys);
  } else if (operation == "UntagResource") {
    AddRequestTagKeys(in, TagChange::kRemoves, "Tags", "TagKey", "TagValue", &keys);
  }
  return keys;
}

void AddOperationDefaultKeys(std::string_view operation, const json::Input& in,
                             auth::policy::ContextKeys* keys) {
  // "This type of condition works even when the parameter doesn't appear in the request, such
  // as when you use the parameter's default value" (developer guide, AWS KMS condition keys):
  // a Deny on a short waiting period or a long rotation period must see the default too.
  if (operation == "ScheduleKeyDeletion" && !in.Has("PendingWindowInDays")) {
    keys->Set("kms:ScheduleKeyDeletionPendingWindowInDays",
              std::to_string(domain::kms::kDefaultPendingWindowDays));
  }
  if (operation == "EnableKeyRotation" && !in.Has("RotationPeriodInDays")) {
    keys->Set("kms:RotationPeriodInDays", std::to_string(domain::kms::kDefaultRotationPeriodDays));
  }
  // kms:GrantIsForAWSResource is true only when "an AWS service integrated with AWS KMS calls
  // the operation on the user's behalf". No service of this server makes grants, so every
  // CreateGrant, ListGrants and RevokeGrant is the caller's own: false, which a Deny with
  // Bool false (AWS Managed Services' "Deny if grant is not for AWS resource") matches.
  if (operation == "CreateGrant" || operation == "ListGrants" || operation == "RevokeGrant") {
    keys->Set("kms:GrantIsForAWSResource", "false");
  }
}

std::vector<std::pair<std::string, std::string>> KeyPropertyKeys(const Key& key) {
  std::vector<std::pair<std::string, std::string>> out = {
      {"kms:KeySpec", key.key_spec},
      {"kms:CustomerMasterKeySpec", key.key_spec},
      {"kms:KeyUsage", key.key_usage},
      {"kms:CustomerMasterKeyUsage", key.key_usage},
      {"kms:KeyOrigin", key.origin},
      {"kms:MultiRegion", key.multi_region ? "true" : "false"}};
  if (key.multi_region) {
    out.emplace_back("kms:MultiRegionKeyType", key.is_replica() ? "REPLICA" : "PRIMARY");
  }
  return out;
}

void AddKeyPropertyKeys(const Key& key, auth::policy::ContextKeys* keys) {
  for (auto& [k, v] : KeyPropertyKeys(key)) keys->Set(k, std::move(v));
}

void AddCreateKeyPropertyKeys(const json::Input& in, auth::policy::ContextKeys* keys) {
  // Only the properties matter: an invalid combination is CreateKey's own error, after this
  // authorization, as on AWS.
  Key created;
  created.key_spec =
      in.Str("KeySpec").value_or(in.Str("CustomerMasterKeySpec").value_or("SYMMETRIC_DEFAULT"));
  created.key_usage = in.Str("KeyUsage").value_or("ENCRYPT_DECRYPT");
  created.origin = in.Str("Origin").value_or(domain::kms::kOriginAwsKms);
  created.multi_region = in.Bool("MultiRegion").value_or(false);
  AddKeyPropertyKeys(created, keys);
}

Status CheckStorableKeyPolicy(std::string_view policy, const PrincipalExists& exists) {
  ARCANA_RETURN_IF_ERROR(domain::kms::ValidateKeyPolicy(policy));
  auto compiled = auth::policy::ParsePolicy(policy, auth::policy::PolicyUse::kResource);
  if (!compiled.ok()) return domain::kms::MalformedKeyPolicy(compiled.status().message());
  if (!exists) return Status::Ok();
  ARCANA_ASSIGN_OR_RETURN(auto named, domain::iam::NamedPrincipalsOf(std::string(policy)));
  for (const auto& p : named) {
    ARCANA_ASSIGN_OR_RETURN(bool found, exists(p));
    if (!found) return domain::kms::InvalidKeyPolicyPrincipals();
  }
  return Status::Ok();
}

auth::policy::KmsGrantView GrantView(const domain::kms::Grant& g) {
  return auth::policy::KmsGrantView{g.grantee_principal, g.operations, g.ec_equals,
                                    g.ec_subset, g.source_arn, g.grantee_is_service};
}

auth::KmsGrantPage GrantPagesOf(storage::KmsStore& store, const Key& key) {
  return [&store, scope = storage::Scope{key.account, key.region}, key_id = key.key_id](
             const std::string& after,
             std::string* last) -> Result<std::vector<auth::policy::KmsGrantView>> {
    ARCANA_ASSIGN_OR_RETURN(auto page,
                            store.ListKmsGrants(scope, key_id, after, storage::kMaxListLimit));
    std::vector<auth::policy::KmsGrantView> out;
    out.reserve(page.size());
    for (const auto& g : page) out.push_back(GrantView(g));
    if (!page.empty()) *last = page.back().grant_id;
    return out;
  };
}

// The actions of the cryptographic operations a symmetric encryption key takes.
static bool IsCryptographicAction(std::string_view action) {
  static constexpr std::string_view kActions[] = {
      "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
      "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair",
      "kms:GenerateDataKeyPairWithoutPlaintext"};
  return std::find(std::begin(kActions), std::end(kActions), action) != std::end(kActions);
}

namespace {

// Whether `text` may name the condition key `lower_name` (lower-cased): it contains it, in any
// case, or it has a JSON escape, which could spell it otherwise.
bool MayName(std::string_view text, std::string_view lower_name) {
  if (text.find("\\u") != std::string_view::npos) return true;
  auto it = std::search(text.begin(), text.end(), lower_name.begin(), lower_name.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) == b;
                        });
  return it != text.end();
}

// Whether a policy that decides this call on `key` may read the condition key `lower_name`:
// the key policy, the caller's identity policies, permissions boundary and session policies.
// A key that none of them names cannot change the decision, so what only it needs (a store
// query, kms:ResourceAliases) is left out of the calls that AWS and this server answer from
// their caches.
bool PoliciesMayRead(const CallContext& ctx, const Key& key, std::string_view lower_name) {
  if (MayName(key.policy, lower_name)) return true;
  auth::Principal scratch;
  const auth::Principal& p = auth::CallerOf(ctx, &scratch);
  for (const auto& src : p.identity_policies) {
    if (MayName(src.json, lower_name)) return true;
  }
  for (const auto& src : p.session_policies) {
    if (MayName(src.json, lower_name)) return true;
  }
  return p.permissions_boundary && MayName(p.permissions_boundary->json, lower_name);
}

}  // namespace

Status KmsService::AuthorizeKey(const CallContext& ctx, const Key& key,
                                const auth::policy::KmsGrantView* requested_grant,
                                std::string_view request_alias) {
  if (ctx.authorizer == nullptr) return Status::Ok();
  auth::AccessRequest req;
  req.action = ctx.action;
  req.resource_arn = key.arn;
  req.resource_account = key.account;
  req.resource_tags = &key.tags;
  // An AWS-managed key's policy is AWS's, not the account's: for its management operations
  // identity policies (and the root) decide, and the operations no one may run on it are
  // refused by the handlers (UnsupportedOperationException) as before. Its cryptographic
  // operations are decided by its policy as on AWS ("you cannot use AWS managed keys in
  // cryptographic operations directly; the service that creates them uses them on your
  // behalf", KMS concepts): that policy allows them only with kms:ViaService of its service,
  // which a direct call never has (the services' own uses are auth::CallerKeyUse's).
  if (!key.aws_managed() || IsCryptographicAction(req.action)) {
    req.resource_policy = &key.policy;
    req.resource_policy_id = key.arn + "/default";
    req.kms_key = true;
  }
  if (ctx.request_keys) req.keys = *ctx.request_keys;
  AddKeyPropertyKeys(key, &req.keys);
  // "The encryption algorithm used in the operation, even when the algorithm isn't specified
  // in the request": SYMMETRIC_DEFAULT, the only one of the data key operations and the
  // default of the others.
  if (IsCryptographicAction(req.action) && !req.keys.Has("kms:EncryptionAlgorithm")) {
    req.keys.Set("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
  }
  if (!request_alias.empty()) req.keys.Set("kms:RequestAlias", std::string(request_alias));
  if (PoliciesMayRead(ctx, key, "kms:resourcealiases")) {
    // The aliases of the key in its own account and Region, whatever named it in the request.
    ARCANA_ASSIGN_OR_RETURN(auto aliases,
                            ring_.store().ListKmsAliases({key.account, key.region}, key.key_id,
                                                         "", storage::kMaxListLimit));
    std::vector<std::string> names;
    names.reserve(aliases.size());
    for (auto& a : aliases) names.push_back(std::move(a.name));
    // A key without aliases has no value for the key (ForAnyValue fails, ForAllValues and
    // Null hold), as AWS describes it.
    if (!names.empty()) req.keys.SetList("kms:ResourceAliases", std::move(names));
  }
  if (requested_grant != nullptr) req.requested_grant = *requested_grant;
  auth::policy::Decision d = auth::DecideKmsKeyAccess(ctx, req, GrantPagesOf(ring_.store(), key));
  if (d.allowed()) return Status::Ok();
  auth::Principal scratch;
  return Status(ErrorCode::kAccessDenied,
                auth::policy::DenialMessage(auth::CallerOf(ctx, &scratch), req.action,
                                            req.resource_arn, d));
}

namespace {
// Grants stored before IssuingAccount was recorded were all created in the key's account.
std::string IssuingAccountOf(const domain::kms::Grant& grant) {
  return grant.issuing_account.empty() ? "arn:aws:iam::" + grant.account + ":root"
                                       : grant.issuing_account;
}
}  // namespace

Status KmsService::AuthorizeRetireGrant(const CallContext& ctx, const Key& key,
                                        const domain::kms::Grant& grant) {
  if (ctx.authorizer == nullptr) return Status::Ok();
  // AWS (RetireGrant): "This operation can be called by the retiring principal for a grant, by
  // the grantee principal if the grant allows the RetireGrant operation, and by the Amazon Web
  // Services account in which the grant is created"; "The kms:RetireGrant permission alone does
  // not allow principals to retire a grant" (developer guide, grant-delete). So no policy is
  // evaluated: the grant decides. "The account in which the grant is created" is the grant's
  // IssuingAccount, which is not the key's account when another account created the grant on
  // the key by its ARN; AWS documents no right of the key's account here (it has RevokeGrant).
  auth::Principal scratch;
  const auth::Principal& p = auth::CallerOf(ctx, &scratch);
  auto names_caller = [&](const std::string& principal) {
    return !principal.empty() && (principal == p.arn || principal == p.principal_arn);
  };
  const bool lists_retire = std::find(grant.operations.begin(), grant.operations.end(),
                                      "RetireGrant") != grant.operations.end();
  if (names_caller(grant.retiring_principal) ||
      (lists_retire && names_caller(grant.grantee_principal)) ||
      (p.type == auth::Principal::Type::kRoot &&
       "arn:aws:iam::" + p.account + ":root" == IssuingAccountOf(grant))) {
    return Status::Ok();
  }
  // AWS documents no message for this refusal; this one has the form of its other
  // AccessDeniedException messages.
  return Status(ErrorCode::kAccessDenied,
                "User: " + p.arn + " is not authorized to perform: kms:RetireGrant on resource: " +
                    key.arn + " because it is not the grant's retiring principal, nor its "
                    "grantee principal with the RetireGrant operation, nor the grant's issuing account");
}

Status KmsService::CheckPolicyLockout(const In& in, const CallContext& ctx, const Key& key) {
  if (ctx.authorizer == nullptr || in.Bool("BypassPolicyLockoutSafetyCheck").value_or(false)) {
    return Status::Ok();
  }
  auth::AccessRequest req;
  req.action = "kms:PutKeyPolicy";
  req.resource_arn = key.arn;
  req.resource_account = key.account;
  req.resource_tags = &key.tags;
  req.resource_policy = &key.policy;
  req.resource_policy_id = key.arn + "/default";
  req.kms_key = true;
  AddKeyPropertyKeys(key, &req.keys);
  auth::policy::Decision d = ctx.authorizer->Decide(ctx, req);
  if (d.allowed()) return Status::Ok();
  // A policy that gives the account (its root) PutKeyPolicy hands the decision to the
  // account's IAM policies: it does not lock the caller out, even if no IAM policy grants it
  // PutKeyPolicy today. An explicit deny of the caller does.
  if (d.decision != auth::policy::EvalDecision::kExplicitDeny && ctx.principal) {
    CallContext as_account = ctx;
    as_account.principal.reset();
    as_account.principal_arn = "arn:aws:iam::" + key.account + ":root";
    if (ctx.authorizer->Decide(as_account, req).allowed()) return Status::Ok();
  }
  return Status(ErrorCode::kKmsMalformedPolicyDocument,
                "The new key policy will not allow you to update the key policy in the future.");
}

}  // namespace arcana::services::kms
