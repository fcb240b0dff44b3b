// The PostgreSQL FunctionStore (storage/function_store.h): table rotation_functions.
// Thread-safety: as every store component (store_types.h).
#pragma once

#include "storage/function_store.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

class PgFunctionStore : public FunctionStore {
 public:
  explicit PgFunctionStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Status CreateFunction(const RotationFunction& f) override;
  Result<std::optional<RotationFunction>> GetFunction(const Scope& scope,
                                                      const std::string& name) override;
  Result<std::vector<RotationFunction>> ListFunctions(const Scope& scope,
                                                      const std::string& after_name,
                                                      size_t limit) override;
  Status DeleteFunction(const Scope& scope, const std::string& name) override;
  Status SetFunctionPolicy(const Scope& scope, const std::string& name,
                           const std::string& expected, const std::string& policy) override;
  Status UpdateFunction(const RotationFunction& expected,
                        const RotationFunction& updated) override;
  Result<std::vector<std::string>> PackagesInUse(
      const std::vector<std::string>& sha256_hex) override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::pg
