// Opening the store: the one place that knows which backend serves which component.
// `--store sqlite:DIR` (the embedded default: DIR/arcana.db, one node) or
// `--store postgresql://user:pass@host:port/db` (any number of nodes on one database).
// The caller gets every component of the seam, with this node's caches already in front of
// the hot ones (cached_secret_store.h, cached_parameter_store.h, cached_kms_store.h) and
// following the change sequence.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "storage/access_key_store.h"
#include "storage/audit_index_store.h"
#include "storage/change_follower.h"
#include "storage/change_log.h"
#include "storage/event_connection_store.h"
#include "storage/event_delivery_store.h"
#include "storage/event_rule_store.h"
#include "storage/function_store.h"
#include "storage/identity_store.h"
#include "storage/job_store.h"
#include "storage/kms_key_usage_store.h"
#include "storage/kms_store.h"
#include "storage/meta_store.h"
#include "storage/parameter_store.h"
#include "storage/root_store.h"
#include "storage/secret_store.h"

namespace arcana::storage {

struct StoreLocation {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::string sqlite_dir;  // kSqlite: the database is <dir>/arcana.db
  std::string pg_url;      // kPostgres: a libpq connection URI (postgresql://...)
  int pg_query_timeout_ms = 20000;  // kPostgres: pg::Database::Options::query_timeout_ms
  std::string node;  // kPostgres: the name its change rows carry (Change::node); "" for the CLI
};

// "sqlite:DIR" | "postgresql://..." | "postgres://...". Error: kInvalidParameter naming the
// accepted forms (the message never repeats a password).
Result<StoreLocation> ParseStoreLocation(const std::string& url);
// The location for logs: a PostgreSQL URI with its password replaced by "***".
std::string Redacted(const StoreLocation& where);

// Every component of one open store. Components are valid while this object lives; all of
// them are safe to use from any thread.
class Stores {
 public:
  virtual ~Stores() = default;
  virtual SecretStore& secrets() = 0;
  virtual ParameterStore& parameters() = 0;
  virtual KmsStore& kms() = 0;
  // KMS keys' last uses (GetKeyLastUsage): written in batches, read through, never cached.
  virtual KmsKeyUsageStore& kms_key_usage() = 0;
  virtual AccessKeyStore& access_keys() = 0;
  virtual IdentityStore& identities() = 0;  // IAM users, groups, roles, policies; STS sessions
  virtual MetaStore& meta() = 0;
  virtual RootOfTrustStore& root() = 0;
  virtual ChangeLog& changes() = 0;
  virtual JobStore& jobs() = 0;
  virtual FunctionStore& functions() = 0;  // rotation functions
  virtual EventRuleStore& event_rules() = 0;  // EventBridge-style rules and targets
  // EventBridge connections and API destinations (their credentials sealed).
  virtual EventConnectionStore& event_connections() = 0;
  // Event deliveries (pending, dead-lettered) and the detections' denial counters.
  virtual EventDeliveryStore& event_deliveries() = 0;
  // Every node's audit records, searchable (audit_index_store.h); nullptr when the store
  // serves one node only (SQLite), whose own record files are then the whole trail.
  virtual AuditIndexStore* audit_index() = 0;
  // This node's follower of the change sequence: caches subscribe to it (change_follower.h).
  virtual ChangeFollower& follower() = 0;
  virtual const char* backend() const = 0;  // "sqlite" | "postgresql"
  // False while the store cannot be reached (a PostgreSQL server refusing, resetting or not
  // answering, until a call succeeds again): the node's health says so.
  virtual bool reachable() const { return true; }
  // Dev-mode reset: drops every secret, parameter, KMS object, IAM identity, event rule,
  // connection and API destination (keeps the root access keys and meta).
  virtual Status WipeResources() = 0;
};

// Opens (creating if needed) and migrates the store. Migrations run once, under a lock
// (PostgreSQL: an advisory lock), whichever node starts first.
Result<std::unique_ptr<Stores>> OpenStores(const StoreLocation& where);

}  // namespace arcana::storage
