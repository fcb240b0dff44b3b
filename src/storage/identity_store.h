// IAM identities of each account (users, groups, roles, managed policies), the access keys
// of users and the temporary credentials of STS sessions. See store_types.h for the shared
// contract (durability, thread-safety, revisions, bounded lists, change rows).
//
// Entities are aggregates: one row per (account, kind, name) whose `doc` (a JSON document,
// services/iam/iam_codec.h) holds what belongs to it: tags, inline policies, attached policy
// ARNs, permissions boundary, group memberships (on the user), trust policy, a managed
// policy's versions and attachment count. A change that spans entities (attaching a policy
// to a user bumps the policy's attachment count) is one Write of several EntityWrites,
// committed together or not at all. The counts of an account's uses of AWS managed policies
// (which are no entities of it) are entities too, of their own kind, and so are the uses of
// each managed policy by users, groups and roles (a kind per policy ARN; identity_codec.h).
//
// Change rows: every entity write appends (service "iam", resource "ACCOUNT:KIND/NAME",
// kind = the op); user access key writes append (service "arcana", resource = the key id)
// like the root's keys; session writes append (service "sts", resource = the key id). The
// authenticator drops cached Principals on all three.
//
// Names are unique per account and kind case-insensitively (as IAM's), matched through
// `name_key` (lower case); `name` keeps the caller's spelling.
// Sealed secrets (user keys, sessions, entities' secrets) are sealed and opened only by
// auth/identity_resolver.h, bound (auth/access_keys.h) to (key id, account, principal) with
// principal "user:" + IamNameKey(user name) for a user's key, "sts-session" for a session and
// "iam-entity:" + kind for an entity's secret (bound to the entity's id); the root store's
// rewrap (root_store.h) re-seals them under that same binding at a root rotation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/store_types.h"

namespace arcana::storage {

struct IamEntity {
  std::string account;
  std::string kind;  // "user" | "group" | "role" | "policy"
  std::string name;  // as created (a managed policy: its name; its ARN is derived)
  std::string id;    // AIDA... / AGPA... / AROA... / ANPA...
  std::string path;  // "/" or "/division/"
  std::string doc;   // JSON (services/iam/iam_codec.h)
  int64_t created_ms = 0;
  int64_t revision = 0;  // 0 = not stored yet
};

// The JSON member of a managed policy's `doc` (identity_codec.cc) that holds its attachment
// count: CountEntities sums it in the database.
inline constexpr const char* kPolicyAttachmentsMember = "attachments";

// CountEntities' answer: how many entities of each kind asked (0 when none), and the sum of
// the account's managed policies' attachment counts (when "policy" was asked).
struct IamEntityCounts {
  std::map<std::string, int64_t> by_kind;
  int64_t policy_attachments = 0;
};

// An account quota on the entities of one kind (IAM's UsersPerAccount, RolesPerAccount, ...).
struct EntityQuota {
  int64_t max = 0;   // the most entities of the kind an account may hold
  std::string name;  // AWS's name of the quota, for the refusal's message
};

struct EntityWrite {
  enum class Op { kPut, kDelete };
  EntityWrite() = default;
  EntityWrite(Op op_, IamEntity entity_, std::optional<EntityQuota> quota_ = std::nullopt)
      : op(op_), entity(std::move(entity_)), quota(std::move(quota_)) {}

  Op op = Op::kPut;
  IamEntity entity;  // kPut: revision 0 creates (kResourceExists when the name is
                     // taken), R updates at R; kDelete: at entity.revision
  // A create under a quota (CreateUser, CreateGroup, CreateRole, CreatePolicy; not a rename,
  // which creates the row under its new name but adds no entity): kLimitExceeded "Cannot
  // exceed quota for <name>: <max>" when the account already holds `max` entities of the
  // kind. The count is taken in the write's own transaction, serialised with every other
  // create under a quota of the same account and kind (SQLite: the one writer; PostgreSQL: a
  // transaction-scoped advisory lock of account and kind), so concurrent creates on any
  // number of nodes cannot together pass it. A name already taken is kResourceExists first.
  std::optional<EntityQuota> quota;
  // kPut: the entity's secret (an MFA device's seed), already sealed, stored in the same
  // transaction apart from `doc` under entity.id (which must be unique across accounts) and
  // kept until the entity is deleted (a kDelete removes the secret of entity.id).
  // nullopt leaves a stored secret as it is.
  std::optional<std::string> sealed_secret;
};

struct UserAccessKey {
  std::string access_key_id;  // AKIA...
  std::string account;
  std::string user_name;
  std::string sealed_secret;
  std::string status = "Active";  // Active | Inactive
  int64_t created_ms = 0;
  // The key's last use as AWS reports it (GetAccessKeyLastUsed): 0 and "" when never used.
  int64_t last_used_ms = 0;
  std::string last_used_service;  // the signing name: "secretsmanager", "kms", "iam", ...
  std::string last_used_region;
};

// One use of a user's access key: a request it signed that authenticated.
struct AccessKeyUse {
  std::string access_key_id;
  int64_t when_ms = 0;
  std::string service;
  std::string region;
};

// One authenticated call of an IAM user or role (an assumed role's session counts for its
// role) to a service, as IAM's last accessed information (access advisor) reports it.
struct ServiceUse {
  std::string account;
  std::string entity_id;  // the user's or role's unique id (AIDA..., AROA...)
  std::string service;    // the service namespace: "secretsmanager", "kms", "iam", ...
  std::string action;     // the operation ("GetSecretValue"); "" = the service as a whole
  int64_t when_ms = 0;
  std::string region;
};

// The uses by (account, entity_id, service, action): the order both backends write a batch in.
inline std::vector<const ServiceUse*> InKeyOrder(const std::vector<ServiceUse>& uses) {
  std::vector<const ServiceUse*> out;
  out.reserve(uses.size());
  for (const auto& u : uses) out.push_back(&u);
  std::sort(out.begin(), out.end(), [](const ServiceUse* a, const ServiceUse* b) {
    return std::tie(a->account, a->entity_id, a->service, a->action) <
           std::tie(b->account, b->entity_id, b->service, b->action);
  });
  return out;
}

// A GenerateServiceLastAccessedDetails job: the report, computed when the job was made, kept
// so that any node answers its Get calls until it expires.
struct ServiceAccessJob {
  std::string job_id;  // a UUID
  std::string account;
  std::string owner;   // the ARN of the caller that made it: only it may read the report
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  std::string report;  // JSON (services/iam/iam_access_advisor_ops.cc)
};

// Temporary credentials (AssumeRole, GetSessionToken). Immutable once created; they expire.
struct StsSession {
  std::string access_key_id;  // ASIA...
  std::string account;
  std::string sealed;         // secret access key and session token, sealed together
  int64_t expires_ms = 0;
  int64_t created_ms = 0;
  std::string doc;            // JSON: who (role or user), session name, policies, tags
};

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;

  virtual Result<std::optional<IamEntity>> GetEntity(const std::string& account,
                                                     const std::string& kind,
                                                     const std::string& name) = 0;
  // Ordered by name_key, starting after `after_name` (its name_key; "" = from the start),
  // only those whose path starts with path_prefix, at most limit.
  virtual Result<std::vector<IamEntity>> ListEntities(const std::string& account,
                                                      const std::string& kind,
                                                      const std::string& path_prefix,
                                                      const std::string& after_name,
                                                      size_t limit) = 0;
  // Counts the account's entities of each of `kinds` in the database (a range of the primary
  // key per kind; the "policy" rows' attachment counts are summed there too): no entity is
  // read into memory, so GetAccountSummary's cost does not grow with what it reads back.
  virtual Result<IamEntityCounts> CountEntities(const std::string& account,
                                                const std::vector<std::string>& kinds) = 0;
  // All or nothing, in order. kWriteConflict when an entity is not at its revision;
  // kResourceExists when a create's name is taken; kConflict when a deleted user
  // still has access keys. `op` names the change rows' kind.
  virtual Status WriteEntities(const std::vector<EntityWrite>& writes, const std::string& op) = 0;
  // The sealed secret an entity write stored under `entity_id` (EntityWrite::sealed_secret),
  // nullopt when there is none.
  virtual Result<std::optional<std::string>> GetEntitySecret(const std::string& entity_id) = 0;

  // kResourceNotFound when the user does not exist; kLimitExceeded when it has max_per_user
  // keys already (checked under the user row's lock: concurrent creates cannot pass it).
  virtual Status PutUserAccessKey(const UserAccessKey& key, size_t max_per_user) = 0;
  virtual Result<std::optional<UserAccessKey>> GetUserAccessKey(const std::string& id) = 0;
  // The user's keys, by id (a user has at most a few).
  virtual Result<std::vector<UserAccessKey>> ListUserAccessKeys(const std::string& account,
                                                                const std::string& user) = 0;
  // kResourceNotFound when no such key of that user.
  virtual Status SetUserAccessKeyStatus(const std::string& account, const std::string& user,
                                        const std::string& id, const std::string& status) = 0;
  virtual Status DeleteUserAccessKey(const std::string& account, const std::string& user,
                                     const std::string& id) = 0;
  // Renames a user, all or nothing: moves the user's access keys (`rebound`: every key the
  // user has, each re-sealed for the new name by auth::IdentityResolver::RebindUserKeys)
  // from `old_name` to the new name, then applies `writes` (the user's row under its new
  // name, its groups' member lists). kWriteConflict when the user's keys are not exactly
  // `rebound` any more (one created or deleted meanwhile) or an entity is not at its
  // revision; kResourceExists when the new name is taken.
  virtual Status RenameUser(const std::string& account, const std::string& old_name,
                            const std::vector<UserAccessKey>& rebound,
                            const std::vector<EntityWrite>& writes) = 0;
  // Each key's last use becomes the given one unless the store already holds a later one
  // (several nodes flush their own uses in any order); keys deleted meanwhile are skipped.
  // Appends no change rows: no cache holds a key's last use, and a key's use must not drop
  // the cached credentials it was used with.
  virtual Status RecordAccessKeyUses(const std::vector<AccessKeyUse>& uses) = 0;

  // Last accessed information (IAM access advisor). Uses reach the store in batches from each
  // node's in-memory log (auth/service_use_log.h), never one write per call. For each use the
  // store keeps, per (account, entity, service, action), the latest (a tie keeps the stored
  // one), and per (account, entity, service) with action "" the latest of any action: nodes
  // may flush in any order. Appends no change rows (no cache holds a use, and a use must not
  // drop the cached credentials it was made with). Uses are not checked against the
  // entities: one of an entity deleted meanwhile stays, unreachable (a new entity of the
  // same name has another id).
  virtual Status RecordServiceUses(const std::vector<ServiceUse>& uses) = 0;
  // Every stored use of the entities (by unique id) of the account, at most kMaxListLimit
  // per entity, in no particular order.
  virtual Result<std::vector<ServiceUse>> ListServiceUses(
      const std::string& account, const std::vector<std::string>& entity_ids) = 0;
  // When this store began tracking uses: the first run of the schema step that added them
  // (its database's clock at that moment), for every node on the store alike.
  virtual Result<int64_t> ServiceUseTrackingSince() = 0;
  // Stores a new job (kResourceExists when its id is taken) and, in the same transaction,
  // bounds what the jobs hold: drops up to kJobPurgeBatch jobs (of any account) that expired
  // before job.created_ms, more than one insert adds, so expired reports do not pile up; and
  // keeps at most kJobsPerOwner jobs of job.owner and kJobsPerAccount of job.account, the new
  // one included, dropping the oldest (created_ms, then id) beyond them.
  static constexpr size_t kJobPurgeBatch = 100;
  static constexpr size_t kJobsPerOwner = 20;
  static constexpr size_t kJobsPerAccount = 200;
  virtual Status PutServiceAccessJob(const ServiceAccessJob& job) = 0;
  // The job, nullopt when there is none (or it expired before now_ms).
  virtual Result<std::optional<ServiceAccessJob>> GetServiceAccessJob(const std::string& job_id,
                                                                      int64_t now_ms) = 0;

  // kResourceExists when the id is taken.
  virtual Status PutSession(const StsSession& session) = 0;
  virtual Result<std::optional<StsSession>> GetSession(const std::string& id) = 0;
  // Deletes sessions expired before before_ms, at most limit; returns how many.
  virtual Result<size_t> DeleteExpiredSessions(int64_t before_ms, size_t limit) = 0;
};

// Lower case (ASCII): IAM names compare case-insensitively.
inline std::string IamNameKey(std::string name) {
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

}  // namespace arcana::storage
