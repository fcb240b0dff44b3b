// Account-level IAM: the account alias and the account summary.
// The alias is an IAM entity of kind "account" (name "alias"): nothing lists that kind
// (every list, count and scan of IAM asks for users, groups, roles or policies by kind), so it
// is invisible to everything else.
#include <optional>
#include <string>
#include <vector>

#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using storage::EntityWrite;
using storage::IamEntity;

namespace {

constexpr const char* kAccountKind = "account";
constexpr const char* kAliasName = "alias";

// The model's accountAliasType pattern, ^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$: lower-case
// letters, digits and single dashes, neither first nor last (the validator leaves patterns
// with groups and lookaheads to us). IAM words the fault without the value, as for names.
Status CheckAlias(const std::string& alias) {
  bool ok = !alias.empty() && alias.front() != '-' && alias.back() != '-';
  for (size_t i = 0; ok && i < alias.size(); ++i) {
    const char c = alias[i];
    if (c == '-') {
      ok = alias[i - 1] != '-';
    } else {
      ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
  }
  if (ok) return Status::Ok();
  return Status(ErrorCode::kValidation,
                "1 validation error detected: Value at 'accountAlias' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$");
}

IamEntity AccountEntity(const CallContext& ctx, const char* name, std::string doc) {
  IamEntity e;
  e.account = ctx.account;
  e.kind = kAccountKind;
  e.name = name;
  e.path = "/";
  e.doc = std::move(doc);
  e.created_ms = ctx.now_ms;
  return e;
}

// The stored alias of an account ("" when none).
std::string AliasOf(const IamEntity& e) {
  rapidjson::Document d;
  d.Parse(e.doc.data(), e.doc.size());
  return d.IsObject() ? json::StrField(d, "alias") : std::string();
}

}  // namespace

// --- The account alias --------------------------------------------------------------------

// One alias per account: a new one replaces the old ("Your AWS account can have only one
// alias. If you create a new alias for your AWS account, the new alias overwrites the
// previous alias", AWS Account Management reference, manage-acct-alias). The alias is not
// claimed across accounts (AWS keeps it unique per partition; Arcana's accounts share no
// sign-in URL that would need it).
Result<std::string> IamService::CreateAccountAlias(const In& in, const CallContext& ctx) {
  const std::string alias = in.Str("AccountAlias").value_or("");
  ARCANA_RETURN_IF_ERROR(CheckAlias(alias));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "alias", alias);
  w.EndObject();
  const std::string doc = json::Finish(buf);
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, kAccountKind, kAliasName));
    IamEntity next = AccountEntity(ctx, kAliasName, doc);
    if (e) {
      if (AliasOf(*e) == alias) return Status::Ok();
      next.revision = e->revision;
      next.created_ms = e->created_ms;
    }
    Status st = store_.WriteEntities({{EntityWrite::Op::kPut, next}}, "CreateAccountAlias");
    // A concurrent create: read again.
    if (st.code() == ErrorCode::kResourceExists) return Status(ErrorCode::kWriteConflict, "alias");
    return st;
  }));
  return std::string("{}");
}

// Deletes the account's alias when it is the one named, else NoSuchEntity.
Result<std::string> IamService::DeleteAccountAlias(const In& in, const CallContext& ctx) {
  const std::string alias = in.Str("AccountAlias").value_or("");
  ARCANA_RETURN_IF_ERROR(CheckAlias(alias));
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, kAccountKind, kAliasName));
    if (!e || AliasOf(*e) != alias) {
      return Status(ErrorCode::kResourceNotFound,
                    "The account alias " + alias + " cannot be found.");
    }
    return store_.WriteEntities({{EntityWrite::Op::kDelete, *e}}, "DeleteAccountAlias");
  }));
  return std::string("{}");
}

// The account's alias (none or one): one page whatever MaxItems and Marker say.
Result<std::string> IamService::ListAccountAliases(const In&, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, kAccountKind, kAliasName));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("AccountAliases");
  w.StartArray();
  if (e) {
    if (std::string alias = AliasOf(*e); !alias.empty()) json::WriteStr(w, alias);
  }
  w.EndArray();
  w.Key("IsTruncated");
  w.Bool(false);
  w.EndObject();
  return json::Finish(buf);
}

// --- The account summary ------------------------------------------------------------------

// The SummaryMap AWS answers (LocalStack's AWS-validated test_iam_account_summary recorded
// every member and each quota): the counts of what Arcana keeps (users, groups, roles,
// customer managed policies, the attachments of those policies as PolicyVersionsInUse), zero
// for what it has none of (instance profiles, identity providers, MFA devices, server and
// signing certificates, a root password or root MFA) and AWS's default quotas. The root's
// access keys are Arcana's own credentials, not counted as AccountAccessKeysPresent (IAM here
// cannot see them; an account that follows AWS's advice has none, as recorded).
Result<std::string> IamService::GetAccountSummary(const In&, const CallContext& ctx) {
  int64_t users = 0, groups = 0, roles = 0, policies = 0, versions_in_use = 0;
  for (const char* kind : {"user", "group", "role", "policy"}) {
    std::string after;
    for (;;) {
      ARCANA_ASSIGN_OR_RETURN(auto rows, store_.ListEntities(ctx.account, kind, "/", after, 1000));
      for (const auto& e : rows) {
        if (std::string_view(kind) == "policy") {
          ARCANA_ASSIGN_OR_RETURN(auto p, storage::PolicyFromEntity(e));
          ++policies;
          versions_in_use += p.attachment_count;
        } else if (std::string_view(kind) == "user") {
          ++users;
        } else if (std::string_view(kind) == "group") {
          ++groups;
        } else {
          ++roles;
        }
      }
      if (rows.size() < 1000) break;
      after = rows.back().name;
    }
  }
  const std::pair<const char*, int64_t> members[] = {
      {"AccessKeysPerUserQuota", 2},
      {"AccountAccessKeysPresent", 0},
      {"AccountMFAEnabled", 0},
      {"AccountPasswordPresent", 0},
      {"AccountSigningCertificatesPresent", 0},
      {"AssumeRolePolicySizeQuota", 2048},
      {"AttachedPoliciesPerGroupQuota", 10},
      {"AttachedPoliciesPerRoleQuota", 10},
      {"AttachedPoliciesPerUserQuota", 10},
      {"GlobalEndpointTokenVersion", 1},
      {"GroupPolicySizeQuota", 5120},
      {"Groups", groups},
      {"GroupsPerUserQuota", 10},
      {"GroupsQuota", 300},
      {"InstanceProfiles", 0},
      {"InstanceProfilesQuota", 1000},
      {"MFADevices", 0},
      {"MFADevicesInUse", 0},
      {"Policies", policies},
      {"PoliciesQuota", 1500},
      {"PolicySizeQuota", 6144},
      {"PolicyVersionsInUse", versions_in_use},
      {"PolicyVersionsInUseQuota", 10000},
      {"Providers", 0},
      {"RolePolicySizeQuota", 10240},
      {"Roles", roles},
      {"RolesQuota", 1000},
      {"ServerCertificates", 0},
      {"ServerCertificatesQuota", 20},
      {"SigningCertificatesPerUserQuota", 2},
      {"UserPolicySizeQuota", 2048},
      {"Users", users},
      {"UsersQuota", 5000},
      {"VersionsPerPolicyQuota", 5},
  };
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("SummaryMap");
  w.StartObject();
  for (const auto& [key, value] : members) {
    w.Key(key);
    w.Int64(value);
  }
  w.EndObject();
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::iam
