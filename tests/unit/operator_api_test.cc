// The operator endpoints (seal/operator_api.h): credentials, nonce-bound shares, transport,
// body limits and rate limiting, against a real SealManager over SQLite.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "crypto/random.h"
#include "crypto/shamir.h"
#include "seal/operator_api.h"
#include "seal/rate_limiter.h"
#include "seal/seal_manager.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana {
namespace {

constexpr const char* kToken = "operator-token-for-unit-tests-0001";

class OperatorApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-opapi-test-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::sqlite::OpenSqliteStores(dir_.string() + "/arcana.db");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    api_.reset();
    authn_.reset();
    seal_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Generous limits unless a test is about them.
  void Start(bool default_limits = false) {
    seal::OperatorOptions oo;
    if (!default_limits) oo.limits.per_source_burst = 1000;
    seal::SealOptions o;
    o.data_dir = dir_.string();
    seal_ = std::make_unique<seal::SealManager>(o, store_->meta(), store_->root(), root_);
    ASSERT_TRUE(seal_->Start().ok());
    authn_ = std::make_unique<auth::Authenticator>(store_->access_keys(), root_, auth::AuthOptions{});
    oo.token = kToken;
    if (configure_) configure_(oo);
    api_ = std::make_unique<seal::OperatorApi>(*seal_, *authn_, oo);
  }
  net::HttpResponse Post(const std::string& op, std::string body, const std::string& token = "",
                         const std::string& from = "127.0.0.1") {
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/_arcana/operator/" + op;
    req.body = std::move(body);
    req.remote_address = from;
    if (!token.empty()) req.headers.emplace_back("X-Arcana-Operator-Token", token);
    net::HttpResponse res;
    EXPECT_TRUE(api_->Handle(req, res));
    EXPECT_TRUE(req.body.empty() || req.body.find_first_not_of('\0') == std::string::npos);
    return res;
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> store_;
  crypto::RootKey root_;
  std::unique_ptr<seal::SealManager> seal_;
  std::unique_ptr<auth::Authenticator> authn_;
  std::unique_ptr<seal::OperatorApi> api_;
  std::function<void(seal::OperatorOptions&)> configure_;  // before Start: e.g. audit hooks
};

TEST_F(OperatorApiTest, KeyFileUnsealNeedsTheOperatorToken) {
  Start();
  ASSERT_FALSE(root_.sealed());
  EXPECT_EQ(Post("seal", "{}").status, 401);
  EXPECT_FALSE(root_.sealed());
  EXPECT_EQ(Post("seal", "{}", "wrong-token-wrong-token").status, 403);
  EXPECT_FALSE(root_.sealed());
  ASSERT_EQ(Post("seal", "{}", kToken).status, 200);
  ASSERT_TRUE(root_.sealed());

  // The reported bypass: {} (or nothing) re-unsealed a sealed key-file server.
  EXPECT_EQ(Post("unseal", "{}").status, 401);
  EXPECT_EQ(Post("unseal", "").status, 401);
  EXPECT_EQ(Post("unseal", "{}", "wrong-token-wrong-token").status, 403);
  EXPECT_TRUE(root_.sealed());
  // The right token from a non-loopback address over plain HTTP: refused before it is checked.
  auto remote = Post("unseal", "{}", kToken, "10.1.2.3");
  EXPECT_EQ(remote.status, 403);
  EXPECT_NE(remote.body.find("InsecureTransport"), std::string::npos);
  EXPECT_TRUE(root_.sealed());
  auto ok = Post("unseal", "{}", kToken);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_FALSE(root_.sealed());
  // Rotation needs credentials too.
  const std::string id = root_.id();
  EXPECT_EQ(Post("rotate-root", "{}").status, 401);
  EXPECT_EQ(root_.id(), id);
  // A cancel (Shamir's) of a rotation done in one step: refused, the key left as it is.
  auto cancel = Post("rotate-root", R"({"cancel":true})", kToken);
  EXPECT_EQ(cancel.status, 400) << cancel.body;
  EXPECT_NE(cancel.body.find("NothingToCancel"), std::string::npos);
  EXPECT_EQ(root_.id(), id);
  EXPECT_EQ(Post("rotate-root", "{}", kToken).status, 200);
  EXPECT_NE(root_.id(), id);
}

TEST_F(OperatorApiTest, HostileBodiesAreRejectedNotParsedDeeply) {
  Start();
  ASSERT_EQ(Post("seal", "{}", kToken).status, 200);
  auto huge = Post("unseal", std::string(200 * 1024, '['));
  EXPECT_EQ(huge.status, 413);
  auto deep = Post("unseal", std::string(4000, '['));
  EXPECT_EQ(deep.status, 400);
  EXPECT_NE(deep.body.find("SerializationException"), std::string::npos);
  EXPECT_EQ(Post("unseal", "[]").status, 400);
  EXPECT_EQ(Post("unseal", R"({"share":[1]})", kToken).status, 400);
  EXPECT_TRUE(root_.sealed());
}

TEST_F(OperatorApiTest, ShamirSharesNeedNonceAndSecureTransport) {
  crypto::RootKey init_root;
  auto shares = seal::SealManager::InitShamir(store_->meta(), store_->root(), init_root, 5, 3);
  ASSERT_TRUE(shares.ok());
  Start();
  ASSERT_TRUE(root_.sealed());
  auto body = [](const std::string& share, const std::string& nonce = "") {
    return "{\"share\":\"" + share + "\"" + (nonce.empty() ? "" : ",\"nonce\":\"" + nonce + "\"") +
           "}";
  };
  // A share over plain HTTP from elsewhere is refused; over TLS it is taken.
  EXPECT_EQ(Post("unseal", body((*shares)[0]), "", "192.0.2.7").status, 403);
  EXPECT_EQ(seal_->status().progress, 0);
  auto first = Post("unseal", body((*shares)[0]));
  ASSERT_EQ(first.status, 200) << first.body;
  auto at = first.body.find("\"nonce\":\"");
  ASSERT_NE(at, std::string::npos);
  std::string nonce = first.body.substr(at + 9, 32);
  // Without the nonce, or with another: 409, progress intact.
  EXPECT_EQ(Post("unseal", body((*shares)[1])).status, 409);
  EXPECT_EQ(Post("unseal", body((*shares)[1], std::string(32, 'a'))).status, 409);
  EXPECT_EQ(seal_->status().progress, 1);
  // Reset needs credentials.
  EXPECT_EQ(Post("unseal", R"({"reset":true})").status, 401);
  EXPECT_EQ(seal_->status().progress, 1);
  EXPECT_EQ(Post("unseal", body((*shares)[1], nonce)).status, 200);
  auto done = Post("unseal", body((*shares)[2], nonce));
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_FALSE(root_.sealed());

  // rotate-root: starting needs credentials; shares without the quorum get no new shares.
  EXPECT_EQ(Post("rotate-root", "{}").status, 401);
  auto init = Post("rotate-root", "{}", kToken);
  ASSERT_EQ(init.status, 200) << init.body;
  EXPECT_EQ(init.body.find("shares"), std::string::npos);
  std::string rn = init.body.substr(init.body.find("\"nonce\":\"") + 9, 32);
  auto p1 = Post("rotate-root", body((*shares)[3], rn));
  ASSERT_EQ(p1.status, 200);
  EXPECT_EQ(p1.body.find("shares"), std::string::npos);
  EXPECT_EQ(Post("rotate-root", body((*shares)[4], "x")).status, 409);
  auto p2 = Post("rotate-root", body((*shares)[4], rn));
  EXPECT_EQ(p2.body.find("shares"), std::string::npos);
  auto p3 = Post("rotate-root", body((*shares)[0], rn));
  ASSERT_EQ(p3.status, 200) << p3.body;
  EXPECT_NE(p3.body.find("\"shares\":[\"arcs1-"), std::string::npos);
}

TEST_F(OperatorApiTest, RepeatedFailuresAreRateLimited) {
  Start(/*default_limits=*/true);
  int limited_at = -1;
  for (int i = 0; i < 40 && limited_at < 0; ++i) {
    auto r = Post("seal", "{}", "wrong-token-wrong-token", "127.0.0.9");
    if (r.status == 429) {
      limited_at = i;
      bool retry_after = false;
      for (const auto& [k, v] : r.headers) retry_after |= k == "Retry-After";
      EXPECT_TRUE(retry_after);
    }
  }
  ASSERT_GT(limited_at, 0);
  EXPECT_LE(limited_at, 10);
  // Even the right token waits now (from that address); another address is unaffected.
  EXPECT_EQ(Post("seal", "{}", kToken, "127.0.0.9").status, 429);
  EXPECT_FALSE(root_.sealed());
  EXPECT_EQ(Post("seal", "{}", kToken, "127.0.0.10").status, 200);
}

TEST_F(OperatorApiTest, ActionsTheAuditTrailCannotRecordAreRefusedButSealStillSeals) {
  bool healthy = true, start_recorded = true, action_recorded = true;
  std::vector<std::string> started;
  const Status full(ErrorCode::kServiceUnavailable, "disk full");
  configure_ = [&](seal::OperatorOptions& oo) {
    oo.audit_ready = [&] { return healthy; };
    oo.on_start = [&](const std::string& op, const net::HttpRequest&) {
      started.push_back(op);
      return start_recorded ? Status::Ok() : full;
    };
    oo.on_action = [&](const std::string&, const net::HttpRequest&, int) {
      return action_recorded ? Status::Ok() : full;
    };
  };
  Start();
  const std::string first_root = seal_->status().root_key_id;
  constexpr auto npos = std::string::npos;

  // The trail is known to fail: refused before anything runs or is recorded.
  healthy = false;
  auto r = Post("rotate-root", "{}", kToken);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("ServiceUnavailableException"), npos);
  EXPECT_TRUE(started.empty());
  EXPECT_EQ(seal_->status().root_key_id, first_root);

  // The rotation's start record fails: refused, nothing rotated.
  healthy = true;
  start_recorded = false;
  r = Post("rotate-root", "{}", kToken);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(started, std::vector<std::string>{"rotate-root"});
  EXPECT_EQ(seal_->status().root_key_id, first_root);

  // Its start is on record but its outcome's record fails: the committed rotation is still
  // reported, with the warning.
  start_recorded = true;
  action_recorded = false;
  r = Post("rotate-root", "{}", kToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"root_key_id\""), npos);
  EXPECT_NE(r.body.find("\"audit_warning\":\"the audit trail could not record"), npos);
  EXPECT_NE(seal_->status().root_key_id, first_root);

  // Seal is the emergency stop: it seals whatever the trail's state, and says so.
  healthy = false;
  r = Post("seal", "{}", kToken);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("audit_warning"), npos);
  EXPECT_TRUE(root_.sealed());
  r = Post("unseal", "{}", kToken);  // the trail known failing: refused before it runs
  EXPECT_EQ(r.status, 503);
  EXPECT_TRUE(root_.sealed());

  // Admitted, then its record fails: it ran, and is answered 503 as an API call is.
  healthy = true;
  r = Post("unseal", "{}", kToken);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("may have taken effect"), npos);
  EXPECT_FALSE(root_.sealed());
}

TEST(RateLimiter, BucketsRefillAndFailuresCostMore) {
  seal::RateLimits l;
  l.per_source_burst = 3;
  l.per_source_rate = 1;
  l.global_burst = 5;
  l.global_rate = 1;
  l.failure_cost = 2;
  seal::RateLimiter r(l);
  auto t0 = seal::RateLimiter::Clock::now();
  int retry = 0;
  EXPECT_TRUE(r.Admit("a", &retry, t0));
  EXPECT_TRUE(r.Admit("a", &retry, t0));
  EXPECT_TRUE(r.Admit("a", &retry, t0));
  EXPECT_FALSE(r.Admit("a", &retry, t0));
  EXPECT_GE(retry, 1);
  EXPECT_TRUE(r.Admit("a", &retry, t0 + std::chrono::seconds(1)));
  // The global bucket (5, +1 after a second) is nearly spent: b and c get one, then nobody.
  EXPECT_TRUE(r.Admit("b", &retry, t0 + std::chrono::seconds(1)));
  EXPECT_TRUE(r.Admit("c", &retry, t0 + std::chrono::seconds(1)));
  EXPECT_FALSE(r.Admit("d", &retry, t0 + std::chrono::seconds(1)));
  // A failure takes extra tokens from the source.
  seal::RateLimiter f(l);
  EXPECT_TRUE(f.Admit("x", &retry, t0));
  f.Failed("x", t0);
  EXPECT_FALSE(f.Admit("x", &retry, t0));
  // Also once the burst is spent: a source failing every second is not admitted every
  // second (each failure costs 1 + failure_cost tokens; 1 comes back a second).
  seal::RateLimiter g(l);
  int admitted = 0;
  for (int s = 0; s < 30; ++s) {
    const auto at = t0 + std::chrono::seconds(s);
    if (g.Admit("y", &retry, at)) {
      ++admitted;
      g.Failed("y", at);
    }
  }
  EXPECT_LE(admitted, 12);  // burst 3, then one attempt per 3 s at most
}

TEST(OperatorTransport, SharesOnlyOverTlsOrLoopback) {
  EXPECT_TRUE(seal::CredentialTransportOk(false, "127.0.0.1"));
  EXPECT_TRUE(seal::CredentialTransportOk(false, "::1"));
  EXPECT_TRUE(seal::CredentialTransportOk(false, "::ffff:127.0.0.1"));
  EXPECT_FALSE(seal::CredentialTransportOk(false, "10.0.0.1"));
  EXPECT_FALSE(seal::CredentialTransportOk(false, "::ffff:10.0.0.1"));
  EXPECT_FALSE(seal::CredentialTransportOk(false, "-"));
  EXPECT_TRUE(seal::CredentialTransportOk(true, "10.0.0.1"));
}

}  // namespace
}  // namespace arcana
