// GetAccountAuthorizationDetails: every user, group, role and customer managed policy of the
// account with what grants them permissions, as auditing tools read it in one paged sweep.
// Members as AWS answers them (LocalStack's AWS-validated snapshots of
// test_iam_account_authorization_details): all four lists always present (empty for kinds
// the Filter leaves out); a user's UserPolicyList only when it has inline policies, its
// GroupList, AttachedManagedPolicies and Tags always; a group's GroupPolicyList always; a
// role's RolePolicyList, InstanceProfileList (its instance profiles with their roles), Tags and an
// empty RoleLastUsed always, and no Description or MaxSessionDuration; a policy with its
// PolicyVersionList (every version, with its document); the AWS managed policies attached in
// the account after its own (the AWSManagedPolicy filter), with the version Arcana holds.
// Paging: MaxItems entries across the kinds in the order users, groups, roles, policies, AWS
// managed policies, each by name; the Marker names the kind and the last name written
// ("user/alice"), so a page reads at most MaxItems entries of each kind from the store.
#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "domain/iam/aws_managed_policies.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

namespace {

using domain::iam::Identity;
using domain::iam::ManagedPolicy;

// "aws-policy": the AWS managed policies (domain/iam/aws_managed_policies.h) attached to an
// entity of the account, listed after its own policies, in the same Policies list, as AWS
// lists those in use (the AWSManagedPolicy filter).
constexpr std::array<const char*, 5> kKinds = {"user", "group", "role", "policy", "aws-policy"};

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

void WriteRoleDetail(json::Writer& w, const Identity& r, const std::vector<ProfileView>& profiles) {
  w.StartObject();
  WriteIdentityCommon(w, r, "RoleName", "RoleId");
  json::KV(w, "AssumeRolePolicyDocument", UrlEncodeDocument(r.trust_policy));
  w.Key("InstanceProfileList");
  w.StartArray();
  for (const auto& p : profiles) WriteInstanceProfile(w, p, View::kListed);
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

// The kinds a Filter selects (all five without one).
std::array<bool, 5> Selected(const json::Input& in) {
  auto filter = in.StrList("Filter");
  if (!filter || filter->empty()) return {true, true, true, true, true};
  std::array<bool, 5> on{};
  for (const auto& f : *filter) {
    if (f == "User") on[0] = true;
    if (f == "Group") on[1] = true;
    if (f == "Role") on[2] = true;
    if (f == "LocalManagedPolicy") on[3] = true;
    if (f == "AWSManagedPolicy") on[4] = true;
  }
  return on;
}

}  // namespace

Result<std::string> IamService::GetAccountAuthorizationDetails(const In& in,
                                                               const CallContext& ctx) {
  const std::array<bool, 5> selected = Selected(in);
  // A page of a kind: the store's entities, or the AWS managed policies in use in the account
  // (as entities of the account "aws", with the account's counts), by name after `from`.
  std::optional<std::map<std::string, Uses>> uses;
  auto list = [&](size_t k, const std::string& from,
                  size_t n) -> Result<std::vector<storage::IamEntity>> {
    if (k < 4) return store_.ListEntities(ctx.account, kKinds[k], "/", from, n);
    if (!uses) {
      ARCANA_ASSIGN_OR_RETURN(auto got, AwsPolicyUses(ctx));
      uses = std::move(got);
    }
    std::vector<storage::IamEntity> out;
    for (const auto& aws : domain::iam::AwsManagedPolicies()) {
      if (out.size() == n) break;
      ManagedPolicy p = WithUses(aws, *uses);
      if (p.name <= from || p.attachment_count == 0) continue;
      out.push_back(storage::ToEntity(p));
    }
    return out;
  };
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
  std::array<std::vector<storage::IamEntity>, 5> rows;
  size_t taken = 0;
  bool truncated = false;
  std::string next_marker;
  for (size_t k = start_kind; k < kKinds.size() && !truncated; ++k) {
    if (!selected[k]) continue;
    std::string from = k == start_kind ? after : "";
    // One more than fits tells whether this kind goes on past the page.
    size_t want = page.max_items - taken + 1;
    ARCANA_ASSIGN_OR_RETURN(auto got, list(k, from, want));
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
        ARCANA_ASSIGN_OR_RETURN(auto probe, list(k, rows[k].back().name, 1));
        truncated = !probe.empty();
      }
      for (size_t later = k + 1; later < kKinds.size() && !truncated; ++later) {
        if (!selected[later]) continue;
        ARCANA_ASSIGN_OR_RETURN(auto probe, list(later, "", 1));
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
  for (size_t k = 0; k < 4; ++k) {
    w.Key(lists[k]);
    w.StartArray();
    // The account's own managed policies, then the AWS managed ones it uses.
    for (size_t part = k; part < (k == 3 ? 5 : k + 1); ++part) {
      for (const auto& e : rows[part]) {
        if (part >= 3) {
          ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, storage::PolicyFromEntity(e));
          WritePolicy(w, p, View::kDetailed);
          continue;
        }
        ARCANA_ASSIGN_OR_RETURN(Identity i, storage::IdentityFromEntity(e));
        if (part == 0) WriteUserDetail(w, i);
        if (part == 1) WriteGroupDetail(w, i);
        if (part == 2) {
          ARCANA_ASSIGN_OR_RETURN(auto profiles, ProfileViews(ctx, i.instance_profiles));
          ARCANA_ASSIGN_OR_RETURN(i, Shown(std::move(i)));
          WriteRoleDetail(w, i, profiles);
        }
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
