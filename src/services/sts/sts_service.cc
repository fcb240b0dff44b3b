#include "services/sts/sts_service.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "auth/authorizer.h"
#include "auth/policy/evaluator.h"
#include "auth/policy/policy.h"
#include "common/pattern.h"
#include "domain/iam/identity.h"
#include "services/sts/mfa_check.h"
#include "services/sts/session_rules.h"
#include "storage/identity_codec.h"

namespace arcana::services::sts {
namespace {

using auth::Principal;
using auth::PolicySource;
using domain::iam::Session;

// The request context of an AssumeRole call: who calls, and what the session will carry.
policy::ContextKeys AssumeRoleContext(const Principal& p, const CallContext& ctx,
                                      const Session& s, const std::string& external_id,
                                      bool mfa_now) {
  policy::ContextKeys keys;
  // A code given with this call authenticates it with MFA, whatever the caller's credentials.
  if (mfa_now) {
    keys.Set("aws:MultiFactorAuthPresent", "true");
    keys.Set("aws:MultiFactorAuthAge", "0");
  }
  keys.Set("aws:PrincipalArn", p.principal_arn);
  keys.Set("aws:PrincipalAccount", p.account);
  keys.Set("aws:userid", p.user_id);
  if (!p.user_name.empty()) keys.Set("aws:username", p.user_name);
  for (const auto& [k, v] : p.tags) keys.Set("aws:PrincipalTag/" + k, v);
  std::vector<std::string> tag_keys;
  for (const auto& [k, v] : s.tags) {
    keys.Set("aws:RequestTag/" + k, v);
    tag_keys.push_back(k);
  }
  if (!tag_keys.empty()) keys.SetList("aws:TagKeys", tag_keys);
  keys.Set("sts:RoleSessionName", s.session_name);
  if (!p.source_identity.empty()) keys.Set("aws:SourceIdentity", p.source_identity);
  if (!s.source_identity.empty()) keys.Set("sts:SourceIdentity", s.source_identity);
  if (!external_id.empty()) keys.Set("sts:ExternalId", external_id);
  // The transport's and the clock's keys, as on every other call (aws:SourceIp,
  // aws:CurrentTime, aws:EpochTime, aws:SecureTransport, aws:PrincipalType, ...).
  auth::AddCallerKeys(ctx, p, &keys);
  return keys;
}

// The models' tagKeyType / tagValueType patterns, [\p{L}\p{Z}\p{N}_.:/=+\-@]+ and ...*
// (Unicode classes: RE2 matches UTF-8).
bool StsTagText(std::string_view text, bool key) {
  static const auto kKey = pattern::Compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", 64).pattern;
  static const auto kValue = pattern::Compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", 64).pattern;
  const auto& p = key ? kKey : kValue;
  return p != nullptr && p->FullMatch(text);
}

}  // namespace

StsService::StsService(storage::IdentityStore& store, storage::AccessKeyStore& root_keys,
                       const auth::IdentityResolver& resolver, auth::OidcKeys& oidc_keys)
    : store_(store),
      root_keys_(root_keys),
      resolver_(resolver),
      oidc_keys_(oidc_keys),
      // The web identity token, SAML assertion and MFA code are credentials, though this
      // model marks only webIdentityTokenType sensitive: a violation never quotes them.
      //
      // Every member's pattern is checked before the call reaches a handler, with AWS's
      // wording ("Value 'a b' at 'sourceIdentity' failed to satisfy constraint: Member must
      // satisfy regular expression pattern: [\w+=,.@-]*"): the one-class patterns (session
      // names, SourceIdentity, ExternalId, SerialNumber, TokenCode, GetFederationToken's Name,
      // access key ids), and the tag patterns' Unicode classes through RE2.
      validator_("sts", ErrorCode::kValidation, ModelValidator::Patterns::kCharacterClasses, {},
                 ModelValidator::ListValues::kPaths,
                 {"clientTokenType", "SAMLAssertionType", "tokenCodeType"},
                 {{"tagKeyType", [](std::string_view t) { return StsTagText(t, true); }},
                  {"tagValueType", [](std::string_view t) { return StsTagText(t, false); }}}),
      query_("sts") {}

Result<std::string> StsService::Call(std::string_view operation, const rapidjson::Value& input,
                                     const CallContext& ctx) {
  json::Input in(input);
  // "You can provide up to 10 managed policy ARNs" (the model's documentation of PolicyArns;
  // its list shape has no bound): refused before anything else, in the model's wording for a
  // list too long.
  if (const auto* arns = in.Get("PolicyArns"); arns != nullptr && arns->IsArray() &&
                                               arns->Size() > 10) {
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value at 'policyArns' failed to satisfy "
                  "constraint: Member must have length less than or equal to 10");
  }
  // A federated user calls only GetCallerIdentity; a GetSessionToken session also AssumeRole.
  if (ctx.principal) {
    ARCANA_RETURN_IF_ERROR(auth::CheckTemporaryCredentialUse(*ctx.principal, "sts", operation));
  }
  if (operation == "GetCallerIdentity") return GetCallerIdentity(in, ctx);
  if (operation == "GetSessionToken") return GetSessionToken(in, ctx);
  if (operation == "AssumeRole") return AssumeRole(in, ctx);
  if (operation == "GetFederationToken") return GetFederationToken(in, ctx);
  if (operation == "AssumeRoleWithWebIdentity") return AssumeRoleWithWebIdentity(in, ctx);
  if (operation == "AssumeRoleWithSAML") return AssumeRoleWithSAML(in, ctx);
  if (operation == "GetAccessKeyInfo") return GetAccessKeyInfo(in, ctx);
  if (operation == "DecodeAuthorizationMessage") return DecodeAuthorizationMessage(in, ctx);
  if (operation == "GetWebIdentityToken") return GetWebIdentityToken(in, ctx);
  return Status(ErrorCode::kUnknownOperation,
                "Operation " + std::string(operation) + " is not supported by this server.");
}

Result<std::string> StsService::GetCallerIdentity(const json::Input&, const CallContext& ctx) {
  Principal root = auth::RootPrincipal(ctx.account, ctx.access_key_id);
  const Principal& p = ctx.principal ? *ctx.principal : root;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "UserId", p.user_id);
  json::KV(w, "Account", p.account);
  json::KV(w, "Arn", p.arn);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> StsService::GetSessionToken(const json::Input& in, const CallContext& ctx) {
  Principal root = auth::RootPrincipal(ctx.account, ctx.access_key_id);
  const Principal& p = ctx.principal ? *ctx.principal : root;
  if (p.temporary) {
    return Status(ErrorCode::kAccessDenied,
                  "Cannot call GetSessionToken with session credentials");
  }
  int64_t seconds = in.Int("DurationSeconds").value_or(kDefaultSessionSeconds);
  Session s;
  ARCANA_ASSIGN_OR_RETURN(s.mfa_authenticated_ms,
                          CheckMfaCode(store_, resolver_, p, in, ctx.now_ms));
  if (p.type == Principal::Type::kUser) {
    s.kind = "user";
    s.subject = p.user_name;
    s.subject_id = p.user_id;  // the session is this user's, not its name's
  } else {
    s.kind = "root";
    seconds = std::min(seconds, kRootSessionMaxSeconds);
  }
  ARCANA_ASSIGN_OR_RETURN(auto key, resolver_.CreateSession(ctx.account, s, ctx.now_ms, seconds));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteCredentials(w, key);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> StsService::GetFederationToken(const json::Input& in, const CallContext& ctx) {
  Principal root = auth::RootPrincipal(ctx.account, ctx.access_key_id);
  const Principal& caller = ctx.principal ? *ctx.principal : root;
  const std::string fed_name = *in.Str("Name");
  ARCANA_RETURN_IF_ERROR(CheckSessionName(fed_name, "name"));
  if (caller.temporary) {
    return Status(ErrorCode::kAccessDenied,
                  "Cannot call GetFederationToken with session credentials");
  }
  if (caller.type != Principal::Type::kUser && caller.type != Principal::Type::kRoot) {
    return Status(ErrorCode::kAccessDenied,
                  "GetFederationToken is called with the long-term credentials of an IAM user "
                  "or of the account root");
  }
  const std::string fed_arn = "arn:aws:sts::" + ctx.account + ":federated-user/" + fed_name;
  // An IAM user needs sts:GetFederationToken on the federated user it names, as in AWS.
  auth::AccessRequest access;
  access.action = "sts:GetFederationToken";
  access.resource_arn = fed_arn;
  ARCANA_RETURN_IF_ERROR(auth::Check(ctx, access));
  ARCANA_ASSIGN_OR_RETURN(Session session, SessionOf(in, caller));
  // Passing session tags needs sts:TagSession on the federated user too, as AWS requires ("An
  // administrator must grant you the permissions necessary to pass session tags").
  if (!session.tags.empty()) {
    auth::AccessRequest tag_access;
    tag_access.action = "sts:TagSession";
    tag_access.resource_arn = fed_arn;
    ARCANA_RETURN_IF_ERROR(auth::Check(ctx, tag_access));
  }
  session.kind = "federated";
  session.subject = caller.type == Principal::Type::kUser ? caller.user_name : "";
  session.subject_id = caller.type == Principal::Type::kUser ? caller.user_id : "";
  session.session_name = fed_name;
  session.transitive_tag_keys.clear();  // federation sessions cannot be chained
  int64_t seconds = in.Int("DurationSeconds").value_or(kDefaultSessionSeconds);
  // Root's sessions last at most an hour: a longer request gets an hour, as AWS documents.
  if (caller.type == Principal::Type::kRoot) seconds = std::min(seconds, kRootSessionMaxSeconds);
  int64_t packed = PackedPolicySize(session);
  ARCANA_RETURN_IF_ERROR(CheckPackedPolicySize(packed));
  ARCANA_ASSIGN_OR_RETURN(auto key,
                          resolver_.CreateSession(ctx.account, session, ctx.now_ms, seconds));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteCredentials(w, key);
  w.Key("FederatedUser");
  w.StartObject();
  json::KV(w, "FederatedUserId", ctx.account + ":" + fed_name);
  json::KV(w, "Arn", fed_arn);
  w.EndObject();
  // Unlike AssumeRole's, its answer always carries PackedPolicySize (0 without session
  // policies or tags), as AWS recorded it (LocalStack's validated test_get_federation_token).
  w.Key("PackedPolicySize");
  w.Int64(packed);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> StsService::AssumeRole(const json::Input& in, const CallContext& ctx) {
  Principal root = auth::RootPrincipal(ctx.account, ctx.access_key_id);
  const Principal& caller = ctx.principal ? *ctx.principal : root;
  // The session name's pattern is checked before the ARN, as AWS does.
  ARCANA_RETURN_IF_ERROR(CheckSessionName(in.Str("RoleSessionName").value_or("")));
  std::string role_arn = *in.Str("RoleArn");
  // arn:aws:iam::ACCOUNT:role/PATH/NAME
  std::string account, name;
  ARCANA_RETURN_IF_ERROR(ParseRoleArn(role_arn, &account, &name));
  // A session's source identity cannot be changed along a role chain: AWS denies a chained
  // request that sets a different one ("If the user attempts to set a source identity that is
  // different from the value set when CriticalRole was assumed, the assume role request will
  // be denied", IAM User Guide, Monitor and control actions taken with assumed roles). It is
  // refused before the role is looked up, so the answer tells nothing of the role's existence.
  const std::optional<std::string> requested_source_identity = in.Str("SourceIdentity");
  if (!caller.source_identity.empty() && requested_source_identity &&
      *requested_source_identity != caller.source_identity) {
    return AccessDenied(caller, "sts:SetSourceIdentity", role_arn);
  }
  // A role that does not exist is a denial, as in AWS (no probing for role names).
  ARCANA_ASSIGN_OR_RETURN(auto entity, store_.GetEntity(account, "role", name));
  if (!entity) return AccessDenied(caller, "sts:AssumeRole", role_arn);
  ARCANA_ASSIGN_OR_RETURN(auto role, storage::IdentityFromEntity(*entity));
  if (role.Arn() != role_arn) return AccessDenied(caller, "sts:AssumeRole", role_arn);

  ARCANA_ASSIGN_OR_RETURN(Session session, SessionOf(in, caller));
  session.subject = role.name;
  session.subject_id = role.id;  // the session is this role's, not its name's
  // A source identity set once stays with every session chained from it, as in AWS (the
  // request may repeat it, but not change it: refused above).
  session.source_identity = caller.source_identity.empty()
                                ? requested_source_identity.value_or("")
                                : caller.source_identity;
  ARCANA_ASSIGN_OR_RETURN(const int64_t seconds, SessionSeconds(in, role));
  // Role chaining is limited to one hour, as in AWS.
  if (caller.type == Principal::Type::kAssumedRole && seconds > 3600) {
    return Status(ErrorCode::kValidation,
                  "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                  "assumed by role chaining.");
  }
  int64_t packed = PackedPolicySize(session);
  ARCANA_RETURN_IF_ERROR(CheckPackedPolicySize(packed));

  std::optional<policy::ResourceView> resource = TrustView(role, role_arn, account);
  if (!resource) return AccessDenied(caller, "sts:AssumeRole", role_arn);
  // An MFA code given now authenticates the session with MFA; without one a session chained
  // from an MFA-authenticated one keeps that authentication and its time.
  ARCANA_ASSIGN_OR_RETURN(const int64_t mfa_ms,
                          CheckMfaCode(store_, resolver_, caller, in, ctx.now_ms));
  session.mfa_authenticated_ms = mfa_ms != 0 ? mfa_ms : caller.mfa_authenticated_ms;
  policy::ContextKeys keys =
      AssumeRoleContext(caller, ctx, session, in.Str("ExternalId").value_or(""), mfa_ms != 0);
  policy::EvalRequest req;
  req.principal = &caller;
  req.resource = &*resource;
  req.context = &keys;
  // A stored policy that does not compile fails closed, as in the authorizer
  // (auth::PolicyAuthorizer::Decide): dropped, its Deny statements would no longer count
  // (an identity policy), or the caller would no longer be bounded or narrowed (a boundary,
  // a session policy). IAM refuses such documents, so one was written by an older version or
  // edited in the store.
  for (const auto& src : caller.identity_policies) {
    auto applied = Compile(src);
    if (!applied.ok()) {
      spdlog::warn("identity policy {} does not compile ({}): sts:AssumeRole of {} is refused",
                   src.source_id, applied.status().message(), caller.arn);
      return AccessDenied(caller, "sts:AssumeRole", role_arn);
    }
    req.identity.push_back(std::move(applied).value());
  }
  if (caller.permissions_boundary) {
    auto applied = Compile(*caller.permissions_boundary);
    req.boundary = applied.ok() ? std::move(applied).value()
                                : policy::AppliedPolicy{nullptr,
                                                        caller.permissions_boundary->source_id,
                                                        auth::PolicySource::Kind::kBoundary};
  }
  for (const auto& src : caller.session_policies) {
    auto applied = Compile(src);
    req.session.push_back(applied.ok() ? std::move(applied).value()
                                       : policy::AppliedPolicy{nullptr, src.source_id,
                                                               auth::PolicySource::Kind::kSession});
  }
  // Passing session tags also needs sts:TagSession, as AWS requires.
  const auto* request_tags = in.Get("Tags");
  const bool tags_passed = request_tags != nullptr && request_tags->IsArray() &&
                           !request_tags->GetArray().Empty();
  // So does setting (or carrying over) a source identity: sts:SetSourceIdentity.
  for (const char* action : {"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"}) {
    if (std::string_view(action) == "sts:TagSession" && !tags_passed) continue;
    if (std::string_view(action) == "sts:SetSourceIdentity" && session.source_identity.empty()) {
      continue;
    }
    req.action = action;
    policy::Decision decision = policy::Evaluate(req);
    if (!decision.allowed()) {
      return Status(ErrorCode::kAccessDenied,
                    policy::DenialMessage(caller, action, role_arn, decision));
    }
  }

  ARCANA_ASSIGN_OR_RETURN(auto key, resolver_.CreateSession(account, session, ctx.now_ms, seconds));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteRoleSession(w, key, account, role, session, tags_passed, packed);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::sts
