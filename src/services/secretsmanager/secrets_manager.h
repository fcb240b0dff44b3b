// The Secrets Manager service (X-Amz-Target "secretsmanager.*", API 2017-10-17): all 23
// operations. Each handler decodes its (model-validated) input, applies the domain rules
// in domain/secretsmanager/, persists through storage::Store in one durable commit, and
// encodes the AWS response. Values are sealed with envelope encryption before they reach
// the store and opened only to answer a read.
// Thread-safety: every handler may run concurrently, in this process and on other nodes
// sharing the store. A write is a read-modify-commit at the revision it read, re-run on
// kWriteConflict (services/common/write_retry.h); its answer reflects the state it committed
// against. Lists read the store a bounded page at a time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/json.h"
#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/root_key.h"
#include "domain/secretsmanager/secret.h"
#include "services/common/service.h"
#include "services/secretsmanager/rotation_launcher.h"
#include "services/secretsmanager/sm_encode.h"
#include "storage/secret_store.h"

namespace arcana::services::sm {

using domain::sm::Secret;
using domain::sm::SecretVersion;

// The data-key scope of a secret's values: its account and region, default key
// alias/aws/secretsmanager.
crypto::KeyScope KeyScopeOf(const Secret& s, const crypto::KeyUseAuthorizer* caller = nullptr);

class SecretsManagerService : public Service {
 public:
  SecretsManagerService(storage::SecretStore& store, crypto::DataKeyProvider& keys,
                        const crypto::RootKey& root);

  std::string_view target_prefix() const override { return "secretsmanager"; }
  std::string_view signing_name() const override { return "secretsmanager"; }
  const ModelValidator& validator() const override { return validator_; }
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const CallContext& ctx) override;
  // The reads of one secret (or of a list of at most 20 named ones): GetSecretValue,
  // DescribeSecret, BatchGetSecretValue. A first read of the day writes LastAccessedDate:
  // that write is refused inline and the call runs on a worker.
  bool MayAnswerInline(std::string_view operation) const override;

  // Deletes secrets whose recovery window has ended (at most `max_secrets` per call). Each
  // purge is committed at the revision that showed the secret expired, so a concurrent
  // RestoreSecret wins. Called periodically (once across a cluster: a leased job).
  // report (may be empty): one DeleteSecret action per purged secret.
  Status PurgeExpired(int64_t now_ms, size_t max_secrets = 10000,
                      const ServiceActionFn& report = {});

  // Whether `caller` may read the value of the secret `arn` (a change's: the primary's, in
  // `region`) in any form a read could take: by its ARN or name, in its region or a
  // replica's, with or without VersionStage AWSCURRENT (secretsmanager:GetSecretValue with
  // the secret's tags and resource policy; a secret that is gone: on its ARN alone). For the
  // change stream (auth/change_visibility.h), where hiding a change leaves a cache stale.
  bool MayReadValue(const CallContext& caller, const std::string& region,
                    const std::string& arn);

  // --- secrets another service keeps here for its callers (sm_managed_ops.cc): AWS's
  // managed secrets, e.g. an EventBridge connection's credentials. Their OwningService (and
  // tag aws:secretsmanager:owningService) is `owning_service`; they are read through this
  // API like any secret (GetSecretValue, with the caller's permissions), but only their
  // owner changes them: UpdateSecret, PutSecretValue, UpdateSecretVersionStage,
  // TagResource, UntagResource, RotateSecret, PutResourcePolicy and
  // ReplicateSecretToRegions refuse (RefuseManaged).
  // These calls are the owner's, made after it authorized its own caller: no Secrets
  // Manager permission is checked (AWS makes them as the owner's service-linked role).
  // A new secret `name` of account/region whose AWSCURRENT version holds the text `value`,
  // under the region's aws/secretsmanager key. Its ARN. kResourceExists when the name is
  // taken.
  Result<std::string> CreateManagedSecret(const std::string& account, const std::string& region,
                                          const std::string& owning_service,
                                          const std::string& name, std::string_view value,
                                          int64_t now_ms);
  // A new AWSCURRENT version holding `value` (the former one becomes AWSPREVIOUS).
  // kResourceNotFound when the secret is gone or scheduled for deletion.
  Status PutManagedSecretValue(const std::string& arn, std::string_view value, int64_t now_ms);
  // Schedules the secret's deletion `recovery_days` from now (0: deleted at once). A secret
  // already gone or already scheduled: OK.
  Status DeleteManagedSecret(const std::string& arn, int recovery_days, int64_t now_ms);

  // --- rotation (sm_rotation_ops.cc). Without a launcher RotateSecret can only store a
  // schedule (RotateImmediately=false). Set before serving; the launcher must outlive this.
  void SetRotationLauncher(RotationLauncher* launcher) { launcher_ = launcher; }
  // A secret's rotation state as a run sees it (by full ARN); nullopt when it is gone.
  struct RotationView {
    std::string arn, account, region, lambda_arn;
    // A managed external secret: the role its rotation runs as (lambda_arn then names its
    // type's managed rotator); "" for a Lambda rotation. And the partner's metadata.
    std::string external_role_arn;
    std::vector<domain::sm::MetadataItem> external_metadata;
    bool enabled = false;
    bool deleted = false;  // scheduled for deletion
    std::optional<int64_t> deletion_ms;  // when it is purged, if scheduled for deletion
    std::optional<int64_t> next_rotation_ms;  // the next window's end (NextRotationDate)
    std::optional<int64_t> next_window_start_ms;  // when the scheduled run is due
    std::string pending_version;  // the version labelled AWSPENDING, "" if none
    bool pending_is_current = false;
    bool token_current = false;  // the version `token` holds AWSCURRENT
    std::string current_version;  // the version labelled AWSCURRENT, "" if none
  };
  Result<std::optional<RotationView>> RotationViewOf(const std::string& arn,
                                                     const std::string& token);
  // A scheduled run's start: adds the empty AWSPENDING version `token` (AWSPENDING leaves
  // the current version if it sat there). kInvalidRequest while another rotation is in
  // progress or rotation is disabled.
  Status BeginRotation(const std::string& arn, const std::string& token, int64_t now_ms);
  // A run that succeeded: LastRotatedDate = now, NextRotationDate from the rules, and the
  // AWSPENDING label leaves version `token` (now AWSCURRENT), as AWS's backend does.
  Status RecordRotation(const std::string& arn, const std::string& token, int64_t now_ms);
  // A run that was given up: NextRotationDate is the next scheduled date counted from now
  // (LastRotatedDate unchanged), when the pending rotation is reattempted.
  Status PostponeRotation(const std::string& arn, int64_t now_ms);
  // Removes version `token` if it still has no value (testSecret's placeholder); a version
  // that got a value only loses AWSPENDING.
  Status DropPlaceholder(const std::string& arn, const std::string& token);
  // The RotationToken of the rotation of secret `arn` whose new version is `token`, for the
  // function's event (AWS: "Secrets Manager validates the identity with the rotation token"
  // the function passes to PutSecretValue): 64 hex characters, a MAC of both under a key
  // derived from the root, so every node checks it without shared state; the same for every
  // run of that rotation. Sensitive: never logged (audit redacts RotationToken).
  std::string RotationTokenOf(const std::string& arn, const std::string& token) const;

 private:
  using In = json::Input;
  using Handler = Result<std::string> (SecretsManagerService::*)(const In&, const CallContext&);

  // A secret as addressed by a caller. For a replica, `data` is its primary, whose
  // versions and metadata it presents; otherwise `data` is the secret itself.
  struct Loaded {
    Secret self;
    Secret primary;  // only set for replicas
    bool replica = false;
    const Secret& data() const { return replica ? primary : self; }
  };

  // --- shared steps (secrets_manager.cc) ---
  // Resolves a SecretId (name, ARN or partial ARN). A name-form id with characters no name
  // may hold is ValidationException before any lookup, as AWS answers it.
  Result<Loaded> Load(const CallContext& ctx, const std::string& secret_id);
  // Load, refusing a replica (NotOnReplica) and a secret scheduled for deletion.
  Result<Secret> LoadWritable(const CallContext& ctx, const std::string& secret_id);
  // A replica changes only through its primary: AWS answers every other write on a replica
  // (and DeleteSecret, RestoreSecret, rotation, replication and policy writes) with this
  // InvalidParameterException.
  static Status NotOnReplica();
  // A secret another service manages (OwningService) changes only through that service
  // (AWS: InvalidRequestException, "The secret is managed by another service, and you must
  // use that service to update it"): its values, labels, metadata, tags and rotation.
  static Status RefuseManaged(const Secret& s);
  // --- authorization (sm_access.cc) ---
  // ctx.action on the secret: its ARN, tags (aws:ResourceTag/*, secretsmanager:ResourceTag/*)
  // and resource policy, with the request's keys (ctx.request_keys). A denial names the
  // secret as the caller did (`as_given`: the SecretId), as AWS does.
  static Status AuthorizeSecret(const CallContext& ctx, const Loaded& l,
                                const std::string& as_given);
  // ctx.action on a secret that does not exist (so an unauthorized caller learns nothing
  // about which names exist): on the ARN the id would name.
  static Status AuthorizeMissing(const CallContext& ctx, const std::string& secret_id);
  // ctx.action on the new secret `arn` named `name` (CreateSecret): aws:RequestTag/* and
  // aws:TagKeys; with tags also secretsmanager:TagResource, with AddReplicaRegions also
  // secretsmanager:ReplicateSecretToRegions, on that secret (as AWS requires).
  static Status AuthorizeCreate(const CallContext& ctx, const std::string& arn,
                                const std::string& name, bool with_tags, bool with_replicas);
  // The caller's lambda:InvokeFunction on a rotation function RotateSecret names or uses
  // (AWS: "You also need lambda:InvokeFunction permissions on the rotation function").
  static Status AuthorizeInvoke(const CallContext& ctx, const std::string& lambda_arn);
  // The secret's own condition keys: secretsmanager:SecretPrimaryRegion and
  // secretsmanager:resource/AllowRotationLambdaArn (when it has a rotation function).
  static void AddSecretKeys(const Loaded& l, auth::policy::ContextKeys* keys);
  // `caller`: on whose behalf a customer-managed KMS key is used (auth::CallerKeyUse: the
  // caller needs kms:GenerateDataKey / kms:Decrypt via Secrets Manager); null: no check.
  Result<std::string> SealVersion(const Secret& s, const std::string& kms_key_id,
                                  const std::string& version_id, std::string_view plaintext,
                                  const crypto::KeyUseAuthorizer* caller = nullptr);
  Result<std::string> OpenVersion(const Secret& s, const SecretVersion& v,
                                  const crypto::KeyUseAuthorizer* caller = nullptr);
  std::string ValueDigest(bool binary, std::string_view value) const;
  // One transaction at the revisions the writes and deletes carry (kWriteConflict if any
  // moved on); `change` names the operation in the change log for writes that name none.
  Status Commit(std::vector<storage::SecretWrite> writes,
                std::vector<storage::SecretDelete> deletes, const std::string& change);
  // Commit of a new secret ("CreateSecret"): its name taken between the read and the commit
  // is kWriteConflict, so that RetryOnConflict reads again and answers for the secret found.
  Status CommitCreation(std::vector<storage::SecretWrite> writes,
                        std::vector<storage::SecretDelete> deletes);
  // Commits a metadata-only change of one secret (at s.revision).
  Status Save(const Secret& s, const std::string& change) {
    return Commit({storage::SecretWrite{s, {}, {}, change}}, {}, change);
  }

  // --- operations ---
  Result<std::string> CreateSecret(const In&, const CallContext&);
  Result<std::string> PutSecretValue(const In&, const CallContext&);
  Result<std::string> UpdateSecret(const In&, const CallContext&);
  Result<std::string> UpdateSecretVersionStage(const In&, const CallContext&);
  Result<std::string> DeleteSecret(const In&, const CallContext&);
  Result<std::string> RestoreSecret(const In&, const CallContext&);
  Result<std::string> TagResource(const In&, const CallContext&);
  Result<std::string> UntagResource(const In&, const CallContext&);
  Result<std::string> GetSecretValue(const In&, const CallContext&);
  Result<std::string> BatchGetSecretValue(const In&, const CallContext&);
  Result<std::string> DescribeSecret(const In&, const CallContext&);
  Result<std::string> ListSecrets(const In&, const CallContext&);
  Result<std::string> ListSecretVersionIds(const In&, const CallContext&);
  Result<std::string> GetRandomPassword(const In&, const CallContext&);
  Result<std::string> PutResourcePolicy(const In&, const CallContext&);
  Result<std::string> GetResourcePolicy(const In&, const CallContext&);
  Result<std::string> DeleteResourcePolicy(const In&, const CallContext&);
  Result<std::string> ValidateResourcePolicy(const In&, const CallContext&);
  Result<std::string> ReplicateSecretToRegions(const In&, const CallContext&);
  Result<std::string> RemoveRegionsFromReplication(const In&, const CallContext&);
  Result<std::string> StopReplicationToReplica(const In&, const CallContext&);
  Result<std::string> RotateSecret(const In&, const CallContext&);
  Result<std::string> CancelRotateSecret(const In&, const CallContext&);

  // --- helpers shared by several operations ---
  // A new value's plaintext. Kept (not consumed) by each write attempt, since a retried
  // attempt seals it again; wiped when the request is done.
  struct NewValue {
    bool binary = false;
    std::string bytes;
    NewValue() = default;
    NewValue(NewValue&&) = default;
    NewValue& operator=(NewValue&&) = default;
    ~NewValue() { crypto::SecureWipe(bytes); }
  };
  // Reads SecretString / SecretBinary. nullopt: neither given. Error: both.
  Result<std::optional<NewValue>> ReadValue(const In& in);
  // Creates (or idempotently finds) a version with the value and stages; returns its id.
  Result<std::string> AddVersion(Secret& s, storage::SecretWrite& w, const std::string& token,
                                 const NewValue& value, const std::vector<std::string>& stages,
                                 int64_t now_ms, bool* created,
                                 const crypto::KeyUseAuthorizer* caller = nullptr);
  // Adds replicas of `primary` to regions; updates primary.replicas and appends writes.
  Status AddReplicas(Secret& primary, const rapidjson::Value& regions, bool force_overwrite,
                     const CallContext& ctx, std::vector<storage::SecretWrite>& writes,
                     std::vector<storage::SecretDelete>& deleted);
  // One bounded page of the caller's secrets that pass ListSecrets-style filters, in the
  // query's order, continuing after query.after. Reads at most `scan_budget` secrets from
  // the store; `next` is set when more may follow (the position to continue after).
  struct FilteredPage {
    std::vector<Loaded> items;
    std::optional<storage::SecretPosition> next;
  };
  Result<FilteredPage> FilteredSecrets(const In& in, const CallContext& ctx,
                                       storage::SecretQuery query, size_t max_results);
  // After a committed manual rotation (PutSecretValue/UpdateSecret) moved the schedule: the
  // scheduled run is due at the new window's start (nothing when window_start_ms is empty).
  void FollowSchedule(const std::string& arn, std::optional<int64_t> window_start_ms);
  // After a committed manual new version abandoned the rotation whose AWSPENDING version was
  // version_id (nothing when it is ""): the engine records it and drops that run's retries.
  void AbandonRun(const std::string& arn, const std::string& version_id);
  // Records LastAccessedDate (day resolution) when the day changed: best effort, one write
  // at the revision read, dropped on conflict, never failing or delaying the read. AWS keeps
  // it per region: a read of a replica records it on the replica's own row (never its
  // primary's, nor the primary's versions); a read of a primary on the secret and the version.
  void TouchAccessed(const Loaded& l, const std::string& version_id, int64_t now_ms);
  // The LastAccessedDate of each of primary's replicas that has one (its own row's, by
  // region), for the primary's ReplicationStatus. One read per InSync replica.
  Result<ReplicaAccessDates> ReplicaAccess(const Secret& primary);

  storage::SecretStore& store_;
  crypto::DataKeyProvider& keys_;
  // Derived from the root on first use: the service is built before the server unseals.
  crypto::DerivedKey digest_key_;
  crypto::DerivedKey page_key_;
  crypto::DerivedKey rotation_token_key_;
  ModelValidator validator_;
  std::unordered_map<std::string, Handler> handlers_;
  RotationLauncher* launcher_ = nullptr;
};

}  // namespace arcana::services::sm
