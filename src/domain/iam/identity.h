// IAM identities as the rest of Arcana sees them (no I/O): users, groups, roles, managed
// policies and STS sessions, and their ARNs. storage/identity_codec.h stores them.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::domain::iam {

using Tags = std::vector<std::pair<std::string, std::string>>;  // in the order given

// A user's console password (a login profile). Only its scrypt hash is kept
// (crypto/password_hash.h), and the hashes of the passwords before it that the account's
// PasswordReusePrevention forbids setting again.
struct LoginProfile {
  int64_t created_ms = 0;
  int64_t changed_ms = 0;  // when the password was last set
  bool reset_required = false;
  std::string password_hash;
  std::vector<std::string> previous_hashes;  // newest first, at most 24 (the policy's maximum)
};

// A user's SSH public key (UploadSSHPublicKey), for the services that take one (CodeCommit's
// SSH on AWS): kept, listed and reported; Arcana serves no SSH.
struct SshPublicKeyRecord {
  std::string id;           // APKA...
  std::string body;         // as uploaded, "TYPE BASE64"
  std::string fingerprint;  // MD5 of the key, colon-separated hex
  std::string pem;          // the same key as a PEM SubjectPublicKeyInfo
  std::string status = "Active";
  int64_t uploaded_ms = 0;
};

// A user's X.509 signing certificate (UploadSigningCertificate), as the credential report
// counts it.
struct SigningCertificateRecord {
  std::string id;
  std::string body;  // the PEM as uploaded
  std::string status = "Active";
  int64_t uploaded_ms = 0;
};

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
  // user: the serial numbers of its MFA devices, in the order they were enabled
  // (EnableMFADevice; at most kMaxMfaDevicesPerUser).
  std::vector<std::string> mfa_devices;
  // role: the names of the instance profiles it is in (AddRoleToInstanceProfile), in order.
  std::vector<std::string> instance_profiles;
  // user: its console password (CreateLoginProfile), when it has one.
  std::optional<LoginProfile> login;
  // user: its SSH public keys and signing certificates, in the order uploaded.
  std::vector<SshPublicKeyRecord> ssh_keys;
  std::vector<SigningCertificateRecord> certificates;

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

// An IAM SAML 2.0 identity provider (CreateSAMLProvider): the IdP whose signed SAML responses
// AssumeRoleWithSAML accepts for roles that trust it, named arn:aws:iam::ACCOUNT:saml-provider/
// NAME. The metadata document is kept as given (GetSAMLProvider answers it); the issuer and
// signing certificates AssumeRoleWithSAML checks are read from it again on each use.
struct SamlProvider {
  std::string account;
  std::string name;
  std::string uuid;  // SAMLProviderUUID: fixed at creation
  int64_t created_ms = 0;
  int64_t valid_until_ms = 0;
  int64_t revision = 0;
  std::string metadata;  // SAMLMetadataDocument
  // AssertionEncryptionMode: "Allowed" (encrypted or plaintext assertions) or "Required".
  std::string encryption_mode = "Allowed";
  // The private keys that decrypt its encrypted assertions (at most two, for rotation), as
  // PrivateKeyList names them; the keys themselves are the entity's sealed secret.
  struct PrivateKeyRef {
    std::string id;  // KeyId
    int64_t added_ms = 0;
  };
  std::vector<PrivateKeyRef> private_keys;
  Tags tags;

  std::string Arn() const { return "arn:aws:iam::" + account + ":saml-provider/" + name; }
};

// An IAM service-specific credential (CreateServiceSpecificCredential): a user name and
// password for one user and one service; the password is kept apart, sealed.
struct ServiceCredential {
  std::string account;
  std::string id;       // ServiceSpecificCredentialId: ACCA + 17 of [A-Z2-7]
  std::string user_id;  // the user's unique id (AIDA...)
  std::string service;  // ServiceName
  // ServiceUserName, "<user>-at-<account>", as made at creation: kept as it was if the user
  // is renamed (AWS's answer after a rename was not found: inferred, as a Git user name
  // configured with it keeps working on AWS only if it does not change).
  std::string service_user;
  std::string status = "Active";
  int64_t created_ms = 0;
  int64_t revision = 0;
};

// An IAM instance profile (CreateInstanceProfile): a container for one role, named
// arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME, as EC2 instances are given roles on AWS.
// Arcana runs no instances; profiles are kept for the tools that manage them beside roles
// (Terraform's aws_iam_instance_profile, CloudFormation, the console's role wizard).
struct InstanceProfile {
  std::string account;
  std::string name;
  std::string path = "/";
  std::string id;  // AIPA...
  int64_t created_ms = 0;
  int64_t revision = 0;
  std::vector<std::string> roles;  // role names: at most one (InstanceRolesPerInstanceProfile)
  Tags tags;

  std::string Arn() const {
    return "arn:aws:iam::" + account + ":instance-profile" + path + name;
  }
};

// An IAM virtual MFA device (CreateVirtualMFADevice): a TOTP seed (crypto/totp.h) an
// authenticator app holds, named arn:aws:iam::ACCOUNT:mfa/PATH/NAME (its serial number), and
// enabled for at most one user at a time. The seed is no member: it is sealed apart from the
// device's document (storage::IdentityStore::GetEntitySecret) and opened only to check a code.
struct MfaDevice {
  std::string account;
  std::string name;
  std::string path = "/";
  int64_t created_ms = 0;
  int64_t revision = 0;
  // The user it is enabled for ("" = unassigned), that user's unique id, and when.
  std::string user;
  std::string user_id;
  int64_t enabled_ms = 0;
  // The last time step whose code was accepted: a code is accepted once (a replay of it, or
  // of an earlier one, is refused), whichever node checks it.
  int64_t last_step = 0;
  // How many time steps the device's clock runs ahead of ours (ResyncMFADevice measures it).
  int64_t drift_steps = 0;
  // Wrong codes given to STS in a row, the latest in time step `failed_step`
  // (domain/iam/mfa.h bounds them).
  int64_t failed_step = 0;
  int64_t failed_codes = 0;
  Tags tags;

  std::string SerialNumber() const { return "arn:aws:iam::" + account + ":mfa" + path + name; }
};

// The most MFA devices a user may have enabled (IAM's quota, "MFA devices in use per user").
inline constexpr size_t kMaxMfaDevicesPerUser = 8;

// An IAM server certificate (UploadServerCertificate): an X.509 certificate, its chain and
// its private key, named arn:aws:iam::ACCOUNT:server-certificate/PATH/NAME, for the services
// that terminate TLS with it on AWS (ELB, CloudFront). Arcana terminates no TLS with it; it is
// kept for the tools that manage it. The private key is no member: it is sealed apart from
// the certificate's document (storage::IdentityStore::GetEntitySecret) and never answered.
struct ServerCertificate {
  std::string account;
  std::string name;
  std::string path = "/";
  std::string id;  // ServerCertificateId: ASCA + 17 characters, kept across renames
  int64_t uploaded_ms = 0;
  int64_t expires_ms = 0;  // the certificate's notAfter (Expiration)
  int64_t revision = 0;
  std::string body;   // the PEM certificate, as IAM returns it (see the ops file)
  std::string chain;  // the PEM chain, "" when none was uploaded
  Tags tags;

  std::string Arn() const {
    return "arn:aws:iam::" + account + ":server-certificate" + path + name;
  }
};

// IAM's quota of server certificates per account (ServerCertificatesPerAccount), which
// GetAccountSummary reports as ServerCertificatesQuota.
inline constexpr int64_t kMaxServerCertificatesPerAccount = 20;

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
  // When the session's holder authenticated with an MFA code (GetSessionToken or AssumeRole
  // with SerialNumber and TokenCode), in ms since the epoch; 0 = without MFA. What
  // aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge are computed from.
  int64_t mfa_authenticated_ms = 0;
};

std::string IdentityArn(const std::string& account, const std::string& kind,
                        const std::string& path, const std::string& name);
// "arn:aws:iam::ACCOUNT:policy/PATH/NAME" -> (account, name); nullopt if not a policy ARN.
std::optional<std::pair<std::string, std::string>> ParsePolicyArn(const std::string& arn);

// Random unique ids as IAM spells them: prefix + 17 upper-case alphanumerics.
std::string NewUniqueId(const std::string& prefix);

// Whether two tag keys are the same key of an IAM user, role or STS session, whose tag keys
// are not case sensitive though their case is kept (IAM User Guide, "Tagging IAM resources",
// case sensitivity): ASCII letters compared without case, as condition key names are
// (policy::ContextKeys), so "aws:PrincipalTag/Team" is one key for both.
bool SameTagKeyIgnoringCase(std::string_view a, std::string_view b);

// How an IAM resource type compares tag keys (the same guide section): users' and roles'
// keys without case, every other type's (managed policies, instance profiles, identity
// providers, server certificates, MFA devices) exactly.
enum class TagKeyCase { kSensitive, kInsensitive };

// Tags: add or replace by key, keeping the order of first appearance. With kInsensitive a
// tag given again in another case replaces the old one in its place, the new spelling and
// value kept ("Department=finance" then "department=hr" leaves "department=hr", one tag).
void MergeTags(Tags& tags, const Tags& add, TagKeyCase keys = TagKeyCase::kSensitive);
// Removes the tags whose keys are in `keys` (exactly as given, or without case with
// kInsensitive); whether any was removed.
bool RemoveTagKeys(Tags& tags, const std::vector<std::string>& keys,
                   TagKeyCase key_case = TagKeyCase::kSensitive);

}  // namespace arcana::domain::iam
