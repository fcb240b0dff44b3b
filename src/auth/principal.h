// Who is calling, as the policy engine needs to know it: the contract between identities
// (users, groups, roles, STS sessions; auth/identity, services/iam, services/sts) and the
// policy engine (auth/policy). The authenticate stage resolves the request's access key to a
// Principal and hangs it on the CallContext; the authorizer reads nothing else about the
// caller. A Principal is immutable once built and shared (shared_ptr<const Principal>) by
// every call that uses the same credentials until the identity changes (the change sequence
// tells the authenticator's cache when).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::auth {

// A policy document's text, shared instead of copied: every credential's Principal holds its
// own list of policies, and an AWS managed policy's text (ReadOnlyAccess: ~91,000 characters)
// is the catalog's, referenced rather than copied once per cached credential.
class PolicyText {
 public:
  PolicyText() = default;
  PolicyText(std::string text)  // NOLINT: implicit, a document is text
      : text_(std::make_shared<const std::string>(std::move(text))) {}
  PolicyText(const char* text) : PolicyText(std::string(text)) {}  // NOLINT: as above
  // Text that outlives every Principal (the immutable AWS managed policy catalog): referenced.
  static PolicyText Static(const std::string& text) {
    PolicyText t;
    t.text_ = std::shared_ptr<const std::string>(std::shared_ptr<const std::string>(), &text);
    return t;
  }
  const std::string& str() const { return text_ ? *text_ : Empty(); }
  // The characters this object keeps alive: 0 for Static text (a shared_ptr that aliases
  // without owning counts no uses). Shared owned text counts for each holder: an upper bound.
  size_t OwnedSize() const { return text_ && text_.use_count() > 0 ? text_->size() : 0; }
  operator std::string_view() const { return str(); }  // NOLINT: read as text
  friend bool operator==(const PolicyText& a, std::string_view b) { return a.str() == b; }

 private:
  static const std::string& Empty() {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<const std::string> text_;
};

// One policy document as stored (the JSON text, unparsed); the engine parses and caches it.
struct PolicySource {
  PolicyText json;
  // Where it came from, for the simulator's MatchedStatements and for denial messages:
  // a managed policy's ARN, or "user/NAME", "group/NAME", "role/NAME" + ":" + inline name.
  std::string source_id;
  enum class Kind { kIdentity, kResource, kBoundary, kSession } kind = Kind::kIdentity;
};

struct Principal {
  enum class Type {
    kRoot,         // the account root (arn:aws:iam::ACCOUNT:root): every action in its account
    kUser,         // arn:aws:iam::ACCOUNT:user/PATHNAME
    kAssumedRole,  // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
    kFederated,    // GetSessionToken of a user: acts as that user (arn is the user's)
    kService,      // an AWS service principal acting on its own (e.g. rotation, scheduled jobs)
    // GetFederationToken: arn:aws:sts::ACCOUNT:federated-user/NAME, user id ACCOUNT:NAME. The
    // calling user's policies (the root's: everything) narrowed by the session policies; a
    // session given none has no permissions, as in AWS (identity_resolver.h).
    kFederatedUser,
    // A web identity (AssumeRoleWithWebIdentity's caller, only while that call's trust
    // policy decides): arn = the IAM OIDC provider's ARN, which a trust policy names as a
    // "Federated" principal; user_id = "PROVIDER_URL:aud:sub" as CloudTrail names it.
    kWebIdentity,
  };
  Type type = Type::kRoot;
  std::string account;       // 12 digits
  std::string arn;           // the caller ARN as AWS reports it (GetCallerIdentity)
  std::string principal_arn; // aws:PrincipalArn: the role ARN for an assumed role, else arn
  std::string user_id;       // aws:userid: AIDA... (user), AROA...:SESSION (role), ACCOUNT (root)
  std::string user_name;     // aws:username: users only, empty otherwise
  std::string access_key_id;
  bool temporary = false;    // ASIA... credentials with a session token
  int64_t session_expires_ms = 0;  // temporary credentials only
  int64_t session_issued_ms = 0;   // temporary credentials only: aws:TokenIssueTime
  // Temporary credentials issued with an MFA code (GetSessionToken or AssumeRole with
  // SerialNumber and TokenCode, or chained from such a session): when the code was given, in
  // ms since the epoch; 0 = without MFA. aws:MultiFactorAuthPresent is "true" or "false" for
  // temporary credentials and absent for long-term keys; aws:MultiFactorAuthAge is the
  // seconds since, present only with MFA (the IAM User Guide's condition keys).
  int64_t mfa_authenticated_ms = 0;
  // aws:PrincipalTag/*: the user's or role's tags, with session tags overriding them. Keys
  // are unique without case (identity_resolver.cc: a session's team=blue replaces the role's
  // Team=red), as the policy context compares key names without case.
  std::map<std::string, std::string> tags;
  std::vector<std::string> transitive_tag_keys;
  // An assumed role's source identity (AssumeRole SourceIdentity, kept through role chaining);
  // "" for none.
  std::string source_identity;
  // GetFederationToken's session: who issued it (CloudTrail's sessionContext.sessionIssuer):
  // the calling user's ARN, id (AIDA...) and name, or the account root's ARN and the account.
  // Empty for every other principal.
  std::string issuer_arn;
  std::string issuer_id;
  std::string issuer_user_name;
  // The identity-based policies in force: for a user its inline and attached policies and
  // those of its groups; for an assumed role the role's. Empty for kRoot (root is allowed
  // everything in its own account unless a resource/key policy or SCP says otherwise).
  std::vector<PolicySource> identity_policies;
  std::optional<PolicySource> permissions_boundary;
  // Session policies (AssumeRole Policy/PolicyArns, GetFederationToken): the effective
  // permissions are the intersection with the identity policies.
  std::vector<PolicySource> session_policies;
};

// Roughly how many bytes a Principal keeps alive: its strings, tags and the policy text it
// owns, not AWS managed policy text it only references (PolicyText::Static). What a cache of
// Principals bounds its memory by (auth/authenticator.h).
inline size_t ApproxOwnedBytes(const Principal& p) {
  size_t n = sizeof(Principal) + p.account.size() + p.arn.size() + p.principal_arn.size() +
             p.user_id.size() + p.user_name.size() + p.access_key_id.size() +
             p.source_identity.size() + p.issuer_arn.size() + p.issuer_id.size() +
             p.issuer_user_name.size();
  for (const auto& [k, v] : p.tags) n += k.size() + v.size() + 64;  // + the map's node
  for (const auto& k : p.transitive_tag_keys) n += sizeof(std::string) + k.size();
  auto add = [&n](const PolicySource& s) {
    n += sizeof(PolicySource) + s.json.OwnedSize() + s.source_id.size();
  };
  for (const auto& s : p.identity_policies) add(s);
  for (const auto& s : p.session_policies) add(s);
  if (p.permissions_boundary) add(*p.permissions_boundary);
  return n;
}

// What temporary credentials may not call whatever their policies allow, by the STS call that
// issued them, as AWS documents ("Compare AWS STS credentials", and the GetFederationToken and
// GetSessionToken API references): GetFederationToken's (a federated user) call no IAM
// operation and no STS operation but GetCallerIdentity; GetSessionToken's (kFederated, or the
// root's session) call no IAM operation unless they were issued with an MFA code, and no STS
// operation but AssumeRole and GetCallerIdentity. `service` is the signing name ("iam", "sts"). An IAM call is
// refused as AWS refuses it (observed: InvalidClientTokenId "The security token included in the
// request is invalid", aws-vault#15 and #1056, aws-sdk-js#460), an STS call AccessDenied.
// GetSessionToken and GetFederationToken themselves are left to their handlers, which refuse
// every session in AWS's words.
inline Status CheckTemporaryCredentialUse(const Principal& p, std::string_view service,
                                          std::string_view operation) {
  const bool federation = p.type == Principal::Type::kFederatedUser;
  const bool session_token = p.temporary && (p.type == Principal::Type::kFederated ||
                                             p.type == Principal::Type::kRoot);
  if (!federation && !session_token) return Status::Ok();
  if (service == "iam") {
    if (session_token && p.mfa_authenticated_ms != 0) return Status::Ok();
    return Status(ErrorCode::kUnrecognizedClient,
                  "The security token included in the request is invalid.");
  }
  if (service != "sts" || operation == "GetCallerIdentity" ||
      operation == "GetSessionToken" || operation == "GetFederationToken" ||
      (session_token && operation == "AssumeRole")) {
    return Status::Ok();
  }
  return Status(ErrorCode::kAccessDenied,
                "Cannot call sts:" + std::string(operation) + " with credentials from " +
                    (federation ? "GetFederationToken" : "GetSessionToken"));
}

}  // namespace arcana::auth
