// arcana-agent: configuration (the AWS agent's keys and ranges), the SSRF token, shared
// credentials, the encrypted LRU cache, the change-stream answer, and the HTTP interface
// against a fake upstream (no sockets).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <vector>

#include "agent/agent_config.h"
#include "agent/agent_handler.h"
#include "agent/change_subscriber.h"
#include "agent/credentials.h"
#include "agent/resource_tag.h"
#include "agent/value_cache.h"

namespace arcana::agent {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(AgentConfig, DefaultsAreTheAwsAgents) {
  auto c = ParseAgentConfig("", FakeEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->http_port, 2773);
  EXPECT_EQ(c->ttl_seconds, 300);
  EXPECT_EQ(c->cache_size, 1000);
  EXPECT_EQ(c->max_conn, 800);
  EXPECT_EQ(c->path_prefix, "/v1/");
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->ssrf_headers,
            (std::vector<std::string>{"X-Aws-Parameters-Secrets-Token", "X-Vault-Token"}));
  EXPECT_EQ(c->ssrf_env_variables,
            (std::vector<std::string>{"AWS_TOKEN", "AWS_SESSION_TOKEN",
                                      "AWS_CONTAINER_AUTHORIZATION_TOKEN"}));
  EXPECT_TRUE(c->ignore_transient_errors);
}

TEST(AgentConfig, ReadsKeysAsIntegersOrStrings) {
  auto c = ParseAgentConfig(
      "log_level = \"DEBUG\"\nhttp_port = \"3000\"\nttl_seconds = 60\ncache_size = 5\n"
      "ssrf_headers = [\"X-Token\"]\npath_prefix = \"/s/\"\nmax_conn = 10\n"
      "region = \"eu-west-1\"\nendpoint = \"http://127.0.0.1:7770\"\nmax_stale_seconds = 5\n",
      FakeEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->http_port, 3000);
  EXPECT_EQ(c->ttl_seconds, 60);
  EXPECT_EQ(c->cache_size, 5);
  EXPECT_EQ(c->ssrf_headers, std::vector<std::string>{"X-Token"});
  EXPECT_EQ(c->path_prefix, "/s/");
  EXPECT_EQ(c->max_conn, 10);
  EXPECT_EQ(c->region, "eu-west-1");
  EXPECT_EQ(c->max_stale_seconds, 5);
}

TEST(AgentConfig, RefusesWhatTheAwsAgentRefuses) {
  for (const char* bad :
       {"http_port = 80", "http_port = 70000", "ttl_seconds = 3601", "ttl_seconds = -1",
        "cache_size = 0", "cache_size = 1001", "max_conn = 0", "max_conn = 1001",
        "ssrf_headers = []", "ssrf_env_variables = []", "path_prefix = \"v1/\"",
        "log_level = \"chatty\"", "no_such_key = 1", "http_port = \"12ab\"",
        "http_address = \"localhost\"", "ignore_transient_errors = \"maybe\"",
        "http_port = \" 2773\"", "http_port = 1023",
        "ssm_ttl_seconds = 3601", "ssm_ttl_seconds = -1"}) {
    auto c = ParseAgentConfig(bad, FakeEnv({}));
    EXPECT_FALSE(c.ok()) << bad;
  }
}

// As the AWS agent's config crate reads its bools (Value::into_bool): a string true/false,
// on/off, yes/no, 1/0 in any case, or a number (0 = false). http_port 0 = any free port.
TEST(AgentConfig, ReadsValuesAsTheAwsAgentsConfigCrate) {
  auto c = ParseAgentConfig(
      "ignore_transient_errors = \"No\"\nlog_to_file = 0\nvalidate_credentials = \"off\"\n"
      "http_port = \"0\"\n",
      FakeEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->ignore_transient_errors);
  EXPECT_FALSE(c->log_to_file);
  EXPECT_FALSE(c->validate_credentials);
  EXPECT_EQ(c->http_port, 0);
  c = ParseAgentConfig("ignore_transient_errors = \"YES\"\nlog_to_file = \"on\"\n", FakeEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->ignore_transient_errors);
  EXPECT_TRUE(c->log_to_file);
}

TEST(AgentConfig, LambdaExtensionVariablesOverride) {
  auto c = ParseAgentConfig("ttl_seconds = 1000\n",
                            FakeEnv({{"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "2800"},
                                     {"SECRETS_MANAGER_TTL", "900"},
                                     {"PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL", "WARN"}}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->http_port, 2800);
  EXPECT_EQ(c->ttl_seconds, 300);  // the extension clamps to 5 minutes
  EXPECT_EQ(c->log_level, "warn");
  EXPECT_EQ(c->ssm_ttl_seconds, 1000);  // SECRETS_MANAGER_TTL is the secrets' alone
  auto large = ParseAgentConfig("", FakeEnv({{"SECRETS_MANAGER_TTL", "4000"}}));
  ASSERT_TRUE(large.ok()) << large.status().message();  // clamped, as the extension does
  EXPECT_EQ(large->ttl_seconds, 300);
  auto off = ParseAgentConfig("", FakeEnv({{"PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", "0"},
                                           {"SECRETS_MANAGER_TTL", "60"},
                                           {"SSM_PARAMETER_STORE_TTL", "60"}}));
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->ttl_seconds, 0);  // a cache of size 0 caches nothing, whatever the TTLs
  EXPECT_EQ(off->ssm_ttl_seconds, 0);
  auto disabled = ParseAgentConfig(
      "", FakeEnv({{"PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", "FALSE"}}));
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(disabled->ttl_seconds, 0);
  EXPECT_EQ(disabled->ssm_ttl_seconds, 0);
}

TEST(AgentConfig, ParametersHaveTheirOwnTtl) {
  // An AWS agent file's ttl_seconds covers both; ssm_ttl_seconds sets the parameters' own.
  auto c = ParseAgentConfig("ttl_seconds = 60\n", FakeEnv({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ssm_ttl_seconds, 60);
  c = ParseAgentConfig("ttl_seconds = 60\nssm_ttl_seconds = 0\n", FakeEnv({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ttl_seconds, 60);
  EXPECT_EQ(c->ssm_ttl_seconds, 0);
  // The extension's SSM_PARAMETER_STORE_TTL: 0 bypasses, above 300 is clamped, bad refused.
  c = ParseAgentConfig("", FakeEnv({{"SSM_PARAMETER_STORE_TTL", "0"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ttl_seconds, 300);
  EXPECT_EQ(c->ssm_ttl_seconds, 0);
  c = ParseAgentConfig("ssm_ttl_seconds = 10\n", FakeEnv({{"SSM_PARAMETER_STORE_TTL", "900"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ssm_ttl_seconds, 300);
  EXPECT_FALSE(ParseAgentConfig("", FakeEnv({{"SSM_PARAMETER_STORE_TTL", "-1"}})).ok());
  EXPECT_FALSE(ParseAgentConfig("", FakeEnv({{"SSM_PARAMETER_STORE_TTL", "3601"}})).ok());
  EXPECT_FALSE(ParseAgentConfig("", FakeEnv({{"SSM_PARAMETER_STORE_TTL", "x"}})).ok());
}

TEST(SsrfToken, FirstSetVariableWins) {
  AgentConfig cfg;
  auto t = ReadSsrfToken(cfg, FakeEnv({{"AWS_SESSION_TOKEN", "second"}, {"AWS_TOKEN", "first"}}));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->view(), "first");
  t = ReadSsrfToken(cfg, FakeEnv({{"AWS_CONTAINER_AUTHORIZATION_TOKEN", "third"}}));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->view(), "third");
}

TEST(SsrfToken, FileReferenceIsReadAndTrimmed) {
  std::string path = testing::TempDir() + "/agent_token_test";
  std::ofstream(path) << "  tok-from-file\n";
  AgentConfig cfg;
  auto t = ReadSsrfToken(cfg, FakeEnv({{"AWS_TOKEN", "file://" + path}}));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->view(), "tok-from-file");
  std::remove(path.c_str());
  EXPECT_FALSE(ReadSsrfToken(cfg, FakeEnv({{"AWS_TOKEN", "file://" + path}})).ok());
}

TEST(SsrfToken, MissingOrEmptyRefusesToStart) {
  AgentConfig cfg;
  EXPECT_FALSE(ReadSsrfToken(cfg, FakeEnv({})).ok());
  EXPECT_FALSE(ReadSsrfToken(cfg, FakeEnv({{"AWS_TOKEN", ""}})).ok());
}

TEST(SharedCredentials, PicksTheProfile) {
  const char* text =
      "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n"
      "# comment\n[work]\naws_access_key_id=AKIAWORK\naws_secret_access_key=w\n"
      "aws_session_token = tok\n";
  auto d = ParseSharedCredentials(text, "default");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->access_key_id, "AKIADEFAULT");
  EXPECT_TRUE(d->session_token.empty());
  auto w = ParseSharedCredentials(text, "work");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->access_key_id, "AKIAWORK");
  EXPECT_EQ(w->secret_access_key.view(), "w");
  EXPECT_EQ(w->session_token.view(), "tok");
  EXPECT_FALSE(ParseSharedCredentials(text, "none").ok());
  EXPECT_FALSE(ParseSharedCredentials("[x]\naws_access_key_id = A\n", "x").ok());
}

TEST(SharedCredentials, AFileCaughtHalfWrittenKeepsTheLastGoodCredentials) {
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() / ("agent-creds-" + std::to_string(::getpid()));
  auto write = [&](const std::string& text, int second) {
    std::ofstream(file, std::ios::trunc) << text;
    // A new modification time each version (file systems may keep coarse times).
    fs::last_write_time(file, fs::file_time_type::clock::now() + std::chrono::seconds(second));
  };
  write("[default]\naws_access_key_id = AKIAONE\naws_secret_access_key = one\n", 1);
  AgentConfig cfg;
  cfg.credentials_file_path = file.string();
  CredentialSource source(cfg, FakeEnv({}));
  auto first = source.Current();
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->access_key_id, "AKIAONE");
  write("[default]\naws_access_key_id = AKIATWO\n", 2);  // the secret key line not yet there
  auto during = source.Current();
  ASSERT_TRUE(during.ok()) << during.status().message();
  EXPECT_EQ(during->access_key_id, "AKIAONE");
  write("[default]\naws_access_key_id = AKIATWO\naws_secret_access_key = two\n", 3);
  auto after = source.Current();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->access_key_id, "AKIATWO");
  fs::remove(file);
}

TEST(Endpoints, ServiceVariableBeforeGeneralBeforeAws) {
  AgentConfig cfg;
  EXPECT_EQ(ResolveEndpoint(cfg, FakeEnv({{"AWS_ENDPOINT_URL", "http://a:1"},
                                          {"AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://b:2"}}),
                            "secretsmanager", "us-east-1"),
            "http://b:2");
  EXPECT_EQ(ResolveEndpoint(cfg, FakeEnv({{"AWS_ENDPOINT_URL", "http://a:1"}}), "ssm", "x"),
            "http://a:1");
  EXPECT_EQ(ResolveEndpoint(cfg, FakeEnv({}), "ssm", "eu-west-1"),
            "https://ssm.eu-west-1.amazonaws.com");
  cfg.endpoint = "http://c:3";
  EXPECT_EQ(ResolveEndpoint(cfg, FakeEnv({{"AWS_ENDPOINT_URL", "http://a:1"}}),
                            "secretsmanager", "x"),
            "http://c:3");
  EXPECT_EQ(ResolveRegion(cfg, FakeEnv({{"AWS_DEFAULT_REGION", "ap-south-1"}})), "ap-south-1");
}

struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  ValueCache::Clock fn() {
    return [this] { return now; };
  }
};

TEST(ValueCache, RoundTripsAndExpires) {
  FakeClock clock;
  ValueCache cache(10, std::chrono::seconds(5), clock.fn());
  ASSERT_TRUE(cache.Put("k", "value-1", {"arn:a"}, cache.epoch()));
  auto hit = cache.Get("k");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, "value-1");
  EXPECT_TRUE(hit->fresh);
  clock.now += std::chrono::seconds(6);
  hit = cache.Get("k");
  ASSERT_TRUE(hit);  // kept for stale-on-error, no longer fresh
  EXPECT_FALSE(hit->fresh);
  EXPECT_EQ(hit->age, std::chrono::seconds(6));
  EXPECT_FALSE(cache.Get("other"));
}

TEST(ValueCache, EvictsLeastRecentlyUsed) {
  ValueCache cache(2, std::chrono::seconds(60));
  cache.Put("a", "1", {}, cache.epoch());
  cache.Put("b", "2", {}, cache.epoch());
  ASSERT_TRUE(cache.Get("a"));  // b is now the least recently used
  cache.Put("c", "3", {}, cache.epoch());
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Get("a"));
  EXPECT_FALSE(cache.Get("b"));
  EXPECT_TRUE(cache.Get("c"));
}

TEST(ValueCache, InvalidationDropsEveryEntryOfTheResource) {
  ValueCache cache(10, std::chrono::seconds(60));
  cache.Put("by-name", "v", {"arn:s1"}, cache.epoch());
  cache.Put("by-arn", "v", {"arn:s1"}, cache.epoch());
  cache.Put("other", "v", {"arn:s2"}, cache.epoch());
  EXPECT_EQ(cache.InvalidateResource("arn:s1"), 2u);
  EXPECT_FALSE(cache.Get("by-name"));
  EXPECT_FALSE(cache.Get("by-arn"));
  EXPECT_TRUE(cache.Get("other"));
  EXPECT_EQ(cache.InvalidateResource("arn:s1"), 0u);
}

TEST(ValueCache, AFetchOlderThanAnInvalidationIsNotKept) {
  ValueCache cache(10, std::chrono::seconds(60));
  const uint64_t before = cache.epoch();
  cache.InvalidateResource("arn:s1");  // a change arrived while the fetch was in flight
  EXPECT_FALSE(cache.Put("k", "old", {"arn:s1"}, before));
  EXPECT_FALSE(cache.Get("k"));
}

TEST(ValueCache, AnEntrysOwnTtlDecidesItsFreshness) {
  FakeClock clock;
  ValueCache cache(10, std::chrono::seconds(60), clock.fn());
  ASSERT_TRUE(cache.Put("short", "v", {}, cache.epoch(), std::chrono::seconds(5)));
  ASSERT_TRUE(cache.Put("default", "v", {}, cache.epoch()));
  EXPECT_FALSE(cache.Put("none", "v", {}, cache.epoch(), std::chrono::seconds(0)));
  clock.now += std::chrono::seconds(6);
  EXPECT_FALSE(cache.Get("short")->fresh);
  EXPECT_TRUE(cache.Get("default")->fresh);
  EXPECT_FALSE(cache.Get("none"));
}

TEST(ValueCache, ZeroTtlCachesNothingAndClearEmpties) {
  ValueCache none(10, std::chrono::seconds(0));
  EXPECT_FALSE(none.Put("k", "v", {}, none.epoch()));
  ValueCache cache(10, std::chrono::seconds(60));
  cache.Put("k", "v", {}, cache.epoch());
  EXPECT_EQ(cache.Clear(), 1u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ResourceTag, ASecretsTagLeavesTheRegionOut) {
  EXPECT_EQ(CacheTagOf("arn:aws:secretsmanager:us-west-2:123456789012:secret:db-AbCdEf"),
            "arn:aws:secretsmanager::123456789012:secret:db-AbCdEf");
  EXPECT_EQ(CacheTagOf("arn:aws-cn:secretsmanager:cn-north-1:1:secret:a:b-AbCdEf"),
            "arn:aws-cn:secretsmanager::1:secret:a:b-AbCdEf");
  // Parameters are regional; other text is left alone.
  EXPECT_EQ(CacheTagOf("arn:aws:ssm:us-east-1:1:parameter/a/b"),
            "arn:aws:ssm:us-east-1:1:parameter/a/b");
  EXPECT_EQ(CacheTagOf(kSecretReferenceTag), kSecretReferenceTag);
  EXPECT_EQ(CacheTagOf("arn:aws:secretsmanager"), "arn:aws:secretsmanager");
  EXPECT_EQ(CacheTagOf(""), "");
}

TEST(ChangeStreamAnswer, DropsNamedResourcesAndResets) {
  ValueCache cache(10, std::chrono::seconds(60));
  AgentMetrics metrics;
  cache.Put("s", "v", {CacheTagOf("arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf")},
            cache.epoch());
  // The same secret read in a replica region (its ARN names that region), and another secret.
  cache.Put("replica", "v", {CacheTagOf("arn:aws:secretsmanager:us-west-2:1:secret:a-AbCdEf")},
            cache.epoch());
  cache.Put("other", "v", {CacheTagOf("arn:aws:secretsmanager:us-east-1:1:secret:a-XyZxYz")},
            cache.epoch());
  cache.Put("ref", "v", {kSecretReferenceTag}, cache.epoch());
  cache.Put("p", "v", {"arn:aws:ssm:us-east-1:1:parameter/p"}, cache.epoch());
  auto next = ApplyStreamAnswer(
      R"({"Changes":[{"Seq":7,"Service":"secretsmanager","Region":"us-east-1",
          "Resource":"arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf",
          "Kind":"PutSecretValue","Time":1}],"Next":9,"Head":9,"Reset":false})",
      cache, metrics);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 9);
  EXPECT_FALSE(cache.Get("s"));
  EXPECT_FALSE(cache.Get("replica"));  // the change names the primary's ARN only
  EXPECT_FALSE(cache.Get("ref"));  // a secret changed: reference parameters go too
  EXPECT_TRUE(cache.Get("p"));
  EXPECT_TRUE(cache.Get("other"));
  EXPECT_EQ(metrics.invalidations.load(), 3u);
  ASSERT_TRUE(ApplyStreamAnswer(R"({"Changes":[],"Next":3,"Head":3,"Reset":true})", cache,
                                metrics)
                  .ok());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(ApplyStreamAnswer(R"({"oops":1})", cache, metrics).ok());
  // Another store answering (a data dir or database replaced by a new one) is a reset,
  // whatever its numbers; the same store, or one not named, is not.
  std::string store = "store-a";
  bool reset = true;
  cache.Put("s", "v", {"t"}, cache.epoch());
  ASSERT_TRUE(ApplyStreamAnswer(R"({"Changes":[],"Next":40,"Head":40,"Reset":false,"Store":"store-a"})",
                                cache, metrics, nullptr, &store, &reset).ok());
  EXPECT_FALSE(reset);
  EXPECT_EQ(cache.size(), 1u);
  ASSERT_TRUE(ApplyStreamAnswer(R"({"Changes":[],"Next":41,"Head":41,"Reset":false})", cache,
                                metrics, nullptr, &store, &reset).ok());
  EXPECT_FALSE(reset);
  EXPECT_EQ(store, "store-a");
  ASSERT_TRUE(ApplyStreamAnswer(R"({"Changes":[],"Next":50,"Head":50,"Reset":false,"Store":"store-b"})",
                                cache, metrics, nullptr, &store, &reset).ok());
  EXPECT_TRUE(reset);
  EXPECT_EQ(store, "store-b");
  EXPECT_EQ(cache.size(), 0u);
}

// Two reads from the same point (the long poll and a fence) answer the same changes: the later
// answer applies only those the earlier did not, so an entry fetched in between stays; and a
// read's own access record (Kind RecordAccess) drops nothing.
TEST(ChangeStreamAnswer, SkipsChangesAppliedByAnOverlappingReadAndAccessRecords) {
  ValueCache cache(10, std::chrono::seconds(60));
  AgentMetrics metrics;
  const std::string arn = "arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf";
  cache.Put("s", "v", {CacheTagOf(arn)}, cache.epoch());
  const std::string answer = R"({"Changes":[{"Seq":7,"Service":"secretsmanager","Region":"us-east-1",
      "Resource":")" + arn + R"(","Kind":"CreateSecret","Time":1},
      {"Seq":8,"Service":"secretsmanager","Region":"us-east-1","Resource":")" + arn +
                             R"(","Kind":"RecordAccess","Time":1}],"Next":9,"Head":9,"Reset":false})";
  ASSERT_TRUE(ApplyStreamAnswer(answer, cache, metrics, nullptr, nullptr, nullptr, 7).ok());
  EXPECT_TRUE(cache.Get("s"));
  ASSERT_TRUE(ApplyStreamAnswer(answer, cache, metrics, nullptr, nullptr, nullptr, 6).ok());
  EXPECT_FALSE(cache.Get("s"));  // seq 7 was not applied yet
}

// ---- the HTTP interface, over a fake upstream ---------------------------------------------

struct FakeUpstream {
  int calls = 0;
  std::string last_body;
  Result<UpstreamReply> next = UpstreamReply{200, ""};
  UpstreamCall fn() {
    return [this](std::string_view, std::string_view body) -> Result<UpstreamReply> {
      ++calls;
      last_body = std::string(body);
      return next;
    };
  }
};

constexpr const char* kSecretAnswer =
    R"({"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","Name":"db",)"
    R"("SecretString":"hunter2","VersionId":"v1","VersionStages":["AWSCURRENT"],)"
    R"("CreatedDate":1569534789.046})";
// What the agent answers for it: the AWS agent's serialization (its member order, CreatedDate
// as the text of the epoch seconds).
constexpr const char* kSecretServed =
    R"({"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","Name":"db",)"
    R"("VersionId":"v1","SecretString":"hunter2","VersionStages":["AWSCURRENT"],)"
    R"("CreatedDate":"1569534789.046"})";

struct HandlerFixture : testing::Test {
  AgentConfig cfg;
  FakeUpstream sm, ssm;
  AgentMetrics metrics;
  FakeClock clock;
  std::unique_ptr<ValueCache> cache;
  std::unique_ptr<AgentHandler> handler;
  void SetUp() override {
    cfg.max_stale_seconds = 3600;
    Make();
  }
  void Make() {
    cache = std::make_unique<ValueCache>(10, std::chrono::seconds(cfg.ttl_seconds), clock.fn());
    AgentDeps deps{sm.fn(), ssm.fn(), nullptr};
    handler = std::make_unique<AgentHandler>(cfg, crypto::SecretString("tok"), *cache, metrics,
                                             std::move(deps));
    sm.next = UpstreamReply{200, kSecretAnswer};
  }
  net::HttpResponse Get(const std::string& target,
                        std::vector<std::pair<std::string, std::string>> headers = {
                            {"X-Aws-Parameters-Secrets-Token", "tok"}},
                        const std::string& method = "GET") {
    net::HttpRequest req;
    req.method = method;
    req.target = target;
    req.headers = std::move(headers);
    net::HttpResponse res;
    handler->Handle(req, res);
    return res;
  }
  static std::string Header(const net::HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
};

TEST_F(HandlerFixture, SsrfTokenIsRequired) {
  EXPECT_EQ(Get("/ping", {}).body, "healthy");
  auto r = Get("/secretsmanager/get?secretId=db", {});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "Bad Token");
  r = Get("/secretsmanager/get?secretId=db", {{"X-Aws-Parameters-Secrets-Token", "tok2"}});
  EXPECT_EQ(r.status, 403);
  r = Get("/secretsmanager/get?secretId=db", {{"X-Vault-Token", "tok"}});
  EXPECT_EQ(r.status, 200);
  r = Get("/secretsmanager/get?secretId=db",
          {{"X-Aws-Parameters-Secrets-Token", "tok"}, {"X-Forwarded-For", "10.0.0.1"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "Forwarded");
  // Refused on presence: an empty value, or an empty first line before a proxy's own.
  r = Get("/secretsmanager/get?secretId=db",
          {{"X-Aws-Parameters-Secrets-Token", "tok"}, {"x-forwarded-for", ""}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "Forwarded");
  r = Get("/secretsmanager/get?secretId=db", {{"X-Aws-Parameters-Secrets-Token", "tok"},
                                               {"X-Forwarded-For", ""},
                                               {"X-Forwarded-For", "203.0.113.9"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Get("/secretsmanager/get?secretId=db", {{"X-Vault-Token", "tok"}}, "POST").status,
            405);
  EXPECT_EQ(metrics.refused.load(), 5u);
}

TEST_F(HandlerFixture, QueryErrorsAreTheAwsAgents) {
  auto r = Get("/secretsmanager/get?secretId=db&abc=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "unknown parameter: abc");
  EXPECT_EQ(Get("/secretsmanager/get?versionStage=x").body, "missing parameter secretId");
  EXPECT_EQ(Get("/secretsmanager/get?secretId=db&refreshNow=maybe").body,
            "invalid refreshNow value");
  r = Get("/v1/");  // the prefix alone: the AWS agent's empty-id answer, not a 404
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "missing secret ID");
  EXPECT_EQ(Get("/v1/?versionStage=AWSCURRENT").body, "missing secret ID");
  EXPECT_EQ(Get("/v1/?abc=1").body, "missing secret ID");  // the path's id first
  EXPECT_EQ(Get("/elsewhere").status, 404);
  EXPECT_EQ(sm.calls, 0);
}

TEST_F(HandlerFixture, AnAnswerFarLargerThanAnyRealOneIsServedButNotCached) {
  std::string big = kSecretAnswer;
  big.replace(big.find("hunter2"), 7, std::string(300 * 1024, 'x'));
  sm.next = UpstreamReply{200, big};
  auto r = Get("/secretsmanager/get?secretId=db");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "X-Arcana-Cache"), "miss");
  r = Get("/secretsmanager/get?secretId=db");
  EXPECT_EQ(Header(r, "X-Arcana-Cache"), "miss");
  EXPECT_EQ(sm.calls, 2);
}

TEST_F(HandlerFixture, SecondReadIsACacheHit) {
  auto r = Get("/secretsmanager/get?secretId=db&versionStage=AWSCURRENT");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kSecretServed);
  EXPECT_EQ(Header(r, "X-Arcana-Cache"), "miss");
  EXPECT_EQ(sm.last_body, R"({"SecretId":"db","VersionStage":"AWSCURRENT"})");
  r = Get("/secretsmanager/get?secretId=db&versionStage=AWSCURRENT");
  EXPECT_EQ(r.body, kSecretServed);
  EXPECT_EQ(Header(r, "X-Arcana-Cache"), "hit");
  EXPECT_EQ(sm.calls, 1);
  // refreshNow goes upstream; the path form is the same secret, another entry.
  Get("/secretsmanager/get?secretId=db&versionStage=AWSCURRENT&refreshNow=true");
  EXPECT_EQ(sm.calls, 2);
  r = Get("/v1/db");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(sm.last_body, R"({"SecretId":"db"})");
  EXPECT_EQ(metrics.hits.load(), 1u);
  EXPECT_EQ(metrics.misses.load(), 2u);
  EXPECT_EQ(metrics.refreshes.load(), 1u);
}

TEST_F(HandlerFixture, FreshHitsAreAnsweredInlineAndMissesGoToAWorker) {
  net::HttpRequest req;
  req.method = "GET";
  req.target = "/v1/db";
  req.headers = {{"X-Aws-Parameters-Secrets-Token", "tok"}};
  // TryInline: true only after calling the Respond once; false leaves it callable.
  std::vector<net::HttpResponse> answered;
  auto try_inline = [&](net::HttpRequest& q) {
    net::Respond respond = [&](std::unique_ptr<net::HttpResponse> r) {
      answered.push_back(std::move(*r));
    };
    const size_t before = answered.size();
    const bool taken = handler->TryInline(q, respond);
    EXPECT_EQ(answered.size(), before + (taken ? 1 : 0));
    EXPECT_EQ(static_cast<bool>(respond), !taken);
    return taken;
  };
  EXPECT_FALSE(try_inline(req));  // a miss waits for the upstream
  EXPECT_EQ(sm.calls, 0);
  net::HttpResponse res;
  handler->Handle(req, res);  // on a worker
  EXPECT_EQ(Header(res, "X-Arcana-Cache"), "miss");
  ASSERT_TRUE(try_inline(req));  // now a fresh hit
  EXPECT_EQ(answered.back().body, kSecretServed);
  EXPECT_EQ(Header(answered.back(), "X-Arcana-Cache"), "hit");
  EXPECT_EQ(sm.calls, 1);
  EXPECT_EQ(metrics.hits.load(), 1u);
  net::HttpRequest refused = req;
  refused.headers.clear();
  ASSERT_TRUE(try_inline(refused));  // a refusal never waits
  EXPECT_EQ(answered.back().status, 403);
  EXPECT_EQ(metrics.refused.load(), 1u);
  net::HttpRequest ping;
  ping.method = "GET";
  ping.target = "/ping";
  ASSERT_TRUE(try_inline(ping));
  EXPECT_EQ(answered.back().body, "healthy");
  net::HttpRequest refresh = req;
  refresh.target = "/v1/db?refreshNow=true";
  EXPECT_FALSE(try_inline(refresh));
  EXPECT_EQ(sm.calls, 1);  // a declined attempt did not reach the upstream
}

TEST_F(HandlerFixture, UpstreamErrorsPassThrough) {
  sm.next = UpstreamReply{400, R"({"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."})"};
  auto r = Get("/secretsmanager/get?secretId=nope");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"__type":"ResourceNotFoundException", "message":"Secrets Manager can't find the specified secret."})");
  sm.next = Status(ErrorCode::kServiceUnavailable, "refused");
  r = Get("/secretsmanager/get?secretId=nope");
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.body, R"({"__type":"ConnectionError", "message":"Read Error"})");
  sm.next = Status(ErrorCode::kDependencyTimeout, "slow");
  EXPECT_EQ(Get("/secretsmanager/get?secretId=nope").status, 504);
  // A parameter's error without a message (SSM's GetParameter ParameterNotFound) keeps its
  // code; a Secrets Manager error without one is the AWS agent's 500 InternalFailure
  // (cache_manager.rs svc_err: err_meta.message().ok_or(int_err())).
  ssm.next = UpstreamReply{400, R"({"__type":"ParameterNotFound"})"};
  r = Get("/systemsmanager/parameters/get?name=nope");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"__type":"ParameterNotFound"})");
  sm.next = UpstreamReply{400, R"({"__type":"ResourceNotFoundException"})"};
  r = Get("/secretsmanager/get?secretId=nope");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"__type":"InternalFailure"})");
  // The code as the Rust SDK sanitizes it: namespace and trailing URL cut; "Message" too.
  sm.next = UpstreamReply{400, R"({"code":"com.amazonaws#AccessDeniedException:http://x/y","Message":"no"})"};
  r = Get("/secretsmanager/get?secretId=nope");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"__type":"AccessDeniedException", "message":"no"})");
  // A 200 the SDK cannot read: 502 ConnectionError "Response Error", nothing cached.
  sm.next = UpstreamReply{200, "<html>proxy</html>"};
  r = Get("/secretsmanager/get?secretId=nope");
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.body, R"({"__type":"ConnectionError", "message":"Response Error"})");
  ssm.next = UpstreamReply{200, "[]"};
  EXPECT_EQ(Get("/systemsmanager/parameters/get?name=nope").status, 502);
  sm.next = UpstreamReply{500, R"({"__type":"InternalFailure","message":"detail"})"};
  EXPECT_EQ(Get("/secretsmanager/get?secretId=nope").body, R"({"__type":"InternalFailure"})");
  EXPECT_EQ(cache->size(), 0u);
}

TEST_F(HandlerFixture, StaleOnErrorUntilMaxStaleness) {
  cfg.ttl_seconds = 1;
  cfg.max_stale_seconds = 3600;
  Make();
  ASSERT_EQ(Get("/v1/db").status, 200);
  clock.now += std::chrono::seconds(2);  // expired, kept
  sm.next = Status(ErrorCode::kServiceUnavailable, "refused");
  auto r = Get("/v1/db");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kSecretServed);
  EXPECT_EQ(Header(r, "X-Arcana-Stale"), "true");
  EXPECT_EQ(metrics.stale_served.load(), 1u);
  // refreshNow never serves stale; an AWS error answer is not a transient error either.
  EXPECT_EQ(Get("/v1/db?refreshNow=true").status, 502);
  cfg.max_stale_seconds = 0;
  cfg.ttl_seconds = 1;
  Make();
  ASSERT_EQ(Get("/v1/db").status, 200);
  clock.now += std::chrono::seconds(2);
  sm.next = Status(ErrorCode::kServiceUnavailable, "refused");
  EXPECT_EQ(Get("/v1/db").status, 502);
}

TEST_F(HandlerFixture, ParameterStoreAnswerHasResultMetadata) {
  ssm.next = UpstreamReply{200, R"({"Parameter":{"Name":"/a/b","Value":"x","ARN":"arn:aws:ssm:us-east-1:1:parameter/a/b"}})"};
  auto r = Get("/systemsmanager/parameters/get?name=%2Fa%2Fb&version=3&label=l&withDecryption=true");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ssm.last_body, R"({"Name":"/a/b:3","WithDecryption":true})");
  EXPECT_EQ(r.body, R"({"Parameter":{"Name":"/a/b","Value":"x","ARN":"arn:aws:ssm:us-east-1:1:parameter/a/b"},"ResultMetadata":{}})");
  EXPECT_EQ(Get("/systemsmanager/parameters/get?name=%2Fa%2Fb&version=3&label=l&withDecryption=true").body,
            r.body);
  EXPECT_EQ(ssm.calls, 1);
  EXPECT_EQ(cache->InvalidateResource("arn:aws:ssm:us-east-1:1:parameter/a/b"), 1u);
  EXPECT_EQ(Get("/systemsmanager/parameters/get?name=%2Fa").status, 200);
  EXPECT_EQ(Get("/systemsmanager/parameters/get?withDecryption=true").body,
            "missing parameter name");
}

TEST_F(HandlerFixture, ParametersAndSecretsHaveTheirOwnTtl) {
  cfg.ttl_seconds = 60;
  cfg.ssm_ttl_seconds = 0;  // SSM_PARAMETER_STORE_TTL=0: parameters always read fresh
  Make();
  ssm.next = UpstreamReply{200, R"({"Parameter":{"Name":"p","Value":"x"}})"};
  for (int i = 0; i < 2; ++i) {
    auto r = Get("/systemsmanager/parameters/get?name=p");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(Header(r, "X-Arcana-Cache"), "miss");
  }
  EXPECT_EQ(ssm.calls, 2);
  Get("/v1/db");
  EXPECT_EQ(Header(Get("/v1/db"), "X-Arcana-Cache"), "hit");  // secrets still cached
  EXPECT_EQ(sm.calls, 1);
  // And the other way round, with a parameters' TTL shorter than the secrets'.
  cfg.ttl_seconds = 60;
  cfg.ssm_ttl_seconds = 5;
  Make();
  Get("/systemsmanager/parameters/get?name=p");
  Get("/v1/db");
  clock.now += std::chrono::seconds(6);
  EXPECT_EQ(Header(Get("/systemsmanager/parameters/get?name=p"), "X-Arcana-Cache"), "refresh");
  EXPECT_EQ(Header(Get("/v1/db"), "X-Arcana-Cache"), "hit");
}

}  // namespace
}  // namespace arcana::agent
