// Deletions done by background jobs commit at the revision that showed the item due, so a
// change committed in between wins (issue 9): a RestoreSecret that lands while the purge job
// is deleting the secret, an overwrite that lands while the expiry job deletes a parameter.
// (KMS key purges use the same rule: KeyRing::Purge deletes at the key's revision.) Each race
// is made deterministic by a store decorator that commits the competing change just before
// the job's delete reaches the store.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <utility>

#include "crypto/envelope.h"
#include "crypto/random.h"
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
  Status WipeParameters() override { return b_.WipeParameters(); }

 private:
  storage::ParameterStore& b_;
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

}  // namespace
}  // namespace arcana
