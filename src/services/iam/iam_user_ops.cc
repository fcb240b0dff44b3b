// IAM users, their access keys, groups and group membership.
#include <algorithm>
#include <charconv>

#include "auth/authorizer.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::Identity;
using storage::EntityWrite;

namespace {

constexpr size_t kMaxGroupsPerUser = 10;

std::string Finish(rapidjson::StringBuffer& buf) { return json::Finish(buf); }

Status CheckTagCount(const domain::iam::Tags& tags, const char* what) {
  if (tags.size() > kMaxTags) {
    return Status(ErrorCode::kLimitExceeded,
                  std::string("Cannot exceed quota for TagsPer") + what + ": 50");
  }
  return Status::Ok();
}

}  // namespace

// A new user, group or role from the request's common members.
static Identity NewIdentity(const json::Input& in, const CallContext& ctx, const char* kind,
                            const char* name_member, const char* id_prefix) {
  Identity i;
  i.account = ctx.account;
  i.kind = kind;
  i.name = in.Str(name_member).value_or("");
  i.path = in.Str("Path").value_or("/");
  i.id = domain::iam::NewUniqueId(id_prefix);
  i.created_ms = ctx.now_ms;
  i.tags = TagsOf(in.Get("Tags"));
  return i;
}

Result<std::string> IamService::CreateUser(const In& in, const CallContext& ctx) {
  Identity u = NewIdentity(in, ctx, "user", "UserName", "AIDA");
  ARCANA_RETURN_IF_ERROR(CheckName(u.name, "userName"));
  ARCANA_RETURN_IF_ERROR(CheckPath(u.path));
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  if (auto boundary = in.Str("PermissionsBoundary")) {
    ARCANA_RETURN_IF_ERROR(CheckBoundary(ctx, *boundary));
    u.boundary_arn = *boundary;
  }
  Status st = RetryOnConflict([&]() -> Status {
    std::vector<EntityWrite> writes{
        {EntityWrite::Op::kPut, storage::ToEntity(u), QuotaOf("user")}};
    if (!u.boundary_arn.empty()) {
      ARCANA_RETURN_IF_ERROR(CountBoundaryUse(ctx, u.boundary_arn, +1, writes));
    }
    return WriteEntities(ctx, writes, "CreateUser");
  });
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kResourceExists, "User with name " + u.name + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("User");
  WriteUser(w, u, View::kCreated);
  w.EndObject();
  return Finish(buf);
}

Result<std::string> IamService::GetUser(const In& in, const CallContext& ctx) {
  auto name = in.Str("UserName");
  Identity u;
  if (!name) {
    // Without a name: the caller itself (a user), as in AWS. The account root (its long-term
    // keys) is answered as AWS answers it: a User with the account id as UserId and the root
    // ARN, no UserName and no Path (Arcana keeps no account creation date: no CreateDate).
    if (ctx.principal && ctx.principal->type == auth::Principal::Type::kRoot &&
        !ctx.principal->temporary) {
      rapidjson::StringBuffer buf;
      json::Writer w(buf);
      w.StartObject();
      w.Key("User");
      w.StartObject();
      json::KV(w, "UserId", ctx.principal->account);
      json::KV(w, "Arn", ctx.principal->arn);
      w.EndObject();
      w.EndObject();
      return Finish(buf);
    }
    if (!ctx.principal || ctx.principal->user_name.empty()) {
      return Status(ErrorCode::kValidation,
                    "Must specify userName when calling with non-User credentials");
    }
    name = ctx.principal->user_name;
  }
  ARCANA_ASSIGN_OR_RETURN(u, Load(ctx, "user", *name));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("User");
  WriteUser(w, u);
  w.EndObject();
  return Finish(buf);
}

// One page of entities of a kind, written as `list_key` by `write`.
// `shown`: the entity as answered (roles: IamService::Shown), when it differs from the stored.
static Result<std::string> ListPage(
    storage::IdentityStore& store, const CallContext& ctx, const json::Input& in,
    const char* kind, const char* list_key, void (*write)(json::Writer&, const Identity&, View),
    const std::function<Result<Identity>(Identity)>& shown = nullptr) {
  Page page = PageOf(in);
  std::string prefix = in.Str("PathPrefix").value_or("/");
  ARCANA_ASSIGN_OR_RETURN(auto rows, store.ListEntities(ctx.account, kind, prefix, page.marker,
                                                        page.max_items + 1));
  const bool truncated = rows.size() > page.max_items;
  if (truncated) rows.resize(page.max_items);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key(list_key);
  w.StartArray();
  for (const auto& e : rows) {
    ARCANA_ASSIGN_OR_RETURN(Identity i, storage::IdentityFromEntity(e));
    if (shown) {
      ARCANA_ASSIGN_OR_RETURN(i, shown(std::move(i)));
    }
    write(w, i, View::kListed);
  }
  w.EndArray();
  w.Key("IsTruncated");
  w.Bool(truncated);
  if (truncated) json::KV(w, "Marker", rows.back().name);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::ListUsers(const In& in, const CallContext& ctx) {
  return ListPage(store_, ctx, in, "user", "Users", &WriteUser);
}

Result<std::string> IamService::ListRoles(const In& in, const CallContext& ctx) {
  return ListPage(store_, ctx, in, "role", "Roles", &WriteRole,
                  [this](Identity r) { return Shown(std::move(r)); });
}

Result<std::string> IamService::ListGroups(const In& in, const CallContext& ctx) {
  return ListPage(store_, ctx, in, "group", "Groups",
                  [](json::Writer& w, const Identity& g, View) { WriteGroup(w, g); });
}

// A user's path (NewPath) and name (NewUserName, RenameUser), authorized on the old and the
// new ARN.
Result<std::string> IamService::UpdateUser(const In& in, const CallContext& ctx) {
  const std::string name = *in.Str("UserName");
  // A user that does not exist is NoSuchEntity whatever the request asks, as in AWS.
  ARCANA_ASSIGN_OR_RETURN(Identity current, Load(ctx, "user", name));
  auto new_path = in.Str("NewPath");
  if (new_path) ARCANA_RETURN_IF_ERROR(CheckPath(*new_path, "newPath"));
  auto new_name = in.Str("NewUserName");
  if (new_name) ARCANA_RETURN_IF_ERROR(CheckName(*new_name, "newUserName"));
  // A new name or path is a new ARN, which policies and trust policies may name: the caller
  // needs iam:UpdateUser on the target as well as on the source, as AWS requires ("the
  // requester must have appropriate permissions on both the source object and the target
  // object"). Call authorized the source.
  if (new_name || new_path) {
    auth::AccessRequest target;
    target.action = "iam:UpdateUser";
    target.resource_arn = domain::iam::IdentityArn(ctx.account, "user",
                                                   new_path.value_or(current.path),
                                                   new_name.value_or(current.name));
    target.denial_resource = "user " + new_name.value_or(current.name);  // as TargetOf
    ARCANA_RETURN_IF_ERROR(auth::Check(ctx, target));
  }
  if (new_name && *new_name != name) return RenameUser(ctx, name, *new_name, new_path);
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", name, "UpdateUser", [&](Identity& u) {
    if (new_path) u.path = *new_path;
    return Status::Ok();
  }));
  return std::string("{}");
}

// A renamed user keeps its id, creation date, policies, tags and keys; its groups list it under
// the new name; its keys are re-sealed for the new name (their seal is bound to it), all in
// one store write. Credentials cached for the old name are dropped on every node (the write's
// change rows), so the keys act under the new ARN from the next request on.
Result<std::string> IamService::RenameUser(const CallContext& ctx, const std::string& name,
                                           const std::string& new_name,
                                           const std::optional<std::string>& new_path) {
  const bool same_key = storage::IamNameKey(name) == storage::IamNameKey(new_name);
  Status st = RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", name));
    Identity renamed = u;
    renamed.name = new_name;
    if (new_path) renamed.path = *new_path;
    std::vector<EntityWrite> writes;
    if (same_key) {
      writes.push_back({EntityWrite::Op::kPut, storage::ToEntity(renamed)});
    } else {
      writes.push_back({EntityWrite::Op::kDelete, storage::ToEntity(u)});
      storage::IamEntity created = storage::ToEntity(renamed);
      created.revision = 0;
      writes.push_back({EntityWrite::Op::kPut, std::move(created)});
      ARCANA_RETURN_IF_ERROR(GuardAwsPolicyUses(ctx, u, writes));
    }
    for (const auto& group : u.groups) {
      ARCANA_ASSIGN_OR_RETURN(Identity g, Load(ctx, "group", group));
      std::replace(g.groups.begin(), g.groups.end(), u.name, new_name);
      writes.push_back({EntityWrite::Op::kPut, storage::ToEntity(g)});
    }
    // Its MFA devices name their user (ListVirtualMFADevices answers it).
    for (const auto& serial : u.mfa_devices) {
      ARCANA_ASSIGN_OR_RETURN(domain::iam::MfaDevice d, LoadMfaDevice(ctx, serial));
      d.user = new_name;
      writes.push_back({EntityWrite::Op::kPut, storage::ToEntity(d)});
    }
    ARCANA_ASSIGN_OR_RETURN(auto rebound, resolver_.RebindUserKeys(ctx.account, u.name, new_name));
    ARCANA_RETURN_IF_ERROR(IndexPolicyUses(ctx, writes));  // its uses, under the new name
    return store_.RenameUser(ctx.account, u.name, rebound, writes);
  });
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kResourceExists, "User with name " + new_name + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  return std::string("{}");
}

Result<std::string> IamService::DeleteUser(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(DeleteIdentity(ctx, "user", *in.Str("UserName"), "DeleteUser"));
  return std::string("{}");
}

Result<std::string> IamService::AddTags(const In& in, const CallContext& ctx, const char* kind,
                                        const char* name_member, const char* op,
                                        const char* label) {
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  auto tags = TagsOf(in.Get("Tags"));
  ARCANA_RETURN_IF_ERROR(Update(ctx, kind, *in.Str(name_member), op, [&](Identity& e) {
    // A user's or role's tag keys are not case sensitive (IAM User Guide, "Tagging IAM
    // resources"): Team=red then team=blue leaves one tag, team=blue.
    domain::iam::MergeTags(e.tags, tags, domain::iam::TagKeyCase::kInsensitive);
    return CheckTagCount(e.tags, label);
  }));
  return std::string("{}");
}

Result<std::string> IamService::RemoveTags(const In& in, const CallContext& ctx,
                                           const char* kind, const char* name_member,
                                           const char* op) {
  auto keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  ARCANA_RETURN_IF_ERROR(CheckTagKeys(keys));
  ARCANA_RETURN_IF_ERROR(Update(ctx, kind, *in.Str(name_member), op, [&](Identity& e) {
    domain::iam::RemoveTagKeys(e.tags, keys, domain::iam::TagKeyCase::kInsensitive);
    return Status::Ok();
  }));
  return std::string("{}");
}

Result<std::string> IamService::ListTags(const In& in, const CallContext& ctx,
                                         const char* kind, const char* name_member) {
  ARCANA_ASSIGN_OR_RETURN(Identity e, Load(ctx, kind, *in.Str(name_member)));
  return TagListAnswer(e.tags, in);
}

Result<std::string> IamService::ListUserTags(const In& in, const CallContext& ctx) {
  return ListTags(in, ctx, "user", "UserName");
}

Result<std::string> IamService::ListRoleTags(const In& in, const CallContext& ctx) {
  return ListTags(in, ctx, "role", "RoleName");
}

Result<std::string> IamService::TagUser(const In& in, const CallContext& ctx) {
  return AddTags(in, ctx, "user", "UserName", "TagUser", "User");
}

Result<std::string> IamService::UntagUser(const In& in, const CallContext& ctx) {
  return RemoveTags(in, ctx, "user", "UserName", "UntagUser");
}

Result<std::string> IamService::TagRole(const In& in, const CallContext& ctx) {
  return AddTags(in, ctx, "role", "RoleName", "TagRole", "Role");
}

Result<std::string> IamService::UntagRole(const In& in, const CallContext& ctx) {
  return RemoveTags(in, ctx, "role", "RoleName", "UntagRole");
}

// The user an access-key call is about: UserName, or the calling user itself.
Result<std::string> KeyUser(const json::Input& in, const CallContext& ctx) {
  if (auto name = in.Str("UserName")) return *name;
  if (ctx.principal && !ctx.principal->user_name.empty()) return ctx.principal->user_name;
  // The root's own keys are managed by the operator (arcana CLI), not through IAM.
  return Status(ErrorCode::kValidation,
                "Must specify userName when calling with non-User credentials");
}

Result<std::string> IamService::CreateAccessKey(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(std::string user, KeyUser(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", user));
  ARCANA_ASSIGN_OR_RETURN(auto key, resolver_.CreateUserKey(ctx.account, u.name, ctx.now_ms));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("AccessKey");
  w.StartObject();
  json::KV(w, "UserName", u.name);
  json::KV(w, "AccessKeyId", key.access_key_id);
  json::KV(w, "Status", "Active");
  json::KV(w, "SecretAccessKey", key.secret_access_key);
  w.Key("CreateDate");
  json::WriteTimestamp(w, key.created_ms);
  w.EndObject();
  w.EndObject();
  return Finish(buf);
}

// The account root signing with one of its own long-term keys (not a session it obtained).
static bool RootKeyCaller(const CallContext& ctx) {
  return ctx.principal && ctx.principal->type == auth::Principal::Type::kRoot &&
         !ctx.principal->temporary;
}

Result<std::string> IamService::ListAccessKeys(const In& in, const CallContext& ctx) {
  // Without a UserName the keys are those of the signing key's owner; for the account root
  // its own keys, as AWS documents ("you can use this operation to manage Amazon Web Services
  // account root user credentials even if the Amazon Web Services account has no associated
  // users"). The root is no IAM user: its keys carry no UserName (AccessKeyMetadata's
  // UserName is optional in the model) and are always Active (Arcana's root keys have no
  // status: the operator deletes them).
  if (!in.Has("UserName") && RootKeyCaller(ctx) && root_keys_ != nullptr) {
    std::vector<std::string> ids;
    std::vector<int64_t> created;
    ARCANA_ASSIGN_OR_RETURN(auto root_keys, RootKeysOf(ctx));
    for (const auto& k : root_keys) {
      ids.push_back(k.access_key_id);
      created.push_back(k.created_ms);
    }
    // Paged as a user's keys are, the Marker being the last AccessKeyId answered.
    ARCANA_ASSIGN_OR_RETURN(Slice page, SliceOf(PageOf(in), ids));
    return PagedListAnswer(page, "AccessKeyMetadata", [&](json::Writer& w, size_t i) {
      w.StartObject();
      json::KV(w, "AccessKeyId", ids[i]);
      json::KV(w, "Status", "Active");
      w.Key("CreateDate");
      json::WriteTimestamp(w, created[i]);
      w.EndObject();
    });
  }
  ARCANA_ASSIGN_OR_RETURN(std::string user, KeyUser(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", user));
  ARCANA_ASSIGN_OR_RETURN(auto keys, store_.ListUserAccessKeys(ctx.account, u.name));
  // In the store's order, the Marker being the last AccessKeyId answered.
  std::vector<std::string> ids;
  for (const auto& k : keys) ids.push_back(k.access_key_id);
  ARCANA_ASSIGN_OR_RETURN(Slice page, SliceOf(PageOf(in), ids));
  return PagedListAnswer(page, "AccessKeyMetadata", [&](json::Writer& w, size_t i) {
    const auto& k = keys[i];
    w.StartObject();
    json::KV(w, "UserName", u.name);
    json::KV(w, "AccessKeyId", k.access_key_id);
    json::KV(w, "Status", k.status);
    w.Key("CreateDate");
    json::WriteTimestamp(w, k.created_ms);
    w.EndObject();
  });
}

Result<std::string> IamService::UpdateAccessKey(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(std::string user, KeyUser(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", user));
  ARCANA_RETURN_IF_ERROR(store_.SetUserAccessKeyStatus(ctx.account, u.name,
                                                       *in.Str("AccessKeyId"), *in.Str("Status")));
  return std::string("{}");
}

Result<std::string> IamService::DeleteAccessKey(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(std::string user, KeyUser(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", user));
  ARCANA_RETURN_IF_ERROR(store_.DeleteUserAccessKey(ctx.account, u.name, *in.Str("AccessKeyId")));
  return std::string("{}");
}

Result<std::string> IamService::GetAccessKeyLastUsed(const In& in, const CallContext& ctx) {
  const std::string id = *in.Str("AccessKeyId");
  ARCANA_ASSIGN_OR_RETURN(auto key, store_.GetUserAccessKey(id));
  if (!key || key->account != ctx.account) {  // deleted since it was authorized
    return Status(ErrorCode::kResourceNotFound,
                  "The Access Key with id " + id + " cannot be found.");
  }
  storage::AccessKeyUse last{id, key->last_used_ms, key->last_used_service,
                             key->last_used_region};
  if (key_uses_ != nullptr) {
    if (auto pending = key_uses_->Pending(id); pending && pending->when_ms > last.when_ms) {
      last = std::move(*pending);
    }
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "UserName", key->user_name);
  w.Key("AccessKeyLastUsed");
  w.StartObject();
  if (last.when_ms > 0) {
    w.Key("LastUsedDate");
    json::WriteTimestamp(w, last.when_ms);
  }
  json::KV(w, "ServiceName", last.when_ms > 0 ? last.service : std::string("N/A"));
  json::KV(w, "Region", last.when_ms > 0 ? last.region : std::string("N/A"));
  w.EndObject();
  w.EndObject();
  return Finish(buf);
}

Result<std::string> IamService::CreateGroup(const In& in, const CallContext& ctx) {
  Identity g = NewIdentity(in, ctx, "group", "GroupName", "AGPA");
  ARCANA_RETURN_IF_ERROR(CheckName(g.name, "groupName"));
  ARCANA_RETURN_IF_ERROR(CheckPath(g.path));
  Status st = WriteEntities(
      ctx, {{EntityWrite::Op::kPut, storage::ToEntity(g), QuotaOf("group")}}, "CreateGroup");
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kResourceExists,
                  "Group with name " + g.name + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Group");
  WriteGroup(w, g);
  w.EndObject();
  return Finish(buf);
}

Result<std::string> IamService::DeleteGroup(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(DeleteIdentity(ctx, "group", *in.Str("GroupName"), "DeleteGroup"));
  return std::string("{}");
}

// A group's path (NewPath) and name (NewGroupName), authorized on the old and the new ARN as
// UpdateUser is. A renamed group keeps its id, creation date, members and policies; its
// members list it under the new name, all in one store write (the members' effective policies
// follow from the next request on, through the write's change rows). The new name taken is
// EntityAlreadyExists, as AWS answers.
Result<std::string> IamService::UpdateGroup(const In& in, const CallContext& ctx) {
  const std::string name = *in.Str("GroupName");
  // A group that does not exist is NoSuchEntity whatever the request asks, as in AWS.
  ARCANA_ASSIGN_OR_RETURN(Identity current, Load(ctx, "group", name));
  auto new_path = in.Str("NewPath");
  if (new_path) ARCANA_RETURN_IF_ERROR(CheckPath(*new_path, "newPath"));
  auto new_name = in.Str("NewGroupName");
  if (new_name) ARCANA_RETURN_IF_ERROR(CheckName(*new_name, "newGroupName"));
  if (new_name || new_path) {
    auth::AccessRequest target;
    target.action = "iam:UpdateGroup";
    target.resource_arn = domain::iam::IdentityArn(ctx.account, "group",
                                                   new_path.value_or(current.path),
                                                   new_name.value_or(current.name));
    ARCANA_RETURN_IF_ERROR(auth::Check(ctx, target));
  }
  // Without a new name the group keeps its own (GroupName may be written in another case:
  // IAM names are case-insensitive, and a path change does not rename).
  const std::string to = new_name.value_or(current.name);
  const bool same_key = storage::IamNameKey(name) == storage::IamNameKey(to);
  Status st = RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity g, Load(ctx, "group", name));
    Identity renamed = g;
    renamed.name = to;
    if (new_path) renamed.path = *new_path;
    std::vector<EntityWrite> writes;
    if (same_key) {
      writes.push_back({EntityWrite::Op::kPut, storage::ToEntity(renamed)});
      if (g.name == to) return WriteEntities(ctx, writes, "UpdateGroup");
    } else {
      writes.push_back({EntityWrite::Op::kDelete, storage::ToEntity(g)});
      storage::IamEntity created = storage::ToEntity(renamed);
      created.revision = 0;  // a create: refused when the new name is taken
      writes.push_back({EntityWrite::Op::kPut, std::move(created)});
      ARCANA_RETURN_IF_ERROR(GuardAwsPolicyUses(ctx, g, writes));
    }
    for (const auto& member : g.groups) {  // a group's `groups` are its members
      ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", member));
      std::replace(u.groups.begin(), u.groups.end(), g.name, to);
      writes.push_back({EntityWrite::Op::kPut, storage::ToEntity(u)});
    }
    return WriteEntities(ctx, writes, "UpdateGroup");
  });
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kResourceExists, "Group with name " + to + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  return std::string("{}");
}

// Membership is recorded on both sides (the user's groups, the group's members in its
// `groups` list) in one write, so neither a user nor a group is deleted while it holds one.
Result<std::string> IamService::AddUserToGroup(const In& in, const CallContext& ctx) {
  std::string group = *in.Str("GroupName"), user = *in.Str("UserName");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity g, Load(ctx, "group", group));
    ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", user));
    if (std::find(u.groups.begin(), u.groups.end(), g.name) != u.groups.end()) {
      return Status::Ok();  // already a member: AWS answers success
    }
    if (u.groups.size() >= kMaxGroupsPerUser) {
      return Status(ErrorCode::kLimitExceeded, "Cannot exceed quota for GroupsPerUser: 10");
    }
    u.groups.push_back(g.name);
    g.groups.push_back(u.name);
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(u)},
                               {EntityWrite::Op::kPut, storage::ToEntity(g)}},
                         "AddUserToGroup");
  }));
  return std::string("{}");
}

Result<std::string> IamService::RemoveUserFromGroup(const In& in, const CallContext& ctx) {
  std::string group = *in.Str("GroupName"), user = *in.Str("UserName");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    // The user first: AWS names a missing user even when the group is missing too.
    ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", user));
    ARCANA_ASSIGN_OR_RETURN(Identity g, Load(ctx, "group", group));
    auto it = std::find(u.groups.begin(), u.groups.end(), g.name);
    if (it == u.groups.end()) return Status::Ok();  // not a member: AWS answers success
    u.groups.erase(it);
    std::erase(g.groups, u.name);
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(u)},
                               {EntityWrite::Op::kPut, storage::ToEntity(g)}},
                         "RemoveUserFromGroup");
  }));
  return std::string("{}");
}

// The group and one page of its members (in name order), as IAM's GetGroup answers.
Result<std::string> IamService::GetGroup(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Identity g, Load(ctx, "group", *in.Str("GroupName")));
  Page page = PageOf(in);
  std::vector<std::string> members = g.groups;  // a group's `groups` are its members
  std::sort(members.begin(), members.end());
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Group");
  WriteGroup(w, g);
  w.Key("Users");
  w.StartArray();
  size_t written = 0;
  std::string last;
  bool truncated = false;
  for (const auto& name : members) {
    if (!page.marker.empty() && name <= page.marker) continue;
    if (written == page.max_items) {
      truncated = true;
      break;
    }
    auto u = Load(ctx, "user", name);
    if (!u.ok()) {
      if (u.status().code() == ErrorCode::kResourceNotFound) continue;  // deleted meanwhile
      return u.status();
    }
    WriteUser(w, *u);
    last = name;
    ++written;
  }
  w.EndArray();
  w.Key("IsTruncated");
  w.Bool(truncated);
  if (truncated) json::KV(w, "Marker", last);
  w.EndObject();
  return Finish(buf);
}

Result<std::string> IamService::ListGroupsForUser(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", *in.Str("UserName")));
  // In the order the user joined them, the Marker being the last group name answered.
  ARCANA_ASSIGN_OR_RETURN(Slice page, SliceOf(PageOf(in), u.groups));
  return PagedListAnswer(page, "Groups", [&](json::Writer& w, size_t i) {
    auto g = Load(ctx, "group", u.groups[i]);
    if (g.ok()) WriteGroup(w, *g);
  });
}

}  // namespace arcana::services::iam
