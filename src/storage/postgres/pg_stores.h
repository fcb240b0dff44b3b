// The PostgreSQL store: every component of the seam (stores.h) over one shared pg::Database
// (a bounded connection pool; pg_database.h), for any number of arcanad nodes on one database.
// Opening applies the schema migrations once, under an advisory lock, whichever node starts
// first (versions per component in arcana_schema_versions). The tables have plain names
// (secrets, meta, jobs, ...): give Arcana a database of its own, or a schema of its own
// set as its search_path (e.g. with the URL's `options` parameter).
// storage::OpenStores calls OpenPgStores for `--store postgresql://...`.
#pragma once

#include <memory>
#include <string>

#include "storage/postgres/pg_access_key_store.h"
#include "storage/postgres/pg_change_log.h"
#include "storage/postgres/pg_database.h"
#include "storage/postgres/pg_event_connection_store.h"
#include "storage/postgres/pg_event_delivery_store.h"
#include "storage/postgres/pg_event_rule_store.h"
#include "storage/postgres/pg_function_store.h"
#include "storage/postgres/pg_identity_store.h"
#include "storage/postgres/pg_job_store.h"
#include "storage/postgres/pg_kms_key_usage_store.h"
#include "storage/postgres/pg_audit_index_store.h"
#include "storage/postgres/pg_kms_store.h"
#include "storage/postgres/pg_meta_store.h"
#include "storage/postgres/pg_parameter_store.h"
#include "storage/postgres/pg_root_store.h"
#include "storage/postgres/pg_secret_store.h"
#include "storage/stores.h"

namespace arcana::storage::pg {

class PgStores : public Stores {
 public:
  explicit PgStores(std::unique_ptr<Database> db);
  ~PgStores() override;

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
  AuditIndexStore* audit_index() override { return &audit_index_; }
  ChangeFollower& follower() override { return *follower_; }
  const char* backend() const override { return "postgresql"; }
  bool reachable() const override { return db_->reachable(); }
  Status WipeResources() override;

 private:
  std::unique_ptr<Database> db_;
  PgSecretStore secrets_;
  PgParameterStore parameters_;
  PgKmsStore kms_;
  PgKmsKeyUsageStore kms_key_usage_;
  PgAccessKeyStore access_keys_;
  PgIdentityStore identities_;
  PgMetaStore meta_;
  PgRootStore root_;
  PgChangeLog changes_;
  PgJobStore jobs_;
  PgFunctionStore functions_;
  PgEventRuleStore event_rules_;
  PgEventConnectionStore event_connections_;
  PgEventDeliveryStore event_deliveries_;
  PgAuditIndexStore audit_index_;
  std::unique_ptr<ChangeFollower> follower_;
};

// Every component's migrations, in the order they are applied.
std::vector<Migrations> Schema();

}  // namespace arcana::storage::pg

namespace arcana::storage {

// url: a libpq connection URI (postgresql://user:pass@host:port/db). kServiceUnavailable when
// the database cannot be reached (the message never repeats the password). node: the name
// this node's change rows carry (pg::Database::Options::node).
Result<std::unique_ptr<Stores>> OpenPgStores(const std::string& url,
                                             int query_timeout_ms = 20000,
                                             const std::string& node = "");

}  // namespace arcana::storage
