// The IAM service (Query protocol, API 2010-05-08): users, groups, roles (service-linked ones
// too), managed policies, inline policies, attachments, permissions boundaries, user access
// keys, login profiles, SSH public keys, signing certificates and service-specific
// credentials, server certificates, instance profiles, OpenID Connect and SAML identity
// providers and virtual MFA devices, per account; the policy simulator, context keys, the
// credential report, last accessed information ("access advisor") and the account's STS
// preferences.
// Requests arrive form-encoded and leave as XML (services/common/query_protocol.h); the
// handlers here see and produce JSON like every other service's.
// Each write is a read-modify-commit at the revisions it read (services/common/write_retry.h);
// a change that spans entities (attaching a managed policy, or setting it as a boundary,
// counts the use on the policy) is one store write. Policy documents are checked before they
// are stored (MalformedPolicyDocument).
// Thread-safety: handlers may run concurrently, on any number of nodes.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/authorizer.h"
#include "auth/identity_resolver.h"
#include "auth/key_use_log.h"
#include "auth/service_use_log.h"
#include "auth/web_identity_issuer.h"
#include "auth/policy/policy_cache.h"
#include "common/json.h"
#include "crypto/secure_memory.h"
#include "domain/iam/identity.h"
#include "domain/iam/mfa.h"
#include "domain/iam/password_policy.h"
#include "services/common/query_service.h"
#include "storage/access_key_store.h"
#include "storage/identity_codec.h"
#include "storage/identity_store.h"

namespace arcana::services::iam {

// MalformedPolicyDocument unless `doc` parses as an identity policy (trust: as a role's
// trust policy, which names principals) with the policy engine's parser. A trust policy is
// refused first with AWS's own reasons: "This policy contains invalid Json", "Has prohibited
// field Resource", "Statement IDs (SID) must be alpha-numeric. ...", "AssumeRole policy may
// only specify STS AssumeRole actions.". An identity policy is checked as AWS's IAM checks
// it, with its reasons: any fault of the document's structure (elements, types, Effect,
// Condition shape, an unknown Version or condition operator) is plain "Syntax errors in
// policy."; then Sids of ASCII letters and digits only, unique Sids, statements with actions
// and resources, the engine's grammar, Version 2012-10-17 ("Policy document must be version
// 2012-10-17 or greater."), one colon per action and a valid vendor, known partitions.
Status CheckPolicyDocument(const std::string& doc, bool trust = false);

// A policy document as IAM returns it: URL-encoded (botocore decodes it).
std::string UrlEncodeDocument(std::string_view doc);

// The account quotas CreateUser, CreateGroup, CreateRole and CreatePolicy enforce
// (LimitExceeded "Cannot exceed quota for UsersPerAccount: 5000", ...) and GetAccountSummary
// reports (UsersQuota, ...): AWS's defaults unless the operator sets others
// (arcanad --iam-users-quota, ...; config/config.h).
struct IamQuotas {
  int64_t users = 5000;     // UsersPerAccount
  int64_t groups = 300;     // GroupsPerAccount
  int64_t roles = 1000;     // RolesPerAccount
  int64_t policies = 1500;  // PoliciesPerAccount: customer managed policies
};

// An instance profile with its roles as they are now, as IAM answers it.
struct ProfileView {
  domain::iam::InstanceProfile profile;
  std::vector<domain::iam::Identity> roles;
};

class IamService : public QueryService {
 public:
  IamService(storage::IdentityStore& store, const auth::IdentityResolver& resolver);
  // The quotas in force (call once, at startup; without it, AWS's defaults).
  void SetQuotas(const IamQuotas& quotas) { quotas_ = quotas; }
  // GetAccessKeyLastUsed also reports this node's uses not yet in the store (the log must
  // outlive this object). Call once, at startup.
  void ReadKeyUsesFrom(const auth::KeyUseLog* log) { key_uses_ = log; }
  // GenerateServiceLastAccessedDetails also counts this node's calls not yet in the store
  // (the log must outlive this object). Call once, at startup.
  void ReadServiceUsesFrom(const auth::ServiceUseLog* log) { service_uses_ = log; }
  // ListAccessKeys without a UserName, signed with the account root's own long-term key,
  // lists the root's keys from this store (the store must outlive this object). Call once,
  // at startup; without it that call stays a ValidationError.
  void ReadRootKeysFrom(storage::AccessKeyStore* keys) { root_keys_ = keys; }
  // Outbound identity federation's switch acts on this issuer (which must outlive this
  // object). Call once, at startup; without it those operations are InternalFailure.
  void IssueWebIdentityTokensWith(const auth::WebIdentityIssuer* issuer) { issuer_ = issuer; }

  // The service-linked role of service principal `principal` (e.g.
  // "apidestinations.events.amazonaws.com") in ctx's account, made as CreateServiceLinkedRole
  // makes it unless it exists: for a service that makes its own role on first use, as AWS's
  // do (EventBridge's CreateConnection).
  Status EnsureServiceLinkedRole(const CallContext& ctx, const std::string& principal);

  std::string_view signing_name() const override { return "iam"; }
  const ModelValidator& validator() const override { return validator_; }
  const QueryProtocol& query() const override { return query_; }
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const CallContext& ctx) override;

 private:
  using In = json::Input;
  using Handler = Result<std::string> (IamService::*)(const In&, const CallContext&);
  using Identity = domain::iam::Identity;
  using ManagedPolicy = domain::iam::ManagedPolicy;

  // What an IAM call acts on, as the authorizer needs it: the resource's ARN, and the stored
  // user's, role's or managed policy's tags and boundary (aws:ResourceTag/*,
  // iam:ResourceTag/*, iam:PermissionsBoundary of Delete*PermissionsBoundary).
  struct Target {
    std::string arn;
    // What a denial names as the resource, when AWS does not write the ARN: "user NAME" and
    // "role NAME" for a call on an existing user or role ("... is not authorized to perform:
    // iam:GetRole on resource: role NAME"; CreateUser, CreateRole and
    // CreateServiceLinkedRole name the ARN), "policy NAME" for CreatePolicy, as AWS's
    // answers are quoted. Empty: the ARN.
    std::string denial;
    std::map<std::string, std::string> tags;
    std::string boundary_arn;
  };
  Result<Target> TargetOf(std::string_view op, const json::Input& in, const CallContext& ctx);
  // The request's own condition keys IAM documents per action (Service Authorization
  // Reference): iam:PolicyARN (Attach/Detach*Policy), iam:PermissionsBoundary (CreateUser,
  // CreateRole, Put/Delete*PermissionsBoundary), aws:RequestTag/* and aws:TagKeys (Tag*,
  // Untag*, Create* with Tags).
  static void AddRequestKeys(std::string_view op, const json::Input& in, const Target& target,
                             auth::AccessRequest& req);
  // Whether the account's password policy lets the calling user make this call whatever its
  // policies say (AllowUsersToChangePassword: ChangePassword, GetAccountPasswordPolicy).
  Result<bool> GrantedByPasswordPolicy(std::string_view operation, const CallContext& ctx);
  // UnmodifiableEntity when `operation` would change a service-linked role other than through
  // its own operations (iam_service_linked_role_ops.cc).
  static Status CheckModifiable(std::string_view operation, const Target& target);
  // Loading (kResourceNotFound with IAM's message when absent).
  Result<Identity> Load(const CallContext& ctx, const std::string& kind,
                        const std::string& name);
  Result<ManagedPolicy> LoadPolicy(const CallContext& ctx, const std::string& arn);
  // A managed policy named as a permissions boundary: InvalidInput "ARN <arn> is not valid."
  // unless it is a policy ARN, NoSuchEntity "Scope ARN: <arn> does not exist or is not
  // attachable." when the account holds no such policy.
  Status CheckBoundary(const CallContext& ctx, const std::string& arn);
  // Appends to `writes` the managed policy `arn` with its boundary_count moved by `delta`, for
  // the one store write that sets or clears an identity's boundary (its revision guards the
  // count). A policy that no longer exists (deleted while in use before uses were counted)
  // is skipped when decrementing; when incrementing it is CheckBoundary's NoSuchEntity.
  Status CountBoundaryUse(const CallContext& ctx, const std::string& arn, int delta,
                          std::vector<storage::EntityWrite>& writes);
  // The account's uses of AWS managed policies (domain/iam/aws_managed_policies.h), by ARN:
  // how many of its users, groups and roles have each attached, and how many users and roles
  // have each as their boundary (AWS answers each account its own counts). Such a policy is
  // not stored, so the counts are rows of their own (storage::AwsPolicyUses), moved in the
  // same store write as each attachment and boundary: a read of at most one row per policy
  // of the catalog, never of the account's identities (save once, see CountAwsPolicyUses).
  using Uses = storage::AwsPolicyUses;
  Result<std::map<std::string, Uses>> AwsPolicyUses(const CallContext& ctx);
  // One policy's counts (revision 0: none yet, all zero).
  Result<Uses> AwsPolicyUse(const CallContext& ctx, const std::string& arn);
  // An account without counts (its identities were written before they were kept, or it has
  // none yet) has them counted from its users, groups and roles, once: the counts and the
  // row that says they exist are created in one write, which fails when another request made
  // them first (then theirs hold). Every write that moves a count reads them after that row
  // exists, so no change is missed or counted twice. The same write sets each customer
  // managed policy's boundary_count to the users and roles it bounds (boundaries set before
  // those were counted left it short), at the revision read before the identities were
  // (a boundary moved meanwhile conflicts, and the count starts again): once the row exists,
  // every count of a policy's uses is exact.
  Status CountAwsPolicyUses(const CallContext& ctx);
  // The row that says the account's uses are counted (counting them first if need be).
  Result<Uses> CountedUses(const CallContext& ctx) {
    return AwsPolicyUse(ctx, storage::kAwsPolicyUsesCounted);
  }
  // Appends to `writes` the counts of AWS managed policy `arn` moved by the deltas (clamped
  // at 0), at the revision read (a concurrent change of them conflicts, and the attempt runs
  // again). Several writes may name one policy: a write already in `writes` is moved. A
  // policy the account never used has no row yet: an increment creates it (zero) in a write
  // of its own and answers kWriteConflict, so that the caller's attempt (RetryOnConflict)
  // runs again on it; a decrement of a policy without a row has nothing to count down.
  Status CountAwsPolicyUse(const CallContext& ctx, const std::string& arn, int attached,
                           int bounding, std::vector<storage::EntityWrite>& writes);
  // A rename moves an identity in the name order CountAwsPolicyUses reads in pages, so a
  // count made meanwhile could see it twice or not at all. Renaming one that uses AWS managed
  // policies rewrites the counts' marker at its revision in the same write (after making the
  // counts if the account has none): a count in progress then cannot have missed the rename.
  Status GuardAwsPolicyUses(const CallContext& ctx, const Identity& renamed,
                            std::vector<storage::EntityWrite>& writes);
  // The store write of `writes` (IdentityStore::WriteEntities) with the policy-use rows
  // (storage/identity_codec.h: kPolicyAttachedKind, kPolicyBoundsKind) that its user, group
  // and role writes change appended: every write of an identity goes through here (or through
  // IndexPolicyUses, for RenameUser), so the rows follow attachments, boundaries, renames,
  // path changes and deletes in the same transaction.
  Status WriteEntities(const CallContext& ctx, std::vector<storage::EntityWrite> writes,
                       const std::string& op);
  // Appends to `writes` the policy-use rows its identity writes change: each identity's uses
  // before (the stored row, which must be at the write's revision, else kWriteConflict) and
  // after are compared, and only rows that differ are read (for their revision) and written.
  // Makes the account's rows first when they were never made (EnsurePolicyUses).
  Status IndexPolicyUses(const CallContext& ctx, std::vector<storage::EntityWrite>& writes);
  // Makes the account's policy-use rows from its users, groups and roles, once: the rows and
  // the row that says they exist (kPolicyUsesIndexed) are created in one write, which fails
  // when another request made them first (then theirs hold). Every write that changes a row
  // ensures this first, so a write after the marker is made cannot be missed by it, and no
  // write that changes a use happens while it reads.
  Status EnsurePolicyUses(const CallContext& ctx);
  Status MakePolicyUses(const CallContext& ctx);
  // The catalog policy with the account's counts.
  static domain::iam::ManagedPolicy WithUses(const domain::iam::ManagedPolicy& p,
                                             const std::map<std::string, Uses>& uses);
  // CreatePolicyVersion, DeletePolicy, DeletePolicyVersion, SetDefaultPolicyVersion and
  // Tag/UntagPolicy on an AWS managed policy: the policy is the account "aws"'s, which no
  // principal of another account may change, so IAM refuses it as it refuses any action on
  // another account's resource: AccessDenied (403) "User: CALLER is not authorized to perform:
  // iam:ACTION on resource: policy ARN" (the general wording; no recorded AWS answer for
  // these calls was at hand). OK for any other ARN.
  static Status RefuseAwsManaged(const CallContext& ctx, const char* action,
                                 const std::string& arn);
  // Deletes a user, group or role that holds no policies and no group membership (users) or
  // members (groups), else DeleteConflict ("must detach all policies first" for attached
  // managed policies, "must delete policies first" for inline ones, as AWS words them); a
  // user's access keys are checked by the store.
  // `also`: further writes committed with the deletion (a service-linked role's deletion task).
  Status DeleteIdentity(const CallContext& ctx, const std::string& kind, const std::string& name,
                        const char* op, const std::vector<storage::EntityWrite>& also = {});
  // The quota of the entities of `kind` ("user", "group", "role", "policy", OIDC providers) a
  // Create* write carries (storage::EntityWrite::quota).
  storage::EntityQuota QuotaOf(const std::string& kind) const;
  // Read-modify-commit of one identity, retried on conflicts.
  Status Update(const CallContext& ctx, const std::string& kind, const std::string& name,
                const char* op, const std::function<Status(Identity&)>& change);
  // TagUser/TagRole and UntagUser/UntagRole: kind "user"/"role", the name in `name_member`
  // (UserName/RoleName), `label` ("User"/"Role") in the tag-count error.
  Result<std::string> AddTags(const In& in, const CallContext& ctx, const char* kind,
                              const char* name_member, const char* op, const char* label);
  Result<std::string> RemoveTags(const In& in, const CallContext& ctx, const char* kind,
                                 const char* name_member, const char* op);
  // ListUserTags/ListRoleTags: the entity's tags in the order they were first given, paged
  // by MaxItems; the Marker is the position of the next page's first tag.
  Result<std::string> ListTags(const In& in, const CallContext& ctx, const char* kind,
                               const char* name_member);

  // Users, groups, keys (iam_user_ops.cc)
  Result<std::string> CreateUser(const In& in, const CallContext& ctx);
  Result<std::string> GetUser(const In& in, const CallContext& ctx);
  Result<std::string> ListUsers(const In& in, const CallContext& ctx);
  Result<std::string> DeleteUser(const In& in, const CallContext& ctx);
  Result<std::string> TagUser(const In& in, const CallContext& ctx);
  Result<std::string> UntagUser(const In& in, const CallContext& ctx);
  Result<std::string> ListUserTags(const In& in, const CallContext& ctx);
  Result<std::string> CreateAccessKey(const In& in, const CallContext& ctx);
  Result<std::string> ListAccessKeys(const In& in, const CallContext& ctx);
  Result<std::string> UpdateAccessKey(const In& in, const CallContext& ctx);
  Result<std::string> DeleteAccessKey(const In& in, const CallContext& ctx);
  // When and where a user's key was last used: the store's record or this node's later one
  // (ServiceName and Region "N/A" and no LastUsedDate for a key never used, as AWS answers).
  Result<std::string> GetAccessKeyLastUsed(const In& in, const CallContext& ctx);
  Result<std::string> CreateGroup(const In& in, const CallContext& ctx);
  Result<std::string> DeleteGroup(const In& in, const CallContext& ctx);
  Result<std::string> UpdateGroup(const In& in, const CallContext& ctx);
  Result<std::string> AddUserToGroup(const In& in, const CallContext& ctx);
  Result<std::string> RemoveUserFromGroup(const In& in, const CallContext& ctx);
  Result<std::string> ListGroupsForUser(const In& in, const CallContext& ctx);
  Result<std::string> GetGroup(const In& in, const CallContext& ctx);
  Result<std::string> ListGroups(const In& in, const CallContext& ctx);
  Result<std::string> UpdateUser(const In& in, const CallContext& ctx);
  Result<std::string> RenameUser(const CallContext& ctx, const std::string& name,
                                 const std::string& new_name,
                                 const std::optional<std::string>& new_path);
  // Roles (iam_role_ops.cc)
  // Binds the users and roles role.trust_policy names to their unique ids
  // (role.bound_trust_policy, role.trust_principal_ids), as AWS stores a trust policy;
  // MalformedPolicyDocument 'Invalid principal in policy: "AWS":"ARN"' for one that does not
  // exist, as AWS refuses it.
  Status BindTrustPolicy(Identity& role);
  // The role as IAM shows it: a bound principal that no longer exists (deleted, or its name
  // now another identity's) shown as its bare unique id, as AWS shows it.
  Result<Identity> Shown(Identity role);
  Result<std::string> CreateRole(const In& in, const CallContext& ctx);
  Result<std::string> GetRole(const In& in, const CallContext& ctx);
  Result<std::string> ListRoles(const In& in, const CallContext& ctx);
  Result<std::string> DeleteRole(const In& in, const CallContext& ctx);
  Result<std::string> TagRole(const In& in, const CallContext& ctx);
  Result<std::string> UntagRole(const In& in, const CallContext& ctx);
  Result<std::string> ListRoleTags(const In& in, const CallContext& ctx);
  Result<std::string> UpdateRole(const In& in, const CallContext& ctx);
  Result<std::string> UpdateRoleDescription(const In& in, const CallContext& ctx);
  Result<std::string> UpdateAssumeRolePolicy(const In& in, const CallContext& ctx);
  Result<std::string> ListInstanceProfilesForRole(const In& in, const CallContext& ctx);
  // Policies: managed, attached, inline, boundaries (iam_policy_ops.cc)
  Result<std::string> CreatePolicy(const In& in, const CallContext& ctx);
  Result<std::string> GetPolicy(const In& in, const CallContext& ctx);
  Result<std::string> ListPolicies(const In& in, const CallContext& ctx);
  Result<std::string> DeletePolicy(const In& in, const CallContext& ctx);
  Result<std::string> CreatePolicyVersion(const In& in, const CallContext& ctx);
  Result<std::string> GetPolicyVersion(const In& in, const CallContext& ctx);
  Result<std::string> ListPolicyVersions(const In& in, const CallContext& ctx);
  Result<std::string> DeletePolicyVersion(const In& in, const CallContext& ctx);
  Result<std::string> SetDefaultPolicyVersion(const In& in, const CallContext& ctx);
  // TagPolicy/UntagPolicy/ListPolicyTags: a managed policy's tags (keys case-sensitive).
  Result<std::string> TagPolicy(const In& in, const CallContext& ctx);
  Result<std::string> UntagPolicy(const In& in, const CallContext& ctx);
  Result<std::string> ListPolicyTags(const In& in, const CallContext& ctx);
  // The groups, roles and users a managed policy is attached to (or is the permissions
  // boundary of), each in name order.
  Result<std::string> ListEntitiesForPolicy(const In& in, const CallContext& ctx);
  Result<std::string> Attach(const char* kind, const In& in, const CallContext& ctx);
  Result<std::string> Detach(const char* kind, const In& in, const CallContext& ctx);
  Result<std::string> ListAttached(const char* kind, const In& in, const CallContext& ctx);
  Result<std::string> PutInline(const char* kind, const In& in, const CallContext& ctx);
  Result<std::string> GetInline(const char* kind, const In& in, const CallContext& ctx);
  Result<std::string> DeleteInline(const char* kind, const In& in, const CallContext& ctx);
  Result<std::string> ListInline(const char* kind, const In& in, const CallContext& ctx);
  Result<std::string> PutBoundary(const char* kind, const In& in, const CallContext& ctx);
  Result<std::string> DeleteBoundary(const char* kind, const In& in, const CallContext& ctx);
  // Every user, group, role and managed policy with its permissions, paged
  // (iam_authorization_details_ops.cc)
  Result<std::string> GetAccountAuthorizationDetails(const In& in, const CallContext& ctx);
  // The account's alias, summary and password policy (iam_account_ops.cc)
  Result<std::string> CreateAccountAlias(const In& in, const CallContext& ctx);
  Result<std::string> DeleteAccountAlias(const In& in, const CallContext& ctx);
  Result<std::string> ListAccountAliases(const In& in, const CallContext& ctx);
  Result<std::string> GetAccountSummary(const In& in, const CallContext& ctx);
  Result<std::string> SetSecurityTokenServicePreferences(const In& in, const CallContext& ctx);
  // The account's GlobalEndpointTokenVersion: 2 once set to v2Token, else 1.
  Result<int64_t> TokenVersion(const CallContext& ctx);
  Result<std::string> UpdateAccountPasswordPolicy(const In& in, const CallContext& ctx);
  Result<std::string> GetAccountPasswordPolicy(const In& in, const CallContext& ctx);
  Result<std::string> DeleteAccountPasswordPolicy(const In& in, const CallContext& ctx);
  // Outbound identity federation's switch (iam_outbound_federation_ops.cc)
  Result<std::string> EnableOutboundWebIdentityFederation(const In& in, const CallContext& ctx);
  Result<std::string> DisableOutboundWebIdentityFederation(const In& in, const CallContext& ctx);
  Result<std::string> GetOutboundWebIdentityFederationInfo(const In& in, const CallContext& ctx);
  // The policy simulator (iam_simulate_ops.cc)
  Result<std::string> SimulateCustomPolicy(const In& in, const CallContext& ctx);
  Result<std::string> SimulatePrincipalPolicy(const In& in, const CallContext& ctx);
  Result<std::string> GetContextKeysForCustomPolicy(const In& in, const CallContext& ctx);
  Result<std::string> GetContextKeysForPrincipalPolicy(const In& in, const CallContext& ctx);
  // The user, group or role a PolicySourceArn names, as the simulator sees it (a user with
  // its groups' policies); NoSuchEntity in IAM's words when absent, InvalidInput for an ARN
  // that names none of them in this account.
  Result<auth::Principal> PolicySourcePrincipal(const CallContext& ctx, const std::string& arn);
  // The context keys the documents name (conditions' keys and policy variables, as written,
  // first appearance first, each once whatever its case); InvalidInput for one that is no
  // policy.
  static Result<std::vector<std::string>> ContextKeysOf(const std::vector<std::string>& docs);
  static std::string ContextKeysAnswer(const std::vector<std::string>& keys);
  // Instance profiles (iam_instance_profile_ops.cc)
  Result<std::string> CreateInstanceProfile(const In& in, const CallContext& ctx);
  Result<std::string> GetInstanceProfile(const In& in, const CallContext& ctx);
  Result<std::string> DeleteInstanceProfile(const In& in, const CallContext& ctx);
  Result<std::string> ListInstanceProfiles(const In& in, const CallContext& ctx);
  Result<std::string> AddRoleToInstanceProfile(const In& in, const CallContext& ctx);
  Result<std::string> RemoveRoleFromInstanceProfile(const In& in, const CallContext& ctx);
  Result<std::string> TagInstanceProfile(const In& in, const CallContext& ctx);
  Result<std::string> UntagInstanceProfile(const In& in, const CallContext& ctx);
  Result<std::string> ListInstanceProfileTags(const In& in, const CallContext& ctx);
  // NoSuchEntity "Instance Profile NAME cannot be found." when absent.
  Result<domain::iam::InstanceProfile> LoadInstanceProfile(const CallContext& ctx,
                                                           const std::string& name);
  // The named profiles (those that exist) with their roles, in the order named.
  Result<std::vector<ProfileView>> ProfileViews(const CallContext& ctx,
                                                const std::vector<std::string>& names);
  // Add/RemoveRoleToInstanceProfile: the profile and the role the request names, loaded in
  // that order (NoSuchEntity for either), changed together, written in one store write.
  Status EditProfileRole(
      const In& in, const CallContext& ctx, const char* op,
      const std::function<Status(domain::iam::InstanceProfile&, Identity&)>& change);
  Status UpdateInstanceProfile(const CallContext& ctx, const std::string& name, const char* op,
                               const std::function<Status(domain::iam::InstanceProfile&)>& change);
  // SSH public keys and signing certificates (iam_user_credentials_ops.cc)
  Result<std::string> UploadSSHPublicKey(const In& in, const CallContext& ctx);
  Result<std::string> GetSSHPublicKey(const In& in, const CallContext& ctx);
  Result<std::string> ListSSHPublicKeys(const In& in, const CallContext& ctx);
  Result<std::string> UpdateSSHPublicKey(const In& in, const CallContext& ctx);
  Result<std::string> DeleteSSHPublicKey(const In& in, const CallContext& ctx);
  Result<std::string> UploadSigningCertificate(const In& in, const CallContext& ctx);
  Result<std::string> ListSigningCertificates(const In& in, const CallContext& ctx);
  Result<std::string> UpdateSigningCertificate(const In& in, const CallContext& ctx);
  Result<std::string> DeleteSigningCertificate(const In& in, const CallContext& ctx);
  // Login profiles (iam_login_profile_ops.cc)
  Result<std::string> CreateLoginProfile(const In& in, const CallContext& ctx);
  Result<std::string> GetLoginProfile(const In& in, const CallContext& ctx);
  Result<std::string> UpdateLoginProfile(const In& in, const CallContext& ctx);
  Result<std::string> DeleteLoginProfile(const In& in, const CallContext& ctx);
  Result<std::string> ChangePassword(const In& in, const CallContext& ctx);
  // Sets `password` on the profile when the account's policy allows it (PasswordPolicyViolation
  // in AWS's words otherwise, a recently used one included), keeping the old hash.
  Status SetPassword(const CallContext& ctx, domain::iam::LoginProfile& profile,
                     std::string_view password);
  // The most previous passwords a profile remembers: the policy's PasswordReusePrevention at most.
  static constexpr size_t kMaxRememberedPasswords = 24;
  // The account's password policy, nullopt when it has none (AWS's default rules apply).
  Result<std::optional<domain::iam::PasswordPolicy>> AccountPasswordPolicy(const CallContext& ctx);
  // Server certificates (iam_server_certificate_ops.cc): X.509 certificates with their chain
  // and private key, checked as IAM checks them; the key kept sealed under the root key
  // (the entity's secret) and never answered.
  Result<std::string> UploadServerCertificate(const In& in, const CallContext& ctx);
  Result<std::string> GetServerCertificate(const In& in, const CallContext& ctx);
  Result<std::string> ListServerCertificates(const In& in, const CallContext& ctx);
  Result<std::string> UpdateServerCertificate(const In& in, const CallContext& ctx);
  Result<std::string> DeleteServerCertificate(const In& in, const CallContext& ctx);
  Result<std::string> TagServerCertificate(const In& in, const CallContext& ctx);
  Result<std::string> UntagServerCertificate(const In& in, const CallContext& ctx);
  Result<std::string> ListServerCertificateTags(const In& in, const CallContext& ctx);
  // NoSuchEntity "The Server Certificate with name NAME cannot be found." when absent.
  Result<domain::iam::ServerCertificate> LoadServerCertificate(const CallContext& ctx,
                                                               const std::string& name);
  // Read-modify-commit of one certificate's document (not its key), retried on conflicts.
  Status EditServerCertificate(
      const CallContext& ctx, const std::string& name, const char* op,
      const std::function<Status(domain::iam::ServerCertificate&)>& change);
  // Service-specific credentials (iam_service_specific_credential_ops.cc): a user name and
  // password for one user and one service (CodeCommit, Keyspaces), the password kept sealed
  // under the root key (the entity's secret) and answered only by Create and Reset.
  Result<std::string> CreateServiceSpecificCredential(const In& in, const CallContext& ctx);
  Result<std::string> ListServiceSpecificCredentials(const In& in, const CallContext& ctx);
  Result<std::string> ResetServiceSpecificCredential(const In& in, const CallContext& ctx);
  Result<std::string> UpdateServiceSpecificCredential(const In& in, const CallContext& ctx);
  Result<std::string> DeleteServiceSpecificCredential(const In& in, const CallContext& ctx);
  // Whether the user holds any (DeleteUser refuses then).
  Result<bool> HasServiceSpecificCredentials(const Identity& user);
  // Last accessed information, "access advisor" (iam_access_advisor_ops.cc)
  Result<std::string> GenerateServiceLastAccessedDetails(const In& in, const CallContext& ctx);
  Result<std::string> GetServiceLastAccessedDetails(const In& in, const CallContext& ctx);
  Result<std::string> GetServiceLastAccessedDetailsWithEntities(const In& in,
                                                                const CallContext& ctx);
  Result<std::string> ListPoliciesGrantingServiceAccess(const In& in, const CallContext& ctx);
  // An entity a report counts the calls of: a user or role (its own calls), or a group of a
  // policy report (its members' calls); `members`: (unique id, ARN) of each user or role.
  struct AccessEntity {
    std::string arn, name, type, id, path;  // type: USER | ROLE | GROUP
    std::vector<std::pair<std::string, std::string>> members;
  };
  // What a report's ARN names: its kind ("user", "group", "role", "policy"), the identity
  // policies in force (a user's with its groups'; the managed policy's default version;
  // read only when `policies_too`) and the entities whose calls count (a group's members;
  // the users, roles and groups a policy is attached to). InvalidInput "ARN <arn> is not
  // valid." for an ARN that names no user, group, role or managed policy; NoSuchEntity in
  // IAM's words when the account holds none such.
  struct AccessSubject {
    std::string kind;
    std::vector<auth::PolicySource> policies;
    std::vector<AccessEntity> entities;
  };
  Result<AccessSubject> AccessSubjectOf(const CallContext& ctx, const std::string& arn,
                                        bool policies_too);
  // The caller's own job (NoSuchEntity for an unknown or expired id, or another caller's).
  Result<storage::ServiceAccessJob> LoadServiceAccessJob(const CallContext& ctx,
                                                         const std::string& id);
  // Credential reports (iam_credential_report_ops.cc)
  Result<std::string> GenerateCredentialReport(const In& in, const CallContext& ctx);
  Result<std::string> GetCredentialReport(const In& in, const CallContext& ctx);
  // The CSV: the root's line, then every user's.
  Result<std::string> MakeCredentialReport(const CallContext& ctx);
  // The account root's own access keys (empty when no root key store was given).
  Result<std::vector<storage::AccessKeyRecord>> RootKeysOf(const CallContext& ctx);
  // OpenID Connect identity providers (iam_oidc_provider_ops.cc): the issuers whose tokens
  // AssumeRoleWithWebIdentity accepts, each named by its URL.
  Result<std::string> CreateOpenIDConnectProvider(const In& in, const CallContext& ctx);
  Result<std::string> GetOpenIDConnectProvider(const In& in, const CallContext& ctx);
  Result<std::string> ListOpenIDConnectProviders(const In& in, const CallContext& ctx);
  Result<std::string> DeleteOpenIDConnectProvider(const In& in, const CallContext& ctx);
  Result<std::string> UpdateOpenIDConnectProviderThumbprint(const In& in,
                                                            const CallContext& ctx);
  Result<std::string> AddClientIDToOpenIDConnectProvider(const In& in, const CallContext& ctx);
  Result<std::string> RemoveClientIDFromOpenIDConnectProvider(const In& in,
                                                              const CallContext& ctx);
  Result<std::string> TagOpenIDConnectProvider(const In& in, const CallContext& ctx);
  Result<std::string> UntagOpenIDConnectProvider(const In& in, const CallContext& ctx);
  Result<std::string> ListOpenIDConnectProviderTags(const In& in, const CallContext& ctx);
  // The provider an ARN names: InvalidInput when `arn` is no OIDC provider ARN, NoSuchEntity
  // in AWS's words when this account has no provider of exactly that URL.
  Result<domain::iam::OidcProvider> LoadOidcProvider(const CallContext& ctx,
                                                     const std::string& arn);
  // Read-modify-commit of one provider, retried on conflicts. `change` answers whether it
  // changed anything: when it did not, nothing is written (and no change row appended).
  Status UpdateOidcProvider(const CallContext& ctx, const std::string& arn, const char* op,
                            const std::function<Result<bool>(domain::iam::OidcProvider&)>& change);

  // SAML 2.0 identity providers (iam_saml_provider_ops.cc): the IdPs whose signed responses
  // AssumeRoleWithSAML accepts, each named by its name.
  Result<std::string> CreateSAMLProvider(const In& in, const CallContext& ctx);
  Result<std::string> GetSAMLProvider(const In& in, const CallContext& ctx);
  Result<std::string> ListSAMLProviders(const In& in, const CallContext& ctx);
  Result<std::string> UpdateSAMLProvider(const In& in, const CallContext& ctx);
  Result<std::string> DeleteSAMLProvider(const In& in, const CallContext& ctx);
  Result<std::string> TagSAMLProvider(const In& in, const CallContext& ctx);
  Result<std::string> UntagSAMLProvider(const In& in, const CallContext& ctx);
  Result<std::string> ListSAMLProviderTags(const In& in, const CallContext& ctx);
  // The provider an ARN names: InvalidInput when `arn` is no SAML provider ARN, NoSuchEntity
  // "Manifest not found for arn ARN" (AWS's words) when this account has no such provider.
  Result<domain::iam::SamlProvider> LoadSamlProvider(const CallContext& ctx,
                                                     const std::string& arn);
  // Calls `each` with every entity of `kind` in the account, in name order, a page of the
  // store at a time (for the lists IAM answers whole: the providers').
  Status ForEachEntity(const CallContext& ctx, const char* kind,
                       const std::function<Status(const storage::IamEntity&)>& each);
  // Read-modify-commit of one provider, retried on conflicts; nothing is written when
  // `change` answers false.
  Status UpdateSamlProvider(const CallContext& ctx, const std::string& arn, const char* op,
                            const std::function<Result<bool>(domain::iam::SamlProvider&)>& change);

  // Service-linked roles (iam_service_linked_role_ops.cc): roles named and trusted by an AWS
  // service, under /aws-service-role/SERVICE/, that only the service may change.
  Result<std::string> CreateServiceLinkedRole(const In& in, const CallContext& ctx);
  // Writes the role CreateServiceLinkedRole makes; kResourceExists when its name is taken.
  Result<domain::iam::Identity> PutServiceLinkedRole(const CallContext& ctx,
                                                     const std::string& principal,
                                                     const std::string& suffix,
                                                     const std::string& description);
  Result<std::string> DeleteServiceLinkedRole(const In& in, const CallContext& ctx);
  Result<std::string> GetServiceLinkedRoleDeletionStatus(const In& in, const CallContext& ctx);

  // Virtual MFA devices (iam_mfa_ops.cc)
  Result<std::string> CreateVirtualMFADevice(const In& in, const CallContext& ctx);
  Result<std::string> DeleteVirtualMFADevice(const In& in, const CallContext& ctx);
  Result<std::string> ListVirtualMFADevices(const In& in, const CallContext& ctx);
  Result<std::string> EnableMFADevice(const In& in, const CallContext& ctx);
  Result<std::string> DeactivateMFADevice(const In& in, const CallContext& ctx);
  Result<std::string> ResyncMFADevice(const In& in, const CallContext& ctx);
  Result<std::string> ListMFADevices(const In& in, const CallContext& ctx);
  Result<std::string> GetMFADevice(const In& in, const CallContext& ctx);
  Result<std::string> TagMFADevice(const In& in, const CallContext& ctx);
  Result<std::string> UntagMFADevice(const In& in, const CallContext& ctx);
  Result<std::string> ListMFADeviceTags(const In& in, const CallContext& ctx);
  // The device a serial number names in the caller's account (and its stored entity, when
  // `entity` is given); NoSuchEntity "MFA Device with serial number S does not exist." else.
  Result<domain::iam::MfaDevice> LoadMfaDevice(const CallContext& ctx, const std::string& serial,
                                               storage::IamEntity* entity = nullptr);
  // That device when it is enabled for `user`, else NoSuchEntity.
  Result<domain::iam::MfaDevice> LoadUsersMfaDevice(const CallContext& ctx, Identity& user,
                                                    const std::string& serial,
                                                    storage::IamEntity* entity = nullptr);
  Result<crypto::SecretString> MfaSeed(const storage::IamEntity& device);
  // EnableMFADevice/ResyncMFADevice: the step of AuthenticationCode2 when the request's two
  // codes are consecutive codes of the device near now and newer than any it accepted, else
  // InvalidAuthenticationCode "Authentication code for device is not valid.".
  Result<int64_t> MatchCodes(const CallContext& ctx, const storage::IamEntity& device,
                             const In& in, int64_t back, int64_t ahead);
  // Read-modify-commit of one device, retried on conflicts.
  Status UpdateMfaDevice(const CallContext& ctx, const std::string& serial, const char* op,
                         const std::function<Status(domain::iam::MfaDevice&)>& change);
  // What the QR code's label names the account by: its alias, else its id (as AWS's do).
  Result<std::string> AccountLabel(const CallContext& ctx);

  storage::IdentityStore& store_;
  const auth::IdentityResolver& resolver_;
  const auth::KeyUseLog* key_uses_ = nullptr;
  const auth::ServiceUseLog* service_uses_ = nullptr;
  storage::AccessKeyStore* root_keys_ = nullptr;
  const auth::WebIdentityIssuer* issuer_ = nullptr;
  IamQuotas quotas_;
  ModelValidator validator_;
  QueryProtocol query_;
  auth::policy::PolicyCache cache_;  // the simulator's parsed policies
  std::unordered_map<std::string, std::function<Result<std::string>(const In&, const CallContext&)>>
      handlers_;
};

// Shared by the ops files: the response members IAM writes for each entity. Which members
// depends on the answer, as AWS answers them:
// - kCreated (CreateUser, CreateRole, CreatePolicy): no Description, and no
//   MaxSessionDuration for a role;
// - kGot (GetUser, GetRole, GetPolicy): everything, a role's RoleLastUsed (empty: Arcana does
//   not record when a role was last used, which is what AWS answers for a role never used)
//   and a policy's Tags even when there are none;
// - kListed (ListUsers, ListRoles, ListPolicies): no Tags, no PermissionsBoundary, no
//   policy Description;
// - kDescribed (UpdateRoleDescription): what kCreated writes and the role's Description (no
//   MaxSessionDuration, no RoleLastUsed), as AWS answers it;
// - kDetailed (GetAccountAuthorizationDetails' Policies): a policy as kListed writes it, its
//   Description when it has one and its PolicyVersionList (every version, newest first, with
//   its document).
enum class View { kCreated, kGot, kListed, kDescribed, kDetailed };
void WriteUser(json::Writer& w, const domain::iam::Identity& u, View view = View::kGot);
void WriteGroup(json::Writer& w, const domain::iam::Identity& g);
void WriteRole(json::Writer& w, const domain::iam::Identity& r, View view = View::kGot);
void WritePolicy(json::Writer& w, const domain::iam::ManagedPolicy& p, View view = View::kGot);
void WriteTags(json::Writer& w, const domain::iam::Tags& tags);
// An instance profile as IAM answers it: Tags when created with some (kCreated), always when
// got (kGot), never in a list (kListed); each role with its common members and trust policy.
void WriteInstanceProfile(json::Writer& w, const ProfileView& v, View view);
// The members every user, group and role answer carries: Path, the name and id under the
// given keys, Arn, CreateDate.
void WriteIdentityCommon(json::Writer& w, const domain::iam::Identity& i, const char* name_key,
                         const char* id_key);
// PermissionsBoundary {PermissionsBoundaryType, PermissionsBoundaryArn}, when one is set.
void WriteBoundary(json::Writer& w, const domain::iam::Identity& i);
// `key`: [{PolicyName, PolicyArn}] of the identity's attached managed policies.
void WriteAttachedPolicies(json::Writer& w, const char* key, const domain::iam::Identity& i);
// Tags from a request's Tags list (Key/Value objects).
domain::iam::Tags TagsOf(const rapidjson::Value* list);
// The most tags a user, role, managed policy or OIDC provider holds (each words the refusal
// its own way, as AWS does).
inline constexpr size_t kMaxTags = 50;
// A request's Tags list as IAM checks it before touching any entity: at most 50 tags
// (ValidationError, "Value at 'tags' ..." as IAM words it; the model validator does not count
// list members), each key and value of the models' tag patterns ([\p{L}\p{Z}\p{N}_.:/=+\-@]+
// and ...]*: ValidationError "Value at 'tags.N.member.key' ...", the validator leaves
// patterns to the service) and no key twice (InvalidInput). A user's or role's tag keys are case
// insensitive ("Duplicate tag keys found. Please note that Tag keys are case insensitive."),
// a managed policy's are not ("Duplicate tag keys found."), as AWS answers. Key and value
// lengths are the model validator's.
enum class TagKeys { kCaseInsensitive, kCaseSensitive };
Status CheckTags(const rapidjson::Value* list, TagKeys keys = TagKeys::kCaseInsensitive);
// UntagUser/UntagRole/UntagPolicy's TagKeys as IAM checks them: each key one of the tag-key
// pattern's characters (ValidationError in AWS's words: "Value at 'tagKeys' failed to satisfy
// constraint: Member must satisfy constraint: [...]"). Count and length are the model
// validator's.
Status CheckTagKeys(const std::vector<std::string>& keys);
// `add` merged into an identity provider's tags (a key given again takes the new value);
// LimitExceeded "The number of tags has reached the maximum limit." (AWS's words for OIDC
// providers, recorded) when more than kMaxTags would result.
Status MergeProviderTags(domain::iam::Tags& tags, const domain::iam::Tags& add);
// A page of tags as ListUserTags/ListRoleTags/ListPolicyTags answer it: MaxItems of them from
// the Marker (the decimal position of the page's first tag), IsTruncated, the next Marker.
// A Marker that is no such position is refused as SliceOf refuses one.
Result<std::string> TagListAnswer(const domain::iam::Tags& tags, const json::Input& in);
// A policy version id as the model's policyVersionIdType pattern allows it
// (v[1-9][0-9]*(\.[A-Za-z0-9-]*)?), else ValidationError in AWS's words.
Status CheckVersionId(const std::string& id);
// "IAM entity names": [\w+=,.@-]+, else ValidationError in IAM's words ("The specified value
// for userName is invalid. ..."). The validator checks every request's names so already; this
// holds names the service makes itself to the same rule.
Status CheckName(const std::string& name, const char* member);
// IAM paths: "/" or "/a/b/" (printable ASCII, no spaces), as the models' pathType says;
// otherwise ValidationError in IAM's words ("The specified value for path is invalid. ...").
// member: the request member in AWS's lowerCamel spelling ("path", "newPath").
Status CheckPath(const std::string& path, const char* member = "path");
// A managed policy's Path: policyPathType, ((/[A-Za-z0-9\.,\+@=_-]+)*)/, else ValidationError
// in CheckPath's words (the path is one ListPolicies' PathPrefix can name).
Status CheckPolicyPath(const std::string& path);
// A List call's PathPrefix as the model's shape for that call allows it (pathPrefixType
// "\u002F[\u0021-\u007F]*" for ListUsers/ListRoles/ListGroups, policyPathType
// "((/[A-Za-z0-9\.,\+@=_-]+)*)/" for ListPolicies and ListAttached*Policies, pathType
// "(\u002F)|(\u002F[\u0021-\u007F]+\u002F)" for ListEntitiesForPolicy), else ValidationError
// in IAM's own words ("The specified value for pathPrefix is invalid. It must begin with the /
// character and contain only alphanumeric characters and/or / characters.", whichever shape).
// OK for an operation without a PathPrefix, or a request without one.
Status CheckPathPrefix(std::string_view operation, const json::Input& in);
// The ARN of the OIDC provider a CreateOpenIDConnectProvider Url names, as the call is
// authorized before the Url is checked: the Url without "https://".
std::string OidcProviderArnOfUrl(const std::string& account, const std::string& url);
// The ARN of the role CreateServiceLinkedRole makes for a service principal (and suffix).
std::string ServiceLinkedRoleArn(const std::string& account, const std::string& principal,
                                 const std::string& suffix);
// Whether a role ARN is a service-linked role's (its path under /aws-service-role/).
bool IsServiceLinkedRoleArn(std::string_view arn);
// A SAML provider's ARN: arn:aws:iam::ACCOUNT:saml-provider/NAME.
std::string SamlProviderArnOfName(const std::string& account, const std::string& name);
// The user a user-credential call acts on: its UserName, or without one the calling user;
// ValidationError "Must specify userName when calling with non-User credentials" otherwise.
Result<std::string> KeyUser(const json::Input& in, const CallContext& ctx);
// IsTruncated/Marker paging over an ordered list of names.
struct Page {
  std::string marker;  // continue after this name ("" = from the start)
  size_t max_items = 100;
};
Page PageOf(const json::Input& in);
// Paging by position, for lists whose items the model's marker pattern cannot name (tag
// keys): the Marker is the decimal index of the page's first item. A marker that is no such
// index of a list of `size` items (not a number, 0, past the last item) is ValidationError
// "Invalid Marker: <marker>", as SliceOf answers.
Result<size_t> PositionOf(const Page& page, size_t size);
// One page of a list the service holds whole (a user's attached policies, inline policy names,
// groups, access keys; a policy's versions), as ListUsers pages the store's: MaxItems items
// after the one the Marker names (the key of the last item of the previous page), in the
// order the unpaged list answers them. `keys`: each item's key (unique within the list), in
// that order. A Marker naming no item of the list (not from a previous page of it, or its item
// gone since) is ValidationError "Invalid Marker: <marker>", as GetAccountAuthorizationDetails
// answers one: continuing elsewhere could answer an item twice or skip one.
struct Slice {
  size_t begin = 0;
  size_t end = 0;
  bool truncated = false;
  std::string next_marker;  // the key of the page's last item, when truncated
};
Result<Slice> SliceOf(const Page& page, const std::vector<std::string>& keys);
// The page's IsTruncated, and its Marker when truncated.
void WritePageEnd(json::Writer& w, const Slice& slice);
// A whole paged list answer: {"<member>": [item(i) for i in the page], IsTruncated, Marker}.
std::string PagedListAnswer(const Slice& page, const char* member,
                            const std::function<void(json::Writer&, size_t)>& item);

}  // namespace arcana::services::iam
