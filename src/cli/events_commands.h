// `arcana events ...`: EventBridge-style rules for people.
//   list-rules    [--prefix P]    the rules of the caller's account and region, with their
//                                 targets (ListRules, ListTargetsByRule)
//   put-rule NAME --pattern JSON --target-url URL [--target-id ID] [--description D]
//                                 creates or replaces the rule and its HTTP target (PutRule,
//                                 PutTargets)
//   test-pattern  --pattern JSON --event JSON    offline: exit 0 when the event matches,
//                                 1 when it does not, 2 when either is invalid
//   deliveries    [--limit N]     from the store (--store / --data-dir, as `arcana audit`):
//                                 deliveries still pending, oldest first: id, rule, target
//                                 id, url, attempts, next attempt, last error
//   dead-letters  [--limit N] [--json]   from the store: deliveries whose retries or age ran
//                                 out, oldest first, from every node; --json prints one
//                                 object a line, the dead-letter file's shape plus "id"
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
  EventsCommands(CLI::App& app, const std::string& data_dir, const std::string& store_url);
  // The exit code when an events command was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  int ListRules();
  int PutRule();
  int TestPattern();
  int ListDeliveries(bool dead);

  CLI::App* events_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* put_ = nullptr;
  CLI::App* test_ = nullptr;
  CLI::App* pending_ = nullptr;
  CLI::App* dead_ = nullptr;
  const std::string& data_dir_;
  const std::string& store_url_;
  size_t limit_ = 100;
  bool json_ = false;
  std::string endpoint_url_, region_;
  std::string prefix_, name_, pattern_, target_url_, target_id_ = "arcana-cli", description_;
  std::string event_;
};

}  // namespace arcana::cli
