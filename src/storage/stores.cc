#include "storage/stores.h"

#include "storage/cached_kms_store.h"
#include "storage/cached_parameter_store.h"
#include "storage/cached_secret_store.h"
#include "storage/postgres/pg_stores.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana::storage {

namespace {
constexpr std::string_view kSqlitePrefix = "sqlite:";

// A backend's Stores with this node's caches in front of the hot components (secrets,
// parameters, KMS keys), driven by the backend's change follower. Everything else goes to the backend.
class CachedStores final : public Stores {
 public:
  explicit CachedStores(std::unique_ptr<Stores> backend)
      : backend_(std::move(backend)),
        secrets_(backend_->secrets(), backend_->follower()),
        parameters_(backend_->parameters(), backend_->follower()),
        kms_(backend_->kms(), backend_->follower()) {}

  SecretStore& secrets() override { return secrets_; }
  ParameterStore& parameters() override { return parameters_; }
  KmsStore& kms() override { return kms_; }
  KmsKeyUsageStore& kms_key_usage() override { return backend_->kms_key_usage(); }
  AccessKeyStore& access_keys() override { return backend_->access_keys(); }
  IdentityStore& identities() override { return backend_->identities(); }
  MetaStore& meta() override { return backend_->meta(); }
  RootOfTrustStore& root() override { return backend_->root(); }
  ChangeLog& changes() override { return backend_->changes(); }
  JobStore& jobs() override { return backend_->jobs(); }
  FunctionStore& functions() override { return backend_->functions(); }
  EventRuleStore& event_rules() override { return backend_->event_rules(); }
  EventConnectionStore& event_connections() override { return backend_->event_connections(); }
  EventDeliveryStore& event_deliveries() override { return backend_->event_deliveries(); }
  AuditIndexStore* audit_index() override { return backend_->audit_index(); }
  ChangeFollower& follower() override { return backend_->follower(); }
  const char* backend() const override { return backend_->backend(); }
  bool reachable() const override { return backend_->reachable(); }
  // The wipe appends a change per resource it drops, so the caches follow it.
  Status WipeResources() override { return backend_->WipeResources(); }

 private:
  std::unique_ptr<Stores> backend_;
  CachedSecretStore secrets_;
  CachedParameterStore parameters_;
  CachedKmsStore kms_;
};

Status BadLocation() {
  return Status(ErrorCode::kInvalidParameter,
                "store must be sqlite:DIR, postgresql://user:pass@host:port/db or "
                "postgres://user:pass@host:port/db");
}
}  // namespace

Result<StoreLocation> ParseStoreLocation(const std::string& url) {
  StoreLocation where;
  if (url.starts_with(kSqlitePrefix)) {
    where.kind = StoreLocation::Kind::kSqlite;
    where.sqlite_dir = url.substr(kSqlitePrefix.size());
    if (where.sqlite_dir.empty()) return BadLocation();
    return where;
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    where.kind = StoreLocation::Kind::kPostgres;
    where.pg_url = url;
    return where;
  }
  return BadLocation();
}

std::string Redacted(const StoreLocation& where) {
  if (where.kind == StoreLocation::Kind::kSqlite) return "sqlite:" + where.sqlite_dir;
  // postgresql://user:password@host/...: hide what lies between the user's ':' and '@'.
  const std::string& u = where.pg_url;
  size_t scheme = u.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = u.find_first_of("/?", start);
  std::string_view authority(u.data() + start, (end == std::string::npos ? u.size() : end) - start);
  size_t at = authority.rfind('@');
  size_t colon = authority.find(':');
  std::string out = u;
  if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
    out = u.substr(0, start + colon + 1) + "***" + u.substr(start + at);
  }
  // A password may also come as a query parameter (?password=...).
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p)) {
    p += 9;
    size_t amp = out.find('&', p);
    out.replace(p, (amp == std::string::npos ? out.size() : amp) - p, "***");
  }
  return out;
}

Result<std::unique_ptr<Stores>> OpenStores(const StoreLocation& where) {
  switch (where.kind) {
    case StoreLocation::Kind::kSqlite: {
      ARCANA_ASSIGN_OR_RETURN(auto backend,
                              sqlite::OpenSqliteStores(where.sqlite_dir + "/arcana.db"));
      return std::unique_ptr<Stores>(new CachedStores(std::move(backend)));
    }
    case StoreLocation::Kind::kPostgres: {
      ARCANA_ASSIGN_OR_RETURN(auto backend, OpenPgStores(where.pg_url, where.pg_query_timeout_ms,
                                                         where.node));
      return std::unique_ptr<Stores>(new CachedStores(std::move(backend)));
    }
  }
  return Status(ErrorCode::kInvalidParameter, "unknown store kind");
}

}  // namespace arcana::storage
