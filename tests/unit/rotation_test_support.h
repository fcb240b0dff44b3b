// Shared by the rotation runner's unit tests (rotation_runner_test.cc,
// rotation_root_hold_test.cc): a rotation function stand-in that performs each step through
// Secrets Manager as AWS's rotation templates do, and one Secrets Manager call as an account's
// root.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "auth/authorizer.h"
#include "common/json.h"
#include "rotation/function_invoker.h"
#include "services/secretsmanager/secrets_manager.h"

namespace arcana::rotation::test_support {

// createSecret puts AWSPENDING ("new-<token>"), finishSecret moves AWSCURRENT from `current`
// to the token; the other steps succeed. Each step is recorded in `steps`, in order.
class StepFunction : public FunctionInvoker {
 public:
  using Caller = std::function<Result<std::string>(const std::string&, const std::string&)>;
  StepFunction() : FunctionInvoker("") {}
  Status Invoke(const storage::RotationFunction&, const Invocation& call) const override {
    rapidjson::Document ev;
    EXPECT_TRUE(json::ParseBounded(call.event_json, &ev).ok());
    std::string step = ev["Step"].GetString(), arn = ev["SecretId"].GetString(),
                token = ev["ClientRequestToken"].GetString();
    steps.push_back(step);
    if (expect_session_credentials) {
      EXPECT_TRUE(call.runtime_env.at("AWS_ACCESS_KEY_ID").starts_with("ASIA"));
    }
    if (step == slow_step && during) during();
    if (step == failing) return Status(ErrorCode::kInternalFailure, "function fake failed");
    if (step == "createSecret") {
      return call_("PutSecretValue", R"({"SecretId":")" + arn + R"(","ClientRequestToken":")" +
                                         token + R"(","SecretString":"new-)" + token +
                                         R"(","VersionStages":["AWSPENDING"]})")
          .status();
    }
    if (step == "finishSecret") {
      Status st = call_("UpdateSecretVersionStage",
                        R"({"SecretId":")" + arn + R"(","VersionStage":"AWSCURRENT","MoveToVersionId":")" +
                            token + R"(","RemoveFromVersionId":")" + current + R"("})")
                      .status();
      if (st.ok() && after_finish) after_finish(token);
      return st;
    }
    return Status::Ok();
  }

  Caller call_;
  std::string current;   // the version finishSecret moves AWSCURRENT from
  std::string failing;   // a step that fails
  std::string slow_step;  // a step that runs `during` first (a function waiting on a database)
  std::function<void()> during;
  std::function<void(const std::string& token)> after_finish;  // once AWSCURRENT moved
  bool expect_session_credentials = false;  // the step's AWS_ACCESS_KEY_ID is a session's (ASIA)
  mutable std::vector<std::string> steps;
};

// op with body (JSON) as the root of `account` in us-east-1 at now_ms.
inline Result<std::string> CallAsRoot(services::sm::SecretsManagerService& sm,
                                      const auth::PolicyAuthorizer& authz,
                                      const std::string& account, int64_t now_ms,
                                      const std::string& op, const std::string& body) {
  rapidjson::Document in;
  EXPECT_TRUE(json::ParseBounded(body, &in).ok()) << body;
  services::CallContext ctx;
  ctx.account = account;
  ctx.region = "us-east-1";
  ctx.principal_arn = "arn:aws:iam::" + account + ":root";
  ctx.now_ms = now_ms;
  ctx.authorizer = &authz;
  ctx.action = "secretsmanager:" + op;
  return sm.Call(op, in, ctx);
}

}  // namespace arcana::rotation::test_support
