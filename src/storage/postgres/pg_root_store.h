// The PostgreSQL RootOfTrustStore (root_store.h). RewrapRootBlobs runs in ONE transaction that
// first takes EXCLUSIVE locks on access_keys, secret_values, kms_key_materials and meta (writers
// of root-wrapped blobs wait; readers do not), then walks each table by keyset in batches, so
// memory stays bounded by a batch. It appends one Change (Change::kRootResource) so every
// node's caches of sealed bytes drop the old blobs.
// Thread-safety: as every store component (store_types.h).
#pragma once

#include "storage/postgres/pg_database.h"
#include "storage/root_store.h"

namespace arcana::storage::pg {

class PgRootStore : public RootOfTrustStore {
 public:
  explicit PgRootStore(Database& db) : db_(db) {}

  Result<size_t> RewrapRootBlobs(const std::vector<std::string>& meta_keys, const RewrapFn& fn,
                                 const std::vector<std::pair<std::string, std::string>>& meta_puts,
                                 const std::vector<std::string>& meta_deletes) override;
  Status UpdateMeta(const std::vector<std::pair<std::string, std::string>>& puts,
                    const std::vector<std::string>& deletes) override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::pg
