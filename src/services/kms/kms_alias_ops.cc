// Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
#include "domain/kms/rules.h"
#include "services/kms/store_pages.h"
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

// AWS-managed aliases that ListAliases shows even before their key exists.
const char* const kPredefinedAliases[] = {"alias/aws/secretsmanager", "alias/aws/ssm"};
}  // namespace

Result<std::string> KmsService::CreateAlias(const In& in, const CallContext& ctx) {
  std::string name = in.Str("AliasName").value_or("");
  ARCANA_RETURN_IF_ERROR(dk::ValidateAliasName(name, /*allow_aws_reserved=*/false));
  std::lock_guard<std::mutex> l(ring_.write_mutex());
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "TargetKeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, "CreateAlias"));
  ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
  ARCANA_ASSIGN_OR_RETURN(auto aliases, AllAliases(ring_.store(), ScopeOf(ctx)));
  size_t on_key = 0;
  for (const auto& a : aliases) {
    if (a.name == name) {
      return Status(ErrorCode::kAlreadyExists,
                    "An alias with the name " + dk::AliasArn(ctx.region, ctx.account, name) +
                        " already exists");
    }
    if (a.target_key_id == key.key_id) ++on_key;
  }
  if (on_key >= dk::kMaxAliasesPerKey) {
    return Status(ErrorCode::kKmsLimitExceeded, "A KMS key can have at most 50 aliases.");
  }
  dk::Alias a{ctx.account, ctx.region, name, key.key_id, ctx.now_ms, ctx.now_ms};
  ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsAlias(a, /*create=*/true));
  return std::string("{}");
}

Result<std::string> KmsService::UpdateAlias(const In& in, const CallContext& ctx) {
  std::string name = in.Str("AliasName").value_or("");
  ARCANA_RETURN_IF_ERROR(dk::ValidateAliasName(name, /*allow_aws_reserved=*/false));
  std::lock_guard<std::mutex> l(ring_.write_mutex());
  ARCANA_ASSIGN_OR_RETURN(auto alias, ring_.store().GetKmsAlias(ScopeOf(ctx), name));
  if (!alias) {
    return Status(ErrorCode::kKmsNotFound,
                  "Alias " + dk::AliasArn(ctx.region, ctx.account, name) + " is not found.");
  }
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "TargetKeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, "UpdateAlias"));
  ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
  auto old = ring_.store().GetKmsKey(ScopeOf(ctx), alias->target_key_id);
  if (old.ok() && old->has_value() && KeyClass(**old) != KeyClass(key)) {
    return Status(ErrorCode::kValidation,
                  "The current and new KMS keys of alias " + name +
                      " must have the same key type and key usage.");
  }
  alias->target_key_id = key.key_id;
  alias->updated_ms = ctx.now_ms;
  ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsAlias(*alias, /*create=*/false));
  return std::string("{}");
}

Result<std::string> KmsService::DeleteAlias(const In& in, const CallContext& ctx) {
  std::string name = in.Str("AliasName").value_or("");
  ARCANA_RETURN_IF_ERROR(dk::ValidateAliasName(name, /*allow_aws_reserved=*/false));
  std::lock_guard<std::mutex> l(ring_.write_mutex());
  ARCANA_ASSIGN_OR_RETURN(auto alias, ring_.store().GetKmsAlias(ScopeOf(ctx), name));
  if (alias) {
    auto key = ring_.store().GetKmsKey(ScopeOf(ctx), alias->target_key_id);
    if (key.ok() && key->has_value()) ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(**key));
  }
  ARCANA_RETURN_IF_ERROR(ring_.store().DeleteKmsAlias(ScopeOf(ctx), name));
  return std::string("{}");
}

Result<std::string> KmsService::ListAliases(const In& in, const CallContext& ctx) {
  std::optional<std::string> filter_key;
  if (in.Has("KeyId")) {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    filter_key = key.key_id;
  }
  ARCANA_ASSIGN_OR_RETURN(auto all, AllAliases(ring_.store(), ScopeOf(ctx)));
  std::vector<dk::Alias> shown;
  std::map<std::string, bool> present;
  for (auto& a : all) {
    // Aliases of purged keys vanish with their key.
    auto key = ring_.store().GetKmsKey(ScopeOf(ctx), a.target_key_id);
    if (!key.ok() || !key->has_value()) continue;
    if ((*key)->deletion_ms && *(*key)->deletion_ms <= ctx.now_ms) continue;
    present[a.name] = true;
    if (filter_key && a.target_key_id != *filter_key) continue;
    shown.push_back(std::move(a));
  }
  if (!filter_key) {
    for (const char* p : kPredefinedAliases) {
      if (!present.count(p)) shown.push_back(dk::Alias{ctx.account, ctx.region, p, "", 0, 0});
    }
    std::sort(shown.begin(), shown.end(),
              [](const dk::Alias& a, const dk::Alias& b) { return a.name < b.name; });
  }
  std::string next;
  ARCANA_ASSIGN_OR_RETURN(
      auto page, dk::Page(shown, [](const dk::Alias& a) { return a.name; }, in.Int("Limit"),
                          in.Str("Marker"), 50, &next));
  return Body([&](json::Writer& w) {
    w.Key("Aliases");
    w.StartArray();
    for (const auto& a : page) {
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
