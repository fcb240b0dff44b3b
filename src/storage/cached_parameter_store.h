// This node's cache in front of a ParameterStore: each parameter's metadata by scope and
// canonical name, with the values of its versions, so a hot GetParameter costs no database
// round trip beyond the follower's freshness check (change_follower.h). As in
// cached_secret_store.h: entries are erased by the change sequence (a parameter's change row
// names its ARN), never by time, so a read on any node after a write acknowledged on any node
// sees that write; lists, counts, history, service settings and writes go straight to the
// backend (service settings are read once per PutParameter without a Tier). Bounded: at
// most kMaxEntries parameters, kMaxValuesPerParameter values each (the whole cache is dropped
// when full). SecureString values are sealed; nothing here is a plaintext secret.
// Thread-safety: as ParameterStore.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/change_follower.h"
#include "storage/parameter_store.h"
#include "storage/versioned_cache.h"

namespace arcana::storage {

class CachedParameterStore final : public ParameterStore {
 public:
  static constexpr size_t kMaxEntries = 10000;
  static constexpr size_t kMaxValuesPerParameter = 16;

  // Subscribes to follower; both must outlive this object.
  CachedParameterStore(ParameterStore& backend, ChangeFollower& follower);
  ~CachedParameterStore() override;

  Result<std::optional<domain::ssm::Parameter>> GetParameter(const Scope& scope,
                                                              const std::string& key) override;
  Result<std::vector<domain::ssm::Parameter>> ListParameters(const Scope& scope,
                                                             const std::string& key_prefix,
                                                             const std::string& after_key,
                                                             size_t limit) override;
  Result<std::optional<std::string>> GetParameterValue(const Scope& scope, const std::string& key,
                                                       int64_t version) override;
  Result<std::map<int64_t, std::string>> GetParameterValues(const Scope& scope,
                                                            const std::string& key) override;
  Result<ParameterCounts> CountParameters(const Scope& scope) override;
  Status CommitParameter(const ParameterWrite& write) override;
  Status CommitResourcePolicy(const ResourcePolicyWrite& write) override;
  Result<std::vector<std::string>> DeleteParameters(const Scope& scope,
                                                    const std::vector<ParameterDelete>& deletes,
                                                    const std::string& change) override;
  Result<std::vector<ParameterRef>> ListParametersExpiredBefore(int64_t now_ms,
                                                                size_t limit) override;
  Result<std::optional<domain::ssm::ServiceSettingState>> GetServiceSetting(
      const Scope& scope, const std::string& setting_id) override;
  Status PutServiceSetting(const Scope& scope,
                           const domain::ssm::ServiceSettingState& state) override;
  Status WipeParameters() override;

 private:
  // By ARN (the same for every spelling of a root-level name), with values by version.
  using Cache = VersionedCache<domain::ssm::Parameter, int64_t>;
  ParameterStore& backend_;
  ChangeFollower& follower_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace arcana::storage
