// The PostgreSQL AuditIndexStore (storage/audit_index_store.h): tables `audit_index_records`
// (one row per record, keyed by node and sequence), `audit_index_keys` (one row per lookup
// attribute of a record, ordered for the newest-first scan of one attribute's value) and
// `audit_index_nodes` (each node's highest sequence shipped), created by the "audit_index"
// component's migration step 1.
#pragma once

#include "storage/audit_index_store.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

class PgAuditIndexStore : public AuditIndexStore {
 public:
  explicit PgAuditIndexStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Status AddAuditRecords(const std::vector<IndexedAuditRecord>& records) override;
  Result<uint64_t> LastAuditSequence(const std::string& node) override;
  Result<std::vector<AuditIndexRow>> SearchAuditRecords(const AuditIndexQuery& q,
                                                        size_t limit) override;
  Result<std::vector<AuditIndexNode>> ListAuditNodes() override;
  Result<std::vector<AuditIndexRow>> ReadAuditRecordsAfter(const std::string& node, uint64_t after,
                                                           size_t limit) override;
  Result<bool> TrimAuditRecords(int64_t before_ms, size_t max) override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::pg
