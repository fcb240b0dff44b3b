// Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.
// Grants are stored and listed now; enforcement comes with the access-control work.
#include "domain/kms/grants.h"
#include "domain/kms/rules.h"
#include "services/kms/store_pages.h"
#include "services/kms/kms_encode.h"
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
  json::KV(w, "GranteePrincipal", g.grantee_principal);
  if (!g.retiring_principal.empty()) json::KV(w, "RetiringPrincipal", g.retiring_principal);
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

}  // namespace

Result<std::string> KmsService::CreateGrant(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in));
  dk::Grant g;
  g.account = ctx.account;
  g.region = ctx.region;
  g.grantee_principal = in.Str("GranteePrincipal").value_or("");
  g.retiring_principal = in.Str("RetiringPrincipal").value_or("");
  g.name = in.Str("Name").value_or("");
  g.operations = in.StrList("Operations").value_or(std::vector<std::string>{});
  if (g.operations.empty()) {
    return Status(ErrorCode::kValidation, "A grant needs at least one operation.");
  }
  if (const auto* c = in.Get("Constraints")) {
    if (!c->IsObject()) return Status(ErrorCode::kSerialization, "Constraints must be a structure");
    ARCANA_RETURN_IF_ERROR(ReadMap(*c, "EncryptionContextEquals", g.ec_equals, &g.has_constraints));
    ARCANA_RETURN_IF_ERROR(ReadMap(*c, "EncryptionContextSubset", g.ec_subset, &g.has_constraints));
  }
  g.issuing_account = "arn:aws:iam::" + ctx.account + ":root";
  g.created_ms = ctx.now_ms;
  std::lock_guard<std::mutex> l(ring_.write_mutex());
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  g.key_id = key.key_id;
  ARCANA_ASSIGN_OR_RETURN(auto existing, AllGrants(ring_.store(), ScopeOf(ctx), key.key_id));
  if (existing.size() >= dk::kMaxGrantsPerKey) {
    return Status(ErrorCode::kKmsLimitExceeded, "Too many grants on " + key.arn);
  }
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  // A retried CreateGrant with the same Name and the same grant returns the same grant id.
  if (!g.name.empty()) {
    for (const auto& e : existing) {
      if (e.name == g.name && e.grantee_principal == g.grantee_principal &&
          e.retiring_principal == g.retiring_principal && e.operations == g.operations &&
          e.ec_equals == g.ec_equals && e.ec_subset == g.ec_subset) {
        std::string token = dk::NewGrantToken(key.key_id, e.grant_id);
        return Body([&](json::Writer& w) {
          json::KV(w, "GrantToken", token);
          json::KV(w, "GrantId", e.grant_id);
        });
      }
    }
  }
  g.grant_id = dk::NewGrantId();
  g.grant_token = dk::NewGrantToken(key.key_id, g.grant_id);
  ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsGrant(g));
  return Body([&](json::Writer& w) {
    json::KV(w, "GrantToken", g.grant_token);
    json::KV(w, "GrantId", g.grant_id);
  });
}

Result<std::string> KmsService::ListGrants(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  auto grant_id = in.Str("GrantId");
  if (grant_id && !dk::IsValidGrantId(*grant_id)) {
    return Status(ErrorCode::kInvalidGrantId, "Invalid grant ID " + *grant_id);
  }
  auto grantee = in.Str("GranteePrincipal");
  ARCANA_ASSIGN_OR_RETURN(auto all, AllGrants(ring_.store(), ScopeOf(ctx), key.key_id));
  std::vector<dk::Grant> shown;
  for (auto& g : all) {
    if (grant_id && g.grant_id != *grant_id) continue;
    if (grantee && g.grantee_principal != *grantee) continue;
    shown.push_back(std::move(g));
  }
  std::string next;
  ARCANA_ASSIGN_OR_RETURN(auto page, dk::Page(shown, [](const dk::Grant& g) { return g.grant_id; },
                                              in.Int("Limit"), in.Str("Marker"), 50, &next));
  return GrantsBody(page, next, ctx.region);
}

Result<std::string> KmsService::ListRetirableGrants(const In& in, const CallContext& ctx) {
  std::string principal = in.Str("RetiringPrincipal").value_or("");
  ARCANA_ASSIGN_OR_RETURN(auto all,
                          AllRetirableGrants(ring_.store(), ScopeOf(ctx), principal));
  std::string next;
  ARCANA_ASSIGN_OR_RETURN(auto page, dk::Page(all, [](const dk::Grant& g) { return g.grant_id; },
                                              in.Int("Limit"), in.Str("Marker"), 50, &next));
  return GrantsBody(page, next, ctx.region);
}

Result<std::string> KmsService::RetireGrant(const In& in, const CallContext& ctx) {
  auto token = in.Str("GrantToken");
  auto key_ref = in.Str("KeyId");
  auto grant_id = in.Str("GrantId");
  std::string key_id, gid;
  std::lock_guard<std::mutex> l(ring_.write_mutex());
  if (token) {
    auto parts = dk::ParseGrantToken(*token);
    if (!parts) return Status(ErrorCode::kInvalidGrantToken, "Grant token is not valid.");
    key_id = parts->key_id;
    gid = parts->grant_id;
  } else {
    if (!key_ref || !grant_id) {
      return Status(ErrorCode::kValidation,
                    "RetireGrant needs a GrantToken, or both KeyId and GrantId.");
    }
    if (!dk::IsValidGrantId(*grant_id)) {
      return Status(ErrorCode::kInvalidGrantId, "Invalid grant ID " + *grant_id);
    }
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    key_id = key.key_id;
    gid = *grant_id;
  }
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_RETURN_IF_ERROR(ring_.store().DeleteKmsGrant(ScopeOf(ctx), key_id, gid));
  return std::string("{}");
}

Result<std::string> KmsService::RevokeGrant(const In& in, const CallContext& ctx) {
  std::string grant_id = in.Str("GrantId").value_or("");
  if (!dk::IsValidGrantId(grant_id)) {
    return Status(ErrorCode::kInvalidGrantId, "Invalid grant ID " + grant_id);
  }
  std::lock_guard<std::mutex> l(ring_.write_mutex());
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_RETURN_IF_ERROR(ring_.store().DeleteKmsGrant(ScopeOf(ctx), key.key_id, grant_id));
  return std::string("{}");
}

}  // namespace arcana::services::kms
