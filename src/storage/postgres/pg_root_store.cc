#include "storage/postgres/pg_root_store.h"

#include "storage/postgres/pg_meta_store.h"

namespace arcana::storage::pg {

namespace {

constexpr size_t kBatch = 500;
constexpr const char* kKind = "RewrapRootBlobs";

using Kind = RootWrappedBlob::Kind;

RootWrappedBlob Blob(Kind kind, std::string id, std::string sub, std::string blob) {
  RootWrappedBlob b;
  b.kind = kind;
  b.id = std::move(id);
  b.sub = std::move(sub);
  b.blob = std::move(blob);
  return b;
}

void ApplyMeta(Tx& tx, const std::vector<std::pair<std::string, std::string>>& puts,
               const std::vector<std::string>& deletes) {
  for (const auto& [k, v] : puts) PutMetaIn(tx, k, v);
  for (const auto& k : deletes) DeleteMetaIn(tx, k);
}

}  // namespace

Result<size_t> PgRootStore::RewrapRootBlobs(
    const std::vector<std::string>& meta_keys, const RewrapFn& fn,
    const std::vector<std::pair<std::string, std::string>>& meta_puts,
    const std::vector<std::string>& meta_deletes) {
  size_t changed = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write("rewrap root blobs", [&](Tx& tx) -> Status {
    changed = 0;  // a retried run starts over
    tx.Exec("LOCK TABLE access_keys, iam_access_keys, sts_sessions, iam_entity_secrets, "
            "secret_values, kms_key_materials, event_connections, meta IN EXCLUSIVE MODE");

    // The root's access keys, IAM users' keys, STS sessions and IAM entities' secrets, by id:
    // each sealed for (id, account, principal), the principal of the latter three as
    // storage/identity_store.h names it.
    static const std::pair<const char*, const char*> kKeyTables[] = {
        {"SELECT id, account, principal, sealed FROM access_keys WHERE id > $1 "
         "ORDER BY id LIMIT $2",
         "UPDATE access_keys SET sealed = $2 WHERE id = $1"},
        {"SELECT id, account, 'user:' || user_key, sealed FROM iam_access_keys WHERE id > $1 "
         "ORDER BY id LIMIT $2",
         "UPDATE iam_access_keys SET sealed = $2 WHERE id = $1"},
        {"SELECT id, account, 'sts-session', sealed FROM sts_sessions WHERE id > $1 "
         "ORDER BY id LIMIT $2",
         "UPDATE sts_sessions SET sealed = $2 WHERE id = $1"},
        {"SELECT id, account, 'iam-entity:' || kind, sealed FROM iam_entity_secrets "
         "WHERE id > $1 ORDER BY id LIMIT $2",
         "UPDATE iam_entity_secrets SET sealed = $2 WHERE id = $1"},
    };
    for (const auto& [select, update] : kKeyTables) {
      for (std::string after;;) {
        auto rows = tx.Exec(select, {after, kBatch});
        for (const auto& row : rows) {
          RootWrappedBlob b = Blob(Kind::kAccessKeySecret, Text(row[0]), "", Bytes(row[3]));
          b.account = Text(row[1]);
          b.principal = Text(row[2]);
          after = b.id;
          ARCANA_ASSIGN_OR_RETURN(auto nb, fn(b));
          if (!nb) continue;
          tx.Exec(update, {b.id, Param::Bytes(*nb)});
          ++changed;
        }
        if (rows.size() < kBatch) break;
      }
    }

    // Secret values, by (arn, version id).
    for (std::string after_arn, after_version;;) {
      auto rows = tx.Exec(
          "SELECT arn, version_id, sealed FROM secret_values WHERE (arn, version_id) > ($1, $2) "
          "ORDER BY arn, version_id LIMIT $3",
          {after_arn, after_version, kBatch});
      for (const auto& row : rows) {
        RootWrappedBlob b = Blob(Kind::kSecretValue, Text(row[0]), Text(row[1]), Bytes(row[2]));
        after_arn = b.id;
        after_version = b.sub;
        ARCANA_ASSIGN_OR_RETURN(auto nb, fn(b));
        if (!nb) continue;
        tx.Exec("UPDATE secret_values SET sealed = $3 WHERE arn = $1 AND version_id = $2",
                {b.id, b.sub, Param::Bytes(*nb)});
        ++changed;
      }
      if (rows.size() < kBatch) break;
    }

    // KMS key materials, by (key id, material id).
    for (std::string after_key, after_material;;) {
      auto rows = tx.Exec(
          "SELECT key_id, material_id, aad, wrapped FROM kms_key_materials "
          "WHERE (key_id, material_id) > ($1, $2) ORDER BY key_id, material_id LIMIT $3",
          {after_key, after_material, kBatch});
      for (const auto& row : rows) {
        RootWrappedBlob b = Blob(Kind::kKmsKeyMaterial, Text(row[0]), Text(row[1]), Bytes(row[3]));
        b.aad = Text(row[2]);
        after_key = b.id;
        after_material = b.sub;
        ARCANA_ASSIGN_OR_RETURN(auto nb, fn(b));
        if (!nb) continue;
        tx.Exec(
            "UPDATE kms_key_materials SET wrapped = $3 WHERE key_id = $1 AND material_id = $2",
            {b.id, b.sub, Param::Bytes(*nb)});
        ++changed;
      }
      if (rows.size() < kBatch) break;
    }

    // EventBridge connections' credentials, by ARN (unique; stored as text).
    for (std::string after;;) {
      auto rows = tx.Exec(
          "SELECT arn, sealed FROM event_connections WHERE kind = 'connection' AND "
          "sealed <> '' AND arn > $1 ORDER BY arn LIMIT $2",
          {after, kBatch});
      for (const auto& row : rows) {
        RootWrappedBlob b = Blob(Kind::kEventConnectionSecret, Text(row[0]), "", Text(row[1]));
        after = b.id;
        ARCANA_ASSIGN_OR_RETURN(auto nb, fn(b));
        if (!nb) continue;
        tx.Exec("UPDATE event_connections SET sealed = $2 WHERE arn = $1", {b.id, *nb});
        ++changed;
      }
      if (rows.size() < kBatch) break;
    }

    // The named meta keys that are present.
    for (const auto& k : meta_keys) {
      auto r = tx.Exec("SELECT value FROM meta WHERE key = $1", {k});
      if (r.empty()) continue;
      RootWrappedBlob b = Blob(Kind::kMeta, k, "", Bytes(r[0][0]));
      ARCANA_ASSIGN_OR_RETURN(auto nb, fn(b));
      if (!nb) continue;
      PutMetaIn(tx, k, *nb);
      ++changed;
    }
    ApplyMeta(tx, meta_puts, meta_deletes);
    // Every root-wrapped blob changed at once: one Change tells every node's caches of
    // sealed bytes to drop everything (change_log.h).
    tx.AddChange({0, 0, "", "", "arcana", Change::kRootResource, kKind});
    return Status::Ok();
  }));
  return changed;
}

Status PgRootStore::UpdateMeta(const std::vector<std::pair<std::string, std::string>>& puts,
                               const std::vector<std::string>& deletes) {
  return db_.Write("update meta", [&](Tx& tx) {
    ApplyMeta(tx, puts, deletes);
    return Status::Ok();
  });
}

}  // namespace arcana::storage::pg
