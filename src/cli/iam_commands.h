// `arcana iam create-user NAME [--policy-file F] [--account-id ID]`: offline, on the data
// dir's store (like `access-key create`). Creates the user, puts the policy file (if any) as
// its inline policy "arcana-cli", creates an access key and prints the pair once. Every step
// goes through the IAM service's own handlers (services/iam), so the same validation applies
// as over the API, the account's UsersPerAccount quota included (--iam-users-quota /
// ARCANA_IAM_USERS_QUOTA, as arcanad takes it: give the CLI the value arcanad runs with); a
// step that fails leaves what the earlier steps made (the message says so).
// What was made is recorded (CreateUser, claiming the steps' store changes) in the CLI's own
// audit file set (RecordCliAction); a record that cannot be written fails the command.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/root_key.h"
#include "storage/stores.h"

namespace arcana::cli {

class IamCommands {
 public:
  explicit IamCommands(CLI::App& app);
  // Whether an `iam` command was given (it needs the unsealed root key).
  bool parsed() const;
  // The exit code of the given command.
  int Run(storage::Stores& stores, const crypto::RootKey& root);

 private:
  CLI::App* app_ = nullptr;  // for --data-dir (the default audit dir)
  CLI::App* iam_ = nullptr;
  CLI::App* create_user_ = nullptr;
  std::string user_;
  std::string policy_file_;
  std::string audit_dir_;
  std::string account_ = "123456789012";
  int64_t users_quota_ = 0;  // set from services::iam::IamQuotas (AWS's default) in the ctor
};

}  // namespace arcana::cli
