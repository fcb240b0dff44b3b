#include "storage/postgres/pg_stores.h"

namespace arcana::storage::pg {

PgStores::PgStores(std::unique_ptr<Database> db)
    : db_(std::move(db)),
      secrets_(*db_),
      parameters_(*db_),
      kms_(*db_),
      kms_key_usage_(*db_),
      access_keys_(*db_),
      identities_(*db_),
      meta_(*db_),
      root_(*db_),
      changes_(*db_),
      jobs_(*db_),
      functions_(*db_),
      event_rules_(*db_),
      event_connections_(*db_),
      event_deliveries_(*db_),
      audit_index_(*db_),
      follower_(std::make_unique<ChangeFollower>(changes_)) {}

PgStores::~PgStores() = default;

Status PgStores::WipeResources() {
  ARCANA_RETURN_IF_ERROR(secrets_.WipeSecrets());
  ARCANA_RETURN_IF_ERROR(parameters_.WipeParameters());
  ARCANA_RETURN_IF_ERROR(identities_.WipeIdentities());
  ARCANA_RETURN_IF_ERROR(event_rules_.WipeEventRules());
  ARCANA_RETURN_IF_ERROR(event_connections_.WipeEventConnections());
  return kms_.WipeKms();
}

std::vector<Migrations> Schema() {
  return {PgChangeLog::Schema(),   PgMetaStore::Schema(), PgAccessKeyStore::Schema(),
          PgSecretStore::Schema(), PgParameterStore::Schema(), PgKmsStore::Schema(),
          PgJobStore::Schema(), PgIdentityStore::Schema(), PgFunctionStore::Schema(),
          PgEventRuleStore::Schema(), PgEventDeliveryStore::Schema(),
          PgEventConnectionStore::Schema(), PgAuditIndexStore::Schema()};
}

}  // namespace arcana::storage::pg

namespace arcana::storage {

Result<std::unique_ptr<Stores>> OpenPgStores(const std::string& url, int query_timeout_ms,
                                             const std::string& node) {
  pg::Database::Options options;
  options.query_timeout_ms = query_timeout_ms;
  options.node = node;
  ARCANA_ASSIGN_OR_RETURN(auto db, pg::Database::Open(url, options, pg::Schema()));
  return std::unique_ptr<Stores>(std::make_unique<pg::PgStores>(std::move(db)));
}

}  // namespace arcana::storage
