// arcanad's configuration: one struct, each field with its default. Sources, highest
// precedence first: command-line flags, ARCANA_* environment variables, a TOML file
// (--config FILE or ARCANA_CONFIG; keys are the flag names with '_' for '-'), defaults.
#pragma once

#include <string>

#include "common/status.h"

namespace arcana::config {

// The widest SigV4 clock skew an operator may configure (AWS itself uses 900 s).
inline constexpr int kMaxSkewSecondsLimit = 3600;
// More handler threads than this is a typo, not a configuration.
inline constexpr int kMaxWorkers = 1024;

struct Config {
  std::string listen = "127.0.0.1:7770";  // HOST:PORT (ARCANA_LISTEN)
  // Node-local files: the SQLite store (unless --store names another place), the root key
  // file (unless --root-key-file), operator token, audit log (ARCANA_DATA_DIR).
  std::string data_dir = "./data";
  // Where the shared state lives (ARCANA_STORE): "sqlite:DIR" (one node) or
  // "postgresql://user:pass@host:port/db" / "postgres://..." (any number of nodes).
  // "" = sqlite:<data_dir>, what earlier releases always used. See EffectiveStore().
  std::string store;
  // A PostgreSQL store: how long one round trip may go unanswered before the call fails
  // ServiceUnavailable (ARCANA_STORE_TIMEOUT_SECONDS; storage/postgres/pg_query_watchdog.h).
  int store_timeout_seconds = 20;
  // The key-file root of trust's key (ARCANA_ROOT_KEY_FILE; seal/keyfile.h). Every node of a
  // cluster needs the same one; the first node creates it when absent. "" = <data_dir>/root.key.
  std::string root_key_file;
  bool dev = false;            // any credentials accepted, loopback only (ARCANA_DEV)
  std::string tls_cert;        // PEM certificate chain (ARCANA_TLS_CERT)
  std::string tls_key;         // PEM private key (ARCANA_TLS_KEY)
  bool insecure_http = false;  // allow plain HTTP on a non-loopback address
  int threads = 0;             // I/O threads; 0 = one per core (ARCANA_THREADS)
  // Calls that may wait for the store run on a bounded worker pool (net/worker_pool.h); on
  // SQLite, reads the node's caches answer run on the I/O threads (net/pipeline.h).
  int workers = 0;                    // 0 = max(32, 8 x cores) (ARCANA_WORKERS)
  int max_queued_requests = 1024;     // beyond: ThrottlingException (ARCANA_MAX_QUEUED_REQUESTS)
  std::string account_id = "123456789012";  // the account of the root identity
  std::string default_region = "us-east-1";  // dev mode, when a request has no scope
  int max_skew_seconds = 900;               // SigV4 X-Amz-Date tolerance (1..3600)
  std::string log_level = "info";           // trace|debug|info|warn|error
  // Listener limits (net/http_server.h). max_connections 0: derived from RLIMIT_NOFILE.
  int max_connections = 0;          // open connections at most (ARCANA_MAX_CONNECTIONS)
  int request_timeout_seconds = 20;  // a request's header + body, from its first byte
  int idle_timeout_seconds = 60;     // a kept-alive connection between requests
  int shutdown_grace_seconds = 10;   // SIGTERM: in-flight requests' time before exit
  // Rotation (rotation/rotation_runner.h): the first retry of a failed run after this many
  // seconds, doubling; the URL functions call back ("" = this node's listener).
  int rotation_retry_seconds = 30;
  std::string rotation_endpoint;
  // The URL verifiers reach this server at, "scheme://host[:port]" (ARCANA_PUBLIC_URL): the
  // base of the token issuers' URLs (auth/web_identity_issuer.h); "" = this node's listener.
  // Every node of a cluster needs the same.
  std::string public_url;
  std::string rotation_python = "/usr/bin/python3";  // runs --python functions
  // Who functions made through the Lambda API (any principal's code) run as when arcanad runs
  // as root (rotation/function_invoker.h: FunctionUser) (ARCANA_FUNCTION_USER).
  std::string function_user = "nobody";
  // The user ids those functions' runs take, one each, in the function user's group (arcanad
  // as root; rotation/function_uids.h): FIRST-LAST, or none (they all run as function_user)
  // (ARCANA_FUNCTION_UIDS).
  std::string function_uids = "1879048192-1879113727";
  std::string config_file;                  // the TOML file read, if any
  // Root of trust (seal/seal_manager.h): keyfile | shamir | pkcs11; "" = what the data dir
  // records (keyfile for a new one) (ARCANA_SEAL)
  std::string seal;
  std::string pkcs11_module;       // PKCS#11 module path (ARCANA_PKCS11_MODULE)
  std::string pkcs11_token_label;  // token by label (ARCANA_PKCS11_TOKEN_LABEL)
  int pkcs11_slot = -1;            // or by slot id (ARCANA_PKCS11_SLOT)
  std::string pkcs11_pin;          // user PIN (ARCANA_PKCS11_PIN; prefer env/TOML to a flag)
  std::string pkcs11_key_label = "arcana-root-wrap";  // AES key (ARCANA_PKCS11_KEY_LABEL)
  // The operator endpoints' token (seal/operator_token.h): a file holding it
  // (ARCANA_OPERATOR_TOKEN_FILE); "" = <data-dir>/operator.token. ARCANA_OPERATOR_TOKEN, an
  // environment variable only, gives the token itself and wins.
  std::string operator_token_file;
  // Audit trail (audit/). The local file sink: chained, digest-signed JSON lines.
  std::string audit_dir;                   // "" = <data_dir>/audit (ARCANA_AUDIT_DIR)
  std::string audit_node;                  // file-set name; "" = <hostname>-<port>
  std::string audit_file = "fail-closed";  // fail-closed | fail-open | off
  int audit_max_file_mb = 64;              // rotate a record file beyond this
  int audit_digest_seconds = 300;          // a signed digest at least this often
  int audit_retention_days = 0;            // remove record files older than this; 0 = keep all
  std::string audit_syslog;                // "" = off; else the facility (authpriv, local0..7)
  std::string audit_http_url;              // "" = off; else POST JSON batches here
  std::string audit_http_mode = "fail-open";  // fail-open | fail-closed
  // Scheduled backups of a SQLite store (storage/store_backup.h, app/scheduled_backups.h):
  // "" = none (ARCANA_BACKUP_DIR); else a backup every backup_every_seconds, the newest
  // backup_keep kept. A PostgreSQL store is refused: PostgreSQL's own tools back it up.
  std::string backup_dir;
  int backup_every_seconds = 86400;  // ARCANA_BACKUP_EVERY_SECONDS
  int backup_keep = 7;               // ARCANA_BACKUP_KEEP
  // IAM account quotas (services/iam/iam_service.h: IamQuotas), AWS's defaults: CreateUser,
  // CreateGroup, CreateRole and CreatePolicy beyond them are LimitExceeded, and
  // GetAccountSummary reports them (UsersQuota, ...). Every node of a cluster needs the same.
  int iam_users_quota = 5000;     // UsersPerAccount (ARCANA_IAM_USERS_QUOTA)
  int iam_groups_quota = 300;     // GroupsPerAccount (ARCANA_IAM_GROUPS_QUOTA)
  int iam_roles_quota = 1000;     // RolesPerAccount (ARCANA_IAM_ROLES_QUOTA)
  int iam_policies_quota = 1500;  // PoliciesPerAccount (ARCANA_IAM_POLICIES_QUOTA)
  // Parameter Store's parameters per account and region (services/ssm/ssm_service.h:
  // SsmQuotas), AWS's: a create beyond is ParameterLimitExceeded, and Intelligent-Tiering
  // makes a new parameter Advanced once Standard is full. Every node of a cluster needs the same.
  int ssm_standard_parameters_quota = 10000;   // ARCANA_SSM_STANDARD_PARAMETERS_QUOTA
  int ssm_advanced_parameters_quota = 100000;  // ARCANA_SSM_ADVANCED_PARAMETERS_QUOTA
};

// Parses argv (CLI11), the environment and the TOML file. On --help, prints usage and
// returns kOk with `exit_now` set.
Result<Config> LoadConfig(int argc, char** argv, bool* exit_now);

// The store URL in force: cfg.store, or "sqlite:<data_dir>" when none was given.
std::string EffectiveStore(const Config& cfg);
// The root key file in force: cfg.root_key_file, or <data_dir>/root.key.
std::string EffectiveRootKeyFile(const Config& cfg);
// The audit directory in force: cfg.audit_dir, or <data_dir>/audit.
std::string EffectiveAuditDir(const Config& cfg);

// Splits "host:port" ("[::1]:7770" for IPv6). Error: kInvalidParameter.
Status SplitListen(const std::string& listen, std::string* host, unsigned short* port);
bool IsLoopback(const std::string& host);

}  // namespace arcana::config
