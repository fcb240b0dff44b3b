#include "cli/function_commands.h"

#include <chrono>
#include <iostream>

#include "cli/audit_commands.h"
#include "crypto/root_key.h"
#include "domain/rotation/function_spec.h"
#include "rotation/builtin_rotators.h"

namespace arcana::cli {

namespace rot = domain::rotation;

FunctionCommands::FunctionCommands(CLI::App& app) : app_(&app) {
  functions_ = app.add_subcommand("functions", "rotation functions (RotationLambdaARN targets)");
  functions_->require_subcommand(1);
  create_ = functions_->add_subcommand("create", "register a rotation function");
  create_->add_option("name", name_, "function name (the ARN's last part)")->required();
  auto* url = create_->add_option("--url", url_, "POST the Lambda event JSON to this URL");
  auto* exec = create_->add_option("--exec", exec_, "run this executable, event JSON on stdin");
  auto* python = create_->add_option("--python", python_,
                                     "a folder with a function for AWS Lambda's Python runtime");
  create_->add_option("--handler", handler_, "with --python: module.function")
      ->default_str("lambda_function.lambda_handler");
  auto* builtin = create_->add_option("--builtin", builtin_,
                                      "a rotator shipped with Arcana: " +
                                          rotation::BuiltinRotatorNames());
  create_->add_option("--master-secret", master_secrets_,
                      "a secret ARN (wildcards allowed) the function may read besides the one it "
                      "rotates: the master secret of the alternating-users rotators (repeatable)");
  url->excludes(exec);
  url->excludes(python);
  exec->excludes(python);
  for (auto* o : {url, exec, python}) o->excludes(builtin);
  create_->add_option("--env", env_, "environment variable K=V (repeatable)");
  create_->add_option("--timeout", timeout_s_, "seconds per step (1-900)")->capture_default_str();
  list_ = functions_->add_subcommand("list", "list rotation functions (name, ARN, kind, target)");
  delete_ = functions_->add_subcommand("delete", "delete a rotation function");
  delete_->add_option("name", name_, "function name")->required();
  for (CLI::App* sub : {create_, list_, delete_}) {
    sub->add_option("--account-id", account_, "account of the function")
        ->envname("ARCANA_ACCOUNT_ID")->capture_default_str();
    sub->add_option("--region", region_, "region of the function")->capture_default_str();
  }
  for (CLI::App* sub : {create_, delete_}) {
    sub->add_option("--audit-dir", audit_dir_,
                    "where the action is recorded (default <data-dir>/audit)")
        ->envname("ARCANA_AUDIT_DIR");
  }
}

// A registered function is code the server runs with secrets in hand: registering and
// removing one are recorded like the API's CreateFunction / DeleteFunction.
int FunctionCommands::Record(storage::Stores& stores, const std::string& event_name) {
  CliAction action;
  action.event_name = event_name;
  action.parameters = {{"FunctionName", name_}};
  const std::string arn = rot::LambdaArnOf(region_, account_, name_);
  action.resources = {{"AWS::Lambda::Function", arn, account_}};
  const CLI::Option* dir = app_->get_option("--data-dir");
  const std::string data_dir = dir->count() > 0 ? dir->as<std::string>() : dir->get_default_str();
  crypto::RootKey sealed;  // not unsealed here: the CLI file set's next signed digest covers it
  Status st = RecordCliAction(audit_dir_.empty() ? data_dir + "/audit" : audit_dir_, action,
                              account_, sealed, stores);
  if (!st.ok()) {
    std::cerr << "arcana: " << event_name << " " << name_
              << " took effect but was not recorded in the audit trail: " << st.message() << "\n";
    return 1;
  }
  return 0;
}

bool FunctionCommands::parsed() const { return functions_->parsed(); }

int FunctionCommands::Run(storage::Stores& stores) {
  auto fail = [](const std::string& msg) {
    std::cerr << "arcana: " << msg << "\n";
    return 1;
  };
  const storage::Scope scope{account_, region_};
  if (create_->parsed()) {
    storage::RotationFunction f;
    f.account = account_;
    f.region = region_;
    f.name = name_;
    if (!url_.empty() + !exec_.empty() + !python_.empty() + !builtin_.empty() != 1) {
      return fail("give exactly one of --url, --exec, --python and --builtin");
    }
    f.kind = !url_.empty()      ? rot::kKindUrl
             : !exec_.empty()   ? rot::kKindExec
             : !python_.empty() ? rot::kKindPython
                                : rot::kKindBuiltin;
    f.target = !url_.empty() ? url_ : !exec_.empty() ? exec_ : !python_.empty() ? python_ : builtin_;
    if (f.kind == rot::kKindBuiltin && !rotation::FindBuiltinRotator(f.target)) {
      return fail("no built-in rotator " + f.target + " (" + rotation::BuiltinRotatorNames() + ")");
    }
    if (f.kind == rot::kKindPython) {
      f.handler = handler_.empty() ? "lambda_function.lambda_handler" : handler_;
      if (Status st = rot::ValidatePythonHandler(f.handler); !st.ok()) return fail(st.message());
    } else if (!handler_.empty()) {
      return fail("--handler goes with --python");
    }
    f.timeout_s = timeout_s_;
    rot::EnvVars env;
    for (const auto& kv : env_) {
      auto parsed = rot::ParseEnvAssignment(kv);
      if (!parsed.ok()) return fail(parsed.status().message());
      env[parsed->first] = parsed->second;
    }
    std::string masters;
    for (const auto& arn : master_secrets_) {
      if (Status st = rot::ValidateMasterSecretArn(arn); !st.ok()) return fail(st.message());
      masters += (masters.empty() ? "" : ",") + arn;
    }
    for (Status st : {rot::ValidateRegion(f.region), rot::ValidateFunctionName(f.name),
                      rot::ValidateTarget(f.kind, f.target),
                      rot::ValidateTimeout(f.timeout_s), rot::ValidateEnv(env)}) {
      if (!st.ok()) return fail(st.message());
    }
    if (!masters.empty()) env[rot::kMasterSecretsVar] = masters;  // after ValidateEnv
    f.env_json = rot::EncodeEnv(env);
    f.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    Status st = stores.functions().CreateFunction(f);
    if (!st.ok()) return fail(st.message());
    std::cout << rot::LambdaArnOf(region_, account_, name_) << "\n";
    return Record(stores, "CreateFunction");
  }
  if (list_->parsed()) {
    std::string after;
    for (;;) {
      auto page = stores.functions().ListFunctions(scope, after, storage::kMaxListLimit);
      if (!page.ok()) return fail(page.status().message());
      for (const auto& f : *page) {
        std::cout << f.name << "\t" << rot::LambdaArnOf(f.region, f.account, f.name) << "\t"
                  << f.kind << "\t" << f.target << "\n";
      }
      if (page->size() < storage::kMaxListLimit) return 0;
      after = page->back().name;
    }
  }
  if (delete_->parsed()) {
    Status st = stores.functions().DeleteFunction(scope, name_);
    if (!st.ok()) return fail(st.message());
    std::cout << "deleted " << name_ << "\n";
    return Record(stores, "DeleteFunction");
  }
  return 0;
}

}  // namespace arcana::cli
