// The rules STS's credential-issuing operations share (AssumeRole, AssumeRoleWithWebIdentity,
// GetFederationToken, GetSessionToken): session names, session policies and tags, the packed
// size limit, and how credentials are written in an answer. Internal to services/sts.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/identity_resolver.h"
#include "auth/policy/evaluator.h"
#include "auth/principal.h"
#include "common/json.h"
#include "common/status.h"
#include "domain/iam/identity.h"
#include "storage/identity_store.h"

namespace arcana::services::sts {

namespace policy = auth::policy;

inline constexpr int64_t kDefaultRoleSeconds = 3600;
inline constexpr int64_t kDefaultSessionSeconds = 43200;
inline constexpr int64_t kRootSessionMaxSeconds = 3600;
inline constexpr size_t kPackedPolicyLimit = 2048;  // characters of session policy and tags

// AccessDenied in AWS's words for `p` calling `action` on `arn`.
Status AccessDenied(const auth::Principal& p, const std::string& action, const std::string& arn);

// The Credentials member of an answer.
void WriteCredentials(json::Writer& w, const auth::IssuedKey& k);

// RoleSessionName's (GetFederationToken's Name's) model pattern, [\w+=,.@-]* (the validator
// checks its length), worded as AWS words it, with the value.
Status CheckSessionName(const std::string& name, const char* member = "roleSessionName");

// arn:aws:iam::ACCOUNT:role/PATH/NAME -> account and name; ValidationError "ARN is invalid".
Status ParseRoleArn(const std::string& role_arn, std::string* account, std::string* name);

// A stored policy document, parsed for the evaluator.
Result<policy::AppliedPolicy> Compile(const auth::PolicySource& src);

// Session tags and transitive keys of a new session: the request's, plus the transitive tags
// of the calling session (role chaining), which the request may not override; and its session
// policies (Policy, PolicyArns). Keys are case insensitive as AWS checks them.
Result<domain::iam::Session> SessionOf(const json::Input& in, const auth::Principal& caller);

// Session tags from a web identity token's https://aws.amazon.com/tags claim, held to the
// rules AssumeRole's Tags meet (the model's and AWS's): at most 50, keys of 1 to 128 and values
// of at most 256 characters of the tag patterns, no key twice in any case, no "aws:" prefix.
// InvalidIdentityToken naming the fault otherwise (the token, not the request, carries them;
// `source` names it: a SAML assertion's PrincipalTag attributes are held to the same rules).
Status CheckTokenSessionTags(const std::map<std::string, std::string>& tags,
                             std::string_view source = "the web identity token");

// How full the packed session policies and tags are, in percent of AWS's limit.
int64_t PackedPolicySize(const domain::iam::Session& s);
// ValidationError in AWS's words when `packed` (PackedPolicySize) is over 100 %.
Status CheckPackedPolicySize(int64_t packed);

// The role as the resource of an AssumeRole* call: its trust policy decides like a key policy
// (it must name the caller; naming the caller's account hands the decision to the caller's
// identity policies). nullopt when the stored trust policy does not parse (a denial).
std::optional<policy::ResourceView> TrustView(const domain::iam::Identity& role,
                                              const std::string& role_arn,
                                              const std::string& account);

// The role a federated caller names (AssumeRoleWithWebIdentity, AssumeRoleWithSAML): nullopt
// when the account has no role under exactly that ARN (the caller is then "Not authorized").
Result<std::optional<domain::iam::Identity>> FindRoleByArn(storage::IdentityStore& store,
                                                           const std::string& account,
                                                           const std::string& role_name,
                                                           const std::string& role_arn);

// What an identity provider asserts about a federated session.
struct FederatedClaims {
  std::string provider_arn;  // the OIDC or SAML provider
  std::string subject;       // the token's sub, the assertion's NameID
  const std::map<std::string, std::string>* tags = nullptr;      // session tags, if any
  const std::vector<std::string>* transitive_tag_keys = nullptr;  // of those tags
  std::string source_identity;
};

// A session of `role` for a federated caller: the request's session policies (SessionOf),
// the provider and subject, the IdP's session tags (the transitive keys among them) and source
// identity, kept by every session chained from it.
Result<domain::iam::Session> FederatedSession(const json::Input& in, const auth::Principal& caller,
                                              const domain::iam::Identity& role,
                                              const FederatedClaims& claims);

// A role session's length: DurationSeconds (default an hour) when within the role's
// MaxSessionDuration, ValidationError in AWS's words otherwise.
Result<int64_t> SessionSeconds(const json::Input& in, const domain::iam::Identity& role);

// The condition keys a federated session brings to its role's trust policy
// (AssumeRoleWithWebIdentity, AssumeRoleWithSAML): sts:RoleSessionName, aws:RequestTag/* and
// aws:TagKeys of its tags, sts:SourceIdentity.
void AddSessionKeys(const domain::iam::Session& s, policy::ContextKeys* keys);

// Whether `role`'s trust policy, deciding alone (a federated caller has no policies of its
// own), allows `caller` `action` under `context`, and also sts:TagSession when the session has
// tags from the IdP (`tagged`) and sts:SetSourceIdentity when it sets a source identity ("For
// roles that don't have this permission in the role trust policy, the AssumeRole* operation
// will fail", IAM User Guide, source identity). False when the trust policy does not parse.
bool FederatedTrustAllows(const domain::iam::Identity& role, const std::string& role_arn,
                          const std::string& account, const auth::Principal& caller,
                          const policy::ContextKeys& context, const char* action, bool tagged,
                          const domain::iam::Session& s);

// The members every AssumeRole* answer has: Credentials, AssumedRoleUser, PackedPolicySize
// (`packed`) when the session has session policies or `tags_passed` (AWS answers it only when
// session policies or tags were passed) and SourceIdentity when the session has one.
void WriteRoleSession(json::Writer& w, const auth::IssuedKey& key, const std::string& account,
                      const domain::iam::Identity& role, const domain::iam::Session& s,
                      bool tags_passed, int64_t packed);

// The AssumedRoleUser member of an answer (AssumeRole, AssumeRoleWithWebIdentity): the
// session's id and ARN under `role` of `account`.
void WriteAssumedRoleUser(json::Writer& w, const std::string& account,
                          const domain::iam::Identity& role, const domain::iam::Session& s);

}  // namespace arcana::services::sts
