#include "app/server_app.h"
#include "app/background_jobs.h"
#include "app/change_read_check.h"
#include "app/shutdown_watchdog.h"
#include "common/dir_lock.h"

#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "app/root_identity.h"
#include "app/scheduled_backups.h"
#include "app/audit_setup.h"
#include "audit/trail_indexer.h"
#include "app/events_setup.h"
#include "auth/access_keys.h"
#include "auth/authenticator.h"
#include "auth/authorizer.h"
#include "auth/oidc_keys.h"
#include "auth/web_identity_issuer.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "common/clock.h"
#include "crypto/root_key.h"
#include "jobs/scheduler.h"
#include "net/change_stream_api.h"
#include "net/issuer_documents.h"
#include "net/http_server.h"
#include "net/worker_pool.h"
#include "net/pipeline.h"
#include "rotation/function_invoker.h"
#include "rotation/rotation_runner.h"
#include "seal/operator_api.h"
#include "seal/operator_token.h"
#include "seal/seal_manager.h"
#include "services/iam/iam_service.h"
#include "services/iam/named_principals.h"
#include "services/lambda/lambda_service.h"
#include "services/sts/sts_service.h"
#include "services/cloudtrail/cloudtrail_service.h"
#include "services/events/events_service.h"
#include "services/kms/kms_data_key_provider.h"  // KMS
#include "services/kms/kms_service.h"  // KMS
#include "services/secretsmanager/secrets_manager.h"
#include "services/ssm/ssm_service.h"  // SSM
#include "storage/committed_changes.h"
#include "storage/stores.h"

namespace arcana::app {
namespace {

int Fail(const std::string& what) {
  spdlog::critical("{}", what);
  return 1;
}

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

}  // namespace

int RunServer(const config::Config& cfg) {
  // First declared, last destroyed: once armed (by a stop), it bounds the whole teardown.
  ShutdownWatchdog watchdog;
  std::string host;
  unsigned short port = 0;
  Status st = config::SplitListen(cfg.listen, &host, &port);
  if (!st.ok()) return Fail(st.message());
  bool tls = !cfg.tls_cert.empty() && !cfg.tls_key.empty();
  if (!cfg.tls_cert.empty() != !cfg.tls_key.empty()) {
    return Fail("--tls-cert and --tls-key must be given together");
  }
  if (!config::IsLoopback(host)) {
    if (cfg.dev) return Fail("--dev is loopback-only: refusing to listen on " + host);
    if (!tls && !cfg.insecure_http) {
      return Fail("refusing to serve plain HTTP on non-loopback address " + host +
                  ": give --tls-cert/--tls-key, or --insecure-http to accept the risk");
    }
  }

  auto where = storage::ParseStoreLocation(config::EffectiveStore(cfg));
  if (!where.ok()) return Fail(where.status().message());
  if (!cfg.backup_dir.empty() && where->kind != storage::StoreLocation::Kind::kSqlite) {
    return Fail("--backup-dir backs up a SQLite store; a PostgreSQL store is backed up with "
                "PostgreSQL's own tools (pg_dump, or base backups with WAL archiving)");
  }
  // Functions made through the Lambda API are the code of any principal allowed
  // lambda:CreateFunction: as root, arcanad runs them as --function-user
  // (rotation/function_invoker.h), for which the data dir is traversable (0711: its package's
  // own path works for it; nothing in it is readable by others). Only root switches users.
  std::optional<rotation::FunctionUser> function_user;
  // And each run with a user id of its own (rotation/function_uids.h), in the function user's
  // group, so that no function reaches another's run.
  auto uid_range = rotation::ParseFunctionUids(cfg.function_uids);
  if (!uid_range.ok()) return Fail("--function-uids: " + uid_range.status().message());
  std::optional<rotation::FunctionUidPool> function_uids;
  if (::geteuid() == 0) {
    auto user = rotation::ResolveFunctionUser(cfg.function_user);
    if (!user.ok()) return Fail("--function-user: " + user.status().message());
    function_user = *user;
    if (*uid_range) {
      function_uids.emplace(**uid_range, function_user->gid);
      Status prepared = function_uids->Prepare();
      if (!prepared.ok()) return Fail("--function-uids: " + prepared.message());
    }
  }
  const mode_t data_dir_mode = function_user ? 0711 : 0700;
  // Node-local files (operator token, audit log, the default root key file, and the SQLite
  // store unless --store names another directory).
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec) return Fail("cannot create data dir " + cfg.data_dir + ": " + ec.message());
  ::chmod(cfg.data_dir.c_str(), data_dir_mode);
  // One arcanad per data dir, whatever the store: its files are one node's (the operator
  // token a second node would replace, the Lambda packages whose in-use marks and sweeps are
  // in this process's memory, the interrupted unpacks only a lone node's start may remove).
  // Nodes of one PostgreSQL store each have their own data dir. The lock goes with the process.
  if (!LockDirForThisProcess(cfg.data_dir)) {
    return Fail("data dir " + cfg.data_dir + " is in use by another arcanad (arcanad.lock)");
  }
  if (where->kind == storage::StoreLocation::Kind::kSqlite) {
    const std::string& dir = where->sqlite_dir;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Fail("cannot create store dir " + dir + ": " + ec.message());
    const bool in_data_dir = std::filesystem::equivalent(dir, cfg.data_dir, ec);
    ::chmod(dir.c_str(), in_data_dir ? data_dir_mode : 0700);
    // And one arcanad per SQLite store: it keeps its change-sequence head in memory (it must
    // be the only writer). PostgreSQL stores take any number of nodes. (A store dir that is
    // the data dir is locked already: a second flock of it here would conflict with the first.)
    if (!in_data_dir && !LockDirForThisProcess(dir)) {
      return Fail("store dir " + dir + " is in use by another arcanad (arcanad.lock)");
    }
  }

  // The root key holder: empty (sealed) until the root of trust (seal/) unseals it.
  auto root = std::make_unique<crypto::RootKey>();
  where->pg_query_timeout_ms = cfg.store_timeout_seconds * 1000;
  where->node = AuditNodeName(cfg, port);  // whose changes a restart after a crash claims
  auto stores_res = storage::OpenStores(*where);
  if (!stores_res.ok()) {
    return Fail("cannot open the store " + storage::Redacted(*where) + ": " +
                stores_res.status().message());
  }
  storage::Stores& stores = **stores_res;
  // Before this start commits anything: what a crash of the previous process may have left
  // without a record lies at or below it (RecordChangesACrashLeft).
  auto head_at_start = stores.changes().Head();
  if (!head_at_start.ok()) {
    return Fail("cannot read the store's change head: " + head_at_start.status().message());
  }
  // Root of trust: key file / PKCS#11 unseal now; a Shamir store starts sealed. A node whose
  // root key is not the store's refuses to start here.
  seal::SealOptions seal_options{cfg.seal, cfg.data_dir,
                                 seal::Pkcs11Options{cfg.pkcs11_module, cfg.pkcs11_token_label,
                                                     cfg.pkcs11_slot, cfg.pkcs11_pin,
                                                     cfg.pkcs11_key_label}};
  seal_options.root_key_file = config::EffectiveRootKeyFile(cfg);
  seal_options.shared_store = !stores.changes().HeadIsLocal();  // other nodes may rotate it
  // What starting commits (the root identity of a new store), for its record once the
  // audit trail is open: every change has a record.
  storage::CommittedChanges startup_changes;
  std::optional<storage::CommittedChanges::Scope> collect_startup(std::in_place, &startup_changes);
  seal::SealManager sealer(std::move(seal_options), stores.meta(), stores.root(), *root);
  sealer.FollowChanges(stores.follower());  // another node's root rotation reaches this one
  if (Status s = sealer.Start(); !s.ok()) return Fail("root of trust: " + s.message());

  // The root identity of a new store: created once, even by nodes starting together.
  if (!root->sealed()) {
    auto identity = EnsureRootIdentity(stores.meta(), stores.access_keys(), *root,
                                       cfg.account_id, Env("ARCANA_ROOT_ACCESS_KEY_ID"),
                                       Env("ARCANA_ROOT_SECRET_ACCESS_KEY"));
    if (!identity.ok()) {
      return Fail("cannot create the root access key: " + identity.status().message());
    }
    if (identity->initialised_here && identity->from_environment) {
      std::cerr << "arcana: new store initialised; root access key "
                << identity->key->access_key_id << " taken from ARCANA_ROOT_* (secret not shown)\n";
    } else if (identity->initialised_here) {
      // Shown once: the store keeps the secret only sealed under the root key.
      std::cerr << "\n==================== arcana: new store initialised ====================\n"
                << "Root identity access key (shown ONCE, store it now):\n"
                << "  AWS_ACCESS_KEY_ID=" << identity->key->access_key_id << "\n"
                << "  AWS_SECRET_ACCESS_KEY=" << identity->key->secret_access_key << "\n"
                << "=======================================================================\n\n";
    }
  }

  // KMS: data keys of secrets (and parameters) come from KMS keys; values sealed before
  // KMS (root-key-wrapped data keys) stay readable through the provider's legacy path.
  services::kms::KeyRing kms_keys(stores.kms(), *root);  // KMS
  kms_keys.FollowChanges(stores.follower());  // a key purged on another node leaves memory
  sealer.AddSealListener([&kms_keys] { kms_keys.ForgetMaterials(); });  // no keys while sealed
  services::kms::KmsDataKeyProvider keys(kms_keys, *root);  // KMS
  sealer.AddSealListener([&keys] { keys.Forget(); });  // no unwrapped data keys while sealed
  services::kms::KmsService kms(kms_keys);  // KMS
  // Last use of KMS keys (GetKeyLastUsage): noted per successful cryptographic operation -
  // the KMS API's and Secrets Manager's and Parameter Store's own - flushed in batches.
  services::kms::KmsKeyUseLog kms_key_uses(stores.kms_key_usage());  // KMS
  kms.RecordKeyUsesIn(&kms_key_uses);
  // Key policies name only users and roles that exist, looked up as IAM's trust policies do.
  kms.LookUpPrincipalsWith([&stores](const domain::iam::NamedPrincipal& p) -> Result<bool> {
    ARCANA_ASSIGN_OR_RETURN(auto found, services::iam::FindNamedPrincipal(stores.identities(), p));
    return found.has_value();
  });
  keys.RecordKeyUsesIn(&kms_key_uses);
  services::sm::SecretsManagerService secrets_manager(stores.secrets(), keys, *root);
  services::ssm::SsmService ssm(stores.parameters(), keys, *root, &secrets_manager);  // SSM
  ssm.SetQuotas({cfg.ssm_standard_parameters_quota, cfg.ssm_advanced_parameters_quota});
  auth::AuthOptions ao;
  ao.dev = cfg.dev;
  ao.dev_account = cfg.account_id;
  ao.default_region = cfg.default_region;
  ao.max_skew = std::chrono::seconds(cfg.max_skew_seconds);
  auth::Authenticator authn(stores.access_keys(), *root, ao);
  auth::IdentityResolver identities(stores.identities(), *root);  // IAM users, STS sessions
  authn.ResolveIdentitiesWith(&identities);
  services::iam::IamService iam(stores.identities(), identities);
  iam.SetQuotas({cfg.iam_users_quota, cfg.iam_groups_quota, cfg.iam_roles_quota,
                 cfg.iam_policies_quota});
  // Last use of IAM users' keys (GetAccessKeyLastUsed): noted per request, flushed in batches.
  auth::KeyUseLog key_uses(stores.identities());
  authn.RecordKeyUsesIn(&key_uses);
  iam.ReadKeyUsesFrom(&key_uses);
  // IAM's last accessed information: each user's and role's calls per service and action,
  // noted per request, flushed in batches.
  auth::ServiceUseLog service_uses(stores.identities());
  authn.RecordServiceUsesIn(&service_uses);
  iam.ReadServiceUsesFrom(&service_uses);
  iam.ReadRootKeysFrom(&stores.access_keys());  // ListAccessKeys of the root: its own keys
  auth::OidcKeys oidc_keys;  // web identity issuers' signing keys, fetched on demand
  services::sts::StsService sts(stores.identities(), stores.access_keys(), identities,
                                oidc_keys);
  // Outbound identity federation: each account's JWT issuer (its URL's base is set below,
  // once the listener is bound).
  auth::WebIdentityIssuer token_issuer(stores.identities(), identities);
  iam.IssueWebIdentityTokensWith(&token_issuer);
  sts.IssueWebIdentityTokensWith(&token_issuer);
  authn.FollowChanges(stores.follower());  // a key deleted on any node stops working here
  sealer.AddSealListener([&authn] { authn.ForgetCredentials(); });  // no secrets while sealed
  auth::PolicyAuthorizer authz;
  // The audit trail: its file sink is fail-closed by default (a call whose record is not
  // durable is refused); digests are signed with a key derived from the root of trust.
  audit::RootDerivedSigner digest_signer(*root, &stores.meta());
  audit::AuditTrail audit;
  audit::FileTrail* audit_file = nullptr;
  if (Status s = OpenAuditTrail(cfg, port, digest_signer, audit, &audit_file); !s.ok()) {
    return Fail("audit trail: " + s.message());
  }
  // A store that several nodes share indexes every node's records, so that LookupEvents
  // answers the same on each; this node ships its own there (from its durable files).
  std::unique_ptr<audit::TrailIndexer> trail_indexer;
  if (stores.audit_index() != nullptr && audit_file != nullptr) {
    trail_indexer = std::make_unique<audit::TrailIndexer>(
        config::EffectiveAuditDir(cfg), AuditNodeName(cfg, port), *stores.audit_index(),
        [audit_file] { return audit_file->durable_sequence(); });
    // Retention keeps the files until the index has their records.
    audit_file->HoldRecordsFor([ix = trail_indexer.get()] { return ix->shipped(); });
  }
  if (audit_file != nullptr) {
    RecordChangesACrashLeft(audit, cfg, port, *audit_file, stores.changes(), *head_at_start);
  }
  collect_startup.reset();
  RecordUnclaimedChanges(audit, "arcanad.start", startup_changes);
  // EventBridge-style rules: each record this node writes becomes an event (events/).
  EventBusParts event_parts = OpenEventBus(cfg, AuditNodeName(cfg, port), stores, audit);
  events::EventBus* event_bus = event_parts.bus;
  net::PipelineOptions po;
  po.dev = cfg.dev;
  po.answer_reads_inline = stores.changes().HeadIsLocal();
  po.reset = [&stores, &kms_keys, &keys] {
    ARCANA_RETURN_IF_ERROR(stores.WipeResources());
    kms_keys.ForgetMaterials();  // KMS
    keys.Forget();
    return Status::Ok();
  };
  // Seal status, unseal, seal, rotate-root; the token works while sealed (access keys do not).
  seal::OperatorOptions oo;
  oo.tls = tls;
  oo.account_id = cfg.account_id;  // only this account's root signs operator requests
  {
    const char* env_token = std::getenv("ARCANA_OPERATOR_TOKEN");
    auto token = seal::LoadOperatorToken(env_token != nullptr ? env_token : "",
                                         cfg.operator_token_file, cfg.data_dir);
    if (!token.ok()) return Fail("operator token: " + token.status().message());
    oo.token = std::move(token).value();
  }
  // Operator actions are fail-closed as API calls are (seal excepted: operator_api.h).
  oo.audit_ready = [&audit] { return audit.Healthy(); };
  oo.on_start = [&audit, &cfg](const std::string& op, const net::HttpRequest& req) {
    return RecordOperatorStart(audit, cfg, op, req);
  };
  oo.on_action = [&audit, &cfg](const std::string& op, const net::HttpRequest& req, int status) {
    return RecordOperatorAction(audit, cfg, op, req, status);
  };
  seal::OperatorApi operator_api(sealer, authn, std::move(oo));
  po.root = root.get();
  po.store_reachable = [&stores] { return stores.reachable(); };
  po.operator_api = [&operator_api](net::HttpRequest& q, net::HttpResponse& r) {
    storage::CommittedChanges committed;  // claimed by the action's record (on_action)
    storage::CommittedChanges::Scope collect(&committed);
    return operator_api.Handle(q, r);
  };
  // The change stream for caching agents: a long-poll holds a worker, so at most a quarter
  // of them wait at once.
  // A caller sees a change only if the policies let it read the value changed (another
  // account's secret or parameter too, through its resource policy).
  net::ChangeStreamOptions cso;
  {
    // The store's identity: made by the first node to open it (a fresh data dir or database
    // is another store, whatever its change numbers).
    auto id = stores.meta().PutMetaIfAbsent(storage::kStoreIdMeta,
                                            crypto::HexEncode(crypto::RandomBytes(16)));
    if (!id.ok()) return Fail("cannot read or record the store's identity: " + id.status().message());
    cso.store_id = *id;
  }
  cso.max_wait_seconds = 20;
  cso.max_waiters = std::max(1, net::EffectiveWorkerCount(cfg.workers) / 4);
  cso.authorizer = &authz;
  cso.may_read = ChangeReadCheck(secrets_manager, ssm, stores.secrets());
  net::ChangeStreamApi change_stream(stores.changes(), authn, root.get(), cso);
  po.change_stream = [&change_stream](net::HttpRequest& q, net::HttpResponse& r) {
    return change_stream.Handle(q, r);
  };
  po.oidc_issuer = [&token_issuer](net::HttpRequest& q, net::HttpResponse& r) {
    return net::ServeIssuerDocument(token_issuer, q, r);
  };
  net::Pipeline pipeline(po, authn, authz, audit);
  pipeline.AddService(&secrets_manager);
  pipeline.AddService(&kms);  // KMS
  pipeline.AddService(&ssm);  // SSM
  pipeline.AddService(&iam);  // IAM (Query protocol)
  pipeline.AddService(&sts);  // STS (Query protocol)
  services::cloudtrail::CloudTrailService cloudtrail(config::EffectiveAuditDir(cfg), &stores.meta(),
                                                     stores.audit_index(), trail_indexer.get());
  pipeline.AddService(&cloudtrail);  // LookupEvents: the store's index, else this node's files
  services::events::EventsService events(stores.event_rules(), stores.meta());
  events.PublishTo(event_bus);  // PutEvents: applications' own events onto this node's bus
  ssm.PublishTo(event_bus);     // Parameter Store's change and policy events
  // Connections and API destinations, their credentials sealed under the root key; API
  // destination targets are resolved through the service at each attempt, and detached
  // before `events` is destroyed (the deliverer outlives it).
  events.ServeConnectionsWith(&stores.event_connections(), root.get());
  events.KeepCredentialsIn(&secrets_manager);  // each connection's managed secret (SecretArn)
  events.EnsureLinkedRolesWith([&iam](const services::CallContext& c, const std::string& p) {
    return iam.EnsureServiceLinkedRole(c, p);
  });
  event_parts.deliverer->SetApiDestinationResolver(
      [&events](const storage::EventDelivery& d) { return events.ApiDestinationRequest(d); });
  struct DetachApiDestinations {
    events::Deliverer& d;
    ~DetachApiDestinations() { d.SetApiDestinationResolver(nullptr); }
  } detach_api_destinations{*event_parts.deliverer};
  pipeline.AddService(&events);  // EventBridge rules and targets (AWSEvents.*)

  net::ServerOptions so;
  so.host = host;
  so.port = port;
  so.threads = cfg.threads;
  so.workers = cfg.workers;
  so.max_queued_requests = static_cast<size_t>(cfg.max_queued_requests);
  so.tls_cert_file = cfg.tls_cert;
  so.tls_key_file = cfg.tls_key;
  so.max_connections = cfg.max_connections;
  so.request_timeout_seconds = cfg.request_timeout_seconds;
  so.idle_timeout_seconds = cfg.idle_timeout_seconds;
  so.shutdown_grace_seconds = cfg.shutdown_grace_seconds;
  // SIGTERM ends the process within the grace plus this much for the teardown that follows
  // (joining threads, stopping the job scheduler, closing the store), stuck or not.
  constexpr int kTeardownSeconds = 5;
  so.on_stop = [&watchdog, &change_stream, limit = cfg.shutdown_grace_seconds + kTeardownSeconds] {
    change_stream.Stop();  // held long-polls answer now instead of using up the grace
    watchdog.Arm(std::chrono::seconds(limit));
  };
  net::Handlers handlers;
  handlers.handle = [&pipeline](net::HttpRequest& q, net::HttpResponse& r) { pipeline.Handle(q, r); };
  handlers.handle_async = [&pipeline](net::HttpRequest& q, std::unique_ptr<net::HttpResponse> r,
                                      net::Respond done) {
    pipeline.HandleAsync(q, std::move(r), std::move(done));
  };
  handlers.too_large = [&pipeline](net::HttpResponse& r) { pipeline.TooLarge(r); };
  handlers.malformed = [&pipeline](int status, std::string_view what, net::HttpResponse& r) {
    pipeline.Malformed(status, what, r);
  };
  handlers.busy = [&pipeline](net::HttpRequest& q, net::HttpResponse& r) { pipeline.Throttled(q, r); };
  handlers.answer_inline = [&pipeline](const net::HttpRequest& q) { return pipeline.AnswersInline(q); };
  handlers.try_inline = [&pipeline](net::HttpRequest& q, net::Respond& r) {
    return pipeline.TryHandleInline(q, r);
  };
  net::HttpServer server(so, std::move(handlers));
  auto bound = server.Bind();
  if (!bound.ok()) return Fail(bound.status().message());

  if (cfg.dev) {
    std::cerr << "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
              << "!!  arcanad is in DEV MODE: ANY access key is accepted, signatures and   !!\n"
              << "!!  clock skew are NOT checked, and POST /_arcana/reset wipes all state. !!\n"
              << "!!  Loopback only. Never use dev mode for real secrets.                  !!\n"
              << "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n";
  }
  // Background work as leased jobs in the store: one run per due time across every node.
  jobs::Scheduler scheduler(stores.jobs(), root.get(), SystemClock::Instance());
  RegisterBackgroundJobs(scheduler, secrets_manager, kms, ssm, stores.changes(), audit);
  RegisterIdentityJobs(scheduler, stores.identities());
  if (stores.audit_index() != nullptr) RegisterAuditIndexJobs(scheduler, *stores.audit_index());
  RegisterEventJobs(scheduler, event_parts, stores.event_deliveries(), stores.event_rules());
  if (where->kind == storage::StoreLocation::Kind::kSqlite) {
    Status backups = SetUpScheduledBackups(scheduler, stores.jobs(), cfg,
                                           where->sqlite_dir + "/arcana.db", audit);
    if (!backups.ok()) return Fail("backups: " + backups.message());
  }
  // PutRule schedules a scheduled rule's runs, and wakes this node's scheduler to see them.
  events.ScheduleRunsWith(&stores.jobs(), [&scheduler] { scheduler.Wake(); });
  // Rotation: functions call this node back (a wildcard listener through loopback).
  rotation::RotationOptions rotation_options;
  rotation_options.retry_base = std::chrono::seconds(cfg.rotation_retry_seconds);
  // This node's listener as callers on this machine reach it (a wildcard through loopback).
  std::string call_host = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  if (call_host.find(':') != std::string::npos) call_host = "[" + call_host + "]";
  const std::string listener_url =
      std::string(tls ? "https" : "http") + "://" + call_host + ":" + std::to_string(*bound);
  rotation_options.endpoint_url =
      cfg.rotation_endpoint.empty() ? listener_url : cfg.rotation_endpoint;
  if (cfg.public_url.empty()) {
    token_issuer.SetBaseUrl(listener_url);
  } else {
    std::string base = cfg.public_url;
    while (base.ends_with('/')) base.pop_back();
    if (!base.starts_with("https://") && !base.starts_with("http://")) {
      return Fail("--public-url must be an http:// or https:// URL");
    }
    token_issuer.SetBaseUrl(std::move(base));
  }
  rotation::FunctionInvoker invoker(cfg.data_dir + "/functions", cfg.rotation_python);
  if (function_user) {
    invoker.RunPackagesAs(*function_user);
    if (function_uids) invoker.RunEachWithItsOwnUid(&*function_uids);
  } else {
    spdlog::warn("arcanad does not run as root: functions made through the Lambda API run as "
                 "arcanad's own user, able to read the data dir (root key, operator token, "
                 "store). Run arcanad as root so that they run as --function-user, or allow "
                 "lambda:CreateFunction and lambda:UpdateFunctionCode only to principals you "
                 "trust as you trust the operator");
  }
  invoker.KeepPackagesOf(stores.functions());  // the unpacked packages it keeps
  // The Lambda API (REST-JSON) over the same functions; registered before serving starts.
  services::lambda::LambdaService lambda(stores.functions(), invoker, identities, *root);
  lambda.SetEndpoint(rotation_options.endpoint_url);
  pipeline.AddService(&lambda);
  // EventBridge rules' Lambda targets are invoked through it. The deliverer (the trail's)
  // outlives it: the invoker is cleared before `lambda` is destroyed (declared after it).
  event_parts.deliverer->SetLambdaInvoker([&lambda](const storage::EventDelivery& d) {
    return lambda.InvokeForEvent(d.url, d.account, d.rule_arn, d.body);
  });
  struct DetachLambdaTargets {
    events::Deliverer& d;
    ~DetachLambdaTargets() { d.SetLambdaInvoker(nullptr); }
  } detach_lambda_targets{*event_parts.deliverer};
  rotation::RotationRunner rotations(secrets_manager, stores.functions(), stores.jobs(),
                                     identities, invoker, RotationReporterFor(audit, event_bus),
                                     rotation_options);
  rotations.Register(scheduler);
  secrets_manager.SetRotationLauncher(&rotations);
  if (Status s = scheduler.Start(); !s.ok()) return Fail("job scheduler: " + s.message());
  key_uses.Start();  // each node flushes its own uses (it flushes what is left when destroyed)
  kms_key_uses.Start();  // likewise for KMS keys
  service_uses.Start();  // likewise for IAM's last accessed information
  if (trail_indexer) trail_indexer->Start();
  // The scheduler was declared before the rotation runner and the invoker its runs use, so
  // its destructor would join a rotation still ending (a stopping node kills the step) after
  // they are gone. Every return from here stops it first.
  struct StopJobsFirst {
    jobs::Scheduler& s;
    ~StopJobsFirst() { s.Stop(); }
  } stop_jobs_first{scheduler};
  std::string scheme = tls ? "https" : "http";
  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  // The store as logged never shows a password (storage::Redacted).
  spdlog::info("arcanad serving on {}://{}:{} (store {}, data dir {}, account {}){}", scheme,
               shown_host, *bound, storage::Redacted(*where), cfg.data_dir, cfg.account_id,
               cfg.dev ? " [DEV MODE]" : "");
  pipeline.SetReady(true);
  if (!server.Run(true)) {
    // Handlers are still running on threads that use the store and the services: nothing
    // may be destroyed under them, so the process ends here (after the logs are flushed).
    spdlog::error("arcanad stopped with requests still running");
    FlushLogsBounded(std::chrono::seconds(1));
    std::_Exit(1);
  }
  spdlog::info("arcanad stopped");
  return 0;
}

}  // namespace arcana::app
