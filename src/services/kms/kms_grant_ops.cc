// Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant. A grantee
// or retiring principal is an ARN or, named in GranteeServicePrincipal /
// RetiringServicePrincipal, an AWS service principal (listed under the member it came in).
// Grants allow their grantees through the policy engine (kms_access.cc, auth::DecideKmsKeyAccess);
// RetireGrant is authorized by the grant itself (KmsService::AuthorizeRetireGrant).
// A grant lives with its key, in the key's account: CreateGrant, ListGrants, RetireGrant and
// RevokeGrant may name another account's key by its key ARN (ResolveKeyToAuthorize), so they
// reach the store in the key's scope, never the caller's. ListRetirableGrants lists the grants
// naming a principal of the caller's account on the region's keys of every account.
#include "domain/kms/grants.h"
#include "domain/kms/rules.h"
#include "services/common/write_retry.h"
#include "services/kms/kms_access.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_paging.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {

Status ReadMap(const rapidjson::Value& v, const char* name, std::map<std::string, std::string>& out,
               bool* present) {
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || it->value.IsNull()) return Status::Ok();
  if (!it->value.IsObject()) return Status(ErrorCode::kSerialization, std::string(name) + " must be a map");
  *present = true;
  for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
    if (!m->value.IsString()) return Status(ErrorCode::kSerialization, "map values must be strings");
    out[m->name.GetString()] = m->value.GetString();
  }
  return Status::Ok();
}

void WriteGrant(json::Writer& w, const dk::Grant& g, const std::string& key_arn) {
  w.StartObject();
  json::KV(w, "KeyId", key_arn);
  json::KV(w, "GrantId", g.grant_id);
  if (!g.name.empty()) json::KV(w, "Name", g.name);
  w.Key("CreationDate");
  json::WriteTimestamp(w, g.created_ms);
  json::KV(w, g.grantee_is_service ? "GranteeServicePrincipal" : "GranteePrincipal",
           g.grantee_principal);
  if (!g.retiring_principal.empty()) {
    json::KV(w, g.retiring_is_service ? "RetiringServicePrincipal" : "RetiringPrincipal",
             g.retiring_principal);
  }
  json::KV(w, "IssuingAccount", g.issuing_account);
  w.Key("Operations");
  json::WriteStringList(w, g.operations);
  if (g.has_constraints) {
    w.Key("Constraints");
    w.StartObject();
    auto map = [&](const char* name, const std::map<std::string, std::string>& m) {
      if (m.empty()) return;
      w.Key(name);
      w.StartObject();
      for (const auto& [k, v] : m) json::KV(w, k.c_str(), v);
      w.EndObject();
    };
    map("EncryptionContextEquals", g.ec_equals);
    map("EncryptionContextSubset", g.ec_subset);
    if (!g.source_arn.empty()) json::KV(w, "SourceArn", g.source_arn);
    w.EndObject();
  }
  w.EndObject();
}

std::string GrantsBody(const std::vector<dk::Grant>& page, const std::string& next,
                       const std::string& region) {
  return Body([&](json::Writer& w) {
    w.Key("Grants");
    w.StartArray();
    for (const auto& g : page) WriteGrant(w, g, dk::KeyArn(region, g.account, g.key_id));
    w.EndArray();
    WritePageEnd(w, next);
  });
}

// AWS's NotFoundException for a grant id the key does not hold (the store's words).
Status GrantNotFound(const std::string& grant_id) {
  return Status(ErrorCode::kKmsNotFound, "Grant ID " + grant_id + " not found");
}

// One grant of a key, or nullopt. Grant ids are 64 hex digits: the ids listed after the
// first 63 digits of `grant_id` are the (at most 16) ids sharing them, in order.
Result<std::optional<dk::Grant>> FindGrant(storage::KmsStore& store, const storage::Scope& scope,
                                           const std::string& key_id,
                                           const std::string& grant_id) {
  ARCANA_ASSIGN_OR_RETURN(auto near, store.ListKmsGrants(scope, key_id,
                                                         grant_id.substr(0, grant_id.size() - 1),
                                                         16));
  for (auto& g : near) {
    if (g.grant_id == grant_id) return std::optional<dk::Grant>(std::move(g));
  }
  return std::optional<dk::Grant>();
}

// Exactly one of a pair of members (GranteePrincipal / GranteeServicePrincipal, ...), as
// AWS's reference words the rule ("You must specify either X or Y, but not both"); `required`
// false allows neither. Neither, when one is required, is refused as the model refused a
// missing `a` before the service principal members existed (a recorded client sees the
// same answer as before).
Status EitherOf(const std::optional<std::string>& a, const char* a_name,
                const std::optional<std::string>& b, const char* b_name, bool required) {
  if (a && b) {
    return Status(ErrorCode::kValidation, std::string("You can specify either ") + a_name +
                                              " or " + b_name + ", but not both.");
  }
  if (required && !a && !b) {
    std::string member(a_name);
    member[0] = static_cast<char>(member[0] - 'A' + 'a');
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value null at '" + member +
                      "' failed to satisfy constraint: Member must not be null");
  }
  return Status::Ok();
}

// AWS's exception for a grant token it does not take ("The request was rejected because the
// specified grant token is not valid"); AWS documents no message.
Status InvalidGrantToken() {
  return Status(ErrorCode::kInvalidGrantToken, "Grant token is not valid.");
}

}  // namespace

Status KmsService::CheckGrantTokens(const In& in, const CallContext& ctx) {
  auto tokens = in.StrList("GrantTokens");
  if (!tokens) return Status::Ok();
  // A token is taken when it is one this server issued for a grant it holds: one that does
  // not parse, or names no grant of its key (made up, or of a grant since retired or
  // revoked), or whose randomness is not the grant's (made up from a listed grant id), is
  // InvalidGrantTokenException. Grants are read from the store, which every node shares, so a
  // new grant is known as soon as CreateGrant answers and its tokens always pass; they add
  // nothing to the authorization, which reads the key's grants itself.
  for (const auto& token : *tokens) {
    auto parts = dk::ParseGrantToken(token);
    if (!parts) return InvalidGrantToken();
    storage::Scope scope = ScopeOf(ctx);  // a gt1 token names a key of the caller's account
    if (!parts->key_arn.empty()) {
      auto ref = dk::ParseKeyRef(parts->key_arn);
      if (!ref.ok() || ref->kind != dk::KeyRef::kKeyArn) return InvalidGrantToken();
      scope = {ref->account, ref->region};
    }
    ARCANA_ASSIGN_OR_RETURN(auto grant,
                            FindGrant(ring_.store(), scope, parts->key_id, parts->grant_id));
    if (!grant || !dk::GrantTokenMatches(token, grant->grant_token)) return InvalidGrantToken();
  }
  return Status::Ok();
}

Result<std::string> KmsService::CreateGrant(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  dk::Grant g;
  const auto grantee = in.Str("GranteePrincipal");
  const auto grantee_service = in.Str("GranteeServicePrincipal");
  const auto retiring = in.Str("RetiringPrincipal");
  const auto retiring_service = in.Str("RetiringServicePrincipal");
  ARCANA_RETURN_IF_ERROR(EitherOf(grantee, "GranteePrincipal", grantee_service,
                                  "GranteeServicePrincipal", /*required=*/true));
  ARCANA_RETURN_IF_ERROR(EitherOf(retiring, "RetiringPrincipal", retiring_service,
                                  "RetiringServicePrincipal", /*required=*/false));
  g.grantee_is_service = grantee_service.has_value();
  g.grantee_principal = grantee_service.value_or(grantee.value_or(""));
  g.retiring_is_service = retiring_service.has_value();
  g.retiring_principal = retiring_service.value_or(retiring.value_or(""));
  g.name = in.Str("Name").value_or("");
  g.operations = in.StrList("Operations").value_or(std::vector<std::string>{});
  if (g.operations.empty()) {
    return Status(ErrorCode::kValidation, "A grant needs at least one operation.");
  }
  bool context_constraints = false;  // EncryptionContextEquals / Subset, even empty
  if (const auto* c = in.Get("Constraints")) {
    if (!c->IsObject()) return Status(ErrorCode::kSerialization, "Constraints must be a structure");
    bool has_equals = false, has_subset = false;
    ARCANA_RETURN_IF_ERROR(ReadMap(*c, "EncryptionContextEquals", g.ec_equals, &has_equals));
    ARCANA_RETURN_IF_ERROR(ReadMap(*c, "EncryptionContextSubset", g.ec_subset, &has_subset));
    ARCANA_RETURN_IF_ERROR(dk::CheckGrantConstraints(has_equals ? &g.ec_equals : nullptr,
                                                     has_subset ? &g.ec_subset : nullptr));
    context_constraints = has_equals || has_subset;
    if (auto it = c->FindMember("SourceArn"); it != c->MemberEnd() && it->value.IsString()) {
      g.source_arn = it->value.GetString();
    }
  }
  g.has_constraints = context_constraints || !g.source_arn.empty();
  // A grant to a service principal is for requests the service makes on behalf of one
  // resource, and names who retires it (CreateGrant's GranteeServicePrincipal: "you must also
  // specify a SourceArn grant constraint. In addition, you must specify either a
  // RetiringPrincipal or a RetiringServicePrincipal").
  if (g.grantee_is_service) {
    ARCANA_RETURN_IF_ERROR(dk::CheckServicePrincipal(g.grantee_principal, "GranteeServicePrincipal"));
    if (g.source_arn.empty()) {
      return Status(ErrorCode::kValidation,
                    "A grant for a GranteeServicePrincipal must include a SourceArn grant "
                    "constraint.");
    }
    if (g.retiring_principal.empty()) {
      return Status(ErrorCode::kValidation,
                    "A grant for a GranteeServicePrincipal must specify a RetiringPrincipal or a "
                    "RetiringServicePrincipal.");
    }
  }
  if (g.retiring_is_service) {
    ARCANA_RETURN_IF_ERROR(
        dk::CheckServicePrincipal(g.retiring_principal, "RetiringServicePrincipal"));
  }
  // The account whose principal created the grant, which may not be the key's.
  g.issuing_account = "arn:aws:iam::" + ctx.account + ":root";
  g.created_ms = ctx.now_ms;
  auto key_ref = in.Str("KeyId");
  if (!key_ref) return Status(ErrorCode::kValidation, "KeyId is required");
  // One attempt reads the key, checks it, and has the store make the grant at the revision
  // read: a retry of this request (the same Name and grant) running on another node, the
  // per-key limit and a key state changed meanwhile (ScheduleKeyDeletion, DisableKey) are
  // decided in that one write (storage/kms_store.h CreateKmsGrant); a key that moved on is
  // read and checked again.
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key,
                            ResolveKeyToAuthorize(*key_ref, ctx, /*allow_alias=*/false));
    // A grant allowing CreateGrant allows only grants it covers (the evaluator compares them).
    const auth::policy::KmsGrantView requested = GrantView(g);
    ARCANA_RETURN_IF_ERROR(AuthorizeKey(ctx, key, &requested));
    ctx.Touch(audit::kKmsKeyType, key.arn);
    ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
    ARCANA_RETURN_IF_ERROR(dk::CheckGrantFitsKey(key, g.operations, context_constraints));
    if (!g.grantee_is_service) {
      ARCANA_RETURN_IF_ERROR(dk::CheckGranteePrincipal(g.grantee_principal));
    }
    ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
    dk::Grant fresh = g;
    fresh.account = key.account;
    fresh.region = key.region;
    fresh.key_id = key.key_id;
    fresh.grant_id = dk::NewGrantId();
    fresh.grant_token = dk::NewGrantToken(key.arn, fresh.grant_id);
    ARCANA_ASSIGN_OR_RETURN(
        dk::Grant held, ring_.store().CreateKmsGrant(fresh, key.revision, dk::kMaxGrantsPerKey));
    // A retry finds the grant it made: the same grant id with a new token ("the returned grant
    // token is unique with every CreateGrant request, even when a duplicate GrantId is
    // returned. All grant tokens for the same grant ID can be used interchangeably"), one the
    // grant's stored token verifies, so RetireGrant and GrantTokens take it as the first.
    const std::string token =
        held.grant_id == fresh.grant_id
            ? held.grant_token
            : dk::ReissueGrantToken(held.grant_token, key.arn).value_or(held.grant_token);
    return Body([&](json::Writer& w) {
      json::KV(w, "GrantToken", token);
      json::KV(w, "GrantId", held.grant_id);
    });
  });
}

Result<std::string> KmsService::ListGrants(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  auto grant_id = in.Str("GrantId");
  if (grant_id && !dk::IsValidGrantId(*grant_id)) {
    return Status(ErrorCode::kInvalidGrantId, "Invalid grant ID " + *grant_id);
  }
  const auto grantee = in.Str("GranteePrincipal");
  const auto grantee_service = in.Str("GranteeServicePrincipal");
  ARCANA_RETURN_IF_ERROR(EitherOf(grantee, "GranteePrincipal", grantee_service,
                                  "GranteeServicePrincipal", /*required=*/false));
  std::string next;
  ARCANA_ASSIGN_OR_RETURN(
      auto page,
      StorePage<dk::Grant>(
          in, 50,
          [&](const std::string& after, size_t n) {
            return ring_.store().ListKmsGrants({key.account, key.region}, key.key_id, after, n);
          },
          [&](const dk::Grant& g) {
            return (!grant_id || g.grant_id == *grant_id) &&
                   (!grantee || (!g.grantee_is_service && g.grantee_principal == *grantee)) &&
                   (!grantee_service ||
                    (g.grantee_is_service && g.grantee_principal == *grantee_service));
          },
          [](const dk::Grant& g) { return g.grant_id; }, &next));
  return GrantsBody(page, next, ctx.region);
}

Result<std::string> KmsService::ListRetirableGrants(const In& in, const CallContext& ctx) {
  const auto retiring = in.Str("RetiringPrincipal");
  const auto retiring_service = in.Str("RetiringServicePrincipal");
  ARCANA_RETURN_IF_ERROR(EitherOf(retiring, "RetiringPrincipal", retiring_service,
                                  "RetiringServicePrincipal", /*required=*/true));
  const bool service = retiring_service.has_value();
  const std::string principal = service ? *retiring_service : *retiring;
  // The grants naming the principal on the region's keys of every account ("The grants that
  // are returned include grants for KMS keys in your Amazon Web Services account and other
  // Amazon Web Services accounts"); Call authorized the principal as a resource of the
  // caller's account. A value that names no account's principal (RetiringServicePrincipal, or
  // a malformed RetiringPrincipal) lists the caller's account only, as it names no one whose
  // grants on other accounts' keys the caller may see.
  const bool every_account = dk::PrincipalAccount(principal) == ctx.account;
  std::string next;
  ARCANA_ASSIGN_OR_RETURN(
      auto page,
      StorePage<dk::Grant>(
          in, 50,
          [&](const std::string& after, size_t n) {
            return ring_.store().ListKmsGrantsByRetiringPrincipal(ctx.region, principal, after, n);
          },
          [&](const dk::Grant& g) {
            return g.retiring_is_service == service &&
                   (every_account || g.account == ctx.account);
          },
          [](const dk::Grant& g) { return g.grant_id; }, &next));
  return GrantsBody(page, next, ctx.region);
}

Result<std::string> KmsService::RetireGrant(const In& in, const CallContext& ctx) {
  auto token = in.Str("GrantToken");
  auto key_ref = in.Str("KeyId");
  auto grant_id = in.Str("GrantId");
  std::string key_ref_text, gid;
  if (token) {
    auto parts = dk::ParseGrantToken(*token);
    if (!parts) return InvalidGrantToken();
    // A gt2 token names the key by its ARN: the key may be another account's.
    key_ref_text = parts->key_arn.empty() ? parts->key_id : parts->key_arn;
    gid = parts->grant_id;
  } else {
    if (!key_ref || !grant_id) {
      return Status(ErrorCode::kValidation,
                    "RetireGrant needs a GrantToken, or both KeyId and GrantId.");
    }
    key_ref_text = *key_ref;
    gid = *grant_id;
  }
  if (!dk::IsValidGrantId(gid)) {
    return Status(ErrorCode::kInvalidGrantId, "Invalid grant ID " + gid);
  }
  // The grant decides who may retire it (AuthorizeRetireGrant), not the key policy.
  ARCANA_ASSIGN_OR_RETURN(Key key, ResolveKeyToAuthorize(key_ref_text, ctx, /*allow_alias=*/false));
  const storage::Scope key_scope{key.account, key.region};
  ARCANA_ASSIGN_OR_RETURN(auto grant, FindGrant(ring_.store(), key_scope, key.key_id, gid));
  if (!grant) return GrantNotFound(gid);
  // A token names its grant, but only the grant's own token retires it: one made up from a
  // listed grant id and key ARN is refused.
  if (token && !dk::GrantTokenMatches(*token, grant->grant_token)) return InvalidGrantToken();
  ARCANA_RETURN_IF_ERROR(AuthorizeRetireGrant(ctx, key, *grant));
  ctx.Touch(audit::kKmsKeyType, key.arn);
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_RETURN_IF_ERROR(ring_.store().DeleteKmsGrant(key_scope, key.key_id, gid));
  return std::string("{}");
}

Result<std::string> KmsService::RevokeGrant(const In& in, const CallContext& ctx) {
  std::string grant_id = in.Str("GrantId").value_or("");
  if (!dk::IsValidGrantId(grant_id)) {
    return Status(ErrorCode::kInvalidGrantId, "Invalid grant ID " + grant_id);
  }
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_RETURN_IF_ERROR(
      ring_.store().DeleteKmsGrant({key.account, key.region}, key.key_id, grant_id));
  return std::string("{}");
}

}  // namespace arcana::services::kms
