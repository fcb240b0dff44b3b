// Key lifecycle: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey,
// DisableKey, ScheduleKeyDeletion, CancelKeyDeletion.
#include "domain/kms/rules.h"
#include "domain/kms/specs.h"
#include "services/common/write_retry.h"
#include "services/kms/kms_access.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_paging.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {
// Tags from a TagList member ([{TagKey, TagValue}]), merged into `into`. A key given
// twice in one request is AWS's TagException, never a silent last-one-wins.
Status ReadTags(const json::Input& in, std::map<std::string, std::string>& into) {
  const rapidjson::Value* tags = in.Get("Tags");
  if (tags == nullptr) return Status::Ok();
  if (!tags->IsArray()) return Status(ErrorCode::kSerialization, "Tags must be a list");
  std::vector<std::string> keys;
  for (const auto& t : tags->GetArray()) {
    if (!t.IsObject() || !t.HasMember("TagKey") || !t["TagKey"].IsString() ||
        !t.HasMember("TagValue") || !t["TagValue"].IsString()) {
      return Status(ErrorCode::kTag, "Each tag needs a TagKey and a TagValue.");
    }
    keys.emplace_back(t["TagKey"].GetString(), t["TagKey"].GetStringLength());
  }
  ARCANA_RETURN_IF_ERROR(dk::CheckNoDuplicateTagKeys(keys));
  for (const auto& t : tags->GetArray()) {
    into[std::string(t["TagKey"].GetString(), t["TagKey"].GetStringLength())] =
        std::string(t["TagValue"].GetString(), t["TagValue"].GetStringLength());
  }
  return Status::Ok();
}
}  // namespace

Status ReadKmsTags(const json::Input& in, std::map<std::string, std::string>& into) {
  return ReadTags(in, into);
}

Result<std::string> KmsService::CreateKey(const In& in, const CallContext& ctx) {
  auto spec_in = in.Str("KeySpec");
  auto cmk_spec = in.Str("CustomerMasterKeySpec");
  if (spec_in && cmk_spec) {
    return Status(ErrorCode::kValidation,
                  "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
                  "CustomerMasterKeySpec is deprecated.");
  }
  std::string spec = spec_in.value_or(cmk_spec.value_or(""));
  std::string usage = in.Str("KeyUsage").value_or("");
  ARCANA_RETURN_IF_ERROR(dk::CheckSpecAndUsage(spec, usage));
  std::string origin = in.Str("Origin").value_or(dk::kOriginAwsKms);
  if (auto store = in.Str("CustomKeyStoreId")) return NoSuchCustomKeyStore(*store);
  if (origin != dk::kOriginAwsKms && origin != dk::kOriginExternal) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "Origin " + origin + " is not supported by this server (only AWS_KMS and "
                  "EXTERNAL).");
  }
  if (in.Has("XksKeyId")) {  // only with an external key store's CustomKeyStoreId
    return Status(ErrorCode::kUnsupportedOperation,
                  "Custom key stores are not supported by this server.");
  }
  Key key;
  key.account = ctx.account;
  key.region = ctx.region;
  key.multi_region = in.Bool("MultiRegion").value_or(false);
  key.key_id = dk::NewKeyId(key.multi_region);
  if (key.multi_region) key.primary_region = ctx.region;
  key.origin = origin;
  key.arn = dk::KeyArn(ctx.region, ctx.account, key.key_id);
  ctx.Touch(audit::kKmsKeyType, key.arn);
  key.created_ms = ctx.now_ms;
  key.description = in.Str("Description").value_or("");
  key.key_usage = usage;
  key.key_spec = spec;
  if (auto policy = in.Str("Policy")) {
    ARCANA_RETURN_IF_ERROR(CheckStorableKeyPolicy(*policy, principal_exists_));
    key.policy = *policy;
  } else {
    key.policy = dk::DefaultKeyPolicy(ctx.account);
  }
  ARCANA_RETURN_IF_ERROR(ReadTags(in, key.tags));
  ARCANA_RETURN_IF_ERROR(dk::ValidateTags(key.tags));
  if (in.Has("Policy")) ARCANA_RETURN_IF_ERROR(CheckPolicyLockout(in, ctx, key));
  key.rotation_period_days = dk::kDefaultRotationPeriodDays;
  if (key.external()) {
    // No material until ImportKeyMaterial.
    key.key_state = dk::kStatePendingImport;
    ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(key, {}, "CreateKey"));
    key.revision = 1;
  } else {
    // Key generation (RSA 4096 can take a while) happens outside any lock: the key is new.
    ARCANA_RETURN_IF_ERROR(ring_.CreateKey(key, ctx.now_ms));
  }
  return Body([&](json::Writer& w) {
    w.Key("KeyMetadata");
    WriteKeyMetadata(w, key);
  });
}

Result<std::string> KmsService::DescribeKey(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  std::vector<Key> related;
  if (key.multi_region) {
    ARCANA_ASSIGN_OR_RETURN(related, ring_.RelatedKeys(key));
  }
  return Body([&](json::Writer& w) {
    w.Key("KeyMetadata");
    WriteKeyMetadata(w, key, related);
  });
}

Result<std::string> KmsService::ListKeys(const In& in, const CallContext& ctx) {
  std::string next;
  ARCANA_ASSIGN_OR_RETURN(
      auto page,
      StorePage<Key>(
          in, 100,
          [&](const std::string& after, size_t n) {
            return ring_.store().ListKmsKeys(ScopeOf(ctx), after, n);
          },
          // A key past its deletion date is gone, even before the purge job runs.
          [&](const Key& k) { return !(k.deletion_ms && *k.deletion_ms <= ctx.now_ms); },
          [](const Key& k) { return k.key_id; }, &next));
  return Body([&](json::Writer& w) {
    w.Key("Keys");
    w.StartArray();
    for (const auto& k : page) {
      w.StartObject();
      json::KV(w, "KeyId", k.key_id);
      json::KV(w, "KeyArn", k.arn);
      w.EndObject();
    }
    w.EndArray();
    WritePageEnd(w, next);
  });
}

Result<std::string> KmsService::UpdateKeyDescription(const In& in, const CallContext& ctx) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, "UpdateKeyDescription"));
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
    key.description = in.Str("Description").value_or("");
    ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(key, {}, "UpdateKeyDescription"));
    return std::string("{}");
  });
}

Result<std::string> KmsService::SetEnabled(const In& in, const CallContext& ctx, bool enabled) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, enabled ? "EnableKey" : "DisableKey"));
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingImport(key));
    key.key_state = enabled ? dk::kStateEnabled : dk::kStateDisabled;
    ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(key, {}, enabled ? "EnableKey" : "DisableKey"));
    return std::string("{}");
  });
}

Result<std::string> KmsService::EnableKey(const In& in, const CallContext& ctx) {
  return SetEnabled(in, ctx, true);
}
Result<std::string> KmsService::DisableKey(const In& in, const CallContext& ctx) {
  return SetEnabled(in, ctx, false);
}

Result<std::string> KmsService::ScheduleKeyDeletion(const In& in, const CallContext& ctx) {
  int64_t days = in.Int("PendingWindowInDays").value_or(dk::kDefaultPendingWindowDays);
  if (days < dk::kMinPendingWindowDays || days > dk::kMaxPendingWindowDays) {
    return Status(ErrorCode::kValidation,
                  "PendingWindowInDays value must be between 7 and 30 (inclusive).");
  }
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, "ScheduleKeyDeletion"));
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
    key.pending_window_days = static_cast<int>(days);
    bool has_replicas = false;
    if (key.multi_region && !key.is_replica()) {
      ARCANA_ASSIGN_OR_RETURN(auto related, ring_.RelatedKeys(key));
      has_replicas = related.size() > 1;
    }
    if (has_replicas) {
      // AWS never deletes a primary key that has replicas: its waiting period begins when
      // the last replica is deleted (KmsService::MaintainKey).
      key.key_state = dk::kStatePendingReplicaDeletion;
    } else {
      key.key_state = dk::kStatePendingDeletion;
      key.deletion_ms = ctx.now_ms + days * 86400000;
    }
    ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(key, {}, "ScheduleKeyDeletion"));
    return Body([&](json::Writer& w) {
      json::KV(w, "KeyId", key.arn);
      if (key.deletion_ms) {
        w.Key("DeletionDate");
        json::WriteTimestamp(w, *key.deletion_ms);
      }
      json::KV(w, "KeyState", key.key_state);
      w.Key("PendingWindowInDays");
      w.Int(key.pending_window_days);
    });
  });
}

Result<std::string> KmsService::CancelKeyDeletion(const In& in, const CallContext& ctx) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    if (key.key_state != dk::kStatePendingDeletion &&
        key.key_state != dk::kStatePendingReplicaDeletion) {
      return Status(ErrorCode::kKmsInvalidState, key.arn + " is not pending deletion.");
    }
    // AWS puts a cancelled key in Disabled, not Enabled; a key missing any of its imported
    // material (deleted, or expired while it was pending deletion: any material, not only
    // the current one) in PendingImport, until that material is imported again.
    dk::ApplyMaterialExpiry(key, ctx.now_ms);
    key.key_state = key.external() && dk::MissingImportedMaterial(key) ? dk::kStatePendingImport
                                                                      : dk::kStateDisabled;
    key.deletion_ms.reset();
    key.pending_window_days = 0;
    ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(key, {}, "CancelKeyDeletion"));
    return Body([&](json::Writer& w) { json::KV(w, "KeyId", key.arn); });
  });
}

}  // namespace arcana::services::kms
