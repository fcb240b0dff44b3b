// IAM identities as the rest of Arcana sees them (no I/O): users, groups, roles, managed
// policies and STS sessions, and their ARNs. storage/identity_codec.h stores them.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::domain::iam {

using Tags = std::vector<std::pair<std::string, std::string>>;  // in the order given

// A user, group or role (kind says which; role-only and user-only fields stay empty).
struct Identity {
  std::string account;
  std::string kind;  // "user" | "group" | "role"
  std::string name;
  std::string path = "/";
  std::string id;
  int64_t created_ms = 0;
  int64_t revision = 0;
  Tags tags;
  std::map<std::string, std::string> inline_policies;  // policy name -> document
  std::vector<std::string> attached;                   // managed policy ARNs
  std::string boundary_arn;                            // permissions boundary ("" = none)
  std::vector<std::string> groups;  // user: its groups' names; group: its members' names
  std::string trust_policy;  // role: as written (what IAM answers while its principals exist)
  // role: trust_policy with each user or role it names replaced by that identity's unique id
  // when it was stored (domain/iam/trust_principals.h): what AssumeRole evaluates. "" for a
  // policy stored before principals were bound, or naming none: trust_policy is evaluated.
  std::string bound_trust_policy;
  std::map<std::string, std::string> trust_principal_ids;  // role: ARN -> unique id, as bound
  std::string description;                             // role
  int64_t max_session_duration = 3600;                 // role, seconds

  std::string Arn() const;
};

struct PolicyVersion {
  std::string version_id;  // "v1", "v2", ...
  std::string document;
  int64_t created_ms = 0;
};

struct ManagedPolicy {
  std::string account;
  std::string name;
  std::string path = "/";
  std::string id;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t revision = 0;
  std::string description;
  std::string default_version = "v1";
  int64_t next_version = 2;
  std::vector<PolicyVersion> versions;
  int64_t attachment_count = 0;
  // How many users and roles have it as their permissions boundary: a policy in use either
  // way cannot be deleted (a same-named successor would become their boundary).
  int64_t boundary_count = 0;
  Tags tags;

  std::string Arn() const;
  const PolicyVersion* Version(const std::string& id) const;
  const PolicyVersion* DefaultVersion() const { return Version(default_version); }
};

// An IAM OpenID Connect identity provider (CreateOpenIDConnectProvider): the issuer whose ID
// tokens AssumeRoleWithWebIdentity accepts for roles that trust it. `url` is the issuer URL
// without "https://" (host, optional port and path, as IAM keeps it): the provider's name,
// the end of its ARN and the prefix of its condition keys ("URL:aud", "URL:sub").
struct OidcProvider {
  std::string account;
  std::string url;
  int64_t created_ms = 0;
  int64_t revision = 0;
  std::vector<std::string> client_ids;   // the audiences ("aud") it accepts, in order
  std::vector<std::string> thumbprints;  // SHA-1 hex of the issuer's top certificate
  Tags tags;

  std::string Arn() const { return "arn:aws:iam::" + account + ":oidc-provider/" + url; }
};

// Temporary credentials' subject (stored as StsSession::doc).
struct Session {
  std::string kind;     // "role" (AssumeRole) | "user" | "root" (GetSessionToken) |
                        // "federated" (GetFederationToken; subject = the calling user,
                        // "" for the root; session_name = the federated user's Name) |
                        // "service" (Arcana's own, e.g. rotation; subject = a role name
                        // that need not exist, policies = all it may do)
  std::string subject;  // the role's or user's name ("" for root)
  // The unique id (AROA.../AIDA...) of the role or user named by `subject` when the session
  // was issued: a session belongs to that identity, never to a later one of the same name
  // (deleted and re-created, or renamed into it). "" for root and service sessions, and for
  // sessions issued before ids were recorded (identity_resolver.cc words how those are held).
  std::string subject_id;
  std::string session_name;  // AssumeRole's RoleSessionName
  // AssumeRoleWithWebIdentity: the provider's ARN and the token's subject ("" otherwise).
  std::string web_identity_provider;
  std::string web_identity_subject;
  std::vector<std::string> policies;     // inline session policy documents
  std::vector<std::string> policy_arns;  // managed session policies
  std::map<std::string, std::string> tags;
  std::vector<std::string> transitive_tag_keys;
  // AssumeRole's SourceIdentity, or the one inherited from the calling session ("" = none).
  std::string source_identity;
};

std::string IdentityArn(const std::string& account, const std::string& kind,
                        const std::string& path, const std::string& name);
// "arn:aws:iam::ACCOUNT:policy/PATH/NAME" -> (account, name); nullopt if not a policy ARN.
std::optional<std::pair<std::string, std::string>> ParsePolicyArn(const std::string& arn);

// Random unique ids as IAM spells them: prefix + 17 upper-case alphanumerics.
std::string NewUniqueId(const std::string& prefix);

// Tags: add or replace by key, keeping the order of first appearance.
void MergeTags(Tags& tags, const Tags& add);

}  // namespace arcana::domain::iam
