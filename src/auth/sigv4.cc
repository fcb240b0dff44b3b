#include "auth/sigv4.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "net/query_string.h"

namespace arcana::auth {
namespace {

using std::chrono::system_clock;

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = AsciiLower(c);
  return out;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// RFC 7230 token characters (header field names).
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == '~';
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status Incomplete(std::string msg) {
  return Status(ErrorCode::kIncompleteSignature, std::move(msg));
}
Status Invalid(std::string msg) { return Status(ErrorCode::kInvalidSignature, std::move(msg)); }

constexpr std::string_view kBadSignatureMessage =
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details.";
constexpr std::string_view kInvalidTokenMessage =
    "The security token included in the request is invalid.";

// botocore's remove_dot_segments: drops empty and "." segments, resolves "..", keeps a
// leading and (if anything remains) trailing slash.
std::string RemoveDotSegments(std::string_view path) {
  if (path.empty()) return std::string();
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view seg = path.substr(pos, next - pos);
    if (!seg.empty() && seg != ".") {
      if (seg == "..") {
        if (!out.empty()) out.pop_back();
      } else {
        out.push_back(seg);
      }
    }
    pos = next + 1;
  }
  std::string result;
  if (path.front() == '/') result.push_back('/');
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result.push_back('/');
    result.append(out[i]);
  }
  if (path.back() == '/' && !out.empty()) result.push_back('/');
  return result;
}

void AppendCanonicalValue(std::string& out, std::string_view value) {
  value = Trim(value);
  bool in_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      in_space = true;
      continue;
    }
    if (in_space) {
      out.push_back(' ');
      in_space = false;
    }
    out.push_back(c);
  }
}

struct RequestDate {
  system_clock::time_point when;
  std::string amz_date;     // YYYYMMDDTHHMMSSZ used in the string to sign
  std::string header_name;  // "x-amz-date" or "date": must be signed
};

Result<RequestDate> ReadRequestDate(const SignableRequest& req) {
  if (const std::string* v = FindHeader(req, "x-amz-date")) {
    const std::string_view s = Trim(*v);
    auto tp = ParseAmzDate(s);
    if (!tp) {
      return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + std::string(s) +
                        "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
    return RequestDate{*tp, std::string(s), "x-amz-date"};
  }
  if (const std::string* v = FindHeader(req, "date")) {
    const std::string_view s = Trim(*v);
    auto tp = ParseHttpDate(s);
    if (!tp) tp = ParseAmzDate(s);
    if (!tp) {
      return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + std::string(s) +
                        "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
    return RequestDate{*tp, FormatAmzDate(*tp), "date"};
  }
  return Incomplete(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
      "header.");
}

bool Signs(const AuthorizationHeader& auth, std::string_view name) {
  return std::find(auth.signed_headers.begin(), auth.signed_headers.end(), name) !=
         auth.signed_headers.end();
}

std::string SkewMinutes(std::chrono::seconds skew) {
  const auto secs = skew.count();
  if (secs % 60 == 0) return std::to_string(secs / 60) + " min.";
  return std::to_string(secs) + " sec.";
}

}  // namespace

std::string AuthorizationHeader::Scope() const {
  std::string s;
  s.reserve(date.size() + region.size() + service.size() + 16);
  s.append(date).append(1, '/').append(region).append(1, '/').append(service).append(1, '/');
  s.append(kSigV4Terminator);
  return s;
}

const std::string* FindHeader(const SignableRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (IEquals(k, name)) return &v;
  }
  return nullptr;
}

size_t CountHeaders(const SignableRequest& req, std::string_view name) {
  size_t n = 0;
  for (const auto& h : req.headers) n += IEquals(h.first, name) ? 1 : 0;
  return n;
}

Result<AuthorizationHeader> ParseAuthorization(std::string_view header) {
  std::string_view s = Trim(header);
  size_t sp = 0;
  while (sp < s.size() && !IsSpace(s[sp])) ++sp;
  const std::string_view algorithm = s.substr(0, sp);
  if (algorithm != kSigV4Algorithm) {
    if (algorithm.find('=') != std::string_view::npos || algorithm.empty()) {
      return Incomplete("Authorization header requires 'Credential' parameter. Authorization "
                        "header requires 'Signature' parameter. Authorization header requires "
                        "'SignedHeaders' parameter.");
    }
    return Incomplete("Unsupported AWS 'algorithm': '" + std::string(algorithm) + "'");
  }
  std::string_view rest = s.substr(sp);

  std::optional<std::string_view> credential, signed_headers, signature;
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t comma = rest.find(',', pos);
    if (comma == std::string_view::npos) comma = rest.size();
    const std::string_view part = Trim(rest.substr(pos, comma - pos));
    pos = comma + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Incomplete("Authorization header parameter is not of the form key=value: '" +
                        std::string(part) + "'");
    }
    const std::string_view key = Trim(part.substr(0, eq));
    const std::string_view value = Trim(part.substr(eq + 1));
    std::optional<std::string_view>* slot = nullptr;
    if (key == "Credential") {
      slot = &credential;
    } else if (key == "SignedHeaders") {
      slot = &signed_headers;
    } else if (key == "Signature") {
      slot = &signature;
    } else {
      return Incomplete("Authorization header has an unsupported parameter: '" +
                        std::string(key) + "'");
    }
    if (slot->has_value()) {
      return Incomplete("Authorization header has a repeated parameter: '" + std::string(key) +
                        "'");
    }
    *slot = value;
  }
  std::string missing;
  if (!credential) missing += "Authorization header requires 'Credential' parameter. ";
  if (!signature) missing += "Authorization header requires 'Signature' parameter. ";
  if (!signed_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!missing.empty()) {
    missing.pop_back();
    return Incomplete(std::move(missing));
  }

  AuthorizationHeader out;
  // Credential: AKID/date/region/service/aws4_request
  {
    std::vector<std::string_view> parts;
    size_t p = 0;
    const std::string_view c = *credential;
    while (true) {
      const size_t slash = c.find('/', p);
      parts.push_back(c.substr(p, slash == std::string_view::npos ? slash : slash - p));
      if (slash == std::string_view::npos) break;
      p = slash + 1;
    }
    const bool any_empty =
        std::any_of(parts.begin(), parts.end(), [](std::string_view x) { return x.empty(); });
    if (parts.size() != 5 || any_empty) {
      return Incomplete(
          "Credential must have exactly 5 slash-delimited elements, e.g. "
          "keyid/date/region/service/term, got '" +
          std::string(c) + "'");
    }
    if (parts[1].size() != 8 || !IsDigits(parts[1])) {
      return Incomplete("Credential date must be YYYYMMDD, got '" + std::string(parts[1]) + "'");
    }
    if (parts[4] != kSigV4Terminator) {
      return Incomplete("Credential should be scoped with a valid terminator: 'aws4_request', "
                        "not '" +
                        std::string(parts[4]) + "'.");
    }
    out.access_key_id = parts[0];
    out.date = parts[1];
    out.region = parts[2];
    out.service = parts[3];
  }
  // SignedHeaders: h1;h2;... lowercase, sorted, each once (the canonical form). A list out of
  // order or naming a header twice is no signer's output, and would let a few KiB of
  // Authorization header and request headers multiply into a canonical request of megabytes
  // (every name joins every value sent under it) before the signature is compared: it is
  // refused here, as is a list longer than any signer's. AWS's own words for these two
  // refusals are not known (it answers a signature mismatch); the messages state the rule in
  // the style of its other IncompleteSignature messages.
  {
    const std::string_view sh = *signed_headers;
    out.signed_headers_raw = sh;
    size_t p = 0;
    while (true) {
      const size_t semi = sh.find(';', p);
      const std::string_view name =
          sh.substr(p, semi == std::string_view::npos ? semi : semi - p);
      if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
        return Incomplete("Invalid SignedHeaders: '" + std::string(sh) + "'");
      }
      if (out.signed_headers.size() == kMaxSignedHeaders) {
        return Incomplete("Invalid SignedHeaders: more than " +
                          std::to_string(kMaxSignedHeaders) + " header names.");
      }
      std::string lowered = Lower(name);
      if (!out.signed_headers.empty() && !(out.signed_headers.back() < lowered)) {
        return Incomplete("Invalid SignedHeaders: header names must be sorted and listed once, "
                          "but '" + lowered + "' follows '" + out.signed_headers.back() + "'.");
      }
      out.signed_headers.push_back(std::move(lowered));
      if (semi == std::string_view::npos) break;
      p = semi + 1;
    }
  }
  if (signature->size() != 64 || !IsHex(*signature)) {
    return Incomplete("Signature must be 64 hexadecimal characters.");
  }
  out.signature = *signature;
  return out;
}

bool IsRegionName(std::string_view r) {
  if (r.empty() || r.size() > kMaxRegionLength) return false;
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0;
  while (i < r.size() && lower(r[i])) ++i;
  if (i < 2 || i > 4) return false;  // "us", "cn", "eusc"
  size_t words = 0;                  // further words of letters ("gov", "east")
  while (i < r.size() && r[i] == '-') {
    const size_t start = ++i;
    if (i < r.size() && digit(r[i])) {  // the final number
      while (i < r.size() && digit(r[i])) ++i;
      return i == r.size() && words >= 1;
    }
    while (i < r.size() && lower(r[i])) ++i;
    if (i == start) return false;
    ++words;
  }
  return false;
}

Status CheckScopeRegion(std::string_view region) {
  if (IsRegionName(region)) return Status::Ok();
  return Invalid("Credential should be scoped to a valid region, not '" + std::string(region) +
                 "'.");
}

Result<AuthorizationHeader> ParseOnly(const SignableRequest& req) {
  const size_t n = CountHeaders(req, "authorization");
  if (n == 0) return Status(ErrorCode::kMissingAuthToken, "Missing Authentication Token");
  if (n > 1) return Incomplete("Only one Authorization header is allowed.");
  return ParseAuthorization(*FindHeader(req, "authorization"));
}

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

std::string UriDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexVal(s[i + 1]) >= 0 && HexVal(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexVal(s[i + 1]) * 16 + HexVal(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string CanonicalUri(std::string_view path, bool normalize) {
  if (normalize) {
    const std::string normalized = RemoveDotSegments(path);
    if (normalized.empty()) return "/";
    return UriEncode(normalized, /*encode_slash=*/false);
  }
  if (path.empty()) return "/";
  return UriEncode(path, /*encode_slash=*/false);
}

std::string CanonicalQuery(std::string_view query) {
  if (query.empty()) return std::string();
  std::vector<std::pair<std::string, std::string>> params;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view item = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    params.emplace_back(UriEncode(UriDecode(name), true), UriEncode(UriDecode(value), true));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out.push_back('&');
    out.append(params[i].first).append(1, '=').append(params[i].second);
  }
  return out;
}

std::string CanonicalHeaders(const SignableRequest& req,
                             const std::vector<std::string>& signed_headers) {
  // Names x headers comparisons, most of them ended by the lengths: for the handful of
  // headers a signer signs this is cheaper than any index. It is bounded because
  // ParseAuthorization admits at most kMaxSignedHeaders names, each once, so every request
  // header's value is appended at most once (the output never outgrows the request) and a
  // header block at the parser's limit costs well under a millisecond.
  std::string out;
  for (const std::string& name : signed_headers) {
    out.append(name).append(1, ':');
    bool first = true;
    for (const auto& [k, v] : req.headers) {
      if (!IEquals(k, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendCanonicalValue(out, v);
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(const SignableRequest& req, const AuthorizationHeader& auth,
                             std::string_view payload_hash_hex, bool normalize_path) {
  const std::string_view target = req.target;
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query =
      q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  std::string out;
  out.reserve(256 + req.headers.size() * 64);
  out.append(req.method).append(1, '\n');
  out.append(CanonicalUri(path, normalize_path)).append(1, '\n');
  out.append(CanonicalQuery(query)).append(1, '\n');
  out.append(CanonicalHeaders(req, auth.signed_headers)).append(1, '\n');
  out.append(auth.signed_headers_raw).append(1, '\n');
  out.append(payload_hash_hex);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out;
  out.reserve(kSigV4Algorithm.size() + amz_date.size() + scope.size() + 68);
  out.append(kSigV4Algorithm).append(1, '\n');
  out.append(amz_date).append(1, '\n');
  out.append(scope).append(1, '\n');
  out.append(crypto::Sha256Hex(canonical_request));
  return out;
}

std::string DeriveSigningKey(std::string_view secret_key, std::string_view date,
                             std::string_view region, std::string_view service) {
  std::string k = "AWS4";
  k.append(secret_key);
  std::string k_date = crypto::HmacSha256(k, date);
  crypto::SecureWipe(k);
  std::string k_region = crypto::HmacSha256(k_date, region);
  crypto::SecureWipe(k_date);
  std::string k_service = crypto::HmacSha256(k_region, service);
  crypto::SecureWipe(k_region);
  std::string k_signing = crypto::HmacSha256(k_service, kSigV4Terminator);
  crypto::SecureWipe(k_service);
  return k_signing;
}

std::string ComputeSignature(std::string_view signing_key, std::string_view string_to_sign) {
  return crypto::HexEncode(crypto::HmacSha256(signing_key, string_to_sign));
}

std::optional<system_clock::time_point> ParseAmzDate(std::string_view s) {
  // YYYYMMDDTHHMMSSZ
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !IsDigits(s.substr(0, 8)) ||
      !IsDigits(s.substr(9, 6))) {
    return std::nullopt;
  }
  auto num = [&](size_t off, size_t len) {
    int v = 0;
    for (size_t i = off; i < off + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const std::chrono::year_month_day ymd{std::chrono::year{num(0, 4)},
                                        std::chrono::month{static_cast<unsigned>(num(4, 2))},
                                        std::chrono::day{static_cast<unsigned>(num(6, 2))}};
  const int hh = num(9, 2), mm = num(11, 2), ss = num(13, 2);
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  const std::chrono::sys_seconds at = std::chrono::sys_days{ymd} + std::chrono::hours{hh} +
                                      std::chrono::minutes{mm} + std::chrono::seconds{ss};
  // system_clock counts nanoseconds in 64 bits (years 1678 to 2261): a date outside that span
  // (any four-digit year parses) is held at the edge, still far outside any skew window,
  // instead of overflowing the conversion.
  using std::chrono::year;
  static constexpr std::chrono::sys_seconds kEarliest{std::chrono::sys_days{year{1900} / 1 / 1}};
  static constexpr std::chrono::sys_seconds kLatest{std::chrono::sys_days{year{2200} / 1 / 1}};
  return std::clamp(at, kEarliest, kLatest);
}

std::string FormatAmzDate(system_clock::time_point tp) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(tp);
  const auto day = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss<std::chrono::seconds> tod{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()));
  return buf;
}

std::optional<system_clock::time_point> ParseHttpDate(std::string_view s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
      s[16] != ' ' || s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  if (month == 0 || !IsDigits(s.substr(5, 2)) || !IsDigits(s.substr(12, 4)) ||
      !IsDigits(s.substr(17, 2)) || !IsDigits(s.substr(20, 2)) || !IsDigits(s.substr(23, 2))) {
    return std::nullopt;
  }
  // Reuse the strict ISO parser for field validation.
  std::string iso;
  iso.append(s.substr(12, 4));
  const std::string mm = (month < 10 ? "0" : "") + std::to_string(month);
  iso.append(mm).append(s.substr(5, 2)).append(1, 'T');
  iso.append(s.substr(17, 2)).append(s.substr(20, 2)).append(s.substr(23, 2)).append(1, 'Z');
  return ParseAmzDate(iso);
}

void SignRequest(SignableRequest& req, std::string_view akid, std::string_view secret,
                 std::string_view region, std::string_view service, std::string_view amz_date,
                 std::string_view session_token) {
  std::erase_if(req.headers, [](const auto& h) { return IEquals(h.first, "authorization"); });
  if (!session_token.empty() && FindHeader(req, "x-amz-security-token") == nullptr) {
    req.headers.emplace_back("X-Amz-Security-Token", std::string(session_token));
  }
  if (FindHeader(req, "x-amz-date") == nullptr) {
    req.headers.emplace_back("X-Amz-Date", std::string(amz_date));
  }
  const std::string date_value(Trim(*FindHeader(req, "x-amz-date")));

  AuthorizationHeader auth;
  auth.access_key_id = akid;
  auth.date = date_value.substr(0, 8);
  auth.region = region;
  auth.service = service;
  for (const auto& h : req.headers) auth.signed_headers.push_back(Lower(h.first));
  std::sort(auth.signed_headers.begin(), auth.signed_headers.end());
  auth.signed_headers.erase(std::unique(auth.signed_headers.begin(), auth.signed_headers.end()),
                            auth.signed_headers.end());
  for (size_t i = 0; i < auth.signed_headers.size(); ++i) {
    if (i > 0) auth.signed_headers_raw.push_back(';');
    auth.signed_headers_raw.append(auth.signed_headers[i]);
  }
  const std::string scope = auth.Scope();
  const std::string canonical =
      CanonicalRequest(req, auth, crypto::Sha256Hex(req.body), /*normalize_path=*/false);
  std::string key = DeriveSigningKey(secret, auth.date, region, service);
  const std::string signature = ComputeSignature(key, StringToSign(date_value, scope, canonical));
  crypto::SecureWipe(key);

  std::string value(kSigV4Algorithm);
  value.append(" Credential=").append(akid).append(1, '/').append(scope);
  value.append(", SignedHeaders=").append(auth.signed_headers_raw);
  value.append(", Signature=").append(signature);
  req.headers.emplace_back("Authorization", std::move(value));
}

// ---- Verifier -----------------------------------------------------------------------

Verifier::Verifier(CredentialLookup lookup, VerifyOptions opts, Clock clock)
    : lookup_(std::move(lookup)), opts_(std::move(opts)), clock_(std::move(clock)) {}

Verifier::~Verifier() = default;  // cache entries wipe themselves

void Verifier::ClearCache() const {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
}

size_t Verifier::CachedSigningKeys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size();
}

std::string Verifier::SigningKey(const AuthorizationHeader& auth,
                                 std::string_view secret) const {
  std::string cache_key;
  cache_key.reserve(auth.access_key_id.size() + auth.date.size() + auth.region.size() +
                    auth.service.size() + 3);
  cache_key.append(auth.access_key_id).append(1, '\n').append(auth.date).append(1, '\n');
  cache_key.append(auth.region).append(1, '\n').append(auth.service);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end() && crypto::ConstantTimeEquals(it->second.secret, secret)) {
      return it->second.key.Reveal();  // the caller wipes its copy
    }
  }
  std::string key = DeriveSigningKey(secret, auth.date, auth.region, auth.service);
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= kMaxCachedKeys && cache_.find(cache_key) == cache_.end()) {
    // Bounded: simplest correct policy is to start over (keys are cheap to re-derive).
    cache_.clear();
  }
  CacheEntry& e = cache_[cache_key];
  e.secret.assign(secret);
  e.key.assign(key);
  return key;
}

// What either form of signature gave: the parsed signature, the request's date, the session
// token presented (if any) and, for a presigned URL, how long it stays valid and the target
// to canonicalize (the query without X-Amz-Signature).
struct Verifier::Signed {
  AuthorizationHeader auth;
  RequestDate date;
  std::optional<std::string> token;
  std::optional<std::chrono::seconds> expires;
  std::optional<std::string> canonical_target;
};

namespace {

// Whether the query string has a parameter spelled exactly `name` (not URI-encoded: the
// X-Amz-* names need no encoding).
bool HasQueryParam(std::string_view target, std::string_view name) {
  for (const auto& [n, v] : net::SplitQuery(target)) {
    if (n == name) return true;
  }
  return false;
}

// Step 4, shared by both forms: headers that must be covered when they are sent.
Status CheckSignedHeaderRules(const SignableRequest& req, const AuthorizationHeader& auth) {
  if (!Signs(auth, "host")) {
    return Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                      "Authorization.");
  }
  if (FindHeader(req, "x-amz-security-token") != nullptr && !Signs(auth, "x-amz-security-token")) {
    return Incomplete("'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS "
                      "Authorization.");
  }
  // X-Amz-Target selects the operation: a signature that does not cover it would let a
  // captured GetSecretValue be replayed as DeleteSecret with the same body. Every AWS SDK
  // and the CLI sign it. Content-Type need not be signed (AWS does not require it, and the
  // AWS SDK for JavaScript v2 never signs it): what it could change is only how a body that
  // IS signed is read, and the operation stays fixed by the signed target, path or body.
  if (FindHeader(req, "x-amz-target") != nullptr && !Signs(auth, "x-amz-target")) {
    return Incomplete("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return Status::Ok();
}

}  // namespace

Result<VerifiedCaller> Verifier::Verify(const SignableRequest& req,
                                        std::string_view expected_service) const {
  if (CountHeaders(req, "authorization") == 0 && HasQueryParam(req.target, "X-Amz-Algorithm")) {
    ARCANA_ASSIGN_OR_RETURN(Signed parts, FromQueryString(req));
    return Check(req, std::move(parts), expected_service);
  }
  // 1-2. Authorization header.
  ARCANA_ASSIGN_OR_RETURN(AuthorizationHeader auth, ParseOnly(req));

  // 3. Request date.
  ARCANA_ASSIGN_OR_RETURN(RequestDate rdate, ReadRequestDate(req));

  // 4. Required signed headers.
  ARCANA_RETURN_IF_ERROR(CheckSignedHeaderRules(req, auth));
  if (!Signs(auth, rdate.header_name)) {
    return Incomplete(rdate.header_name == "x-amz-date"
                          ? "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
                          : "'Date' must be a 'SignedHeader' in the AWS Authorization.");
  }
  Signed parts{std::move(auth), std::move(rdate), std::nullopt, std::nullopt, std::nullopt};
  if (const std::string* token = FindHeader(req, "x-amz-security-token")) {
    parts.token = std::string(Trim(*token));
  }
  return Check(req, std::move(parts), expected_service);
}

Result<Verifier::Signed> Verifier::FromQueryString(const SignableRequest& req) const {
  // Decoded parameters, first occurrence of each; the raw items without the signature make
  // the target the canonical request is built from.
  std::unordered_map<std::string, std::string> params;
  const std::string_view target = req.target;
  std::string canonical_target(target.substr(0, target.find('?')));
  char separator = '?';
  for (const auto& [raw_name, raw_value] : net::SplitQuery(target)) {
    std::string name = UriDecode(raw_name);
    if (name != "X-Amz-Signature") {
      canonical_target.push_back(separator);
      // As sent ("a" and "a=" canonicalize alike; CanonicalQuery re-encodes both halves).
      canonical_target.append(raw_name).append(1, '=').append(raw_value);
      separator = '&';
    }
    params.emplace(std::move(name), UriDecode(raw_value));
  }
  auto param = [&](const char* name) -> const std::string* {
    auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
  };
  const std::string* algorithm = param("X-Amz-Algorithm");
  const std::string* credential = param("X-Amz-Credential");
  const std::string* signature = param("X-Amz-Signature");
  const std::string* date = param("X-Amz-Date");
  const std::string* signed_headers = param("X-Amz-SignedHeaders");
  if (!algorithm || !credential || !signature || !date || !signed_headers) {
    return Incomplete("AWS query-string parameters must include 'X-Amz-Algorithm', "
                      "'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', "
                      "'X-Amz-SignedHeaders'. Re-examine the query-string parameters.");
  }
  if (*algorithm != kSigV4Algorithm) {
    return Incomplete("Unsupported AWS 'algorithm': '" + *algorithm + "'");
  }
  // The same syntax rules as the header's fields (credential scope, names, 64 hex digits).
  ARCANA_ASSIGN_OR_RETURN(
      AuthorizationHeader auth,
      ParseAuthorization(std::string(kSigV4Algorithm) + " Credential=" + *credential +
                         ", SignedHeaders=" + *signed_headers + ", Signature=" + *signature));
  auto when = ParseAmzDate(*date);
  if (!when) {
    return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + *date +
                      "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  ARCANA_RETURN_IF_ERROR(CheckSignedHeaderRules(req, auth));
  Signed parts{std::move(auth), RequestDate{*when, *date, "x-amz-date"}, std::nullopt,
               std::nullopt, std::move(canonical_target)};
  // Without X-Amz-Expires the URL is good for the header form's clock skew window.
  if (const std::string* expires = param("X-Amz-Expires")) {
    if (expires->empty() || expires->size() > 7 || !IsDigits(*expires)) {
      return Incomplete("X-Amz-Expires should be a number");
    }
    const long seconds = std::stol(*expires);
    if (seconds < 1 || seconds > 604800) {
      return Incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800");
    }
    parts.expires = std::chrono::seconds(seconds);
  }
  if (const std::string* token = param("X-Amz-Security-Token")) {
    parts.token = *token;
  } else if (const std::string* header = FindHeader(req, "x-amz-security-token")) {
    parts.token = std::string(Trim(*header));
  }
  return parts;
}

Result<VerifiedCaller> Verifier::Check(const SignableRequest& req, Signed parts,
                                       std::string_view expected_service) const {
  AuthorizationHeader& auth = parts.auth;
  const RequestDate& rdate = parts.date;
  // 5. Scope date.
  if (std::string_view(rdate.amz_date).substr(0, 8) != auth.date) {
    return Invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                   "date from HTTP: '" +
                   auth.date + "' != '" + rdate.amz_date.substr(0, 8) + "', from '" +
                   rdate.amz_date + "'.");
  }

  // 6-7. Scope service and region.
  if (auth.service != expected_service) {
    return Invalid("Credential should be scoped to correct service: '" +
                   std::string(expected_service) + "'.");
  }
  ARCANA_RETURN_IF_ERROR(CheckScopeRegion(auth.region));
  if (!opts_.allowed_regions.empty() &&
      std::find(opts_.allowed_regions.begin(), opts_.allowed_regions.end(), auth.region) ==
          opts_.allowed_regions.end()) {
    return Invalid("Credential should be scoped to a valid region, not '" + auth.region + "'.");
  }

  // 8. Clock skew (a presigned URL: its own validity instead of the window's past half).
  if (!opts_.ignore_skew) {
    const auto now = std::chrono::floor<std::chrono::seconds>(clock_());
    if (parts.expires && rdate.when + *parts.expires < now) {
      return Invalid("Signature expired: " + rdate.amz_date + " is now earlier than " +
                     FormatAmzDate(now - *parts.expires) + " (" + FormatAmzDate(now) + " - " +
                     SkewMinutes(*parts.expires) + ")");
    }
    if (!parts.expires && rdate.when < now - opts_.max_skew) {
      return Invalid("Signature expired: " + rdate.amz_date + " is now earlier than " +
                     FormatAmzDate(now - opts_.max_skew) + " (" + FormatAmzDate(now) + " - " +
                     SkewMinutes(opts_.max_skew) + ")");
    }
    if (rdate.when > now + opts_.max_skew) {
      return Invalid("Signature not yet current: " + rdate.amz_date + " is still later than " +
                     FormatAmzDate(now + opts_.max_skew) + " (" + FormatAmzDate(now) + " + " +
                     SkewMinutes(opts_.max_skew) + ")");
    }
  }

  // 9-10. Credentials and session token.
  Result<Credential> cred = lookup_(auth.access_key_id);
  if (!cred.ok()) return cred.status();
  if (cred->session_token.has_value()) {
    if (!parts.token || !crypto::ConstantTimeEquals(*parts.token, *cred->session_token)) {
      return Status(ErrorCode::kUnrecognizedClient, std::string(kInvalidTokenMessage));
    }
  } else if (parts.token) {
    return Status(ErrorCode::kUnrecognizedClient, std::string(kInvalidTokenMessage));
  }

  // 11. Signature.
  std::string key = SigningKey(auth, cred->secret_access_key);
  struct WipeOnExit {
    std::string& s;
    ~WipeOnExit() { crypto::SecureWipe(s); }
  } wipe_key{key};
  const std::string scope = auth.Scope();
  const std::string payload_hash = crypto::Sha256Hex(req.body);
  const bool first_normalized = opts_.path_mode == PathMode::kNormalized;
  std::optional<SignableRequest> presigned;  // the request as it was signed: no signature in it
  if (parts.canonical_target) {
    presigned.emplace(SignableRequest{req.method, std::move(*parts.canonical_target),
                                      req.headers, req.body});
  }
  const SignableRequest& signed_req = presigned ? *presigned : req;
  std::string canonical = CanonicalRequest(signed_req, auth, payload_hash, first_normalized);
  std::string sts = StringToSign(rdate.amz_date, scope, canonical);
  bool match = crypto::ConstantTimeEquals(ComputeSignature(key, sts), auth.signature);
  if (!match && opts_.path_mode == PathMode::kEither) {
    const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
    if (CanonicalUri(path, true) != CanonicalUri(path, false)) {
      canonical = CanonicalRequest(signed_req, auth, payload_hash, /*normalize_path=*/true);
      sts = StringToSign(rdate.amz_date, scope, canonical);
      match = crypto::ConstantTimeEquals(ComputeSignature(key, sts), auth.signature);
    }
  }
  if (!match) {
    if (opts_.on_mismatch) opts_.on_mismatch(canonical, sts);
    return Invalid(std::string(kBadSignatureMessage));
  }

  VerifiedCaller caller;
  caller.access_key_id = std::move(auth.access_key_id);
  caller.account_id = std::move(cred->account_id);
  caller.principal_arn = std::move(cred->principal_arn);
  caller.region = std::move(auth.region);
  caller.service = std::move(auth.service);
  return caller;
}

}  // namespace arcana::auth
