// The PostgreSQL ParameterStore (parameter_store.h): ssm_parameters (one row per parameter:
// the metadata JSON of parameter_codec.h, its revision, tier and expiry), ssm_values (one row
// per kept version; SecureString values arrive sealed) and ssm_counts (parameters per scope
// and tier, kept in the same transactions as the writes so CountParameters is one row read).
// Keys are COLLATE "C": ordering and prefix ranges are bytewise, as in SQLite, and the
// primary key (account, region, key) serves ListParameters' prefix range and keyset.
// Service settings are rows of the `meta` table (service_setting_codec.h, pg_meta_store.h).
// Thread-safety: as every store component (store_types.h).
#pragma once

#include "storage/parameter_store.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

class PgParameterStore : public ParameterStore {
 public:
  explicit PgParameterStore(Database& db) : db_(db) {}
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

}  // namespace arcana::storage::pg
