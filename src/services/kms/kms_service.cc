#include "services/kms/kms_service.h"

#include <algorithm>

#include "auth/authorizer.h"
#include "services/kms/kms_access.h"

#include <spdlog/spdlog.h>

#include "crypto/base64.h"
#include "domain/kms/grants.h"
#include "domain/kms/rules.h"
#include "services/common/write_retry.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

KmsService::KmsService(KeyRing& ring)
    : ring_(ring),
      // AWS lists MacAlgorithmSpec's values in this order in its enum violation message, not
      // the model's (LocalStack's AWS-validated test_invalid_generate_mac and
      // test_invalid_verify_mac recordings). The recorded orders of KeySpec and KeyUsageType
      // are of older, shorter value sets, so theirs stay the model's.
      // Of the model's patterns only GrantNameType's is checked (a grant's Name is stored and
      // listed as given); alias names are checked by the alias handlers in their own order.
      validator_("kms", ErrorCode::kValidation, ModelValidator::Patterns::kIgnored,
                 {{"MacAlgorithmSpec", {"HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224",
                                        "HMAC_SHA_512"}}},
                 ModelValidator::ListValues::kPaths, /*unquoted_shapes=*/{},
                 {{"GrantNameType", &dk::MatchesNamePattern}}) {
  using S = KmsService;
  handlers_ = {
      {"CreateKey", &S::CreateKey},
      {"DescribeKey", &S::DescribeKey},
      {"ListKeys", &S::ListKeys},
      {"UpdateKeyDescription", &S::UpdateKeyDescription},
      {"EnableKey", &S::EnableKey},
      {"DisableKey", &S::DisableKey},
      {"ScheduleKeyDeletion", &S::ScheduleKeyDeletion},
      {"CancelKeyDeletion", &S::CancelKeyDeletion},
      {"CreateAlias", &S::CreateAlias},
      {"UpdateAlias", &S::UpdateAlias},
      {"DeleteAlias", &S::DeleteAlias},
      {"ListAliases", &S::ListAliases},
      {"Encrypt", &S::Encrypt},
      {"Decrypt", &S::Decrypt},
      {"ReEncrypt", &S::ReEncrypt},
      {"GenerateDataKey", &S::GenerateDataKey},
      {"GenerateDataKeyWithoutPlaintext", &S::GenerateDataKeyWithoutPlaintext},
      {"GenerateDataKeyPair", &S::GenerateDataKeyPair},
      {"GenerateDataKeyPairWithoutPlaintext", &S::GenerateDataKeyPairWithoutPlaintext},
      {"GenerateRandom", &S::GenerateRandom},
      {"Sign", &S::Sign},
      {"Verify", &S::Verify},
      {"GetPublicKey", &S::GetPublicKey},
      {"GenerateMac", &S::GenerateMac},
      {"VerifyMac", &S::VerifyMac},
      {"EnableKeyRotation", &S::EnableKeyRotation},
      {"DisableKeyRotation", &S::DisableKeyRotation},
      {"GetKeyRotationStatus", &S::GetKeyRotationStatus},
      {"RotateKeyOnDemand", &S::RotateKeyOnDemand},
      {"ListKeyRotations", &S::ListKeyRotations},
      {"GetKeyLastUsage", &S::GetKeyLastUsage},
      {"CreateGrant", &S::CreateGrant},
      {"ListGrants", &S::ListGrants},
      {"ListRetirableGrants", &S::ListRetirableGrants},
      {"RetireGrant", &S::RetireGrant},
      {"RevokeGrant", &S::RevokeGrant},
      {"GetKeyPolicy", &S::GetKeyPolicy},
      {"PutKeyPolicy", &S::PutKeyPolicy},
      {"ListKeyPolicies", &S::ListKeyPolicies},
      {"TagResource", &S::TagResource},
      {"UntagResource", &S::UntagResource},
      {"ListResourceTags", &S::ListResourceTags},
      {"DeriveSharedSecret", &S::DeriveSharedSecret},
      {"GetParametersForImport", &S::GetParametersForImport},
      {"ImportKeyMaterial", &S::ImportKeyMaterial},
      {"DeleteImportedKeyMaterial", &S::DeleteImportedKeyMaterial},
      {"ReplicateKey", &S::ReplicateKey},
      {"UpdatePrimaryRegion", &S::UpdatePrimaryRegion},
      {"DescribeCustomKeyStores", &S::DescribeCustomKeyStores},
      {"CreateCustomKeyStore", &S::CreateCustomKeyStore},
      {"ConnectCustomKeyStore", &S::CustomKeyStoreById},
      {"DisconnectCustomKeyStore", &S::CustomKeyStoreById},
      {"UpdateCustomKeyStore", &S::CustomKeyStoreById},
      {"DeleteCustomKeyStore", &S::CustomKeyStoreById},
  };
}

bool KmsService::MayAnswerInline(std::string_view operation) const {
  return operation == "Encrypt" || operation == "Decrypt" || operation == "ReEncrypt" ||
         operation == "GenerateDataKey" || operation == "GenerateDataKeyWithoutPlaintext" ||
         operation == "DescribeKey";
}

Result<std::string> KmsService::Call(std::string_view operation, const rapidjson::Value& input,
                                     const CallContext& ctx) {
  auto it = handlers_.find(std::string(operation));
  if (it == handlers_.end()) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "Operation " + std::string(operation) + " is not supported by this server.");
  }
  In in(input);
  if (ctx.authorizer == nullptr) return (this->*(it->second))(in, ctx);
  CallContext c = ctx;
  c.action = "kms:" + std::string(operation);
  // ReEncrypt's keys are those of its kms:ReEncryptTo check; the handler makes the source's.
  auth::policy::ContextKeys request_keys = KmsRequestKeys(operation, in);
  if (operation == "CreateKey") AddCreateKeyPropertyKeys(in, &request_keys);
  AddOperationDefaultKeys(operation, in, &request_keys);
  c.request_keys = std::make_shared<const auth::policy::ContextKeys>(std::move(request_keys));
  // Operations on no key are authorized on "*" (alias operations also on the alias); the
  // others once the key is resolved (ResolveKey, DoDecrypt).
  bool on_alias = operation == "CreateAlias" || operation == "UpdateAlias" ||
                  operation == "DeleteAlias";
  if (operation == "CreateKey" || operation == "ListKeys" || operation == "GenerateRandom" ||
      operation == "ListRetirableGrants" || on_alias || operation.ends_with("CustomKeyStore") ||
      operation == "DescribeCustomKeyStores" ||
      (operation == "ListAliases" && !in.Has("KeyId"))) {
    auth::AccessRequest req;
    req.action = c.action;
    req.resource_arn = "*";
    if (on_alias) {
      req.resource_arn = "arn:aws:kms:" + ctx.region + ":" + ctx.account + ":" +
                         in.Str("AliasName").value_or("");
    }
    // "The authorized resource in ListRetirableGrants calls is the retiring principal
    // specified in the request", which must be "a principal in your Amazon Web Services
    // account" (ListRetirableGrants API reference): another account's principal is another
    // account's resource, which no policy of the caller's account opens (AccessDenied).
    if (operation == "ListRetirableGrants") {
      const std::string principal = in.Str("RetiringPrincipal").value_or("");
      if (auto account = dk::PrincipalAccount(principal)) {
        req.resource_arn = principal;
        req.resource_account = *account;
      }
    }
    req.keys = *c.request_keys;
    ARCANA_RETURN_IF_ERROR(auth::Check(c, req));
    // CreateKey's Required permissions: "To use the Tags parameter, kms:TagResource (IAM
    // policy)", one that "must cover all KMS keys in the account and Region" (developer
    // guide, Managing KMS key tags): the key does not exist yet, so the permission is checked
    // on all of them. AWS's denial names no resource ("... is not authorized to perform:
    // kms:TagResource because no identity-based policy allows the kms:TagResource action").
    if (operation == "CreateKey" && in.Has("Tags")) {
      CallContext tagging = c;
      tagging.action = "kms:TagResource";
      req.action = tagging.action;
      req.resource_arn = "arn:aws:kms:" + ctx.region + ":" + ctx.account + ":key/*";
      req.denial_resource = "*";
      ARCANA_RETURN_IF_ERROR(auth::Check(tagging, req));
    }
  }
  return (this->*(it->second))(in, c);
}

Result<Key> KmsService::ResolveKey(std::string_view ref, const CallContext& ctx, bool allow_alias,
                                   bool create_aws_managed) {
  ARCANA_ASSIGN_OR_RETURN(Key key,
                          ResolveKeyToAuthorize(ref, ctx, allow_alias, create_aws_managed));
  // kms:RequestAlias: "the value of the KeyId parameter in the request must be a matching
  // alias name or alias ARN"; its value is the alias name either way.
  std::string request_alias;
  if (auto named = dk::ParseKeyRef(ref); named.ok() && named->is_alias()) {
    request_alias = named->value;
  }
  ARCANA_RETURN_IF_ERROR(AuthorizeKey(ctx, key, nullptr, request_alias));
  ctx.Touch(audit::kKmsKeyType, key.arn);
  return key;
}

namespace {

// The actions AWS lets another account perform with a key named by its key ARN or alias ARN
// ("Cross-account use: Yes" in the API reference): the cryptographic operations,
// DescribeKey, GetPublicKey, GetKeyRotationStatus and the grant operations CreateGrant,
// ListGrants, RetireGrant and RevokeGrant. Key management stays with the key's own account
// (another account's ARN is NotFoundException there). A bare key id always names a key of
// the caller's account ("To specify a KMS key in a different Amazon Web Services account, you
// must use the key ARN").
bool UsableFromAnotherAccount(std::string_view action) {
  static constexpr std::string_view kActions[] = {
      "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
      "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair",
      "kms:GenerateDataKeyPairWithoutPlaintext", "kms:DescribeKey", "kms:GetPublicKey",
      "kms:Sign", "kms:Verify", "kms:GenerateMac", "kms:VerifyMac", "kms:DeriveSharedSecret",
      "kms:GetKeyRotationStatus", "kms:CreateGrant", "kms:ListGrants", "kms:RetireGrant",
      "kms:RevokeGrant"};
  return std::find(std::begin(kActions), std::end(kActions), action) != std::end(kActions);
}

}  // namespace

Result<Key> KmsService::ResolveKeyToAuthorize(std::string_view ref, const CallContext& ctx,
                                              bool allow_alias, bool create_aws_managed) {
  ARCANA_RETURN_IF_ERROR(dk::ParseRequestKeyRef(ref, ctx.region, allow_alias).status());
  KeyRing::ResolveOptions o;
  o.allow_alias = allow_alias;
  o.create_aws_managed = create_aws_managed;
  o.allow_other_account = UsableFromAnotherAccount(ctx.action);
  return ring_.Resolve(ScopeOf(ctx), ref, ctx.now_ms, o);
}

Result<Key> KmsService::KeyFor(const In& in, const char* member, const CallContext& ctx,
                               bool create_aws_managed) {
  auto ref = in.Str(member);
  if (!ref) return Status(ErrorCode::kValidation, std::string(member) + " is required");
  return ResolveKey(*ref, ctx, /*allow_alias=*/true, create_aws_managed);
}

Result<Key> KmsService::ManagedKeyFor(const In& in, const char* member, const CallContext& ctx) {
  auto ref = in.Str(member);
  if (!ref) return Status(ErrorCode::kValidation, std::string(member) + " is required");
  return ResolveKey(*ref, ctx, /*allow_alias=*/false, /*create_aws_managed=*/false);
}

Status KmsService::CheckDryRun(const In& in) {
  if (in.Bool("DryRun").value_or(false)) {
    return Status(ErrorCode::kDryRunOperation,
                  "The request would have succeeded, but the DryRun option is set.");
  }
  return Status::Ok();
}

Result<crypto::EncryptionContext> KmsService::ContextOf(const In& in, const char* member) {
  crypto::EncryptionContext ec;
  const rapidjson::Value* v = in.Get(member);
  if (v == nullptr) return ec;
  if (!v->IsObject()) return Status(ErrorCode::kSerialization, std::string(member) + " must be a map");
  for (auto m = v->MemberBegin(); m != v->MemberEnd(); ++m) {
    if (!m->value.IsString()) {
      return Status(ErrorCode::kSerialization, std::string(member) + " values must be strings");
    }
    ec[std::string(m->name.GetString(), m->name.GetStringLength())] =
        std::string(m->value.GetString(), m->value.GetStringLength());
  }
  return ec;
}

void KmsService::NoteUse(const CallContext& ctx, const Key& key, std::string_view operation) {
  if (key_uses_ == nullptr) return;
  key_uses_->Note(key.account, key.region, key.key_id, ctx.now_ms, operation, ctx.request_id,
                  ctx.event_id);
}

Result<std::string> KmsService::BlobOf(const In& in, const char* member) {
  auto text = in.Str(member);
  if (!text) {
    return Status(ErrorCode::kValidation,
                  std::string("1 validation error detected: Value null at '") +
                      static_cast<char>(std::tolower(member[0])) + (member + 1) +
                      "' failed to satisfy constraint: Member must not be null");
  }
  auto raw = crypto::Base64Decode(*text);
  if (!raw) return Status(ErrorCode::kSerialization, std::string(member) + " is not valid base64");
  return std::move(*raw);
}

Status KmsService::Maintain(int64_t now_ms, const ServiceActionFn& report) {
  constexpr size_t kBatch = 100;
  ARCANA_ASSIGN_OR_RETURN(auto due, ring_.store().ListKmsKeysDue(now_ms, kBatch));
  Status first_error;
  for (const auto& listed : due) {
    Status st = MaintainKey({listed.account, listed.region}, listed.key_id, now_ms, report);
    if (!st.ok()) {
      spdlog::warn("kms: maintenance of key {} failed: {}", listed.arn, st.message());
      if (first_error.ok()) first_error = st;
    }
  }
  return first_error;
}

Status KmsService::MaintainKey(const storage::Scope& scope, const std::string& key_id,
                               int64_t now_ms, const ServiceActionFn& report) {
  // Each step re-reads the key and writes at the revision read: a CancelKeyDeletion, an
  // import or a rotation setting that commits first wins, and the re-read decides again.
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto fresh, ring_.store().GetKmsKey(scope, key_id));
    if (!fresh) return Status::Ok();
    if (fresh->deletion_ms && *fresh->deletion_ms <= now_ms) {
      spdlog::info("kms: deleting key {} (its deletion window ended)", fresh->arn);
      ARCANA_RETURN_IF_ERROR(ring_.Purge(*fresh, now_ms));
      if (report) report({"DeleteKey", audit::kKmsKeyType, fresh->arn, scope.account, scope.region});
      return Status::Ok();
    }
    if (fresh->key_state == dk::kStatePendingReplicaDeletion) {
      // The primary's waiting period starts when its last replica is gone.
      ARCANA_ASSIGN_OR_RETURN(auto related, ring_.RelatedKeys(*fresh));
      if (related.size() > 1) return Status::Ok();
      fresh->key_state = dk::kStatePendingDeletion;
      fresh->deletion_ms = now_ms + int64_t{fresh->pending_window_days} * 86400000;
      ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(*fresh, {}, "ScheduleKeyDeletion"));
      // Each write is reported right after it committed: its record claims its changes.
      if (report) report({"ScheduleKeyDeletion", audit::kKmsKeyType, fresh->arn, scope.account, scope.region});
      return Status::Ok();
    }
    if (dk::ApplyMaterialExpiry(*fresh, now_ms)) {
      spdlog::info("kms: imported key material of {} expired: deleting it", fresh->arn);
      storage::KmsKeyWrite write{*fresh, {}, {}};
      for (const auto& m : fresh->materials) {
        if (!m.imported) write.drop_material_ids.push_back(m.id);
      }
      // A multi-Region key's other regions may still hold the material: its row then stays.
      const std::string arn = fresh->arn;
      ARCANA_RETURN_IF_ERROR(ring_.WriteImportedMaterials({std::move(write)},
                                                          "ImportedKeyMaterialExpired", now_ms));
      // CloudTrail's name for it.
      if (report) report({"DeleteExpiredKeyMaterial", audit::kKmsKeyType, arn, scope.account, scope.region});
      return Status::Ok();
    }
    // Disabled (or pending deletion, pending import, ...) keys do not rotate; see
    // dk::NextMaintenanceMs.
    if (fresh->rotation_enabled && fresh->key_state == dk::kStateEnabled &&
        fresh->rotation_base_ms + int64_t{fresh->rotation_period_days} * 86400000 <= now_ms) {
      spdlog::info("kms: rotating key {} (automatic rotation due)", fresh->arn);
      ARCANA_RETURN_IF_ERROR(ring_.Rotate(*fresh, "AUTOMATIC", now_ms));
      if (report) report({"RotateKey", audit::kKmsKeyType, fresh->arn, scope.account, scope.region});
      return Status::Ok();
    }
    return Status::Ok();
  });
}

}  // namespace arcana::services::kms
