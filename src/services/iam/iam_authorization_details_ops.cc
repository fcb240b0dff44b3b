// GetAccountAuthorizationDetails: every user, group, role and customer managed policy of the
// account with what grants them permissions, as auditing tools read it in one paged sweep.
// Members as AWS answers them (LocalStack's AWS-validated snapshots of
// test_iam_account_authorization_details): all four lists always present (empty for kinds
// the Filter leaves out); a user's UserPolicyList only when it has inline policies, its
// GroupList, AttachedManagedPolicies and Tags always; a group's GroupPolicyList always; a
// role's RolePolicyList, InstanceProfileList (Arcana has no instance profiles), Tags and an
// empty RoleLastUsed always, and no Description or MaxSessionDuration; a policy with its
// PolicyVersionList (every version, with its document). Arcana holds no AWS managed policies,
// so the AWSManagedPolicy filter selects nothing.
// Paging: MaxItems entries across the four kinds in the order users, groups, roles, policies,
// each by name; the Marker names the kind and the last name written ("user/alice"), so a page
// reads at most MaxItems entries of each kind from the store.
#include <algorithm>
#include <array>

#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

namespace {

using domain::iam::Identity;
using domain::iam::ManagedPolicy;

constexpr std::array<const char*, 4> kKinds = {"user", "group", "role", "policy"};

void WriteInlinePolicies(json::Writer& w, const char* key, const Identity& i) {
  w.Key(key);
  w.StartArray();
  for (const auto& [name, doc] : i.inline_policies) {
    w.StartObject();
    json::KV(w, "PolicyName", name);
    json::KV(w, "PolicyDocument", UrlEncodeDocument(doc));
    w.EndObject();
  }
  w.EndArray();
}

void WriteUserDetail(json::Writer& w, const Identity& u) {
  w.StartObject();
  WriteIdentityCommon(w, u, "UserName", "UserId");
  if (!u.inline_policies.empty()) WriteInlinePolicies(w, "UserPolicyList", u);
  w.Key("GroupList");
  w.StartArray();
  for (const auto& g : u.groups) w.String(g.data(), static_cast<rapidjson::SizeType>(g.size()));
  w.EndArray();
  WriteAttachedPolicies(w, "AttachedManagedPolicies", u);
  WriteBoundary(w, u);
  WriteTags(w, u.tags);
  w.EndObject();
}

void WriteGroupDetail(json::Writer& w, const Identity& g) {
  w.StartObject();
  WriteIdentityCommon(w, g, "GroupName", "GroupId");
  WriteInlinePolicies(w, "GroupPolicyList", g);
  WriteAttachedPolicies(w, "AttachedManagedPolicies", g);
  w.EndObject();
}

void WriteRoleDetail(json::Writer& w, const Identity& r) {
  w.StartObject();
  WriteIdentityCommon(w, r, "RoleName", "RoleId");
  json::KV(w, "AssumeRolePolicyDocument", UrlEncodeDocument(r.trust_policy));
  w.Key("InstanceProfileList");
  w.StartArray();
  w.EndArray();
  WriteInlinePolicies(w, "RolePolicyList", r);
  WriteAttachedPolicies(w, "AttachedManagedPolicies", r);
  WriteBoundary(w, r);
  WriteTags(w, r.tags);
  w.Key("RoleLastUsed");
  w.StartObject();
  w.EndObject();
  w.EndObject();
}

// The kinds a Filter selects (all four without one). The AWSManagedPolicy entry selects
// nothing here: the account holds only its own policies.
std::array<bool, 4> Selected(const json::Input& in) {
  auto filter = in.StrList("Filter");
  if (!filter || filter->empty()) return {true, true, true, true};
  std::array<bool, 4> on{};
  for (const auto& f : *filter) {
    if (f == "User") on[0] = true;
    if (f == "Group") on[1] = true;
    if (f == "Role") on[2] = true;
    if (f == "LocalManagedPolicy") on[3] = true;
  }
  return on;
}

}  // namespace

Result<std::string> IamService::GetAccountAuthorizationDetails(const In& in,
                                                               const CallContext& ctx) {
  const std::array<bool, 4> selected = Selected(in);
  Page page = PageOf(in);
  size_t start_kind = 0;
  std::string after;
  if (!page.marker.empty()) {
    size_t slash = page.marker.find('/');
    auto it = slash == std::string::npos
                  ? kKinds.end()
                  : std::find(kKinds.begin(), kKinds.end(), page.marker.substr(0, slash));
    if (it == kKinds.end()) {
      return Status(ErrorCode::kValidation, "Invalid Marker: " + page.marker);
    }
    start_kind = static_cast<size_t>(it - kKinds.begin());
    after = page.marker.substr(slash + 1);
  }
  // The page's entities, at most MaxItems in all, plus whether any is left after them.
  std::array<std::vector<storage::IamEntity>, 4> rows;
  size_t taken = 0;
  bool truncated = false;
  std::string next_marker;
  for (size_t k = start_kind; k < kKinds.size() && !truncated; ++k) {
    if (!selected[k]) continue;
    std::string from = k == start_kind ? after : "";
    // One more than fits tells whether this kind goes on past the page.
    size_t want = page.max_items - taken + 1;
    ARCANA_ASSIGN_OR_RETURN(auto got, store_.ListEntities(ctx.account, kKinds[k], "/", from, want));
    for (auto& e : got) {
      if (taken == page.max_items) {
        truncated = true;
        break;
      }
      rows[k].push_back(std::move(e));
      ++taken;
    }
    if (!truncated && taken == page.max_items) {
      // The page is full: is anything of this kind (the store caps a read, so the extra row
      // may not have come) or of a later selected kind left?
      if (!rows[k].empty()) {
        ARCANA_ASSIGN_OR_RETURN(
            auto probe, store_.ListEntities(ctx.account, kKinds[k], "/", rows[k].back().name, 1));
        truncated = !probe.empty();
      }
      for (size_t later = k + 1; later < kKinds.size() && !truncated; ++later) {
        if (!selected[later]) continue;
        ARCANA_ASSIGN_OR_RETURN(auto probe,
                                store_.ListEntities(ctx.account, kKinds[later], "/", "", 1));
        truncated = !probe.empty();
      }
    }
    if (truncated) {
      // Continue after the last entity written, of whichever kind that was.
      for (size_t back = k + 1; back-- > 0;) {
        if (!rows[back].empty()) {
          next_marker = std::string(kKinds[back]) + "/" + rows[back].back().name;
          break;
        }
      }
      if (next_marker.empty()) next_marker = std::string(kKinds[start_kind]) + "/" + after;
    }
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  const char* lists[] = {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"};
  for (size_t k = 0; k < kKinds.size(); ++k) {
    w.Key(lists[k]);
    w.StartArray();
    for (const auto& e : rows[k]) {
      if (k == 3) {
        ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, storage::PolicyFromEntity(e));
        WritePolicy(w, p, View::kDetailed);
        continue;
      }
      ARCANA_ASSIGN_OR_RETURN(Identity i, storage::IdentityFromEntity(e));
      if (k == 0) WriteUserDetail(w, i);
      if (k == 1) WriteGroupDetail(w, i);
      if (k == 2) {
        ARCANA_ASSIGN_OR_RETURN(i, Shown(std::move(i)));
        WriteRoleDetail(w, i);
      }
    }
    w.EndArray();
  }
  w.Key("IsTruncated");
  w.Bool(truncated);
  if (truncated) json::KV(w, "Marker", next_marker);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::iam
