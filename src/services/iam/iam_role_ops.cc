// IAM roles: trust policy, session duration, tags.
#include <algorithm>
#include <cctype>

#include "domain/iam/trust_principals.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "services/iam/named_principals.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::Identity;
using storage::EntityWrite;

namespace {

// AWS's "Role trust policy length" quota, GetAccountSummary's AssumeRolePolicySizeQuota:
// CreateRole and UpdateAssumeRolePolicy with a longer trust policy are LimitExceeded 409
// "Cannot exceed quota for ACLSizePerRole: 2048" (AWS's answer in users' terraform and SDK
// errors, e.g. "An error occurred (LimitExceeded) when calling the CreateRole operation:
// Cannot exceed quota for ACLSizePerRole: 2048"). White space is not counted, as IAM counts
// every policy size ("IAM doesn't count white space when calculating the size of a policy
// against these limits", IAM and STS quotas), as the inline and managed sizes here are.
constexpr size_t kMaxTrustPolicySize = 2048;

Status CheckTrustPolicySize(const std::string& doc) {
  const auto size = std::count_if(doc.begin(), doc.end(),
                                  [](unsigned char c) { return !std::isspace(c); });
  if (static_cast<size_t>(size) > kMaxTrustPolicySize) {
    return Status(ErrorCode::kLimitExceeded, "Cannot exceed quota for ACLSizePerRole: " +
                                                 std::to_string(kMaxTrustPolicySize));
  }
  return Status::Ok();
}

std::string RoleAnswer(const Identity& r, View view) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Role");
  WriteRole(w, r, view);
  w.EndObject();
  return json::Finish(buf);
}
}  // namespace

Status IamService::BindTrustPolicy(Identity& role) {
  ARCANA_ASSIGN_OR_RETURN(auto named, domain::iam::NamedPrincipalsOf(role.trust_policy));
  std::map<std::string, std::string> ids;
  for (const auto& p : named) {
    ARCANA_ASSIGN_OR_RETURN(auto found, FindNamedPrincipal(store_, p));
    if (!found) {
      return Status(ErrorCode::kMalformedPolicyDocument,
                    "Invalid principal in policy: \"AWS\":\"" + p.arn + "\"");
    }
    ids[p.arn] = found->id;
  }
  ARCANA_ASSIGN_OR_RETURN(role.bound_trust_policy,
                          domain::iam::ReplacePrincipals(role.trust_policy, ids));
  if (ids.empty()) role.bound_trust_policy.clear();
  role.trust_principal_ids = std::move(ids);
  return Status::Ok();
}

Result<Identity> IamService::Shown(Identity role) {
  std::map<std::string, std::string> gone;
  for (const auto& [arn, id] : role.trust_principal_ids) {
    bool present = false;
    if (auto named = domain::iam::NamedPrincipalOf(arn)) {
      ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(named->account, named->kind, named->name));
      present = e && e->id == id;
    }
    if (!present) gone[arn] = id;
  }
  ARCANA_ASSIGN_OR_RETURN(role.trust_policy,
                          domain::iam::ReplacePrincipals(role.trust_policy, gone));
  return role;
}

Result<std::string> IamService::CreateRole(const In& in, const CallContext& ctx) {
  Identity r;
  r.account = ctx.account;
  r.kind = "role";
  r.name = *in.Str("RoleName");
  r.path = in.Str("Path").value_or("/");
  r.id = domain::iam::NewUniqueId("AROA");
  r.created_ms = ctx.now_ms;
  r.tags = TagsOf(in.Get("Tags"));
  r.trust_policy = *in.Str("AssumeRolePolicyDocument");
  r.description = in.Str("Description").value_or("");
  r.max_session_duration = in.Int("MaxSessionDuration").value_or(3600);
  ARCANA_RETURN_IF_ERROR(CheckName(r.name, "roleName"));
  ARCANA_RETURN_IF_ERROR(CheckPath(r.path));
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  ARCANA_RETURN_IF_ERROR(CheckPolicyDocument(r.trust_policy, true));
  ARCANA_RETURN_IF_ERROR(CheckTrustPolicySize(r.trust_policy));
  ARCANA_RETURN_IF_ERROR(BindTrustPolicy(r));
  if (auto boundary = in.Str("PermissionsBoundary")) {
    ARCANA_RETURN_IF_ERROR(CheckBoundary(ctx, *boundary));
    r.boundary_arn = *boundary;
  }
  Status st = RetryOnConflict([&]() -> Status {
    std::vector<EntityWrite> writes{
        {EntityWrite::Op::kPut, storage::ToEntity(r), QuotaOf("role")}};
    if (!r.boundary_arn.empty()) {
      ARCANA_RETURN_IF_ERROR(CountBoundaryUse(ctx, r.boundary_arn, +1, writes));
    }
    return WriteEntities(ctx, writes, "CreateRole");
  });
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kResourceExists, "Role with name " + r.name + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  return RoleAnswer(r, View::kCreated);
}

Result<std::string> IamService::GetRole(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Identity r, Load(ctx, "role", *in.Str("RoleName")));
  ARCANA_ASSIGN_OR_RETURN(r, Shown(std::move(r)));
  return RoleAnswer(r, View::kGot);
}

Result<std::string> IamService::DeleteRole(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(DeleteIdentity(ctx, "role", *in.Str("RoleName"), "DeleteRole"));
  return std::string("{}");
}

Result<std::string> IamService::UpdateAssumeRolePolicy(const In& in, const CallContext& ctx) {
  std::string doc = *in.Str("PolicyDocument");
  ARCANA_RETURN_IF_ERROR(CheckPolicyDocument(doc, true));
  ARCANA_RETURN_IF_ERROR(CheckTrustPolicySize(doc));
  Identity bound;
  bound.trust_policy = doc;
  ARCANA_RETURN_IF_ERROR(BindTrustPolicy(bound));
  ARCANA_RETURN_IF_ERROR(
      Update(ctx, "role", *in.Str("RoleName"), "UpdateAssumeRolePolicy", [&](Identity& r) {
        r.trust_policy = doc;
        r.bound_trust_policy = bound.bound_trust_policy;
        r.trust_principal_ids = bound.trust_principal_ids;
        return Status::Ok();
      }));
  return std::string("{}");
}

// Description and MaxSessionDuration (3600..43200, the model validator's range), each only
// when given.
Result<std::string> IamService::UpdateRole(const In& in, const CallContext& ctx) {
  auto description = in.Str("Description");
  auto duration = in.Int("MaxSessionDuration");
  ARCANA_RETURN_IF_ERROR(Update(ctx, "role", *in.Str("RoleName"), "UpdateRole", [&](Identity& r) {
    if (description) r.description = *description;
    if (duration) r.max_session_duration = *duration;
    return Status::Ok();
  }));
  return std::string("{}");
}

// The role's description; answers the role as AWS does (View::kDescribed).
Result<std::string> IamService::UpdateRoleDescription(const In& in, const CallContext& ctx) {
  const std::string name = *in.Str("RoleName");
  const std::string description = *in.Str("Description");
  Identity updated;  // as written by the attempt that committed
  ARCANA_RETURN_IF_ERROR(Update(ctx, "role", name, "UpdateRoleDescription", [&](Identity& r) {
    r.description = description;
    updated = r;
    return Status::Ok();
  }));
  ARCANA_ASSIGN_OR_RETURN(updated, Shown(std::move(updated)));
  return RoleAnswer(updated, View::kDescribed);
}

}  // namespace arcana::services::iam
