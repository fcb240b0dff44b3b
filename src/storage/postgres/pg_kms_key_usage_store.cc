#include "storage/postgres/pg_kms_key_usage_store.h"

namespace arcana::storage::pg {

Status PgKmsKeyUsageStore::RecordKmsKeyUses(const std::vector<KmsKeyUse>& uses) {
  if (uses.empty()) return Status::Ok();
  // No change row: a use changes nothing a cache holds. Two nodes flushing the same key
  // serialize on its row; the later use wins whichever commits last.
  return db_.Write("record kms key uses", [&](Tx& tx) -> Status {
    for (const auto& u : uses) {
      tx.Exec(
          "INSERT INTO kms_key_last_usage (account, region, key_id, used_ms, operation, "
          "request_id, event_id) SELECT $1::text, $2::text, $3::text, $4::bigint, $5::text, "
          "$6::text, $7::text WHERE EXISTS (SELECT 1 FROM kms_keys WHERE account = $1::text "
          "AND region = $2::text AND key_id = $3::text) "
          "ON CONFLICT (account, region, key_id) DO UPDATE SET used_ms = EXCLUDED.used_ms, "
          "operation = EXCLUDED.operation, request_id = EXCLUDED.request_id, "
          "event_id = EXCLUDED.event_id WHERE kms_key_last_usage.used_ms < EXCLUDED.used_ms",
          {u.account, u.region, u.key_id, u.when_ms, u.operation, u.request_id, u.event_id});
    }
    return Status::Ok();
  });
}

Result<KmsKeyUsage> PgKmsKeyUsageStore::GetKmsKeyUsage(const Scope& scope,
                                                       const std::string& key_id) {
  KmsKeyUsage out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read kms key usage", [&](Tx& tx) -> Status {
    auto r = tx.Exec(
        "SELECT t.since_ms, u.used_ms, u.operation, u.request_id, u.event_id "
        "FROM kms_key_usage_tracking t LEFT JOIN kms_key_last_usage u "
        "ON u.account = $1 AND u.region = $2 AND u.key_id = $3 WHERE t.id = 1",
        {scope.account, scope.region, key_id});
    if (r.empty()) {
      return Status(ErrorCode::kInternalServiceError, "kms key usage tracking row missing");
    }
    const auto& row = r[0];
    out.tracking_since_ms = Int(row[0]);
    if (!row[1].is_null()) {
      out.last = KmsKeyUse{scope.account, scope.region, key_id, Int(row[1]),
                           Text(row[2]),  Text(row[3]),  Text(row[4])};
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace arcana::storage::pg
