#include "cli/iam_commands.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "auth/identity_resolver.h"
#include "cli/audit_commands.h"
#include "common/json.h"
#include "services/iam/iam_service.h"
#include "storage/committed_changes.h"

namespace arcana::cli {

IamCommands::IamCommands(CLI::App& app) : app_(&app) {
  iam_ = app.add_subcommand("iam", "manage IAM identities in the store (offline)");
  iam_->require_subcommand(1);
  create_user_ = iam_->add_subcommand(
      "create-user", "create a user (optionally with an inline policy) and an access key");
  create_user_->add_option("name", user_, "user name")->required();
  create_user_->add_option("--policy-file", policy_file_, "IAM policy document (JSON) to attach");
  create_user_->add_option("--account-id", account_, "account of the user")
      ->envname("ARCANA_ACCOUNT_ID")->capture_default_str();
  // The quota CreateUser is held to, which arcanad takes from the same option/variable: without
  // it the CLI would hold every account to AWS's default whatever arcanad enforces.
  users_quota_ = services::iam::IamQuotas{}.users;
  create_user_->add_option("--iam-users-quota", users_quota_,
                           "IAM users per account (UsersPerAccount), as arcanad's option: "
                           "the user is not created when the account already holds that many")
      ->envname("ARCANA_IAM_USERS_QUOTA")->check(CLI::NonNegativeNumber)->capture_default_str();
  create_user_->add_option("--audit-dir", audit_dir_,
                           "where the action is recorded (default <data-dir>/audit)")
      ->envname("ARCANA_AUDIT_DIR");
}

bool IamCommands::parsed() const { return iam_->parsed(); }

int IamCommands::Run(storage::Stores& stores, const crypto::RootKey& root) {
  auto fail = [](const std::string& step, const Status& st) {
    std::cerr << "arcana: " << step << ": " << st.message() << "\n";
    return 1;
  };
  std::string policy;
  if (!policy_file_.empty()) {
    std::ifstream f(policy_file_);
    if (!f) return fail("read " + policy_file_, Status(ErrorCode::kInvalidParameter, "cannot open"));
    std::stringstream ss;
    ss << f.rdbuf();
    policy = ss.str();
    // Checked before anything is created.
    if (Status st = services::iam::CheckPolicyDocument(policy); !st.ok()) {
      return fail(policy_file_, st);
    }
  }
  auth::IdentityResolver resolver(stores.identities(), root);
  services::iam::IamService iam(stores.identities(), resolver);
  services::iam::IamQuotas quotas;
  quotas.users = users_quota_;
  iam.SetQuotas(quotas);
  services::CallContext ctx;
  ctx.account = account_;
  ctx.region = "us-east-1";
  ctx.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  ctx.principal = std::make_shared<const auth::Principal>(auth::RootPrincipal(account_, ""));
  auto call = [&](const char* op, rapidjson::Document& in) {
    Status valid = iam.validator().Validate(op, in);
    if (!valid.ok()) return Result<std::string>(valid);
    return iam.Call(op, in, ctx);
  };
  auto object = [&](std::initializer_list<std::pair<const char*, const std::string*>> members) {
    rapidjson::Document d;
    d.SetObject();
    for (const auto& [k, v] : members) {
      d.AddMember(rapidjson::StringRef(k), rapidjson::Value(v->c_str(), d.GetAllocator()),
                  d.GetAllocator());
    }
    return d;
  };
  // The steps' change rows, claimed by the action's record.
  storage::CommittedChanges committed;
  storage::CommittedChanges::Scope collect(&committed);
  CliAction action;
  action.event_name = "CreateUser";
  action.parameters = {{"UserName", user_}};
  action.resources = {{"AWS::IAM::User", "arn:aws:iam::" + account_ + ":user/" + user_, account_}};
  // Whatever the steps made is recorded, also when a later step fails.
  auto recorded = [&]() {
    const CLI::Option* dir = app_->get_option("--data-dir");
    const std::string data_dir = dir->count() > 0 ? dir->as<std::string>() : dir->get_default_str();
    Status st = RecordCliAction(audit_dir_.empty() ? data_dir + "/audit" : audit_dir_, action,
                                account_, root, stores);
    if (!st.ok()) {
      std::cerr << "arcana: the user was created but not recorded in the audit trail: "
                << st.message() << "\n";
    }
    return st.ok();
  };
  auto in = object({{"UserName", &user_}});
  if (auto r = call("CreateUser", in); !r.ok()) return fail("create-user", r.status());
  if (!policy.empty()) {
    const std::string name = "arcana-cli";
    auto p = object({{"UserName", &user_}, {"PolicyName", &name}, {"PolicyDocument", &policy}});
    if (auto r = call("PutUserPolicy", p); !r.ok()) {
      (void)recorded();
      return fail("put-user-policy (the user was created)", r.status());
    }
    action.parameters.push_back({"PolicyName", name});
  }
  auto k = object({{"UserName", &user_}});
  auto key = call("CreateAccessKey", k);
  if (!key.ok()) {
    (void)recorded();
    return fail("create-access-key (the user was created)", key.status());
  }
  rapidjson::Document out;
  if (!json::ParseBounded(*key, &out).ok()) return 1;
  const std::string key_id = out["AccessKey"]["AccessKeyId"].GetString();
  action.parameters.push_back({"AccessKeyId", key_id});
  action.resources.push_back({"AWS::IAM::AccessKey", key_id, account_});
  std::cout << "AWS_ACCESS_KEY_ID=" << key_id << "\n"
            << "AWS_SECRET_ACCESS_KEY=" << out["AccessKey"]["SecretAccessKey"].GetString() << "\n";
  return recorded() ? 0 : 1;
}

}  // namespace arcana::cli
