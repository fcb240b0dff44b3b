// Fuzzes SigV4 parsing, of the Authorization header and of a signature in the query string
// (presigned URLs), and canonicalisation (auth/sigv4.h), and the verifier that runs them on
// every API call. Input: a request in the AWS test-suite text form (the seeds are
// AWS's SigV4 vectors and signed requests captured from the integration tests):
//   METHOD TARGET [HTTP/1.1]\n  Name:value\n ... \n  \n  body
// Lines starting with a space or tab continue the previous header value.
// Invariant checked: a request the client-side signer (SignRequest) signed with a known key
// never fails verification with a signature mismatch, i.e. the verifier's canonical form is
// the signer's for any bytes.
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/sigv4.h"

namespace {

using arcana::auth::Credential;
using arcana::auth::SignableRequest;

// 2015-08-30T12:36:00Z, the vectors' timestamp.
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));

arcana::Result<Credential> Lookup(std::string_view akid) {
  struct Known {
    const char* akid;
    const char* secret;
  };
  // The vectors' key and the integration tests' fixed keys (tests/integration/conftest.py).
  static const Known kKnown[] = {
      {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
      {"AKIDEXAMPLEDEVKEY001", "dev-secret-key-anything-goes"},
      {"AKIAARCANAROOTTEST01", "arcana/root/Secret+Key/ForIntegrationTests0001"},
  };
  for (const auto& k : kKnown) {
    if (akid == k.akid) {
      return Credential{k.akid, k.secret, "123456789012", "arn:aws:iam::123456789012:root",
                        std::nullopt};
    }
  }
  return arcana::Status(arcana::ErrorCode::kUnrecognizedClient, "unknown key");
}

const arcana::auth::Verifier& Strict() {
  static const arcana::auth::Verifier* v = new arcana::auth::Verifier(
      Lookup, arcana::auth::VerifyOptions{.path_mode = arcana::auth::PathMode::kExact},
      [] { return kNow; });
  return *v;
}

const arcana::auth::Verifier& Lenient() {
  static const arcana::auth::Verifier* v = new arcana::auth::Verifier(
      Lookup,
      arcana::auth::VerifyOptions{.ignore_skew = true,
                                  .path_mode = arcana::auth::PathMode::kEither},
      [] { return kNow; });
  return *v;
}

// Headers as they can arrive through the HTTP parser: token names, no control characters in
// values (Beast rejects the rest before SigV4 sees it).
bool WireShaped(const SignableRequest& req) {
  auto tchar = [](unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  };
  for (const auto& [name, value] : req.headers) {
    if (name.empty()) return false;
    for (unsigned char c : name) {
      if (!tchar(c)) return false;
    }
    for (unsigned char c : value) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
  }
  for (unsigned char c : req.target) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return !req.method.empty();
}

SignableRequest ParseText(std::string_view in, std::string& body) {
  SignableRequest req;
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  size_t sp = line.find(' ');
  req.method = std::string(line.substr(0, sp));
  if (sp != std::string_view::npos) {
    std::string_view rest = line.substr(sp + 1);
    size_t sp2 = rest.rfind(" HTTP/");
    req.target = std::string(rest.substr(0, sp2));
  }
  while (!in.empty()) {
    nl = in.find('\n');
    line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    if (line.empty() || line == "\r") break;
    if ((line[0] == ' ' || line[0] == '\t') && !req.headers.empty()) {
      req.headers.back().second += "\n";
      req.headers.back().second += line;
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    req.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(line.substr(colon + 1)));
  }
  body.assign(in);
  req.body = body;
  return req;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string body;
  SignableRequest req = ParseText(in, body);

  // The pure stages, on whatever the input holds.
  const std::string* authz = arcana::auth::FindHeader(req, "authorization");
  if (authz != nullptr) {
    auto parsed = arcana::auth::ParseAuthorization(*authz);
    if (parsed.ok()) {
      (void)arcana::auth::CanonicalRequest(req, *parsed, arcana::auth::kEmptyPayloadHash, true);
      (void)arcana::auth::CanonicalRequest(req, *parsed, arcana::auth::kEmptyPayloadHash, false);
    }
  }
  if (const std::string* d = arcana::auth::FindHeader(req, "x-amz-date")) {
    (void)arcana::auth::ParseAmzDate(*d);
  }
  if (const std::string* d = arcana::auth::FindHeader(req, "date")) {
    (void)arcana::auth::ParseHttpDate(*d);
  }
  std::string_view target = req.target;
  size_t q = target.find('?');
  (void)arcana::auth::CanonicalQuery(q == std::string_view::npos ? "" : target.substr(q + 1));
  (void)arcana::auth::UriDecode(target);
  (void)arcana::auth::ParseOnly(req);

  // The verifier, as the authenticate stage calls it.
  std::string service = "service";
  if (authz != nullptr) {
    auto parsed = arcana::auth::ParseAuthorization(*authz);
    if (parsed.ok()) service = parsed->service;
  }
  (void)Strict().Verify(req, service);
  (void)Lenient().Verify(req, service);

  // Sign with a known key, then verify: canonicalisation must agree with the signer's.
  // The signer keeps a date header already present (its string to sign would then use
  // another time than the one it is given), so the copy carries only the signer's date.
  SignableRequest signed_req = req;
  std::erase_if(signed_req.headers, [](const auto& h) {
    std::string n;
    for (char c : h.first) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return n == "x-amz-date" || n == "date";
  });
  arcana::auth::SignRequest(signed_req, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                            "us-east-1", "service", "20150830T123600Z");
  auto verified = Lenient().Verify(signed_req, "service");
  if (WireShaped(req) && !verified.ok() && verified.status().message().find("signature we calculated") !=
                            std::string::npos) {
    __builtin_trap();  // signer and verifier disagree on the canonical request
  }
  return 0;
}
