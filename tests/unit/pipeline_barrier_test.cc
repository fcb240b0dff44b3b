// The pipeline's exception barrier and its metrics labels, driven without sockets: a service
// whose handler throws answers InternalFailure (HTTP 500) and the next call is served; an
// operator hook that throws likewise; and no X-Amz-Target value, sealed or not, becomes a
// metrics label unless a service models that operation. Admission control's answer
// (Throttled) is AWS's ThrottlingException and follows the same label rule. The I/O
// thread's inline attempt (TryHandleInline) answers a read that needs no database, and
// leaves no trace (no record, no count, `done` untouched) when something needed it.
#include "net/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "auth/authorizer.h"
#include "crypto/root_key.h"
#include "services/common/model_validator.h"
#include "storage/no_wait.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana::net {
namespace {

// secretsmanager's model, with handlers that fail the way library code does.
class ThrowingService : public services::Service {
 public:
  std::string_view target_prefix() const override { return "secretsmanager"; }
  std::string_view signing_name() const override { return "secretsmanager"; }
  const services::ModelValidator& validator() const override { return validator_; }
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const services::CallContext&) override {
    if (operation == "ListSecrets") return std::to_string(std::stoi("not a number"));
    if (operation == "DescribeSecret") throw std::bad_alloc();
    if (operation == "GetRandomPassword") throw 42;  // not even a std::exception
    if (operation == "GetSecretValue") {
      // A read: from memory, unless its SecretId says the store would be asked; "masked"
      // asks and then hides the refusal, as a handler mapping store errors might.
      const std::string id = input["SecretId"].GetString();
      if (id == "uncached") ARCANA_RETURN_IF_ERROR(storage::NoWaitScope::Check());
      if (id == "masked") (void)storage::NoWaitScope::Check();
      ++reads;
      return std::string(R"({"Name":")") + id + R"("})";
    }
    return std::string(R"({"ok":true})");
  }
  bool MayAnswerInline(std::string_view operation) const override {
    return operation == "GetSecretValue" || operation == "DescribeSecret";
  }
  std::atomic<int> reads{0};

 private:
  services::ModelValidator validator_{"secretsmanager", ErrorCode::kInvalidParameter};
};

class RecordingAudit : public audit::AuditSink {
 public:
  std::string_view name() const override { return "recording"; }
  bool fail_closed() const override { return true; }
  Status Write(std::string_view r) override {
    std::lock_guard<std::mutex> l(mu);
    rapidjson::Document d;
    d.Parse(r.data(), r.size());
    records.push_back({d["eventName"].GetString(),
                       d.HasMember("errorCode") ? d["errorCode"].GetString() : ""});
    return Status::Ok();
  }
  bool Healthy() const override { return true; }
  void Close() override {}
  struct Rec {
    std::string event_name, error_code;
  };
  std::mutex mu;
  std::vector<Rec> records;
};

class PipelineBarrierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("arcana-pipeline-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto st = storage::sqlite::OpenSqliteStores((dir_ / "db").string());
    ASSERT_TRUE(st.ok()) << st.status().message();
    store_ = std::move(st).value();
    auth::AuthOptions ao;
    ao.dev = true;
    authn_ = std::make_unique<auth::Authenticator>(store_->access_keys(), unsealed_, ao);
  }
  void TearDown() override {
    authn_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Pipeline> Make(PipelineOptions po) {
    if (trail_.empty()) trail_.AddSink(std::make_unique<Forward>(audit_));
    auto p = std::make_unique<Pipeline>(std::move(po), *authn_, authz_, trail_);
    p->AddService(&service_);
    p->SetReady(true);
    return p;
  }

  static HttpResponse Api(Pipeline& p, const std::string& target, const std::string& body = "{}") {
    HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}};
    req.body = body;
    HttpResponse res;
    p.Handle(req, res);
    return res;
  }
  // An inline attempt as the I/O thread makes it: whether it was taken, and the answer.
  struct Attempt {
    bool taken = false;
    bool done_untouched = false;  // the caller may still hand `done` to a worker
    std::shared_ptr<std::optional<HttpResponse>> answer;
  };
  static Attempt TryInline(Pipeline& p, const std::string& target, const std::string& body,
                           const std::string& path = "/") {
    HttpRequest req;
    req.method = "POST";
    req.target = path;
    req.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}};
    req.body = body;
    Attempt a;
    a.answer = std::make_shared<std::optional<HttpResponse>>();
    Pipeline::Done done = [answer = a.answer](std::unique_ptr<HttpResponse> r) {
      *answer = std::move(*r);
    };
    a.taken = p.TryHandleInline(req, done);
    a.done_untouched = static_cast<bool>(done);
    return a;
  }
  static std::string Metrics(Pipeline& p) {
    HttpRequest req;
    req.method = "GET";
    req.target = "/metrics";
    HttpResponse res;
    p.Handle(req, res);
    return res.body;
  }
  static size_t Lines(const std::string& text) {
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  static std::string Header(const HttpResponse& res, const std::string& name) {
    for (const auto& [k, v] : res.headers) {
      if (k == name) return v;
    }
    return "";
  }
  static void ExpectInternalFailure(const HttpResponse& res) {
    EXPECT_EQ(res.status, 500);
    EXPECT_EQ(Header(res, "X-Amzn-ErrorType"), "InternalFailure");
    EXPECT_NE(res.body.find(R"("__type":"InternalFailure")"), std::string::npos) << res.body;
    EXPECT_EQ(res.body.find("stoi"), std::string::npos) << "exception text leaked: " << res.body;
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> store_;
  crypto::RootKey unsealed_ = crypto::RootKey::FromBytes(std::string(32, 'k'));
  std::unique_ptr<auth::Authenticator> authn_;
  auth::PolicyAuthorizer authz_;
  RecordingAudit audit_;
  // The trail owns its sinks; this one forwards to audit_, which the test reads.
  struct Forward : audit::AuditSink {
    explicit Forward(RecordingAudit& to) : to_(to) {}
    std::string_view name() const override { return "forward"; }
    bool fail_closed() const override { return true; }
    Status Write(std::string_view r) override { return to_.Write(r); }
    bool Healthy() const override { return true; }
    void Close() override {}
    RecordingAudit& to_;
  };
  audit::AuditTrail trail_;
  ThrowingService service_;
};

TEST_F(PipelineBarrierTest, HandlerExceptionAnswersInternalFailureAndServingGoesOn) {
  PipelineOptions po;
  po.dev = true;
  auto p = Make(po);
  ExpectInternalFailure(Api(*p, "secretsmanager.ListSecrets"));        // std::invalid_argument
  ExpectInternalFailure(Api(*p, "secretsmanager.DescribeSecret", R"({"SecretId":"s"})"));
  ExpectInternalFailure(Api(*p, "secretsmanager.GetRandomPassword"));  // throw 42
  HttpResponse ok = Api(*p, "secretsmanager.ListSecretVersionIds", R"({"SecretId":"s"})");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, R"({"ok":true})");

  // The failed calls were still counted and audited, under their operation.
  std::string m = Metrics(*p);
  EXPECT_NE(m.find(R"(operation="secretsmanager.ListSecrets",code="InternalFailure"} 1)"),
            std::string::npos) << m;
  std::lock_guard<std::mutex> l(audit_.mu);
  ASSERT_EQ(audit_.records.size(), 4u);
  EXPECT_EQ(audit_.records[0].event_name, "ListSecrets");
  EXPECT_EQ(audit_.records[0].error_code, "InternalFailure");
  EXPECT_EQ(audit_.records[3].error_code, "");
}

TEST_F(PipelineBarrierTest, OperatorAndResetHooksThatThrowAnswerInternalFailure) {
  PipelineOptions po;
  po.dev = true;
  po.operator_api = [](const HttpRequest& req, HttpResponse&) -> bool {
    if (req.target == "/_arcana/operator/boom") throw std::out_of_range("vector::at");
    return false;
  };
  po.reset = []() -> Status { throw std::runtime_error("reset failed"); };
  auto p = Make(po);
  HttpRequest req;
  req.method = "POST";
  req.target = "/_arcana/operator/boom";
  HttpResponse res;
  p->Handle(req, res);
  ExpectInternalFailure(res);
  req.target = "/_arcana/reset";
  res = HttpResponse{};
  p->Handle(req, res);
  ExpectInternalFailure(res);
  EXPECT_EQ(Api(*p, "secretsmanager.ListSecretVersionIds", R"({"SecretId":"s"})").status, 200);
}

TEST_F(PipelineBarrierTest, DevFaultHookIsNotFoundOutsideDevMode) {
  auto p = Make(PipelineOptions{});
  HttpRequest req;
  req.method = "POST";
  req.target = "/_arcana/dev/fault?action=throw";
  HttpResponse res;
  p->Handle(req, res);
  EXPECT_EQ(res.status, 404);
}

TEST_F(PipelineBarrierTest, DevFaultHookThrowIsCaughtInDevMode) {
  PipelineOptions po;
  po.dev = true;
  auto p = Make(po);
  for (const char* action : {"throw", "bad_alloc", "throw_other"}) {
    HttpRequest req;
    req.method = "POST";
    req.target = std::string("/_arcana/dev/fault?action=") + action;
    HttpResponse res;
    p->Handle(req, res);
    ExpectInternalFailure(res);
  }
}

// Thousands of distinct targets, unauthenticated, sealed and unsealed: /metrics does not grow.
TEST_F(PipelineBarrierTest, UnknownTargetsNeverBecomeLabelsUnsealed) {
  auto p = Make(PipelineOptions{});
  Api(*p, "warmup.Op");
  const size_t baseline = Lines(Metrics(*p));
  for (int i = 0; i < 3000; ++i) {
    std::string target = i % 2 ? "secretsmanager.Nope" + std::to_string(i)
                               : "evil\"} 1\n" + std::to_string(i) + "\\";
    EXPECT_EQ(Api(*p, target).status, 400);
  }
  std::string m = Metrics(*p);
  EXPECT_EQ(m.find("evil"), std::string::npos);
  EXPECT_EQ(m.find("Nope"), std::string::npos);
  EXPECT_EQ(Lines(m), baseline) << m;  // only the counts grew, not the series
  EXPECT_NE(m.find(R"(operation="unknown",code="UnknownOperationException"} 3001)"),
            std::string::npos) << m;
}

TEST_F(PipelineBarrierTest, UnknownTargetsNeverBecomeLabelsSealed) {
  crypto::RootKey sealed;
  PipelineOptions po;
  po.root = &sealed;
  auto p = Make(po);
  Api(*p, "warmup.Op");
  const size_t baseline = Lines(Metrics(*p));
  for (int i = 0; i < 3000; ++i) {
    EXPECT_EQ(Api(*p, "evil\"}\n" + std::to_string(i)).status, 503);
  }
  std::string m = Metrics(*p);
  EXPECT_EQ(m.find("evil"), std::string::npos) << m.substr(0, 2000);
  EXPECT_EQ(Lines(m), baseline);
  // A modelled operation keeps its own label while sealed.
  EXPECT_EQ(Api(*p, "secretsmanager.GetSecretValue").status, 503);
  EXPECT_NE(Metrics(*p).find(R"(operation="secretsmanager.GetSecretValue")"), std::string::npos);
}

TEST_F(PipelineBarrierTest, ThrottledAnswersThrottlingExceptionWithBoundedLabels) {
  auto p = Make(PipelineOptions{});
  for (const std::string target : {"secretsmanager.GetSecretValue", "evil.Target"}) {
    HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"X-Amz-Target", target}};
    HttpResponse res;
    p->Throttled(req, res);
    // JSON 1.1 protocol: the SDKs read __type (and X-Amzn-ErrorType) and retry this code.
    EXPECT_EQ(res.status, 400);
    EXPECT_EQ(Header(res, "X-Amzn-ErrorType"), "ThrottlingException");
    EXPECT_EQ(Header(res, "Content-Type"), "application/x-amz-json-1.1");
    EXPECT_FALSE(Header(res, "x-amzn-RequestId").empty());
    rapidjson::Document body;
    body.Parse(res.body.c_str());
    ASSERT_TRUE(body.IsObject()) << res.body;
    EXPECT_STREQ(body["__type"].GetString(), "ThrottlingException");
    EXPECT_STREQ(body["message"].GetString(), "Rate exceeded");
  }
  std::string m = Metrics(*p);
  EXPECT_NE(m.find(R"(operation="secretsmanager.GetSecretValue",code="ThrottlingException"} 1)"),
            std::string::npos) << m;
  EXPECT_NE(m.find(R"(operation="unknown",code="ThrottlingException"} 1)"), std::string::npos)
      << m;
  EXPECT_EQ(m.find("evil"), std::string::npos);
  // Nothing ran, yet each refusal is recorded (issue 11: every call; CloudTrail records
  // throttled calls), handed to the trail without waiting: it may land a moment later.
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> l(audit_.mu);
      if (audit_.records.size() >= 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard<std::mutex> l(audit_.mu);
  ASSERT_EQ(audit_.records.size(), 2u);
  EXPECT_EQ(audit_.records[0].event_name, "GetSecretValue");
  for (const auto& r : audit_.records) EXPECT_EQ(r.error_code, "ThrottlingException");
}

TEST_F(PipelineBarrierTest, OnlyHealthAndMetricsAreAnsweredInline) {
  auto p = Make(PipelineOptions{});
  auto req = [](std::string method, std::string target) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    return r;
  };
  EXPECT_TRUE(p->AnswersInline(req("GET", "/_arcana/health")));
  EXPECT_TRUE(p->AnswersInline(req("GET", "/metrics?x=1")));
  EXPECT_FALSE(p->AnswersInline(req("POST", "/")));
  EXPECT_FALSE(p->AnswersInline(req("POST", "/_arcana/operator/unseal")));
  EXPECT_FALSE(p->AnswersInline(req("GET", "/_arcana/seal-status")));
  EXPECT_FALSE(p->AnswersInline(req("POST", "/_arcana/dev/fault?action=sleep&ms=1")));
}

// The same fixture: the inline attempt of an I/O thread.
using PipelineInlineTest = PipelineBarrierTest;
TEST_F(PipelineInlineTest, AReadThatNeedsNoDatabaseIsAnsweredCountedAndAudited) {
  PipelineOptions po;
  po.dev = true;
  po.answer_reads_inline = true;
  auto p = Make(po);
  Attempt a = TryInline(*p, "secretsmanager.GetSecretValue", R"({"SecretId":"cached"})");
  ASSERT_TRUE(a.taken);
  ASSERT_TRUE(a.answer->has_value()) << "the audit sink is synchronous: answered at once";
  EXPECT_EQ((*a.answer)->status, 200);
  EXPECT_EQ((*a.answer)->body, R"({"Name":"cached"})");
  EXPECT_EQ(service_.reads.load(), 1);
  std::string m = Metrics(*p);
  EXPECT_NE(m.find(R"(operation="secretsmanager.GetSecretValue",code="OK"} 1)"),
            std::string::npos) << m;
  EXPECT_NE(m.find(R"(arcana_inline_attempts_total{outcome="answered"} 1)"), std::string::npos);
  std::lock_guard<std::mutex> l(audit_.mu);
  ASSERT_EQ(audit_.records.size(), 1u);
  EXPECT_EQ(audit_.records[0].event_name, "GetSecretValue");
}

TEST_F(PipelineInlineTest, AnAttemptThatNeededTheDatabaseLeavesNoTraceAndAWorkerAnswers) {
  PipelineOptions po;
  po.dev = true;
  po.answer_reads_inline = true;
  auto p = Make(po);
  for (const char* id : {"uncached", "masked"}) {
    const std::string body = std::string(R"({"SecretId":")") + id + R"("})";
    Attempt a = TryInline(*p, "secretsmanager.GetSecretValue", body);
    EXPECT_FALSE(a.taken) << id;
    EXPECT_TRUE(a.done_untouched) << id;
    EXPECT_FALSE(a.answer->has_value()) << id;
    // The worker's run, outside any scope: the store may be asked.
    HttpResponse res = Api(*p, "secretsmanager.GetSecretValue", body);
    EXPECT_EQ(res.status, 200) << res.body;
  }
  std::string m = Metrics(*p);
  // Counted once each: by the worker's run, not the voided attempt.
  EXPECT_NE(m.find(R"(operation="secretsmanager.GetSecretValue",code="OK"} 2)"),
            std::string::npos) << m;
  EXPECT_NE(m.find(R"(arcana_inline_attempts_total{outcome="handed_to_worker"} 2)"),
            std::string::npos) << m;
  EXPECT_NE(m.find(R"(arcana_inline_attempts_total{outcome="answered"} 0)"), std::string::npos);
  std::lock_guard<std::mutex> l(audit_.mu);
  EXPECT_EQ(audit_.records.size(), 2u);  // the workers' runs only
}

TEST_F(PipelineInlineTest, OnlyOperationsTheServiceAllowsAndOnlyWhenTurnedOn) {
  PipelineOptions po;
  po.dev = true;
  po.answer_reads_inline = true;
  auto p = Make(po);
  // ListSecrets is not one the service allows: not even run (it would throw).
  Attempt list = TryInline(*p, "secretsmanager.ListSecrets", "{}");
  EXPECT_FALSE(list.taken);
  EXPECT_TRUE(list.done_untouched);
  EXPECT_FALSE(TryInline(*p, "secretsmanager.NoSuchOperation", "{}").taken);
  EXPECT_FALSE(TryInline(*p, "unknown.GetSecretValue", "{}").taken);
  // Another path is an operator or dev endpoint's, whatever its X-Amz-Target says.
  EXPECT_FALSE(
      TryInline(*p, "secretsmanager.GetSecretValue", R"({"SecretId":"c"})", "/_arcana/reset")
          .taken);
  // A handler that throws inline is answered by the barrier as on a worker.
  Attempt thrown = TryInline(*p, "secretsmanager.DescribeSecret", R"({"SecretId":"s"})");
  ASSERT_TRUE(thrown.taken);
  ASSERT_TRUE(thrown.answer->has_value());
  ExpectInternalFailure(**thrown.answer);
  {
    std::lock_guard<std::mutex> l(audit_.mu);
    ASSERT_EQ(audit_.records.size(), 1u);
    EXPECT_EQ(audit_.records[0].event_name, "DescribeSecret");
  }

  PipelineOptions off;
  off.dev = true;  // answer_reads_inline false: a store whose freshness check is a round trip
  auto q = Make(off);
  Attempt a = TryInline(*q, "secretsmanager.GetSecretValue", R"({"SecretId":"cached"})");
  EXPECT_FALSE(a.taken);
  EXPECT_TRUE(a.done_untouched);
  EXPECT_EQ(service_.reads.load(), 0);
}

}  // namespace
}  // namespace arcana::net
