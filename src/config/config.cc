#include "config/config.h"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <arpa/inet.h>

#include <cstdlib>
#include <iostream>

#include "auth/sigv4.h"

namespace arcana::config {
namespace {

// Applies TOML values as new defaults, before flags and env are parsed.
Status ApplyToml(const std::string& path, Config& c) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status(ErrorCode::kInvalidParameter,
                  "cannot parse " + path + ": " + std::string(e.description()));
  }
  auto str = [&](const char* k, std::string& out) {
    if (auto v = t[k].value<std::string>()) out = *v;
  };
  auto boolean = [&](const char* k, bool& out) {
    if (auto v = t[k].value<bool>()) out = *v;
  };
  auto integer = [&](const char* k, int& out) {
    if (auto v = t[k].value<int64_t>()) out = static_cast<int>(*v);
  };
  str("listen", c.listen);
  str("data_dir", c.data_dir);
  str("store", c.store);
  integer("store_timeout_seconds", c.store_timeout_seconds);
  str("root_key_file", c.root_key_file);
  boolean("dev", c.dev);
  str("tls_cert", c.tls_cert);
  str("tls_key", c.tls_key);
  boolean("insecure_http", c.insecure_http);
  integer("threads", c.threads);
  integer("workers", c.workers);
  integer("max_queued_requests", c.max_queued_requests);
  str("account_id", c.account_id);
  str("default_region", c.default_region);
  integer("max_skew_seconds", c.max_skew_seconds);
  str("log_level", c.log_level);
  integer("max_connections", c.max_connections);
  integer("request_timeout_seconds", c.request_timeout_seconds);
  integer("idle_timeout_seconds", c.idle_timeout_seconds);
  integer("shutdown_grace_seconds", c.shutdown_grace_seconds);
  integer("rotation_retry_seconds", c.rotation_retry_seconds);
  str("rotation_endpoint", c.rotation_endpoint);
  str("public_url", c.public_url);
  str("rotation_python", c.rotation_python);
  str("function_user", c.function_user);
  str("function_uids", c.function_uids);
  str("seal", c.seal);
  str("pkcs11_module", c.pkcs11_module);
  str("pkcs11_token_label", c.pkcs11_token_label);
  integer("pkcs11_slot", c.pkcs11_slot);
  str("pkcs11_pin", c.pkcs11_pin);
  str("pkcs11_key_label", c.pkcs11_key_label);
  str("operator_token_file", c.operator_token_file);
  str("audit_dir", c.audit_dir);
  str("audit_node", c.audit_node);
  str("audit_file", c.audit_file);
  integer("audit_max_file_mb", c.audit_max_file_mb);
  integer("audit_digest_seconds", c.audit_digest_seconds);
  integer("audit_retention_days", c.audit_retention_days);
  str("audit_syslog", c.audit_syslog);
  str("audit_http_url", c.audit_http_url);
  str("audit_http_mode", c.audit_http_mode);
  str("backup_dir", c.backup_dir);
  integer("backup_every_seconds", c.backup_every_seconds);
  integer("backup_keep", c.backup_keep);
  integer("iam_users_quota", c.iam_users_quota);
  integer("iam_groups_quota", c.iam_groups_quota);
  integer("iam_roles_quota", c.iam_roles_quota);
  integer("iam_policies_quota", c.iam_policies_quota);
  integer("ssm_standard_parameters_quota", c.ssm_standard_parameters_quota);
  integer("ssm_advanced_parameters_quota", c.ssm_advanced_parameters_quota);
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(int argc, char** argv, bool* exit_now) {
  *exit_now = false;
  Config c;
  // The config file must be known before the other sources are parsed.
  std::string file;
  if (const char* e = std::getenv("ARCANA_CONFIG")) file = e;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) file = argv[i + 1];
    if (a.rfind("--config=", 0) == 0) file = a.substr(9);
  }
  if (!file.empty()) {
    ARCANA_RETURN_IF_ERROR(ApplyToml(file, c));
    c.config_file = file;
  }

  CLI::App app{"arcanad: a self-hosted AWS Secrets Manager compatible server"};
  std::string config_flag;
  app.add_option("--config", config_flag, "TOML configuration file")->envname("ARCANA_CONFIG");
  app.add_option("--listen", c.listen, "HOST:PORT to listen on")->envname("ARCANA_LISTEN")
      ->capture_default_str();
  app.add_option("--data-dir", c.data_dir,
                 "node-local directory: the SQLite store (by default), root key file, operator "
                 "token, audit log")
      ->envname("ARCANA_DATA_DIR")->capture_default_str();
  app.add_option("--store", c.store,
                 "where the shared state lives: sqlite:DIR (one node; default sqlite:<data-dir>) "
                 "or postgresql://user:pass@host:port/db (any number of nodes)")
      ->envname("ARCANA_STORE");
  app.add_option("--store-timeout-seconds", c.store_timeout_seconds,
                 "a PostgreSQL store: a call whose round trip goes unanswered this long fails "
                 "ServiceUnavailable (its connection is closed)")
      ->envname("ARCANA_STORE_TIMEOUT_SECONDS")->capture_default_str();
  app.add_option("--root-key-file", c.root_key_file,
                 "the key-file root of trust's key (default <data-dir>/root.key; created 0600 "
                 "when absent; every node of a cluster needs the same file)")
      ->envname("ARCANA_ROOT_KEY_FILE");
  app.add_flag("--dev", c.dev, "dev mode: any credentials accepted, loopback only")
      ->envname("ARCANA_DEV");
  app.add_option("--tls-cert", c.tls_cert, "PEM certificate chain")->envname("ARCANA_TLS_CERT");
  app.add_option("--tls-key", c.tls_key, "PEM private key")->envname("ARCANA_TLS_KEY");
  app.add_flag("--insecure-http", c.insecure_http,
               "allow plain HTTP on a non-loopback address")->envname("ARCANA_INSECURE_HTTP");
  app.add_option("--threads", c.threads, "I/O threads (0 = one per core)")
      ->envname("ARCANA_THREADS");
  app.add_option("--workers", c.workers,
                 "handler threads (0 = max(32, 8 x cores): handlers wait on the store)")
      ->envname("ARCANA_WORKERS");
  app.add_option("--max-queued-requests", c.max_queued_requests,
                 "requests waiting for a worker at most; beyond, ThrottlingException")
      ->envname("ARCANA_MAX_QUEUED_REQUESTS")->capture_default_str();
  app.add_option("--account-id", c.account_id, "12-digit account id")
      ->envname("ARCANA_ACCOUNT_ID")->capture_default_str();
  app.add_option("--default-region", c.default_region, "region when a request names none (dev)")
      ->envname("ARCANA_DEFAULT_REGION");
  app.add_option("--max-skew-seconds", c.max_skew_seconds, "allowed SigV4 clock skew")
      ->envname("ARCANA_MAX_SKEW_SECONDS");
  app.add_option("--log-level", c.log_level, "trace|debug|info|warn|error")
      ->envname("ARCANA_LOG_LEVEL");
  app.add_option("--max-connections", c.max_connections,
                 "open connections at most (0 = from RLIMIT_NOFILE, at most 4096)")
      ->envname("ARCANA_MAX_CONNECTIONS");
  app.add_option("--request-timeout-seconds", c.request_timeout_seconds,
                 "a request's header and body must arrive within this of its first byte")
      ->envname("ARCANA_REQUEST_TIMEOUT_SECONDS")->capture_default_str();
  app.add_option("--idle-timeout-seconds", c.idle_timeout_seconds,
                 "a kept-alive connection is closed after this long without a request")
      ->envname("ARCANA_IDLE_TIMEOUT_SECONDS")->capture_default_str();
  app.add_option("--shutdown-grace-seconds", c.shutdown_grace_seconds,
                 "on SIGTERM, in-flight requests get this long before the process exits")
      ->envname("ARCANA_SHUTDOWN_GRACE_SECONDS")->capture_default_str();
  app.add_option("--rotation-retry-seconds", c.rotation_retry_seconds,
                 "a failed rotation is retried after this long, doubling, 5 runs at most")
      ->envname("ARCANA_ROTATION_RETRY_SECONDS")->capture_default_str();
  app.add_option("--rotation-endpoint", c.rotation_endpoint,
                 "the URL rotation functions call back (default: this node's listener)")
      ->envname("ARCANA_ROTATION_ENDPOINT");
  app.add_option("--public-url", c.public_url,
                 "the URL verifiers reach this server at: the base of the web identity token "
                 "issuers' URLs (default: this node's listener; the same on every node)")
      ->envname("ARCANA_PUBLIC_URL");
  app.add_option("--rotation-python", c.rotation_python,
                 "the interpreter of Python-runtime rotation functions")
      ->envname("ARCANA_ROTATION_PYTHON")->capture_default_str();
  app.add_option("--function-user", c.function_user,
                 "the user functions made through the Lambda API run as (arcanad running as "
                 "root; otherwise they run as arcanad's own user)")
      ->envname("ARCANA_FUNCTION_USER")->capture_default_str();
  app.add_option("--function-uids", c.function_uids,
                 "the user ids (FIRST-LAST, or none) those functions' runs take, one each, in "
                 "the function user's group (arcanad running as root)")
      ->envname("ARCANA_FUNCTION_UIDS")->capture_default_str();
  app.add_option("--seal", c.seal, "root of trust: keyfile | shamir | pkcs11 (default: as recorded)")
      ->envname("ARCANA_SEAL");
  app.add_option("--pkcs11-module", c.pkcs11_module, "PKCS#11 module (.so) for --seal pkcs11")
      ->envname("ARCANA_PKCS11_MODULE");
  app.add_option("--pkcs11-token-label", c.pkcs11_token_label, "PKCS#11 token label")
      ->envname("ARCANA_PKCS11_TOKEN_LABEL");
  app.add_option("--pkcs11-slot", c.pkcs11_slot, "PKCS#11 slot id (instead of a token label)")
      ->envname("ARCANA_PKCS11_SLOT");
  app.add_option("--pkcs11-pin", c.pkcs11_pin, "PKCS#11 user PIN (prefer ARCANA_PKCS11_PIN)")
      ->envname("ARCANA_PKCS11_PIN");
  app.add_option("--pkcs11-key-label", c.pkcs11_key_label, "label of the wrapping AES key")
      ->envname("ARCANA_PKCS11_KEY_LABEL")->capture_default_str();
  app.add_option("--operator-token-file", c.operator_token_file,
                 "operator token for /_arcana/operator/* (default <data-dir>/operator.token, "
                 "created at first start; ARCANA_OPERATOR_TOKEN gives the token itself)")
      ->envname("ARCANA_OPERATOR_TOKEN_FILE");
  app.add_option("--audit-dir", c.audit_dir, "audit files (default <data-dir>/audit)")
      ->envname("ARCANA_AUDIT_DIR");
  app.add_option("--audit-node", c.audit_node,
                 "name of this node's audit file set (default <hostname>-<port>)")
      ->envname("ARCANA_AUDIT_NODE");
  app.add_option("--audit-file", c.audit_file,
                 "local audit file sink: fail-closed (a call whose record is not durable is "
                 "refused), fail-open, or off")
      ->envname("ARCANA_AUDIT_FILE")->capture_default_str();
  app.add_option("--audit-max-file-mb", c.audit_max_file_mb, "rotate audit files beyond this")
      ->envname("ARCANA_AUDIT_MAX_FILE_MB")->capture_default_str();
  app.add_option("--audit-digest-seconds", c.audit_digest_seconds,
                 "write a signed audit digest at least this often")
      ->envname("ARCANA_AUDIT_DIGEST_SECONDS")->capture_default_str();
  app.add_option("--audit-retention-days", c.audit_retention_days,
                 "remove audit record files last written more than this many days ago, "
                 "vouched for by a signed retention digest (0: keep every file)")
      ->envname("ARCANA_AUDIT_RETENTION_DAYS")->capture_default_str();
  app.add_option("--audit-syslog", c.audit_syslog,
                 "also send audit records to syslog with this facility (fail-open)")
      ->envname("ARCANA_AUDIT_SYSLOG");
  app.add_option("--audit-http-url", c.audit_http_url,
                 "also POST audit records (JSON arrays) to this http(s) URL")
      ->envname("ARCANA_AUDIT_HTTP_URL");
  app.add_option("--audit-http-mode", c.audit_http_mode,
                 "fail-open (default) or fail-closed (a call waits for the endpoint's 2xx)")
      ->envname("ARCANA_AUDIT_HTTP_MODE")->capture_default_str();
  app.add_option("--backup-dir", c.backup_dir,
                 "back the SQLite store up into this directory on a schedule (arcana store "
                 "restore puts a backup back)")
      ->envname("ARCANA_BACKUP_DIR");
  app.add_option("--backup-every-seconds", c.backup_every_seconds,
                 "with --backup-dir: seconds between two backups")
      ->envname("ARCANA_BACKUP_EVERY_SECONDS")->capture_default_str();
  app.add_option("--backup-keep", c.backup_keep,
                 "with --backup-dir: how many of the newest backups are kept")
      ->envname("ARCANA_BACKUP_KEEP")->capture_default_str();
  app.add_option("--iam-users-quota", c.iam_users_quota,
                 "IAM users per account (UsersPerAccount): CreateUser beyond is LimitExceeded; "
                 "GetAccountSummary reports it as UsersQuota")
      ->envname("ARCANA_IAM_USERS_QUOTA")->capture_default_str();
  app.add_option("--iam-groups-quota", c.iam_groups_quota,
                 "IAM groups per account (GroupsPerAccount): CreateGroup beyond is LimitExceeded")
      ->envname("ARCANA_IAM_GROUPS_QUOTA")->capture_default_str();
  app.add_option("--iam-roles-quota", c.iam_roles_quota,
                 "IAM roles per account (RolesPerAccount): CreateRole beyond is LimitExceeded")
      ->envname("ARCANA_IAM_ROLES_QUOTA")->capture_default_str();
  app.add_option("--iam-policies-quota", c.iam_policies_quota,
                 "customer managed IAM policies per account (PoliciesPerAccount): CreatePolicy "
                 "beyond is LimitExceeded")
      ->envname("ARCANA_IAM_POLICIES_QUOTA")->capture_default_str();
  app.add_option("--ssm-standard-parameters-quota", c.ssm_standard_parameters_quota,
                 "Standard Parameter Store parameters per account and region: a create beyond "
                 "is ParameterLimitExceeded (Intelligent-Tiering makes it Advanced)")
      ->envname("ARCANA_SSM_STANDARD_PARAMETERS_QUOTA")->capture_default_str();
  app.add_option("--ssm-advanced-parameters-quota", c.ssm_advanced_parameters_quota,
                 "Advanced Parameter Store parameters per account and region: a create beyond "
                 "is ParameterLimitExceeded")
      ->envname("ARCANA_SSM_ADVANCED_PARAMETERS_QUOTA")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    *exit_now = true;
    return c;
  } catch (const CLI::ParseError& e) {
    return Status(ErrorCode::kInvalidParameter, e.what());
  }
  // `--store sqlite:DIR` is `--data-dir DIR`: with no data dir given (flag, environment or
  // TOML), the node-local files (root key file, operator token, audit log) live beside the
  // database, so either spelling finds the same store and the same key.
  if (c.store.rfind("sqlite:", 0) == 0 && c.store.size() > 7 && app.count("--data-dir") == 0 &&
      c.data_dir == Config{}.data_dir) {
    c.data_dir = c.store.substr(7);
  }
  if (c.workers < 0 || c.workers > kMaxWorkers) {
    return Status(ErrorCode::kInvalidParameter,
                  "--workers must be between 0 and " + std::to_string(kMaxWorkers));
  }
  if (c.max_queued_requests < 0) {
    return Status(ErrorCode::kInvalidParameter, "--max-queued-requests must be 0 or more");
  }
  if (c.max_connections < 0) {
    return Status(ErrorCode::kInvalidParameter, "--max-connections must be 0 or more");
  }
  if (c.request_timeout_seconds < 1 || c.idle_timeout_seconds < 1) {
    return Status(ErrorCode::kInvalidParameter,
                  "--request-timeout-seconds and --idle-timeout-seconds must be at least 1");
  }
  if (c.rotation_retry_seconds < 1) {
    return Status(ErrorCode::kInvalidParameter, "--rotation-retry-seconds must be at least 1");
  }
  if (c.store_timeout_seconds < 1 || c.store_timeout_seconds > 3600) {
    return Status(ErrorCode::kInvalidParameter, "--store-timeout-seconds must be 1 to 3600");
  }
  if (c.shutdown_grace_seconds < 0) {
    return Status(ErrorCode::kInvalidParameter, "--shutdown-grace-seconds must be 0 or more");
  }
  if (c.account_id.size() != 12 ||
      c.account_id.find_first_not_of("0123456789") != std::string::npos) {
    return Status(ErrorCode::kInvalidParameter, "--account-id must be 12 digits");
  }
  // The region of unsigned and unscoped calls becomes the region of their ARNs: the same
  // shape a credential scope must have (auth/sigv4.h).
  if (!auth::IsRegionName(c.default_region)) {
    return Status(ErrorCode::kInvalidParameter,
                  "--default-region must be a region name such as us-east-1, got " +
                      c.default_region);
  }
  if (c.audit_file != "fail-closed" && c.audit_file != "fail-open" && c.audit_file != "off") {
    return Status(ErrorCode::kInvalidParameter,
                  "--audit-file must be fail-closed, fail-open or off");
  }
  if (c.audit_http_mode != "fail-open" && c.audit_http_mode != "fail-closed") {
    return Status(ErrorCode::kInvalidParameter, "--audit-http-mode must be fail-open or fail-closed");
  }
  if (c.audit_max_file_mb < 1 || c.audit_digest_seconds < 1) {
    return Status(ErrorCode::kInvalidParameter,
                  "--audit-max-file-mb and --audit-digest-seconds must be at least 1");
  }
  if (c.audit_retention_days < 0 || c.audit_retention_days > 100 * 366) {
    return Status(ErrorCode::kInvalidParameter,
                  "--audit-retention-days must be 0 (keep every file) to 36600");
  }
  if (c.backup_every_seconds < 1 || c.backup_keep < 1) {
    return Status(ErrorCode::kInvalidParameter,
                  "--backup-every-seconds and --backup-keep must be at least 1");
  }
  if (c.iam_users_quota < 0 || c.iam_groups_quota < 0 || c.iam_roles_quota < 0 ||
      c.iam_policies_quota < 0) {
    return Status(ErrorCode::kInvalidParameter,
                  "--iam-users-quota, --iam-groups-quota, --iam-roles-quota and "
                  "--iam-policies-quota must be 0 or more");
  }
  if (c.ssm_standard_parameters_quota < 0 || c.ssm_advanced_parameters_quota < 0) {
    return Status(ErrorCode::kInvalidParameter,
                  "--ssm-standard-parameters-quota and --ssm-advanced-parameters-quota must be 0 "
                  "or more");
  }
  // --store is parsed (and refused with the accepted forms) by storage::ParseStoreLocation
  // when the server opens it.
  // AWS allows 15 minutes. Wider windows lengthen the time a captured request can be
  // replayed, and a non-positive one would reject every request (or overflow the check).
  if (c.max_skew_seconds < 1 || c.max_skew_seconds > kMaxSkewSecondsLimit) {
    return Status(ErrorCode::kInvalidParameter,
                  "--max-skew-seconds must be between 1 and " +
                      std::to_string(kMaxSkewSecondsLimit) + ", got " +
                      std::to_string(c.max_skew_seconds));
  }
  return c;
}

std::string EffectiveStore(const Config& cfg) {
  return cfg.store.empty() ? "sqlite:" + cfg.data_dir : cfg.store;
}

std::string EffectiveAuditDir(const Config& cfg) {
  return cfg.audit_dir.empty() ? cfg.data_dir + "/audit" : cfg.audit_dir;
}

std::string EffectiveRootKeyFile(const Config& cfg) {
  return cfg.root_key_file.empty() ? cfg.data_dir + "/root.key" : cfg.root_key_file;
}

Status SplitListen(const std::string& listen, std::string* host, unsigned short* port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) {
    return Status(ErrorCode::kInvalidParameter, "--listen must be HOST:PORT, got " + listen);
  }
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  char* end = nullptr;
  long p = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p < 0 || p > 65535) {
    return Status(ErrorCode::kInvalidParameter, "bad port in --listen " + listen);
  }
  // The listener binds an address: a name other than localhost would fail only once the
  // store is open (a new one already initialised, its root key printed).
  if (h.empty() || h == "localhost") h = "127.0.0.1";
  unsigned char addr[16];
  if (::inet_pton(AF_INET, h.c_str(), addr) != 1 && ::inet_pton(AF_INET6, h.c_str(), addr) != 1) {
    return Status(ErrorCode::kInvalidParameter,
                  "--listen needs an IP address (or localhost) and a port, got " + listen);
  }
  *host = h;
  *port = static_cast<unsigned short>(p);
  return Status::Ok();
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace arcana::config
