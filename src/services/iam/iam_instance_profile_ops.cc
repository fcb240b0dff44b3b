// IAM instance profiles: containers for one role each (domain::iam::InstanceProfile), stored
// as entities of kind "instance-profile" (storage/identity_codec.h). A role keeps the names of
// the profiles it is in, written in the same store write as the profile, so DeleteRole can
// refuse a role still in one and ListInstanceProfilesForRole reads the role's profiles only.
//
// The answers and refusals are AWS's as LocalStack's AWS-validated
// test_iam_instance_profiles.py recorded them (2026-02); where it says nothing the source of a
// rule is named where it is applied.
#include <algorithm>
#include <string>
#include <vector>

#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::InstanceProfile;
using storage::EntityWrite;

namespace {

// Recorded: the quota a second role would exceed (no period after the number).
constexpr const char* kOneRole = "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1";

Status NoSuchProfile(const std::string& name) {
  return Status(ErrorCode::kResourceNotFound, "Instance Profile " + name + " cannot be found.");
}

// Recorded: a role inside a profile answers Path, RoleName, RoleId, Arn, CreateDate and
// AssumeRolePolicyDocument only.
void WriteProfileRole(json::Writer& w, const domain::iam::Identity& r) {
  w.StartObject();
  WriteIdentityCommon(w, r, "RoleName", "RoleId");
  json::KV(w, "AssumeRolePolicyDocument", UrlEncodeDocument(r.trust_policy));
  w.EndObject();
}

// A page of ListInstanceProfiles or ListInstanceProfilesForRole: {InstanceProfiles,
// IsTruncated, Marker}, each profile as listed (no tags).
std::string ProfilesPage(const std::vector<ProfileView>& views, const Slice& page) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("InstanceProfiles");
  w.StartArray();
  for (const auto& v : views) WriteInstanceProfile(w, v, View::kListed);
  w.EndArray();
  WritePageEnd(w, page);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace

// Recorded: CreateInstanceProfile answers Tags only when some were given, GetInstanceProfile
// always (empty too), the list calls never (the API reference: "this operation does not
// return tags").
void WriteInstanceProfile(json::Writer& w, const ProfileView& v, View view) {
  const InstanceProfile& p = v.profile;
  w.StartObject();
  json::KV(w, "Path", p.path);
  json::KV(w, "InstanceProfileName", p.name);
  json::KV(w, "InstanceProfileId", p.id);
  json::KV(w, "Arn", p.Arn());
  w.Key("CreateDate");
  json::WriteTimestamp(w, p.created_ms);
  w.Key("Roles");
  w.StartArray();
  for (const auto& r : v.roles) WriteProfileRole(w, r);
  w.EndArray();
  if (view == View::kGot || (view == View::kCreated && !p.tags.empty())) WriteTags(w, p.tags);
  w.EndObject();
}

Result<InstanceProfile> IamService::LoadInstanceProfile(const CallContext& ctx,
                                                        const std::string& name) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, storage::kInstanceProfileKind,
                                                   name));
  if (!e) return NoSuchProfile(name);
  return storage::InstanceProfileFromEntity(*e);
}

// Each profile with its roles as they are now (a role gone since is left out).
Result<std::vector<ProfileView>> IamService::ProfileViews(const CallContext& ctx,
                                                          const std::vector<std::string>& names) {
  std::vector<ProfileView> out;
  for (const auto& name : names) {
    auto p = LoadInstanceProfile(ctx, name);
    if (!p.ok() && p.status().code() == ErrorCode::kResourceNotFound) continue;
    ARCANA_RETURN_IF_ERROR(p.status());
    ProfileView v{std::move(p).value(), {}};
    for (const auto& role : v.profile.roles) {
      auto r = Load(ctx, "role", role);
      if (!r.ok() && r.status().code() == ErrorCode::kResourceNotFound) continue;
      ARCANA_RETURN_IF_ERROR(r.status());
      v.roles.push_back(std::move(r).value());
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::string> IamService::CreateInstanceProfile(const In& in, const CallContext& ctx) {
  InstanceProfile p;
  p.account = ctx.account;
  p.name = in.Str("InstanceProfileName").value_or("");
  ARCANA_RETURN_IF_ERROR(CheckName(p.name, "instanceProfileName"));
  p.path = in.Str("Path").value_or("/");
  ARCANA_RETURN_IF_ERROR(CheckPath(p.path));
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  p.tags = TagsOf(in.Get("Tags"));
  p.id = domain::iam::NewUniqueId("AIPA");
  p.created_ms = ctx.now_ms;
  Status st = WriteEntities(ctx,
                            {{EntityWrite::Op::kPut, storage::ToEntity(p),
                              QuotaOf(storage::kInstanceProfileKind)}},
                            "CreateInstanceProfile");
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kResourceExists, "Instance Profile " + p.name + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("InstanceProfile");
  WriteInstanceProfile(w, {p, {}}, View::kCreated);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::GetInstanceProfile(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(InstanceProfile p,
                          LoadInstanceProfile(ctx, *in.Str("InstanceProfileName")));
  ARCANA_ASSIGN_OR_RETURN(auto views, ProfileViews(ctx, {p.name}));
  ProfileView v = views.empty() ? ProfileView{std::move(p), {}} : std::move(views.front());
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("InstanceProfile");
  WriteInstanceProfile(w, v, View::kGot);
  w.EndObject();
  return json::Finish(buf);
}

// Recorded: a profile that holds a role is DeleteConflict "Cannot delete entity, must remove
// roles from instance profile first.".
Result<std::string> IamService::DeleteInstanceProfile(const In& in, const CallContext& ctx) {
  const std::string name = *in.Str("InstanceProfileName");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(InstanceProfile p, LoadInstanceProfile(ctx, name));
    if (!p.roles.empty()) {
      return Status(ErrorCode::kConflict,
                    "Cannot delete entity, must remove roles from instance profile first.");
    }
    return WriteEntities(ctx, {{EntityWrite::Op::kDelete, storage::ToEntity(p)}},
                         "DeleteInstanceProfile");
  }));
  return std::string("{}");
}

// In name order under PathPrefix, paged as ListRoles is, each with its roles, no tags.
Result<std::string> IamService::ListInstanceProfiles(const In& in, const CallContext& ctx) {
  Page page = PageOf(in);
  ARCANA_ASSIGN_OR_RETURN(
      auto rows, store_.ListEntities(ctx.account, storage::kInstanceProfileKind,
                                     in.Str("PathPrefix").value_or("/"), page.marker,
                                     page.max_items + 1));
  const bool truncated = rows.size() > page.max_items;
  if (truncated) rows.resize(page.max_items);
  std::vector<std::string> names;
  for (const auto& e : rows) names.push_back(e.name);
  ARCANA_ASSIGN_OR_RETURN(auto views, ProfileViews(ctx, names));
  return ProfilesPage(views, Slice{0, 0, truncated, truncated ? rows.back().name : ""});
}

// Recorded order of the checks: the profile, then the role; a profile holding a role already
// is LimitExceeded (that role again too: the quota counts the profile's roles).
Result<std::string> IamService::AddRoleToInstanceProfile(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(EditProfileRole(
      in, ctx, "AddRoleToInstanceProfile", [](InstanceProfile& p, Identity& role) -> Status {
        if (!p.roles.empty()) return Status(ErrorCode::kLimitExceeded, kOneRole);
        p.roles.push_back(role.name);
        role.instance_profiles.push_back(p.name);
        return Status::Ok();
      }));
  return std::string("{}");
}

// Recorded: a role the profile does not hold is NoSuchEntity "Role R in Instance Profile P
// cannot be found.".
Result<std::string> IamService::RemoveRoleFromInstanceProfile(const In& in,
                                                              const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(EditProfileRole(
      in, ctx, "RemoveRoleFromInstanceProfile", [](InstanceProfile& p, Identity& role) -> Status {
        if (std::erase(p.roles, role.name) == 0) {
          return Status(ErrorCode::kResourceNotFound, "Role " + role.name +
                                                          " in Instance Profile " + p.name +
                                                          " cannot be found.");
        }
        std::erase(role.instance_profiles, p.name);
        return Status::Ok();
      }));
  return std::string("{}");
}

// The profile (InstanceProfileName) and the role (RoleName), in that order, changed together
// and written in one store write, retried on conflicts.
Status IamService::EditProfileRole(const In& in, const CallContext& ctx, const char* op,
                                   const std::function<Status(InstanceProfile&, Identity&)>& change) {
  const std::string name = *in.Str("InstanceProfileName");
  const std::string role_name = *in.Str("RoleName");
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(InstanceProfile p, LoadInstanceProfile(ctx, name));
    ARCANA_ASSIGN_OR_RETURN(Identity role, Load(ctx, "role", role_name));
    ARCANA_RETURN_IF_ERROR(change(p, role));
    return WriteEntities(ctx,
                         {{EntityWrite::Op::kPut, storage::ToEntity(p)},
                          {EntityWrite::Op::kPut, storage::ToEntity(role)}},
                         op);
  });
}

// Recorded: the role's profiles, each with all its roles; none is an empty list; a role that
// does not exist is NoSuchEntity. Clients ask this before DeleteRole to take the role out of
// its profiles first (the Terraform AWS provider does on every role deletion). Paged by
// profile name.
Result<std::string> IamService::ListInstanceProfilesForRole(const In& in,
                                                            const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Identity role, Load(ctx, "role", *in.Str("RoleName")));
  ARCANA_ASSIGN_OR_RETURN(Slice slice, SliceOf(PageOf(in), role.instance_profiles));
  std::vector<std::string> names(role.instance_profiles.begin() + slice.begin,
                                 role.instance_profiles.begin() + slice.end);
  ARCANA_ASSIGN_OR_RETURN(auto views, ProfileViews(ctx, names));
  return ProfilesPage(views, slice);
}

Result<std::string> IamService::TagInstanceProfile(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  const auto tags = TagsOf(in.Get("Tags"));
  ARCANA_RETURN_IF_ERROR(UpdateInstanceProfile(
      ctx, *in.Str("InstanceProfileName"), "TagInstanceProfile", [&](InstanceProfile& p) {
        domain::iam::MergeTags(p.tags, tags);
        if (p.tags.size() > kMaxTags) {
          return Status(ErrorCode::kLimitExceeded,
                        "Cannot exceed quota for TagsPerInstanceProfile: 50");
        }
        return Status::Ok();
      }));
  return std::string("{}");
}

Result<std::string> IamService::UntagInstanceProfile(const In& in, const CallContext& ctx) {
  const auto keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  ARCANA_RETURN_IF_ERROR(CheckTagKeys(keys));
  ARCANA_RETURN_IF_ERROR(UpdateInstanceProfile(
      ctx, *in.Str("InstanceProfileName"), "UntagInstanceProfile", [&](InstanceProfile& p) {
        domain::iam::RemoveTagKeys(p.tags, keys);
        return Status::Ok();
      }));
  return std::string("{}");
}

Result<std::string> IamService::ListInstanceProfileTags(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(InstanceProfile p,
                          LoadInstanceProfile(ctx, *in.Str("InstanceProfileName")));
  return TagListAnswer(p.tags, in);
}

Status IamService::UpdateInstanceProfile(const CallContext& ctx, const std::string& name,
                                         const char* op,
                                         const std::function<Status(InstanceProfile&)>& change) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(InstanceProfile p, LoadInstanceProfile(ctx, name));
    ARCANA_RETURN_IF_ERROR(change(p));
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p)}}, op);
  });
}

}  // namespace arcana::services::iam
