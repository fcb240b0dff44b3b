#include "services/kms/key_ring.h"

#include <algorithm>
#include <map>
#include <set>

#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/hash.h"
#include "crypto/kms_ciphertext.h"
#include "crypto/random.h"
#include "domain/kms/rules.h"
#include "domain/kms/specs.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {

constexpr size_t kMaxCachedMaterials = 10000;

// Services that get an AWS-managed key under alias/aws/<service> on first use.
bool IsKnownAwsManagedAlias(std::string_view alias) {
  static const std::set<std::string, std::less<>> kServices = {
      "secretsmanager", "ssm", "s3", "ebs", "rds", "lambda", "dynamodb", "sns", "sqs",
      "backup", "elasticfilesystem", "redshift", "kinesis", "glue", "logs", "acm"};
  if (!alias.starts_with("alias/aws/")) return false;
  return kServices.count(alias.substr(10)) > 0;
}

// The Description AWS gives the AWS managed key of a service: "Default key that protects my
// <what> when no other key is defined", <what> as DescribeKey answers it in real accounts
// (aws kms describe-key output and Terraform exports of AWS managed keys quoted publicly);
// "<service> data" for the services without such a record.
std::string AwsManagedDescription(std::string_view service) {
  static const std::map<std::string, std::string, std::less<>> kProtects = {
      {"secretsmanager", "Secrets Manager data"}, {"ssm", "SSM parameters"},
      {"s3", "S3 objects"}, {"ebs", "EBS volumes"}, {"rds", "RDS database volumes"},
      {"lambda", "Lambda functions"}, {"sns", "SNS data"}, {"sqs", "SQS messages"},
      {"backup", "Backup data"}, {"elasticfilesystem", "EFS filesystems"},
      {"acm", "ACM private keys"}, {"dynamodb", "DynamoDB data"}};
  auto it = kProtects.find(service);
  const std::string what = it != kProtects.end() ? it->second : std::string(service) + " data";
  return "Default key that protects my " + what + " when no other key is defined";
}

// The key policies AWS gives the AWS managed keys of Secrets Manager and SSM, statement for
// statement as real accounts' keys have them (a Terraform export of one, quoted publicly);
// the other services' keys get the general shape below.
std::string SecretsManagerKeyPolicy(const std::string& account, const std::string& region) {
  const std::string sid = "Allow access through AWS Secrets Manager for all principals in the "
                          "account that are authorized to use AWS Secrets Manager";
  return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"auto-secretsmanager-2\",\n"
         "  \"Statement\" : [ {\n    \"Sid\" : \"" + sid + "\",\n    \"Effect\" : \"Allow\",\n"
         "    \"Principal\" : {\n      \"AWS\" : \"*\"\n    },\n"
         "    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", "
         "\"kms:CreateGrant\", \"kms:DescribeKey\" ],\n"
         "    \"Resource\" : \"*\",\n    \"Condition\" : {\n      \"StringEquals\" : {\n"
         "        \"kms:CallerAccount\" : \"" + account + "\",\n"
         "        \"kms:ViaService\" : \"secretsmanager." + region + ".amazonaws.com\"\n"
         "      }\n    }\n  }, {\n    \"Sid\" : \"" + sid + "\",\n    \"Effect\" : \"Allow\",\n"
         "    \"Principal\" : {\n      \"AWS\" : \"*\"\n    },\n"
         "    \"Action\" : \"kms:GenerateDataKey*\",\n    \"Resource\" : \"*\",\n"
         "    \"Condition\" : {\n      \"StringEquals\" : {\n"
         "        \"kms:CallerAccount\" : \"" + account + "\"\n      },\n"
         "      \"StringLike\" : {\n"
         "        \"kms:ViaService\" : \"secretsmanager.*.amazonaws.com\"\n      }\n    }\n"
         "  }, {\n    \"Sid\" : \"Allow direct access to key metadata to the account\",\n"
         "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n"
         "      \"AWS\" : \"arn:aws:iam::" + account + ":root\"\n    },\n"
         "    \"Action\" : [ \"kms:Describe*\", \"kms:Get*\", \"kms:List*\", \"kms:RevokeGrant\" ],\n"
         "    \"Resource\" : \"*\"\n  } ]\n}";
}

std::string SsmKeyPolicy(const std::string& account, const std::string& region) {
  return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"auto-ssm-1\",\n"
         "  \"Statement\" : [ {\n    \"Sid\" : \"Allow access through SSM for all principals in "
         "the account that are authorized to use SSM\",\n    \"Effect\" : \"Allow\",\n"
         "    \"Principal\" : {\n      \"AWS\" : \"*\"\n    },\n"
         "    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", "
         "\"kms:GenerateDataKey*\", \"kms:DescribeKey\" ],\n"
         "    \"Resource\" : \"*\",\n    \"Condition\" : {\n      \"StringEquals\" : {\n"
         "        \"kms:CallerAccount\" : \"" + account + "\",\n"
         "        \"kms:ViaService\" : \"ssm." + region + ".amazonaws.com\"\n"
         "      }\n    }\n  }, {\n    \"Sid\" : \"Allow direct access to key metadata to the "
         "account\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n"
         "      \"AWS\" : \"arn:aws:iam::" + account + ":root\"\n    },\n"
         "    \"Action\" : [ \"kms:Describe*\", \"kms:Get*\", \"kms:List*\" ],\n"
         "    \"Resource\" : \"*\"\n  } ]\n}";
}

std::string AwsManagedPolicy(std::string_view account, std::string_view region,
                             std::string_view service) {
  if (service == "secretsmanager") {
    return SecretsManagerKeyPolicy(std::string(account), std::string(region));
  }
  if (service == "ssm") return SsmKeyPolicy(std::string(account), std::string(region));
  return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"auto-" + std::string(service) +
         "-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Allow access through " +
         std::string(service) + " for all principals in the account that are authorized\",\n"
         "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"*\"\n    },\n"
         "    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", "
         "\"kms:GenerateDataKey*\", \"kms:CreateGrant\", \"kms:DescribeKey\" ],\n"
         "    \"Resource\" : \"*\",\n    \"Condition\" : {\n      \"StringEquals\" : {\n"
         "        \"kms:CallerAccount\" : \"" + std::string(account) + "\",\n"
         "        \"kms:ViaService\" : \"" + std::string(service) + "." + std::string(region) +
         ".amazonaws.com\"\n      }\n    }\n  }, {\n    \"Sid\" : \"Allow direct access to key "
         "metadata to the account\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n"
         "      \"AWS\" : \"arn:aws:iam::" + std::string(account) + ":root\"\n    },\n"
         "    \"Action\" : [ \"kms:Describe*\", \"kms:Get*\", \"kms:List*\" ],\n"
         "    \"Resource\" : \"*\"\n  } ]\n}";
}

Status KeyNotFound(const storage::Scope& scope, std::string_view ref) {
  std::string shown(ref);
  if (!shown.starts_with("arn:")) shown = dk::KeyArn(scope.region, scope.account, ref);
  return Status(ErrorCode::kKmsNotFound, "Key '" + shown + "' does not exist");
}

}  // namespace

KeyRing::KeyRing(storage::KmsStore& store, const crypto::RootKey& root)
    : store_(store), root_(root) {}

KeyRing::~KeyRing() = default;  // the cached SecretStrings wipe themselves

std::string KeyRing::MaterialAad(const Key& key, const std::string& material_id) {
  // From the key's identity (account, region and id: the key ARN), never from the stored row.
  // A multi-Region key's materials serve every region: its AAD names none.
  return storage::KeyMaterialAad(dk::KeyArn(key.multi_region ? "*" : key.region, key.account,
                                            key.key_id),
                                 material_id);
}

Result<Key> KeyRing::Resolve(const storage::Scope& caller_scope, std::string_view key_ref,
                             int64_t now_ms, ResolveOptions opts) {
  ARCANA_ASSIGN_OR_RETURN(dk::KeyRef ref, dk::ParseKeyRef(key_ref));
  storage::Scope scope = caller_scope;
  if (opts.allow_other_account && !ref.account.empty() && ref.region == scope.region) {
    scope.account = ref.account;
    opts.create_aws_managed = false;  // another account's AWS managed keys are its own
  }
  if (!ref.account.empty() && (ref.account != scope.account || ref.region != scope.region)) {
    if (ref.is_alias()) {
      return Status(ErrorCode::kKmsNotFound, "Alias " + std::string(key_ref) + " is not found.");
    }
    return Status(ErrorCode::kKmsNotFound, "Key '" + std::string(key_ref) + "' does not exist");
  }
  std::string key_id = ref.value;
  if (ref.is_alias()) {
    if (!opts.allow_alias) return dk::AliasNotSupported();
    ARCANA_ASSIGN_OR_RETURN(auto alias, store_.GetKmsAlias(scope, ref.value));
    if (!alias) {
      if (opts.create_aws_managed && IsKnownAwsManagedAlias(ref.value)) {
        return CreateAwsManaged(scope, ref.value, now_ms);
      }
      return Status(ErrorCode::kKmsNotFound,
                    "Alias " + dk::AliasArn(scope.region, scope.account, ref.value) +
                        " is not found.");
    }
    key_id = alias->target_key_id;
  }
  ARCANA_ASSIGN_OR_RETURN(auto key, store_.GetKmsKey(scope, key_id));
  if (!key) return ref.is_alias() ? KeyNotFound(scope, key_id) : KeyNotFound(scope, key_ref);
  // A key whose deletion date passed is gone, even before the sweeper purges it.
  if (key->deletion_ms && *key->deletion_ms <= now_ms) {
    return ref.is_alias() ? KeyNotFound(scope, key_id) : KeyNotFound(scope, key_ref);
  }
  dk::ApplyMaterialExpiry(*key, now_ms);  // expired imported material is gone at once
  return std::move(*key);
}

Result<Key> KeyRing::CreateAwsManaged(const storage::Scope& scope, const std::string& alias,
                                      int64_t now_ms) {
  // Several requests (on several nodes) may race to create it: the key and its alias are
  // created together, and only the first creation of the alias commits. The others find the
  // winner's key through the alias.
  auto winner = [&]() -> Result<Key> {
    ARCANA_ASSIGN_OR_RETURN(auto existing, store_.GetKmsAlias(scope, alias));
    if (!existing) {
      return Status(ErrorCode::kKmsInternal, "the AWS-managed key " + alias + " vanished");
    }
    ARCANA_ASSIGN_OR_RETURN(auto key, store_.GetKmsKey(scope, existing->target_key_id));
    if (key) return std::move(*key);
    return KeyNotFound(scope, existing->target_key_id);
  };
  ARCANA_ASSIGN_OR_RETURN(auto hold, HoldRoot());  // until the new material is committed
  std::string service = alias.substr(10);
  Key key;
  key.account = scope.account;
  key.region = scope.region;
  key.key_id = dk::NewKeyId(false);
  key.arn = dk::KeyArn(scope.region, scope.account, key.key_id);
  key.created_ms = now_ms;
  key.description = AwsManagedDescription(service);
  key.key_usage = "ENCRYPT_DECRYPT";
  key.key_spec = "SYMMETRIC_DEFAULT";
  key.key_manager = "AWS";
  key.policy = AwsManagedPolicy(scope.account, scope.region, service);
  // AWS-managed keys rotate every year.
  key.rotation_enabled = true;
  key.rotation_period_days = dk::kDefaultRotationPeriodDays;
  key.rotation_base_ms = now_ms;
  dk::KeyMaterialInfo m{dk::NewMaterialId(), now_ms, ""};
  key.materials.push_back(m);
  ARCANA_ASSIGN_OR_RETURN(auto rec, NewMaterial(key, m.id));
  dk::Alias a{scope.account, scope.region, alias, key.key_id, now_ms, now_ms};
  Status created = store_.CreateKmsKeyWithAlias(key, {rec}, a);
  if (created.code() == ErrorCode::kAlreadyExists) {
    std::lock_guard<std::mutex> l(cache_mu_);
    cache_.erase(key.key_id + "/" + m.id);  // the losing key's material was never stored
  }
  if (created.code() == ErrorCode::kAlreadyExists) return winner();
  ARCANA_RETURN_IF_ERROR(created);
  return key;
}

Result<storage::KeyMaterialRecord> KeyRing::NewMaterial(const Key& key,
                                                        const std::string& material_id) {
  std::string material;
  if (dk::IsSymmetricSpec(key.key_spec)) {
    material = crypto::RandomBytes(32);
  } else if (dk::IsHmacSpec(key.key_spec)) {
    material = crypto::RandomBytes(dk::HmacKeyBytes(key.key_spec));
  } else if (auto spec = dk::AsymmetricSpecOf(key.key_spec)) {
    ARCANA_ASSIGN_OR_RETURN(material, crypto::GenerateKeyPair(*spec));
  } else {
    return Status(ErrorCode::kUnsupportedOperation, "unsupported key spec " + key.key_spec);
  }
  return SealMaterial(key, material_id, std::move(material));
}

Result<storage::KeyMaterialRecord> KeyRing::SealMaterial(const Key& key,
                                                         const std::string& material_id,
                                                         std::string material) {
  storage::KeyMaterialRecord rec;
  rec.key_id = key.key_id;
  rec.material_id = material_id;
  rec.aad = MaterialAad(key, material_id);
  auto wrapped = root_.Seal(material, rec.aad);
  if (!wrapped.ok()) {
    crypto::SecureWipe(material);
    if (wrapped.status().code() == ErrorCode::kServiceUnavailable) return wrapped.status();
    return Status(ErrorCode::kKmsInternal, "cannot wrap key material");
  }
  rec.wrapped = std::move(wrapped).value();
  Cache(key.key_id + "/" + material_id, crypto::SecretString::Take(material));
  return rec;
}

void KeyRing::ForgetMaterial(const std::string& key_id, const std::string& material_id) {
  std::lock_guard<std::mutex> l(cache_mu_);
  ++forget_epoch_;
  cache_.erase(key_id + "/" + material_id);
}

Result<crypto::RootKey::Hold> KeyRing::HoldRoot() const {
  auto hold = root_.TryHold();
  if (!hold) {
    return Status(ErrorCode::kServiceUnavailable,
                  "Arcana is sealed: unseal it before using KMS keys.");
  }
  return std::move(*hold);
}

void KeyRing::Cache(const std::string& cache_key, crypto::SecretString material) {
  std::lock_guard<std::mutex> l(cache_mu_);
  if (cache_.size() >= kMaxCachedMaterials) cache_.clear();  // SecretStrings wipe themselves
  cache_[cache_key] = std::move(material);
}

void KeyRing::CacheIfNoChangeSince(uint64_t epoch, const std::string& cache_key,
                                   crypto::SecretString material) {
  std::lock_guard<std::mutex> l(cache_mu_);
  if (forget_epoch_ != epoch) return;  // the SecretString wipes itself
  if (cache_.size() >= kMaxCachedMaterials) cache_.clear();
  cache_[cache_key] = std::move(material);
}

Status KeyRing::CreateKey(Key& key, int64_t now_ms) {
  // Held from sealing the new material until it is committed (see key_ring.h).
  ARCANA_ASSIGN_OR_RETURN(auto hold, HoldRoot());
  dk::KeyMaterialInfo m{dk::NewMaterialId(), now_ms, ""};
  key.materials = {m};
  ARCANA_ASSIGN_OR_RETURN(auto rec, NewMaterial(key, m.id));
  ARCANA_RETURN_IF_ERROR(store_.PutKmsKey(key, {rec}, "CreateKey"));
  key.revision = 1;  // what the store now holds (storage/store_types.h)
  return Status::Ok();
}

Status KeyRing::Rotate(Key& key, const std::string& rotation_type, int64_t now_ms) {
  // Automatic rotation runs on the maintenance thread, outside any request: without this
  // hold a root rotation could rewrap everything and forget the old root key between our
  // Seal and our commit, stranding the new material under a key nobody has any more.
  ARCANA_ASSIGN_OR_RETURN(auto hold, HoldRoot());
  dk::KeyMaterialInfo m{dk::NewMaterialId(), now_ms, rotation_type};
  ARCANA_ASSIGN_OR_RETURN(auto rec, NewMaterial(key, m.id));
  key.materials.push_back(m);
  // An on-demand rotation leaves the automatic schedule as it was (AWS's RotateKeyOnDemand
  // documentation; LocalStack's AWS-validated test_rotate_key_on_demand_with_symmetric_key_
  // and_automatic_rotation_enabled asserts an unchanged NextRotationDate).
  if (rotation_type == "AUTOMATIC") key.rotation_base_ms = now_ms;
  const std::string change = rotation_type == "AUTOMATIC" ? "RotateKey" : "RotateKeyOnDemand";
  Status st;
  if (key.multi_region) {
    // Key material is a shared property: every replica gets the new material in the same
    // transaction (each at the revision listed; a conflict re-runs the whole rotation).
    std::vector<storage::KmsKeyWrite> writes{{key, {rec}, {}}};
    auto related = store_.ListKmsKeyRegions(key.account, key.key_id);
    st = related.status();
    if (st.ok()) {
      for (auto& other : *related) {
        if (other.region == key.region) continue;
        other.materials.push_back(m);
        writes.push_back({std::move(other), {}, {}});
      }
      st = store_.WriteKmsKeys(writes, change);
    }
  } else {
    st = store_.PutKmsKey(key, {rec}, change);
  }
  if (!st.ok()) {
    std::lock_guard<std::mutex> l(cache_mu_);
    cache_.erase(key.key_id + "/" + m.id);  // never stored (a retry reads the key again)
    return st;
  }
  ++key.revision;  // what the store now holds (storage/store_types.h)
  return Status::Ok();
}

Status KeyRing::Purge(const Key& key, int64_t now_ms) {
  {
    std::lock_guard<std::mutex> l(cache_mu_);
    ++forget_epoch_;
    for (const auto& m : key.materials) cache_.erase(key.key_id + "/" + m.id);
  }
  ARCANA_RETURN_IF_ERROR(store_.DeleteKmsKey({key.account, key.region}, key.key_id, key.revision));
  if (!key.multi_region || !key.external()) return Status::Ok();
  auto related = store_.ListKmsKeyRegions(key.account, key.key_id);
  if (!related.ok() || related->empty()) return Status::Ok();  // none left: rows went with it
  storage::KmsKeyWrite rest{std::move(related->front()), {}, {}};
  for (const auto& m : key.materials) rest.drop_material_ids.push_back(m.id);
  // Best effort (key_ring.h): the key is gone whatever this write answers.
  (void)WriteImportedMaterials({std::move(rest)}, "UpdateKey", now_ms);
  return Status::Ok();
}

Result<std::vector<Key>> KeyRing::RelatedKeys(const Key& key) {
  if (!key.multi_region) return std::vector<Key>{key};
  return store_.ListKmsKeyRegions(key.account, key.key_id);
}

Status KeyRing::CreateReplica(const Key& primary, Key& replica) {
  ARCANA_ASSIGN_OR_RETURN(auto hold, HoldRoot());
  storage::KmsKeyWrite create{replica, {}, {}};
  if (primary.external()) {
    // Imported material is not copied (AWS): each region imports the same material itself.
    for (auto& m : create.key.materials) {
      m.imported = false;
      m.valid_to_ms.reset();
      m.description.clear();
    }
    ARCANA_RETURN_IF_ERROR(
        store_.WriteKmsKeys({create, {primary, {}, {}}}, "ReplicateKey"));
    replica = std::move(create.key);
    replica.revision = 1;
    return Status::Ok();
  }
  for (const auto& m : primary.materials) {
    // Re-sealed under the region-neutral AAD (a no-op change for materials already under it,
    // the move for materials sealed before the key had replicas).
    ARCANA_ASSIGN_OR_RETURN(std::string material, Material(primary, m.id));
    ARCANA_ASSIGN_OR_RETURN(auto rec, SealMaterial(replica, m.id, std::move(material)));
    create.put_materials.push_back(std::move(rec));
  }
  ARCANA_RETURN_IF_ERROR(store_.WriteKmsKeys({create, {primary, {}, {}}}, "ReplicateKey"));
  replica.revision = 1;
  return Status::Ok();
}

Status KeyRing::WriteImportedMaterials(std::vector<storage::KmsKeyWrite> writes,
                                       const std::string& change, int64_t now_ms) {
  if (writes.empty()) return Status::Ok();
  const std::string account = writes.front().key.account;
  const std::string key_id = writes.front().key.key_id;
  if (writes.front().key.multi_region) {
    ARCANA_ASSIGN_OR_RETURN(auto related, store_.ListKmsKeyRegions(account, key_id));
    for (auto& other : related) {
      bool listed = std::any_of(writes.begin(), writes.end(), [&](const storage::KmsKeyWrite& w) {
        return w.key.region == other.region;
      });
      if (listed) continue;
      dk::ApplyMaterialExpiry(other, now_ms);  // expired material holds no row
      writes.push_back({std::move(other), {}, {}});
    }
  }
  std::vector<Key> after;
  std::vector<std::string> candidates;
  for (auto& w : writes) {
    after.push_back(w.key);
    candidates.insert(candidates.end(), w.drop_material_ids.begin(), w.drop_material_ids.end());
    w.drop_material_ids.clear();
  }
  // Rows are per key id, so the first write can drop them all.
  writes.front().drop_material_ids = dk::UnheldMaterials(after, candidates);
  ARCANA_RETURN_IF_ERROR(store_.WriteKmsKeys(writes, change));
  for (const auto& id : writes.front().drop_material_ids) ForgetMaterial(key_id, id);
  return Status::Ok();
}

void KeyRing::ForgetMaterials() {
  std::lock_guard<std::mutex> l(cache_mu_);
  ++forget_epoch_;
  cache_.clear();
}

void KeyRing::FollowChanges(storage::ChangeFollower& follower) {
  follower.Subscribe({[this](const storage::Change& c) {
                        if (c.service != "kms") return;
                        // A grant's change names its key but changes no material.
                        if (c.kind == "CreateGrant" || c.kind == "DeleteGrant") return;
                        const size_t at = c.resource.rfind(":key/");
                        if (at == std::string::npos) return;  // an alias
                        const std::string prefix = c.resource.substr(at + 5) + "/";
                        std::lock_guard<std::mutex> l(cache_mu_);
                        ++forget_epoch_;
                        std::erase_if(cache_, [&](const auto& e) {
                          return e.first.starts_with(prefix);  // key_id/material_id
                        });
                      },
                      [this] { ForgetMaterials(); }});
}

Result<std::string> KeyRing::Material(const Key& key, const std::string& material_id) {
  if (root_.sealed()) {
    // A sealed server holds no key material.
    ForgetMaterials();
    return Status(ErrorCode::kServiceUnavailable,
                  "Arcana is sealed: unseal it before using KMS keys.");
  }
  std::string cache_key = key.key_id + "/" + material_id;
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> l(cache_mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end()) return it->second.Reveal();
    epoch = forget_epoch_;
  }
  ARCANA_ASSIGN_OR_RETURN(auto rec, store_.GetKeyMaterial(key.key_id, material_id));
  if (!rec) return Status(ErrorCode::kKmsInternal, "key material of " + key.arn + " is missing");
  // The AAD is recomputed, not read from the row: a row swapped from another key (or
  // another material of this key) fails here instead of lending its key material.
  auto material = root_.Open(rec->wrapped, MaterialAad(key, material_id));
  if (!material.ok() && key.multi_region && material.status().code() != ErrorCode::kServiceUnavailable) {
    // Sealed before multi-Region keys had replicas: under its own region's key ARN.
    material = root_.Open(rec->wrapped, storage::KeyMaterialAad(
                                            dk::KeyArn(key.region, key.account, key.key_id),
                                            material_id));
  }
  if (!material.ok()) {
    if (material.status().code() == ErrorCode::kServiceUnavailable) return material.status();
    return Status(ErrorCode::kKmsInternal, "key material of " + key.arn + " cannot be unwrapped");
  }
  CacheIfNoChangeSince(epoch, cache_key, crypto::SecretString(*material));
  return material;
}

Result<std::string> KeyRing::Encrypt(const Key& key, const crypto::EncryptionContext& ctx,
                                     std::string_view plaintext) {
  const auto* m = key.current_material();
  if (m == nullptr) return Status(ErrorCode::kKmsInternal, key.arn + " has no key material");
  ARCANA_ASSIGN_OR_RETURN(std::string material, Material(key, m->id));
  std::string material_id_raw;
  for (size_t i = 0; i + 1 < m->id.size(); i += 2) {
    material_id_raw.push_back(static_cast<char>(std::stoi(m->id.substr(i, 2), nullptr, 16)));
  }
  auto blob = crypto::KmsSymmetricEncrypt(material, key.key_id, material_id_raw, ctx, plaintext);
  crypto::SecureWipe(material);
  if (!blob.ok()) return Status(ErrorCode::kKmsInternal, "encryption failed");
  return blob;
}

Result<std::optional<std::string>> KeyRing::OtherAccountKeyOf(const storage::Scope& scope,
                                                              std::string_view blob) {
  crypto::KmsCiphertextHeader h;
  if (!crypto::ParseKmsCiphertextHeader(blob, &h)) return std::optional<std::string>();
  const std::string material_id = crypto::HexEncode(h.material_id);
  ARCANA_ASSIGN_OR_RETURN(auto rec, store_.GetKeyMaterial(h.key_id, material_id));
  if (!rec) return std::optional<std::string>();
  // rec->aad is storage::KeyMaterialAad(key ARN, material id): the ARN sits between the
  // first '|' and the last, and names the key's account.
  const size_t first = rec->aad.find('|');
  const size_t last = rec->aad.rfind('|');
  if (first == std::string::npos || last <= first) return std::optional<std::string>();
  const std::string arn = rec->aad.substr(first + 1, last - first - 1);
  if (storage::KeyMaterialAad(arn, material_id) != rec->aad) return std::optional<std::string>();
  auto ref = dk::ParseKeyRef(arn);
  if (!ref.ok() || ref->kind != dk::KeyRef::kKeyArn || ref->account == scope.account) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(dk::KeyArn(scope.region, ref->account, h.key_id));
}

Result<KeyRing::Decrypted> KeyRing::Decrypt(const storage::Scope& scope, std::string_view blob,
                                            const crypto::EncryptionContext& ctx,
                                            int64_t now_ms) {
  const Status invalid(ErrorCode::kInvalidCiphertext, "");
  crypto::KmsCiphertextHeader h;
  if (!crypto::ParseKmsCiphertextHeader(blob, &h)) return invalid;
  // The key id comes from the blob, not from the caller: one that is no key id (an ARN,
  // malformed or not, an alias) makes the blob a bad ciphertext like any other damage, never
  // the identifier error ParseKeyRef would give a KeyId parameter.
  auto ref = dk::ParseKeyRef(h.key_id);
  if (!ref.ok() || ref->kind != dk::KeyRef::kKeyId) return invalid;
  // A flipped bit in the key id names no key here: that is a bad ciphertext, not a
  // missing key.
  ARCANA_ASSIGN_OR_RETURN(auto found, store_.GetKmsKey(scope, h.key_id));
  if (!found || (found->deletion_ms && *found->deletion_ms <= now_ms)) return invalid;
  dk::ApplyMaterialExpiry(*found, now_ms);
  Decrypted out;
  out.key = std::move(*found);
  if (!dk::IsSymmetricSpec(out.key.key_spec)) return invalid;
  out.material_id = crypto::HexEncode(h.material_id);
  const dk::KeyMaterialInfo* m = out.key.FindMaterial(out.material_id);
  if (m == nullptr) return invalid;
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(out.key));
  // Imported material that expired or was deleted decrypts nothing, whatever the key's state
  // (a key missing it is PendingImport, refused above: this holds should a state be wrong).
  if (out.key.external() && !m->imported) return invalid;
  ARCANA_ASSIGN_OR_RETURN(std::string material, Material(out.key, out.material_id));
  auto plain = crypto::KmsSymmetricDecrypt(material, blob, ctx);
  crypto::SecureWipe(material);
  if (!plain.ok()) return invalid;
  out.plaintext = std::move(plain).value();
  return out;
}

}  // namespace arcana::services::kms
