// Secrets Manager replication. A replica is a secret in another region of this same
// server that presents its primary's versions and metadata (a live view, so it is always
// in step), refuses writes, and becomes a standalone secret on StopReplicationToReplica.
#include <algorithm>

#include "crypto/envelope.h"
#include "crypto/aead.h"
#include "services/common/write_retry.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/secretsmanager/sm_encode.h"

namespace arcana::services::sm {

namespace {


// A region name: one or more lowercase words, each followed by '-', then digits
// ("us-east-1", "eu-central-2"). Checked with a loop rather than std::regex, whose
// libstdc++ matcher recurses per character on caller-supplied text.
bool ValidRegion(const std::string& r) {
  size_t i = 0, words = 0;
  while (i < r.size() && r[i] >= 'a' && r[i] <= 'z') {
    while (i < r.size() && r[i] >= 'a' && r[i] <= 'z') ++i;
    if (i >= r.size() || r[i] != '-') return false;
    ++i;
    ++words;
  }
  if (words == 0 || i >= r.size()) return false;
  for (; i < r.size(); ++i) {
    if (r[i] < '0' || r[i] > '9') return false;
  }
  return true;
}

// The same ARN in another region (replicas keep the primary's name and suffix).
std::string ArnInRegion(const std::string& arn, const std::string& region) {
  // arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>
  size_t p1 = arn.find(':', std::string("arn:aws:secretsmanager").size());
  size_t p2 = arn.find(':', p1 + 1);
  return arn.substr(0, p1 + 1) + region + arn.substr(p2);
}

std::string ReplicationOutput(const Secret& primary, const ReplicaAccessDates& accessed) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "ARN", primary.arn);
  w.Key("ReplicationStatus");
  WriteReplicationStatus(w, primary, accessed);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace

Result<ReplicaAccessDates> SecretsManagerService::ReplicaAccess(const Secret& primary) {
  ReplicaAccessDates dates;
  for (const auto& r : primary.replicas) {
    if (r.status != "InSync") continue;  // no replica of its own there
    ARCANA_ASSIGN_OR_RETURN(auto replica,
                            store_.GetSecretByArn(ArnInRegion(primary.arn, r.region)));
    if (replica && replica->primary_arn == primary.arn && replica->last_accessed_ms) {
      dates[r.region] = *replica->last_accessed_ms;
    }
  }
  return dates;
}

Status SecretsManagerService::AddReplicas(Secret& primary, const rapidjson::Value& regions,
                                          bool force_overwrite, const CallContext& ctx,
                                          std::vector<storage::SecretWrite>& writes,
                                          std::vector<storage::SecretDelete>& deleted) {
  for (const auto& r : regions.GetArray()) {
    json::Input ri(r);
    std::string region = ri.Str("Region").value_or("");
    std::string kms = ri.Str("KmsKeyId").value_or("");
    if (!ValidRegion(region)) {
      return Status(ErrorCode::kInvalidParameter, "Invalid Region: " + region);
    }
    if (region == primary.region) {
      return Status(ErrorCode::kInvalidParameter, "Invalid replica region.");  // AWS's words
    }
    // The replica's key lives in the replica's region and must be able to encrypt there (it
    // seals the values on promotion): a key missing, disabled or pending deletion fails the
    // replication, as AWS's troubleshooting guide has it ("The KMS key is disabled or not
    // found"). Checked as the service itself, as CreateSecret's CheckKey is.
    Status key_usable = Status::Ok();
    if (!kms.empty()) {
      key_usable = keys_.KmsKeyError(
          crypto::KeyScope{ctx.account, region, "alias/aws/secretsmanager", nullptr}, kms);
    }
    auto existing_status = std::find_if(primary.replicas.begin(), primary.replicas.end(),
                                        [&](const auto& x) { return x.region == region; });
    if (existing_status != primary.replicas.end() && existing_status->status == "InSync") {
      // An unusable new key leaves the working replica as it is, on its old key (which its
      // ReplicationStatus KmsKeyId keeps showing), rather than one that cannot be promoted.
      if (key_usable.ok()) existing_status->kms_key_id = kms;
      continue;
    }
    if (existing_status != primary.replicas.end()) primary.replicas.erase(existing_status);
    domain::sm::ReplicaStatus status;
    status.region = region;
    status.kms_key_id = kms;
    auto fail = [&](const std::string& why) {
      status.status = "Failed";
      status.status_message = "Replication failed: " + why;
      primary.replicas.push_back(status);
    };
    ARCANA_ASSIGN_OR_RETURN(auto clash, store_.GetSecretByName({ctx.account, region}, primary.name));
    if (clash && !force_overwrite) {
      fail("Secret name " + primary.name + " already exists in region " + region + ".");
      continue;
    }
    if (clash && !clash->replicas.empty()) {
      fail("the secret in the destination Region is itself a primary with replicas.");
      continue;
    }
    if (clash && clash->IsReplica() && clash->primary_arn != primary.arn) {
      // Another primary lists it as its replica: replacing it would leave that primary
      // reporting InSync for a secret that is no longer its own (and unable to delete
      // itself). Its owner removes it first (RemoveRegionsFromReplication).
      fail("the secret in the destination Region is a replica of another primary secret "
           "in region " + clash->primary_region + ".");
      continue;
    }
    if (!key_usable.ok()) {
      // Nothing is made or replaced: no replica row, the clashing secret left in place.
      fail("the KMS key " + kms + " can't be used in region " + region + ": " +
           key_usable.message());
      continue;
    }
    if (clash) {
      // Replaced at the revision read: a concurrent change of it makes this commit conflict.
      deleted.push_back({clash->arn, clash->revision, "ReplicateSecretToRegions"});
    }
    Secret replica;
    replica.arn = ArnInRegion(primary.arn, region);
    replica.name = primary.name;
    replica.account = primary.account;
    replica.region = region;
    replica.created_ms = ctx.now_ms;
    replica.primary_arn = primary.arn;
    replica.primary_region = primary.region;
    writes.push_back({std::move(replica), {}, {}, ""});  // change: the operation's
    primary.replicas.push_back(status);
  }
  return Status::Ok();
}

Result<std::string> SecretsManagerService::ReplicateSecretToRegions(const In& in,
                                                                    const CallContext& ctx) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    // A managed secret is copied nowhere its owner does not know of: a replica would keep
    // an EventBridge connection's password after DeleteConnection deletes the secret.
    ARCANA_RETURN_IF_ERROR(RefuseManaged(s));
    std::vector<storage::SecretWrite> writes(1);
    std::vector<storage::SecretDelete> deleted;
    ARCANA_RETURN_IF_ERROR(AddReplicas(s, *in.Get("AddReplicaRegions"),
                                       in.Bool("ForceOverwriteReplicaSecret").value_or(false),
                                       ctx, writes, deleted));
    s.last_changed_ms = ctx.now_ms;
    writes[0].secret = s;
    Status committed =
        Commit(std::move(writes), std::move(deleted), "ReplicateSecretToRegions");
    if (committed.code() == ErrorCode::kResourceExists ||
        committed.code() == ErrorCode::kAlreadyExists) {
      // A secret of that name appeared in a replica region meanwhile: decide again.
      return Status(ErrorCode::kWriteConflict, committed.message());
    }
    ARCANA_RETURN_IF_ERROR(committed);
    ARCANA_ASSIGN_OR_RETURN(auto accessed, ReplicaAccess(s));
    return ReplicationOutput(s, accessed);
  });
}

Result<std::string> SecretsManagerService::RemoveRegionsFromReplication(const In& in,
                                                                        const CallContext& ctx) {
  auto regions = in.StrList("RemoveReplicaRegions").value_or(std::vector<std::string>{});
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    std::vector<storage::SecretDelete> deleted;
    bool removed = false;
    for (const auto& region : regions) {
      auto it = std::find_if(s.replicas.begin(), s.replicas.end(),
                             [&](const auto& x) { return x.region == region; });
      if (it == s.replicas.end()) continue;  // not (or no longer) a replica region: a no-op
      // A replica changes only together with its primary, whose revision this commit checks.
      if (it->status == "InSync") {
        deleted.push_back({ArnInRegion(s.arn, region), 0, "RemoveRegionsFromReplication"});
      }
      s.replicas.erase(it);
      removed = true;
    }
    if (!removed) {  // nothing to change: no write, no new date
      ARCANA_ASSIGN_OR_RETURN(auto accessed, ReplicaAccess(s));
      return ReplicationOutput(s, accessed);
    }
    s.last_changed_ms = ctx.now_ms;
    std::vector<storage::SecretWrite> writes(1);
    writes[0].secret = s;
    ARCANA_RETURN_IF_ERROR(
        Commit(std::move(writes), std::move(deleted), "RemoveRegionsFromReplication"));
    ARCANA_ASSIGN_OR_RETURN(auto accessed, ReplicaAccess(s));
    return ReplicationOutput(s, accessed);
  });
}

Result<std::string> SecretsManagerService::StopReplicationToReplica(const In& in,
                                                                    const CallContext& ctx) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Loaded l, Load(ctx, in.Str("SecretId").value_or("")));
    if (!l.replica) {
      return Status(ErrorCode::kInvalidParameter,
                    "StopReplicationToReplica applies only to a replica secret; " + l.self.name +
                        " in " + l.self.region + " is not a replica.");
    }
    Secret& primary = l.primary;
    Secret promoted = primary;  // metadata, tags, versions and labels as of now
    promoted.revision = l.self.revision;  // the replica's own row is what this replaces
    promoted.arn = l.self.arn;
    promoted.region = l.self.region;
    promoted.created_ms = l.self.created_ms;
    promoted.last_accessed_ms = l.self.last_accessed_ms;  // its own region's reads
    promoted.replicas.clear();
    promoted.primary_arn.clear();
    promoted.primary_region.clear();
    promoted.resource_policy.reset();
    promoted.kms_key_id.clear();
    for (const auto& r : primary.replicas)
      if (r.region == promoted.region) promoted.kms_key_id = r.kms_key_id;
    storage::SecretWrite pw;
    // Each value is re-sealed: its encryption context names the promoted secret's own ARN.
    for (auto& v : promoted.versions) {
      if (!v.has_value) continue;
      ARCANA_ASSIGN_OR_RETURN(std::string plain, OpenVersion(primary, v));
      auto sealed = SealVersion(promoted, promoted.kms_key_id, v.version_id, plain);
      crypto::SecureWipe(plain);
      if (!sealed.ok()) return sealed.status();
      v.kms_key_id = promoted.kms_key_id;
      pw.new_values.push_back({v.version_id, std::move(sealed).value()});
    }
    pw.secret = promoted;
    primary.replicas.erase(
        std::remove_if(primary.replicas.begin(), primary.replicas.end(),
                       [&](const auto& x) { return x.region == promoted.region; }),
        primary.replicas.end());
    primary.last_changed_ms = ctx.now_ms;
    std::vector<storage::SecretWrite> writes;
    writes.push_back({primary, {}, {}, ""});
    writes.push_back(std::move(pw));
    ARCANA_RETURN_IF_ERROR(Commit(std::move(writes), {}, "StopReplicationToReplica"));
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    json::KV(w, "ARN", promoted.arn);
    w.EndObject();
    return json::Finish(buf);
  });
}

}  // namespace arcana::services::sm
