// The SQLite KmsKeyUsageStore (storage/kms_key_usage_store.h): table `kms_key_last_usage`
// (one row per key: its latest use) and the one-row `kms_key_usage_tracking` (since when),
// both created by the "kms" component's migration step 4 (sqlite/kms_store.cc).
#pragma once

#include "storage/kms_key_usage_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteKmsKeyUsageStore : public KmsKeyUsageStore {
 public:
  explicit SqliteKmsKeyUsageStore(Database& db) : db_(db) {}

  Status RecordKmsKeyUses(const std::vector<KmsKeyUse>& uses) override;
  Result<KmsKeyUsage> GetKmsKeyUsage(const Scope& scope, const std::string& key_id) override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
