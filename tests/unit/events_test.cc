// Events from audit records (events/event_envelope.h), built-in detections
// (events/detections.h) and delivery with retries and dead letters (events/delivery.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <algorithm>
#include <mutex>
#include <thread>

#include "common/json.h"
#include "domain/events/archive.h"
#include "events/delivery.h"
#include "events/detections.h"
#include "events/event_bus.h"
#include "events/event_envelope.h"
#include "events/replays.h"
#include "storage/stores.h"
#include "temp_stores.h"

namespace arcana::events {
namespace {

const char* kSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf";

rapidjson::Document Record(const std::string& name, const std::string& request,
                           const std::string& error_code = "", const std::string& error_message = "",
                           const std::string& principal = "arn:aws:iam::123456789012:user/alice") {
  std::string text = R"({"eventVersion":"1.11","userIdentity":{"type":"IAMUser","arn":")" + principal +
                     R"(","accountId":"123456789012"},"eventTime":"2026-12-02T10:00:00Z",
      "eventSource":"secretsmanager.amazonaws.com","eventName":")" + name +
                     R"(","awsRegion":"us-east-1","requestParameters":)" + request +
                     (error_code.empty() ? "" : R"(,"errorCode":")" + error_code +
                                                    R"(","errorMessage":")" + error_message + "\"") +
                     R"(,"eventID":"ev-1","eventType":"AwsApiCall","recipientAccountId":"123456789012",
      "resources":[{"accountId":"123456789012","type":"AWS::SecretsManager::Secret","ARN":")" +
                     kSecret + R"("}]})";
  rapidjson::Document d;
  EXPECT_TRUE(json::ParseBounded(text, &d).ok()) << text;
  return d;
}

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document d;
  EXPECT_TRUE(json::ParseBounded(text, &d).ok()) << text;
  return d;
}

TEST(EventEnvelope, AnApiCallRecordBecomesACloudTrailEvent) {
  auto rec = Record("GetSecretValue", R"({"secretId":"prod/db"})");
  Event e = RecordEvent(rec, "999999999999");
  EXPECT_EQ(e.account, "123456789012");
  EXPECT_EQ(e.region, "us-east-1");
  auto d = Parse(e.json);
  EXPECT_STREQ(d["version"].GetString(), "0");
  EXPECT_STREQ(d["source"].GetString(), "aws.secretsmanager");
  EXPECT_STREQ(d["detail-type"].GetString(), "AWS API Call via CloudTrail");
  EXPECT_STREQ(d["time"].GetString(), "2026-12-02T10:00:00Z");
  EXPECT_STREQ(d["resources"][0].GetString(), kSecret);
  EXPECT_STREQ(d["detail"]["eventName"].GetString(), "GetSecretValue");
  EXPECT_EQ(std::string(d["id"].GetString()).size(), 36u);
  EXPECT_EQ(EventSourceOf("kms.amazonaws.com"), "aws.kms");
  EXPECT_EQ(EventSourceOf("arcana.operator"), "arcana.operator");
}

// Which records an ENABLED rule does not see (EventBridge user guide, "Receiving read-only
// management events"): read-only ones named Describe*/Get*/List*, but not STS's two Get*
// credential calls; read-only ones named otherwise (KMS Decrypt, STS AssumeRole) it sees.
TEST(EventEnvelope, ReadOnlyManagementEventsAreTheReadVerbs) {
  auto classify = [](const std::string& source, const std::string& name, bool read_only) {
    auto d = Parse(R"({"eventVersion":"1.11","eventTime":"2026-12-02T10:00:00Z","eventSource":")" +
                   source + R"(","eventName":")" + name + R"(","awsRegion":"us-east-1",)" +
                   R"("readOnly":)" + (read_only ? "true" : "false") +
                   R"(,"recipientAccountId":"123456789012"})");
    return RecordEvent(d, "123456789012").read_only_management;
  };
  EXPECT_TRUE(classify("secretsmanager.amazonaws.com", "GetSecretValue", true));
  EXPECT_TRUE(classify("secretsmanager.amazonaws.com", "DescribeSecret", true));
  EXPECT_TRUE(classify("kms.amazonaws.com", "ListKeys", true));
  EXPECT_FALSE(classify("kms.amazonaws.com", "Decrypt", true));
  EXPECT_FALSE(classify("sts.amazonaws.com", "AssumeRole", true));
  EXPECT_FALSE(classify("sts.amazonaws.com", "GetSessionToken", true));
  EXPECT_FALSE(classify("sts.amazonaws.com", "GetFederationToken", true));
  EXPECT_TRUE(classify("sts.amazonaws.com", "GetCallerIdentity", true));
  EXPECT_FALSE(classify("secretsmanager.amazonaws.com", "PutSecretValue", false));
}

std::vector<std::string> Types(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(Parse(e.json)["detail-type"].GetString());
  return out;
}

TEST(Detections, DeletionsPendingDeletionReadsAndDeprecatedVersions) {
  std::string asked_version;
  Detector d([&](const std::string&, const std::string&, const std::string& arn,
                 const std::string& version) -> std::optional<std::vector<std::string>> {
    EXPECT_EQ(arn, kSecret);
    asked_version = version;
    if (version == "v-old") return std::vector<std::string>{};
    return std::vector<std::string>{"AWSCURRENT"};
  });
  auto scheduled = d.Observe(Record("DeleteSecret", R"({"secretId":"prod/db","recoveryWindowInDays":7})"), 1);
  ASSERT_EQ(Types(scheduled), std::vector<std::string>{"Secret Scheduled For Deletion"});
  auto ev = Parse(scheduled[0].json);
  EXPECT_STREQ(ev["source"].GetString(), kDetectionSource);
  EXPECT_STREQ(ev["detail"]["secretArn"].GetString(), kSecret);
  EXPECT_STREQ(ev["detail"]["principal"].GetString(), "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(Types(d.Observe(Record("DeleteSecret", R"({"secretId":"x","forceDeleteWithoutRecovery":true})"), 1)),
            std::vector<std::string>{"Secret Deleted"});
  EXPECT_TRUE(d.Observe(Record("DeleteSecret", "{}", "ResourceNotFoundException", "no"), 1).empty());
  EXPECT_EQ(Types(d.Observe(Record("GetSecretValue", "{}", "InvalidRequestException",
                                   "You can't perform this operation on the secret because it was "
                                   "marked for deletion."), 1)),
            std::vector<std::string>{"Pending Deletion Secret Read"});
  EXPECT_EQ(Types(d.Observe(Record("GetSecretValue", R"({"versionStage":"AWSPREVIOUS"})"), 1)),
            std::vector<std::string>{"Deprecated Secret Version Read"});
  EXPECT_EQ(Types(d.Observe(Record("GetSecretValue", R"({"versionId":"v-old"})"), 1)),
            std::vector<std::string>{"Deprecated Secret Version Read"});
  EXPECT_EQ(asked_version, "v-old");
  EXPECT_TRUE(d.Observe(Record("GetSecretValue", R"({"versionId":"v-cur"})"), 1).empty());
  EXPECT_TRUE(d.Observe(Record("GetSecretValue", R"({"secretId":"prod/db"})"), 1).empty());
}

using arcana::testing::TempStores;

TEST(Detections, ADeniedBurstFromOnePrincipalFiresOncePerWindow) {
  TempStores stores;
  Detector d(nullptr, &stores->event_deliveries());
  const std::string bob = "arn:aws:iam::123456789012:user/bob";
  int64_t t = 1'000'000;
  for (size_t i = 0; i + 1 < kDeniedBurst; ++i) {
    EXPECT_TRUE(d.Observe(Record("GetSecretValue", "{}", "AccessDeniedException", "no", bob), t + i).empty());
  }
  // Another principal's denials do not count towards bob's.
  EXPECT_TRUE(d.Observe(Record("GetSecretValue", "{}", "AccessDeniedException", "no"), t).empty());
  auto burst = d.Observe(Record("GetSecretValue", "{}", "AccessDeniedException", "no", bob), t + 20);
  ASSERT_EQ(Types(burst), std::vector<std::string>{"Denied Access Burst"});
  EXPECT_STREQ(Parse(burst[0].json)["resources"][0].GetString(), bob.c_str());
  EXPECT_STREQ(Parse(burst[0].json)["detail"]["deniedCalls"].GetString(), "10");
  EXPECT_TRUE(d.Observe(Record("GetSecretValue", "{}", "AccessDeniedException", "no", bob), t + 21).empty());
  // A second node (detector) on the same store counts the same burst: 8 more denials here
  // and one there complete it, and only that one raises it.
  Detector other(nullptr, &stores->event_deliveries());
  for (size_t i = 0; i + 2 < kDeniedBurst; ++i) {
    EXPECT_TRUE(d.Observe(Record("X", "{}", "AccessDeniedException", "no", bob), t + 30).empty());
  }
  EXPECT_EQ(Types(other.Observe(Record("X", "{}", "AccessDeniedException", "no", bob), t + 31)),
            std::vector<std::string>{"Denied Access Burst"});
  // Denials spread wider than the window never add up to a burst.
  const std::string carol = "arn:aws:iam::123456789012:user/carol";
  for (size_t i = 0; i < 3 * kDeniedBurst; ++i) {
    EXPECT_TRUE(d.Observe(Record("X", "{}", "AccessDeniedException", "no", carol),
                          t + static_cast<int64_t>(i) * (kDeniedWindowMs / 5)).empty());
  }
  // Without a store there is no burst detection (and no process-local count).
  Detector none(nullptr);
  for (size_t i = 0; i < kDeniedBurst; ++i) {
    EXPECT_TRUE(none.Observe(Record("X", "{}", "AccessDeniedException", "no", bob), t).empty());
  }
}

TEST(Detections, RotationOutcomeEvents) {
  auto failed = Parse(RotationOutcomeEvent("123456789012", "us-east-1", kSecret, "v2", false,
                                           "testSecret", "the database refused the login", 5).json);
  EXPECT_STREQ(failed["detail-type"].GetString(), "Secret Rotation Failed");
  EXPECT_STREQ(failed["detail"]["step"].GetString(), "testSecret");
  auto ok = Parse(RotationOutcomeEvent("123456789012", "us-east-1", kSecret, "v2", true, "", "", 5).json);
  EXPECT_STREQ(ok["detail-type"].GetString(), "Secret Rotation Succeeded");
  EXPECT_FALSE(ok["detail"].HasMember("step"));
}

class DelivererTest : public ::testing::Test {
 protected:
  std::vector<std::string> DeadLetters() {
    std::vector<std::string> lines;
    std::ifstream in(stores_.dir() + "/events/dead-letter.jsonl");
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  Deliverer::Options Opts() {
    Deliverer::Options o;
    o.dead_letter_dir = stores_.dir() + "/events";
    o.store = &stores_->event_deliveries();
    o.node = "n1";
    return o;
  }
  std::vector<storage::EventDelivery> Rows(bool dead) {
    return stores_->event_deliveries().ListDeliveries(dead, "", 100).value();
  }
  template <class Pred>
  static bool Eventually(Pred pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return pred();
  }
  TempStores stores_;
};

TEST_F(DelivererTest, RetriesWithBackoffThenDeliversOrDeadLetters) {
  std::atomic<int> flaky_calls{0}, dead_calls{0};
  Deliverer::Options o = Opts();
  o.first_backoff = std::chrono::milliseconds(1);
  o.post = [&](const std::string& url, const std::string&) -> Status {
    if (url == "http://flaky") {
      return ++flaky_calls < 3 ? Status(ErrorCode::kServiceUnavailable, "HTTP 503") : Status::Ok();
    }
    ++dead_calls;
    return Status(ErrorCode::kServiceUnavailable, "connection refused");
  };
  Deliverer d(o);
  domain::events::HttpTarget flaky{"t1", "http://flaky", std::nullopt, "", std::nullopt, std::nullopt};
  domain::events::HttpTarget dead{"t2", "http://dead", std::nullopt, "", 2, std::nullopt};
  d.Submit("arn:aws:events:us-east-1:123456789012:rule/r", flaky, R"({"id":"e1"})");
  d.Submit("arn:aws:events:us-east-1:123456789012:rule/r", dead, R"({"id":"e2"})");
  EXPECT_TRUE(Eventually([&] { return d.dead_lettered() == 1 && flaky_calls == 3; }));
  d.Stop();
  EXPECT_EQ(flaky_calls, 3);  // two failures, then delivered
  EXPECT_EQ(dead_calls, 3);   // the first attempt and MaximumRetryAttempts=2 retries
  auto lines = DeadLetters();
  ASSERT_EQ(lines.size(), 1u);
  auto dl = Parse(lines[0]);
  EXPECT_STREQ(dl["url"].GetString(), "http://dead");
  EXPECT_STREQ(dl["targetId"].GetString(), "t2");
  EXPECT_EQ(dl["attempts"].GetInt(), 3);
  EXPECT_STREQ(dl["event"]["id"].GetString(), "e2");
  EXPECT_EQ(std::filesystem::status(stores_.dir() + "/events/dead-letter.jsonl").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // The store agrees: the delivered row is gone, the dead one is queryable.
  EXPECT_TRUE(Rows(false).empty());
  auto dead_rows = Rows(true);
  ASSERT_EQ(dead_rows.size(), 1u);
  EXPECT_EQ(dead_rows[0].attempts, 3);
  EXPECT_EQ(dead_rows[0].last_error, "connection refused");
  EXPECT_EQ(dead_rows[0].account, "123456789012");
  EXPECT_EQ(dead_rows[0].region, "us-east-1");
  EXPECT_EQ(dead_rows[0].body, R"({"id":"e2"})");
}

TEST_F(DelivererTest, EachAttemptIsRecordedAndAStopHandsThePendingOnesBack) {
  Deliverer::Options o = Opts();
  o.first_backoff = std::chrono::milliseconds(60'000);  // the retry is 5 s off (the cap)
  o.post = [](const std::string&, const std::string&) {
    return Status(ErrorCode::kServiceUnavailable, "connect: Connection refused");
  };
  Deliverer d(o);
  domain::events::HttpTarget t{"t", "http://down", std::nullopt, "", 5, std::nullopt};
  d.Submit("arn:aws:events:us-east-1:123456789012:rule/r", t, R"({"id":"e3"})");
  ASSERT_TRUE(Eventually([&] { auto r = Rows(false); return r.size() == 1 && r[0].attempts == 1; }));
  auto row = Rows(false)[0];
  EXPECT_EQ(row.last_error, "connect: Connection refused");
  EXPECT_GE(row.next_attempt_ms, row.created_ms + 5'000);
  EXPECT_EQ(row.max_retries, 5);
  // Held by this node until then: no other node may claim it.
  auto& ds = stores_->event_deliveries();
  EXPECT_TRUE(ds.ClaimDueDeliveries("n2:x", row.next_attempt_ms, 1000, 10)->empty());
  d.Stop();
  // Stopped: the row is free for any node once due.
  EXPECT_EQ(ds.ClaimDueDeliveries("n2:x", row.next_attempt_ms, 1000, 10)->size(), 1u);
  EXPECT_TRUE(DeadLetters().empty());
}

TEST_F(DelivererTest, ARestartResumesItsOwnLeasedDeliveriesAndLeavesOthersHeld) {
  auto& ds = stores_->event_deliveries();
  storage::EventDelivery mine, theirs;
  for (auto* d : {&mine, &theirs}) {
    d->id = storage::NewDeliveryId(1000);
    d->rule_arn = "arn:aws:events:us-east-1:123456789012:rule/r";
    d->target_id = "t";
    d->url = d == &mine ? "http://mine" : "http://theirs";
    d->body = R"({"id":"e4"})";
    d->created_ms = d->next_attempt_ms = 1000;
    d->attempts = 1;
  }
  // Held far into the future by this node's previous (killed) process, and by another node.
  ASSERT_EQ(ds.AddDeliveries({mine}, "n1:killed", INT64_MAX / 2, 100).value(), 1u);
  ASSERT_EQ(ds.AddDeliveries({theirs}, "n2:alive", INT64_MAX / 2, 100).value(), 1u);
  std::mutex mu;
  std::vector<std::string> posted;
  Deliverer::Options o = Opts();
  o.post = [&](const std::string& url, const std::string& body) {
    std::lock_guard<std::mutex> l(mu);
    posted.push_back(url + " " + body);
    return Status::Ok();
  };
  Deliverer d(o);
  ASSERT_TRUE(Eventually([&] { return Rows(false).size() == 1; }));
  EXPECT_EQ(d.ClaimDue(), 0u);  // n2's is held
  d.Stop();
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(posted, std::vector<std::string>{R"(http://mine {"id":"e4"})"});
  EXPECT_EQ(Rows(false)[0].url, "http://theirs");
}

// A review found rows waiting in a node's own queue behind a slow target claimed again by
// that node's ClaimDue once their stored lease ran out, and the second copy sent too (an HTTP
// target answering in 3 s, 28 events: 4 delivered twice). The leases running out is made
// here by freeing them in the store (as an expiry leaves them: claimable), with the rows
// queued and one being sent: each delivery must still be sent once.
TEST_F(DelivererTest, ItsOwnClaimsNeverQueueARowItHoldsAgain) {
  Deliverer::Options o = Opts();
  o.threads = 1;
  std::atomic<bool> release{false}, sending{false};
  std::mutex mu;
  std::map<std::string, int> sent;
  o.post = [&](const std::string&, const std::string& body) {
    sending = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::lock_guard<std::mutex> l(mu);
    ++sent[body];
    return Status::Ok();
  };
  Deliverer d(o);
  domain::events::HttpTarget t{"t", "http://slow", std::nullopt, "", std::nullopt, std::nullopt};
  for (int i = 0; i < 4; ++i) {
    d.Submit("arn:aws:events:us-east-1:123456789012:rule/r", t,
             "{\"n\":" + std::to_string(i) + "}");
  }
  ASSERT_TRUE(Eventually([&] { return Rows(false).size() == 4 && sending; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // all four in this node's queue
  auto& ds = stores_->event_deliveries();
  ASSERT_EQ(ds.ReleaseDeliveries(d.owner()).value(), 4u);  // their leases ran out
  EXPECT_EQ(d.ClaimDue(), 0u);  // all four are this node's already
  release = true;
  ASSERT_TRUE(Eventually([&] { return Rows(false).empty(); }));
  d.Stop();
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(sent.size(), 4u);
  for (const auto& [body, n] : sent) EXPECT_EQ(n, 1) << body;
}

// A row another node claimed once its lease ran out is that node's: this node, which had it
// queued, confirms its ownership right before sending and drops its copy.
TEST_F(DelivererTest, ARowAnotherNodeClaimedIsNotSentByTheNodeThatQueuedIt) {
  Deliverer::Options o = Opts();
  o.threads = 1;
  std::atomic<bool> release{false};
  std::mutex mu;
  std::vector<std::string> sent;
  o.post = [&](const std::string&, const std::string& body) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::lock_guard<std::mutex> l(mu);
    sent.push_back(body);
    return Status::Ok();
  };
  Deliverer d(o);
  domain::events::HttpTarget t{"t", "http://slow", std::nullopt, "", std::nullopt, std::nullopt};
  d.Submit("arn:aws:events:us-east-1:123456789012:rule/r", t, R"({"n":1})");
  ASSERT_TRUE(Eventually([&] { return Rows(false).size() == 1; }));
  d.Submit("arn:aws:events:us-east-1:123456789012:rule/r", t, R"({"n":2})");
  ASSERT_TRUE(Eventually([&] { return Rows(false).size() == 2; }));
  auto& ds = stores_->event_deliveries();
  ASSERT_EQ(ds.ReleaseDeliveries(d.owner()).value(), 2u);  // their leases ran out
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_EQ(ds.ClaimDueDeliveries("n2:other", now, 600'000, 10).value().size(), 2u);
  release = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  d.Stop();
  std::lock_guard<std::mutex> l(mu);
  // The first was being sent when n2 claimed it (at least once); the second, still queued
  // here, is n2's alone.
  EXPECT_EQ(std::count(sent.begin(), sent.end(), R"({"n":2})"), 0);
  EXPECT_EQ(Rows(false).size(), 2u);  // n1's outcome of the first was refused: n2 decides
}

// A delivery whose body cannot be made (an InputTransformer's over the size limit) fails:
// dead-lettered with the event and the reason, nothing sent or stored.
TEST_F(DelivererTest, AFailedDeliveryIsDeadLetteredAtOnce) {
  Deliverer::Options o = Opts();
  std::atomic<int> posts{0};
  o.post = [&](const std::string&, const std::string&) {
    ++posts;
    return Status::Ok();
  };
  Deliverer d(o);
  domain::events::HttpTarget t{"t9", "http://x", std::nullopt, "", std::nullopt, std::nullopt};
  d.Fail("arn:aws:events:us-east-1:123456789012:rule/r", t, R"({"id":"e9"})",
         "input transformer output over 262144 bytes");
  EXPECT_EQ(d.dead_lettered(), 1u);
  d.Stop();
  EXPECT_EQ(posts, 0);
  EXPECT_TRUE(Rows(false).empty());
  auto lines = DeadLetters();
  ASSERT_EQ(lines.size(), 1u);
  auto dl = Parse(lines[0]);
  EXPECT_STREQ(dl["targetId"].GetString(), "t9");
  EXPECT_STREQ(dl["error"].GetString(), "input transformer output over 262144 bytes");
  EXPECT_STREQ(dl["event"]["id"].GetString(), "e9");
}

TEST_F(DelivererTest, BeyondTheStoresCapADeliveryIsDeadLetteredAtOnce) {
  Deliverer::Options o = Opts();
  o.max_pending = 1;
  o.threads = 1;
  std::atomic<bool> release{false};
  o.post = [&](const std::string&, const std::string&) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Status::Ok();
  };
  Deliverer d(o);
  domain::events::HttpTarget t{"t", "http://slow", std::nullopt, "", std::nullopt, std::nullopt};
  d.Submit("arn:aws:events:us-east-1:123456789012:rule/r", t, "{}");
  ASSERT_TRUE(Eventually([&] { return Rows(false).size() == 1; }));
  d.Submit("arn:aws:events:us-east-1:123456789012:rule/r", t, R"({"n":2})");  // does not fit
  EXPECT_TRUE(Eventually([&] { return !DeadLetters().empty(); }));
  EXPECT_NE(DeadLetters()[0].find("backlog full"), std::string::npos);
  release = true;
  EXPECT_TRUE(Eventually([&] { return Rows(false).empty(); }));
  d.Stop();
}

}  // namespace
}  // namespace arcana::events

namespace arcana::events {
namespace {

// The rule cache and the bus over a real (SQLite) store: a rule, its targets and its state
// take effect on the next event, with no restart (the cache follows the change sequence).
class EventBusTest : public ::testing::Test {
 protected:
  TempStores stores_;
  const std::string dir_ = stores_.dir();

  // Archive "ar" of the default bus with 250 events (times 1000..1249).
  void ArchiveOf250Events(const storage::Scope& scope) {
    storage::EventRuleStore& rules = stores_->event_rules();
    domain::events::Archive a;
    a.name = "ar";
    a.arn = "arn:aws:events:us-east-1:123456789012:archive/ar";
    a.bus = "default";
    ASSERT_TRUE(rules.CreateEventDoc(scope, storage::kArchiveDoc, a.name, a.arn,
                                     domain::events::EncodeArchive(a), "CreateArchive").ok());
    for (int i = 0; i < 250; ++i) {
      ASSERT_TRUE(rules.ArchiveEvent(scope, "ar", 1000 + i, 0,
                                     R"({"source":"s","detail-type":"d","detail":{}})").ok());
    }
  }
  // A bus routing with the store's rules, its deliveries made by `post`.
  std::unique_ptr<EventBus> BusPostingWith(PostFn post) {
    Deliverer::Options o;
    o.dead_letter_dir = dir_ + "/events";
    o.store = &stores_->event_deliveries();
    o.post = std::move(post);
    return std::make_unique<EventBus>(
        std::make_unique<RuleCache>(stores_->event_rules(), stores_->follower()),
        std::make_unique<Detector>(nullptr), std::make_unique<Deliverer>(o), "123456789012");
  }
  // Replay "rp" of all of archive "ar", as StartReplay stores it.
  domain::events::Replay StartedReplay(const storage::Scope& scope) {
    domain::events::Replay r;
    r.name = "rp";
    r.arn = "arn:aws:events:us-east-1:123456789012:replay/rp";
    r.archive = "ar";
    r.destination_bus = "default";
    r.state = "STARTING";
    r.event_end_ms = 1'000'000;
    EXPECT_TRUE(stores_->event_rules().CreateEventDoc(scope, storage::kReplayDoc, r.name, r.arn,
                                                      domain::events::EncodeReplay(r),
                                                      "StartReplay").ok());
    return r;
  }
};

TEST_F(EventBusTest, AReplaysProgressDoesNotReloadTheRules) {
  const storage::Scope scope{"123456789012", "us-east-1"};
  storage::EventRuleStore& rules = stores_->event_rules();
  RuleCache cache(rules, stores_->follower());
  auto before = cache.RulesOf(scope.account, scope.region);
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(rules.CreateEventDoc(scope, storage::kReplayDoc, "rp",
                                   "arn:aws:events:us-east-1:123456789012:replay/rp", "{}",
                                   "StartReplay").ok());
  ASSERT_TRUE(rules.UpdateEventDoc(scope, storage::kReplayDoc, "rp", "{}", "StartReplay").ok());
  auto after = cache.RulesOf(scope.account, scope.region);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(before->get(), after->get());  // the same set: not loaded again
  ASSERT_TRUE(rules.PutRule(scope, {"r", "arn:aws:events:us-east-1:123456789012:rule/r",
                                    R"({"source":["x"]})", "ENABLED", "", 1}, 10, {}).ok());
  auto reloaded = cache.RulesOf(scope.account, scope.region);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_NE(before->get(), reloaded->get());  // a rule changed: loaded again
}

TEST_F(EventBusTest, AReplayRunThatLostItsJobNeverTakesTheReplayBack) {
  // Another node took the job over while this run was held up, and completed the replay:
  // this run's next save must not take it back to RUNNING, nor go on replaying.
  const storage::Scope scope{"123456789012", "us-east-1"};
  storage::EventRuleStore& rules = stores_->event_rules();
  ASSERT_NO_FATAL_FAILURE(ArchiveOf250Events(scope));
  const domain::events::Replay r = StartedReplay(scope);
  auto bus_owned = BusPostingWith([](const std::string&, const std::string&) { return Status::Ok(); });
  EventBus& bus = *bus_owned;
  storage::Job job{ReplayJobName(scope.account, scope.region, "rp"), 0, "", 0, 0};
  jobs::JobRun run{job};
  run.now_ms = 5000;
  bool taken_over = false;
  run.should_stop = [&] {
    if (!taken_over) {  // after the first page: the other node's run ends the replay
      taken_over = true;
      domain::events::Replay done = r;
      done.state = "COMPLETED";
      done.progress_seq = 1'000'000;
      done.replay_end_ms = 4242;
      EXPECT_TRUE(rules.UpdateEventDoc(scope, storage::kReplayDoc, "rp",
                                       domain::events::EncodeReplay(done), "StartReplay").ok());
    }
    return false;
  };
  ASSERT_TRUE(RunReplay(run, rules, bus).ok());
  auto doc = rules.GetEventDoc(scope, storage::kReplayDoc, "rp");
  ASSERT_TRUE(doc.ok() && doc->has_value());
  auto stored = domain::events::DecodeReplay(**doc);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, "COMPLETED");
  EXPECT_EQ(stored->replay_end_ms, std::optional<int64_t>(4242));  // the other run's, kept
  bus.Close();
}

TEST_F(EventBusTest, AReplaySavesItsProgressOnlyOnceItsDeliveriesAreStored) {
  // The progress a replay saves must be what a crash would keep: when RunReplay returns, the
  // deliveries of every event it published are in the store (not in memory queues).
  const storage::Scope scope{"123456789012", "us-east-1"};
  storage::EventRuleStore& rules = stores_->event_rules();
  ASSERT_NO_FATAL_FAILURE(ArchiveOf250Events(scope));
  ASSERT_TRUE(rules.PutRule(scope, {"r", "arn:aws:events:us-east-1:123456789012:rule/r",
                                    R"({"source":["s"]})", "ENABLED", "", 1}, 10, {}).ok());
  ASSERT_TRUE(rules.PutTargets(scope, "r", {{"t", domain::events::EncodeTarget(
                                                     {"t", "http://a", std::nullopt, "", std::nullopt, std::nullopt})}},
                               5).ok());
  StartedReplay(scope);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  auto bus_owned = BusPostingWith([&](const std::string&, const std::string&) {
    std::unique_lock l(mu);  // held: the rows stay stored
    cv.wait(l, [&] { return release; });
    return Status::Ok();
  });
  EventBus& bus = *bus_owned;
  storage::Job job{ReplayJobName(scope.account, scope.region, "rp"), 0, "", 0, 0};
  jobs::JobRun run{job};
  run.now_ms = 5000;
  // Whatever a node holds, every row is claimable by another once its lease has run out:
  // right after each page's progress is saved (when the run asks whether to stop), the
  // deliveries of every event up to it must be there.
  const int64_t later = 5000 + 86'400'000LL * 365 * 100;
  size_t stored = 0, pages = 0;
  run.should_stop = [&] {
    auto rows = stores_->event_deliveries().ClaimDueDeliveries("other-node", later, 1000, 1000);
    EXPECT_TRUE(rows.ok());
    if (rows.ok()) stored += rows->size();
    ++pages;
    EXPECT_GE(stored, pages * 100) << "page " << pages;
    return false;
  };
  ASSERT_TRUE(RunReplay(run, rules, bus).ok());
  EXPECT_EQ(pages, 2u);  // 250 events: two full pages saved as progress, then the last
  {
    std::lock_guard l(mu);
    release = true;
  }
  cv.notify_all();
  bus.Close();
}

TEST_F(EventBusTest, AnAccountsBacklogNeitherDropsNorDelaysAnotherAccountsTickets) {
  // A replay waits for its own account's events (WaitDurable's ticket), counts its own drops
  // (Publish's answer) and looks at its own share (queued(account)): account A's costly
  // backlog, at its cap, must not hold up or fail account B's.
  const storage::Scope a{"123456789012", "us-east-1"};
  const storage::Scope b{"210987654321", "us-east-1"};
  storage::EventRuleStore& rules = stores_->event_rules();
  std::string pattern = R"({"detail":{"v":[)";
  for (int i = 0; i < 150; ++i) pattern += std::string(i ? "," : "") + R"({"wildcard":"*ab*"})";
  pattern += "]}}";
  ASSERT_TRUE(rules.PutRule(a, {"slow", "arn:aws:events:us-east-1:123456789012:rule/slow",
                                pattern, "ENABLED", "", 1}, 10, {}).ok());
  ASSERT_TRUE(rules.PutTargets(a, "slow", {{"t", domain::events::EncodeTarget(
                                                  {"t", "http://a", std::nullopt, "", std::nullopt, std::nullopt})}},
                               5).ok());
  auto bus_owned = BusPostingWith([](const std::string&, const std::string&) { return Status::Ok(); });
  EventBus& bus = *bus_owned;
  auto event = [](const storage::Scope& s, const std::string& json) {
    Event e;
    e.account = s.account;
    e.region = s.region;
    e.bus = "default";
    e.json = json;
    return e;
  };
  const std::string costly =
      R"({"source":"s","detail-type":"t","detail":{"v":")" + std::string(20000, 'a') + R"("}})";
  uint64_t last = 0;
  size_t dropped = 0;
  for (size_t i = 0; i < EventBus::kMaxQueuedPerAccount + 100; ++i) {
    uint64_t t = bus.Publish(event(a, costly));
    if (t == 0) {
      ++dropped;
    } else {
      EXPECT_GT(t, last);
      last = t;
    }
  }
  EXPECT_GT(dropped, 0u);  // A is at its share
  EXPECT_GT(bus.queued(a.account), EventBus::kMaxQueuedPerAccount / 2);
  EXPECT_EQ(bus.queued(b.account), 0u);
  const uint64_t ticket = bus.Publish(event(b, R"({"source":"s","detail-type":"t","detail":{}})"));
  EXPECT_GT(ticket, last);  // not dropped for A's sake
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(bus.WaitDurable(b.account, ticket, start + std::chrono::seconds(20)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_GT(bus.queued(a.account), 0u);  // A's backlog is still there
  EXPECT_FALSE(bus.WaitDurable(a.account, last, std::chrono::steady_clock::now()));
  // A's rule disabled, its backlog routes fast and the bus closes.
  ASSERT_TRUE(rules.SetRuleState(a, "slow", "DISABLED").ok());
  EXPECT_TRUE(bus.WaitDurable(a.account, last, std::chrono::steady_clock::now() +
                                                   std::chrono::seconds(60)));
  EXPECT_EQ(bus.queued(a.account), 0u);
  bus.Close();
}

TEST_F(EventBusTest, RecordsReachTheTargetsOfMatchingEnabledRules) {
  const storage::Scope scope{"123456789012", "us-east-1"};
  storage::EventRuleStore& rules = stores_->event_rules();
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> posted;  // (url, body)
  Deliverer::Options o;
  o.dead_letter_dir = dir_ + "/events";
  o.store = &stores_->event_deliveries();
  o.post = [&](const std::string& url, const std::string& body) {
    std::lock_guard<std::mutex> l(mu);
    posted.emplace_back(url, body);
    return Status::Ok();
  };
  RuleCache* cache = nullptr;
  auto cache_owned = std::make_unique<RuleCache>(rules, stores_->follower());
  cache = cache_owned.get();
  EventBus bus(std::move(cache_owned), std::make_unique<Detector>(nullptr),
               std::make_unique<Deliverer>(o), "123456789012");
  auto count = [&] {
    std::lock_guard<std::mutex> l(mu);
    return posted.size();
  };
  // The bus routes in order on one thread, so once the deliveries of a later record
  // arrived, an earlier record that matched nothing has been routed too.
  auto wait_for = [&](size_t want) {
    for (int i = 0; i < 1000 && count() < want; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return count();
  };
  auto record = [](const std::string& name) {
    return R"({"eventSource":"secretsmanager.amazonaws.com","eventName":")" + name +
           R"(","awsRegion":"us-east-1","recipientAccountId":"123456789012","resources":[]})";
  };

  ASSERT_TRUE(rules.PutRule(scope, {"r", "arn:aws:events:us-east-1:123456789012:rule/r",
                                    R"({"detail":{"eventName":["DeleteSecret"]}})", "ENABLED", "", 1},
                            10, {}).ok());
  EXPECT_TRUE(cache->RulesOf(scope.account, scope.region).value()->empty());  // no targets yet
  ASSERT_TRUE(rules.PutTargets(scope, "r", {{"t", domain::events::EncodeTarget(
                                                     {"t", "http://a", std::nullopt, "", std::nullopt, std::nullopt})},
                                            {"c", domain::events::EncodeTarget(
                                                     {"c", "http://b", std::string(R"({"k":1})"), "",
                                                      std::nullopt, std::nullopt})}},
                               5).ok());
  ASSERT_TRUE(bus.Write(record("GetSecretValue")).ok());  // no match
  ASSERT_TRUE(bus.Write(record("DeleteSecret")).ok());
  ASSERT_EQ(wait_for(2), 2u);
  {
    std::lock_guard<std::mutex> l(mu);
    std::sort(posted.begin(), posted.end());
    EXPECT_EQ(posted[0].first, "http://a");
    EXPECT_STREQ(Parse(posted[0].second)["detail"]["eventName"].GetString(), "DeleteSecret");
    EXPECT_EQ(posted[1], (std::pair<std::string, std::string>{"http://b", R"({"k":1})"}));
  }
  ASSERT_TRUE(rules.SetRuleState(scope, "r", "DISABLED").ok());
  ASSERT_TRUE(rules.PutRule(scope, {"r2", "arn:aws:events:us-east-1:123456789012:rule/r2",
                                    R"({"detail":{"eventName":["GetSecretValue"]}})", "ENABLED", "", 1},
                            10, {}).ok());
  ASSERT_TRUE(rules.PutTargets(scope, "r2", {{"t", domain::events::EncodeTarget(
                                                      {"t", "http://c", std::nullopt, "", std::nullopt, std::nullopt})}},
                               5).ok());
  ASSERT_TRUE(bus.Write(record("DeleteSecret")).ok());  // its rule is disabled now
  ASSERT_TRUE(bus.Write(record("GetSecretValue")).ok());
  ASSERT_EQ(wait_for(3), 3u);
  bus.Close();
  ASSERT_EQ(count(), 3u);
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(posted[2].first, "http://c");
}

// A scheduled rule's event (events/scheduled_rules.h) reaches that rule's targets alone: not
// the rules whose patterns it would match, and a schedule-only rule matches no other event.
TEST_F(EventBusTest, AScheduledEventReachesItsRuleOnly) {
  const storage::Scope scope{"123456789012", "us-east-1"};
  storage::EventRuleStore& rules = stores_->event_rules();
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> posted;  // (url, body)
  Deliverer::Options o;
  o.dead_letter_dir = dir_ + "/events";
  o.store = &stores_->event_deliveries();
  o.post = [&](const std::string& url, const std::string& body) {
    std::lock_guard<std::mutex> l(mu);
    posted.emplace_back(url, body);
    return Status::Ok();
  };
  EventBus bus(std::make_unique<RuleCache>(rules, stores_->follower()),
               std::make_unique<Detector>(nullptr), std::make_unique<Deliverer>(o),
               "123456789012");
  const std::string tick = "arn:aws:events:us-east-1:123456789012:rule/tick";
  storage::EventRuleRecord scheduled{"tick", tick, "", "ENABLED", "", 1};
  scheduled.schedule_expression = "rate(1 minute)";
  ASSERT_TRUE(rules.PutRule(scope, scheduled, 10, {}).ok());
  ASSERT_TRUE(rules.PutRule(scope, {"watch", "arn:aws:events:us-east-1:123456789012:rule/watch",
                                    R"({"source":["aws.events","aws.secretsmanager"]})",
                                    "ENABLED", "", 1},
                            10, {}).ok());
  auto target = [](const char* id, const char* url) {
    return storage::EventTargetRecord{
        id, domain::events::EncodeTarget({id, url, std::nullopt, "", std::nullopt, std::nullopt})};
  };
  ASSERT_TRUE(rules.PutTargets(scope, "tick", {target("s", "http://s")}, 5).ok());
  ASSERT_TRUE(rules.PutTargets(scope, "watch", {target("p", "http://p")}, 5).ok());
  bus.Publish(ScheduledRuleEvent(scope.account, scope.region, tick, 1'700'000'000'000));
  ASSERT_TRUE(bus.Write(R"({"eventSource":"secretsmanager.amazonaws.com","eventName":"X",)"
                        R"("awsRegion":"us-east-1","recipientAccountId":"123456789012",)"
                        R"("resources":[]})")
                  .ok());
  auto count = [&] {
    std::lock_guard<std::mutex> l(mu);
    return posted.size();
  };
  for (int i = 0; i < 2000 && count() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // nothing more comes
  bus.Close();
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(posted.size(), 2u);
  std::sort(posted.begin(), posted.end());
  EXPECT_EQ(posted[0].first, "http://p");  // the API call's record, by the pattern
  EXPECT_STREQ(Parse(posted[0].second)["source"].GetString(), "aws.secretsmanager");
  EXPECT_EQ(posted[1].first, "http://s");  // the scheduled event, by the rule's ARN
  auto event = Parse(posted[1].second);
  EXPECT_STREQ(event["detail-type"].GetString(), "Scheduled Event");
  EXPECT_STREQ(event["source"].GetString(), "aws.events");
  EXPECT_STREQ(event["time"].GetString(), "2023-11-14T22:13:20Z");
  EXPECT_STREQ(event["resources"][0].GetString(), tick.c_str());
  EXPECT_TRUE(event["detail"].IsObject() && event["detail"].ObjectEmpty());
}

}  // namespace
}  // namespace arcana::events
