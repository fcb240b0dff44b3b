#include "storage/sqlite/sqlite_stores.h"

#include "storage/sqlite/access_key_store.h"
#include "storage/sqlite/change_log.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/event_connection_store.h"
#include "storage/sqlite/event_delivery_store.h"
#include "storage/sqlite/event_rule_store.h"
#include "storage/sqlite/function_store.h"
#include "storage/sqlite/identity_store.h"
#include "storage/sqlite/job_store.h"
#include "storage/sqlite/kms_key_usage_store.h"
#include "storage/sqlite/kms_store.h"
#include "storage/sqlite/meta_store.h"
#include "storage/sqlite/parameter_store.h"
#include "storage/sqlite/root_store.h"
#include "storage/sqlite/secret_store.h"

namespace arcana::storage::sqlite {

namespace {

class SqliteStores : public Stores {
 public:
  explicit SqliteStores(std::unique_ptr<Database> db)
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
        follower_(changes_) {}

  SecretStore& secrets() override { return secrets_; }
  ParameterStore& parameters() override { return parameters_; }
  KmsStore& kms() override { return kms_; }
  KmsKeyUsageStore& kms_key_usage() override { return kms_key_usage_; }
  AccessKeyStore& access_keys() override { return access_keys_; }
  IdentityStore& identities() override { return identities_; }
  MetaStore& meta() override { return meta_; }
  RootOfTrustStore& root() override { return root_; }
  ChangeLog& changes() override { return changes_; }
  JobStore& jobs() override { return jobs_; }
  FunctionStore& functions() override { return functions_; }
  EventRuleStore& event_rules() override { return event_rules_; }
  EventConnectionStore& event_connections() override { return event_connections_; }
  EventDeliveryStore& event_deliveries() override { return event_deliveries_; }
  // One node: its record files are the whole trail (LookupEvents reads them).
  AuditIndexStore* audit_index() override { return nullptr; }
  ChangeFollower& follower() override { return follower_; }
  const char* backend() const override { return "sqlite"; }
  Status WipeResources() override {
    ARCANA_RETURN_IF_ERROR(secrets_.WipeSecrets());
    ARCANA_RETURN_IF_ERROR(parameters_.WipeParameters());
    ARCANA_RETURN_IF_ERROR(identities_.WipeIdentities());
    ARCANA_RETURN_IF_ERROR(event_rules_.WipeEventRules());
    ARCANA_RETURN_IF_ERROR(event_connections_.WipeEventConnections());
    return kms_.WipeKms();
  }

 private:
  std::unique_ptr<Database> db_;
  SqliteSecretStore secrets_;
  SqliteParameterStore parameters_;
  SqliteKmsStore kms_;
  SqliteKmsKeyUsageStore kms_key_usage_;
  SqliteAccessKeyStore access_keys_;
  SqliteIdentityStore identities_;
  SqliteMetaStore meta_;
  SqliteRootStore root_;
  SqliteChangeLog changes_;
  SqliteJobStore jobs_;
  SqliteFunctionStore functions_;
  SqliteEventRuleStore event_rules_;
  SqliteEventConnectionStore event_connections_;
  SqliteEventDeliveryStore event_deliveries_;
  ChangeFollower follower_;
};

}  // namespace

Result<std::unique_ptr<Stores>> OpenSqliteStores(const std::string& path) {
  ARCANA_ASSIGN_OR_RETURN(
      auto db, Database::Open(path, {SqliteSecretStore::Schema(), SqliteKmsStore::Schema(),
                                     SqliteParameterStore::Schema(), SqliteChangeLog::Schema(),
                                     SqliteJobStore::Schema(), SqliteIdentityStore::Schema(),
                                     SqliteFunctionStore::Schema(),
                                     SqliteEventRuleStore::Schema(),
                                     SqliteEventConnectionStore::Schema(),
                                     SqliteEventDeliveryStore::Schema()}));
  return std::unique_ptr<Stores>(new SqliteStores(std::move(db)));
}

}  // namespace arcana::storage::sqlite
