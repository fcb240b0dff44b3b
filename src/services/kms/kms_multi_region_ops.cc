// Multi-Region keys: ReplicateKey and UpdatePrimaryRegion. The related keys of a
// multi-Region key share its key id ("mrk-..."), key material (one set of material rows,
// sealed under a region-neutral AAD), spec, usage and origin (imported material: the same
// material ids, but each region imports, expires and deletes its own copy); description, policy, tags,
// aliases, grants and enabled state are each region's own. Which key is primary is stored in
// every related key (Key::primary_region) and changed for all of them in one transaction;
// the list of replicas is read from the store (KeyRing::RelatedKeys), never kept apart.
#include <algorithm>

#include "domain/kms/rules.h"
#include "services/common/write_retry.h"
#include "services/kms/kms_access.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace dk = domain::kms;


namespace {

Status CheckMultiRegion(const Key& key) {
  if (!key.multi_region) {
    return Status(ErrorCode::kUnsupportedOperation,
                  key.arn + " is not a multi-Region key.");
  }
  return Status::Ok();
}

Status CheckPrimary(const Key& key) {
  if (key.is_replica()) {
    // AWS's wording (LocalStack's AWS-validated test_replicate_replica_key_should_fail).
    return Status(ErrorCode::kUnsupportedOperation,
                  key.arn + " is not a multi-region primary key.");
  }
  return Status::Ok();
}

// An AWS region name (us-east-1, ap-southeast-2, us-gov-west-1, ...).
bool IsRegionName(std::string_view r) {
  if (r.empty() || r.size() > 32) return false;
  int dashes = 0;
  for (char c : r) {
    if (c == '-') {
      ++dashes;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return dashes >= 2 && r.back() >= '0' && r.back() <= '9' && r.front() != '-';
}

// kValidation in AWS's words unless `region` (the value of `member`) is a region name.
Status CheckRegionName(const std::string& region, const char* member) {
  if (IsRegionName(region)) return Status::Ok();
  return Status(ErrorCode::kValidation,
                "1 validation error detected: Value '" + region + "' at '" + member +
                    "' failed to satisfy constraint: Member must satisfy regular expression "
                    "pattern: ^([a-z]+-){2,3}\\d+$");
}

// `action` on "*" as a request made in the replica Region (aws:RequestedRegion is that
// Region), with the request's keys (aws:RequestTag/K, aws:TagKeys, ...) and those of the
// replica it creates (kms:KeySpec, kms:MultiRegionKeyType REPLICA, ...: the properties "of
// the KMS key that is created by" the operation).
Status AuthorizeInReplicaRegion(const CallContext& ctx, const std::string& region,
                                const char* action, const Key& replica) {
  if (ctx.authorizer == nullptr) return Status::Ok();
  CallContext in_region = ctx;
  in_region.region = region;
  in_region.action = action;
  auth::AccessRequest req;
  req.action = action;
  req.resource_arn = "*";
  if (ctx.request_keys) req.keys = *ctx.request_keys;
  AddKeyPropertyKeys(replica, &req.keys);
  return auth::Check(in_region, req);
}

}  // namespace

Result<std::string> KmsService::ReplicateKey(const In& in, const CallContext& ctx) {
  std::string region = in.Str("ReplicaRegion").value_or("");
  ARCANA_RETURN_IF_ERROR(CheckRegionName(region, "replicaRegion"));
  std::string policy = dk::DefaultKeyPolicy(ctx.account);
  if (auto p = in.Str("Policy")) {
    ARCANA_RETURN_IF_ERROR(CheckStorableKeyPolicy(*p, principal_exists_));
    policy = *p;
  }
  std::map<std::string, std::string> tags;
  ARCANA_RETURN_IF_ERROR(ReadKmsTags(in, tags));
  ARCANA_RETURN_IF_ERROR(dk::ValidateTags(tags));
  Key replica;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    // AWS: "kms:CreateKey in an IAM policy in the replica Region. To use the Tags parameter,
    // kms:TagResource in an IAM policy in the replica Region", besides kms:ReplicateKey on
    // the primary key (ManagedKeyFor).
    Key created = key;  // what the replica's properties will be
    created.region = region;
    ARCANA_RETURN_IF_ERROR(AuthorizeInReplicaRegion(ctx, region, "kms:CreateKey", created));
    if (in.Has("Tags")) {
      ARCANA_RETURN_IF_ERROR(AuthorizeInReplicaRegion(ctx, region, "kms:TagResource", created));
    }
    ARCANA_RETURN_IF_ERROR(CheckMultiRegion(key));
    ARCANA_RETURN_IF_ERROR(CheckPrimary(key));
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
    if (region == key.region) {
      return Status(ErrorCode::kValidation,
                    "The replica region " + region + " is the region of the primary key.");
    }
    replica = key;
    replica.revision = 0;
    replica.region = region;
    replica.arn = dk::KeyArn(region, key.account, key.key_id);
    replica.created_ms = ctx.now_ms;
    replica.description = in.Str("Description").value_or("");
    replica.policy = policy;
    replica.tags = tags;
    replica.primary_region = key.region;
    replica.key_state = key.key_state == dk::kStateDisabled ? dk::kStateEnabled : key.key_state;
    // A replica of imported material starts without it (CreateReplica).
    if (key.external()) replica.key_state = dk::kStatePendingImport;
    replica.deletion_ms.reset();
    replica.pending_window_days = 0;
    // Rotation is the primary's to run; the replicas receive its materials.
    replica.rotation_enabled = false;
    if (in.Has("Policy")) ARCANA_RETURN_IF_ERROR(CheckPolicyLockout(in, ctx, replica));
    Status st = ring_.CreateReplica(key, replica);
    if (st.code() == ErrorCode::kAlreadyExists) {
      return Status(ErrorCode::kAlreadyExists,
                    "Replica key " + replica.arn + " already exists.");
    }
    return st;
  }));
  ARCANA_ASSIGN_OR_RETURN(auto related, ring_.RelatedKeys(replica));
  return Body([&](json::Writer& w) {
    // AWS answers with the replica in its transient Creating state (Enabled false), whatever
    // state it settles in a few seconds later (ReplicateKey's documentation; LocalStack's
    // AWS-validated test_replicate_key recording). Here it is settled already, so DescribeKey
    // in the replica's region answers Enabled (or PendingImport) at once.
    Key creating = replica;
    creating.key_state = dk::kStateCreating;
    w.Key("ReplicaKeyMetadata");
    WriteKeyMetadata(w, creating, related);
    json::KV(w, "ReplicaPolicy", replica.policy);
    // Absent when the replica has no tags (the same recording).
    if (!replica.tags.empty()) {
      w.Key("ReplicaTags");
      w.StartArray();
      for (const auto& [k, v] : replica.tags) {
        w.StartObject();
        json::KV(w, "TagKey", k);
        json::KV(w, "TagValue", v);
        w.EndObject();
      }
      w.EndArray();
    }
  });
}

Result<std::string> KmsService::UpdatePrimaryRegion(const In& in, const CallContext& ctx) {
  std::string region = in.Str("PrimaryRegion").value_or("");
  ARCANA_RETURN_IF_ERROR(CheckRegionName(region, "primaryRegion"));
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    ARCANA_RETURN_IF_ERROR(CheckMultiRegion(key));
    ARCANA_RETURN_IF_ERROR(CheckPrimary(key));
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
    if (region == key.region) return Status::Ok();  // already the primary
    // AWS: "Both the primary key and the replica key must be in the Enabled key state."
    // (DisabledException for a disabled one, as the model lists; pending import:
    // KMSInvalidStateException.)
    ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
    ARCANA_ASSIGN_OR_RETURN(auto related, ring_.RelatedKeys(key));
    auto target = std::find_if(related.begin(), related.end(),
                               [&](const Key& k) { return k.region == region; });
    if (target == related.end()) {
      return Status(ErrorCode::kKmsNotFound,
                    "Key '" + dk::KeyArn(region, key.account, key.key_id) + "' does not exist");
    }
    // AWS: "kms:UpdatePrimaryRegion on the current replica key (in the replica key's Region).
    // Include this permission in the replica key's key policy", besides the primary's.
    CallContext in_replica_region = ctx;
    in_replica_region.region = target->region;
    ARCANA_RETURN_IF_ERROR(AuthorizeKey(in_replica_region, *target));
    ctx.Touch(audit::kKmsKeyType, target->arn);
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(*target));
    ARCANA_RETURN_IF_ERROR(dk::CheckUsable(*target));
    std::vector<storage::KmsKeyWrite> writes;
    for (auto& k : related) {
      k.primary_region = region;
      if (k.region == region) {
        // The automatic rotation schedule moves with the primary.
        k.rotation_enabled = key.rotation_enabled;
        k.rotation_period_days = key.rotation_period_days;
        k.rotation_base_ms = key.rotation_base_ms;
      } else {
        k.rotation_enabled = false;
      }
      writes.push_back({std::move(k), {}, {}});
    }
    return ring_.store().WriteKmsKeys(writes, "UpdatePrimaryRegion");
  }));
  return std::string("{}");
}

}  // namespace arcana::services::kms
