#include "cli/events_commands.h"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <algorithm>

#include "audit/audit_event.h"
#include "auth/sigv4.h"
#include "cli/operator_client.h"
#include "cli/operator_commands.h"
#include "common/json.h"
#include "domain/events/event_pattern.h"
#include "events/delivery.h"
#include "migrate/sm_client.h"

namespace arcana::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// One signed AWSEvents.<op> call; the parsed answer, or the API's error as a Status.
class EventsClient {
 public:
  static Result<EventsClient> Create(std::string url, std::string region) {
    EventsClient c;
    if (url.empty()) url = Env("AWS_ENDPOINT_URL_EVENTBRIDGE");
    if (url.empty()) url = Env("AWS_ENDPOINT_URL");
    if (url.empty()) url = "http://127.0.0.1:7770";
    ARCANA_ASSIGN_OR_RETURN(c.ep_, ParseEndpoint(url));
    for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
      if (region.empty()) region = Env(var);
    }
    c.region_ = region.empty() ? "us-east-1" : region;
    ARCANA_ASSIGN_OR_RETURN(c.creds_, migrate::ResolveCredentials());
    return c;
  }

  Status Call(const std::string& op, const std::string& body, rapidjson::Document* out) {
    auto reply = SendRequest(ep_, "POST", "/", body, [&](auth::SignableRequest& sr) {
      sr.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
      sr.headers.emplace_back("X-Amz-Target", "AWSEvents." + op);
      auth::SignRequest(sr, creds_.access_key_id, creds_.secret_access_key.view(), region_,
                        "events", auth::FormatAmzDate(std::chrono::system_clock::now()),
                        creds_.session_token);
    });
    if (!reply.ok()) return reply.status();
    if (!json::ParseBounded(reply->body, out).ok() || !out->IsObject()) {
      return Status(ErrorCode::kInternalFailure, "unreadable answer (HTTP " +
                                                     std::to_string(reply->status) + ")");
    }
    if (reply->status != 200) {
      return Status(ErrorCode::kInternalFailure,
                    json::StrField(*out, "__type") + ": " + json::StrField(*out, "message") +
                        json::StrField(*out, "Message"));
    }
    return Status::Ok();
  }

 private:
  Endpoint ep_;
  std::string region_;
  migrate::AwsCredentials creds_;
};

int Fail(const std::string& what, int code = 1) {
  std::cerr << "arcana events: " << what << "\n";
  return code;
}

std::string Body(const std::vector<std::pair<const char*, std::string>>& members) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  for (const auto& [k, v] : members) {
    if (!v.empty()) json::KV(w, k, v);
  }
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace

EventsCommands::EventsCommands(CLI::App& app, const std::string& data_dir,
                               const std::string& store_url)
    : data_dir_(data_dir), store_url_(store_url) {
  events_ = app.add_subcommand("events", "EventBridge-style rules: list, put, test a pattern");
  events_->require_subcommand(1);
  list_ = events_->add_subcommand("list-rules", "list rules and their targets");
  list_->add_option("--prefix", prefix_, "only rules whose name starts with this");
  put_ = events_->add_subcommand("put-rule", "create or replace a rule with one HTTP target");
  put_->add_option("name", name_, "rule name")->required();
  put_->add_option("--pattern", pattern_, "the event pattern (JSON)")->required();
  put_->add_option("--target-url", target_url_, "http(s) endpoint that receives the events")
      ->required();
  put_->add_option("--target-id", target_id_, "the target's id")->capture_default_str();
  put_->add_option("--description", description_, "the rule's description");
  for (CLI::App* sub : {list_, put_}) {
    sub->add_option("--endpoint-url", endpoint_url_, "arcanad (default AWS_ENDPOINT_URL or "
                                                     "http://127.0.0.1:7770)");
    sub->add_option("--region", region_, "region (default AWS_REGION or us-east-1)");
  }
  test_ = events_->add_subcommand("test-pattern", "does this event match this pattern? (offline)");
  test_->add_option("--pattern", pattern_, "the event pattern (JSON)")->required();
  test_->add_option("--event", event_, "the event (JSON)")->required();
  pending_ = events_->add_subcommand("deliveries", "deliveries still pending (from the store)");
  dead_ = events_->add_subcommand("dead-letters", "dead-lettered deliveries (from the store)");
  for (CLI::App* sub : {pending_, dead_}) {
    sub->add_option("--limit", limit_, "at most this many")->capture_default_str();
  }
  dead_->add_flag("--json", json_, "one JSON object a line, with the event");
}

std::optional<int> EventsCommands::Run() {
  if (!events_->parsed()) return std::nullopt;
  if (list_->parsed()) return ListRules();
  if (put_->parsed()) return PutRule();
  if (pending_->parsed()) return ListDeliveries(false);
  if (dead_->parsed()) return ListDeliveries(true);
  return TestPattern();
}

int EventsCommands::ListRules() {
  auto client = EventsClient::Create(endpoint_url_, region_);
  if (!client.ok()) return Fail(client.status().message());
  std::string token;
  do {
    rapidjson::Document page;
    Status s = client->Call("ListRules", Body({{"NamePrefix", prefix_}, {"NextToken", token}}), &page);
    if (!s.ok()) return Fail(s.message());
    for (const auto& rule : page["Rules"].GetArray()) {
      std::string name = json::StrField(rule, "Name");
      std::cout << name << "  " << json::StrField(rule, "State") << "  "
                << json::StrField(rule, "EventPattern") << "\n";
      rapidjson::Document targets;
      s = client->Call("ListTargetsByRule", Body({{"Rule", name}}), &targets);
      if (!s.ok()) return Fail(s.message());
      for (const auto& t : targets["Targets"].GetArray()) {
        std::cout << "    -> " << json::StrField(t, "Id") << "  " << json::StrField(t, "Arn") << "\n";
      }
    }
    token = json::StrField(page, "NextToken");
  } while (!token.empty());
  return 0;
}

int EventsCommands::PutRule() {
  if (auto p = domain::events::EventPattern::Parse(pattern_); !p.ok()) {
    return Fail(p.status().message(), 2);
  }
  auto client = EventsClient::Create(endpoint_url_, region_);
  if (!client.ok()) return Fail(client.status().message());
  rapidjson::Document out;
  Status s = client->Call(
      "PutRule", Body({{"Name", name_}, {"EventPattern", pattern_}, {"Description", description_}}),
      &out);
  if (!s.ok()) return Fail(s.message());
  std::string arn = json::StrField(out, "RuleArn");
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Rule", name_);
  w.Key("Targets");
  w.StartArray();
  w.StartObject();
  json::KV(w, "Id", target_id_);
  json::KV(w, "Arn", target_url_);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  s = client->Call("PutTargets", json::Finish(buf), &out);
  if (!s.ok()) return Fail("the rule was put but not its target: " + s.message());
  std::cout << arn << "\n";
  return 0;
}

int EventsCommands::ListDeliveries(bool dead) {
  auto stores = OpenOfflineStores(data_dir_, store_url_);
  if (!stores.ok()) return Fail(stores.status().message());
  std::string after;
  size_t shown = 0;
  while (shown < limit_) {
    auto page = (*stores)->event_deliveries().ListDeliveries(
        dead, after, std::min(limit_ - shown, storage::kMaxListLimit));
    if (!page.ok()) return Fail(page.status().message());
    for (const auto& d : *page) {
      if (dead && json_) {
        std::cout << events::DeadLetterJson(d, d.finished_ms, d.last_error, true) << "\n";
      } else {
        std::cout << d.id << "\t" << d.rule_arn << "\t" << d.target_id << "\t" << d.url << "\t"
                  << d.attempts << "\t"
                  << audit::IsoTime(dead ? d.finished_ms : d.next_attempt_ms) << "\t"
                  << d.last_error << "\n";
      }
    }
    shown += page->size();
    if (page->empty() || page->size() < storage::kMaxListLimit) break;
    after = page->back().id;
  }
  return 0;
}

int EventsCommands::TestPattern() {
  auto pattern = domain::events::EventPattern::Parse(pattern_);
  if (!pattern.ok()) return Fail(pattern.status().message(), 2);
  auto matched = pattern->MatchesJson(event_);
  if (!matched.ok()) return Fail(matched.status().message(), 2);
  std::cout << (*matched ? "match" : "no match") << "\n";
  return *matched ? 0 : 1;
}

}  // namespace arcana::cli
