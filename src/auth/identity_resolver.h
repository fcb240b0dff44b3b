// Access keys of IAM users (AKIA...) and STS sessions (ASIA...) -> the SigV4 credential and
// the Principal (auth/principal.h) the policy engine sees: for a user its inline and attached
// policies and those of its groups, its permissions boundary and tags; for an assumed role
// the role's policies, boundary and tags overlaid by the session tags, plus the session
// policies; for a GetSessionToken session the user's. The account root's keys live in the
// AccessKeyStore and are not resolved here (RootPrincipal).
//
// Issuing: CreateUserKey and CreateSession seal the secret (and session token) under the root
// key, bound to the key id, account and subject (auth/access_keys.h).
// Errors: an inactive user key is kUnrecognizedClient; an expired session kExpiredToken; a
// session whose user or role is gone (deleted, or its name now another identity's: sessions
// are bound to the unique id) kUnrecognizedClient.
// Thread-safety: stateless apart from the store; safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "auth/principal.h"
#include "auth/sigv4.h"
#include "common/status.h"
#include "crypto/root_key.h"
#include "crypto/secure_memory.h"
#include "domain/iam/identity.h"
#include "storage/identity_store.h"

namespace arcana::auth {

struct ResolvedKey {
  Credential credential;
  std::shared_ptr<const Principal> principal;
  int64_t expires_ms = 0;  // sessions: when the credentials stop working; 0 = never
};

struct IssuedKey {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // sessions only
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
};

// The refusal of an access key no store holds, or one it holds but refuses (inactive, its
// identity gone), in AWS's words (UnrecognizedClientException / IAM's InvalidClientTokenId).
inline Status InvalidSecurityToken() {
  return Status(ErrorCode::kUnrecognizedClient,
                "The security token included in the request is invalid.");
}

Principal RootPrincipal(const std::string& account, const std::string& access_key_id);

class IdentityResolver {
 public:
  IdentityResolver(storage::IdentityStore& store, const crypto::RootKey& root)
      : store_(store), root_(root) {}

  // nullopt: no user key or session has this id.
  Result<std::optional<ResolvedKey>> Resolve(const std::string& access_key_id,
                                             int64_t now_ms) const;

  // The Principal of a user (its policies as stored now). kResourceNotFound when absent.
  Result<Principal> UserPrincipal(const std::string& account, const std::string& user) const;
  // A group's policies as a Principal (the policy simulator's PolicySourceArn may name a
  // group): its inline and attached policies, no boundary, no tags; arn = the group's ARN.
  // kResourceNotFound when absent.
  Result<Principal> GroupPrincipal(const std::string& account, const std::string& group) const;
  // The Principal of a GetFederationToken session (kFederatedUser), without key or expiry:
  // the calling user's policies and boundary (for the root an allow-all policy: root may do
  // anything) narrowed by the session policies, an allow-nothing one when none was given.
  Result<Principal> FederatedPrincipal(const std::string& account,
                                       const domain::iam::Session& s) const;
  // The role `name` of `account` as stored now (its trust policy and unique id); nullopt when
  // the account has no such role.
  Result<std::optional<domain::iam::Identity>> FindRole(const std::string& account,
                                                        const std::string& name) const;
  // The Principal of a session of `role` (AssumeRole), without key or expiry.
  Result<Principal> RolePrincipal(const std::string& account, const domain::iam::Session& s) const;

  Result<IssuedKey> CreateUserKey(const std::string& account, const std::string& user,
                                  int64_t now_ms) const;
  // Renaming a user: its access keys as the store must hold them for `new_name`, each secret
  // re-sealed for the new name (a key's seal is bound to its user's name), for
  // IdentityStore::RenameUser.
  Result<std::vector<storage::UserAccessKey>> RebindUserKeys(const std::string& account,
                                                             const std::string& old_name,
                                                             const std::string& new_name) const;
  Result<IssuedKey> CreateSession(const std::string& account, const domain::iam::Session& s,
                                  int64_t now_ms, int64_t duration_s) const;

  // An IAM entity's secret (a virtual MFA device's seed: EntityWrite::sealed_secret), sealed
  // under the root key bound to the entity's id, account and kind, so that it opens for that
  // entity only. OpenEntitySecret reads it from the store: kResourceNotFound when the entity
  // has none, kDecryptionFailure when it was sealed for another.
  Result<std::string> SealEntitySecret(const storage::IamEntity& e, std::string_view secret) const;
  Result<crypto::SecretString> OpenEntitySecret(const storage::IamEntity& e) const;

 private:
  // Appends the session's inline and managed session policies to p.session_policies (a
  // managed one that no longer resolves as a policy that allows nothing).
  Status AddSessionPolicies(const domain::iam::Session& s, Principal& p) const;
  // Appends the identity's inline and attached policies to p.identity_policies.
  Status AddPolicies(const domain::iam::Identity& who, Principal& p) const;
  Result<std::optional<PolicySource>> ManagedPolicyDocument(const std::string& arn,
                                                            PolicySource::Kind kind) const;

  storage::IdentityStore& store_;
  const crypto::RootKey& root_;
};

}  // namespace arcana::auth
