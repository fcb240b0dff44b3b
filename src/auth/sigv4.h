// AWS Signature Version 4 (header form), as pure stages over a transport-neutral request
// view, plus the server-side Verifier used by the authenticate stage.
//
// Stages (docs: aws-wire-contracts.md section 3):
//   ParseAuthorization -> CanonicalRequest (CanonicalUri, CanonicalQuery, CanonicalHeaders)
//   -> StringToSign -> DeriveSigningKey -> ComputeSignature.
// Every stage is a pure function so each one is checked against the AWS test-suite
// vectors (tests/testdata/sigv4). A presigned URL (the signature in the query string) is
// verified by the same stages and rules (Verifier::Verify).
//
// Thread-safety: free functions are reentrant. Verifier::Verify is const and safe to call
// concurrently (the signing-key cache is mutex-protected); the CredentialLookup and clock
// it was given must be thread-safe too.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "crypto/secure_memory.h"

namespace arcana::auth {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kSigV4Terminator = "aws4_request";
// Hex SHA-256 of the empty string.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// What SigV4 needs from an HTTP request. The server fills it from its Beast request;
// `body` must view the exact bytes received and outlive the Verify call.
struct SignableRequest {
  std::string method;  // "POST"
  std::string target;  // raw request-target incl. query, e.g. "/?a=b" or "/prefix/"
  // As received, any case, duplicates allowed, in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

// Parsed "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=h1;h2, Signature=hex".
struct AuthorizationHeader {
  std::string access_key_id;
  std::string date;  // YYYYMMDD (scope date)
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lowercased, in the order sent
  std::string signed_headers_raw;           // exactly as sent
  std::string signature;                    // 64 hex chars, as sent

  // "<date>/<region>/<service>/aws4_request"
  std::string Scope() const;
};

// First header named `name` (ASCII case-insensitive) or nullptr.
const std::string* FindHeader(const SignableRequest& req, std::string_view name);
// Number of headers named `name` (case-insensitive).
size_t CountHeaders(const SignableRequest& req, std::string_view name);

// Most names a SignedHeaders list may have. The SDKs sign about ten headers (botocore: every
// header but a few hop-by-hop ones, JS v3 also content-length and x-amz-user-agent).
inline constexpr size_t kMaxSignedHeaders = 64;

// Parses an Authorization header value. Accepts ", " or "," between the three
// components and extra whitespace anywhere between tokens. Malformed (wrong algorithm,
// missing/duplicate/unknown component, credential not 5 '/'-separated parts, bad date,
// terminator other than aws4_request, empty SignedHeaders entry, SignedHeaders not in
// strictly ascending order once lowercased (a name listed twice included) or longer than
// kMaxSignedHeaders, signature not 64 hex) -> kIncompleteSignature.
Result<AuthorizationHeader> ParseAuthorization(std::string_view header);

// A region name as a credential scope may carry one: lowercase words joined by '-', the
// first of 2 to 4 letters, ending in a number ("us-east-1", "us-gov-west-1", "cn-north-1",
// "us-isob-east-1", "eusc-de-east-1"), at most kMaxRegionLength characters. The scope's
// region becomes the region of every ARN the call builds and authorizes, so nothing else
// (':' or '*' in particular, which would let a caller forge an ARN its policies match) may
// pass.
inline constexpr size_t kMaxRegionLength = 32;
bool IsRegionName(std::string_view region);
// OK, or kInvalidSignature "Credential should be scoped to a valid region, not 'R'." (AWS's
// words for a scope region it does not serve) unless IsRegionName(region).
Status CheckScopeRegion(std::string_view region);

// Dev mode (no verification): finds the single Authorization header and parses it so the
// server can read the access key id and region. Missing -> kMissingAuthToken; malformed
// or repeated -> kIncompleteSignature.
Result<AuthorizationHeader> ParseOnly(const SignableRequest& req);

// RFC 3986 percent-encoding: unreserved (A-Z a-z 0-9 - _ . ~) kept, everything else as
// %XX (upper-case hex); '/' is kept when !encode_slash.
std::string UriEncode(std::string_view s, bool encode_slash);
// Percent-decodes; malformed escapes are kept literally. '+' is not a space.
std::string UriDecode(std::string_view s);

// Canonical URI of a request path (the target without its query). The path is taken as
// the client's byte string and encoded once more (which is what the SDKs' non-S3
// "double encoding" produces from the path they sent). normalize=true first removes
// "." and ".." segments and collapses duplicate slashes (botocore / the *-normalized
// vectors); normalize=false is byte-exact. Empty -> "/".
std::string CanonicalUri(std::string_view path, bool normalize);
// Canonical query string from the raw query (without '?'): each name and value decoded
// then re-encoded, sorted by name then value, "name=value" joined by '&'.
std::string CanonicalQuery(std::string_view query);
// "name:value\n" for each signed header name (in the given order). The value of repeated
// headers is joined by ',', each occurrence trimmed with internal whitespace runs
// collapsed to one space. Names x headers comparisons: bounded because ParseAuthorization
// admits at most kMaxSignedHeaders names, each once.
std::string CanonicalHeaders(const SignableRequest& req,
                             const std::vector<std::string>& signed_headers);
// The six-line canonical request. `payload_hash_hex` is hex SHA-256 of the body.
std::string CanonicalRequest(const SignableRequest& req, const AuthorizationHeader& auth,
                             std::string_view payload_hash_hex, bool normalize_path);
// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request". Raw 32 bytes.
std::string DeriveSigningKey(std::string_view secret_key, std::string_view date,
                             std::string_view region, std::string_view service);
// Lowercase hex HMAC-SHA256(signing_key, string_to_sign).
std::string ComputeSignature(std::string_view signing_key, std::string_view string_to_sign);

// "YYYYMMDDTHHMMSSZ" (UTC) <-> time point. Parse is strict (exact shape, valid fields).
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view s);
std::string FormatAmzDate(std::chrono::system_clock::time_point tp);
// RFC 1123 "Sun, 06 Nov 1994 08:49:37 GMT" (the `Date` header fallback).
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s);

// Client side, for tests and the bench. Removes any Authorization header, adds
// X-Amz-Security-Token (if session_token is non-empty and the header is absent) and
// X-Amz-Date = amz_date (if absent), then signs every header present (lowercased,
// sorted) with a byte-exact path and the body's SHA-256, and appends Authorization.
void SignRequest(SignableRequest& req, std::string_view akid, std::string_view secret,
                 std::string_view region, std::string_view service,
                 std::string_view amz_date, std::string_view session_token = {});

// ---- Verification -------------------------------------------------------------------

struct Credential {
  std::string access_key_id;
  crypto::SecretString secret_access_key;  // wiped whenever a copy is freed
  std::string account_id;
  std::string principal_arn;
  // Set for temporary credentials: the request must carry exactly this
  // X-Amz-Security-Token. Unset: the request must carry none.
  std::optional<std::string> session_token;
};
// Unknown key -> Status(kUnrecognizedClient, ...). Other errors pass through Verify.
using CredentialLookup = std::function<Result<Credential>(std::string_view access_key_id)>;

struct VerifiedCaller {
  std::string access_key_id;
  std::string account_id;
  std::string principal_arn;
  std::string region;   // from the credential scope
  std::string service;  // from the credential scope
};

// How the canonical URI is formed when verifying.
enum class PathMode {
  kExact,       // byte-exact path (JSON services send "/" or "/prefix/")
  kNormalized,  // dot segments removed, duplicate slashes collapsed (botocore's form)
  kEither,      // exact first; on mismatch, retry normalized if it differs (no cost for "/")
};

struct VerifyOptions {
  std::chrono::seconds max_skew{900};
  bool ignore_skew = false;
  PathMode path_mode = PathMode::kExact;
  // Regions accepted in the credential scope; empty = any region name (IsRegionName).
  std::vector<std::string> allowed_regions;
  // Called on a signature mismatch with the server's canonical request and string to
  // sign, for server-side debug logging only (never send these to the client).
  std::function<void(std::string_view canonical_request, std::string_view string_to_sign)>
      on_mismatch;
};

class Verifier {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  Verifier(CredentialLookup lookup, VerifyOptions opts,
           Clock clock = std::chrono::system_clock::now);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // expected_service: "secretsmanager" | "kms" | "ssm" (from X-Amz-Target).
  // The signature comes from the Authorization header or, when there is none and the query
  // string carries X-Amz-Algorithm, from the query string (a presigned URL: X-Amz-Credential,
  // -Date, -Expires, -SignedHeaders, -Signature and -Security-Token as parameters; the
  // canonical query leaves X-Amz-Signature out). Check order and errors:
  //  1. no Authorization header and no query-string signature -> kMissingAuthToken "Missing
  //     Authentication Token"; more than one header -> kIncompleteSignature
  //  2. malformed Authorization, or a query-string signature missing a parameter, with an
  //     algorithm other than AWS4-HMAC-SHA256 or X-Amz-Expires outside 1..604800
  //     -> kIncompleteSignature
  //  3. X-Amz-Date (header auth: fallback Date) missing or garbled -> kIncompleteSignature
  //  4. host, or x-amz-date (date when the Date fallback is used), not signed; or
  //     x-amz-security-token or x-amz-target headers present but not signed
  //     -> kIncompleteSignature (the target picks the operation: it must be covered).
  //     Content-Type may be unsigned, as at AWS.
  //  5. scope date != request date -> kInvalidSignature
  //  6. scope service != expected_service -> kInvalidSignature
  //     "Credential should be scoped to correct service: '<svc>'."
  //  7. scope region not a region name (CheckScopeRegion), or not in allowed_regions
  //     -> kInvalidSignature "Credential should be scoped to a valid region, not 'R'."
  //  8. skew > max_skew (unless ignore_skew) -> kInvalidSignature "Signature expired: ..."
  //     or "Signature not yet current: ..."; a presigned URL expires X-Amz-Expires seconds
  //     after its X-Amz-Date instead
  //  9. lookup error (unknown key -> kUnrecognizedClient) passes through
  // 10. session token mismatch -> kUnrecognizedClient
  // 11. signature mismatch -> kInvalidSignature "The request signature we calculated..."
  Result<VerifiedCaller> Verify(const SignableRequest& req,
                                std::string_view expected_service) const;

  // Number of cached signing keys (tests and metrics).
  size_t CachedSigningKeys() const;
  // Wipes every cached signing key (and the secret it came from), e.g. when sealing.
  void ClearCache() const;

  static constexpr size_t kMaxCachedKeys = 4096;

 private:
  struct Signed;  // what either form of signature gave (sigv4.cc)
  Result<Signed> FromQueryString(const SignableRequest& req) const;
  // Steps 5-11, common to both forms.
  Result<VerifiedCaller> Check(const SignableRequest& req, Signed parts,
                               std::string_view expected_service) const;
  // Signing key for (akid, date, region, service) under `secret`, from the cache when
  // the cached entry was derived from the same secret.
  std::string SigningKey(const AuthorizationHeader& auth, std::string_view secret) const;

  struct CacheEntry {  // SecretStrings: wiped when evicted, cleared or replaced
    crypto::SecretString secret;  // the secret it was derived from (detects rotated secrets)
    crypto::SecretString key;
  };

  CredentialLookup lookup_;
  VerifyOptions opts_;
  Clock clock_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, CacheEntry> cache_;  // guarded by mu_
};

}  // namespace arcana::auth
