// Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
#include <algorithm>

#include "domain/kms/rules.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {
// The key-type class an alias may move within (UpdateAlias keeps it).
std::string KeyClass(const Key& k) {
  std::string cls = k.key_spec == "SYMMETRIC_DEFAULT" ? "SYMMETRIC"
                    : k.key_spec.starts_with("HMAC_") ? "HMAC"
                                                      : "ASYMMETRIC";
  return cls + "/" + k.key_usage;
}

// A key that already has kMaxAliasesPerKey aliases (CreateAlias, UpdateAlias).
Status AliasLimitExceeded() {
  return Status(ErrorCode::kKmsLimitExceeded, "A KMS key can have at most 50 aliases.");
}

// AWS-managed aliases that ListAliases shows even before their key exists.
const char* const kPredefinedAliases[] = {"alias/aws/secretsmanager", "alias/aws/ssm"};
}  // namespace

Result<std::string> KmsService::CreateAlias(const In& in, const CallContext& ctx) {
  std::string name = in.Str("AliasName").value_or("");
  ARCANA_RETURN_IF_ERROR(dk::ValidateNewAliasName(name));
  ARCANA_RETURN_IF_ERROR(dk::CheckAliasTargetIsKey(in.Str("TargetKeyId").value_or("")));
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "TargetKeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, "CreateAlias"));
  ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
  const Status exists(ErrorCode::kAlreadyExists,
                      "An alias with the name " + dk::AliasArn(ctx.region, ctx.account, name) +
                          " already exists");
  ARCANA_ASSIGN_OR_RETURN(auto same_name, ring_.store().GetKmsAlias(ScopeOf(ctx), name));
  if (same_name) return exists;
  dk::Alias a{ctx.account, ctx.region, name, key.key_id, ctx.now_ms, ctx.now_ms};
  // The store creates an alias once: of two concurrent creates, the second gets this error.
  // It counts the key's aliases in the same write (kms_store.h), so concurrent creates on
  // any node cannot pass the per-key quota together.
  Status st = ring_.store().PutKmsAlias(a, /*create=*/true, dk::kMaxAliasesPerKey);
  if (st.code() == ErrorCode::kAlreadyExists) return exists;
  if (st.code() == ErrorCode::kKmsLimitExceeded) return AliasLimitExceeded();
  ARCANA_RETURN_IF_ERROR(st);
  return std::string("{}");
}

Result<std::string> KmsService::UpdateAlias(const In& in, const CallContext& ctx) {
  std::string name = in.Str("AliasName").value_or("");
  ARCANA_RETURN_IF_ERROR(dk::ValidateAliasName(name, /*allow_aws_reserved=*/false));
  const Status not_found(ErrorCode::kKmsNotFound, "Alias " +
                                                      dk::AliasArn(ctx.region, ctx.account, name) +
                                                      " is not found.");
  ARCANA_ASSIGN_OR_RETURN(auto alias, ring_.store().GetKmsAlias(ScopeOf(ctx), name));
  if (!alias) return not_found;
  ARCANA_RETURN_IF_ERROR(dk::CheckAliasTargetIsKey(in.Str("TargetKeyId").value_or("")));
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "TargetKeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, "UpdateAlias"));
  ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
  auto old = ring_.store().GetKmsKey(ScopeOf(ctx), alias->target_key_id);
  ARCANA_RETURN_IF_ERROR(old.status());
  // AWS: "kms:UpdateAlias on the current KMS key (key policy)" as well as on the alias and the
  // new key: re-pointing an alias moves its users off the current key, which that key's
  // policy must allow.
  if (old->has_value()) {
    ARCANA_RETURN_IF_ERROR(AuthorizeKey(ctx, **old));
    ctx.Touch(audit::kKmsKeyType, (*old)->arn);
  }
  if (old->has_value() && KeyClass(**old) != KeyClass(key)) {
    return Status(ErrorCode::kValidation,
                  "The current and new KMS keys of alias " + name +
                      " must have the same key type and key usage.");
  }
  alias->target_key_id = key.key_id;
  alias->updated_ms = ctx.now_ms;
  // An alias is one row: the last UpdateAlias wins, as in AWS; a concurrent DeleteAlias
  // makes this one NotFound. Moving an alias onto a key takes one of the key's places: AWS's
  // aliases-per-key quota applies to UpdateAlias as to CreateAlias ("You might encounter this
  // quota when you create or update an alias", KMS developer guide, Resource quotas).
  Status st = ring_.store().PutKmsAlias(*alias, /*create=*/false, dk::kMaxAliasesPerKey);
  if (st.code() == ErrorCode::kKmsLimitExceeded) return AliasLimitExceeded();
  ARCANA_RETURN_IF_ERROR(st);
  return std::string("{}");
}

Result<std::string> KmsService::DeleteAlias(const In& in, const CallContext& ctx) {
  std::string name = in.Str("AliasName").value_or("");
  ARCANA_RETURN_IF_ERROR(dk::ValidateAliasName(name, /*allow_aws_reserved=*/false));
  ARCANA_ASSIGN_OR_RETURN(auto alias, ring_.store().GetKmsAlias(ScopeOf(ctx), name));
  if (alias) {
    auto key = ring_.store().GetKmsKey(ScopeOf(ctx), alias->target_key_id);
    ARCANA_RETURN_IF_ERROR(key.status());
    if (key->has_value()) {
      // AWS: "kms:DeleteAlias on the KMS key (key policy)" as well as on the alias. In every
      // key state, pending deletion included (developer guide, key states table).
      ARCANA_RETURN_IF_ERROR(AuthorizeKey(ctx, **key));
      ctx.Touch(audit::kKmsKeyType, (*key)->arn);
    }
  }
  ARCANA_RETURN_IF_ERROR(ring_.store().DeleteKmsAlias(ScopeOf(ctx), name));
  return std::string("{}");
}

Result<std::string> KmsService::ListAliases(const In& in, const CallContext& ctx) {
  std::string filter_key;  // "": every alias of the scope
  if (in.Has("KeyId")) {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    filter_key = key.key_id;
  }
  std::string after;
  if (auto marker = in.Str("Marker")) {
    ARCANA_ASSIGN_OR_RETURN(after, dk::DecodeMarker(*marker));
  }
  const size_t limit = static_cast<size_t>(std::max<int64_t>(in.Int("Limit").value_or(50), 1));
  // An alias is shown while its key exists and is not past its deletion date.
  auto live = [&](const dk::Alias& a) -> Result<bool> {
    ARCANA_ASSIGN_OR_RETURN(auto key, ring_.store().GetKmsKey(ScopeOf(ctx), a.target_key_id));
    return key.has_value() && !(key->deletion_ms && *key->deletion_ms <= ctx.now_ms);
  };
  // The AWS-managed aliases are listed even before their key exists (created on first use).
  std::vector<dk::Alias> predefined;
  if (filter_key.empty()) {
    for (const char* p : kPredefinedAliases) {
      if (std::string(p) <= after) continue;
      ARCANA_ASSIGN_OR_RETURN(auto stored, ring_.store().GetKmsAlias(ScopeOf(ctx), p));
      bool shown_from_store = false;
      if (stored) {
        ARCANA_ASSIGN_OR_RETURN(shown_from_store, live(*stored));
      }
      if (!shown_from_store) predefined.push_back(dk::Alias{ctx.account, ctx.region, p, "", 0, 0});
    }
  }
  // Stored aliases in name order, a bounded page at a time; aliases of purged keys are passed
  // over (at most kMaxScan per call: a shorter page then ends with a Marker).
  constexpr size_t kMaxScan = 1000;
  std::vector<dk::Alias> shown;
  std::string cursor = after;  // the last stored alias consumed
  size_t scanned = 0;
  bool store_done = false, more = false;
  while (!store_done && shown.size() <= limit && scanned < kMaxScan) {
    const size_t fetch = std::min(storage::kMaxListLimit,
                                  std::min(kMaxScan - scanned, limit + 1 - shown.size()));
    ARCANA_ASSIGN_OR_RETURN(auto batch,
                            ring_.store().ListKmsAliases(ScopeOf(ctx), filter_key, cursor, fetch));
    store_done = batch.size() < fetch;
    for (auto& a : batch) {
      ++scanned;
      cursor = a.name;
      ARCANA_ASSIGN_OR_RETURN(bool ok, live(a));
      if (ok) shown.push_back(std::move(a));
    }
  }
  if (!store_done) more = true;  // the scan stopped before the end of the stored aliases
  // Merge in the predefined ones that fall before where the stored scan stopped.
  for (auto& p : predefined) {
    if (store_done || p.name <= cursor) shown.push_back(std::move(p));
  }
  std::sort(shown.begin(), shown.end(),
            [](const dk::Alias& a, const dk::Alias& b) { return a.name < b.name; });
  std::string next;
  if (shown.size() > limit) {
    shown.resize(limit);
    more = true;
  }
  if (more) {
    // Continue after the last alias shown, or after the scan's end when none fit.
    next = dk::EncodeMarker(shown.empty() ? cursor : shown.back().name);
  }
  return Body([&](json::Writer& w) {
    w.Key("Aliases");
    w.StartArray();
    for (const auto& a : shown) {
      w.StartObject();
      json::KV(w, "AliasName", a.name);
      json::KV(w, "AliasArn", dk::AliasArn(ctx.region, ctx.account, a.name));
      if (!a.target_key_id.empty()) {
        json::KV(w, "TargetKeyId", a.target_key_id);
        w.Key("CreationDate");
        json::WriteTimestamp(w, a.created_ms);
        w.Key("LastUpdatedDate");
        json::WriteTimestamp(w, a.updated_ms);
      }
      w.EndObject();
    }
    w.EndArray();
    WritePageEnd(w, next);
  });
}

}  // namespace arcana::services::kms
