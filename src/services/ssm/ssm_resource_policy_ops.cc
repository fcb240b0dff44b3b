// PutResourcePolicy, GetResourcePolicies, DeleteResourcePolicy on a Parameter Store parameter
// (its ARN as ResourceArn): the policies that share an Advanced parameter with other accounts.
// Rules and limits are domain/ssm/resource_policy.h's; the policies are stored with the
// parameter (storage/parameter_store.h) and enforced by the one policy engine whenever the
// parameter is authorized (SsmService::AuthorizeParameter), for the owner's callers and for
// other accounts reading it by its full ARN.
#include <algorithm>

#include "auth/policy/policy.h"
#include "crypto/random.h"
#include "domain/secretsmanager/page_token.h"
#include "domain/ssm/names.h"
#include "domain/ssm/resource_policy.h"
#include "services/common/write_retry.h"
#include "services/ssm/page_cursor.h"
#include "services/ssm/ssm_encode.h"
#include "services/ssm/ssm_service.h"

namespace arcana::services::ssm {

namespace dssm = domain::ssm;

namespace {

Status InvalidPolicyParameter(const std::string& message) {
  return Status(ErrorCode::kResourcePolicyInvalidParameter, message);
}

// The model's documentation of ResourceNotFoundException for these operations.
Status PolicyParameterNotFound() {
  return Status(ErrorCode::kResourceNotFound,
                "The specified parameter to be shared could not be found.");
}

Status PolicyNotFound(const std::string& id) {
  return Status(ErrorCode::kResourcePolicyNotFound,
                "No policy with the specified policy ID " + id + " and hash could be found.");
}

Status StaleHash() {
  return Status(ErrorCode::kResourcePolicyConflict,
                "The hash provided in the call doesn't match the stored hash. The policy was "
                "changed since it was read: get it again and retry.");
}

const dssm::ResourcePolicy* FindPolicy(const Parameter& p, const std::string& id) {
  for (const auto& rp : p.resource_policies) {
    if (rp.id == id) return &rp;
  }
  return nullptr;
}

// A policy write committed at the parameter's revision as read (a concurrent change of the
// parameter or its policies makes it a conflict, and the operation runs again).
storage::ResourcePolicyWrite WriteAt(const Parameter& p, const char* change) {
  storage::ResourcePolicyWrite w;
  w.scope = {p.account, p.region};
  w.key = p.key;
  w.expected_revision = p.revision;
  w.change = change;
  return w;
}

// A PolicyId as AWS's look: 32 hex digits; random, so ids are never reused.
std::string NewPolicyId() {
  std::string id = crypto::NewUuidV4();
  id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
  return id;
}

}  // namespace

Result<Parameter> SsmService::PolicyTarget(const In& in, const CallContext& ctx) {
  const std::string arn = in.Str("ResourceArn").value_or("");
  auto ref = dssm::ParseNameRef(arn, ctx.region, ctx.account);
  if (!ref.from_arn || ref.malformed || !ref.selector.empty() ||
      !dssm::ValidateLookupName(ref.name).ok()) {
    return InvalidPolicyParameter("ResourceArn " + arn + " is not the ARN of a parameter.");
  }
  // Only the owner manages a parameter's policies (a parameter shared with an account
  // cannot be shared on by it, as AWS documents); another region's ARN names nothing here.
  if (ref.foreign) return PolicyParameterNotFound();
  ARCANA_ASSIGN_OR_RETURN(auto p, Find(ctx, dssm::NameKey(ref.name)));
  if (!p) return PolicyParameterNotFound();
  return std::move(*p);
}

Result<std::string> SsmService::PutResourcePolicy(const In& in, const CallContext& ctx) {
  const std::string policy = in.Str("Policy").value_or("");
  const auto id = in.Str("PolicyId");
  const auto hash = in.Str("PolicyHash");
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Parameter p, PolicyTarget(in, ctx));
    // AWS: "To share a parameter, it must be in the advanced parameter tier."
    if (p.Latest().tier != dssm::kAdvanced) {
      return InvalidPolicyParameter("Parameter " + p.name +
                                    " is in the Standard tier: only parameters in the Advanced "
                                    "tier can have a resource policy.");
    }
    ARCANA_RETURN_IF_ERROR(dssm::CheckResourcePolicyDocument(policy));
    // What is stored is what the engine enforces: a document it cannot compile would silently
    // lose its statements, so it is refused here.
    if (auto compiled = auth::policy::ParsePolicy(policy, auth::policy::PolicyUse::kResource);
        !compiled.ok()) {
      return Status(ErrorCode::kMalformedResourcePolicyDocument,
                    "The policy document is malformed: " + compiled.status().message());
    }
    dssm::ResourcePolicy next{"", dssm::PolicyHashOf(policy), policy};
    if (id && !id->empty()) {
      // An update names the policy and the hash it was read at (optimistic concurrency).
      if (!hash || hash->empty()) {
        return InvalidPolicyParameter("PolicyHash is required to update policy " + *id + ".");
      }
      const dssm::ResourcePolicy* old = FindPolicy(p, *id);
      if (old == nullptr) return PolicyNotFound(*id);
      if (old->hash != *hash) return StaleHash();
      next.id = *id;
    } else {
      if (hash && !hash->empty()) {
        return InvalidPolicyParameter("PolicyHash was given without the PolicyId it belongs to.");
      }
      if (p.resource_policies.size() >= dssm::kMaxResourcePoliciesPerParameter) {
        return Status(ErrorCode::kResourcePolicyLimitExceeded,
                      "Parameter " + p.name + " already has " +
                          std::to_string(dssm::kMaxResourcePoliciesPerParameter) +
                          " resource policies, the most it can have.");
      }
      next.id = NewPolicyId();
    }
    storage::ResourcePolicyWrite w = WriteAt(p, "PutResourcePolicy");
    w.put = next;
    ARCANA_RETURN_IF_ERROR(store_.CommitResourcePolicy(w));
    rapidjson::StringBuffer buf;
    json::Writer out(buf);
    out.StartObject();
    json::KV(out, "PolicyId", next.id);
    json::KV(out, "PolicyHash", next.hash);
    out.EndObject();
    return Finish(buf);
  });
}

Result<std::string> SsmService::GetResourcePolicies(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Parameter p, PolicyTarget(in, ctx));
  const size_t max = static_cast<size_t>(std::max<int64_t>(in.Int("MaxResults").value_or(50), 1));
  // The token carries the id of the last policy answered, bound to this parameter.
  const std::string op = "GetResourcePolicies\n" + dssm::ParameterArn(p.region, p.account, p.key);
  ARCANA_ASSIGN_OR_RETURN(
      std::string after,
      PageCursor(page_key_, op, in, InvalidPolicyParameter("The specified NextToken isn't valid.")));
  size_t start = 0;
  if (!after.empty()) {
    while (start < p.resource_policies.size() && p.resource_policies[start].id != after) ++start;
    ++start;  // past the last one answered (all answered if it is gone)
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Policies");
  w.StartArray();
  size_t i = start;
  for (; i < p.resource_policies.size() && i - start < max; ++i) {
    const auto& rp = p.resource_policies[i];
    w.StartObject();
    json::KV(w, "PolicyId", rp.id);
    json::KV(w, "PolicyHash", rp.hash);
    json::KV(w, "Policy", rp.policy);
    w.EndObject();
  }
  w.EndArray();
  if (i < p.resource_policies.size() && i > start) {
    json::KV(w, "NextToken",
             domain::sm::EncodePageToken(page_key_, op, p.resource_policies[i - 1].id));
  }
  w.EndObject();
  return Finish(buf);
}

Result<std::string> SsmService::DeleteResourcePolicy(const In& in, const CallContext& ctx) {
  const std::string id = in.Str("PolicyId").value_or("");
  const std::string hash = in.Str("PolicyHash").value_or("");
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Parameter p, PolicyTarget(in, ctx));
    const dssm::ResourcePolicy* old = FindPolicy(p, id);
    if (old == nullptr) return PolicyNotFound(id);
    if (old->hash != hash) return StaleHash();
    storage::ResourcePolicyWrite w = WriteAt(p, "DeleteResourcePolicy");
    w.remove_id = id;
    ARCANA_RETURN_IF_ERROR(store_.CommitResourcePolicy(w));
    return std::string("{}");
  });
}

}  // namespace arcana::services::ssm
