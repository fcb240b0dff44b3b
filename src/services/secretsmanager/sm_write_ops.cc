// Secrets Manager operations that create or change secrets and their versions.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "domain/secretsmanager/names.h"
#include "domain/secretsmanager/rotation_schedule.h"
#include "domain/secretsmanager/versions.h"
#include "crypto/aead.h"
#include "services/common/write_retry.h"
#include "auth/authorizer.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/secretsmanager/sm_encode.h"

namespace arcana::services::sm {

namespace dsm = domain::sm;

namespace {


Result<std::vector<dsm::Tag>> ReadTags(const json::Input& in, const char* member) {
  std::vector<dsm::Tag> tags;
  const auto* v = in.Get(member);
  if (v == nullptr) return tags;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& t : v->GetArray()) {
    json::Input ti(t);
    pairs.emplace_back(ti.Str("Key").value_or(""), ti.Str("Value").value_or(""));
  }
  ARCANA_RETURN_IF_ERROR(dsm::ValidateTags(pairs));
  for (auto& [k, val] : pairs) tags.push_back({std::move(k), std::move(val)});
  return tags;
}

// True when the request carries a new value (SecretString or SecretBinary member).
bool HasValueMember(const json::Input& in) {
  return in.Has("SecretString") || in.Has("SecretBinary");
}

void MergeTags(std::vector<dsm::Tag>& into, const std::vector<dsm::Tag>& add) {
  for (const auto& t : add) {
    auto it = std::find_if(into.begin(), into.end(), [&](const dsm::Tag& x) { return x.key == t.key; });
    if (it != into.end()) {
      it->value = t.value;
    } else {
      into.push_back(t);
    }
  }
}

// Whether writing version `token` with a value was a manual rotation: AWS counts a
// PutSecretValue or UpdateSecret whose new value becomes AWSCURRENT as a rotation for the
// schedule. The rotation's own write (filling its empty AWSPENDING version) is not one.
bool IsManualRotation(const Secret& s, const std::string& token, bool filled_placeholder) {
  const SecretVersion* v = s.FindVersion(token);
  return !filled_placeholder && v != nullptr && v->HasStage(dsm::kCurrent);
}

// The empty AWSPENDING version of a rotation, which a write with its token fills.
bool IsPlaceholder(const Secret& s, const std::string& token) {
  const SecretVersion* v = s.FindVersion(token);
  return v != nullptr && !v->has_value;
}

// A manual new version (one the write adds, not the rotation's placeholder it fills) abandons
// the rotation in progress (dsm::AbandonRotation); the abandoned version's id, or "".
std::string AbandonIfManual(Secret& s, const std::string& token) {
  if (s.FindVersion(token) != nullptr) return "";  // the placeholder, or a retry of the write
  return dsm::AbandonRotation(s);
}

}  // namespace

void SecretsManagerService::AbandonRun(const std::string& arn, const std::string& version_id) {
  if (launcher_ == nullptr || version_id.empty()) return;
  // The write stands either way: the run stops at its next step without the job's help.
  Status st = launcher_->Abandon(arn, version_id);
  if (!st.ok()) spdlog::warn("rotation of {}: abandoned run not rescheduled: {}", arn, st.message());
}

void SecretsManagerService::FollowSchedule(const std::string& arn,
                                           std::optional<int64_t> window_start_ms) {
  if (launcher_ == nullptr || !window_start_ms) return;
  // The write stands either way: a scheduled run left at its old time finds the window
  // later and waits for it (rotation_runner.h).
  Status st = launcher_->ScheduleAt(arn, *window_start_ms);
  if (!st.ok()) spdlog::warn("rotation of {}: scheduled run not moved: {}", arn, st.message());
}

Result<std::string> SecretsManagerService::AddVersion(Secret& s, storage::SecretWrite& w,
                                                      const std::string& token,
                                                      const NewValue& value,
                                                      const std::vector<std::string>& stages,
                                                      int64_t now_ms, bool* created,
                                                      const crypto::KeyUseAuthorizer* caller) {
  *created = false;
  std::string digest = ValueDigest(value.binary, value.bytes);
  SecretVersion* existing = s.FindVersion(token);
  if (existing != nullptr && existing->has_value) {
    if (existing->value_digest == digest && existing->binary == value.binary) return token;
    return dsm::ClientRequestTokenInUse(token, s.arn);
  }
  if (existing == nullptr) ARCANA_RETURN_IF_ERROR(dsm::CheckVersionQuota(s, now_ms));
  auto sealed = SealVersion(s, s.kms_key_id, token, value.bytes, caller);
  if (!sealed.ok()) return sealed.status();
  if (existing == nullptr) {
    SecretVersion v;
    v.version_id = token;
    v.created_ms = now_ms;
    s.versions.push_back(std::move(v));
    existing = &s.versions.back();
  }
  // Filling the empty AWSPENDING placeholder of a rotation lands here too.
  existing->has_value = true;
  existing->binary = value.binary;
  existing->value_digest = digest;
  existing->kms_key_id = s.kms_key_id;
  w.new_values.push_back({token, std::move(sealed).value()});
  std::vector<std::string> to_attach = stages;
  if (s.FindStage(dsm::kCurrent) == nullptr &&
      std::find(to_attach.begin(), to_attach.end(), dsm::kCurrent) == to_attach.end()) {
    to_attach.push_back(dsm::kCurrent);  // the first version always becomes AWSCURRENT
  }
  ARCANA_RETURN_IF_ERROR(dsm::AttachStagesToNewValue(s, token, to_attach));
  for (auto& id : dsm::PruneVersions(s, now_ms)) w.removed_versions.push_back(std::move(id));
  *created = true;
  return token;
}

Result<std::string> SecretsManagerService::CreateSecret(const In& in, const CallContext& ctx) {
  auth::CallerKeyUse key_use(ctx, "secretsmanager");  // KMS use via Secrets Manager
  // The token names the first version, so it is needed only with a value; SDKs always
  // fill it in, a raw request must carry it (checked before anything else, as AWS does).
  if (HasValueMember(in) && !in.Str("ClientRequestToken")) {
    return dsm::MissingClientRequestToken(ErrorCode::kInvalidRequest);
  }
  std::string name = in.Str("Name").value_or("");
  ARCANA_RETURN_IF_ERROR(dsm::ValidateSecretName(name));
  ARCANA_ASSIGN_OR_RETURN(auto value, ReadValue(in));
  ARCANA_ASSIGN_OR_RETURN(auto tags, ReadTags(in, "Tags"));
  std::string token = in.Str("ClientRequestToken").value_or(crypto::NewUuidV4());
  ARCANA_RETURN_IF_ERROR(dsm::ValidateClientRequestToken(token));

  const auto* replica_regions = in.Get("AddReplicaRegions");
  const bool force_overwrite = in.Bool("ForceOverwriteReplicaSecret").value_or(false);
  // Two creates of one name race to commit a new secret (revision 0): the loser's commit
  // conflicts and its next attempt finds the winner's secret, answering as a retry of the
  // same request (same token and value) or ResourceExistsException.
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(auto existing,
                            store_.GetSecretByName({ctx.account, ctx.region}, name));
    if (existing && existing->deleted_ms && *existing->deleted_ms <= ctx.now_ms) {
      // Its window ended: purge it now (at the revision read, so a restore would win).
      ARCANA_RETURN_IF_ERROR(Commit(
          {}, {storage::SecretDelete{existing->arn, existing->revision, "PurgeSecret"}},
          "PurgeSecret"));
      existing.reset();
    }
    if (existing) {
      ARCANA_RETURN_IF_ERROR(AuthorizeCreate(ctx, existing->arn, name, !tags.empty(),
                                             replica_regions != nullptr));
      if (existing->deleted_ms) {
        return Status(ErrorCode::kInvalidRequest,
                      "You can't create this secret because a secret with this name is already "
                      "scheduled for deletion.");
      }
      // A retry of the same request (same token, same value) succeeds without change; the
      // same token with other data names a version that cannot change.
      const SecretVersion* v = existing->FindVersion(token);
      if (value && v != nullptr && v->has_value &&
          v->value_digest != ValueDigest(value->binary, value->bytes)) {
        return dsm::ClientRequestTokenInUse(token, existing->arn);
      }
      if (value && v != nullptr && v->has_value) {
        rapidjson::StringBuffer buf;
        json::Writer w(buf);
        w.StartObject();
        json::KV(w, "ARN", existing->arn);
        json::KV(w, "Name", existing->name);
        json::KV(w, "VersionId", token);
        w.EndObject();
        return json::Finish(buf);
      }
      return Status(ErrorCode::kResourceExists,
                    "The operation failed because the secret " + name + " already exists.");
    }

    Secret s;
    s.name = name;
    s.account = ctx.account;
    s.region = ctx.region;
    s.arn = dsm::MakeSecretArn(ctx.region, ctx.account, name,
                               dsm::RandomArnSuffix(crypto::RandomUniform));
    ARCANA_RETURN_IF_ERROR(
        AuthorizeCreate(ctx, s.arn, name, !tags.empty(), replica_regions != nullptr));
    if (auto d = in.Str("Description")) {
      s.description = *d;
      s.has_description = true;
    }
    s.kms_key_id = in.Str("KmsKeyId").value_or("");
    if (!s.kms_key_id.empty()) {
      ARCANA_RETURN_IF_ERROR(keys_.CheckKey(KeyScopeOf(s), s.kms_key_id));
    }
    s.type = in.Str("Type").value_or("");
    s.tagged = !tags.empty();
    s.tags = tags;
    s.created_ms = ctx.now_ms;
    s.last_changed_ms = ctx.now_ms;

    std::vector<storage::SecretWrite> writes(1);
    std::vector<storage::SecretDelete> deleted;
    bool created = false;
    if (value) {
      ARCANA_RETURN_IF_ERROR(
          AddVersion(s, writes[0], token, *value, {dsm::kCurrent}, ctx.now_ms, &created,
                     &key_use)
              .status());
    }
    if (replica_regions != nullptr) {
      ARCANA_RETURN_IF_ERROR(
          AddReplicas(s, *replica_regions, force_overwrite, ctx, writes, deleted));
    }
    writes[0].secret = s;
    ARCANA_RETURN_IF_ERROR(CommitCreation(std::move(writes), std::move(deleted)));
    ctx.Touch(audit::kSecretType, s.arn);

    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    json::KV(w, "ARN", s.arn);
    json::KV(w, "Name", s.name);
    if (created) json::KV(w, "VersionId", token);
    if (!s.replicas.empty()) {
      w.Key("ReplicationStatus");
      WriteReplicationStatus(w, s);
    }
    w.EndObject();
    return json::Finish(buf);
  });
}

Result<std::string> SecretsManagerService::PutSecretValue(const In& in, const CallContext& ctx) {
  auth::CallerKeyUse key_use(ctx, "secretsmanager");  // KMS use via Secrets Manager
  if (!in.Str("ClientRequestToken")) {
    return dsm::MissingClientRequestToken(ErrorCode::kInvalidRequest);
  }
  ARCANA_ASSIGN_OR_RETURN(auto value, ReadValue(in));
  if (!value) {
    // AWS's words and code (recorded in Terraform configurations and moto's
    // test_put_secret_binary_requires_either_string_or_binary), before the secret is read.
    return Status(ErrorCode::kInvalidRequest,
                  "You must provide either SecretString or SecretBinary.");
  }
  std::string token = in.Str("ClientRequestToken").value_or(crypto::NewUuidV4());
  ARCANA_RETURN_IF_ERROR(dsm::ValidateClientRequestToken(token));
  std::vector<std::string> stages = in.StrList("VersionStages").value_or(
      std::vector<std::string>{dsm::kCurrent});

  // Two requests with one token race to add the version: the loser re-reads and finds it,
  // answering as a retry (same value) or ResourceExistsException (other value).
  std::string arn;
  std::optional<int64_t> moved_window;  // the scheduled rotation's new due time
  std::string abandoned;  // the AWSPENDING version of a rotation this write abandoned
  ARCANA_ASSIGN_OR_RETURN(std::string body, RetryOnConflict([&]() -> Result<std::string> {
    moved_window.reset();
    abandoned.clear();
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    ARCANA_RETURN_IF_ERROR(RefuseManaged(s));
    // A RotationToken sent for the rotation's AWSPENDING version must be the one that
    // rotation's function was given (RotationTokenOf). Elsewhere it is accepted unchecked, as
    // a member newer SDKs may send (test_wire.py).
    const SecretVersion* pending = s.FindStage(dsm::kPending);
    if (auto rt = in.Str("RotationToken");
        rt && pending != nullptr && pending->version_id == token &&
        !crypto::ConstantTimeEquals(*rt, RotationTokenOf(s.arn, token))) {
      return Status(ErrorCode::kInvalidParameter,
                    "The RotationToken isn't valid for this secret and ClientRequestToken.");
    }
    std::vector<storage::SecretWrite> writes(1);
    bool created = false;
    const bool fills_placeholder = IsPlaceholder(s, token);
    abandoned = AbandonIfManual(s, token);
    ARCANA_RETURN_IF_ERROR(
        AddVersion(s, writes[0], token, *value, stages, ctx.now_ms, &created, &key_use).status());
    if (created) {
      if (IsManualRotation(s, token, fills_placeholder) &&
          dsm::CountManualUpdate(s.rotation, ctx.now_ms)) {
        moved_window = s.rotation.next_window_start_ms;
      }
      s.last_changed_ms = ctx.now_ms;
      writes[0].secret = s;
      ARCANA_RETURN_IF_ERROR(Commit(std::move(writes), {}, "PutSecretValue"));
    }
    arn = s.arn;
    const SecretVersion* v = s.FindVersion(token);
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    json::KV(w, "ARN", s.arn);
    json::KV(w, "Name", s.name);
    json::KV(w, "VersionId", token);
    w.Key("VersionStages");
    WriteStages(w, v ? v->stages : std::vector<std::string>{});
    w.EndObject();
    return json::Finish(buf);
  }));
  AbandonRun(arn, abandoned);
  FollowSchedule(arn, moved_window);
  return body;
}

Result<std::string> SecretsManagerService::UpdateSecret(const In& in, const CallContext& ctx) {
  auth::CallerKeyUse key_use(ctx, "secretsmanager");  // KMS use via Secrets Manager
  // Only a new value creates a version, so only then is the token needed (the docs tie it
  // to the new version); a metadata-only update from a raw caller needs none.
  if (HasValueMember(in) && !in.Str("ClientRequestToken")) {
    return dsm::MissingClientRequestToken(ErrorCode::kInvalidRequest);
  }
  ARCANA_ASSIGN_OR_RETURN(auto value, ReadValue(in));
  // Chosen once: every attempt adds the same version.
  const std::string token = in.Str("ClientRequestToken").value_or(crypto::NewUuidV4());
  std::string arn;
  std::optional<int64_t> moved_window;  // the scheduled rotation's new due time
  std::string abandoned;  // the AWSPENDING version of a rotation this write abandoned
  ARCANA_ASSIGN_OR_RETURN(std::string body, RetryOnConflict([&]() -> Result<std::string> {
    moved_window.reset();
    abandoned.clear();
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    ARCANA_RETURN_IF_ERROR(RefuseManaged(s));
    std::vector<storage::SecretWrite> writes(1);
    if (auto d = in.Str("Description")) {
      s.description = *d;
      s.has_description = true;
    }
    if (auto t = in.Str("Type")) s.type = *t;
    if (auto k = in.Str("KmsKeyId"); k && *k != s.kms_key_id) {
      // Re-encrypt the versions a caller can still reach by label under the new key.
      if (!k->empty()) ARCANA_RETURN_IF_ERROR(keys_.CheckKey(KeyScopeOf(s), *k));
      s.kms_key_id = *k;
      for (auto& v : s.versions) {
        if (!v.has_value || !(v.HasStage(dsm::kCurrent) || v.HasStage(dsm::kPending) ||
                              v.HasStage(dsm::kPrevious))) {
          continue;
        }
        ARCANA_ASSIGN_OR_RETURN(std::string plain, OpenVersion(s, v, &key_use));
        auto sealed = SealVersion(s, s.kms_key_id, v.version_id, plain, &key_use);
        crypto::SecureWipe(plain);
        if (!sealed.ok()) return sealed.status();
        v.kms_key_id = s.kms_key_id;
        writes[0].new_values.push_back({v.version_id, std::move(sealed).value()});
      }
    }
    std::string version_id;
    if (value) {
      ARCANA_RETURN_IF_ERROR(dsm::ValidateClientRequestToken(token));
      if (const SecretVersion* v = s.FindVersion(token); v != nullptr && v->has_value) {
        // Retry of the same UpdateSecret: nothing to do. Other data: versions are immutable.
        if (v->value_digest != ValueDigest(value->binary, value->bytes)) {
          return dsm::ClientRequestTokenInUse(token, s.arn);
        }
      } else {
        bool created = false;
        const bool fills_placeholder = IsPlaceholder(s, token);
        abandoned = AbandonIfManual(s, token);
        ARCANA_RETURN_IF_ERROR(
            AddVersion(s, writes[0], token, *value, {dsm::kCurrent}, ctx.now_ms, &created,
                     &key_use)
                .status());
        if (created && IsManualRotation(s, token, fills_placeholder) &&
            dsm::CountManualUpdate(s.rotation, ctx.now_ms)) {
          moved_window = s.rotation.next_window_start_ms;
        }
      }
      version_id = token;
    }
    s.last_changed_ms = ctx.now_ms;
    writes[0].secret = s;
    ARCANA_RETURN_IF_ERROR(Commit(std::move(writes), {}, "UpdateSecret"));
    arn = s.arn;
    return ArnNameBody(s, version_id);
  }));
  AbandonRun(arn, abandoned);
  FollowSchedule(arn, moved_window);
  return body;
}

Result<std::string> SecretsManagerService::UpdateSecretVersionStage(const In& in,
                                                                    const CallContext& ctx) {
  std::string stage = in.Str("VersionStage").value_or("");
  std::string remove_from = in.Str("RemoveFromVersionId").value_or("");
  std::string move_to = in.Str("MoveToVersionId").value_or("");
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    ARCANA_RETURN_IF_ERROR(RefuseManaged(s));
    ARCANA_RETURN_IF_ERROR(dsm::MoveStage(s, stage, remove_from, move_to));
    s.last_changed_ms = ctx.now_ms;
    ARCANA_RETURN_IF_ERROR(Save(s, "UpdateSecretVersionStage"));
    return ArnNameBody(s);
  });
}

Result<std::string> SecretsManagerService::DeleteSecret(const In& in, const CallContext& ctx) {
  auto window = in.Int("RecoveryWindowInDays");
  bool force = in.Bool("ForceDeleteWithoutRecovery").value_or(false);
  // The window's range is checked first: an out-of-range window is refused as such even
  // alongside ForceDeleteWithoutRecovery.
  if (window && (*window < 7 || *window > 30)) {
    return Status(ErrorCode::kInvalidParameter,
                  "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
  }
  if (window && in.Has("ForceDeleteWithoutRecovery") && force) {
    return Status(ErrorCode::kInvalidParameter,
                  "You can't use ForceDeleteWithoutRecovery in conjunction with "
                  "RecoveryWindowInDays.");
  }
  std::string id = in.Str("SecretId").value_or("");
  return RetryOnConflict([&]() -> Result<std::string> {
    auto loaded = Load(ctx, id);
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    if (!loaded.ok()) {
      if (force && loaded.status().code() == ErrorCode::kResourceNotFound) {
        // Documented: a forced delete of a secret that does not exist succeeds (so retries
        // succeed); AWS answers as if it had existed, with its Name and an ARN.
        auto [gone_name, gone_arn] =
            dsm::ForcedDeleteIdentity(id, ctx.region, ctx.account, crypto::RandomUniform);
        w.StartObject();
        json::KV(w, "ARN", gone_arn);
        json::KV(w, "Name", gone_name);
        w.Key("DeletionDate");
        json::WriteTimestamp(w, ctx.now_ms);
        w.EndObject();
        return json::Finish(buf);
      }
      return loaded.status();
    }
    Secret s = std::move(loaded->self);
    if (loaded->replica) return NotOnReplica();
    if (!s.replicas.empty()) {
      // AWS's words: the ARN, then the replica regions in the order they were added.
      std::string regions;
      for (const auto& r : s.replicas) regions += (regions.empty() ? "" : ", ") + r.region;
      return Status(ErrorCode::kInvalidParameter,
                    "You can't delete secret " + s.arn + " that still has replica regions [" +
                        regions + "].");
    }
    if (s.deleted_ms && !force) {
      return Status(ErrorCode::kInvalidRequest,
                    "You can't perform this operation on the secret because it was already "
                    "scheduled for deletion.");
    }
    int64_t deletion;
    if (force) {
      deletion = ctx.now_ms;
      ARCANA_RETURN_IF_ERROR(
          Commit({}, {storage::SecretDelete{s.arn, s.revision, "DeleteSecret"}}, "DeleteSecret"));
    } else {
      deletion = ctx.now_ms + window.value_or(30) * 24LL * 3600 * 1000;
      s.deleted_ms = deletion;
      ARCANA_RETURN_IF_ERROR(Save(s, "DeleteSecret"));
    }
    w.StartObject();
    json::KV(w, "ARN", s.arn);
    json::KV(w, "Name", s.name);
    w.Key("DeletionDate");
    json::WriteTimestamp(w, deletion);
    w.EndObject();
    return json::Finish(buf);
  });
}

Result<std::string> SecretsManagerService::RestoreSecret(const In& in, const CallContext& ctx) {
  std::string resume_arn;  // a restored secret whose rotation goes on
  ARCANA_ASSIGN_OR_RETURN(std::string body, RetryOnConflict([&]() -> Result<std::string> {
    resume_arn.clear();
    ARCANA_ASSIGN_OR_RETURN(Loaded l, Load(ctx, in.Str("SecretId").value_or("")));
    if (l.replica) return NotOnReplica();
    Secret s = std::move(l.self);
    if (s.deleted_ms) {
      s.deleted_ms.reset();
      s.last_changed_ms = ctx.now_ms;
      ARCANA_RETURN_IF_ERROR(Save(s, "RestoreSecret"));
    }
    // Also when it was restored already: a RestoreSecret retried after Resume failed resumes.
    if (s.rotation.enabled.value_or(false)) resume_arn = s.arn;
    return ArnNameBody(s);
  }));
  // The secret keeps its rotation: its job waited while the secret was deleted (a retry, or
  // the scheduled run) and is due again now (rotation_runner.h).
  if (launcher_ != nullptr && !resume_arn.empty()) {
    ARCANA_RETURN_IF_ERROR(launcher_->Resume(resume_arn, ctx.now_ms));
  }
  return body;
}

Result<std::string> SecretsManagerService::TagResource(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto tags, ReadTags(in, "Tags"));
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    ARCANA_RETURN_IF_ERROR(RefuseManaged(s));
    MergeTags(s.tags, tags);
    s.tagged = true;  // from now on Describe/List show Tags, [] once all are removed
    std::vector<std::pair<std::string, std::string>> all;
    for (const auto& t : s.tags) all.emplace_back(t.key, t.value);
    ARCANA_RETURN_IF_ERROR(dsm::ValidateTags(all));  // the 50-tag limit counts the union
    s.last_changed_ms = ctx.now_ms;
    ARCANA_RETURN_IF_ERROR(Save(s, "TagResource"));
    return std::string("{}");
  });
}

Result<std::string> SecretsManagerService::UntagResource(const In& in, const CallContext& ctx) {
  auto keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  ARCANA_RETURN_IF_ERROR(dsm::ValidateTagKeys(keys));
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    ARCANA_RETURN_IF_ERROR(RefuseManaged(s));
    s.tags.erase(std::remove_if(s.tags.begin(), s.tags.end(),
                                [&](const dsm::Tag& t) {
                                  return std::find(keys.begin(), keys.end(), t.key) !=
                                         keys.end();
                                }),
                 s.tags.end());
    s.last_changed_ms = ctx.now_ms;
    ARCANA_RETURN_IF_ERROR(Save(s, "UntagResource"));
    return std::string("{}");
  });
}

}  // namespace arcana::services::sm
