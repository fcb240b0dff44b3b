// IAM policies: managed policies and their versions, attachments, inline policies and
// permissions boundaries.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "domain/iam/aws_managed_policies.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::Identity;
using domain::iam::ManagedPolicy;
using storage::EntityWrite;

namespace {

constexpr size_t kMaxVersions = 5;
constexpr size_t kMaxAttached = 10;
constexpr size_t kManagedPolicySize = 6144;

const char* NameMember(const std::string& kind) {
  return kind == "user" ? "UserName" : kind == "group" ? "GroupName" : "RoleName";
}
const char* Quota(const std::string& kind) {
  return kind == "user" ? "User" : kind == "group" ? "Group" : "Role";
}
// The aggregate inline policy size IAM allows per identity (whitespace not counted).
size_t InlineLimit(const std::string& kind) {
  return kind == "user" ? 2048 : kind == "group" ? 5120 : 10240;
}

size_t SizeWithoutSpace(std::string_view doc) {
  return static_cast<size_t>(std::count_if(doc.begin(), doc.end(), [](unsigned char c) {
    return !std::isspace(c);
  }));
}

std::string PolicyAnswer(const ManagedPolicy& p, View view) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Policy");
  WritePolicy(w, p, view);
  w.EndObject();
  return json::Finish(buf);
}

void WriteVersion(json::Writer& w, const ManagedPolicy& p, const domain::iam::PolicyVersion& v,
                  bool with_document) {
  w.StartObject();
  if (with_document) json::KV(w, "Document", UrlEncodeDocument(v.document));
  json::KV(w, "VersionId", v.version_id);
  w.Key("IsDefaultVersion");
  w.Bool(v.version_id == p.default_version);
  w.Key("CreateDate");
  json::WriteTimestamp(w, v.created_ms);
  w.EndObject();
}

Status NoSuchVersion(const std::string& arn, const std::string& id) {
  return Status(ErrorCode::kResourceNotFound,
                "Policy " + arn + " version " + id + " does not exist or is not attachable.");
}

Status VersionExists(const ManagedPolicy& p, const std::string& id) {
  if (p.Version(id) != nullptr) return Status::Ok();
  return NoSuchVersion(p.Arn(), id);
}

// GetPolicyVersion and SetDefaultPolicyVersion name the version when the policy itself is
// missing, as AWS answers them.
Result<ManagedPolicy> VersionedPolicy(Result<ManagedPolicy> loaded, const std::string& arn,
                                      const std::string& id) {
  if (!loaded.ok() && loaded.status().code() == ErrorCode::kResourceNotFound) {
    return NoSuchVersion(arn, id);
  }
  return loaded;
}

Status CheckManagedSize(const std::string& doc) {
  if (SizeWithoutSpace(doc) > kManagedPolicySize) {
    return Status(ErrorCode::kLimitExceeded, "Cannot exceed quota for PolicySize: 6144");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> IamService::CreatePolicy(const In& in, const CallContext& ctx) {
  ManagedPolicy p;
  p.account = ctx.account;
  p.name = *in.Str("PolicyName");
  p.path = in.Str("Path").value_or("/");
  p.id = domain::iam::NewUniqueId("ANPA");
  p.created_ms = p.updated_ms = ctx.now_ms;
  p.description = in.Str("Description").value_or("");
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags"), TagKeys::kCaseSensitive));
  p.tags = TagsOf(in.Get("Tags"));
  std::string doc = *in.Str("PolicyDocument");
  ARCANA_RETURN_IF_ERROR(CheckName(p.name, "policyName"));
  ARCANA_RETURN_IF_ERROR(CheckPolicyPath(p.path));
  ARCANA_RETURN_IF_ERROR(CheckPolicyDocument(doc));
  ARCANA_RETURN_IF_ERROR(CheckManagedSize(doc));
  p.versions.push_back({"v1", doc, ctx.now_ms});
  Status st = WriteEntities(
      ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p), QuotaOf("policy")}}, "CreatePolicy");
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kResourceExists,
                  "A policy called " + p.name + " already exists. Duplicate names are not allowed.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  return PolicyAnswer(p, View::kCreated);
}

Result<std::string> IamService::GetPolicy(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, LoadPolicy(ctx, *in.Str("PolicyArn")));
  return PolicyAnswer(p, View::kGot);
}

Result<std::string> IamService::ListPolicies(const In& in, const CallContext& ctx) {
  // Scope Local: the account's own policies; AWS: the AWS managed policies Arcana holds
  // (domain/iam/aws_managed_policies.h), with the account's counts; All (the default): both,
  // in the store's name order, the account's own before an AWS managed one of the same name
  // (an account may create a policy named AdministratorAccess). The Marker is the last name
  // listed, "aws:NAME" when that was an AWS managed policy (a policy name has no ':'): with
  // the name alone, the AWS managed policy after an own one of its name was skipped.
  constexpr std::string_view kAwsMarker = "aws:";
  Page page = PageOf(in);
  const std::string scope = in.Str("Scope").value_or("All");
  const std::string prefix = in.Str("PathPrefix").value_or("/");
  const bool attached_only = in.Bool("OnlyAttached").value_or(false);
  // PolicyUsageFilter lists the policies used so ("To list only the policies used to set
  // permissions boundaries, set the value to PermissionsBoundary"): PermissionsBoundary those
  // that bound a user or role, PermissionsPolicy those attached to one, whether OnlyAttached
  // is set or not (ListEntitiesForPolicy's filter reads the same two uses). OnlyAttached alone
  // lists the attached ones.
  const std::string usage = in.Str("PolicyUsageFilter").value_or("");
  auto listed = [&](const ManagedPolicy& p) {
    if (usage == "PermissionsBoundary") return p.boundary_count > 0;
    if (usage == "PermissionsPolicy" || attached_only) return p.attachment_count > 0;
    return true;
  };
  const bool after_aws = page.marker.starts_with(kAwsMarker);
  const std::string marker = after_aws ? page.marker.substr(kAwsMarker.size()) : page.marker;
  const std::string marker_key = storage::IamNameKey(marker);
  std::vector<ManagedPolicy> out;
  bool truncated = false;
  std::string after = marker;
  while (scope != "AWS" && out.size() <= page.max_items) {
    ARCANA_ASSIGN_OR_RETURN(auto rows,
                            store_.ListEntities(ctx.account, "policy", prefix, after, 100));
    for (const auto& e : rows) {
      ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, storage::PolicyFromEntity(e));
      if (!listed(p)) continue;
      out.push_back(std::move(p));
    }
    if (rows.size() < 100) break;
    after = rows.back().name;
  }
  if (scope != "Local") {
    ARCANA_ASSIGN_OR_RETURN(auto uses, AwsPolicyUses(ctx));
    for (const auto& aws : domain::iam::AwsManagedPolicies()) {
      // The store orders names case-insensitively (IAM names are unique so): so do these.
      const std::string key = storage::IamNameKey(aws.name);
      if (!aws.path.starts_with(prefix) || key < marker_key || (after_aws && key == marker_key)) {
        continue;
      }
      ManagedPolicy p = WithUses(aws, uses);
      if (!listed(p)) continue;
      out.push_back(std::move(p));
    }
    std::stable_sort(out.begin(), out.end(), [](const ManagedPolicy& a, const ManagedPolicy& b) {
      return storage::IamNameKey(a.name) < storage::IamNameKey(b.name);
    });
  }
  if (out.size() > page.max_items) {
    truncated = true;
    out.resize(page.max_items);
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Policies");
  w.StartArray();
  for (const auto& p : out) WritePolicy(w, p, View::kListed);
  w.EndArray();
  w.Key("IsTruncated");
  w.Bool(truncated);
  if (truncated) {
    const bool last_aws = out.back().account == "aws";
    json::KV(w, "Marker", (last_aws ? std::string(kAwsMarker) : std::string()) + out.back().name);
  }
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::DeletePolicy(const In& in, const CallContext& ctx) {
  std::string arn = *in.Str("PolicyArn");
  ARCANA_RETURN_IF_ERROR(RefuseAwsManaged(ctx, "DeletePolicy", arn));
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    // Once the account's uses are counted (storage/identity_codec.h), the policy's counts
    // are exact: no need to read every user and role for a boundary set before they were.
    ARCANA_RETURN_IF_ERROR(CountedUses(ctx).status());
    ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, LoadPolicy(ctx, arn));
    // A policy that bounds a user or role is in use too: were it deleted, a new policy of
    // the same name (and ARN) would become their boundary. AWS answers the same conflict.
    if (p.attachment_count > 0 || p.boundary_count > 0) {
      return Status(ErrorCode::kConflict, "Cannot delete a policy attached to entities.");
    }
    if (p.versions.size() > 1) {
      return Status(ErrorCode::kConflict,
                    "This policy has more than one version. Before you delete a policy, you must "
                    "delete the policy's versions. The default version is deleted with the "
                    "policy.");
    }
    return WriteEntities(ctx, {{EntityWrite::Op::kDelete, storage::ToEntity(p)}},
                         "DeletePolicy");
  }));
  return std::string("{}");
}

namespace {
// A policy's UpdateDate as IAM documents it (Policy.UpdateDate): its creation while it has one
// version, else when its most recent version was created. Choosing another default version
// changes no document, so it leaves the date as it was.
int64_t NewestVersionCreatedMs(const ManagedPolicy& p) {
  int64_t newest = p.created_ms;
  for (const auto& v : p.versions) newest = std::max(newest, v.created_ms);
  return newest;
}
}  // namespace

Result<std::string> IamService::CreatePolicyVersion(const In& in, const CallContext& ctx) {
  std::string arn = *in.Str("PolicyArn"), doc = *in.Str("PolicyDocument");
  const bool set_default = in.Bool("SetAsDefault").value_or(false);
  ARCANA_RETURN_IF_ERROR(RefuseAwsManaged(ctx, "CreatePolicyVersion", arn));
  ARCANA_RETURN_IF_ERROR(CheckPolicyDocument(doc));
  ARCANA_RETURN_IF_ERROR(CheckManagedSize(doc));
  ManagedPolicy committed;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, LoadPolicy(ctx, arn));
    if (p.versions.size() >= kMaxVersions) {
      return Status(ErrorCode::kLimitExceeded,
                    "A managed policy can have up to 5 versions. Before you create a new "
                    "version, you must delete an existing version.");
    }
    std::string id = "v" + std::to_string(p.next_version++);
    p.versions.push_back({id, doc, ctx.now_ms});
    if (set_default) p.default_version = id;
    p.updated_ms = ctx.now_ms;
    ARCANA_RETURN_IF_ERROR(WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p)}},
                                         "CreatePolicyVersion"));
    committed = std::move(p);
    return Status::Ok();
  }));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("PolicyVersion");
  WriteVersion(w, committed, committed.versions.back(), false);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::GetPolicyVersion(const In& in, const CallContext& ctx) {
  std::string arn = *in.Str("PolicyArn"), id = *in.Str("VersionId");
  ARCANA_RETURN_IF_ERROR(CheckVersionId(id));
  ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, VersionedPolicy(LoadPolicy(ctx, arn), arn, id));
  ARCANA_RETURN_IF_ERROR(VersionExists(p, id));
  const auto* v = p.Version(id);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("PolicyVersion");
  WriteVersion(w, p, *v, true);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::ListPolicyVersions(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, LoadPolicy(ctx, *in.Str("PolicyArn")));
  // Newest first, as IAM lists them; the Marker is the last VersionId answered.
  std::vector<std::string> ids;
  for (auto it = p.versions.rbegin(); it != p.versions.rend(); ++it) ids.push_back(it->version_id);
  ARCANA_ASSIGN_OR_RETURN(Slice page, SliceOf(PageOf(in), ids));
  return PagedListAnswer(page, "Versions", [&](json::Writer& w, size_t i) {
    WriteVersion(w, p, p.versions[p.versions.size() - 1 - i], false);
  });
}

Result<std::string> IamService::DeletePolicyVersion(const In& in, const CallContext& ctx) {
  std::string arn = *in.Str("PolicyArn"), id = *in.Str("VersionId");
  ARCANA_RETURN_IF_ERROR(RefuseAwsManaged(ctx, "DeletePolicyVersion", arn));
  ARCANA_RETURN_IF_ERROR(CheckVersionId(id));
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, LoadPolicy(ctx, arn));
    ARCANA_RETURN_IF_ERROR(VersionExists(p, id));
    if (p.default_version == id) {
      return Status(ErrorCode::kConflict, "Cannot delete the default version of a policy.");
    }
    std::erase_if(p.versions, [&](const auto& v) { return v.version_id == id; });
    p.updated_ms = NewestVersionCreatedMs(p);
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p)}},
                         "DeletePolicyVersion");
  }));
  return std::string("{}");
}

Result<std::string> IamService::SetDefaultPolicyVersion(const In& in, const CallContext& ctx) {
  std::string arn = *in.Str("PolicyArn"), id = *in.Str("VersionId");
  ARCANA_RETURN_IF_ERROR(RefuseAwsManaged(ctx, "SetDefaultPolicyVersion", arn));
  ARCANA_RETURN_IF_ERROR(CheckVersionId(id));
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, VersionedPolicy(LoadPolicy(ctx, arn), arn, id));
    ARCANA_RETURN_IF_ERROR(VersionExists(p, id));
    p.default_version = id;
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p)}},
                         "SetDefaultPolicyVersion");
  }));
  return std::string("{}");
}

namespace {
// TagPolicy and UntagPolicy name a missing policy as AWS answers them (recorded): "Policy
// <arn> was not found.", not LoadPolicy's "does not exist or is not attachable.".
Result<ManagedPolicy> TaggedPolicy(Result<ManagedPolicy> loaded, const std::string& arn) {
  if (!loaded.ok() && loaded.status().code() == ErrorCode::kResourceNotFound) {
    return Status(ErrorCode::kResourceNotFound, "Policy " + arn + " was not found.");
  }
  return loaded;
}
}  // namespace

Result<std::string> IamService::TagPolicy(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(RefuseAwsManaged(ctx, "TagPolicy", *in.Str("PolicyArn")));
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags"), TagKeys::kCaseSensitive));
  const auto tags = TagsOf(in.Get("Tags"));
  const std::string arn = *in.Str("PolicyArn");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, TaggedPolicy(LoadPolicy(ctx, arn), arn));
    domain::iam::MergeTags(p.tags, tags);
    if (p.tags.size() > kMaxTags) {
      return Status(ErrorCode::kLimitExceeded, "Cannot exceed quota for TagsPerPolicy: 50");
    }
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p)}}, "TagPolicy");
  }));
  return std::string("{}");
}

Result<std::string> IamService::UntagPolicy(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(RefuseAwsManaged(ctx, "UntagPolicy", *in.Str("PolicyArn")));
  const auto keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  ARCANA_RETURN_IF_ERROR(CheckTagKeys(keys));
  const std::string arn = *in.Str("PolicyArn");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, TaggedPolicy(LoadPolicy(ctx, arn), arn));
    // Nothing to remove: nothing written.
    if (!domain::iam::RemoveTagKeys(p.tags, keys)) return Status::Ok();
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p)}}, "UntagPolicy");
  }));
  return std::string("{}");
}

// ListPolicyTags answers a policy's tags shortest key first, then in byte order of the keys,
// as AWS does (recorded: tags given as abc, b, z, a are listed a, b, z, abc; a, A as A, a);
// CreatePolicy and GetPolicy answer them in the order given.
Result<std::string> IamService::ListPolicyTags(const In& in, const CallContext& ctx) {
  const std::string arn = *in.Str("PolicyArn");
  ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, TaggedPolicy(LoadPolicy(ctx, arn), arn));
  std::stable_sort(p.tags.begin(), p.tags.end(), [](const auto& a, const auto& b) {
    if (a.first.size() != b.first.size()) return a.first.size() < b.first.size();
    return a.first < b.first;
  });
  return TagListAnswer(p.tags, in);
}

// The policy's uses (storage/identity_codec.h: a row per identity that has it attached,
// kPolicyAttachedKind, or as its boundary, kPolicyBoundsKind), not the account's identities:
// PolicyUsageFilter PermissionsPolicy reads the first, PermissionsBoundary the second, none
// both (an identity in both listed once). EntityFilter narrows to one kind (the
// LocalManagedPolicy and AWSManagedPolicy filters list none, as AWS answers them, recorded);
// PathPrefix filters the identities' paths. Groups, then roles, then users, each by name;
// MaxItems/Marker page the whole answer, the Marker being the last entity answered (its row's
// name). A page reads at most MaxItems + 1 rows of each kind of use (plus those PathPrefix
// skips).
Result<std::string> IamService::ListEntitiesForPolicy(const In& in, const CallContext& ctx) {
  const std::string arn = *in.Str("PolicyArn");
  ARCANA_RETURN_IF_ERROR(LoadPolicy(ctx, arn).status());
  const std::string filter = in.Str("EntityFilter").value_or("");
  const std::string usage = in.Str("PolicyUsageFilter").value_or("");
  const std::string prefix = in.Str("PathPrefix").value_or("/");
  const Page page = PageOf(in);
  // The rows' names start with the identity's kind: EntityFilter is a range of names.
  std::string kind_prefix;
  if (filter == "Group" || filter == "Role" || filter == "User") {
    kind_prefix = storage::IamNameKey(filter) + "/";
  }
  std::vector<std::string> families;
  // LocalManagedPolicy / AWSManagedPolicy name no kind of identity: nothing to read.
  if (filter.empty() || !kind_prefix.empty()) {
    if (usage != "PermissionsBoundary") families.push_back(storage::kPolicyAttachedKind + arn);
    if (usage != "PermissionsPolicy") families.push_back(storage::kPolicyBoundsKind + arn);
  }
  ARCANA_RETURN_IF_ERROR(EnsurePolicyUses(ctx));
  std::string after = page.marker;
  if (storage::IamNameKey(after) < kind_prefix) after = kind_prefix;
  const size_t limit = std::min(page.max_items + 1, storage::kMaxListLimit);
  // Merged in name order. A kind of use that filled its read may hold more rows past its
  // last one: only names up to there are complete (`bound`), the rest waits for a next page.
  std::map<std::string, storage::IamEntity> merged;  // by name_key
  std::optional<std::string> bound;
  for (const auto& family : families) {
    ARCANA_ASSIGN_OR_RETURN(auto rows, store_.ListEntities(ctx.account, family, prefix, after,
                                                           limit));
    bool past_kind = false;
    const std::string last = rows.empty() ? "" : storage::IamNameKey(rows.back().name);
    for (auto& e : rows) {
      std::string key = storage::IamNameKey(e.name);
      if (!key.starts_with(kind_prefix)) {
        past_kind = true;
        break;
      }
      merged.emplace(std::move(key), std::move(e));
    }
    if (!past_kind && rows.size() == limit) {
      if (!bound || last < *bound) bound = last;
    }
  }
  std::vector<const storage::IamEntity*> found;
  bool truncated = false;
  for (const auto& [key, e] : merged) {
    if ((bound && key > *bound) || found.size() == page.max_items) {
      truncated = true;
      break;
    }
    found.push_back(&e);
  }
  // A full read past what was answered: more may follow.
  if (bound && !found.empty() && storage::IamNameKey(found.back()->name) == *bound) {
    truncated = true;
  }
  if (found.empty()) truncated = false;  // nothing to continue from (MaxItems is at least 1)
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  for (const auto& [kind, list, name_key, id_key] :
       {std::tuple{"group", "PolicyGroups", "GroupName", "GroupId"},
        std::tuple{"role", "PolicyRoles", "RoleName", "RoleId"},
        std::tuple{"user", "PolicyUsers", "UserName", "UserId"}}) {
    const std::string row_prefix = std::string(kind) + "/";
    w.Key(list);
    w.StartArray();
    for (const auto* e : found) {
      if (!e->name.starts_with(row_prefix)) continue;
      w.StartObject();
      json::KV(w, name_key, e->name.substr(row_prefix.size()));
      json::KV(w, id_key, e->id);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("IsTruncated");
  w.Bool(truncated);
  if (truncated) json::KV(w, "Marker", found.back()->name);
  w.EndObject();
  return json::Finish(buf);
}

// The identity and the policy change together: the policy counts its attachments, so a
// policy in use is never deleted.
Result<std::string> IamService::Attach(const char* kind, const In& in, const CallContext& ctx) {
  std::string name = *in.Str(NameMember(kind)), arn = *in.Str("PolicyArn");
  // AttachRolePolicy words a PolicyArn that is no policy ARN as a validation error (AWS's
  // 2026 recording); AttachUserPolicy answers InvalidInput (its latest recording, 2023), as
  // LoadPolicy does for every other call.
  if (std::string_view(kind) == "role" && !domain::iam::ParsePolicyArn(arn)) {
    return Status(ErrorCode::kValidation, "ARN " + arn + " is not valid.");
  }
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity who, Load(ctx, kind, name));
    ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, LoadPolicy(ctx, arn));
    if (std::find(who.attached.begin(), who.attached.end(), arn) != who.attached.end()) {
      return Status::Ok();
    }
    if (who.attached.size() >= kMaxAttached) {
      return Status(ErrorCode::kLimitExceeded,
                    std::string("Cannot exceed quota for PoliciesPer") + Quota(kind) + ": 10");
    }
    who.attached.push_back(arn);
    std::vector<EntityWrite> writes{{EntityWrite::Op::kPut, storage::ToEntity(who)}};
    // An AWS managed policy is not stored: the account's counts of it are rows of their own.
    if (domain::iam::IsAwsManagedPolicyArn(arn)) {
      ARCANA_RETURN_IF_ERROR(CountAwsPolicyUse(ctx, arn, +1, 0, writes));
    } else {
      ++p.attachment_count;
      writes.push_back({EntityWrite::Op::kPut, storage::ToEntity(p)});
    }
    return WriteEntities(ctx, writes, std::string("Attach") + Quota(kind) + "Policy");
  }));
  return std::string("{}");
}

Result<std::string> IamService::Detach(const char* kind, const In& in, const CallContext& ctx) {
  std::string name = *in.Str(NameMember(kind)), arn = *in.Str("PolicyArn");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity who, Load(ctx, kind, name));
    auto it = std::find(who.attached.begin(), who.attached.end(), arn);
    if (it == who.attached.end()) {
      return Status(ErrorCode::kResourceNotFound, "Policy " + arn + " was not found.");
    }
    who.attached.erase(it);
    std::vector<EntityWrite> writes{{EntityWrite::Op::kPut, storage::ToEntity(who)}};
    if (domain::iam::IsAwsManagedPolicyArn(arn)) {  // not stored: its counts are rows
      ARCANA_RETURN_IF_ERROR(CountAwsPolicyUse(ctx, arn, -1, 0, writes));
      return WriteEntities(ctx, writes, std::string("Detach") + Quota(kind) + "Policy");
    }
    auto p = LoadPolicy(ctx, arn);
    if (p.ok()) {
      p->attachment_count = std::max<int64_t>(0, p->attachment_count - 1);
      writes.push_back({EntityWrite::Op::kPut, storage::ToEntity(*p)});
    } else if (p.status().code() != ErrorCode::kResourceNotFound) {
      return p.status();
    }
    return WriteEntities(ctx, writes, std::string("Detach") + Quota(kind) + "Policy");
  }));
  return std::string("{}");
}

Result<std::string> IamService::ListAttached(const char* kind, const In& in,
                                             const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Identity who, Load(ctx, kind, *in.Str(NameMember(kind))));
  // PathPrefix filters the policies' paths, which their ARNs carry
  // (arn:aws:iam::aws:policy/service-role/NAME has the Path "/service-role/").
  const std::string prefix = in.Str("PathPrefix").value_or("/");
  std::erase_if(who.attached, [&](const std::string& arn) {
    const size_t at = arn.find(":policy/");
    if (at == std::string::npos) return true;
    const size_t from = at + std::string_view(":policy").size();
    return !std::string_view(arn).substr(from, arn.rfind('/') + 1 - from).starts_with(prefix);
  });
  // Paged in the order they were attached. The Marker names the last policy answered by its
  // ARN's account and its name ("aws:IAMReadOnlyAccess", "123456789012:Mine"), unique as the
  // ARN is (names are unique within an account), but not the ARN itself: with a Path of up to
  // 512 characters it can exceed the 320 the model's markerType allows a Marker, which the
  // next request could then not send.
  std::vector<std::string> keys;
  for (const auto& arn : who.attached) {
    const size_t account_at = arn.find(":iam::");
    const size_t account_end = arn.find(':', account_at + 6);
    keys.push_back(account_at == std::string::npos || account_end == std::string::npos
                       ? arn
                       : arn.substr(account_at + 6, account_end - account_at - 6) + ":" +
                             arn.substr(arn.rfind('/') + 1));
  }
  ARCANA_ASSIGN_OR_RETURN(Slice page, SliceOf(PageOf(in), keys));
  who.attached = std::vector<std::string>(
      who.attached.begin() + static_cast<std::ptrdiff_t>(page.begin),
      who.attached.begin() + static_cast<std::ptrdiff_t>(page.end));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteAttachedPolicies(w, "AttachedPolicies", who);
  WritePageEnd(w, page);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::PutInline(const char* kind, const In& in, const CallContext& ctx) {
  std::string name = *in.Str(NameMember(kind)), policy = *in.Str("PolicyName");
  std::string doc = *in.Str("PolicyDocument");
  ARCANA_RETURN_IF_ERROR(CheckName(policy, "policyName"));
  ARCANA_RETURN_IF_ERROR(CheckPolicyDocument(doc));
  ARCANA_RETURN_IF_ERROR(
      Update(ctx, kind, name, (std::string("Put") + Quota(kind) + "Policy").c_str(),
             [&](Identity& who) {
               who.inline_policies[policy] = doc;
               size_t total = 0;
               for (const auto& [n, d] : who.inline_policies) total += SizeWithoutSpace(d);
               if (total > InlineLimit(kind)) {
                 return Status(ErrorCode::kLimitExceeded,
                               "Maximum policy size of " + std::to_string(InlineLimit(kind)) +
                                   " bytes exceeded for " + std::string(kind) + " " + who.name);
               }
               return Status::Ok();
             }));
  return std::string("{}");
}

Result<std::string> IamService::GetInline(const char* kind, const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Identity who, Load(ctx, kind, *in.Str(NameMember(kind))));
  std::string policy = *in.Str("PolicyName");
  auto it = who.inline_policies.find(policy);
  if (it == who.inline_policies.end()) {
    return Status(ErrorCode::kResourceNotFound, "The " + std::string(kind) + " policy with name " +
                                                policy + " cannot be found.");
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, NameMember(kind), who.name);
  json::KV(w, "PolicyName", policy);
  json::KV(w, "PolicyDocument", UrlEncodeDocument(it->second));
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::DeleteInline(const char* kind, const In& in,
                                             const CallContext& ctx) {
  std::string policy = *in.Str("PolicyName");
  ARCANA_RETURN_IF_ERROR(Update(ctx, kind, *in.Str(NameMember(kind)),
                                (std::string("Delete") + Quota(kind) + "Policy").c_str(),
                                [&](Identity& who) {
                                  if (who.inline_policies.erase(policy) == 0) {
                                    return Status(ErrorCode::kResourceNotFound,
                                                  "The " + std::string(kind) +
                                                      " policy with name " + policy +
                                                      " cannot be found.");
                                  }
                                  return Status::Ok();
                                }));
  return std::string("{}");
}

Result<std::string> IamService::ListInline(const char* kind, const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Identity who, Load(ctx, kind, *in.Str(NameMember(kind))));
  // In name order (the map's), the Marker being the last name answered.
  std::vector<std::string> names;
  for (const auto& [name, doc] : who.inline_policies) names.push_back(name);
  ARCANA_ASSIGN_OR_RETURN(Slice page, SliceOf(PageOf(in), names));
  return PagedListAnswer(page, "PolicyNames",
                         [&](json::Writer& w, size_t i) { json::WriteStr(w, names[i]); });
}

Result<std::string> IamService::PutBoundary(const char* kind, const In& in,
                                            const CallContext& ctx) {
  std::string arn = *in.Str("PermissionsBoundary");
  ARCANA_RETURN_IF_ERROR(CheckBoundary(ctx, arn));
  const std::string name = *in.Str(NameMember(kind));
  // The identity and both policies' boundary counts change in one write.
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity who, Load(ctx, kind, name));
    if (who.boundary_arn == arn) return Status::Ok();
    std::vector<EntityWrite> writes;
    if (!who.boundary_arn.empty()) {
      ARCANA_RETURN_IF_ERROR(CountBoundaryUse(ctx, who.boundary_arn, -1, writes));
    }
    ARCANA_RETURN_IF_ERROR(CountBoundaryUse(ctx, arn, +1, writes));
    who.boundary_arn = arn;
    writes.insert(writes.begin(), {EntityWrite::Op::kPut, storage::ToEntity(who)});
    return WriteEntities(ctx, writes,
                         std::string("Put") + Quota(kind) + "PermissionsBoundary");
  }));
  return std::string("{}");
}

Result<std::string> IamService::DeleteBoundary(const char* kind, const In& in,
                                               const CallContext& ctx) {
  const std::string name = *in.Str(NameMember(kind));
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity who, Load(ctx, kind, name));
    std::vector<EntityWrite> writes;
    if (!who.boundary_arn.empty()) {
      ARCANA_RETURN_IF_ERROR(CountBoundaryUse(ctx, who.boundary_arn, -1, writes));
    }
    who.boundary_arn.clear();
    writes.insert(writes.begin(), {EntityWrite::Op::kPut, storage::ToEntity(who)});
    return WriteEntities(ctx, writes,
                         std::string("Delete") + Quota(kind) + "PermissionsBoundary");
  }));
  return std::string("{}");
}

}  // namespace arcana::services::iam
