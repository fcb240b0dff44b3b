// arcanad's change stream endpoint (net/change_stream_api.h) over an in-memory change log:
// visibility filtering, resuming past hidden changes, Reset on trimmed or replaced logs,
// parameter validation and the bound on held requests. Dev-mode authentication (account
// 123456789012); the SigV4 path is the API's own and is covered by the integration tests.
#include <gtest/gtest.h>

#include <rapidjson/document.h>
#include "auth/authenticator.h"
#include "net/change_stream_api.h"
#include "storage/access_key_store.h"

namespace arcana::net {
namespace {

class MemoryChangeLog : public storage::ChangeLog {
 public:
  std::vector<storage::Change> changes;
  Result<int64_t> Head() override { return changes.empty() ? 0 : changes.back().seq; }
  Result<std::vector<storage::Change>> ReadChanges(int64_t after, size_t limit) override {
    std::vector<storage::Change> out;
    for (const auto& c : changes) {
      if (c.seq > after && out.size() < limit) out.push_back(c);
    }
    return out;
  }
  void WaitForChange(int64_t, std::chrono::milliseconds) override {}
  Result<size_t> TrimChanges(int64_t) override { return size_t{0}; }
  void Add(int64_t seq, std::string account, std::string service, std::string resource) {
    storage::Change c;
    c.seq = seq;
    c.account = std::move(account);
    c.service = std::move(service);
    c.region = "us-east-1";
    c.resource = std::move(resource);
    c.kind = "PutSecretValue";
    changes.push_back(c);
  }
};

// Dev-mode authentication never looks a key up: the store only has to exist.
class NoAccessKeys : public storage::AccessKeyStore {
 public:
  Status PutAccessKey(const storage::AccessKeyRecord&) override { return Unused(); }
  Result<std::optional<storage::AccessKeyRecord>> GetAccessKey(const std::string&) override {
    return Unused();
  }
  Result<std::vector<storage::AccessKeyRecord>> ListAccessKeys(const std::string&,
                                                               size_t) override {
    return Unused();
  }
  Status DeleteAccessKey(const std::string&) override { return Unused(); }

 private:
  static Status Unused() { return Status(ErrorCode::kInternalFailure, "not in dev mode"); }
};

class ChangeStreamApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth::AuthOptions ao;
    ao.dev = true;
    authn_ = std::make_unique<auth::Authenticator>(keys_, root_, ao);
    log_.Add(1, "123456789012", "secretsmanager", "arn:mine:1");
    log_.Add(2, "999999999999", "secretsmanager", "arn:theirs");
    log_.Add(3, "123456789012", "kms", "arn:key");
    log_.Add(4, "123456789012", "ssm", "arn:mine:param");
  }
  HttpResponse Get(const std::string& target, ChangeStreamOptions opts = {}) {
    ChangeStreamApi api(log_, *authn_, &root_, opts);
    HttpRequest req;
    req.method = "GET";
    req.target = target;
    HttpResponse res;
    EXPECT_TRUE(api.Handle(req, res));
    return res;
  }
  static rapidjson::Document Json(const HttpResponse& r) {
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    return d;
  }

  NoAccessKeys keys_;
  crypto::RootKey root_ = crypto::RootKey::FromBytes(std::string(32, 'k'));
  std::unique_ptr<auth::Authenticator> authn_;
  MemoryChangeLog log_;
};

TEST_F(ChangeStreamApiTest, WithoutAfterAnswersTheHead) {
  auto d = Json(Get("/_arcana/changes"));
  EXPECT_EQ(d["Changes"].Size(), 0u);
  EXPECT_EQ(d["Next"].GetInt64(), 4);
  EXPECT_EQ(d["Head"].GetInt64(), 4);
  EXPECT_FALSE(d["Reset"].GetBool());
}

TEST_F(ChangeStreamApiTest, OnlyTheCallersSecretsAndParameters) {
  auto r = Get("/_arcana/changes?after=0");
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = Json(r);
  ASSERT_EQ(d["Changes"].Size(), 2u);
  EXPECT_STREQ(d["Changes"][0]["Resource"].GetString(), "arn:mine:1");
  EXPECT_EQ(d["Changes"][0]["Seq"].GetInt64(), 1);
  EXPECT_STREQ(d["Changes"][1]["Resource"].GetString(), "arn:mine:param");
  EXPECT_EQ(d["Next"].GetInt64(), 4);
  // Resuming after a hidden change skips it and still advances.
  d = Json(Get("/_arcana/changes?after=1&limit=2"));
  EXPECT_EQ(d["Changes"].Size(), 1u);  // 2 and 3 hidden, 4 visible
  EXPECT_EQ(d["Next"].GetInt64(), 4);
  d = Json(Get("/_arcana/changes?after=4"));
  EXPECT_EQ(d["Changes"].Size(), 0u);
  EXPECT_EQ(d["Next"].GetInt64(), 4);
}

TEST_F(ChangeStreamApiTest, ResetWhenTrimmedOrReplaced) {
  auto d = Json(Get("/_arcana/changes?after=9"));  // beyond the head: a replaced store
  EXPECT_TRUE(d["Reset"].GetBool());
  EXPECT_EQ(d["Next"].GetInt64(), 4);
  log_.changes.erase(log_.changes.begin(), log_.changes.begin() + 2);  // 1 and 2 trimmed
  d = Json(Get("/_arcana/changes?after=0"));
  EXPECT_TRUE(d["Reset"].GetBool());
  EXPECT_EQ(d["Changes"].Size(), 0u);
  EXPECT_EQ(d["Next"].GetInt64(), 4);
}

TEST_F(ChangeStreamApiTest, BadParametersAndMethods) {
  for (const char* t : {"/_arcana/changes?after=x", "/_arcana/changes?after=-1",
                        "/_arcana/changes?after=1&wait=21", "/_arcana/changes?after=1&limit=0",
                        "/_arcana/changes?after=1&other=1"}) {
    auto r = Get(t);
    EXPECT_EQ(r.status, 400) << t;
    EXPECT_NE(r.body.find("ValidationException"), std::string::npos) << t;
  }
  ChangeStreamApi api(log_, *authn_, &root_, {});
  HttpRequest req;
  req.method = "POST";
  req.target = "/_arcana/changes";
  HttpResponse res;
  ASSERT_TRUE(api.Handle(req, res));
  EXPECT_EQ(res.status, 405);
  req.target = "/_arcana/other";
  EXPECT_FALSE(api.Handle(req, res));
}

TEST_F(ChangeStreamApiTest, NoSlotToHoldAnswersAtOnceWithRetryAfter) {
  const auto started = std::chrono::steady_clock::now();
  auto r = Get("/_arcana/changes?after=4&wait=5", ChangeStreamOptions{20, 0});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(r.status, 200);
  bool retry_after = false;
  for (const auto& [k, v] : r.headers) retry_after = retry_after || (k == "Retry-After" && v == "1");
  EXPECT_TRUE(retry_after);
}

TEST_F(ChangeStreamApiTest, SealedAnswers503) {
  crypto::RootKey sealed;
  ChangeStreamApi api(log_, *authn_, &sealed, {});
  HttpRequest req;
  req.method = "GET";
  req.target = "/_arcana/changes";
  HttpResponse res;
  ASSERT_TRUE(api.Handle(req, res));
  EXPECT_EQ(res.status, 503);
}

}  // namespace
}  // namespace arcana::net
