#include "storage/sqlite/kms_key_usage_store.h"

namespace arcana::storage::sqlite {

Status SqliteKmsKeyUsageStore::RecordKmsKeyUses(const std::vector<KmsKeyUse>& uses) {
  if (uses.empty()) return Status::Ok();
  // No Change row: a use changes nothing a cache holds.
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    for (const auto& u : uses) {
      sqlite3_stmt* st = c.Prepare(
          "INSERT INTO kms_key_last_usage (account, region, key_id, used_ms, operation, "
          "request_id, event_id) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS "
          "(SELECT 1 FROM kms_keys WHERE account = ?1 AND region = ?2 AND key_id = ?3) "
          "ON CONFLICT (account, region, key_id) DO UPDATE SET used_ms = excluded.used_ms, "
          "operation = excluded.operation, request_id = excluded.request_id, "
          "event_id = excluded.event_id WHERE kms_key_last_usage.used_ms < excluded.used_ms");
      if (!st) return DbError(c.db(), "prepare");
      BindText(st, 1, u.account);
      BindText(st, 2, u.region);
      BindText(st, 3, u.key_id);
      sqlite3_bind_int64(st, 4, u.when_ms);
      BindText(st, 5, u.operation);
      BindText(st, 6, u.request_id);
      BindText(st, 7, u.event_id);
      ARCANA_RETURN_IF_ERROR(Step(c, st, "record kms key use"));
    }
    return Status::Ok();
  });
}

Result<KmsKeyUsage> SqliteKmsKeyUsageStore::GetKmsKeyUsage(const Scope& scope,
                                                           const std::string& key_id) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT t.since_ms, u.used_ms, u.operation, u.request_id, u.event_id "
      "FROM kms_key_usage_tracking t LEFT JOIN kms_key_last_usage u "
      "ON u.account = ? AND u.region = ? AND u.key_id = ? WHERE t.id = 1");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    Status err = rc == SQLITE_DONE
                     ? Status(ErrorCode::kInternalServiceError, "kms key usage tracking row missing")
                     : DbError(c->db(), "read kms key usage");
    sqlite3_reset(st);
    return err;
  }
  KmsKeyUsage out;
  out.tracking_since_ms = sqlite3_column_int64(st, 0);
  if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
    out.last = KmsKeyUse{scope.account,  scope.region,   key_id,        sqlite3_column_int64(st, 1),
                         ColText(st, 2), ColText(st, 3), ColText(st, 4)};
  }
  sqlite3_reset(st);
  return out;
}

}  // namespace arcana::storage::sqlite
