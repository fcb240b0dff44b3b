// arcana: the operator CLI. Works on a data directory directly (the same store and root
// key file arcanad uses; SQLite lets both run at once). A deleted key stops working in a
// running server within 30 seconds (its credential cache lifetime).
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <iostream>

#include "auth/access_keys.h"
#include "cli/audit_commands.h"
#include "cli/events_commands.h"
#include "cli/store_commands.h"
#include "cli/function_commands.h"
#include "cli/iam_commands.h"
#include "cli/operator_commands.h"
#include "common/civil_time.h"
#include "crypto/root_key.h"
#include "migrate/migrate_command.h"
#include "scan/scan_command.h"
#include "storage/committed_changes.h"
#include "storage/stores.h"

namespace {

int Die(const std::string& msg) {
  std::cerr << "arcana: " << msg << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Library log lines go to stderr: stdout carries only what the command prints (keys).
  spdlog::set_default_logger(spdlog::stderr_color_mt("arcana"));
  CLI::App app{"arcana: operator CLI for an Arcana data directory"};
  std::string data_dir = "./data";
  app.add_option("--data-dir", data_dir, "the arcanad data directory")
      ->envname("ARCANA_DATA_DIR")->capture_default_str();
  std::string store_url, root_key_file;
  app.add_option("--store", store_url,
                 "the store: sqlite:DIR (default sqlite:<data-dir>) or postgresql://...")
      ->envname("ARCANA_STORE");
  app.add_option("--root-key-file", root_key_file,
                 "the key-file root of trust's key (default <data-dir>/root.key)")
      ->envname("ARCANA_ROOT_KEY_FILE");
  std::string account = "123456789012";
  app.require_subcommand(1);

  auto* keys = app.add_subcommand("access-key", "manage access keys of the root identity");
  keys->require_subcommand(1);
  auto* list = keys->add_subcommand("list", "list access key ids");
  auto* create = keys->add_subcommand("create", "create a key pair (the secret is shown once)");
  create->add_option("--account-id", account, "account of the identity")
      ->envname("ARCANA_ACCOUNT_ID")->capture_default_str();
  std::string delete_id;
  auto* del = keys->add_subcommand("delete", "delete an access key");
  std::string audit_dir;
  keys->add_option("--audit-dir", audit_dir, "where the action is recorded (default <data-dir>/audit)")
      ->envname("ARCANA_AUDIT_DIR");
  del->add_option("id", delete_id, "access key id")->required();

  arcana::cli::OperatorCommands operator_cmds(app, data_dir, store_url);  // `arcana operator ...`
  arcana::cli::IamCommands iam_cmds(app);                  // `arcana iam ...`
  arcana::cli::FunctionCommands function_cmds(app);        // `arcana functions ...`
  arcana::cli::AuditCommands audit_cmds(app, data_dir, store_url);  // `arcana audit ...`
  arcana::cli::EventsCommands events_cmds(app, data_dir, store_url);  // `arcana events ...`
  arcana::cli::StoreCommands store_cmds(app, data_dir, store_url);    // `arcana store copy`
  arcana::scan::ScanCommand scan_cmd(app);                 // `arcana scan` (issue 15)
  arcana::migrate::MigrateCommand migrate_cmd(app);        // `arcana migrate` (issue 15)

  // A usage error exits 2, as scripts and CI gates expect (`arcana scan`: 1 means findings);
  // --help exits 0.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (auto rc = operator_cmds.Run()) return *rc;
  if (auto rc = audit_cmds.Run()) return *rc;
  if (auto rc = events_cmds.Run()) return *rc;
  if (auto rc = store_cmds.Run()) return *rc;
  if (auto rc = scan_cmd.Run()) return *rc;
  if (auto rc = migrate_cmd.Run()) return *rc;

  auto root = std::make_unique<arcana::crypto::RootKey>();  // sealed until needed
  auto store = arcana::cli::OpenOfflineStores(data_dir, store_url);
  if (!store.ok()) return Die(store.status().message());
  if (create->parsed() || iam_cmds.parsed()) {
    arcana::Status st = arcana::cli::UnsealOffline(**store, data_dir, root_key_file, *root);
    if (!st.ok()) return Die(st.message());
  }

  if (iam_cmds.parsed()) return iam_cmds.Run(**store, *root);
  if (function_cmds.parsed()) return function_cmds.Run(**store);
  if (list->parsed()) {
    // Page by page, in key id order.
    std::string after;
    for (;;) {
      auto page = (*store)->access_keys().ListAccessKeys(after, arcana::storage::kMaxListLimit);
      if (!page.ok()) return Die(page.status().message());
      for (const auto& k : *page) {
        std::cout << k.access_key_id << "\t" << k.principal_arn << "\t"
                  << arcana::FormatUtc(k.created_ms / 1000, "%Y-%m-%dT%H:%M:%SZ") << "\n";
      }
      if (page->size() < arcana::storage::kMaxListLimit) break;
      after = page->back().access_key_id;
    }
    return 0;
  }
  // The write's change rows, for its record (RecordCliAction claims them).
  arcana::storage::CommittedChanges committed;
  arcana::storage::CommittedChanges::Scope collect(&committed);
  if (create->parsed()) {
    auto k = arcana::auth::CreateAccessKey((*store)->access_keys(), *root, account);
    if (!k.ok()) return Die(k.status().message());
    std::cout << "AWS_ACCESS_KEY_ID=" << k->access_key_id << "\n"
              << "AWS_SECRET_ACCESS_KEY=" << k->secret_access_key << "\n";
    arcana::Status rec = arcana::cli::RecordCliAction(
        audit_dir.empty() ? data_dir + "/audit" : audit_dir, "CreateAccessKey", k->access_key_id,
        account, *root, **store);
    if (!rec.ok()) return Die("the key was created but not recorded in the audit trail: " + rec.message());
    return 0;
  }
  if (del->parsed()) {
    arcana::Status st = (*store)->access_keys().DeleteAccessKey(delete_id);
    if (!st.ok()) return Die(st.message());
    std::cout << "deleted " << delete_id << "\n";
    arcana::Status rec = arcana::cli::RecordCliAction(
        audit_dir.empty() ? data_dir + "/audit" : audit_dir, "DeleteAccessKey", delete_id,
        account, *root, **store);
    if (!rec.ok()) return Die("the key was deleted but not recorded in the audit trail: " + rec.message());
    return 0;
  }
  return 0;
}
