// Account-level IAM: the account alias, the account summary and the account password policy.
// The alias and the password policy are IAM entities of kind "account" (names "alias" and
// "password-policy"): nothing lists that kind (every list, count and scan of IAM asks for
// users, groups, roles, policies or OIDC providers by kind), so they are invisible to
// everything else.
#include <optional>
#include <string>
#include <vector>

#include "domain/iam/password_policy.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using storage::EntityWrite;
using storage::IamEntity;

namespace {

constexpr const char* kAccountKind = "account";
constexpr const char* kAliasName = "alias";
// The account's STS preferences (SetSecurityTokenServicePreferences): {"token_version": 1|2}.
constexpr const char* kStsPreferencesName = "sts-preferences";
constexpr const char* kPasswordPolicyName = "password-policy";

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

Result<std::string> IamService::AccountLabel(const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, kAccountKind, kAliasName));
  if (e) {
    if (std::string alias = AliasOf(*e); !alias.empty()) return alias;
  }
  return ctx.account;
}

namespace {

using domain::iam::PasswordPolicy;


std::string EncodePolicy(const PasswordPolicy& p) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("min_length");
  w.Int64(p.minimum_length);
  w.Key("symbols");
  w.Bool(p.require_symbols);
  w.Key("numbers");
  w.Bool(p.require_numbers);
  w.Key("uppercase");
  w.Bool(p.require_uppercase);
  w.Key("lowercase");
  w.Bool(p.require_lowercase);
  w.Key("allow_change");
  w.Bool(p.allow_users_to_change);
  if (p.max_age) {
    w.Key("max_age");
    w.Int64(*p.max_age);
  }
  if (p.reuse_prevention) {
    w.Key("reuse_prevention");
    w.Int64(*p.reuse_prevention);
  }
  if (p.hard_expiry) {
    w.Key("hard_expiry");
    w.Bool(*p.hard_expiry);
  }
  w.EndObject();
  return json::Finish(buf);
}

Result<PasswordPolicy> DecodePolicy(const std::string& doc) {
  rapidjson::Document d;
  d.Parse(doc.data(), doc.size());
  if (d.HasParseError() || !d.IsObject()) {
    return Status(ErrorCode::kInternalFailure, "stored password policy does not parse");
  }
  PasswordPolicy p;
  p.minimum_length = json::IntField(d, "min_length", 6);
  p.require_symbols = json::BoolField(d, "symbols");
  p.require_numbers = json::BoolField(d, "numbers");
  p.require_uppercase = json::BoolField(d, "uppercase");
  p.require_lowercase = json::BoolField(d, "lowercase");
  p.allow_users_to_change = json::BoolField(d, "allow_change");
  p.max_age = json::OptIntField(d, "max_age");
  p.reuse_prevention = json::OptIntField(d, "reuse_prevention");
  if (auto it = d.FindMember("hard_expiry"); it != d.MemberEnd() && it->value.IsBool()) {
    p.hard_expiry = it->value.GetBool();
  }
  return p;
}

}  // namespace

// --- The account alias --------------------------------------------------------------------

// One alias per account: a new one replaces the old ("Your AWS account can have only one
// alias. If you create a new alias for your AWS account, the new alias overwrites the
// previous alias", AWS Account Management reference, manage-acct-alias). An alias already
// taken is EntityAlreadyExists "The account alias NAME already exists." (AWS's words, quoted
// in awslabs/aws-deployment-framework#465), the account's own alias too (AWS keeps aliases
// unique per partition and finds its own taken, as floci-io/floci#2103 observed on AWS). The
// alias is not claimed across Arcana's accounts (they share no sign-in URL that would need
// it).
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
      if (AliasOf(*e) == alias) {
        return Status(ErrorCode::kResourceExists,
                      "The account alias " + alias + " already exists.");
      }
      next.revision = e->revision;
      next.created_ms = e->created_ms;
    }
    Status st = WriteEntities(ctx, {{EntityWrite::Op::kPut, next}}, "CreateAccountAlias");
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
    return WriteEntities(ctx, {{EntityWrite::Op::kDelete, *e}}, "DeleteAccountAlias");
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

// GlobalEndpointTokenVersion v1Token or v2Token (the model's enum, checked by the validator):
// which session tokens the global STS endpoint would issue. Arcana's tokens are one kind
// whatever the endpoint, so the preference changes no token; it is kept and answered by
// GetAccountSummary (1 or 2; 1 until set, as AWS recorded for a new account) for the tools
// that set and check it.
Result<std::string> IamService::SetSecurityTokenServicePreferences(const In& in,
                                                                   const CallContext& ctx) {
  const int version = in.Str("GlobalEndpointTokenVersion").value_or("") == "v2Token" ? 2 : 1;
  const std::string doc = "{\"token_version\":" + std::to_string(version) + "}";
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto e,
                            store_.GetEntity(ctx.account, kAccountKind, kStsPreferencesName));
    IamEntity next = AccountEntity(ctx, kStsPreferencesName, doc);
    if (e) {
      if (e->doc == doc) return Status::Ok();
      next.revision = e->revision;
      next.created_ms = e->created_ms;
    }
    Status st = WriteEntities(ctx, {{EntityWrite::Op::kPut, next}},
                              "SetSecurityTokenServicePreferences");
    if (st.code() == ErrorCode::kResourceExists) return Status(ErrorCode::kWriteConflict, "sts");
    return st;
  }));
  return std::string("{}");
}

// The GlobalEndpointTokenVersion GetAccountSummary answers.
Result<int64_t> IamService::TokenVersion(const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, kAccountKind, kStsPreferencesName));
  return e && e->doc == "{\"token_version\":2}" ? 2 : 1;
}

// --- The account summary ------------------------------------------------------------------

// The SummaryMap AWS answers (LocalStack's AWS-validated test_iam_account_summary recorded
// every member and each quota): the counts of what Arcana keeps (users, groups, roles,
// customer managed policies, the attachments of those policies as PolicyVersionsInUse, OIDC
// and SAML identity providers as Providers: recorded, one OIDC and one SAML provider add 2), virtual
// MFA devices as MFADevices and those enabled for a user as MFADevicesInUse, instance
// profiles as InstanceProfiles, server certificates as ServerCertificates, zero for what it
// has none of (account signing certificates, a root password or root MFA) and AWS's default quotas (those of
// users, groups, roles and policies as enforced: IamQuotas, the operator's if set). The root's
// access keys are Arcana's own credentials, not counted as AccountAccessKeysPresent (IAM here
// cannot see them; an account that follows AWS's advice has none, as recorded).
// The counts are the store's (IdentityStore::CountEntities: a count per kind and the sum of
// the policies' attachment counts, in the database), so the call reads no user, group, role
// or policy whatever the account holds.
Result<std::string> IamService::GetAccountSummary(const In&, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(
      storage::IamEntityCounts counts,
      store_.CountEntities(ctx.account,
                           {"user", "group", "role", "policy", storage::kOidcProviderKind,
                            storage::kMfaDeviceKind, storage::kMfaInUseKind,
                            storage::kInstanceProfileKind, storage::kSamlProviderKind,
                            storage::kServerCertificateKind}));
  ARCANA_ASSIGN_OR_RETURN(const int64_t token_version, TokenVersion(ctx));
  const int64_t users = counts.by_kind["user"], groups = counts.by_kind["group"],
                roles = counts.by_kind["role"], policies = counts.by_kind["policy"],
                versions_in_use = counts.policy_attachments,
                providers = counts.by_kind[storage::kOidcProviderKind] +
                            counts.by_kind[storage::kSamlProviderKind],
                mfa_devices = counts.by_kind[storage::kMfaDeviceKind],
                mfa_in_use = counts.by_kind[storage::kMfaInUseKind],
                instance_profiles = counts.by_kind[storage::kInstanceProfileKind];
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
      {"GlobalEndpointTokenVersion", token_version},
      {"GroupPolicySizeQuota", 5120},
      {"Groups", groups},
      {"GroupsPerUserQuota", 10},
      {"GroupsQuota", quotas_.groups},
      {"InstanceProfiles", instance_profiles},
      {"InstanceProfilesQuota", 1000},
      {"MFADevices", mfa_devices},
      {"MFADevicesInUse", mfa_in_use},
      {"Policies", policies},
      {"PoliciesQuota", quotas_.policies},
      {"PolicySizeQuota", 6144},
      {"PolicyVersionsInUse", versions_in_use},
      {"PolicyVersionsInUseQuota", 10000},
      {"Providers", providers},
      {"RolePolicySizeQuota", 10240},
      {"Roles", roles},
      {"RolesQuota", quotas_.roles},
      {"ServerCertificates", counts.by_kind[storage::kServerCertificateKind]},
      {"ServerCertificatesQuota", domain::iam::kMaxServerCertificatesPerAccount},
      {"SigningCertificatesPerUserQuota", 2},
      {"UserPolicySizeQuota", 2048},
      {"Users", users},
      {"UsersQuota", quotas_.users},
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

// --- The account password policy ----------------------------------------------------------

Result<std::optional<PasswordPolicy>> IamService::AccountPasswordPolicy(const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto e,
                          store_.GetEntity(ctx.account, kAccountKind, kPasswordPolicyName));
  if (!e) return std::optional<PasswordPolicy>();
  ARCANA_ASSIGN_OR_RETURN(PasswordPolicy p, DecodePolicy(e->doc));
  return std::optional<PasswordPolicy>(std::move(p));
}

// Replaces the account's password policy: a member left out takes its default ("This
// operation does not support partial updates", UpdateAccountPasswordPolicy API reference),
// as recorded: MinimumPasswordLength 6, every requirement false, no expiry.
Result<std::string> IamService::UpdateAccountPasswordPolicy(const In& in,
                                                            const CallContext& ctx) {
  PasswordPolicy p;
  if (auto v = in.Int("MinimumPasswordLength")) p.minimum_length = *v;
  p.require_symbols = in.Bool("RequireSymbols").value_or(false);
  p.require_numbers = in.Bool("RequireNumbers").value_or(false);
  p.require_uppercase = in.Bool("RequireUppercaseCharacters").value_or(false);
  p.require_lowercase = in.Bool("RequireLowercaseCharacters").value_or(false);
  p.allow_users_to_change = in.Bool("AllowUsersToChangePassword").value_or(false);
  if (auto v = in.Int("MaxPasswordAge"); v && *v > 0) p.max_age = *v;
  if (auto v = in.Int("PasswordReusePrevention"); v && *v > 0) p.reuse_prevention = *v;
  if (auto v = in.Bool("HardExpiry")) p.hard_expiry = *v;
  const std::string doc = EncodePolicy(p);
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto e,
                            store_.GetEntity(ctx.account, kAccountKind, kPasswordPolicyName));
    IamEntity next = AccountEntity(ctx, kPasswordPolicyName, doc);
    if (e) {
      next.revision = e->revision;
      next.created_ms = e->created_ms;
    }
    Status st =
        WriteEntities(ctx, {{EntityWrite::Op::kPut, next}}, "UpdateAccountPasswordPolicy");
    if (st.code() == ErrorCode::kResourceExists) {
      return Status(ErrorCode::kWriteConflict, "password policy");
    }
    return st;
  }));
  return std::string("{}");
}

// The policy as AWS answers it (LocalStack's AWS-validated test_iam_account_password_policy):
// ExpirePasswords derived from MaxPasswordAge; MaxPasswordAge, PasswordReusePrevention and
// HardExpiry only when set.
Result<std::string> IamService::GetAccountPasswordPolicy(const In&, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto e,
                          store_.GetEntity(ctx.account, kAccountKind, kPasswordPolicyName));
  if (!e) {
    return Status(ErrorCode::kResourceNotFound,
                  "The Password Policy with domain name " + ctx.account + " cannot be found.");
  }
  ARCANA_ASSIGN_OR_RETURN(PasswordPolicy p, DecodePolicy(e->doc));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("PasswordPolicy");
  w.StartObject();
  w.Key("MinimumPasswordLength");
  w.Int64(p.minimum_length);
  w.Key("RequireSymbols");
  w.Bool(p.require_symbols);
  w.Key("RequireNumbers");
  w.Bool(p.require_numbers);
  w.Key("RequireUppercaseCharacters");
  w.Bool(p.require_uppercase);
  w.Key("RequireLowercaseCharacters");
  w.Bool(p.require_lowercase);
  w.Key("AllowUsersToChangePassword");
  w.Bool(p.allow_users_to_change);
  w.Key("ExpirePasswords");
  w.Bool(p.max_age.has_value());
  if (p.max_age) {
    w.Key("MaxPasswordAge");
    w.Int64(*p.max_age);
  }
  if (p.reuse_prevention) {
    w.Key("PasswordReusePrevention");
    w.Int64(*p.reuse_prevention);
  }
  if (p.hard_expiry) {
    w.Key("HardExpiry");
    w.Bool(*p.hard_expiry);
  }
  w.EndObject();
  w.EndObject();
  return json::Finish(buf);
}

// NoSuchEntity in AWS's words for this call (not GetAccountPasswordPolicy's).
Result<std::string> IamService::DeleteAccountPasswordPolicy(const In&, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto e,
                            store_.GetEntity(ctx.account, kAccountKind, kPasswordPolicyName));
    if (!e) {
      return Status(ErrorCode::kResourceNotFound,
                    "The account policy with name PasswordPolicy cannot be found.");
    }
    return WriteEntities(ctx, {{EntityWrite::Op::kDelete, *e}}, "DeleteAccountPasswordPolicy");
  }));
  return std::string("{}");
}

}  // namespace arcana::services::iam
