// IAM's last accessed information ("access advisor"): GenerateServiceLastAccessedDetails,
// GetServiceLastAccessedDetails, GetServiceLastAccessedDetailsWithEntities and
// ListPoliciesGrantingServiceAccess.
//
// The data: when each IAM user and role (a role's sessions count for the role) last made an
// authenticated call to each service and action, noted by the authenticate stage
// (auth/service_use_log.h) and kept in the identity store (IdentityStore::RecordServiceUses).
// A report lists the services the subject's identity policies allow (service_access.h):
// - a user: its own and its groups' policies; the user's own calls;
// - a role: its policies; its sessions' calls;
// - a group: its policies; its members' calls (the entities of the report are the members);
// - a managed policy: what it allows; the calls of the users and roles it is attached to, and
//   of the members of the groups it is attached to (the entities: those users, roles and
//   groups).
// The report is computed when the job is made (with this node's uses not yet flushed) and
// kept in the store under its job id, so that any node answers its Get calls; the job is
// COMPLETED at once. Only the caller that made a job reads it (AWS: "must be used by the same
// role within a session, or by the same user"); another caller, an unknown or an expired id is
// NoSuchEntity. AWS documents no lifetime for a job and no cap on jobs; Arcana keeps one for
// kJobLifetimeMs, and keeps only the newest IdentityStore::kJobsPerOwner of a caller and
// kJobsPerAccount of an account (each report is kept whole, ~20 KB at ACTION_LEVEL, so
// without a cap repeated calls grew the store without bound): an older job is dropped, and
// its id is then NoSuchEntity like an expired one.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "auth/policy/policy.h"
#include "auth/policy/request_context.h"
#include "crypto/random.h"
#include "services/iam/iam_service.h"
#include "services/iam/service_access.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

namespace {

constexpr int64_t kJobLifetimeMs = int64_t{7} * 24 * 3600 * 1000;

using auth::policy::CompiledPolicy;

// The latest use among `uses` of `service` and `action` by any of `ids`.
struct Latest {
  const storage::ServiceUse* use = nullptr;
  int64_t entities = 0;  // how many of `ids` made such a use
};
Latest LatestOf(const std::vector<storage::ServiceUse>& uses, const std::vector<std::string>& ids,
                const std::string& service, const std::string& action) {
  Latest out;
  std::set<std::string> seen;
  for (const auto& u : uses) {
    if (u.service != service || u.action != action) continue;
    if (std::find(ids.begin(), ids.end(), u.entity_id) == ids.end()) continue;
    seen.insert(u.entity_id);
    if (out.use == nullptr || out.use->when_ms < u.when_ms) out.use = &u;
  }
  out.entities = static_cast<int64_t>(seen.size());
  return out;
}

// The job's caller, as the job records its owner.
std::string CallerOf(const CallContext& ctx) {
  return ctx.principal ? ctx.principal->arn : ctx.principal_arn;
}

Status NoSuchJob(const std::string& id) {
  return Status(ErrorCode::kResourceNotFound, "No job found with JobId " + id + ".");
}

}  // namespace

Result<IamService::AccessSubject> IamService::AccessSubjectOf(const CallContext& ctx,
                                                              const std::string& arn,
                                                              bool policies_too) {
  const Status invalid(ErrorCode::kInvalidParameter, "ARN " + arn + " is not valid.");
  const std::string prefix = "arn:aws:iam::";
  if (!arn.starts_with(prefix)) return invalid;
  const size_t colon = arn.find(':', prefix.size());
  if (colon == std::string::npos) return invalid;
  const std::string account = arn.substr(prefix.size(), colon - prefix.size());
  const std::string resource = arn.substr(colon + 1);
  const size_t slash = resource.find('/');
  const size_t last = resource.rfind('/');
  if (slash == std::string::npos || last + 1 >= resource.size()) return invalid;
  const std::string type = resource.substr(0, slash);
  const std::string name = resource.substr(last + 1);
  AccessSubject s;
  s.kind = type;
  auto member_of = [](const Identity& i) {
    return AccessEntity{i.Arn(), i.name, i.kind == "user" ? "USER" : i.kind == "role" ? "ROLE"
                                                                                     : "GROUP",
                        i.id, i.path, {{i.id, i.Arn()}}};
  };
  // The users of a group (a group's `groups` are its members), those that still exist.
  auto members_of = [&](const Identity& g) -> Result<std::vector<Identity>> {
    std::vector<Identity> out;
    for (const auto& user : g.groups) {
      auto u = Load(ctx, "user", user);
      if (!u.ok()) {
        if (u.status().code() == ErrorCode::kResourceNotFound) continue;  // deleted meanwhile
        return u.status();
      }
      out.push_back(std::move(*u));
    }
    return out;
  };
  // A group as one entity (a policy report's): its members' calls are its own.
  auto group_entity = [&](const Identity& g) -> Result<AccessEntity> {
    AccessEntity e = member_of(g);
    e.members.clear();
    ARCANA_ASSIGN_OR_RETURN(auto users, members_of(g));
    for (const auto& u : users) e.members.push_back({u.id, u.Arn()});
    return e;
  };
  if (type == "user" || type == "group" || type == "role") {
    if (account != ctx.account) {
      return Status(ErrorCode::kResourceNotFound,
                    "The " + type + " with name " + name + " cannot be found.");
    }
    ARCANA_ASSIGN_OR_RETURN(Identity who, Load(ctx, type, name));
    if (type == "group") {
      // A group report's entities are its members, each on its own.
      ARCANA_ASSIGN_OR_RETURN(auto users, members_of(who));
      for (const auto& u : users) s.entities.push_back(member_of(u));
    } else {
      s.entities.push_back(member_of(who));
    }
    if (policies_too) {
      auth::Principal p;
      if (type == "user") {
        ARCANA_ASSIGN_OR_RETURN(p, resolver_.UserPrincipal(ctx.account, who.name));
      } else if (type == "group") {
        ARCANA_ASSIGN_OR_RETURN(p, resolver_.GroupPrincipal(ctx.account, who.name));
      } else {
        domain::iam::Session session;
        session.kind = "role";
        session.subject = who.name;
        session.subject_id = who.id;
        session.session_name = "access-advisor";
        ARCANA_ASSIGN_OR_RETURN(p, resolver_.RolePrincipal(ctx.account, session));
      }
      s.policies = std::move(p.identity_policies);
    }
    return s;
  }
  if (type != "policy") return invalid;
  ARCANA_ASSIGN_OR_RETURN(ManagedPolicy policy, LoadPolicy(ctx, arn));
  if (const auto* v = policy.DefaultVersion()) {
    s.policies.push_back({v->document, arn, auth::PolicySource::Kind::kIdentity});
  }
  // The identities it is attached to (the policy-use rows, "user/NAME", "role/NAME",
  // "group/NAME"), in name order.
  ARCANA_RETURN_IF_ERROR(EnsurePolicyUses(ctx));
  std::string after;
  while (true) {
    ARCANA_ASSIGN_OR_RETURN(auto rows, store_.ListEntities(ctx.account,
                                                           storage::kPolicyAttachedKind + arn,
                                                           "/", after, 1000));
    for (const auto& row : rows) {
      const size_t cut = row.name.find('/');
      if (cut == std::string::npos) continue;
      const std::string kind = row.name.substr(0, cut);
      auto who = Load(ctx, kind, row.name.substr(cut + 1));
      if (!who.ok()) {
        if (who.status().code() == ErrorCode::kResourceNotFound) continue;  // deleted meanwhile
        return who.status();
      }
      if (kind == "group") {
        ARCANA_ASSIGN_OR_RETURN(AccessEntity e, group_entity(*who));
        s.entities.push_back(std::move(e));
      } else {
        s.entities.push_back(member_of(*who));
      }
    }
    if (rows.size() < 1000) break;
    after = rows.back().name;
  }
  return s;
}

Result<std::string> IamService::GenerateServiceLastAccessedDetails(const In& in,
                                                                   const CallContext& ctx) {
  const std::string arn = *in.Str("Arn");
  const std::string granularity = in.Str("Granularity").value_or("SERVICE_LEVEL");
  ARCANA_ASSIGN_OR_RETURN(AccessSubject subject, AccessSubjectOf(ctx, arn, true));
  // What the policies allow (one that does not compile grants nothing, as in a call).
  std::vector<std::shared_ptr<const CompiledPolicy>> compiled;
  std::vector<const CompiledPolicy*> policies;
  for (const auto& src : subject.policies) {
    auto p = cache_.Get(src.json.str(), auth::policy::PolicyUse::kIdentity);
    if (!p.ok()) continue;
    policies.push_back(p->get());
    compiled.push_back(std::move(*p));
  }
  std::vector<std::string> namespaces = AllowedServices(policies);
  std::sort(namespaces.begin(), namespaces.end(), [](const auto& a, const auto& b) {
    return std::pair(ServiceNameOf(a), a) < std::pair(ServiceNameOf(b), b);
  });
  // The calls of every user and role whose calls the report counts: the store's, with this
  // node's not flushed yet (the later of the two).
  std::vector<std::string> ids;
  std::map<std::string, std::string> arn_of;  // id -> ARN
  for (const auto& e : subject.entities) {
    for (const auto& [id, member_arn] : e.members) {
      if (arn_of.emplace(id, member_arn).second) ids.push_back(id);
    }
  }
  ARCANA_ASSIGN_OR_RETURN(std::vector<storage::ServiceUse> uses,
                          store_.ListServiceUses(ctx.account, ids));
  if (service_uses_ != nullptr) {
    for (auto& mine : service_uses_->Pending(ctx.account, ids)) {
      // The service's row, as the store derives it from each action's.
      storage::ServiceUse whole = mine;
      whole.action.clear();
      for (auto* u : {&mine, &whole}) {
        auto it = std::find_if(uses.begin(), uses.end(), [&](const storage::ServiceUse& s) {
          return s.entity_id == u->entity_id && s.service == u->service && s.action == u->action;
        });
        if (it == uses.end()) {
          uses.push_back(*u);
        } else if (it->when_ms < u->when_ms) {
          *it = *u;
        }
      }
    }
  }
  // The report (read back by the Get calls).
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "granularity", granularity);
  w.Key("services");
  w.StartArray();
  for (const auto& ns : namespaces) {
    w.StartObject();
    json::KV(w, "ns", ns);
    json::KV(w, "name", ServiceNameOf(ns));
    const Latest latest = LatestOf(uses, ids, ns, "");
    if (latest.use != nullptr) {
      w.Key("last_ms");
      w.Int64(latest.use->when_ms);
      json::KV(w, "entity", arn_of[latest.use->entity_id]);
      json::KV(w, "region", latest.use->region);
    }
    w.Key("total");
    w.Int64(latest.entities);
    const ServedService* served = FindServedService(ns);
    if (granularity == "ACTION_LEVEL" && served != nullptr) {
      w.Key("actions");
      w.StartArray();
      for (const auto& action : AllowedActions(policies, *served)) {
        w.StartObject();
        json::KV(w, "name", action);
        const Latest a = LatestOf(uses, ids, ns, action);
        if (a.use != nullptr) {
          w.Key("last_ms");
          w.Int64(a.use->when_ms);
          json::KV(w, "entity", arn_of[a.use->entity_id]);
          json::KV(w, "region", a.use->region);
        }
        w.EndObject();
      }
      w.EndArray();
    }
    // The entities, most recent first, then those without a call, by ARN.
    std::vector<std::pair<int64_t, const AccessEntity*>> entities;
    for (const auto& e : subject.entities) {
      std::vector<std::string> member_ids;
      for (const auto& [id, member_arn] : e.members) member_ids.push_back(id);
      const Latest el = LatestOf(uses, member_ids, ns, "");
      entities.emplace_back(el.use != nullptr ? el.use->when_ms : 0, &e);
    }
    std::sort(entities.begin(), entities.end(), [](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first > b.first;
      return a.second->arn < b.second->arn;
    });
    w.Key("entities");
    w.StartArray();
    for (const auto& [when, e] : entities) {
      w.StartObject();
      json::KV(w, "arn", e->arn);
      json::KV(w, "name", e->name);
      json::KV(w, "type", e->type);
      json::KV(w, "id", e->id);
      json::KV(w, "path", e->path);
      if (when > 0) {
        w.Key("last_ms");
        w.Int64(when);
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  storage::ServiceAccessJob job;
  job.job_id = crypto::NewUuidV4();
  job.account = ctx.account;
  job.owner = CallerOf(ctx);
  job.created_ms = ctx.now_ms;
  job.expires_ms = ctx.now_ms + kJobLifetimeMs;
  job.report = json::Finish(buf);
  ARCANA_RETURN_IF_ERROR(store_.PutServiceAccessJob(job));
  rapidjson::StringBuffer out;
  json::Writer ow(out);
  ow.StartObject();
  json::KV(ow, "JobId", job.job_id);
  ow.EndObject();
  return json::Finish(out);
}

Result<storage::ServiceAccessJob> IamService::LoadServiceAccessJob(const CallContext& ctx,
                                                                   const std::string& id) {
  ARCANA_ASSIGN_OR_RETURN(auto job, store_.GetServiceAccessJob(id, ctx.now_ms));
  if (!job || job->account != ctx.account || job->owner != CallerOf(ctx)) return NoSuchJob(id);
  return *job;
}

namespace {

// The job's status members, as both Get calls answer them.
void WriteJobStatus(json::Writer& w, const storage::ServiceAccessJob& job) {
  json::KV(w, "JobStatus", "COMPLETED");
  w.Key("JobCreationDate");
  json::WriteTimestamp(w, job.created_ms);
  w.Key("JobCompletionDate");
  json::WriteTimestamp(w, job.created_ms);  // computed when it was made
}

Result<rapidjson::Document> ReportOf(const storage::ServiceAccessJob& job) {
  rapidjson::Document d;
  d.Parse(job.report.data(), job.report.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("services") ||
      !d["services"].IsArray()) {
    return Status(ErrorCode::kInternalServiceError, "stored report of job " + job.job_id +
                                                        " does not parse");
  }
  return d;
}

}  // namespace

Result<std::string> IamService::GetServiceLastAccessedDetails(const In& in,
                                                              const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto job, LoadServiceAccessJob(ctx, *in.Str("JobId")));
  ARCANA_ASSIGN_OR_RETURN(rapidjson::Document report, ReportOf(job));
  const auto& services = report["services"];
  std::vector<std::string> keys;
  for (const auto& s : services.GetArray()) keys.push_back(json::StrField(s, "ns"));
  ARCANA_ASSIGN_OR_RETURN(Slice page, SliceOf(PageOf(in), keys));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteJobStatus(w, job);
  json::KV(w, "JobType", json::StrField(report, "granularity"));
  w.Key("ServicesLastAccessed");
  w.StartArray();
  for (size_t i = page.begin; i < page.end; ++i) {
    const auto& s = services[static_cast<rapidjson::SizeType>(i)];
    w.StartObject();
    json::KV(w, "ServiceName", json::StrField(s, "name"));
    json::KV(w, "ServiceNamespace", json::StrField(s, "ns"));
    if (auto last = json::OptIntField(s, "last_ms")) {
      w.Key("LastAuthenticated");
      json::WriteTimestamp(w, *last);
      json::KV(w, "LastAuthenticatedEntity", json::StrField(s, "entity"));
      json::KV(w, "LastAuthenticatedRegion", json::StrField(s, "region"));
    }
    w.Key("TotalAuthenticatedEntities");
    w.Int64(json::IntField(s, "total"));
    if (auto actions = s.FindMember("actions");
        actions != s.MemberEnd() && actions->value.IsArray()) {
      w.Key("TrackedActionsLastAccessed");
      w.StartArray();
      for (const auto& a : actions->value.GetArray()) {
        w.StartObject();
        json::KV(w, "ActionName", json::StrField(a, "name"));
        if (auto last = json::OptIntField(a, "last_ms")) {
          json::KV(w, "LastAccessedEntity", json::StrField(a, "entity"));
          w.Key("LastAccessedTime");
          json::WriteTimestamp(w, *last);
          json::KV(w, "LastAccessedRegion", json::StrField(a, "region"));
        }
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  WritePageEnd(w, page);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::GetServiceLastAccessedDetailsWithEntities(
    const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto job, LoadServiceAccessJob(ctx, *in.Str("JobId")));
  ARCANA_ASSIGN_OR_RETURN(rapidjson::Document report, ReportOf(job));
  const std::string ns = auth::policy::LowerAscii(*in.Str("ServiceNamespace"));
  const rapidjson::Value* entities = nullptr;
  for (const auto& s : report["services"].GetArray()) {
    if (json::StrField(s, "ns") != ns) continue;
    if (auto e = s.FindMember("entities"); e != s.MemberEnd() && e->value.IsArray()) {
      entities = &e->value;
    }
  }
  // A service the report does not list: no entity could have used it.
  std::vector<std::string> keys;
  if (entities != nullptr) {
    for (const auto& e : entities->GetArray()) keys.push_back(json::StrField(e, "arn"));
  }
  ARCANA_ASSIGN_OR_RETURN(Slice page, SliceOf(PageOf(in), keys));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteJobStatus(w, job);
  w.Key("EntityDetailsList");
  w.StartArray();
  for (size_t i = page.begin; i < page.end; ++i) {
    const auto& e = (*entities)[static_cast<rapidjson::SizeType>(i)];
    w.StartObject();
    w.Key("EntityInfo");
    w.StartObject();
    json::KV(w, "Arn", json::StrField(e, "arn"));
    json::KV(w, "Name", json::StrField(e, "name"));
    json::KV(w, "Type", json::StrField(e, "type"));
    json::KV(w, "Id", json::StrField(e, "id"));
    json::KV(w, "Path", json::StrField(e, "path"));
    w.EndObject();
    if (auto last = json::OptIntField(e, "last_ms")) {
      w.Key("LastAuthenticated");
      json::WriteTimestamp(w, *last);
    }
    w.EndObject();
  }
  w.EndArray();
  WritePageEnd(w, page);
  w.EndObject();
  return json::Finish(buf);
}

// The API reference: a user's policies are its own and its groups' (the inline ones named
// with the entity that holds them), a group's or a role's their own; a managed policy once,
// by name and ARN.
Result<std::string> IamService::ListPoliciesGrantingServiceAccess(const In& in,
                                                                  const CallContext& ctx) {
  const std::string arn = *in.Str("Arn");
  ARCANA_ASSIGN_OR_RETURN(AccessSubject subject, AccessSubjectOf(ctx, arn, true));
  if (subject.kind == "policy") {
    return Status(ErrorCode::kInvalidParameter,
                  "ARN " + arn + " is not valid: it must name a user, group or role.");
  }
  const std::vector<std::string> namespaces = in.StrList("ServiceNamespaces").value_or(
      std::vector<std::string>{});
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("PoliciesGrantingServiceAccess");
  w.StartArray();
  for (const auto& asked : namespaces) {
    const std::string ns = auth::policy::LowerAscii(asked);
    w.StartObject();
    json::KV(w, "ServiceNamespace", asked);
    w.Key("Policies");
    w.StartArray();
    std::set<std::string> managed_seen;
    for (const auto& src : subject.policies) {
      auto p = cache_.Get(src.json.str(), auth::policy::PolicyUse::kIdentity);
      if (!p.ok() || !AllowsService(**p, ns)) continue;
      const std::string& id = src.source_id;
      const size_t slash = id.find('/');
      const size_t colon = id.find(':');
      const bool inline_policy = !id.starts_with("arn:") && slash != std::string::npos &&
                                 colon != std::string::npos && slash < colon;
      // A managed policy attached to the user and to one of its groups is listed once.
      if (!inline_policy && !managed_seen.insert(id).second) continue;
      w.StartObject();
      if (inline_policy) {
        const std::string kind = id.substr(0, slash);
        json::KV(w, "PolicyName", id.substr(colon + 1));
        json::KV(w, "PolicyType", "INLINE");
        json::KV(w, "EntityType", kind == "user" ? "USER" : kind == "role" ? "ROLE" : "GROUP");
        json::KV(w, "EntityName", id.substr(slash + 1, colon - slash - 1));
      } else {
        json::KV(w, "PolicyName", id.substr(id.rfind('/') + 1));
        json::KV(w, "PolicyType", "MANAGED");
        json::KV(w, "PolicyArn", id);
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("IsTruncated");
  w.Bool(false);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::iam
