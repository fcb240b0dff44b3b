// IAM login profiles: a user's console password, kept as its scrypt hash on the user
// (domain::iam::LoginProfile) and set only when the account's password policy (or AWS's
// default rules without one: domain/iam/password_policy.h) allows it. Arcana has no console;
// the profiles are kept for the tools that manage users' passwords (Terraform's
// aws_iam_user_login_profile, scripts) and reported by the credential report.
//
// The answers and refusals are AWS's as LocalStack's AWS-validated IAM user snapshots
// recorded them, or as AWS's answers quoted in users' reports; where neither says, the source
// of a rule is named where it is applied.
#include <algorithm>
#include <string>

#include "crypto/password_hash.h"
#include "domain/iam/password_policy.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::Identity;
using domain::iam::LoginProfile;
using storage::EntityWrite;

namespace {

// Recorded (GetLoginProfile, DeleteLoginProfile; "User" capitalised, as AWS writes it here).
Status NoProfile(const std::string& user) {
  return Status(ErrorCode::kResourceNotFound,
                "Login Profile for User " + user + " cannot be found.");
}

// The answer of CreateLoginProfile and GetLoginProfile (recorded members).
std::string ProfileAnswer(const Identity& u) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("LoginProfile");
  w.StartObject();
  json::KV(w, "UserName", u.name);
  w.Key("CreateDate");
  json::WriteTimestamp(w, u.login->created_ms);
  w.Key("PasswordResetRequired");
  w.Bool(u.login->reset_required);
  w.EndObject();
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace

// The password set on `profile` at `now_ms` when the policy allows it: PasswordPolicyViolation
// in AWS's words otherwise, or, for one of the passwords the policy's PasswordReusePrevention
// forbids ("Password does not conform to the account password policy.": the words AWS's
// clients match; the API's own for reuse were not recorded). The old hash joins the history.
Status IamService::SetPassword(const CallContext& ctx, LoginProfile& profile,
                               std::string_view password) {
  ARCANA_ASSIGN_OR_RETURN(auto policy, AccountPasswordPolicy(ctx));
  if (auto violation = domain::iam::PasswordViolation(policy, password)) {
    return Status(ErrorCode::kPasswordPolicyViolation, *violation);
  }
  const size_t remembered =
      policy && policy->reuse_prevention ? static_cast<size_t>(*policy->reuse_prevention) : 0;
  if (remembered > 0) {
    std::vector<std::string> recent;
    if (!profile.password_hash.empty()) recent.push_back(profile.password_hash);
    for (const auto& h : profile.previous_hashes) {
      if (recent.size() >= remembered) break;
      recent.push_back(h);
    }
    for (const auto& h : recent) {
      if (crypto::VerifyPassword(password, h)) {
        return Status(ErrorCode::kPasswordPolicyViolation,
                      "Password does not conform to the account password policy.");
      }
    }
  }
  ARCANA_ASSIGN_OR_RETURN(std::string hash, crypto::HashPassword(password));
  if (!profile.password_hash.empty()) {
    profile.previous_hashes.insert(profile.previous_hashes.begin(), profile.password_hash);
    if (profile.previous_hashes.size() > kMaxRememberedPasswords) {
      profile.previous_hashes.resize(kMaxRememberedPasswords);
    }
  }
  profile.password_hash = std::move(hash);
  profile.changed_ms = ctx.now_ms;
  return Status::Ok();
}

// Recorded checks: the user, then a profile it has already ("Login Profile for user X already
// exists.", lower-case "user" here, as recorded), then the policy.
Result<std::string> IamService::CreateLoginProfile(const In& in, const CallContext& ctx) {
  Identity created;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", *in.Str("UserName")));
    if (u.login) {
      return Status(ErrorCode::kResourceExists,
                    "Login Profile for user " + u.name + " already exists.");
    }
    LoginProfile profile;
    profile.created_ms = ctx.now_ms;
    profile.reset_required = in.Bool("PasswordResetRequired").value_or(false);
    ARCANA_RETURN_IF_ERROR(SetPassword(ctx, profile, in.Str("Password").value_or("")));
    u.login = std::move(profile);
    created = u;
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(u)}},
                         "CreateLoginProfile");
  }));
  return ProfileAnswer(created);
}

Result<std::string> IamService::GetLoginProfile(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Identity u, Load(ctx, "user", *in.Str("UserName")));
  if (!u.login) return NoProfile(u.name);
  return ProfileAnswer(u);
}

// A Password given is set as CreateLoginProfile sets one; PasswordResetRequired given is set,
// left out it stays as it was.
Result<std::string> IamService::UpdateLoginProfile(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", *in.Str("UserName"), "UpdateLoginProfile",
                                [&](Identity& u) -> Status {
                                  if (!u.login) return NoProfile(u.name);
                                  if (auto password = in.Str("Password")) {
                                    ARCANA_RETURN_IF_ERROR(SetPassword(ctx, *u.login, *password));
                                  }
                                  if (auto reset = in.Bool("PasswordResetRequired")) {
                                    u.login->reset_required = *reset;
                                  }
                                  return Status::Ok();
                                }));
  return std::string("{}");
}

Result<std::string> IamService::DeleteLoginProfile(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", *in.Str("UserName"), "DeleteLoginProfile",
                                [&](Identity& u) -> Status {
                                  if (!u.login) return NoProfile(u.name);
                                  u.login.reset();
                                  return Status::Ok();
                                }));
  return std::string("{}");
}

// A user's own password, with its old one (the API reference: "Changes the password of the
// IAM user who is calling this operation"; the root is InvalidUserType). A wrong old password
// is AccessDenied without saying which check failed (AWS's words for it were not recorded;
// these are an IAM clone's). The new password is set as an administrator's would be, and
// clears PasswordResetRequired.
Result<std::string> IamService::ChangePassword(const In& in, const CallContext& ctx) {
  if (!ctx.principal || ctx.principal->user_name.empty()) {
    return Status(ErrorCode::kInvalidUserType,
                  "Only an IAM user can change its own password with ChangePassword.");
  }
  ARCANA_RETURN_IF_ERROR(Update(ctx, "user", ctx.principal->user_name, "ChangePassword",
                                [&](Identity& u) -> Status {
                                  if (!u.login) return NoProfile(u.name);
                                  if (!crypto::VerifyPassword(in.Str("OldPassword").value_or(""),
                                                              u.login->password_hash)) {
                                    return Status(ErrorCode::kAccessDenied,
                                                  "Either the new password does not conform to "
                                                  "the account password policy or the old "
                                                  "password was incorrect.");
                                  }
                                  ARCANA_RETURN_IF_ERROR(SetPassword(
                                      ctx, *u.login, in.Str("NewPassword").value_or("")));
                                  u.login->reset_required = false;
                                  return Status::Ok();
                                }));
  return std::string("{}");
}

}  // namespace arcana::services::iam
