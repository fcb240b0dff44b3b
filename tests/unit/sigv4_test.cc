#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "auth/sigv4.h"
#include "crypto/hash.h"

namespace arcana::auth {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

// ---- Test-suite vector loading ----------------------------------------------------------

const fs::path kVectorDir = fs::path(ARCANA_TESTDATA_DIR) / "sigv4";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << p;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A SignableRequest plus the storage its body view points into.
struct OwnedRequest {
  SignableRequest req;
  std::string body;
  // Re-point the view after copies/moves.
  SignableRequest& Get() {
    req.body = body;
    return req;
  }
};

// Parses the suite's HTTP request text: "METHOD TARGET HTTP/1.1", header lines
// ("Name:value"; lines starting with whitespace continue the previous value; duplicate
// names kept in order), an optional blank line, then the body (exact bytes).
OwnedRequest ParseHttpRequest(const std::string& text) {
  OwnedRequest out;
  size_t pos = 0;
  auto next_line = [&](std::string& line) -> bool {
    if (pos >= text.size()) return false;
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = nl + 1;
    return true;
  };
  std::string line;
  EXPECT_TRUE(next_line(line));
  const size_t first_sp = line.find(' ');
  const size_t last_sp = line.rfind(' ');
  out.req.method = line.substr(0, first_sp);
  // The target may contain spaces (get-space-*): it is everything between the method
  // and the HTTP version.
  out.req.target = line.substr(first_sp + 1, last_sp - first_sp - 1);
  while (next_line(line)) {
    if (line.empty()) {
      out.body = pos <= text.size() ? text.substr(std::min(pos, text.size())) : "";
      break;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      EXPECT_FALSE(out.req.headers.empty());
      out.req.headers.back().second.append("\n").append(line);
      continue;
    }
    const size_t colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << line;
    out.req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  out.Get();
  return out;
}

struct VectorContext {
  std::string akid, secret, region, service, timestamp, amz_date;
  std::optional<std::string> token;
  bool normalize = true;
  bool sign_body = false;
  bool omit_session_token = false;
};

std::optional<std::string> JsonString(const std::string& json, const std::string& key) {
  const std::regex re("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"");
  std::smatch m;
  if (std::regex_search(json, m, re)) return m[1].str();
  return std::nullopt;
}

bool JsonBool(const std::string& json, const std::string& key, bool dflt) {
  const std::regex re("\"" + key + "\"\\s*:\\s*(true|false)");
  std::smatch m;
  if (std::regex_search(json, m, re)) return m[1].str() == "true";
  return dflt;
}

VectorContext LoadContext(const fs::path& dir) {
  const std::string json = ReadFile(dir / "context.json");
  VectorContext c;
  c.akid = JsonString(json, "access_key_id").value_or("");
  c.secret = JsonString(json, "secret_access_key").value_or("");
  c.token = JsonString(json, "token");
  c.region = JsonString(json, "region").value_or("");
  c.service = JsonString(json, "service").value_or("");
  c.timestamp = JsonString(json, "timestamp").value_or("");
  c.normalize = JsonBool(json, "normalize", true);
  c.sign_body = JsonBool(json, "sign_body", false);
  c.omit_session_token = JsonBool(json, "omit_session_token", false);
  // "2015-08-30T12:36:00Z" -> "20150830T123600Z"
  for (char ch : c.timestamp) {
    if (ch != '-' && ch != ':') c.amz_date.push_back(ch);
  }
  return c;
}

std::vector<std::string> VectorNames() {
  std::vector<std::string> names;
  if (!fs::exists(kVectorDir)) return names;
  for (const auto& e : fs::directory_iterator(kVectorDir)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string* MutableHeader(SignableRequest& req, std::string_view name) {
  for (auto& [k, v] : req.headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return &v;
    }
  }
  return nullptr;
}

// Flips the last hex digit of the Signature= in the Authorization header.
void FlipSignature(SignableRequest& req) {
  std::string* a = MutableHeader(req, "authorization");
  ASSERT_NE(a, nullptr);
  const size_t p = a->find("Signature=");
  ASSERT_NE(p, std::string::npos);
  char& c = (*a)[p + std::string_view("Signature=").size() + 63];
  c = (c == '0') ? '1' : '0';
}

class Sigv4VectorTest : public ::testing::TestWithParam<std::string> {};

TEST(Sigv4Vectors, AllFoldersPresent) {
  const auto names = VectorNames();
  EXPECT_EQ(names.size(), 38u);
  EXPECT_TRUE(fs::exists(kVectorDir / "README.md"));
}

TEST_P(Sigv4VectorTest, StagesAndVerify) {
  const fs::path dir = kVectorDir / GetParam();
  const VectorContext ctx = LoadContext(dir);
  const std::string expected_creq = ReadFile(dir / "header-canonical-request.txt");
  const std::string expected_sts = ReadFile(dir / "header-string-to-sign.txt");
  const std::string expected_sig = ReadFile(dir / "header-signature.txt");

  // Stage by stage, on the signed request as the server would receive it.
  OwnedRequest signed_req = ParseHttpRequest(ReadFile(dir / "header-signed-request.txt"));
  SignableRequest& sreq = signed_req.Get();
  const std::string* authz_value = FindHeader(sreq, "authorization");
  ASSERT_NE(authz_value, nullptr);
  auto auth = ParseAuthorization(*authz_value);
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  EXPECT_EQ(auth->access_key_id, ctx.akid);
  EXPECT_EQ(auth->region, ctx.region);
  EXPECT_EQ(auth->service, ctx.service);
  EXPECT_EQ(auth->signature, expected_sig);

  const std::string creq =
      CanonicalRequest(sreq, *auth, crypto::Sha256Hex(sreq.body), ctx.normalize);
  EXPECT_EQ(creq, expected_creq);
  const std::string sts = StringToSign(ctx.amz_date, auth->Scope(), creq);
  EXPECT_EQ(sts, expected_sts);
  const std::string key = DeriveSigningKey(ctx.secret, auth->date, ctx.region, ctx.service);
  EXPECT_EQ(ComputeSignature(key, sts), expected_sig);

  // Client side: sign request.txt the way aws-c-auth did and compare the header.
  {
    OwnedRequest unsigned_req = ParseHttpRequest(ReadFile(dir / "request.txt"));
    SignableRequest& r = unsigned_req.Get();
    if (ctx.sign_body) {
      r.headers.emplace_back("x-amz-content-sha256", crypto::Sha256Hex(r.body));
    }
    if (ctx.token && !ctx.omit_session_token) {
      r.headers.emplace_back("X-Amz-Security-Token", *ctx.token);
    }
    SignRequest(r, ctx.akid, ctx.secret, ctx.region, ctx.service, ctx.amz_date);
    const std::string path = r.target.substr(0, r.target.find('?'));
    // SignRequest signs the byte-exact path, so it reproduces the vector whenever
    // normalization does not change the path.
    if (!ctx.normalize || CanonicalUri(path, true) == CanonicalUri(path, false)) {
      EXPECT_EQ(*FindHeader(r, "authorization"), *authz_value);
    }
  }

  // Server side: the Verifier at the vector's timestamp.
  Credential cred{ctx.akid, ctx.secret, "123456789012", "arn:aws:iam::123456789012:user/t",
                  ctx.token};
  int lookups = 0;
  auto lookup = [&](std::string_view akid) -> Result<Credential> {
    ++lookups;
    if (akid != cred.access_key_id) return Status(ErrorCode::kUnrecognizedClient, "no");
    return cred;
  };
  const auto when = ParseAmzDate(ctx.amz_date);
  ASSERT_TRUE(when.has_value());
  for (PathMode mode : {ctx.normalize ? PathMode::kNormalized : PathMode::kExact,
                        PathMode::kEither}) {
    VerifyOptions opts;
    opts.path_mode = mode;
    Verifier verifier(lookup, opts, [&] { return *when; });
    auto result = verifier.Verify(sreq, ctx.service);
    if (ctx.omit_session_token) {
      // The token is sent but not signed (STS "header after" style): we insist on it
      // being signed.
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.status().code(), ErrorCode::kIncompleteSignature);
      continue;
    }
    ASSERT_TRUE(result.ok()) << result.status().message();
    EXPECT_EQ(result->access_key_id, ctx.akid);
    EXPECT_EQ(result->account_id, "123456789012");
    EXPECT_EQ(result->region, ctx.region);
    EXPECT_EQ(result->service, ctx.service);

    OwnedRequest tampered = signed_req;
    SignableRequest& treq = tampered.Get();
    FlipSignature(treq);
    auto bad = verifier.Verify(treq, ctx.service);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidSignature);
  }
}

INSTANTIATE_TEST_SUITE_P(Sigv4, Sigv4VectorTest, ::testing::ValuesIn(VectorNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// ---- Stage unit tests -----------------------------------------------------------------

TEST(Sigv4Parse, CommaSpaceAndCommaSeparators) {
  const std::string sig(64, 'a');
  const std::string forms[] = {
      "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kms/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=" + sig,
      "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kms/aws4_request,"
      "SignedHeaders=host;x-amz-date,Signature=" + sig,
      "  AWS4-HMAC-SHA256   Credential=AKID/20240102/us-east-1/kms/aws4_request  ,\t"
      "SignedHeaders=host;x-amz-date ,  Signature=" + sig + "  ",
      "AWS4-HMAC-SHA256 Signature=" + sig + ", SignedHeaders=host;x-amz-date, " +
          "Credential=AKID/20240102/us-east-1/kms/aws4_request",
  };
  for (const auto& f : forms) {
    auto a = ParseAuthorization(f);
    ASSERT_TRUE(a.ok()) << f << ": " << a.status().message();
    EXPECT_EQ(a->access_key_id, "AKID");
    EXPECT_EQ(a->date, "20240102");
    EXPECT_EQ(a->region, "us-east-1");
    EXPECT_EQ(a->service, "kms");
    EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
    EXPECT_EQ(a->signed_headers_raw, "host;x-amz-date");
    EXPECT_EQ(a->signature, sig);
    EXPECT_EQ(a->Scope(), "20240102/us-east-1/kms/aws4_request");
  }
  auto upper = ParseAuthorization("AWS4-HMAC-SHA256 Credential=A/20240102/r/s/aws4_request, "
                                  "SignedHeaders=Host;X-Amz-Date, Signature=" + sig);
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(upper->signed_headers_raw, "Host;X-Amz-Date");
}

TEST(Sigv4Parse, MalformedIsIncompleteSignature) {
  const std::string sig(64, 'a');
  const std::string cred = "Credential=AKID/20240102/us-east-1/kms/aws4_request";
  const std::string sh = "SignedHeaders=host;x-amz-date";
  const std::string bad[] = {
      "",
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA1 " + cred + ", " + sh + ", Signature=" + sig,
      "Credential=AKID/20240102/us-east-1/kms/aws4_request, " + sh + ", Signature=" + sig,
      "AWS4-HMAC-SHA256 " + sh + ", Signature=" + sig,
      "AWS4-HMAC-SHA256 " + cred + ", Signature=" + sig,
      "AWS4-HMAC-SHA256 " + cred + ", " + sh,
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=" + sig + ", Signature=" + sig,
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=" + sig + ", Foo=bar",
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=abc",
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=" + std::string(64, 'g'),
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature",
      "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kms, " + sh + ", Signature=" + sig,
      "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kms/aws4_request/x, " + sh +
          ", Signature=" + sig,
      "AWS4-HMAC-SHA256 Credential=AKID/2024012/us-east-1/kms/aws4_request, " + sh +
          ", Signature=" + sig,
      "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kms/aws5_request, " + sh +
          ", Signature=" + sig,
      "AWS4-HMAC-SHA256 Credential=/20240102/us-east-1/kms/aws4_request, " + sh +
          ", Signature=" + sig,
      "AWS4-HMAC-SHA256 Credential=AKID//us-east-1/kms/aws4_request, " + sh +
          ", Signature=" + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, Signature=" + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, Signature=" + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host x, Signature=" + sig,
  };
  for (const auto& b : bad) {
    auto a = ParseAuthorization(b);
    ASSERT_FALSE(a.ok()) << b;
    EXPECT_EQ(a.status().code(), ErrorCode::kIncompleteSignature) << b;
  }
}

// SignedHeaders is the canonical list: lowercase names in strictly ascending order, each once,
// and at most kMaxSignedHeaders of them. Anything else is no signer's output and could make
// the canonical request many times the size of the request (each name joins every value sent
// under it), so it is refused before any canonical request is built.
TEST(Sigv4Parse, SignedHeadersMustBeSortedOnceEachAndBounded) {
  const std::string head = "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kms/aws4_request, "
                           "SignedHeaders=";
  const std::string tail = ", Signature=" + std::string(64, 'a');
  for (const char* bad : {"x-amz-date;host", "host;host;x-amz-date", "host;x-amz-date;x-amz-date",
                          "Host;host;x-amz-date", "host;x-amz-target;x-amz-date"}) {
    auto a = ParseAuthorization(head + bad + tail);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.status().code(), ErrorCode::kIncompleteSignature) << bad;
    EXPECT_NE(a.status().message().find("must be sorted and listed once"), std::string::npos)
        << a.status().message();
  }
  // Sorted once lowercased: accepted as before (the raw list is what is signed).
  auto mixed = ParseAuthorization(head + "A;b;Host;x-amz-date" + tail);
  ASSERT_TRUE(mixed.ok()) << mixed.status().message();
  EXPECT_EQ(mixed->signed_headers, (std::vector<std::string>{"a", "b", "host", "x-amz-date"}));

  auto names = [](size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "h%03zu;", i);
      out += buf;
    }
    return out + "host";  // 'h000' < ... < 'h999' < 'host'
  };
  auto most = ParseAuthorization(head + names(kMaxSignedHeaders - 1) + tail);
  ASSERT_TRUE(most.ok()) << most.status().message();
  EXPECT_EQ(most->signed_headers.size(), kMaxSignedHeaders);
  auto over = ParseAuthorization(head + names(kMaxSignedHeaders) + tail);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::kIncompleteSignature);
  EXPECT_NE(over.status().message().find("more than 64 header names"), std::string::npos);
}

TEST(Sigv4Stages, CanonicalUri) {
  EXPECT_EQ(CanonicalUri("", false), "/");
  EXPECT_EQ(CanonicalUri("", true), "/");
  EXPECT_EQ(CanonicalUri("/", false), "/");
  EXPECT_EQ(CanonicalUri("/prefix/", false), "/prefix/");
  EXPECT_EQ(CanonicalUri("//a//b/../c/./", false), "//a//b/../c/./");
  EXPECT_EQ(CanonicalUri("//a//b/../c/./", true), "/a/c/");
  EXPECT_EQ(CanonicalUri("/a b/%2F", false), "/a%20b/%252F");  // double encoding
  EXPECT_EQ(CanonicalUri("/..", true), "/");
}

TEST(Sigv4Stages, CanonicalQuery) {
  EXPECT_EQ(CanonicalQuery(""), "");
  EXPECT_EQ(CanonicalQuery("b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(CanonicalQuery("flag&x="), "flag=&x=");
  EXPECT_EQ(CanonicalQuery("k=a%20b&k2=a b"), "k=a%20b&k2=a%20b");
  EXPECT_EQ(CanonicalQuery("k=%zz"), "k=%25zz");
  EXPECT_EQ(CanonicalQuery("k=/+"), "k=%2F%2B");
}

TEST(Sigv4Stages, CanonicalHeadersJoinsTrimsAndCollapses) {
  SignableRequest r;
  r.headers = {{"Host", " example.com "}, {"X-A", "  a   b\t c "}, {"x-a", "d"},
               {"X-B", "v"}, {"Unsigned", "z"}};
  EXPECT_EQ(CanonicalHeaders(r, {"host", "x-a", "x-b"}),
            "host:example.com\nx-a:a b c,d\nx-b:v\n");
}

// One pass over the request's headers, grouped by lowercased name: values stay in the order
// sent whatever the case of each occurrence, and the output is linear in the request.
TEST(Sigv4Stages, CanonicalHeadersGroupsInOnePass) {
  SignableRequest r;
  r.headers = {{"X-B", "1"}, {"x-a", "2"}, {"X-A", "3"}, {"x-b", "4"}, {"Other", "5"}};
  EXPECT_EQ(CanonicalHeaders(r, {"absent", "x-a", "x-b"}), "absent:\nx-a:2,3\nx-b:1,4\n");

  // The amplification shape (thousands of headers under one name, many signed names): the
  // result holds each value once.
  SignableRequest many;
  for (int i = 0; i < 4000; ++i) many.headers.emplace_back(i % 2 ? "A" : "a", "v");
  std::vector<std::string> signed_names{"a"};
  for (int i = 0; i < 63; ++i) signed_names.push_back("b" + std::to_string(100 + i));
  const std::string out = CanonicalHeaders(many, signed_names);
  EXPECT_LT(out.size(), 4000u * 2 + 64u * 8);
  EXPECT_EQ(out.substr(0, 6), "a:v,v,");
}

TEST(Sigv4Stages, DateParsing) {
  auto t = ParseAmzDate("20240229T235960Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatAmzDate(*ParseAmzDate("20240102T030405Z")), "20240102T030405Z");
  for (const char* bad : {"", "20240102T030405", "20240102 030405Z", "2024-01-02T03:04:05Z",
                          "20241302T030405Z", "20230229T000000Z", "20240102T240000Z",
                          "2024010aT030405Z", "20240102T030405z"}) {
    EXPECT_FALSE(ParseAmzDate(bad).has_value()) << bad;
  }
  // Four-digit years past system_clock's nanosecond range are held at its edge (found by
  // sigv4_fuzzer: "60150831T123600Z" overflowed the conversion).
  auto far = ParseAmzDate("60150831T123600Z");
  ASSERT_TRUE(far.has_value());
  EXPECT_EQ(FormatAmzDate(*far), "22000101T000000Z");
  EXPECT_EQ(FormatAmzDate(*ParseAmzDate("00010101T000000Z")), "19000101T000000Z");
  auto h = ParseHttpDate("Tue, 02 Jan 2024 03:04:05 GMT");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(FormatAmzDate(*h), "20240102T030405Z");
  EXPECT_FALSE(ParseHttpDate("Tue, 02 Foo 2024 03:04:05 GMT").has_value());
}

// ---- Verifier ---------------------------------------------------------------------------

constexpr char kAkid[] = "AKIDTESTKEY0000001";
constexpr char kSecret[] = "secret/key+one";
constexpr char kAmzDate[] = "20240102T030405Z";

system_clock::time_point T0() { return *ParseAmzDate(kAmzDate); }

struct Fixture {
  std::map<std::string, Credential, std::less<>> creds;
  std::atomic<int> lookups{0};

  Fixture() {
    creds[kAkid] = Credential{kAkid, kSecret, "111122223333",
                              "arn:aws:iam::111122223333:user/alice", std::nullopt};
  }
  CredentialLookup Lookup() {
    return [this](std::string_view akid) -> Result<Credential> {
      ++lookups;
      auto it = creds.find(akid);
      if (it == creds.end()) {
        return Status(ErrorCode::kUnrecognizedClient,
                      "The security token included in the request is invalid.");
      }
      return it->second;
    };
  }
};

OwnedRequest MakeRequest(std::string body = "{}") {
  OwnedRequest o;
  o.body = std::move(body);
  o.req.method = "POST";
  o.req.target = "/";
  o.req.headers = {{"Host", "localhost:8443"},
                   {"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Target", "secretsmanager.ListSecrets"}};
  o.Get();
  return o;
}

OwnedRequest MakeSigned(std::string_view akid = kAkid, std::string_view secret = kSecret,
                        std::string_view token = {}, std::string_view service = "secretsmanager",
                        std::string_view region = "us-east-1") {
  OwnedRequest o = MakeRequest();
  SignRequest(o.Get(), akid, secret, region, service, kAmzDate, token);
  return o;
}

Verifier MakeVerifier(Fixture& f, VerifyOptions opts = {},
                      system_clock::time_point now = T0()) {
  return Verifier(f.Lookup(), std::move(opts), [now] { return now; });
}

void ExpectError(const Result<VerifiedCaller>& r, ErrorCode code,
                 std::string_view message_prefix = {}) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().message();
  EXPECT_EQ(r.status().message().substr(0, message_prefix.size()), message_prefix);
}

void ReplaceInHeader(SignableRequest& req, std::string_view name, std::string_view from,
                     std::string_view to) {
  std::string* v = MutableHeader(req, name);
  ASSERT_NE(v, nullptr);
  const size_t p = v->find(from);
  ASSERT_NE(p, std::string::npos) << *v;
  v->replace(p, from.size(), to);
}

// The reviewed amplification: a known key id, thousands of empty headers under one name and
// that name signed thousands of times. Refused from the Authorization header alone: no key is
// looked up and no canonical request is built.
TEST(Sigv4Verify, RepeatedSignedHeaderNamesAreRefusedBeforeTheKeyIsLookedUp) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned();
  std::string repeated;
  for (int i = 0; i < 7000; ++i) repeated += ";a";
  for (int i = 0; i < 4000; ++i) o.Get().headers.emplace_back("a", "");
  ReplaceInHeader(o.Get(), "authorization", "x-amz-target, Signature=",
                  "x-amz-target" + repeated + ", Signature=");
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature,
              "Invalid SignedHeaders");
  EXPECT_EQ(f.lookups.load(), 0);
}

TEST(Sigv4Verify, SignRoundTrip) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned();
  const std::string* authz = FindHeader(o.Get(), "authorization");
  ASSERT_NE(authz, nullptr);
  EXPECT_NE(authz->find("Credential=AKIDTESTKEY0000001/20240102/us-east-1/secretsmanager/"
                        "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                        "x-amz-target, Signature="),
            std::string::npos)
      << *authz;
  auto r = v.Verify(o.Get(), "secretsmanager");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->access_key_id, kAkid);
  EXPECT_EQ(r->account_id, "111122223333");
  EXPECT_EQ(r->principal_arn, "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(r->region, "us-east-1");
  EXPECT_EQ(r->service, "secretsmanager");
}

TEST(Sigv4Verify, CommaWithoutSpaceSeparatorVerifies) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned();
  std::string* a = MutableHeader(o.Get(), "authorization");
  std::string s = *a;
  for (size_t p; (p = s.find(", ")) != std::string::npos;) s.replace(p, 2, ",");
  *a = s;
  EXPECT_TRUE(v.Verify(o.Get(), "secretsmanager").ok()) << s;
  *a = "  " + s + "\t";
  for (size_t p; (p = a->find(",S")) != std::string::npos;) a->replace(p, 2, " ,\tS");
  EXPECT_TRUE(v.Verify(o.Get(), "secretsmanager").ok()) << *a;
}

TEST(Sigv4Verify, MissingAuthorization) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeRequest();
  o.Get().headers.emplace_back("X-Amz-Date", kAmzDate);
  auto r = v.Verify(o.Get(), "secretsmanager");
  ExpectError(r, ErrorCode::kMissingAuthToken, "Missing Authentication Token");
  EXPECT_EQ(f.lookups, 0);
  EXPECT_EQ(ParseOnly(o.Get()).status().code(), ErrorCode::kMissingAuthToken);
}

TEST(Sigv4Verify, DuplicateOrMalformedAuthorization) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned();
  const std::string authz = *FindHeader(o.Get(), "authorization");
  o.Get().headers.emplace_back("authorization", authz);
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature);

  OwnedRequest m = MakeSigned();
  ReplaceInHeader(m.Get(), "authorization", "Credential=", "Credentials=");
  ExpectError(v.Verify(m.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(f.lookups, 0);
}

TEST(Sigv4Verify, ParseOnlyReadsRegionAndKey) {
  OwnedRequest o = MakeSigned(kAkid, kSecret, {}, "kms", "eu-west-3");
  auto a = ParseOnly(o.Get());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->access_key_id, kAkid);
  EXPECT_EQ(a->region, "eu-west-3");
  EXPECT_EQ(a->service, "kms");
}

TEST(Sigv4Verify, MissingOrGarbledAmzDate) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned();
  std::erase_if(o.Get().headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature,
              "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date'");

  OwnedRequest g = MakeSigned();
  *MutableHeader(g.Get(), "x-amz-date") = "2024-01-02T03:04:05Z";
  ExpectError(v.Verify(g.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature,
              "Date must be in ISO-8601 'basic format'");
}

TEST(Sigv4Verify, ScopeDateMismatch) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned();
  ReplaceInHeader(o.Get(), "authorization", "/20240102/", "/20240101/");
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kInvalidSignature,
              "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
              "from HTTP: '20240101' != '20240102', from '20240102T030405Z'.");
}

TEST(Sigv4Verify, ClockSkew) {
  Fixture f;
  OwnedRequest o = MakeSigned();
  {
    Verifier v = MakeVerifier(f, {}, T0() + std::chrono::minutes(16));
    ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kInvalidSignature,
                "Signature expired: 20240102T030405Z is now earlier than 20240102T030505Z "
                "(20240102T032005Z - 15 min.)");
  }
  {
    Verifier v = MakeVerifier(f, {}, T0() - std::chrono::minutes(16));
    ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kInvalidSignature,
                "Signature not yet current: 20240102T030405Z is still later than "
                "20240102T030305Z (20240102T024805Z + 15 min.)");
  }
  for (auto d : {std::chrono::minutes(-15), std::chrono::minutes(-1), std::chrono::minutes(0),
                 std::chrono::minutes(14), std::chrono::minutes(15)}) {
    Verifier v = MakeVerifier(f, {}, T0() + d);
    EXPECT_TRUE(v.Verify(o.Get(), "secretsmanager").ok()) << d.count();
  }
  {
    VerifyOptions opts;
    opts.ignore_skew = true;
    Verifier v = MakeVerifier(f, opts, T0() + std::chrono::hours(24 * 30));
    EXPECT_TRUE(v.Verify(o.Get(), "secretsmanager").ok());
  }
  {
    VerifyOptions opts;
    opts.max_skew = std::chrono::seconds(60);
    Verifier v = MakeVerifier(f, opts, T0() + std::chrono::seconds(61));
    ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kInvalidSignature,
                "Signature expired:");
    Verifier ok = MakeVerifier(f, opts, T0() + std::chrono::seconds(60));
    EXPECT_TRUE(ok.Verify(o.Get(), "secretsmanager").ok());
  }
}

TEST(Sigv4Verify, WrongServiceScope) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned(kAkid, kSecret, {}, "kms");
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kInvalidSignature,
              "Credential should be scoped to correct service: 'secretsmanager'.");
  EXPECT_TRUE(v.Verify(o.Get(), "kms").ok());
}

TEST(Sigv4Verify, AllowedRegions) {
  Fixture f;
  VerifyOptions opts;
  opts.allowed_regions = {"us-east-1", "eu-west-1"};
  Verifier v = MakeVerifier(f, opts);
  EXPECT_TRUE(v.Verify(MakeSigned().Get(), "secretsmanager").ok());
  OwnedRequest o = MakeSigned(kAkid, kSecret, {}, "secretsmanager", "ap-south-1");
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kInvalidSignature,
              "Credential should be scoped to a valid region, not 'ap-south-1'.");
  Verifier any = MakeVerifier(f);
  EXPECT_TRUE(any.Verify(o.Get(), "secretsmanager").ok());
}

TEST(Sigv4Region, RegionNames) {
  for (const char* ok : {"us-east-1", "us-west-2", "eu-west-1", "eu-central-2", "ap-southeast-7",
                         "ap-northeast-3", "cn-north-1", "cn-northwest-1", "us-gov-west-1",
                         "us-gov-east-1", "us-iso-east-1", "us-isob-east-1", "us-isof-south-1",
                         "eu-isoe-west-1", "eusc-de-east-1", "il-central-1", "mx-central-1",
                         "sa-east-1", "me-central-1", "af-south-1", "ca-west-1"}) {
    EXPECT_TRUE(IsRegionName(ok)) << ok;
    EXPECT_TRUE(CheckScopeRegion(ok).ok()) << ok;
  }
  for (const char* bad : {"", "us-east-1:123456789012:secret:dev-", "us-east-1*", "*",
                          "local", "localhost", "US-EAST-1", "us-east", "us-1", "us--east-1",
                          "-us-east-1", "us-east-1-", "us-east-1a", "us-east-1 ", "u-east-1",
                          "abcde-east-1", "us-east-1/x", "us-east-1\n", "us-easternmost-region-1-1",
                          "us-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1"}) {
    EXPECT_FALSE(IsRegionName(bad)) << bad;
    Status st = CheckScopeRegion(bad);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidSignature) << bad;
    EXPECT_EQ(st.message(),
              "Credential should be scoped to a valid region, not '" + std::string(bad) + "'.");
  }
}

// The scope's region becomes the region of every ARN the call authorizes: a region such as
// "us-east-1:123456789012:secret:dev-" would build ARNs a policy on "...:secret:dev-*"
// matches whatever the secret's name. Refused, signed correctly or not, before the key is
// looked up; the header form and a presigned URL alike.
TEST(Sigv4Verify, ScopeRegionMustBeARegionName) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  const std::string forged = "us-east-1:123456789012:secret:dev-";
  OwnedRequest o = MakeSigned(kAkid, kSecret, {}, "secretsmanager", forged);
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kInvalidSignature,
              "Credential should be scoped to a valid region, not '" + forged + "'.");
  EXPECT_EQ(f.lookups.load(), 0);
  for (const char* region : {"us-gov-west-1", "cn-north-1", "eu-west-3", "ap-southeast-2"}) {
    OwnedRequest ok = MakeSigned(kAkid, kSecret, {}, "secretsmanager", region);
    auto r = v.Verify(ok.Get(), "secretsmanager");
    ASSERT_TRUE(r.ok()) << region << ": " << r.status().message();
    EXPECT_EQ(r->region, region);
  }
}

TEST(Sigv4Verify, UnknownAccessKey) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned("AKIDUNKNOWN", kSecret);
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kUnrecognizedClient,
              "The security token included in the request is invalid.");
}

TEST(Sigv4Verify, HostAndDateMustBeSigned) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned();
  ReplaceInHeader(o.Get(), "authorization", "SignedHeaders=content-type;host;",
                  "SignedHeaders=content-type;");
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature,
              "'Host' or ':authority' must be a 'SignedHeader'");

  OwnedRequest d = MakeSigned();
  ReplaceInHeader(d.Get(), "authorization", ";x-amz-date;", ";");
  ExpectError(v.Verify(d.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature,
              "'X-Amz-Date' must be a 'SignedHeader'");

  // Host added after signing is not in SignedHeaders either.
  OwnedRequest h = MakeRequest();
  std::erase_if(h.Get().headers, [](const auto& x) { return x.first == "Host"; });
  SignRequest(h.Get(), kAkid, kSecret, "us-east-1", "secretsmanager", kAmzDate);
  h.Get().headers.emplace_back("Host", "localhost:8443");
  ExpectError(v.Verify(h.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(f.lookups, 0);
}

// The target selects the operation: a signature that does not cover it could be replayed
// as another operation with the same body (GetSecretValue -> DeleteSecret).
TEST(Sigv4Verify, TargetMustBeSignedWhenSent) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeRequest();
  std::string value = *FindHeader(o.Get(), "X-Amz-Target");
  std::erase_if(o.Get().headers, [](const auto& x) { return x.first == "X-Amz-Target"; });
  SignRequest(o.Get(), kAkid, kSecret, "us-east-1", "secretsmanager", kAmzDate);
  o.Get().headers.emplace_back("X-Amz-Target", value);
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature,
              "'X-Amz-Target' must be a 'SignedHeader'");
  EXPECT_EQ(f.lookups, 0);
}

// As AWS: Content-Type may be left out of SignedHeaders (the AWS SDK for JavaScript v2 never
// signs it), and a request without one at all verifies too.
TEST(Sigv4Verify, ContentTypeMayBeUnsigned) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeRequest();
  std::string value = *FindHeader(o.Get(), "Content-Type");
  std::erase_if(o.Get().headers, [](const auto& x) { return x.first == "Content-Type"; });
  SignRequest(o.Get(), kAkid, kSecret, "us-east-1", "secretsmanager", kAmzDate);
  auto bare = v.Verify(o.Get(), "secretsmanager");
  EXPECT_TRUE(bare.ok()) << bare.status().message();
  o.Get().headers.emplace_back("Content-Type", value);
  auto unsigned_type = v.Verify(o.Get(), "secretsmanager");
  EXPECT_TRUE(unsigned_type.ok()) << unsigned_type.status().message();
}

// A presigned GET of STS GetCallerIdentity, signed in its query string as botocore's
// generate_presigned_url does (X-Amz-Signature appended last, not part of what is signed).
OwnedRequest MakePresigned(std::string_view expires = "60", std::string_view token = {},
                           std::string_view secret = kSecret) {
  OwnedRequest o;
  o.req.method = "GET";
  o.req.target = std::string("/?Action=GetCallerIdentity&Version=2011-06-15") +
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
                 UriEncode(std::string(kAkid) + "/20240102/us-east-1/sts/aws4_request", true) +
                 "&X-Amz-Date=" + kAmzDate +
                 (expires.empty() ? "" : "&X-Amz-Expires=" + std::string(expires)) +
                 "&X-Amz-SignedHeaders=host" +
                 (token.empty() ? "" : "&X-Amz-Security-Token=" + UriEncode(token, true));
  o.req.headers = {{"Host", "localhost:8443"}};
  AuthorizationHeader a;
  a.access_key_id = kAkid;
  a.date = "20240102";
  a.region = "us-east-1";
  a.service = "sts";
  a.signed_headers = {"host"};
  a.signed_headers_raw = "host";
  const std::string canonical = CanonicalRequest(o.Get(), a, crypto::Sha256Hex(""), false);
  const std::string key = DeriveSigningKey(secret, a.date, a.region, a.service);
  o.req.target += "&X-Amz-Signature=" +
                  ComputeSignature(key, StringToSign(kAmzDate, a.Scope(), canonical));
  return o;
}

TEST(Sigv4Verify, PresignedUrlVerifiesUntilItExpires) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakePresigned();
  auto r = v.Verify(o.Get(), "sts");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->principal_arn, "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(r->service, "sts");
  // 60 seconds later it still verifies; 61 seconds later it has expired.
  EXPECT_TRUE(MakeVerifier(f, {}, T0() + std::chrono::seconds(60)).Verify(o.Get(), "sts").ok());
  ExpectError(MakeVerifier(f, {}, T0() + std::chrono::seconds(61)).Verify(o.Get(), "sts"),
              ErrorCode::kInvalidSignature,
              "Signature expired: 20240102T030405Z is now earlier than 20240102T030406Z "
              "(20240102T030506Z - 1 min.)");
  // Not yet valid beyond the clock skew allowed for header signatures.
  ExpectError(MakeVerifier(f, {}, T0() - std::chrono::minutes(16)).Verify(o.Get(), "sts"),
              ErrorCode::kInvalidSignature, "Signature not yet current");
  // Without X-Amz-Expires: the header form's window.
  OwnedRequest bare = MakePresigned("");
  EXPECT_TRUE(MakeVerifier(f, {}, T0() + std::chrono::minutes(15)).Verify(bare.Get(), "sts").ok());
  ExpectError(MakeVerifier(f, {}, T0() + std::chrono::minutes(16)).Verify(bare.Get(), "sts"),
              ErrorCode::kInvalidSignature, "Signature expired");
}

TEST(Sigv4Verify, PresignedUrlCoversItsQuery) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  auto tampered = [&](std::string_view from, std::string_view to) {
    OwnedRequest o = MakePresigned();
    const size_t at = o.req.target.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    o.req.target.replace(at, from.size(), to);
    return v.Verify(o.Get(), "sts");
  };
  ExpectError(tampered("Action=GetCallerIdentity", "Action=GetSessionToken"),
              ErrorCode::kInvalidSignature, "The request signature we calculated");
  ExpectError(tampered("X-Amz-Expires=60", "X-Amz-Expires=3600"),
              ErrorCode::kInvalidSignature, "The request signature we calculated");
  ExpectError(tampered("X-Amz-Expires=60", "X-Amz-Expires=604801"),
              ErrorCode::kIncompleteSignature, "X-Amz-Expires must be less than a week");
  ExpectError(tampered("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1"),
              ErrorCode::kIncompleteSignature, "Unsupported AWS 'algorithm'");
  ExpectError(tampered("&X-Amz-SignedHeaders=host", ""), ErrorCode::kIncompleteSignature,
              "AWS query-string parameters must include");
  ExpectError(tampered("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date"),
              ErrorCode::kIncompleteSignature, "'Host' or ':authority' must be");
  // The same SignedHeaders rules as the header form: sorted, each name once.
  ExpectError(tampered("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=host%3Bhost"),
              ErrorCode::kIncompleteSignature, "Invalid SignedHeaders: header names must be");
  ExpectError(tampered("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-a%3Bhost"),
              ErrorCode::kIncompleteSignature, "Invalid SignedHeaders: header names must be");
  // Signed with another secret: the signature does not match.
  OwnedRequest wrong = MakePresigned("60", {}, "another/secret");
  ExpectError(v.Verify(wrong.Get(), "sts"), ErrorCode::kInvalidSignature,
              "The request signature we calculated");
}

TEST(Sigv4Verify, PresignedUrlScopeRegionMustBeARegionName) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest presigned = MakePresigned();
  const size_t at = presigned.req.target.find("%2Fus-east-1%2F");
  ASSERT_NE(at, std::string::npos);
  presigned.req.target.replace(at, 15, "%2Fus-east-1%3A1%2F");
  ExpectError(v.Verify(presigned.Get(), "sts"), ErrorCode::kInvalidSignature,
              "Credential should be scoped to a valid region, not 'us-east-1:1'.");
  EXPECT_EQ(f.lookups.load(), 0);
}

TEST(Sigv4Verify, PresignedUrlCarriesItsSessionToken) {
  Fixture f;
  f.creds[kAkid].session_token = "tok/1+2";
  Verifier v = MakeVerifier(f);
  OwnedRequest with = MakePresigned("60", "tok/1+2");
  auto r = v.Verify(with.Get(), "sts");
  EXPECT_TRUE(r.ok()) << r.status().message();
  OwnedRequest without = MakePresigned("60");
  ExpectError(v.Verify(without.Get(), "sts"), ErrorCode::kUnrecognizedClient);
}

TEST(Sigv4Verify, SessionTokenMustBeSigned) {
  Fixture f;
  f.creds[kAkid].session_token = "tok-1";
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeSigned();
  o.Get().headers.emplace_back("X-Amz-Security-Token", "tok-1");
  ExpectError(v.Verify(o.Get(), "secretsmanager"), ErrorCode::kIncompleteSignature,
              "'X-Amz-Security-Token' must be a 'SignedHeader'");
}

TEST(Sigv4Verify, SessionTokens) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  // Long-term credential, request carries a token.
  ExpectError(v.Verify(MakeSigned(kAkid, kSecret, "tok-1").Get(), "secretsmanager"),
              ErrorCode::kUnrecognizedClient,
              "The security token included in the request is invalid.");

  f.creds[kAkid].session_token = "tok-1";
  OwnedRequest good = MakeSigned(kAkid, kSecret, "tok-1");
  EXPECT_NE(FindHeader(good.Get(), "authorization")->find("x-amz-security-token"),
            std::string::npos);
  auto r = v.Verify(good.Get(), "secretsmanager");
  EXPECT_TRUE(r.ok()) << r.status().message();
  ExpectError(v.Verify(MakeSigned(kAkid, kSecret, "tok-2").Get(), "secretsmanager"),
              ErrorCode::kUnrecognizedClient);
  // Temporary credential, request carries no token.
  ExpectError(v.Verify(MakeSigned().Get(), "secretsmanager"), ErrorCode::kUnrecognizedClient);
}

TEST(Sigv4Verify, SignatureMismatch) {
  Fixture f;
  std::string logged_creq;
  VerifyOptions opts;
  opts.on_mismatch = [&](std::string_view creq, std::string_view) { logged_creq = creq; };
  Verifier v = MakeVerifier(f, opts);
  const std::string msg =
      "The request signature we calculated does not match the signature you provided. Check "
      "your AWS Secret Access Key and signing method. Consult the service documentation for "
      "details.";

  ExpectError(v.Verify(MakeSigned(kAkid, "wrong-secret").Get(), "secretsmanager"),
              ErrorCode::kInvalidSignature, msg);
  EXPECT_EQ(v.Verify(MakeSigned(kAkid, "wrong-secret").Get(), "secretsmanager")
                .status()
                .message(),
            msg);
  EXPECT_NE(logged_creq.find("x-amz-target:secretsmanager.ListSecrets\n"), std::string::npos);

  OwnedRequest flipped = MakeSigned();
  FlipSignature(flipped.Get());
  ExpectError(v.Verify(flipped.Get(), "secretsmanager"), ErrorCode::kInvalidSignature, msg);

  OwnedRequest body = MakeSigned();
  body.body = "{ }";
  ExpectError(v.Verify(body.Get(), "secretsmanager"), ErrorCode::kInvalidSignature, msg);

  OwnedRequest header = MakeSigned();
  *MutableHeader(header.Get(), "x-amz-target") = "secretsmanager.DeleteSecret";
  ExpectError(v.Verify(header.Get(), "secretsmanager"), ErrorCode::kInvalidSignature, msg);

  OwnedRequest path = MakeSigned();
  path.Get().target = "/other/";
  ExpectError(v.Verify(path.Get(), "secretsmanager"), ErrorCode::kInvalidSignature, msg);

  OwnedRequest upper = MakeSigned();
  std::string* a = MutableHeader(upper.Get(), "authorization");
  const size_t p = a->find("Signature=") + 10;
  std::transform(a->begin() + p, a->end(), a->begin() + p, ::toupper);
  ExpectError(v.Verify(upper.Get(), "secretsmanager"), ErrorCode::kInvalidSignature);

  // Unsigned headers may change freely.
  OwnedRequest extra = MakeSigned();
  extra.Get().headers.emplace_back("User-Agent", "aws-cli/2.9.19");
  EXPECT_TRUE(v.Verify(extra.Get(), "secretsmanager").ok());
}

TEST(Sigv4Verify, PrefixPathAndQuery) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeRequest();
  o.Get().target = "/prefix/?b=2&a=1";
  SignRequest(o.Get(), kAkid, kSecret, "us-east-1", "secretsmanager", kAmzDate);
  EXPECT_TRUE(v.Verify(o.Get(), "secretsmanager").ok());
}

TEST(Sigv4Verify, PathModes) {
  Fixture f;
  // botocore-style: the client signs the normalized path but sends "//prefix/./".
  OwnedRequest o = MakeRequest();
  o.Get().target = "/prefix/";
  SignRequest(o.Get(), kAkid, kSecret, "us-east-1", "secretsmanager", kAmzDate);
  o.Get().target = "//prefix/./";
  VerifyOptions exact;
  ExpectError(MakeVerifier(f, exact).Verify(o.Get(), "secretsmanager"),
              ErrorCode::kInvalidSignature);
  VerifyOptions norm;
  norm.path_mode = PathMode::kNormalized;
  EXPECT_TRUE(MakeVerifier(f, norm).Verify(o.Get(), "secretsmanager").ok());
  VerifyOptions either;
  either.path_mode = PathMode::kEither;
  EXPECT_TRUE(MakeVerifier(f, either).Verify(o.Get(), "secretsmanager").ok());
}

TEST(Sigv4Verify, DateHeaderFallback) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  OwnedRequest o = MakeRequest();
  SignableRequest& r = o.Get();
  r.headers.emplace_back("Date", "Tue, 02 Jan 2024 03:04:05 GMT");
  AuthorizationHeader a;
  a.access_key_id = kAkid;
  a.date = "20240102";
  a.region = "us-east-1";
  a.service = "secretsmanager";
  a.signed_headers = {"content-type", "date", "host", "x-amz-target"};
  a.signed_headers_raw = "content-type;date;host;x-amz-target";
  const std::string creq = CanonicalRequest(r, a, crypto::Sha256Hex(r.body), false);
  const std::string sig = ComputeSignature(
      DeriveSigningKey(kSecret, a.date, a.region, a.service),
      StringToSign(kAmzDate, a.Scope(), creq));
  r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" +
                                              std::string(kAkid) + "/" + a.Scope() +
                                              ", SignedHeaders=" + a.signed_headers_raw +
                                              ", Signature=" + sig);
  auto res = v.Verify(r, "secretsmanager");
  EXPECT_TRUE(res.ok()) << res.status().message();
}

TEST(Sigv4Verify, SigningKeyCacheTracksSecret) {
  Fixture f;
  f.creds["AKID2"] = Credential{"AKID2", "other-secret", "444455556666",
                                "arn:aws:iam::444455556666:user/bob", std::nullopt};
  Verifier v = MakeVerifier(f);
  OwnedRequest a1 = MakeSigned(kAkid, kSecret);
  OwnedRequest b1 = MakeSigned("AKID2", "other-secret");
  for (int i = 0; i < 3; ++i) {
    auto ra = v.Verify(a1.Get(), "secretsmanager");
    ASSERT_TRUE(ra.ok());
    EXPECT_EQ(ra->account_id, "111122223333");
    auto rb = v.Verify(b1.Get(), "secretsmanager");
    ASSERT_TRUE(rb.ok());
    EXPECT_EQ(rb->account_id, "444455556666");
    // Each key signed with the other's secret fails.
    EXPECT_FALSE(v.Verify(MakeSigned(kAkid, "other-secret").Get(), "secretsmanager").ok());
    EXPECT_FALSE(v.Verify(MakeSigned("AKID2", kSecret).Get(), "secretsmanager").ok());
  }
  EXPECT_EQ(v.CachedSigningKeys(), 2u);

  // Rotating the secret of a cached (akid, date, region, service) must not reuse the
  // stale key.
  f.creds[kAkid].secret_access_key = "rotated-secret";
  ExpectError(v.Verify(a1.Get(), "secretsmanager"), ErrorCode::kInvalidSignature);
  EXPECT_TRUE(v.Verify(MakeSigned(kAkid, "rotated-secret").Get(), "secretsmanager").ok());
  EXPECT_EQ(v.CachedSigningKeys(), 2u);

  // Different scopes are different entries.
  EXPECT_TRUE(v.Verify(MakeSigned("AKID2", "other-secret", {}, "kms").Get(), "kms").ok());
  EXPECT_EQ(v.CachedSigningKeys(), 3u);
}

TEST(Sigv4Verify, SigningKeyCacheIsBounded) {
  Fixture f;
  Verifier v = MakeVerifier(f);
  const size_t n = Verifier::kMaxCachedKeys + 10;
  for (size_t i = 0; i < n; ++i) {
    // A region name per request ("us-test-0", "us-test-1", ...): a scope each.
    OwnedRequest o =
        MakeSigned(kAkid, kSecret, {}, "secretsmanager", "us-test-" + std::to_string(i));
    ASSERT_TRUE(v.Verify(o.Get(), "secretsmanager").ok());
    ASSERT_LE(v.CachedSigningKeys(), Verifier::kMaxCachedKeys);
  }
}

TEST(Sigv4Verify, ConcurrentVerify) {
  Fixture f;
  f.creds["AKID2"] = Credential{"AKID2", "s2", "2", "p2", std::nullopt};
  Verifier v = MakeVerifier(f);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      OwnedRequest a = MakeSigned(t % 2 ? kAkid : "AKID2", t % 2 ? kSecret : "s2");
      for (int i = 0; i < 200; ++i) {
        if (!v.Verify(a.Get(), "secretsmanager").ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace arcana::auth
