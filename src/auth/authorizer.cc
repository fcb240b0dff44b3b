#include "auth/authorizer.h"

#include <algorithm>
#include <ctime>

#include <spdlog/spdlog.h>

#include "common/civil_time.h"

namespace arcana::auth {
namespace {

void SetIfAbsent(policy::ContextKeys* keys, std::string_view key, std::string value) {
  if (!keys->Has(key)) keys->Set(key, std::move(value));
}

std::string_view PrincipalType(Principal::Type t) {
  switch (t) {
    case Principal::Type::kRoot: return "Account";
    case Principal::Type::kUser: return "User";
    case Principal::Type::kAssumedRole: return "AssumedRole";
    // GetSessionToken: the session acts as the user who asked for it (GetCallerIdentity
    // answers the user's ARN); "FederatedUser" is GetFederationToken's.
    case Principal::Type::kFederated: return "User";
    case Principal::Type::kFederatedUser: return "FederatedUser";
    case Principal::Type::kService: return "Service";
    case Principal::Type::kWebIdentity: return "WebIdentityUser";
  }
  return "User";
}

}  // namespace

Status Authorizer::Authorize(const services::CallContext& ctx, const AccessRequest& req) const {
  policy::Decision d = Decide(ctx, req);
  if (d.allowed()) return Status::Ok();
  Principal scratch;
  const Principal& p = CallerOf(ctx, &scratch);
  return Status(ErrorCode::kAccessDenied,
                policy::DenialMessage(p, req.action,
                                      req.denial_resource.empty() ? req.resource_arn
                                                                  : req.denial_resource,
                                      d));
}

Status Check(const services::CallContext& ctx, const AccessRequest& req) {
  if (ctx.authorizer == nullptr) return Status::Ok();
  return ctx.authorizer->Authorize(ctx, req);
}

const Principal& CallerOf(const services::CallContext& ctx, Principal* scratch) {
  if (ctx.principal) return *ctx.principal;
  scratch->type = Principal::Type::kRoot;
  scratch->account = ctx.account;
  scratch->arn = ctx.principal_arn.empty() ? "arn:aws:iam::" + ctx.account + ":root"
                                           : ctx.principal_arn;
  scratch->principal_arn = scratch->arn;
  scratch->user_id = ctx.account;
  scratch->access_key_id = ctx.access_key_id;
  return *scratch;
}

void AddCallerKeys(const services::CallContext& ctx, const Principal& p,
                   policy::ContextKeys* keys) {
  SetIfAbsent(keys, "aws:PrincipalArn", p.principal_arn.empty() ? p.arn : p.principal_arn);
  SetIfAbsent(keys, "aws:PrincipalAccount", p.account);
  SetIfAbsent(keys, "aws:PrincipalType", std::string(PrincipalType(p.type)));
  if (!p.user_id.empty()) SetIfAbsent(keys, "aws:userid", p.user_id);
  if (!p.user_name.empty()) SetIfAbsent(keys, "aws:username", p.user_name);
  // Set by AssumeRole (sts:SetSourceIdentity) and kept along a role chain: AWS offers it to
  // every later call's policies, so a Deny on it must apply in every service.
  if (!p.source_identity.empty()) SetIfAbsent(keys, "aws:SourceIdentity", p.source_identity);
  // Present in every request (IAM User Guide, global condition keys): a service calling on
  // the caller's behalf with its credentials (Secrets Manager or Parameter Store using a KMS
  // key) sets kms:ViaService; a service principal acting on its own is "AWS service". AWS's
  // published "deny outside these IP ranges unless via a service" policy tests both with
  // Bool, which a missing key would silently turn off.
  SetIfAbsent(keys, "aws:ViaAWSService", ctx.via_service.empty() ? "false" : "true");
  SetIfAbsent(keys, "aws:PrincipalIsAWSService",
              p.type == Principal::Type::kService ? "true" : "false");
  // Only temporary credentials say whether MFA was used; long-term keys leave both absent.
  if (p.temporary) {
    if (p.session_issued_ms > 0) {
      SetIfAbsent(keys, "aws:TokenIssueTime", IsoUtcSeconds(p.session_issued_ms));
    }
    SetIfAbsent(keys, "aws:MultiFactorAuthPresent", p.mfa_authenticated_ms != 0 ? "true" : "false");
    if (p.mfa_authenticated_ms != 0) {
      SetIfAbsent(keys, "aws:MultiFactorAuthAge",
                  std::to_string(std::max<int64_t>(0, (ctx.now_ms - p.mfa_authenticated_ms) / 1000)));
    }
  }
  for (const auto& [k, v] : p.tags) SetIfAbsent(keys, "aws:PrincipalTag/" + k, v);
  if (!ctx.source_ip.empty() && ctx.source_ip != "-") SetIfAbsent(keys, "aws:SourceIp", ctx.source_ip);
  SetIfAbsent(keys, "aws:CurrentTime", IsoUtcSeconds(ctx.now_ms));
  SetIfAbsent(keys, "aws:EpochTime", std::to_string(ctx.now_ms / 1000));
  SetIfAbsent(keys, "aws:SecureTransport", ctx.secure_transport ? "true" : "false");
  if (!ctx.region.empty()) SetIfAbsent(keys, "aws:RequestedRegion", ctx.region);
  if (!ctx.via_service.empty()) SetIfAbsent(keys, "kms:ViaService", ctx.via_service);
  SetIfAbsent(keys, "kms:CallerAccount", p.account);
}

policy::Decision PolicyAuthorizer::Decide(const services::CallContext& ctx,
                                          const AccessRequest& req) const {
  Principal scratch;
  const Principal& p = CallerOf(ctx, &scratch);
  // The account root on a resource of its own account with no resource policy: nothing
  // could deny it (policy::Evaluate: no statement applies, and root needs no identity allow),
  // so the condition context is not built. KMS keys always go through their key policy.
  const bool no_resource_policy = req.resource_policy == nullptr || req.resource_policy->empty();
  if (p.type == Principal::Type::kRoot && no_resource_policy && !req.kms_key &&
      p.identity_policies.empty() && !p.permissions_boundary && p.session_policies.empty() &&
      (req.resource_account.empty() || req.resource_account == ctx.account) &&
      ctx.account == p.account) {
    policy::Decision d;
    d.decision = policy::EvalDecision::kAllowed;
    d.reason = policy::DecisionReason::kRootOfAccount;
    return d;
  }
  policy::ContextKeys keys = req.keys;
  AddCallerKeys(ctx, p, &keys);
  if (req.resource_tags != nullptr) {
    for (const auto& [k, v] : *req.resource_tags) {
      keys.Set("aws:ResourceTag/" + k, v);
      if (!req.service_tag_prefix.empty()) {
        keys.Set(std::string(req.service_tag_prefix) + ":ResourceTag/" + k, v);
      }
    }
  }
  policy::ResourceView rv;
  rv.arn = req.resource_arn.empty() ? "*" : req.resource_arn;
  rv.account = req.resource_account.empty() ? ctx.account : req.resource_account;
  rv.is_kms_key = req.kms_key;
  rv.grants = req.grants;
  rv.requested_grant = req.requested_grant;
  if (req.resource_policy != nullptr && !req.resource_policy->empty()) {
    PolicySource src{*req.resource_policy,
                     req.resource_policy_id.empty() ? rv.arn : req.resource_policy_id,
                     PolicySource::Kind::kResource};
    auto ap = cache_.Apply(src);
    if (!ap.ok()) {
      // Fail closed. The services refuse such a document before storing it, so this is one
      // written by an older version or edited in the store. Read as "no policy" it would
      // drop its Deny statements (and a KMS key would fall back to the default key policy,
      // delegating to IAM); read as a policy without statements it would still let identity
      // policies past those Denies. Since what it denies is unknown, it allows nothing to
      // anyone, the account root included, and grants do not get past it either.
      spdlog::warn("resource policy {} does not compile ({}): every request on it is refused",
                   src.source_id, ap.status().message());
      policy::Decision d;
      d.decision = policy::EvalDecision::kImplicitDeny;
      d.reason = policy::DecisionReason::kNoResourceAllow;
      return d;
    }
    rv.resource_policy = std::move(ap).value();
  }
  policy::EvalRequest er;
  er.principal = &p;
  er.action = req.action;
  er.resource = &rv;
  er.context = &keys;
  for (const auto& src : p.identity_policies) {
    auto ap = cache_.Apply(src);
    if (!ap.ok()) {
      // Fail closed, as for a resource policy above: IAM refuses such a document before
      // storing it, so this one was written by an older version or edited in the store.
      // Dropping it would drop its Deny statements; what it denies is unknown, so the
      // principal it is attached to (directly or through a group) is refused everything.
      spdlog::warn("identity policy {} does not compile ({}): every request of {} is refused",
                   src.source_id, ap.status().message(), p.arn);
      policy::Decision d;
      d.decision = policy::EvalDecision::kImplicitDeny;
      d.reason = policy::DecisionReason::kNoIdentityAllow;
      return d;
    }
    er.identity.push_back(std::move(ap).value());
  }
  if (p.permissions_boundary) {
    auto ap = cache_.Apply(*p.permissions_boundary);
    // An unparseable boundary allows nothing (fail closed), rather than lifting the bound.
    er.boundary = ap.ok() ? std::move(ap).value()
                          : policy::AppliedPolicy{nullptr, p.permissions_boundary->source_id,
                                                  PolicySource::Kind::kBoundary};
  }
  for (const auto& src : p.session_policies) {
    auto ap = cache_.Apply(src);
    // An unparseable session policy allows nothing (fail closed), rather than lifting the
    // narrowing: dropping it could leave a session with no session policy at all.
    er.session.push_back(ap.ok() ? std::move(ap).value()
                                 : policy::AppliedPolicy{nullptr, src.source_id,
                                                         PolicySource::Kind::kSession});
  }
  return policy::Evaluate(er);
}

policy::Decision DecideKmsKeyAccess(const services::CallContext& ctx, AccessRequest& req,
                                    const KmsGrantPage& grants) {
  policy::Decision d = ctx.authorizer->Decide(ctx, req);
  if (d.decision != policy::EvalDecision::kImplicitDeny || !grants) return d;
  // Grants are read only when the policies did not decide: most calls never list them. Only
  // the grants naming the caller can allow it, so only those are kept for the evaluation.
  Principal scratch;
  const Principal& p = CallerOf(ctx, &scratch);
  req.grants.clear();
  std::string after;
  while (true) {
    std::string last;
    auto page = grants(after, &last);
    if (!page.ok()) {
      spdlog::warn("kms: listing the grants of {} failed: {}", req.resource_arn,
                   page.status().message());
      return d;
    }
    if (page->empty()) break;
    for (auto& g : *page) {
      if (g.grantee_principal == p.arn || g.grantee_principal == p.principal_arn) {
        req.grants.push_back(std::move(g));
      }
    }
    if (last.empty() || last == after) break;
    after = std::move(last);
  }
  if (req.grants.empty()) return d;
  policy::Decision with_grants = ctx.authorizer->Decide(ctx, req);
  return with_grants.allowed() ? with_grants : d;
}

// Parameter Store's words for a decryption the key refuses.
constexpr const char* kSsmDecryptDenied =
    "The ciphertext refers to a customer master key that does not exist, does not exist in this "
    "region, or you are not allowed to access.";

CallerKeyUse::CallerKeyUse(const services::CallContext& ctx, std::string_view service)
    : ctx_(ctx), service_(service) {
  ctx_.via_service = std::string(service) + "." + ctx.region + ".amazonaws.com";
}

Status CallerKeyUse::AllowKeyUse(const crypto::KeyUse& use) const {
  if (ctx_.authorizer == nullptr) return Status::Ok();
  if (use.aws_managed) {
    Principal scratch;
    if (CallerOf(ctx_, &scratch).account == use.key_account) return Status::Ok();
    // Parameter Store answers as for any key that refuses the caller (the managed key's
    // policy admits its own account only): another account reading a shared SecureString.
    if (service_ == "ssm" && use.action == "kms:Decrypt") {
      return Status(ErrorCode::kAccessDenied, kSsmDecryptDenied);
    }
    return Status(ErrorCode::kInvalidRequest,
                  "You can't access a secret from a different AWS account if you encrypt the "
                  "secret with the default KMS service key.");
  }
  std::string policy(use.key_policy);
  AccessRequest req;
  req.action = std::string(use.action);
  req.resource_arn = std::string(use.key_arn);
  req.resource_account = std::string(use.key_account);
  req.resource_tags = use.key_tags;
  req.resource_policy = &policy;
  req.resource_policy_id = req.resource_arn + "/default";
  req.kms_key = true;
  for (const auto& [k, v] : use.key_condition_keys) req.keys.Set(k, v);
  // The services use a symmetric key's one algorithm (KMS's default when a request names
  // none, which KMS offers as kms:EncryptionAlgorithm too).
  req.keys.Set("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
  if (use.context != nullptr) {
    std::vector<std::string> names;
    for (const auto& [k, v] : *use.context) {
      req.keys.Set("kms:EncryptionContext:" + k, v);
      names.push_back(k);
    }
    req.keys.SetList("kms:EncryptionContextKeys", std::move(names));
  }
  // Grants allow their grantees here as in KMS itself (one decision: DecideKmsKeyAccess),
  // matched against the service's encryption context.
  KmsGrantPage grants;
  if (use.grants) {
    grants = [&use](const std::string& after,
                    std::string* last) -> Result<std::vector<policy::KmsGrantView>> {
      ARCANA_ASSIGN_OR_RETURN(auto page, use.grants(after, last));
      std::vector<policy::KmsGrantView> out;
      out.reserve(page.size());
      for (auto& g : page) {
        out.push_back({std::move(g.grantee_principal), std::move(g.operations),
                       std::move(g.ec_equals), std::move(g.ec_subset), std::move(g.source_arn),
                       g.grantee_is_service});
      }
      return out;
    };
  }
  policy::Decision d = DecideKmsKeyAccess(ctx_, req, grants);
  if (d.allowed()) return Status::Ok();
  if (service_ != "ssm") return Status(ErrorCode::kAccessDenied, "Access to KMS is not allowed");
  if (use.action == "kms:Decrypt") return Status(ErrorCode::kAccessDenied, kSsmDecryptDenied);
  Principal scratch;
  return Status(ErrorCode::kAccessDenied,
                policy::DenialMessage(CallerOf(ctx_, &scratch), req.action, req.resource_arn, d));
}

}  // namespace arcana::auth
