// Deletions done by background jobs commit at the revision that showed the item due, so a
// change committed in between wins (issue 9): a RestoreSecret that lands while the purge job
// is deleting the secret, an overwrite that lands while the expiry job deletes a parameter, a
// CancelKeyDeletion that lands while the maintenance job purges a KMS key. Each race is made
// deterministic by a store decorator that commits the competing change just before the job's
// delete reaches the store.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <utility>

#include "crypto/envelope.h"
#include "crypto/random.h"
#include "domain/kms/rules.h"
#include "services/kms/key_ring.h"
#include "services/kms/kms_service.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/ssm/ssm_service.h"
#include "storage/stores.h"

namespace arcana {
namespace {

using domain::sm::Secret;

constexpr int64_t kNow = 10'000'000;

// Runs `before_delete` once, just before the first delete is forwarded to the backend.
class RacingSecretStore final : public storage::SecretStore {
 public:
  RacingSecretStore(storage::SecretStore& b, std::function<void()> before_delete)
      : b_(b), before_(std::move(before_delete)) {}
  Result<std::optional<Secret>> GetSecretByArn(const std::string& arn) override {
    return b_.GetSecretByArn(arn);
  }
  Result<std::optional<Secret>> GetSecretByName(const storage::Scope& s,
                                                const std::string& n) override {
    return b_.GetSecretByName(s, n);
  }
  Result<std::vector<Secret>> ListSecrets(const storage::Scope& s,
                                          const storage::SecretQuery& q) override {
    return b_.ListSecrets(s, q);
  }
  Result<std::vector<std::string>> ListSecretsDeletedBefore(int64_t now, size_t limit) override {
    return b_.ListSecretsDeletedBefore(now, limit);
  }
  Result<std::optional<std::string>> GetSealedValue(const std::string& arn,
                                                    const std::string& v) override {
    return b_.GetSealedValue(arn, v);
  }
  Status Commit(const std::vector<storage::SecretWrite>& w,
                const std::vector<storage::SecretDelete>& d) override {
    if (!d.empty() && before_) std::exchange(before_, nullptr)();
    return b_.Commit(w, d);
  }
  Status WipeSecrets() override { return b_.WipeSecrets(); }

 private:
  storage::SecretStore& b_;
  std::function<void()> before_;
};

class RacingParameterStore final : public storage::ParameterStore {
 public:
  RacingParameterStore(storage::ParameterStore& b, std::function<void()> before_delete)
      : b_(b), before_(std::move(before_delete)) {}
  Result<std::optional<domain::ssm::Parameter>> GetParameter(const storage::Scope& s,
                                                              const std::string& k) override {
    return b_.GetParameter(s, k);
  }
  Result<std::vector<domain::ssm::Parameter>> ListParameters(const storage::Scope& s,
                                                             const std::string& p,
                                                             const std::string& a,
                                                             size_t l) override {
    return b_.ListParameters(s, p, a, l);
  }
  Result<std::optional<std::string>> GetParameterValue(const storage::Scope& s,
                                                       const std::string& k, int64_t v) override {
    return b_.GetParameterValue(s, k, v);
  }
  Result<std::map<int64_t, std::string>> GetParameterValues(const storage::Scope& s,
                                                            const std::string& k) override {
    return b_.GetParameterValues(s, k);
  }
  Result<storage::ParameterCounts> CountParameters(const storage::Scope& s) override {
    return b_.CountParameters(s);
  }
  Status CommitParameter(const storage::ParameterWrite& w) override {
    return b_.CommitParameter(w);
  }
  Status CommitResourcePolicy(const storage::ResourcePolicyWrite& w) override {
    return b_.CommitResourcePolicy(w);
  }
  Result<std::vector<std::string>> DeleteParameters(const storage::Scope& s,
                                                    const std::vector<storage::ParameterDelete>& d,
                                                    const std::string& change) override {
    if (before_) std::exchange(before_, nullptr)();
    return b_.DeleteParameters(s, d, change);
  }
  Result<std::vector<storage::ParameterRef>> ListParametersExpiredBefore(int64_t now,
                                                                         size_t limit) override {
    return b_.ListParametersExpiredBefore(now, limit);
  }
  Result<std::optional<domain::ssm::ServiceSettingState>> GetServiceSetting(
      const storage::Scope& s, const std::string& id) override {
    return b_.GetServiceSetting(s, id);
  }
  Status PutServiceSetting(const storage::Scope& s,
                           const domain::ssm::ServiceSettingState& state) override {
    return b_.PutServiceSetting(s, state);
  }
  Status WipeParameters() override { return b_.WipeParameters(); }

 private:
  storage::ParameterStore& b_;
  std::function<void()> before_;
};

class RacingKmsStore final : public storage::KmsStore {
 public:
  using Key = domain::kms::Key;
  using Alias = domain::kms::Alias;
  using Grant = domain::kms::Grant;
  using Material = storage::KeyMaterialRecord;
  RacingKmsStore(storage::KmsStore& b, std::function<void()> before_delete)
      : b_(b), before_(std::move(before_delete)) {}
  Result<std::optional<Key>> GetKmsKey(const storage::Scope& s, const std::string& id) override {
    return b_.GetKmsKey(s, id);
  }
  Result<std::vector<Key>> ListKmsKeys(const storage::Scope& s, const std::string& a,
                                       size_t l) override {
    return b_.ListKmsKeys(s, a, l);
  }
  Result<std::vector<Key>> ListKmsKeysDue(int64_t now, size_t l) override {
    return b_.ListKmsKeysDue(now, l);
  }
  Status PutKmsKey(const Key& k, const std::vector<Material>& m, const std::string& c) override {
    return b_.PutKmsKey(k, m, c);
  }
  Status CreateKmsKeyWithAlias(const Key& k, const std::vector<Material>& m,
                               const Alias& a) override {
    return b_.CreateKmsKeyWithAlias(k, m, a);
  }
  Status WriteKmsKeys(const std::vector<storage::KmsKeyWrite>& w,
                      const std::string& change) override {
    return b_.WriteKmsKeys(w, change);
  }
  Result<std::vector<Key>> ListKmsKeyRegions(const std::string& a, const std::string& id) override {
    return b_.ListKmsKeyRegions(a, id);
  }
  Result<std::optional<Material>> GetKeyMaterial(const std::string& k,
                                                 const std::string& m) override {
    return b_.GetKeyMaterial(k, m);
  }
  Status DeleteKmsKey(const storage::Scope& s, const std::string& id, int64_t rev) override {
    if (before_) std::exchange(before_, nullptr)();
    return b_.DeleteKmsKey(s, id, rev);
  }
  Result<std::optional<Alias>> GetKmsAlias(const storage::Scope& s,
                                           const std::string& n) override {
    return b_.GetKmsAlias(s, n);
  }
  Result<std::vector<Alias>> ListKmsAliases(const storage::Scope& s, const std::string& k,
                                            const std::string& a, size_t l) override {
    return b_.ListKmsAliases(s, k, a, l);
  }
  Status PutKmsAlias(const Alias& a, bool create, size_t max) override {
    return b_.PutKmsAlias(a, create, max);
  }
  Status DeleteKmsAlias(const storage::Scope& s, const std::string& n) override {
    return b_.DeleteKmsAlias(s, n);
  }
  Result<Grant> CreateKmsGrant(const Grant& g, int64_t revision, size_t max) override {
    return b_.CreateKmsGrant(g, revision, max);
  }
  Result<std::vector<Grant>> ListKmsGrants(const storage::Scope& s, const std::string& k,
                                           const std::string& a, size_t l) override {
    return b_.ListKmsGrants(s, k, a, l);
  }
  Result<std::vector<Grant>> ListKmsGrantsByRetiringPrincipal(const std::string& region,
                                                              const std::string& p,
                                                              const std::string& a,
                                                              size_t l) override {
    return b_.ListKmsGrantsByRetiringPrincipal(region, p, a, l);
  }
  Status DeleteKmsGrant(const storage::Scope& s, const std::string& k,
                        const std::string& g) override {
    return b_.DeleteKmsGrant(s, k, g);
  }
  Result<std::vector<Material>> ListKeyMaterials() override { return b_.ListKeyMaterials(); }
  Status RewrapKeyMaterials(
      const std::function<Result<std::string>(const Material&)>& fn) override {
    return b_.RewrapKeyMaterials(fn);
  }
  Status WipeKms() override { return b_.WipeKms(); }

 private:
  storage::KmsStore& b_;
  std::function<void()> before_;
};

class JobRaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-job-race-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::OpenStores({storage::StoreLocation::Kind::kSqlite, dir_.string(), ""});
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(s).value();
  }
  void TearDown() override {
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }
  const storage::Scope scope_{"123456789012", "us-east-1"};
  crypto::RootKey root_ = crypto::RootKey::FromBytes(std::string(32, '\x42'));
  crypto::RootKeyDataKeyProvider keys_{root_};
  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> stores_;
};

TEST_F(JobRaceTest, ARestoreThatLandsDuringThePurgeWins) {
  storage::SecretStore& backend = stores_->secrets();
  Secret s;
  s.arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:race-AbCdEf";
  s.name = "race";
  s.account = scope_.account;
  s.region = scope_.region;
  s.created_ms = 1;
  s.deleted_ms = kNow - 1;  // its recovery window has ended
  ASSERT_TRUE(backend.Commit({{s, {}, {}, "CreateSecret"}}, {}).ok());

  RacingSecretStore racing(backend, [&] {
    auto fresh = backend.GetSecretByArn(s.arn);
    ASSERT_TRUE(fresh.ok() && fresh->has_value());
    Secret restored = **fresh;
    restored.deleted_ms.reset();
    ASSERT_TRUE(backend.Commit({{restored, {}, {}, "RestoreSecret"}}, {}).ok());
  });
  services::sm::SecretsManagerService sm(racing, keys_, root_);
  ASSERT_TRUE(sm.PurgeExpired(kNow).ok());
  auto after = backend.GetSecretByArn(s.arn);
  ASSERT_TRUE(after.ok());
  ASSERT_TRUE(after->has_value()) << "the purge deleted a secret restored before its commit";
  EXPECT_FALSE((*after)->deleted_ms.has_value());

  // Without a competing change the purge does its job.
  Secret again = **after;
  again.deleted_ms = kNow - 1;
  ASSERT_TRUE(backend.Commit({{again, {}, {}, "DeleteSecret"}}, {}).ok());
  services::sm::SecretsManagerService plain(backend, keys_, root_);
  ASSERT_TRUE(plain.PurgeExpired(kNow).ok());
  auto gone = backend.GetSecretByArn(s.arn);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(JobRaceTest, AnOverwriteThatLandsDuringTheExpirySweepWins) {
  storage::ParameterStore& backend = stores_->parameters();
  domain::ssm::Parameter p;
  p.account = scope_.account;
  p.region = scope_.region;
  p.key = "/race/p";
  p.name = "/race/p";
  domain::ssm::ParameterVersion v;
  v.version = 1;
  v.type = "String";
  v.tier = "Standard";
  v.expires_ms = kNow - 1;  // expired
  p.versions.push_back(v);
  ASSERT_TRUE(backend.CommitParameter({p, {{1, "old"}}, {}, "PutParameter"}).ok());

  RacingParameterStore racing(backend, [&] {
    auto fresh = backend.GetParameter(scope_, p.key);
    ASSERT_TRUE(fresh.ok() && fresh->has_value());
    domain::ssm::Parameter next = **fresh;
    domain::ssm::ParameterVersion v2 = next.Latest();
    v2.version = 2;
    v2.expires_ms.reset();  // the overwrite drops the Expiration policy
    next.versions.push_back(v2);
    ASSERT_TRUE(backend.CommitParameter({next, {{2, "new"}}, {}, "PutParameter"}).ok());
  });
  services::ssm::SsmService ssm(racing, keys_, root_, nullptr);
  ASSERT_TRUE(ssm.PurgeExpired(kNow).ok());
  auto after = backend.GetParameter(scope_, p.key);
  ASSERT_TRUE(after.ok());
  ASSERT_TRUE(after->has_value()) << "the expiry sweep deleted an overwritten parameter";
  EXPECT_EQ((*after)->Latest().version, 2);
}

TEST_F(JobRaceTest, ACancelKeyDeletionThatLandsDuringThePurgeWins) {
  namespace dk = domain::kms;
  storage::KmsStore& backend = stores_->kms();
  services::kms::KeyRing plain_ring(backend, root_);
  dk::Key k;
  k.account = scope_.account;
  k.region = scope_.region;
  k.key_id = dk::NewKeyId(false);
  k.arn = dk::KeyArn(k.region, k.account, k.key_id);
  k.created_ms = 1;
  k.key_spec = "SYMMETRIC_DEFAULT";
  k.key_usage = "ENCRYPT_DECRYPT";
  k.policy = dk::DefaultKeyPolicy(k.account);
  ASSERT_TRUE(plain_ring.CreateKey(k, 1).ok());
  {
    auto fresh = backend.GetKmsKey(scope_, k.key_id);
    ASSERT_TRUE(fresh.ok() && fresh->has_value());
    dk::Key pending = **fresh;
    pending.key_state = dk::kStatePendingDeletion;
    pending.deletion_ms = kNow - 1;  // its waiting period has ended
    ASSERT_TRUE(backend.PutKmsKey(pending, {}, "ScheduleKeyDeletion").ok());
  }

  RacingKmsStore racing(backend, [&] {
    auto fresh = backend.GetKmsKey(scope_, k.key_id);
    ASSERT_TRUE(fresh.ok() && fresh->has_value());
    dk::Key cancelled = **fresh;
    cancelled.key_state = dk::kStateDisabled;
    cancelled.deletion_ms.reset();
    ASSERT_TRUE(backend.PutKmsKey(cancelled, {}, "CancelKeyDeletion").ok());
  });
  services::kms::KeyRing ring(racing, root_);
  services::kms::KmsService kms(ring);
  ASSERT_TRUE(kms.Maintain(kNow).ok());
  auto after = backend.GetKmsKey(scope_, k.key_id);
  ASSERT_TRUE(after.ok());
  ASSERT_TRUE(after->has_value()) << "the purge deleted a key whose deletion was cancelled";
  EXPECT_EQ((*after)->key_state, dk::kStateDisabled);

  // Without a competing change the purge does its job.
  dk::Key again = **after;
  again.key_state = dk::kStatePendingDeletion;
  again.deletion_ms = kNow - 1;
  ASSERT_TRUE(backend.PutKmsKey(again, {}, "ScheduleKeyDeletion").ok());
  services::kms::KmsService plain(plain_ring);
  ASSERT_TRUE(plain.Maintain(kNow).ok());
  auto gone = backend.GetKmsKey(scope_, k.key_id);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

}  // namespace
}  // namespace arcana
