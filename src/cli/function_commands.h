// `arcana functions create|list|delete`: the rotation-function registry
// (storage/function_store.h), offline on the data dir's store like `access-key`:
//   arcana functions create NAME (--url URL | --exec PATH | --python DIR [--handler M.F] |
//                                 --builtin ROTATOR) [--master-secret ARN]...
//                               [--env K=V]... [--timeout S]
//     (ROTATOR: rotation/builtin_rotators.h; --master-secret: what the function may read
//     besides the secret it rotates, domain/rotation/function_spec.h)
//   arcana functions list
//   arcana functions delete NAME
// all with [--account-id ID] [--region R] (the function's ARN is
// arn:aws:lambda:R:ID:function:NAME, what RotateSecret's RotationLambdaARN names).
// create and delete record themselves (CreateFunction / DeleteFunction) in the CLI's own audit
// file set (RecordCliAction; --audit-dir, default <data-dir>/audit): a record that cannot be
// written fails the command, though the registry change stands.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "storage/stores.h"

namespace arcana::cli {

class FunctionCommands {
 public:
  explicit FunctionCommands(CLI::App& app);
  bool parsed() const;
  // The exit code of the given command.
  int Run(storage::Stores& stores);

 private:
  // Records the create / delete just made; the exit code.
  int Record(storage::Stores& stores, const std::string& event_name);

  CLI::App* app_ = nullptr;  // for --data-dir (the default audit dir)
  CLI::App* functions_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* delete_ = nullptr;
  std::string name_;
  std::string url_;
  std::string exec_;
  std::string python_;
  std::string handler_;
  std::string builtin_;
  std::vector<std::string> env_;
  std::vector<std::string> master_secrets_;
  int64_t timeout_s_ = 30;
  std::string account_ = "123456789012";
  std::string region_ = "us-east-1";
  std::string audit_dir_;
};

}  // namespace arcana::cli
