// Secrets Manager replication. A replica is a secret in another region of this same
// server that presents its primary's versions and metadata (a live view, so it is always
// in step), refuses writes, and becomes a standalone secret on StopReplicationToReplica.
#include <algorithm>

#include "crypto/envelope.h"
#include "crypto/aead.h"
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

std::string ReplicationOutput(const Secret& primary) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "ARN", primary.arn);
  w.Key("ReplicationStatus");
  WriteReplicationStatus(w, primary);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace

Status SecretsManagerService::AddReplicas(Secret& primary, const rapidjson::Value& regions,
                                          bool force_overwrite, const CallContext& ctx,
                                          std::vector<storage::SecretWrite>& writes,
                                          std::vector<std::string>& deleted) {
  for (const auto& r : regions.GetArray()) {
    json::Input ri(r);
    std::string region = ri.Str("Region").value_or("");
    std::string kms = ri.Str("KmsKeyId").value_or("");
    if (!ValidRegion(region)) {
      return Status(ErrorCode::kInvalidParameter, "Invalid Region: " + region);
    }
    if (region == primary.region) {
      return Status(ErrorCode::kInvalidParameter,
                    "Invalid replica region: " + region + " is the primary region of the secret.");
    }
    auto existing_status = std::find_if(primary.replicas.begin(), primary.replicas.end(),
                                        [&](const auto& x) { return x.region == region; });
    if (existing_status != primary.replicas.end() && existing_status->status == "InSync") {
      existing_status->kms_key_id = kms;
      continue;
    }
    if (existing_status != primary.replicas.end()) primary.replicas.erase(existing_status);
    domain::sm::ReplicaStatus status;
    status.region = region;
    status.kms_key_id = kms;
    ARCANA_ASSIGN_OR_RETURN(auto clash, store_.GetSecretByName({ctx.account, region}, primary.name));
    if (clash && !force_overwrite) {
      status.status = "Failed";
      status.status_message =
          "Replication failed: Secret name already exists in the destination Region. Use "
          "ForceOverwriteReplicaSecret to overwrite it.";
      primary.replicas.push_back(status);
      continue;
    }
    if (clash) {
      if (!clash->replicas.empty()) {
        status.status = "Failed";
        status.status_message =
            "Replication failed: the secret in the destination Region is itself a primary "
            "with replicas.";
        primary.replicas.push_back(status);
        continue;
      }
      deleted.push_back(clash->arn);
    }
    Secret replica;
    replica.arn = ArnInRegion(primary.arn, region);
    replica.name = primary.name;
    replica.account = primary.account;
    replica.region = region;
    replica.created_ms = ctx.now_ms;
    replica.primary_arn = primary.arn;
    replica.primary_region = primary.region;
    writes.push_back({std::move(replica), {}, {}, {}});
    primary.replicas.push_back(status);
  }
  return Status::Ok();
}

Result<std::string> SecretsManagerService::ReplicateSecretToRegions(const In& in,
                                                                    const CallContext& ctx) {
  std::lock_guard<std::mutex> lock(write_mu_);
  ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
  std::vector<storage::SecretWrite> writes(1);
  std::vector<std::string> deleted;
  ARCANA_RETURN_IF_ERROR(AddReplicas(s, *in.Get("AddReplicaRegions"),
                                     in.Bool("ForceOverwriteReplicaSecret").value_or(false), ctx,
                                     writes, deleted));
  s.last_changed_ms = ctx.now_ms;
  writes[0].secret = s;
  ARCANA_RETURN_IF_ERROR(Commit("ReplicateSecretToRegions", std::move(writes), std::move(deleted)));
  return ReplicationOutput(s);
}

Result<std::string> SecretsManagerService::RemoveRegionsFromReplication(const In& in,
                                                                        const CallContext& ctx) {
  auto regions = in.StrList("RemoveReplicaRegions").value_or(std::vector<std::string>{});
  std::lock_guard<std::mutex> lock(write_mu_);
  ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
  std::vector<std::string> deleted;
  for (const auto& region : regions) {
    auto it = std::find_if(s.replicas.begin(), s.replicas.end(),
                           [&](const auto& x) { return x.region == region; });
    if (it == s.replicas.end()) {
      return Status(ErrorCode::kInvalidParameter,
                    "Region " + region + " is not a replica region of secret " + s.name + ".");
    }
    if (it->status == "InSync") deleted.push_back(ArnInRegion(s.arn, region));
    s.replicas.erase(it);
  }
  s.last_changed_ms = ctx.now_ms;
  std::vector<storage::SecretWrite> writes(1);
  writes[0].secret = s;
  ARCANA_RETURN_IF_ERROR(Commit("RemoveRegionsFromReplication", std::move(writes), std::move(deleted)));
  return ReplicationOutput(s);
}

Result<std::string> SecretsManagerService::StopReplicationToReplica(const In& in,
                                                                    const CallContext& ctx) {
  std::lock_guard<std::mutex> lock(write_mu_);
  ARCANA_ASSIGN_OR_RETURN(Loaded l, Load(ctx, in.Str("SecretId").value_or("")));
  if (!l.replica) {
    return Status(ErrorCode::kInvalidRequest,
                  "StopReplicationToReplica applies only to a replica secret; " + l.self.name +
                      " in " + l.self.region + " is not a replica.");
  }
  Secret& primary = l.primary;
  Secret promoted = primary;  // metadata, tags, versions and labels as of now
  promoted.revision = l.self.revision;  // it overwrites the replica's row
  promoted.arn = l.self.arn;
  promoted.region = l.self.region;
  promoted.created_ms = l.self.created_ms;
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
  primary.replicas.erase(std::remove_if(primary.replicas.begin(), primary.replicas.end(),
                                        [&](const auto& x) { return x.region == promoted.region; }),
                         primary.replicas.end());
  primary.last_changed_ms = ctx.now_ms;
  std::vector<storage::SecretWrite> writes;
  writes.push_back({primary, {}, {}, {}});
  writes.push_back(std::move(pw));
  ARCANA_RETURN_IF_ERROR(Commit("StopReplicationToReplica", std::move(writes)));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "ARN", promoted.arn);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::sm
