// AssumeRoleWithWebIdentity's parts: JWS verification (RFC 7515's own examples A.2 and A.3),
// the ID token's parsing and time rules, the issuer key cache (with an injected fetch), and
// outbound URL parsing.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/oidc_keys.h"
#include "crypto/base64.h"
#include "crypto/jws.h"
#include "domain/iam/web_identity_token.h"
#include "net/http_client.h"

namespace arcana {
namespace {

// RFC 7515 appendix A.2 (RS256) and A.3 (ES256): the same JWS payload, each with its key.
constexpr const char* kRsaN =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4"
    "d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5re"
    "xMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxX"
    "FvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr const char* kPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr const char* kRsaSig =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1"
    "L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYE"
    "UipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
constexpr const char* kEcX = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr const char* kEcY = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
constexpr const char* kEcSig =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

std::string D(const char* b64u) { return *crypto::Base64UrlDecode(b64u); }

crypto::JwkPublicKey RsaKey() {
  crypto::JwkPublicKey k;
  k.kty = "RSA";
  k.n = D(kRsaN);
  k.e = D("AQAB");
  return k;
}

crypto::JwkPublicKey EcKey() {
  crypto::JwkPublicKey k;
  k.kty = "EC";
  k.crv = "P-256";
  k.x = D(kEcX);
  k.y = D(kEcY);
  return k;
}

const std::string kRsInput = std::string("eyJhbGciOiJSUzI1NiJ9.") + kPayload;
const std::string kEsInput = std::string("eyJhbGciOiJFUzI1NiJ9.") + kPayload;

TEST(Jws, VerifiesRfc7515Examples) {
  EXPECT_TRUE(*crypto::VerifyJws("RS256", RsaKey(), kRsInput, D(kRsaSig)));
  EXPECT_TRUE(*crypto::VerifyJws("ES256", EcKey(), kEsInput, D(kEcSig)));
}

TEST(Jws, RefusesWhatDoesNotVerify) {
  std::string bad = D(kEcSig);
  bad.back() ^= 1;
  EXPECT_FALSE(*crypto::VerifyJws("ES256", EcKey(), kEsInput, bad));
  EXPECT_FALSE(*crypto::VerifyJws("ES256", EcKey(), "eyJhbGciOiJFUzI1NiJ9.e30", D(kEcSig)));
  EXPECT_FALSE(*crypto::VerifyJws("ES256", EcKey(), kEsInput, D(kEcSig).substr(1)));
  EXPECT_FALSE(*crypto::VerifyJws("RS256", RsaKey(), kEsInput, D(kRsaSig)));
  // A key of the wrong type or curve for the algorithm.
  EXPECT_FALSE(*crypto::VerifyJws("ES256", RsaKey(), kEsInput, D(kEcSig)));
  EXPECT_FALSE(*crypto::VerifyJws("RS256", EcKey(), kRsInput, D(kRsaSig)));
  EXPECT_FALSE(*crypto::VerifyJws("ES384", EcKey(), kEsInput, D(kEcSig)));
  // A point not on the curve does not load.
  crypto::JwkPublicKey off = EcKey();
  off.y.back() ^= 1;
  EXPECT_FALSE(crypto::VerifyJws("ES256", off, kEsInput, D(kEcSig)).ok());
}

TEST(Jws, OnlyAsymmetricAlgorithms) {
  for (const char* alg : {"none", "HS256", "HS512", "", "RS1", "EdDSA"}) {
    EXPECT_FALSE(crypto::IsSupportedJwsAlgorithm(alg)) << alg;
    EXPECT_FALSE(crypto::VerifyJws(alg, RsaKey(), kRsInput, D(kRsaSig)).ok()) << alg;
  }
  for (const char* alg : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}) {
    EXPECT_TRUE(crypto::IsSupportedJwsAlgorithm(alg)) << alg;
  }
}

std::string Token(const std::string& header, const std::string& claims, const std::string& sig = "c2ln") {
  return crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(claims) + "." + sig;
}

TEST(WebIdentityToken, ParsesClaims) {
  auto t = domain::iam::ParseWebIdentityToken(Token(
      R"({"alg":"RS256","kid":"k1"})",
      R"({"iss":"https://token.actions.githubusercontent.com","sub":"repo:o/r:ref:refs/heads/main",)"
      R"("aud":["sts.amazonaws.com","other"],"exp":1700000000.5,"nbf":1699999000,"azp":"c",)"
      R"("amr":["a","b"],"https://aws.amazon.com/tags":{"principal_tags":{"team":["x"]},)"
      R"("transitive_tag_keys":["team"]}})"));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->alg, "RS256");
  EXPECT_EQ(t->kid, "k1");
  EXPECT_EQ(t->issuer, "https://token.actions.githubusercontent.com");
  EXPECT_EQ(t->audiences, (std::vector<std::string>{"sts.amazonaws.com", "other"}));
  EXPECT_EQ(*t->expires_s, 1700000000);
  EXPECT_EQ(t->amr.size(), 2u);
  EXPECT_EQ(t->principal_tags.at("team"), "x");
  EXPECT_EQ(t->transitive_tag_keys, std::vector<std::string>{"team"});
  EXPECT_EQ(t->signature, "sig");
  EXPECT_EQ(domain::iam::OidcProviderUrlOf(t->issuer), "token.actions.githubusercontent.com");
}

TEST(WebIdentityToken, RefusesWhatIsNoJwt) {
  for (std::string bad : {std::string(""), std::string("abc"), std::string("a.b"),
                          std::string("a.b.c.d"), Token("[]", "{}"), Token("{}", "not json"),
                          Token("{}", "{}", "+/=")}) {
    auto t = domain::iam::ParseWebIdentityToken(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), ErrorCode::kInvalidIdentityToken);
  }
  auto no_sub = domain::iam::ParseWebIdentityToken(Token("{}", R"({"iss":"https://i"})"));
  EXPECT_EQ(no_sub.status().message(), "Missing a required claim: sub");
  EXPECT_EQ(domain::iam::OidcProviderUrlOf("http://insecure"), "");
  EXPECT_EQ(domain::iam::OidcProviderUrlOf("https://"), "");
}

TEST(WebIdentityToken, TimesInAwsWords) {
  domain::iam::WebIdentityToken t;
  t.expires_s = 1000;
  EXPECT_TRUE(domain::iam::CheckTokenTimes(t, 999, 300).ok());
  Status expired = domain::iam::CheckTokenTimes(t, 1000, 300);
  EXPECT_EQ(expired.code(), ErrorCode::kWebIdentityTokenExpired);
  EXPECT_EQ(expired.message(),
            "Token expired: current date/time 1000 must be before the expiration date/time1000");
  t.not_before_s = 1400;
  EXPECT_EQ(domain::iam::CheckTokenTimes(t, 999, 300).code(), ErrorCode::kInvalidIdentityToken);
  t.not_before_s = 1200;
  EXPECT_TRUE(domain::iam::CheckTokenTimes(t, 999, 300).ok());
  t.expires_s.reset();
  EXPECT_EQ(domain::iam::CheckTokenTimes(t, 999, 300).code(), ErrorCode::kInvalidIdentityToken);
}

// An issuer served from memory: counts fetches.
struct FakeIssuer {
  int fetches = 0;
  int status = 200;
  std::string jwks_uri = "https://issuer.test/keys";
  std::string keys = std::string(R"({"keys":[{"kty":"EC","kid":"ec-1","crv":"P-256","x":")") +
                     kEcX + R"(","y":")" + kEcY + R"("},{"kty":"RSA","kid":"enc","use":"enc","n":")" +
                     kRsaN + R"(","e":"AQAB"}]})";
  std::vector<std::vector<std::string>> pins;
  auth::OidcKeys::Fetch fetch() {
    return [this](const net::ClientRequest& r) -> Result<net::ClientResponse> {
      ++fetches;
      pins.push_back(r.pinned_thumbprints);
      net::ClientResponse out;
      out.status = status;
      if (r.url == "https://issuer.test/.well-known/openid-configuration") {
        out.body = R"({"jwks_uri":")" + jwks_uri + R"("})";
      } else if (r.url == jwks_uri) {
        out.body = keys;
      } else {
        out.status = 404;
      }
      return out;
    };
  }
};

TEST(OidcKeys, FetchesOnceAndCaches) {
  FakeIssuer issuer;
  auth::OidcKeys keys(issuer.fetch());
  auto k = keys.KeysFor("https://issuer.test/", "ec-1", "ES256", {"ab"}, 1000);
  ASSERT_TRUE(k.ok()) << k.status().message();
  ASSERT_EQ(k->size(), 1u);
  EXPECT_EQ(issuer.fetches, 2);  // discovery + JWK Set
  EXPECT_EQ(issuer.pins[0], std::vector<std::string>{"ab"});
  ASSERT_TRUE(keys.KeysFor("https://issuer.test/", "ec-1", "ES256", {"ab"}, 2000).ok());
  EXPECT_EQ(issuer.fetches, 2);
  // Without a kid: the keys of the algorithm's type; the encryption key is never offered.
  auto any = keys.KeysFor("https://issuer.test/", "", "ES256", {"ab"}, 2000);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->size(), 1u);
  EXPECT_FALSE(keys.KeysFor("https://issuer.test/", "enc", "RS256", {"ab"}, 2000).ok());
  // Other thumbprints: fetched again under them.
  ASSERT_TRUE(keys.KeysFor("https://issuer.test/", "ec-1", "ES256", {"cd"}, 2000).ok());
  EXPECT_EQ(issuer.fetches, 4);
  // Expired entry: fetched again.
  ASSERT_TRUE(keys.KeysFor("https://issuer.test/", "ec-1", "ES256", {"ab"},
                           1000 + auth::OidcKeys::kTtlMs).ok());
  EXPECT_EQ(issuer.fetches, 6);
}

TEST(OidcKeys, UnknownKidRefetchesAtMostOncePerGap) {
  FakeIssuer issuer;
  auth::OidcKeys keys(issuer.fetch());
  ASSERT_TRUE(keys.KeysFor("https://issuer.test", "ec-1", "ES256", {}, 1000).ok());
  EXPECT_EQ(issuer.fetches, 2);
  EXPECT_FALSE(keys.KeysFor("https://issuer.test", "rotated", "ES256", {}, 2000).ok());
  EXPECT_EQ(issuer.fetches, 2);  // within the gap: no fetch
  EXPECT_FALSE(keys.KeysFor("https://issuer.test", "rotated", "ES256", {},
                            1000 + auth::OidcKeys::kRefetchGapMs).ok());
  EXPECT_EQ(issuer.fetches, 4);
}

TEST(OidcKeys, FailuresInAwsWords) {
  const std::string words =
      "Couldn't retrieve verification key from your identity provider,  please reference "
      "AssumeRoleWithWebIdentity documentation for requirements";
  FakeIssuer down;
  down.status = 500;
  auth::OidcKeys a(down.fetch());
  auto r = a.KeysFor("https://issuer.test", "ec-1", "ES256", {}, 1);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidIdentityToken);
  EXPECT_EQ(r.status().message(), words);
  FakeIssuer plain;
  plain.jwks_uri = "http://issuer.test/keys";  // keys over plain HTTP are never trusted
  auth::OidcKeys b(plain.fetch());
  EXPECT_EQ(b.KeysFor("https://issuer.test", "ec-1", "ES256", {}, 1).status().message(), words);
  EXPECT_EQ(plain.fetches, 1);
  FakeIssuer junk;
  junk.keys = "[1,2";
  auth::OidcKeys c(junk.fetch());
  EXPECT_EQ(c.KeysFor("https://issuer.test", "ec-1", "ES256", {}, 1).status().message(), words);
}

TEST(OidcKeys, AFailedFetchIsNotRetriedWithinTheGap) {
  FakeIssuer issuer;
  issuer.status = 503;
  auth::OidcKeys keys(issuer.fetch());
  EXPECT_FALSE(keys.KeysFor("https://issuer.test", "ec-1", "ES256", {}, 1000).ok());
  EXPECT_EQ(issuer.fetches, 1);
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(keys.KeysFor("https://issuer.test", "ec-1", "ES256", {}, 2000 + i).ok());
  }
  EXPECT_EQ(issuer.fetches, 1);
  issuer.status = 200;  // back: fetched again once the gap has passed
  EXPECT_TRUE(keys.KeysFor("https://issuer.test", "ec-1", "ES256", {},
                           1000 + auth::OidcKeys::kRefetchGapMs).ok());
  EXPECT_EQ(issuer.fetches, 3);
}

TEST(OidcKeys, ConcurrentRequestsMakeOneFetchAndStaleKeysServeMeanwhile) {
  // The issuer answers only when released: every other request arrives during the fetch.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  FakeIssuer issuer;
  auto inner = issuer.fetch();
  std::atomic<int> fetches{0};
  auth::OidcKeys keys([&](const net::ClientRequest& r) {
    ++fetches;
    std::unique_lock l(mu);
    cv.wait(l, [&] { return release; });
    return inner(r);
  });
  auto first = std::async(std::launch::async, [&] {
    return keys.KeysFor("https://issuer.test", "ec-1", "ES256", {}, 1000);
  });
  while (fetches == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (int i = 0; i < 20; ++i) {  // no keys yet: refused at once, no fetch of their own
    EXPECT_FALSE(keys.KeysFor("https://issuer.test", "ec-1", "ES256", {}, 1001).ok());
  }
  // Other issuers: at most kMaxConcurrentFetches fetches in flight in all.
  std::vector<std::future<Result<std::vector<crypto::JwkPublicKey>>>> others;
  for (int i = 0; i < 10; ++i) {
    others.push_back(std::async(std::launch::async, [&keys, i] {
      return keys.KeysFor("https://other-" + std::to_string(i) + ".test", "k", "ES256", {}, 1001);
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE(fetches.load(), auth::OidcKeys::kMaxConcurrentFetches);
  {
    std::lock_guard l(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(first.get().ok());
  for (auto& o : others) EXPECT_FALSE(o.get().ok());  // 404s or refused
  // Past the TTL: one request refreshes; the keys serve the others meanwhile.
  const int before = fetches;
  {
    std::lock_guard l(mu);
    release = false;
  }
  const int64_t later = 1000 + auth::OidcKeys::kTtlMs + 1;
  auto refresh = std::async(std::launch::async, [&] {
    return keys.KeysFor("https://issuer.test", "ec-1", "ES256", {}, later);
  });
  while (fetches == before) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(keys.KeysFor("https://issuer.test", "ec-1", "ES256", {}, later).ok());
  {
    std::lock_guard l(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_TRUE(refresh.get().ok());
}

TEST(HttpClient, SplitsUrls) {
  net::UrlParts u;
  ASSERT_TRUE(net::SplitUrl("https://issuer.example.com/path/x?y=1#frag", &u));
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "issuer.example.com");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/path/x?y=1");
  ASSERT_TRUE(net::SplitUrl("http://127.0.0.1:8080", &u));
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.target, "/");
  ASSERT_TRUE(net::SplitUrl("https://[::1]:9443/k", &u));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "9443");
  for (const char* bad : {"ftp://x", "https://", "https://user@host/", "https://h:x/",
                          "https://h:/", "https://[::1/", "https://h:123456/"}) {
    EXPECT_FALSE(net::SplitUrl(bad, &u)) << bad;
  }
}

}  // namespace
}  // namespace arcana
