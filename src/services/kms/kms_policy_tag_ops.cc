// Key policies (GetKeyPolicy, PutKeyPolicy, ListKeyPolicies: stored and validated; the
// access-control work enforces them) and tags (TagResource, UntagResource, ListResourceTags).
#include "domain/kms/rules.h"
#include "services/common/write_retry.h"
#include "services/kms/kms_access.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {
Status CheckPolicyName(const json::Input& in) {
  std::string name = in.Str("PolicyName").value_or(dk::kDefaultPolicyName);
  if (name != dk::kDefaultPolicyName) {
    return Status(ErrorCode::kKmsNotFound, "No such policy exists: " + name);
  }
  return Status::Ok();
}
}  // namespace

Result<std::string> KmsService::GetKeyPolicy(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(CheckPolicyName(in));
  return Body([&](json::Writer& w) {
    json::KV(w, "Policy", key.policy);
    json::KV(w, "PolicyName", dk::kDefaultPolicyName);
  });
}

Result<std::string> KmsService::PutKeyPolicy(const In& in, const CallContext& ctx) {
  std::string policy = in.Str("Policy").value_or("");
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    ARCANA_RETURN_IF_ERROR(CheckPolicyName(in));
    ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, "PutKeyPolicy"));
    // In every key state, pending deletion included (developer guide, key states table).
    ARCANA_RETURN_IF_ERROR(CheckStorableKeyPolicy(policy, principal_exists_));
    key.policy = policy;
    ARCANA_RETURN_IF_ERROR(CheckPolicyLockout(in, ctx, key));
    ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(key, {}, "PutKeyPolicy"));
    return std::string("{}");
  });
}

Result<std::string> KmsService::ListKeyPolicies(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  std::vector<std::string> names{dk::kDefaultPolicyName};
  std::string next;
  ARCANA_ASSIGN_OR_RETURN(auto page, dk::Page(names, [](const std::string& n) { return n; },
                                              in.Int("Limit"), in.Str("Marker"), 100, &next));
  return Body([&](json::Writer& w) {
    w.Key("PolicyNames");
    json::WriteStringList(w, page);
    WritePageEnd(w, next);
  });
}

Result<std::string> KmsService::TagResource(const In& in, const CallContext& ctx) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    if (key.aws_managed()) return Status(ErrorCode::kTag, "AWS managed keys cannot be tagged.");
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
    auto merged = key.tags;
    ARCANA_RETURN_IF_ERROR(ReadKmsTags(in, merged));
    ARCANA_RETURN_IF_ERROR(dk::ValidateTags(merged));
    key.tags = std::move(merged);
    ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(key, {}, "TagResource"));
    return std::string("{}");
  });
}

Result<std::string> KmsService::UntagResource(const In& in, const CallContext& ctx) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    if (key.aws_managed()) return Status(ErrorCode::kTag, "AWS managed keys cannot be tagged.");
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
    for (const auto& k : in.StrList("TagKeys").value_or(std::vector<std::string>{})) {
      if (dk::IsReservedTagKey(k)) {
        return Status(ErrorCode::kTag, "Tags beginning with aws: are reserved");
      }
      key.tags.erase(k);
    }
    ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(key, {}, "UntagResource"));
    return std::string("{}");
  });
}

Result<std::string> KmsService::ListResourceTags(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  std::vector<std::pair<std::string, std::string>> tags(key.tags.begin(), key.tags.end());
  std::string next;
  using Tag = std::pair<std::string, std::string>;
  ARCANA_ASSIGN_OR_RETURN(auto page, dk::Page(tags, [](const Tag& t) { return t.first; },
                                              in.Int("Limit"), in.Str("Marker"), 50, &next));
  return Body([&](json::Writer& w) {
    w.Key("Tags");
    w.StartArray();
    for (const auto& [k, v] : page) {
      w.StartObject();
      json::KV(w, "TagKey", k);
      json::KV(w, "TagValue", v);
      w.EndObject();
    }
    w.EndArray();
    WritePageEnd(w, next);
  });
}

}  // namespace arcana::services::kms
