// The SQLite ParameterStore (storage/parameter_store.h): tables `ssm_parameters` (one row
// per parameter: metadata JSON, revision, tier and expiry for counting and sweeping),
// `ssm_values` (one row per kept version; SecureString values sealed before they get here)
// and `ssm_counts` (parameters per scope and tier, kept in the writes' transactions). Service
// settings are rows of the `meta` table (service_setting_codec.h).
#pragma once

#include "storage/parameter_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteParameterStore : public ParameterStore {
 public:
  explicit SqliteParameterStore(Database& db) : db_(db) {}
  static Migrations Schema();

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
  Database& db_;
};

}  // namespace arcana::storage::sqlite
