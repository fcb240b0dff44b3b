// `arcana events ...`: EventBridge-style rules for people.
//   list-rules    [--prefix P]    the rules of the caller's account and region, with their
//                                 targets (ListRules, ListTargetsByRule)
//   put-rule NAME --pattern JSON --target-url URL [--target-id ID] [--description D]
//                                 creates or replaces the rule and its HTTP target (PutRule,
//                                 PutTargets)
//   test-pattern  --pattern JSON --event JSON    offline: exit 0 when the event matches,
//                                 1 when it does not, 2 when either is invalid
// list-rules and put-rule call a running arcanad over the public API (SigV4) with the
// caller's credentials, region and endpoint as the AWS CLI finds them (migrate/sm_client.h:
// AWS_ACCESS_KEY_ID ..., AWS_REGION, AWS_ENDPOINT_URL; --endpoint-url / --region override),
// so every node's rule cache and the audit trail see the change.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace arcana::cli {

class EventsCommands {
 public:
  explicit EventsCommands(CLI::App& app);
  // The exit code when an events command was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  int ListRules();
  int PutRule();
  int TestPattern();

  CLI::App* events_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* put_ = nullptr;
  CLI::App* test_ = nullptr;
  std::string endpoint_url_, region_;
  std::string prefix_, name_, pattern_, target_url_, target_id_ = "arcana-cli", description_;
  std::string event_;
};

}  // namespace arcana::cli
